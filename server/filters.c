/* The filters of a search (profession, specialty, place, mode, has_mss)
 * as streams of pids in ascending order (stream.h), and their
 * intersection: each filter is read from the index that lists it in pid
 * order (the professions and specialties by (code, pid), the places by
 * (key, aid), aid = rowid_make(pid, seq)), or from memory (a place's
 * people, dataset.h) when that costs less; has_mss is a pid range (those
 * with a mailbox come first). The place conditions an index does not read
 * are checked on the candidates the streams agree on. Nothing here knows
 * the name words (text.c) or the order of the page (search.c). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search_int.h"
#include "rowid.h"
#include "sqlb.h"
#include "banned.h"

_Static_assert(5 + 2 * LIST_MAX < SQLB_ARGS, "a place check fits");

/* Adds a stream to the plan's intersection: at most one per kind of
 * filter (profession, specialty, place, the name words). */
static void fplan_add(struct fplan *fp, struct stream *s)
{
    assert(fp->nv < (int)(sizeof(fp->v) / sizeof(fp->v[0])));
    fp->v[fp->nv++] = s;
}

/* Which activity index reads the place conditions. */
enum { LOC_SCAN, LOC_INSEE, LOC_CITY, LOC_PC, LOC_PCS, LOC_DEPT, LOC_COMMUNE };

/* Rows a place key is counted to, to order the streams. */
#define EST_CAP 1000
/* Sleeps slow_us in steps of at most 1 ms, the limits read between
 * them, as a candidate that costs that much would let them be read. */
static void slow_step(struct db_conn *c)
{
    double t = now_s(), end = t + (double)search_tune.slow_us / 1e6;
    for (; t < end && !db_over_now(c); t = now_s()) {
        double ns = (end - t) * 1e9;
        struct timespec ts = {0, (long)(ns < 1e6 ? ns : 1e6)};
        nanosleep(&ts, NULL);
    }
}

long long filters_order_key(int cls, long long est)
{
    return est <= search_tune.drive_max ? est : ((long long)cls << 40) + est;
}

/* Prepares b's statement with a tag appended to its text: statements are
 * cached by text, and two streams alive at once need two statements. */
static sqlite3_stmt *prep_tag(struct db_conn *c, struct sqlb *b, char role,
                              int k)
{
    size_t len = b->sql.len;
    buf_addf(&b->sql, " /*%c%d*/", role, k);
    sqlite3_stmt *st = sqlb_prepare(c, b);
    buf_truncate(&b->sql, len);
    return st;
}

static long long code_count(struct db_conn *c, const char *list,
                            const char *code)
{
    sqlite3_stmt *st =
        db_prepare(c, "SELECT count FROM code WHERE list = ?1 AND code = ?2");
    long long n = 0;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    db_done(st);
    return n;
}

/* One sub-stream per code: (code, pid) index entries in pid order.
 * *count gets the code table's count of professionals for these codes. */
static int plan_codes(struct db_conn *c, struct stream *s, const char *sql,
                      const char *list, char role, char *const *codes, int n,
                      int cls, long long *count)
{
    long long est = 0;
    for (int i = 0; i < n; i++)
        est += code_count(c, list, codes[i]);
    *count = est;
    stream_init(s, 0, 2, STEP_INDEX, filters_order_key(cls, est));
    for (int i = 0; i < n; i++) {
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, sql);
        sqlb_arg(&b, codes[i]);
        buf_addstr(&b.sql, " AND pid >= ? ORDER BY pid");
        sqlite3_stmt *st = prep_tag(c, &b, role, i);
        sqlb_release(&b);
        if (!st)
            return -1;
        stream_add(s, st);
    }
    return 0;
}

/* The distinct postal codes of activities in [lo, hi), found by seeking
 * past each one (the index lists a code once per activity): their number,
 * or -1 if more than max. */
static int postcodes_in(struct db_conn *c, const char *lo, const char *hi,
                        char (*out)[PC_LEN], int max)
{
    sqlite3_stmt *first =
        db_prepare(c, "SELECT postcode FROM activity WHERE postcode >= ?1"
                      " AND postcode < ?2 ORDER BY postcode LIMIT 1");
    sqlite3_stmt *next =
        db_prepare(c, "SELECT postcode FROM activity WHERE postcode > ?1"
                      " AND postcode < ?2 ORDER BY postcode LIMIT 1");
    if (!first || !next)
        return -1;
    int n = 0;
    for (;;) {
        sqlite3_stmt *st = n ? next : first;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, n ? out[n - 1] : lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            db_done(st);
            return n;
        }
        const char *v = db_text(st, 0);
        if (!v || strlen(v) >= PC_LEN || n == max) {
            db_done(st);
            return -1;
        }
        memcpy(out[n++], v, strlen(v) + 1);
        db_done(st);
    }
}

