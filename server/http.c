/* libmicrohttpd glue. See http.h.
 *
 * Every answer goes through queue(), which counts it for /metrics (by
 * endpoint and status, with a latency histogram: lock-free counters) and,
 * with --access-log, writes one line for it to stderr.
 *
 * The access handler answers on its second call: queuing a response on the
 * first call turns keep-alive off, which halved the throughput when
 * measured. Sizes a client controls are capped before anything is
 * allocated for them: the URL (414), the header block (431), the body (413,
 * and no route takes one), the number of query parameters (400, counted by
 * on_uri() before MHD stores them), and MHD's per-connection memory pool
 * bounds the rest. Time a client controls is capped too: a connection
 * idle for CONN_TIMEOUT is closed by MHD, one that has not completed a
 * request within --header-timeout by the watchdog (watch.h), and a request's
 * work by its deadline (db.h). */
#include "http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <microhttpd.h>
#include <zlib.h>

#include "api.h"
#include "changes.h"
#include "search.h"
#include "structure.h"
#include "export.h"
#include "fhir.h"
#include "util.h"
#include "watch.h"
#include "web.h"
#include "banned.h"

/* 4 KiB of URL is far beyond any search (a value is capped at 256 bytes,
 * 32 parameters); 8 KiB of headers is what common servers accept. */
#define MAX_URL 4096
#define MAX_HEADERS 8192
#define MAX_BODY 1024
/* A FHIR search by POST (POST [base]/{Type}/_search) carries its parameters
 * as a form body, which clients use for what would make the URL too long:
 * the same cap as the URL. Only those routes take a body. */
#define MAX_FORM MAX_URL
/* MHD's pool per connection holds the request line, the headers (and a
 * record of about 50 bytes for each header and parameter) and the response
 * headers; a request that does not fit gets MHD's own HTML 414 or 431, or,
 * within some 200 bytes above the limit, no answer (MHD cannot fit the
 * response headers: "failed to create response header"). 128 KiB lets
 * request targets up to about 127 KiB, single headers up to about 127 KiB
 * and 1,750 small headers reach on_request(), which answers its own JSON
 * 414/431 (docs/reliability.md has the measured thresholds). The cost: once
 * a connection has served a request MHD has zeroed its whole pool, so every
 * keep-alive connection holds 128 KiB of RSS (800 of them: +101 MiB,
 * against +51 MiB with 64 KiB and +201 MiB with 256 KiB, measured), and
 * the 900 of --max-conns' default about 113 MiB. */
#define CONN_MEMORY (128 * 1024)
/* Idle connections are closed after this many seconds without a byte
 * either way: 15 s keeps a practice's software on one connection between
 * queries typed in a row (nginx keeps 75 s, Apache 5 s), and bounds how long
 * an idle or stalled client holds a slot and its pool. */
#define CONN_TIMEOUT 15
/* Below this many bytes gzip costs more than it saves. (The connection
 * limits are options, struct http_opts: their defaults are in main.c, with
 * the reasons for their numbers.) */
#define GZIP_MIN 512

static struct MHD_Daemon *daemon_;
/* The options, set once by http_start(). */
static struct http_opts opts;

/* The connection's entry in the header watchdog's list (watch.h), or
 * NULL. */
static struct watch_conn *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

struct route {
    const char *path;
    int prefix;   /* path is a prefix; the rest goes to the handler */
    int needs_db; /* 503 while no database is loaded */
    int etag;     /* the answer depends only on the dataset */
    api_handler *fn;
};

/* The page's paths: never called. on_request() sends the page (web.h) or,
 * to a terminal, the search or a record as text (export.h). */
static api_handler page_route;

