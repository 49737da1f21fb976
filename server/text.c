/* The name words of a search (q's, name=, given=) as FTS5 expressions
 * over name_fts: the whole match (every word as a prefix, in its
 * columns), its partition into tiers read best first (exact family word,
 * exact first name, prefixes; the typo and sound-alike neighbours of the
 * second reading last), each word's document frequency for bm25, and the
 * streams that read them in pid order. Folded words are [a-z0-9] and
 * letters fold() passes through, never '"', so client input cannot
 * become FTS5 syntax. Nothing here ranks (rank.c) or reads a filter. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "search_int.h"
#include "banned.h"

/* Name words are read again with their typo and sound-alike neighbours
 * (search.c, TYPO_SHORT); a name word at least this many people carry is
 * taken as meant: its neighbours are only its sound-alikes. */
#define COMMON_WORD 50
/* Words of name_term added up to size a prefix that FTS5 would have to
 * merge: below that many, whether the match is small is known without
 * reading it (0.1 ms at most). */
#define TERM_SCAN 2000

void text_plan_release(struct text_plan *tp, int ntok)
{
    buf_release(&tp->all);
    for (int i = 0; i < TIER_MAX; i++)
        buf_release(&tp->tier[i]);
    for (int i = 0; i < ntok; i++) {
        buf_release(&tp->exact[i]);
        buf_release(&tp->prefix[i]);
        buf_release(&tp->alt[i]);
    }
}

static int is_plain(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* The prefix phrase of word t into out (`"t"*`, or the OR of the name
 * words it begins), its document frequency (*nhit: the sum of its words'
 * counts, capped at the row count; a guess when they are too many to add
 * up) and *maxn, the largest of its words' counts (a lower bound of its
 * match). Returns 0 if no name word begins with t. name_term holds the
 * words of the folded names as FTS5's tokenizer splits them when they are
 * plain ASCII letters and digits, so only such words are expanded or ruled
 * out. A word of 1-3 characters the prefix index covers is read lazily as
 * it is, and sized from the shared prefix table. */
static int word_prefix(struct db_conn *c, const char *t, struct buf *out,
                       double *nhit, double *maxn, int *lazy)
{
    size_t len = strlen(t);
    int indexed = len < 32 && (db_fts_prefix(c) & (1u << len));
    *nhit = db_fts_rows(c) / 4;
    *maxn = 0;
    char hi[64];
    if (!is_plain(t) || len + 1 > sizeof(hi)) {
        buf_addf(out, "\"%s\"*", t);
        if (!indexed)
            *lazy = 0;
        return 1;
    }
    if (indexed && len <= 3) {
        const struct dataset_prefix *ps = dataset_prefix_stat(db_dataset(c), t);
        if (!ps)
            return 0;
        *nhit = ps->sum < db_fts_rows(c) ? ps->sum : db_fts_rows(c);
        *maxn = ps->max;
        buf_addf(out, "\"%s\"*", t);
        return 1;
    }
    memcpy(hi, t, len + 1);
    hi[len - 1]++; /* 'z' + 1 = '{', '9' + 1 = ':' */
    sqlite3_stmt *st =
        db_prepare(c, "SELECT term, n FROM name_term WHERE term >= ?1"
                      " AND term < ?2 ORDER BY term LIMIT ?3");
    int n = 0, scan = indexed ? search_tune.expand_max + 1 : TERM_SCAN;
    double sum = 0;
    struct buf group;
    buf_init(&group, 8192);
    buf_addstr(&group, "(");
    if (st) {
        sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, scan);
    }
    int unplain = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *term = db_text(st, 0);
        if (!term)
            continue;
        /* A word with other letters: FTS5 may fold it differently from
         * its text here, so no expansion (the prefix finds it). */
        unplain |= !is_plain(term);
        /* A word the prefix index covers is read as a prefix: its words
         * are only counted. */
        if (n++ < search_tune.expand_max && !indexed)
            buf_addf(&group, "%s\"%s\"", n > 1 ? " OR " : "", term);
        double k = (double)sqlite3_column_int64(st, 1);
        sum += k;
        if (k > *maxn)
            *maxn = k;
    }
    db_done(st);
    buf_addstr(&group, ")");
    if (n == 0) {
        buf_release(&group);
        return 0;
    }
    if (n < scan)
        *nhit = sum < db_fts_rows(c) ? sum : db_fts_rows(c);
    else if (sum > *nhit)
        *nhit = sum;
    if (indexed || n > search_tune.expand_max || unplain) {
        buf_addf(out, "\"%s\"*", t);
        if (!indexed)
            *lazy = 0;
    } else {
        buf_addstr(out, group.s);
    }
    buf_release(&group);
    return 1;
}

