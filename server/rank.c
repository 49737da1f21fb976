/* The order of a page: the pure functions of rank.h over a person's
 * folded names, and rank_match() (search_int.h), which applies them to a
 * match read whole, its names read from memory. */
#include <stdlib.h>
#include <string.h>

#include "rank.h"
#include "search_int.h"
#include "banned.h"

/* The pure functions below are each a static body and a public wrapper
 * (rank.h, for tests): rank_match() and rank_names_match() run them for
 * every candidate, and the compiler inlines a static function (the token
 * class into the tiers) where it keeps an extern one a call. The ranking
 * ran 13 % more instructions after the core split than before it, in part
 * for those calls (issue 12, callgrind, docs/performance.md). */
static int word_class(const char *t, size_t tl, const char *s, int *prefix)
{
    /* 2 exact, 1 prefix, 0 none */
    int best = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        size_t wl = (size_t)(e - s);
        if (wl >= tl && memcmp(s, t, tl) == 0) {
            if (wl == tl)
                return 2;
            best = 1;
        }
        s = e;
    }
    *prefix = best;
    return best;
}

int rank_word_class(const char *t, size_t tl, const char *s, int *prefix)
{
    return word_class(t, tl, s, prefix);
}

int rank_alt_in(const char (*alts)[RANK_ALT_LEN], int n, const char *s)
{
    int pre;
    for (int k = 0; k < n && s; k++) {
        size_t l = strlen(alts[k]);
        if (!strchr(alts[k], ' ')) {
            if (word_class(alts[k], l, s, &pre) == 2)
                return k + 1;
            continue;
        }
        for (const char *p = strstr(s, alts[k]); p; p = strstr(p + 1, alts[k]))
            if ((p == s || p[-1] == ' ') && (p[l] == '\0' || p[l] == ' '))
                return k + 1;
    }
    return 0;
}

static inline int tok_class(const struct rank_word *t, const char *last,
                            const char *first, const char *join)
{
    size_t tl = strlen(t->s);
    int pl = 0, pj = 0, pf = 0;
    int fam = 0, fir = 0;
    if (t->cols & COL_FAM) {
        int a = word_class(t->s, tl, last, &pl);
        int b = word_class(t->s, tl, join, &pj);
        fam = a > b ? a : b;
    }
    if (t->cols & COL_FIRST)
        fir = word_class(t->s, tl, first, &pf);
    if (fam == 2)
        return 0;
    if (fir == 2)
        return 1;
    if (fam == 1)
        return 2;
    if (fir == 1)
        return 3;
    return -1;
}

int rank_tok_class(const struct rank_word *t, const char *last,
                   const char *first, const char *join)
{
    return tok_class(t, last, first, join);
}

/* Words of s (space-separated) that begin with t. */
static int prefix_count(const char *t, size_t tl, const char *s)
{
    int n = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - s) >= tl && tl && memcmp(s, t, tl) == 0)
            n++;
        s = e;
    }
    return n;
}

static int word_count(const char *s)
{
    int n = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        if (*s)
            n++;
        while (*s && *s != ' ')
            s++;
    }
    return n;
}

static double bm25(const struct rank_word *w, int n, double avgdl,
                   const char *last, const char *first, const char *join)
{
    double dl = word_count(last) + word_count(first) + word_count(join);
    double score = 0;
    for (int i = 0; i < n; i++) {
        const struct rank_word *t = &w[i];
        size_t tl = strlen(t->s);
        double tf = 0;
        if (t->cols & COL_FAM)
            tf += prefix_count(t->s, tl, last) + prefix_count(t->s, tl, join);
        if (t->cols & COL_FIRST)
            tf += prefix_count(t->s, tl, first);
        score += t->idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * dl / avgdl));
    }
    return -score;
}

double rank_bm25(const struct rank_word *w, int n, double avgdl,
                 const char *last, const char *first, const char *join)
{
    return bm25(w, n, avgdl, last, first, join);
}

int rank_cmp(const void *a, const void *b)
{
    const struct rank_cand *x = a, *y = b;
    if (x->ntypo != y->ntypo)
        return x->ntypo - y->ntypo;
    if (x->altrank != y->altrank)
        return x->altrank - y->altrank;
    if (x->nprefix != y->nprefix)
        return x->nprefix - y->nprefix;
    if (x->nfirst != y->nfirst)
        return x->nfirst - y->nfirst;
    if (x->bm25 != y->bm25)
        return x->bm25 < y->bm25 ? -1 : 1; /* more negative = better */
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int tiers(const struct rank_word *w, int n, struct rank_cand *cd,
                 const char *last, const char *first, const char *join,
                 int strict)
{
    cd->ntypo = cd->altrank = cd->nprefix = cd->nfirst = 0;
    for (int i = 0; i < n; i++) {
        const struct rank_word *t = &w[i];
        int k = tok_class(t, last, first, join), a;
        if (k < 0 && t->nalt) {
            /* 4: a neighbour in the family name, 5: in the first name. */
            if ((t->cols & COL_FAM) &&
                ((a = rank_alt_in(t->alts, t->nalt, last)) ||
                 (a = rank_alt_in(t->alts, t->nalt, join)))) {
                k = 4;
                cd->altrank += a;
            } else if ((t->cols & COL_FIRST) &&
                       (a = rank_alt_in(t->alts, t->nalt, first))) {
                k = 5;
                cd->altrank += a;
            }
        }
        if (k < 0 && strict)
            return -1;
        if (k < 0)
            k = 5;
        cd->ntypo += k >= 4;
        cd->nprefix += k >= 2 && k < 4;
        cd->nfirst += k == 1 || k == 3 || k == 5;
    }
    return 0;
}

int rank_tiers(const struct rank_word *w, int n, struct rank_cand *cd,
               const char *last, const char *first, const char *join,
               int strict)
{
    return tiers(w, n, cd, last, first, join, strict);
}

int rank_pids(struct db_conn *c, const struct sq *q, const struct text_plan *tp,
              long long *pids, size_t *n)
{
    struct result r = {.all = pids, .nall = *n};
    struct sq one = *q;
    one.offset = 0;
    one.limit = 0;
    int rc = rank_match(c, &one, tp, &r, 0);
    free(r.pid);
    *n = r.nall;
    return rc;
}

/* Sifts cd[i] down the heap cd[0..n) whose root is the worst candidate. */
static void worst_sift(struct rank_cand *cd, size_t n, size_t i)
{
    for (;;) {
        size_t w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && rank_cmp(&cd[l], &cd[w]) > 0)
            w = l;
        if (r < n && rank_cmp(&cd[r], &cd[w]) > 0)
            w = r;
        if (w == i)
            return;
        struct rank_cand t = cd[i];
        cd[i] = cd[w];
        cd[w] = t;
        i = w;
    }
}

