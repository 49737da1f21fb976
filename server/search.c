/* GET /v1/search and /v1/suggest: parameters -> a match set -> ranked page.
 *
 * Where the time goes (docs perf-notes): scoring every match is the cost, a
 * scan that stops after 20 rows in pid order (the default order, fixed at
 * import) is microseconds. So the match set is reached one of four ways:
 *  - text whose FTS match is small (<= CAND_MAX people): read it all with
 *    bm25 and rank it exactly in C;
 *  - text with a large FTS match but a selective location or specialty
 *    filter (<= DRIVER_MAX rows): read the filter's people and match the
 *    words in C, with the same tiers (no bm25);
 *  - text with a large FTS match: tiered FTS queries (exact family word,
 *    exact first name, family prefix, first-name prefix), each in pid order,
 *    stopping as soon as the page is full;
 *  - filters only: the most selective indexed filter if small, else a pid
 *    order scan that stops after the page.
 * Counting a huge match is bounded by a time budget: past it, `total` is a
 * lower bound and `total_exact` is false. Nothing here knows about HTTP. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fold.h"
#include "util.h"
#include "banned.h"

#define TOK_MAX 8      /* words in q: a name has a handful */
#define LIST_MAX 16    /* values of one repeated filter */
#define CAND_MAX 1000  /* small FTS match, ranked exactly: about 1 ms */
#define DRIVER_MAX 5000 /* rows of a selective filter read in full: ~2 ms */
#define COUNT_MS 2.0   /* budget to count a large match (p99 target 10 ms) */
#define FACET_MS 200.0 /* budget for facets, which callers ask for rarely */

enum { COL_ANY = 3, COL_FAM = 1, COL_FIRST = 2 };

struct tok {
    char *s;
    int cols; /* COL_*: where it must match */
};

enum {
    FACET_PROFESSION = 1,
    FACET_SPECIALTY = 2,
    FACET_DEPT = 4,
    FACET_MODE = 8,
    FACET_HAS_MSS = 16
};

struct sq {
    struct tok tok[TOK_MAX * 3];
    int ntok, nq; /* all tokens; how many came from q */
    char *prof[LIST_MAX];
    int nprof;
    char *spec[LIST_MAX];
    int nspec;
    char *mode[LIST_MAX];
    int nmode;
    char *dept[LIST_MAX];
    int ndept;
    char *city_fold, *insee, *pc_lo, *pc_hi; /* pc_hi NULL: exact */
    int has_mss;                             /* -1: any */
    long limit, offset;
    unsigned facets;
};

/* SQL text and its arguments (all text, bound in order). */
struct sqlb {
    struct buf sql;
    const char *arg[128];
    int narg;
};

static void sqlb_init(struct sqlb *b)
{
    buf_init(&b->sql, 64 * 1024);
    b->narg = 0;
}

static void sqlb_arg(struct sqlb *b, const char *s)
{
    if (b->narg < (int)(sizeof(b->arg) / sizeof(b->arg[0])))
        b->arg[b->narg++] = s;
    buf_add(&b->sql, "?", 1);
}

static void sqlb_list(struct sqlb *b, char *const *v, int n)
{
    buf_add(&b->sql, "(", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_add(&b->sql, ",", 1);
        sqlb_arg(b, v[i]);
    }
    buf_add(&b->sql, ")", 1);
}

static sqlite3_stmt *sqlb_prepare(struct db_conn *c, struct sqlb *b)
{
    sqlite3_stmt *st = db_prepare(c, b->sql.s);
    if (!st)
        return NULL;
    for (int i = 0; i < b->narg; i++)
        sqlite3_bind_text(st, i + 1, b->arg[i], -1, SQLITE_STATIC);
    return st;
}

static void sq_release(struct sq *q)
{
    for (int i = 0; i < q->ntok; i++)
        free(q->tok[i].s);
    for (int i = 0; i < q->nprof; i++)
        free(q->prof[i]);
    for (int i = 0; i < q->nspec; i++)
        free(q->spec[i]);
    for (int i = 0; i < q->nmode; i++)
        free(q->mode[i]);
    for (int i = 0; i < q->ndept; i++)
        free(q->dept[i]);
    free(q->city_fold);
    free(q->insee);
    free(q->pc_lo);
    free(q->pc_hi);
}

/* Folds v and appends its words as tokens. -1 when too many. */
static int add_tokens(struct sq *q, const char *v, int cols)
{
    size_t n = strlen(v);
    char *f = xmalloc(n + 1);
    fold(v, n, f);
    int rc = 0;
    char *p = f;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *e = p;
        while (*e && *e != ' ')
            e++;
        if (q->ntok >= (int)(sizeof(q->tok) / sizeof(q->tok[0])) ||
            (cols == COL_ANY && q->nq >= TOK_MAX)) {
            rc = -1;
            break;
        }
        q->tok[q->ntok].s = xstrndup(p, (size_t)(e - p));
        q->tok[q->ntok].cols = cols;
        q->ntok++;
        if (cols == COL_ANY)
            q->nq++;
        p = e;
    }
    free(f);
    return rc;
}

