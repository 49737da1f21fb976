/* Hostile requests against the real rpps-server ($BUILD/rpps-server), on a
 * free port, over a database imported from generated data (rpps-gen 2000
 * professionals, rpps-import): FTS5 and SQL syntax in every parameter, 64 KB
 * values, invalid UTF-8, %00, repeated parameters, absurd limit/offset, odd
 * paths, unknown methods, malformed HTTP and very long headers on a raw
 * socket, and 300 idle connections while others must still be answered
 * within a second. Every answer must be 2xx or 4xx, never 5xx, and every
 * answer the application gives must be JSON (an error carries its status).
 *
 * Some requests are refused by libmicrohttpd itself before the application
 * sees them (a request line or header block past its 128 KiB memory pool, a
 * malformed request line, an unknown HTTP version): those answers are MHD's
 * small HTML pages. They are checked for their status and printed as NOTE
 * lines; docs/reliability.md lists them. At the end the server must still be
 * alive and answering, stop cleanly on SIGTERM, and its log must hold no
 * sanitizer report. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "t.h"
#include "util.h"
#include "banned.h"

static char tmpdir[256];
static const char *build;
static int port;
static pid_t server_pid;
static char server_log[512];
static CURL *curl;
static int notes;
static long req_timeout = 10; /* seconds */

/* A known bug, reported but not fixed in a module this test does not own:
 * prints "KNOWN ..." while it fails and counts neither way; counts as a pass
 * once fixed (then make it a T_CHECK). docs/reliability.md lists them. */
#define T_KNOWN(cond, what)                                                    \
    do {                                                                       \
        if (cond)                                                              \
            t_passed++;                                                        \
        else                                                                   \
            printf("KNOWN %s:%d: %s\n", __FILE__, __LINE__, what);             \
    } while (0)

/* ---- set-up: data, database, server ---- */

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static int make_db(const char *db)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "%s/rpps-gen --quiet --seed 3 --professionals 2000 --out %s/gen"
             " && %s/rpps-import --quiet --no-progress"
             " --db %s %s/gen/*.zip >/dev/null",
             build, tmpdir, build, db, tmpdir);
    return run(cmd);
}

static int server_start(const char *db)
{
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/rpps-server", build);
    snprintf(server_log, sizeof(server_log), "%s/server.log", tmpdir);
    server_pid = fork();
    if (server_pid == 0) {
        FILE *f = freopen(server_log, "w", stderr);
        (void)f;
        execl(bin, bin, "--db", db, "--listen", "127.0.0.1:0", "--threads", "2",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !port; i++) {
        usleep(20000);
        FILE *f = fopen(server_log, "r");
        if (!f)
            continue;
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            char *p = strstr(line, "listening on port ");
            if (p)
                port = (int)strtol(p + 18, NULL, 10);
        }
        fclose(f);
        if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
            server_pid = 0;
            return -1;
        }
    }
    return port ? 0 : -1;
}

static int server_alive(void)
{
    return server_pid > 0 && waitpid(server_pid, NULL, WNOHANG) == 0;
}

/* ---- HTTP through libcurl ---- */

struct ans {
    long status;
    struct buf body;
    char ctype[128];
    double secs;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    struct buf *b = arg;
    if (buf_add(b, p, sz * n) < 0)
        return 0;
    return sz * n;
}

/* One request; hdrs NULL-terminated, body may be NULL. -1 on a transport
 * error (connection refused or reset, timeout). */
static int http(const char *method, const char *path, const char *const *hdrs,
                const char *body, struct ans *a)
{
    struct buf url;
    buf_init(&url, 1 << 20);
    buf_addf(&url, "http://127.0.0.1:%d%s", port, path);
    memset(a, 0, sizeof(*a));
    buf_init(&a->body, 1 << 24);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.s);
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, req_timeout);
    /* Take gzip: decoded by libcurl, and the server's gzip path runs. */
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    if (method && strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (method)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    struct curl_slist *sl = NULL;
    for (; hdrs && *hdrs; hdrs++)
        sl = curl_slist_append(sl, *hdrs);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, sl);
    double t0 = now_s();
    CURLcode rc = curl_easy_perform(curl);
    a->secs = now_s() - t0;
    curl_slist_free_all(sl);
    buf_release(&url);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl %.80s: %s\n", path, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
    char *ct = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(a->ctype, sizeof(a->ctype), "%s", ct ? ct : "");
    return 0;
}

/* The answer must be 2xx/4xx; when the application gave it (JSON content
 * type), the body must parse, and an error must carry its status. mhd_ok: a
 * refusal by libmicrohttpd itself is expected here (not JSON, noted). */
static void check_answer(const char *what, int rc, struct ans *a, int mhd_ok,
                         int head)
{
    int ok = rc == 0 && a->status >= 200 && a->status < 500;
    int is_json = strncmp(a->ctype, "application/json", 16) == 0;
    /* The web page's paths answer HTML (its files CSS, JavaScript, SVG);
     * an error asked for as text is one line saying its status. */
    int is_page = a->status == 200 && (strncmp(a->ctype, "text/", 5) == 0 ||
                                       strncmp(a->ctype, "image/", 6) == 0);
    char err[32];
    snprintf(err, sizeof(err), "erreur %ld : ", a->status);
    if (a->status >= 400 && strncmp(a->ctype, "text/plain", 10) == 0)
        is_page = a->body.s && strncmp(a->body.s, err, strlen(err)) == 0;
    if (ok && is_json && !head) {
        json_error_t je;
        json_t *j = json_loadb(a->body.s ? a->body.s : "", a->body.len, 0, &je);
        if (!j) {
            ok = 0;
        } else {
            if (a->status >= 400) {
                json_t *e = json_object_get(j, "error");
                ok = json_integer_value(json_object_get(e, "status")) ==
                     a->status;
            }
            json_decref(j);
        }
    } else if (ok && !is_json && !is_page && !head && a->status != 304 &&
               a->status != 204) {
        if (mhd_ok && a->status >= 400) {
            printf("NOTE %s: %ld answered by libmicrohttpd (not JSON)\n", what,
                   a->status);
            notes++;
        } else {
            ok = 0;
        }
    }
    if (!ok)
        fprintf(stderr, "FAIL %s: rc %d, status %ld, type '%s', body %.200s\n",
                what, rc, a->status, a->ctype, a->body.s ? a->body.s : "");
    T_CHECK(ok);
}

