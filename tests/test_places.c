/* Places: name folding, the department rule (commune and postal codes, in
 * the library and through the importer), distance, and the real
 * data/communes.tsv + data/postcodes.tsv loaded into an in-memory database
 * (run from the repository root). Then every way a file can be bad, each of
 * which must fail and leave nothing behind. */
#include "places.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "columns.h"
#include "fold.h"
#include "load.h"
#include "util.h"
#include "t.h"

#define COMMUNES "data/communes.tsv"
#define POSTCODES "data/postcodes.tsv"

static const struct {
    const char *in, *out;
} fold_cases[] = {
    {"Saint-Étienne", "saint etienne"},
    {"st etienne", "saint etienne"},
    {"ST-ETIENNE", "saint etienne"},
    {"St. Étienne", "saint etienne"},
    {"Ste-Foy-lès-Lyon", "sainte foy les lyon"},
    {"SAINTE FOY LES LYON", "sainte foy les lyon"},
    {"Saint-Martin-d'Hères", "saint martin d heres"},
    {"L'Haÿ-les-Roses", "l hay les roses"},
    {"Stella-Plage", "stella plage"}, /* st only as a whole word */
    {"Est", "est"},
    {"Ouest st", "ouest saint"},
    {"st", "saint"},
    {"ste", "sainte"},
    {"st st ste st", "saint saint sainte saint"},
    {"stes", "stes"},
    {"  -st- ", "saint"},
    {"", ""},
    {"75011", "75011"},
};

static const struct {
    const char *pc, *dept;
} dept_cases[] = {
    {"01000", "01"},  {"01012", "01"},  {"75011", "75"},  {"20000", "2A"},
    {"20167", "2A"},  {"20200", "2B"},  {"20600", "2B"},  {"97400", "974"},
    {"97600", "976"}, {"97133", "977"}, {"97150", "978"}, {"98800", "988"},
    {"98799", "989"}, {"90000", "90"},
};

static const char *bad_pc[] = {"",      "7501",  "750111", "75O11",
                               "7501 ", "98000", "98050",  "00100",
                               "96000", "99999", "97900",  "98500"};

/* The department of an address with no department given: its commune
 * code's, else its postal code's (docs/format.md §5.4). "" for none. */
static const struct {
    const char *insee, *pc, *dept;
} addr_cases[] = {
    /* Mainland, Paris by arrondissement. */
    {"", "75011", "75"},
    {"75111", "75011", "75"},
    {"01053", "01012", "01"},
    /* Corsica: the INSEE code says 2A or 2B; a postal code 200xx-201xx is
     * Corse-du-Sud's, 202xx-206xx Haute-Corse's; the commune's own wins
     * where a code serves both. */
    {"", "20000", "2A"},
    {"", "20167", "2A"},
    {"", "20200", "2B"},
    {"", "20600", "2B"},
    {"2A004", "20000", "2A"},
    {"2B033", "20200", "2B"},
    {"2A004", "20200", "2A"},
    /* Overseas departments. */
    {"", "97100", "971"},
    {"97105", "97100", "971"},
    {"", "97200", "972"},
    {"", "97300", "973"},
    {"", "97400", "974"},
    {"97411", "97400", "974"},
    {"", "97600", "976"},
    /* Saint-Pierre-et-Miquelon, Saint-Barthélemy (97133, in Guadeloupe's
     * range), Saint-Martin (97150). */
    {"", "97500", "975"},
    {"97502", "97500", "975"},
    {"", "97133", "977"},
    {"97701", "97133", "977"},
    {"", "97150", "978"},
    {"97801", "97150", "978"},
    /* Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie, Clipperton. */
    {"", "98600", "986"},
    {"98611", "98600", "986"},
    {"", "98714", "987"},
    {"98735", "98714", "987"},
    {"", "98800", "988"},
    {"98818", "98800", "988"},
    {"", "98799", "989"},
    {"98901", "", "989"},
    /* Monaco (La Poste's 98000) and abroad (INSEE 99xxx): no department. */
    {"", "98000", ""},
    {"99138", "98000", ""},
    {"99138", "", ""},
    /* Neither, or nothing to read. */
    {"", "", ""},
    {"7511", "7501", ""},
    {"ABCDE", "75011", "75"},
};