/* Splits a comma-separated value into list (trimmed, non-empty parts). */
static int add_list(char **list, int *n, const char *v, int upper)
{
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *a = p, *z = e;
        while (a < z && *a == ' ')
            a++;
        while (z > a && z[-1] == ' ')
            z--;
        if (z > a) {
            if (*n >= LIST_MAX)
                return -1;
            char *s = xstrndup(a, (size_t)(z - a));
            if (upper)
                for (char *t = s; *t; t++)
                    *t = (char)toupper((unsigned char)*t);
            list[(*n)++] = s;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* Resolves each value of list (code or label, any case or accents) to a code
 * of the code table's list `which`. -1 with a 400 if one is unknown. */
static int resolve_codes(struct db_conn *c, const char *which, char **list,
                         int n, struct api_resp *out)
{
    for (int i = 0; i < n; i++) {
        char up[API_MAX_VALUE + 1];
        size_t len = strlen(list[i]);
        if (len > API_MAX_VALUE)
            len = API_MAX_VALUE;
        for (size_t k = 0; k < len; k++)
            up[k] = (char)toupper((unsigned char)list[i][k]);
        up[len] = '\0';
        if (db_label(c, which, up) ||
            (len <= 16 && !strchr(up, ' ') && db_label(c, which, up))) {
            free(list[i]);
            list[i] = xstrdup(up);
            continue;
        }
        /* A label: compare folded forms (a few hundred rows at most). */
        char want[API_MAX_VALUE + 1];
        fold(list[i], strlen(list[i]), want);
        char *found = NULL;
        sqlite3_stmt *st = db_prepare(
            c, "SELECT code, label FROM code WHERE list = ?1");
        if (st) {
            sqlite3_bind_text(st, 1, which, -1, SQLITE_STATIC);
            while (!found && sqlite3_step(st) == SQLITE_ROW) {
                const char *code = db_text(st, 0), *label = db_text(st, 1);
                if (!code || !label || strlen(label) > API_MAX_VALUE)
                    continue;
                char f[API_MAX_VALUE + 1];
                fold(label, strlen(label), f);
                if (strcmp(f, want) == 0)
                    found = xstrdup(code);
            }
            db_done(st);
        }
        if (!found) {
            /* Accept a well-formed code the dataset happens not to use: the
             * answer is then simply empty. */
            int codelike = len > 0 && len <= 8;
            for (size_t k = 0; k < len; k++)
                if (!isalnum((unsigned char)up[k]))
                    codelike = 0;
            if (!codelike) {
                api_error(out, 400, "unknown %s '%s'", which, list[i]);
                return -1;
            }
            found = xstrdup(up);
        }
        free(list[i]);
        list[i] = found;
    }
    return 0;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (!v || !*v || !isdigit((unsigned char)*v))
        return -1;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}

static int is_insee(const char *v)
{
    if (strlen(v) != 5)
        return 0;
    for (int i = 0; i < 5; i++) {
        int ch = toupper((unsigned char)v[i]);
        if (!(isdigit(ch) || (i == 1 && (ch == 'A' || ch == 'B'))))
            return 0;
    }
    return 1;
}

/* Parses and validates every parameter. 0, or -1 with the error in out. */
static int sq_parse(struct db_conn *c, const struct api_req *r, struct sq *q,
                    int suggest, struct api_resp *out)
{
    static const char *const allowed[] = {
        "q",    "name",    "given",  "profession", "specialty",
        "mode", "city",    "postcode", "dept",     "has_mss",
        "limit", "offset", "facets", NULL};
    static const char *const multi[] = {"profession", "specialty", "mode",
                                        "dept", "facets", NULL};
    static const char *const allowed_suggest[] = {"q", "limit", NULL};
    memset(q, 0, sizeof(*q));
    q->has_mss = -1;
    q->limit = suggest ? 10 : 20;
    if (api_check_params(r, suggest ? allowed_suggest : allowed, multi,
                         out) < 0)
        return -1;
    for (size_t i = 0; i < r->nparams; i++) {
        const char *k = r->params[i].key, *v = r->params[i].val;
        int bad = 0;
        if (strcmp(k, "q") == 0)
            bad = add_tokens(q, v, COL_ANY);
        else if (strcmp(k, "name") == 0)
            bad = add_tokens(q, v, COL_FAM);
        else if (strcmp(k, "given") == 0)
            bad = add_tokens(q, v, COL_FIRST);
        else if (strcmp(k, "profession") == 0)
            bad = add_list(q->prof, &q->nprof, v, 0);
        else if (strcmp(k, "specialty") == 0)
            bad = add_list(q->spec, &q->nspec, v, 0);
        else if (strcmp(k, "mode") == 0) {
            bad = add_list(q->mode, &q->nmode, v, 1);
            for (int j = 0; !bad && j < q->nmode; j++)
                if (strcmp(q->mode[j], "L") && strcmp(q->mode[j], "S") &&
                    strcmp(q->mode[j], "B")) {
                    api_error(out, 400, "mode must be L, S or B");
                    return -1;
                }
        } else if (strcmp(k, "dept") == 0) {
            bad = add_list(q->dept, &q->ndept, v, 1);
            for (int j = 0; !bad && j < q->ndept; j++) {
                size_t n = strlen(q->dept[j]);
                int ok = n >= 2 && n <= 3;
                for (size_t t = 0; ok && t < n; t++)
                    ok = isdigit((unsigned char)q->dept[j][t]) ||
                         (t == 1 && (q->dept[j][t] == 'A' ||
                                     q->dept[j][t] == 'B'));
                if (!ok) {
                    api_error(out, 400, "dept must be a department code"
                                        " (01, 2A, 75, 974)");
                    return -1;
                }
            }
        } else if (strcmp(k, "city") == 0) {
            if (is_insee(v)) {
                q->insee = xstrdup(v);
                q->insee[1] = (char)toupper((unsigned char)q->insee[1]);
            } else {
                char *f = xmalloc(strlen(v) + 1);
                fold(v, strlen(v), f);
                if (!*f) {
                    free(f);
                    api_error(out, 400, "city is empty");
                    return -1;
                }
                q->city_fold = f;
            }
        } else if (strcmp(k, "postcode") == 0) {
            size_t n = strlen(v);
            int ok = n >= 1 && n <= 5;
            for (size_t t = 0; ok && t < n; t++)
                ok = isdigit((unsigned char)v[t]);
            if (!ok) {
                api_error(out, 400, "postcode must be 1 to 5 digits");
                return -1;
            }
            q->pc_lo = xstrdup(v);
            if (n < 5) {
                /* Prefix as a range: "750" -> ["750", "751"), where ':'
                 * follows '9'. */
                q->pc_hi = xstrdup(v);
                q->pc_hi[n - 1]++;
            }
        } else if (strcmp(k, "has_mss") == 0) {
            q->has_mss = parse_bool(v);
            if (q->has_mss < 0) {
                api_error(out, 400, "has_mss must be true or false");
                return -1;
            }
        } else if (strcmp(k, "limit") == 0) {
            if (parse_long(v, 1, API_MAX_LIMIT, &q->limit) < 0) {
                api_error(out, 400, "limit must be 1 to %d", API_MAX_LIMIT);
                return -1;
            }
        } else if (strcmp(k, "offset") == 0) {
            if (parse_long(v, 0, API_MAX_WINDOW, &q->offset) < 0) {
                api_error(out, 400, "offset must be 0 to %d",
                          API_MAX_WINDOW);
                return -1;
            }
        } else if (strcmp(k, "facets") == 0) {
            char *names[LIST_MAX];
            int nn = 0;
            if (add_list(names, &nn, v, 0) < 0) {
                api_error(out, 400, "too many facets");
                return -1;
            }
            for (int j = 0; j < nn; j++) {
                static const char *const fn[] = {"profession", "specialty",
                                                 "dept", "mode", "has_mss"};
                int hit = 0;
                for (int t = 0; t < 5; t++)
                    if (strcmp(names[j], fn[t]) == 0) {
                        q->facets |= 1u << t;
                        hit = 1;
                    }
                if (!hit) {
                    api_error(out, 400,
                              "unknown facet '%s' (profession, specialty,"
                              " dept, mode, has_mss)",
                              names[j]);
                    for (; j < nn; j++)
                        free(names[j]);
                    return -1;
                }
                free(names[j]);
            }
        }
        if (bad) {
            api_error(out, 400, "too many values in '%s'", k);
            return -1;
        }
    }
    if (q->offset + q->limit > API_MAX_WINDOW) {
        api_error(out, 400, "offset + limit must be at most %d",
                  API_MAX_WINDOW);
        return -1;
    }
    if (resolve_codes(c, "profession", q->prof, q->nprof, out) < 0 ||
        resolve_codes(c, "specialty", q->spec, q->nspec, out) < 0)
        return -1;
    if (suggest && q->nq == 0) {
        api_error(out, 400, "q is empty: give the beginning of a name");
        return -1;
    }
    if (q->ntok == 0 && !q->nprof && !q->nspec && !q->nmode && !q->ndept &&
        !q->city_fold && !q->insee && !q->pc_lo && q->has_mss < 0) {
        api_error(out, 400, "empty search: give q, a name or a filter");
        return -1;
    }
    return 0;
}

static int has_loc(const struct sq *q)
{
    return q->nmode || q->ndept || q->city_fold || q->insee || q->pc_lo;
}

/* Location conditions on activity a. plus=1 keeps them off the indexes (the
 * EXISTS must go through activity_nid); driver names the one condition that
 * may use its index when plus=0. */
static void add_loc_conds(struct sqlb *b, const struct sq *q, int plus)
{
    const char *p = plus ? "+" : "";
    if (q->insee) {
        buf_addf(&b->sql, " AND %sa.insee = ", p);
        sqlb_arg(b, q->insee);
        p = "+";
    }
    if (q->city_fold) {
        buf_addf(&b->sql, " AND %sa.city_fold = ", p);
        sqlb_arg(b, q->city_fold);
        p = "+";
    }
    if (q->pc_lo && !q->pc_hi) {
        buf_addf(&b->sql, " AND %sa.postcode = ", p);
        sqlb_arg(b, q->pc_lo);
        p = "+";
    }
    if (q->pc_lo && q->pc_hi) {
        buf_addf(&b->sql, " AND %sa.postcode >= ", p);
        sqlb_arg(b, q->pc_lo);
        buf_addf(&b->sql, " AND %sa.postcode < ", p);
        sqlb_arg(b, q->pc_hi);
        p = "+";
    }
    if (q->ndept) {
        buf_addf(&b->sql, " AND %sa.dept_code IN ", p);
        sqlb_list(b, q->dept, q->ndept);
    }
    if (q->nmode) {
        buf_addstr(&b->sql, " AND +a.mode_code IN ");
        sqlb_list(b, q->mode, q->nmode);
    }
}

/* The conditions on professional p, each " AND ...". */
static void add_filters(struct sqlb *b, const struct sq *q, int skip_loc,
                        int skip_spec, int prof_index)
{
    if (q->nprof == 1 && prof_index) {
        buf_addstr(&b->sql, " AND p.profession_code = ");
        sqlb_arg(b, q->prof[0]);
    } else if (q->nprof) {
        buf_addstr(&b->sql, " AND +p.profession_code IN ");
        sqlb_list(b, q->prof, q->nprof);
    }
    if (q->has_mss >= 0)
        buf_addf(&b->sql, " AND +p.has_mss = %d", q->has_mss);
    if (q->nspec && !skip_spec) {
        buf_addstr(&b->sql, " AND EXISTS (SELECT 1 FROM specialty s WHERE"
                            " s.national_id = p.national_id AND s.code IN ");
        sqlb_list(b, q->spec, q->nspec);
        buf_addstr(&b->sql, ")");
    }
    if (has_loc(q) && !skip_loc) {
        buf_addstr(&b->sql, " AND EXISTS (SELECT 1 FROM activity a WHERE"
                            " a.national_id = p.national_id");
        add_loc_conds(b, q, 1);
        buf_addstr(&b->sql, ")");
    }
}

static int has_filters(const struct sq *q)
{
    return q->nprof || q->nspec || has_loc(q) || q->has_mss >= 0;
}

/* FTS5 expression: every token, quoted (folded tokens are [a-z0-9] and
 * letters fold() passes through, never '"': user input cannot become FTS5
 * syntax), restricted to its columns; exact=1 drops the prefix star. */
static void fts_tok(struct buf *e, const struct tok *t, int exact)
{
    if (t->cols == COL_FAM)
        buf_addstr(e, "{last_fold last_join} : ");
    else if (t->cols == COL_FIRST)
        buf_addstr(e, "{first_fold} : ");
    buf_addf(e, "\"%s\"%s", t->s, exact ? "" : "*");
}

static void fts_all(struct buf *e, const struct sq *q, int exact)
{
    for (int i = 0; i < q->ntok; i++) {
        if (i)
            buf_addstr(e, " AND ");
        fts_tok(e, &q->tok[i], exact);
    }
}

/* Where token t matches a person: 0 exact family word (or the joined family
 * name), 1 exact first-name word, 2 family prefix, 3 first-name prefix,
 * -1 nowhere. Words are the space-separated parts of the folded names, as
 * the FTS tokenizer sees them. */
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

static int tok_class(const struct tok *t, const char *last, const char *first,
                     const char *join)
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

struct cand {
    long long pid;
    int nprefix, nfirst;
    double bm25;
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->nprefix != y->nprefix)
        return x->nprefix - y->nprefix;
    if (x->nfirst != y->nfirst)
        return x->nfirst - y->nfirst;
    if (x->bm25 != y->bm25)
        return x->bm25 < y->bm25 ? -1 : 1; /* more negative = better */
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Computes the tiers of one person. -1 if a token does not match at all
 * (driver path: the person is not in the match). */
static int cand_score(const struct sq *q, struct cand *cd, const char *last,
                      const char *first, const char *join, int strict)
{
    cd->nprefix = cd->nfirst = 0;
    for (int i = 0; i < q->ntok; i++) {
        int k = tok_class(&q->tok[i], last, first, join);
        if (k < 0) {
            if (strict)
                return -1;
            k = 3;
        }
        cd->nprefix += k >= 2;
        cd->nfirst += k == 1 || k == 3;
    }
    return 0;
}

struct result {
    long long *pid; /* the page */
    size_t n, cap;
    long long *all; /* the whole match when known (for facets) */
    size_t nall;
    long long total;
    int total_exact;
    const char *sql_m; /* else: the match as SQL (for facets) */
    struct sqlb *mb;
};

static void res_push(long long **v, size_t *n, size_t *cap, long long x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = x;
}

/* A sorted candidate list: page and whole match. */
static void take_sorted(struct result *res, const struct sq *q,
                        struct cand *cd, size_t n)
{
    if (n > 1)
        qsort(cd, n, sizeof(*cd), cand_cmp);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        res_push(&res->all, &res->nall, &cap, cd[i].pid);
    size_t pcap = 0;
    for (size_t i = (size_t)q->offset;
         i < n && i < (size_t)(q->offset + q->limit); i++)
        res_push(&res->pid, &res->n, &pcap, cd[i].pid);
    res->total = (long long)n;
    res->total_exact = 1;
}

/* Capped count of rows of a statement; -1 on error. */
static long count_rows(struct db_conn *c, struct sqlb *b, long cap)
{
    sqlite3_stmt *st = sqlb_prepare(c, b);
    if (!st)
        return -1;
    long n = 0;
    while (n <= cap && sqlite3_step(st) == SQLITE_ROW)
        n++;
    db_done(st);
    return n;
}

/* The cheapest indexed filter to read in full: 1 location, 2 specialty, 0
 * none small enough. */
static int pick_driver(struct db_conn *c, const struct sq *q)
{
    long nloc = -1, nspec = -1;
    if (q->insee || q->city_fold || q->pc_lo || q->ndept) {
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, "SELECT 1 FROM activity a WHERE 1");
        add_loc_conds(&b, q, 0);
        buf_addf(&b.sql, " LIMIT %d", DRIVER_MAX + 1);
        db_budget(c, COUNT_MS);
        nloc = count_rows(c, &b, DRIVER_MAX);
        if (c->interrupted)
            nloc = -1;
        db_budget(c, 0);
        buf_release(&b.sql);
    }
    if (q->nspec) {
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, "SELECT 1 FROM specialty WHERE code IN ");
        sqlb_list(&b, q->spec, q->nspec);
        buf_addf(&b.sql, " LIMIT %d", DRIVER_MAX + 1);
        db_budget(c, COUNT_MS);
        nspec = count_rows(c, &b, DRIVER_MAX);
        if (c->interrupted)
            nspec = -1;
        db_budget(c, 0);
        buf_release(&b.sql);
    }
    int dl = nloc >= 0 && nloc <= DRIVER_MAX;
    int ds = nspec >= 0 && nspec <= DRIVER_MAX;
    if (dl && (!ds || nloc <= nspec))
        return 1;
    if (ds)
        return 2;
    return 0;
}

