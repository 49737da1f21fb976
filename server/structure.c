/* Structures: see structure.h. */
#include "structure.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "abbrev.h"
#include "columns.h"
#include "dataset.h"
#include "fold.h"
#include "record.h"
#include "sqlb.h"
#include "typo.h"
#include "banned.h"

int structure_cond_any(const struct structure_cond *k)
{
    return (k->words && *k->words) || (k->street && *k->street) ||
           (k->siret && *k->siret) || (k->finess && *k->finess);
}

/* s's characters other than spaces and dots into out (at most cap - 1),
 * upper-cased; -1 if there are more. */
static int squeeze(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '.')
            continue;
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)toupper((unsigned char)*s);
    }
    out[o] = '\0';
    return (int)o;
}

int structure_siret(const char *s, char out[15])
{
    char d[16];
    if (squeeze(s, d, sizeof d) != 14)
        return 0;
    int sum = 0;
    for (int i = 0; i < 14; i++) {
        if (!isdigit((unsigned char)d[i]))
            return 0;
        int v = d[i] - '0';
        if ((14 - i) % 2 == 0 && (v *= 2) > 9) /* every second from the right */
            v -= 9;
        sum += v;
    }
    if (sum % 10)
        return 0;
    memcpy(out, d, 15);
    return 1;
}

int structure_finess(const char *s, char out[10])
{
    char d[16];
    if (squeeze(s, d, sizeof d) != 9)
        return 0;
    for (int i = 2; i < 9; i++)
        if (!isdigit((unsigned char)d[i]))
            return 0;
    int ok = (isdigit((unsigned char)d[0]) && isdigit((unsigned char)d[1]) &&
              !(d[0] == '0' && d[1] == '0')) ||
             (d[0] == '2' && (d[1] == 'A' || d[1] == 'B')) ||
             (d[0] == '9' && d[1] >= 'A' && d[1] <= 'F');
    if (!ok)
        return 0;
    memcpy(out, d, 10);
    return 1;
}

int structure_keyword(const char *w)
{
    /* The kinds of structure of docs/rpps-format.md's extracts, as people
     * type them. The weak ones are family names too (CENTRE, MAISON,
     * CABINET, SERVICE, FOYER, POLE). */
    static const char *const strong[] = {
        "chu",         "chr",      "chru",     "clinique",  "polyclinique",
        "hopital",     "hopitaux", "ehpad",    "pharmacie", "laboratoire",
        "labo",        "msp",      "cds",      "selarl",    "selas",
        "scm",         "scp",      "hospices", "ime",       "esat",
        "sessad",      "iem",      "chs",      "ght",       "sarl",
        "hospitalier", "sante",    "ch",
    };
    static const char *const weak[] = {"centre",    "maison",    "cabinet",
                                       "institut",  "residence", "foyer",
                                       "fondation", "pole",      "service",
                                       "groupe",    "mas",       "assistance"};
    for (size_t i = 0; i < sizeof strong / sizeof *strong; i++)
        if (strcmp(w, strong[i]) == 0)
            return 2;
    for (size_t i = 0; i < sizeof weak / sizeof *weak; i++)
        if (strcmp(w, weak[i]) == 0)
            return 1;
    return 0;
}

int structure_keyword_near(const char *w)
{
    /* The kinds long enough for one edit not to make another kind (typo.h's
     * rule: from 5 letters; 6 here, "sante" and "scm" being too near other
     * words). */
    static const char *const kinds[] = {
        "clinique",    "polyclinique", "hopital",     "hopitaux", "pharmacie",
        "laboratoire", "hospices",     "hospitalier", "selarl",   "sessad",
        "centre",      "maison",       "cabinet",     "institut", "residence",
        "fondation",   "service",      "groupe",
    };
    size_t n = strlen(w);
    int k = structure_keyword(w);
    if (k || n < 6)
        return k;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (typo_distance(w, n, kinds[i], strlen(kinds[i]), 1) <= 1)
            return structure_keyword(kinds[i]);
    return 0;
}

