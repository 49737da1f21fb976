/* The parameters of /v1/search and /v1/suggest: one table of
 * {name, repeatable, parser} from which the allowed and repeatable names
 * and the dispatch all derive; each parser validates its value (a 400 with
 * a message that says what is expected) and fills struct sq. Codes given
 * by label are resolved against the code table, q is read last by the
 * query reader (understand.h) to fill what the other parameters leave
 * empty. Nothing here reads the match. */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facets.h"
#include "fold.h"
#include "places.h"
#include "search_int.h"
#include "rowid.h"
#include "structure.h"
#include "banned.h"

/* near=: the radius by default and at most (past 200 km "near" means a
 * region, not a neighbourhood). */
#define NEAR_DEFAULT_KM 10
#define NEAR_MAX_KM 200

/* Frees the n strings of a list and empties it. */
static void free_list(char **v, int *n)
{
    for (int i = 0; i < *n; i++)
        free(v[i]);
    *n = 0;
}

void params_release(struct sq *q)
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
    free(q->st_words);
    free(q->st_street);
    free(q->st_pids);
    free(q->st_first);
    free(q->mss);
    free(q->mss_domain);
    free(q->mbx_pids);
    free(q->und_street);
    free(q->und_structure);
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
        if (db_label(c, which, up)) {
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
void params_add_towns(struct sq *q, const struct geo_commune *k)
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

/* The filter of the communes of a reading (with their arrondissements). */
static void set_communes(struct sq *q, const struct geo *geo,
                         const struct understood *u)
{
    /* Paris is its department: one index range to read instead of 21,
     * each of which every leapfrogging seek would descend (unless a
     * department is given too: a list of departments is any of them). */
    const char *d = geo_commune(geo, u->place.communes[0])->dept;
    size_t same = 0;
    for (size_t i = 0; i < u->place.ncommunes; i++)
        same += strcmp(geo_commune(geo, u->place.communes[i])->dept, d) == 0;
    if (!q->ndept && same == u->place.ncommunes && same > 1 &&
        same == geo_dept_communes(geo, d, strlen(d))) {
        q->dept[q->ndept++] = xstrdup(d);
        return;
    }
    /* Room is left for the towns in the stream's sub-streams. No
     * department check on the towns: every commune of that name is in
     * the list, so a row naming it as its town is in one. */
    for (size_t i = 0;
         i < u->place.ncommunes && q->ninsee < STREAM_SUBS_MAX - 8; i++)
        q->insees[q->ninsee++] =
            xstrdup(geo_commune(geo, u->place.communes[i])->insee);
    for (size_t i = 0; i < u->place.nnamed && i < 2; i++)
        params_add_towns(q, geo_commune(geo, u->place.communes[i]));
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
    int explicit_place =
        q->ndept || q->city_fold || q->insee || q->pc_lo || q->ninsee;
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
    case UND_PLACE_COMMUNE:
        if (geo)
            set_communes(q, geo, u);
        break;
    default:
        break;
    }
    return 0;
}

/* city= as a commune of the reference table ("Paris", "paris 9e
 * arrondissement", "lyon 3ème", an INSEE code): its activities by commune
 * code, the whole city's with its arrondissements', and those placed only
 * by their town name, as a commune read in q. A value the table does not
 * know stays a match on the activity's town text. After every parameter:
 * a department given beside it must not be widened by the city's. */