/* The people of the driver filter that pass every other filter: SQL into b
 * (columns pid, last_fold, first_fold, last_join). */
static void driver_sql(struct sqlb *b, const struct sq *q, int driver)
{
    if (driver == 1) {
        buf_addstr(&b->sql,
                   "SELECT DISTINCT p.pid, p.last_fold, p.first_fold,"
                   " p.last_join FROM activity a CROSS JOIN professional p"
                   " ON p.national_id = a.national_id WHERE 1");
        add_loc_conds(b, q, 0);
        add_filters(b, q, 1, 0, 0);
    } else {
        buf_addstr(&b->sql,
                   "SELECT DISTINCT p.pid, p.last_fold, p.first_fold,"
                   " p.last_join FROM specialty s CROSS JOIN professional p"
                   " ON p.national_id = s.national_id WHERE s.code IN ");
        sqlb_list(b, q->spec, q->nspec);
        add_filters(b, q, 0, 1, 0);
    }
}

static int run_driver(struct db_conn *c, const struct sq *q, int driver,
                      struct result *res)
{
    struct sqlb b;
    sqlb_init(&b);
    driver_sql(&b, q, driver);
    sqlite3_stmt *st = sqlb_prepare(c, &b);
    buf_release(&b.sql);
    if (!st)
        return -1;
    struct cand *cd = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cand x = {.pid = sqlite3_column_int64(st, 0)};
        if (q->ntok &&
            cand_score(q, &x, db_text(st, 1), db_text(st, 2), db_text(st, 3),
                       1) < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            cd = xrealloc(cd, cap * sizeof(*cd));
        }
        cd[n++] = x;
    }
    db_done(st);
    take_sorted(res, q, cd, n);
    free(cd);
    return 0;
}

