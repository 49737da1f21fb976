/* The API handlers called in this process (no HTTP), on a database built
 * here from generated data (rpps-gen 2000 professionals, rpps-import with
 * the bundled commune table, so near= works):
 *  - every error path of every parameter of every endpoint, as a table of
 *    request -> status (invalid values, overflows, lists one value too
 *    long, repeated parameters), beside one valid request of each kind:
 *    run in process so that LeakSanitizer (`make asan`) sees what a
 *    refused request leaves behind (a facets= of 17 names leaked the 16
 *    copied before the 17th);
 *  - the work limits of db.h: a search past its deadline, or whose
 *    client has gone, answers at once with what it found and
 *    total_exact false, and the next request is whole again;
 *  - near= with filters alone that no index serves (a mode alone, a
 *    one-digit postal prefix): checked in memory, not read again by SQLite
 *    in every commune within the radius (counted in VM steps).
 * Run from the repository root (rpps-import finds data/communes.tsv). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "db.h"
#include "fhir.h"
#include "search.h"
#include "structure.h"
#include "sqlb.h"
#include "t.h"
#include "util.h"
#include "banned.h"

static char tmpdir[256];
static struct db_conn *conn;

/* ---- requests ---- */

struct req {
    struct api_param p[64];
    size_t n;
    struct buf text; /* the query string, split in place */
};

/* Splits query ("k=v&k=v", not URL-encoded: any byte but '&' and NUL
 * goes through) into r. */
