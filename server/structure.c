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

/* The pid at p (4 bytes, little-endian: importer/structures.c). */
static uint32_t pid_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
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
            v[np++] = pid_at(p + 4 * j);
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

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The columns structure_json() reads, R(F, X) (columns.h). */
/* clang-format off */
#define ST_COLS(F, X)     \
    F(structure_id)       \
    X(siret)              \
    X(siren)              \
    X(finess)             \
    X(finess_legal)       \
    X(name)               \
    X(sign)               \
    X(addr_recipient)     \
    X(addr_geo)           \
    X(street_number)      \
    X(street_repeat)      \
    X(street_type)        \
    X(street_name)        \
    X(addr_distribution)  \
    X(cedex_office)       \
    X(postcode)           \
    X(insee)              \
    X(city)               \
    X(dept_code)          \
    X(phone)              \
    X(email)              \
    X(n_activities)       \
    X(n_professionals)    \
    X(pids)
/* clang-format on */
#define ST_ENUM(c) ST_##c,
enum { ST_COLS(ST_ENUM, ST_ENUM) ST_N };
#define ST_IN(c) _Static_assert(COLUMNS_IN(STRUCTURE, c), #c);
ST_COLS(ST_IN, ST_IN)

/* The mailbox extract names a structure by its "ancien identifiant": 1 +
 * FINESS, 3 + SIRET, 0 + a cabinet's number, where the technical id has F +
 * FINESS, C + SIRET, C + the number (docs/format.md §5). */
static int old_id(const char *tech, char out[24])
{
    size_t n = strlen(tech);
    if (n < 2 || n > 20)
        return -1;
    char t = tech[0] == 'F' ? '1' : n == 15 ? '3' : '0';
    if (tech[0] != 'F' && tech[0] != 'C')
        return -1;
    out[0] = t;
    memcpy(out + 1, tech + 1, n);
    return 0;
}

json_t *structure_json(struct db_conn *c, long long sid)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT " COLUMNS_SELECT(ST_COLS) " FROM structure WHERE sid = ?1");
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, sid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return NULL;
    }
    json_t *addr = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "recipient",
        jstr(db_text(st, ST_addr_recipient)), "geo",
        jstr(db_text(st, ST_addr_geo)), "street_number",
        jstr(db_text(st, ST_street_number)), "street_repeat",
        jstr(db_text(st, ST_street_repeat)), "street_type",
        jstr(db_text(st, ST_street_type)), "street_name",
        jstr(db_text(st, ST_street_name)), "distribution",
        jstr(db_text(st, ST_addr_distribution)), "cedex_office",
        jstr(db_text(st, ST_cedex_office)), "postcode",
        jstr(db_text(st, ST_postcode)), "insee", jstr(db_text(st, ST_insee)),
        "city", jstr(db_text(st, ST_city)));
    const char *dept = db_text(st, ST_dept_code);
    json_object_set_new(addr, "dept", jstr(dept));
    const char *tech = db_text(st, ST_structure_id);
    json_t *o = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "id",
        jstr(tech), "siret", jstr(db_text(st, ST_siret)), "siren",
        jstr(db_text(st, ST_siren)), "finess", jstr(db_text(st, ST_finess)),
        "finess_legal", jstr(db_text(st, ST_finess_legal)), "name",
        jstr(db_text(st, ST_name)), "sign", jstr(db_text(st, ST_sign)),
        "address", addr, "phone", jstr(db_text(st, ST_phone)), "email",
        jstr(db_text(st, ST_email)), "activities",
        (json_int_t)sqlite3_column_int64(st, ST_n_activities), "professionals",
        (json_int_t)sqlite3_column_int64(st, ST_n_professionals));
    /* Its people by profession, from the pids and the professions in
     * memory (a byte each). */
    const unsigned char *prof = dataset_professions(db_dataset(c));
    long long npid = dataset_npids(db_dataset(c));
    long long count[256] = {0};
    const unsigned char *p = sqlite3_column_blob(st, ST_pids);
    size_t m = (size_t)sqlite3_column_bytes(st, ST_pids) / 4;
    for (size_t j = 0; j < m; j++) {
        uint32_t pid = pid_at(p + 4 * j);
        if ((long long)pid < npid)
            count[prof[pid]]++;
    }
    char oid[24];
    int has_old = tech && old_id(tech, oid) == 0;
    db_done(st);
    json_t *byp = json_array();
    sqlite3_stmt *cs = db_prepare_static(
        c, "SELECT code, label FROM code WHERE list = 'profession'"
           " ORDER BY code");
    while (cs && sqlite3_step(cs) == SQLITE_ROW) {
        const char *code = db_text(cs, 0);
        int k = code ? dataset_prof_index(db_dataset(c), code) : 0;
        if (k && count[k])
            json_array_append_new(byp,
                                  json_pack("{s:s, s:o, s:I}", "code", code,
                                            "label", jstr(db_text(cs, 1)),
                                            "count", (json_int_t)count[k]));
    }
    db_done(cs);
    json_object_set_new(o, "professions", byp);
    json_t *mbx = json_array();
    sqlite3_stmt *ms =
        has_old ? db_prepare_static(c, "SELECT address, type, service FROM"
                                       " mailbox WHERE structure_id = ?1"
                                       " AND type <> 'PER' ORDER BY address")
                : NULL;
    if (ms) {
        sqlite3_bind_text(ms, 1, oid, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(ms) == SQLITE_ROW)
            json_array_append_new(mbx,
                                  json_pack("{s:o, s:o, s:o}", "address",
                                            jstr(db_text(ms, 0)), "type",
                                            jstr(db_text(ms, 1)), "service",
                                            jstr(db_text(ms, 2))));
        db_done(ms);
    }
    json_object_set_new(o, "mailboxes", mbx);
    return o;
}