/* The rule itself. */
static void test_dept_rule(void)
{
    for (size_t i = 0; i < sizeof(addr_cases) / sizeof(*addr_cases); i++) {
        const char *in = addr_cases[i].insee, *pc = addr_cases[i].pc;
        char d[4] = "x";
        size_t n = places_dept_of(in, strlen(in), pc, strlen(pc), d);
        T_EQ_STR(d, addr_cases[i].dept);
        T_EQ_INT(n, strlen(addr_cases[i].dept));
    }
    char d[4];
    T_EQ_INT(places_dept_of(NULL, 0, NULL, 0, d), 0);
    T_EQ_STR(d, "");
    T_EQ_INT(places_dept_of_insee("2A004", 5, d), 0);
    T_EQ_STR(d, "2A");
    T_EQ_INT(places_dept_of_insee("2C004", 5, d), -1);
    T_EQ_INT(places_dept_of_insee("20004", 5, d), -1); /* before 1976 */
    T_EQ_INT(places_dept_of_insee("2A04", 4, d), -1);
}

/* The same rule through the importer: an activity file whose lines give
 * no department gets each line's from its commune or postal code. */
static void test_dept_import(void)
{
    char dir[] = "/tmp/test_places.XXXXXX", txt[256], db[256];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(txt, sizeof(txt),
             "%s/PS_LibreAcces_Personne_activite_202601010000.txt", dir);
    snprintf(db, sizeof(db), "%s/t.db", dir);
    FILE *f = fopen(txt, "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs(COLUMNS_ACTIVITE(COLUMNS_HEADER) "\n", f);
    size_t ncase = sizeof(addr_cases) / sizeof(*addr_cases);
    for (size_t i = 0; i < ncase; i++) {
        const char *v[COLUMNS_ACTIVITE_N] = {0};
        char id[24], nid[32];
        snprintf(id, sizeof(id), "%011zu", 10000000000 + i);
        snprintf(nid, sizeof(nid), "8%s", id);
        v[ACT_IDTYPE] = "8";
        v[ACT_ID] = id;
        v[ACT_NID] = nid;
        v[ACT_LAST] = "DUPONT";
        v[ACT_FIRST] = "Jean";
        v[ACT_PROF_C] = "10";
        v[ACT_INSEE] = addr_cases[i].insee;
        v[ACT_CP] = addr_cases[i].pc;
        for (int c = 0; c < COLUMNS_ACTIVITE_N; c++)
            fprintf(f, "%s|", v[c] ? v[c] : "");
        fputc('\n', f);
    }
    /* A department the line gives is kept as it is. */
    fputs("8|19999999999|819999999999|||||DUPONT|Paul|10", f);
    for (int c = ACT_PROF_C + 1; c < COLUMNS_ACTIVITE_N; c++)
        fputs(c == ACT_CP ? "|97133" : c == ACT_DEPT_C ? "|971" : "|", f);
    fputs("|\n", f);
    fclose(f);

    struct load_input in = {txt, txt, strrchr(txt, '/') + 1, NULL};
    struct load_opts o = {0};
    struct load_result res;
    o.max_reject_frac = 0.001;
    T_EQ_INT(load_build(db, &in, 1, &o, &res), 0);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    T_EQ_INT(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    T_EQ_INT(sqlite3_prepare_v2(h,
                                "SELECT ifnull(a.dept_code, '') FROM activity a"
                                " JOIN professional p ON p.pid = a.aid >> 20"
                                " WHERE p.id = ?1",
                                -1, &st, NULL),
             SQLITE_OK);
    for (size_t i = 0; st && i <= ncase; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%011zu",
                 i < ncase ? 10000000000 + i : (size_t)19999999999);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
        const char *got = (const char *)sqlite3_column_text(st, 0);
        T_EQ_STR(got, i < ncase ? addr_cases[i].dept : "971");
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    unlink(db);
    unlink(txt);
    rmdir(dir);
}

/* Runs a one-value query and returns it as text in buf ("" if no row). */
static const char *q1(sqlite3 *db, const char *sql, const char *arg, char *buf,
                      size_t size)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s: %s\n", sql, sqlite3_errmsg(db));
        return buf;
    }
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static double q1d(sqlite3 *db, const char *sql, const char *arg)
{
    char buf[64];
    return strtod(q1(db, sql, arg, buf, sizeof(buf)), NULL);
}

static const struct {
    const char *sql, *arg, *want;
} db_cases[] = {
    {"SELECT name FROM commune WHERE insee = ?", "75111",
     "Paris 11e Arrondissement"},
    {"SELECT parent_insee FROM commune WHERE insee = ?", "75111", "75056"},
    {"SELECT parent_insee FROM commune WHERE insee = ?", "13201", "13055"},
    {"SELECT parent_insee FROM commune WHERE insee = ?", "69381", "69123"},
    {"SELECT ifnull(parent_insee, 'none') FROM commune WHERE insee = ?",
     "75056", "none"},
    {"SELECT name || '|' || dept FROM commune WHERE insee = ?", "2A004",
     "Ajaccio|2A"},
    {"SELECT name || '|' || dept FROM commune WHERE insee = ?", "97411",
     "Saint-Denis|974"},
    {"SELECT name FROM commune WHERE insee = ?", "94038", "L'Haÿ-les-Roses"},
    {"SELECT name_fold FROM commune WHERE insee = ?", "42218", "saint etienne"},
    {"SELECT group_concat(c.insee || ' ' || c.name) FROM commune_postcode p"
     " JOIN commune c USING (insee) WHERE p.postcode = ?",
     "90000", "90010 Belfort"},
    {"SELECT insee FROM commune_postcode WHERE postcode = ?", "75011", "75056"},
    {"SELECT group_concat(insee) FROM (SELECT insee FROM commune WHERE"
     " name_fold = ? ORDER BY insee)",
     "saint etienne", "42218"},
    {"SELECT insee FROM commune WHERE name_fold = ?", "l hay les roses",
     "94038"},
    {"SELECT insee FROM postcode_label WHERE label_fold = ?", "bourg en bresse",
     "01053"},
    {"SELECT precision FROM commune WHERE insee = ?", "75056", "commune"},
    {"SELECT precision FROM commune WHERE insee = ?", "75111", "commune"},
};

static void test_real_data(void)
{
    sqlite3 *db;
    char buf[512], f[PLACES_FOLD_SIZE(64)];
    T_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    T_EQ_INT(places_load_tsv(db, COMMUNES, POSTCODES), 0);

    for (size_t i = 0; i < sizeof(db_cases) / sizeof(*db_cases); i++)
        T_EQ_STR(q1(db, db_cases[i].sql, db_cases[i].arg, buf, sizeof(buf)),
                 db_cases[i].want);

    /* The query side folds the same way: "st etienne" finds the commune. */
    places_fold_name("ST ETIENNE", 10, f);
    T_EQ_STR(q1(db, "SELECT insee FROM commune WHERE name_fold = ?", f, buf,
                sizeof(buf)),
             "42218");

    T_CHECK(q1d(db, "SELECT count(*) FROM commune WHERE parent_insee IS NULL",
                NULL) > 34000);
    T_EQ_INT(q1d(db,
                 "SELECT count(*) FROM commune WHERE parent_insee IS NOT"
                 " NULL",
                 NULL),
             45);
    T_EQ_INT(q1d(db,
                 "SELECT count(*) FROM commune WHERE lat IS NULL OR lon"
                 " IS NULL OR precision NOT IN"
                 " ('commune','postcode','dept')",
                 NULL),
             0);
    /* Metropolitan France stays in its box: a swapped lat/lon would not. */
    T_EQ_INT(q1d(db,
                 "SELECT count(*) FROM commune WHERE length(dept) = 2"
                 " AND (lat NOT BETWEEN 41 AND 51.2"
                 " OR lon NOT BETWEEN -5.3 AND 9.7)",
                 NULL),
             0);

    /* A CEDEX code resolved the fallback way: its department, then the town
     * of "BOURG EN BRESSE CEDEX" against the routing labels. */
    char dept[4];
    T_EQ_INT(places_dept_of_postcode("01012", 5, dept), 0);
    places_fold_name("BOURG EN BRESSE", 15, f);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT DISTINCT l.insee FROM postcode_label l JOIN"
                       " commune c USING (insee) WHERE l.label_fold = ?1"
                       " AND c.dept = ?2",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, f, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dept, -1, SQLITE_STATIC);
    T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    T_EQ_STR((const char *)sqlite3_column_text(st, 0), "01053");
    T_EQ_INT(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    /* Paris - Lyon from the table: about 392 km between the town halls. */
    double la1 = q1d(db, "SELECT lat FROM commune WHERE insee = ?", "75056");
    double lo1 = q1d(db, "SELECT lon FROM commune WHERE insee = ?", "75056");
    double la2 = q1d(db, "SELECT lat FROM commune WHERE insee = ?", "69123");
    double lo2 = q1d(db, "SELECT lon FROM commune WHERE insee = ?", "69123");
    T_CHECK(fabs(places_distance_km(la1, lo1, la2, lo2) - 392.0) < 5.0);

    /* The postal code gives the commune's department, bar the few codes
     * that serve communes across a border (23 in this build). */
    sqlite3_prepare_v2(db,
                       "SELECT p.postcode, c.dept FROM commune_postcode p"
                       " JOIN commune c USING (insee)",
                       -1, &st, NULL);
    int same = 0, other = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *pc = (const char *)sqlite3_column_text(st, 0);
        if (places_dept_of_postcode(pc, strlen(pc), dept) == 0 &&
            strcmp(dept, (const char *)sqlite3_column_text(st, 1)) == 0)
            same++;
        else
            other++;
    }
    sqlite3_finalize(st);
    T_CHECK(same > 35000);
    T_CHECK(other < 100);

    /* Every commune's INSEE code gives its department, no exception. */
    sqlite3_prepare_v2(db, "SELECT insee, dept FROM commune", -1, &st, NULL);
    int wrong = 0, n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *in = (const char *)sqlite3_column_text(st, 0);
        n++;
        if (places_dept_of_insee(in, strlen(in), dept) < 0 ||
            strcmp(dept, (const char *)sqlite3_column_text(st, 1)) != 0) {
            if (wrong++ < 5)
                fprintf(stderr, "commune %s: dept %s\n", in,
                        (const char *)sqlite3_column_text(st, 1));
        }
    }
    sqlite3_finalize(st);
    T_CHECK(n > 35000);
    T_EQ_INT(wrong, 0);
    sqlite3_close(db);
}