/* The place conditions other than the key's, checked on the activity row
 * ('+' keeps them off the indexes): one activity must satisfy all. */
static void loc_rest(struct sqlb *b, const struct sq *q, int key)
{
    if (q->ninsee && key != LOC_COMMUNE) {
        /* A city= commune beside a postal code or department: the same
         * activity must be in it. */
        buf_addstr(&b->sql, " AND (+insee IN ");
        sqlb_list(b, q->insees, q->ninsee);
        if (q->ntown) {
            buf_addstr(&b->sql, " OR +city_fold IN ");
            sqlb_list(b, q->towns, q->ntown);
        }
        buf_addstr(&b->sql, ")");
    }
    if (q->insee && key != LOC_INSEE) {
        buf_addstr(&b->sql, " AND +insee = ");
        sqlb_arg(b, q->insee);
    }
    if (q->city_fold && key != LOC_CITY) {
        buf_addstr(&b->sql, " AND +city_fold = ");
        sqlb_arg(b, q->city_fold);
    }
    if (q->pc_lo && !q->pc_hi && key != LOC_PC) {
        buf_addstr(&b->sql, " AND +postcode = ");
        sqlb_arg(b, q->pc_lo);
    }
    if (q->pc_lo && q->pc_hi && key != LOC_PCS) {
        buf_addstr(&b->sql, " AND +postcode >= ");
        sqlb_arg(b, q->pc_lo);
        buf_addstr(&b->sql, " AND +postcode < ");
        sqlb_arg(b, q->pc_hi);
    }
    if (q->ndept && key != LOC_DEPT) {
        buf_addstr(&b->sql, " AND +dept_code IN ");
        sqlb_list(b, q->dept, q->ndept);
    }
    if (q->nmode) {
        buf_addstr(&b->sql, " AND +mode_code IN ");
        sqlb_list(b, q->mode, q->nmode);
    }
}

/* Capped count of the activities with col = v: orders the streams. */
static long long loc_est(struct db_conn *c, const char *index, const char *col,
                         const char *v)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT 1 FROM activity INDEXED BY %s"
             " WHERE %s = ?1 LIMIT %d)",
             index, col, EST_CAP + 1);
    sqlite3_stmt *st = db_prepare(c, sql);
    long long n = EST_CAP + 1;
    if (!st)
        return n;
    sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    db_done(st);
    return n;
}

static int plan_loc_check(struct db_conn *c, const struct sq *q,
                          struct fplan *fp, int key);

/* Activities of communes (the city and its arrondissements) by commune
 * code, and by town name for those without one, from those indexes alone
 * (covering: ~0.1 us an entry): sub-streams insees[0..ninsee), then
 * towns[0..ntown), their statements tagged role (codes) and role + 1
 * (towns). A row found by both merges. est from the lexicon's activity
 * counts: no count query per arrondissement. */
int filters_commune_stream(struct db_conn *c, struct stream *s,
                           char *const *insees, int ninsee, char *const *towns,
                           int ntown, char role)
{
    const struct geo *geo = search_geo(c);
    long long est = 0;
    stream_init(s, 1, 2, STEP_INDEX, 0);
    for (int i = 0; i < ninsee + ntown; i++) {
        int town = i >= ninsee;
        const char *key = town ? towns[i - ninsee] : insees[i];
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql,
                   town ? "SELECT aid FROM activity INDEXED BY activity_city"
                          " WHERE city_fold = ?1 AND aid >= ?2 ORDER BY aid"
                        : "SELECT aid FROM activity INDEXED BY"
                          " activity_insee WHERE insee = ?1 AND aid >= ?2"
                          " ORDER BY aid");
        sqlite3_stmt *st = prep_tag(c, &b, (char)(role + town), i);
        sqlb_release(&b);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        if (stream_add(s, st) < 0)
            break;
        int k = town ? -1 : geo_by_insee(geo, key, strlen(key));
        est += k >= 0 ? geo_commune(geo, k)->activities : 10;
    }
    s->est = filters_order_key(ORD_PLACE, est);
    return 0;
}

