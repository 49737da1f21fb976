/* The dataset's structures precomputed in the database file (issue 17):
 * rpps-import builds the dataset of the file it has just written with the
 * server's own loaders (dataset_precompute()), then stores each flat
 * structure as one row of the dataset_blob table (docs/format.md §6); the
 * server reads each array back with one sqlite3_blob_read(), straight into
 * the array it keeps, instead of scanning tables and indexes (about 4 s of
 * CPU at full scale). What is stored is exactly what the scan builds, so
 * the answers are the same either way (tests/test_dataset_blob.c compares
 * the bytes, tests/e2e_blobs.sh the answers).
 *
 * A blob is a header (the number of arrays, a zero, then each array's size
 * in bytes: 64-bit integers in the host's byte order, as every array is:
 * the file is read by the kind of machine that wrote it, and the servers
 * this runs on, amd64 and arm64, are little-endian) followed by the
 * arrays, each at an offset rounded up to 8. A blob that is missing, of
 * another DS_BLOB_VERSION, built for another pid count or malformed is
 * ignored (the loader scans instead): older files serve as before. Not
 * here: the name dictionary and the query reader, whose structures hold
 * pointers, still built at start-up. */
#include "dataset_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"
#include "banned.h"

/* The arrays of one blob at most: the places' have the most, the pid
 * count and 4 for each of the 4 keys (17); 32 leaves room. */
#define BLOB_PARTS 32

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* One array to store. */
struct part {
    const void *p;
    size_t n; /* bytes */
};

/* Stores parts as the blob called name (replacing any). 0, or -1
 * (logged). */
static int blob_put(sqlite3 *db, const char *name, const struct part *parts,
                    int nparts)
{
    assert(nparts > 0 && nparts <= BLOB_PARTS);
    uint64_t head[2 + BLOB_PARTS] = {(uint64_t)nparts};
    size_t total = round8(sizeof(uint64_t) * (size_t)(2 + nparts));
    for (int i = 0; i < nparts; i++) {
        head[2 + i] = parts[i].n;
        total += round8(parts[i].n);
    }
    sqlite3_stmt *st = NULL;
    sqlite3_blob *b = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO dataset_blob"
                           " (name, version, data) VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, DS_BLOB_VERSION);
    sqlite3_bind_zeroblob64(st, 3, total);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    if (sqlite3_blob_open(db, "main", "dataset_blob", "data",
                          sqlite3_last_insert_rowid(db), 1, &b) != SQLITE_OK)
        goto out;
    size_t off = sizeof(uint64_t) * (size_t)(2 + nparts);
    if (sqlite3_blob_write(b, head, (int)off, 0) != SQLITE_OK)
        goto out;
    off = round8(off);
    for (int i = 0; i < nparts; i++) {
        /* sqlite3_blob_write() takes an int: a part of 2 GiB or more
         * would be written in pieces; none comes near (the names' text,
         * the largest, is 60 MB at full scale). */
        if (parts[i].n > INT32_MAX)
            goto out;
        if (parts[i].n && sqlite3_blob_write(b, parts[i].p, (int)parts[i].n,
                                             (int)off) != SQLITE_OK)
            goto out;
        off += round8(parts[i].n);
    }
    rc = 0;
out:
    if (rc < 0)
        log_error("%s: %s: %s", __func__, name, sqlite3_errmsg(db));
    sqlite3_blob_close(b);
    sqlite3_finalize(st);
    return rc;
}

/* A stored blob being read. */
struct blob_in {
    sqlite3_blob *b;
    int nparts, next;
    uint64_t size[BLOB_PARTS];
    uint64_t off[BLOB_PARTS];
};

/* Opens the blob called name if it is there, of this version, with
 * nparts arrays that fit in it: 0, else -1 (not logged: the caller scans
 * instead). */
