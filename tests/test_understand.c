/* Reading free-text queries (server/understand.c), as a table: query ->
 * name words, profession and specialty codes, title, mode, place. The
 * database is in memory: the embedded schema, the real commune tables
 * (run from the repository root), a name dictionary whose counts decide
 * the names that are also communes (MARIE, FONTAINE, PARIS), activity rows
 * that make Paris, Belfort or Saint-Denis (93) places, and specialty
 * labels, one of them (SM99) known only by its label. */
#include "understand.h"

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

static const struct {
    const char *term;
    int n;
} terms[] = {
    {"marie", 10000}, {"fontaine", 1000},  {"paris", 300},
    {"martin", 1700}, {"dupont", 900},     {"saint", 160},
    {"martory", 1},   {"saintmartory", 1}, {"pierre", 3000},
    {"yves", 400},    {"lefevre", 800},    {"bernard", 1300},
    {"robert", 1000}, {"ndiaye", 50},      {"roux", 1300},
    {"le", 500},      {"goff", 50},        {"legoff", 200},
    {"jean", 5000},   {"laval", 5},        {"simon", 1100},
    {"gap", 0},       {"loire", 5},        {"manche", 100},
    {"belford", 100}, {"blanc", 2000},     {"blanchard", 500},
    {"leger", 800},   {"legendre", 300},   {"eugene", 1500},
};

static const struct {
    const char *insee;
    int n;
} acts[] = {
    {"75111", 400}, {"90010", 50}, {"42218", 60}, {"01053", 30}, {"93066", 40},
    {"97411", 20},  {"69383", 80}, {"53130", 40}, {"81032", 12}, {"44081", 30},
    {"31290", 5},   {"76255", 40}, {"75109", 50}, {"13212", 30}, {"75056", 20},
};

static const char *const codes[][3] = {
    {"profession", "10", "Médecin"},
    {"profession", "40", "Chirurgien-Dentiste"},
    {"profession", "60", "Infirmier"},
    {"specialty", "SM04", "Cardiologie et Maladies vasculaires"},
    {"specialty", "SM99", "Cardiologie pédiatrique"},
    {"specialty", "SM53", "Spécialiste en Médecine Générale"},
    {"specialty", "SM54", "Médecine Générale"},
    {"specialty", "SM26", "Qualifié en Médecine Générale"},
    {"specialty", "SM40", "Pédiatrie"},
    {"specialty", "SCD01", "Orthopédie dento-faciale"},
    {"title", "DR", "Docteur"},
    {"mode", "L", "Libéral"},
};

static sqlite3 *make_db(void)
{
    sqlite3 *db;
    char sql[256];
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        exit(1);
    exec_or_die(db, schema_sql);
    if (places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv") < 0)
        exit(1);
    exec_or_die(db, "BEGIN");
    for (size_t i = 0; i < sizeof(terms) / sizeof(*terms); i++) {
        if (!terms[i].n)
            continue;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO name_term VALUES ('%s', %d, '')", terms[i].term,
                 terms[i].n);
        exec_or_die(db, sql);
    }
    long aid = 1;
    for (size_t i = 0; i < sizeof(acts) / sizeof(*acts); i++)
        for (int k = 0; k < acts[i].n; k++) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO activity (aid, insee) VALUES (%ld, '%s')",
                     aid++, acts[i].insee);
            exec_or_die(db, sql);
        }
    for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO code (list, code, label) VALUES "
                 "('%s', '%s', '%s')",
                 codes[i][0], codes[i][1], codes[i][2]);
        exec_or_die(db, sql);
    }
    exec_or_die(db, "COMMIT");
    return db;
}

/* Expected reading: lists are space-separated; place is "commune:INSEE"
 * (the first commune), "postcode:CODE", "dept:CODE" or "" for none; a
 * trailing '?' marks it ambiguous. */