/* plan_loc() with an index on (key, profession_code). */
static int plan_loc_prof(struct db_conn *c, const struct sq *q,
                         struct fplan *fp, struct stream *s, int key,
                         const char *index, const char *col,
                         const char *const *keys, int nkeys)
{
    if (plan_loc_check(c, q, fp, key) < 0)
        return -1;
    /* Usually small: it drives, unless the count says otherwise. */
    stream_init(s, 1, 3, STEP_INDEX,
                filters_order_key(ORD_PLACE, search_tune.drive_max / 2));
    struct sqlb b;
    sqlb_init(&b);
    buf_addf(&b.sql,
             "SELECT aid FROM activity INDEXED BY %s WHERE %s = ?1"
             " AND profession_code = ?2 AND aid >= ?3 ORDER BY aid",
             index, col);
    for (int i = 0; i < nkeys; i++) {
        for (int j = 0; j < q->nprof; j++) {
            sqlite3_stmt *st = prep_tag(c, &b, 'M', i * q->nprof + j);
            if (!st) {
                sqlb_release(&b);
                return -1;
            }
            sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, q->prof[j], -1, SQLITE_STATIC);
            stream_add(s, st);
        }
    }
    sqlb_release(&b);
    fp->place_prof = 1;
    return 0;
}

/* The check of the place conditions the key does not cover, if any. */
static int plan_loc_check(struct db_conn *c, const struct sq *q,
                          struct fplan *fp, int key)
{
    struct sqlb b;
    sqlb_init(&b);
    loc_rest(&b, q, key);
    size_t more = b.sql.len;
    sqlb_release(&b);
    if (!more)
        return 0;
    int want =
        q->nmode ? dataset_mode_bits(db_dataset(c), q->mode, q->nmode) : -1;
    if (want >= 0) {
        struct sq rest = *q;
        rest.nmode = 0;
        sqlb_init(&b);
        loc_rest(&b, &rest, key);
        fp->modes = dataset_modes(db_dataset(c));
        fp->mode_want = want;
        fp->mode_accept = b.sql.len == 0;
        sqlb_release(&b);
    }
    struct sqlb k;
    sqlb_init(&k);
    buf_addstr(&k.sql, "SELECT 1 FROM activity WHERE 1");
    loc_rest(&k, q, LOC_SCAN);
    buf_addstr(&k.sql, " AND aid BETWEEN ? AND ? LIMIT 1");
    fp->check_param = k.narg + 1;
    fp->check = sqlb_prepare(c, &k);
    sqlb_release(&k);
    return fp->check ? 0 : -1;
}

/* The place: a stream of the activities with the most selective key, in
 * aid (so pid) order from that key's index alone (covering: ~0.1 us an
 * entry), one sub-stream per key value (the index lists (key, aid): in pid
 * order for one value only). The other place conditions, which the same
 * activity must meet, are checked only on the pids every stream agrees on
 * (fp->check). With no usable key (mode alone, a short postal prefix with
 * too many codes), a scan of activity in aid order that checks them all. */