static void req_parse(struct req *r, const char *query)
{
    buf_init(&r->text, 1 << 20);
    buf_addstr(&r->text, query);
    r->n = 0;
    char *s = r->text.s;
    while (s && *s && r->n < sizeof(r->p) / sizeof(r->p[0])) {
        char *amp = strchr(s, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(s, '=');
        if (eq)
            *eq = '\0';
        r->p[r->n].key = s;
        r->p[r->n].klen = strlen(s);
        r->p[r->n].val = eq ? eq + 1 : "";
        r->p[r->n].vlen = eq ? strlen(eq + 1) : 0;
        r->n++;
        s = amp ? amp + 1 : NULL;
    }
}

/* Runs fn on rest?query; the answer's status, its JSON in *json if asked
 * (the caller decrefs), else freed. Both answer forms: text_ok 1 as the
 * server asks, then 0 (the body as a value). */
static int call(api_handler *fn, const char *rest, const char *query,
                json_t **json)
{
    int status = -1;
    for (int text_ok = 1; text_ok >= 0; text_ok--) {
        struct req r;
        req_parse(&r, query);
        struct api_req ar = {
            .rest = rest, .params = r.p, .nparams = r.n, .text_ok = text_ok};
        struct api_resp out = {0};
        fn(conn, &ar, &out);
        int st = out.status;
        json_t *j = out.body;
        if (out.text) {
            j = json_loadb(out.text, out.textlen, 0, NULL);
            free(out.text);
            T_CHECK(j != NULL);
        }
        /* An error carries its status. */
        if (st >= 400)
            T_EQ_INT(json_integer_value(json_object_get(
                         json_object_get(j, "error"), "status")),
                     st);
        if (status >= 0 && st != status)
            fprintf(stderr, "text_ok %d changed the status: %s\n", text_ok,
                    query);
        status = st;
        if (json && text_ok == 0)
            *json = j;
        else
            json_decref(j);
        buf_release(&r.text);
    }
    return status;
}

/* ---- every parameter's error paths ---- */

struct pcase {
    api_handler *fn;
    const char *rest, *query;
    int status;
};

#define S api_search
#define G api_suggest
static const struct pcase pcases[] = {
    /* search: names and values */
    {S, "", "", 400},
    {S, "", "bogus=1", 400},
    {S, "", "q=martin&bogus=1", 400},
    {S, "", "q=a&q=b", 400},
    {S, "", "q=\xff", 400},
    {S, "", "\xff=1", 400},
    {S, "", "q=\xc3", 400},
    {S, "", "q=", 400},
    {S, "", "q=   ", 400},
    /* q: 13 words, 9 name words, a 64-byte word */
    {S, "", "q=a b c d e f g h i j k l m", 400},
    {S, "", "q=aa bb cc dd ee ff gg hh ii", 400},
    {S, "",
     "q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 400},
    /* name, given: more than 24 words in all */
    {S, "", "name=a b c d e f g h i j k l m n o p q r s t u v w x y", 400},
    {S, "", "given=a b c d e f g h i j k l m n o p q r s t u v w x y", 400},
    {S, "", "name=a b c d e f g h i j k l&given=m n o p q r s t u v w x y",
     400},
    {S, "", "name=a b c d e f g h i j k l m n o p q r s t u v w x&q=martin",
     400},
    {S, "", "q=martin&name=a&name=b", 400},
    /* lists: the 17th value, over one or several parameters */
    {S, "", "profession=10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10",
     400},
    {S, "",
     "profession=10,10,10,10,10,10,10,10&profession=10,10,10,10,10,10,"
     "10,10,10",
     400},
    {S, "", "profession=pas une profession", 400},
    {S, "", "profession=10&profession=pas une profession", 400},
    {S, "",
     "specialty=SM54,SM54,SM54,SM54,SM54,SM54,SM54,SM54,SM54,SM54,SM54,"
     "SM54,SM54,SM54,SM54,SM54,SM54",
     400},
    {S, "", "specialty=pas une specialite", 400},
    {S, "", "specialty=SM54&specialty=pas une specialite", 400},
    {S, "", "mode=X", 400},
    {S, "", "mode=L,X", 400},
    {S, "", "mode=L&mode=S,X", 400},
    {S, "", "mode=L,S,B,L,S,B,L,S,B,L,S,B,L,S,B,L,S", 400},
    {S, "", "dept=7", 400},
    {S, "", "dept=75,abc", 400},
    {S, "", "dept=75&dept=2C", 400},
    /* Letters only as Corsica's 2A, 2B (issue 16: 3A and 2A1 passed). */
    {S, "", "dept=3A", 400},
    {S, "", "dept=2A1", 400},
    {S, "", "dept=0B", 400},
    {S, "", "dept=75,A2", 400},
    {S, "", "dept=2a,2B,974,01", 200},
    {S, "", "dept=75,75,75,75,75,75,75,75,75,75,75,75,75,75,75,75,75", 400},
    {S, "", "facets=bogus&q=martin", 400},
    {S, "", "q=martin&facets=profession,bogus,dept", 400},
    {S, "", "q=martin&facets=profession&facets=dept,bogus,mode", 400},
    {S, "",
     "q=martin&facets=profession,specialty,dept,mode,has_mss,profession,"
     "specialty,dept,mode,has_mss,profession,specialty,dept,mode,has_mss,"
     "profession,specialty",
     400},
    {S, "",
     "q=martin&facets=profession,specialty,dept,mode,has_mss,profession,"
     "specialty,dept,mode,has_mss,profession,specialty,dept,mode,has_mss,"
     "profession,bogus",
     400},
    /* single values */
    {S, "", "city=", 400},
    {S, "", "city=!!!", 400},
    {S, "", "city=paris&city=lyon", 400},
    {S, "", "city=75056&city=paris", 400},
    {S, "", "postcode=", 400},
    {S, "", "postcode=abc", 400},
    {S, "", "postcode=123456", 400},
    {S, "", "postcode=75&postcode=69", 400},
    {S, "", "near=", 400},
    {S, "", "near=nulle part du tout", 400},
    {S, "", "near=91.5,2.3", 400},
    {S, "", "near=48.8,200", 400},
    {S, "", "near=paris&near=lyon", 400},
    {S, "", "radius_km=5", 400},
    {S, "", "q=martin&radius_km=5", 400},
    {S, "", "near=paris&radius_km=0", 400},
    {S, "", "near=paris&radius_km=-1", 400},
    {S, "", "near=paris&radius_km=201", 400},
    {S, "", "near=paris&radius_km=abc", 400},
    {S, "", "near=paris&radius_km=nan", 400},
    {S, "", "near=paris&radius_km=inf", 400},
    {S, "", "near=paris&radius_km=1e999", 400},
    {S, "", "near=paris&radius_km=5&radius_km=6", 400},
    {S, "", "has_mss=maybe", 400},
    {S, "", "has_mss=", 400},
    {S, "", "q=martin&limit=0", 400},
    {S, "", "q=martin&limit=101", 400},
    {S, "", "q=martin&limit=-1", 400},
    {S, "", "q=martin&limit=abc", 400},
    {S, "", "q=martin&limit=99999999999999999999", 400},
    {S, "", "q=martin&limit=", 400},
    {S, "", "q=martin&offset=-1", 400},
    {S, "", "q=martin&offset=10001", 400},
    {S, "", "q=martin&offset=9950&limit=100", 400},
    {S, "", "q=martin&offset=1e3", 400},
    /* errors after other parameters were taken (their copies freed) */
    {S, "",
     "q=martin&name=dupont&given=jean&profession=10&specialty=SM54&mode=L&"
     "dept=75&city=paris&postcode=75011&has_mss=true&facets=profession&"
     "limit=5&offset=5&near=paris&radius_km=300",
     400},
    {S, "",
     "q=martin&name=dupont&given=jean&profession=10&specialty=SM54&mode=L&"
     "dept=75&city=paris&postcode=75011&near=paris&facets=dept,nope",
     400},
    {S, "", "q=medecin paris&profession=pas une profession", 400},
    {S, "", "q=medecin paris martin&limit=0", 400},
    /* search: valid, every path that owns memory */
    {S, "", "q=martin", 200},
    {S, "", "q=ma&facets=profession,specialty,dept,mode,has_mss", 200},
    {S, "", "q=medecin paris", 200},
    {S, "", "q=paris", 200},
    {S, "", "q=infirmiere 75011", 200},
    {S, "", "q=zzqxw", 200},
    {S, "", "q=a", 200},
    {S, "", "name=martin&given=j", 200},
    {S, "", "profession=10&dept=75&mode=L,S&has_mss=false&offset=3", 200},
    {S, "", "profession=medecin&postcode=7&facets=mode", 200},
    {S, "", "specialty=SM54&city=paris", 200},
    {S, "", "near=paris", 200},
    {S, "", "q=martin&near=75011&radius_km=30&facets=dept", 200},
    {S, "", "mode=B&near=paris&radius_km=200&offset=9900&limit=100", 200},
    {S, "", "mode=B&postcode=9&near=48.85,2.35&radius_km=200", 200},
    {S, "", "profession=10&near=lyon&radius_km=100&offset=50", 200},
    /* search: structures, streets, identifiers, mailboxes */
    {S, "", "structure=", 400},
    {S, "", "structure=---", 400},
    {S, "", "structure=a&structure=b", 400},
    {S, "", "street= - ", 400},
    {S, "", "siret=123", 400},
    {S, "", "siret=26442149601739", 400}, /* wrong Luhn key */
    {S, "", "siret=2644214960173x", 400},
    {S, "", "finess=12345", 400},
    {S, "", "finess=001234567", 400},
    {S, "", "finess=9G1234567", 400},
    {S, "", "mssante=ab", 400},
    {S, "", "mssante=a@b@c", 400},
    {S, "", "mssante=a&mssante=b", 400},
    {S, "", "structure=centre&siret=1&profession=10", 400},
    {S, "", "structure=cabinet", 200},
    {S, "", "street=1 r", 200},
    {S, "", "siret=26442149601738", 200},
    {S, "", "finess=440495010&facets=profession", 200},
    {S, "", "mssante=mssante.fr", 200},
    {S, "", "mssante=@medecin.mssante.fr&q=martin", 200},
    {S, "", "mssante=jean.&facets=dept", 200},
    {S, "", "mssante=nobody.at.all.fr", 200},
    {S, "", "structure=centre&street=rue&postcode=75&near=paris&facets=dept",
     200},
    {S, "", "structure=cabinet&dept=75&city=paris&mode=L&has_mss=true", 200},
    {S, "", "q=chu nantes infirmier", 200},
    {S, "", "q=12 rue de la paix paris", 200},
    {S, "", "q=264 421 496 01738", 200},
    {S, "", "q=jean.dupont@", 200},
    {S, "", "q=martin @medecin.mssante.fr", 200},
    /* structures */
    {api_structures, "", "", 400},
    {api_structures, "", "bogus=1", 400},
    {api_structures, "", "q=", 400},
    {api_structures, "", "q=chu&structure=chu", 400},
    {api_structures, "", "q=chu&q=ch", 400},
    {api_structures, "", "siret=1", 400},
    {api_structures, "", "finess=x", 400},
    {api_structures, "", "street=---", 400},
    {api_structures, "", "postcode=abc", 400},
    {api_structures, "", "postcode=123456", 400},
    {api_structures, "", "city=---", 400},
    {api_structures, "", "dept=1234", 400},
    {api_structures, "", "q=chu&limit=0", 400},
    {api_structures, "", "q=chu&limit=101", 400},
    {api_structures, "", "q=chu&offset=-1", 400},
    {api_structures, "", "q=chu&offset=10000", 400},
    {api_structures, "", "q=chu", 200},
    {api_structures, "", "q=centre&city=paris&limit=100", 200},
    {api_structures, "", "postcode=75", 200},
    {api_structures, "", "street=rue&dept=75&offset=5", 200},
    {api_structures, "", "q=264 421 496 01738", 200},
    {api_structures, "", "siret=26442149601738&finess=440495010", 200},
    {api_structure, "", "", 404},
    {api_structure, "nope", "", 404},
    {api_structure, "F000000000", "", 404},
    {api_structure, "26442149601738", "", 404},
    {api_structure, "F000000000", "bogus=1", 400},
    {api_structure, "F000000000", "limit=0", 400},
    {api_structure, "\xff", "", 400},
    {api_structure, "123456789012345678901234567890123", "", 400},
    /* suggest */
    {G, "", "", 400},
    {G, "", "q=", 400},
    {G, "", "q=a b c", 400},
    {G, "", "q=ma&name=b", 400},
    {G, "", "q=ma&limit=0", 400},
    {G, "", "q=ma&limit=101", 400},
    {G, "", "q=ma&q=mb", 400},
    {G, "", "q=\xff", 400},
    {G, "", "q=ma", 200},
    {G, "", "q=martin j&limit=3", 200},
    /* lookups by path */
    {api_practitioner, "", "", 404},
    {api_practitioner, "123456789012345678901234567890123", "", 400},
    {api_practitioner, "\xff", "", 400},
    {api_practitioner, "00000000000", "", 404},
    {api_practitioner, "00000000000", "bogus=1", 400},
    {api_practitioner, "00000000000", "pretty=1&pretty=1", 400},
    {api_mssante, "", "", 404},
    {api_mssante, "nobody@example.org", "", 404},
    {api_mssante, "nobody@example.org", "bogus=1", 400},
    {api_mssante, "\xff@x", "", 400},
    {api_professions, "", "bogus=1", 400},
    {api_professions, "", "pretty=1", 200},
    {api_specialties, "", "bogus=1", 400},
    {api_specialties, "", "", 200},
    {api_status, "", "bogus=1", 400},
    {api_status, "", "", 200},
    {api_healthz, "", "", 200},
};
#undef S
#undef G

/* Cases built here: values and counts past the caps. */
static void test_params_built(void)
{
    struct buf q;
    buf_init(&q, 1 << 20);
    /* A value of API_MAX_VALUE + 1 bytes, in each parameter. */
    static const char *const names[] = {
        "q",         "name",   "given",    "profession", "specialty",
        "mode",      "city",   "postcode", "dept",       "has_mss",
        "limit",     "offset", "near",     "radius_km",  "facets",
        "structure", "street", "siret",    "finess",     "mssante"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        q.len = 0;
        buf_addf(&q, "%s=", names[i]);
        for (int k = 0; k <= API_MAX_VALUE; k++)
            buf_add(&q, "a", 1);
        T_EQ_INT(call(api_search, "", q.s, NULL), 400);
    }
    /* API_MAX_PARAMS + 1 parameters, on every endpoint. */
    q.len = 0;
    for (int k = 0; k <= API_MAX_PARAMS; k++)
        buf_addf(&q, "%sprofession=10", k ? "&" : "");
    T_EQ_INT(call(api_search, "", q.s, NULL), 400);
    T_EQ_INT(call(api_suggest, "", q.s, NULL), 400);
    T_EQ_INT(call(api_status, "", q.s, NULL), 400);
    /* 17 facets, each one parameter: a set of five, not a list. */
    q.len = 0;
    buf_addstr(&q, "q=martin");
    for (int k = 0; k < 17; k++)
        buf_addstr(&q, "&facets=profession");
    T_EQ_INT(call(api_search, "", q.s, NULL), 200);
    buf_release(&q);
    /* A structure of this file, by its technical id, its SIRET or FINESS
     * (lower-case too), paged. */
    sqlite3_stmt *st;
    T_EQ_INT(sqlite3_prepare_v2(db_handle(conn),
                                "SELECT structure_id, siret, finess FROM"
                                " structure WHERE siret IS NOT NULL AND"
                                " finess IS NOT NULL LIMIT 1",
                                -1, &st, NULL),
             SQLITE_OK);
    T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    for (int i = 0; i < 3; i++) {
        const char *id = (const char *)sqlite3_column_text(st, i);
        json_t *j = NULL;
        T_EQ_INT(call(api_structure, id, "limit=1&offset=0", &j), 200);
        T_EQ_STR(json_string_value(json_object_get(j, "id")),
                 (const char *)sqlite3_column_text(st, 0));
        json_t *pr = json_object_get(j, "practitioners");
        T_CHECK(json_array_size(json_object_get(pr, "results")) == 1);
        T_CHECK(json_integer_value(json_object_get(pr, "total")) >= 1);
        json_decref(j);
    }
    sqlite3_finalize(st);
}

static void test_params(void)
{
    for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
        const struct pcase *k = &pcases[i];
        int st = call(k->fn, k->rest, k->query, NULL);
        if (st != k->status)
            fprintf(stderr, "case %zu '%s' '%s': %d, expected %d\n", i, k->rest,
                    k->query, st, k->status);
        T_EQ_INT(st, k->status);
    }
    test_params_built();
}

/* A statement of SQLB_ARGS arguments runs; one more fails to prepare
 * instead of running with a parameter left unbound. */
static void test_sqlb_args(void)
{
    /* sqlb_prepare() logs the refusal: the one warning this suite
     * provokes on purpose (no request can reach it: every list a request
     * gives is capped below SQLB_ARGS). */
    fprintf(stderr,
            "test_sqlb_args: a list one past SQLB_ARGS, refused:"
            " its \"more than %d arguments\" warning is expected\n",
            SQLB_ARGS);
    for (int extra = 0; extra <= 1; extra++) {
        struct sqlb b;
        sqlb_init(&b);
        buf_addstr(&b.sql, "SELECT count(*) FROM professional WHERE"
                           " profession_code IN ");
        char *v[SQLB_ARGS + 1];
        for (int i = 0; i < SQLB_ARGS + extra; i++)
            v[i] = (char *)"10";
        sqlb_list(&b, v, SQLB_ARGS + extra);
        sqlite3_stmt *st = sqlb_prepare(conn, &b);
        if (extra) {
            T_CHECK(st == NULL);
        } else {
            T_CHECK(st != NULL);
            T_EQ_INT(st ? sqlite3_step(st) : -1, SQLITE_ROW);
            T_CHECK(st && sqlite3_column_int64(st, 0) > 0);
            db_done(st);
        }
        sqlb_release(&b);
    }
}

/* ---- the work limits ---- */

static long long jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* gone() of a client that leaves 50 ms into its request. */
static int gone_later(void *arg)
{
    return now_s() > *(const double *)arg;
}

static void test_limits(void)
{
    /* Filters alone, a page far down their match: read a candidate at a
     * time up to it. */
    const char *slowq = "profession=60&offset=600&limit=44";
    json_t *j = NULL;
    T_EQ_INT(call(api_search, "", slowq, &j), 200);
    long long total = jint(j, "total");
    size_t page = json_array_size(json_object_get(j, "results"));
    T_CHECK(total > 600 && json_is_true(json_object_get(j, "total_exact")));
    T_CHECK(page > 0);
    json_decref(j);

    /* 20 ms a candidate: hundreds of them would take seconds. */
    struct search_tune tune = search_tune_get(), slow = tune;
    slow.slow_us = 20000;
    search_tune_set(&slow);
    db_request_begin(conn, 100, NULL, NULL);
    double t0 = now_s();
    j = NULL;
    T_EQ_INT(call(api_search, "", slowq, &j), 200);
    double secs = now_s() - t0;
    db_request_end(conn);
    size_t cut = json_array_size(json_object_get(j, "results"));
    printf("limits: deadline 100 ms (two answer forms): %.3f s, %zu results"
           " of %zu\n",
           secs, cut, page);
    /* Both answer forms ran past the deadline: the second at once. */
    T_CHECK(secs < 1.0);
    T_CHECK(json_is_false(json_object_get(j, "total_exact")));
    T_CHECK(cut < page);
    json_decref(j);

    /* A client that leaves after 50 ms, with a deadline of a minute. */
    double leave = now_s() + 0.05;
    db_request_begin(conn, 60000, gone_later, &leave);
    t0 = now_s();
    j = NULL;
    T_EQ_INT(call(api_search, "", slowq, &j), 200);
    secs = now_s() - t0;
    db_request_end(conn);
    printf("limits: client gone after 50 ms: stopped after %.3f s\n", secs);
    T_CHECK(secs < 1.0);
    T_CHECK(json_is_false(json_object_get(j, "total_exact")));
    json_decref(j);

    /* The same with name words, near= and facets: each stops. */
    static const char *const others[] = {
        "q=ma&offset=9900&limit=100",
        "q=martin&near=paris&radius_km=200&offset=9900&limit=100",
        "mode=S&near=paris&radius_km=200&offset=9900&limit=100",
        "profession=10&facets=dept,mode,specialty",
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        db_request_begin(conn, 100, NULL, NULL);
        t0 = now_s();
        T_EQ_INT(call(api_search, "", others[i], NULL), 200);
        secs = now_s() - t0;
        db_request_end(conn);
        if (secs >= 1.0)
            fprintf(stderr, "limits: %s: %.3f s\n", others[i], secs);
        T_CHECK(secs < 1.0);
    }
    search_tune_set(&tune);

    /* The next request is whole again. */
    db_request_begin(conn, 60000, NULL, NULL);
    j = NULL;
    T_EQ_INT(call(api_search, "", slowq, &j), 200);
    db_request_end(conn);
    T_EQ_INT(jint(j, "total"), total);
    T_EQ_INT(json_array_size(json_object_get(j, "results")), page);
    T_CHECK(json_is_true(json_object_get(j, "total_exact")));
    json_decref(j);
}

/* ---- near= filters in memory ---- */

/* VM steps of every statement of c since the last call (SQLite's own
 * count, reset as read). */
static long long vm_steps(void)
{
    long long n = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db_handle(conn), NULL); st;
         st = sqlite3_next_stmt(db_handle(conn), st))
        n += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
    return n;
}

