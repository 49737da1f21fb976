/* Where a query's CPU goes without HTTP: the API handlers called directly,
 * in this process, on the query sets tools/bench-query writes, in their
 * mixed order (so caches behave as in the mixed run), each request's
 * thread CPU time added to its kind. Prints, per kind, the mean µs per
 * request (the median over passes of each pass's mean), the median
 * request and the kind's share of the total: the numbers
 * tools/bench-query's throughput is made of, with none of its noise
 * (wrk on the same cores, the scheduler).
 *
 * Usage: bench-handlers DB QUERYDIR [PASSES] [KIND...]
 *   QUERYDIR holds one file of request targets per kind (default kinds:
 *   issue 3's five: prefix name_prof_city filters id suggest); the targets
 *   of all kinds are interleaved in a fixed pseudo-random order and run
 *   PASSES times (default 3), the first pass a warm-up.
 * SLOW=N also lists each kind's N slowest targets; CACHE_MB=N sets the
 * rendered records kept (rpps-server --cache-mb, default 8); DEADLINE_MS=N
 * each request's deadline (rpps-server --deadline-ms, default 250; 0:
 * none, to see what its checks cost), with a client-gone check that polls
 * a socket as rpps-server's does. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api.h"
#include "search.h"
#include "structure.h"
#include "db.h"
#include "fhir.h"
#include "util.h"

#define KINDS_MAX 16

struct target {
    int kind;
    char *path; /* decoded path */
    struct api_param p[API_MAX_PARAMS];
    size_t np;
};

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* URL-decodes s in place (as libmicrohttpd does: '+' is a space). */
static size_t url_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
            *w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static int parse_target(char *line, int kind, struct target *t)
{
    t->kind = kind;
    t->np = 0;
    char *q = strchr(line, '?');
    if (q)
        *q++ = '\0';
    url_decode(line);
    t->path = line;
    for (char *kv = q; kv && *kv;) {
        char *amp = strchr(kv, '&');
        if (amp)
            *amp = '\0';
        if (t->np == API_MAX_PARAMS)
            return -1;
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        struct api_param *p = &t->p[t->np++];
        p->klen = url_decode(kv);
        p->key = kv;
        p->val = eq ? eq + 1 : "";
        p->vlen = eq ? url_decode(eq + 1) : 0;
        kv = amp ? amp + 1 : NULL;
    }
    return 0;
}

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double deadline_ms = 250;
static int client_fd = -1;

/* http.c's client_gone(), on one end of a socket pair whose other end
 * stays open. */
