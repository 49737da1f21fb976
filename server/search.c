/* GET /v1/search and /v1/suggest: parameters -> a match in pid order -> a
 * ranked page.
 *
 * Where the time goes (docs perf-notes): scoring every match is the cost, a
 * read that stops after 20 rows in pid order (the default order, fixed at
 * import) is microseconds. Every condition is therefore read as a stream of
 * pids in ascending order (stream.h): the name words' FTS5 match (rowid =
 * pid), the profession and specialty indexes (code, pid), the activity
 * indexes (key, aid = pid << 20 | seq), has_mss as a pid range (those with
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
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fold.h"
#include "stream.h"
#include "util.h"
#include "banned.h"

#define TOK_MAX 8      /* words in q: a name has a handful */
#define LIST_MAX 16    /* values of one repeated filter */
/* A match this small is ranked exactly: < 1 ms. (cand_max, drive_max and
 * the budgets below are variables only so that the end-to-end tests can
 * send a ten-person fixture down the paths of large matches: see
 * api_search_tune().) */
static long cand_max = 1000;
/* Budget to count a large match once the page is known. Every large match
 * pays it, so it is a share of the 1 ms median target; about 5,000 pids. */
#define COUNT_MS 0.1
#define FACET_MS 200.0 /* budget for facets, which callers ask for rarely */
/* A word beyond name_fts's prefix index lengths is replaced by the OR of
 * the exact name words it begins (name_term) when there are at most this
 * many: FTS5 then reads each doclist lazily in rowid order, where a prefix
 * query would first merge the doclists of every matching word (5 ms for a
 * 4-letter prefix matching 50,000 people). */
static int expand_max = 64;
/* Words of name_term added up to size a prefix that FTS5 would have to
 * merge: below that many, whether the match is small is known without
 * reading it (0.1 ms at most). */
#define TERM_SCAN 2000
/* Steps tried before a stream runs its statement again from a new bound:
 * an index entry costs ~0.1 µs, a new B-tree descent ~2 µs, a new FTS5
 * expression 5-50 µs. */
#define STEP_INDEX 16
#define STEP_FTS 256

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

/* ---- Filters as pid streams ---- */

/* Which activity index reads the place conditions. */
enum { LOC_SCAN, LOC_INSEE, LOC_CITY, LOC_PC, LOC_PCS, LOC_DEPT };

/* Postal codes are 5 characters; a longer value in the data (never seen)
 * makes a prefix read by scan instead. */
#define PC_LEN 16
/* Rows a place key is counted to, to order the streams. */
#define EST_CAP 1000

struct fplan {
    struct stream st[3]; /* profession, specialty, place (or all pids) */
    struct stream *v[4]; /* the streams in use */
    int nv;
    long long lo, hi;          /* pid range: has_mss */
    long long known_total;     /* filters only: exact total, or -1 */
    long long prof_total;      /* professionals with the profession */
    long long spec_total;      /* or specialty codes (code table) */
    const unsigned char *prof_of; /* pid -> profession index, when the
                                   * profession is checked, not streamed */
    long long prof_n;
    unsigned char prof_ok[256];
    sqlite3_stmt *check;       /* place conditions the place stream does
                                * not read, on one pid's activities */
    int check_param;           /* its first aid bound parameter */
    int place_prof;            /* the place stream reads the profession */
    char pcs[STREAM_SUBS_MAX][PC_LEN];
};

/* Stream order in an intersection: a stream known to be small drives;
 * then the name match (FTS5 rows cost little to step, much to seek), the
 * place, the specialty, the profession (dense, cheap to step), a scan
 * last. */
enum { ORD_TEXT = 1, ORD_PLACE, ORD_SPEC, ORD_PROF, ORD_SCAN };
static long drive_max = 5000;
/* Reading the filters' people for a large name match: at most this many,
 * within this budget (covering index entries cost ~0.1 us). */
#define DRIVER_PIDS 20000
#define DRIVER_MS 5.0

void api_search_tune(long cand, long drive, int expand)
{
    if (cand > 0)
        cand_max = cand;
    if (drive > 0)
        drive_max = drive;
    if (expand >= 0)
        expand_max = expand;
}