static const struct route routes[] = {
    {"/v1/search", 0, 1, 1, api_search},
    {"/v1/suggest", 0, 1, 1, api_suggest},
    {"/v1/practitioners/", 1, 1, 1, api_practitioner},
    {"/v1/mssante/", 1, 1, 1, api_mssante},
    {"/v1/structures/", 1, 1, 1, api_structure},
    {"/v1/structures", 0, 1, 1, api_structures},
    {"/v1/professions", 0, 1, 1, api_professions},
    {"/v1/specialties", 0, 1, 1, api_specialties},
    {"/v1/changes", 0, 1, 1, api_changes},
    {"/v1/changes.csv", 0, 1, 1, api_changes_csv},
    {"/v1/changes.atom", 0, 1, 1, api_changes_atom},
    {"/v1/status", 0, 1, 0, api_status},
    {"/healthz", 0, 0, 0, api_healthz},
    {"/readyz", 0, 0, 0, api_readyz},
    {"/metrics", 0, 0, 0, NULL}, /* Prometheus text, see send_metrics() */
    /* The FHIR facade (fhir.h), /fhir/v2/... and /fhir/... alike; not
     * tagged: its links name the host the client asked. */
    {"/fhir/", 1, 1, 0, api_fhir},
    {"/", 0, 0, 0, page_route},
    {"/p/", 1, 0, 0, page_route},
    {"/static/", 1, 0, 0, page_route},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Metrics: per endpoint (the routes, then "other" for unknown paths), the
 * answers by status and a latency histogram, measured from the request's
 * first call to the queuing of its answer. */
static const int statuses[] = {200, 204, 304, 400, 404, 405,
                               410, 413, 414, 431, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
/* Upper bounds in seconds: the targets are 1 ms (median), 10 ms (p99). */
static const double buckets[] = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,   0.05,   0.1,   0.25,   1.0};
#define NBUCKET (sizeof(buckets) / sizeof(buckets[0]))
static struct {
    atomic_ulong count[NROUTES + 1][NSTATUS + 1]; /* [..][NSTATUS]: other */
    atomic_ulong hist[NROUTES + 1][NBUCKET + 1];  /* [..][NBUCKET]: +Inf */
    atomic_ullong sum_ns[NROUTES + 1];
} metrics;

struct rstate {
    size_t body;  /* bytes of request body seen */
    double t0;    /* monotonic, when the request line was read */
    int route;    /* index in routes, NROUTES while unknown */
    int started;  /* the access handler has had its first call */
    int too_many; /* on_uri() found too many parameters and cut them */
    const char *method, *url;
    const struct api_param *params;
    size_t nparams;
    const char *vary; /* a Vary value beside Accept-Encoding, or NULL */
    char *form;       /* a FHIR POST's body (MAX_FORM), or NULL */
    size_t formlen;
    char disposition[160]; /* a Content-Disposition value, or "" */
};

/* The request the calling MHD thread is answering (one at a time). */
static _Thread_local struct rstate *cur;

/* Appends v to b for a log line: printable ASCII and UTF-8 as they are,
 * spaces, quotes, controls and '%' as %XX, so a line stays one line. */
static void log_escape(struct buf *b, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '%' || ch == '&' ||
            ch == '=')
            buf_addf(b, "%%%02X", ch);
        else
            buf_add(b, &v[i], 1);
    }
}

/* One access log line on stderr: time, client, method, path and query (as
 * decoded), status, body bytes, milliseconds. Off by default: a query can
 * name a patient's doctor. */
static void log_access(struct MHD_Connection *conn, const struct rstate *rs,
                       unsigned status, size_t bytes, double secs)
{
    char addr[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                      addr, sizeof(addr));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      addr, sizeof(addr));
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    struct buf b;
    buf_init(&b, 16384);
    buf_addf(&b, "%s.%03ldZ %s ", when, ts.tv_nsec / 1000000, addr);
    /* The method is the client's too (MHD takes any bytes up to the first
     * space: escape sequences, CR): escaped as the rest. */
    log_escape(&b, rs->method ? rs->method : "-",
               rs->method ? strlen(rs->method) : 1);
    buf_add(&b, " ", 1);
    log_escape(&b, rs->url ? rs->url : "-", rs->url ? strlen(rs->url) : 1);
    for (size_t i = 0; i < rs->nparams; i++) {
        buf_add(&b, i ? "&" : "?", 1);
        log_escape(&b, rs->params[i].key, rs->params[i].klen);
        buf_add(&b, "=", 1);
        log_escape(&b, rs->params[i].val, rs->params[i].vlen);
    }
    buf_addf(&b, " %u %zu %.3f\n", status, bytes, secs * 1000);
    /* One write per line: lines of concurrent requests do not mix. */
    fprintf(stderr, "rpps-server: access %s", b.len ? b.s : "\n");
    buf_release(&b);
}

/* Counts the answer of the current request and logs it. */
static void account(struct MHD_Connection *conn, unsigned status, size_t bytes)
{
    struct rstate *rs = cur;
    if (!rs)
        return;
    double secs = now_s() - rs->t0;
    int e = rs->route;
    size_t k = 0;
    while (k < NSTATUS && statuses[k] != (int)status)
        k++;
    atomic_fetch_add(&metrics.count[e][k], 1);
    size_t j = 0;
    while (j < NBUCKET && secs > buckets[j])
        j++;
    atomic_fetch_add(&metrics.hist[e][j], 1);
    atomic_fetch_add(&metrics.sum_ns[e],
                     (unsigned long long)(secs * 1e9 + 0.5));
    if (opts.access_log)
        log_access(conn, rs, status, bytes, secs);
    cur = NULL; /* one answer per request */
}

