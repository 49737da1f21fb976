/* Read-only connections, statement cache, labels and hot swap. See db.h.
 * Connections open the file with immutable=1: the importer never writes a
 * served file in place (it renames a new one over it), so SQLite can skip the
 * file locks and journal checks it would otherwise make on every statement. */
#include "db.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dataset.h"
#include "htab.h"
#include "record.h"
#include "util.h"
#include "banned.h"

/* The statements of one connection: those cached by their SQL text (an
 * index into v by hash), and those of string literals by address. */
struct db_stmt_cache {
    struct {
        char *sql;
        sqlite3_stmt *st;
    } * v;
    size_t n, cap;
    struct htab index;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } lit[64];
};

/* A connection, and what it knows of its file (db.h's accessors). */
struct db_conn {
    /* First: db.h's inline checks read it through a cast of c. */
    struct db_limits lim;
    double req_deadline; /* the request's own, monotonic; 0 = none */
    double next_poll;    /* when to ask gone() again */
    int (*gone)(void *arg);
    void *gone_arg;
    sqlite3 *db;
    unsigned gen;                /* generation this connection belongs to */
    char etag[48];               /* W/"..." for everything served from it */
    char *path;                  /* the file name it was opened as */
    double opened_at;            /* wall clock, seconds */
    struct db_stmt_cache *stmts; /* db_prepare()'s */
    long long max_pid;           /* db_max_pid() */
    long long mss_end;           /* db_mss_end() */
    unsigned fts_prefix;         /* db_fts_prefix() */
    const struct dataset *ds;    /* db_dataset() */
    /* db_place_prof_index(), by enum place_key. */
    char place_prof_index[4][64];
    double fts_rows;                 /* db_fts_rows() */
    double fts_avgdl;                /* db_fts_avgdl() */
    struct db_record_cache *records; /* the dataset's */
    uint64_t *pidbits;               /* db_pidbits() */
    struct db_memo *memo;            /* db_memo_get() and _put()'s */
    struct db_conn *next;            /* in g.all, or in g.spare */
};
_Static_assert(offsetof(struct db_conn, lim) == 0,
               "db_limits() casts a connection to its limits");

/* The cache holds one entry per query shape (the SQL text varies with the
 * filters given, never with their values): a few dozen in practice. A client
 * could make more shapes with odd filter combinations; past this many the
 * cache is emptied at the start of the next request (never during one: a
 * request may hold several statements at once). */
#define DB_STMT_MAX 512

static struct {
    pthread_mutex_t lock;
    char *path;
    struct dataset *ds; /* of the generation being served */
    atomic_uint gen;
    /* Signalled when db_check() is done with a changed file (published
     * or refused): threads that found the path naming a newer file than
     * the generation's wait for it (db_acquire()). */
    pthread_cond_t checked;
    unsigned nchecks;
    int present; /* the last stat() found a file */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    atomic_int loading; /* db_init()/db_check() is building a dataset */
    struct db_conn *all;
    /* The served generation's connections that no thread has taken yet,
     * opened by its load: nconns of them (db_init()), one per thread that
     * serves requests. A thread with no connection to the generation takes
     * one, rather than open the path: once a newer file has replaced the
     * generation's there, that would give it nothing to serve until the
     * newer file's load is over. */
    struct db_conn *spare;
    unsigned nconns;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .checked = PTHREAD_COND_INITIALIZER};

static _Thread_local struct db_conn *tl_conn;

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "file:" URI for path with the characters URIs reserve escaped, so that a
 * path with '?' or '%' still names the file. */
static char *uri_for(const char *path)
{
    struct buf b;
    buf_init(&b, 16384);
    buf_addstr(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (*p == '?' || *p == '#' || *p == '%' || *p < 0x20 || *p >= 0x7f)
            buf_addf(&b, "%%%02X", *p);
        else
            buf_add(&b, p, 1);
    }
    buf_addstr(&b, "?immutable=1");
    return buf_detach(&b, NULL);
}

