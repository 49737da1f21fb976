/* The commune reference table in memory. See geo.h. Everything is sorted
 * arrays searched by bisection: communes by INSEE code, (folded name,
 * commune) pairs, (postal code, commune) pairs, and communes by latitude
 * for the radius search (a latitude band, then the exact distance: 35 k
 * communes, so even a 200 km band is a few thousand distance
 * computations). */
#include "geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "places.h"
#include "util.h"
#include "banned.h"

struct key {
    const char *s; /* folded name or postal code, in g->strings */
    int commune;
    unsigned activities; /* the commune's, for the order */
};

struct geo {
    struct geo_commune *c; /* sorted by INSEE code */
    size_t n;
    int *kids;   /* arrondissements grouped by city */
    int *kid_at; /* kids of commune i: kid_at[i] .. kid_at[i + 1] */
    struct key *names;
    size_t nnames;
    struct key *pcs;
    size_t npcs;
    int *bylat; /* communes with coordinates, by latitude */
    size_t nbylat;
    /* Department middles: mean of the communes' coordinates. */
    struct dept {
        char code[4];
        double lat, lon;
        size_t ncommunes;
        int top; /* the commune (not an arrondissement) with the most
                  * activities, -1 if none has any */
    } * depts;
    size_t ndepts;
    /* Every string above: 35 k communes' four and the names' and postal
     * codes' keys, a few hundred thousand short strings, which one
     * malloc() each kept in 32-byte chunks with an array of pointers to
     * free them (about 6 MiB more at full scale). */
    struct arena strings;
};

static const char *keep(struct geo *g, const char *s, size_t n)
{
    return arena_strndup(&g->strings, s ? s : "", s ? n : 0);
}

static const char *col_keep(struct geo *g, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return keep(g, s, (size_t)sqlite3_column_bytes(st, i));
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                           " AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int by_insee(const struct geo *g, const char *insee, size_t n)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = g->c[mid].insee;
        size_t sl = strlen(s);
        int c = memcmp(s, insee, sl < n ? sl : n);
        if (c == 0)
            c = sl < n ? -1 : sl > n;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int geo_by_insee(const struct geo *g, const char *insee, size_t n)
{
    return g && insee ? by_insee(g, insee, n) : -1;
}

/* Keys sort by string, then most activities first, then commune. */
static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c)
        return c;
    if (x->activities != y->activities)
        return x->activities > y->activities ? -1 : 1;
    return x->commune - y->commune;
}

struct latent {
    double lat;
    int commune;
};

static int cmp_lat(const void *a, const void *b)
{
    const struct latent *x = a, *y = b;
    if (x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return x->commune - y->commune;
}

struct keys {
    struct key *v;
    size_t n, cap;
};

static void key_add(struct keys *k, const char *s, int commune)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4096;
        k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
    }
    k->v[k->n].s = s;
    k->v[k->n].commune = commune;
    k->n++;
}

/* Sorts and drops repeated (string, commune) pairs. */
static void keys_finish(const struct geo *g, struct keys *k)
{
    if (k->n == 0)
        return;
    for (size_t i = 0; i < k->n; i++)
        k->v[i].activities = g->c[k->v[i].commune].activities;
    qsort(k->v, k->n, sizeof(*k->v), cmp_key);
    size_t o = 0;
    for (size_t i = 0; i < k->n; i++)
        if (o == 0 || strcmp(k->v[o - 1].s, k->v[i].s) != 0 ||
            k->v[o - 1].commune != k->v[i].commune)
            k->v[o++] = k->v[i];
    k->n = o;
}