/* Small FTS match: all of it, with bm25, ranked in C. */
static int run_fts_small(struct db_conn *c, const struct sq *q,
                         const char *expr, struct result *res)
{
    struct sqlb b;
    sqlb_init(&b);
    buf_addstr(&b.sql, "SELECT p.pid, p.last_fold, p.first_fold, p.last_join,"
                       " bm25(name_fts) FROM name_fts CROSS JOIN"
                       " professional p ON p.pid = name_fts.rowid"
                       " WHERE name_fts MATCH ");
    sqlb_arg(&b, expr);
    add_filters(&b, q, 0, 0, 0);
    sqlite3_stmt *st = sqlb_prepare(c, &b);
    buf_release(&b.sql);
    if (!st)
        return -1;
    struct cand *cd = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cand x = {.pid = sqlite3_column_int64(st, 0),
                         .bm25 = sqlite3_column_double(st, 4)};
        cand_score(q, &x, db_text(st, 1), db_text(st, 2), db_text(st, 3), 0);
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            cd = xrealloc(cd, cap * sizeof(*cd));
        }
        cd[n++] = x;
    }
    db_done(st);
    take_sorted(res, q, cd, n);
    free(cd);
    return 0;
}

/* Large FTS match: tier expressions, each read in pid order. */
static int fts_tiers(const struct sq *q, struct buf *tiers, int max)
{
    int n = 0;
    for (int i = 0; i < max; i++)
        buf_init(&tiers[i], 16 * 1024);
    if (q->ntok == 1 && q->tok[0].cols == COL_ANY) {
        const char *t = q->tok[0].s;
        buf_addf(&tiers[n++], "{last_fold last_join} : \"%s\"", t);
        buf_addf(&tiers[n++],
                 "{first_fold} : \"%s\" NOT {last_fold last_join} : \"%s\"",
                 t, t);
        buf_addf(&tiers[n++],
                 "{last_fold last_join} : \"%s\"* NOT"
                 " ({last_fold last_join} : \"%s\" OR {first_fold} : \"%s\")",
                 t, t, t);
        buf_addf(&tiers[n++],
                 "{first_fold} : \"%s\"* NOT ({last_fold last_join} : \"%s\"*"
                 " OR {first_fold} : \"%s\")",
                 t, t, t);
        return n;
    }
    fts_all(&tiers[n++], q, 1);
    buf_addstr(&tiers[n], "(");
    fts_all(&tiers[n], q, 0);
    buf_addstr(&tiers[n], ") NOT (");
    fts_all(&tiers[n], q, 1);
    buf_addstr(&tiers[n++], ")");
    return n;
}