/* phrase restricted to the columns of cols. */
static void in_cols(struct buf *e, int cols, const char *phrase)
{
    if (cols == COL_FAM)
        buf_addstr(e, "{last_fold last_join} : ");
    else if (cols == COL_FIRST)
        buf_addstr(e, "{first_fold} : ");
    buf_addstr(e, phrase);
}

enum { W_PREFIX, W_EXACT, W_ANY };

/* Every word, ANDed: as a whole word (W_EXACT), as a prefix (W_PREFIX), or
 * as a prefix or one of its neighbours (W_ANY). */
static void all_words(struct buf *e, const struct sq *q,
                      const struct text_plan *tp, int how)
{
    int n = 0;
    for (int i = 0; i < q->ntok; i++) {
        if (how == W_ANY && tp->in_mem[i])
            continue;
        if (n++)
            buf_addstr(e, " AND ");
        if (how == W_EXACT) {
            in_cols(e, q->tok[i].cols, tp->exact[i].s);
        } else if (how == W_PREFIX || !tp->nalt[i]) {
            in_cols(e, q->tok[i].cols, tp->prefix[i].s);
        } else if (!tp->has_prefix[i]) {
            in_cols(e, q->tok[i].cols, tp->alt[i].s);
        } else {
            buf_addstr(e, "(");
            in_cols(e, q->tok[i].cols, tp->prefix[i].s);
            buf_addstr(e, " OR ");
            in_cols(e, q->tok[i].cols, tp->alt[i].s);
            buf_addstr(e, ")");
        }
    }
}

/* The neighbours of word i (second reading): a compound first name typed
 * joined (annesophie) as the phrase of the two dictionary words most
 * people carry, then the closest typo and sound-alike words that do not
 * begin with it (those match as a prefix already); as "a" OR "b" in
 * tp->alt[i]. */
static void word_alts(const struct db_conn *c, const struct sq *q, int i,
                      struct text_plan *tp)
{
    const struct typo_dict *dict =
        search_und(c) ? dataset_dict(db_dataset(c)) : NULL;
    const char *t = q->tok[i].s;
    size_t tl = strlen(t);
    struct typo_cand cand[ALT_MAX * 4];
    tp->nalt[i] = 0;
    if (!q->typos || !dict || tl < 3 || tl > TYPO_MAX_WORD || !is_plain(t))
        return;
    buf_addstr(&tp->alt[i], "(");
    size_t best = 0;
    unsigned best_n = 0;
    for (size_t j = 2; !tp->has_prefix[i] && j + 2 <= tl; j++) {
        unsigned a = typo_count(dict, t, j);
        unsigned b = a ? typo_count(dict, t + j, tl - j) : 0;
        unsigned m = a < b ? a : b;
        if (m > best_n) {
            best_n = m;
            best = j;
        }
    }
    if (best) {
        buf_addf(&tp->alt[i], "\"%.*s %s\"", (int)best, t, t + best);
        snprintf(tp->alts[i][0], sizeof(tp->alts[i][0]), "%.*s %s", (int)best,
                 t, t + best);
        tp->nalt[i] = 1;
        tp->nhit[i] += best_n;
    }
    size_t n = typo_find(dict, t, tl, cand, ALT_MAX * 4, NULL);
    /* A word many people carry is no typo: only its sound-alikes (MARIE:
     * not MARIN, MARC...), which cost less and stray less. */
    int common = typo_count(dict, t, tl) >= COMMON_WORD;
    for (size_t k = 0; k < n && tp->nalt[i] < ALT_MAX; k++) {
        if (cand[k].len >= tl && memcmp(cand[k].term, t, tl) == 0)
            continue;
        if (common && !(cand[k].how & TYPO_SOUND))
            continue;
        if (!is_plain(cand[k].term) || cand[k].len > TYPO_MAX_WORD)
            continue;
        if (tp->nalt[i])
            buf_addstr(&tp->alt[i], " OR ");
        buf_addf(&tp->alt[i], "\"%s\"", cand[k].term);
        memcpy(tp->alts[i][tp->nalt[i]], cand[k].term, cand[k].len + 1);
        tp->nalt[i]++;
        tp->nhit[i] += cand[k].n;
    }
    buf_addstr(&tp->alt[i], ")");
}