static void get_check(const char *path, int mhd_ok)
{
    struct ans a;
    int rc = http(NULL, path, NULL, NULL, &a);
    check_answer(path, rc, &a, mhd_ok, 0);
    buf_release(&a.body);
}

/* Percent-encodes every byte but the unreserved ones. */
static void enc(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            buf_add(b, &s[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 3);
        }
    }
}

/* ---- the cases ---- */

/* FTS5 query syntax and SQL fragments: each must be taken as text. */
static const char *const payloads[] = {
    "\"",
    "\"\"",
    "\"martin",
    "*",
    "a*",
    "*a",
    "(",
    ")",
    "(martin",
    "martin)",
    "()",
    "NEAR",
    "NEAR(martin dupont)",
    "NEAR(martin dupont, 2)",
    "AND",
    "OR",
    "NOT",
    "martin AND dupont",
    "martin OR",
    "NOT martin",
    ":",
    "last_fold:martin",
    "{last_fold first_fold}:martin",
    "^",
    "^martin",
    "-",
    "-martin",
    "+",
    "+martin",
    "martin - dupont",
    "a:b:c",
    "' OR 1=1 --",
    "'; DROP TABLE professional; --",
    "\" OR \"\"=\"",
    "1; SELECT * FROM meta",
    "' UNION SELECT sqlite_version() --",
    "%",
    "_",
    "\\",
    "*)(",
    "a\"b",
    "\xc3\xa9*",
    "0x41",
    "1e3",
    ",",
    ",,,,",
    " ",
    "",
};

static const char *const text_params[] = {
    "q",    "name",     "given",   "city",  "profession", "specialty", "mode",
    "dept", "postcode", "has_mss", "limit", "offset",     "facets",    "pretty",
};

static void test_syntax(void)
{
    struct buf p;
    buf_init(&p, 1 << 16);
    for (size_t i = 0; i < sizeof(payloads) / sizeof(*payloads); i++) {
        const char *v = payloads[i];
        for (size_t k = 0; k < sizeof(text_params) / sizeof(*text_params);
             k++) {
            buf_reset(&p);
            buf_addf(&p, "/v1/search?%s=", text_params[k]);
            enc(&p, v, strlen(v));
            get_check(p.s, 0);
        }
        /* With filters, so the other search paths build SQL from it too. */
        buf_reset(&p);
        buf_addstr(&p, "/v1/search?q=");
        enc(&p, v, strlen(v));
        buf_addstr(&p, "&profession=10&city=paris&facets=profession,dept");
        get_check(p.s, 0);
        buf_reset(&p);
        buf_addstr(&p, "/v1/search?q=ma+");
        enc(&p, v, strlen(v));
        buf_addstr(&p, "&has_mss=true&limit=100");
        get_check(p.s, 0);
        buf_reset(&p);
        buf_addstr(&p, "/v1/suggest?q=");
        enc(&p, v, strlen(v));
        get_check(p.s, 0);
        buf_reset(&p);
        buf_addstr(&p, "/v1/practitioners/");
        enc(&p, v, strlen(v));
        get_check(p.s, 0);
        buf_reset(&p);
        buf_addstr(&p, "/v1/mssante/");
        enc(&p, v, strlen(v));
        get_check(p.s, 0);
    }
    buf_release(&p);
}

/* Up to this many bytes a request reaches the application: http.c's
 * CONN_MEMORY (128 KiB) less MHD's records and the response headers; past
 * about 127.7 KiB (docs/reliability.md) MHD answers itself, or closes. */
#define POOL_OK (120 * 1024)

/* Long values: past http.c's 4 KiB URL cap the application says 414 (in
 * JSON up to POOL_OK); past MHD's 128 KiB pool MHD says it. */
static void test_long(void)
{
    static const size_t sizes[] = {256,  257,   3000,    4096,      5000,
                                   8192, 65536, POOL_OK, 200 * 1024};
    struct buf p;
    buf_init(&p, 1 << 20);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        int mhd = sizes[i] > POOL_OK;
        char *v = xmalloc(sizes[i] + 1);
        memset(v, 'a', sizes[i]);
        v[sizes[i]] = '\0';
        static const char *const fmts[] = {
            "/v1/search?q=%s",
            "/v1/search?%s=1",
            "/v1/suggest?q=%s",
            "/v1/practitioners/%s",
            "/v1/mssante/%s@x.fr",
            "/v1/search?q=%.100s&city=paris",
            "/%s",
        };
        for (size_t k = 0; k < sizeof(fmts) / sizeof(*fmts); k++) {
            buf_reset(&p);
            buf_addf(&p, fmts[k], v);
            char what[64];
            snprintf(what, sizeof(what), "%zu-byte value, form %zu", sizes[i],
                     k);
            struct ans a;
            int rc = http(NULL, p.s, NULL, NULL, &a);
            check_answer(what, rc, &a, mhd, 0);
            buf_release(&a.body);
        }
        /* Words: 64 KB of "a " is far past the token cap. */
        for (size_t k = 1; k < sizes[i]; k += 2)
            v[k] = '+';
        buf_reset(&p);
        buf_addf(&p, "/v1/search?q=%s", v);
        struct ans a;
        int rc = http(NULL, p.s, NULL, NULL, &a);
        check_answer("many words", rc, &a, mhd, 0);
        buf_release(&a.body);
        free(v);
    }
    buf_release(&p);
}