/* The page's policy: its own files only (no inline script or style, no
 * other origin: nothing about who is searched leaves the network), no
 * framing, no form posting elsewhere. */
#define CSP                                                                    \
    "default-src 'self'; base-uri 'none'; form-action 'self';"                 \
    " frame-ancestors 'none'"

/* Headers every answer carries (the page, its files and the API's: a JSON
 * or text body is never sniffed into HTML, and no referrer leaves: a
 * search can say which doctor a patient sees), and the current request's
 * negotiated ones. */
static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (cur && cur->vary) {
        /* One Vary header: some caches read only the first. */
        const char *was = MHD_get_response_header(r, MHD_HTTP_HEADER_VARY);
        char v[128];
        snprintf(v, sizeof(v), "%s%s%s", was ? was : "", was ? ", " : "",
                 cur->vary);
        if (was)
            MHD_del_response_header(r, MHD_HTTP_HEADER_VARY, was);
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, v);
    }
    if (cur && cur->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", cur->disposition);
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *r, size_t bytes)
{
    add_common_headers(r);
    /* Answered: out of the header deadline until the next request. */
    watch_busy(watch_of(conn));
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    account(conn, status, bytes);
    return ret;
}

struct args {
    struct api_param p[API_MAX_PARAMS + 1];
    size_t n;
    size_t bytes;
    int too_many;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, size_t klen,
                                   const char *val, size_t vlen)
{
    (void)kind;
    struct args *a = cls;
    a->bytes += klen + vlen + 2;
    if (a->n >= API_MAX_PARAMS + 1) {
        a->too_many = 1;
        return MHD_YES;
    }
    a->p[a->n].key = key;
    a->p[a->n].klen = klen;
    a->p[a->n].val = val ? val : "";
    a->p[a->n].vlen = val ? vlen : 0;
    a->n++;
    return MHD_YES;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, size_t klen, const char *val,
                                  size_t vlen)
{
    (void)kind;
    (void)key;
    (void)val;
    *(size_t *)cls += klen + vlen + 4;
    return MHD_YES;
}

/* 1 if the client takes gzip: "gzip" listed without q=0. */
static int accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    const char *p = ae;
    while ((p = strcasestr(p, "gzip")) != NULL) {
        const char *e = p + 4;
        while (*e == ' ')
            e++;
        if (*e == ';') {
            const char *qv = strstr(e, "q=");
            const char *comma = strchr(e, ',');
            if (qv && (!comma || qv < comma)) {
                double qf = strtod(qv + 2, NULL);
                if (qf <= 0)
                    return 0;
            }
        }
        return 1;
    }
    return 0;
}