/* ---- The handlers ---- */

/* structure=, street= (folded), siret=, finess=, postcode=, city=, dept=
 * into k, the folded text in words/street (STRUCTURE_WORDS bytes each).
 * 0, or -1 with a 400 in out. */
#define STRUCTURE_WORDS 512
static int read_cond(const struct api_req *r, struct structure_cond *k,
                     char *words, char *street, char *siret, char *finess,
                     char *pc_hi, char *city, char **dept, char deptbuf[4],
                     struct api_resp *out)
{
    const char *v;
    memset(k, 0, sizeof *k);
    k->typo = 1;
    const char *q = api_param(r, "q");
    const char *s = api_param(r, "structure");
    if (q && s) {
        api_error(out, 400, "q and structure: give one of them");
        return -1;
    }
    if ((v = q ? q : s)) {
        /* A pasted identifier in q is that identifier. */
        if (q && structure_siret(q, siret))
            k->siret = siret;
        else if (q && structure_finess(q, finess))
            k->finess = finess;
        else if (!structure_fold(v, 0, words, STRUCTURE_WORDS)) {
            api_error(out, 400, "%s has no word", q ? "q" : "structure");
            return -1;
        } else
            k->words = words;
    }
    if ((v = api_param(r, "street"))) {
        if (!structure_fold(v, 1, street, STRUCTURE_WORDS)) {
            api_error(out, 400, "street has no word");
            return -1;
        }
        k->street = street;
    }
    if ((v = api_param(r, "siret"))) {
        if (!structure_siret(v, siret)) {
            api_error(out, 400, "siret must be 14 digits with a valid key");
            return -1;
        }
        k->siret = siret;
    }
    if ((v = api_param(r, "finess"))) {
        if (!structure_finess(v, finess)) {
            api_error(out, 400,
                      "finess must be 9 characters: a department (01, 2A,"
                      " 9A...) then 7 digits");
            return -1;
        }
        k->finess = finess;
    }
    if ((v = api_param(r, "postcode"))) {
        size_t n = strlen(v);
        int ok = n >= 1 && n <= 5;
        for (size_t t = 0; ok && t < n; t++)
            ok = isdigit((unsigned char)v[t]);
        if (!ok) {
            api_error(out, 400, "postcode must be 1 to 5 digits");
            return -1;
        }
        k->pc_lo = v;
        if (n < 5) {
            memcpy(pc_hi, v, n + 1);
            pc_hi[n - 1]++;
            k->pc_hi = pc_hi;
        }
    }
    if ((v = api_param(r, "city"))) {
        size_t n = strlen(v);
        if (n >= STRUCTURE_WORDS || !fold(v, n, city)) {
            api_error(out, 400, "city is empty");
            return -1;
        }
        k->city_fold = city;
    }
    if ((v = api_param(r, "dept"))) {
        size_t n = strlen(v);
        if (n < 2 || n > 3) {
            api_error(out, 400,
                      "dept must be a department code (01, 2A, 75, 974)");
            return -1;
        }
        /* Upper-cased into the caller's buffer, the request's value left
         * as it is. */
        for (size_t i = 0; i <= n; i++)
            deptbuf[i] = (char)toupper((unsigned char)v[i]);
        *dept = deptbuf;
        k->dept = dept;
        k->ndept = 1;
    }
    return 0;
}

