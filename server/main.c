/* rpps-server: the JSON search API over the database rpps-import builds.
 * Start-up errors (bad options, a port in use) are fatal; a database that
 * is missing or not one this server can serve is not (503 until a good one
 * appears). Afterwards the main thread only waits for signals and looks at
 * the database path once a second so that a new import is picked up
 * without a restart (SIGHUP forces a look). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "api.h"
#include "search.h"
#include "db.h"
#include "fhir.h"
#include "http.h"
#include "util.h"
#include "banned.h"

/* A request's work stops after this many milliseconds and answers what it
 * found (db.h): the searches of the benchmark sets take 10 ms at worst at
 * full scale, the costliest ones built to cost much took tens of seconds
 * (docs/reliability.md). 250 ms leaves the facets their own 200 ms budget
 * after a search (at 200, a facet count that budget completed was cut
 * short), keeps a twentyfold margin over the searches, and never holds a
 * thread of --threads 2 longer than that. */
#define DEADLINE_MS 250
/* A connection gets this many seconds to deliver each whole request
 * (line, headers and body), counted from its opening or its previous
 * answer: the idle timeout's (http.c CONN_TIMEOUT), so that an idle
 * keep-alive connection is kept as long as before, and one that dribbles
 * its headers no longer (it was kept forever). */
#define HEADER_TIMEOUT 15
/* Connections at once: the default soft limit of file descriptors is
 * 1024, and the process needs some for SQLite and the listening socket.
 * Each one that has served a request holds 128 KiB (http.c CONN_MEMORY). */
#define MAX_CONNS 900
/* From one client address: a few addresses must not be able to take the
 * whole server (with 256, four did, idle or dribbling). 64 lets a client
 * run a benchmark's 16 or a load test's 64 connections (tools/bench-query,
 * tools/load-test) and leaves the 900 to no fewer than 15 addresses. Behind
 * a reverse proxy every client has the proxy's address: raise it there,
 * or set 0 (no limit) and let the proxy limit its clients. */
#define MAX_CONNS_PER_IP 64
/* File descriptors beyond the connections: SQLite's (a few per thread's
 * connection, more during a swap), the listening socket, epoll, logs. */
#define FD_SPARE 124

/* Makes room for max connections in the file descriptor limit, raising
 * the soft limit up to the hard one if need be. -1 (logged) if it cannot. */