static const struct {
    const char *q, *names, *prof, *spec, *place, *title, *mode, *ignored;
} cases[] = {
    /* The planted "mixed" kind: name, profession or specialty, place. */
    {"martin cardiologue belfort", "martin", "", "SM04 SM99", "commune:90010",
     NULL, NULL, ""},
    {"dentiste dupont 90000", "dupont", "40", "", "postcode:90000", NULL, NULL,
     ""},
    {"kiné lefevre st etienne", "lefevre", "70", "", "commune:42218", NULL,
     NULL, ""},
    {"pédiatre bernard bourg en bresse", "bernard", "", "SM40", "commune:01053",
     NULL, NULL, ""},
    {"sage-femme robert 42000", "robert", "50", "", "postcode:42000", NULL,
     NULL, ""},
    {"orl ndiaye cayenne", "ndiaye", "", "SM39", "commune:97302", NULL, NULL,
     ""},
    {"pharmacien roux l'haÿ-les-roses", "roux", "21", "", "commune:94038", NULL,
     NULL, ""},
    {"sage femme perrault niort", "perrault", "50", "", "commune:79191", NULL,
     NULL, ""},
    {"SAGEFEMME Perrault", "perrault", "50", "", "", NULL, NULL, ""},
    {"orthophoniste dubois laval", "dubois", "91", "", "commune:53130?", NULL,
     NULL, ""},
    {"médecin simon gap", "simon", "10", "", "commune:05061", NULL, NULL, ""},
    /* Several codes, arrondissements, numbers. */
    {"généraliste dupont lyon", "dupont", "10", "SM53 SM54 SM26",
     "commune:69123", NULL, NULL, ""},
    {"cardio 75011", "", "", "SM04 SM99", "postcode:75011", NULL, NULL, ""},
    {"cardio paris 11", "", "", "SM04 SM99", "commune:75111?", NULL, NULL, ""},
    {"lyon 3e dupont", "dupont", "", "", "commune:69383", NULL, NULL, ""},
    /* Arrondissements as people write them, alone or beside names. */
    {"sage femme paris 9e arrondissement martin", "martin", "50", "",
     "commune:75109", NULL, NULL, ""},
    {"sage femme paris 9e arrondissement", "", "50", "", "commune:75109", NULL,
     NULL, ""},
    {"Paris 9e Arrondissement", "", "", "", "commune:75109", NULL, NULL, ""},
    {"paris 9e", "", "", "", "commune:75109?", NULL, NULL, ""},
    {"paris 9", "", "", "", "commune:75109?", NULL, NULL, ""},
    {"dupont paris 9eme", "dupont", "", "", "commune:75109?", NULL, NULL, ""},
    {"paris 16", "", "", "", "commune:75116", NULL, NULL, ""},
    {"martin paris 16e arr", "martin", "", "", "commune:75116?", NULL, NULL,
     ""},
    {"paris 1er arrondissement dupont", "dupont", "", "", "commune:75101", NULL,
     NULL, ""},
    {"marseille 12e arrondissement", "", "", "", "commune:13212", NULL, NULL,
     ""},
    {"dentiste marseille 12e arrondissement martin", "martin", "40", "",
     "commune:13212", NULL, NULL, ""},
    {"lyon 3ème", "", "", "", "commune:69383", NULL, NULL, ""},
    {"kine lyon 3 eme dupont", "dupont", "70", "", "commune:69383", NULL, NULL,
     ""},
    {"paris 9e ardt", "", "", "", "commune:75109?", NULL, NULL, ""},
    /* A word being typed is not yet a town: the names it begins weigh
     * against the town's activities (BLANC..., not the hamlet of Blan);
     * once the user has moved past it, its exact count does. */
    {"blan", "blan", "", "", "", NULL, NULL, ""},
    {"blan ", "", "", "", "commune:81032", NULL, NULL, ""},
    {"jean blan", "jean blan", "", "", "", NULL, NULL, ""},
    {"jean blan martin", "jean martin", "", "", "commune:81032", NULL, NULL,
     ""},
    {"lege", "lege", "", "", "", NULL, NULL, ""},
    {"eu", "eu", "", "", "", NULL, NULL, ""},
    {"dentiste eu", "eu", "40", "", "", NULL, NULL, ""},
    {"dentiste eu ", "", "40", "", "commune:76255", NULL, NULL, ""},
    {"martin lyo", "martin lyo", "", "", "", NULL, NULL, ""},
    {"martin lyon", "martin", "", "", "commune:69123", NULL, NULL, ""},
    {"dentiste 2a", "", "40", "", "dept:2A", NULL, NULL, ""},
    {"infirmière 974", "", "60", "", "dept:974", NULL, NULL, ""},
    {"dupont 75", "dupont", "", "", "dept:75", NULL, NULL, ""},
    {"75111", "", "", "", "commune:75111", NULL, NULL, ""},
    {"2A004 dentiste", "", "40", "", "commune:2A004", NULL, NULL, ""},
    {"dupont 12345678901", "dupont", "", "", "", NULL, NULL, "12345678901"},
    {"dupont 20", "dupont", "", "", "", NULL, NULL, "20"},
    {"saint denis dupont", "dupont", "", "", "commune:93066", NULL, NULL, ""},
    /* Names that are communes too. */
    {"marie dupont", "marie dupont", "", "", "", NULL, NULL, ""},
    {"fontaine", "fontaine", "", "", "", NULL, NULL, ""},
    {"paris", "", "", "", "commune:75056?", NULL, NULL, ""},
    {"pierre yves saint martory", "pierre yves saint martory", "", "", "", NULL,
     NULL, ""},
    {"dupont lyon paris", "dupont paris", "", "", "commune:69123", NULL, NULL,
     ""},
    /* Connectors, titles, modes, typos, plurals. */
    {"jean pierre dentiste a belfort", "jean pierre", "40", "", "commune:90010",
     NULL, NULL, "a"},
    {"dentiste près de belfort", "", "40", "", "commune:90010", NULL, NULL,
     "pres de"},
    {"dentiste dupont département 90", "dupont", "40", "", "dept:90", NULL,
     NULL, "departement"},
    {"dept 09 psychologue richard", "richard", "93", "", "dept:09", NULL, NULL,
     "dept"},
    {"kine martin dép. 2a", "martin", "70", "", "dept:2A", NULL, NULL, "dep"},
    {"dupont dept", "dupont dept", "", "", "", NULL, NULL, ""},
    /* Departments by name: the longest run, before a commune of the same
     * words when the department has more activities, and, as a commune,
     * only when it has more activities than people carry it as a name. */
    {"kiné martin corse du sud", "martin", "70", "", "dept:2A", NULL, NULL, ""},
    {"dentiste dupont la réunion", "dupont", "40", "", "dept:974", NULL, NULL,
     ""},
    {"infirmière Finistère", "", "60", "", "dept:29", NULL, NULL, ""},
    {"dentiste dupont territoire de belfort", "dupont", "40", "", "dept:90",
     NULL, NULL, ""},
    {"Côte-d'Or dupont", "dupont", "", "", "dept:21", NULL, NULL, ""},
    {"dupont loire", "dupont", "", "", "dept:42?", NULL, NULL, ""},
    {"dupont manche", "dupont manche", "", "", "", NULL, NULL, ""},
    {"dupont corse", "dupont corse", "", "", "", NULL, NULL, ""},
    /* A town with a typo, read only when other name words remain and no
     * name one edit away has as many people as the town has activities;
     * marked ambiguous (a search that finds nobody reads names again). */
    {"cardiologue martin belfrot", "martin", "", "SM04 SM99", "commune:90010?",
     NULL, NULL, ""},
    {"kiné lefevre saint etiene", "lefevre", "70", "", "commune:42218?", NULL,
     NULL, ""},
    {"dubois à lavel", "dubois", "", "", "commune:53130?", NULL, NULL, "a"},
    {"belfrot", "belfrot", "", "", "", NULL, NULL, ""},
    {"martin belforx", "martin belforx", "", "", "", NULL, NULL, ""},

    {"de la fontaine", "de la fontaine", "", "", "", NULL, NULL, ""},
    {"cardiologe martin", "martin", "", "SM04 SM99", "", NULL, NULL, ""},
    {"dentsite martin", "martin", "40", "", "", NULL, NULL, ""},
    {"docteur martin", "martin", "", "", "", "DR", NULL, ""},
    {"Dr Martin", "martin", "", "", "", "DR", NULL, ""},
    {"infirmière libérale lyon", "", "60", "", "commune:69123", NULL, "L", ""},
    {"orthodontiste", "", "40", "SCD01", "", NULL, NULL, ""},
    {"chirurgiens dentistes", "", "40", "", "", NULL, NULL, ""},
    {"kines dupont", "dupont", "70", "", "", NULL, NULL, ""},
    {"gynéco", "", "", "SM20", "", NULL, NULL, ""},
    {"masseur kinésithérapeute", "", "70", "", "", NULL, NULL, ""},
    {"le goff", "le goff", "", "", "", NULL, NULL, ""},
    {"N'DIAYE", "n diaye", "", "", "", NULL, NULL, ""},
    {"", "", "", "", "", NULL, NULL, ""},
};