static int read_page(const struct api_req *r, long *limit, long *offset,
                     struct api_resp *out)
{
    const char *v;
    char *end;
    *limit = 20;
    *offset = 0;
    if ((v = api_param(r, "limit"))) {
        *limit = strtol(v, &end, 10);
        if (end == v || *end || *limit < 1 || *limit > API_MAX_LIMIT) {
            api_error(out, 400, "limit must be 1 to %d", API_MAX_LIMIT);
            return -1;
        }
    }
    if ((v = api_param(r, "offset"))) {
        *offset = strtol(v, &end, 10);
        if (end == v || *end || *offset < 0 ||
            *offset + *limit > API_MAX_WINDOW) {
            api_error(out, 400, "offset + limit must be at most %d",
                      API_MAX_WINDOW);
            return -1;
        }
    }
    return 0;
}

void api_structures(struct db_conn *c, const struct api_req *r,
                    struct api_resp *out)
{
    static const char *const allowed[] = {
        "q",    "structure", "street", "siret",  "finess", "postcode",
        "city", "dept",      "limit",  "offset", NULL};
    struct structure_cond k;
    char words[STRUCTURE_WORDS], street[STRUCTURE_WORDS], city[STRUCTURE_WORDS];
    char siret[15], finess[10], pc_hi[8];
    char *dept = NULL, deptbuf[4];
    long limit, offset;
    if (api_check_params(r, allowed, NULL, out) < 0 ||
        read_cond(r, &k, words, street, siret, finess, pc_hi, city, &dept,
                  deptbuf, out) < 0 ||
        read_page(r, &limit, &offset, out) < 0)
        return;
    if (!structure_cond_any(&k) && !k.pc_lo && !k.insee && !k.city_fold &&
        !k.ndept) {
        api_error(out, 400,
                  "give q, structure, street, siret, finess or a"
                  " place");
        return;
    }
    long long *sids = xmalloc((STRUCTURE_MATCH_MAX + 1) * sizeof *sids);
    db_budget(c, 0);
    long n = structure_find(c, &k, sids, STRUCTURE_MATCH_MAX + 1);
    db_unbudget(c);
    if (n < 0) {
        free(sids);
        if (db_interrupted(c))
            api_error(out, 503, "the search took too long");
        else
            api_error(out, 503, "database error");
        return;
    }
    json_t *res = json_array();
    for (long i = offset; i < n && i < offset + limit; i++) {
        json_t *o = structure_json(c, sids[i]);
        if (o)
            json_array_append_new(res, o);
    }
    free(sids);
    json_t *body = json_pack(
        "{s:I, s:b, s:I, s:I, s:o}", "total",
        (json_int_t)(n > STRUCTURE_MATCH_MAX ? STRUCTURE_MATCH_MAX : n),
        "total_exact", n <= STRUCTURE_MATCH_MAX, "limit", (json_int_t)limit,
        "offset", (json_int_t)offset, "results", res);
    out->status = 200;
    out->body = body;
}

void api_structure(struct db_conn *c, const struct api_req *r,
                   struct api_resp *out)
{
    static const char *const allowed[] = {"limit", "offset", NULL};
    long limit, offset;
    if (api_check_params(r, allowed, NULL, out) < 0 ||
        read_page(r, &limit, &offset, out) < 0)
        return;
    size_t n = strlen(r->rest);
    if (n == 0) {
        api_error(out, 404, "give a structure: /v1/structures/{id}");
        return;
    }
    /* The longest id is a technical one: C + SIRET, 15 characters; a
     * SIRET written with spaces 17. */
    if (n > 32 || !utf8_valid(r->rest, n)) {
        api_error(out, 400,
                  "not a structure id (its technical id, SIRET or"
                  " FINESS)");
        return;
    }
    long long sid = structure_resolve(c, r->rest);
    json_t *o = sid > 0 ? structure_json(c, sid) : NULL;
    if (sid < 0) {
        api_error(out, 503, "database error");
        return;
    }
    if (!o) {
        api_error(out, 404, "no structure '%s'", r->rest);
        return;
    }
    uint32_t *pids;
    size_t np;
    if (structure_pids(c, &sid, 1, &pids, &np) < 0) {
        json_decref(o);
        api_error(out, 503, "database error");
        return;
    }
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    char *head = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    /* The structure's object, then its people in the default order. */
    buf_add(&b, head, strlen(head) - 1);
    free(head);
    buf_addf(&b,
             ",\"practitioners\":{\"total\":%zu,\"limit\":%ld,"
             "\"offset\":%ld,\"results\":[",
             np, limit, offset);
    int k = 0;
    for (size_t i = (size_t)offset; i < np && i < (size_t)(offset + limit);
         i++) {
        if (k)
            buf_add(&b, ",", 1);
        if (record_write(c, &b, pids[i], 0) == 0)
            k++;
        else if (k)
            buf_truncate(&b, b.len - 1);
    }
    free(pids);
    buf_addstr(&b, "]}}");
    api_reply_text(r, out, 200, &b);
}
