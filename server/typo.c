/* Typo and sound-alike candidates. See typo.h.
 *
 * The edit search walks a trie with one row of the distance matrix per trie
 * level, on sorted arrays instead of a trie: two neighbouring words share
 * their first lcp[i] letters, so the rows for those levels are kept and only
 * the rest is computed. When every cell of a row exceeds the edits allowed
 * at that level, no word with that prefix can come back within them (a
 * row's minimum never decreases going down, transpositions included: the
 * cell two rows up plus one is never below the row between), so the walk
 * jumps past the whole prefix range.
 *
 * Walking from the root would visit every two- or three-letter prefix of
 * the dictionary (the first edit can be anywhere), which costs more in
 * cache misses than all the rest. So the query is cut in two, q = A x B
 * with one letter x between, and the words are also kept sorted reversed:
 *  - one edit leaves A intact (the word starts with A) or B intact (it
 *    ends with B): one edit cannot touch both, even a transposition, which
 *    the letter x between keeps from straddling them. Two walks, each in a
 *    narrow prefix range: the words starting with A, and, reversed, those
 *    ending with B.
 *  - two edits leave A intact, or leave B within one edit: the second walk
 *    starts at the root of the reversed words but allows only one edit on
 *    its first |B| - 1 levels, which prunes at level 2. */
#include "typo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phonetic.h"
#include "util.h"
#include "banned.h"

/* One sorted view of the words: forward (as written) or backward (each
 * word reversed, sorted as reversed: the words ending alike are a range). */
struct side {
    char *blob;     /* the words in this view's order, NUL-terminated */
    uint32_t *off;  /* the i-th starts at blob + off[i] */
    uint8_t *len;   /* its length, capped at 255 */
    uint8_t *lcp;   /* letters shared with the (i - 1)-th (0 for i = 0) */
    uint32_t *word; /* its number in the forward view (NULL: i itself) */
    /* The distinct two-letter beginnings (a one-letter word is its own),
     * in order, with the first word of each: a walk from the root prunes
     * most of them at level 2 from these bytes alone, without reading a
     * word. nodes[nnodes].start is the word count. */
    struct node {
        uint32_t start;
        char c[2]; /* c[1] = 0 for a one-letter word */
    } * nodes;
    size_t nnodes;
};

struct typo_dict {
    size_t n;
    struct side fwd, bwd;
    uint32_t *count;  /* name_term.n, by forward number */
    char *pblob;      /* phonetic keys, NUL-terminated */
    uint32_t *poff;   /* key of word i at pblob + poff[i] */
    uint32_t *byphon; /* word numbers sorted by key, then most frequent */
};

static const char *sterm(const struct side *s, size_t i)
{
    return s->blob + s->off[i];
}

static uint32_t sword(const struct side *s, size_t i)
{
    return s->word ? s->word[i] : (uint32_t)i;
}

static const char *term(const struct typo_dict *d, size_t i)
{
    return sterm(&d->fwd, i);
}

static const char *phon(const struct typo_dict *d, size_t i)
{
    return d->pblob + d->poff[i];
}

/* Growable byte array with a size cap of 4 GiB (offsets are 32-bit). */
struct bytes {
    char *p;
    size_t n, cap;
};

static int bytes_add(struct bytes *b, const char *s, size_t n)
{
    if (b->n + n + 1 > UINT32_MAX)
        return -1;
    if (b->n + n + 1 > b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1 << 16;
        while (b->cap < b->n + n + 1)
            b->cap *= 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->p[b->n + n] = '\0';
    b->n += n + 1;
    return 0;
}

/* A sort entry: a string and a word number (qsort() takes no context, so
 * the entries carry what the comparison needs). */
struct sortent {
    const char *s;
    uint32_t i, count;
};

static int cmp_sortent(const void *a, const void *b)
{
    const struct sortent *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c)
        return c;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* lcp[] and the level-2 nodes of a view whose words are in place. */
static void side_index(struct side *s, size_t n)
{
    size_t cap = 64;
    s->nodes = xmalloc(cap * sizeof(*s->nodes));
    s->nnodes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        const char *b = sterm(s, i);
        if (i > 0) {
            const char *a = sterm(s, i - 1);
            while (a[l] && a[l] == b[l] && l < 255)
                l++;
        }
        s->lcp[i] = (uint8_t)l;
        if (i == 0 || l < 2 || s->len[i - 1] < 2) {
            if (s->nnodes + 2 > cap) {
                cap *= 2;
                s->nodes = xrealloc(s->nodes, cap * sizeof(*s->nodes));
            }
            s->nodes[s->nnodes].start = (uint32_t)i;
            s->nodes[s->nnodes].c[0] = b[0];
            s->nodes[s->nnodes].c[1] = b[0] ? b[1] : 0;
            s->nnodes++;
        }
    }
    s->nodes[s->nnodes].start = (uint32_t)n;
}

