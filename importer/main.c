/* rpps-import: downloads the RPPS and MSSanté extracts (or reads local
 * copies), builds a complete new database beside the target, checks it, and
 * only then renames it over the old one. Any failure, or a kill at any
 * moment, leaves the old database untouched. One importer per database at a
 * time (a lock file). The building itself is load.c's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "datadir.h"
#include "fetch.h"
#include "load.h"
#include "source.h"
#include "util.h"
#include "banned.h"

/* Exit codes, documented in --help and the README. */
enum {
    EXIT_UPDATED = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_UNCHANGED = 3,
    EXIT_REFUSED = 4,
};

#define CA_NAME "igc-sante-elementaire.pem"

/* The sanity gate's other side, in percent: a new database with more than
 * twice the professionals, or the rows, of the one it replaces is refused
 * like one with far fewer. The directory grows by a few percent a year
 * (2.1 M activity lines in 2021, about 2.35 M in 2026) and a night changes
 * it by far less; twice as many is a wrong file, a generator, a mirror gone
 * mad, not the directory. Legitimate jumps come from the operator: more
 * extracts than before (the activity file alone to all four is about
 * +80 % rows; MSSanté alone to all is four times the professionals), or
 * the demo to the real extracts: --force once. */
#define GROWTH_DEFAULT 100.0

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: rpps-import [options] [SOURCE...]\n"
        "Builds the rpps-search database from the RPPS and MSSante open "
        "extracts.\n"
        "\n"
        "SOURCE is an https://, http:// or file:// URL, or a local path, to a "
        ".zip\n"
        "or a .txt. The extract a text holds comes from its header line, a "
        "zip's\n"
        "members are found by their name prefixes "
        "(PS_LibreAcces_Personne_activite_,\n"
        "PS_LibreAcces_SavoirFaire_, PS_LibreAcces_Dipl_AutExerc_,\n"
        "Extraction_Correspondance_MSSante_). Any subset of the four extracts\n"
        "imports. Without SOURCE: the two ANS addresses (about 300 MB), and "
        "when\n"
        "they fail the data.gouv.fr mirror's four texts (about 1.2 GB).\n"
        "\n"
        "Options:\n"
        "  --source auto|ans|mirror\n"
        "                      without SOURCE, where from: ANS, then the "
        "mirror when\n"
        "                      ANS fails (auto, the default), or only one\n"
        "  --ans-url URL       an ANS address instead of the defaults "
        "(repeat it;\n"
        "                      or $RPPS_ANS_URLS, separated by spaces)\n"
        "  --mirror-url URL    a mirror address instead of the defaults "
        "(repeat it;\n"
        "                      or $RPPS_MIRROR_URLS, separated by spaces)\n"
        "  --db PATH           database to build or replace (default rpps.db)\n"
        "  --ca-file PATH      CA chain trusted for downloads, besides the "
        "system\n"
        "                      store (default: the bundled IGC-Sante chain)\n"
        "  --if-changed        probe each URL first (HEAD) and stop with exit "
        "code 3\n"
        "                      when every extract is the one already imported\n"
        "  --force             replace the database even when the sanity gate "
        "refuses\n"
        "                      it (far fewer or far more professionals)\n"
        "  --max-drop PCT      the sanity gate: refuse a new database with "
        "more than\n"
        "                      PCT%% fewer professionals than the old (default "
        "10)\n"
        "  --max-growth PCT    and one with more than PCT%% more "
        "professionals, "
        "or\n"
        "                      rows, than the old (default %.0f)\n"
        "  --max-rejected FRAC fail when a file's rejected lines pass 10 and "
        "this\n"
        "                      fraction of its lines (default 0.001)\n"
        "  --communes PATH     commune reference table (default: the bundled\n"
        "                      data/communes.tsv; \"none\" to leave it out)\n"
        "  --retries N         download attempts after the first (default 3)\n"
        "  --max-download-size SIZE\n"
        "                      refuse a download larger than SIZE bytes (K, M, "
        "G:\n"
        "                      KiB, MiB, GiB; default %lluG; 0: no limit)\n"
        "  --download-timeout SECONDS\n"
        "                      give up a download, retries included, after "
        "this\n"
        "                      long (default %d; 0: no limit)\n"
        "  --keep-downloads    keep downloaded files beside the database\n"
        "  --keep-removed DAYS keep removed professionals and mailboxes (410\n"
        "                      Gone, their last known record) this long "
        "(default %d)\n"
        "  --keep-changes DAYS keep the list of changes this long (default "
        "%d)\n"
        "  --progress, --no-progress\n"
        "                      progress display (default: on when stderr is a\n"
        "                      terminal)\n"
        "  --quiet             print errors only\n"
        "  --verbose           also print how long each step took\n"
        "  --version, --help\n"
        "\n"
        "Exit codes: 0 database updated; 1 failed (old database untouched);\n"
        "2 usage error; 3 unchanged (--if-changed); 4 refused by the sanity "
        "gate.\n"
        "On success one summary line goes to standard output.\n",
        GROWTH_DEFAULT, FETCH_MAX_SIZE_DEFAULT >> 30, FETCH_TIMEOUT_DEFAULT,
        CARRY_KEEP_REMOVED_DEFAULT, CARRY_KEEP_CHANGES_DEFAULT);
}

