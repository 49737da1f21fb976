/* A database file's in-memory indexes, the one owner of them all: the
 * profession of each professional as a byte per pid, who has specialties,
 * the folded names and their initials, the short prefixes of name words,
 * the people of each place value, the modes of each person's activities,
 * the code labels, the search lexicon (name dictionary typo.h, communes
 * geo.h, query reader understand.h, where every activity is) and the cache
 * of rendered records (record.h).
 *
 * Built once per database file (dataset_build(), three threads: read
 * from what the importer stored in the file, dataset_blob.c, under a
 * second of CPU at full scale; by scanning its tables when it stores
 * nothing, about 4 s of CPU), by the thread that notices the file (db.c's
 * db_check(), the main thread) before the file is served, never inside a
 * request. Immutable after that but for
 * the record cache (its own locks): every connection to the file, on every
 * thread, reads it without locking. Reference-counted: a generation holds
 * one reference, each connection another, and the last dataset_unref()
 * frees it. Nothing here knows about HTTP or about a request.
 *
 * The lookups below are what the search reads per candidate: plain
 * functions over arrays, tens of nanoseconds each. */
#ifndef DATASET_H
#define DATASET_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "geo.h"
#include "typo.h"
#include "understand.h"

struct dataset;
struct db_record_cache;

/* The place keys of an activity: the columns the place filters read, by
 * person in memory (dataset_place_pids()) or from their index. */
enum place_key {
    PLACE_INSEE,
    PLACE_CITY,
    PLACE_POSTCODE,
    PLACE_DEPT,
    PLACE_KEYS
};

/* Each key's column of activity and the index on it alone, whose (value,
 * aid) entries are in value then aid (so pid) order. */
struct place_key_def {
    const char *col, *index;
};
extern const struct place_key_def place_keys[PLACE_KEYS];

/* Builds the dataset of the database file at path (opened read-only on
 * connections of its own). etag identifies the file's content (db.c
 * computes it); n_pids is its largest pid + 1. NULL after logging when a
 * part the server cannot do without (professions, names, prefixes,
 * labels) cannot be read; the places, modes and lexicon are optional
 * (logged, and the search then reads the indexes, or q as names only). */
struct dataset *dataset_build(const char *path, const char *etag,
                              long long n_pids);
/* 0: dataset_build() ignores the structures stored in the file
 * (dataset_blob.c) and builds every one by scanning, as for a file
 * without them; for the tests that compare both ways. 1 by default. */
extern int dataset_read_blobs;

/* For the importer: builds the dataset of the committed file at path (by
 * scanning) and stores its structures in the file through db, a writable
 * connection to it, for the server to read instead of building them.
 * 0, or -1 (logged). */
int dataset_precompute(sqlite3 *db, const char *path);

/* Takes another reference (NULL-safe); returns d. */
struct dataset *dataset_ref(struct dataset *d);
/* Drops one; the last frees the dataset (NULL-safe). */
void dataset_unref(struct dataset *d);

/* The ETag of the file it was built from. */
const char *dataset_etag(const struct dataset *d);
/* Entries per pid array: the largest pid + 1. */
long long dataset_npids(const struct dataset *d);

/* The profession of each pid as an index (0 = none; a code's index is
 * dataset_prof_index()), dataset_npids() entries. */
const unsigned char *dataset_professions(const struct dataset *d);
/* The index of a profession code, or 0 if no professional has it. */
int dataset_prof_index(const struct dataset *d, const char *code);
/* The code of profession index k (dataset_professions()), NULL for 0
 * (none) or an index no code has. Borrowed from d. */
const char *dataset_prof_code(const struct dataset *d, int k);
/* 1 if pid may have specialty rows (0: it has none, skip the lookup). */
int dataset_has_specialty(const struct dataset *d, long long pid);

/* The folded names of pid (never NULL: "" when empty), borrowed from d.
 * -1 if pid is unknown. */
int dataset_names(const struct dataset *d, long long pid, const char **last,
                  const char **first, const char **join);
/* Starts loading pid's entry in the names index (names=0) or, that entry
 * being loaded, its names (names=1) into the cache, for a dataset_names()
 * of pid a little later: a loop over scattered pids then waits for
 * several memory reads at once instead of two in turn per pid. */
void dataset_names_prefetch(const struct dataset *d, long long pid, int names);
/* pid -> the initials of its name words (last, first, joined): a bit per
 * first byte (dataset_initial_bit()), so that a candidate whose names
 * cannot hold a word is passed over without reading them; NULL if none. */
const uint32_t *dataset_initials(const struct dataset *d);

/* The bit of dataset_initials() that stands for a word's first byte: a-z
 * 0-25, digits 26-30, anything else 31. */
static inline uint32_t dataset_initial_bit(unsigned char ch)
{
    if (ch >= 'a' && ch <= 'z')
        return 1u << (ch - 'a');
    if (ch >= '0' && ch <= '9')
        return 1u << (26 + (ch - '0') % 5);
    return 1u << 31;
}

/* A prefix of 1-3 plain characters of name words: how many professionals
 * its words have in sum (an upper bound of its match) and at most (a lower
 * bound). NULL if no word begins with it. */
struct dataset_prefix {
    char p[4];
    double sum, max;
};
const struct dataset_prefix *dataset_prefix_stat(const struct dataset *d,
                                                 const char *p);

/* The place columns in memory: 0 when they could not be read (then every
 * dataset_place_*() says -1: read the index instead). */
int dataset_has_places(const struct dataset *d);
/* The pids with an activity whose key is exactly v, each once, by
 * profession (index) then ascending; prof >= 0: only those of that
 * profession (ascending). *pids borrowed from d, their number returned (0
 * when no activity has that value). -1 when the places are not in memory. */
