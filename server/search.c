/* GET /v1/search and /v1/suggest: parameters -> a match in pid order -> a
 * ranked page.
 *
 * q is read by understand.c when the database has a search lexicon
 * (dataset.h): its profession, specialty, mode and place words become the
 * filters the request leaves empty, the rest are name words. Name words
 * that find nobody are read again with their typo and sound-alike
 * neighbours (typo.h), which rank after every exact and prefix match.
 * near= orders by distance (geo.h): a small match is sorted whole, a
 * large one read commune by commune, nearest first.
 *
 * Where the time goes (docs/performance.md): scoring every match is the cost, a
 * read that stops after 20 rows in pid order (the default order, fixed at
 * import) is microseconds. Every condition is therefore read as a stream of
 * pids in ascending order (stream.h): the name words' FTS5 match (rowid =
 * pid), the profession and specialty indexes (code, pid), the activity
 * indexes (key, aid: a row id, rowid.h), has_mss as a pid range (those with
 * a mailbox come first). Their intersection is read by leapfrogging and
 * stops as soon as it has what it needs:
 *  - filters only: the page is the first offset + limit pids;
 *  - with name words, a small match (<= 1000 people) is read whole and
 *    ranked exactly in C (word tiers, then bm25, then pid);
 *  - a larger one is read tier by tier (exact family word, exact first
 *    name, family prefix, first-name prefix: one FTS5 expression each, in
 *    pid order), stopping when the page is full.
 * Counting a large match is bounded by a time budget: past it, `total` is a
 * lower bound and `total_exact` is false.
 *
 * The words of q, name and given become FTS5 expressions in one place,
 * text_plan(): the hook for query understanding and typo tolerance. Nothing
 * here knows about HTTP. */
#include "search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facets.h"
#include "record.h"
#include "search_int.h"
#include "banned.h"

/* A name match up to this many people (by its estimate) is read whole
 * with near= and placed in memory (~0.2 us a person to read, 70 ns to
 * place); a larger one is read commune by commune. */
#define NEAR_WHOLE 20000
/* Name words are read again with their typo and sound-alike neighbours
 * when their exact and prefix match finds fewer people than this: a
 * second reading costs as much as the first, so only when nobody came. */
#define TYPO_SHORT 1
/* The budget reads about 5,000 rows of a one-word match: a word whose rows
 * add up to more than this (more than twice as many people, however many
 * of them carry the word twice) is not counted; its total is the lower
 * bound already known (the most common of its words). */
#define COUNT_EST_MAX 20000
/* Reading the filters' people for a large name match: at most this many,
 * within search_tune.driver_ms. */
#define DRIVER_PIDS 20000
/* What the memory driver costs besides MEM_PERSON_US a person, to weigh
 * it against the name match (FTS_ROW_US a row of its rarest word): it
 * scans a bit per pid (~3 ns a 64-bit word: 0.1 ms for 1.9 M pids), and
 * fp->check is a statement per person. */
#define MEM_WORD_US 0.003
#define CHECK_US 2.0

struct search_tune search_tune = SEARCH_TUNE_DEFAULT;

void search_tune_set(const struct search_tune *t)
{
    search_tune = *t;
}

struct search_tune search_tune_get(void)
{
    return search_tune;
}

/* A large match, tier by tier in pid order until the page is full.
 * *seen gets the number of matches read; *whole is 1 if that is all of
 * them. */