/* "300000000", "512K", "300M", "2G" (powers of 1024) into *out. */
static int parse_size(const char *s, unsigned long long *out)
{
    char *end;
    unsigned long long v;
    int shift = 0;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    }
    if (*end || v > (~0ULL >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

static int is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 ||
           strncasecmp(s, "https://", 8) == 0 ||
           strncasecmp(s, "file://", 7) == 0;
}

/* The temporary database, removed if we are interrupted. */
static char tmp_path[4096];

static void on_signal(int sig)
{
    if (tmp_path[0])
        unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Removes temporary files a killed importer left (we hold the lock, so no
 * other importer owns them). */
static void clean_stale(const char *db)
{
    char *d1 = xstrdup(db), *d2 = xstrdup(db);
    const char *dir = dirname(d1), *base = basename(d2);
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d) {
        while ((e = readdir(d))) {
            if (strncmp(e->d_name, base, bl) != 0 ||
                (strncmp(e->d_name + bl, ".tmp-", 5) != 0 &&
                 strncmp(e->d_name + bl, ".download-", 10) != 0))
                continue;
            struct buf p;
            buf_init(&p, 8192);
            buf_addf(&p, "%s/%s", dir, e->d_name);
            if (p.len && unlink(p.s) == 0)
                log_info("removed a stale temporary file: %s", p.s);
            buf_release(&p);
        }
        closedir(d);
    }
    free(d1);
    free(d2);
}

/* Reads one meta value of the current database, if any, into out. -1 when
 * there is no database or no such key; a database that exists but cannot
 * be read is also -1, with a warning, since the callers then skip a check
 * (--if-changed imports, the sanity gates let the new file through). */
static int old_meta(const char *db, const char *key, char *out, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    int ret = -1, rc;
    out[0] = '\0';
    if (access(db, F_OK) != 0)
        return -1;
    /* Only a writer can make this read wait. Nothing writes the served
     * file in place, but an operator's sqlite3 shell could: wait out its
     * commit (10 s: seconds at most for a hand-run statement) rather than
     * skip the gates. Set before the first statement. */
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(h, 10000) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = ?", -1, &s,
                           NULL) != SQLITE_OK) {
        log_warn("%s: cannot read the current database: %s", db,
                 h ? sqlite3_errmsg(h) : "out of memory");
        goto out;
    }
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0)) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
        ret = 0;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_warn("%s: cannot read the current database: %s", db,
                 sqlite3_errmsg(h));
    }
out:
    sqlite3_finalize(s);
    sqlite3_close(h);
    return ret;
}

/* A count the current database recorded in its meta table, or -1. */
static double old_count(const char *db, const char *key)
{
    char v[64];
    char *end;
    double n;
    if (old_meta(db, key, v, sizeof(v)) < 0)
        return -1;
    n = strtod(v, &end);
    return end == v || *end || n < 0 ? -1 : n;
}

/* The upper side of the sanity gate (GROWTH_DEFAULT says why): 0 when the
 * new database has at most max_growth percent more professionals and rows
 * than the current one (or there is none), or when --force says so; -1
 * (logged) when refused. Rows are activities, specialties, diplomas and
 * mailboxes: the same people with ten times the rows is as wrong. */