static void list_of(char *out, size_t cap, const char *const *v, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", v[i]);
}

static void place_of(const struct geo *geo, const struct understood *x,
                     char *out, size_t cap)
{
    switch (x->place.kind) {
    case UND_PLACE_COMMUNE:
        snprintf(out, cap, "commune:%s%s",
                 geo_commune(geo, x->place.communes[0])->insee,
                 x->place.ambiguous ? "?" : "");
        break;
    case UND_PLACE_POSTCODE:
        snprintf(out, cap, "postcode:%s", x->place.postcode);
        break;
    case UND_PLACE_DEPT:
        snprintf(out, cap, "dept:%s%s", x->place.dept,
                 x->place.ambiguous ? "?" : "");
        break;
    default:
        out[0] = '\0';
    }
}

static void test_cases(const struct understand *u, const struct geo *geo)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct understood x;
        char got[512];
        const char *words[UND_MAX_WORDS];
        T_EQ_INT(understand_query(u, cases[i].q, strlen(cases[i].q), &x), 0);
        for (size_t k = 0; k < x.nnames; k++)
            words[k] = x.words[x.names[k]];
        list_of(got, sizeof(got), words, x.nnames);
        if (strcmp(got, cases[i].names) != 0)
            fprintf(stderr, "  q=\"%s\"\n", cases[i].q);
        T_EQ_STR(got, cases[i].names);
        list_of(got, sizeof(got), x.professions, x.nprofessions);
        T_EQ_STR(got, cases[i].prof);
        list_of(got, sizeof(got), x.specialties, x.nspecialties);
        T_EQ_STR(got, cases[i].spec);
        place_of(geo, &x, got, sizeof(got));
        if (strcmp(got, cases[i].place) != 0)
            fprintf(stderr, "  q=\"%s\"\n", cases[i].q);
        T_EQ_STR(got, cases[i].place);
        T_EQ_STR(x.title ? x.title : "-",
                 cases[i].title ? cases[i].title : "-");
        T_EQ_STR(x.mode ? x.mode : "-", cases[i].mode ? cases[i].mode : "-");
        size_t n = 0;
        for (size_t p = 0; p < x.nphrases; p++)
            if (x.phrase[p].role == UND_IGNORED)
                for (size_t k = 0; k < x.phrase[p].n; k++)
                    words[n++] = x.words[x.phrase[p].first + k];
        list_of(got, sizeof(got), words, n);
        T_EQ_STR(got, cases[i].ignored);
    }
}

