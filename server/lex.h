/* The search's in-memory lexicon for one database file: the name
 * dictionary (typo.h), the commune table (geo.h), the query reader built
 * on both (understand.h), and where every activity is (for distances).
 * Loading reads name_term, the commune tables and the activity table
 * (about a second at full scale, two threads), so it is done once per
 * database file and shared by every connection to it: the lexicon is
 * immutable and reference-counted, and the last lex_unref() frees it. */
#ifndef LEX_H
#define LEX_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "geo.h"
#include "typo.h"
#include "understand.h"

struct lex {
    struct typo_dict *dict;
    struct geo *geo;
    struct understand *und;
    /* Where every activity is, for near=: its commune (a geo index), or -1
     * when it cannot be placed closer than its department (geo_locate()),
     * in aid order; pid's are act_commune[act_at[pid] .. act_at[pid + 1]).
     * NULL without a commune table. 4 bytes an activity and a pid. */
    int32_t *act_commune;
    uint32_t *act_at;
    long long npids; /* act_at has npids + 1 entries */
    /* The same, by commune: the pids with an activity placed in commune c
     * are commune_pid[commune_at[c] .. commune_at[c + 1]), ascending, each
     * once (near= reads a ring's people from memory, not from the
     * activity_insee index: ~5 ns a person instead of ~0.3 us). NULL
     * without act_at. 4 bytes a (commune, pid) pair. */
    uint32_t *commune_pid;
    uint32_t *commune_at; /* geo_count() + 1 entries */
    double load_ms;       /* how long lex_load() took */
    atomic_int refs;
};

/* Loads the lexicon of the database file at path (opened read-only, twice:
 * the dictionary and the communes load in parallel). One reference, the
 * caller's. Without commune tables (imported with --communes none) geo is
 * NULL and places are not understood; NULL after logging if the name
 * dictionary cannot be read. */
struct lex *lex_load(const char *path);

/* The distance in km from (lat, lon) to each activity of pid, in aid
 * order, into km[0..max) (NAN where it cannot be placed), *n their number
 * (it may exceed max); returns the nearest, NAN if none is placed or
 * there is no placement table. In memory: tens of nanoseconds. */
double lex_pid_km(const struct lex *l, long long pid, double lat, double lon,
                  double *km, size_t max, size_t *n);

/* Takes another reference (NULL-safe); returns l. */
struct lex *lex_ref(struct lex *l);
/* Drops one; the last frees the lexicon (NULL-safe). */
void lex_unref(struct lex *l);
#endif
