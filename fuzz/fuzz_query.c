/* libFuzzer target for the server's request handling below HTTP: a raw
 * request target ("rest?query") is split and URL-decoded the way
 * libmicrohttpd does it (MHD_parse_arguments_: '&' then the first '=', '+'
 * to space, then MHD_http_unescape, so "%00" yields a NUL inside a value),
 * capped as http.c caps it (4 KiB of URL, API_MAX_PARAMS + 1 parameters),
 * and handed to the real handlers (server/query.c, search.c, record.c) on a
 * read-only connection to a small real database: parameter validation, the
 * q/name/given tokeniser, the FTS5 expression built from it, and the SQL it
 * runs. The first input byte picks the endpoint.
 *
 * The handlers need a database (search resolves profession labels through
 * it), so this target needs one: FUZZ_QUERY_DB names a file built by
 * rpps-import (fuzz/run.sh builds it from rpps-gen data). Checks, beyond
 * memory errors: every answer has a JSON body that serialises, its status is
 * 200, 400 or 404 (never 5xx: with a healthy database a 5xx means client
 * input reached SQLite as syntax), and an error body carries its status.
 * Not covered: MHD's own parsing of the request line and headers, http.c's
 * gzip, ETag and header caps (the hostile-request test drives those through
 * a real socket). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api.h"
#include "search.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* http.c's MAX_URL: longer requests get a 414 before any handler runs. */
#define FUZZ_MAX_URL 4096

static struct db_conn *conn;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *p = getenv("FUZZ_QUERY_DB");
    if (!p || !*p) {
        fprintf(stderr, "fuzz_query: set FUZZ_QUERY_DB to a database built"
                        " by rpps-import (fuzz/run.sh does)\n");
        exit(1);
    }
    log_quiet(1);
    conn = db_conn_open(p);
    if (!conn) {
        fprintf(stderr, "fuzz_query: cannot open %s\n", p);
        exit(1);
    }
    return 0;
}

struct route {
    api_handler *fn;
    int prefix; /* takes the path remainder */
};

static const struct route routes[] = {
    {api_search, 0},  {api_suggest, 0},     {api_practitioner, 1},
    {api_mssante, 1}, {api_professions, 0}, {api_specialties, 0},
    {api_status, 0},  {api_healthz, 0},
};

static void unescape_plus(char *s)
{
    for (; *s; s++)
        if (*s == '+')
            *s = ' ';
}

struct args {
    struct api_param p[API_MAX_PARAMS + 1];
    size_t n, bytes;
    int too_many;
};

/* http.c's collect_arg(). */
static void add_arg(struct args *a, const char *key, size_t klen,
                    const char *val, size_t vlen)
{
    a->bytes += klen + vlen + 2;
    if (a->n >= API_MAX_PARAMS + 1) {
        a->too_many = 1;
        return;
    }
    a->p[a->n].key = key;
    a->p[a->n].klen = klen;
    a->p[a->n].val = val ? val : "";
    a->p[a->n].vlen = val ? vlen : 0;
    a->n++;
}

/* libmicrohttpd 0.9.75's MHD_parse_arguments_(), in place. */
static void parse_args(char *s, struct args *a)
{
    while (s && *s) {
        char *eq = strchr(s, '=');
        char *amp = strchr(s, '&');
        size_t kl, vl;
        if (!amp) {
            if (!eq) {
                unescape_plus(s);
                kl = MHD_http_unescape(s);
                add_arg(a, s, kl, NULL, 0);
                return;
            }
            *eq++ = '\0';
            unescape_plus(s);
            kl = MHD_http_unescape(s);
            unescape_plus(eq);
            vl = MHD_http_unescape(eq);
            add_arg(a, s, kl, eq, vl);
            return;
        }
        *amp++ = '\0';
        if (!eq || eq >= amp) {
            unescape_plus(s);
            kl = MHD_http_unescape(s);
            add_arg(a, s, kl, NULL, 0);
            s = amp;
            continue;
        }
        *eq++ = '\0';
        unescape_plus(s);
        kl = MHD_http_unescape(s);
        unescape_plus(eq);
        vl = MHD_http_unescape(eq);
        add_arg(a, s, kl, eq, vl);
        s = amp;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_URL)
        return 0;
    const struct route *rt =
        &routes[data[0] % (sizeof(routes) / sizeof(routes[0]))];
    /* The request target as a C string, as MHD holds it. */
    char *url = xstrndup((const char *)data + 1, size - 1);
    char *q = strchr(url, '?');
    if (q)
        *q++ = '\0';
    MHD_http_unescape(url); /* MHD decodes the path too */
    struct args a = {.n = 0};
    parse_args(q, &a);
    if (a.too_many) {
        free(url); /* http.c answers 400 itself */
        return 0;
    }
    struct api_req req = {
        .rest = rt->prefix ? url : "", .params = a.p, .nparams = a.n};
    struct api_resp resp = {0};
    rt->fn(conn, &req, &resp);
    if (!resp.body)
        abort();
    if (resp.status != 200 && resp.status != 400 && resp.status != 404) {
        fprintf(stderr, "fuzz_query: status %d\n", resp.status);
        abort();
    }
    char *s = json_dumps(resp.body, JSON_COMPACT);
    if (!s)
        abort();
    if (resp.status != 200) {
        json_t *e = json_object_get(resp.body, "error");
        if (json_integer_value(json_object_get(e, "status")) != resp.status)
            abort();
    }
    free(s);
    json_decref(resp.body);
    free(url);
    return 0;
}