static void test_details(const struct understand *u, const struct geo *geo)
{
    struct understood x;
    /* A postal code names the arrondissement, not the city. */
    understand_query(u, "75016", 5, &x);
    T_EQ_INT(x.place.nnamed, 1);
    T_EQ_STR(geo_commune(geo, x.place.communes[0])->insee, "75116");
    /* "paris" names Paris alone (not Boulogne, routed through 75016). */
    understand_query(u, "paris", 5, &x);
    T_EQ_INT(x.place.nnamed, 1);
    T_EQ_INT(x.place.ncommunes, 21);
    /* A city's arrondissements come with it. */
    understand_query(u, "dupont lyon", 11, &x);
    T_EQ_INT(x.place.nnamed, 1);
    T_EQ_INT(x.place.ncommunes, 10);
    /* The other reading of an ambiguous place. */
    understand_query(u, "paris dentiste", 14, &x);
    T_EQ_INT(x.place.ambiguous, 1);
    T_EQ_INT(x.nnames, 0);
    understand_place_as_name(&x);
    T_EQ_INT(x.place.kind, UND_PLACE_NONE);
    T_EQ_INT(x.nnames, 1);
    T_EQ_STR(x.words[x.names[0]], "paris");
    T_EQ_INT(x.nprofessions, 1);
    /* Caps: 12 words, 63 bytes a word. */
    const char *q13 = "a b c d e f g h i j k l m";
    T_EQ_INT(understand_query(u, q13, strlen(q13), &x), -1);
    T_EQ_INT(understand_query(u, q13, strlen(q13) - 2, &x), 0);
    char lw[80];
    memset(lw, 'a', sizeof(lw));
    T_EQ_INT(understand_query(u, lw, sizeof(lw), &x), -1);
    T_EQ_INT(understand_query(u, lw, 63, &x), 0);

    /* The JSON of a full reading. */
    understand_query(u, "dr cardiologe martin à belfort", 31, &x);
    json_t *j = understand_json(u, geo, &x);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    T_EQ_STR(s, "{\"ignored\":[\"a\"],\"name\":[\"martin\"],"
                "\"place\":{\"communes\":[{\"dept\":\"90\",\"insee\":\"90010\","
                "\"name\":\"Belfort\"}],\"from\":\"belfort\",\"kind\":"
                "\"commune\"},\"specialty\":[{\"code\":\"SM04\",\"from\":"
                "\"cardiologe\",\"label\":\"Cardiologie et Maladies "
                "vasculaires\"},{\"code\":\"SM99\",\"from\":\"cardiologe\","
                "\"label\":\"Cardiologie pédiatrique\"}],\"title\":{\"code\":"
                "\"DR\",\"from\":\"dr\",\"label\":\"Docteur\"},\"typos\":[{"
                "\"as\":\"cardiologue\",\"from\":\"cardiologe\"}]}");
    free(s);
    json_decref(j);
    understand_query(u, "paris 11 dentiste 75", 20, &x);
    j = understand_json(u, geo, &x);
    s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    T_EQ_STR(s, "{\"ignored\":[\"75\"],\"place\":{\"also_a_name\":true,"
                "\"communes\":[{\"dept\":\"75\",\"insee\":\"75111\",\"name\":"
                "\"Paris 11e Arrondissement\"}],\"from\":\"paris 11\","
                "\"kind\":\"commune\"},\"profession\":[{\"code\":\"40\","
                "\"from\":\"dentiste\",\"label\":\"Chirurgien-Dentiste\"}]}");
    free(s);
    json_decref(j);
    /* A town declined for the word being typed is offered as the other
     * reading, with the query that reads so; a word moved past offers
     * nothing. */
    understand_query(u, "Jean Blan", 9, &x);
    j = understand_json(u, geo, &x);
    s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    T_EQ_STR(s, "{\"alternative\":{\"name\":[\"jean\"],\"place\":{"
                "\"communes\":[{\"dept\":\"81\",\"insee\":\"81032\","
                "\"name\":\"Blan\"}],\"from\":\"blan\",\"kind\":"
                "\"commune\"},\"q\":\"jean blan \"},\"name\":[\"jean\","
                "\"blan\"]}");
    free(s);
    json_decref(j);
    understand_query(u, "jean blanc", 10, &x);
    j = understand_json(u, geo, &x);
    T_CHECK(json_object_get(j, "alternative") == NULL);
    json_decref(j);
    understand_query(u, "", 0, &x);
    j = understand_json(u, geo, &x);
    T_EQ_INT(json_object_size(j), 0);
    json_decref(j);
    T_EQ_STR(understand_label(u, "profession", "40"), "Chirurgien-Dentiste");
    T_CHECK(understand_label(u, "profession", "99") == NULL);
}

