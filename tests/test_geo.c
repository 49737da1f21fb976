/* The commune table in memory (server/geo.c), on the real data/communes.tsv
 * and data/postcodes.tsv (run from the repository root) loaded into an
 * in-memory database with the embedded schema and a few activity rows:
 * lookups by INSEE code, name, label and postal code, arrondissements,
 * placing activities without a commune code, the radius search checked
 * against a scan of every commune, and the failure cases. */
#include "geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "places.h"
#include "util.h"
#include "t.h"

extern const char schema_sql[];

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql: %s: %s\n", err, sql);
        exit(1);
    }
}

/* Activity rows: (insee, how many). Saint-Denis de la Réunion gets more
 * than Saint-Denis (93), so it comes first for "saint denis". */
static const struct {
    const char *insee;
    int n;
} acts[] = {
    {"75111", 30}, {"75112", 20}, {"97411", 9}, {"93066", 4},
    {"90010", 5},  {"42218", 7},  {"69383", 3},
};

static sqlite3 *make_db(void)
{
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        exit(1);
    exec_or_die(db, schema_sql);
    if (places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv") < 0)
        exit(1);
    long aid = 1;
    for (size_t i = 0; i < sizeof(acts) / sizeof(*acts); i++)
        for (int k = 0; k < acts[i].n; k++) {
            char sql[160];
            snprintf(sql, sizeof(sql),
                     "INSERT INTO activity (aid, insee) VALUES (%ld, '%s')",
                     aid++, acts[i].insee);
            exec_or_die(db, sql);
        }
    /* Rows without a commune code do not count. */
    exec_or_die(db, "INSERT INTO activity (aid, postcode) VALUES "
                    "(1000, '90000')");
    return db;
}

static const char *insee_of(const struct geo *g, int c)
{
    return c >= 0 ? geo_commune(g, c)->insee : "none";
}

static void test_lookups(const struct geo *g)
{
    T_CHECK(geo_count(g) > 34000);
    int c = geo_by_insee(g, "75111", 5);
    T_CHECK(c >= 0);
    if (c < 0)
        return;
    const struct geo_commune *k = geo_commune(g, c);
    T_EQ_STR(k->name, "Paris 11e Arrondissement");
    T_EQ_STR(k->dept, "75");
    T_EQ_STR(insee_of(g, k->parent), "75056");
    T_EQ_INT(k->activities, 30);
    int paris = geo_by_insee(g, "75056", 5);
    T_EQ_INT(geo_commune(g, paris)->activities, 50);
    T_EQ_INT(geo_commune(g, paris)->parent, -1);
    const int *kids;
    T_EQ_INT(geo_children(g, paris, &kids), 20);
    T_EQ_INT(geo_children(g, geo_by_insee(g, "69123", 5), &kids), 9);
    T_EQ_STR(insee_of(g, kids[2]), "69383");
    T_EQ_INT(geo_children(g, geo_by_insee(g, "13055", 5), &kids), 16);
    T_EQ_INT(geo_children(g, geo_by_insee(g, "90010", 5), &kids), 0);
    T_EQ_INT(geo_by_insee(g, "2A004", 5) >= 0, 1);
    T_EQ_INT(geo_by_insee(g, "99999", 5), -1);
    T_EQ_INT(geo_by_insee(g, "7511", 4), -1);
    T_EQ_INT(geo_by_insee(g, "751110", 6), -1);

    static const struct {
        const char *name;
        size_t count; /* at least */
        const char *first;
    } names[] = {
        {"saint etienne", 1, "42218"},   {"belfort", 1, "90010"},
        {"saint denis", 4, "97411"},     {"l hay les roses", 1, "94038"},
        {"bourg en bresse", 1, "01053"}, /* name and label */
        {"paris", 1, "75056"},           /* not Boulogne (75016 "PARIS") */
        {"paris 16", 1, "75116"},        /* La Poste's label */
        {"lyon", 10, "69123"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        int out[64];
        size_t n =
            geo_by_name(g, names[i].name, strlen(names[i].name), out, 64);
        T_CHECK(n >= names[i].count);
        T_EQ_STR(n ? insee_of(g, out[0]) : "none", names[i].first);
    }
    int out[4];
    T_EQ_INT(geo_by_name(g, "nowhere at all", 14, out, 4), 0);
    T_EQ_INT(geo_by_name(g, "saint", 5, out, 4), 0);
    T_EQ_INT(geo_name_continues(g, "saint", 5), 1);
    T_EQ_INT(geo_name_continues(g, "bourg en", 8), 1);
    T_EQ_INT(geo_name_continues(g, "bourg en bresse", 15), 0);
    T_EQ_INT(geo_name_continues(g, "zzzz", 4), 0);

    /* Postal codes: La Poste's commune first (most activities), CEDEX
     * codes unknown. */
    size_t n = geo_by_postcode(g, "75011", 5, out, 4);
    T_EQ_INT(n, 2);
    T_EQ_STR(insee_of(g, out[0]), "75056");
    T_EQ_STR(insee_of(g, out[1]), "75111");
    n = geo_by_postcode(g, "90000", 5, out, 4);
    T_EQ_INT(n, 1);
    T_EQ_STR(insee_of(g, out[0]), "90010");
    T_EQ_INT(geo_by_postcode(g, "01012", 5, out, 4), 0);

    T_EQ_INT(geo_has_dept(g, "2A", 2), 1);
    T_EQ_INT(geo_has_dept(g, "974", 3), 1);
    T_EQ_INT(geo_has_dept(g, "01", 2), 1);
    T_EQ_INT(geo_has_dept(g, "20", 2), 0);
    T_EQ_INT(geo_has_dept(g, "1", 1), 0);
    T_EQ_INT(geo_dept_communes(g, "75", 2), 21);
    T_CHECK(geo_dept_communes(g, "01", 2) > 300);
    T_EQ_INT(geo_dept_communes(g, "20", 2), 0);
}

static void test_locate(const struct geo *g)
{
    static const struct {
        const char *insee, *pc, *town;
        int how;
        const char *commune;
    } cases[] = {
        {"90010", "90000", "belfort", GEO_COMMUNE, "90010"},
        {"75111", NULL, NULL, GEO_COMMUNE, "75111"},
        {NULL, "90000", NULL, GEO_POSTCODE, "90010"},
        {"", "90000", "", GEO_POSTCODE, "90010"},
        /* a code several communes share: the one the town names */
        {NULL, "01000", "saint denis les bourg", GEO_POSTCODE, "01344"},
        /* CEDEX codes: the town in the code's department */
        {NULL, "01011", "bourg en bresse", GEO_TOWN, "01053"},
        {NULL, "42007", "st etienne", GEO_TOWN, "42218"},
        {NULL, "93207", "saint denis", GEO_TOWN, "93066"},
        {NULL, "97405", "saint denis", GEO_TOWN, "97411"},
        /* an unknown commune code falls back too */
        {"99999", "90000", NULL, GEO_POSTCODE, "90010"},
        {NULL, "97499", "nowhere", GEO_DEPT, NULL},
        {NULL, NULL, "nowhere", GEO_NONE, NULL},
        {NULL, NULL, NULL, GEO_NONE, NULL},
        {NULL, "9000", NULL, GEO_NONE, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int c;
        double lat, lon;
        int how = geo_locate(g, cases[i].insee, cases[i].pc, cases[i].town, &c,
                             &lat, &lon);
        T_EQ_INT(how, cases[i].how);
        if (cases[i].commune)
            T_EQ_STR(insee_of(g, c), cases[i].commune);
        else
            T_EQ_INT(c, -1);
        T_EQ_INT(how == GEO_NONE, isnan(lat));
        if (how == GEO_DEPT)
            T_CHECK(lat < -20 && lat > -22 && lon > 55 && lon < 56);
    }
}

static void test_resolve(const struct geo *g)
{
    static const struct {
        const char *text, *commune; /* NULL: coordinates; "-": unknown */
        double lat, lon;
    } cases[] = {
        {"90000", "90010", 0, 0},
        {"75011", "75111", 0, 0}, /* the arrondissement, not Paris */
        {"75111", "75111", 0, 0},
        {"75056", "75056", 0, 0},
        {"69003", "69383", 0, 0},
        {"13001", "13201", 0, 0},
        /* a code La Poste lists for several arrondissements: the one its
         * number names (13012 serves the 11e, 12e and 13e) */
        {"13012", "13212", 0, 0},
        {"13013", "13213", 0, 0},
        {"13011", "13211", 0, 0},
        {"75016", "75116", 0, 0},
        {"69009", "69389", 0, 0},
        /* CEDEX codes: the department's town with the most activities */
        {"75700", "75056", 0, 0}, /* PARIS CEDEX 07 */
        {"42997", "42218", 0, 0}, /* ST ETIENNE CEDEX */
        {"01012", "01012", 0, 0}, /* a CEDEX code, also an INSEE code */
        {"94038", "94038", 0, 0}, /* L'Haÿ-les-Roses by its INSEE code */
        {"insee:01012", "01012", 0, 0},
        {"insee:75011", "-", 0, 0},
        {"2A004", "2A004", 0, 0},
        {"2a004", "2A004", 0, 0},
        {"Saint-Étienne", "42218", 0, 0},
        {"st etienne", "42218", 0, 0},
        {"ST-ETIENNE", "42218", 0, 0},
        {"belfort", "90010", 0, 0},
        {"Bourg-en-Bresse", "01053", 0, 0},
        {"saint denis", "97411", 0, 0}, /* the most activities */
        {"48.8566,2.3522", NULL, 48.8566, 2.3522},
        {"-20.88, 55.45", NULL, -20.88, 55.45},
        {"91,2", "-", 0, 0},
        {"48.8,200", "-", 0, 0},
        {"48.8,2.3,1", "-", 0, 0},
        {"48.8;2.3", "-", 0, 0},
        {"nowhere", "-", 0, 0},
        {"99999", "-", 0, 0},
        {"", "-", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int c;
        double lat = 0, lon = 0;
        int r = geo_resolve(g, cases[i].text, strlen(cases[i].text), &c, &lat,
                            &lon);
        if (cases[i].commune && strcmp(cases[i].commune, "-") == 0) {
            T_EQ_INT(r, -1);
            continue;
        }
        T_EQ_INT(r, 0);
        if (!cases[i].commune) {
            T_EQ_INT(c, -1);
            T_CHECK(fabs(lat - cases[i].lat) < 1e-9);
            T_CHECK(fabs(lon - cases[i].lon) < 1e-9);
            continue;
        }
        if (strcmp(insee_of(g, c), cases[i].commune) != 0)
            fprintf(stderr, "  %s -> %s\n", cases[i].text, insee_of(g, c));
        T_EQ_STR(insee_of(g, c), cases[i].commune);
        T_CHECK(c >= 0 && lat == geo_commune(g, c)->lat);
    }
}

static void test_within(const struct geo *g)
{
    int bel = geo_by_insee(g, "90010", 5);
    double lat = geo_commune(g, bel)->lat, lon = geo_commune(g, bel)->lon;
    static const double radii[] = {0, 5, 10, 50, 200};
    for (size_t r = 0; r < sizeof(radii) / sizeof(*radii); r++) {
        struct geo_hit *h;
        size_t n = geo_within(g, lat, lon, radii[r], &h);
        /* The same set as a scan of every commune, nearest first. */
        size_t want = 0;
        for (size_t i = 0; i < geo_count(g); i++) {
            const struct geo_commune *c = geo_commune(g, (int)i);
            if (places_distance_km(lat, lon, c->lat, c->lon) <= radii[r])
                want++;
        }
        T_EQ_INT(n, want);
        T_CHECK(n >= 1);
        if (n)
            T_EQ_STR(insee_of(g, h[0].commune), "90010");
        int sorted = 1;
        for (size_t i = 1; i < n; i++)
            if (h[i].km < h[i - 1].km || h[i].km > radii[r])
                sorted = 0;
        T_CHECK(sorted);
        free(h);
    }
    struct geo_hit *h;
    size_t n = geo_within(g, lat, lon, 10, &h);
    int valdoie = 0;
    for (size_t i = 0; i < n; i++)
        valdoie |= strcmp(insee_of(g, h[i].commune), "90099") == 0;
    T_CHECK(valdoie);
    free(h);
    T_EQ_INT(geo_within(g, NAN, lon, 10, &h), 0);
    T_CHECK(h == NULL);
    T_EQ_INT(geo_within(g, lat, lon, -1, &h), 0);
    /* Timing, not a test: a 200 km radius around Paris. */
    int paris = geo_by_insee(g, "75056", 5);
    double t0 = now_s();
    n = geo_within(g, geo_commune(g, paris)->lat, geo_commune(g, paris)->lon,
                   200, &h);
    printf("geo_within: 200 km around Paris: %zu communes in %.2f ms\n", n,
           (now_s() - t0) * 1e3);
    free(h);
}

static void test_failures(void)
{
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    T_CHECK(geo_load(db) == NULL);
    /* The schema alone: empty tables, an empty but usable index. */
    exec_or_die(db, schema_sql);
    exec_or_die(db, "CREATE TABLE commune (insee TEXT PRIMARY KEY, name,"
                    " name_fold, dept, lat, lon, precision, parent_insee);"
                    "CREATE TABLE commune_postcode (postcode, insee)");
    struct geo *g = geo_load(db);
    T_CHECK(g != NULL);
    int out[2], c;
    double lat, lon;
    struct geo_hit *h;
    T_EQ_INT(geo_count(g), 0);
    T_EQ_INT(geo_by_name(g, "paris", 5, out, 2), 0);
    T_EQ_INT(geo_by_insee(g, "75056", 5), -1);
    T_EQ_INT(geo_locate(g, "75056", "75011", "paris", &c, &lat, &lon),
             GEO_NONE);
    T_EQ_INT(geo_within(g, 48.8, 2.3, 10, &h), 0);
    geo_free(g);
    geo_free(NULL);
    T_EQ_INT(geo_by_name(NULL, "paris", 5, out, 2), 0);
    sqlite3_close(db);
}

int main(void)
{
    log_set_prog("test_geo");
    sqlite3 *db = make_db();
    double t0 = now_s();
    struct geo *g = geo_load(db);
    printf("geo_load: %.1f ms\n", (now_s() - t0) * 1e3);
    T_CHECK(g != NULL);
    if (g) {
        test_lookups(g);
        test_locate(g);
        test_resolve(g);
        test_within(g);
        geo_free(g);
    }
    sqlite3_close(db);
    test_failures();
    return t_done();
}