static void resolve_city(struct db_conn *c, struct sq *q)
{
    const struct geo *geo = search_geo(c);
    const struct understand *und = search_und(c);
    struct understood *u;
    if (!geo || !und || (!q->city_fold && !q->insee))
        return;
    u = xcalloc(1, sizeof(*u));
    if (q->insee) {
        int k = geo_by_insee(geo, q->insee, strlen(q->insee));
        const int *kids;
        size_t nk = k >= 0 ? geo_children(geo, k, &kids) : 0;
        if (!nk)
            goto out; /* a commune without arrondissements: its code */
        u->place.kind = UND_PLACE_COMMUNE;
        u->place.communes[0] = k;
        u->place.ncommunes = u->place.nnamed = 1;
        for (size_t i = 0; i < nk && i + 1 < UND_MAX_COMMUNES; i++)
            u->place.communes[u->place.ncommunes++] = kids[i];
    } else if (understand_place_text(und, q->city_fold, strlen(q->city_fold),
                                     u) < 0) {
        goto out;
    } else if (u->place.ncommunes == u->place.nnamed) {
        /* No arrondissements: the town's name as the activities write it
         * (INSEE's, as the importer writes it for the lines it places;
         * places_fold_name(): "st etienne" is "saint etienne", "paris 9"
         * is "paris 9e arrondissement"), one key of the city_fold indexes
         * (with the profession's) rather than a stream per code and town
         * name. */
        const char *f = geo_commune(geo, u->place.communes[0])->name_fold;
        for (size_t i = 1; f && i < u->place.nnamed; i++)
            if (strcmp(geo_commune(geo, u->place.communes[i])->name_fold, f))
                f = NULL;
        if (f) {
            free(q->city_fold);
            q->city_fold = xstrdup(f);
            goto out;
        }
    }
    free(q->city_fold);
    free(q->insee);
    q->city_fold = q->insee = NULL;
    set_communes(q, geo, u);
out:
    free(u);
}

/* One parameter's value into q: 0, or -1 with the error in out. */
typedef int param_fn(struct db_conn *c, struct sq *q, const char *k,
                     const char *v, struct api_resp *out);

static int too_many(struct api_resp *out, const char *k)
{
    api_error(out, 400, "too many values in '%s'", k);
    return -1;
}

static int param_q(struct db_conn *c, struct sq *q, const char *k,
                   const char *v, struct api_resp *out)
{
    (void)c, (void)k, (void)out;
    q->qtext = v; /* read last: it fills what the rest leave */
    return 0;
}

static int param_name(struct db_conn *c, struct sq *q, const char *k,
                      const char *v, struct api_resp *out)
{
    (void)c;
    return add_tokens(q, v, COL_FAM) < 0 ? too_many(out, k) : 0;
}

static int param_given(struct db_conn *c, struct sq *q, const char *k,
                       const char *v, struct api_resp *out)
{
    (void)c;
    return add_tokens(q, v, COL_FIRST) < 0 ? too_many(out, k) : 0;
}

/* The facade's any-column name words (fhir.h: FHIR's name=), folded as
 * q's are, but never read as a profession or a place: a FHIR client's
 * name= is a name. */
static int param_words(struct db_conn *c, struct sq *q, const char *k,
                       const char *v, struct api_resp *out)
{
    (void)c;
    return add_tokens(q, v, COL_ANY) < 0 ? too_many(out, k) : 0;
}

static int param_profession(struct db_conn *c, struct sq *q, const char *k,
                            const char *v, struct api_resp *out)
{
    (void)c;
    return add_list(q->prof, &q->nprof, v, 0) < 0 ? too_many(out, k) : 0;
}

static int param_specialty(struct db_conn *c, struct sq *q, const char *k,
                           const char *v, struct api_resp *out)
{
    (void)c;
    return add_list(q->spec, &q->nspec, v, 0) < 0 ? too_many(out, k) : 0;
}