static int read_tiers(struct db_conn *c, const struct sq *q,
                      const struct text_plan *tp, struct fplan *fp,
                      struct result *res, long long *seen, int *whole)
{
    long skip = q->offset, need = q->limit;
    size_t pcap = 0;
    *seen = 0;
    *whole = 0;
    struct stream *ts = xmalloc(sizeof(*ts));
    int rc = 0;
    for (int k = 0; k < tp->ntier && need > 0; k++) {
        if (text_stream(c, ts, tp->tier[k].s, 'T', tp->lazy, tp->est) < 0) {
            rc = -1;
            break;
        }
        struct stream *v[5] = {ts};
        int n = 1;
        for (int i = 0; i < fp->nv; i++) {
            stream_rewind(fp->v[i]);
            v[n++] = fp->v[i];
        }
        qsort(v, (size_t)n, sizeof(*v), filters_est_cmp);
        long long p = fp->lo;
        int err = 0;
        while (need > 0 &&
               (p = filters_next(fp, v, n, p, &err)) != STREAM_END) {
            if (skip > 0)
                skip--;
            else {
                result_push(&res->pid, &res->n, &pcap, p);
                need--;
            }
            (*seen)++;
            p++;
        }
        if (k == tp->ntier - 1 && need > 0)
            *whole = 1;
        for (int i = 0; i < n; i++)
            stream_done(v[i]);
        if (err || filters_failed(v, n)) {
            rc = -1;
            break;
        }
    }
    free(ts);
    return rc;
}

static int run_text_twice(struct db_conn *c, struct search *s, int count);

/* The first keep matches among the people of the structures named
 * exactly (q->st_first), in pid order, into first->all: the filters
 * planned with them in place of every matched structure's people. 0, or
 * -1 on an error (first->all may hold some: the caller frees it). */