static int client_gone(void *arg)
{
    (void)arg;
    struct pollfd p = {.fd = client_fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static void run_one(struct db_conn *c, const struct target *t)
{
    static const struct {
        const char *path;
        int prefix;
        api_handler *fn;
    } routes[] = {
        {"/v1/search", 0, api_search},
        {"/v1/suggest", 0, api_suggest},
        {"/v1/practitioners/", 1, api_practitioner},
        {"/v1/mssante/", 1, api_mssante},
        {"/v1/structures/", 1, api_structure},
        {"/v1/structures", 0, api_structures},
        {"/fhir/", 1, api_fhir},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t pl = strlen(routes[i].path);
        if (routes[i].prefix ? strncmp(t->path, routes[i].path, pl) != 0
                             : strcmp(t->path, routes[i].path) != 0)
            continue;
        struct api_req req = {.rest = t->path + (routes[i].prefix ? pl : 0),
                              .params = t->p,
                              .nparams = t->np,
                              .text_ok = 1,
                              .host = "localhost"};
        struct api_resp resp = {0};
        /* As http.c calls a handler. */
        db_request_begin(c, deadline_ms, client_gone, NULL);
        routes[i].fn(c, &req, &resp);
        db_request_end(c);
        /* What http.c does with the answer, short of sending it. */
        if (resp.body) {
            char *s = json_dumps(resp.body, JSON_COMPACT);
            free(s);
            json_decref(resp.body);
        }
        free(resp.text);
        return;
    }
    fprintf(stderr, "bench-handlers: no route for %s\n", t->path);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: bench-handlers DB QUERYDIR [PASSES] [KIND...]\n");
        return 2;
    }
    int passes = argc > 3 ? atoi(argv[3]) : 3;
    const char *def[] = {"prefix", "name_prof_city", "filters", "id",
                         "suggest"};
    const char *kinds[KINDS_MAX];
    int nk = 0;
    if (argc > 4)
        for (int i = 4; i < argc && nk < KINDS_MAX; i++)
            kinds[nk++] = argv[i];
    else
        for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
            kinds[nk++] = def[i];
    if (passes < 2)
        passes = 2;

    struct target *t = NULL;
    size_t nt = 0, cap = 0;
    for (int k = 0; k < nk; k++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[2], kinds[k]);
        FILE *f = fopen(path, "r");
        if (!f) {
            perror(path);
            return 1;
        }
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (!*line)
                continue;
            if (nt == cap) {
                cap = cap ? cap * 2 : 1024;
                t = xrealloc(t, cap * sizeof(*t));
            }
            if (parse_target(xstrdup(line), k, &t[nt]) == 0)
                nt++;
        }
        fclose(f);
    }
    /* A fixed shuffle (xorshift), so that runs compare. */
    unsigned long long x = 88172645463325252ull;
    for (size_t i = nt; i > 1; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % i);
        struct target tmp = t[i - 1];
        t[i - 1] = t[j];
        t[j] = tmp;
    }

    if (getenv("DEADLINE_MS"))
        deadline_ms = atof(getenv("DEADLINE_MS"));
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0)
        client_fd = pair[0];
    /* As rpps-server (main.c): no allocation statistics, no mutex. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* CACHE_MB: rendered records kept (rpps-server's --cache-mb). */
    const char *cmb = getenv("CACHE_MB");
    if (cmb)
        db_cache_bytes = (size_t)atol(cmb) << 20;
    db_init(argv[1], 1);
    struct db_conn *c = db_acquire();
    if (!c) {
        fprintf(stderr, "bench-handlers: cannot open %s\n", argv[1]);
        return 1;
    }
    double *us = xcalloc(nt * (size_t)(passes - 1), sizeof(*us));
    double sum[KINDS_MAX] = {0}, total = 0;
    size_t cnt[KINDS_MAX] = {0};
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < nt; i++) {
            double t0 = cpu_us();
            run_one(c, &t[i]);
            double d = cpu_us() - t0;
            if (p == 0)
                continue;
            us[(size_t)(p - 1) * nt + i] = d;
            sum[t[i].kind] += d;
            cnt[t[i].kind]++;
            total += d;
        }
    /* Per kind: the median request, and the median over passes of each
     * pass's mean (a pass the machine was busy during moves the means of
     * that pass only). */
    printf("%-16s %8s %10s %10s %8s\n", "kind", "requests", "mean_us",
           "median_us", "share");
    size_t all = 0;
    double *pm = xcalloc((size_t)passes, sizeof(*pm));
    for (int k = 0; k <= nk; k++) {
        double *v = xcalloc(nt * (size_t)(passes - 1) + 1, sizeof(*v));
        size_t n = 0;
        for (int p = 0; p < passes - 1; p++) {
            double ps = 0;
            size_t pn = 0;
            for (size_t i = 0; i < nt; i++)
                if (k == nk || t[i].kind == k) {
                    v[n++] = us[(size_t)p * nt + i];
                    ps += us[(size_t)p * nt + i];
                    pn++;
                }
            pm[p] = pn ? ps / (double)pn : 0;
        }
        qsort(v, n, sizeof(*v), dbl_cmp);
        qsort(pm, (size_t)(passes - 1), sizeof(*pm), dbl_cmp);
        double mean = pm[(passes - 1) / 2];
        if (k < nk) {
            printf("%-16s %8zu %10.1f %10.1f %7.1f%%\n", kinds[k], n, mean,
                   n ? v[n / 2] : 0, total > 0 ? 100 * sum[k] / total : 0);
            all += n;
        } else {
            printf("%-16s %8zu %10.1f %10.1f\n", "all", all, mean,
                   n ? v[n / 2] : 0);
        }
        free(v);
    }
    free(pm);
    /* SLOW=N: each kind's N slowest targets (their median pass). */
    const char *slow = getenv("SLOW");
    int ns = slow ? atoi(slow) : 0;
    if (ns > 0) {
        struct {
            double us;
            size_t i;
        } *r = xcalloc(nt, sizeof(*r));
        double *pv = xcalloc((size_t)passes, sizeof(*pv));
        for (size_t i = 0; i < nt; i++) {
            for (int p = 0; p < passes - 1; p++)
                pv[p] = us[(size_t)p * nt + i];
            qsort(pv, (size_t)(passes - 1), sizeof(*pv), dbl_cmp);
            r[i].us = pv[(passes - 1) / 2];
            r[i].i = i;
        }
        for (int k = 0; k < nk; k++) {
            printf("slowest %s:\n", kinds[k]);
            for (int j = 0; j < ns; j++) {
                size_t best = nt;
                for (size_t i = 0; i < nt; i++)
                    if (t[r[i].i].kind == k && r[i].us >= 0 &&
                        (best == nt || r[i].us > r[best].us))
                        best = i;
                if (best == nt)
                    break;
                const struct target *tg = &t[r[best].i];
                printf("  %8.1f us  %s", r[best].us, tg->path);
                for (size_t q = 0; q < tg->np; q++)
                    printf("%c%s=%s", q ? '&' : '?', tg->p[q].key,
                           tg->p[q].val);
                printf("\n");
                r[best].us = -1;
            }
        }
        free(pv);
        free(r);
    }
    free(us);
    db_shutdown();
    return 0;
}