int db_over_now(struct db_conn *c)
{
    if (c->lim.deadline <= 0)
        return c->lim.interrupted;
    double now = now_s();
    if (c->req_deadline > 0 && now > c->req_deadline)
        c->lim.expired = 1;
    if (c->gone && now >= c->next_poll) {
        c->next_poll = now + DB_POLL_MS / 1000.0;
        if (c->gone(c->gone_arg))
            c->lim.expired = 1;
    }
    if (c->lim.expired || now > c->lim.deadline)
        c->lim.interrupted = 1;
    return c->lim.interrupted;
}

static int progress_cb(void *arg)
{
    return db_over_now(arg);
}

void db_request_begin(struct db_conn *c, double ms, int (*gone)(void *),
                      void *arg)
{
    double now = now_s();
    c->req_deadline = ms > 0 ? now + ms / 1000.0 : 0;
    c->gone = gone;
    c->gone_arg = arg;
    c->next_poll = now + DB_POLL_MS / 1000.0;
    c->lim.expired = 0;
    db_unbudget(c);
}

void db_request_end(struct db_conn *c)
{
    c->req_deadline = 0;
    c->gone = NULL;
    c->gone_arg = NULL;
    c->lim.expired = 0;
    db_unbudget(c);
}

void db_budget(struct db_conn *c, double ms)
{
    double d = ms > 0 ? now_s() + ms / 1000.0 : 0;
    if (c->req_deadline > 0 && (d <= 0 || d > c->req_deadline))
        d = c->req_deadline;
    if (d <= 0) {
        db_unbudget(c);
        return;
    }
    c->lim.interrupted = c->lim.expired;
    c->lim.deadline = d;
    /* About every 20 us of VM work: the clock is read through the vDSO. */
    sqlite3_progress_handler(c->db, 2000, progress_cb, c);
}

void db_unbudget(struct db_conn *c)
{
    c->lim.interrupted = c->lim.expired;
    c->lim.deadline = 0;
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
}

sqlite3 *db_handle(const struct db_conn *c)
{
    return c->db;
}

const struct dataset *db_dataset(const struct db_conn *c)
{
    return c->ds;
}

unsigned db_conn_gen(const struct db_conn *c)
{
    return c->gen;
}

const char *db_etag(const struct db_conn *c)
{
    return c->etag;
}

const char *db_path(const struct db_conn *c)
{
    return c->path;
}

double db_opened_at(const struct db_conn *c)
{
    return c->opened_at;
}

long long db_max_pid(const struct db_conn *c)
{
    return c->max_pid;
}

long long db_mss_end(const struct db_conn *c)
{
    return c->mss_end;
}

unsigned db_fts_prefix(const struct db_conn *c)
{
    return c->fts_prefix;
}

double db_fts_rows(const struct db_conn *c)
{
    return c->fts_rows;
}

double db_fts_avgdl(const struct db_conn *c)
{
    return c->fts_avgdl;
}

const char *db_place_prof_index(const struct db_conn *c, int pk)
{
    size_t n = sizeof(c->place_prof_index) / sizeof(c->place_prof_index[0]);
    return pk >= 0 && (size_t)pk < n ? c->place_prof_index[pk] : "";
}

struct db_record_cache *db_records(const struct db_conn *c)
{
    return c->records;
}

/* db_memo_put() keeps at most this many values a connection: its one
 * caller stores one per mailbox domain of 1,000 mailboxes or more, which
 * the 540,000 mailboxes of the full-scale file bound to 540 (a few dozen
 * in practice); past the cap a value is computed again each time. */
#define DB_MEMO_MAX 4096

struct db_memo {
    struct htab index;
    struct {
        char *key;
        long long v;
    } * v;
    size_t n;
};

int db_memo_get(struct db_conn *c, const char *key, long long *v)
{
    struct db_memo *m = c->memo;
    if (!m)
        return 0;
    uint64_t h = htab_hash(key, strlen(key));
    size_t pos;
    for (uint32_t i = htab_first(&m->index, h, &pos); i != HTAB_NONE;
         i = htab_next(&m->index, h, &pos))
        if (strcmp(m->v[i].key, key) == 0) {
            *v = m->v[i].v;
            return 1;
        }
    return 0;
}

