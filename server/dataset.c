/* The dataset's lookups and lifetime (dataset.h); its loaders are in
 * dataset_load.c. */
#include "dataset_int.h"

#include <assert.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "places.h"
#include "util.h"
#include "banned.h"

const struct place_key_def place_keys[PLACE_KEYS] = {
    [PLACE_INSEE] = {"insee", "activity_insee"},
    [PLACE_CITY] = {"city_fold", "activity_city"},
    [PLACE_POSTCODE] = {"postcode", "activity_postcode"},
    [PLACE_DEPT] = {"dept_code", "activity_dept"},
};

uint64_t ds_prefix_hash(const char *p)
{
    return htab_hash(p, strlen(p));
}

uint64_t ds_label_hash(const char *list, const char *code)
{
    uint64_t h = htab_hash(list, strlen(list));
    return htab_hash_u64(h ^ htab_hash(code, strlen(code)));
}

struct dataset *dataset_ref(struct dataset *d)
{
    if (d)
        atomic_fetch_add(&d->refs, 1);
    return d;
}

void dataset_unref(struct dataset *d)
{
    if (!d)
        return;
    int left = atomic_fetch_sub(&d->refs, 1) - 1;
    assert(left >= 0);
    if (left)
        return;
    ds_free(d);
    /* glibc keeps freed memory in its arenas: without this, every swap
     * left the old generation's dataset and connections in RSS (100,000
     * professionals, 6 swaps under load: RssAnon 30 -> 65 MiB; with it, 27
     * to 34 MiB after each swap; docs/reliability.md). 0.5 to 14 ms, once
     * per generation, on the thread that drops the last reference. */
    malloc_trim(0);
}

const char *dataset_etag(const struct dataset *d)
{
    return d->etag;
}

long long dataset_npids(const struct dataset *d)
{
    return d->n;
}

const unsigned char *dataset_professions(const struct dataset *d)
{
    return d->prof.of;
}

int dataset_prof_index(const struct dataset *d, const char *code)
{
    for (int i = 1; i < d->prof.ncodes; i++)
        if (strcmp(d->prof.codes[i], code) == 0)
            return i;
    return 0;
}

const char *dataset_prof_code(const struct dataset *d, int k)
{
    return k > 0 && k < d->prof.ncodes ? d->prof.codes[k] : NULL;
}

int dataset_has_structures(const struct dataset *d)
{
    return d->st.v != NULL;
}

const struct dataset_structure *dataset_structure(const struct dataset *d,
                                                  long long sid)
{
    if (!d->st.v || sid <= 0 || sid >= d->st.n)
        return NULL;
    return &d->st.v[sid];
}

size_t dataset_structure_pids(const struct dataset *d, long long sid,
                              const uint32_t **pids)
{
    *pids = NULL;
    if (!d->st.v || sid <= 0 || sid >= d->st.n)
        return 0;
    *pids = d->st.pids + d->st.at[sid];
    return d->st.at[sid + 1] - d->st.at[sid];
}

/* The first sid in [1, n) whose commune code is not below key's first
 * len characters (or above them, if after): no commune code sorts last. */