/* gzip of s[0..n) into a new buffer; NULL on failure. */
static char *gzip_buf(const char *s, size_t n, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* Level 1: about 4 times faster than the default for JSON, still ~6:1. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, n);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)s;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outn = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* 1 if an If-None-Match list names etag (weak comparison) or is "*". */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    const char *opaque = etag + 2; /* past W/ */
    size_t olen = strlen(opaque);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len == olen && memcmp(p, opaque, olen) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static enum MHD_Result send_body(struct MHD_Connection *conn, int status,
                                 char *body, size_t n, const char *etag, int gz,
                                 int vary, const char *ctype)
{
    struct MHD_Response *r;
    int zipped = 0;
    if (gz && n >= GZIP_MIN) {
        size_t zn;
        char *z = gzip_buf(body, n, &zn);
        if (z) {
            free(body);
            body = z;
            n = zn;
            zipped = 1;
        }
    }
    r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            ctype ? ctype : "application/json; charset=utf-8");
    if (zipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (vary)
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (etag) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    if (status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    if (status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (opts.cors)
        MHD_add_response_header(r, "Access-Control-Allow-Origin", opts.cors);
    enum MHD_Result ret = queue(conn, (unsigned)status, r, n);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn,
                                 struct api_resp *resp, int pretty,
                                 const char *etag, int gz)
{
    if (resp->text && !pretty) {
        char *t = resp->text;
        resp->text = NULL;
        return send_body(conn, resp->status, t, resp->textlen, etag, gz, 1,
                         resp->ctype);
    }
    if (resp->text) {
        /* pretty=1 (for people reading it): indent the text. */
        resp->body = json_loadb(resp->text, resp->textlen, 0, NULL);
        free(resp->text);
        resp->text = NULL;
    }
    char *s = resp->body ? json_dumps(resp->body,
                                      pretty ? JSON_INDENT(2) : JSON_COMPACT)
                         : NULL;
    json_decref(resp->body);
    resp->body = NULL;
    if (!s) {
        /* Cannot happen with bodies built from valid strings; say so in
         * JSON rather than dropping the connection. */
        s = xstrdup("{\"error\":{\"status\":503,\"message\":\"encoding\"}}");
        resp->status = 503;
    }
    size_t n = strlen(s);
    if (pretty) {
        s = realloc(s, n + 2);
        if (!s)
            abort();
        s[n++] = '\n';
        s[n] = '\0';
    }
    return send_body(conn, resp->status, s, n, etag, gz, 1, resp->ctype);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status,
                                  const char *msg)
{
    struct api_resp resp = {0};
    /* Under the FHIR facade, an OperationOutcome: its clients read every
     * answer as FHIR. */
    if (cur && fhir_url(cur->url))
        fhir_http_error(&resp, status, msg);
    else
        api_error(&resp, status, "%s", msg);
    return send_json(conn, &resp, 0, NULL, 0);
}

/* GET /metrics: Prometheus text format 0.0.4, gzip'd when the client takes
 * it, as Prometheus asks (Accept-Encoding: gzip): the histograms of each
 * endpoint make it 10-20 KB, about a tenth of that gzip'd. */
static enum MHD_Result send_metrics(struct MHD_Connection *conn,
                                    struct db_conn *c, int gz)
{
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    buf_addstr(&b, "# HELP rpps_http_requests_total Answers by endpoint and"
                   " status.\n# TYPE rpps_http_requests_total counter\n");
    for (size_t e = 0; e <= NROUTES; e++) {
        const char *name = e < NROUTES ? routes[e].path : "other";
        for (size_t k = 0; k <= NSTATUS; k++) {
            unsigned long n = atomic_load(&metrics.count[e][k]);
            if (!n)
                continue;
            if (k < NSTATUS)
                buf_addf(&b,
                         "rpps_http_requests_total{endpoint=\"%s\","
                         "status=\"%d\"} %lu\n",
                         name, statuses[k], n);
            else
                buf_addf(&b,
                         "rpps_http_requests_total{endpoint=\"%s\","
                         "status=\"other\"} %lu\n",
                         name, n);
        }
    }
    buf_addstr(&b, "# HELP rpps_http_request_duration_seconds Time from"
                   " the request to its answer being queued.\n"
                   "# TYPE rpps_http_request_duration_seconds histogram\n");
    for (size_t e = 0; e <= NROUTES; e++) {
        const char *name = e < NROUTES ? routes[e].path : "other";
        unsigned long cum = 0;
        for (size_t j = 0; j <= NBUCKET; j++)
            cum += atomic_load(&metrics.hist[e][j]);
        if (!cum)
            continue;
        cum = 0;
        for (size_t j = 0; j <= NBUCKET; j++) {
            cum += atomic_load(&metrics.hist[e][j]);
            if (j < NBUCKET)
                buf_addf(&b,
                         "rpps_http_request_duration_seconds_bucket{"
                         "endpoint=\"%s\",le=\"%g\"} %lu\n",
                         name, buckets[j], cum);
            else
                buf_addf(&b,
                         "rpps_http_request_duration_seconds_bucket{"
                         "endpoint=\"%s\",le=\"+Inf\"} %lu\n",
                         name, cum);
        }
        buf_addf(&b,
                 "rpps_http_request_duration_seconds_sum{endpoint=\"%s\"}"
                 " %.9f\n"
                 "rpps_http_request_duration_seconds_count{endpoint=\"%s\"}"
                 " %lu\n",
                 name, (double)atomic_load(&metrics.sum_ns[e]) / 1e9, name,
                 cum);
    }
    buf_addf(&b,
             "# HELP rpps_http_header_timeouts_total Connections closed"
             " because a request had not arrived whole within"
             " --header-timeout.\n"
             "# TYPE rpps_http_header_timeouts_total counter\n"
             "rpps_http_header_timeouts_total %lu\n",
             watch_cut_count());
    api_metrics_db(c, &b);
    size_t n;
    char *t = buf_detach(&b, &n);
    return send_body(conn, 200, t, n, NULL, gz, 1,
                     "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- The web page, and the API's other formats (web.h, export.h) ---- */

/* A file of the page: from memory (prepared once), gzip'd if asked, with
 * its ETag; a year's max-age when the URL carries its version. */
static enum MHD_Result send_page(struct MHD_Connection *conn, const char *url,
                                 const struct api_param *p, size_t np, int gz)
{
    const struct web_file *f = web_find(url);
    if (!f)
        return send_error(conn, 404, "no such file");
    const char *v = NULL;
    for (size_t i = 0; i < np; i++)
        if (strcmp(p[i].key, "v") == 0)
            v = p[i].val;
    const char *cache = web_immutable(f, v)
                            ? "public, max-age=31536000, immutable"
                            : "no-cache";
    char weak[32]; /* etag_matches() takes the W/ form */
    snprintf(weak, sizeof(weak), "W/%s", f->etag);
    const char *inm = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    int fresh = etag_matches(inm, weak);
    int zipped = !fresh && gz && f->gz;
    size_t n = fresh ? 0 : zipped ? f->gzlen : f->len;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        n, (void *)(uintptr_t)(zipped ? f->gz : f->data),
        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (!fresh)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->ctype);
    if (zipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, f->etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    enum MHD_Result ret =
        queue(conn, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r, n);
    MHD_destroy_response(r);
    return ret;
}

/* "/" for a terminal that gives no query: how to search with curl. */
static enum MHD_Result send_usage(struct MHD_Connection *conn, int gz)
{
    struct buf b;
    size_t n;
    buf_init(&b, 64 * 1024);
    export_usage(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_HOST),
                 &b);
    char *t = buf_detach(&b, &n);
    return send_body(conn, 200, t, n, NULL, gz, 1, export_ctype(EXPORT_TEXT));
}

/* A handler's answer in another format than JSON: a 200 rendered by
 * export.c (a download says its file name), an error as a line of text
 * for text, as JSON for CSV and vCard (the status says it already). */
static enum MHD_Result send_export(struct MHD_Connection *conn,
                                   struct api_resp *resp, enum export_kind kind,
                                   enum export_format fmt, const char *etag,
                                   int gz)
{
    if (resp->status != 200 && fmt != EXPORT_TEXT)
        return send_json(conn, resp, 0, NULL, gz);
    char *dumped = NULL;
    const char *json = resp->text;
    size_t n = resp->textlen;
    if (!json) {
        dumped = resp->body ? json_dumps(resp->body, JSON_COMPACT) : NULL;
        json = dumped ? dumped : "{}";
        n = strlen(json);
    }
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    char fname[96];
    int rc = 0, status = resp->status;
    if (status == 410 && fmt == EXPORT_TEXT) {
        /* A removed professional's last known record, said so first. */
        json_t *g = json_loadb(json, n, 0, NULL);
        const char *last = json_string_value(json_object_get(g, "last_seen"));
        buf_addf(&b, "retiré de l'annuaire (dernier extrait : %s)\n",
                 last ? last : "?");
        json_decref(g);
        rc = export_render(fmt, kind, json, n, &b, fname, sizeof(fname));
        fname[0] = '\0';
    } else if (status == 200) {
        rc = export_render(fmt, kind, json, n, &b, fname, sizeof(fname));
    } else {
        export_error_text(json, n, &b);
    }
    free(dumped);
    free(resp->text);
    resp->text = NULL;
    json_decref(resp->body);
    resp->body = NULL;
    if (rc < 0) {
        buf_release(&b);
        return send_error(conn, 503, "encoding");
    }
    if (status == 200 && fname[0] && cur)
        snprintf(cur->disposition, sizeof(cur->disposition),
                 "attachment; filename=\"%s\"", fname);
    char *t = buf_detach(&b, &n);
    return send_body(conn, status, t, n, status == 200 ? etag : NULL, gz, 1,
                     export_ctype(fmt));
}

static void page_route(struct db_conn *c, const struct api_req *r,
                       struct api_resp *out)
{
    (void)c;
    (void)r;
    api_error(out, 404, "no such endpoint");
}

static const struct route *route_of(api_handler *fn)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (routes[i].fn == fn)
            return &routes[i];
    return NULL;
}

/* Which answer a request gets. On the page's paths, the page (or, for a
 * terminal, the search at "/" and a record at "/p/{id}" as text); on the
 * search and record routes, the format asked for (export_choose()), the
 * handler then getting the parameters without format (copied into kept).
 * 1 when it has sent the answer itself (*sent says how that went), else 0
 * with *rt, *req and *fmt set. */
static int negotiate(struct MHD_Connection *conn, const char *url, int gz,
                     const struct route **rt, struct api_req *req,
                     struct api_param *kept, enum export_format *fmt,
                     enum MHD_Result *sent)
{
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT);
    enum export_format dflt = EXPORT_JSON;
    const char *format = NULL;
    int formats = 0;
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].key, "format") == 0) {
            format = req->params[i].val;
            formats++;
        }
    if ((*rt)->fn == page_route) {
        const char *ua = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        int is_root = strcmp((*rt)->path, "/") == 0;
        int is_static = strcmp((*rt)->path, "/static/") == 0;
        if (!is_static && cur)
            cur->vary = "Accept, User-Agent"; /* the page or text */
        if (is_static || !(format || export_wants_text(accept, ua))) {
            *sent = send_page(conn, url, req->params, req->nparams, gz);
            return 1;
        }
        if (is_root && req->nparams == 0) {
            *sent = send_usage(conn, gz);
            return 1;
        }
        *rt = route_of(is_root ? api_search : api_practitioner);
        dflt = EXPORT_TEXT;
    }
    if ((*rt)->fn != api_search && (*rt)->fn != api_practitioner)
        return 0;
    if (formats > 1) {
        *sent = send_error(conn, 400, "parameter 'format' given twice");
        return 1;
    }
    const char *err = NULL;
    enum export_kind kind =
        (*rt)->fn == api_search ? EXPORT_SEARCH : EXPORT_RECORD;
    if (export_choose(kind, format, accept, dflt, fmt, &err) < 0) {
        *sent = send_error(conn, 400, err);
        return 1;
    }
    if (!format && cur && !cur->vary)
        cur->vary = "Accept";
    if (format) {
        size_t n = 0;
        for (size_t i = 0; i < req->nparams; i++)
            if (strcmp(req->params[i].key, "format") != 0)
                kept[n++] = req->params[i];
        req->params = kept;
        req->nparams = n;
    }
    return 0;
}