static int plan_loc(struct db_conn *c, const struct sq *q, struct fplan *fp,
                    struct stream *s, int need_est)
{
    _Static_assert(LIST_MAX <= STREAM_SUBS_MAX, "a key per department");
    const char *keys[STREAM_SUBS_MAX];
    int nkeys = 0, key = LOC_SCAN, pk = -1;
    const char *col = NULL, *index = NULL;
    if (q->ninsee) {
        /* An understood commune (so there is a lexicon): the other place
         * conditions (a mode) are checked per candidate. */
        if (plan_loc_check(c, q, fp, LOC_COMMUNE) < 0)
            return -1;
        return filters_commune_stream(c, s, q->insees, q->ninsee, q->towns,
                                      q->ntown, 'C');
    }
    if (q->insee) {
        key = LOC_INSEE, col = "insee", index = "activity_insee", pk = 0;
        keys[nkeys++] = q->insee;
    } else if (q->city_fold) {
        key = LOC_CITY, col = "city_fold", index = "activity_city", pk = 1;
        keys[nkeys++] = q->city_fold;
    } else if (q->pc_lo && !q->pc_hi) {
        key = LOC_PC, col = "postcode", index = "activity_postcode", pk = 2;
        keys[nkeys++] = q->pc_lo;
    } else if (q->pc_lo && q->pc_hi) {
        int n = postcodes_in(c, q->pc_lo, q->pc_hi, fp->pcs, STREAM_SUBS_MAX);
        if (n >= 0) {
            key = LOC_PCS, col = "postcode", index = "activity_postcode";
            pk = 2;
            for (int i = 0; i < n; i++)
                keys[nkeys++] = fp->pcs[i];
        }
    } else if (q->ndept) {
        key = LOC_DEPT, col = "dept_code", index = "activity_dept", pk = 3;
        for (int i = 0; i < q->ndept; i++)
            keys[nkeys++] = q->dept[i];
    }
    /* A place and professions: with an index on (key, profession_code),
     * one sub-stream per key and code reads exactly the activities of
     * that profession there, in pid order. The profession is then that
     * of the activity (the same as the professional's in every extract
     * seen); the professional's is still checked. */
    if (pk >= 0 && q->nprof && db_place_prof_index(c, pk)[0] &&
        nkeys * q->nprof <= STREAM_SUBS_MAX)
        return plan_loc_prof(c, q, fp, s, key, db_place_prof_index(c, pk), col,
                             keys, nkeys);
    struct sqlb b;
    sqlb_init(&b);
    if (key == LOC_SCAN) {
        stream_init(s, 1, 0, STEP_INDEX, filters_order_key(ORD_SCAN, 0));
        buf_addstr(&b.sql, "SELECT aid FROM activity WHERE 1");
        loc_rest(&b, q, key);
        buf_addstr(&b.sql, " AND aid >= ? ORDER BY aid");
        s->bound_param = b.narg + 1;
        sqlite3_stmt *st = prep_tag(c, &b, 'L', 0);
        sqlb_release(&b);
        if (!st)
            return -1;
        stream_add(s, st);
        return 0;
    }
    sqlb_release(&b);
    /* The check: the same activity meets every place condition. */
    if (plan_loc_check(c, q, fp, key) < 0)
        return -1;
    /* A capped count says "at least": only a count below the cap may make
     * the place drive. Counted only when there is another stream to order
     * it against. */
    long long est = nkeys == 1 && need_est ? loc_est(c, index, col, keys[0])
                                           : (long long)(EST_CAP + 1) * nkeys;
    if (est > EST_CAP)
        est += search_tune.drive_max;
    stream_init(s, 1, 2, STEP_INDEX, filters_order_key(ORD_PLACE, est));
    sqlb_init(&b);
    buf_addf(&b.sql,
             "SELECT aid FROM activity INDEXED BY %s WHERE %s = ?1"
             " AND aid >= ?2 ORDER BY aid",
             index, col);
    for (int i = 0; i < nkeys; i++) {
        sqlite3_stmt *st = prep_tag(c, &b, 'L', i);
        if (!st) {
            sqlb_release(&b);
            return -1;
        }
        sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_TRANSIENT);
        stream_add(s, st);
    }
    sqlb_release(&b);
    return 0;
}

struct place_run {
    const uint32_t *v;
    long long n;
};

/* The place read from memory (dataset_place_pids(): the people of each value,
 * ~2 ns a person) instead of a stream of index entries (~0.3 us each)
 * that every other stream's candidate seeks (a B-tree descent per
 * sub-stream: Paris, 21 communes, or a large town and its CEDEX names).
 * The same rows as plan_loc()'s stream: an activity whose key column is
 * one of the values (or, for a postal prefix, in its range); the other
 * place conditions are fp->check, as there. Each value's people of each
 * profession are a run in pid order (dataset_place_run()).
 *
 * With name words, or with near= (s NULL): the runs as a bit per pid,
 * checked per candidate (fp->place_bits); with near=, a mode alone is
 * checked on the modes in memory (fp->modes, no statement). near= reads
 * its candidates commune by commune, nearest first, and a stream of the
 * place would be sought again in every commune: a postal prefix with more
 * codes than a stream takes, or a mode alone, was a scan of every
 * activity from each commune's first candidate on (seconds at full scale
 * within 200 km; docs/reliability.md). With filters alone (no near=), s
 * becomes the place's stream, the profession included: the run itself when
 * there is one (one value, one profession: a value's people are in pid order
 * within each profession only), else the bits; fp->place_m is then the exact
 * number of people it holds, the total when nothing else is checked.
 *
 * Returns 1 when done, 0 when the place cannot be read so (no columns in
 * memory, too many people for bits but with near=): plan_loc() then. */