/* The backward view and the phonetic order, from the forward view. */
static void build_views(struct typo_dict *d)
{
    size_t n = d->n, cap = n ? n : 1;
    struct bytes rev = {0}, sorted = {0};
    struct sortent *e = xmalloc(cap * sizeof(*e));
    uint32_t *roff = xmalloc(cap * sizeof(*roff));
    for (size_t i = 0; i < n; i++) {
        const char *t = term(d, i);
        size_t tl = strlen(t);
        roff[i] = (uint32_t)rev.n;
        /* Cannot fail: the reversed words take the forward blob's size. */
        bytes_add(&rev, t, tl);
        char *r = rev.p + roff[i];
        for (size_t a = 0, b = tl; a + 1 < b; a++, b--) {
            char c = r[a];
            r[a] = r[b - 1];
            r[b - 1] = c;
        }
    }
    for (size_t i = 0; i < n; i++)
        e[i] = (struct sortent){rev.p + roff[i], (uint32_t)i, 0};
    qsort(e, n, sizeof(*e), cmp_sortent);
    struct side *s = &d->bwd;
    s->off = xmalloc(cap * sizeof(*s->off));
    s->len = xmalloc(cap);
    s->lcp = xmalloc(cap);
    s->word = xmalloc(cap * sizeof(*s->word));
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(e[i].s);
        s->off[i] = (uint32_t)sorted.n;
        bytes_add(&sorted, e[i].s, l);
        s->len[i] = (uint8_t)(l > 255 ? 255 : l);
        s->word[i] = e[i].i;
    }
    s->blob = sorted.p ? sorted.p : xcalloc(1, 1);
    side_index(s, n);
    free(rev.p);
    free(roff);

    for (size_t i = 0; i < n; i++)
        e[i] = (struct sortent){phon(d, i), (uint32_t)i, d->count[i]};
    qsort(e, n, sizeof(*e), cmp_sortent);
    d->byphon = xmalloc(cap * sizeof(*d->byphon));
    for (size_t i = 0; i < n; i++)
        d->byphon[i] = e[i].i;
    free(e);
}

struct typo_dict *typo_dict_load(sqlite3 *db)
{
    return typo_dict_load_table(db, "name_term");
}