void db_memo_put(struct db_conn *c, const char *key, long long v)
{
    if (!c->memo) {
        c->memo = xcalloc(1, sizeof(*c->memo));
        c->memo->v = xmalloc(DB_MEMO_MAX * sizeof(*c->memo->v));
        htab_init(&c->memo->index, 64);
    }
    struct db_memo *m = c->memo;
    long long old;
    if (m->n == DB_MEMO_MAX || db_memo_get(c, key, &old))
        return;
    m->v[m->n].key = xstrdup(key);
    m->v[m->n].v = v;
    htab_add(&m->index, htab_hash(key, strlen(key)), (uint32_t)m->n);
    m->n++;
}

static void memo_free(struct db_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].key);
    free(m->v);
    htab_release(&m->index);
    free(m);
}

uint64_t *db_pidbits(struct db_conn *c)
{
    if (!c->pidbits) {
        size_t words = (size_t)(dataset_npids(c->ds) >> 6) + 1;
        c->pidbits = xmalloc(words * sizeof(*c->pidbits));
    }
    return c->pidbits;
}

const char *db_label(const struct db_conn *c, const char *list,
                     const char *code)
{
    return dataset_label(c->ds, list, code);
}

int db_has_specialty(const struct db_conn *c, long long pid)
{
    return dataset_has_specialty(c->ds, pid);
}

int db_has_table(struct db_conn *c, const char *name)
{
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT 1 FROM sqlite_master WHERE type ="
                             " 'table' AND name = ?1");
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int have = sqlite3_step(st) == SQLITE_ROW;
    db_done(st);
    return have;
}

const char *db_text(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s && *s ? s : NULL;
}

/* One integer from sql (no parameters), or -1 (logged). */
static long long query_int(struct db_conn *c, const char *sql, long long arg)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, arg);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL
                ? 0
                : sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        v = 0;
    else
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    return v;
}

/* The last pid, and the end of the MSSante block: professionals with a
 * mailbox come first in pid order, so has_mss is 1 up to some pid and 0
 * after it, and a binary search over the rowid finds that pid in about 21
 * lookups (there is no index on has_mss, and none is needed). */
static int pid_bounds(struct db_conn *c)
{
    c->max_pid = query_int(c, "SELECT max(pid) FROM professional", 0);
    if (c->max_pid < 0)
        return -1;
    long long lo = 0, hi = c->max_pid; /* has_mss(lo) = 1, (hi, ..) = 0 */
    while (lo < hi) {
        long long mid = lo + (hi - lo + 1) / 2;
        long long v = query_int(c,
                                "SELECT has_mss FROM professional"
                                " WHERE pid >= ?1 ORDER BY pid LIMIT 1",
                                mid);
        if (v < 0)
            return -1;
        if (v)
            lo = mid;
        else
            hi = mid - 1;
    }
    c->mss_end = lo;
    return 0;
}

/* The prefix index lengths of name_fts, from its prefix= option as the
 * CREATE VIRTUAL TABLE statement gives it ("prefix = '1 2 3'"): a prefix
 * query of such a length reads one doclist lazily, any other length makes
 * FTS5 merge every matching term's doclist first. */
static unsigned fts_prefixes(struct db_conn *c)
{
    sqlite3_stmt *st = NULL;
    unsigned mask = 0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT sql FROM sqlite_master"
                           " WHERE name = 'name_fts'",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        const char *p = sql ? strstr(sql, "prefix") : NULL;
        if (p)
            p = strpbrk(p, "'\"");
        if (p) {
            char q = *p++;
            while (*p && *p != q) {
                char *end;
                long n = strtol(p, &end, 10);
                if (end == p) {
                    p++;
                    continue;
                }
                if (n > 0 && n < 32)
                    mask |= 1u << n;
                p = end;
            }
        }
    }
    sqlite3_finalize(st);
    return mask;
}

/* One SQLite varint (big-endian, 7 bits a byte, the 9th byte whole) from
 * p[0..n); advances *i. */