int structure_street_type(const char *w)
{
    static const char *const full[] = {
        "rue",       "boulevard", "avenue",  "place",     "chemin",
        "route",     "impasse",   "allee",   "quai",      "cours",
        "square",    "faubourg",  "passage", "promenade", "esplanade",
        "sentier",   "voie",      "villa",   "cite",      "lotissement",
        "carrefour", "rond",      "montee",  "terrasse",  "hameau",
    };
    const char *f = abbrev_word(ABBREV_STREET, w, strlen(w));
    if (f)
        w = f;
    for (size_t i = 0; i < sizeof full / sizeof *full; i++)
        if (strcmp(w, full[i]) == 0)
            return 1;
    return 0;
}

int structure_stopword(const char *w)
{
    static const char *const stop[] = {"de",  "du", "des", "la", "le",
                                       "les", "l",  "d",   "et", "a"};
    for (size_t i = 0; i < sizeof stop / sizeof *stop; i++)
        if (strcmp(w, stop[i]) == 0)
            return 1;
    return 0;
}

size_t structure_fold(const char *v, int street, char *out, size_t cap)
{
    size_t n = strlen(v);
    char *f = xmalloc(n + 1);
    size_t fl = fold(v, n, f);
    size_t ol = street ? abbrev_fold(ABBREV_STREET, f, fl, out, cap)
                       : abbrev_fold(ABBREV_NAME, f, fl, out, cap);
    free(f);
    return ol;
}

/* Most words a prefix is read as, each an exact word of the index: FTS5
 * merges the lists of every word a prefix begins, whole, whatever run of
 * sids is asked ("jean moulin*" over a postal code's 12 communes: 17 ms),
 * where an exact word seeks to the run. A prefix that begins more words
 * stays a prefix. */
#define PREFIX_WORDS_MAX 16

/* One word w[0..n) as a quoted phrase. */
static void fts_phrase(struct buf *b, const char *w, size_t n)
{
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '"')
            buf_add(b, "\"", 1);
        buf_add(b, w + i, 1);
    }
    buf_add(b, "\"", 1);
}

/* The FTS5 expression of words in column col: each word a quoted phrase,
 * the last a prefix unless whole, all of them required; a word written
 * "a|b" is either (a misspelt word's corrections). A prefix merges the
 * lists of every word it begins, there being no prefix index: "le*"
 * hundreds (33 ms at full scale); with the dictionary (structure_term) a
 * prefix that begins few words is those words. */
static void fts_words(struct buf *b, const char *col, const char *words,
                      int whole, const struct typo_dict *dict)
{
    const char *p = words;
    size_t start = b->len;
    while (*p) {
        size_t n = strcspn(p, " ");
        const char *next = p + n;
        while (*next == ' ')
            next++;
        /* A particle (de, du, la...) is left out unless it is the last
         * word: the names write it or not, and its list is the longest
         * of all (a third of the structures), which the AND would read
         * at every step. */
        char w[16];
        int stop = n < sizeof w && *next;
        if (stop) {
            memcpy(w, p, n);
            w[n] = '\0';
            stop = structure_stopword(w);
        }
        if (n && !stop) {
            buf_addf(b, "%s%s : ", b->len > start || start ? " AND " : "", col);
            const char *alt[PREFIX_WORDS_MAX];
            size_t nalt = 0;
            int prefix = !*next && !whole && !memchr(p, '|', n);
            if (prefix && dict) {
                nalt = typo_prefix_words(dict, p, n, alt, PREFIX_WORDS_MAX);
                if (nalt == 0 || nalt > PREFIX_WORDS_MAX)
                    nalt = 0;
            }
            if (nalt) {
                buf_addstr(b, "(");
                for (size_t i = 0; i < nalt; i++) {
                    buf_addstr(b, i ? " OR " : "");
                    fts_phrase(b, alt[i], strlen(alt[i]));
                }
                buf_addstr(b, ")");
            } else if (memchr(p, '|', n)) {
                buf_addstr(b, "(");
                for (size_t i = 0; i < n;) {
                    size_t m = strcspn(p + i, "| ");
                    if (m > n - i)
                        m = n - i;
                    buf_addstr(b, i ? " OR " : "");
                    fts_phrase(b, p + i, m);
                    i += m + 1;
                }
                buf_addstr(b, ")");
            } else {
                fts_phrase(b, p, n);
                if (prefix)
                    buf_add(b, " *", 2);
            }
        }
        p = next;
    }
}