static int blob_open(sqlite3 *db, const char *name, int nparts,
                     struct blob_in *in)
{
    memset(in, 0, sizeof(*in));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT rowid, version FROM dataset_blob"
                           " WHERE name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1; /* no such table: a file from before the blobs */
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_int64 rowid = -1;
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_int(st, 1) == DS_BLOB_VERSION)
        rowid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rowid < 0 || sqlite3_blob_open(db, "main", "dataset_blob", "data",
                                       rowid, 0, &in->b) != SQLITE_OK)
        goto fail;
    uint64_t head[2 + BLOB_PARTS];
    size_t hn = sizeof(uint64_t) * (size_t)(2 + nparts);
    uint64_t total = (uint64_t)sqlite3_blob_bytes(in->b);
    if (total < hn || sqlite3_blob_read(in->b, head, (int)hn, 0) != SQLITE_OK ||
        head[0] != (uint64_t)nparts)
        goto fail;
    uint64_t off = round8(hn);
    for (int i = 0; i < nparts; i++) {
        in->size[i] = head[2 + i];
        in->off[i] = off;
        if (in->size[i] > total || off > total - in->size[i])
            goto fail;
        off += round8(in->size[i]);
    }
    in->nparts = nparts;
    return 0;
fail:
    sqlite3_blob_close(in->b);
    in->b = NULL;
    return -1;
}

/* Arrays from this size on are given huge pages: writing the 66 MB of
 * names into fresh 4 KiB pages faulted each of them in, most of the CPU
 * of reading the blobs (measured: 0.29 s for the names at full scale, on
 * this virtual machine where a fault costs several microseconds). */
#define HUGE_ARRAY (4u << 20)
#define HUGE_PAGE (2u << 20)

/* Memory for an array of n bytes that free() releases: for a large one,
 * aligned on a huge page, its whole huge pages advised to be huge (where
 * the kernel has transparent huge pages on madvise, as Debian's does).
 * Only the whole ones: a huge page is resident in full once touched, and
 * advising the array's tail too (n rounded up) kept 9 MiB of the ten
 * large arrays' last huge pages resident unused at full scale; the tail,
 * under 2 MiB, takes 4 KiB pages (at most 512 faults). */
static void *array_alloc(size_t n)
{
    void *p = NULL;
    if (n < HUGE_ARRAY || posix_memalign(&p, HUGE_PAGE, n) != 0)
        return xmalloc(n ? n : 1);
    madvise(p, n & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE); /* advice */
    return p;
}

/* The next array, in memory of its own (freed as the scan's would be),
 * its element count in *count; NULL if it is not a whole number of
 * elem-byte elements, or cannot be read. */
static void *blob_take(struct blob_in *in, size_t elem, size_t *count)
{
    if (!in->b || in->next >= in->nparts)
        return NULL;
    int i = in->next++;
    uint64_t n = in->size[i];
    if (n % elem || n > INT32_MAX)
        return NULL;
    void *p = array_alloc((size_t)n);
    if (n &&
        sqlite3_blob_read(in->b, p, (int)n, (int)in->off[i]) != SQLITE_OK) {
        free(p);
        return NULL;
    }
    *count = (size_t)(n / elem);
    return p;
}

/* The next array, copied into out (exactly n bytes): 0, else -1. */
static int blob_copy(struct blob_in *in, void *out, size_t n)
{
    size_t count;
    void *p = blob_take(in, 1, &count);
    int rc = p && count == n ? 0 : -1;
    if (!rc)
        memcpy(out, p, n);
    free(p);
    return rc;
}

static void blob_close(struct blob_in *in)
{
    sqlite3_blob_close(in->b);
    in->b = NULL;
}

/* Opens name and checks its first array, the pid count it was built
 * for, against n: 0, else -1. */
static int blob_open_n(sqlite3 *db, const char *name, int nparts, long long n,
                       struct blob_in *in)
{
    long long stored;
    if (blob_open(db, name, nparts, in) < 0)
        return -1;
    if (blob_copy(in, &stored, sizeof(stored)) < 0 || stored != n) {
        blob_close(in);
        return -1;
    }
    return 0;
}