static int plan_loc_mem(struct db_conn *c, const struct sq *q, struct fplan *fp,
                        struct stream *s)
{
    struct {
        enum place_key key;
        const char *v;
    } keys[STREAM_SUBS_MAX + LIST_MAX];
    int nkeys = 0, key;
    if (!dataset_has_places(db_dataset(c)))
        return 0;
    size_t range_at = 0;
    long long range_n = 0;
    if (q->ninsee) {
        key = LOC_COMMUNE;
        for (int i = 0; i < q->ninsee; i++)
            keys[nkeys].key = PLACE_INSEE, keys[nkeys++].v = q->insees[i];
        for (int i = 0; i < q->ntown; i++)
            keys[nkeys].key = PLACE_CITY, keys[nkeys++].v = q->towns[i];
    } else if (q->insee) {
        key = LOC_INSEE;
        keys[nkeys].key = PLACE_INSEE, keys[nkeys++].v = q->insee;
    } else if (q->city_fold) {
        key = LOC_CITY;
        keys[nkeys].key = PLACE_CITY, keys[nkeys++].v = q->city_fold;
    } else if (q->pc_lo && !q->pc_hi) {
        key = LOC_PC;
        keys[nkeys].key = PLACE_POSTCODE, keys[nkeys++].v = q->pc_lo;
    } else if (q->pc_lo && q->pc_hi) {
        key = LOC_PCS;
        range_n = dataset_place_range(db_dataset(c), PLACE_POSTCODE, q->pc_lo,
                                      q->pc_hi, &range_at);
        if (range_n < 0)
            return 0;
    } else if (q->ndept && !q->pc_lo) {
        key = LOC_DEPT;
        for (int i = 0; i < q->ndept; i++)
            keys[nkeys].key = PLACE_DEPT, keys[nkeys++].v = q->dept[i];
    } else if (q->near && q->nmode && !s) {
        /* A mode alone: the modes in memory decide it (filters_place_ok()). */
        int want = dataset_mode_bits(db_dataset(c), q->mode, q->nmode);
        if (want < 0)
            return 0;
        fp->modes = dataset_modes(db_dataset(c));
        fp->mode_want = want;
        return 1;
    } else {
        return 0;
    }
    /* The professions' runs of each value: with a code no professional
     * has, no run (index 0 is "none", not that code). */
    int profs[LIST_MAX], nprofs = 0;
    for (int i = 0; i < q->nprof; i++) {
        int k = dataset_prof_index(db_dataset(c), q->prof[i]);
        if (k)
            profs[nprofs++] = k;
    }
    int per = q->nprof ? nprofs : 1;
    size_t nruns = 0, cap = (size_t)(nkeys + range_n) * (size_t)per;
    struct place_run *runs = xmalloc((cap ? cap : 1) * sizeof(*runs));
    long long sum = 0;
    for (long long k = 0; k < nkeys + range_n; k++) {
        for (int j = 0; j < per; j++) {
            int prof = q->nprof ? profs[j] : -1;
            struct place_run r;
            r.n = k < nkeys ? dataset_place_pids(db_dataset(c), keys[k].key,
                                                 keys[k].v, prof, &r.v)
                            : dataset_place_run(db_dataset(c), PLACE_POSTCODE,
                                                range_at + (size_t)(k - nkeys),
                                                prof, &r.v);
            if (r.n > 0) {
                runs[nruns++] = r;
                sum += r.n;
            }
        }
    }
    if ((s || range_n) && (search_tune.place_mem_max == 0 ||
                           (sum > search_tune.place_mem_max && !q->near))) {
        free(runs);
        return 0;
    }
    const uint32_t *run = NULL;
    size_t nrun = 0;
    if (nruns <= 1 && q->nprof) {
        /* One run of one profession (in pid order; a value's whole list
         * is not): in [lo, hi] by two bisections, it is the stream of
         * filters alone as it is, and the memory driver's candidates. */
        const uint32_t *v = nruns ? runs[0].v : NULL;
        size_t n = nruns ? (size_t)runs[0].n : 0, b[2];
        for (int e = 0; e < 2; e++) {
            long long bound = e ? fp->hi + 1 : fp->lo;
            size_t l = 0, h = n;
            while (l < h) {
                size_t m = l + (h - l) / 2;
                if ((long long)v[m] < bound)
                    l = m + 1;
                else
                    h = m;
            }
            b[e] = l;
        }
        run = v ? v + b[0] : NULL;
        nrun = b[1] - b[0];
    }
    if (s && nruns <= 1 && q->nprof) {
        free(runs);
        fp->place_m = (long long)nrun;
        stream_init_mem(s, run, nrun,
                        filters_order_key(ORD_PLACE, fp->place_m));
        return plan_loc_check(c, q, fp, key) < 0 ? -1 : 1;
    }
    size_t words = (size_t)(dataset_npids(db_dataset(c)) >> 6) + 1;
    uint64_t *bits = db_pidbits(c);
    memset(bits, 0, words * sizeof(*bits));
    long long m = 0;
    /* Only the people with the profession in the pid range: the bits are
     * then the memory driver's candidates as they are. */
    for (size_t r = 0; r < nruns; r++) {
        const uint32_t *v = runs[r].v;
        for (long long i = 0; i < runs[r].n; i++) {
            uint32_t p = v[i];
            uint64_t bit = 1ull << (p & 63);
            if (p < fp->lo || p > fp->hi || (bits[p >> 6] & bit))
                continue;
            bits[p >> 6] |= bit;
            m++;
        }
    }
    free(runs);
    if (plan_loc_check(c, q, fp, key) < 0)
        return -1;
    fp->place_bits = bits;
    fp->place_m = m;
    fp->place_run = run;
    if (s)
        stream_init_bits(s, bits, fp->hi, filters_order_key(ORD_PLACE, m));
    return 1;
}