static unsigned long long get_varint(const unsigned char *p, int n, int *i)
{
    unsigned long long v = 0;
    for (int k = 0; k < 9 && *i < n; k++) {
        unsigned char b = p[(*i)++];
        if (k == 8)
            return (v << 8) | b;
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80))
            break;
    }
    return v;
}

/* FTS5's own totals, which its bm25() reads too: the "averages" record
 * (rowid 1 of name_fts_data) is the row count then the token count of each
 * column, as varints. Without it: one row a professional, 3 tokens. */
static void fts_stats(struct db_conn *c)
{
    sqlite3_stmt *st = NULL;
    c->fts_rows = (double)(c->max_pid > 0 ? c->max_pid : 1);
    c->fts_avgdl = 3.0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT block FROM name_fts_data WHERE id = 1", -1,
                           &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0), i = 0;
        if (p && n > 0) {
            double rows = (double)get_varint(p, n, &i), tokens = 0;
            while (i < n)
                tokens += (double)get_varint(p, n, &i);
            if (rows > 0 && tokens > 0) {
                c->fts_rows = rows;
                c->fts_avgdl = tokens / rows;
            }
        }
    }
    sqlite3_finalize(st);
}

/* Finds the indexes on activity that begin (place key, profession_code). */
static void place_prof_indexes(struct db_conn *c)
{
    _Static_assert(sizeof(c->place_prof_index) /
                           sizeof(c->place_prof_index[0]) ==
                       PLACE_KEYS,
                   "an index name per place key");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            c->db,
            "SELECT a.name, a.col FROM (SELECT il.name AS name, ii.name AS col"
            " FROM pragma_index_list('activity') il,"
            " pragma_index_info(il.name) ii WHERE ii.seqno = 0) a"
            " JOIN (SELECT il.name AS name FROM pragma_index_list('activity')"
            " il, pragma_index_info(il.name) ii WHERE ii.seqno = 1"
            " AND ii.name = 'profession_code') b ON a.name = b.name",
            -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *col = (const char *)sqlite3_column_text(st, 1);
        for (int i = 0; name && col && i < PLACE_KEYS; i++)
            if (strcmp(col, place_keys[i].col) == 0 &&
                strlen(name) < sizeof(c->place_prof_index[i]))
                memcpy(c->place_prof_index[i], name, strlen(name) + 1);
    }
    sqlite3_finalize(st);
}

/* Checks the schema version, computes the ETag and reads what the
 * connection knows of its file (pid bounds, full-text statistics, indexes). */
static int conn_setup(struct db_conn *c)
{
    sqlite3_stmt *st = NULL;
    int ver = -1;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        sqlite3_finalize(st);
        return -1;
    }
    ver = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (ver != DB_SCHEMA_VERSION) {
        log_warn("%s: schema version %d, this server needs %d", c->path, ver,
                 DB_SCHEMA_VERSION);
        return -1;
    }
    /* The ETag is a hash of what identifies the dataset (the meta table:
     * build time and row counts) and of this server's version, so every
     * thread computes the same tag for the same file, and a new server
     * version whose JSON differs does not reuse old tags. */
    uint64_t h = hash64(RPPS_VERSION, strlen(RPPS_VERSION));
    if (sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < 2; i++) {
            const void *p = sqlite3_column_blob(st, i);
            int n = sqlite3_column_bytes(st, i);
            h = (h * 0x100000001B3ull) ^ (p ? hash64(p, (size_t)n) : 7);
        }
    }
    sqlite3_finalize(st);
    snprintf(c->etag, sizeof(c->etag), "W/\"%016llx\"", (unsigned long long)h);
    if (pid_bounds(c) < 0)
        return -1;
    c->fts_prefix = fts_prefixes(c);
    fts_stats(c);
    place_prof_indexes(c);
    return 0;
}

/* rpps_initials(pid, need): 1 if pid's name initials hold every bit of
 * need (dataset_initials()), or a word begins otherwise than in ASCII
 * (FTS5 may fold that letter); evaluated by SQLite on each row of a name
 * match, so that the rows it rejects never leave the statement. */
