/* Searches by distance (near=, radius_km=): a match read whole sorted by
 * the distance of each person's nearest activity (near_small(),
 * near_whole()), or a large one read commune by commune, nearest first
 * (near_rings()), each commune's people intersected with the filters in
 * pid order and ranked by relevance among equals. Distances come from
 * memory (where every activity is: dataset.h), or from the activity rows
 * without it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "places.h"
#include "rowid.h"
#include "search_int.h"
#include "banned.h"

/* The people of one commune (one distance) are ranked by relevance: at
 * most this many. */
#define NEAR_BATCH 1000
/* In a commune with at least this many activities, the commune-by-commune
 * read of a name match leapfrogs with the FTS5 match (re-running it costs
 * 5-50 us) instead of checking each activity's person (~0.4 us). */
#define RING_FTS_MIN 500

/* An activity row (insee, postcode, city_fold): its distance in km from
 * the query's point, or NAN when it cannot be placed closer than its
 * department's middle (meaningless for a radius). */
static double act_km(const struct db_conn *c, const struct sq *q,
                     const char *insee, const char *pc, const char *town)
{
    int k;
    double lat, lon;
    int how = geo_locate(search_geo(c), insee, pc, town, &k, &lat, &lon);
    if (how == GEO_NONE || how == GEO_DEPT)
        return NAN;
    return places_distance_km(q->lat, q->lon, lat, lon);
}

/* The distances of pid's activities (in aid order, as record.c lists
 * them) into km[0..*n) (at most max), and the nearest (NAN if none). */
double near_pid_km(struct db_conn *c, const struct sq *q, long long pid,
                   double *km, size_t max, size_t *n)
{
    if (dataset_has_placements(db_dataset(c))) {
        /* In memory (dataset.h): tens of nanoseconds. */
        size_t cnt;
        double best =
            dataset_pid_km(db_dataset(c), pid, q->lat, q->lon, km, max, &cnt);
        if (n)
            *n = cnt < max ? cnt : max;
        return best;
    }
    sqlite3_stmt *st =
        db_prepare(c, "SELECT insee, postcode, city_fold FROM activity WHERE "
                      "aid" ROWID_RANGE_SQL " ORDER BY aid");
    double best = NAN;
    if (n)
        *n = 0;
    if (!st)
        return best;
    sqlite3_bind_int64(st, 1, pid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        double d = act_km(c, q, db_text(st, 0), db_text(st, 1), db_text(st, 2));
        if (!isnan(d) && (isnan(best) || d < best))
            best = d;
        if (km && *n < max)
            km[(*n)++] = d;
    }
    db_done(st);
    return best;
}

struct near_hit {
    long long pid;
    double km;
    size_t rank; /* position in the relevance order */
};

static int near_cmp(const void *a, const void *b)
{
    const struct near_hit *x = a, *y = b;
    /* Tenths of a km, as shown: closer first, then by relevance. */
    long dx = lround(x->km * 10), dy = lround(y->km * 10);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* The people of res->all with an activity within the radius, nearest
 * first (among equals, in res->all's order); their number into *n. */
static struct near_hit *near_hits(struct db_conn *c, const struct sq *q,
                                  const struct result *res, size_t *n)
{
    struct near_hit *h = xmalloc((res->nall ? res->nall : 1) * sizeof(*h));
    *n = 0;
    for (size_t i = 0; i < res->nall; i++) {
        double km = near_pid_km(c, q, res->all[i], NULL, 0, NULL);
        if (!isnan(km) && km <= q->radius_km)
            h[(*n)++] = (struct near_hit){res->all[i], km, i};
    }
    if (*n > 1)
        qsort(h, *n, sizeof(*h), near_cmp);
    return h;
}

/* A match read whole and ranked (res->all): keeps those with an activity
 * within the radius, nearest first (relevance among equals), and takes
 * the page. */
void near_small(struct db_conn *c, const struct sq *q, struct result *res)
{
    size_t n;
    struct near_hit *h = near_hits(c, q, res, &n);
    size_t pcap = 0;
    res->n = 0;
    for (size_t i = 0; i < n; i++) {
        res->all[i] = h[i].pid;
        if (i >= (size_t)q->offset && i < (size_t)(q->offset + q->limit))
            result_push(&res->pid, &res->n, &pcap, h[i].pid);
    }
    res->nall = n;
    res->total = (long long)n;
    res->total_exact = 1;
    free(h);
}

/* Who was already placed (open addressing on pids). */
struct pidset {
    long long *v;
    size_t cap, n;
};

static int pidset_add(struct pidset *s, long long pid)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        long long *nv = xcalloc(ncap, sizeof(*nv));
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i]) {
                size_t j =
                    ((size_t)s->v[i] * 0x9E3779B97F4A7C15ull) & (ncap - 1);
                while (nv[j])
                    j = (j + 1) & (ncap - 1);
                nv[j] = s->v[i];
            }
        free(s->v);
        s->v = nv;
        s->cap = ncap;
    }
    size_t j = ((size_t)pid * 0x9E3779B97F4A7C15ull) & (s->cap - 1);
    while (s->v[j]) {
        if (s->v[j] == pid)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = pid;
    s->n++;
    return 1;
}