int filters_est_cmp(const void *a, const void *b)
{
    const struct stream *x = *(struct stream *const *)a;
    const struct stream *y = *(struct stream *const *)b;
    return x->est < y->est ? -1 : x->est > y->est;
}

/* 1 if pid passes the place check (or there is none), 0 if not, -1 on a
 * database error. */
int filters_place_ok(struct fplan *fp, long long pid)
{
    if (fp->modes) {
        int m = fp->modes[pid];
        if (!(m & fp->mode_want))
            return 0;
        if (fp->mode_accept && !(m & ~fp->mode_want))
            return 1;
    }
    if (!fp->check)
        return 1; /* (a mode alone: decided above) */
    sqlite3_reset(fp->check);
    sqlite3_bind_int64(fp->check, fp->check_param, rowid_first(pid));
    sqlite3_bind_int64(fp->check, fp->check_param + 1, rowid_last(pid));
    int rc = sqlite3_step(fp->check);
    sqlite3_reset(fp->check);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The next pid >= from in every stream of v[0..n) (ordered) that passes
 * the place check, or STREAM_END (also on an error: *err set). */
long long filters_next(struct fplan *fp, struct stream **v, int n,
                       long long from, int *err)
{
    for (;; from++) {
        if (search_tune.slow_us)
            slow_step(fp->c);
        long long p = stream_and(v, n, from, fp->hi);
        if (p == STREAM_END)
            return p;
        from = p;
        int pass =
            (fp->prof_of &&
             (p >= fp->prof_n || !fp->prof_ok[fp->prof_of[p]])) ||
            (fp->place_bits && !((fp->place_bits[p >> 6] >> (p & 63)) & 1));
        int ok = pass ? 0 : filters_place_ok(fp, p);
        if (ok > 0)
            return p;
        if (ok < 0) {
            *err = 1;
            return STREAM_END;
        }
        /* The candidates passed over can be most of the pids: the
         * request's limits are read here (STREAM_END, with
         * db_interrupted(c) set, when they have passed); the callers read
         * them on the matches. */
        if (db_over(fp->c))
            return STREAM_END;
    }
}

/* The mailboxes plan_structures() counts to size a domain's stream: a
 * domain with fewer has fewer owners than that. */
#define DOMAIN_EST_MAX 1000

/* The structures' people (resolved by params.c, in memory) and the
 * mailboxes' owners: a domain's mailboxes from the domain index, whose
 * entries list a domain's mailboxes in mid order, so in pid order
 * (common/rowid.h); an address prefix's owners resolved in memory. Their
 * streams are st[3] and st[4], after the profession's and the
 * specialty's. */
static int plan_structures(struct db_conn *c, const struct sq *q,
                           struct fplan *fp)
{
    if (q->st_on) {
        struct stream *s = &fp->st[3];
        stream_init_mem(s, q->st_pids, q->st_npids, (long long)q->st_npids);
        fp->v[fp->nv++] = s;
    }
    if (q->mbx_on && !q->mss_domain) {
        struct stream *s = &fp->st[4];
        stream_init_mem(s, q->mbx_pids, q->mbx_npids, (long long)q->mbx_npids);
        fp->v[fp->nv++] = s;
    } else if (q->mbx_on) {
        struct stream *s = &fp->st[4];
        sqlite3_stmt *cnt = db_prepare_static(
            c, "SELECT count(*) FROM (SELECT 1 FROM mailbox WHERE"
               " substr(address, instr(address, '@') + 1) = ?1 LIMIT ?2)");
        long long est = 0;
        if (!cnt)
            return -1;
        sqlite3_bind_text(cnt, 1, q->mss_domain, -1, SQLITE_STATIC);
        sqlite3_bind_int(cnt, 2, DOMAIN_EST_MAX);
        if (sqlite3_step(cnt) == SQLITE_ROW)
            est = sqlite3_column_int64(cnt, 0);
        db_done(cnt);
        fp->mbx_est = est;
        stream_init(
            s, 1, 2, STEP_INDEX,
            filters_order_key(ORD_PLACE, est < DOMAIN_EST_MAX ? est : 100000));
        sqlite3_stmt *st = db_prepare_static(
            c, "SELECT mid FROM mailbox INDEXED BY mailbox_domain WHERE"
               " substr(address, instr(address, '@') + 1) = ?1 AND mid >= ?2"
               " AND mid < 1125899906842624 ORDER BY mid");
        if (!st)
            return -1;
        _Static_assert(ROWID_ORPHAN == 1125899906842624LL,
                       "the statement's literal is ROWID_ORPHAN");
        sqlite3_bind_text(st, 1, q->mss_domain, -1, SQLITE_STATIC);
        stream_add(s, st);
        fp->v[fp->nv++] = s;
    }
    return 0;
}

int filters_domain_over(struct db_conn *c, const struct sq *q,
                        const struct fplan *fp, long long cap)
{
    assert(cap >= DOMAIN_EST_MAX);
    /* The match must be the domain's owners themselves: no other stream,
     * no check, and a pid range that holds every owner (has_mss=true's
     * [1, mss_end] does). */
    if (!q->mss_domain || fp->nv != 1 || fp->v[0] != &fp->st[4] ||
        fp->prof_of || fp->place_bits || fp->check || fp->modes || fp->lo > 1 ||
        fp->hi < db_mss_end(c) || fp->mbx_est < DOMAIN_EST_MAX)
        return 0;
    /* Counted once a connection: a domain of 1,000 mailboxes or more is
     * one of at most a 1,000th of the mailbox rows, so the file bounds
     * the keys, whatever the clients send. */
    char key[320];
    long long n = 0;
    int keyed = snprintf(key, sizeof(key), "domain owners %lld %s", cap,
                         q->mss_domain) < (int)sizeof(key);
    if (keyed && db_memo_get(c, key, &n))
        return n > cap;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT count(*) FROM (SELECT DISTINCT " ROWID_PID_SQL(
               "mid") " FROM mailbox INDEXED BY mailbox_domain WHERE"
                      " substr(address, instr(address, '@') + 1) = ?1"
                      " AND mid < 1125899906842624 LIMIT ?2)");
    _Static_assert(ROWID_ORPHAN == 1125899906842624LL,
                   "the statement's literal is ROWID_ORPHAN");
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, q->mss_domain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cap + 1);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    db_done(st);
    if (rc != SQLITE_ROW)
        return 0; /* not known: read them, as before */
    if (keyed)
        db_memo_put(c, key, n);
    return n > cap;
}