/* Most corrections of a misspelt word tried together (typo.h's best
 * first, at their fewest edits). */
#define TYPO_ALTS 4

/* words (canonical folded) with each word the dictionary lacks (the last,
 * unless whole, lacking as a prefix too) replaced by its corrections
 * ("a|b", fts_words()), into out (cap bytes). 1 if a word was replaced,
 * else 0. */
static int correct_words(const struct typo_dict *d, const char *words,
                         int whole, char *out, size_t cap)
{
    size_t o = 0;
    int any = 0;
    out[0] = '\0';
    for (const char *p = words; *p;) {
        size_t n = strcspn(p, " ");
        const char *next = p + n;
        while (*next == ' ')
            next++;
        struct typo_cand cand[TYPO_ALTS];
        size_t nc = 0;
        int last = !*next;
        if (n >= 5 && n <= TYPO_MAX_WORD && typo_count(d, p, n) == 0 &&
            !(last && !whole && typo_prefix_count(d, p, n, 0) > 0))
            nc = typo_find(d, p, n, cand, TYPO_ALTS, NULL);
        /* Only the fewest edits: a sound-alike further away is another
         * word. */
        size_t keep = 0;
        while (keep < nc && cand[keep].dist == cand[0].dist &&
               (cand[keep].how & TYPO_EDIT))
            keep++;
        size_t need = keep ? 0 : n + 1;
        for (size_t i = 0; i < keep; i++)
            need += cand[i].len + 1;
        if (o + need + 1 >= cap)
            return 0;
        if (o)
            out[o++] = ' ';
        if (keep) {
            any = 1;
            for (size_t i = 0; i < keep; i++) {
                if (i)
                    out[o++] = '|';
                memcpy(out + o, cand[i].term, cand[i].len);
                o += cand[i].len;
            }
        } else {
            memcpy(out + o, p, n);
            o += n;
        }
        out[o] = '\0';
        p = next;
    }
    return any;
}

/* 1 if e meets k's place (as structure_find()'s SQL: an empty field is
 * NULL and meets no condition on it); towns[0..k->ntown) are the hashes
 * of k's towns. */
static int place_ok(const struct dataset_structure *e,
                    const struct structure_cond *k, uint64_t city,
                    const uint64_t *towns)
{
    if (k->pc_lo && k->pc_hi
            ? !*e->postcode || strcmp(e->postcode, k->pc_lo) < 0 ||
                  strcmp(e->postcode, k->pc_hi) >= 0
            : k->pc_lo && strcmp(e->postcode, k->pc_lo) != 0)
        return 0;
    if (k->insee && strcmp(e->insee, k->insee) != 0)
        return 0;
    if (k->city_fold && e->city != city)
        return 0;
    if (k->ndept) {
        int i = 0;
        while (i < k->ndept && strcmp(e->dept, k->dept[i]) != 0)
            i++;
        if (i == k->ndept)
            return 0;
    }
    if (k->ninsee) {
        for (int i = 0; i < k->ninsee; i++)
            if (strcmp(e->insee, k->insees[i]) == 0)
                return 1;
        if (*e->insee || !e->city)
            return 0;
        for (int i = 0; i < k->ntown; i++)
            if (e->city == towns[i])
                return 1;
        return 0;
    }
    return 1;
}