/* The blobs' names: one per structure. */
#define B_PROFESSIONS "professions"
#define B_SPECIALTIES "specialties"
#define B_PREFIXES "prefixes"
#define B_NAMES "names"
#define B_MODES "modes"
#define B_PLACEMENTS "placements"
#define B_PLACES "places"
#define B_GEO "geo_activities"

int ds_blob_professions(sqlite3 *db, long long n, struct ds_professions *out)
{
    struct blob_in in;
    if (blob_open_n(db, B_PROFESSIONS, 4, n, &in) < 0)
        return -1;
    size_t count;
    out->of = blob_take(&in, 1, &count);
    int rc = out->of && count == (size_t)n &&
                     blob_copy(&in, out->codes, sizeof(out->codes)) == 0 &&
                     blob_copy(&in, &out->ncodes, sizeof(out->ncodes)) == 0 &&
                     out->ncodes > 0 && out->ncodes <= 256
                 ? 0
                 : -1;
    blob_close(&in);
    if (rc < 0) {
        free(out->of);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int ds_blob_specialties(sqlite3 *db, long long n, unsigned char **out)
{
    struct blob_in in;
    if (blob_open_n(db, B_SPECIALTIES, 2, n, &in) < 0)
        return -1;
    size_t count;
    *out = blob_take(&in, 1, &count);
    blob_close(&in);
    if (!*out || count != (size_t)n / 8 + 1) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int ds_blob_prefixes(sqlite3 *db, struct ds_prefixes *out)
{
    struct blob_in in;
    if (blob_open(db, B_PREFIXES, 1, &in) < 0)
        return -1;
    size_t count;
    out->v = blob_take(&in, sizeof(*out->v), &count);
    blob_close(&in);
    if (!out->v)
        return -1;
    out->n = out->cap = count;
    /* The index is rebuilt: a few thousand entries, under a millisecond. */
    htab_init(&out->index, 1 << 15);
    for (size_t i = 0; i < count; i++) {
        out->v[i].p[sizeof(out->v[i].p) - 1] = '\0';
        htab_add(&out->index, ds_prefix_hash(out->v[i].p), (uint32_t)i);
    }
    return 0;
}

int ds_blob_names(sqlite3 *db, long long n, struct ds_names *out)
{
    struct blob_in in;
    if (blob_open_n(db, B_NAMES, 4, n, &in) < 0)
        return -1;
    size_t noff = 0, nini = 0;
    out->off = blob_take(&in, sizeof(*out->off), &noff);
    out->initials = blob_take(&in, sizeof(*out->initials), &nini);
    out->text = blob_take(&in, 1, &out->len);
    blob_close(&in);
    int rc = out->off && out->initials && out->text && noff == (size_t)n &&
                     nini == (size_t)n && out->len > 0
                 ? 0
                 : -1;
    /* Every offset inside the text, which ends with a NUL: a damaged
     * blob must not send dataset_names() out of it. */
    for (size_t i = 0; rc == 0 && i < noff; i++)
        if (out->off[i] >= out->len)
            rc = -1;
    if (rc == 0 && out->text[out->len - 1] != '\0')
        rc = -1;
    if (rc < 0) {
        free(out->off);
        free(out->initials);
        free(out->text);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int ds_blob_modes(sqlite3 *db, long long n, struct ds_modes *out)
{
    struct blob_in in;
    if (blob_open_n(db, B_MODES, 4, n, &in) < 0)
        return -1;
    size_t count;
    out->of = blob_take(&in, 1, &count);
    int rc = out->of && count == (size_t)n &&
                     blob_copy(&in, out->codes, sizeof(out->codes)) == 0 &&
                     blob_copy(&in, &out->ncodes, sizeof(out->ncodes)) == 0 &&
                     out->ncodes >= 0 && out->ncodes <= DS_MODE_CODES
                 ? 0
                 : -1;
    blob_close(&in);
    if (rc < 0) {
        free(out->of);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

/* 1 if the n + 1 offsets at are ascending from 0 and end at most at max. */
static int offsets_ok(const uint32_t *at, size_t n, size_t max)
{
    if (at[0] != 0 || at[n] > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (at[i] > at[i + 1])
            return 0;
    return 1;
}

int ds_blob_placements(sqlite3 *db, long long n, size_t ncommunes,
                       struct ds_placements *out)
{
    struct blob_in in;
    if (blob_open_n(db, B_PLACEMENTS, 6, n, &in) < 0)
        return -1;
    long long nc = -1;
    size_t nact = 0, nat = 0, ncp = 0, ncat = 0;
    if (blob_copy(&in, &nc, sizeof(nc)) == 0 && nc == (long long)ncommunes) {
        out->act_commune = blob_take(&in, sizeof(int32_t), &nact);
        out->act_at = blob_take(&in, sizeof(uint32_t), &nat);
        out->commune_pid = blob_take(&in, sizeof(uint32_t), &ncp);
        out->commune_at = blob_take(&in, sizeof(uint32_t), &ncat);
    }
    blob_close(&in);
    int rc = out->act_commune && out->act_at && out->commune_pid &&
                     out->commune_at && nat == (size_t)n + 1 &&
                     ncat == ncommunes + 1 &&
                     offsets_ok(out->act_at, (size_t)n, nact) &&
                     offsets_ok(out->commune_at, ncommunes, ncp)
                 ? 0
                 : -1;
    for (size_t i = 0; rc == 0 && i < nact; i++)
        if (out->act_commune[i] < -1 ||
            out->act_commune[i] >= (int32_t)ncommunes)
            rc = -1;
    for (size_t i = 0; rc == 0 && i < ncp; i++)
        if (out->commune_pid[i] >= (uint64_t)n)
            rc = -1;
    if (rc < 0) {
        free(out->act_commune);
        free(out->act_at);
        free(out->commune_pid);
        free(out->commune_at);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->npids = n;
    return 0;
}

int ds_blob_places(sqlite3 *db, long long n, struct ds_place_col **out)
{
    struct blob_in in;
    *out = NULL;
    if (blob_open_n(db, B_PLACES, 1 + 4 * PLACE_KEYS, n, &in) < 0)
        return -1;
    struct ds_place_col *pl = xcalloc(PLACE_KEYS, sizeof(*pl));
    int rc = 0;
    for (int k = 0; k < PLACE_KEYS && rc == 0; k++) {
        struct ds_place_col *pc = &pl[k];
        size_t nb = 0, nko = 0, nat = 0, np = 0;
        pc->keys = blob_take(&in, 1, &nb);
        pc->key_off = blob_take(&in, sizeof(uint32_t), &nko);
        pc->at = blob_take(&in, sizeof(uint32_t), &nat);
        pc->pid = blob_take(&in, sizeof(uint32_t), &np);
        pc->nkeys = nko;
        if (!pc->keys || !pc->key_off || !pc->at || !pc->pid ||
            nat != nko + 1 || !offsets_ok(pc->at, nko, np) ||
            (nb && pc->keys[nb - 1] != '\0')) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < nko && rc == 0; i++)
            if (pc->key_off[i] >= nb)
                rc = -1;
        for (size_t i = 0; i < np && rc == 0; i++)
            if (pc->pid[i] >= (uint64_t)n)
                rc = -1;
    }
    blob_close(&in);
    if (rc < 0) {
        for (int k = 0; k < PLACE_KEYS; k++) {
            free(pl[k].keys);
            free(pl[k].key_off);
            free(pl[k].at);
            free(pl[k].pid);
        }
        free(pl);
        return -1;
    }
    *out = pl;
    return 0;
}

int ds_blob_geo_activities(sqlite3 *db, uint32_t **out, size_t *n)
{
    struct blob_in in;
    long long stored = -1;
    *out = NULL;
    if (blob_open(db, B_GEO, 2, &in) < 0)
        return -1;
    if (blob_copy(&in, &stored, sizeof(stored)) == 0)
        *out = blob_take(&in, sizeof(uint32_t), n);
    blob_close(&in);
    if (!*out || stored < 0 || *n != (size_t)stored) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* The bytes of a place column's keys: up to the end of its last value. */
static size_t place_keys_bytes(const struct ds_place_col *pc)
{
    if (!pc->nkeys)
        return 0;
    const char *last = pc->keys + pc->key_off[pc->nkeys - 1];
    return (size_t)(last - pc->keys) + strlen(last) + 1;
}

int ds_blob_save(sqlite3 *db, const struct dataset *d)
{
    long long n = d->n;
    size_t nc = geo_count(d->geo);
    struct part prof[] = {{&n, sizeof(n)},
                          {d->prof.of, (size_t)n},
                          {d->prof.codes, sizeof(d->prof.codes)},
                          {&d->prof.ncodes, sizeof(d->prof.ncodes)}};
    struct part spec[] = {{&n, sizeof(n)}, {d->has_spec, (size_t)n / 8 + 1}};
    struct part pre[] = {
        {d->prefixes.v, d->prefixes.n * sizeof(*d->prefixes.v)}};
    struct part names[] = {
        {&n, sizeof(n)},
        {d->names.off, (size_t)n * sizeof(*d->names.off)},
        {d->names.initials, (size_t)n * sizeof(*d->names.initials)},
        {d->names.text, d->names.len}};
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        log_error("%s: %s", __func__, sqlite3_errmsg(db));
        return -1;
    }
    if (blob_put(db, B_PROFESSIONS, prof, 4) < 0 ||
        blob_put(db, B_SPECIALTIES, spec, 2) < 0 ||
        blob_put(db, B_PREFIXES, pre, 1) < 0 ||
        blob_put(db, B_NAMES, names, 4) < 0)
        goto fail;
    if (d->modes.of) {
        struct part modes[] = {{&n, sizeof(n)},
                               {d->modes.of, (size_t)n},
                               {d->modes.codes, sizeof(d->modes.codes)},
                               {&d->modes.ncodes, sizeof(d->modes.ncodes)}};
        if (blob_put(db, B_MODES, modes, 4) < 0)
            goto fail;
    }
    if (d->geo) {
        uint32_t *acts = xmalloc((nc ? nc : 1) * sizeof(*acts));
        for (size_t i = 0; i < nc; i++)
            acts[i] = geo_commune(d->geo, (int)i)->activities;
        long long lnc = (long long)nc;
        struct part geo[] = {{&lnc, sizeof(lnc)}, {acts, nc * sizeof(*acts)}};
        int rc = blob_put(db, B_GEO, geo, 2);
        free(acts);
        if (rc < 0)
            goto fail;
    }
    if (d->at.act_at) {
        long long lnc = (long long)nc;
        const struct ds_placements *at = &d->at;
        struct part pl[] = {
            {&n, sizeof(n)},
            {&lnc, sizeof(lnc)},
            {at->act_commune, at->act_at[n] * sizeof(*at->act_commune)},
            {at->act_at, ((size_t)n + 1) * sizeof(*at->act_at)},
            {at->commune_pid, at->commune_at[nc] * sizeof(*at->commune_pid)},
            {at->commune_at, (nc + 1) * sizeof(*at->commune_at)}};
        if (blob_put(db, B_PLACEMENTS, pl, 6) < 0)
            goto fail;
    }
    if (d->places) {
        struct part pl[1 + 4 * PLACE_KEYS] = {{&n, sizeof(n)}};
        for (int k = 0; k < PLACE_KEYS; k++) {
            const struct ds_place_col *pc = &d->places[k];
            struct part *p = &pl[1 + 4 * k];
            p[0] = (struct part){pc->keys, place_keys_bytes(pc)};
            p[1] = (struct part){pc->key_off, pc->nkeys * sizeof(uint32_t)};
            p[2] = (struct part){pc->at, (pc->nkeys + 1) * sizeof(uint32_t)};
            p[3] = (struct part){pc->pid, pc->at[pc->nkeys] * sizeof(uint32_t)};
        }
        if (blob_put(db, B_PLACES, pl, 1 + 4 * PLACE_KEYS) < 0)
            goto fail;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        log_error("%s: %s", __func__, sqlite3_errmsg(db));
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}