static int param_mode(struct db_conn *c, struct sq *q, const char *k,
                      const char *v, struct api_resp *out)
{
    (void)c;
    if (add_list(q->mode, &q->nmode, v, 1) < 0)
        return too_many(out, k);
    for (int j = 0; j < q->nmode; j++)
        if (strcmp(q->mode[j], "L") && strcmp(q->mode[j], "S") &&
            strcmp(q->mode[j], "B")) {
            api_error(out, 400, "mode must be L, S or B");
            return -1;
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

static int param_dept(struct db_conn *c, struct sq *q, const char *k,
                      const char *v, struct api_resp *out)
{
    (void)c;
    if (add_list(q->dept, &q->ndept, v, 1) < 0)
        return too_many(out, k);
    for (int j = 0; j < q->ndept; j++) {
        if (!is_dept_code(q->dept[j])) {
            api_error(out, 400,
                      "dept must be a department code (01, 2A, 75, 974)");
            return -1;
        }
    }
    return 0;
}

static int param_city(struct db_conn *c, struct sq *q, const char *k,
                      const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    if (is_insee(v)) {
        q->insee = xstrdup(v);
        q->insee[1] = (char)toupper((unsigned char)q->insee[1]);
        return 0;
    }
    char *f = xmalloc(strlen(v) + 1);
    fold(v, strlen(v), f);
    if (!*f) {
        free(f);
        api_error(out, 400, "city is empty");
        return -1;
    }
    q->city_fold = f;
    return 0;
}

static int param_postcode(struct db_conn *c, struct sq *q, const char *k,
                          const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    char hi[6];
    if (places_postcode_range(v, hi) < 0) {
        api_error(out, 400, "postcode must be 1 to 5 digits");
        return -1;
    }
    q->pc_lo = xstrdup(v);
    if (*hi)
        q->pc_hi = xstrdup(hi);
    return 0;
}

/* Rows of a CEDEX code read to find the town of its bureau: a code
 * serves one office, so a few agree; the activity_postcode index reads
 * them in microseconds. */
#define CEDEX_ROWS 64

/* The commune of a postal code La Poste's table does not list (a CEDEX
 * code) by the activities that carry it: the town of their bureau
 * ("84811 L ISLE SUR LA SORGUE CEDEX"), or their commune code, placed as
 * for distances; the commune most of them name. -1 if none. */
static int cedex_commune(struct db_conn *c, const struct geo *geo,
                         const char *pc)
{
    sqlite3_stmt *st = db_prepare(c, "SELECT insee, city_fold FROM activity"
                                     " WHERE postcode = ?1 LIMIT ?2");
    int seen[CEDEX_ROWS], votes[CEDEX_ROWS], nseen = 0, best = -1;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, pc, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, CEDEX_ROWS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int k;
        double lat, lon;
        int how =
            geo_locate(geo, db_text(st, 0), pc, db_text(st, 1), &k, &lat, &lon);
        if (how == GEO_NONE || how == GEO_DEPT || k < 0)
            continue;
        int i = 0;
        while (i < nseen && seen[i] != k)
            i++;
        if (i == nseen) {
            seen[nseen] = k;
            votes[nseen++] = 0;
        }
        if (++votes[i] > (best < 0 ? 0 : votes[best]))
            best = i;
    }
    db_done(st);
    return best < 0 ? -1 : seen[best];
}

static int param_near(struct db_conn *c, struct sq *q, const char *k,
                      const char *v, struct api_resp *out)
{
    (void)k;
    int commune = -1;
    const struct geo *geo = search_geo(c);
    const struct understand *und = search_und(c);
    if (!geo) {
        api_error(out, 400, "near: this database has no commune table");
        return -1;
    }
    size_t vl = strlen(v);
    int pc = vl == 5 && strspn(v, "0123456789") == 5, tmp[1];
    /* A code La Poste does not list (a CEDEX code): the town of the
     * bureau of the activities that carry it, before geo_resolve()'s
     * guesses (an INSEE code of that number, the department's largest
     * town). */
    if (pc && geo_by_postcode(geo, v, 5, tmp, 1) == 0)
        commune = cedex_commune(c, geo, v);
    if (commune < 0 &&
        geo_resolve(geo, v, vl, &commune, &q->lat, &q->lon) == 0) {
        q->near = 1;
        return 0;
    }
    if (commune < 0 && und) {
        /* "paris 9e", "lyon 3ème": as city= reads them. */
        struct understood *u = xmalloc(sizeof(*u));
        if (understand_place_text(und, v, vl, u) == 0)
            commune = u->place.communes[0];
        free(u);
    }
    if (commune < 0 || isnan(geo_commune(geo, commune)->lat) ||
        isnan(geo_commune(geo, commune)->lon)) {
        api_error(out, 400,
                  "near: unknown place '%s' (a postal code, an INSEE code, a"
                  " commune or lat,lon)",
                  v);
        return -1;
    }
    q->lat = geo_commune(geo, commune)->lat;
    q->lon = geo_commune(geo, commune)->lon;
    q->near = 1;
    return 0;
}

static int param_radius(struct db_conn *c, struct sq *q, const char *k,
                        const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    char *end;
    double rad = strtod(v, &end);
    if (end == v || *end || !(rad > 0 && rad <= NEAR_MAX_KM)) {
        api_error(out, 400, "radius_km must be more than 0 and at most %d",
                  NEAR_MAX_KM);
        return -1;
    }
    q->radius_km = rad;
    return 0;
}

static int param_has_mss(struct db_conn *c, struct sq *q, const char *k,
                         const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    q->has_mss = parse_bool(v);
    if (q->has_mss < 0) {
        api_error(out, 400, "has_mss must be true or false");
        return -1;
    }
    return 0;
}

static int param_limit(struct db_conn *c, struct sq *q, const char *k,
                       const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    if (parse_long(v, 1, API_MAX_LIMIT, &q->limit) < 0) {
        api_error(out, 400, "limit must be 1 to %d", API_MAX_LIMIT);
        return -1;
    }
    return 0;
}

static int param_offset(struct db_conn *c, struct sq *q, const char *k,
                        const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    if (parse_long(v, 0, API_MAX_WINDOW, &q->offset) < 0) {
        api_error(out, 400, "offset must be 0 to %d", API_MAX_WINDOW);
        return -1;
    }
    return 0;
}

static int param_facets(struct db_conn *c, struct sq *q, const char *k,
                        const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    char *names[LIST_MAX];
    int nn = 0;
    if (add_list(names, &nn, v, 0) < 0) {
        free_list(names, &nn); /* those copied before the 17th */
        api_error(out, 400, "too many facets");
        return -1;
    }
    for (int j = 0; j < nn; j++) {
        unsigned bit = facets_bit(names[j]);
        if (!bit) {
            api_error(out, 400, "unknown facet '%s' (%s)", names[j],
                      facets_names());
            for (; j < nn; j++)
                free(names[j]);
            return -1;
        }
        q->facets |= bit;
        free(names[j]);
    }
    return 0;
}

static int param_structure(struct db_conn *c, struct sq *q, const char *k,
                           const char *v, struct api_resp *out)
{
    (void)c;
    int street = strcmp(k, "street") == 0;
    char f[API_MAX_VALUE * 4];
    if (!structure_fold(v, street, f, sizeof f)) {
        api_error(out, 400, "%s has no word", k);
        return -1;
    }
    char **dst = street ? &q->st_street : &q->st_words;
    *dst = xstrdup(f);
    return 0;
}

static int param_siret(struct db_conn *c, struct sq *q, const char *k,
                       const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    if (!structure_siret(v, q->st_siret)) {
        api_error(out, 400, "siret must be 14 digits with a valid key");
        return -1;
    }
    return 0;
}

static int param_finess(struct db_conn *c, struct sq *q, const char *k,
                        const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    if (!structure_finess(v, q->st_finess)) {
        api_error(out, 400,
                  "finess must be 9 characters: a department (01, 2A, 9A...)"
                  " then 7 digits");
        return -1;
    }
    return 0;
}

/* mssante=: "@domain" or "domain" (a dot, no '@'), else an address
 * prefix ("dupont@", "jean.dupont"), lower-cased. Which reading a value
 * without '@' gets is decided on the data (resolve_mailboxes()). */
static int param_mssante(struct db_conn *c, struct sq *q, const char *k,
                         const char *v, struct api_resp *out)
{
    (void)c, (void)k;
    size_t n = strlen(v);
    char *m = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != ' ')
            m[o++] = (char)tolower((unsigned char)v[i]);
    m[o] = '\0';
    const char *at = strchr(m, '@');
    if (o < 3 || (at && strchr(at + 1, '@'))) {
        free(m);
        api_error(out, 400,
                  "mssante must be a mailbox prefix (dupont@, jean.dupont)"
                  " or a domain (chu-nantes.mssante.fr), 3 characters or"
                  " more");
        return -1;
    }
    q->mss = m;
    return 0;
}