static long long order_key(int cls, long long est)
{
    return est <= drive_max ? est : ((long long)cls << 40) + est;
}

/* Prepares b's statement with a tag appended to its text: statements are
 * cached by text, and two streams alive at once need two statements. */
static sqlite3_stmt *prep_tag(struct db_conn *c, struct sqlb *b, char role,
                              int k)
{
    size_t len = b->sql.len;
    buf_addf(&b->sql, " /*%c%d*/", role, k);
    sqlite3_stmt *st = sqlb_prepare(c, b);
    b->sql.len = len;
    b->sql.s[len] = '\0';
    return st;
}

static long long code_count(struct db_conn *c, const char *list,
                            const char *code)
{
    sqlite3_stmt *st = db_prepare(
        c, "SELECT count FROM code WHERE list = ?1 AND code = ?2");
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
                      const char *list, char role, char *const *codes,
                      int n, int cls, long long *count)
{
    long long est = 0;
    for (int i = 0; i < n; i++)
        est += code_count(c, list, codes[i]);
    *count = est;
    stream_init(s, 0, 2, STEP_INDEX, order_key(cls, est));
    for (int i = 0; i < n; i++) {
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, sql);
        sqlb_arg(&b, codes[i]);
        buf_addstr(&b.sql, " AND pid >= ? ORDER BY pid");
        sqlite3_stmt *st = prep_tag(c, &b, role, i);
        buf_release(&b.sql);
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
    sqlite3_stmt *first = db_prepare(
        c, "SELECT postcode FROM activity WHERE postcode >= ?1"
           " AND postcode < ?2 ORDER BY postcode LIMIT 1");
    sqlite3_stmt *next = db_prepare(
        c, "SELECT postcode FROM activity WHERE postcode > ?1"
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
static long long loc_est(struct db_conn *c, const char *index,
                         const char *col, const char *v)
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

/* plan_loc() with an index on (key, profession_code). */
static int plan_loc_prof(struct db_conn *c, const struct sq *q,
                         struct fplan *fp, struct stream *s, int key,
                         const char *index, const char *col,
                         const char *const *keys, int nkeys)
{
    if (plan_loc_check(c, q, fp, key) < 0)
        return -1;
    /* Usually small: it drives, unless the count says otherwise. */
    stream_init(s, 20, 3, STEP_INDEX, order_key(ORD_PLACE, drive_max / 2));
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
                buf_release(&b.sql);
                return -1;
            }
            sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, q->prof[j], -1, SQLITE_STATIC);
            stream_add(s, st);
        }
    }
    buf_release(&b.sql);
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
    buf_release(&b.sql);
    if (!more)
        return 0;
    struct sqlb k;
    sqlb_init(&k);
    buf_addstr(&k.sql, "SELECT 1 FROM activity WHERE 1");
    loc_rest(&k, q, LOC_SCAN);
    buf_addstr(&k.sql, " AND aid BETWEEN ? AND ? LIMIT 1");
    fp->check_param = k.narg + 1;
    fp->check = sqlb_prepare(c, &k);
    buf_release(&k.sql);
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
    const char *keys[STREAM_SUBS_MAX];
    int nkeys = 0, key = LOC_SCAN, pk = -1;
    const char *col = NULL, *index = NULL;
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
    if (pk >= 0 && q->nprof && c->place_prof_index[pk][0] &&
        nkeys * q->nprof <= STREAM_SUBS_MAX)
        return plan_loc_prof(c, q, fp, s, key, c->place_prof_index[pk], col,
                             keys, nkeys);
    struct sqlb b;
    sqlb_init(&b);
    if (key == LOC_SCAN) {
        stream_init(s, 20, 0, STEP_INDEX, order_key(ORD_SCAN, 0));
        buf_addstr(&b.sql, "SELECT aid FROM activity WHERE 1");
        loc_rest(&b, q, key);
        buf_addstr(&b.sql, " AND aid >= ? ORDER BY aid");
        s->bound_param = b.narg + 1;
        sqlite3_stmt *st = prep_tag(c, &b, 'L', 0);
        buf_release(&b.sql);
        if (!st)
            return -1;
        stream_add(s, st);
        return 0;
    }
    buf_release(&b.sql);
    /* The check: the same activity meets every place condition. */
    if (plan_loc_check(c, q, fp, key) < 0)
        return -1;
    /* A capped count says "at least": only a count below the cap may make
     * the place drive. Counted only when there is another stream to order
     * it against. */
    long long est = nkeys == 1 && need_est
                        ? loc_est(c, index, col, keys[0])
                        : (long long)(EST_CAP + 1) * nkeys;
    if (est > EST_CAP)
        est += drive_max;
    stream_init(s, 20, 2, STEP_INDEX, order_key(ORD_PLACE, est));
    sqlb_init(&b);
    buf_addf(&b.sql,
             "SELECT aid FROM activity INDEXED BY %s WHERE %s = ?1"
             " AND aid >= ?2 ORDER BY aid",
             index, col);
    for (int i = 0; i < nkeys; i++) {
        sqlite3_stmt *st = prep_tag(c, &b, 'L', i);
        if (!st) {
            buf_release(&b.sql);
            return -1;
        }
        sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_TRANSIENT);
        stream_add(s, st);
    }
    buf_release(&b.sql);
    return 0;
}