long long dataset_place_pids(const struct dataset *d, enum place_key key,
                             const char *v, int prof, const uint32_t **pids);
/* The values of key in [lo, hi) (byte order: a postal prefix): their
 * number, the first's index in *first; -1 when not in memory. */
long long dataset_place_range(const struct dataset *d, enum place_key key,
                              const char *lo, const char *hi, size_t *first);
/* dataset_place_pids() of the value of index k (dataset_place_range()). */
long long dataset_place_run(const struct dataset *d, enum place_key key,
                            size_t k, int prof, const uint32_t **pids);

/* The modes of each person's activities, a bit per mode code (the first
 * seven met; bit 7: none or another), or NULL when not in memory: a mode
 * filter is then decided without a statement for everyone whose
 * activities all have, or all lack, the mode. */
const unsigned char *dataset_modes(const struct dataset *d);
/* The bits of dataset_modes() for the codes codes[0..n) (0 when nobody
 * has any of them), or -1 when the modes are not in memory or a code may
 * be one counted as "other". */
int dataset_mode_bits(const struct dataset *d, char *const *codes, int n);

/* The structures (the structure table) by sid, what a structure search
 * checks and orders by and their people: a search for a structure's
 * name or street reads only its full-text rowids, and a name shared by
 * 2,000 structures read their rows (36 ms at full scale) to check the
 * place and the size. 32 bytes a structure and 4 a (structure, person):
 * 19 MB at full scale. */
struct dataset_structure {
    uint64_t city;    /* dataset_town_hash(city_fold), 0: none */
    uint32_t nprof;   /* n_professionals */
    char insee[6];    /* "": none */
    char postcode[6]; /* "": none */
    char dept[4];     /* "": none */
};
/* 1 if the structures are in memory (else read the table). */
int dataset_has_structures(const struct dataset *d);
/* sid's entry, NULL if no structure has that sid (or not in memory). */
const struct dataset_structure *dataset_structure(const struct dataset *d,
                                                  long long sid);
/* sid's professionals, ascending, into *pids (borrowed from d): their
 * number, 0 if none or unknown. */
size_t dataset_structure_pids(const struct dataset *d, long long sid,
                              const uint32_t **pids);
/* A run of sids, [lo, hi). */
struct dataset_sid_run {
    uint32_t lo, hi;
};
/* Where the structures of a place lie, when the importer numbered them in
 * order of place (commune code, then postal code, those without a commune
 * code last: importer/structures.c), so that a search for a name in a town
 * asks the full-text index over those sids only ("pharmacie centre" in
 * Brest: 2,325 rows merged, or 13 in Brest's run). Each gives runs that
 * hold every structure of the place (the caller still checks each), or -1
 * when the structures are not in that order (or not in memory).
 *
 * The run of the structures whose commune code begins with prefix (a
 * commune code, or a department's: "75", "2A", "971"), into *run (empty if
 * none). */
int dataset_structure_insee_run(const struct dataset *d, const char *prefix,
                                struct dataset_sid_run *run);
/* The runs of the structures whose postal code is pc_lo, or in [pc_lo,
 * pc_hi) if pc_hi, into out[0..max): their number, or -1 (also when more
 * than max). One per commune that has the postal code. */
long dataset_structure_pc_runs(const struct dataset *d, const char *pc_lo,
                               const char *pc_hi, struct dataset_sid_run *out,
                               size_t max);
/* The runs of the structures of department dept ("75", "2A", "971"):
 * those whose commune code begins with it, then those without one, into
 * r[0..2). Their number, or -1 (also when some structure's commune code
 * does not begin with its department). */
int dataset_structure_dept_runs(const struct dataset *d, const char *dept,
                                struct dataset_sid_run r[2]);
/* The words of the structures' names and streets (structure_term), which
 * a misspelt one is corrected against, or NULL (none in the file). */
const struct typo_dict *dataset_structure_dict(const struct dataset *d);
/* The run of the structures without a commune code, into *run. */
int dataset_structure_none_run(const struct dataset *d,
                               struct dataset_sid_run *run);

/* The hash dataset_structure's city holds of a folded town name: equal
 * names, equal hashes (64 bits: two of France's 35,000 towns' names
 * hashing alike is a chance of 1 in 10^10). Never 0. */
uint64_t dataset_town_hash(const char *city_fold);

/* The label of code in list ("profession", "SM54"), or NULL. Borrowed. */
const char *dataset_label(const struct dataset *d, const char *list,
                          const char *code);

/* The search lexicon's parts, NULL when the file has none: the name
 * dictionary and the query reader (without them q is read as name words
 * only), the communes (without them, no places in q and no near=). */
const struct typo_dict *dataset_dict(const struct dataset *d);
const struct understand *dataset_understand(const struct dataset *d);
const struct geo *dataset_geo(const struct dataset *d);

/* Where every activity is, in memory: 0 when not (no commune table). */
int dataset_has_placements(const struct dataset *d);
/* The number of activities placed (every activity of every pid). */
long long dataset_nactivities(const struct dataset *d);
/* The distance in km from (lat, lon) to each activity of pid, in aid
 * order, into km[0..max) (NAN where it cannot be placed closer than its
 * department), *n their number (it may exceed max); returns the nearest,
 * NAN if none is placed or there is no placement. */
double dataset_pid_km(const struct dataset *d, long long pid, double lat,
                      double lon, double *km, size_t max, size_t *n);
/* The pids with an activity placed in commune k (a geo index), ascending,
 * each once: their number, *pids borrowed; -1 without placements. */
long long dataset_commune_pids(const struct dataset *d, int k,
                               const uint32_t **pids);

/* The rendered records' cache of this file (record.h). */
struct db_record_cache *dataset_records(const struct dataset *d);
#endif
