/* What the importer and the server agree on about history across imports
 * (importer/history.c writes it, server/changes.c reads it): the stable id
 * of each kind of thing that is tracked, its key in the history table, and
 * the extract dates. Nothing here touches SQLite.
 *
 * Ids: a professional's is its national id; a mailbox's its address (lower
 * case, as stored); an activity's is "NID/STRUCTURE" with the activity's
 * structure id ("Identifiant technique de la structure"), "-" when it has
 * none, and "/2", "/3"... after the second, third activity of the same
 * professional at the same structure (in the extract's order). So an
 * activity keeps its id while its structure's name, address or phone
 * change (a "changed" activity), and a move to another structure is the old
 * activity removed and a new one added. */
#ifndef HISTORY_H
#define HISTORY_H
#include <stddef.h>
#include <stdint.h>

enum history_kind {
    HISTORY_PROFESSIONAL,
    HISTORY_ACTIVITY,
    HISTORY_MAILBOX,
    HISTORY_KINDS
};

/* "professional", "activity", "mailbox". */
const char *history_kind_name(int kind);
/* The kind named s, or -1. */
int history_kind_of(const char *s);

enum history_change {
    HISTORY_ADDED,
    HISTORY_REMOVED,
    HISTORY_CHANGED,
    HISTORY_CHANGES
};

/* "added", "removed", "changed". */
const char *history_change_name(int change);
/* The change named s, or -1. */
int history_change_of(const char *s);

/* The longest activity id: a national id (at most 12 characters in the
 * extracts, 32 allowed), '/', a structure id (the extracts' are under 20;
 * 64 allowed), "/n". */
#define HISTORY_ID_MAX 128

/* An activity's id into out (HISTORY_ID_MAX bytes): nid, structure (NULL
 * or "" for none) and its rank n (1 for the first at that structure). */
void history_activity_id(char *out, const char *nid, const char *structure,
                         int n);

/* The history table's key of a kind's id: a 64-bit hash of both (FNV-1a,
 * as a signed SQLite integer). Collisions between the 5 M ids of a full
 * directory have a chance near 1e-6 per import; the importer checks and
 * drops the history of both (their dates become unknown) if one occurs. */
int64_t history_key(int kind, const char *id, size_t n);

/* Days: an extract date as the integer YYYYMMDD. */
/* The YYYYMMDD of "YYYY-MM-DD" (exactly), or -1. */
int history_day_parse(const char *s);
/* "YYYY-MM-DD" of day into out (16 bytes). */
void history_day_format(int day, char *out);
/* day + n days (n may be negative), as YYYYMMDD. */
int history_day_add(int day, int n);
#endif