/* Without a database: the built-in codes, no places, no labels. */
static void test_bare(void)
{
    struct understand *u = understand_load(NULL, NULL, NULL);
    struct understood x;
    T_CHECK(u != NULL);
    T_EQ_INT(understand_query(u, "cardiologue belfort 90000", 25, &x), 0);
    T_EQ_INT(x.nspecialties, 1);
    T_EQ_STR(x.specialties[0], "SM04");
    T_EQ_INT(x.nnames, 1); /* no commune table: belfort is a name */
    T_EQ_INT(x.place.kind, UND_PLACE_POSTCODE);
    json_t *j = understand_json(u, NULL, &x);
    T_CHECK(json_is_null(json_object_get(
        json_array_get(json_object_get(j, "specialty"), 0), "label")));
    json_decref(j);
    understand_free(u);
    understand_free(NULL);
}

int main(void)
{
    log_set_prog("test_understand");
    sqlite3 *db = make_db();
    struct geo *geo = geo_load(db);
    struct typo_dict *dict = typo_dict_load(db);
    struct understand *u = understand_load(db, geo, dict);
    T_CHECK(geo && dict && u);
    if (geo && dict && u) {
        test_cases(u, geo);
        test_details(u, geo);
        /* Time per query, not a test. */
        struct understood x;
        double t0 = now_s();
        for (int i = 0; i < 10000; i++)
            understand_query(u, "pédiatre bernard bourg en bresse", 33, &x);
        printf("understand_query: %.1f us a query\n",
               (now_s() - t0) / 10000 * 1e6);
    }
    understand_free(u);
    typo_dict_free(dict);
    geo_free(geo);
    sqlite3_close(db);
    test_bare();
    return t_done();
}