static void text_match_sql(struct sqlb *b, const struct sq *q,
                           const char *expr)
{
    if (has_filters(q)) {
        buf_addstr(&b->sql, "SELECT p.pid FROM name_fts CROSS JOIN"
                            " professional p ON p.pid = name_fts.rowid"
                            " WHERE name_fts MATCH ");
        sqlb_arg(b, expr);
        add_filters(b, q, 0, 0, 0);
    } else {
        buf_addstr(&b->sql,
                   "SELECT rowid FROM name_fts WHERE name_fts MATCH ");
        sqlb_arg(b, expr);
    }
}

/* Counts the match of b within the budget: exact, or a lower bound. */
static void count_match(struct db_conn *c, struct sqlb *b, struct result *res)
{
    sqlite3_stmt *st = sqlb_prepare(c, b);
    if (!st)
        return;
    long long n = 0;
    db_budget(c, COUNT_MS);
    while (sqlite3_step(st) == SQLITE_ROW)
        n++;
    int cut = c->interrupted;
    db_budget(c, 0);
    db_done(st);
    if (n > res->total)
        res->total = n;
    res->total_exact = !cut;
}

static int run_fts_large(struct db_conn *c, const struct sq *q,
                         const char *expr, struct result *res, int count)
{
    struct buf tiers[4];
    int nt = fts_tiers(q, tiers, 4);
    long skip = q->offset, need = q->limit;
    long long seen = 0;
    int complete = 1;
    size_t pcap = 0;
    for (int t = 0; t < nt; t++) {
        if (need == 0) {
            complete = 0;
            break;
        }
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, "SELECT p.pid FROM name_fts CROSS JOIN"
                           " professional p ON p.pid = name_fts.rowid"
                           " WHERE name_fts MATCH ");
        sqlb_arg(&b, tiers[t].s);
        add_filters(&b, q, 0, 0, 0);
        buf_addstr(&b.sql, " ORDER BY name_fts.rowid");
        sqlite3_stmt *st = sqlb_prepare(c, &b);
        buf_release(&b.sql);
        if (!st)
            break;
        while (need > 0 && sqlite3_step(st) == SQLITE_ROW) {
            seen++;
            if (skip > 0) {
                skip--;
                continue;
            }
            res_push(&res->pid, &res->n, &pcap, sqlite3_column_int64(st, 0));
            need--;
        }
        if (need == 0 && sqlite3_step(st) == SQLITE_ROW)
            complete = 0;
        db_done(st);
    }
    for (int t = 0; t < 4; t++)
        buf_release(&tiers[t]);
    res->total = seen;
    res->total_exact = complete;
    if (!complete && count) {
        struct sqlb b;
        sqlb_init(&b);
        text_match_sql(&b, q, expr);
        count_match(c, &b, res);
        buf_release(&b.sql);
    }
    return 0;
}