static int est_cmp(const void *a, const void *b)
{
    const struct stream *x = *(struct stream *const *)a;
    const struct stream *y = *(struct stream *const *)b;
    return x->est < y->est ? -1 : x->est > y->est;
}

/* 1 if pid passes the place check (or there is none), 0 if not, -1 on a
 * database error. */
static int place_ok(struct fplan *fp, long long pid)
{
    if (!fp->check)
        return 1;
    sqlite3_reset(fp->check);
    sqlite3_bind_int64(fp->check, fp->check_param, pid << 20);
    sqlite3_bind_int64(fp->check, fp->check_param + 1, (pid << 20) | 0xFFFFF);
    int rc = sqlite3_step(fp->check);
    sqlite3_reset(fp->check);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The next pid >= from in every stream of v[0..n) (ordered) that passes
 * the place check, or STREAM_END (also on an error: *err set). */
static long long match_next(struct fplan *fp, struct stream **v, int n,
                            long long from, int *err)
{
    for (;;) {
        long long p = stream_and(v, n, from, fp->hi);
        if (p == STREAM_END)
            return p;
        if (fp->prof_of &&
            (p >= fp->prof_n || !fp->prof_ok[fp->prof_of[p]])) {
            from = p + 1;
            continue;
        }
        int ok = place_ok(fp, p);
        if (ok > 0)
            return p;
        if (ok < 0) {
            *err = 1;
            return STREAM_END;
        }
        from = p + 1;
    }
}

/* Every filter as a stream, and has_mss as a pid range (professionals with
 * a mailbox are pids 1 .. mss_end). With no filter stream (has_mss alone,
 * or name words alone) and no_text, a stream of all pids. */
static int plan_filters(struct db_conn *c, const struct sq *q,
                        struct fplan *fp, int no_text)
{
    fp->nv = 0;
    fp->known_total = -1;
    fp->check = NULL;
    fp->prof_of = NULL;
    fp->place_prof = 0;
    fp->lo = 1;
    fp->hi = c->max_pid;
    if (q->has_mss == 1)
        fp->hi = c->mss_end;
    else if (q->has_mss == 0)
        fp->lo = c->mss_end + 1;
    if (q->nprof) {
        struct stream *s = &fp->st[fp->nv];
        if (plan_codes(c, s,
                       "SELECT pid FROM professional INDEXED BY"
                       " professional_profession WHERE profession_code = ",
                       "profession", 'P', q->prof, q->nprof, ORD_PROF,
                       &fp->prof_total) < 0)
            return -1;
        fp->v[fp->nv++] = s;
    }
    if (q->nspec) {
        struct stream *s = &fp->st[fp->nv];
        if (plan_codes(c, s,
                       "SELECT pid FROM specialty INDEXED BY specialty_code"
                       " WHERE code = ",
                       "specialty", 'S', q->spec, q->nspec, ORD_SPEC,
                       &fp->spec_total) < 0)
            return -1;
        fp->v[fp->nv++] = s;
    }
    if (has_loc(q)) {
        struct stream *s = &fp->st[fp->nv];
        /* Another stream to order the place against: the words, a
         * specialty, a profession small enough to stay a stream. */
        int need_est = !no_text || q->nspec ||
                       (q->nprof && fp->prof_total <= drive_max);
        if (plan_loc(c, q, fp, s, need_est) < 0)
            return -1;
        fp->v[fp->nv++] = s;
    }
    /* A large profession is checked in memory on the candidates the other
     * streams agree on rather than read as a stream: dense, it would be
     * seeked at almost every candidate. */
    int others = fp->nv - 1 + !no_text; /* streams besides the profession */
    if (q->nprof && others > 0 &&
        (fp->prof_total > drive_max || fp->place_prof)) {
        memset(fp->prof_ok, 0, sizeof(fp->prof_ok));
        for (int i = 0; i < q->nprof; i++) {
            int k = db_prof_index(c, q->prof[i]);
            if (k)
                fp->prof_ok[k] = 1;
        }
        fp->prof_of = c->shared->prof;
        fp->prof_n = c->shared->n;
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
        else if (fp->nv == 1 && !q->nprof && q->nspec == 1 &&
                 q->has_mss < 0)
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
        fp->v[fp->nv++] = s;
    }
    return 0;
}

/* ---- Name words as FTS5 expressions ---- */

#define TIER_MAX 4

/* What the name words ask of name_fts: the expression of the whole match
 * (every word as a prefix, in its columns) and a partition of it into
 * tiers, best first; per word, how many rows its phrase matches (bm25's
 * document frequency). */
struct text_plan {
    struct buf all;
    struct buf tier[TIER_MAX];
    int ntier;
    int lazy;               /* no phrase makes FTS5 merge doclists first */
    int none;               /* a word begins no name word: no match */
    double nhit[TOK_MAX * 3];
    long long est;          /* an upper bound of the match, for ordering */
    long long lower;        /* one word alone: a lower bound of it */
    struct buf exact[TOK_MAX * 3], prefix[TOK_MAX * 3];
};

static void text_plan_release(struct text_plan *tp, int ntok)
{
    buf_release(&tp->all);
    for (int i = 0; i < TIER_MAX; i++)
        buf_release(&tp->tier[i]);
    for (int i = 0; i < ntok; i++) {
        buf_release(&tp->exact[i]);
        buf_release(&tp->prefix[i]);
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
    int indexed = len < 32 && (c->fts_prefix & (1u << len));
    *nhit = c->fts_rows / 4;
    *maxn = 0;
    char hi[64];
    if (!is_plain(t) || len + 1 > sizeof(hi)) {
        buf_addf(out, "\"%s\"*", t);
        if (!indexed)
            *lazy = 0;
        return 1;
    }
    if (indexed && len <= 3) {
        const struct db_prefix *ps = db_prefix_stat(c, t);
        if (!ps)
            return 0;
        *nhit = ps->sum < c->fts_rows ? ps->sum : c->fts_rows;
        *maxn = ps->max;
        buf_addf(out, "\"%s\"*", t);
        return 1;
    }
    memcpy(hi, t, len + 1);
    hi[len - 1]++; /* 'z' + 1 = '{', '9' + 1 = ':' */
    sqlite3_stmt *st =
        db_prepare(c, "SELECT term, n FROM name_term WHERE term >= ?1"
                      " AND term < ?2 ORDER BY term LIMIT ?3");
    int n = 0, scan = indexed ? expand_max + 1 : TERM_SCAN;
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
        if (n++ < expand_max)
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
        *nhit = sum < c->fts_rows ? sum : c->fts_rows;
    else if (sum > *nhit)
        *nhit = sum;
    if (indexed || n > expand_max || unplain) {
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

/* Every word (exact=1: as a whole word, else as a prefix), ANDed. */
static void all_words(struct buf *e, const struct sq *q,
                      const struct text_plan *tp, int exact)
{
    for (int i = 0; i < q->ntok; i++) {
        if (i)
            buf_addstr(e, " AND ");
        in_cols(e, q->tok[i].cols,
                exact ? tp->exact[i].s : tp->prefix[i].s);
    }
}

/* The FTS5 expressions of the words of q, name and given. Folded words are
 * [a-z0-9] and letters fold() passes through, never '"', so client input
 * cannot become FTS5 syntax. Tiers: one word from q: exact family word,
 * exact first name, family prefix, first-name prefix; otherwise: every
 * word exact, then the rest. */
static void text_plan(struct db_conn *c, const struct sq *q,
                      struct text_plan *tp)
{
    memset(tp, 0, sizeof(*tp));
    buf_init(&tp->all, 64 * 1024);
    for (int i = 0; i < TIER_MAX; i++)
        buf_init(&tp->tier[i], 64 * 1024);
    tp->lazy = 1;
    tp->est = c->max_pid;
    for (int i = 0; i < q->ntok; i++) {
        buf_init(&tp->exact[i], 1024);
        buf_init(&tp->prefix[i], 16 * 1024);
        buf_addf(&tp->exact[i], "\"%s\"", q->tok[i].s);
        double maxn;
        if (!word_prefix(c, q->tok[i].s, &tp->prefix[i], &tp->nhit[i],
                         &maxn, &tp->lazy))
            tp->none = 1;
        if (maxn > tp->lower)
            tp->lower = (long long)maxn;
        if (tp->nhit[i] < tp->est)
            tp->est = (long long)tp->nhit[i];
    }
    if (tp->none)
        return;
    all_words(&tp->all, q, tp, 0);
    struct buf *t = tp->tier;
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
        return;
    }
    all_words(&t[0], q, tp, 1);
    buf_addstr(&t[1], "(");
    all_words(&t[1], q, tp, 0);
    buf_addstr(&t[1], ") NOT (");
    all_words(&t[1], q, tp, 1);
    buf_addstr(&t[1], ")");
    tp->ntier = 2;
}

/* A stream of the rows of name_fts matching expr (rowid = pid). */
static int fts_stream(struct db_conn *c, struct stream *s, const char *expr,
                      char tag, int lazy, long long est)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT rowid FROM name_fts WHERE name_fts MATCH ?1"
             " AND rowid >= ?2 ORDER BY rowid /*%c*/",
             tag);
    stream_init(s, 0, 2, lazy ? STEP_FTS : 0, order_key(ORD_TEXT, est));
    sqlite3_stmt *st = db_prepare(c, sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    stream_add(s, st);
    return 0;
}

/* ---- Ranking a small match ---- */
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

/* FTS5's bm25() of the whole-match expression for one row, computed from
 * the row's folded names: per word, tf = the words of its columns it
 * begins, idf from its document frequency (name_term); dl = the row's word
 * count; k1 = 1.2, b = 0.75 as FTS5. FTS5's own bm25() first counts every
 * phrase's whole match for its idf: tens of milliseconds for a short
 * prefix, more than the search. Lower is better, as FTS5's. */
static double name_bm25(struct db_conn *c, const struct sq *q,
                        const struct text_plan *tp, const char *last,
                        const char *first, const char *join)
{
    double dl = word_count(last) + word_count(first) + word_count(join);
    double score = 0;
    for (int i = 0; i < q->ntok; i++) {
        const struct tok *t = &q->tok[i];
        size_t tl = strlen(t->s);
        double tf = 0;
        if (t->cols & COL_FAM)
            tf += prefix_count(t->s, tl, last) + prefix_count(t->s, tl, join);
        if (t->cols & COL_FIRST)
            tf += prefix_count(t->s, tl, first);
        double nh = tp->nhit[i];
        double idf = log((c->fts_rows - nh + 0.5) / (nh + 0.5));
        if (idf <= 0)
            idf = 1e-6;
        score += idf * (tf * 2.2) /
                 (tf + 1.2 * (0.25 + 0.75 * dl / c->fts_avgdl));
    }
    return -score;
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

/* The tiers of one person: how many words match only as a prefix, and how
 * many only in the first name. -1 if strict and a word matches nowhere
 * (the person was not found through name_fts and is not in the match). */
static int cand_score(const struct sq *q, struct cand *cd, const char *last,
                      const char *first, const char *join, int strict)
{
    cd->nprefix = cd->nfirst = 0;
    for (int i = 0; i < q->ntok; i++) {
        int k = tok_class(&q->tok[i], last, first, join);
        if (k < 0 && strict)
            return -1;
        if (k < 0)
            k = 3;
        cd->nprefix += k >= 2;
        cd->nfirst += k == 1 || k == 3;
    }
    return 0;
}

struct result {
    long long *pid; /* the page */
    size_t n, cap;
    long long *all; /* the whole match when read whole (for facets) */
    size_t nall, capall;
    long long total;
    int total_exact;
};

static void res_push(long long **v, size_t *n, size_t *cap, long long x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = x;
}

/* Ranks the whole match (res->all, in pid order) by word tiers, bm25 and
 * pid, and takes the page. strict: res->all are candidates whose names are
 * checked here (the words as prefixes of their words, as name_fts
 * matches them); those that fail are dropped. */
static int rank_small(struct db_conn *c, const struct sq *q,
                      const struct text_plan *tp, struct result *res,
                      int strict)
{
    struct cand *cd = xmalloc((res->nall ? res->nall : 1) * sizeof(*cd));
    size_t n = 0;
    for (size_t i = 0; i < res->nall; i++) {
        const char *last, *first, *join;
        if (db_names(c, res->all[i], &last, &first, &join) < 0)
            continue;
        struct cand x = {.pid = res->all[i]};
        if (cand_score(q, &x, last, first, join, strict) < 0)
            continue;
        x.bm25 = name_bm25(c, q, tp, last, first, join);
        cd[n++] = x;
    }
    if (n > 1)
        qsort(cd, n, sizeof(*cd), cand_cmp);
    for (size_t i = 0; i < n; i++)
        res->all[i] = cd[i].pid;
    res->nall = n;
    res->total = (long long)n;
    size_t pcap = 0;
    for (size_t i = (size_t)q->offset;
         i < n && i < (size_t)(q->offset + q->limit); i++)
        res_push(&res->pid, &res->n, &pcap, cd[i].pid);
    free(cd);
    return 0;
}

/* ---- Reading the match ---- */

static int streams_failed(struct stream **v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i]->error)
            return 1;
    return 0;
}

/* Reads the match (the intersection of v[0..n) in fp's pid range, with
 * fp's place check) in pid order: the first keep pids into res->all, then
 * (count=1) counts on within COUNT_MS. res->total gets the number read.
 * Returns 1 if that is the whole match, 0 if reading stopped first, -1 on
 * a database error. */
static int read_match(struct db_conn *c, struct fplan *fp,
                      struct stream **v, int n, size_t keep, int count,
                      struct result *res)
{
    qsort(v, (size_t)n, sizeof(*v), est_cmp);
    long long t = fp->lo, seen = 0;
    int budget = 0, whole = 1, err = 0;
    for (;;) {
        if ((size_t)seen == keep + 1 && !budget) {
            if (!count) {
                whole = 0;
                break;
            }
            db_budget(c, COUNT_MS);
            budget = 1;
        }
        long long p = match_next(fp, v, n, t, &err);
        if (p == STREAM_END)
            break;
        if ((size_t)seen < keep)
            res_push(&res->all, &res->nall, &res->capall, p);
        seen++;
        t = p + 1;
    }
    int cut = c->interrupted;
    if (budget)
        db_budget(c, 0);
    for (int i = 0; i < n; i++)
        stream_done(v[i]);
    res->total = seen;
    if (cut)
        return 0;
    if (err || streams_failed(v, n))
        return -1;
    return whole;
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
        if (fts_stream(c, ts, tp->tier[k].s, 'T', tp->lazy, tp->est) < 0) {
            rc = -1;
            break;
        }
        struct stream *v[5] = {ts};
        int n = 1;
        for (int i = 0; i < fp->nv; i++) {
            stream_rewind(fp->v[i]);
            v[n++] = fp->v[i];
        }
        qsort(v, (size_t)n, sizeof(*v), est_cmp);
        long long p = fp->lo;
        int err = 0;
        while (need > 0 &&
               (p = match_next(fp, v, n, p, &err)) != STREAM_END) {
            if (skip > 0)
                skip--;
            else {
                res_push(&res->pid, &res->n, &pcap, p);
                need--;
            }
            (*seen)++;
            p++;
        }
        if (k == tp->ntier - 1 && need > 0)
            *whole = 1;
        for (int i = 0; i < n; i++)
            stream_done(v[i]);
        if (err || streams_failed(v, n)) {
            rc = -1;
            break;
        }
    }
    free(ts);
    return rc;
}