/* Which requests take a parameter (a bit per enum params_mode). */
#define IN_SEARCH (1u << PARAMS_SEARCH)
#define IN_SUGGEST (1u << PARAMS_SUGGEST)
#define IN_FACADE (1u << PARAMS_FACADE)

/* Every parameter of /v1/search, /v1/suggest and the FHIR facade's search
 * (in: which take it); multi: it may be given more than once (its values
 * add up). */
static const struct param {
    const char *name;
    int multi;
    unsigned in;
    param_fn *parse;
} params[] = {
    {"q", 0, IN_SEARCH | IN_SUGGEST, param_q},
    {"name", 0, IN_SEARCH | IN_FACADE, param_name},
    {"given", 0, IN_SEARCH | IN_FACADE, param_given},
    {"words", 0, IN_FACADE, param_words},
    {"profession", 1, IN_SEARCH | IN_FACADE, param_profession},
    {"specialty", 1, IN_SEARCH | IN_FACADE, param_specialty},
    {"mode", 1, IN_SEARCH, param_mode},
    {"city", 0, IN_SEARCH, param_city},
    {"postcode", 0, IN_SEARCH, param_postcode},
    {"dept", 1, IN_SEARCH, param_dept},
    {"has_mss", 0, IN_SEARCH | IN_FACADE, param_has_mss},
    {"limit", 0, IN_SEARCH | IN_SUGGEST, param_limit},
    {"offset", 0, IN_SEARCH, param_offset},
    {"facets", 1, IN_SEARCH, param_facets},
    {"near", 0, IN_SEARCH, param_near},
    {"radius_km", 0, IN_SEARCH, param_radius},
    {"structure", 0, IN_SEARCH, param_structure},
    {"street", 0, IN_SEARCH, param_structure},
    {"siret", 0, IN_SEARCH, param_siret},
    {"finess", 0, IN_SEARCH, param_finess},
    {"mssante", 0, IN_SEARCH, param_mssante},
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

/* The names api_check_params() is to allow and to take repeated, from the
 * table. */
static void param_names(enum params_mode mode, const char **allowed,
                        const char **multi)
{
    size_t na = 0, nm = 0;
    for (size_t i = 0; i < NPARAMS; i++) {
        if (!(params[i].in & (1u << mode)))
            continue;
        allowed[na++] = params[i].name;
        if (params[i].multi)
            multi[nm++] = params[i].name;
    }
    allowed[na] = multi[nm] = NULL;
}

static int cmp_pid32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Most owners an address prefix resolves to: "jean" begins 1 % of the
 * 540,000 mailboxes; the union is sorted, so this bounds it (~1 ms). */
#define MBX_PREFIX_MAX 20000

/* mssante=: a domain when some mailbox has it (a stream over the domain
 * index, planned by filters.c), else an address prefix, its owners read
 * here. 0, or -1 with the error in out. */
static int resolve_mailboxes(struct db_conn *c, struct sq *q,
                             struct api_resp *out)
{
    const char *m = q->mss;
    const char *at = strchr(m, '@');
    const char *dom = at ? (at == m ? m + 1 : NULL) : strchr(m, '.') ? m : NULL;
    q->mbx_on = 1;
    if (dom) {
        sqlite3_stmt *st = db_prepare_static(
            c, "SELECT 1 FROM mailbox WHERE substr(address, instr(address,"
               " '@') + 1) = ?1 LIMIT 1");
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, dom, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        db_done(st);
        if (rc == SQLITE_ROW) {
            q->mss_domain = xstrdup(dom);
            return 0;
        }
        if (at == m)
            return 0; /* "@nothing": nobody */
    }
    /* The prefix as a range [m, m with its last byte + 1). */
    size_t n = strlen(m);
    char *hi = xstrdup(m);
    hi[n - 1]++;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT mid FROM mailbox WHERE address >= ?1 AND address < ?2"
           " AND mid < ?3");
    if (!st) {
        free(hi);
        goto fail;
    }
    sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ROWID_ORPHAN);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (q->mbx_npids == MBX_PREFIX_MAX) {
            db_done(st);
            free(hi);
            api_error(out, 400,
                      "mssante: more than %d mailboxes begin with '%s':"
                      " give more of the address",
                      MBX_PREFIX_MAX, m);
            return -1;
        }
        if (q->mbx_npids == cap) {
            cap = cap ? 2 * cap : 64;
            q->mbx_pids = xrealloc(q->mbx_pids, cap * sizeof *q->mbx_pids);
        }
        q->mbx_pids[q->mbx_npids++] =
            (uint32_t)rowid_pid(sqlite3_column_int64(st, 0));
    }
    db_done(st);
    free(hi);
    if (rc != SQLITE_DONE)
        goto fail;
    if (q->mbx_npids) /* qsort() takes no NULL array, even empty */
        qsort(q->mbx_pids, q->mbx_npids, sizeof *q->mbx_pids, cmp_pid32);
    size_t o = 0;
    for (size_t i = 0; i < q->mbx_npids; i++)
        if (!o || q->mbx_pids[i] != q->mbx_pids[o - 1])
            q->mbx_pids[o++] = q->mbx_pids[i];
    q->mbx_npids = o;
    return 0;