/* Filters only, no selective driver: pid-order scan. */
static int run_scan(struct db_conn *c, const struct sq *q, struct result *res,
                    int count)
{
    struct sqlb b;
    sqlb_init(&b);
    buf_addstr(&b.sql, "SELECT p.pid FROM professional p WHERE 1");
    add_filters(&b, q, 0, 0, 1);
    buf_addf(&b.sql, " ORDER BY p.pid LIMIT %ld OFFSET %ld", q->limit + 1,
             q->offset);
    sqlite3_stmt *st = sqlb_prepare(c, &b);
    buf_release(&b.sql);
    if (!st)
        return -1;
    size_t pcap = 0;
    int more = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((long)res->n == q->limit) {
            more = 1;
            break;
        }
        res_push(&res->pid, &res->n, &pcap, sqlite3_column_int64(st, 0));
    }
    db_done(st);
    res->total = q->offset + (long long)res->n;
    res->total_exact = !more && (res->n > 0 || q->offset == 0);
    if (res->total_exact || !count)
        return 0;
    /* Only professions: the code table counts them already. */
    if (q->nprof && !q->nspec && !has_loc(q) && q->has_mss < 0) {
        long long sum = 0;
        sqlite3_stmt *cs = db_prepare(
            c, "SELECT count FROM code WHERE list = 'profession'"
               " AND code = ?1");
        for (int i = 0; cs && i < q->nprof; i++) {
            sqlite3_reset(cs);
            sqlite3_bind_text(cs, 1, q->prof[i], -1, SQLITE_STATIC);
            if (sqlite3_step(cs) == SQLITE_ROW)
                sum += sqlite3_column_int64(cs, 0);
        }
        db_done(cs);
        if (sum >= res->total) {
            res->total = sum;
            res->total_exact = 1;
            return 0;
        }
    }
    sqlb_init(&b);
    buf_addstr(&b.sql, "SELECT p.pid FROM professional p WHERE 1");
    add_filters(&b, q, 0, 0, 1);
    count_match(c, &b, res);
    buf_release(&b.sql);
    return 0;
}