static const char *const encoding_cases[] = {
    /* invalid UTF-8 in values, names and paths */
    "/v1/search?q=%FF",
    "/v1/search?q=%C3%28",
    "/v1/search?q=%C0%AF",
    "/v1/search?q=%ED%A0%80",
    "/v1/search?q=%F4%90%80%80",
    "/v1/search?q=martin%E2%82",
    "/v1/search?q%FF=1",
    "/v1/search?city=%FF%FE",
    "/v1/search?profession=%C3",
    "/v1/suggest?q=%FFma",
    "/v1/practitioners/%FF",
    "/v1/mssante/a%C3@b.fr",
    "/v1/search%FF?q=a",
    /* %00 */
    "/v1/search?q=a%00b",
    "/v1/search?q=%00",
    "/v1/search?%00=1",
    "/v1/search?name=%00&given=%00",
    "/v1/search?q%00x=1",
    "/v1/practitioners/%00",
    "/v1/practitioners/810%00",
    "/v1/mssante/a%00b@x.fr",
    "/v1/search%00?q=a",
    "/healthz%00",
    /* stray and double escapes */
    "/v1/search?q=%",
    "/v1/search?q=%4",
    "/v1/search?q=%zz",
    "/v1/search?q=%2525",
    "/v1/search?q=%u00e9",
    /* repeated parameters */
    "/v1/search?q=a&q=b",
    "/v1/search?limit=1&limit=2",
    "/v1/search?pretty=1&pretty=1&q=a",
    "/v1/search?profession=10&profession=60",
    "/v1/search?dept=75&dept=13&dept=2A&dept=974",
    "/v1/search?facets=dept&facets=dept&q=a",
    "/v1/search?profession=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
    "/v1/search?dept=,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    /* empty and degenerate query strings */
    "/v1/search",
    "/v1/search?",
    "/v1/search??q=a",
    "/v1/search?&&&",
    "/v1/search?=",
    "/v1/search?q",
    "/v1/search?q=",
    "/v1/search?=a",
    "/v1/search?q==a",
    "/v1/search?q=a=b",
    "/v1/search?q=a;b",
    "/v1/suggest",
    "/v1/suggest?q=",
    "/v1/suggest?q=a+b+c",
    /* limit and offset */
    "/v1/search?q=a&limit=-1",
    "/v1/search?q=a&limit=0",
    "/v1/search?q=a&limit=101",
    "/v1/search?q=a&limit=100",
    "/v1/search?q=a&limit=2147483648",
    "/v1/search?q=a&limit=9223372036854775807",
    "/v1/search?q=a&limit=9223372036854775808",
    "/v1/search?q=a&limit=99999999999999999999999999999",
    "/v1/search?q=a&limit=-9223372036854775809",
    "/v1/search?q=a&limit=1e3",
    "/v1/search?q=a&limit=0x10",
    "/v1/search?q=a&limit=%205",
    "/v1/search?q=a&limit=5%20",
    "/v1/search?q=a&limit=+5",
    "/v1/search?q=a&limit=5.0",
    "/v1/search?q=a&limit=",
    "/v1/search?q=a&offset=-1",
    "/v1/search?q=a&offset=-0",
    "/v1/search?q=a&offset=10000",
    "/v1/search?q=a&offset=9990&limit=10",
    "/v1/search?q=a&offset=9991&limit=10",
    "/v1/search?q=a&offset=99999999999999999999999",
    "/v1/search?profession=10&offset=9900&limit=100",
    "/v1/suggest?q=a&limit=-5",
    "/v1/suggest?q=a&limit=100000",
    /* odd paths */
    "/",
    "/v1",
    "/v1/",
    "/v1/search/",
    "//v1/search?q=a",
    "/v1//search?q=a",
    "/v1/../v1/search?q=a",
    "/v1/./search?q=a",
    "/v1%2Fsearch?q=a",
    "/v1/search%2F?q=a",
    "/v1/practitioners/..%2F..%2F..%2Fetc%2Fpasswd",
    "/v1/practitioners/../../../etc/passwd",
    "/v1/practitioners/%2e%2e",
    "/v1/practitioners/",
    "/v1/practitioners",
    "/v1/practitioners//",
    "/v1/practitioners/123456789012345678901234567890123",
    "/v1/mssante/",
    "/v1/mssante/../../status",
    "/v1/mssante/%2F%2F",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/healthz/..",
    "/healthz/",
    "/v1/search;q=a",
    "/V1/SEARCH?q=a",
    "/v1/status?x=1",
    "/v1/professions?pretty=yes",
    "/v1/specialties/extra",
    "/favicon.ico",
    "/v1/search?q=martin#fragment",
    /* the web page's paths */
    "/p/",
    "/p/..%2F..%2Fetc%2Fpasswd",
    "/p/10000000001?format=csv",
    "/?format=vcard",
    "/?format=text",
    "/static/",
    "/static/../../etc/passwd",
    "/static/%2e%2e%2Fapp.js",
    "/static/app.js?v=",
    "/static/app.js?v=%FF",
    "/static/index.html",
};

static void test_encoding_paths(void)
{
    for (size_t i = 0; i < sizeof(encoding_cases) / sizeof(*encoding_cases);
         i++)
        get_check(encoding_cases[i], 0);
    /* 32 parameters and more. Past 32 http.c cuts the query string before
     * MHD stores them (on_uri()). Without that, 1,000 parameters (a 2 KB
     * URL) ran MHD's 64 KiB pool out: no answer until the idle timeout. This
     * pins what the cut relies on in libmicrohttpd 0.9.75 (the query string
     * is parsed after the URI log callback, from the buffer it was given): a
     * JSON 400 within a second, up to 30,000 parameters (a 60 KB URL). */
    static const struct {
        int n;
        const char *each;
    } counts[] = {{32, "&dept=75"}, {33, "&dept=75"}, {900, "&dept=75"},
                  {34, "&d"},       {1000, "&d"},     {10000, "&d"},
                  {30000, "&d"}};
    for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
        struct buf p;
        buf_init(&p, 1 << 20);
        buf_addstr(&p, "/v1/search?q=a");
        for (int k = 1; k < counts[i].n; k++)
            buf_addstr(&p, counts[i].each);
        struct ans a;
        req_timeout = 2;
        int rc = http(NULL, p.s, NULL, NULL, &a);
        req_timeout = 10;
        char what[64];
        snprintf(what, sizeof(what), "%d parameters", counts[i].n);
        check_answer(what, rc, &a, 0, 0);
        if (counts[i].n > 32) {
            T_EQ_INT(a.status, 400);
            T_CHECK(rc == 0 && a.secs < 1.0);
            T_CHECK(a.body.s && strstr(a.body.s, "too many parameters"));
        }
        buf_release(&a.body);
        buf_release(&p);
    }
}