struct search {
    struct sq q;
    struct fplan fp;
    struct text_plan tp;
    struct stream text; /* the whole match of the words */
    struct result res;
};

/* Runs the search: the page's pids in s->res. count=0 (suggest) skips the
 * total. */
static int run_search(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    if (plan_filters(c, q, fp, q->ntok == 0) < 0)
        return -1;
    if (q->ntok == 0) {
        size_t keep = (size_t)(q->offset + q->limit);
        int known = fp->known_total >= 0;
        int whole =
            read_match(c, fp, fp->v, fp->nv, keep, count && !known, res);
        if (whole < 0)
            return -1;
        size_t pcap = 0;
        for (size_t i = (size_t)q->offset; i < res->nall; i++)
            res_push(&res->pid, &res->n, &pcap, res->all[i]);
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
    text_plan(c, q, &s->tp);
    if (s->tp.none) {
        res->total_exact = 1;
        return 0;
    }
    /* A large name match with filters: read the filters' people first and
     * match their names in memory (~0.2 us each), within a budget; if they
     * are too many, step through the name match instead. */
    if (fp->nv && (s->tp.est > cand_max || !s->tp.lazy)) {
        db_budget(c, DRIVER_MS);
        int whole = read_match(c, fp, fp->v, fp->nv, DRIVER_PIDS, 0, res);
        int cut = c->interrupted;
        db_budget(c, 0);
        if (whole < 0 && !cut)
            return -1;
        if (whole == 1) {
            res->total_exact = 1;
            return rank_small(c, q, &s->tp, res, 1);
        }
        free(res->all);
        res->all = NULL;
        res->nall = res->capall = 0;
        for (int i = 0; i < fp->nv; i++)
            stream_rewind(fp->v[i]);
    }
    /* One word in any name column, no filter, a prefix FTS5 must merge
     * (beyond its prefix index) and one of its words alone too many to
     * rank exactly: straight to the tiers (the merge is paid once, not
     * also to find out the match is large), total a lower bound. */
    int one = q->ntok == 1 && q->tok[0].cols == COL_ANY && fp->nv == 0;
    if (one && s->tp.lower > cand_max) {
        long long seen;
        int all;
        if (read_tiers(c, q, &s->tp, fp, res, &seen, &all) < 0)
            return -1;
        res->total = all || seen > s->tp.lower ? seen : s->tp.lower;
        res->total_exact = all;
        if (all || !count || !s->tp.lazy)
            return 0;
        /* Count within the budget, from the start. */
        if (fts_stream(c, &s->text, s->tp.all.s, 'A', 1, s->tp.est) < 0)
            return -1;
        struct result cr = {0};
        struct stream *cv[1] = {&s->text};
        int whole = read_match(c, fp, cv, 1, 0, 1, &cr);
        free(cr.all);
        if (whole < 0)
            return -1;
        if (whole || cr.total > res->total)
            res->total = cr.total;
        res->total_exact = whole == 1;
        return 0;
    }
    if (fts_stream(c, &s->text, s->tp.all.s, 'A', s->tp.lazy, s->tp.est) <
        0)
        return -1;
    struct stream *v[5] = {&s->text};
    int n = 1;
    for (int i = 0; i < fp->nv; i++)
        v[n++] = fp->v[i];
    int whole = read_match(c, fp, v, n, cand_max, count, res);
    if (whole < 0)
        return -1;
    if (whole && res->total <= cand_max) {
        res->total_exact = 1;
        return rank_small(c, q, &s->tp, res, 0);
    }
    res->total_exact = whole;
    free(res->all);
    res->all = NULL;
    res->nall = res->capall = 0;
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

/* ---- Facets ---- */

/* Counts over the whole match, from the list of its pids when it was read
 * whole, else by reading it again (within FACET_MS). */
struct facets {
    json_t *map[5]; /* value -> count */
    int exact;
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
    if (q->facets & FACET_HAS_MSS)
        facet_inc(f->map[4], pid <= c->mss_end ? "true" : "false");
    sqlite3_stmt *st;
    if (q->facets & FACET_PROFESSION) {
        st = db_prepare(c, "SELECT profession_code FROM professional"
                           " WHERE pid = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, pid);
            if (sqlite3_step(st) == SQLITE_ROW)
                facet_inc(f->map[0], db_text(st, 0));
            db_done(st);
        }
    }
    if (q->facets & FACET_SPECIALTY) {
        st = db_prepare(c, "SELECT code FROM specialty WHERE pid = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, pid);
            while (sqlite3_step(st) == SQLITE_ROW)
                facet_inc(f->map[1], db_text(st, 0));
            db_done(st);
        }
    }
    if (q->facets & (FACET_DEPT | FACET_MODE)) {
        st = db_prepare(c, "SELECT DISTINCT dept_code, mode_code FROM"
                           " activity WHERE aid BETWEEN ?1 << 20"
                           " AND (?1 << 20) | 1048575");
        if (st) {
            json_t *seen_d = json_object(), *seen_m = json_object();
            sqlite3_bind_int64(st, 1, pid);
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

static json_t *compute_facets(struct db_conn *c, struct search *s)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct facets f = {.exact = 1};
    for (int i = 0; i < 5; i++)
        f.map[i] = json_object();
    double deadline = now_s() + FACET_MS / 1000.0;
    if (res->all || (q->ntok && s->tp.none)) {
        for (size_t i = 0; i < res->nall; i++) {
            if ((i & 63) == 0 && now_s() > deadline) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, res->all[i]);
        }
    } else {
        /* The streams again, from the start: the per-pid lookups are
         * other statements, so stepping them in between is fine. */
        struct stream *v[5];
        int n = 0;
        if (q->ntok && !s->text.nsub &&
            fts_stream(c, &s->text, s->tp.all.s, 'A', s->tp.lazy,
                       s->tp.est) < 0)
            f.exact = 0;
        if (q->ntok)
            v[n++] = &s->text;
        for (int i = 0; i < s->fp.nv; i++)
            v[n++] = s->fp.v[i];
        for (int i = 0; i < n; i++)
            stream_rewind(v[i]);
        qsort(v, (size_t)n, sizeof(*v), est_cmp);
        db_budget(c, FACET_MS);
        long long p = s->fp.lo;
        long i = 0;
        int err = 0;
        while ((p = match_next(&s->fp, v, n, p, &err)) != STREAM_END) {
            if ((i++ & 63) == 0 && now_s() > deadline) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, p);
            p++;
        }
        if (c->interrupted || err || streams_failed(v, n))
            f.exact = 0;
        db_budget(c, 0);
        for (int k = 0; k < n; k++)
            stream_done(v[k]);
    }
    json_t *o = facets_json(c, &f, q);
    json_object_set_new(o, "exact", json_boolean(f.exact));
    for (int i = 0; i < 5; i++)
        json_decref(f.map[i]);
    return o;
}

/* ---- Handlers ---- */

static void search_release(struct search *s)
{
    free(s->res.pid);
    free(s->res.all);
    if (s->q.ntok)
        text_plan_release(&s->tp, s->q.ntok);
    sq_release(&s->q);
    free(s);
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
        if (record_write(c, b, s->res.pid[i], 0) < 0) {
            b->len = mark;
            b->s[mark] = '\0';
        } else {
            n++;
        }
    }
    buf_add(b, "]", 1);
    if (s->q.facets) {
        json_t *f = compute_facets(c, s);
        char *t = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        buf_addstr(b, ",\"facets\":");
        buf_addstr(b, t ? t : "null");
        free(t);
    }
    buf_add(b, "}", 1);
}

void api_search(struct db_conn *c, const struct api_req *r,
                struct api_resp *out)
{
    struct search *s = xcalloc(1, sizeof(*s));
    if (sq_parse(c, r, &s->q, 0, out) < 0) {
        search_release(s);
        return;
    }
    if (run_search(c, s, 1) < 0) {
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
    if (sq_parse(c, r, &s->q, 1, out) < 0) {
        search_release(s);
        return;
    }
    if (s->q.nq > 2) {
        api_error(out, 400, "suggest takes one or two words");
        search_release(s);
        return;
    }
    if (run_search(c, s, 0) < 0) {
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