/* Every filter as a stream, and has_mss as a pid range (professionals with
 * a mailbox are pids 1 .. mss_end). With no filter stream (has_mss alone,
 * or name words alone) and no_text, a stream of all pids. */
int filters_plan(struct db_conn *c, const struct sq *q, struct fplan *fp,
                 int no_text)
{
    fp->c = c;
    fp->nv = 0;
    fp->known_total = -1;
    fp->check = NULL;
    fp->modes = NULL;
    fp->place_bits = NULL;
    fp->place_run = NULL;
    fp->place_m = 0;
    fp->prof_of = NULL;
    fp->place_prof = 0;
    fp->mbx_est = 0;
    fp->lo = 1;
    fp->hi = db_max_pid(c);
    if (q->has_mss == 1)
        fp->hi = db_mss_end(c);
    else if (q->has_mss == 0)
        fp->lo = db_mss_end(c) + 1;
    if (q->nprof) {
        struct stream *s = &fp->st[fp->nv];
        if (plan_codes(c, s,
                       "SELECT pid FROM professional INDEXED BY"
                       " professional_profession WHERE profession_code = ",
                       "profession", 'P', q->prof, q->nprof, ORD_PROF,
                       &fp->prof_total) < 0)
            return -1;
        fplan_add(fp, s);
    }
    if (q->nspec) {
        struct stream *s = &fp->st[fp->nv];
        if (plan_codes(c, s,
                       "SELECT pid FROM specialty INDEXED BY specialty_code"
                       " WHERE code = ",
                       "specialty", 'S', q->spec, q->nspec, ORD_SPEC,
                       &fp->spec_total) < 0)
            return -1;
        fplan_add(fp, s);
    }
    if (plan_structures(c, q, fp) < 0)
        return -1;
    int mem = params_has_loc(q)
                  ? plan_loc_mem(c, q, fp, no_text ? &fp->st[2] : NULL)
                  : 0;
    if (mem < 0)
        return -1;
    if (mem && no_text) {
        /* Filters alone, the place (and the profession: its runs are
         * those of the profession) from memory: the place's stream
         * replaces the profession's, and counts the match when nothing
         * else is checked. */
        if (q->nprof) {
            stream_done(&fp->st[0]);
            for (int i = 1; i < fp->nv; i++)
                fp->v[i - 1] = fp->v[i];
            fp->nv--;
        }
        fplan_add(fp, &fp->st[2]);
        if (fp->nv == 1 && !fp->check)
            fp->known_total = fp->place_m;
        return 0;
    }
    if (params_has_loc(q) && !mem) {
        struct stream *s = &fp->st[fp->nv];
        /* Another stream to order the place against: the words, a
         * specialty, a profession small enough to stay a stream. */
        int need_est = !no_text || q->nspec ||
                       (q->nprof && fp->prof_total <= search_tune.drive_max);
        if (plan_loc(c, q, fp, s, need_est) < 0)
            return -1;
        fplan_add(fp, s);
    }
    /* A large profession is checked in memory on the candidates the other
     * streams agree on rather than read as a stream: dense, it would be
     * seeked at almost every candidate. */
    /* With near= and no name words, the candidates are each commune's
     * people in turn (near_rings()): a profession stream would be sought
     * again in every commune, the array costs ~5 ns a candidate. */
    int others = fp->nv - 1 + !no_text; /* streams besides the profession */
    int rings = q->near && q->ntok == 0;
    if (q->nprof && others > 0 &&
        (fp->prof_total > search_tune.drive_max || fp->place_prof ||
         fp->place_bits || rings)) {
        memset(fp->prof_ok, 0, sizeof(fp->prof_ok));
        for (int i = 0; i < q->nprof; i++) {
            int k = dataset_prof_index(db_dataset(c), q->prof[i]);
            if (k)
                fp->prof_ok[k] = 1;
        }
        fp->prof_of = dataset_professions(db_dataset(c));
        fp->prof_n = dataset_npids(db_dataset(c));
        stream_done(&fp->st[0]);
        for (int i = 1; i < fp->nv; i++)
            fp->v[i - 1] = fp->v[i];
        fp->nv--;
    }
    if (no_text) {
        /* Totals known without counting: each professional has one
         * profession code, the code table counts each specialty's
         * professionals, and pids are 1 .. max_pid. */
        if (fp->nv == 0)
            fp->known_total = fp->hi >= fp->lo ? fp->hi - fp->lo + 1 : 0;
        else if (fp->nv == 1 && q->nprof && !fp->prof_of && q->has_mss < 0)
            fp->known_total = fp->prof_total;
        else if (fp->nv == 1 && !q->nprof && q->nspec == 1 && q->has_mss < 0)
            fp->known_total = fp->spec_total;
    }
    if (fp->nv == 0 && no_text) {
        struct stream *s = &fp->st[0];
        stream_init(s, 0, 1, STEP_INDEX, fp->hi - fp->lo + 1);
        sqlite3_stmt *st = db_prepare(c, "SELECT pid FROM professional"
                                         " WHERE pid >= ?1 ORDER BY pid");
        if (!st)
            return -1;
        stream_add(s, st);
        fplan_add(fp, s);
    }
    return 0;
}