static int load_communes(struct geo *g, sqlite3 *db)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    char **parents = NULL;
    int ret = -1, rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT insee, name, name_fold, dept, lat, lon,"
                           " parent_insee FROM commune ORDER BY insee",
                           -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: commune: %s", __func__, sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (g->n == cap) {
            cap = cap ? 2 * cap : 4096;
            g->c = xrealloc(g->c, cap * sizeof(*g->c));
            parents = xrealloc(parents, cap * sizeof(*parents));
        }
        struct geo_commune *c = &g->c[g->n];
        c->insee = col_keep(g, st, 0);
        c->name = col_keep(g, st, 1);
        c->name_fold = col_keep(g, st, 2);
        c->dept = col_keep(g, st, 3);
        c->lat = sqlite3_column_type(st, 4) == SQLITE_NULL
                     ? NAN
                     : sqlite3_column_double(st, 4);
        c->lon = sqlite3_column_type(st, 5) == SQLITE_NULL
                     ? NAN
                     : sqlite3_column_double(st, 5);
        c->parent = -1;
        c->activities = 0;
        const char *p = (const char *)sqlite3_column_text(st, 6);
        parents[g->n] = p && *p ? xstrdup(p) : NULL;
        g->n++;
    }
    if (rc != SQLITE_DONE) {
        log_error("%s: commune: %s", __func__, sqlite3_errmsg(db));
        goto out;
    }
    /* Parents, then each city's arrondissements as one list. */
    g->kid_at = xcalloc(g->n + 1, sizeof(*g->kid_at));
    g->kids = xmalloc((g->n ? g->n : 1) * sizeof(*g->kids));
    for (size_t i = 0; i < g->n; i++)
        if (parents[i]) {
            g->c[i].parent = by_insee(g, parents[i], strlen(parents[i]));
            if (g->c[i].parent >= 0)
                g->kid_at[g->c[i].parent + 1]++;
        }
    for (size_t i = 0; i < g->n; i++)
        g->kid_at[i + 1] += g->kid_at[i];
    int *fill = xcalloc(g->n + 1, sizeof(*fill));
    for (size_t i = 0; i < g->n; i++) {
        int p = g->c[i].parent;
        if (p >= 0)
            g->kids[g->kid_at[p] + fill[p]++] = (int)i;
    }
    free(fill);
    ret = 0;
out:
    for (size_t i = 0; i < g->n; i++)
        free(parents[i]);
    free(parents);
    sqlite3_finalize(st);
    return ret;
}

/* Rows of sql as (string, insee) pairs into k. A third column, if any, is
 * a postal code that must be in the commune's department: La Poste routes
 * parts of Boulogne-Billancourt through 75016 "PARIS", which does not make
 * it a Paris. */