static void test_near_filters(void)
{
    /* Filters no index serves, within 200 km (every commune of the
     * radius read in turn), a page the match never fills: each
     * commune's candidates are checked on the modes and places in
     * memory. Read as streams, the mode was a scan of activity from each
     * commune's first candidate on: about 10^5 steps here (10^9 and 44 s
     * at full scale). The rest of a search (labels, plans, the page)
     * takes a few thousand. */
    static const char *const qs[] = {
        "mode=B&near=paris&radius_km=200&offset=9900&limit=100",
        "mode=B&postcode=9&near=48.85,2.35&radius_km=200&offset=9900"
        "&limit=100",
        "mode=S&near=lyon&radius_km=200&offset=9900&limit=100",
        "postcode=1&near=marseille&radius_km=200&offset=9900&limit=100",
    };
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        json_t *j = NULL;
        T_EQ_INT(call(api_search, "", qs[i], NULL), 200); /* warm up */
        vm_steps();
        T_EQ_INT(call(api_search, "", qs[i], &j), 200);
        long long steps = vm_steps();
        printf("near filters: %s: %lld VM steps, total %lld (%s)\n", qs[i],
               steps, jint(j, "total"),
               json_is_true(json_object_get(j, "total_exact")) ? "exact"
                                                               : "not exact");
        T_CHECK(steps < 20000);
        T_CHECK(json_is_true(json_object_get(j, "total_exact")));
        json_decref(j);
    }
}