/* A structure found: its size and sid, ordered as structure_find()
 * promises (most professionals first, then sid) by one comparison. */
static int cmp_found(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Most runs of sids a place is read as (dataset.h): a postal code's
 * communes, a town's arrondissements, a department list; past this the
 * whole index is read. */
#define PLACE_RUNS_MAX 64
/* Most structures without a commune code checked in memory for whether
 * any is at the place (40 at full scale): past this their run is read. */
#define PLACE_NONE_CHECK 4096

static int cmp_run(const void *a, const void *b)
{
    const struct dataset_sid_run *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The runs of sids [lo, hi) out[0..n) sorted, overlapping ones merged;
 * empty ones dropped. Their number. */
static size_t merge_runs(struct dataset_sid_run *r, size_t n)
{
    size_t o = 0;
    qsort(r, n, sizeof *r, cmp_run);
    for (size_t i = 0; i < n; i++) {
        if (r[i].lo >= r[i].hi)
            continue;
        if (o && r[i].lo <= r[o - 1].hi) {
            if (r[i].hi > r[o - 1].hi)
                r[o - 1].hi = r[i].hi;
        } else
            r[o++] = r[i];
    }
    return o;
}

/* The runs of sids that hold every structure meeting k's place, into
 * out[0..PLACE_RUNS_MAX): those of the condition that leaves the fewest
 * sids. Their number, or -1 when no condition narrows the sids (no place,
 * or the structures not in order of place). */
static long place_runs(struct db_conn *c, const struct structure_cond *k,
                       struct dataset_sid_run *out)
{
    const struct dataset *d = db_dataset(c);
    struct dataset_sid_run r[PLACE_RUNS_MAX];
    long best = -1;
    uint64_t best_size = UINT64_MAX;
    for (int which = 0; which < 4; which++) {
        long n = 0;
        if (which == 0 && k->insee)
            n = dataset_structure_insee_run(d, k->insee, &r[0]) < 0 ? -1 : 1;
        else if (which == 1 && k->pc_lo)
            n = dataset_structure_pc_runs(d, k->pc_lo, k->pc_hi, r,
                                          PLACE_RUNS_MAX);
        else if (which == 2 && k->ninsee && k->ninsee < PLACE_RUNS_MAX) {
            for (int i = 0; n >= 0 && i < k->ninsee; i++)
                n = dataset_structure_insee_run(d, k->insees[i], &r[n]) < 0
                        ? -1
                        : n + 1;
            /* A town's lines without a commune code. */
            if (n >= 0 && k->ntown)
                n = dataset_structure_none_run(d, &r[n]) < 0 ? -1 : n + 1;
        } else if (which == 3 && k->ndept && k->ndept < PLACE_RUNS_MAX / 2) {
            for (int i = 0; n >= 0 && i < k->ndept; i++) {
                int m = dataset_structure_dept_runs(d, k->dept[i], &r[n]);
                n = m < 0 ? -1 : n + m;
            }
        } else
            continue;
        if (n < 0)
            continue;
        n = (long)merge_runs(r, (size_t)n);
        uint64_t size = 0;
        for (long i = 0; i < n; i++)
            size += r[i].hi - r[i].lo;
        if (size < best_size) {
            best_size = size;
            best = n;
            memcpy(out, r, (size_t)n * sizeof *r);
        }
    }
    return best;
}

/* The place's runs runs[0..n) (sorted, place_runs()) as at most two
 * spans, in place: the statement with a rowid range finds the match's
 * first row from the start of the index's lists before it seeks the range
 * (FTS5's first step), so each statement costs that walk ("140 avenue
 * vignes" over a postal code's 18 communes: 10 ms, over their envelope
 * 0.5 ms). The envelope of the runs with a commune code, then the run
 * without one (the last sids) if some structure there is at the place
 * (k; city and towns as place_ok() takes them). Their number. */
static long spans(struct db_conn *c, const struct structure_cond *k,
                  uint64_t city, const uint64_t *towns,
                  struct dataset_sid_run *runs, long n)
{
    struct dataset_sid_run none = {0, 0}, env = {0, 0};
    long o = 0;
    if (dataset_structure_none_run(db_dataset(c), &none) < 0)
        return n;
    for (long i = 0; i < n; i++) {
        struct dataset_sid_run r = runs[i];
        if (r.hi > none.lo) {
            if (r.lo < none.lo) {
                r.hi = none.lo;
            } else
                continue;
        }
        if (env.lo == env.hi)
            env = r;
        else
            env.hi = r.hi;
    }
    int tail = 0;
    for (long i = 0; i < n && !tail; i++)
        tail = runs[i].hi > none.lo;
    if (tail && none.hi - none.lo <= PLACE_NONE_CHECK) {
        uint32_t lo = none.hi, hi = none.lo;
        for (uint32_t sid = none.lo; sid < none.hi; sid++) {
            const struct dataset_structure *e =
                dataset_structure(db_dataset(c), sid);
            if (e && place_ok(e, k, city, towns)) {
                lo = sid < lo ? sid : lo;
                hi = sid + 1;
            }
        }
        none.lo = lo;
        none.hi = hi;
    }
    if (env.lo < env.hi)
        runs[o++] = env;
    if (tail && none.lo < none.hi)
        runs[o++] = none;
    return o;
}

/* structure_find() from the dataset: the full-text index's rowids, each
 * checked against the place in memory (a row read each made a name
 * shared by 2,000 structures cost 36 ms), over the place's runs of sids
 * only when the structures are in order of place (a common word's list
 * is otherwise merged whole: "rue" 150,000 rows). expr: the FTS5
 * expression. */
static long find_mem(struct db_conn *c, const struct structure_cond *k,
                     const char *expr, long long *sids, size_t max)
{
    struct dataset_sid_run runs[PLACE_RUNS_MAX];
    long nruns = place_runs(c, k, runs);
    uint64_t city = k->city_fold ? dataset_town_hash(k->city_fold) : 0;
    uint64_t towns[8];
    int ntown = k->ntown < 8 ? k->ntown : 8;
    for (int i = 0; i < ntown; i++)
        towns[i] = dataset_town_hash(k->towns[i]);
    struct structure_cond kk = *k;
    kk.ntown = ntown;
    if (nruns > 0)
        nruns = spans(c, &kk, city, towns, runs, nruns);
    sqlite3_stmt *st =
        nruns < 0 ? db_prepare_static(c, "SELECT rowid FROM structure_fts"
                                         " WHERE structure_fts MATCH ?1")
                  : db_prepare_static(c, "SELECT rowid FROM structure_fts"
                                         " WHERE structure_fts MATCH ?1"
                                         " AND rowid >= ?2 AND rowid < ?3");
    if (!st)
        return -1;
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc = SQLITE_DONE;
    for (long r = 0; r < (nruns < 0 ? 1 : nruns); r++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
        if (nruns >= 0) {
            sqlite3_bind_int64(st, 2, runs[r].lo);
            sqlite3_bind_int64(st, 3, runs[r].hi);
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            long long sid = sqlite3_column_int64(st, 0);
            const struct dataset_structure *e =
                dataset_structure(db_dataset(c), sid);
            if (!e || !place_ok(e, &kk, city, towns))
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                v = xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = (uint64_t)(UINT32_MAX - e->nprof) << 32 | (uint64_t)sid;
            /* Whether any: the first does. */
            if (max <= 1)
                break;
        }
        if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || (n && max <= 1))
            break;
    }
    db_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        free(v);
        return -1;
    }
    if (n > 1 && (!k->any_order || n > max))
        qsort(v, n, sizeof(*v), cmp_found);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        sids[i] = (long long)(v[i] & UINT32_MAX);
    free(v);
    return (long)n;
}