/* A name match read whole but too large to rank whole (res->all, pid
 * order): those with an activity within the radius, nearest first (by
 * distances in memory), each group at one distance that the page reaches
 * ranked by relevance. */
int near_whole(struct db_conn *c, struct search *s)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    size_t n; /* equals stay in pid order (res->all's) */
    struct near_hit *h = near_hits(c, q, res, &n);
    size_t end = (size_t)(q->offset + q->limit), pcap = 0;
    long long *grp = xmalloc((n ? n : 1) * sizeof(*grp));
    int rc = 0;
    res->n = 0;
    for (size_t i = 0; i < n && i < end;) {
        size_t j = i;
        while (j < n && lround(h[j].km * 10) == lround(h[i].km * 10))
            j++;
        /* One distance: by relevance. */
        size_t ng = j - i;
        for (size_t k = 0; k < ng; k++)
            grp[k] = h[i + k].pid;
        if (ng > 1 && rank_pids(c, q, &s->tp, grp, &ng) < 0) {
            rc = -1;
            break;
        }
        for (size_t k = 0; k < ng; k++)
            if (i + k >= (size_t)q->offset && i + k < end)
                result_push(&res->pid, &res->n, &pcap, grp[k]);
        i = j;
    }
    free(grp);
    free(h);
    res->total = (long long)n;
    res->total_exact = 1;
    return rc;
}

/* A large match, or filters alone, by distance: the communes within the
 * radius, nearest first; in each, its activities (by commune code, and,
 * when no other commune bears its name, by town name for those without a
 * code) intersected with the filters in pid order, names checked (names).
 * A person is placed at the first commune they are found in: their
 * nearest. The people of one commune are ranked by relevance (up to
 * NEAR_BATCH). Stops once the page is full and the counting budget
 * spent, or at the request's limits. */