struct typo_dict *typo_dict_load_table(sqlite3 *db, const char *table)
{
    struct typo_dict *d = xcalloc(1, sizeof(*d));
    struct side *f = &d->fwd;
    struct bytes words = {0}, keys = {0};
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    char sql[128];
    /* The table is WITHOUT ROWID on term: this reads it in key order,
     * which is memcmp order, the order the binary searches below use. */
    snprintf(sql, sizeof(sql), "SELECT term, n, phon FROM %s ORDER BY term",
             table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: %s: %s", __func__, table, sqlite3_errmsg(db));
        goto fail;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t tl = (size_t)sqlite3_column_bytes(st, 0);
        const char *k = (const char *)sqlite3_column_text(st, 2);
        size_t kl = (size_t)sqlite3_column_bytes(st, 2);
        sqlite3_int64 cnt = sqlite3_column_int64(st, 1);
        if (!t || tl == 0 || memchr(t, '\0', tl))
            continue; /* not a word the search could ask for */
        if (d->n == TYPO_MAX_TERMS) {
            log_error("%s: %s has more than %u words", __func__, table,
                      TYPO_MAX_TERMS);
            goto fail;
        }
        if (d->n == cap) {
            cap = cap ? 2 * cap : 4096;
            f->off = xrealloc(f->off, cap * sizeof(*f->off));
            f->len = xrealloc(f->len, cap);
            f->lcp = xrealloc(f->lcp, cap);
            d->poff = xrealloc(d->poff, cap * sizeof(*d->poff));
            d->count = xrealloc(d->count, cap * sizeof(*d->count));
        }
        f->off[d->n] = (uint32_t)words.n;
        d->poff[d->n] = (uint32_t)keys.n;
        if (bytes_add(&words, t, tl) < 0 ||
            bytes_add(&keys, k ? k : "", k ? kl : 0) < 0) {
            log_error("%s: %s is too large", __func__, table);
            goto fail;
        }
        d->count[d->n] = cnt < 0            ? 0
                         : cnt > UINT32_MAX ? UINT32_MAX
                                            : (uint32_t)cnt;
        f->len[d->n] = (uint8_t)(tl > 255 ? 255 : tl);
        d->n++;
    }
    if (rc != SQLITE_DONE) {
        log_error("%s: %s: %s", __func__, table, sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    f->blob = words.p ? words.p : xcalloc(1, 1);
    d->pblob = keys.p ? keys.p : xcalloc(1, 1);
    words.p = keys.p = NULL;
    if (d->n == 0) {
        /* Keep every array allocated: the searches index them freely. */
        f->off = xcalloc(1, sizeof(*f->off));
        f->len = xcalloc(1, 1);
        f->lcp = xcalloc(1, 1);
        d->poff = xcalloc(1, sizeof(*d->poff));
        d->count = xcalloc(1, sizeof(*d->count));
    }
    for (size_t i = 1; i < d->n; i++)
        if (strcmp(term(d, i - 1), term(d, i)) >= 0) {
            log_error("%s: %s is not in byte order at %s", __func__, table,
                      term(d, i));
            goto fail;
        }
    side_index(f, d->n);
    build_views(d);
    return d;
fail:
    sqlite3_finalize(st);
    free(words.p);
    free(keys.p);
    typo_dict_free(d);
    return NULL;
}

static void side_free(struct side *s)
{
    free(s->blob);
    free(s->off);
    free(s->len);
    free(s->lcp);
    free(s->word);
    free(s->nodes);
}

void typo_dict_free(struct typo_dict *d)
{
    if (!d)
        return;
    side_free(&d->fwd);
    side_free(&d->bwd);
    free(d->count);
    free(d->pblob);
    free(d->poff);
    free(d->byphon);
    free(d);
}

size_t typo_dict_size(const struct typo_dict *d)
{
    return d ? d->n : 0;
}

/* Compares the i-th word of s with w[0..n): as strings, or, with cut, only
 * its first n letters (0 when it starts with w). */
static int cmp_at(const struct side *s, size_t i, const char *w, size_t n,
                  int cut)
{
    const char *t = sterm(s, i);
    size_t tl = s->len[i] < 255 ? s->len[i] : strlen(t);
    size_t m = tl < n ? tl : n;
    int c = memcmp(t, w, m);
    if (c)
        return c;
    if (tl < n)
        return -1;
    return cut ? 0 : tl > n;
}

/* The range [*lo, *hi) of the words of s that start with w[0..n). */
static void side_range(const struct side *s, size_t count, const char *w,
                       size_t n, size_t *lo, size_t *hi)
{
    size_t a = 0, b = count;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cmp_at(s, mid, w, n, 1) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    b = count;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cmp_at(s, mid, w, n, 1) <= 0)
            a = mid + 1;
        else
            b = mid;
    }
    *hi = a;
}

unsigned typo_count(const struct typo_dict *d, const char *w, size_t n)
{
    if (!d || n == 0 || d->n == 0)
        return 0;
    size_t a = 0, b = d->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cmp_at(&d->fwd, mid, w, n, 0) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    if (a < d->n && cmp_at(&d->fwd, a, w, n, 0) == 0)
        return d->count[a];
    return 0;
}

unsigned typo_prefix_count(const struct typo_dict *d, const char *w, size_t n,
                           unsigned cap)
{
    size_t lo, hi;
    unsigned sum = 0;
    if (!d || n == 0 || d->n == 0)
        return 0;
    side_range(&d->fwd, d->n, w, n, &lo, &hi);
    /* Each word adds at least 1, so at most cap + 1 words are read. */
    for (size_t i = lo; i < hi && sum <= cap; i++)
        sum += d->count[i];
    return sum;
}

size_t typo_prefix_words(const struct typo_dict *d, const char *w, size_t n,
                         const char **out, size_t max)
{
    size_t lo, hi;
    if (!d || n == 0 || d->n == 0)
        return 0;
    side_range(&d->fwd, d->n, w, n, &lo, &hi);
    for (size_t i = lo; i < hi && i - lo < max; i++)
        out[i - lo] = term(d, i);
    return hi - lo;
}