fail:
    api_error(out, 503, "database error");
    return -1;
}

/* The people of the structures of sids[0..n) named exactly by q's
 * structure words, when some of the others are not: q->st_first. 0, or
 * -1 on a database error. */
static int exact_tier(struct db_conn *c, struct sq *q, const long long *sids,
                      size_t n)
{
    unsigned char exact[STRUCTURE_EXACT_MAX];
    long long first[STRUCTURE_EXACT_MAX];
    long m = structure_exact(c, q->st_words, sids, n, exact);
    if (m <= 0 || (size_t)m == n)
        return m < 0 ? -1 : 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (exact[i])
            first[k++] = sids[i];
    return structure_pids(c, first, k, &q->st_first, &q->st_nfirst);
}

/* structure=, street=, siret=, finess= (and the place, on the same
 * structure): the people of the structures that meet them. 0, or -1 with
 * the error in out. */
static int resolve_structures(struct db_conn *c, struct sq *q,
                              struct api_resp *out)
{
    struct structure_cond k = {
        .words = q->st_words,
        .street = q->st_street,
        .words_whole = q->st_words_whole,
        .street_whole = q->st_street_whole,
        .siret = q->st_siret,
        .finess = q->st_finess,
        .pc_lo = q->pc_lo,
        .pc_hi = q->pc_hi,
        .insee = q->insee,
        .city_fold = q->city_fold,
        .dept = q->dept,
        .ndept = q->ndept,
        .insees = q->insees,
        .ninsee = q->ninsee,
        .towns = q->towns,
        .ntown = q->ntown,
        .any_order = 1,
        .typo = 1,
    };
    if (!structure_cond_any(&k))
        return 0;
    q->st_on = 1;
    long long *sids = xmalloc((STRUCTURE_MATCH_MAX + 1) * sizeof *sids);
    db_budget(c, 0);
    /* Their set (their people are the same whatever their order), in
     * sid order, which also reads their pids in the table's order. */
    long n = structure_find_set(c, &k, sids, STRUCTURE_MATCH_MAX + 1);
    /* Read from q, a broad name is not an error: its largest structures
     * (structure_find()'s order) stand for it. */
    int from_q = q->und_structure || q->und_street;
    if (n > STRUCTURE_MATCH_MAX && from_q)
        n = structure_find(c, &k, sids, STRUCTURE_MATCH_MAX);
    int rc =
        n < 0 || n > STRUCTURE_MATCH_MAX
            ? -1
            : structure_pids(c, sids, (size_t)n, &q->st_pids, &q->st_npids);
    if (rc == 0 && q->st_words && n > 1 && n <= STRUCTURE_EXACT_MAX)
        rc = exact_tier(c, q, sids, (size_t)n);
    int cut = db_interrupted(c);
    db_unbudget(c);
    free(sids);
    if (n > STRUCTURE_MATCH_MAX) {
        api_error(out, 400,
                  "structure: more than %d structures match: give more"
                  " words or a place",
                  STRUCTURE_MATCH_MAX);
        return -1;
    }
    if (rc < 0) {
        api_error(out, 503,
                  cut ? "the search took too long" : "database error");
        return -1;
    }
    return 0;
}