/* ---- Reading the match ---- */

int filters_failed(struct stream **v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i]->error)
            return 1;
    return 0;
}

/* Reads the match (the intersection of v[0..n) in fp's pid range, with
 * fp's place check) in pid order: the first keep pids into res->all, then
 * (count=1) counts on within search_tune.count_ms. res->total gets the number
 * read. Returns 1 if that is the whole match, 0 if reading stopped first (the
 * budget, or the request's limits), -1 on a database error. */
int filters_read(struct db_conn *c, struct fplan *fp, struct stream **v, int n,
                 size_t keep, int count, struct result *res)
{
    qsort(v, (size_t)n, sizeof(*v), filters_est_cmp);
    long long t = fp->lo, seen = 0;
    int budget = 0, whole = 1, err = 0;
    unsigned tick = 0;
    for (;;) {
        if ((size_t)seen == keep + 1 && !budget) {
            if (!count) {
                whole = 0;
                break;
            }
            db_budget(c, search_tune.count_ms);
            budget = 1;
        }
        /* Streams in memory run no statement for SQLite's progress
         * handler to stop: the clock is read here too (~20 ns), every 8
         * matches within the small counting budget. */
        if (budget ? (++tick & 7) == 0 && db_over_now(c) : db_over(c))
            break;
        long long p = filters_next(fp, v, n, t, &err);
        if (p == STREAM_END)
            break;
        if ((size_t)seen < keep)
            result_push(&res->all, &res->nall, &res->capall, p);
        seen++;
        t = p + 1;
    }
    int cut = db_interrupted(c);
    if (budget)
        db_budget(c, 0); /* back to the request's deadline */
    for (int i = 0; i < n; i++)
        stream_done(v[i]);
    res->total = seen;
    if (cut)
        return 0;
    if (err || filters_failed(v, n))
        return -1;
    return whole;
}