int typo_max_edits(size_t n)
{
    return n >= 9 ? 2 : n >= 5 ? 1 : 0;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

int typo_distance(const char *a, size_t an, const char *b, size_t bn, int limit)
{
    /* Three rows of the optimal-string-alignment matrix. */
    int rows[3][TYPO_MAX_WORD + 2];
    if (an > TYPO_MAX_WORD || bn > TYPO_MAX_WORD)
        return limit + 1;
    int *r2 = rows[0], *r1 = rows[1], *r0 = rows[2];
    for (size_t j = 0; j <= bn; j++)
        r1[j] = (int)j;
    for (size_t i = 1; i <= an; i++) {
        r0[0] = (int)i;
        int best = r0[0];
        for (size_t j = 1; j <= bn; j++) {
            int v = min3(r1[j] + 1, r0[j - 1] + 1,
                         r1[j - 1] + (a[i - 1] != b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && r2[j - 2] + 1 < v)
                v = r2[j - 2] + 1;
            r0[j] = v;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
        int *t = r2;
        r2 = r1;
        r1 = r0;
        r0 = t;
    }
    return r1[bn] > limit ? limit + 1 : r1[bn];
}

/* Candidate list being built, deduplicated on the word number. Small (a
 * few dozen in practice), so linear scans are fine. */
struct cands {
    struct typo_cand *v;
    uint32_t *idx;
    size_t n, cap;
};

static void cand_add(struct cands *c, const struct typo_dict *d, uint32_t i,
                     int dist, int how)
{
    for (size_t k = 0; k < c->n; k++)
        if (c->idx[k] == i) {
            c->v[k].how |= (unsigned char)how;
            if (dist < c->v[k].dist)
                c->v[k].dist = (unsigned char)dist;
            return;
        }
    if (c->n == c->cap)
        return;
    struct typo_cand *x = &c->v[c->n];
    x->term = term(d, i);
    x->len = strlen(x->term);
    x->n = d->count[i];
    x->dist = (unsigned char)dist;
    x->how = (unsigned char)how;
    c->idx[c->n++] = i;
}

static int cand_rank(const struct typo_cand *c)
{
    return 2 * c->dist - ((c->how & TYPO_SOUND) ? 1 : 0);
}

static int cmp_cand(const void *a, const void *b)
{
    const struct typo_cand *x = a, *y = b;
    int rx = cand_rank(x), ry = cand_rank(y);
    if (rx != ry)
        return rx - ry;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->term, y->term);
}

/* Edit matches kept before ranking: a 5-letter word has a few dozen
 * neighbours at one edit in a full-scale dictionary. Past this, the first
 * found are kept. */
#define TYPO_MAX_EDITS 512

/* Deepest trie level the walk keeps a row for: a word within 2 edits of a
 * query of TYPO_MAX_WORD letters is at most that plus 2 long. */
#define MAXD (TYPO_MAX_WORD + 3)

/* The first word after i (and before end) that does not start with the
 * first n letters of word i. Past the first few, galloping: this costs
 * about log2 of the range's size in comparisons. */
static size_t skip_prefix(const struct side *s, size_t i, size_t n, size_t end)
{
    /* Most ranges end within a few words: the lcp bytes say where, read in
     * order, without touching the words. */
    size_t j = i + 1;
    for (int steps = 0; j < end && steps < 32; j++, steps++)
        if (s->lcp[j] < n)
            return j;
    if (j >= end)
        return end;
    const char *t = sterm(s, i);
    size_t lo = j, step = 1, hi;
    /* Invariant: every word before lo shares the prefix. */
    for (;;) {
        hi = lo + step - 1;
        if (hi >= end) {
            hi = end;
            break;
        }
        if (s->len[hi] < n || memcmp(sterm(s, hi), t, n) != 0)
            break;
        lo = hi + 1;
        step *= 2;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->len[mid] >= n && memcmp(sterm(s, mid), t, n) == 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One walk: the words of view s in [lo, hi) within k edits of q[0..m) (q
 * in the view's orientation), allowing only k1 edits on levels up to l1. */
struct walk {
    const char *q;
    size_t m;
    int k, k1;
    size_t l1;
    long cells;
    int truncated;
};

static void walk_range(const struct typo_dict *d, const struct side *s,
                       struct walk *w, size_t lo, size_t hi, struct cands *c)
{
    /* rows[l][j]: distance between the current word's first l letters and
     * q's first j letters, k + 1 standing for anything farther. Only the
     * cells within k of the diagonal can be k or less, so each row
     * computes that band (2k + 1 cells) and marks its two edges out of
     * reach for the next. */
    int rows[MAXD + 1][TYPO_MAX_WORD + 2];
    const char *q = w->q;
    const size_t m = w->m;
    const int k = w->k, far = k + 1;
    for (size_t j = 0; j <= m + 1; j++)
        rows[0][j] = j <= (size_t)k ? (int)j : far;
    size_t i = lo;
    while (i < hi) {
        const char *t = sterm(s, i);
        size_t tl = s->len[i];
        size_t from = i == lo ? 0 : s->lcp[i]; /* rows 0..from are valid */
        size_t depth;
        int pruned = 0;
        if (tl > MAXD)
            tl = MAXD;
        for (depth = from + 1; depth <= tl; depth++) {
            int *r = rows[depth], *p = rows[depth - 1];
            const int *p2 = depth > 1 ? rows[depth - 2] : NULL;
            char ch = t[depth - 1];
            size_t a = depth > (size_t)k ? depth - (size_t)k : 0;
            size_t b = depth + (size_t)k < m ? depth + (size_t)k : m;
            int best = far;
            if (a == 0) {
                r[0] = (int)depth;
                best = r[0];
                a = 1;
            } else {
                r[a - 1] = far;
            }
            for (size_t j = a; j <= b; j++) {
                int v =
                    min3(p[j] + 1, r[j - 1] + 1, p[j - 1] + (ch != q[j - 1]));
                if (p2 && j > 1 && ch == q[j - 2] && t[depth - 2] == q[j - 1] &&
                    p2[j - 2] + 1 < v)
                    v = p2[j - 2] + 1;
                if (v > far)
                    v = far;
                r[j] = v;
                if (v < best)
                    best = v;
            }
            if (b + 1 <= m)
                r[b + 1] = far;
            w->cells += a <= b ? (long)(b - a + 1) : 0;
            if (best > (depth <= w->l1 ? w->k1 : k) || a > m) {
                pruned = 1;
                break;
            }
        }
        if (w->cells > TYPO_MAX_CELLS) {
            w->truncated = 1;
            return;
        }
        if (pruned) {
            /* No word starting with t[0..depth) can be close enough. */
            i = skip_prefix(s, i, depth, hi);
            continue;
        }
        if (s->len[i] == tl && tl + (size_t)k >= m && rows[tl][m] <= k &&
            rows[tl][m] > 0)
            cand_add(c, d, sword(s, i), rows[tl][m], TYPO_EDIT);
        i++;
    }
}

/* 1 if a word starting with the node's one or two letters can still be
 * within the edits allowed at levels 1 and 2: the first two rows of the
 * walk's matrix, on the band where a cell can be k or less. */
static int node_open(const struct node *nd, const struct walk *w)
{
    int r0[8], r1[8], r2[8];
    size_t b1 = w->m < 1 + (size_t)w->k ? w->m : 1 + (size_t)w->k;
    size_t b2 = w->m < 2 + (size_t)w->k ? w->m : 2 + (size_t)w->k;
    const char *q = w->q;
    int best = 1;
    for (size_t j = 0; j <= b2; j++)
        r0[j] = (int)j;
    r1[0] = 1;
    for (size_t j = 1; j <= b2; j++) {
        r1[j] =
            min3(r0[j] + 1, r1[j - 1] + 1, r0[j - 1] + (nd->c[0] != q[j - 1]));
        if (j <= b1 && r1[j] < best)
            best = r1[j];
    }
    if (best > (1 <= w->l1 ? w->k1 : w->k))
        return 0;
    if (!nd->c[1])
        return 1;
    r2[0] = 2;
    best = 2;
    for (size_t j = 1; j <= b2; j++) {
        int v =
            min3(r1[j] + 1, r2[j - 1] + 1, r1[j - 1] + (nd->c[1] != q[j - 1]));
        if (j > 1 && nd->c[1] == q[j - 2] && nd->c[0] == q[j - 1] &&
            r0[j - 2] + 1 < v)
            v = r0[j - 2] + 1;
        r2[j] = v;
        if (v < best)
            best = v;
    }
    return best <= (2 <= w->l1 ? w->k1 : w->k);
}

/* A walk over every word of s, node by node, skipping the nodes that
 * cannot lead anywhere. */
static void walk_all(const struct typo_dict *d, const struct side *s,
                     struct walk *w, struct cands *c)
{
    for (size_t i = 0; i < s->nnodes && !w->truncated; i++)
        if (node_open(&s->nodes[i], w))
            walk_range(d, s, w, s->nodes[i].start, s->nodes[i + 1].start, c);
}

/* Every word within k edits of q[0..m) (k = 1 or 2), as the top comment
 * says: A = q[0..a), x = q[a], B = q[a+1..m). */
static void edit_search(const struct typo_dict *d, const char *q, size_t m,
                        int k, struct cands *c, long *cells, int *truncated)
{
    char rq[TYPO_MAX_WORD + 1];
    /* One edit: cut in the middle, two narrow ranges. Two edits: A of 4
     * letters is still a narrow range, and the longer B keeps the
     * one-edit limit on more levels of the root walk (measured on a
     * 57 k-word dictionary: 97 us a lookup, against 129 us cut in the
     * middle). */
    size_t a = k == 2 ? 4 : m / 2, bl = m - a - 1, lo, hi;
    for (size_t j = 0; j < m; j++)
        rq[j] = q[m - 1 - j];
    struct walk fw = {q, m, k, k, 0, 0, 0};
    side_range(&d->fwd, d->n, q, a, &lo, &hi);
    walk_range(d, &d->fwd, &fw, lo, hi, c);
    struct walk bw = {rq, m, k, k, 0, fw.cells, 0};
    if (fw.truncated) {
        bw.truncated = 1;
    } else if (k == 1) {
        side_range(&d->bwd, d->n, rq, bl, &lo, &hi);
        walk_range(d, &d->bwd, &bw, lo, hi, c);
    } else {
        bw.k1 = k - 1;
        bw.l1 = bl - 1;
        walk_all(d, &d->bwd, &bw, c);
    }
    *cells = bw.cells;
    *truncated = fw.truncated || bw.truncated;
}

size_t typo_find(const struct typo_dict *d, const char *w, size_t n,
                 struct typo_cand *out, size_t max, int *truncated)
{
    int trunc = 0;
    if (truncated)
        *truncated = 0;
    if (!d || d->n == 0 || n == 0 || n > TYPO_MAX_WORD || max == 0)
        return 0;
    /* Candidates are ranked once both searches are done, so collect more
     * than max: up to TYPO_MAX_EDITS edit matches, then the
     * sound-alikes. */
    size_t cap = TYPO_MAX_EDITS + TYPO_MAX_SOUND;
    struct cands c = {xmalloc(cap * sizeof(*c.v)),
                      xmalloc(cap * sizeof(*c.idx)), 0, TYPO_MAX_EDITS};
    /* The edits allowed depend on the longer of the two words: a 9-letter
     * name typed with a letter missing still has its 2 (VIGOUROUX typed
     * vimuroux). So search as for a word one letter longer, and keep what
     * the rule allows (two letters missing from a 9-letter word are not
     * looked for: that would make every 7-letter word a two-edit
     * search). */
    int k = typo_max_edits(n + 1);
    long cells = 0;
    if (k > 0)
        edit_search(d, w, n, k, &c, &cells, &trunc);
    size_t o = 0;
    for (size_t i = 0; i < c.n; i++) {
        size_t l = c.v[i].len > n ? c.v[i].len : n;
        if (c.v[i].dist <= typo_max_edits(l)) {
            c.v[o] = c.v[i];
            c.idx[o] = c.idx[i];
            o++;
        }
    }
    c.n = o;
    c.cap = cap;

    /* Sound-alikes: the words sharing the key, most frequent first. */
    char key[TYPO_MAX_WORD + 1];
    size_t kl = phon_key(w, n, key);
    if (kl > 0) {
        size_t lo = 0, hi = d->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(phon(d, d->byphon[mid]), key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t s = 0; lo + s < d->n && s < TYPO_MAX_SOUND; s++) {
            uint32_t i = d->byphon[lo + s];
            if (strcmp(phon(d, i), key) != 0)
                break;
            const char *t = term(d, i);
            size_t tl = strlen(t);
            if (tl == n && memcmp(t, w, n) == 0)
                continue;
            int dist = typo_distance(w, n, t, tl, 9);
            cand_add(&c, d, i, dist, TYPO_SOUND);
        }
    }
    qsort(c.v, c.n, sizeof(*c.v), cmp_cand);
    size_t got = c.n < max ? c.n : max;
    memcpy(out, c.v, got * sizeof(*out));
    free(c.v);
    free(c.idx);
    if (truncated)
        *truncated = trunc;
    return got;
}