/* structure_find() and structure_find_set(): by size when ordered, else
 * by sid. */
static long find(struct db_conn *c, const struct structure_cond *k,
                 long long *sids, size_t max, int ordered)
{
    struct sqlb b;
    struct buf expr;
    long n = 0;
    const struct typo_dict *dict = dataset_structure_dict(db_dataset(c));
    sqlb_init(&b);
    buf_init(&expr, 4096);
    if (k->words && *k->words)
        fts_words(&expr, "name_fold", k->words, k->words_whole, dict);
    if (k->street && *k->street)
        fts_words(&expr, "street_fold", k->street, k->street_whole, dict);
    /* In memory: the full-text index's rowids, each place checked there. */
    if (expr.len && !(k->siret && *k->siret) && !(k->finess && *k->finess) &&
        dataset_has_structures(db_dataset(c)) && (size_t)k->ntown <= 8) {
        struct structure_cond kk = *k;
        kk.any_order |= !ordered;
        n = find_mem(c, &kk, expr.s, sids, max);
        goto out;
    }
    /* Words alone are the full-text index's rowids (the sids) as they
     * are: the structure rows need not be read ("ch": 10,286 of them,
     * 20 ms), nor all the rowids gathered first for the IN (5 ms for
     * whether there is one). */
    int words_only = expr.len && (!ordered || max == 1) &&
                     !(k->siret && *k->siret) && !(k->finess && *k->finess) &&
                     !k->pc_lo && !k->insee && !k->city_fold && !k->ndept &&
                     !k->ninsee;
    if (words_only) {
        buf_addstr(&b.sql, "SELECT rowid FROM structure_fts"
                           " WHERE structure_fts MATCH ");
        sqlb_arg(&b, expr.s);
    }
    buf_addstr(&b.sql, words_only ? "" : "SELECT sid FROM structure WHERE 1");
    if (expr.len && !words_only) {
        buf_addstr(&b.sql, " AND sid IN (SELECT rowid FROM structure_fts"
                           " WHERE structure_fts MATCH ");
        sqlb_arg(&b, expr.s);
        buf_addstr(&b.sql, ")");
    }
    if (k->siret && *k->siret) {
        buf_addstr(&b.sql, " AND siret = ");
        sqlb_arg(&b, k->siret);
    }
    if (k->finess && *k->finess) {
        buf_addstr(&b.sql, " AND (finess = ");
        sqlb_arg(&b, k->finess);
        buf_addstr(&b.sql, " OR finess_legal = ");
        sqlb_arg(&b, k->finess);
        buf_addstr(&b.sql, ")");
    }
    if (k->pc_lo && k->pc_hi) {
        buf_addstr(&b.sql, " AND postcode >= ");
        sqlb_arg(&b, k->pc_lo);
        buf_addstr(&b.sql, " AND postcode < ");
        sqlb_arg(&b, k->pc_hi);
    } else if (k->pc_lo) {
        buf_addstr(&b.sql, " AND postcode = ");
        sqlb_arg(&b, k->pc_lo);
    }
    if (k->insee) {
        buf_addstr(&b.sql, " AND insee = ");
        sqlb_arg(&b, k->insee);
    }
    if (k->city_fold) {
        buf_addstr(&b.sql, " AND city_fold = ");
        sqlb_arg(&b, k->city_fold);
    }
    if (k->ndept) {
        buf_addstr(&b.sql, " AND dept_code IN ");
        sqlb_list(&b, k->dept, k->ndept);
    }
    if (k->ninsee) {
        buf_addstr(&b.sql, " AND (insee IN ");
        sqlb_list(&b, k->insees, k->ninsee);
        if (k->ntown) {
            buf_addstr(&b.sql, " OR (insee IS NULL AND city_fold IN ");
            sqlb_list(&b, k->towns, k->ntown);
            buf_addstr(&b.sql, ")");
        }
        buf_addstr(&b.sql, ")");
    }
    /* Whether any: the first found (ordering would read every match). */
    if (max > 1 && ordered)
        buf_addstr(&b.sql, " ORDER BY n_professionals DESC, sid");
    else if (max > 1)
        buf_addstr(&b.sql, words_only ? " ORDER BY rowid" : " ORDER BY sid");
    buf_addstr(&b.sql, " LIMIT ");
    buf_addf(&b.sql, "%zu", max);
    sqlite3_stmt *st = sqlb_prepare(c, &b);
    if (!st) {
        n = -1;
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && (size_t)n < max)
        sids[n++] = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        n = -1;
    db_done(st);
out:
    sqlb_release(&b);
    buf_release(&expr);
    return n;
}