/* After every parameter: what they say together. */
static int params_combine(struct db_conn *c, struct sq *q, int suggest,
                          struct api_resp *out)
{
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
    resolve_city(c, q);
    dedup_list(q->dept, &q->ndept);
    if (q->qtext) {
        /* Suggestions take the words as typed: "paris" is the start of a
         * name there, not a town. */
        const struct understand *und = search_und(c);
        if (!suggest && und) {
            q->und = xmalloc(sizeof(*q->und));
            char rest[API_MAX_VALUE + 1];
            size_t rn = qstruct_mailbox(q, rest, sizeof rest);
            if (understand_query(und, rest, rn, q->und) < 0) {
                api_error(out, 400, "q: at most %d words of at most %d bytes",
                          UND_MAX_WORDS, UND_WORD_MAX - 1);
                return -1;
            }
            if (qstruct_read(c, und, q) < 0) {
                api_error(out, 503, "database error");
                return -1;
            }
            if (apply_understood(q, search_geo(c)) < 0) {
                api_error(out, 400, "q: at most %d name words", TOK_MAX);
                return -1;
            }
        } else if (add_tokens(q, q->qtext, COL_ANY) < 0) {
            return too_many(out, "q");
        }
    }
    if (!suggest && (resolve_structures(c, q, out) < 0 ||
                     (q->mss && resolve_mailboxes(c, q, out) < 0)))
        return -1;
    if (suggest && q->nq == 0) {
        api_error(out, 400, "q is empty: give the beginning of a name");
        return -1;
    }
    if (q->ntok == 0 && !q->nprof && !q->nspec && !q->nmode && !q->ndept &&
        !q->city_fold && !q->insee && !q->pc_lo && !q->ninsee &&
        q->has_mss < 0 && !q->near && !(q->und && q->und->nwords) &&
        !q->st_on && !q->mbx_on) {
        api_error(out, 400, "empty search: give q, a name or a filter");
        return -1;
    }
    return 0;
}