/* Facets: counts over the whole match, from the list of its pids when known,
 * else by reading the match again (within FACET_MS). */
struct facets {
    json_t *map[5]; /* value -> count */
    int exact;
    long long lastpid;
};

static void facet_inc(json_t *m, const char *v)
{
    if (!v)
        v = "";
    json_t *n = json_object_get(m, v);
    if (n)
        json_integer_set(n, json_integer_value(n) + 1);
    else
        json_object_set_new(m, v, json_integer(1));
}

static void facet_pid(struct db_conn *c, const struct sq *q,
                      struct facets *f, long long pid)
{
    sqlite3_stmt *st = db_prepare(
        c, "SELECT national_id, profession_code, has_mss FROM professional"
           " WHERE pid = ?1");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return;
    }
    char nid[64];
    snprintf(nid, sizeof(nid), "%s", db_text(st, 0) ? db_text(st, 0) : "");
    if (q->facets & FACET_PROFESSION)
        facet_inc(f->map[0], db_text(st, 1));
    if (q->facets & FACET_HAS_MSS)
        facet_inc(f->map[4], sqlite3_column_int(st, 2) ? "true" : "false");
    db_done(st);
    if (q->facets & FACET_SPECIALTY) {
        st = db_prepare(c, "SELECT code FROM specialty WHERE national_id = ?1");
        if (st) {
            sqlite3_bind_text(st, 1, nid, -1, SQLITE_STATIC);
            while (sqlite3_step(st) == SQLITE_ROW)
                facet_inc(f->map[1], db_text(st, 0));
            db_done(st);
        }
    }
    if (q->facets & (FACET_DEPT | FACET_MODE)) {
        st = db_prepare(c, "SELECT DISTINCT dept_code, mode_code FROM"
                           " activity WHERE national_id = ?1");
        if (st) {
            json_t *seen_d = json_object(), *seen_m = json_object();
            sqlite3_bind_text(st, 1, nid, -1, SQLITE_STATIC);
            while (sqlite3_step(st) == SQLITE_ROW) {
                const char *d = db_text(st, 0), *m = db_text(st, 1);
                if ((q->facets & FACET_DEPT) && d &&
                    !json_object_get(seen_d, d)) {
                    json_object_set_new(seen_d, d, json_true());
                    facet_inc(f->map[2], d);
                }
                if ((q->facets & FACET_MODE) && m &&
                    !json_object_get(seen_m, m)) {
                    json_object_set_new(seen_m, m, json_true());
                    facet_inc(f->map[3], m);
                }
            }
            db_done(st);
            json_decref(seen_d);
            json_decref(seen_m);
        }
    }
}

static int facet_cmp(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t cx = json_integer_value(json_object_get(x, "count"));
    json_int_t cy = json_integer_value(json_object_get(y, "count"));
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "code")),
                  json_string_value(json_object_get(y, "code")));
}

static json_t *facets_json(struct db_conn *c, struct facets *f,
                           const struct sq *q)
{
    static const char *const names[] = {"profession", "specialty", "dept",
                                        "mode", "has_mss"};
    static const char *const lists[] = {"profession", "specialty", NULL,
                                        "mode", NULL};
    json_t *o = json_object();
    for (int i = 0; i < 5; i++) {
        if (!(q->facets & (1u << i)))
            continue;
        size_t n = json_object_size(f->map[i]), k = 0;
        json_t **v = xcalloc(n ? n : 1, sizeof(*v));
        const char *key;
        json_t *val;
        json_object_foreach(f->map[i], key, val)
        {
            json_t *e = json_pack("{s:s, s:I}", "code", key, "count",
                                  json_integer_value(val));
            if (lists[i]) {
                const char *l = db_label(c, lists[i], key);
                json_t *jl = l ? json_string(l) : NULL;
                json_object_set_new(e, "label", jl ? jl : json_null());
            }
            v[k++] = e;
        }
        if (k > 1)
            qsort(v, k, sizeof(*v), facet_cmp);
        json_t *arr = json_array();
        for (size_t j = 0; j < k; j++)
            json_array_append_new(arr, v[j]);
        free(v);
        json_object_set_new(o, names[i], arr);
    }
    return o;
}