static void test_methods(void)
{
    static const char *const methods[] = {
        "POST", "PUT", "DELETE",   "PATCH", "OPTIONS", "TRACE",
        "FOO",  "get", "PROPFIND", "HEAD",  "GET",
    };
    static const char *const paths[] = {"/v1/search?q=a", "/healthz",
                                        "/nowhere", "/v1/practitioners/x"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
        for (size_t k = 0; k < sizeof(paths) / sizeof(*paths); k++) {
            struct ans a;
            char what[128];
            snprintf(what, sizeof(what), "%s %s", methods[i], paths[k]);
            int rc = http(methods[i], paths[k], NULL, NULL, &a);
            check_answer(what, rc, &a, 0, strcmp(methods[i], "HEAD") == 0);
            buf_release(&a.body);
        }
    }
    /* Bodies: small, over the 1 KiB cap, announced huge. */
    char *big = xmalloc(4097);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    struct ans a;
    int rc = http("POST", "/v1/search?q=a", NULL, "q=martin", &a);
    check_answer("POST small body", rc, &a, 0, 0);
    buf_release(&a.body);
    rc = http("GET", "/v1/search?q=a", NULL, big, &a);
    check_answer("GET with 4 KiB body", rc, &a, 0, 0);
    buf_release(&a.body);
    static const char *const huge_cl[] = {"Content-Length: 1000000000",
                                          "Expect: 100-continue", NULL};
    rc = http("GET", "/v1/search?q=a", huge_cl, NULL, &a);
    check_answer("Content-Length 1e9", rc, &a, 0, 0);
    buf_release(&a.body);
    free(big);
}

static void test_headers(void)
{
    struct ans a;
    int rc;
    /* One header of 9 KiB (over http.c's 8 KiB), of 70 KiB and POOL_OK
     * (http.c answers 431), of 200 KiB (over MHD's 128 KiB pool: MHD
     * answers); 100 of 100 bytes. */
    static const size_t one[] = {1000, 9000, 70000, POOL_OK, 200 * 1024};
    for (size_t i = 0; i < sizeof(one) / sizeof(*one); i++) {
        struct buf h;
        buf_init(&h, 1 << 20);
        buf_addstr(&h, "X-Long: ");
        for (size_t k = 0; k < one[i]; k++)
            buf_add(&h, "b", 1);
        const char *hdrs[] = {h.s, NULL};
        char what[64];
        snprintf(what, sizeof(what), "%zu-byte header", one[i]);
        rc = http(NULL, "/v1/search?q=a", hdrs, NULL, &a);
        check_answer(what, rc, &a, one[i] > POOL_OK, 0);
        T_EQ_INT(a.status, one[i] > 8192 ? 431 : 200); /* http.c: 8 KiB */
        buf_release(&a.body);
        buf_release(&h);
    }
    const char *many[101];
    char store[100][120];
    for (int i = 0; i < 100; i++) {
        snprintf(store[i], sizeof(store[i]), "X-H%d: %0100d", i, 0);
        many[i] = store[i];
    }
    many[100] = NULL;
    rc = http(NULL, "/v1/search?q=a", many, NULL, &a);
    check_answer("100 headers", rc, &a, 0, 0);
    buf_release(&a.body);
    /* Odd values of the headers the server reads. */
    static const struct {
        const char *h;
        int mhd;
    } odd[] = {
        {"Accept-Encoding: gzip;q=abc", 0},
        {"Accept-Encoding: gzip;q=", 0},
        {"Accept-Encoding: gzip;q=-1", 0},
        {"Accept-Encoding: gzip;q=1e999", 0},
        {"Accept-Encoding: ;;;;,,,,gzip", 0},
        {"Accept-Encoding: gzipgzipgzip;q=0.5;q=0", 0},
        {"If-None-Match: *", 0},
        {"If-None-Match: W/", 0},
        {"If-None-Match: ,,,,,,,,", 0},
        {"If-None-Match: W/W/W/\"", 0},
        {"If-None-Match: \"", 0},
        {"Content-Length: 0", 0},
        {"Content-Length: abc", 1},
        {"Host: ", 0},
        {"Host: \xff\xfe", 0},
        {"Range: bytes=0-1", 0},
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
        const char *hdrs[] = {odd[i].h, NULL};
        rc = http(NULL, "/v1/search?q=martin&limit=100", hdrs, NULL, &a);
        check_answer(odd[i].h, rc, &a, odd[i].mhd, 0);
        buf_release(&a.body);
    }
}

/* ---- raw sockets ---- */

static int tcp_connect_to(const char *src, int to_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (src) {
        inet_pton(AF_INET, src, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            close(fd);
            return -1;
        }
    }
    sa.sin_port = htons((unsigned short)to_port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int tcp_connect(const char *src)
{
    return tcp_connect_to(src, port);
}

enum raw_outcome { RAW_ANSWER, RAW_CLOSED, RAW_SILENT };

/* Sends n bytes and reads one answer: its status and whether its body was
 * JSON. RAW_CLOSED: the server closed without answering; RAW_SILENT:
 * nothing within wait_ms (it waits for more of the request). */
static enum raw_outcome raw(const char *data, size_t n, int wait_ms,
                            int *status, int *json)
{
    *status = 0;
    *json = 0;
    int fd = tcp_connect(NULL);
    if (fd < 0)
        return RAW_CLOSED;
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, data + off, n - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may close before reading it all */
        off += (size_t)w;
    }
    char buf[16384];
    size_t got = 0;
    double end = now_s() + wait_ms / 1000.0;
    enum raw_outcome out = RAW_SILENT;
    for (;;) {
        int left = (int)((end - now_s()) * 1000);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r <= 0) {
            if (got == 0)
                out = RAW_CLOSED;
            break;
        }
        got += (size_t)r;
        buf[got] = '\0';
        char *eoh = strstr(buf, "\r\n\r\n");
        if (eoh) {
            /* Enough: the status line and headers are in. */
            out = RAW_ANSWER;
            if (strncmp(buf, "HTTP/1.", 7) == 0)
                *status = (int)strtol(buf + 9, NULL, 10);
            *json = strstr(buf, "application/json") != NULL &&
                    strstr(buf, "application/json") < eoh;
            break;
        }
        if (got >= sizeof(buf) - 1)
            break;
    }
    close(fd);
    return out;
}

struct raw_case {
    const char *what;
    const char *data;
    size_t n;
    int mhd; /* MHD may answer it itself (not JSON), or close */
};

/* The length from the literal: some hold a NUL. */
#define RAW(what, s, mhd)                                                      \
    {                                                                          \
        what, s, sizeof(s) - 1, mhd                                            \
    }