static void cleanup(void)
{
    if (conn)
        db_conn_free(conn);
    if (tmpdir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

/* ---- the FHIR facade's parameters (fhir_params.c) ---- */

static char fhir_diag[512];  /* the last OperationOutcome's diagnostics */
static long long fhir_total; /* the last Bundle's total, -1 if none */

/* Runs the facade on rest?query: its status; an error must be an
 * OperationOutcome, an answer a Bundle (a search), a resource or the
 * CapabilityStatement, all application/fhir+json. */
static int fhir_call(const char *rest, const char *query)
{
    struct req r;
    req_parse(&r, query);
    struct api_req ar = {.rest = rest,
                         .params = r.p,
                         .nparams = r.n,
                         .text_ok = 1,
                         .host = "example.org:80"};
    struct api_resp out = {0};
    api_fhir(conn, &ar, &out);
    json_t *j = out.body;
    if (out.text) {
        j = json_loadb(out.text, out.textlen, 0, NULL);
        free(out.text);
    }
    T_CHECK(j != NULL);
    T_CHECK(out.ctype && strncmp(out.ctype, "application/fhir+json", 21) == 0);
    const char *rt = json_string_value(json_object_get(j, "resourceType"));
    T_CHECK(rt != NULL);
    if (rt && out.status >= 400)
        T_CHECK(strcmp(rt, "OperationOutcome") == 0);
    const char *d = json_string_value(json_object_get(
        json_array_get(json_object_get(j, "issue"), 0), "diagnostics"));
    snprintf(fhir_diag, sizeof(fhir_diag), "%s", d ? d : "");
    json_t *tot = json_object_get(j, "total");
    fhir_total = tot ? json_integer_value(tot) : -1;
    if (rt && out.status == 200)
        T_CHECK(strcmp(rt, "OperationOutcome") != 0);
    json_decref(j);
    buf_release(&r.text);
    return out.status;
}

static const struct fcase {
    const char *rest, *query;
    int status;
} fcases[] = {
    {"v2/metadata", "", 200},
    {"metadata", "", 200},
    {"v2/Practitioner", "family=mar", 200},
    {"v2/Practitioner/_search", "given=jean&_count=3", 200},
    {"v2/Practitioner", "", 200},
    {"v2/Practitioner", "identifier=10000000000,810000000000,0123456789", 200},
    {"v2/Practitioner", "identifier=http://rpps.fr|10000000000", 200},
    {"v2/Practitioner", "identifier=urn:other|10000000000", 200},
    {"v2/Practitioner", "name:contains=ar&_count=1", 200},
    {"v2/Practitioner", "family:exact=MARTIN&given:text=x", 200},
    {"v2/Practitioner", "name:family=mar&name:given=j", 200},
    {"v2/Practitioner", "qualification-code=10,SM54&qualification-code=C", 200},
    {"v2/Practitioner", "mailbox-mss:contains=%40&_elements=identifier", 200},
    {"v2/Practitioner", "mailbox-mss:exact=a@b.fr", 200},
    {"v2/Practitioner", "_lastUpdated=ge2020-01&_lastUpdated=lt2030", 200},
    {"v2/Practitioner", "_lastUpdated=ne2020-01-01T10:00:00Z", 200},
    {"v2/Organization", "_after=C1&_count=2", 200},
    {"v2/Organization", "_total=accurate&_count=1", 200},
    {"v2/PractitionerRole", "role=L&_count=2&_total=accurate", 200},
    {"v2/PractitionerRole", "active=false", 200},
    {"v2/Organization", "active=false", 200},
    {"v2/Practitioner", "active=false", 200},
    {"v2/Practitioner", "family=mar&_revinclude=PractitionerRole:practitioner",
     200},
    {"v2/Practitioner", "_count=0&_total=accurate&_format=json&_pretty=true",
     200},
    {"v2/Practitioner", "_count=100000", 200}, /* clamped */
    {"v2/PractitionerRole", "practitioner=Practitioner/1,2,3&_include=*", 200},
    {"v2/PractitionerRole",
     "role=L&_count=2&_include=PractitionerRole:organization", 200},
    {"v2/PractitionerRole", "organization=Organization/x&mailbox-mss=a", 200},
    {"v2/Organization", "address-postalcode=75&_count=2", 200},
    {"v2/Organization",
     "name:contains=sante&address-city=paris&_revinclude=PractitionerRole:"
     "organization&_count=2",
     200},
    {"v2/Organization", "identifier=https://finess.esante.gouv.fr|1", 200},
    /* the structure table's paths: ids, IDNST, name words (and what the
     * full-text syntax would read), a name too broad, the town */
    {"v2/Organization", "_id=F599411424,C13627946289,x", 200},
    {"v2/Organization", "identifier=1599411424,3123,0,99", 200},
    {"v2/Organization", "identifier=urn:oid:1.2.250.1.71.4.2.2|1599411424",
     200},
    {"v2/Organization", "name=clinique%20de%20l'esp", 200},
    {"v2/Organization", "name=%22a%22%20OR%20b*%20NEAR(c)%20%5E-%3A", 200},
    {"v2/Organization", "name=de&name:exact=X", 200},
    {"v2/Organization", "name=cabinet&_count=1", 200},
    {"v2/Organization",
     "address-city:exact=Douai&_revinclude=PractitionerRole:"
     "organization",
     200},
    {"v2/PractitionerRole", "organization=F599411424,C13627946289,zz", 200},
    /* errors: every parser's */
    {"v2/Practitioner", "bogus=1", 400},
    {"v2/Practitioner", "family:missing=true", 400},
    {"v2/Practitioner", "identifier:exact=1", 400},
    {"v2/Practitioner", "family=", 400},
    {"v2/Practitioner",
     "family=a&family=b&family=c&family=d&family=e&"
     "family=f&family=g&family=h&family=i&family=j&"
     "family=k&family=l&family=m",
     400},
    {"v2/Practitioner",
     "identifier=1&identifier=2&identifier=3&identifier=4&"
     "identifier=5",
     400},
    {"v2/Practitioner", "active=yes", 400},
    {"v2/Practitioner", "_lastUpdated=xx2020", 400},
    {"v2/Practitioner", "_lastUpdated=ge2020-1", 400},
    {"v2/Practitioner", "_count=-1", 400},
    {"v2/Practitioner", "_count=abc", 400},
    {"v2/Practitioner", "_getpagesoffset=10001", 400},
    {"v2/Practitioner", "_getpagesoffset=9990&_count=50", 400},
    {"v2/Practitioner", "_total=some", 400},
    {"v2/Practitioner", "_after=810000000001", 400},
    {"v2/Organization", "_after=C1%24", 400},
    {"v2/Organization", "_after=C1&_after=C2", 400},
    {"v2/PractitionerRole", "_after=nope", 400},
    {"v2/PractitionerRole", "_after=899999999999-0", 400},
    {"v2/Practitioner",
     "_lastUpdated=ge2020&_lastUpdated=ge2020&_lastUpdated=ge2020&"
     "_lastUpdated=ge2020&_lastUpdated=ge2020",
     400},
    {"v2/Practitioner", "_format=xml", 400},
    {"v2/Practitioner", "_revinclude=PractitionerRole:organization", 400},
    {"v2/Practitioner", "_elements=a&_elements=b", 400},
    {"v2/Practitioner", "mailbox-mss=", 400},
    {"v2/Practitioner", "role=L", 400},
    {"v2/Practitioner", "family=\xff", 400},
    {"v2/Practitioner", "name=a b c d e f g h i j", 400}, /* engine's cap */
    {"v2/PractitionerRole", "_include=Organization:partof", 400},
    {"v2/PractitionerRole", "practitioner=1&practitioner=2", 400},
    {"v2/PractitionerRole", "_id=a&_id=b", 400},
    {"v2/Organization", "address-city=a&address-city=b", 400},
    {"v2/Organization", "address-city=", 400},
    {"v2/Organization", "name=", 400},
    {"v2/Organization", "family=x", 400},
    {"v2/Patient", "", 404},
    {"v2", "", 404},
    {"", "", 404},
    {"v2/Practitioner/nobody", "", 404},
    {"v2/Practitioner/a/b", "", 404},
    {"v2/PractitionerRole/810000000000-99", "", 404},
    {"v2/PractitionerRole/bad id", "", 404},
    {"v2/Organization/none", "", 404},
    {"v2/Practitioner/x", "_elements=a&_elements=b", 400},
};

static void test_fhir(void)
{
    for (size_t i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
        const struct fcase *k = &fcases[i];
        int st = fhir_call(k->rest, k->query);
        if (st != k->status)
            fprintf(stderr, "fhir case %zu '%s' '%s': %d, expected %d\n", i,
                    k->rest, k->query, st, k->status);
        T_EQ_INT(st, k->status);
    }
    /* 257 ids in one list: one too many. */
    struct buf q;
    buf_init(&q, 1 << 20);
    buf_addstr(&q, "_id=");
    for (int i = 0; i <= 256; i++)
        buf_addf(&q, "%s81000000%04d", i ? "," : "", i);
    T_EQ_INT(fhir_call("v2/Practitioner", q.s), 400);
    q.len = 0;
    buf_addstr(&q, "practitioner=");
    for (int i = 0; i <= 256; i++)
        buf_addf(&q, "%s%d", i ? "," : "", i);
    T_EQ_INT(fhir_call("v2/PractitionerRole", q.s), 400);
    /* An error of the search engine names the facade's parameter, not the
     * engine's ('profession', 'words'): too many professions for it, too
     * many name words. */
    static const struct {
        const char *query, *param, *engine;
    } named[] = {
        {"family=mar&qualification-code=10,21,26,28,31,32,35,36,37,38,39,40,"
         "41,50,60,69,70",
         "'qualification-code'", "'profession'"},
        {"name=a b c d e f g h i j", "'name'", "'words'"},
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        T_EQ_INT(fhir_call("v2/Practitioner", named[i].query), 400);
        if (!strstr(fhir_diag, named[i].param) ||
            strstr(fhir_diag, named[i].engine))
            fprintf(stderr, "fhir '%s': diagnostics '%s'\n", named[i].query,
                    fhir_diag);
        T_CHECK(strstr(fhir_diag, named[i].param) != NULL);
        T_CHECK(strstr(fhir_diag, named[i].engine) == NULL);
    }
    buf_release(&q);
}

/* The first column of the first row of sql on the test's file, as text
 * into out. */
static void sql_text(const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db_handle(conn), sql, -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* Facade searches whose work must not grow with the file, counted in
 * VM steps: a role code no activity carries (the code table says so), a
 * rare one (its activities listed in activity_code), _lastUpdated without
 * a lower bound (the change table's people, not everyone's dates), the
 * totals of a common code's roles, of every role and every structure
 * (activity_combo, structure_town), each against a COUNT(*). Before
 * these plans each read every activity or checked every person's date:
 * 10^5 steps here, a 503 at the deadline at full scale. */
static void test_fhir_bounded(void)
{
    char day[16], rare[32], nrare[16], npeople[16], nday[16];
    char nmode[16], nact[16], nstruct[16];
    sql_text("SELECT count(*) FROM activity WHERE mode_code = 'S'", nmode,
             sizeof(nmode));
    sql_text("SELECT count(*) FROM activity", nact, sizeof(nact));
    sql_text("SELECT count(*) FROM structure", nstruct, sizeof(nstruct));
    /* The structures' total sums the towns' rows (fewer than the
     * structures: 1,232 for 347,756 at full scale). */
    char ntown[16];
    sql_text("SELECT count(*) FROM structure_town", ntown, sizeof(ntown));
    T_CHECK(strtoll(ntown, NULL, 10) * 2 < strtoll(nstruct, NULL, 10));
    sql_text("SELECT value FROM meta WHERE key = 'history_since'", day,
             sizeof(day));
    sql_text("SELECT code FROM activity_code GROUP BY code"
             " ORDER BY count(*) DESC, code LIMIT 1",
             rare, sizeof(rare));
    sql_text("SELECT count(*) FROM activity_code WHERE code = (SELECT code"
             " FROM activity_code GROUP BY code ORDER BY count(*) DESC, code"
             " LIMIT 1)",
             nrare, sizeof(nrare));
    sql_text("SELECT count(*) FROM professional", npeople, sizeof(npeople));
    T_CHECK(strlen(day) == 8 && *rare);
    snprintf(nday, sizeof(nday), "%.4s-%.2s-%.2s", day, day + 4, day + 6);
    /* A mailbox prefix that finds roles: the roles tied to its
     * structure (fhir_search.c role_mailbox_ok()). */
    char box[16], nbox[16];
    sql_text("SELECT substr(address, 1, 5) FROM mailbox WHERE type = 'PER'"
             " AND structure_id IS NOT NULL ORDER BY mid LIMIT 1",
             box, sizeof(box));
    char boxsql[640];
    snprintf(boxsql, sizeof(boxsql),
             "SELECT count(*) FROM activity a WHERE EXISTS (SELECT 1 FROM"
             " mailbox m WHERE m.mid >> 20 = a.aid >> 20 AND m.address >="
             " '%s' AND m.address < '%s' || x'f4' AND substr(m.structure_id,"
             " 2) = substr(a.structure_id, 2))",
             box, box);
    sql_text(boxsql, nbox, sizeof(nbox));
    T_CHECK(strlen(box) == 5 && strtoll(nbox, NULL, 10) > 0);
    char qbox[64];
    snprintf(qbox, sizeof(qbox), "mailbox-mss=%s&_count=1", box);
    /* address-postalcode:contains, which no index reads, counted from
     * the postal codes' counts (structure_postcode_count): two digits
     * inside a postal code, and the structures whose code has them. */
    char pc[8], npc[16], pcsql[160], qpc[2][96];
    sql_text("SELECT substr(postcode, 2, 2) FROM structure WHERE"
             " length(postcode) = 5 ORDER BY sid LIMIT 1",
             pc, sizeof(pc));
    snprintf(pcsql, sizeof(pcsql),
             "SELECT count(*) FROM structure WHERE instr(postcode, '%s') > 0",
             pc);
    sql_text(pcsql, npc, sizeof(npc));
    T_CHECK(strlen(pc) == 2 && strtoll(npc, NULL, 10) > 0);
    snprintf(qpc[0], sizeof(qpc[0]), "address-postalcode:contains=%s&_count=1",
             pc);
    snprintf(qpc[1], sizeof(qpc[1]),
             "address-postalcode:contains=%s&_total=accurate&_count=0", pc);
    /* Every role with a mailbox tied to its structure (mailbox-mss:
     * contains=@), alone and with a common mode: activity_combo.n_mss. */
    char nmss[16], nmss_s[16];
    static const char mss_sql[] =
        "SELECT count(*) FROM activity a WHERE EXISTS (SELECT 1 FROM"
        " mailbox m WHERE m.mid >> 20 = a.aid >> 20 AND instr(m.address,"
        " '@') > 0 AND substr(m.structure_id, 2) = substr(a.structure_id,"
        " 2))";
    char mss_s_sql[sizeof(mss_sql) + 32];
    snprintf(mss_s_sql, sizeof(mss_s_sql), "%s AND a.mode_code = 'S'", mss_sql);
    sql_text(mss_sql, nmss, sizeof(nmss));
    sql_text(mss_s_sql, nmss_s, sizeof(nmss_s));
    T_CHECK(strtoll(nmss_s, NULL, 10) > 0 &&
            strtoll(nmss_s, NULL, 10) < strtoll(nmss, NULL, 10));
    char q[6][96];
    T_CHECK(strtoll(nmode, NULL, 10) * 50 > strtoll(nact, NULL, 10));
    snprintf(q[0], sizeof(q[0]), "role=FON-99&_total=accurate");
    snprintf(q[1], sizeof(q[1]), "role=%s&_total=accurate&_count=1", rare);
    snprintf(q[2], sizeof(q[2]), "role=%s,FON-99&_count=2", rare);
    snprintf(q[3], sizeof(q[3]), "_lastUpdated=ne%s", nday);
    snprintf(q[4], sizeof(q[4]), "_lastUpdated=ne2001-01-01&_count=3");
    snprintf(q[5], sizeof(q[5]), "_lastUpdated=ne%s&_total=accurate", nday);
    const struct {
        const char *rest, *query;
        long long total;
    } k[] = {
        {"v2/PractitionerRole", q[0], 0},
        {"v2/PractitionerRole", q[1], strtoll(nrare, NULL, 10)},
        {"v2/PractitionerRole", q[2], strtoll(nrare, NULL, 10)},
        {"v2/Practitioner", q[3], 0},
        {"v2/Practitioner", q[4], strtoll(npeople, NULL, 10)},
        {"v2/PractitionerRole", q[5], 0},
        {"v2/PractitionerRole", "role=S&_total=accurate&_count=1",
         strtoll(nmode, NULL, 10)},
        {"v2/PractitionerRole", "_total=accurate&_count=1",
         strtoll(nact, NULL, 10)},
        {"v2/Organization", "_total=accurate&_count=1",
         strtoll(nstruct, NULL, 10)},
        {"v2/PractitionerRole", qbox, strtoll(nbox, NULL, 10)},
        {"v2/Organization", qpc[0], strtoll(npc, NULL, 10)},
        {"v2/Organization", qpc[1], strtoll(npc, NULL, 10)},
        {"v2/PractitionerRole", "mailbox-mss:contains=@&_count=1",
         strtoll(nmss, NULL, 10)},
        {"v2/PractitionerRole",
         "mailbox-mss:contains=@&role=S&_total=accurate&_count=0",
         strtoll(nmss_s, NULL, 10)},
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        T_EQ_INT(fhir_call(k[i].rest, k[i].query), 200); /* warm up */
        vm_steps();
        T_EQ_INT(fhir_call(k[i].rest, k[i].query), 200);
        long long steps = vm_steps();
        printf("fhir bounded: %s?%s: %lld VM steps, total %lld\n", k[i].rest,
               k[i].query, steps, fhir_total);
        T_EQ_INT(fhir_total, k[i].total);
        T_CHECK(steps < 2000 + (strncmp(k[i].rest, "v2/Org", 6) == 0
                                    ? strtoll(ntown, NULL, 10)
                                    : 0));
    }
}

/* ---- structures: runs of sids by place, prefixes, misspelt words ---- */

/* 1 if the results of /v1/structures in j hold the structure id. */
static int has_structure(const json_t *j, const char *id)
{
    const json_t *res = json_object_get(j, "results");
    for (size_t i = 0; i < json_array_size(res); i++)
        if (strcmp(json_string_value(
                       json_object_get(json_array_get(res, i), "id")),
                   id) == 0)
            return 1;
    return 0;
}

/* How many results of /v1/structures in j have this postal code (NULL:
 * all of them). */
static size_t with_postcode(const json_t *j, const char *pc)
{
    const json_t *res = json_object_get(j, "results");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(res); i++) {
        const char *p = json_string_value(json_object_get(
            json_object_get(json_array_get(res, i), "address"), "postcode"));
        n += !pc || (p && strcmp(p, pc) == 0);
    }
    return n;
}

/* One word of s (0-based), folded, into w (cap bytes); 0 if s has fewer
 * words. */
static int nth_word(const char *s, int k, char *w, size_t cap)
{
    char f[512];
    structure_fold(s, 0, f, sizeof f);
    const char *p = f;
    for (int i = 0; *p; i++) {
        size_t n = strcspn(p, " ");
        if (i == k) {
            if (n >= cap)
                return 0;
            memcpy(w, p, n);
            w[n] = '\0';
            return 1;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static void test_structures(void)
{
    /* The importer numbers the structures in order of place (commune code,
     * postal code, none last), which the search's runs of sids rely on. */
    sqlite3_stmt *st;
    T_EQ_INT(sqlite3_prepare_v2(
                 db_handle(conn),
                 "SELECT count(*) FROM structure a JOIN structure b"
                 " ON b.sid = a.sid + 1 WHERE"
                 " coalesce(a.insee, '~') > coalesce(b.insee, '~') OR"
                 " (a.insee IS b.insee AND"
                 " coalesce(a.postcode, '~') > coalesce(b.postcode, '~'))",
                 -1, &st, NULL),
             SQLITE_OK);
    T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    T_EQ_INT(sqlite3_column_int64(st, 0), 0);
    sqlite3_finalize(st);
    /* A name with its postal code, town or department finds what the
     * name alone finds there (read over the place's runs of sids), for
     * names of a few structures. */
    T_EQ_INT(sqlite3_prepare_v2(
                 db_handle(conn),
                 "SELECT lower(name), postcode, city_fold, dept_code,"
                 " structure_id FROM structure WHERE name IS NOT NULL AND"
                 " name NOT GLOB '*[^A-Z ]*' AND postcode IS NOT NULL AND"
                 " city_fold IS NOT NULL ORDER BY sid % 7, sid LIMIT 40",
                 -1, &st, NULL),
             SQLITE_OK);
    int checked = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *pc = (const char *)sqlite3_column_text(st, 1);
        const char *city = (const char *)sqlite3_column_text(st, 2);
        const char *dept = (const char *)sqlite3_column_text(st, 3);
        const char *id = (const char *)sqlite3_column_text(st, 4);
        char q[1024];
        json_t *all = NULL, *j = NULL;
        snprintf(q, sizeof q, "q=%s &limit=100", name);
        T_EQ_INT(call(api_structures, "", q, &all), 200);
        if (jint(all, "total") > 100) {
            json_decref(all);
            continue;
        }
        checked++;
        snprintf(q, sizeof q, "q=%s &postcode=%s&limit=100", name, pc);
        T_EQ_INT(call(api_structures, "", q, &j), 200);
        T_CHECK(has_structure(j, id));
        T_EQ_INT(jint(j, "total"), (long long)with_postcode(all, pc));
        json_decref(j);
        snprintf(q, sizeof q, "q=%s &city=%s&limit=100", name, city);
        T_EQ_INT(call(api_structures, "", q, &j), 200);
        T_CHECK(has_structure(j, id));
        json_decref(j);
        snprintf(q, sizeof q, "q=%s &dept=%s&limit=100", name, dept);
        T_EQ_INT(call(api_structures, "", q, &j), 200);
        T_CHECK(has_structure(j, id));
        json_decref(j);
        /* The last word as a prefix of three letters (read as the words
         * it begins): at least what the whole word finds. */
        size_t nl = strlen(name);
        const char *sp = strrchr(name, ' ');
        if (sp && nl - (size_t)(sp + 1 - name) > 3) {
            snprintf(q, sizeof q, "q=%.*s&postcode=%s&limit=100",
                     (int)(sp + 4 - name), name, pc);
            T_EQ_INT(call(api_structures, "", q, &j), 200);
            T_CHECK(has_structure(j, id));
            json_decref(j);
        }
        json_decref(all);
    }
    sqlite3_finalize(st);
    T_CHECK(checked >= 10);
    /* A misspelt word (two letters swapped) of a name or a street still
     * finds its structure when nothing has the words as typed. */
    T_EQ_INT(sqlite3_prepare_v2(
                 db_handle(conn),
                 "SELECT name, street_number || ' ' || street_type || ' ' ||"
                 " street_name, postcode, structure_id FROM structure"
                 " WHERE name IS NOT NULL AND street_name IS NOT NULL AND"
                 " street_number IS NOT NULL AND street_type IS NOT NULL"
                 " ORDER BY sid % 5, sid LIMIT 60",
                 -1, &st, NULL),
             SQLITE_OK);
    int typos = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *cols[2] = {(const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1)};
        const char *pc = (const char *)sqlite3_column_text(st, 2);
        const char *id = (const char *)sqlite3_column_text(st, 3);
        for (int street = 0; street < 2; street++) {
            /* Its longest word of 6 letters or more, letters 3 and 4
             * swapped. */
            char w[64], best[64] = "", f[512];
            for (int k = 0; nth_word(cols[street], k, w, sizeof w); k++)
                if (strlen(w) >= 6 && strlen(w) > strlen(best) &&
                    strspn(w, "abcdefghijklmnopqrstuvwxyz") == strlen(w) &&
                    w[2] != w[3])
                    memcpy(best, w, strlen(w) + 1);
            if (!*best)
                continue;
            char typo[64];
            memcpy(typo, best, sizeof typo);
            typo[2] = best[3];
            typo[3] = best[2];
            /* Not a word of any structure: else it is that word. */
            sqlite3_stmt *t;
            T_EQ_INT(sqlite3_prepare_v2(db_handle(conn),
                                        "SELECT 1 FROM structure_term"
                                        " WHERE term = ?1",
                                        -1, &t, NULL),
                     SQLITE_OK);
            sqlite3_bind_text(t, 1, typo, -1, SQLITE_STATIC);
            int known = sqlite3_step(t) == SQLITE_ROW;
            sqlite3_finalize(t);
            if (known)
                continue;
            structure_fold(cols[street], street, f, sizeof f);
            char *at = strstr(f, best);
            T_CHECK(at != NULL);
            if (!at)
                continue;
            memcpy(at, typo, strlen(typo));
            char q[1024];
            json_t *j = NULL;
            snprintf(q, sizeof q, "%s=%s &postcode=%s&limit=100",
                     street ? "street" : "structure", f, pc);
            T_EQ_INT(call(api_structures, "", q, &j), 200);
            if (!has_structure(j, id))
                fprintf(stderr, "not found with a typo: %s (%s)\n", q, id);
            T_CHECK(has_structure(j, id));
            json_decref(j);
            typos++;
        }
    }
    sqlite3_finalize(st);
    T_CHECK(typos >= 10);
}

/* db_memo_get()/_put(): a value comes back under its own key only, the
 * key is copied, and a second put of a key keeps the first value
 * (filters_domain_over() keeps a domain's count of owners this way). */
static void test_memo(void)
{
    long long v = -1;
    T_EQ_INT(db_memo_get(conn, "domain owners 20000 a.fr", &v), 0);
    T_EQ_INT(v, -1);
    char key[64];
    snprintf(key, sizeof(key), "domain owners 20000 a.fr");
    db_memo_put(conn, key, 25000);
    key[0] = 'x';
    db_memo_put(conn, "domain owners 20000 b.fr", 12);
    db_memo_put(conn, "domain owners 20000 a.fr", 7);
    T_EQ_INT(db_memo_get(conn, "domain owners 20000 a.fr", &v), 1);
    T_EQ_INT(v, 25000);
    T_EQ_INT(db_memo_get(conn, "domain owners 20000 b.fr", &v), 1);
    T_EQ_INT(v, 12);
    T_EQ_INT(db_memo_get(conn, "domain owners 20000 c.fr", &v), 0);
    T_EQ_INT(db_memo_get(conn, key, &v), 0);
    /* Many keys: the table grows and every one is still found. */
    int found = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        db_memo_put(conn, key, i);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        found += db_memo_get(conn, key, &v) && v == i;
    }
    T_EQ_INT(found, 300);
}

int main(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    snprintf(tmpdir, sizeof(tmpdir), "%s/handlers.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[2048], db[512];
    snprintf(db, sizeof(db), "%s/x.db", tmpdir);
    snprintf(cmd, sizeof(cmd),
             "%s/rpps-gen --quiet --seed 3 --professionals 2000 --out %s/gen"
             " && %s/rpps-import --quiet --no-progress --db %s %s/gen/*.zip"
             " >/dev/null",
             build, tmpdir, build, db, tmpdir);
    log_quiet(1);
    if (system(cmd) != 0 || !(conn = db_conn_open(db))) {
        fprintf(stderr, "cannot set up the database\n");
        cleanup();
        T_CHECK(0);
        return t_done();
    }
    test_params();
    test_sqlb_args();
    test_near_filters();
    test_limits();
    test_fhir();
    test_fhir_bounded();
    test_structures();
    test_memo();
    cleanup();
    return t_done();
}
