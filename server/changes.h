/* History across imports, as served: what the importer's history step
 * (importer/carry.c) left in the database, read back. The changes feed
 * (GET /v1/changes in JSON, CSV and Atom), and the lookups other modules
 * need: when a thing was first seen (record.c), whether a professional or a
 * mailbox was removed and when (the 410 answers here, and any other facade,
 * FHIR's _lastUpdated and active=false say). Everything reads the
 * connection's own file: one consistent generation per request. */
#ifndef CHANGES_H
#define CHANGES_H
#include <stddef.h>

#include "api.h"
#include "db.h"

/* The history state of one professional or mailbox. */
struct changes_state {
    int known;      /* 0: never known to this database (404) */
    int removed;    /* 1: removed, its last known record kept (410) */
    int first_seen; /* YYYYMMDD; 0: unknown (before history_since) */
    int last_seen;  /* removed: the last extract it was in; else 0 */
    long long row;  /* present: its pid (mid for a mailbox); removed: its
                       pid (mid) in gone_professional (gone_mailbox) */
};

/* The state of the professional with national id nid (exact), or of the
 * mailbox at address (lower case). 0, or -1 on a database error. */
int changes_professional(struct db_conn *c, const char *nid,
                         struct changes_state *s);
int changes_mailbox(struct db_conn *c, const char *address,
                    struct changes_state *s);

/* When the thing of kind (enum history_kind) with id was first seen,
 * YYYYMMDD, or 0 if unknown (absent, or before history_since). */
int changes_first_seen(struct db_conn *c, int kind, const char *id);

/* The first extract date with history (meta history_since), or 0. */
int changes_since(struct db_conn *c);

/* One change as the feed reads it; the strings live until the next row. */
struct changes_row {
    long long seq; /* the cursor's position */
    int day;       /* YYYYMMDD */
    const char *kind, *change, *id, *national_id, *profession, *dept, *postcode;
    const char *before, *after; /* JSON objects as text, or NULL */
};

/* A query of the feed: newest first, changes on or after since (0: all
 * kept), of a kind and change (-1: any), with a profession, department or
 * postal code (NULL: any; a changed activity's former department and
 * postal code match too), before cursor seq (0: from the newest). */
struct changes_query {
    int since;
    int kind, change;
    const char *profession, *dept, *postcode;
    long long before_seq;
    int limit;
};

/* Calls fn for each change of q, at most q->limit; the number given, or
 * -1 on a database error. *more says whether another change follows. */
int changes_list(struct db_conn *c, const struct changes_query *q,
                 void (*fn)(void *ctx, const struct changes_row *r), void *ctx,
                 int *more);

/* Caps: a page of changes (each a few hundred bytes: 1,000 is about
 * 300 KB of JSON, a few ms to read); the default page. */
#define CHANGES_MAX_LIMIT 1000
#define CHANGES_DEFAULT_LIMIT 100

/* GET /v1/changes (JSON, or format=csv|atom), /v1/changes.csv,
 * /v1/changes.atom. */
api_handler api_changes, api_changes_csv, api_changes_atom;

/* /v1/status's "history" object (imports newest first, with their
 * counts) and /metrics' last-import counts. */
json_t *changes_status_json(struct db_conn *c);
void changes_metrics(struct db_conn *c, struct buf *b);
#endif