static int load_keys(struct geo *g, sqlite3 *db, const char *sql,
                     struct keys *k)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: %s: %s", __func__, sql, sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *insee = (const char *)sqlite3_column_text(st, 1);
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (!insee || !s || !*s)
            continue;
        int c = by_insee(g, insee, strlen(insee));
        if (c < 0)
            continue;
        if (sqlite3_column_count(st) > 2) {
            const char *pc = (const char *)sqlite3_column_text(st, 2);
            char dept[4];
            if (!pc || places_dept_of_postcode(pc, strlen(pc), dept) < 0 ||
                strcmp(dept, g->c[c].dept) != 0)
                continue;
        }
        key_add(k, col_keep(g, st, 0), c);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("%s: %s: %s", __func__, sql, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int load_activity_counts(struct geo *g, sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc;
    if (!table_exists(db, "activity"))
        return 0;
    /* One pass over the activity_insee index. */
    if (sqlite3_prepare_v2(db,
                           "SELECT insee, count(*) FROM activity"
                           " WHERE insee IS NOT NULL GROUP BY insee",
                           -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: %s", __func__, sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *insee = (const char *)sqlite3_column_text(st, 0);
        sqlite3_int64 n = sqlite3_column_int64(st, 1);
        int c = insee ? by_insee(g, insee, strlen(insee)) : -1;
        if (c < 0 || n <= 0)
            continue;
        g->c[c].activities += (unsigned)n;
        if (g->c[c].parent >= 0)
            g->c[g->c[c].parent].activities += (unsigned)n;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("%s: %s", __func__, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static const struct dept *find_dept(const struct geo *g, const char *d,
                                    size_t n)
{
    for (size_t i = 0; i < g->ndepts; i++)
        if (strlen(g->depts[i].code) == n &&
            memcmp(g->depts[i].code, d, n) == 0)
            return &g->depts[i];
    return NULL;
}

static void build_depts(struct geo *g)
{
    size_t cap = 128;
    g->depts = xmalloc(cap * sizeof(*g->depts));
    int *cnt = NULL;
    size_t capcnt = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct geo_commune *c = &g->c[i];
        if (isnan(c->lat) || isnan(c->lon) || strlen(c->dept) > 3)
            continue;
        size_t d;
        for (d = 0; d < g->ndepts; d++)
            if (strcmp(g->depts[d].code, c->dept) == 0)
                break;
        if (d == g->ndepts) {
            if (g->ndepts == cap) {
                cap *= 2;
                g->depts = xrealloc(g->depts, cap * sizeof(*g->depts));
            }
            if (g->ndepts >= capcnt) {
                capcnt = cap;
                cnt = xrealloc(cnt, capcnt * sizeof(*cnt));
            }
            memcpy(g->depts[d].code, c->dept, strlen(c->dept) + 1);
            g->depts[d].lat = g->depts[d].lon = 0;
            cnt[d] = 0;
            g->ndepts++;
        }
        g->depts[d].lat += c->lat;
        g->depts[d].lon += c->lon;
        cnt[d]++;
    }
    for (size_t d = 0; d < g->ndepts; d++) {
        g->depts[d].lat /= cnt[d];
        g->depts[d].lon /= cnt[d];
        g->depts[d].ncommunes = (size_t)cnt[d];
        g->depts[d].top = -1;
    }
    free(cnt);
    for (size_t i = 0; i < g->n; i++) {
        const struct geo_commune *c = &g->c[i];
        struct dept *d = (struct dept *)find_dept(g, c->dept, strlen(c->dept));
        if (d && c->parent < 0 && c->activities > 0 &&
            (d->top < 0 || c->activities > g->c[d->top].activities))
            d->top = (int)i;
    }
}

struct geo *geo_load(sqlite3 *db)
{
    return geo_load_counted(db, NULL, 0);
}

struct geo *geo_load_counted(sqlite3 *db, const uint32_t *acts, size_t nacts)
{
    struct geo *g = xcalloc(1, sizeof(*g));
    struct keys names = {0}, pcs = {0};
    if (load_communes(g, db) < 0)
        goto fail;
    if (acts && nacts == g->n) {
        for (size_t i = 0; i < g->n; i++)
            g->c[i].activities = acts[i];
    } else if (load_activity_counts(g, db) < 0) {
        goto fail;
    }
    if (load_keys(g, db, "SELECT name_fold, insee FROM commune", &names) < 0)
        goto fail;
    if (load_keys(g, db,
                  "SELECT postcode, insee, postcode FROM commune_postcode",
                  &pcs) < 0)
        goto fail;
    if (table_exists(db, "postcode_label") &&
        (load_keys(g, db,
                   "SELECT label_fold, insee, postcode FROM postcode_label",
                   &names) < 0 ||
         load_keys(g, db,
                   "SELECT postcode, insee, postcode FROM postcode_label",
                   &pcs) < 0))
        goto fail;
    keys_finish(g, &names);
    keys_finish(g, &pcs);
    g->names = names.v;
    g->nnames = names.n;
    g->pcs = pcs.v;
    g->npcs = pcs.n;
    names.v = pcs.v = NULL;
    struct latent *le = xmalloc((g->n ? g->n : 1) * sizeof(*le));
    for (size_t i = 0; i < g->n; i++)
        if (!isnan(g->c[i].lat) && !isnan(g->c[i].lon))
            le[g->nbylat++] = (struct latent){g->c[i].lat, (int)i};
    qsort(le, g->nbylat, sizeof(*le), cmp_lat);
    g->bylat = xmalloc((g->nbylat ? g->nbylat : 1) * sizeof(*g->bylat));
    for (size_t i = 0; i < g->nbylat; i++)
        g->bylat[i] = le[i].commune;
    free(le);
    build_depts(g);
    return g;
fail:
    free(names.v);
    free(pcs.v);
    geo_free(g);
    return NULL;
}

void geo_free(struct geo *g)
{
    if (!g)
        return;
    arena_release(&g->strings);
    free(g->c);
    free(g->kids);
    free(g->kid_at);
    free(g->names);
    free(g->pcs);
    free(g->bylat);
    free(g->depts);
    free(g);
}

size_t geo_count(const struct geo *g)
{
    return g ? g->n : 0;
}

const struct geo_commune *geo_commune(const struct geo *g, int i)
{
    return &g->c[i];
}

size_t geo_children(const struct geo *g, int c, const int **kids)
{
    *kids = g->kids + g->kid_at[c];
    return (size_t)(g->kid_at[c + 1] - g->kid_at[c]);
}

/* Compares key string s with w[0..n); with prefix, only its first n bytes
 * (0 when s starts with w). */
static int cmp_str(const char *s, const char *w, size_t n, int prefix)
{
    size_t sl = strlen(s);
    int c = memcmp(s, w, sl < n ? sl : n);
    if (c)
        return c;
    if (sl < n)
        return -1;
    return prefix ? 0 : sl > n;
}

/* [*lo, *hi): the keys equal to (or, with prefix, starting with) w. */
static void key_range(const struct key *v, size_t nv, const char *w, size_t n,
                      int prefix, size_t *lo, size_t *hi)
{
    size_t a = 0, b = nv;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cmp_str(v[mid].s, w, n, prefix) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    b = nv;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cmp_str(v[mid].s, w, n, prefix) <= 0)
            a = mid + 1;
        else
            b = mid;
    }
    *hi = a;
}

static size_t key_lookup(const struct key *v, size_t nv, const char *w,
                         size_t n, int *out, size_t max)
{
    size_t lo, hi;
    key_range(v, nv, w, n, 0, &lo, &hi);
    for (size_t i = lo; i < hi && i - lo < max; i++)
        out[i - lo] = v[i].commune;
    return hi - lo;
}

size_t geo_by_name(const struct geo *g, const char *fold, size_t n, int *out,
                   size_t max)
{
    if (!g || n == 0)
        return 0;
    return key_lookup(g->names, g->nnames, fold, n, out, max);
}

int geo_name_continues(const struct geo *g, const char *fold, size_t n)
{
    char buf[256];
    size_t lo, hi;
    if (!g || n == 0 || n + 1 >= sizeof(buf))
        return 0;
    memcpy(buf, fold, n);
    buf[n] = ' ';
    key_range(g->names, g->nnames, buf, n + 1, 1, &lo, &hi);
    return hi > lo;
}

size_t geo_by_postcode(const struct geo *g, const char *pc, size_t n, int *out,
                       size_t max)
{
    if (!g || n == 0)
        return 0;
    return key_lookup(g->pcs, g->npcs, pc, n, out, max);
}

int geo_has_dept(const struct geo *g, const char *dept, size_t n)
{
    return g && find_dept(g, dept, n) != NULL;
}

size_t geo_dept_communes(const struct geo *g, const char *dept, size_t n)
{
    const struct dept *d = g ? find_dept(g, dept, n) : NULL;
    return d ? d->ncommunes : 0;
}

static int placed(const struct geo *g, int c, int how, int *commune,
                  double *lat, double *lon)
{
    if (isnan(g->c[c].lat) || isnan(g->c[c].lon))
        return GEO_NONE;
    *commune = c;
    *lat = g->c[c].lat;
    *lon = g->c[c].lon;
    return how;
}

int geo_locate(const struct geo *g, const char *insee, const char *postcode,
               const char *city_fold, int *commune, double *lat, double *lon)
{
    int c, how;
    *commune = -1;
    *lat = *lon = NAN;
    if (!g)
        return GEO_NONE;
    if (insee && *insee && (c = by_insee(g, insee, strlen(insee))) >= 0 &&
        (how = placed(g, c, GEO_COMMUNE, commune, lat, lon)))
        return how;
    char town[PLACES_FOLD_SIZE(128)];
    size_t tl = 0;
    if (city_fold && *city_fold && strlen(city_fold) < 128)
        tl = places_fold_name(city_fold, strlen(city_fold), town);
    size_t pl = postcode ? strlen(postcode) : 0;
    if (pl == 5) {
        int cs[16];
        size_t n = geo_by_postcode(g, postcode, 5, cs, 16);
        if (n > 16)
            n = 16;
        /* Several communes share the code: the one the town names, else
         * the one with the most activities (first). */
        for (size_t i = 0; i < n && tl; i++)
            if (strcmp(g->c[cs[i]].name_fold, town) == 0 &&
                (how = placed(g, cs[i], GEO_POSTCODE, commune, lat, lon)))
                return how;
        for (size_t i = 0; i < n; i++)
            if ((how = placed(g, cs[i], GEO_POSTCODE, commune, lat, lon)))
                return how;
    }
    char dept[4] = "";
    if (pl == 5 && places_dept_of_postcode(postcode, 5, dept) < 0)
        dept[0] = '\0';
    if (tl) {
        /* A CEDEX code: the town of that name in the department. */
        int cs[64];
        size_t n = geo_by_name(g, town, tl, cs, 64);
        if (n > 64)
            n = 64;
        for (size_t i = 0; i < n; i++)
            if ((!dept[0] || strcmp(g->c[cs[i]].dept, dept) == 0) &&
                (how = placed(g, cs[i], GEO_TOWN, commune, lat, lon)))
                return how;
    }
    const struct dept *d = dept[0] ? find_dept(g, dept, strlen(dept)) : NULL;
    if (d) {
        *lat = d->lat;
        *lon = d->lon;
        return GEO_DEPT;
    }
    return GEO_NONE;
}

/* "48.8566,2.3522" (spaces allowed around the comma). */
static int parse_latlon(const char *s, size_t n, double *lat, double *lon)
{
    char buf[64], *end;
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *comma = strchr(buf, ',');
    if (!comma || strchr(comma + 1, ','))
        return -1;
    *comma = '\0';
    double a = strtod(buf, &end);
    while (*end == ' ')
        end++;
    if (end == buf || *end)
        return -1;
    double b = strtod(comma + 1, &end);
    while (*end == ' ')
        end++;
    if (end == comma + 1 || *end)
        return -1;
    if (!(a >= -90 && a <= 90) || !(b >= -180 && b <= 180))
        return -1;
    *lat = a;
    *lon = b;
    return 0;
}

/* The number of arrondissement c (INSEE 751NN, 132NN, 6938N: NN, N). */
static int arrondissement_number(const struct geo *g, int c)
{
    const char *in = g->c[c].insee;
    if (strlen(in) != 5)
        return -1;
    int num = (in[3] - '0') * 10 + (in[4] - '0');
    return num > 80 ? num - 80 : num;
}

/* The commune of postal code pc (5 digits): an arrondissement before its
 * city, the one its number names first (La Poste lists 13012 for the 11e,
 * 12e and 13e: 13012 is the 12e, 75016 the 16e, 69009 the 9e); with
 * cedex, for a code no table lists, the nearest known code at or below it
 * with the same department. -1 if none. */
static int postcode_commune(const struct geo *g, const char *pc, int cedex)
{
    int cs[16];
    size_t n = geo_by_postcode(g, pc, 5, cs, 16);
    if (n > 16)
        n = 16;
    int num = (pc[3] - '0') * 10 + (pc[4] - '0');
    for (size_t i = 0; i < n; i++)
        if (g->c[cs[i]].parent >= 0 && arrondissement_number(g, cs[i]) == num)
            return cs[i];
    for (size_t i = 0; i < n; i++)
        if (g->c[cs[i]].parent >= 0)
            return cs[i];
    if (n > 0 || !cedex)
        return n > 0 ? cs[0] : -1;
    char dept[4], d2[4];
    if (places_dept_of_postcode(pc, 5, dept) < 0)
        return -1;
    /* CEDEX codes serve the big offices: the department's town with the
     * most activities (Lyon for 69441, Marseille for 13331). With no
     * activity counts, the nearest code below. */
    const struct dept *dd = find_dept(g, dept, strlen(dept));
    if (dd && dd->top >= 0)
        return dd->top;
    size_t lo, hi;
    key_range(g->pcs, g->npcs, pc, 5, 0, &lo, &hi);
    /* lo: the first code above pc; walk down within the department. */
    for (size_t i = lo; i-- > 0;) {
        const char *k = g->pcs[i].s;
        if (places_dept_of_postcode(k, strlen(k), d2) < 0 ||
            strcmp(d2, dept) != 0)
            break;
        /* The first key of that code: the most active commune. */
        size_t first = i;
        while (first > 0 && strcmp(g->pcs[first - 1].s, k) == 0)
            first--;
        return g->pcs[first].commune;
    }
    return -1;
}

int geo_resolve(const struct geo *g, const char *text, size_t n, int *commune,
                double *lat, double *lon)
{
    char fold_buf[PLACES_FOLD_SIZE(256)];
    int c = -1, force_insee = 0;
    *commune = -1;
    if (!g || n == 0 || n > 256)
        return -1;
    if (parse_latlon(text, n, lat, lon) == 0)
        return 0;
    if (n > 6 && memcmp(text, "insee:", 6) == 0) {
        force_insee = 1;
        text += 6;
        n -= 6;
    }
    size_t fl = places_fold_name(text, n, fold_buf);
    int digits = fl == 5;
    for (size_t i = 0; i < fl && digits; i++)
        digits = fold_buf[i] >= '0' && fold_buf[i] <= '9';
    int insee = -1;
    if (fl == 5) {
        char up[6];
        memcpy(up, fold_buf, 6);
        if (up[0] == '2' && (up[1] == 'a' || up[1] == 'b'))
            up[1] = (char)(up[1] - 'a' + 'A');
        insee = by_insee(g, up, 5);
    }
    /* Five digits: a postal code La Poste lists first (people know
     * those), then an INSEE code (the API's own addresses give them),
     * then a CEDEX code, which no table lists: a CEDEX code that is also
     * some commune's INSEE code reads as that commune. "insee:" forces
     * the INSEE reading. */
    if (force_insee)
        c = insee;
    else if (digits) {
        c = postcode_commune(g, fold_buf, 0);
        if (c < 0)
            c = insee;
        if (c < 0)
            c = postcode_commune(g, fold_buf, 1);
    } else if (insee >= 0) {
        c = insee;
    } else {
        int cs[1] = {-1};
        if (geo_by_name(g, fold_buf, fl, cs, 1) > 0)
            c = cs[0];
    }
    if (c < 0 || isnan(g->c[c].lat) || isnan(g->c[c].lon))
        return -1;
    *commune = c;
    *lat = g->c[c].lat;
    *lon = g->c[c].lon;
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct geo_hit *x = a, *y = b;
    if (x->km != y->km)
        return x->km < y->km ? -1 : 1;
    return x->commune - y->commune;
}

size_t geo_within(const struct geo *g, double lat, double lon, double radius_km,
                  struct geo_hit **out)
{
    *out = NULL;
    if (!g || g->nbylat == 0 || !(radius_km >= 0) || isnan(lat) || isnan(lon))
        return 0;
    /* A degree of latitude is at least 110.57 km anywhere. */
    double dlat = radius_km / 110.57;
    size_t lo = 0, hi = g->nbylat;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->c[g->bylat[mid]].lat < lat - dlat)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t cap = 0, n = 0;
    struct geo_hit *v = NULL;
    /* A degree of longitude is at least 111.32 cos(lat) km over the band:
     * communes farther east or west are skipped before the haversine. */
    double far_lat = fabs(lat) + dlat < 89.0 ? fabs(lat) + dlat : 89.0;
    double dlon = radius_km / (111.32 * cos(far_lat * M_PI / 180.0));
    for (size_t i = lo; i < g->nbylat; i++) {
        const struct geo_commune *c = &g->c[g->bylat[i]];
        if (c->lat > lat + dlat)
            break;
        double dl = fabs(c->lon - lon);
        if (dl > 180.0)
            dl = 360.0 - dl;
        if (dl > dlon)
            continue;
        double km = places_distance_km(lat, lon, c->lat, c->lon);
        if (km > radius_km)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n].commune = g->bylat[i];
        v[n].km = km;
        n++;
    }
    if (n)
        qsort(v, n, sizeof(*v), cmp_hit);
    *out = v;
    return n;
}