static void sql_initials(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct dataset *ds = sqlite3_user_data(ctx);
    const uint32_t *initials = dataset_initials(ds);
    long long pid = sqlite3_value_int64(argv[0]);
    uint32_t need = (uint32_t)sqlite3_value_int64(argv[1]);
    int ok = 1;
    if (initials && pid > 0 && pid < dataset_npids(ds)) {
        uint32_t ini = initials[pid];
        ok = (ini & need) == need || (ini & (1u << 31));
    }
    sqlite3_result_int(ctx, ok);
}

/* Opens path. With ds (a generation's dataset), the connection shares it,
 * and is refused (NULL, *newer set) when the file at path is no longer the
 * one ds was built from: a newer file is there, which db_check() is to
 * publish. Without ds, it builds the file's own (db_conn_open(), and
 * db_check() before publishing). */
static struct db_conn *conn_open(const char *path, struct dataset *ds,
                                 int *newer)
{
    struct db_conn *c = xcalloc(1, sizeof(*c));
    c->path = xstrdup(path);
    c->stmts = xcalloc(1, sizeof(*c->stmts));
    char *uri = uri_for(path);
    int rc = sqlite3_open_v2(
        uri, &c->db,
        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, path,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        db_conn_free(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* Read through a shared mapping of the file: no read() copy per page
     * and one copy of the hot pages in memory for all threads (the page
     * cache), instead of a private SQLite page cache per connection. */
    sqlite3_exec(c->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
    if (conn_setup(c) < 0) {
        db_conn_free(c);
        return NULL;
    }
    if (ds && strcmp(dataset_etag(ds), c->etag) != 0) {
        *newer = 1;
        db_conn_free(c);
        return NULL;
    }
    c->ds = ds ? dataset_ref(ds) : dataset_build(path, c->etag, c->max_pid + 1);
    if (!c->ds) {
        db_conn_free(c);
        return NULL;
    }
    c->opened_at = wall_s();
    c->records = dataset_records(c->ds);
    sqlite3_create_function_v2(c->db, "rpps_initials", 2,
                               SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                   SQLITE_INNOCUOUS,
                               (void *)c->ds, sql_initials, NULL, NULL, NULL);
    return c;
}

struct db_conn *db_conn_open(const char *path)
{
    int newer = 0;
    return conn_open(path, NULL, &newer);
}

static void stmts_clear(struct db_stmt_cache *sc)
{
    memset(sc->lit, 0, sizeof(sc->lit));
    for (size_t i = 0; i < sc->n; i++) {
        sqlite3_finalize(sc->v[i].st);
        free(sc->v[i].sql);
    }
    free(sc->v);
    sc->v = NULL;
    sc->n = sc->cap = 0;
    htab_release(&sc->index);
}

void db_conn_free(struct db_conn *c)
{
    if (!c)
        return;
    free(c->pidbits);
    memo_free(c->memo);
    if (c->stmts)
        stmts_clear(c->stmts);
    free(c->stmts);
    sqlite3_close(c->db);
    free(c->path);
    /* Last, so that the malloc_trim() of its last reference returns c's
     * memory too. */
    const struct dataset *ds = c->ds;
    free(c);
    dataset_unref((struct dataset *)ds);
}

sqlite3_stmt *db_prepare(struct db_conn *c, const char *sql)
{
    struct db_stmt_cache *sc = c->stmts;
    uint64_t h = htab_hash(sql, strlen(sql));
    size_t pos;
    for (uint32_t i = htab_first(&sc->index, h, &pos); i != HTAB_NONE;
         i = htab_next(&sc->index, h, &pos)) {
        if (strcmp(sc->v[i].sql, sql) == 0) {
            sqlite3_stmt *st = sc->v[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 64;
        sc->v = xrealloc(sc->v, sc->cap * sizeof(*sc->v));
    }
    sc->v[sc->n].sql = xstrdup(sql);
    sc->v[sc->n].st = st;
    htab_add(&sc->index, h, (uint32_t)sc->n++);
    return st;
}

sqlite3_stmt *db_prepare_static(struct db_conn *c, const char *sql)
{
    struct db_stmt_cache *sc = c->stmts;
    size_t j = ((uintptr_t)sql >> 3) & 63;
    if (sc->lit[j].sql == sql && sc->lit[j].st) {
        sqlite3_reset(sc->lit[j].st);
        sqlite3_clear_bindings(sc->lit[j].st);
        return sc->lit[j].st;
    }
    sqlite3_stmt *st = db_prepare(c, sql); /* owned by the text cache */
    sc->lit[j].sql = sql;
    sc->lit[j].st = st;
    return st;
}

void db_done(sqlite3_stmt *st)
{
    if (st)
        sqlite3_reset(st);
}

static int stat_path(struct stat *sb)
{
    return stat(g.path, sb);
}

static void remember_stat(const struct stat *sb)
{
    g.present = 1;
    g.dev = sb->st_dev;
    g.ino = sb->st_ino;
    g.size = sb->st_size;
    g.mtime = sb->st_mtim;
}

/* db_check() is done with a changed file: wakes the threads waiting for
 * it (under g.lock). */
static void checked_locked(void)
{
    g.nchecks++;
    pthread_cond_broadcast(&g.checked);
}

unsigned db_test_load_delay_ms;

/* Opens the file at the path and builds its dataset, /readyz saying
 * "loading" meanwhile if nothing serves yet, until the caller's
 * publish() or its loaded(). NULL (logged) if it cannot be served. */
static struct db_conn *load(void)
{
    atomic_store(&g.loading, 1);
    struct db_conn *c = db_conn_open(g.path);
    /* The generation's other connections (g.spare), chained after c: they
     * share its dataset. One that fails (the path already names another
     * file) is left to the thread that would have taken it. */
    for (unsigned i = 1; c && i < g.nconns; i++) {
        int newer = 0;
        struct db_conn *s = conn_open(g.path, (struct dataset *)c->ds, &newer);
        if (!s)
            break;
        s->next = c->next;
        c->next = s;
    }
    if (c && db_test_load_delay_ms) {
        struct timespec ts = {db_test_load_delay_ms / 1000,
                              (long)(db_test_load_delay_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    return c;
}

/* The load is over, the file published or refused. */
static void loaded(void)
{
    atomic_store(&g.loading, 0);
}

enum db_state db_state(void)
{
    if (atomic_load(&g.gen))
        return DB_READY;
    return atomic_load(&g.loading) ? DB_LOADING : DB_NONE;
}

/* Frees a chain of connections (linked by next). */
static void conns_free(struct db_conn *c)
{
    while (c) {
        struct db_conn *next = c->next;
        db_conn_free(c);
        c = next;
    }
}

/* Makes the validated connection c's file the served generation: its
 * dataset (built by this thread) becomes the generation's, and c with the
 * connections chained after it (load()) its spares. */
static unsigned publish(struct db_conn *c)
{
    struct dataset *ds = dataset_ref((struct dataset *)c->ds);
    pthread_mutex_lock(&g.lock);
    struct dataset *old = g.ds;
    g.ds = ds;
    unsigned gen = atomic_fetch_add(&g.gen, 1) + 1;
    for (struct db_conn *s = c; s; s = s->next)
        s->gen = gen;
    struct db_conn *old_spare = g.spare;
    g.spare = c;
    checked_locked();
    pthread_mutex_unlock(&g.lock);
    loaded();
    conns_free(old_spare);
    dataset_unref(old);
    return gen;
}

void db_init(const char *path, unsigned nconns)
{
    g.path = xstrdup(path);
    g.nconns = nconns ? nconns : 1;
    struct stat sb;
    if (stat_path(&sb) < 0) {
        log_warn("%s: not there yet: answering 503 until it appears", path);
        return;
    }
    remember_stat(&sb);
    struct db_conn *c = load();
    if (!c) {
        loaded();
        log_warn("%s: not a database this server can serve: answering 503"
                 " until a valid one replaces it",
                 path);
        return;
    }
    publish(c);
}

void db_check(int force)
{
    struct stat sb;
    if (stat_path(&sb) < 0)
        return; /* gone for a moment (or for good): keep serving the old */
    if (!force && g.present && sb.st_dev == g.dev && sb.st_ino == g.ino &&
        sb.st_size == g.size && sb.st_mtim.tv_sec == g.mtime.tv_sec &&
        sb.st_mtim.tv_nsec == g.mtime.tv_nsec)
        return;
    /* Validate before moving everyone: a bad file keeps the old one in
     * service (threads already on it stay there), or the 503s if there is
     * none yet. It is looked at again only when it changes. The dataset
     * is built here, before the file is published: no request waits for
     * it but those of threads that have no connection at all. */
    remember_stat(&sb);
    struct db_conn *c = load();
    if (!c) {
        loaded();
        pthread_mutex_lock(&g.lock);
        checked_locked();
        pthread_mutex_unlock(&g.lock);
        if (atomic_load(&g.gen))
            log_warn("%s: new file refused, still serving the previous one",
                     g.path);
        else
            log_warn("%s: not a database this server can serve: still"
                     " answering 503",
                     g.path);
        return;
    }
    unsigned gen = publish(c);
    log_info("%s: now serving generation %u", g.path, gen);
}

unsigned db_generation(void)
{
    return atomic_load(&g.gen);
}

static void conn_unlink(struct db_conn *c)
{
    pthread_mutex_lock(&g.lock);
    for (struct db_conn **p = &g.all; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&g.lock);
}

/* How long a thread with no connection waits for db_check() to publish
 * (or refuse) the newer file it found at the path: the dataset's build,
 * about a second at full scale, a few under load; then 503. */
#define DB_SWAP_WAIT_S 10

/* Waits until db_check() is done with a file after nchecks, or
 * DB_SWAP_WAIT_S. */
static void wait_checked(unsigned nchecks)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DB_SWAP_WAIT_S;
    pthread_mutex_lock(&g.lock);
    while (g.nchecks == nchecks &&
           pthread_cond_timedwait(&g.checked, &g.lock, &until) == 0)
        ;
    pthread_mutex_unlock(&g.lock);
}

struct db_conn *db_acquire(void)
{
    for (int waited = 0;; waited = 1) {
        unsigned gen = atomic_load(&g.gen);
        if (gen == 0)
            return NULL;
        if (tl_conn && tl_conn->gen == gen) {
            if (tl_conn->stmts->n > DB_STMT_MAX)
                stmts_clear(tl_conn->stmts);
            return tl_conn;
        }
        pthread_mutex_lock(&g.lock);
        gen = atomic_load(&g.gen);
        struct db_conn *c = g.spare;
        if (c)
            g.spare = c->next;
        struct dataset *ds = c ? NULL : dataset_ref(g.ds);
        unsigned nchecks = g.nchecks;
        pthread_mutex_unlock(&g.lock);
        int newer = 0;
        if (!c) {
            c = conn_open(g.path, ds, &newer);
            dataset_unref(ds);
            if (c)
                c->gen = gen;
        }
        if (!c) {
            /* The path names a newer file than the generation's (or one
             * that cannot be served): the previous connection serves until
             * db_check() has published it; a thread that has none waits
             * for that, once, rather than build the file's dataset inside
             * a request. */
            if (tl_conn || !newer || waited)
                return tl_conn;
            wait_checked(nchecks);
            continue;
        }
        if (tl_conn) {
            conn_unlink(tl_conn);
            db_conn_free(tl_conn);
        }
        tl_conn = c;
        pthread_mutex_lock(&g.lock);
        c->next = g.all;
        g.all = c;
        pthread_mutex_unlock(&g.lock);
        return c;
    }
}

void db_release(struct db_conn *c)
{
    if (!c || c != tl_conn || c->gen == atomic_load(&g.gen))
        return;
    conn_unlink(c);
    db_conn_free(c);
    tl_conn = NULL;
}

void db_shutdown(void)
{
    pthread_mutex_lock(&g.lock);
    struct db_conn *c = g.all, *spare = g.spare;
    g.all = g.spare = NULL;
    pthread_mutex_unlock(&g.lock);
    conns_free(c);
    conns_free(spare);
    tl_conn = NULL;
    dataset_unref(g.ds);
    g.ds = NULL;
    free(g.path);
    g.path = NULL;
}