/* A bad file: fails, and the tables it started are rolled back. With an
 * outer transaction open (as in the importer), that transaction lives on. */
static void check_bad(const char *dir, const char *name, const char *content,
                      int outer)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    T_CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(content, fp);
    fclose(fp);
    sqlite3 *db;
    char buf[64];
    sqlite3_open(":memory:", &db);
    if (outer)
        sqlite3_exec(db, "BEGIN; CREATE TABLE x(a)", NULL, NULL, NULL);
    T_EQ_INT(places_load_tsv(db, path, NULL), -1);
    T_EQ_STR(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'commune'",
                NULL, buf, sizeof(buf)),
             "0");
    if (outer) {
        T_EQ_INT(sqlite3_get_autocommit(db), 0);
        T_EQ_INT(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
    unlink(path);
}

#define HDR "insee\tname\tdept\tpostcodes\tlat\tlon\tprecision\tparent_insee\n"
#define ROW "01001\tL'Abergement\t01\t01400\t46.15\t4.92\tcommune\t\n"

static void test_bad_files(void)
{
    char dir[] = "/tmp/test_places.XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char *longline = xmalloc(10000);
    memset(longline, 'a', 9999);
    longline[9999] = '\0';
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_addf(&b, HDR ROW "%s\n", longline);

    static const struct {
        const char *name, *content;
    } bad[] = {
        {"empty.tsv", ""},
        {"header.tsv", "insee\tname\n" ROW},
        {"fields.tsv", HDR "01001\tX\t01\t01400\t46\t4\tcommune\n"},
        {"fields9.tsv", HDR "01001\tX\t01\t01400\t46\t4\tcommune\t\textra\n"},
        {"lat.tsv", HDR "01001\tX\t01\t01400\tabc\t4\tcommune\t\n"},
        {"range.tsv", HDR "01001\tX\t01\t01400\t91\t4\tcommune\t\n"},
        {"nan.tsv", HDR "01001\tX\t01\t01400\tnan\t4\tcommune\t\n"},
        {"utf8.tsv", HDR "01001\tCaf\xe9\t01\t01400\t46\t4\tcommune\t\n"},
        {"noinsee.tsv", HDR "\tX\t01\t01400\t46\t4\tcommune\t\n"},
        {"dup.tsv", HDR ROW ROW},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        check_bad(dir, bad[i].name, bad[i].content, 0);
        check_bad(dir, bad[i].name, bad[i].content, 1);
    }
    check_bad(dir, "long.tsv", b.s, 1);

    /* A missing file, and a good one read with CRLF and no final newline. */
    sqlite3 *db;
    char buf[64];
    sqlite3_open(":memory:", &db);
    T_EQ_INT(places_load_tsv(db, "/nonexistent/communes.tsv", NULL), -1);
    char path[512];
    snprintf(path, sizeof(path), "%s/crlf.tsv", dir);
    FILE *fp = fopen(path, "w");
    fputs("insee\tname\tdept\tpostcodes\tlat\tlon\tprecision\tparent_insee\r\n"
          "01001\tSt-Martin\t01\t01400,01401\t46.15\t4.92\tcommune\t",
          fp);
    fclose(fp);
    T_EQ_INT(places_load_tsv(db, path, NULL), 0);
    T_EQ_STR(q1(db, "SELECT name_fold FROM commune", NULL, buf, sizeof(buf)),
             "saint martin");
    T_EQ_STR(
        q1(db, "SELECT count(*) FROM commune_postcode", NULL, buf, sizeof(buf)),
        "2");
    T_EQ_STR(q1(db, "SELECT ifnull(parent_insee, 'null') FROM commune", NULL,
                buf, sizeof(buf)),
             "null");
    unlink(path);
    sqlite3_close(db);
    buf_release(&b);
    free(longline);
    rmdir(dir);
}

/* places_read_communes() without a database: each line of the real file
 * once, with its fields as written; an empty coordinate is NAN; a
 * callback's -1 stops the read, which then fails. */
struct read_state {
    long n, stop_at;
    int ajaccio, empty;
};

static int read_one(void *ctx, const struct places_commune *c)
{
    struct read_state *x = ctx;
    if (++x->n == x->stop_at)
        return -1;
    if (strcmp(c->insee, "2A004") == 0)
        x->ajaccio =
            strcmp(c->name, "Ajaccio") == 0 && strcmp(c->dept, "2A") == 0 &&
            strcmp(c->postcodes, "20000,20090,20167") == 0 &&
            fabs(c->lat - 41.91886) < 1e-9 && fabs(c->lon - 8.73812) < 1e-9 &&
            strcmp(c->precision, "commune") == 0 &&
            c->parent_insee[0] == '\0' && c->lineno > 1;
    if (strcmp(c->insee, "01001") == 0 && c->postcodes[0] == '\0')
        x->empty = isnan(c->lat) && isnan(c->lon) && c->precision[0] == '\0';
    return 0;
}

static void test_read_communes(void)
{
    struct read_state x = {0};
    sqlite3 *db;
    char buf[64];
    T_EQ_INT(places_read_communes(COMMUNES, read_one, &x), 0);
    T_EQ_INT(x.ajaccio, 1);
    sqlite3_open(":memory:", &db);
    T_EQ_INT(places_load_tsv(db, COMMUNES, NULL), 0);
    T_EQ_INT(x.n, atol(q1(db, "SELECT count(*) FROM commune", NULL, buf,
                          sizeof(buf))));
    sqlite3_close(db);

    struct read_state stop = {.stop_at = 10};
    T_EQ_INT(places_read_communes(COMMUNES, read_one, &stop), -1);
    T_EQ_INT(stop.n, 10);

    char path[] = "/tmp/test_places_read.XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs(HDR "01001\tX\t01\t\t\t\t\t\n", fp);
    fclose(fp);
    struct read_state empty = {0};
    T_EQ_INT(places_read_communes(path, read_one, &empty), 0);
    T_EQ_INT(empty.n, 1);
    T_EQ_INT(empty.empty, 1);
    unlink(path);
    T_EQ_INT(places_read_communes("/nonexistent/communes.tsv", read_one, &x),
             -1);
}

/* places_dept_label(): every department has its name as INSEE writes it,
 * which folds to the name places_dept_by_name() knows it by; no name for a
 * code that is not a department. */
static void test_dept_labels(void)
{
    char codes[101][4];
    size_t n = 0;
    for (int d = 1; d <= 95; d++) {
        if (d == 20) {
            memcpy(codes[n++], "2A", 3);
            memcpy(codes[n++], "2B", 3);
        } else {
            snprintf(codes[n++], 4, "%02d", d);
        }
    }
    for (int d = 971; d <= 976; d++)
        if (d != 975)
            snprintf(codes[n++], 4, "%d", d);
    T_EQ_INT(n, 101);
    for (size_t i = 0; i < n; i++) {
        const char *label = places_dept_label(codes[i]);
        char f[128], code[4] = "";
        T_CHECK(label != NULL);
        if (!label)
            continue;
        size_t fn = fold(label, strlen(label), f);
        T_EQ_INT(places_dept_by_name(f, fn, code), 0);
        T_EQ_STR(code, codes[i]);
    }
    T_EQ_STR(places_dept_label("2A"), "Corse-du-Sud");
    T_EQ_STR(places_dept_label("21"), "Côte-d'Or");
    T_EQ_STR(places_dept_label("974"), "La Réunion");
    T_EQ_STR(places_dept_label("90"), "Territoire de Belfort");
    static const char *const not_depts[] = {"20", "975", "977", "99",
                                            "00", "",    "2a",  "7"};
    for (size_t i = 0; i < sizeof(not_depts) / sizeof(*not_depts); i++)
        T_CHECK(places_dept_label(not_depts[i]) == NULL);
}

/* Placing an address with no commune code, on the real table: (postal
 * code, folded town of its bureau) -> INSEE code, "" for none. */
static void test_town_of(void)
{
    static const char *const cases[][3] = {
        /* An arrondissement before its city, named by the city's name. */
        {"13012", "marseille", "13212"},
        {"75016", "paris", "75116"},
        {"75116", "paris", "75116"},
        {"69003", "lyon", "69383"},
        /* A code serving two communes: the one the town names. */
        {"01000", "bourg en bresse", "01053"},
        {"01000", "saint denis les bourg", "01344"},
        {"01000", "", ""},
        {"01000", "lyon", ""},
        /* One commune: the code alone (a locality's name in the bureau). */
        {"90000", "", "90010"},
        {"90000", "belfort", "90010"},
        {"90000", "valdoie", "90010"},
        /* CEDEX codes: the town of that name in the code's department. */
        {"13258", "marseille", "13055"},
        {"77015", "melun", "77288"},
        {"42007", "saint etienne", "42218"},
        {"84811", "l isle sur la sorgue", "84054"},
        {"13258", "lyon", ""},
        {"13258", "", ""},
        {"99999", "paris", ""},
        {"1300", "marseille", ""},
    };
    struct places_towns *t = places_towns_load("data/communes.tsv");
    T_CHECK(t != NULL);
    for (size_t i = 0; t && i < sizeof(cases) / sizeof(*cases); i++) {
        const struct places_town *c =
            places_town_of(t, cases[i][0], strlen(cases[i][0]), cases[i][1],
                           strlen(cases[i][1]));
        if (strcmp(c ? c->insee : "", cases[i][2]) != 0)
            fprintf(stderr, "  %s %s\n", cases[i][0], cases[i][1]);
        T_EQ_STR(c ? c->insee : "", cases[i][2]);
    }
    const struct places_town *c = places_town_of(t, "13012", 5, "marseille", 9);
    T_EQ_STR(c ? c->name : "", "Marseille 12e Arrondissement");
    places_towns_free(t);
    places_towns_free(NULL);
    T_CHECK(places_towns_load("data/nowhere.tsv") == NULL);
}

/* A postal code or its first digits as a range: 1 to 5 digits only. */
static void test_postcode_range(void)
{
    char hi[6];
    T_EQ_INT(places_postcode_range("750", hi), 0);
    T_EQ_STR(hi, "751");
    T_EQ_INT(places_postcode_range("7", hi), 0);
    T_EQ_STR(hi, "8");
    T_EQ_INT(places_postcode_range("759", hi), 0);
    T_EQ_STR(hi, "75:"); /* ':' follows '9' */
    T_EQ_INT(places_postcode_range("75009", hi), 0);
    T_EQ_STR(hi, "");
    T_EQ_INT(places_postcode_range("", hi), -1);
    T_EQ_INT(places_postcode_range("750091", hi), -1);
    T_EQ_INT(places_postcode_range("2A", hi), -1);
    T_EQ_INT(places_postcode_range("75 9", hi), -1);
}

int main(void)
{
    test_postcode_range();
    log_set_prog("test_places");
    for (size_t i = 0; i < sizeof(fold_cases) / sizeof(*fold_cases); i++) {
        const char *in = fold_cases[i].in;
        size_t n = strlen(in);
        /* Guard bytes past the documented size catch an overrun. */
        char out[PLACES_FOLD_SIZE(64) + 8];
        memset(out, 'X', sizeof(out));
        size_t m = places_fold_name(in, n, out);
        T_EQ_STR(out, fold_cases[i].out);
        T_EQ_INT(m, strlen(fold_cases[i].out));
        T_CHECK(m < PLACES_FOLD_SIZE(n));
        T_CHECK(memcmp(out + PLACES_FOLD_SIZE(n), "XXXXXXXX", 8) == 0);
    }
    /* Index and query agree whatever the spelling. */
    char a[64], b[64];
    places_fold_name("st etienne", 10, a);
    places_fold_name("Saint-Étienne", strlen("Saint-Étienne"), b);
    T_EQ_STR(a, b);

    for (size_t i = 0; i < sizeof(dept_cases) / sizeof(*dept_cases); i++) {
        char d[4] = "";
        T_EQ_INT(places_dept_of_postcode(dept_cases[i].pc, 5, d), 0);
        T_EQ_STR(d, dept_cases[i].dept);
    }
    for (size_t i = 0; i < sizeof(bad_pc) / sizeof(*bad_pc); i++) {
        char d[4];
        T_EQ_INT(places_dept_of_postcode(bad_pc[i], strlen(bad_pc[i]), d), -1);
    }

    /* Departments by name. */
    static const char *const dept_names[][2] = {
        {"ain", "01"},
        {"corse du sud", "2A"},
        {"haute corse", "2B"},
        {"cote d or", "21"},
        {"la reunion", "974"},
        {"reunion", "974"},
        {"val d oise", "95"},
        {"guyane", "973"},
        {"seine saint denis", "93"},
    };
    for (size_t i = 0; i < sizeof(dept_names) / sizeof(*dept_names); i++) {
        char d[4] = "";
        T_EQ_INT(
            places_dept_by_name(dept_names[i][0], strlen(dept_names[i][0]), d),
            0);
        T_EQ_STR(d, dept_names[i][1]);
    }
    {
        char d[4];
        T_EQ_INT(places_dept_by_name("corse", 5, d), -1);
        T_EQ_INT(places_dept_by_name("ai", 2, d), -1);
        T_EQ_INT(places_dept_by_name("ain ", 4, d), -1);
        T_EQ_INT(places_dept_name_continues("corse", 5), 1);
        T_EQ_INT(places_dept_name_continues("seine saint", 11), 1);
        T_EQ_INT(places_dept_name_continues("ain", 3), 0);
        T_EQ_INT(places_dept_name_continues("cors", 4), 0);
    }

    T_CHECK(places_distance_km(48.8566, 2.3522, 48.8566, 2.3522) == 0.0);
    T_CHECK(fabs(places_distance_km(48.8566, 2.3522, 45.7640, 4.8357) - 392.0) <
            5.0);
    T_CHECK(fabs(places_distance_km(0, 0, 0, 180) - 20015.1) < 1.0);
    T_CHECK(fabs(places_distance_km(0, 0, 0, 1) -
                 places_distance_km(0, 1, 0, 0)) < 1e-9);

    test_dept_rule();
    test_dept_import();
    test_real_data();
    test_bad_files();
    test_read_communes();
    test_dept_labels();
    test_town_of();
    return t_done();
}