static int gate_growth(const char *db, const struct load_result *res,
                       double max_growth, int force)
{
    static const char *const row_keys[] = {"activities", "specialties",
                                           "diplomas", "mailboxes"};
    double limit = 1.0 + max_growth / 100.0;
    double old_prof = old_count(db, "professionals"), old_rows = 0;
    unsigned long long rows =
        res->activities + res->specialties + res->diplomas + res->mailboxes;
    int too_many;
    if (old_prof <= 0)
        return 0;
    for (size_t i = 0; i < sizeof(row_keys) / sizeof(*row_keys); i++) {
        double n = old_count(db, row_keys[i]);
        if (n > 0)
            old_rows += n;
    }
    too_many = (double)res->professionals > old_prof * limit ||
               (old_rows > 0 && (double)rows > old_rows * limit);
    if (!too_many)
        return 0;
    if (!force) {
        log_error("sanity gate: the new database has %llu professionals and "
                  "%llu rows, the current one %.0f and %.0f (more than %.0f%% "
                  "more): refused; --force to replace it anyway",
                  res->professionals, rows, old_prof, old_rows, max_growth);
        return -1;
    }
    log_warn("sanity gate overridden by --force (%llu professionals and %llu "
             "rows instead of %.0f and %.0f)",
             res->professionals, rows, old_prof, old_rows);
    return 0;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* The new database, before its rename: readable by the server's user
 * (mkstemp made it 0600), and on the disk. Through one descriptor opened
 * without following a link. */
static int finish_file(const char *path)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    int rc;
    if (fd < 0)
        return -1;
    rc = fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* Whether a user other than this one (or root) can write to directory
 * sb: its group counts only if it is not this process's own (a service's
 * private group, Kubernetes' fsGroup). */
static int others_write(const struct stat *sb)
{
    return (sb->st_mode & S_IWOTH) ||
           ((sb->st_mode & S_IWGRP) && sb->st_gid != getegid());
}

/* The database's directory must be this user's (or root's) alone: whoever
 * else can write there can plant a link where the import writes, or a
 * database of their own where the server reads, or replace the new file
 * between its checks and its rename. A sticky bit is not enough there: it
 * stops others renaming our files, not creating the names first (a
 * rpps.db before the first import, which the importer then may not
 * replace; a hot -journal SQLite would play back into the new database).
 * Above it, a directory others can write to must be sticky, or they could
 * move the database's directory away and put their own in its place. The
 * file opens are safe on their own too (O_NOFOLLOW, O_EXCL, mkstemp); this
 * closes what they cannot. 0, or -1 (logged). */
static int check_dir(const char *db)
{
    char *d = xstrdup(db);
    char *path = realpath(dirname(d), NULL);
    uid_t me = geteuid();
    int ret = -1;
    if (!path) {
        log_error("%s: the database's directory: %s", db, strerror(errno));
        goto out;
    }
    for (int top = 1;; top = 0) {
        struct stat sb;
        char *slash;
        if (stat(path, &sb) < 0) {
            log_error("%s: %s", path, strerror(errno));
            goto out;
        }
        if (sb.st_uid != me && sb.st_uid != 0) {
            log_error("%s: owned by uid %u, neither this user (uid %u) nor "
                      "root: its owner could replace what the import writes "
                      "there and the server reads; run rpps-import as its "
                      "owner, or give it to this user",
                      path, (unsigned)sb.st_uid, (unsigned)me);
            goto out;
        }
        if (top && others_write(&sb)) {
            log_error("%s: the database's directory is writable by other "
                      "users (mode %04o): they could plant or replace the "
                      "files the import writes and the server reads, a "
                      "sticky bit notwithstanding; make it writable by its "
                      "owner only (chmod go-w)",
                      path, (unsigned)(sb.st_mode & 07777));
            goto out;
        }
        if (!top && others_write(&sb) && !(sb.st_mode & S_ISVTX)) {
            log_error("%s: above the database's directory, writable by "
                      "other users and not sticky (mode %04o): they could "
                      "move the directory away and put theirs in its place; "
                      "chmod go-w or +t",
                      path, (unsigned)(sb.st_mode & 07777));
            goto out;
        }
        if (strcmp(path, "/") == 0)
            break;
        slash = strrchr(path, '/');
        if (slash == path)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    ret = 0;
out:
    free(path);
    free(d);
    return ret;
}

struct dl_progress {
    const char *name;
    int on;
    double last;
};

static void on_dl_progress(void *ctx, unsigned long long now,
                           unsigned long long total)
{
    struct dl_progress *p = ctx;
    double t = now_s();
    if (!p->on || t - p->last < 0.25)
        return;
    p->last = t;
    if (total)
        fprintf(stderr, "\r\033[Kdownloading %s: %.1f / %.1f MB", p->name,
                (double)now / 1e6, (double)total / 1e6);
    else
        fprintf(stderr, "\r\033[Kdownloading %s: %.1f MB", p->name,
                (double)now / 1e6);
}

/* Sources tried as one: the command line's, ANS's, or the mirror's. A
 * whole set falls back to the next, not file by file, so that one
 * database is one source's extracts. */
struct source_set {
    int origin; /* enum source_origin */
    const char *urls[LOAD_MAX_SOURCES];
    size_t n;
};

/* --source: auto (ANS, then the mirror), or one origin. */
#define SOURCE_AUTO (-1)

/* What one run decided (the options) and holds (the lock, the sources). */
struct import {
    const char *db;
    char *ca_file, *communes, *postcodes; /* owned */
    int if_changed, force, quiet, keep, no_communes, show_progress;
    double max_drop, max_growth;
    struct load_opts lo;
    struct fetch_opts fo;
    int source_mode;               /* SOURCE_AUTO or an origin */
    struct source_set ans, mirror; /* --ans-url, --mirror-url, or env */
    char *env_urls[2];             /* owned: the environment's lists */
    struct source_set sets[2];     /* to try, in order */
    size_t nsets;
    /* The set being fetched: */
    int origin;
    const char *const *srcs;
    size_t nsrc;
    int lock_fd;
    struct load_input in[LOAD_MAX_SOURCES];
    char *paths[LOAD_MAX_SOURCES], *names[LOAD_MAX_SOURCES]; /* owned */
    char stamps[LOAD_MAX_SOURCES][16];
    int downloaded[LOAD_MAX_SOURCES];
    double t0;
};

enum {
    O_DB = 256,
    O_CA,
    O_IFCH,
    O_FORCE,
    O_DROP,
    O_GROWTH,
    O_REJ,
    O_RETRIES,
    O_MAXDL,
    O_DLTIME,
    O_KEEP,
    O_PROG,
    O_NOPROG,
    O_QUIET,
    O_VERBOSE,
    O_VERSION,
    O_HELP,
    O_COMMUNES,
    O_SOURCE,
    O_ANS_URL,
    O_MIRROR_URL,
    O_KEEP_REMOVED,
    O_KEEP_CHANGES
};

/* For the option readers: stop with exit code c. */
static int stop(int *code, int c)
{
    *code = c;
    return -1;
}

/* One option c with its argument: 0 to go on, or -1 to stop with the
 * exit code *code (a usage error; 0 after --help or --version). */
static int option(struct import *im, int c, const char *arg, int *code)
{
    char *end;
    switch (c) {
    case O_DB:
        im->db = arg;
        break;
    case O_CA:
        free(im->ca_file);
        im->ca_file = xstrdup(arg);
        break;
    case O_IFCH:
        im->if_changed = 1;
        break;
    case O_FORCE:
        im->force = 1;
        break;
    case O_DROP:
        im->max_drop = strtod(arg, &end);
        if (*end || im->max_drop < 0 || im->max_drop > 100) {
            log_error("--max-drop: a percentage from 0 to 100");
            return stop(code, EXIT_USAGE);
        }
        break;
    case O_GROWTH:
        im->max_growth = strtod(arg, &end);
        if (end == arg || *end || !(im->max_growth >= 0) ||
            im->max_growth > 1e6) {
            log_error("--max-growth: a percentage from 0 to 1000000");
            return stop(code, EXIT_USAGE);
        }
        break;
    case O_REJ:
        im->lo.max_reject_frac = strtod(arg, &end);
        if (*end || im->lo.max_reject_frac < 0 || im->lo.max_reject_frac > 1) {
            log_error("--max-rejected: a fraction from 0 to 1");
            return stop(code, EXIT_USAGE);
        }
        break;
    case O_RETRIES: {
        long r = strtol(arg, &end, 10);
        if (*end || r < 0 || r > 20) {
            log_error("--retries: a number from 0 to 20");
            return stop(code, EXIT_USAGE);
        }
        im->fo.retries = (int)r;
        break;
    }
    case O_MAXDL:
        if (parse_size(arg, &im->fo.max_size) < 0) {
            log_error("--max-download-size: a number of bytes, with K, "
                      "M or G for KiB, MiB, GiB (0: no limit)");
            return stop(code, EXIT_USAGE);
        }
        break;
    case O_DLTIME: {
        long t = strtol(arg, &end, 10);
        /* A week: beyond it "no limit" (0) says what is meant. */
        if (end == arg || *end || t < 0 || t > 7 * 86400) {
            log_error("--download-timeout: seconds, from 0 (no limit) "
                      "to 604800");
            return stop(code, EXIT_USAGE);
        }
        im->fo.total_timeout = t;
        break;
    }
    case O_KEEP:
        im->keep = 1;
        break;
    case O_KEEP_REMOVED:
    case O_KEEP_CHANGES: {
        /* Ten years: beyond it the tables outgrow what they are for. */
        long d = strtol(arg, &end, 10);
        if (end == arg || *end || d < 0 || d > 3660) {
            log_error("--keep-%s: days, from 0 to 3660",
                      c == O_KEEP_REMOVED ? "removed" : "changes");
            return stop(code, EXIT_USAGE);
        }
        if (c == O_KEEP_REMOVED)
            im->lo.history.keep_removed = (int)d;
        else
            im->lo.history.keep_changes = (int)d;
        break;
    }
    case O_PROG:
        im->show_progress = 1;
        break;
    case O_NOPROG:
        im->show_progress = 0;
        break;
    case O_QUIET:
        im->quiet = 1;
        break;
    case O_VERBOSE:
        log_verbose(1);
        break;
    case O_COMMUNES:
        free(im->communes);
        im->no_communes = strcmp(arg, "none") == 0;
        im->communes = im->no_communes ? NULL : xstrdup(arg);
        break;
    case O_SOURCE:
        if (strcmp(arg, "auto") == 0)
            im->source_mode = SOURCE_AUTO;
        else if (strcmp(arg, "ans") == 0)
            im->source_mode = SOURCE_ANS;
        else if (strcmp(arg, "mirror") == 0)
            im->source_mode = SOURCE_MIRROR;
        else {
            log_error("--source: auto, ans or mirror");
            return stop(code, EXIT_USAGE);
        }
        break;
    case O_ANS_URL:
    case O_MIRROR_URL: {
        struct source_set *set = c == O_ANS_URL ? &im->ans : &im->mirror;
        if (set->n == LOAD_MAX_SOURCES) {
            log_error("at most %d addresses per source", LOAD_MAX_SOURCES);
            return stop(code, EXIT_USAGE);
        }
        set->urls[set->n++] = arg;
        break;
    }
    case O_VERSION:
        printf("rpps-import %s\n", RPPS_VERSION);
        return stop(code, 0);
    case O_HELP:
        usage(stdout);
        return stop(code, 0);
    default:
        usage(stderr);
        return stop(code, EXIT_USAGE);
    }
    return 0;
}

/* The addresses of origin (ANS or the mirror) into set when no option gave
 * them: the environment's list (env, separated by blanks; its copy kept in
 * *copy), else the defaults. 0, or -1 (logged) for too many. */
static int default_urls(struct source_set *set, const char *env, char **copy,
                        const char *const *defaults, size_t ndefaults)
{
    const char *v = getenv(env);
    if (set->n)
        return 0;
    if (!v || !v[strspn(v, " \t\n")]) {
        for (size_t i = 0; i < ndefaults; i++)
            set->urls[set->n++] = defaults[i];
        return 0;
    }
    *copy = xstrdup(v);
    for (char *p = *copy; *(p += strspn(p, " \t\n"));) {
        size_t l = strcspn(p, " \t\n");
        if (set->n == LOAD_MAX_SOURCES) {
            log_error("%s: at most %d addresses", env, LOAD_MAX_SOURCES);
            return -1;
        }
        set->urls[set->n++] = p;
        p += l;
        if (*p)
            *p++ = '\0';
    }
    return 0;
}

/* The sets of sources to try, in order: the command line's SOURCEs (n of
 * them), or by --source, ANS's and the mirror's addresses. 0, or -1 to
 * stop with the exit code *code. */
static int plan_sets(struct import *im, char **given, size_t n, int *code)
{
    struct source_set *set = &im->sets[0];
    if (n) {
        if (im->source_mode != SOURCE_AUTO || im->ans.n || im->mirror.n) {
            log_error("SOURCE arguments name the files to import: --source, "
                      "--ans-url and --mirror-url are for the default "
                      "addresses, without SOURCE");
            return stop(code, EXIT_USAGE);
        }
        if (n > LOAD_MAX_SOURCES) {
            log_error("at most %d sources", LOAD_MAX_SOURCES);
            return stop(code, EXIT_USAGE);
        }
        set->origin = SOURCE_GIVEN;
        for (size_t i = 0; i < n; i++)
            set->urls[i] = given[i];
        set->n = n;
        im->nsets = 1;
        return 0;
    }
    im->ans.origin = SOURCE_ANS;
    im->mirror.origin = SOURCE_MIRROR;
    if (default_urls(&im->ans, "RPPS_ANS_URLS", &im->env_urls[0],
                     source_ans_urls, SOURCE_ANS_N) < 0 ||
        default_urls(&im->mirror, "RPPS_MIRROR_URLS", &im->env_urls[1],
                     source_mirror_urls, SOURCE_MIRROR_N) < 0)
        return stop(code, EXIT_USAGE);
    im->nsets = 0;
    if (im->source_mode != SOURCE_MIRROR)
        im->sets[im->nsets++] = im->ans;
    if (im->source_mode != SOURCE_ANS)
        im->sets[im->nsets++] = im->mirror;
    return 0;
}

/* Makes set s the one the next steps fetch. */
static void use_set(struct import *im, size_t s)
{
    im->origin = im->sets[s].origin;
    im->srcs = im->sets[s].urls;
    im->nsrc = im->sets[s].n;
}

/* The command line into im: 0 to go on, or -1 to stop with the exit code
 * *code. */
static int options(struct import *im, int argc, char **argv, int *code)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, O_DB},
        {"ca-file", required_argument, NULL, O_CA},
        {"if-changed", no_argument, NULL, O_IFCH},
        {"force", no_argument, NULL, O_FORCE},
        {"max-drop", required_argument, NULL, O_DROP},
        {"max-growth", required_argument, NULL, O_GROWTH},
        {"max-rejected", required_argument, NULL, O_REJ},
        {"retries", required_argument, NULL, O_RETRIES},
        {"max-download-size", required_argument, NULL, O_MAXDL},
        {"download-timeout", required_argument, NULL, O_DLTIME},
        {"keep-downloads", no_argument, NULL, O_KEEP},
        {"keep-removed", required_argument, NULL, O_KEEP_REMOVED},
        {"keep-changes", required_argument, NULL, O_KEEP_CHANGES},
        {"progress", no_argument, NULL, O_PROG},
        {"no-progress", no_argument, NULL, O_NOPROG},
        {"quiet", no_argument, NULL, O_QUIET},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"communes", required_argument, NULL, O_COMMUNES},
        {"source", required_argument, NULL, O_SOURCE},
        {"ans-url", required_argument, NULL, O_ANS_URL},
        {"mirror-url", required_argument, NULL, O_MIRROR_URL},
        {"version", no_argument, NULL, O_VERSION},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
        if (option(im, c, optarg, code) < 0)
            return -1;
    if (im->quiet) {
        log_quiet(1);
        im->show_progress = 0;
    }
    im->lo.progress = im->show_progress;
    /* Backoff for tests: RPPS_RETRY_BACKOFF seconds instead of 2. */
    if (getenv("RPPS_RETRY_BACKOFF"))
        im->fo.backoff_s = strtod(getenv("RPPS_RETRY_BACKOFF"), NULL);
    if (!im->ca_file)
        im->ca_file = datadir_find(CA_NAME);
    if (!im->ca_file)
        log_warn("the IGC-Santé CA chain (%s) was not found: only the system "
                 "store is trusted, and the ANS server will not verify",
                 CA_NAME);
    else if (access(im->ca_file, R_OK) != 0) {
        log_error("%s: %s", im->ca_file, strerror(errno));
        return stop(code, EXIT_USAGE);
    }
    im->fo.ca_file = im->ca_file;
    return plan_sets(im, argv + optind, (size_t)(argc - optind), code);
}