/* The number of parameters MHD makes of the query string s: one per '&'
 * (empty names included), and one for the last piece if it is not empty. */
static size_t count_params(const char *s)
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++)
        n += s[i] == '&';
    return n + (len && s[len - 1] != '&');
}

/* MHD_OPTION_URI_LOG_CALLBACK: called once per request, with the raw request
 * target, as soon as the request line is read; what it returns is the
 * request's *con_cls, freed by on_completed().
 *
 * It also keeps too many parameters away from MHD. libmicrohttpd 0.9.75
 * parses the query string right after this call (parse_initial_message_line
 * in connection.c), in place in the read buffer that holds this target, and
 * stores a record of about 50 bytes per parameter in the connection's pool
 * (CONN_MEMORY). A 2 KB target of 1,000 "&d" ran a 64 KiB pool out: MHD logged
 * "Not enough memory in pool to allocate header record", sent nothing and
 * held the socket until the idle timeout. So past API_MAX_PARAMS the query
 * string is cut here, by a NUL right after its '?', and on_request() answers
 * 400 itself. This writes into MHD's buffer, which the 0.9.75 API does not
 * promise (MHD itself writes a NUL over the '?' next): test_hostile.c pins
 * it (1,000, 10,000 and 30,000 parameters must get a prompt JSON 400); with
 * an MHD that copies the target first, the cut does nothing and that test
 * fails. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct rstate *rs = xcalloc(1, sizeof(*rs));
    rs->t0 = now_s();
    rs->route = NROUTES;
    char *q = uri ? strchr(uri, '?') : NULL;
    if (q && count_params(q + 1) > API_MAX_PARAMS) {
        rs->too_many = 1;
        q[1] = '\0';
    }
    return rs;
}

/* 1 once the client has closed its connection (or reset it): the answer
 * would go nowhere, so its work stops (db.h). POLLRDHUP sees the close even
 * behind a pipelined request not yet read. A client that only half-closes
 * after its request (shutdown(SHUT_WR): no browser or HTTP library does)
 * counts as gone too, as nginx counts it. */
