/* The API handlers called in this process (no HTTP), on a database built
 * here from generated data (rpps-gen 2000 professionals, rpps-import with
 * the bundled commune table, so near= works):
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
    api_search_slow(20000);
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
    api_search_slow(0);

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
    for (sqlite3_stmt *st = sqlite3_next_stmt(conn->db, NULL); st;
         st = sqlite3_next_stmt(conn->db, st))
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
    test_near_filters();
    test_limits();
    cleanup();
    return t_done();
}