static json_t *compute_facets(struct db_conn *c, const struct sq *q,
                              struct result *res, const char *expr)
{
    struct facets f = {.exact = 1};
    for (int i = 0; i < 5; i++)
        f.map[i] = json_object();
    double deadline = now_s() + FACET_MS / 1000.0;
    if (res->all) {
        for (size_t i = 0; i < res->nall; i++) {
            if ((i & 63) == 0 && now_s() > deadline) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, res->all[i]);
        }
    } else {
        struct sqlb b;
        sqlb_init(&b);
        if (expr) {
            text_match_sql(&b, q, expr);
        } else {
            buf_addstr(&b.sql, "SELECT p.pid FROM professional p WHERE 1");
            add_filters(&b, q, 0, 0, 1);
        }
        /* The match statement and the per-pid lookups are different
         * statements: stepping one while using the others is fine. */
        sqlite3_stmt *st = sqlb_prepare(c, &b);
        buf_release(&b.sql);
        db_budget(c, FACET_MS);
        long i = 0;
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            if ((i++ & 63) == 0 && now_s() > deadline) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, sqlite3_column_int64(st, 0));
        }
        if (c->interrupted)
            f.exact = 0;
        db_budget(c, 0);
        db_done(st);
    }
    json_t *o = facets_json(c, &f, q);
    json_object_set_new(o, "exact", json_boolean(f.exact));
    for (int i = 0; i < 5; i++)
        json_decref(f.map[i]);
    return o;
}

/* Runs the search; the page's pids in res. */
static int run_search(struct db_conn *c, const struct sq *q,
                      struct result *res, struct buf *expr, int count)
{
    memset(res, 0, sizeof(*res));
    buf_init(expr, 16 * 1024);
    if (q->ntok) {
        fts_all(expr, q, 0);
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, "SELECT rowid FROM name_fts WHERE name_fts MATCH ");
        sqlb_arg(&b, expr->s);
        buf_addf(&b.sql, " LIMIT %d", CAND_MAX + 1);
        long n = count_rows(c, &b, CAND_MAX);
        buf_release(&b.sql);
        if (n < 0)
            return -1;
        if (n <= CAND_MAX)
            return run_fts_small(c, q, expr->s, res);
        int driver = pick_driver(c, q);
        if (driver)
            return run_driver(c, q, driver, res);
        return run_fts_large(c, q, expr->s, res, count);
    }
    int driver = pick_driver(c, q);
    if (driver)
        return run_driver(c, q, driver, res);
    return run_scan(c, q, res, count);
}

static void result_release(struct result *res)
{
    free(res->pid);
    free(res->all);
}

void api_search(struct db_conn *c, const struct api_req *r,
                struct api_resp *out)
{
    struct sq q;
    if (sq_parse(c, r, &q, 0, out) < 0) {
        sq_release(&q);
        return;
    }
    struct result res;
    struct buf expr;
    if (run_search(c, &q, &res, &expr, 1) < 0) {
        api_error(out, 503, "database error");
        goto out;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < res.n; i++) {
        json_t *o = record_json(c, res.pid[i], 0);
        if (o)
            json_array_append_new(arr, o);
    }
    out->status = 200;
    out->body = json_pack("{s:I, s:b, s:I, s:I, s:o}", "total",
                          (json_int_t)res.total, "total_exact",
                          res.total_exact, "limit", (json_int_t)q.limit,
                          "offset", (json_int_t)q.offset, "results", arr);
    if (q.facets)
        json_object_set_new(out->body, "facets",
                            compute_facets(c, &q, &res,
                                           q.ntok ? expr.s : NULL));
out:
    buf_release(&expr);
    result_release(&res);
    sq_release(&q);
}

void api_suggest(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    struct sq q;
    if (sq_parse(c, r, &q, 1, out) < 0) {
        sq_release(&q);
        return;
    }
    if (q.nq > 2) {
        api_error(out, 400, "suggest takes one or two words");
        sq_release(&q);
        return;
    }
    struct result res;
    struct buf expr;
    if (run_search(c, &q, &res, &expr, 0) < 0) {
        api_error(out, 503, "database error");
        goto out;
    }
    json_t *arr = json_array();
    sqlite3_stmt *st = db_prepare(
        c, "SELECT national_id, last_name, first_name, profession_code"
           " FROM professional WHERE pid = ?1");
    for (size_t i = 0; st && i < res.n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, res.pid[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        const char *last = db_text(st, 1), *first = db_text(st, 2);
        char text[512];
        snprintf(text, sizeof(text), "%s%s%s", last ? last : "",
                 last && first ? " " : "", first ? first : "");
        const char *prof = db_text(st, 3);
        const char *pl = prof ? db_label(c, "profession", prof) : NULL;
        json_t *jt = json_string(text), *jl = json_string(last ? last : ""),
               *jf = json_string(first ? first : "");
        json_array_append_new(
            arr, json_pack("{s:s, s:o, s:o, s:o, s:o}", "id",
                           db_text(st, 0) ? db_text(st, 0) : "", "text",
                           jt ? jt : json_null(), "last_name",
                           jl ? jl : json_null(), "first_name",
                           jf ? jf : json_null(), "profession",
                           pl ? json_string(pl) : json_null()));
    }
    db_done(st);
    out->status = 200;
    out->body = json_pack("{s:o}", "suggestions", arr);
out:
    buf_release(&expr);
    result_release(&res);
    sq_release(&q);
}
