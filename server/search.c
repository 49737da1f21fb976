/* GET /v1/search and /v1/suggest: parameters -> a match in pid order -> a
 * ranked page.
 *
 * q is read by understand.c when the database has a search lexicon
 * (lex.h): its profession, specialty, mode and place words become the
 * filters the request leaves empty, the rest are name words. Name words
 * that find nobody are read again with their typo and sound-alike
 * neighbours (typo.h), which rank after every exact and prefix match.
 * near= orders by distance (geo.h): a small match is sorted whole, a
 * large one read commune by commune, nearest first.
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
#include <time.h>

#include "api.h"
#include "fold.h"
#include "lex.h"
#include "places.h"
#include "stream.h"
#include "util.h"
#include "banned.h"

#define TOK_MAX 8 /* words in q: a name has a handful */
/* near=: the radius by default and at most (past 200 km "near" means a
 * region, not a neighbourhood). */
#define NEAR_DEFAULT_KM 10
#define NEAR_MAX_KM 200
/* A name match up to this many people (by its estimate) is read whole
 * with near= and placed in memory (~0.2 us a person to read, 70 ns to
 * place); a larger one is read commune by commune. */
#define NEAR_WHOLE 20000
/* The people of one commune (one distance) are ranked by relevance: at
 * most this many. */
#define NEAR_BATCH 1000
/* In a commune with at least this many activities, the commune-by-commune
 * read of a name match leapfrogs with the FTS5 match (re-running it costs
 * 5-50 us) instead of checking each activity's person (~0.4 us). */
#define RING_FTS_MIN 500
/* Name words are read again with their typo and sound-alike neighbours
 * when their exact and prefix match finds fewer people than this: a
 * second reading costs as much as the first, so only when nobody came. */
#define TYPO_SHORT 1
/* Neighbours a name word also matches then: the closest few (typo.h
 * ranks them), enough for the spellings of one name (LEFEBVRE, LEFEUVRE
 * for lefevre). */
#define ALT_MAX 6
/* A name word at least this many people carry is taken as meant: its
 * neighbours are only its sound-alikes. */
#define COMMON_WORD 50
#define LIST_MAX 16 /* values of one repeated filter */
/* A match this small is ranked exactly: < 1 ms. (cand_max, drive_max and
 * the budgets below are variables only so that the end-to-end tests can
 * send a ten-person fixture down the paths of large matches: see
 * api_search_tune().) */
static long cand_max = 1000;
/* With no name words, or a postal prefix, a place whose people add up
 * to more than this is read from the index instead: its bits cost ~2 ns a
 * person to set, and filters alone need only the page's first pids (the
 * total is then counted within the budget, as before). 0: always from the
 * index (tests). */
static long place_mem_max = 100000;
/* Budget to count a large match once the page is known. Every large match
 * pays it, so it is a share of the 1 ms median target; about 5,000 pids. */
#define COUNT_MS 0.1
/* The budget reads about 5,000 rows of a one-word match: a word whose rows
 * add up to more than this (more than twice as many people, however many
 * of them carry the word twice) is not counted; its total is the lower
 * bound already known (the most common of its words). */
#define COUNT_EST_MAX 20000
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
    /* q as understood: its name words are the COL_ANY tokens, and its
     * profession, specialty, mode and place fill the filters the request
     * leaves empty (from_q says which, so that another reading can take
     * them back). */
    const char *qtext;
    struct understood *und;
    unsigned from_q; /* FROM_Q_* */
    /* An understood commune: its activities (its arrondissements' too) by
     * commune code, and by town name for those without a code. */
    char *insees[STREAM_SUBS_MAX];
    int ninsee;
    char *towns[4];
    int ntown;
    int typos; /* the second reading: names also match neighbours */
    /* near= and radius_km=: results by distance from (lat, lon). */
    int near;
    double lat, lon, radius_km;
};