int params_parse(struct db_conn *c, const struct api_req *r, struct sq *q,
                 enum params_mode mode, struct api_resp *out)
{
    const char *allowed[NPARAMS + 1], *multi[NPARAMS + 1];
    int suggest = mode == PARAMS_SUGGEST;
    memset(q, 0, sizeof(*q));
    q->has_mss = -1;
    q->limit = suggest ? 10 : 20;
    param_names(mode, allowed, multi);
    if (api_check_params(r, allowed, multi, out) < 0)
        return -1;
    for (size_t i = 0; i < r->nparams; i++) {
        const char *k = r->params[i].key, *v = r->params[i].val;
        size_t j = 0;
        while (j < NPARAMS && strcmp(params[j].name, k) != 0)
            j++;
        /* api_check_params() let only the table's names through ("pretty"
         * aside, which is http.c's). */
        assert(j < NPARAMS || strcmp(k, "pretty") == 0);
        if (j < NPARAMS && params[j].parse(c, q, k, v, out) < 0)
            return -1;
    }
    return params_combine(c, q, suggest, out);
}

int params_has_loc(const struct sq *q)
{
    return q->nmode || q->ndept || q->city_fold || q->insee || q->pc_lo ||
           q->ninsee;
}

int params_nothing_left(const struct sq *q)
{
    return q->und && q->ntok == 0 && !q->nprof && !q->nspec &&
           !params_has_loc(q) && q->has_mss < 0 && !q->near && !q->st_on &&
           !q->mbx_on;
}

int params_place_as_name(struct db_conn *c, struct sq *q)
{
    if (!q->und || !q->und->place.ambiguous || !(q->from_q & FROM_Q_PLACE))
        return 0;
    unapply_understood(q);
    understand_place_as_name(q->und);
    q->typos = 0;
    return apply_understood(q, search_geo(c)) == 0;
}