static int client_gone(void *arg)
{
    struct pollfd p = {.fd = *(const int *)arg, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* The route of url (its index in *idx), the rest of url past the route's
 * path in *rest; NULL if none. */
static const struct route *route_find(const char *url, const char **rest,
                                      int *idx)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t pl = strlen(routes[i].path);
        if (routes[i].prefix ? strncmp(url, routes[i].path, pl) == 0
                             : strcmp(url, routes[i].path) == 0) {
            *idx = (int)i;
            *rest = url + pl;
            return &routes[i];
        }
    }
    return NULL;
}

/* The answer to a CORS preflight (OPTIONS, with --cors). */
static enum MHD_Result send_preflight(struct MHD_Connection *conn)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Access-Control-Allow-Origin", opts.cors);
    MHD_add_response_header(r, "Access-Control-Allow-Methods",
                            "GET, HEAD, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers",
                            "If-None-Match, Accept-Encoding");
    MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
    enum MHD_Result ret = queue(conn, 204, r, 0);
    MHD_destroy_response(r);
    return ret;
}

/* Answers a GET or HEAD of route rt (rest: the URL past its path) with
 * the parameters a, on the database connection c (NULL when none). */
static enum MHD_Result serve(struct MHD_Connection *conn, const char *url,
                             const struct route *rt, const char *rest,
                             struct args *a, struct db_conn *c)
{
    const char *ae = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    int gz = accepts_gzip(ae);
    struct api_param kept[API_MAX_PARAMS + 1];
    struct api_req req = {.rest = rest,
                          .params = a->p,
                          .nparams = a->n,
                          .text_ok = 1,
                          .host = MHD_lookup_connection_value(
                              conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)};
    enum export_format fmt = EXPORT_JSON;
    enum MHD_Result sent;
    if (negotiate(conn, url, gz, &rt, &req, kept, &fmt, &sent))
        return sent;
    int pretty = 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->p[i].key, "pretty") == 0)
            pretty = strcmp(a->p[i].val, "0") != 0 &&
                     strcmp(a->p[i].val, "false") != 0;

    if (!rt->fn)
        return send_metrics(conn, c, gz);
    if (!c && rt->needs_db) {
        /* In the format asked for: a line of text for a terminal, as
         * every other error it gets (send_export()). */
        struct api_resp resp = {0};
        api_error(&resp, 503, "no database loaded yet");
        if (fmt == EXPORT_TEXT)
            return send_export(conn, &resp, EXPORT_SEARCH, fmt, NULL, gz);
        return send_json(conn, &resp, 0, NULL, gz);
    }
    const char *etag = rt->etag && c ? db_etag(c) : NULL;
    char fetag[128]; /* another format, another tag: W/"...-csv" */
    if (etag && fmt != EXPORT_JSON) {
        static const char *const fname[] = {"json", "text", "csv", "vcard"};
        snprintf(fetag, sizeof(fetag), "%.*s-%s\"", (int)strlen(etag) - 1, etag,
                 fname[fmt]);
        etag = fetag;
    }
    if (etag) {
        const char *inm = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (etag_matches(inm, etag)) {
            struct MHD_Response *r = MHD_create_response_from_buffer(
                0, NULL, MHD_RESPMEM_PERSISTENT);
            MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
            MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
            if (opts.cors)
                MHD_add_response_header(r, "Access-Control-Allow-Origin",
                                        opts.cors);
            enum MHD_Result ret = queue(conn, MHD_HTTP_NOT_MODIFIED, r, 0);
            MHD_destroy_response(r);
            return ret;
        }
    }
    struct api_resp resp = {0};
    /* The handler runs here, on MHD's thread, which reads nothing more of
     * this connection meanwhile: its socket stays open, and a close by
     * the client can be seen on it without disturbing MHD. */
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = fi ? fi->connect_fd : -1;
    if (c)
        db_request_begin(c, opts.deadline_ms, fd >= 0 ? client_gone : NULL,
                         &fd);
    rt->fn(c, &req, &resp);
    if (c)
        db_request_end(c);
    if (!resp.body && !resp.text)
        api_error(&resp, 503, "no answer");
    if (resp.ctype && resp.text && resp.status == 200) {
        /* An answer of its own type (the changes' CSV and Atom). */
        if (resp.filename && cur)
            snprintf(cur->disposition, sizeof(cur->disposition),
                     "attachment; filename=\"%s\"", resp.filename);
        return send_body(conn, resp.status, resp.text, resp.textlen, etag, gz,
                         1, resp.ctype);
    }
    if (fmt != EXPORT_JSON)
        return send_export(conn, &resp,
                           rt->fn == api_search ? EXPORT_SEARCH : EXPORT_RECORD,
                           fmt, resp.status == 200 ? etag : NULL, gz);
    return send_json(conn, &resp, pretty, resp.status == 200 ? etag : NULL, gz);
}