/* One importer per database: the lock file, kept between runs (so no
 * O_EXCL), but never opened through a link, and only a plain file. 0, or
 * -1 (logged). */
static int lock_db(struct import *im)
{
    struct buf lockp;
    struct stat lsb;
    const char *why = NULL;
    buf_init(&lockp, 8192);
    buf_addf(&lockp, "%s.lock", im->db);
    im->lock_fd =
        open(lockp.s, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (im->lock_fd < 0)
        why = errno == ELOOP ? "a symbolic link: refused (rpps-import makes "
                               "its lock file itself)"
                             : strerror(errno);
    else if (fstat(im->lock_fd, &lsb) < 0 || !S_ISREG(lsb.st_mode))
        why = "not a regular file: refused";
    int ret = -1;
    if (why)
        log_error("%s: %s", lockp.s, why);
    else if (flock(im->lock_fd, LOCK_EX | LOCK_NB) < 0)
        log_error("%s: another rpps-import is working on this database",
                  im->db);
    else
        ret = 0;
    buf_release(&lockp);
    if (ret < 0 && im->lock_fd >= 0) {
        close(im->lock_fd);
        im->lock_fd = -1;
    }
    return ret;
}

/* What --if-changed compares (meta source:SOURCE): "name|size" when the
 * name says the extract's date (ANS's PS_LibreAcces_202608261013.zip);
 * otherwise (the mirror's names have none) also "|lm=" the Last-Modified
 * and "|etag=" the ETag the server gave, when it gave them. */
static char *fingerprint(const struct fetch_info *fi)
{
    struct buf fp;
    char stamp[16];
    buf_init(&fp, 1024);
    buf_addf(&fp, "%s|%llu", fi->filename, fi->length);
    load_stamp_of(fi->filename, stamp);
    if (!stamp[0] && fi->last_modified[0])
        buf_addf(&fp, "|lm=%s", fi->last_modified);
    if (!stamp[0] && fi->etag[0])
        buf_addf(&fp, "|etag=%s", fi->etag);
    return buf_detach(&fp, NULL);
}

/* The ETag a fingerprint recorded (in place, fp's tail), or NULL. */
static const char *etag_of(const char *fp)
{
    const char *e = NULL;
    for (const char *p = fp; (p = strstr(p, "|etag=")); p++)
        e = p + 6;
    return e && *e ? e : NULL;
}

/* --if-changed: the extract's file name (with its timestamp), size and,
 * for a name without a date, Last-Modified and ETag from a HEAD, against
 * what the current database was built from; a 304 to the recorded ETag
 * (If-None-Match) says unchanged at once. 1 when every source is the one
 * already imported, 0 when one is not, -1 on an error (logged). */
static int probe_unchanged(struct import *im)
{
    for (size_t i = 0; i < im->nsrc; i++) {
        const char *src = im->srcs[i];
        struct fetch_info fi;
        char key[4200], old[1024]; /* a name, a size, a date, an ETag */
        int have_old, same;
        snprintf(key, sizeof(key), "source:%s", src);
        have_old = old_meta(im->db, key, old, sizeof(old)) == 0;
        if (is_url(src)) {
            struct fetch_opts fo = im->fo;
            fo.if_none_match = have_old ? etag_of(old) : NULL;
            if (fetch_head(src, &fo, &fi) < 0)
                return -1;
            if (fi.status == 304)
                continue;
        } else {
            struct stat sb;
            memset(&fi, 0, sizeof(fi));
            if (stat(src, &sb) < 0) {
                log_error("%s: %s", src, strerror(errno));
                return -1;
            }
            fi.length = (unsigned long long)sb.st_size;
            fetch_url_basename(src, fi.filename, sizeof(fi.filename));
        }
        char *now = fingerprint(&fi);
        same = have_old && strcmp(old, now) == 0;
        free(now);
        if (!same)
            return 0;
    }
    return 1;
}

/* Source i to a local file: downloaded beside the database (a URL), or the
 * file itself. 0, or -1 (logged). */
static int fetch_source(struct import *im, size_t i)
{
    const char *src = im->srcs[i];
    struct fetch_info fi;
    struct source_file sf;
    im->in[i].source = src;
    if (is_url(src)) {
        struct buf dest;
        char shown[256];
        struct dl_progress dp = {shown, im->show_progress, 0};
        fetch_url_basename(src, shown, sizeof(shown));
        im->fo.progress = on_dl_progress;
        im->fo.progress_ctx = &dp;
        buf_init(&dest, 8192);
        buf_addf(&dest, "%s.download-%zu", im->db, i);
        im->paths[i] = xstrdup(dest.s);
        buf_release(&dest);
        log_info("downloading %s", src);
        if (fetch_download(src, im->paths[i], &im->fo, &fi) < 0)
            return -1;
        im->downloaded[i] = 1; /* ours to remove: a failed one left none */
        if (im->show_progress)
            fputc('\n', stderr);
        im->names[i] = xstrdup(fi.filename);
        im->in[i].fingerprint = fingerprint(&fi);
        fetch_stamp_of_date(fi.last_modified, im->stamps[i]);
    } else {
        struct stat sb;
        if (stat(src, &sb) < 0 || !S_ISREG(sb.st_mode)) {
            log_error("%s: %s", src,
                      errno ? strerror(errno) : "not a regular file");
            return -1;
        }
        im->paths[i] = xstrdup(src);
        memset(&fi, 0, sizeof(fi));
        fetch_url_basename(src, fi.filename, sizeof(fi.filename));
        fi.length = (unsigned long long)sb.st_size;
        im->names[i] = xstrdup(fi.filename);
        im->in[i].fingerprint = fingerprint(&fi);
    }
    im->in[i].path = im->paths[i];
    im->in[i].name = im->names[i];
    im->in[i].stamp = im->stamps[i];
    im->in[i].origin = source_origin_name(im->origin);
    /* What arrived is checked before anything is built from it, so that
     * a maintenance page or a cut download is this source's failure. */
    if (source_check(im->paths[i], im->names[i], src, im->downloaded[i], &sf) <
        0)
        return -1;
    im->in[i].kind = sf.kind >= 0 ? load_kind_name(sf.kind) : NULL;
    return 0;
}

/* Builds the new database beside the target (so the rename is atomic),
 * at tmp_path. 0, or -1 (logged). */
static int build(struct import *im, struct load_result *res)
{
    snprintf(tmp_path, sizeof(tmp_path), "%s.tmp-XXXXXX", im->db);
    int tfd = mkstemp(tmp_path);
    if (tfd < 0) {
        log_error("%s: cannot create a temporary file: %s", tmp_path,
                  strerror(errno));
        tmp_path[0] = '\0';
        return -1;
    }
    close(tfd);
    if (!im->communes && !im->no_communes)
        im->communes = datadir_find("communes.tsv");
    im->lo.communes_tsv = im->communes;
    if (im->communes) {
        /* postcodes.tsv beside communes.tsv, if there is one. */
        char *d = xstrdup(im->communes);
        struct buf pc;
        buf_init(&pc, 8192);
        buf_addf(&pc, "%s/postcodes.tsv", dirname(d));
        if (pc.len && access(pc.s, R_OK) == 0)
            im->postcodes = xstrdup(pc.s);
        buf_release(&pc);
        free(d);
        im->lo.postcodes_tsv = im->postcodes;
    }
    /* The history step reads the database this build replaces. */
    im->lo.history.old_db = im->db;
    return load_build(tmp_path, im->in, im->nsrc, &im->lo, res);
}

/* The sanity gate: a new database with no professionals, far fewer than
 * the one it replaces (more likely a broken extract than a real change),
 * or far more (GROWTH_DEFAULT) is refused, the last two unless --force.
 * 0, or -1 (logged). */
static int gate(const struct import *im, const struct load_result *res)
{
    char oldn[64];
    if (res->professionals == 0) {
        log_error("the new database has no professionals: refused");
        return -1;
    }
    if (old_meta(im->db, "professionals", oldn, sizeof(oldn)) == 0) {
        double old = strtod(oldn, NULL);
        if ((double)res->professionals < old * (1.0 - im->max_drop / 100.0)) {
            if (!im->force) {
                log_error("sanity gate: the new database has %llu "
                          "professionals, the current one %.0f (more than "
                          "%.0f%% fewer): refused; --force to replace it "
                          "anyway",
                          res->professionals, old, im->max_drop);
                return -1;
            }
            log_warn("sanity gate overridden by --force (%llu professionals "
                     "instead of %.0f)",
                     res->professionals, old);
        }
    }
    return gate_growth(im->db, res, im->max_growth, im->force);
}

/* The new database, on the disk and readable, renamed over the old one.
 * 0, or -1 (logged; the old one untouched). */
static int swap(const struct import *im)
{
    if (finish_file(tmp_path) < 0) {
        log_error("%s: %s", tmp_path, strerror(errno));
        return -1;
    }
    if (rename(tmp_path, im->db) < 0) {
        log_error("%s: cannot replace: %s", im->db, strerror(errno));
        return -1;
    }
    tmp_path[0] = '\0';
    char *d = xstrdup(im->db);
    fsync_dir(dirname(d));
    free(d);
    return 0;
}

static void summary(const struct import *im, const struct load_result *res)
{
    unsigned long long rej = 0, dup = 0;
    for (int k = 0; k < KIND_COUNT; k++) {
        rej += res->kind[k].rejected;
        dup += res->kind[k].duplicates;
    }
    if (im->quiet)
        return;
    /* History: carried or not, and this import's changes per kind
     * ("professional=+12-3~40": added, removed, changed). */
    const struct carry_result *h = &res->history;
    char hist[256];
    int n = snprintf(hist, sizeof(hist), "history=%s",
                     h->carried ? "carried" : "none");
    for (int k = 0; k < HISTORY_KINDS && h->carried; k++)
        n += snprintf(hist + n, sizeof(hist) - (size_t)n, " %s=+%llu-%llu~%llu",
                      history_kind_name(k), h->n[k][HISTORY_ADDED],
                      h->n[k][HISTORY_REMOVED], h->n[k][HISTORY_CHANGED]);
    printf("rpps-import: status=updated db=%s source=%s professionals=%llu "
           "activities=%llu specialties=%llu diplomas=%llu "
           "mailboxes=%llu rejected=%llu duplicates=%llu %s seconds=%.1f\n",
           im->db, source_origin_name(im->origin), res->professionals,
           res->activities, res->specialties, res->diplomas, res->mailboxes,
           rej, dup, hist, now_s() - im->t0);
}

/* What fetching a set left: its downloads (unless --keep-downloads),
 * its file names. The next set starts from nothing. */
static void drop_set(struct import *im)
{
    for (size_t i = 0; i < im->nsrc; i++) {
        if (im->downloaded[i] && !im->keep && im->paths[i])
            unlink(im->paths[i]);
        free(im->paths[i]);
        free(im->names[i]);
        free((char *)im->in[i].fingerprint);
        im->paths[i] = im->names[i] = NULL;
        im->downloaded[i] = 0;
        im->stamps[i][0] = '\0';
        memset(&im->in[i], 0, sizeof(im->in[i]));
    }
}

/* What the run leaves: the temporary database, the downloads unless
 * --keep-downloads. */
static void clean_up(struct import *im)
{
    if (tmp_path[0]) {
        unlink(tmp_path);
        tmp_path[0] = '\0';
    }
    drop_set(im);
}

/* The next set after s, for the messages of a fallback. */
static void say_fallback(const struct import *im, size_t s, const char *what)
{
    log_warn("%s from %s failed: trying %s", what,
             source_origin_name(im->sets[s].origin),
             source_origin_name(im->sets[s + 1].origin));
}

/* --if-changed: the first set whose probe answers says whether anything
 * changed; *s is that set. EXIT_UNCHANGED, EXIT_FAILED, or 0 to import. */
static int probe_sets(struct import *im, size_t *s)
{
    for (;; (*s)++) {
        use_set(im, *s);
        int same = probe_unchanged(im);
        if (same > 0) {
            if (!im->quiet)
                printf("rpps-import: status=unchanged db=%s source=%s\n",
                       im->db, source_origin_name(im->origin));
            return EXIT_UNCHANGED;
        }
        if (same == 0)
            return 0;
        if (*s + 1 == im->nsets)
            return EXIT_FAILED;
        say_fallback(im, *s, "the freshness probe");
    }
}

/* Fetches and checks set *s, else the next ones in turn. 0, or -1 when
 * the last failed (logged). */
static int fetch_sets(struct import *im, size_t *s)
{
    for (;; (*s)++) {
        size_t i;
        use_set(im, *s);
        for (i = 0; i < im->nsrc; i++)
            if (fetch_source(im, i) < 0)
                break;
        if (i == im->nsrc)
            return 0;
        if (*s + 1 == im->nsets)
            return -1;
        say_fallback(im, *s, "the download");
        drop_set(im);
    }
}

/* The steps under the lock, each with its exit code: fetch, probe
 * (--if-changed), build, gate, swap. */
static int run(struct import *im)
{
    struct load_result res;
    size_t s = 0;
    if (im->if_changed) {
        int rc = probe_sets(im, &s);
        if (rc)
            return rc;
    }
    if (fetch_sets(im, &s) < 0)
        return EXIT_FAILED;
    if (build(im, &res) < 0)
        return EXIT_FAILED;
    if (gate(im, &res) < 0)
        return EXIT_REFUSED;
    if (swap(im) < 0)
        return EXIT_FAILED;
    summary(im, &res);
    return EXIT_UPDATED;
}

int main(int argc, char **argv)
{
    struct import im = {
        .db = "rpps.db",
        .show_progress = isatty(2),
        .max_drop = 10.0,
        .max_growth = GROWTH_DEFAULT,
        .lock_fd = -1,
        .t0 = now_s(),
        .source_mode = SOURCE_AUTO,
    };
    int ret = EXIT_FAILED;

    log_set_prog("rpps-import");
    /* No connection is shared between threads (the parse and replay
     * threads never call SQLite; the check thread has its own): no
     * per-connection mutexes, no memory statistics. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    fetch_opts_init(&im.fo);
    im.lo.max_reject_frac = 0.001;
    im.lo.history.keep_removed = CARRY_KEEP_REMOVED_DEFAULT;
    im.lo.history.keep_changes = CARRY_KEEP_CHANGES_DEFAULT;
    if (options(&im, argc, argv, &ret) < 0)
        goto out_unlocked;
    if (check_dir(im.db) < 0 || lock_db(&im) < 0) {
        ret = EXIT_FAILED;
        goto out_unlocked;
    }
    clean_stale(im.db);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    if (fetch_global_init() < 0) {
        ret = EXIT_FAILED;
        if (!im.quiet)
            printf("rpps-import: status=failed db=%s seconds=%.1f\n", im.db,
                   now_s() - im.t0);
        goto out_unlocked;
    }
    ret = run(&im);
    clean_up(&im);
    fetch_global_cleanup();
    if (ret == EXIT_FAILED && !im.quiet)
        printf("rpps-import: status=failed db=%s seconds=%.1f\n", im.db,
               now_s() - im.t0);
out_unlocked:
    free(im.ca_file);
    free(im.env_urls[0]);
    free(im.env_urls[1]);
    free(im.communes);
    free(im.postcodes);
    if (im.lock_fd >= 0)
        close(im.lock_fd);
    return ret;
}