/* The page of a large match without sorting all of it: a heap of the k
 * best so far, its worst at the root. */
void rank_best_first(struct rank_cand *cd, size_t n, size_t k)
{
    for (size_t i = k / 2; i-- > 0;)
        worst_sift(cd, k, i);
    for (size_t i = k; i < n; i++) {
        if (rank_cmp(&cd[i], &cd[0]) >= 0)
            continue;
        struct rank_cand t = cd[0];
        cd[0] = cd[i];
        cd[i] = t;
        worst_sift(cd, k, 0);
    }
    qsort(cd, k, sizeof(*cd), rank_cmp);
}

void rank_words(const struct sq *q, const struct text_plan *tp,
                struct rank_word *w)
{
    for (int i = 0; i < q->ntok; i++)
        w[i] = (struct rank_word){q->tok[i].s, q->tok[i].cols, tp->alts[i],
                                  tp->nalt[i], tp->idf[i]};
}

int rank_match(struct db_conn *c, const struct sq *q,
               const struct text_plan *tp, struct result *res, int strict)
{
    struct rank_word w[TOK_MAX * 3];
    rank_words(q, tp, w);
    const struct dataset *ds = db_dataset(c);
    double avgdl = db_fts_avgdl(c);
    struct rank_cand *cd = xmalloc((res->nall ? res->nall : 1) * sizeof(*cd));
    size_t n = 0;
    if (strict) {
        /* Candidates not yet known to match (a place's people): those
         * whose names have no word beginning as each word does (but a
         * word read with its neighbours, which may begin otherwise) are
         * passed over on their initials, without reading their names:
         * most of them, at ~10 ns instead of ~300. */
        uint32_t need = 0;
        for (int i = 0; i < q->ntok; i++)
            if (!tp->nalt[i] && q->tok[i].s[0])
                need |= dataset_initial_bit((unsigned char)q->tok[i].s[0]);
        const uint32_t *ini = dataset_initials(ds);
        long long npids = dataset_npids(ds);
        size_t k = 0;
        for (size_t i = 0; i < res->nall; i++) {
            long long p = res->all[i];
            if (p > 0 && p < npids && (ini[p] & need) != need)
                continue;
            res->all[k++] = p;
        }
        res->nall = k;
    }
    for (size_t i = 0; i < res->nall; i++) {
        const char *last, *first, *join;
        /* The pids are scattered over 60 MB of names: ask for them some
         * candidates ahead (2-3x faster on a large match). */
        if (i + 2 * NAMES_AHEAD < res->nall)
            dataset_names_prefetch(ds, res->all[i + 2 * NAMES_AHEAD], 0);
        if (i + NAMES_AHEAD < res->nall)
            dataset_names_prefetch(ds, res->all[i + NAMES_AHEAD], 1);
        if (dataset_names(ds, res->all[i], &last, &first, &join) < 0)
            continue;
        struct rank_cand x = {.pid = res->all[i]};
        if (tiers(w, q->ntok, &x, last, first, join, strict) < 0)
            continue;
        x.bm25 = bm25(w, q->ntok, avgdl, last, first, join);
        cd[n++] = x;
    }
    size_t page = (size_t)(q->offset + q->limit);
    if (q->limit > 0 && n > 2 * page)
        rank_best_first(cd, n, page);
    else if (n > 1)
        qsort(cd, n, sizeof(*cd), rank_cmp);
    for (size_t i = 0; i < n; i++)
        res->all[i] = cd[i].pid;
    res->nall = n;
    res->total = (long long)n;
    size_t pcap = 0;
    for (size_t i = (size_t)q->offset;
         i < n && i < (size_t)(q->offset + q->limit); i++)
        result_push(&res->pid, &res->n, &pcap, cd[i].pid);
    free(cd);
    return 0;
}

int rank_names_match(const struct dataset *ds, const struct rank_word *w, int n,
                     long long pid)
{
    const char *last, *first, *join;
    struct rank_cand x;
    if (dataset_names(ds, pid, &last, &first, &join) < 0)
        return 0;
    return tiers(w, n, &x, last, first, join, 1) == 0;
}