static int fd_room(unsigned max)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0; /* cannot tell: let accept() fail later */
    rlim_t need = (rlim_t)max + FD_SPARE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
            log_error("--max-conns %u needs %llu file descriptors; the hard"
                      " limit is %llu (ulimit -Hn)",
                      max, (unsigned long long)need,
                      (unsigned long long)rl.rlim_max);
            return -1;
        }
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            log_error("--max-conns %u: cannot raise the file descriptor"
                      " limit to %llu: %s",
                      max, (unsigned long long)need, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* A whole number in [lo, hi] from an option's argument; -1 (logged) if
 * it is not one. */
static int opt_num(const char *name, const char *arg, long lo, long hi,
                   long *out)
{
    char *end;
    errno = 0;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || errno || n < lo || n > hi) {
        log_error("--%s: expected %ld to %ld", name, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: rpps-server [--db PATH] [--listen HOST:PORT] [--threads N]\n"
        "                   [--cors ORIGIN] [--stale-days N] [--access-log]\n"
        "                   [--cache-mb N] [--deadline-ms N]\n"
        "                   [--header-timeout S] [--max-conns N]\n"
        "                   [--max-conns-per-ip N] [--public-url URL]\n"
        "                   [--quiet] [--help]\n"
        "Serves the RPPS / MSSante search API (JSON over HTTP).\n"
        "  --db PATH          database built by rpps-import (rpps.db)\n"
        "  --listen HOST:PORT address to listen on (127.0.0.1:8080;\n"
        "                     port 0 picks a free one)\n"
        "  --threads N        worker threads (default: CPU count)\n"
        "  --cors ORIGIN      send Access-Control-Allow-Origin: ORIGIN\n"
        "  --stale-days N     /v1/status and /metrics say the data is\n"
        "                     stale past N days (3)\n"
        "  --access-log       one line per request on stderr (off: queries\n"
        "                     can say who a patient sees)\n"
        "  --cache-mb N       rendered records kept, shared by the threads\n"
        "                     (16; 0: none)\n"
        "  --deadline-ms N    a search's work stops after N ms (250), and\n"
        "                     answers what it found, total_exact false\n"
        "  --header-timeout S close a connection that has not sent a whole\n"
        "                     request S seconds after opening or after\n"
        "                     its last answer (15)\n"
        "  --max-conns N      connections at once (900)\n"
        "  --max-conns-per-ip N  from one client address (64; 0: no\n"
        "                     limit, e.g. behind a reverse proxy)\n"
        "  --public-url URL   the URL clients reach this server at, which\n"
        "                     the FHIR facade's links start with\n"
        "                     (default: http:// and the request's Host)\n"
        "  --quiet            log warnings and errors only\n"
        "Replacing the database file (rename over it) is picked up within\n"
        "a second; SIGHUP makes the server look at once.\n");
}

/* The search's knobs from the environment, for tests only (search.h):
 * RPPS_SEARCH_TUNE="cand,drive,expand,place" lowers the sizes at which a
 * search takes the paths of large matches (cand, drive <= 0, expand,
 * place < 0 keep theirs), RPPS_SEARCH_SLOW_US makes each candidate cost
 * that much more, RPPS_TEST_LOAD_DELAY_MS each load of a database file
 * (db.h). */
static void tune_from_env(void)
{
    struct search_tune t = search_tune_get();
    const char *tune = getenv("RPPS_SEARCH_TUNE");
    if (tune) {
        char *end;
        long cand = strtol(tune, &end, 10), drive = 0, expand = -1, place = -1;
        if (*end == ',')
            drive = strtol(end + 1, &end, 10);
        if (*end == ',')
            expand = strtol(end + 1, &end, 10);
        if (*end == ',')
            place = strtol(end + 1, &end, 10);
        if (cand > 0)
            t.cand_max = cand;
        if (drive > 0)
            t.drive_max = drive;
        if (expand >= 0)
            t.expand_max = expand > 1000 ? 1000 : (int)expand;
        if (place >= 0)
            t.place_mem_max = place;
    }
    const char *delay = getenv("RPPS_TEST_LOAD_DELAY_MS");
    if (delay) {
        /* A minute at most: a test's load, not a hang. */
        long ms = strtol(delay, NULL, 10);
        db_test_load_delay_ms = ms > 60000 ? 60000 : ms > 0 ? (unsigned)ms : 0;
    }
    const char *slow = getenv("RPPS_SEARCH_SLOW_US");
    if (slow) {
        /* At most a second a candidate: a test's request, not a hang. */
        long us = strtol(slow, NULL, 10);
        t.slow_us = us > 1000000 ? 1000000 : us > 0 ? us : 0;
    }
    search_tune_set(&t);
}

/* Reads the options into *ho and *dbpath: -1 to go on, else the exit
 * status (2 on a bad option, 0 after --help or --version). */
static int parse_options(int argc, char **argv, struct http_opts *ho,
                         const char **dbpath)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"cors", required_argument, NULL, 'c'},
        {"stale-days", required_argument, NULL, 's'},
        {"access-log", no_argument, NULL, 'a'},
        {"cache-mb", required_argument, NULL, 'm'},
        {"deadline-ms", required_argument, NULL, 'D'},
        {"header-timeout", required_argument, NULL, 'H'},
        {"max-conns", required_argument, NULL, 'C'},
        {"max-conns-per-ip", required_argument, NULL, 'I'},
        {"public-url", required_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    long num;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            *dbpath = optarg;
            break;
        case 'l':
            ho->listen = optarg;
            break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                log_error("--threads: expected 1 to 256");
                return 2;
            }
            ho->threads = (unsigned)n;
            break;
        }
        case 'c':
            ho->cors = optarg;
            break;
        case 'P': {
            /* http(s)://host[:port][/path], without a trailing slash. */
            size_t n = strlen(optarg);
            if ((strncmp(optarg, "http://", 7) &&
                 strncmp(optarg, "https://", 8)) ||
                n > 256 || optarg[n - 1] == '/' || strpbrk(optarg, " ?#\"")) {
                log_error("--public-url: expected http(s)://host[:port][/path]"
                          " without a trailing slash");
                return 2;
            }
            fhir_config.public_url = optarg;
            break;
        }
        case 's': {
            char *end;
            long n = strtol(optarg, &end, 10);
            /* Ten years: past that the flag means "never". */
            if (*end || end == optarg || n < 0 || n > 3650) {
                log_error("--stale-days: expected 0 to 3650");
                return 2;
            }
            api_config.stale_days = (int)n;
            break;
        }
        case 'a':
            ho->access_log = 1;
            break;
        case 'm': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 0 || n > 4096) {
                log_error("--cache-mb: expected 0 to 4096");
                return 2;
            }
            db_cache_bytes = (size_t)n << 20;
            break;
        }
        case 'D':
            /* A minute: past that it is no deadline for a search. */
            if (opt_num("deadline-ms", optarg, 1, 60000, &num) < 0)
                return 2;
            ho->deadline_ms = (unsigned)num;
            break;
        case 'H':
            /* An hour: past that it is no deadline. */
            if (opt_num("header-timeout", optarg, 1, 3600, &num) < 0)
                return 2;
            ho->header_timeout = (double)num;
            break;
        case 'C':
            /* 128 KiB each (http.c CONN_MEMORY): 100,000 is 12 GiB. */
            if (opt_num("max-conns", optarg, 1, 100000, &num) < 0)
                return 2;
            ho->max_conns = (unsigned)num;
            break;
        case 'I':
            if (opt_num("max-conns-per-ip", optarg, 0, 100000, &num) < 0)
                return 2;
            ho->max_conns_per_ip = (unsigned)num;
            break;
        case 'q':
            log_quiet(1);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("rpps-server %s\n", RPPS_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *dbpath = "rpps.db";
    struct http_opts ho = {.listen = "127.0.0.1:8080",
                           .threads = 0,
                           .deadline_ms = DEADLINE_MS,
                           .header_timeout = HEADER_TIMEOUT,
                           .max_conns = MAX_CONNS,
                           .max_conns_per_ip = MAX_CONNS_PER_IP};
    log_set_prog("rpps-server");
    int st = parse_options(argc, argv, &ho, &dbpath);
    if (st >= 0)
        return st;
    if (!ho.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ho.threads = n > 0 && n <= 64 ? (unsigned)n : 2;
    }
    if (fd_room(ho.max_conns) < 0)
        return 1;
    if (sqlite3_threadsafe() == 0) {
        log_error("SQLite was built without thread support");
        return 1;
    }
    /* SQLite's memory statistics take a global mutex on every allocation,
     * which every server thread then contends for (5% of a busy server's
     * time); nothing here reads them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    tune_from_env();

    /* Signals go to this thread only: block them before the daemon's
     * threads start (they inherit the mask), then wait for them here. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Listen first, load after: /healthz and /readyz answer during the
     * load (503 "loading" from /readyz), so that an orchestrator tells a
     * server loading its data from a dead one. The "listening" line comes
     * once the load is over, as before: the scripts that wait for it to
     * query the server then find it ready. */
    int port = http_start(&ho);
    if (port < 0)
        return 1;
    log_info("port %d open, loading %s (/readyz: 503 until it serves)", port,
             dbpath);
    db_init(dbpath, ho.threads);
    log_info("listening on port %d (%s, %u threads, database %s)", port,
             ho.listen, ho.threads, dbpath);
    for (;;) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        db_check(sig == SIGHUP);
    }
    log_info("stopping");
    http_stop();
    db_shutdown();
    return 0;
}