/* One word's neighbour tiers, after its exact and prefix ones (if any):
 * in the family name, then in the first name. */
static void typo_tiers_one(const struct sq *q, struct text_plan *tp)
{
    const int pre = tp->has_prefix[0];
    struct buf *x = &tp->tier[tp->ntier++];
    (void)q;
    in_cols(x, COL_FAM, tp->alt[0].s);
    if (pre) {
        buf_addstr(x, " NOT ");
        in_cols(x, COL_ANY, tp->prefix[0].s);
    }
    x = &tp->tier[tp->ntier++];
    in_cols(x, COL_FIRST, tp->alt[0].s);
    buf_addstr(x, " NOT ");
    if (pre) {
        buf_addstr(x, "(");
        in_cols(x, COL_ANY, tp->prefix[0].s);
        buf_addstr(x, " OR ");
    }
    in_cols(x, COL_FAM, tp->alt[0].s);
    if (pre)
        buf_addstr(x, ")");
}

/* The FTS5 expressions of the words of q, name and given. Folded words are
 * [a-z0-9] and letters fold() passes through, never '"', so client input
 * cannot become FTS5 syntax. Tiers: one word from q: exact family word,
 * exact first name, family prefix, first-name prefix; otherwise: every
 * word exact, then the rest. */
void text_plan(struct db_conn *c, const struct sq *q, struct text_plan *tp)
{
    memset(tp, 0, sizeof(*tp));
    buf_init(&tp->all, 64 * 1024);
    for (int i = 0; i < TIER_MAX; i++)
        buf_init(&tp->tier[i], 64 * 1024);
    tp->lazy = 1;
    tp->est = db_max_pid(c);
    int all_prefix = 1, typo_tier = 0;
    for (int i = 0; i < q->ntok; i++) {
        buf_init(&tp->exact[i], 1024);
        buf_init(&tp->prefix[i], 16 * 1024);
        buf_init(&tp->alt[i], 4096);
        buf_addf(&tp->exact[i], "\"%s\"", q->tok[i].s);
        double maxn;
        if (!word_prefix(c, q->tok[i].s, &tp->prefix[i], &tp->nhit[i], &maxn,
                         &tp->lazy))
            tp->nhit[i] = 0;
        else
            tp->has_prefix[i] = 1;
        word_alts(c, q, i, tp);
        if (!tp->has_prefix[i] && !tp->nalt[i])
            tp->none = 1;
        all_prefix &= tp->has_prefix[i];
        typo_tier |= tp->nalt[i] > 0;
        if (maxn > tp->lower)
            tp->lower = (long long)maxn;
        if (tp->nhit[i] < tp->est)
            tp->est = (long long)tp->nhit[i];
    }
    for (int i = 0; i < q->ntok; i++) {
        double nh = tp->nhit[i];
        tp->idf[i] = log((db_fts_rows(c) - nh + 0.5) / (nh + 0.5));
        if (tp->idf[i] <= 0)
            tp->idf[i] = 1e-6;
    }
    if (tp->none)
        return;
    if (dataset_initials(db_dataset(c)) && q->ntok > 1) {
        int kept = q->ntok;
        for (int i = 0; i < q->ntok && kept > 1; i++) {
            const char *w = q->tok[i].s;
            if (w[0] && !w[1] && q->tok[i].cols == COL_ANY &&
                tp->has_prefix[i] && !tp->nalt[i] &&
                ((w[0] >= 'a' && w[0] <= 'z') ||
                 (w[0] >= '0' && w[0] <= '9'))) {
                tp->in_mem[i] = 1;
                tp->need_ini |= dataset_initial_bit((unsigned char)w[0]);
                kept--;
            }
        }
    }
    all_words(&tp->all, q, tp, W_ANY);
    struct buf *t = tp->tier;
    if (q->ntok == 1 && q->tok[0].cols == COL_ANY && !all_prefix) {
        typo_tiers_one(q, tp);
        return;
    }
    if (q->ntok == 1 && q->tok[0].cols == COL_ANY) {
        const char *e = tp->exact[0].s, *p = tp->prefix[0].s;
        in_cols(&t[0], COL_FAM, e);
        in_cols(&t[1], COL_FIRST, e);
        buf_addstr(&t[1], " NOT ");
        in_cols(&t[1], COL_FAM, e);
        in_cols(&t[2], COL_FAM, p);
        buf_addstr(&t[2], " NOT (");
        in_cols(&t[2], COL_FAM, e);
        buf_addstr(&t[2], " OR ");
        in_cols(&t[2], COL_FIRST, e);
        buf_addstr(&t[2], ")");
        in_cols(&t[3], COL_FIRST, p);
        buf_addstr(&t[3], " NOT (");
        in_cols(&t[3], COL_FAM, p);
        buf_addstr(&t[3], " OR ");
        in_cols(&t[3], COL_FIRST, e);
        buf_addstr(&t[3], ")");
        tp->ntier = 4;
        if (typo_tier)
            typo_tiers_one(q, tp);
        return;
    }
    if (all_prefix) {
        all_words(&t[0], q, tp, W_EXACT);
        buf_addstr(&t[1], "(");
        all_words(&t[1], q, tp, W_PREFIX);
        buf_addstr(&t[1], ") NOT (");
        all_words(&t[1], q, tp, W_EXACT);
        buf_addstr(&t[1], ")");
        tp->ntier = 2;
    }
    if (typo_tier) {
        /* The neighbours' matches last. */
        struct buf *x = &t[tp->ntier++];
        buf_addstr(x, "(");
        all_words(x, q, tp, W_ANY);
        buf_addstr(x, ")");
        if (all_prefix) {
            buf_addstr(x, " NOT (");
            all_words(x, q, tp, W_PREFIX);
            buf_addstr(x, ")");
        }
    }
}