int near_rings(struct db_conn *c, struct search *s, int names, int count)
{
    const struct sq *q = &s->q;
    const struct geo *geo = search_geo(c);
    const struct dataset *ds = db_dataset(c);
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    struct geo_hit *hits;
    size_t nh = geo_within(geo, q->lat, q->lon, q->radius_km, &hits);
    struct pidset seen = {0};
    struct stream *cs = xmalloc(sizeof(*cs));
    long long *batch = NULL, found = 0, extra = 0;
    size_t capb = 0, need = (size_t)(q->offset + q->limit), pcap = 0;
    int rc = 0, budget = 0, done = 1;
    int mem = dataset_has_placements(ds);
    /* The words once, not at each candidate whose names are checked. */
    struct rank_word w[TOK_MAX * 3];
    if (names)
        rank_words(q, &s->tp, w);
    for (size_t h = 0; h < nh; h++) {
        const struct geo_commune *k = geo_commune(geo, hits[h].commune);
        size_t people = 0;
        if (mem) {
            /* In memory: the people placed in this commune (as their
             * distances are). */
            const uint32_t *pids;
            people = (size_t)dataset_commune_pids(ds, hits[h].commune, &pids);
            stream_init_mem(cs, pids, people,
                            filters_order_key(ORD_PLACE, k->activities));
        } else {
            struct sq one = {0};
            char *insee = (char *)k->insee;
            int cs_n;
            if (k->parent < 0 &&
                geo_by_name(geo, k->name_fold, strlen(k->name_fold), &cs_n,
                            1) == 1)
                params_add_towns(&one, k);
            int r = filters_commune_stream(c, cs, &insee, 1, one.towns,
                                           one.ntown, 'R');
            for (int i = 0; i < one.ntown; i++)
                free(one.towns[i]);
            if (r < 0) {
                rc = -1;
                break;
            }
        }
        struct stream *v[6] = {cs};
        int n = 1, err = 0;
        for (int i = 0; i < fp->nv; i++) {
            stream_rewind(fp->v[i]);
            v[n++] = fp->v[i];
        }
        /* A large commune: leapfrog with the name match (worth running its
         * FTS5 expression again) rather than check every activity's
         * person; in memory, only when stepping through the match (est
         * rows at most: the commune's people span the pids) costs less
         * than checking its people's names (MEM_PERSON_US each, asked for
         * ahead). */
        int fts = names && k->activities >= RING_FTS_MIN &&
                  (!mem || (double)s->tp.est * FTS_ROW_US <
                               (double)people * MEM_PERSON_US);
        if (fts) {
            stream_rewind(&s->text);
            v[n++] = &s->text;
        }
        /* This commune's people not placed nearer, in pid order: into the
         * batch while the page needs them (with names, up to NEAR_BATCH
         * of them, to rank), then only counted, within the budget. */
        size_t nb = 0;
        long long p = fp->lo;
        while ((p = filters_next(fp, v, n, p, &err)) != STREAM_END) {
            if (names && !fts && cs->mem) {
                size_t j = cs->pos + NAMES_AHEAD;
                if (j < cs->nmem)
                    dataset_names_prefetch(ds, cs->mem[j], 1);
                if (j + NAMES_AHEAD < cs->nmem)
                    dataset_names_prefetch(ds, cs->mem[j + NAMES_AHEAD], 0);
            }
            if ((!names || fts || rank_names_match(ds, w, q->ntok, p)) &&
                pidset_add(&seen, p)) {
                if ((size_t)found + nb < need ||
                    (names && nb < NEAR_BATCH && (size_t)found < need))
                    result_push(&batch, &nb, &capb, p);
                else
                    extra++;
            }
            p++;
            if (!budget && (size_t)(found + extra) + nb >= need) {
                if (!count)
                    break;
                db_budget(c, search_tune.count_ms);
                budget = 1;
            }
            if (db_over(c))
                break;
        }
        int failed = err || filters_failed(v, n);
        for (int i = 0; i < n; i++)
            stream_done(v[i]);
        if (failed && !db_interrupted(c)) {
            rc = -1;
            break;
        }
        if (names && nb > 1 && (size_t)found < need) {
            /* One distance: by relevance. */
            struct result r1 = {.all = batch, .nall = nb};
            struct sq qq = *q;
            qq.offset = 0;
            qq.limit = (long)nb;
            if (rank_match(c, &qq, &s->tp, &r1, 0) < 0) {
                free(r1.pid);
                rc = -1;
                break;
            }
            free(r1.pid);
            nb = r1.nall;
        }
        for (size_t i = 0; i < nb; i++, found++)
            if ((size_t)found >= (size_t)q->offset && (size_t)found < need)
                result_push(&res->pid, &res->n, &pcap, batch[i]);
        found += extra;
        extra = 0;
        /* The counting budget is small: the clock once a commune. */
        if ((budget ? db_over_now(c) : db_over(c)) ||
            (!count && (size_t)found >= need)) {
            done = 0;
            break;
        }
    }
    if (budget)
        db_budget(c, 0);
    free(batch);
    res->total = found;
    res->total_exact = done;
    free(seen.v);
    free(cs);
    free(hits);
    return rc;
}