static int first_tier(struct db_conn *c, struct search *s, size_t keep,
                      struct result *first)
{
    struct sq *q = &s->q;
    struct fplan fp;
    uint32_t *all = q->st_pids;
    size_t nall = q->st_npids;
    q->st_pids = q->st_first;
    q->st_npids = q->st_nfirst;
    int rc = filters_plan(c, q, &fp, 1);
    q->st_pids = all;
    q->st_npids = nall;
    if (rc < 0)
        return -1;
    return filters_read(c, &fp, fp.v, fp.nv, keep, 0, first) < 0 ? -1 : 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* res->all (every match's first ones, pid order) ranked with first's
 * (ascending, a subset of the match) ahead, keep at most; first's array
 * taken. */
static void tier_merge(struct result *res, struct result *first, size_t keep)
{
    long long *v = first->all;
    size_t n = first->nall, cap = first->capall;
    for (size_t i = 0; i < res->nall && n < keep; i++)
        if (!bsearch(&res->all[i], first->all, first->nall, sizeof(long long),
                     cmp_ll))
            result_push(&v, &n, &cap, res->all[i]);
    free(res->all);
    res->all = v;
    res->nall = n;
    res->capall = cap;
    first->all = NULL;
}

/* Runs the search: the page's pids in s->res. count=0 (suggest) skips the
 * total. */
static int run_search(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    if (params_nothing_left(q)) {
        res->total_exact = 1;
        return 0;
    }
    /* The exact structures' people first, before the filters are planned
     * for the whole match: the plans share the connection's cached
     * statements, which planning resets. */
    size_t keep = (size_t)(q->offset + q->limit);
    struct result first = {0};
    if (q->ntok == 0 && !q->near && q->st_nfirst &&
        first_tier(c, s, keep, &first) < 0) {
        free(first.all);
        return -1;
    }
    if (filters_plan(c, q, fp, q->ntok == 0 && !q->near) < 0) {
        free(first.all);
        return -1;
    }
    if (q->ntok == 0 && q->near)
        return near_rings(c, s, 0, count);
    if (q->ntok == 0) {
        int known = fp->known_total >= 0;
        int whole = filters_read(c, fp, fp->v, fp->nv, keep + first.nall,
                                 count && !known, res);
        if (whole < 0) {
            free(first.all);
            return -1;
        }
        if (first.nall)
            tier_merge(res, &first, keep);
        size_t pcap = 0;
        for (size_t i = (size_t)q->offset; i < res->nall; i++)
            result_push(&res->pid, &res->n, &pcap, res->all[i]);
        if (known) {
            res->total = fp->known_total;
            res->total_exact = 1;
        } else {
            res->total_exact = whole;
        }
        if (!whole || (size_t)res->total > res->nall) {
            free(res->all);
            res->all = NULL;
            res->nall = res->capall = 0;
        }
        return 0;
    }
    return run_text_twice(c, s, count);
}

/* ranked: the match read whole (res->all) ranked, then (near=) sorted by
 * distance, and the page taken. */
static int ranked(struct db_conn *c, struct search *s, int strict)
{
    struct sq *q = &s->q;
    struct result *res = &s->res;
    if (!q->near)
        return rank_match(c, q, &s->tp, res, strict);
    long off = q->offset, lim = q->limit;
    q->offset = 0;
    q->limit = (long)res->nall + 1;
    int r = rank_match(c, q, &s->tp, res, strict);
    q->offset = off;
    q->limit = lim;
    free(res->pid);
    res->pid = NULL;
    res->n = 0;
    if (r < 0)
        return -1;
    near_small(c, q, res);
    return 0;
}

/* One candidate p of the memory driver, kept if it passes the place
 * check: 1 to go on, 0 past DRIVER_PIDS (res emptied), -1 on an error. */
static int driver_take(struct fplan *fp, struct result *res, long long p,
                       long long *seen)
{
    int ok = filters_place_ok(fp, p); /* bits and runs: profession and range */
    if (ok <= 0)
        return ok < 0 ? -1 : 1;
    if (++*seen > DRIVER_PIDS) {
        free(res->all);
        res->all = NULL;
        res->nall = res->capall = 0;
        return 0;
    }
    result_push(&res->all, &res->nall, &res->capall, p);
    return 1;
}

/* The people of the place in memory (fp->place_bits, pid order) that
 * pass the profession, the pid range and fp->check into res->all, the old
 * driver's set (filters_read() of the filter streams, DRIVER_PIDS at
 * most): 1 with all of them, 0 if there are more (res emptied), -1 on a
 * database error. */
static int mem_driver(struct fplan *fp, struct result *res)
{
    const uint64_t *bits = fp->place_bits;
    long long seen = 0;
    int r;
    if (fp->place_run || !fp->place_m) {
        /* One run (or nobody): its people as they are, no scan of the
         * bits. */
        for (long long i = 0; i < fp->place_m; i++)
            if ((r = driver_take(fp, res, fp->place_run[i], &seen)) <= 0)
                return r;
    } else {
        for (long long w = fp->lo >> 6; w <= fp->hi >> 6; w++)
            for (uint64_t x = bits[w]; x; x &= x - 1)
                if ((r = driver_take(fp, res, (w << 6) | __builtin_ctzll(x),
                                     &seen)) <= 0)
                    return r;
    }
    res->total = seen;
    return 1;
}

/* mem_driver() into s->res (emptied first), then ranked with the names
 * checked: 1 when done, 0 when the place has too many people (s->res
 * empty), -1 on an error. */
static int mem_ranked(struct db_conn *c, struct search *s)
{
    struct result *res = &s->res;
    free(res->all);
    res->all = NULL;
    res->nall = res->capall = 0;
    res->total = 0;
    int r = mem_driver(&s->fp, res);
    if (r <= 0)
        return r;
    res->total_exact = 1;
    return ranked(c, s, 1) < 0 ? -1 : 1;
}

/* A large name match with filters: the filters' people read first, their
 * names matched in memory. 1 when that answered (*rc the search's
 * result), 0 to read the name match; *mem_drive: the place's people in
 * memory are to be read if the name match is too large to rank. */
static int filters_first(struct db_conn *c, struct search *s,
                         int *mem_drive_out, int *rc)
{
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    /* A large name match with filters: read the filters' people first and
     * match their names in memory (~0.2 us each); if they are too many,
     * step through the name match instead. With the place in memory and
     * no filter stream, the place's people come from memory (the set the
     * streams gave, without their 5 ms budget), read first only when
     * checking their names costs less than reading the name match;
     * otherwise the name match is read first, and the place's people
     * only if it is too large to rank whole, as before. Else the filter
     * streams, within a budget. */
    int mem_drive = fp->place_bits && fp->nv == 0 &&
                    fp->place_m <= DRIVER_PIDS &&
                    (s->tp.est > search_tune.cand_max || !s->tp.lazy);
    double mem_us =
        (double)((fp->hi >> 6) - (fp->lo >> 6) + 1) * MEM_WORD_US +
        (double)fp->place_m * (MEM_PERSON_US + (fp->check ? CHECK_US : 0));
    if (mem_drive && mem_us <= (double)s->tp.est * FTS_ROW_US) {
        int r = mem_ranked(c, s);
        if (r != 0) {
            *rc = r < 0 ? -1 : 0;
            return 1;
        }
        mem_drive = 0;
    } else if (fp->nv && (s->tp.est > search_tune.cand_max || !s->tp.lazy) &&
               !filters_domain_over(c, &s->q, fp, DRIVER_PIDS)) {
        /* (A domain of more owners than DRIVER_PIDS: reading its first
         * 20,000 only to give up cost 2 ms a search.) */
        db_budget(c, search_tune.driver_ms);
        int whole = filters_read(c, fp, fp->v, fp->nv, DRIVER_PIDS, 0, res);
        int cut = db_interrupted(c);
        db_budget(c, 0);
        if (whole < 0 && !cut) {
            *rc = -1;
            return 1;
        }
        if (whole == 1) {
            res->total_exact = 1;
            *rc = ranked(c, s, 1);
            return 1;
        }
        free(res->all);
        res->all = NULL;
        res->nall = res->capall = 0;
        for (int i = 0; i < fp->nv; i++)
            stream_rewind(fp->v[i]);
    }
    *mem_drive_out = mem_drive;
    return 0;
}

/* One word in any name column, no filter, a prefix FTS5 must merge
 * (beyond its prefix index) and one of its words alone too many to rank
 * exactly: straight to the tiers (the merge is paid once, not also to
 * find out the match is large), total a lower bound. */
static int one_word_tiers(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    long long seen;
    int all;
    if (read_tiers(c, q, &s->tp, fp, res, &seen, &all) < 0)
        return -1;
    res->total = all || seen > s->tp.lower ? seen : s->tp.lower;
    res->total_exact = all;
    /* Count within the budget, from the start, unless the word's
     * rows (an upper bound of the match) say the budget cannot reach
     * its end: it would stop at a lower bound below the one known. */
    if (all || !count || !s->tp.lazy || s->tp.est > COUNT_EST_MAX)
        return 0;
    if (text_all_stream(c, &s->text, &s->tp, 1) < 0)
        return -1;
    struct result cr = {0};
    struct stream *cv[1] = {&s->text};
    int whole = filters_read(c, fp, cv, 1, 0, 1, &cr);
    free(cr.all);
    if (whole < 0)
        return -1;
    if (whole || cr.total > res->total)
        res->total = cr.total;
    res->total_exact = whole == 1;
    return 0;
}

/* A name match too large to rank whole, with near=: read whole and placed
 * in memory, or commune by commune (near.c). */
static int text_near(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    for (int i = 0; i < fp->nv; i++)
        stream_rewind(fp->v[i]);
    /* Read whole and placed in memory (~1.5 us a person) when that
     * costs less than the commune-by-commune read (~0.4 us an
     * activity, until the page is full: about need / density
     * activities, at most those within the radius). */
    const struct geo *geo = search_geo(c);
    int mem = dataset_has_placements(db_dataset(c));
    double whole_us = 1.5 * (double)s->tp.est, ring_us = 0;
    if (mem && s->tp.est <= NEAR_WHOLE) {
        struct geo_hit *hits;
        size_t nh = geo_within(geo, q->lat, q->lon, q->radius_km, &hits);
        double acts = 0, all = (double)dataset_nactivities(db_dataset(c));
        for (size_t h = 0; h < nh; h++)
            acts += geo_commune(geo, hits[h].commune)->activities;
        free(hits);
        double scan = (double)(q->offset + q->limit) * all /
                      (double)(s->tp.est ? s->tp.est : 1);
        ring_us = 0.4 * (scan < acts ? scan : acts);
    }
    if (mem && s->tp.est <= NEAR_WHOLE && whole_us < ring_us) {
        if (text_all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
            return -1;
        struct stream *w[5] = {&s->text};
        int wn = 1;
        for (int i = 0; i < fp->nv; i++)
            w[wn++] = fp->v[i];
        int all = filters_read(c, fp, w, wn, NEAR_WHOLE, 0, res);
        if (all < 0)
            return -1;
        if (all == 1)
            return near_whole(c, s);
        free(res->all);
        res->all = NULL;
        res->nall = res->capall = 0;
        for (int i = 0; i < fp->nv; i++)
            stream_rewind(fp->v[i]);
    }
    /* Larger: commune by commune, each person's names checked in
     * memory, or in a large commune through the name match. */
    if (text_all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
        return -1;
    return near_rings(c, s, 1, count);
}

/* The name words' part of the search. */
static int run_text(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    text_plan(c, q, &s->tp);
    if (s->tp.none) {
        res->total_exact = 1;
        return 0;
    }
    int mem_drive, rc;
    if (filters_first(c, s, &mem_drive, &rc))
        return rc;
    int one = q->ntok == 1 && q->tok[0].cols == COL_ANY && fp->nv == 0 &&
              !fp->place_bits;
    if (one && !q->near && s->tp.lower > search_tune.cand_max)
        return one_word_tiers(c, s, count);
    if (text_all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
        return -1;
    struct stream *v[5] = {&s->text};
    int n = 1;
    for (int i = 0; i < fp->nv; i++)
        v[n++] = fp->v[i];
    /* near= with one word that more than cand_max people carry and
     * no filter: the match is too large to rank whole, and near= reads it again
     * its own way; reading its first cand_max rows to find that out
     * cost as much as the rest of the search (a prefix FTS5 merges). */
    int large = q->near && one && s->tp.lower > search_tune.cand_max &&
                !fp->prof_of && !fp->check && fp->lo == 1 &&
                fp->hi == db_max_pid(c);
    int whole =
        large ? 0 : filters_read(c, fp, v, n, search_tune.cand_max, count, res);
    if (whole < 0)
        return -1;
    if (whole && res->total <= search_tune.cand_max) {
        res->total_exact = 1;
        return ranked(c, s, 0);
    }
    /* Too large to rank from the name match: the place's people, as the
     * filters' people were read first before. */
    if (mem_drive) {
        int r = mem_ranked(c, s);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    res->total_exact = whole;
    free(res->all);
    res->all = NULL;
    res->nall = res->capall = 0;
    if (q->near)
        return text_near(c, s, count);
    long long seen;
    int all;
    if (read_tiers(c, q, &s->tp, fp, res, &seen, &all) < 0)
        return -1;
    /* The count stopped at its budget: a larger lower bound may be known
     * (the tiers read further, or one word's own count). */
    if (!whole && seen > res->total)
        res->total = seen;
    if (!whole && one && s->tp.lower > res->total)
        res->total = s->tp.lower;
    return 0;
}

/* The search's name words, read once as typed and, if that finds fewer
 * than TYPO_SHORT people, again with their typo and sound-alike
 * neighbours (those rank after every exact and prefix match). */
static int run_text_twice(struct db_conn *c, struct search *s, int count)
{
    if (run_text(c, s, count) < 0)
        return -1;
    if (!search_und(c) || !count || s->q.typos || s->res.total >= TYPO_SHORT ||
        db_expired(c))
        return 0;
    struct result *res = &s->res;
    free(res->pid);
    free(res->all);
    memset(res, 0, sizeof(*res));
    text_plan_release(&s->tp, s->q.ntok);
    for (int i = 0; i < s->fp.nv; i++)
        stream_rewind(s->fp.v[i]);
    s->q.typos = 1;
    return run_text(c, s, count);
}
static void search_release(struct search *s)
{
    free(s->res.pid);
    free(s->res.all);
    if (s->q.ntok)
        text_plan_release(&s->tp, s->q.ntok);
    params_release(&s->q);
    free(s);
}

/* near=: a result with "distance_km" on each activity (null where it
 * cannot be placed) and on the result (the nearest). */
static int near_record(struct db_conn *c, const struct sq *q, struct buf *b,
                       long long pid)
{
    double km[64];
    size_t n;
    double best = near_pid_km(c, q, pid, km, 64, &n);
    return record_write_near(c, b, pid, km, n, best);
}

/* The page as JSON text (record.c says why not jansson values). */
static void put_page(struct db_conn *c, struct search *s, struct buf *b)
{
    buf_addf(b,
             "{\"total\":%lld,\"total_exact\":%s,\"limit\":%ld,"
             "\"offset\":%ld,\"results\":[",
             s->res.total, s->res.total_exact ? "true" : "false", s->q.limit,
             s->q.offset);
    int n = 0;
    for (size_t i = 0; i < s->res.n; i++) {
        size_t mark = b->len;
        if (n)
            buf_add(b, ",", 1);
        if (s->q.near ? near_record(c, &s->q, b, s->res.pid[i]) < 0
                      : record_write(c, b, s->res.pid[i], 0) < 0) {
            buf_truncate(b, mark);
        } else {
            n++;
        }
    }
    buf_add(b, "]", 1);
    if (s->q.facets) {
        json_t *f = facets_compute(c, s);
        char *t = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        buf_addstr(b, ",\"facets\":");
        buf_addstr(b, t ? t : "null");
        free(t);
    }
    if (s->q.und) {
        json_t *u = understand_json(search_und(c), search_geo(c), s->q.und);
        /* What params.c read besides (structure, street, identifier). */
        if (s->q.und_structure)
            json_object_set_new(u, "structure",
                                json_pack("{s:s}", "from", s->q.und_structure));
        if (s->q.und_street)
            json_object_set_new(u, "street",
                                json_pack("{s:s}", "from", s->q.und_street));
        if (s->q.mss_from_q)
            json_object_set_new(u, "mssante",
                                json_pack("{s:s}", "from", s->q.mss));
        if (s->q.und_ident && strcmp(s->q.und_ident, "siret") == 0)
            json_object_set_new(u, "siret", json_string(s->q.st_siret));
        else if (s->q.und_ident)
            json_object_set_new(u, "finess", json_string(s->q.st_finess));
        char *t = json_dumps(u, JSON_COMPACT);
        json_decref(u);
        buf_addstr(b, ",\"understood\":");
        buf_addstr(b, t ? t : "null");
        free(t);
    }
    buf_add(b, "}", 1);
}

/* Nothing found, and q named a place that is also a name (PARIS, LAVAL):
 * prepares the other reading, those words as name words. 1 if there is
 * one to run. */
static int reread_place_as_name(struct db_conn *c, struct search *s)
{
    struct sq *q = &s->q;
    if (!q->und || !q->und->place.ambiguous || !(q->from_q & FROM_Q_PLACE))
        return 0;
    free(s->res.pid);
    free(s->res.all);
    memset(&s->res, 0, sizeof(s->res));
    if (q->ntok)
        text_plan_release(&s->tp, q->ntok);
    memset(&s->tp, 0, sizeof(s->tp));
    return params_place_as_name(c, q);
}

/* Runs the search within the request's limits (db.h): 0 with the page in
 * s->res, which is what was found, total a lower bound and total_exact
 * false, if they stopped it (s->cut); -1 on a database error. */
static int search_limited(struct db_conn *c, struct search *s, int count)
{
    db_budget(c, 0);
    int rc = run_search(c, s, count);
    if (rc == 0 && count && s->res.total == 0 && !db_expired(c) &&
        reread_place_as_name(c, s))
        rc = run_search(c, s, count);
    s->cut = db_expired(c);
    db_unbudget(c); /* the page's records are rendered whatever the time */
    if (rc < 0 && !s->cut)
        return -1;
    if (s->cut) {
        struct result *res = &s->res;
        long long shown = s->q.offset + (long long)res->n;
        res->total_exact = 0;
        if (res->n && res->total < shown)
            res->total = shown;
    }
    return 0;
}

void api_search(struct db_conn *c, const struct api_req *r,
                struct api_resp *out)
{
    struct search *s = xcalloc(1, sizeof(*s));
    if (params_parse(c, r, &s->q, PARAMS_SEARCH, out) < 0) {
        search_release(s);
        return;
    }
    if (search_limited(c, s, 1) < 0) {
        api_error(out, 503, "database error");
        search_release(s);
        return;
    }
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    put_page(c, s, &b);
    search_release(s);
    api_reply_text(r, out, 200, &b);
}

void api_suggest(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    struct search *s = xcalloc(1, sizeof(*s));
    if (params_parse(c, r, &s->q, PARAMS_SUGGEST, out) < 0) {
        search_release(s);
        return;
    }
    if (s->q.nq > 2) {
        api_error(out, 400, "suggest takes one or two words");
        search_release(s);
        return;
    }
    if (search_limited(c, s, 0) < 0) {
        api_error(out, 503, "database error");
        search_release(s);
        return;
    }
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    buf_addstr(&b, "{\"suggestions\":[");
    sqlite3_stmt *st = db_prepare(
        c, "SELECT national_id, last_name, first_name, profession_code"
           " FROM professional WHERE pid = ?1");
    int n = 0;
    for (size_t i = 0; st && i < s->res.n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, s->res.pid[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        const char *id = db_text(st, 0), *last = db_text(st, 1),
                   *first = db_text(st, 2), *prof = db_text(st, 3);
        char text[512];
        snprintf(text, sizeof(text), "%s%s%s", last ? last : "",
                 last && first ? " " : "", first ? first : "");
        buf_addstr(&b, n++ ? ",{\"id\":" : "{\"id\":");
        json_put_str(&b, id ? id : "");
        buf_addstr(&b, ",\"text\":");
        json_put_str(&b, text);
        buf_addstr(&b, ",\"last_name\":");
        json_put_str(&b, last ? last : "");
        buf_addstr(&b, ",\"first_name\":");
        json_put_str(&b, first ? first : "");
        buf_addstr(&b, ",\"profession\":");
        json_put_str(&b, prof ? db_label(c, "profession", prof) : NULL);
        buf_add(&b, "}", 1);
    }
    db_done(st);
    buf_addstr(&b, "]}");
    search_release(s);
    api_reply_text(r, out, 200, &b);
}

int search_pids(struct db_conn *c, const struct api_req *r, long limit,
                long offset, struct search_page *pg, struct api_resp *out)
{
    memset(pg, 0, sizeof(*pg));
    struct search *s = xcalloc(1, sizeof(*s));
    if (params_parse(c, r, &s->q, PARAMS_FACADE, out) < 0) {
        search_release(s);
        return -1;
    }
    s->q.limit = limit;
    s->q.offset = offset;
    if (search_limited(c, s, 1) < 0) {
        search_release(s);
        api_error(out, 503, "database error");
        return -1;
    }
    pg->pid = s->res.pid;
    pg->n = s->res.n;
    pg->total = s->res.total;
    pg->total_exact = s->res.total_exact;
    s->res.pid = NULL;
    search_release(s);
    return 0;
}