/* find(), then, if nothing matches and k allows it, the same with its
 * misspelt words corrected (correct_words()). */
static long find_typo(struct db_conn *c, const struct structure_cond *k,
                      long long *sids, size_t max, int ordered)
{
    long n = find(c, k, sids, max, ordered);
    const struct typo_dict *d = dataset_structure_dict(db_dataset(c));
    if (n != 0 || !k->typo || !d)
        return n;
    char words[STRUCTURE_CORRECT_MAX], street[STRUCTURE_CORRECT_MAX];
    struct structure_cond kk = *k;
    int any = 0;
    if (k->words && *k->words &&
        correct_words(d, k->words, k->words_whole, words, sizeof words)) {
        kk.words = words;
        any = 1;
    }
    if (k->street && *k->street &&
        correct_words(d, k->street, k->street_whole, street, sizeof street)) {
        kk.street = street;
        any = 1;
    }
    return any ? find(c, &kk, sids, max, ordered) : 0;
}

long structure_find(struct db_conn *c, const struct structure_cond *k,
                    long long *sids, size_t max)
{
    return find_typo(c, k, sids, max, 1);
}

long structure_find_set(struct db_conn *c, const struct structure_cond *k,
                        long long *sids, size_t max)
{
    return find_typo(c, k, sids, max, 0);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v[0..n) and drops its duplicates; their number. A broad name's
 * structures hold hundreds of thousands of pids ("ch": 10,286 structures,
 * 425,000 pids), which qsort took a third of the request's 85 ms to
 * sort: then a bit per professional (240 KB at full scale) sets and reads
 * them back in order instead, in time linear in n. */
static size_t sort_unique(struct db_conn *c, uint32_t *v, size_t n)
{
    size_t npids = (size_t)dataset_npids(db_dataset(c));
    size_t words = (npids >> 6) + 1, o = 0;
    /* The bits cost a pass over them: worth it once n log n outweighs it
     * (a pid is 1/64 of a word). */
    int bits = n >= words / 8;
    for (size_t i = 0; bits && i < n; i++)
        bits = v[i] < npids;
    if (!bits) {
        qsort(v, n, sizeof *v, cmp_u32);
        o = 1;
        for (size_t i = 1; i < n; i++)
            if (v[i] != v[o - 1])
                v[o++] = v[i];
        return o;
    }
    uint64_t *b = xcalloc(words, sizeof *b);
    for (size_t i = 0; i < n; i++)
        b[v[i] >> 6] |= 1ull << (v[i] & 63);
    for (size_t w = 0; w < words; w++)
        for (uint64_t x = b[w]; x; x &= x - 1)
            v[o++] = (uint32_t)(w << 6 | (size_t)__builtin_ctzll(x));
    free(b);
    return o;
}

/* structure_pids() from the dataset: each structure's pids, then their
 * union (sort_unique()). */
static int pids_mem(struct db_conn *c, const long long *sids, size_t n,
                    uint32_t **pids, size_t *npids)
{
    size_t total = 0, np = 0;
    const uint32_t *p;
    for (size_t i = 0; i < n; i++)
        total += dataset_structure_pids(db_dataset(c), sids[i], &p);
    uint32_t *v = xmalloc((total ? total : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        size_t m = dataset_structure_pids(db_dataset(c), sids[i], &p);
        memcpy(v + np, p, m * sizeof(*v));
        np += m;
    }
    if (n > 1 && np > 1)
        np = sort_unique(c, v, np);
    *pids = v;
    *npids = np;
    return 0;
}

int structure_pids(struct db_conn *c, const long long *sids, size_t n,
                   uint32_t **pids, size_t *npids)
{
    size_t np = 0, cap = 0;
    uint32_t *v = NULL;
    *pids = NULL;
    *npids = 0;
    if (dataset_has_structures(db_dataset(c)))
        return pids_mem(c, sids, n, pids, npids);
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT pids FROM structure WHERE sid = ?1");
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, sids[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        const unsigned char *p = sqlite3_column_blob(st, 0);
        size_t m = (size_t)sqlite3_column_bytes(st, 0) / 4;
        if (np + m > cap) {
            cap = 2 * (np + m) + 64;
            v = xrealloc(v, cap * sizeof *v);
        }
        for (size_t j = 0; j < m; j++)
            v[np++] = structure_pid_at(p + 4 * j);
    }
    db_done(st);
    if (n > 1 && np > 1)
        np = sort_unique(c, v, np);
    *pids = v;
    *npids = np;
    return 0;
}

/* s's words without the particles (structure_stopword()) into out (cap
 * bytes), one space between them. */
static void without_particles(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    while (*s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        char w[16];
        int stop = 0;
        if (n && n < sizeof w) {
            memcpy(w, s, n);
            w[n] = '\0';
            stop = structure_stopword(w);
        }
        if (n && !stop && o + n + 2 < cap) {
            if (o)
                out[o++] = ' ';
            memcpy(out + o, s, n);
            o += n;
            out[o] = '\0';
        }
        s += n;
    }
}

long structure_exact(struct db_conn *c, const char *words,
                     const long long *sids, size_t n, unsigned char *exact)
{
    char want[1024], got[1024], f[1024];
    without_particles(words, want, sizeof want);
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT name, sign FROM structure WHERE sid = ?1");
    if (!st)
        return -1;
    long m = 0;
    for (size_t i = 0; i < n; i++) {
        exact[i] = 0;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, sids[i]);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            if (rc != SQLITE_DONE) {
                db_done(st);
                return -1;
            }
            continue;
        }
        for (int col = 0; col < 2 && !exact[i]; col++) {
            const char *v = db_text(st, col);
            if (!v || strlen(v) >= sizeof f / 2)
                continue;
            structure_fold(v, 0, f, sizeof f);
            without_particles(f, got, sizeof got);
            exact[i] = strcmp(got, want) == 0;
        }
        m += exact[i];
    }
    db_done(st);
    return m;
}

long long structure_resolve(struct db_conn *c, const char *id)
{
    char d[16];
    const char *sql;
    if (structure_siret(id, d))
        sql = "SELECT sid FROM structure WHERE siret = ?1"
              " ORDER BY n_professionals DESC LIMIT 1";
    else if (structure_finess(id, d))
        sql = "SELECT sid FROM structure WHERE finess = ?1 UNION ALL"
              " SELECT * FROM (SELECT sid FROM structure WHERE"
              " finess_legal = ?1 ORDER BY n_professionals DESC LIMIT 1)";
    else {
        if (strlen(id) >= sizeof d)
            return 0;
        memcpy(d, id, strlen(id) + 1);
        for (char *p = d; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        sql = "SELECT sid FROM structure WHERE structure_id = ?1";
    }
    sqlite3_stmt *st = db_prepare(c, sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    long long sid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    db_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? sid : -1;
}