enum {
    FROM_Q_PROF = 1,
    FROM_Q_SPEC = 2,
    FROM_Q_MODE = 4,
    FROM_Q_PLACE = 8,
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

/* Frees the n strings of a list and empties it. */
static void free_list(char **v, int *n)
{
    for (int i = 0; i < *n; i++)
        free(v[i]);
    *n = 0;
}

static void sq_release(struct sq *q)
{
    for (int i = 0; i < q->ntok; i++)
        free(q->tok[i].s);
    free_list(q->prof, &q->nprof);
    free_list(q->spec, &q->nspec);
    free_list(q->mode, &q->nmode);
    free_list(q->dept, &q->ndept);
    free(q->city_fold);
    free(q->insee);
    free(q->pc_lo);
    free(q->pc_hi);
    free_list(q->insees, &q->ninsee);
    free_list(q->towns, &q->ntown);
    free(q->und);
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
        sqlite3_stmt *st =
            db_prepare(c, "SELECT code, label FROM code WHERE list = ?1");
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

/* Drops the values of list met earlier in it ("10,medecin" resolves to
 * 10 twice): each code would otherwise be read, and counted, twice (an
 * exact total of twice the people). */
static void dedup_list(char **list, int *n)
{
    int o = 0;
    for (int i = 0; i < *n; i++) {
        int seen = 0;
        for (int j = 0; j < o && !seen; j++)
            seen = strcmp(list[j], list[i]) == 0;
        if (seen)
            free(list[i]);
        else
            list[o++] = list[i];
    }
    *n = o;
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

/* The lexicon of c's database file, or NULL. */
static const struct lex *lex_of(const struct db_conn *c)
{
    return c->shared ? c->shared->lex : NULL;
}

static char *xstrdup_upper(const char *s)
{
    char *u = xstrdup(s);
    for (char *t = u; *t; t++)
        *t = (char)toupper((unsigned char)*t);
    return u;
}

/* Drops what apply_understood() added: the name words of q and the filters
 * it filled. */
static void unapply_understood(struct sq *q)
{
    int o = 0;
    for (int i = 0; i < q->ntok; i++) {
        if (q->tok[i].cols == COL_ANY)
            free(q->tok[i].s);
        else
            q->tok[o++] = q->tok[i];
    }
    q->ntok = o;
    q->nq = 0;
    if (q->from_q & FROM_Q_PROF)
        free_list(q->prof, &q->nprof);
    if (q->from_q & FROM_Q_SPEC)
        free_list(q->spec, &q->nspec);
    if (q->from_q & FROM_Q_MODE)
        free_list(q->mode, &q->nmode);
    if (q->from_q & FROM_Q_PLACE) {
        free_list(q->insees, &q->ninsee);
        free_list(q->towns, &q->ntown);
        free_list(q->dept, &q->ndept);
        free(q->pc_lo);
        q->pc_lo = NULL;
    }
    q->from_q = 0;
}

/* The town names the activities of commune k without a commune code carry
 * (from their CEDEX line): its folded name, and the same with "st"/"ste"
 * for Saint/Sainte, as the importer folds "42007 ST ETIENNE CEDEX 1". */
static void add_towns(struct sq *q, const struct geo_commune *k)
{
    size_t n = strlen(k->name);
    char *f = xmalloc(n + 1);
    fold(k->name, n, f);
    if (q->ntown < 4)
        q->towns[q->ntown++] = xstrdup(f);
    struct buf b;
    buf_init(&b, 1024);
    int changed = 0;
    for (const char *p = f; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (b.len)
            buf_add(&b, " ", 1);
        if (l == 5 && memcmp(p, "saint", 5) == 0) {
            buf_addstr(&b, "st");
            changed = 1;
        } else if (l == 6 && memcmp(p, "sainte", 6) == 0) {
            buf_addstr(&b, "ste");
            changed = 1;
        } else {
            buf_add(&b, p, l);
        }
        p = e ? e + 1 : p + l;
    }
    if (changed && q->ntown < 4)
        q->towns[q->ntown++] = xstrdup(b.s);
    buf_release(&b);
    free(f);
}

/* Fills q from q->und: its name words become tokens, and its profession,
 * specialty, mode and place the filters the request left empty. -1 when
 * it has more name words than TOK_MAX. */
static int apply_understood(struct sq *q, const struct geo *geo)
{
    const struct understood *u = q->und;
    if (u->nnames > TOK_MAX)
        return -1;
    for (size_t i = 0; i < u->nnames; i++) {
        if (q->ntok >= (int)(sizeof(q->tok) / sizeof(q->tok[0])))
            return -1;
        q->tok[q->ntok].s = xstrdup(u->words[u->names[i]]);
        q->tok[q->ntok].cols = COL_ANY;
        q->ntok++;
        q->nq++;
    }
    if (!q->nprof && u->nprofessions) {
        for (size_t i = 0; i < u->nprofessions && q->nprof < LIST_MAX; i++)
            q->prof[q->nprof++] = xstrdup(u->professions[i]);
        q->from_q |= FROM_Q_PROF;
    }
    if (!q->nspec && u->nspecialties) {
        for (size_t i = 0; i < u->nspecialties && q->nspec < LIST_MAX; i++)
            q->spec[q->nspec++] = xstrdup(u->specialties[i]);
        q->from_q |= FROM_Q_SPEC;
    }
    if (!q->nmode && u->mode) {
        q->mode[q->nmode++] = xstrdup(u->mode);
        q->from_q |= FROM_Q_MODE;
    }
    int explicit_place = q->ndept || q->city_fold || q->insee || q->pc_lo;
    if (explicit_place || u->place.kind == UND_PLACE_NONE)
        return 0;
    q->from_q |= FROM_Q_PLACE;
    switch (u->place.kind) {
    case UND_PLACE_POSTCODE:
        q->pc_lo = xstrdup(u->place.postcode);
        break;
    case UND_PLACE_DEPT:
        q->dept[q->ndept++] = xstrdup_upper(u->place.dept);
        break;
    case UND_PLACE_COMMUNE: {
        if (!geo)
            break;
        /* Paris is its department: one index range to read instead of
         * 21, each of which every leapfrogging seek would descend. */
        const char *d = geo_commune(geo, u->place.communes[0])->dept;
        size_t same = 0;
        for (size_t i = 0; i < u->place.ncommunes; i++)
            same +=
                strcmp(geo_commune(geo, u->place.communes[i])->dept, d) == 0;
        if (same == u->place.ncommunes && same > 1 &&
            same == geo_dept_communes(geo, d, strlen(d))) {
            q->dept[q->ndept++] = xstrdup(d);
            break;
        }
        /* Room is left for the towns in the stream's sub-streams. No
         * department check on the towns: every commune of that name is
         * in the list, so a row naming it as its town is in one. */
        for (size_t i = 0;
             i < u->place.ncommunes && q->ninsee < STREAM_SUBS_MAX - 8; i++)
            q->insees[q->ninsee++] =
                xstrdup(geo_commune(geo, u->place.communes[i])->insee);
        for (size_t i = 0; i < u->place.nnamed && i < 2; i++)
            add_towns(q, geo_commune(geo, u->place.communes[i]));
        break;
    }
    default:
        break;
    }
    return 0;
}

/* 1 if d (upper-cased) is written as a department code: two digits (01,
 * 75), three overseas (971 to 976, and the collectivities up to 989 that
 * data/communes.tsv holds), or Corsica's 2A and 2B, the only letters a
 * code has (docs/openapi.yaml's pattern). Whether such a department exists
 * is the data's business: an unknown one finds nobody. */
static int is_dept_code(const char *d)
{
    size_t n = strlen(d);
    if (n == 2 && d[0] == '2' && (d[1] == 'A' || d[1] == 'B'))
        return 1;
    if (n < 2 || n > 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)d[i]))
            return 0;
    return 1;
}

/* Parses and validates every parameter. 0, or -1 with the error in out. */
static int sq_parse(struct db_conn *c, const struct api_req *r, struct sq *q,
                    int suggest, struct api_resp *out)
{
    static const char *const allowed[] = {
        "q",      "name",     "given",     "profession", "specialty", "mode",
        "city",   "postcode", "dept",      "has_mss",    "limit",     "offset",
        "facets", "near",     "radius_km", NULL};
    static const char *const multi[] = {"profession", "specialty", "mode",
                                        "dept",       "facets",    NULL};
    static const char *const allowed_suggest[] = {"q", "limit", NULL};
    memset(q, 0, sizeof(*q));
    q->has_mss = -1;
    q->limit = suggest ? 10 : 20;
    if (api_check_params(r, suggest ? allowed_suggest : allowed, multi, out) <
        0)
        return -1;
    for (size_t i = 0; i < r->nparams; i++) {
        const char *k = r->params[i].key, *v = r->params[i].val;
        int bad = 0;
        if (strcmp(k, "q") == 0)
            q->qtext = v; /* read last: it fills what the rest leave */
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
                if (!is_dept_code(q->dept[j])) {
                    api_error(out, 400,
                              "dept must be a department code"
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
        } else if (strcmp(k, "near") == 0) {
            int commune;
            const struct lex *lx = lex_of(c);
            if (!lx || !lx->geo) {
                api_error(out, 400,
                          "near: this database has no commune"
                          " table");
                return -1;
            }
            if (geo_resolve(lx->geo, v, strlen(v), &commune, &q->lat, &q->lon) <
                0) {
                api_error(out, 400,
                          "near: unknown place '%s' (a postal code, an"
                          " INSEE code, a commune or lat,lon)",
                          v);
                return -1;
            }
            q->near = 1;
        } else if (strcmp(k, "radius_km") == 0) {
            char *end;
            double rad = strtod(v, &end);
            if (end == v || *end || !(rad > 0 && rad <= NEAR_MAX_KM)) {
                api_error(out, 400,
                          "radius_km must be more than 0 and at most %d",
                          NEAR_MAX_KM);
                return -1;
            }
            q->radius_km = rad;
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
                api_error(out, 400, "offset must be 0 to %d", API_MAX_WINDOW);
                return -1;
            }
        } else if (strcmp(k, "facets") == 0) {
            char *names[LIST_MAX];
            int nn = 0;
            if (add_list(names, &nn, v, 0) < 0) {
                free_list(names, &nn); /* those copied before the 17th */
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
    if (q->radius_km > 0 && !q->near) {
        api_error(out, 400, "radius_km needs near");
        return -1;
    }
    if (q->near && q->radius_km == 0)
        q->radius_km = NEAR_DEFAULT_KM;
    if (q->offset + q->limit > API_MAX_WINDOW) {
        api_error(out, 400, "offset + limit must be at most %d",
                  API_MAX_WINDOW);
        return -1;
    }
    if (resolve_codes(c, "profession", q->prof, q->nprof, out) < 0 ||
        resolve_codes(c, "specialty", q->spec, q->nspec, out) < 0)
        return -1;
    dedup_list(q->prof, &q->nprof);
    dedup_list(q->spec, &q->nspec);
    dedup_list(q->mode, &q->nmode);
    dedup_list(q->dept, &q->ndept);
    if (q->qtext) {
        /* Suggestions take the words as typed: "paris" is the start of a
         * name there, not a town. */
        const struct lex *lx = lex_of(c);
        if (!suggest && lx) {
            q->und = xmalloc(sizeof(*q->und));
            if (understand_query(lx->und, q->qtext, strlen(q->qtext), q->und) <
                0) {
                api_error(out, 400,
                          "q: at most %d words of at most %d"
                          " bytes",
                          UND_MAX_WORDS, UND_WORD_MAX - 1);
                return -1;
            }
            if (apply_understood(q, lx->geo) < 0) {
                api_error(out, 400, "q: at most %d name words", TOK_MAX);
                return -1;
            }
        } else if (add_tokens(q, q->qtext, COL_ANY) < 0) {
            api_error(out, 400, "too many values in 'q'");
            return -1;
        }
    }
    if (suggest && q->nq == 0) {
        api_error(out, 400, "q is empty: give the beginning of a name");
        return -1;
    }
    if (q->ntok == 0 && !q->nprof && !q->nspec && !q->nmode && !q->ndept &&
        !q->city_fold && !q->insee && !q->pc_lo && !q->ninsee &&
        q->has_mss < 0 && !q->near && !(q->und && q->und->nwords)) {
        api_error(out, 400, "empty search: give q, a name or a filter");
        return -1;
    }
    return 0;
}

static int has_loc(const struct sq *q)
{
    return q->nmode || q->ndept || q->city_fold || q->insee || q->pc_lo ||
           q->ninsee;
}

/* q had words, and every one was dropped ("à", a stray number): nothing
 * to search, and not everyone either. */
static int nothing_left(const struct sq *q)
{
    return q->und && q->ntok == 0 && !q->nprof && !q->nspec && !has_loc(q) &&
           q->has_mss < 0 && !q->near;
}

/* ---- Filters as pid streams ---- */

/* Which activity index reads the place conditions. */
enum { LOC_SCAN, LOC_INSEE, LOC_CITY, LOC_PC, LOC_PCS, LOC_DEPT, LOC_COMMUNE };

/* Postal codes are 5 characters; a longer value in the data (never seen)
 * makes a prefix read by scan instead. */
#define PC_LEN 16
/* Rows a place key is counted to, to order the streams. */
#define EST_CAP 1000

struct fplan {
    struct db_conn *c;   /* whose limits match_next() reads */
    struct stream st[3]; /* profession, specialty, place (or all pids) */
    struct stream *v[4]; /* the streams in use */
    int nv;
    long long lo, hi;             /* pid range: has_mss */
    long long known_total;        /* filters only: exact total, or -1 */
    long long prof_total;         /* professionals with the profession */
    long long spec_total;         /* or specialty codes (code table) */
    const unsigned char *prof_of; /* pid -> profession index, when the
                                   * profession is checked, not streamed */
    long long prof_n;
    unsigned char prof_ok[256];
    sqlite3_stmt *check; /* place conditions the place stream does
                          * not read, on one pid's activities */
    int check_param;     /* its first aid bound parameter */
    /* With a mode in the check and the modes in memory: mode_want, the
     * bits of the modes asked for; nobody without one of them passes,
     * and when mode_accept (the mode is all the check adds to the
     * stream's key), everybody whose activities all have one does. */
    const unsigned char *modes;
    int mode_want, mode_accept;
    int place_prof; /* the place stream reads the profession */
    char pcs[STREAM_SUBS_MAX][PC_LEN];
    /* The place read from memory instead of a stream: a bit per pid
     * (c->pidbits), set for the people with the profession in [lo, hi];
     * place_m of them (the memory driver's candidates). */
    const uint64_t *place_bits;
    long long place_m;
    /* The same people in pid order when they are one run (one value, one
     * profession), else NULL: the memory driver reads it instead of
     * scanning the bits. */
    const uint32_t *place_run;
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
/* What the memory driver and the name match cost, to pick the cheaper:
 * fitted on the bench's free-text queries at full scale, each run both
 * ways (docs/api.md). The driver scans a bit per pid (~3 ns a 64-bit
 * word: 0.1 ms for 1.9 M pids) and checks
 * each person's names in memory (db_names() and cand_score(), names
 * asked for ahead: ~0.2 us); fp->check is a statement per person; a row
 * of the name words' FTS5 match costs ~0.15 us with its in-memory checks
 * (est, the rarest word's rows, stands for the rows read). */
#define MEM_WORD_US 0.003
#define MEM_PERSON_US 0.2
#define CHECK_US 2.0
#define FTS_ROW_US 0.15

/* Microseconds each candidate costs more, for tests only (see
 * api_search_slow()). */
static long slow_us;

void api_search_slow(long us)
{
    slow_us = us > 0 ? us : 0;
}

/* Sleeps slow_us in steps of at most 1 ms, the limits read between them,
 * as a candidate that costs that much would let them be read. */
static void slow_step(struct db_conn *c)
{
    double t = now_s(), end = t + (double)slow_us / 1e6;
    for (; t < end && !db_over_now(c); t = now_s()) {
        double ns = (end - t) * 1e9;
        struct timespec ts = {0, (long)(ns < 1e6 ? ns : 1e6)};
        nanosleep(&ts, NULL);
    }
}

void api_search_tune(long cand, long drive, int expand, long place)
{
    if (cand > 0)
        cand_max = cand;
    if (drive > 0)
        drive_max = drive;
    if (expand >= 0)
        expand_max = expand;
    if (place >= 0)
        place_mem_max = place;
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
static int commune_stream(struct db_conn *c, struct stream *s,
                          char *const *insees, int ninsee, char *const *towns,
                          int ntown, char role)
{
    const struct geo *geo = lex_of(c)->geo;
    long long est = 0;
    stream_init(s, 20, 2, STEP_INDEX, 0);
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
        buf_release(&b.sql);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        if (stream_add(s, st) < 0)
            break;
        int k = town ? -1 : geo_by_insee(geo, key, strlen(key));
        est += k >= 0 ? geo_commune(geo, k)->activities : 10;
    }
    s->est = order_key(ORD_PLACE, est);
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
    int want = q->nmode ? db_mode_bits(c, q->mode, q->nmode) : -1;
    if (want >= 0) {
        struct sq rest = *q;
        rest.nmode = 0;
        sqlb_init(&b);
        loc_rest(&b, &rest, key);
        fp->modes = c->shared->modes;
        fp->mode_want = want;
        fp->mode_accept = b.sql.len == 0;
        buf_release(&b.sql);
    }
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
    if (q->ninsee) {
        /* An understood commune (so there is a lexicon): the other place
         * conditions (a mode) are checked per candidate. */
        if (plan_loc_check(c, q, fp, LOC_COMMUNE) < 0)
            return -1;
        return commune_stream(c, s, q->insees, q->ninsee, q->towns, q->ntown,
                              'C');
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
    long long est = nkeys == 1 && need_est ? loc_est(c, index, col, keys[0])
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

struct place_run {
    const uint32_t *v;
    long long n;
};

/* The place read from memory (db_place_pids(): the people of each value,
 * ~2 ns a person) instead of a stream of index entries (~0.3 us each)
 * that every other stream's candidate seeks (a B-tree descent per
 * sub-stream: Paris, 21 communes, or a large town and its CEDEX names).
 * The same rows as plan_loc()'s stream: an activity whose key column is
 * one of the values (or, for a postal prefix, in its range); the other
 * place conditions are fp->check, as there. Each value's people of each
 * profession are a run in pid order (db_place_run()).
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
        int col;
        const char *v;
    } keys[STREAM_SUBS_MAX + LIST_MAX];
    int nkeys = 0, key;
    if (!c->shared->places)
        return 0;
    size_t range_at = 0;
    long long range_n = 0;
    if (q->ninsee) {
        key = LOC_COMMUNE;
        for (int i = 0; i < q->ninsee; i++)
            keys[nkeys].col = DB_PLACE_INSEE, keys[nkeys++].v = q->insees[i];
        for (int i = 0; i < q->ntown; i++)
            keys[nkeys].col = DB_PLACE_CITY, keys[nkeys++].v = q->towns[i];
    } else if (q->insee) {
        key = LOC_INSEE;
        keys[nkeys].col = DB_PLACE_INSEE, keys[nkeys++].v = q->insee;
    } else if (q->city_fold) {
        key = LOC_CITY;
        keys[nkeys].col = DB_PLACE_CITY, keys[nkeys++].v = q->city_fold;
    } else if (q->pc_lo && !q->pc_hi) {
        key = LOC_PC;
        keys[nkeys].col = DB_PLACE_POSTCODE, keys[nkeys++].v = q->pc_lo;
    } else if (q->pc_lo && q->pc_hi) {
        key = LOC_PCS;
        range_n =
            db_place_range(c, DB_PLACE_POSTCODE, q->pc_lo, q->pc_hi, &range_at);
        if (range_n < 0)
            return 0;
    } else if (q->ndept && !q->pc_lo) {
        key = LOC_DEPT;
        for (int i = 0; i < q->ndept; i++)
            keys[nkeys].col = DB_PLACE_DEPT, keys[nkeys++].v = q->dept[i];
    } else if (q->near && q->nmode && !s) {
        /* A mode alone: the modes in memory decide it (place_ok()). */
        int want = db_mode_bits(c, q->mode, q->nmode);
        if (want < 0)
            return 0;
        fp->modes = c->shared->modes;
        fp->mode_want = want;
        return 1;
    } else {
        return 0;
    }
    /* The professions' runs of each value: with a code no professional
     * has, no run (index 0 is "none", not that code). */
    int profs[LIST_MAX], nprofs = 0;
    for (int i = 0; i < q->nprof; i++) {
        int k = db_prof_index(c, q->prof[i]);
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
            r.n =
                k < nkeys
                    ? db_place_pids(c, keys[k].col, keys[k].v, prof, &r.v)
                    : db_place_run(c, DB_PLACE_POSTCODE,
                                   range_at + (size_t)(k - nkeys), prof, &r.v);
            if (r.n > 0) {
                runs[nruns++] = r;
                sum += r.n;
            }
        }
    }
    if ((s || range_n) &&
        (place_mem_max == 0 || (sum > place_mem_max && !q->near))) {
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
        stream_init_mem(s, run, nrun, order_key(ORD_PLACE, fp->place_m));
        return plan_loc_check(c, q, fp, key) < 0 ? -1 : 1;
    }
    size_t words = (size_t)(c->shared->n >> 6) + 1;
    if (!c->pidbits)
        c->pidbits = xmalloc(words * sizeof(*c->pidbits));
    uint64_t *bits = c->pidbits;
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
        stream_init_bits(s, bits, fp->hi, order_key(ORD_PLACE, m));
    return 1;
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
    for (;; from++) {
        if (slow_us)
            slow_step(fp->c);
        long long p = stream_and(v, n, from, fp->hi);
        if (p == STREAM_END)
            return p;
        from = p;
        int pass =
            (fp->prof_of &&
             (p >= fp->prof_n || !fp->prof_ok[fp->prof_of[p]])) ||
            (fp->place_bits && !((fp->place_bits[p >> 6] >> (p & 63)) & 1));
        int ok = pass ? 0 : place_ok(fp, p);
        if (ok > 0)
            return p;
        if (ok < 0) {
            *err = 1;
            return STREAM_END;
        }
        /* The candidates passed over can be most of the pids: the
         * request's limits are read here (STREAM_END, with
         * c->interrupted set, when they have passed); the callers read
         * them on the matches. */
        if (db_over(fp->c))
            return STREAM_END;
    }
}

/* Every filter as a stream, and has_mss as a pid range (professionals with
 * a mailbox are pids 1 .. mss_end). With no filter stream (has_mss alone,
 * or name words alone) and no_text, a stream of all pids. */
static int plan_filters(struct db_conn *c, const struct sq *q, struct fplan *fp,
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
    int mem =
        has_loc(q) ? plan_loc_mem(c, q, fp, no_text ? &fp->st[2] : NULL) : 0;
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
        fp->v[fp->nv++] = &fp->st[2];
        if (fp->nv == 1 && !fp->check)
            fp->known_total = fp->place_m;
        return 0;
    }
    if (has_loc(q) && !mem) {
        struct stream *s = &fp->st[fp->nv];
        /* Another stream to order the place against: the words, a
         * specialty, a profession small enough to stay a stream. */
        int need_est =
            !no_text || q->nspec || (q->nprof && fp->prof_total <= drive_max);
        if (plan_loc(c, q, fp, s, need_est) < 0)
            return -1;
        fp->v[fp->nv++] = s;
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
        (fp->prof_total > drive_max || fp->place_prof || fp->place_bits ||
         rings)) {
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
        fp->v[fp->nv++] = s;
    }
    return 0;
}

/* ---- Name words as FTS5 expressions ---- */

/* Single word: 4 exact/prefix tiers, 2 neighbour tiers. */
#define TIER_MAX 6

/* What the name words ask of name_fts: the expression of the whole match
 * (every word as a prefix, in its columns) and a partition of it into
 * tiers, best first; per word, how many rows its phrase matches (bm25's
 * document frequency). */
struct text_plan {
    struct buf all;
    struct buf tier[TIER_MAX];
    int ntier;
    int lazy; /* no phrase makes FTS5 merge doclists first */
    int none; /* a word begins no name word: no match */
    double nhit[TOK_MAX * 3];
    long long est;   /* an upper bound of the match, for ordering */
    long long lower; /* one word alone: a lower bound of it */
    struct buf exact[TOK_MAX * 3], prefix[TOK_MAX * 3];
    /* Per word: whether some name word begins with it, and (second
     * reading) its neighbours, as an FTS5 OR and as words for the
     * ranking, closest first. */
    int has_prefix[TOK_MAX * 3];
    struct buf alt[TOK_MAX * 3];
    char alts[TOK_MAX * 3][ALT_MAX][TYPO_MAX_WORD + 3];
    int nalt[TOK_MAX * 3];
    /* Words of one letter or digit beside other words (the first name's
     * initial, as one types it) are left out of `all` and checked on the
     * name initials in memory instead (all_stream()): in FTS5 each such
     * word is the prefix index's doclist of a fifth of everyone, which
     * the AND seeks at every row of the other words (~1 us a row). */
    int in_mem[TOK_MAX * 3];
    uint32_t need_ini;
    double idf[TOK_MAX * 3]; /* bm25's, from nhit: once, not per person */
};

static void text_plan_release(struct text_plan *tp, int ntok)
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
        /* A word the prefix index covers is read as a prefix: its words
         * are only counted. */
        if (n++ < expand_max && !indexed)
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
    const struct lex *lx = lex_of(c);
    const char *t = q->tok[i].s;
    size_t tl = strlen(t);
    struct typo_cand cand[ALT_MAX * 4];
    tp->nalt[i] = 0;
    if (!q->typos || !lx || tl < 3 || tl > TYPO_MAX_WORD || !is_plain(t))
        return;
    buf_addstr(&tp->alt[i], "(");
    size_t best = 0;
    unsigned best_n = 0;
    for (size_t j = 2; !tp->has_prefix[i] && j + 2 <= tl; j++) {
        unsigned a = typo_count(lx->dict, t, j);
        unsigned b = a ? typo_count(lx->dict, t + j, tl - j) : 0;
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
    size_t n = typo_find(lx->dict, t, tl, cand, ALT_MAX * 4, NULL);
    /* A word many people carry is no typo: only its sound-alikes (MARIE:
     * not MARIN, MARC...), which cost less and stray less. */
    int common = typo_count(lx->dict, t, tl) >= COMMON_WORD;
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
static void text_plan(struct db_conn *c, const struct sq *q,
                      struct text_plan *tp)
{
    memset(tp, 0, sizeof(*tp));
    buf_init(&tp->all, 64 * 1024);
    for (int i = 0; i < TIER_MAX; i++)
        buf_init(&tp->tier[i], 64 * 1024);
    tp->lazy = 1;
    tp->est = c->max_pid;
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
        tp->idf[i] = log((c->fts_rows - nh + 0.5) / (nh + 0.5));
        if (tp->idf[i] <= 0)
            tp->idf[i] = 1e-6;
    }
    if (tp->none)
        return;
    if (c->shared->initials && q->ntok > 1) {
        int kept = q->ntok;
        for (int i = 0; i < q->ntok && kept > 1; i++) {
            const char *w = q->tok[i].s;
            if (w[0] && !w[1] && q->tok[i].cols == COL_ANY &&
                tp->has_prefix[i] && !tp->nalt[i] &&
                ((w[0] >= 'a' && w[0] <= 'z') ||
                 (w[0] >= '0' && w[0] <= '9'))) {
                tp->in_mem[i] = 1;
                tp->need_ini |= db_initial_bit((unsigned char)w[0]);
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

/* The stream of the whole match (tp->all). Words left to the name
 * initials (need_ini) are checked in the statement, by rpps_initials()
 * (db.c): the rows it rejects, most of them, never leave SQLite. Every
 * reading of tp->all goes through here; the tiers hold those words in
 * FTS5, and the paths that check names in memory check them too. */
static int all_stream(struct db_conn *c, struct stream *s,
                      const struct text_plan *tp, int lazy)
{
    if (!tp->need_ini)
        return fts_stream(c, s, tp->all.s, 'A', lazy, tp->est);
    stream_init(s, 0, 2, lazy ? STEP_FTS : 0, order_key(ORD_TEXT, tp->est));
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

/* 1 + the first of the n words of alts (best first) that is a whole word
 * of s (a split, "anne sophie": two consecutive words), or 0. */
static int alt_in(const char (*alts)[TYPO_MAX_WORD + 3], int n, const char *s)
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
        score += tp->idf[i] * (tf * 2.2) /
                 (tf + 1.2 * (0.25 + 0.75 * dl / c->fts_avgdl));
    }
    return -score;
}

struct cand {
    long long pid;
    int ntypo, altrank, nprefix, nfirst;
    double bm25;
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
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

/* The tiers of one person: how many words match only through a typo or
 * sound-alike neighbour (and how far down their lists), only as a prefix,
 * only in the first name. -1 if strict and a word matches nowhere (the
 * person was not found through name_fts and is not in the match). */
static int cand_score(const struct sq *q, const struct text_plan *tp,
                      struct cand *cd, const char *last, const char *first,
                      const char *join, int strict)
{
    cd->ntypo = cd->altrank = cd->nprefix = cd->nfirst = 0;
    for (int i = 0; i < q->ntok; i++) {
        const struct tok *t = &q->tok[i];
        int k = tok_class(t, last, first, join), a;
        if (k < 0 && tp->nalt[i]) {
            /* 4: a neighbour in the family name, 5: in the first name. */
            if ((t->cols & COL_FAM) &&
                ((a = alt_in(tp->alts[i], tp->nalt[i], last)) ||
                 (a = alt_in(tp->alts[i], tp->nalt[i], join)))) {
                k = 4;
                cd->altrank += a;
            } else if ((t->cols & COL_FIRST) &&
                       (a = alt_in(tp->alts[i], tp->nalt[i], first))) {
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
                      int strict);

/* Sorts pids[0..*n) best first (word tiers, bm25, pid). */
static int rank_pids(struct db_conn *c, const struct sq *q,
                     const struct text_plan *tp, long long *pids, size_t *n)
{
    struct result r = {.all = pids, .nall = *n};
    struct sq one = *q;
    one.offset = 0;
    one.limit = 0;
    int rc = rank_small(c, &one, tp, &r, 0);
    free(r.pid);
    *n = r.nall;
    return rc;
}

/* Sifts cd[i] down the heap cd[0..n) whose root is the worst candidate. */
static void worst_sift(struct cand *cd, size_t n, size_t i)
{
    for (;;) {
        size_t w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && cand_cmp(&cd[l], &cd[w]) > 0)
            w = l;
        if (r < n && cand_cmp(&cd[r], &cd[w]) > 0)
            w = r;
        if (w == i)
            return;
        struct cand t = cd[i];
        cd[i] = cd[w];
        cd[w] = t;
        i = w;
    }
}

/* The k best of cd[0..n) (k < n) into cd[0..k), sorted; the others
 * after them in no order: the page of a large match without sorting all
 * of it (a heap of the k best so far, its worst at the root). */
static void best_first(struct cand *cd, size_t n, size_t k)
{
    for (size_t i = k / 2; i-- > 0;)
        worst_sift(cd, k, i);
    for (size_t i = k; i < n; i++) {
        if (cand_cmp(&cd[i], &cd[0]) >= 0)
            continue;
        struct cand t = cd[0];
        cd[0] = cd[i];
        cd[i] = t;
        worst_sift(cd, k, 0);
    }
    qsort(cd, k, sizeof(*cd), cand_cmp);
}

/* Candidates ahead whose names are asked for (db_names_prefetch()). */
#define NAMES_AHEAD 8

static int rank_small(struct db_conn *c, const struct sq *q,
                      const struct text_plan *tp, struct result *res,
                      int strict)
{
    struct cand *cd = xmalloc((res->nall ? res->nall : 1) * sizeof(*cd));
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
                need |= db_initial_bit((unsigned char)q->tok[i].s[0]);
        const uint32_t *ini = c->shared->initials;
        size_t k = 0;
        for (size_t i = 0; i < res->nall; i++) {
            long long p = res->all[i];
            if (p > 0 && p < c->shared->n && (ini[p] & need) != need)
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
            db_names_prefetch(c, res->all[i + 2 * NAMES_AHEAD], 0);
        if (i + NAMES_AHEAD < res->nall)
            db_names_prefetch(c, res->all[i + NAMES_AHEAD], 1);
        if (db_names(c, res->all[i], &last, &first, &join) < 0)
            continue;
        struct cand x = {.pid = res->all[i]};
        if (cand_score(q, tp, &x, last, first, join, strict) < 0)
            continue;
        x.bm25 = name_bm25(c, q, tp, last, first, join);
        cd[n++] = x;
    }
    size_t page = (size_t)(q->offset + q->limit);
    if (q->limit > 0 && n > 2 * page)
        best_first(cd, n, page);
    else if (n > 1)
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
 * Returns 1 if that is the whole match, 0 if reading stopped first (the
 * budget, or the request's limits), -1 on a database error. */
static int read_match(struct db_conn *c, struct fplan *fp, struct stream **v,
                      int n, size_t keep, int count, struct result *res)
{
    qsort(v, (size_t)n, sizeof(*v), est_cmp);
    long long t = fp->lo, seen = 0;
    int budget = 0, whole = 1, err = 0;
    unsigned tick = 0;
    for (;;) {
        if ((size_t)seen == keep + 1 && !budget) {
            if (!count) {
                whole = 0;
                break;
            }
            db_budget(c, COUNT_MS);
            budget = 1;
        }
        /* Streams in memory run no statement for SQLite's progress
         * handler to stop: the clock is read here too (~20 ns), every 8
         * matches within the small counting budget. */
        if (budget ? (++tick & 7) == 0 && db_over_now(c) : db_over(c))
            break;
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
        db_budget(c, 0); /* back to the request's deadline */
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
        while (need > 0 && (p = match_next(fp, v, n, p, &err)) != STREAM_END) {
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

/* ---- Distance (near=) ---- */

/* An activity row (insee, postcode, city_fold): its distance in km from
 * the query's point, or NAN when it cannot be placed closer than its
 * department's middle (meaningless for a radius). */
static double act_km(const struct db_conn *c, const struct sq *q,
                     const char *insee, const char *pc, const char *town)
{
    int k;
    double lat, lon;
    int how = geo_locate(lex_of(c)->geo, insee, pc, town, &k, &lat, &lon);
    if (how == GEO_NONE || how == GEO_DEPT)
        return NAN;
    return places_distance_km(q->lat, q->lon, lat, lon);
}

/* The distances of pid's activities (in aid order, as record.c lists
 * them) into km[0..*n) (at most max), and the nearest (NAN if none). */
static double pid_km(struct db_conn *c, const struct sq *q, long long pid,
                     double *km, size_t max, size_t *n)
{
    const struct lex *lx = lex_of(c);
    if (lx->act_at) {
        /* In memory (lex.h): tens of nanoseconds. */
        size_t cnt;
        double best = lex_pid_km(lx, pid, q->lat, q->lon, km, max, &cnt);
        if (n)
            *n = cnt < max ? cnt : max;
        return best;
    }
    sqlite3_stmt *st = db_prepare(
        c, "SELECT insee, postcode, city_fold FROM activity WHERE aid"
           " BETWEEN ?1 << 20 AND (?1 << 20) | 1048575 ORDER BY aid");
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
        double km = pid_km(c, q, res->all[i], NULL, 0, NULL);
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
static void near_small(struct db_conn *c, const struct sq *q,
                       struct result *res)
{
    size_t n;
    struct near_hit *h = near_hits(c, q, res, &n);
    size_t pcap = 0;
    res->n = 0;
    for (size_t i = 0; i < n; i++) {
        res->all[i] = h[i].pid;
        if (i >= (size_t)q->offset && i < (size_t)(q->offset + q->limit))
            res_push(&res->pid, &res->n, &pcap, h[i].pid);
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

struct search {
    struct sq q;
    struct fplan fp;
    struct text_plan tp;
    struct stream text; /* the whole match of the words */
    struct result res;
    int cut; /* stopped at the request's limits: res is what was found */
};

static int run_text_twice(struct db_conn *c, struct search *s, int count);
static int near_rings(struct db_conn *c, struct search *s, int names,
                      int count);
static int near_whole(struct db_conn *c, struct search *s);

/* Runs the search: the page's pids in s->res. count=0 (suggest) skips the
 * total. */
static int run_search(struct db_conn *c, struct search *s, int count)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    if (nothing_left(q)) {
        res->total_exact = 1;
        return 0;
    }
    if (plan_filters(c, q, fp, q->ntok == 0 && !q->near) < 0)
        return -1;
    if (q->ntok == 0 && q->near)
        return near_rings(c, s, 0, count);
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
    return run_text_twice(c, s, count);
}

/* ranked: the match read whole (res->all) ranked, then (near=) sorted by
 * distance, and the page taken. */
static int ranked(struct db_conn *c, struct search *s, int strict)
{
    struct sq *q = &s->q;
    struct result *res = &s->res;
    if (!q->near)
        return rank_small(c, q, &s->tp, res, strict);
    long off = q->offset, lim = q->limit;
    q->offset = 0;
    q->limit = (long)res->nall + 1;
    int r = rank_small(c, q, &s->tp, res, strict);
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

/* The people of the place in memory (fp->place_bits, pid order) that
 * pass the profession, the pid range and fp->check into res->all, the old
 * driver's set (read_match() of the filter streams, DRIVER_PIDS at most):
 * 1 with all of them, 0 if there are more (res emptied), -1 on a
 * database error. */
/* One candidate p of the memory driver, kept if it passes the place
 * check: 1 to go on, 0 past DRIVER_PIDS (res emptied), -1 on an error. */
static int driver_take(struct fplan *fp, struct result *res, long long p,
                       long long *seen)
{
    int ok = place_ok(fp, p); /* bits and runs: profession and range */
    if (ok <= 0)
        return ok < 0 ? -1 : 1;
    if (++*seen > DRIVER_PIDS) {
        free(res->all);
        res->all = NULL;
        res->nall = res->capall = 0;
        return 0;
    }
    res_push(&res->all, &res->nall, &res->capall, p);
    return 1;
}

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
                    (s->tp.est > cand_max || !s->tp.lazy);
    double mem_us =
        (double)((fp->hi >> 6) - (fp->lo >> 6) + 1) * MEM_WORD_US +
        (double)fp->place_m * (MEM_PERSON_US + (fp->check ? CHECK_US : 0));
    if (mem_drive && mem_us <= (double)s->tp.est * FTS_ROW_US) {
        int r = mem_ranked(c, s);
        if (r != 0)
            return r < 0 ? -1 : 0;
        mem_drive = 0;
    } else if (fp->nv && (s->tp.est > cand_max || !s->tp.lazy)) {
        db_budget(c, DRIVER_MS);
        int whole = read_match(c, fp, fp->v, fp->nv, DRIVER_PIDS, 0, res);
        int cut = c->interrupted;
        db_budget(c, 0);
        if (whole < 0 && !cut)
            return -1;
        if (whole == 1) {
            res->total_exact = 1;
            return ranked(c, s, 1);
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
    int one = q->ntok == 1 && q->tok[0].cols == COL_ANY && fp->nv == 0 &&
              !fp->place_bits;
    if (one && !q->near && s->tp.lower > cand_max) {
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
        if (all_stream(c, &s->text, &s->tp, 1) < 0)
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
    if (all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
        return -1;
    struct stream *v[5] = {&s->text};
    int n = 1;
    for (int i = 0; i < fp->nv; i++)
        v[n++] = fp->v[i];
    /* near= with one word that more than cand_max people carry and no
     * filter: the match is too large to rank whole, and near= reads it
     * again its own way; reading its first cand_max rows to find that out
     * cost as much as the rest of the search (a prefix FTS5 merges). */
    int large = q->near && one && s->tp.lower > cand_max && !fp->prof_of &&
                !fp->check && fp->lo == 1 && fp->hi == c->max_pid;
    int whole = large ? 0 : read_match(c, fp, v, n, cand_max, count, res);
    if (whole < 0)
        return -1;
    if (whole && res->total <= cand_max) {
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
    if (q->near) {
        for (int i = 0; i < fp->nv; i++)
            stream_rewind(fp->v[i]);
        /* Read whole and placed in memory (~1.5 us a person) when that
         * costs less than the commune-by-commune read (~0.4 us an
         * activity, until the page is full: about need / density
         * activities, at most those within the radius). */
        const struct lex *lx = lex_of(c);
        double whole_us = 1.5 * (double)s->tp.est, ring_us = 0;
        if (lx->act_at && s->tp.est <= NEAR_WHOLE) {
            struct geo_hit *hits;
            size_t nh =
                geo_within(lx->geo, q->lat, q->lon, q->radius_km, &hits);
            double acts = 0, all = (double)lx->act_at[lx->npids];
            for (size_t h = 0; h < nh; h++)
                acts += geo_commune(lx->geo, hits[h].commune)->activities;
            free(hits);
            double scan = (double)(q->offset + q->limit) * all /
                          (double)(s->tp.est ? s->tp.est : 1);
            ring_us = 0.4 * (scan < acts ? scan : acts);
        }
        if (lx->act_at && s->tp.est <= NEAR_WHOLE && whole_us < ring_us) {
            if (all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
                return -1;
            struct stream *w[5] = {&s->text};
            int wn = 1;
            for (int i = 0; i < fp->nv; i++)
                w[wn++] = fp->v[i];
            int all = read_match(c, fp, w, wn, NEAR_WHOLE, 0, res);
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
        if (all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
            return -1;
        return near_rings(c, s, 1, count);
    }
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
    if (!lex_of(c) || !count || s->q.typos || s->res.total >= TYPO_SHORT ||
        c->expired)
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

/* A name match read whole but too large to rank whole (res->all, pid
 * order): those with an activity within the radius, nearest first (by
 * distances in memory), each group at one distance that the page reaches
 * ranked by relevance. */
static int near_whole(struct db_conn *c, struct search *s)
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
                res_push(&res->pid, &res->n, &pcap, grp[k]);
        i = j;
    }
    free(grp);
    free(h);
    res->total = (long long)n;
    res->total_exact = 1;
    return rc;
}

/* 1 if pid's names match every name word (as the whole-match expression
 * does: a prefix or, in the second reading, a neighbour). */
static int names_match(const struct db_conn *c, const struct sq *q,
                       const struct text_plan *tp, long long pid)
{
    const char *last, *first, *join;
    struct cand x;
    if (db_names(c, pid, &last, &first, &join) < 0)
        return 0;
    return cand_score(q, tp, &x, last, first, join, 1) == 0;
}

/* A large match, or filters alone, by distance: the communes within the
 * radius, nearest first; in each, its activities (by commune code, and,
 * when no other commune bears its name, by town name for those without a
 * code) intersected with the filters in pid order, names checked (names).
 * A person is placed at the first commune they are found in: their
 * nearest. The people of one commune are ranked by relevance (up to
 * NEAR_BATCH). Stops once the page is full and the counting budget
 * spent, or at the request's limits. */
static int near_rings(struct db_conn *c, struct search *s, int names, int count)
{
    const struct sq *q = &s->q;
    const struct geo *geo = lex_of(c)->geo;
    struct result *res = &s->res;
    struct fplan *fp = &s->fp;
    struct geo_hit *hits;
    size_t nh = geo_within(geo, q->lat, q->lon, q->radius_km, &hits);
    struct pidset seen = {0};
    struct stream *cs = xmalloc(sizeof(*cs));
    long long *batch = NULL, found = 0, extra = 0;
    size_t capb = 0, need = (size_t)(q->offset + q->limit), pcap = 0;
    int rc = 0, budget = 0, done = 1;
    const struct lex *lx = lex_of(c);
    for (size_t h = 0; h < nh; h++) {
        const struct geo_commune *k = geo_commune(geo, hits[h].commune);
        size_t people = 0;
        if (lx->commune_at) {
            /* In memory: the people placed in this commune (as their
             * distances are). */
            const uint32_t *at = lx->commune_at + hits[h].commune;
            people = at[1] - at[0];
            stream_init_mem(cs, lx->commune_pid + at[0], people,
                            order_key(ORD_PLACE, k->activities));
        } else {
            struct sq one = {0};
            char *insee = (char *)k->insee;
            int cs_n;
            if (k->parent < 0 &&
                geo_by_name(geo, k->name_fold, strlen(k->name_fold), &cs_n,
                            1) == 1)
                add_towns(&one, k);
            int r = commune_stream(c, cs, &insee, 1, one.towns, one.ntown, 'R');
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
                  (!lx->commune_at || (double)s->tp.est * FTS_ROW_US <
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
        while ((p = match_next(fp, v, n, p, &err)) != STREAM_END) {
            if (names && !fts && cs->mem) {
                size_t j = cs->pos + NAMES_AHEAD;
                if (j < cs->nmem)
                    db_names_prefetch(c, cs->mem[j], 1);
                if (j + NAMES_AHEAD < cs->nmem)
                    db_names_prefetch(c, cs->mem[j + NAMES_AHEAD], 0);
            }
            if ((!names || fts || names_match(c, q, &s->tp, p)) &&
                pidset_add(&seen, p)) {
                if ((size_t)found + nb < need ||
                    (names && nb < NEAR_BATCH && (size_t)found < need))
                    res_push(&batch, &nb, &capb, p);
                else
                    extra++;
            }
            p++;
            if (!budget && (size_t)(found + extra) + nb >= need) {
                if (!count)
                    break;
                db_budget(c, COUNT_MS);
                budget = 1;
            }
            if (db_over(c))
                break;
        }
        int failed = err || streams_failed(v, n);
        for (int i = 0; i < n; i++)
            stream_done(v[i]);
        if (failed && !c->interrupted) {
            rc = -1;
            break;
        }
        if (names && nb > 1 && (size_t)found < need) {
            /* One distance: by relevance. */
            struct result r1 = {.all = batch, .nall = nb};
            struct sq qq = *q;
            qq.offset = 0;
            qq.limit = (long)nb;
            if (rank_small(c, &qq, &s->tp, &r1, 0) < 0) {
                free(r1.pid);
                rc = -1;
                break;
            }
            free(r1.pid);
            nb = r1.nall;
        }
        for (size_t i = 0; i < nb; i++, found++)
            if ((size_t)found >= (size_t)q->offset && (size_t)found < need)
                res_push(&res->pid, &res->n, &pcap, batch[i]);
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

static void facet_pid(struct db_conn *c, const struct sq *q, struct facets *f,
                      long long pid)
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
    static const char *const lists[] = {"profession", "specialty", NULL, "mode",
                                        NULL};
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
    /* Within the request's deadline too: its work is the search's. */
    db_budget(c, FACET_MS);
    if (s->cut) {
        /* The search stopped at the request's limits: none left. */
        f.exact = 0;
    } else if (res->all || (q->ntok && s->tp.none)) {
        for (size_t i = 0; i < res->nall; i++) {
            if ((i & 63) == 0 && db_over_now(c)) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, res->all[i]);
        }
        if (c->interrupted)
            f.exact = 0;
    } else {
        /* The streams again, from the start: the per-pid lookups are
         * other statements, so stepping them in between is fine. */
        struct stream *v[5];
        int n = 0;
        if (q->ntok && !s->text.nsub &&
            all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
            f.exact = 0;
        if (q->ntok)
            v[n++] = &s->text;
        for (int i = 0; i < s->fp.nv; i++)
            v[n++] = s->fp.v[i];
        for (int i = 0; i < n; i++)
            stream_rewind(v[i]);
        qsort(v, (size_t)n, sizeof(*v), est_cmp);
        long long p = s->fp.lo;
        long i = 0;
        int err = 0;
        while ((p = match_next(&s->fp, v, n, p, &err)) != STREAM_END) {
            if ((i++ & 63) == 0 && db_over_now(c)) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, p);
            p++;
        }
        if (c->interrupted || err || streams_failed(v, n))
            f.exact = 0;
        for (int k = 0; k < n; k++)
            stream_done(v[k]);
    }
    db_unbudget(c); /* the rest of the page is rendered whatever the time */
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

/* near=: a result with "distance_km" on each activity (null where it
 * cannot be placed) and on the result (the nearest). */
static int near_record(struct db_conn *c, const struct sq *q, struct buf *b,
                       long long pid)
{
    double km[64];
    size_t n;
    double best = pid_km(c, q, pid, km, 64, &n);
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
        json_t *f = compute_facets(c, s);
        char *t = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        buf_addstr(b, ",\"facets\":");
        buf_addstr(b, t ? t : "null");
        free(t);
    }
    if (s->q.und) {
        const struct lex *lx = lex_of(c);
        json_t *u = understand_json(lx->und, lx->geo, s->q.und);
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
    unapply_understood(q);
    understand_place_as_name(q->und);
    q->typos = 0;
    return apply_understood(q, lex_of(c)->geo) == 0;
}

/* Runs the search within the request's limits (db.h): 0 with the page in
 * s->res, which is what was found, total a lower bound and total_exact
 * false, if they stopped it (s->cut); -1 on a database error. */
static int search_limited(struct db_conn *c, struct search *s, int count)
{
    db_budget(c, 0);
    int rc = run_search(c, s, count);
    if (rc == 0 && count && s->res.total == 0 && !c->expired &&
        reread_place_as_name(c, s))
        rc = run_search(c, s, count);
    s->cut = c->expired;
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
    if (sq_parse(c, r, &s->q, 0, out) < 0) {
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
    if (sq_parse(c, r, &s->q, 1, out) < 0) {
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