/* 1 if url takes a POST: a FHIR search (POST [base]/{Type}/_search). */
static int fhir_post_ok(const char *url)
{
    size_t n = strlen(url);
    return strncmp(url, "/fhir/", 6) == 0 && n >= 8 &&
           strcmp(url + n - 8, "/_search") == 0;
}

/* The body a request may carry: a FHIR search's form, else MAX_BODY (no
 * other route reads one). */
static size_t body_max(const char *method, const char *url)
{
    return method && url && strcmp(method, "POST") == 0 && fhir_post_ok(url)
               ? MAX_FORM
               : MAX_BODY;
}

/* Appends the parameters of a form body (application/x-www-form-urlencoded:
 * k=v&k=v, '+' for a space, %XX escapes) to a, decoded in place in form,
 * which must live as long as a. Past API_MAX_PARAMS it sets a->too_many. */
static void form_args(char *form, struct args *a)
{
    char *s = form;
    while (s && *s) {
        char *amp = strchr(s, '&');
        if (amp)
            *amp = '\0';
        if (*s) {
            char *eq = strchr(s, '=');
            if (eq)
                *eq = '\0';
            for (char *t = s; *t; t++)
                if (*t == '+')
                    *t = ' ';
            char *v = eq ? eq + 1 : NULL;
            for (char *t = v; t && *t; t++)
                if (*t == '+')
                    *t = ' ';
            size_t kl = MHD_http_unescape(s), vl = v ? MHD_http_unescape(v) : 0;
            collect_arg(a, MHD_POSTDATA_KIND, s, kl, v, vl);
        }
        s = amp ? amp + 1 : NULL;
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    struct rstate *rs = *con_cls;
    if (!rs) /* MHD calls on_uri() first; in case one does not */
        rs = *con_cls = on_uri(NULL, NULL, conn);
    if (!rs->started) {
        rs->started = 1;
        rs->method = method;
        rs->url = url;
        cur = rs;
        /* A body announced too large is refused before it is read (and
         * before MHD says "100 Continue"). */
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > body_max(method, url))
            return send_error(conn, 413, "request body too large");
        return MHD_YES;
    }
    cur = rs;
    rs->method = method;
    rs->url = url;
    size_t bmax = body_max(method, url);
    if (*upload_data_size) {
        if (bmax == MAX_FORM && rs->body + *upload_data_size <= MAX_FORM) {
            if (!rs->form)
                rs->form = xmalloc(MAX_FORM + 1);
            memcpy(rs->form + rs->formlen, upload_data, *upload_data_size);
            rs->formlen += *upload_data_size;
            rs->form[rs->formlen] = '\0';
        }
        rs->body += *upload_data_size;
        *upload_data_size = 0;
        if (rs->body > bmax)
            return send_error(conn, 413, "request body too large");
        return MHD_YES;
    }
    if (rs->body > bmax)
        return send_error(conn, 413, "request body too large");
    const char *clen = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen && strtoull(clen, NULL, 10) > bmax)
        return send_error(conn, 413, "request body too large");

    size_t hbytes = 0;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, sum_header, &hbytes);
    if (hbytes > MAX_HEADERS)
        return send_error(conn, 431, "request headers too large");
    struct args a = {.n = 0};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    rs->params = a.p;
    rs->nparams = a.n;
    if (strlen(url) + a.bytes > MAX_URL)
        return send_error(conn, 414, "request URL too long");
    if (rs->form)
        form_args(rs->form, &a);
    rs->nparams = a.n;

    const char *rest = "";
    const struct route *rt = route_find(url, &rest, &rs->route);
    if (!rt)
        return send_error(conn, 404, "no such endpoint");
    if (strcmp(method, "OPTIONS") == 0 && opts.cors)
        return send_preflight(conn);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
        !(strcmp(method, "POST") == 0 && fhir_post_ok(url)))
        return send_error(conn, 405, "method not allowed: use GET");
    if (a.too_many || rs->too_many) {
        char msg[64];
        snprintf(msg, sizeof(msg), "too many parameters (at most %d)",
                 API_MAX_PARAMS);
        return send_error(conn, 400, msg);
    }
    struct db_conn *c = db_acquire();
    enum MHD_Result ret = serve(conn, url, rt, rest, &a, c);
    /* The request is over: a connection to a file no longer served goes
     * now, and with the last one its dataset (db.h). */
    db_release(c);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct rstate *rs = *con_cls;
    if (rs)
        free(rs->form);
    free(rs);
    *con_cls = NULL;
    /* Ready for the next request: its header deadline starts now. */
    watch_ready(watch_of(conn));
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (fi)
            *socket_context = watch_add(fi->connect_fd);
        return;
    }
    /* Before MHD closes the socket (watch.h). */
    watch_remove(*socket_context);
    *socket_context = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    log_warn("http: %s", line);
}

/* "host:port" or "[v6]:port" to a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    char host[256];
    const char *colon;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof(host))
            return -1;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        colon = e + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof(host))
            return -1;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == '\0')
        return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof(ps), "%ld", port);
    if (getaddrinfo(host[0] ? host : NULL, ps, &hints, &ai) != 0 || !ai)
        return -1;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int http_start(const struct http_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_listen(o->listen, &ss, &sl) < 0) {
        log_error("--listen %s: expected HOST:PORT", o->listen);
        return -1;
    }
    opts = *o;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    daemon_ = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 1),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_conns_per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_END);
    if (!daemon_) {
        log_error("cannot listen on %s", o->listen);
        return -1;
    }
    if (watch_start(o->header_timeout) < 0) {
        http_stop();
        return -1;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : -1;
}

void http_stop(void)
{
    if (daemon_) {
        MHD_stop_daemon(daemon_);
        daemon_ = NULL;
    }
    watch_stop();
}