/* A stream of the rows of name_fts matching expr (rowid = pid). */
int text_stream(struct db_conn *c, struct stream *s, const char *expr, char tag,
                int lazy, long long est)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT rowid FROM name_fts WHERE name_fts MATCH ?1"
             " AND rowid >= ?2 ORDER BY rowid /*%c*/",
             tag);
    stream_init(s, 0, 2, lazy ? STEP_FTS : 0, filters_order_key(ORD_TEXT, est));
    sqlite3_stmt *st = db_prepare(c, sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    stream_add(s, st);
    return 0;
}

/* The stream of the whole match (tp->all). Words left to the name
 * initials (need_ini) are checked in the statement, by rpps_initials()
 * (db.c): the rows it rejects, most of them, never leave SQLite. Every
 * reading of tp->all goes through here; the tiers hold those words in
 * FTS5, and the paths that check names in memory check them too. */
int text_all_stream(struct db_conn *c, struct stream *s,
                    const struct text_plan *tp, int lazy)
{
    if (!tp->need_ini)
        return text_stream(c, s, tp->all.s, 'A', lazy, tp->est);
    stream_init(s, 0, 2, lazy ? STEP_FTS : 0,
                filters_order_key(ORD_TEXT, tp->est));
    sqlite3_stmt *st = db_prepare(
        c, "SELECT rowid FROM name_fts WHERE name_fts MATCH ?1"
           " AND rowid >= ?2 AND rpps_initials(rowid, ?3) ORDER BY rowid");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, tp->all.s, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tp->need_ini);
    stream_add(s, st);
    return 0;
}
