/* The inside of struct dataset (dataset.h), shared by its lookups
 * (dataset.c) and its loaders (dataset_load.c) only.
 *
 * Each structure is a struct of its own, filled by one loader function
 * whose inputs (a read-only connection, the pid count, what it depends on)
 * and output (that struct) are its parameters: a later loader may read the
 * same structure precomputed from the database file instead of scanning,
 * one structure at a time, with nothing else changing. */
#ifndef DATASET_INT_H
#define DATASET_INT_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "arena.h"
#include "dataset.h"
#include "htab.h"
#include "record.h"

/* The professions: pid -> index into codes (0 = none). 255 codes at most
 * (a byte per pid): the extracts have about 40. */
struct ds_professions {
    unsigned char *of;
    char codes[256][16]; /* [0] unused */
    int ncodes;
};

/* The folded names of every pid (last\0first\0join\0, after two 16-bit
 * lengths; join left out when it is last, DS_NAME_SAME_JOIN set in the
 * first length's high byte), pid -> offset in text (0 = none; offsets are
 * 32 bits: 4 GB of names is 80 times today's), and the initials of their
 * words. A name longer than DS_NAME_MAX bytes is stored empty (none is
 * near: the extracts' longest are under 100). */
#define DS_NAME_MAX 0x7FFF
#define DS_NAME_SAME_JOIN 0x80
struct ds_names {
    unsigned *off;
    uint32_t *initials;
    char *text;
    size_t len;
};

/* The 1-3 character prefixes of name words (a few thousand). */
struct ds_prefixes {
    struct dataset_prefix *v;
    size_t n, cap;
    struct htab index; /* on p */
};

/* One place key in memory: its distinct values in the index's order (byte
 * order), and for each the pids with an activity of that value, each once
 * (what "key = value" selects, by person), ordered by their profession
 * then pid. */
struct ds_place_col {
    char *keys;        /* NUL-terminated values, one after another */
    uint32_t *key_off; /* nkeys offsets into keys */
    uint32_t *at;      /* nkeys + 1: value k's pids are pid[at[k]..at[k+1]) */
    uint32_t *pid;
    size_t nkeys;
};

/* Activity modes told apart: the first DS_MODE_CODES codes met; bit
 * DS_MODE_OTHER for none or any other. */
#define DS_MODE_CODES 7
#define DS_MODE_OTHER 7
struct ds_modes {
    unsigned char *of; /* pid -> bits */
    char codes[DS_MODE_CODES][8];
    int ncodes;
};

/* The code table's labels: (list, code) -> label. */
struct ds_label {
    const char *list, *code, *label; /* in mem; label "" = none */
};
struct ds_labels {
    struct ds_label *v;
    size_t n, cap;
    struct htab index; /* on (list, code) */
    struct arena mem;
};

/* Where every activity is, for near=: its commune (a geo index), or -1
 * when it cannot be placed closer than its department (geo_locate()), in
 * aid order; pid's are act_commune[act_at[pid] .. act_at[pid + 1]); and
 * by commune: the pids with an activity placed in commune c are
 * commune_pid[commune_at[c] .. commune_at[c + 1]), ascending, each once
 * (near= reads a ring's people from memory: ~5 ns a person instead of
 * ~0.3 us from the activity_insee index). 4 bytes an activity, a pid and
 * a (commune, pid) pair. */
struct ds_placements {
    int32_t *act_commune;
    uint32_t *act_at; /* npids + 1 entries */
    long long npids;
    uint32_t *commune_pid;
    uint32_t *commune_at; /* geo_count() + 1 entries */
};

/* The structures: v[sid] (n entries: max sid + 1; a sid no row has is
 * all zeros), and sid's pids are pids[at[sid] .. at[sid + 1]). v NULL:
 * not in memory. */
struct ds_structures {
    struct dataset_structure *v;
    uint32_t *at;
    uint32_t *pids;
    long long n;
    /* In order of place (dataset.h): the runs of one commune and postal
     * code, by postal code then sid (pc NULL: not in that order), and
     * the first sid without a commune code. */
    struct ds_pc_run *pc;
    size_t npc;
    uint32_t none;
    int dept_in_insee;      /* each commune code begins with its department */
    struct typo_dict *dict; /* structure_term, or NULL */
};
struct ds_pc_run {
    char postcode[6];
    struct dataset_sid_run r;
};

struct dataset {
    atomic_int refs;
    char etag[48];
    long long n; /* entries per pid array: max_pid + 1 */
    struct ds_professions prof;
    unsigned char *has_spec; /* bit per pid: has a specialty row */
    struct ds_names names;
    struct ds_prefixes prefixes;
    struct ds_labels labels;
    struct ds_place_col *places; /* [PLACE_KEYS], or NULL */
    struct ds_modes modes;       /* .of NULL: not in memory */
    struct typo_dict *dict;      /* the lexicon, or NULL */
    struct geo *geo;
    struct understand *und;
    struct ds_placements at; /* .act_at NULL: not in memory */
    struct ds_structures st;
    struct db_record_cache records;
};

/* The structures stored in the file by the importer (dataset_blob.c,
 * docs/format.md): each reader fills its structure as the scan would and
 * returns 0, or -1 with nothing allocated when its blob is missing, of
 * another version or pid count n, or damaged (then the loader scans).
 * Bump DS_BLOB_VERSION with any change of a layout below or of the code
 * that builds what is stored (a loader, geo's commune order): older blobs
 * are then ignored, and serve again once the next import rewrites them. */
#define DS_BLOB_VERSION 2
int ds_blob_professions(sqlite3 *db, long long n, struct ds_professions *out);
int ds_blob_specialties(sqlite3 *db, long long n, unsigned char **out);
int ds_blob_prefixes(sqlite3 *db, struct ds_prefixes *out);
int ds_blob_names(sqlite3 *db, long long n, struct ds_names *out);
int ds_blob_modes(sqlite3 *db, long long n, struct ds_modes *out);
/* ncommunes: the communes of the dataset's geo, the indexes stored. */
int ds_blob_placements(sqlite3 *db, long long n, size_t ncommunes,
                       struct ds_placements *out);
/* The places already ordered by profession (places_by_profession()). */
int ds_blob_places(sqlite3 *db, long long n, struct ds_place_col **out);
/* Each commune's activity count (geo_load_counted()), *n of them. */
int ds_blob_geo_activities(sqlite3 *db, uint32_t **out, size_t *n);
/* Stores d's structures in db (a writable connection, the dataset_blob
 * table there): 0, or -1 (logged). */
int ds_blob_save(sqlite3 *db, const struct dataset *d);

/* The hash of a prefix, and of a (list, code) pair. */
uint64_t ds_prefix_hash(const char *p);
uint64_t ds_label_hash(const char *list, const char *code);

/* Frees what d holds, then d. */
void ds_free(struct dataset *d);
#endif