static uint32_t insee_bound(const struct ds_structures *st, const char *key,
                            size_t len, int after)
{
    uint32_t lo = 1, hi = (uint32_t)st->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *in = st->v[mid].insee;
        int d = *in ? strncmp(in, key, len) : 1;
        if (d < 0 || (after && d == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int dataset_structure_insee_run(const struct dataset *d, const char *prefix,
                                struct dataset_sid_run *run)
{
    const struct ds_structures *st = &d->st;
    size_t len = strlen(prefix);
    if (!st->pc)
        return -1;
    run->lo = len ? insee_bound(st, prefix, len, 0) : st->none;
    run->hi = len ? insee_bound(st, prefix, len, 1) : st->none;
    return 0;
}

int dataset_structure_dept_runs(const struct dataset *d, const char *dept,
                                struct dataset_sid_run r[2])
{
    if (!d->st.dept_in_insee || !*dept ||
        dataset_structure_insee_run(d, dept, &r[0]) < 0)
        return -1;
    return dataset_structure_none_run(d, &r[1]) < 0 ? -1 : 2;
}

const struct typo_dict *dataset_structure_dict(const struct dataset *d)
{
    return d->st.dict;
}

int dataset_structure_none_run(const struct dataset *d,
                               struct dataset_sid_run *run)
{
    if (!d->st.pc)
        return -1;
    run->lo = d->st.none;
    run->hi = (uint32_t)d->st.n;
    return 0;
}

long dataset_structure_pc_runs(const struct dataset *d, const char *pc_lo,
                               const char *pc_hi, struct dataset_sid_run *out,
                               size_t max)
{
    const struct ds_structures *st = &d->st;
    if (!st->pc)
        return -1;
    size_t lo = 0, hi = st->npc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(st->pc[mid].postcode, pc_lo) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < st->npc; i++) {
        const char *pc = st->pc[i].postcode;
        if (pc_hi ? strcmp(pc, pc_hi) >= 0 : strcmp(pc, pc_lo) != 0)
            break;
        if (n == max)
            return -1;
        out[n++] = st->pc[i].r;
    }
    return (long)n;
}

uint64_t dataset_town_hash(const char *city_fold)
{
    return htab_hash(city_fold, strlen(city_fold));
}

int dataset_has_specialty(const struct dataset *d, long long pid)
{
    if (pid <= 0 || pid >= d->n)
        return 1;
    return (d->has_spec[pid >> 3] >> (pid & 7)) & 1;
}

int dataset_names(const struct dataset *d, long long pid, const char **last,
                  const char **first, const char **join)
{
    const struct ds_names *nm = &d->names;
    if (pid <= 0 || pid >= d->n || !nm->off[pid])
        return -1;
    const unsigned char *h = (const unsigned char *)nm->text + nm->off[pid] - 4;
    *last = nm->text + nm->off[pid];
    *first = *last + ((size_t)(h[0] & ~DS_NAME_SAME_JOIN) << 8 | h[1]) + 1;
    *join = h[0] & DS_NAME_SAME_JOIN ? *last
                                     : *first + ((size_t)h[2] << 8 | h[3]) + 1;
    return 0;
}

void dataset_names_prefetch(const struct dataset *d, long long pid, int names)
{
    const struct ds_names *nm = &d->names;
    if (pid <= 0 || pid >= d->n)
        return;
    if (!names) {
        __builtin_prefetch(&nm->off[pid]);
        return;
    }
    const char *h = nm->text + nm->off[pid];
    __builtin_prefetch(h - 4);
    __builtin_prefetch(h + 60);
}

const uint32_t *dataset_initials(const struct dataset *d)
{
    return d->names.initials;
}

const struct dataset_prefix *dataset_prefix_stat(const struct dataset *d,
                                                 const char *p)
{
    const struct ds_prefixes *px = &d->prefixes;
    if (!p[0] || strlen(p) > 3)
        return NULL;
    uint64_t h = ds_prefix_hash(p);
    size_t pos;
    for (uint32_t i = htab_first(&px->index, h, &pos); i != HTAB_NONE;
         i = htab_next(&px->index, h, &pos))
        if (strcmp(px->v[i].p, p) == 0)
            return &px->v[i];
    return NULL;
}

int dataset_has_places(const struct dataset *d)
{
    return d->places != NULL;
}

static const struct ds_place_col *place_col(const struct dataset *d,
                                            enum place_key key)
{
    return d->places && key < PLACE_KEYS ? &d->places[key] : NULL;
}

/* The first value of pc that is >= v (byte order): an index in 0..nkeys. */
static size_t place_lower(const struct ds_place_col *pc, const char *v)
{
    size_t lo = 0, hi = pc->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pc->keys + pc->key_off[mid], v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long long dataset_place_range(const struct dataset *d, enum place_key key,
                              const char *lo, const char *hi, size_t *first)
{
    const struct ds_place_col *pc = place_col(d, key);
    if (!pc)
        return -1;
    size_t a = place_lower(pc, lo), b = place_lower(pc, hi);
    *first = a;
    return b > a ? (long long)(b - a) : 0;
}

long long dataset_place_run(const struct dataset *d, enum place_key key,
                            size_t k, int prof, const uint32_t **pids)
{
    const struct ds_place_col *pc = place_col(d, key);
    if (!pc || k >= pc->nkeys)
        return -1;
    const uint32_t *a = pc->pid + pc->at[k];
    size_t n = pc->at[k + 1] - pc->at[k];
    if (prof >= 0) {
        /* [first with prof >= prof, first with prof > prof) */
        const unsigned char *pr = d->prof.of;
        size_t b[2];
        for (int e = 0; e < 2; e++) {
            size_t l = 0, h = n;
            while (l < h) {
                size_t m = l + (h - l) / 2;
                if (pr[a[m]] < prof + e)
                    l = m + 1;
                else
                    h = m;
            }
            b[e] = l;
        }
        a += b[0];
        n = b[1] - b[0];
    }
    *pids = a;
    return (long long)n;
}

long long dataset_place_pids(const struct dataset *d, enum place_key key,
                             const char *v, int prof, const uint32_t **pids)
{
    const struct ds_place_col *pc = place_col(d, key);
    if (!pc)
        return -1;
    size_t k = place_lower(pc, v);
    *pids = NULL;
    if (k == pc->nkeys || strcmp(pc->keys + pc->key_off[k], v) != 0)
        return 0;
    return dataset_place_run(d, key, k, prof, pids);
}

const unsigned char *dataset_modes(const struct dataset *d)
{
    return d->modes.of;
}

int dataset_mode_bits(const struct dataset *d, char *const *codes, int n)
{
    const struct ds_modes *m = &d->modes;
    if (!m->of)
        return -1;
    int want = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < m->ncodes && strcmp(m->codes[k], codes[i]) != 0)
            k++;
        if (k < m->ncodes)
            want |= 1 << k;
        else if (m->ncodes == DS_MODE_CODES)
            return -1; /* maybe among those counted as "other" */
    }
    return want;
}

const char *dataset_label(const struct dataset *d, const char *list,
                          const char *code)
{
    const struct ds_labels *lb = &d->labels;
    if (!code)
        return NULL;
    uint64_t h = ds_label_hash(list, code);
    size_t pos;
    for (uint32_t i = htab_first(&lb->index, h, &pos); i != HTAB_NONE;
         i = htab_next(&lb->index, h, &pos)) {
        const struct ds_label *e = &lb->v[i];
        if (strcmp(e->code, code) == 0 && strcmp(e->list, list) == 0)
            return e->label[0] ? e->label : NULL;
    }
    return NULL;
}

const struct typo_dict *dataset_dict(const struct dataset *d)
{
    return d->dict;
}

const struct understand *dataset_understand(const struct dataset *d)
{
    return d->und;
}

const struct geo *dataset_geo(const struct dataset *d)
{
    return d->geo;
}

int dataset_has_placements(const struct dataset *d)
{
    return d->at.act_at != NULL;
}

long long dataset_nactivities(const struct dataset *d)
{
    return d->at.act_at ? (long long)d->at.act_at[d->at.npids] : 0;
}

double dataset_pid_km(const struct dataset *d, long long pid, double lat,
                      double lon, double *km, size_t max, size_t *n)
{
    const struct ds_placements *at = &d->at;
    double best = NAN;
    *n = 0;
    if (!at->act_at || pid < 0 || pid >= at->npids)
        return best;
    for (uint32_t i = at->act_at[pid]; i < at->act_at[pid + 1]; i++) {
        int32_t c = at->act_commune[i];
        double dist = NAN;
        if (c >= 0) {
            const struct geo_commune *k = geo_commune(d->geo, c);
            dist = places_distance_km(lat, lon, k->lat, k->lon);
            if (isnan(best) || dist < best)
                best = dist;
        }
        if (km && *n < max)
            km[*n] = dist;
        (*n)++;
    }
    return best;
}

long long dataset_commune_pids(const struct dataset *d, int k,
                               const uint32_t **pids)
{
    const struct ds_placements *at = &d->at;
    if (!at->commune_at || k < 0 || (size_t)k >= geo_count(d->geo))
        return -1;
    *pids = at->commune_pid + at->commune_at[k];
    return (long long)(at->commune_at[k + 1] - at->commune_at[k]);
}

struct db_record_cache *dataset_records(const struct dataset *d)
{
    return (struct db_record_cache *)&d->records;
}