static const struct raw_case raw_cases[] = {
    RAW("garbage", "GARBAGE\r\n\r\n", 1),
    RAW("binary", "\x00\x01\x02\xff\r\n\r\n", 1),
    RAW("empty lines", "\r\n\r\n\r\n", 1),
    RAW("method only", "GET\r\n\r\n", 1),
    RAW("HTTP/0.9", "GET /\r\n\r\n", 1),
    RAW("HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 0),
    RAW("HTTP/1.1 without Host", "GET /v1/search?q=a HTTP/1.1\r\n\r\n", 1),
    RAW("lower-case version", "GET /healthz http/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("header without colon",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 1),
    RAW("folded header",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 1),
    RAW("NUL in path", "GET /v1/se\0arch?q=a HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("NUL in header",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 1),
    RAW("raw 0xFF in query",
        "GET /v1/search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("raw space in query",
        "GET /v1/search?q=a b HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("tab separators", "GET\t/healthz\tHTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("LF only", "GET /healthz HTTP/1.1\nHost: x\n\n", 1),
    RAW("bare CR", "GET /healthz HTTP/1.1\rHost: x\r\r", 1),
    RAW("absolute URI",
        "GET http://evil/v1/search?q=a HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n", 1),
    RAW("long method",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        " /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        1),
    RAW("Content-Length -1",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 1),
    RAW("Content-Length huge",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: "
        "99999999999999999999999\r\n\r\n",
        1),
    RAW("two Content-Lengths",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        "Content-Length: 2\r\n\r\nab",
        1),
    RAW("bad chunked body",
        "POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
        "\r\n\r\nzz\r\n\r\n",
        1),
    RAW("chunked and length",
        "POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
        "\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        1),
    /* A transfer coding MHD does not know: it waits for the body where RFC
     * 9112 6.1 says to answer 400. */
    RAW("Transfer-Encoding gzip",
        "POST /v1/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip"
        "\r\n\r\n",
        1),
    RAW("pipelined",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n"
        "Host: x\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n",
        0),
};

static void test_raw(void)
{
    for (size_t i = 0; i < sizeof(raw_cases) / sizeof(*raw_cases); i++) {
        const struct raw_case *c = &raw_cases[i];
        int st, json;
        enum raw_outcome o = raw(c->data, c->n, 1000, &st, &json);
        int ok;
        if (o == RAW_ANSWER) {
            ok = st >= 200 && st < 500 && (json || c->mhd);
            if (ok && !json) {
                printf("NOTE raw %s: %d answered by libmicrohttpd (not "
                       "JSON)\n",
                       c->what, st);
                notes++;
            }
        } else {
            /* Closing or waiting for the rest is a fair answer to bytes
             * that are not HTTP; never for a valid request. */
            ok = c->mhd;
            printf("NOTE raw %s: %s\n", c->what,
                   o == RAW_CLOSED ? "closed without an answer"
                                   : "no answer within 1 s (waits)");
            notes++;
        }
        if (!ok)
            fprintf(stderr, "FAIL raw %s: outcome %d, status %d, json %d\n",
                    c->what, (int)o, st, json);
        T_CHECK(ok);
    }
    /* An unknown HTTP version: MHD answers 505 HTTP Version Not Supported,
     * the one 5xx a client can cause, and it is RFC 9110's answer (MHD's,
     * not the application's: no hook in 0.9.75). Pinned here so that any
     * other 5xx fails. */
    int st, json;
    const char *v99 = "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n";
    enum raw_outcome o = raw(v99, strlen(v99), 1000, &st, &json);
    T_CHECK(o == RAW_ANSWER && (st == 505 || (st >= 200 && st < 500)));
    if (st == 505) {
        printf("NOTE raw HTTP/9.9: 505 answered by libmicrohttpd\n");
        notes++;
    }
    /* Big requests on a raw socket: within MHD's pool (POOL_OK) http.c
     * answers in JSON; past it MHD answers 414/431 itself or, just past it,
     * closes (no room left for the answer's headers). */
    static const struct {
        const char *what;
        int kind; /* 0 request line, 1 small headers, 2 one header, 3 */
        size_t n;
        int json; /* 1: http.c must answer */
    } big[] = {
        {"100 KiB request line", 0, 100 * 1024, 1},
        {"200 KiB request line", 0, 200 * 1024, 0},
        {"1000 small headers", 1, 1000, 1},
        {"2000 small headers", 1, 2000, 0},
        {"100 KiB header", 2, 100 * 1024, 1},
        {"1 MiB header", 2, 1 << 20, 0},
        {"3000 cookies", 3, 3000, 0},
    };
    for (size_t i = 0; i < sizeof(big) / sizeof(*big); i++) {
        struct buf b;
        buf_init(&b, 4 << 20);
        if (big[i].kind == 0) {
            buf_addstr(&b, "GET /v1/search?q=");
            for (size_t k = 0; k < big[i].n; k++)
                buf_add(&b, "a", 1);
            buf_addstr(&b, " HTTP/1.1\r\nHost: x\r\n\r\n");
        } else if (big[i].kind == 1) {
            buf_addstr(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
            for (size_t k = 0; k < big[i].n; k++)
                buf_addf(&b, "X-%zu: y\r\n", k);
            buf_addstr(&b, "\r\n");
        } else if (big[i].kind == 2) {
            buf_addstr(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
            for (size_t k = 0; k < big[i].n; k++)
                buf_add(&b, "z", 1);
            buf_addstr(&b, "\r\n\r\n");
        } else {
            /* MHD 0.9.75 parses cookies into its pool as it does
             * parameters, with no hook: it answers 431 itself. */
            buf_addstr(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ");
            for (size_t k = 0; k < big[i].n; k++)
                buf_addstr(&b, "a;");
            buf_addstr(&b, "\r\n\r\n");
        }
        o = raw(b.s, b.len, 3000, &st, &json);
        int ok =
            big[i].json
                ? o == RAW_ANSWER && json && (st == 414 || st == 431)
                : (o == RAW_ANSWER && st >= 400 && st < 500) || o == RAW_CLOSED;
        if (!ok)
            fprintf(stderr, "FAIL raw %s: outcome %d, status %d, json %d\n",
                    big[i].what, (int)o, st, json);
        T_CHECK(ok);
        if (o == RAW_ANSWER && !json) {
            printf("NOTE raw %s: %d answered by libmicrohttpd (not JSON)\n",
                   big[i].what, st);
            notes++;
        } else if (o == RAW_CLOSED) {
            printf("NOTE raw %s: closed without an answer\n", big[i].what);
            notes++;
        }
        buf_release(&b);
    }
    /* A client that sends a request and leaves at once, many times: the
     * server writes to a closed socket (SIGPIPE must not kill it). */
    for (int i = 0; i < 50; i++) {
        int fd = tcp_connect(NULL);
        if (fd < 0)
            continue;
        const char *r = "GET /v1/search?q=martin&limit=100 HTTP/1.1\r\n"
                        "Host: x\r\n\r\n";
        ssize_t w = send(fd, r, strlen(r), MSG_NOSIGNAL);
        (void)w;
        struct linger lg = {1, 0}; /* reset, not a clean close */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
    }
    /* A request dribbled a few bytes at a time. */
    int fd = tcp_connect(NULL);
    const char *slow = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t k = 0; fd >= 0 && k < strlen(slow); k += 3) {
        size_t n = strlen(slow) - k < 3 ? strlen(slow) - k : 3;
        if (send(fd, slow + k, n, MSG_NOSIGNAL) < 0)
            break;
        usleep(2000);
    }
    char buf[256] = "";
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t r = fd >= 0 && poll(&p, 1, 2000) > 0
                    ? recv(fd, buf, sizeof(buf) - 1, 0)
                    : -1;
    T_CHECK(r > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0);
    if (fd >= 0)
        close(fd);
}

/* ---- keep-alive and the idle timeout ---- */

/* http.c's CONN_TIMEOUT, in seconds. */
#define IDLE_TIMEOUT 15
/* rpps-server's --header-timeout (seconds) and --max-conns-per-ip
 * defaults. */
#define HEADER_TIMEOUT 15
#define PER_IP 64

/* Reads one answer on fd (its headers and Content-Length bytes of body)
 * within wait_ms: its status, or -1. */
static int read_answer(int fd, int wait_ms)
{
    char buf[16384];
    size_t got = 0, need = 0;
    double end = now_s() + wait_ms / 1000.0;
    for (;;) {
        char *eoh = got ? strstr(buf, "\r\n\r\n") : NULL;
        if (eoh && !need) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            need = (size_t)(eoh + 4 - buf) +
                   (cl && cl < eoh ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (need && got >= need)
            return strncmp(buf, "HTTP/1.1 ", 9) == 0
                       ? (int)strtol(buf + 9, NULL, 10)
                       : -1;
        int left = (int)((end - now_s()) * 1000);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0 || got >= sizeof(buf) - 1)
            return -1;
        ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
    }
}

/* A practice's software keeps its connection between queries: one
 * connection serves a request, stays idle 2 s, serves another on the same
 * socket, then stays idle until the server closes it, which must be after
 * IDLE_TIMEOUT seconds, not before. Run in a child started before the other
 * tests and collected after them, so that its wait overlaps theirs. The
 * child's exit status: tenths of a second from its last answer to the
 * close (250 at most), or KA_FIRST, KA_SECOND, KA_OPEN on a failure. */
enum { KA_FIRST = 251, KA_SECOND, KA_OPEN };
static pid_t keepalive_start(void)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = tcp_connect(NULL);
    if (fd < 0 || send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
        read_answer(fd, 10000) != 200)
        _exit(KA_FIRST);
    sleep(2);
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
        read_answer(fd, 10000) != 200)
        _exit(KA_SECOND); /* not kept alive */
    double t0 = now_s();
    struct pollfd p = {fd, POLLIN, 0};
    char c;
    if (poll(&p, 1, (IDLE_TIMEOUT + 10) * 1000) != 1 || recv(fd, &c, 1, 0) > 0)
        _exit(KA_OPEN); /* not closed, or sent something */
    double secs = now_s() - t0;
    _exit(secs * 10 < 250 ? (int)(secs * 10) : 250);
}

static void keepalive_check(pid_t pid)
{
    int st = 0;
    T_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    int tenths = WEXITSTATUS(st);
    if (tenths > 250)
        printf("keep-alive: FAILED: %s\n",
               tenths == KA_FIRST    ? "no answer to the first request"
               : tenths == KA_SECOND ? "no answer on the kept connection"
                                     : "not closed, or data sent");
    else
        printf("keep-alive: second request on the same connection after 2 s"
               " idle answered; closed after %.1f s idle (timeout %d s)\n",
               tenths / 10.0, IDLE_TIMEOUT);
    /* Not before the timeout; and closed within IDLE_TIMEOUT + 10 s (the
     * child's wait), which the former 30 s timeout failed. Alone the close
     * comes at 15.0 s; with the machine loaded by other tests, MHD 0.9.75
     * has closed it up to 6.5 s late. */
    T_CHECK(tenths >= (IDLE_TIMEOUT - 1) * 10 && tenths <= 250);
}

/* ---- idle connections ---- */

/* 300 idle connections from one address (127.0.0.2), half of them with a
 * request begun and never finished: other clients must still be answered
 * within a second. MHD caps one address at PER_IP connections
 * (--max-conns-per-ip), so the rest are refused: one client cannot take
 * all 900. */
static void test_idle(void)
{
    enum { IDLE = 300 };
    int fds[IDLE];
    int opened = 0;
    for (int i = 0; i < IDLE; i++) {
        fds[i] = tcp_connect("127.0.0.2");
        if (fds[i] < 0)
            continue;
        opened++;
        if (i % 2) {
            const char *part = "GET /v1/search?q=martin HTTP/1.1\r\nHost: x";
            ssize_t w = send(fds[i], part, strlen(part), MSG_NOSIGNAL);
            (void)w;
        }
    }
    T_EQ_INT(opened, IDLE);
    usleep(200000);
    /* Which of them has the server closed? */
    int closed = 0;
    for (int i = 0; i < IDLE; i++) {
        if (fds[i] < 0)
            continue;
        char c;
        ssize_t r = recv(fds[i], &c, 1, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed++;
    }
    printf("idle: %d connections from 127.0.0.2, %d closed by the server\n",
           opened, closed);
    T_CHECK(closed >= IDLE - PER_IP);
    T_CHECK(closed < IDLE);
    /* Others are served, promptly. */
    double worst = 0;
    static const char *const paths[] = {"/healthz", "/v1/search?q=martin",
                                        "/v1/suggest?q=du",
                                        "/v1/search?profession=10&dept=75"};
    for (int i = 0; i < 20; i++) {
        struct ans a;
        int rc = http(NULL, paths[i % 4], NULL, NULL, &a);
        T_CHECK(rc == 0 && a.status == 200);
        if (a.secs > worst)
            worst = a.secs;
        buf_release(&a.body);
    }
    printf("idle: 20 requests from another address, slowest %.3f s\n", worst);
    T_CHECK(worst < 1.0);
    for (int i = 0; i < IDLE; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* ---- slow-drip headers ---- */

/* A client that sends its request line, then a header line every 4 s
 * (each within the idle timeout, which every byte restarts) and never the
 * end of its headers, which held a connection for as long as it went on:
 * the server must close it HEADER_TIMEOUT seconds after it opened, not
 * before. Run in a child beside the other tests, as the keep-alive one.
 * Exit status: tenths of a second from opening to the close (250 at most),
 * or DRIP_FAIL (cannot connect), DRIP_DATA (answered), DRIP_OPEN (still
 * open after 30 s). */
enum { DRIP_FAIL = 251, DRIP_DATA, DRIP_OPEN };
static pid_t drip_start(void)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    static const char line[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    double t0 = now_s();
    int fd = tcp_connect(NULL);
    if (fd < 0 || send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
        _exit(DRIP_FAIL);
    while (now_s() - t0 < 30) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 4000) == 1) {
            char c;
            if (recv(fd, &c, 1, 0) > 0)
                _exit(DRIP_DATA);
            break; /* closed (or reset) */
        }
        if (send(fd, "X-Drip: 1\r\n", 11, MSG_NOSIGNAL) < 0)
            break;
    }
    double secs = now_s() - t0;
    if (secs >= 30)
        _exit(DRIP_OPEN);
    _exit(secs * 10 < 250 ? (int)(secs * 10) : 250);
}

static void drip_check(pid_t pid)
{
    int st = 0;
    T_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    int tenths = WEXITSTATUS(st);
    if (tenths > 250)
        printf("drip: FAILED: %s\n", tenths == DRIP_FAIL ? "cannot connect"
                                     : tenths == DRIP_DATA
                                         ? "answered an unfinished request"
                                         : "still open after 30 s");
    else
        printf("drip: a header line every 4 s, closed %.1f s after opening"
               " (header timeout %d s)\n",
               tenths / 10.0, HEADER_TIMEOUT);
    /* Not before the deadline; within 25 s (the watchdog looks every
     * 250 ms; MHD then closes at its next turn, late on a loaded
     * machine, as for the idle timeout). */
    T_CHECK(tenths >= (HEADER_TIMEOUT - 1) * 10 && tenths <= 250);
}

/* ---- connections from a few addresses ---- */

static int send_get(int fd, const char *path)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    return send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Eight addresses open 120 idle connections each, 960 in all, more than
 * the server takes: each keeps at most PER_IP, and a client from another
 * address is still served at once. With 256 an address, four addresses
 * took all 900 and shut everyone else out. */
static void test_addresses(void)
{
    enum { NADDR = 8, EACH = 120 };
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1200 &&
        (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 1200)) {
        rl.rlim_cur = 1200;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 1200) {
        printf("SKIP addresses: 1,200 file descriptors needed\n");
        return;
    }
    static int fds[NADDR][EACH];
    int kept[NADDR];
    for (int a = 0; a < NADDR; a++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%d", 10 + a);
        for (int k = 0; k < EACH; k++)
            fds[a][k] = tcp_connect(src);
    }
    /* Counted until no address has more than PER_IP open, for 10 s at
     * most: connections the server has not accepted yet (its backlog, at
     * load average 10 still full 300 ms after the last connect) look kept
     * from here until it closes them. */
    int worst = 0;
    double until = now_s() + 10;
    do {
        usleep(100000);
        worst = 0;
        for (int a = 0; a < NADDR; a++) {
            kept[a] = 0;
            for (int k = 0; k < EACH; k++) {
                if (fds[a][k] < 0)
                    continue;
                char c;
                ssize_t r = recv(fds[a][k], &c, 1, MSG_DONTWAIT);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    kept[a]++;
            }
            if (kept[a] > worst)
                worst = kept[a];
        }
    } while (worst > PER_IP && now_s() < until);
    /* Each on a new connection (libcurl would reuse its own); limit=5 so
     * that the search's answer fits read_answer()'s 16 KB (20 records with
     * their first_seen dates and activity ids no longer do). */
    double slowest = 0;
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        double t0 = now_s();
        int fd = tcp_connect(NULL);
        ok += fd >= 0 &&
              send_get(fd, i % 2 ? "/healthz"
                                 : "/v1/search?q=martin&limit=5") == 0 &&
              read_answer(fd, 2000) == 200;
        if (now_s() - t0 > slowest)
            slowest = now_s() - t0;
        if (fd >= 0)
            close(fd);
    }
    printf("addresses: %d x %d connections, at most %d kept from one; 10"
           " requests from another: %d answered, slowest %.3f s\n",
           NADDR, EACH, worst, ok, slowest);
    T_CHECK(worst <= PER_IP);
    T_EQ_INT(ok, 10);
    T_CHECK(slowest < 1.0);
    for (int a = 0; a < NADDR; a++)
        for (int k = 0; k < EACH; k++)
            if (fds[a][k] >= 0)
                close(fds[a][k]);
}

/* ---- the work limits of a request ---- */

/* A server of its own on the same database, with RPPS_SEARCH_SLOW_US set
 * (each candidate a search examines costs that much more: api.h) and
 * extra options (NULL-terminated). Its port, or -1. */
static int aux_start(const char *db, const char *slow_us,
                     const char *const *extra, pid_t *pid, char *log,
                     size_t logn)
{
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/rpps-server", build);
    snprintf(log, logn, "%s/aux-%d.log", tmpdir, rand());
    const char *argv[16] = {bin,           "--db",      db, "--listen",
                            "127.0.0.1:0", "--threads", "2"};
    int argc = 7;
    for (; extra && *extra && argc < 15; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    *pid = fork();
    if (*pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        setenv("RPPS_SEARCH_SLOW_US", slow_us, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        usleep(20000);
        FILE *f = fopen(log, "r");
        if (!f)
            continue;
        char line[512];
        int p = 0;
        while (fgets(line, sizeof(line), f)) {
            char *at = strstr(line, "listening on port ");
            if (at)
                p = (int)strtol(at + 18, NULL, 10);
        }
        fclose(f);
        if (p)
            return p;
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = 0;
            return -1;
        }
    }
    return -1;
}

static void aux_stop(pid_t pid, const char *log)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int st = 0;
    T_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
            WEXITSTATUS(st) == 0);
    FILE *f = fopen(log, "r");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof(line), f))
            if (strstr(line, "Sanitizer") || strstr(line, "runtime error")) {
                fprintf(stderr, "aux server: %s", line);
                T_CHECK(0);
            }
        fclose(f);
    }
}

/* Filters alone, a page far down their match (profession 60: 644 of the
 * 2,000): read a candidate at a time up to it. At 20 ms a candidate
 * (RPPS_SEARCH_SLOW_US), 13 s: as the near= searches with filters alone
 * took tens of seconds at full scale. */
#define SLOW_SEARCH "/v1/search?profession=60&offset=600&limit=44"
#define SLOW_US "20000"

/* Two such searches on the two threads of a server: each answers after
 * the deadline (250 ms) with what it found and total_exact false, and a
 * /healthz between them is answered at once. */
static void test_deadline(const char *db)
{
    pid_t pid;
    char log[512];
    int p = aux_start(db, SLOW_US, NULL, &pid, log, sizeof(log));
    T_CHECK(p > 0);
    if (p <= 0)
        return;
    int fd[2];
    double t0 = now_s();
    for (int i = 0; i < 2; i++) {
        fd[i] = tcp_connect_to(NULL, p);
        T_CHECK(fd[i] >= 0 && send_get(fd[i], SLOW_SEARCH) == 0);
    }
    usleep(20000);
    int saved = port;
    port = p;
    struct ans a;
    int rc = http(NULL, "/healthz", NULL, NULL, &a);
    port = saved;
    T_CHECK(rc == 0 && a.status == 200);
    double health = a.secs;
    buf_release(&a.body);
    double worst = 0;
    int cut = 0;
    for (int i = 0; i < 2; i++) {
        char buf[65536];
        size_t got = 0;
        while (fd[i] >= 0 && got < sizeof(buf) - 1) {
            struct pollfd pf = {fd[i], POLLIN, 0};
            if (poll(&pf, 1, 15000) != 1)
                break;
            ssize_t r = recv(fd[i], buf + got, sizeof(buf) - 1 - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
            buf[got] = '\0';
            if (strstr(buf, "\"results\"") && buf[got - 1] == '}')
                break;
        }
        buf[got] = '\0';
        if (now_s() - t0 > worst)
            worst = now_s() - t0;
        cut += strncmp(buf, "HTTP/1.1 200", 12) == 0 &&
               strstr(buf, "\"total_exact\":false") != NULL;
        if (fd[i] >= 0)
            close(fd[i]);
    }
    printf("deadline: two searches of ~13 s answered within %.3f s, %d of"
           " them cut (total_exact false); /healthz meanwhile %.3f s\n",
           worst, cut, health);
    T_EQ_INT(cut, 2);
    /* 0.25 s each, both at once: margins for a loaded machine. */
    T_CHECK(worst < 3.0);
    T_CHECK(health < 2.0);
    aux_stop(pid, log);
}

/* A client that sends such a search and closes its connection 300 ms
 * later, three times, on a server with one thread and a deadline of a
 * minute: the work stops when the client has gone, so a /healthz right
 * after is answered at once (it waited for the three: ~40 s). */
static void test_hangup(const char *db)
{
    pid_t pid;
    char log[512];
    const char *opts[] = {"--threads", "1", "--deadline-ms", "60000", NULL};
    int p = aux_start(db, SLOW_US, opts, &pid, log, sizeof(log));
    T_CHECK(p > 0);
    if (p <= 0)
        return;
    for (int i = 0; i < 3; i++) {
        int fd = tcp_connect_to(NULL, p);
        T_CHECK(fd >= 0 && send_get(fd, SLOW_SEARCH) == 0);
        usleep(300000);
        if (fd >= 0)
            close(fd);
    }
    int saved = port;
    port = p;
    struct ans a;
    int rc = http(NULL, "/healthz", NULL, NULL, &a);
    port = saved;
    printf("hang-up: three searches of ~13 s abandoned after 0.3 s;"
           " /healthz right after: %.3f s\n",
           a.secs);
    T_CHECK(rc == 0 && a.status == 200);
    T_CHECK(a.secs < 2.0);
    buf_release(&a.body);
    aux_stop(pid, log);
}

static void cleanup(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
    if (tmpdir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

int main(void)
{
    build = getenv("BUILD") ? getenv("BUILD") : "build";
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof(tmpdir), "%s/hostile.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(cleanup);
    char db[512];
    snprintf(db, sizeof(db), "%s/x.db", tmpdir);
    double t0 = now_s();
    if (make_db(db) != 0 || server_start(db) < 0) {
        fprintf(stderr, "cannot set up the database and server\n");
        T_CHECK(0);
        return t_done();
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    printf("set-up %.1f s, server on port %d\n", now_s() - t0, port);

    pid_t keepalive = keepalive_start();
    pid_t drip = drip_start();
    test_syntax();
    test_long();
    test_encoding_paths();
    test_methods();
    test_headers();
    test_raw();
    T_CHECK(server_alive());
    test_idle();
    test_addresses();
    test_deadline(db);
    test_hangup(db);
    keepalive_check(keepalive);
    drip_check(drip);

    /* Still alive, still right, stops cleanly. */
    struct ans a;
    int rc = http(NULL, "/v1/search?q=martin", NULL, NULL, &a);
    check_answer("after all", rc, &a, 0, 0);
    T_EQ_INT(a.status, 200);
    buf_release(&a.body);
    T_CHECK(server_alive());
    kill(server_pid, SIGTERM);
    int st = 0, gone = 0;
    for (int i = 0; i < 1000 && !gone; i++) {
        if (waitpid(server_pid, &st, WNOHANG) == server_pid)
            gone = 1;
        else
            usleep(10000);
    }
    T_CHECK(gone && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (gone)
        server_pid = 0;
    FILE *f = fopen(server_log, "r");
    if (f) {
        char line[1024];
        int bad = 0;
        while (fgets(line, sizeof(line), f))
            if (strstr(line, "Sanitizer") || strstr(line, "runtime error")) {
                fprintf(stderr, "server log: %s", line);
                bad = 1;
            }
        fclose(f);
        T_CHECK(!bad);
    }
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    printf("%d notes, %.1f s in all\n", notes, now_s() - t0);
    return t_done();
}
