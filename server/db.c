/* Read-only connections, statement cache, labels and hot swap. See db.h.
 * Connections open the file with immutable=1: the importer never writes a
 * served file in place (it renames a new one over it), so SQLite can skip the
 * file locks and journal checks it would otherwise make on every statement. */
#include "db.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lex.h"
#include "util.h"
#include "banned.h"

struct db_stmt {
    char *sql; /* NULL = empty slot */
    uint64_t hash;
    sqlite3_stmt *st;
};

struct db_label {
    char *key; /* "list\0code" packed as "list\x1fcode" */
    uint64_t hash;
    char *label;
};

/* The cache holds one entry per query shape (the SQL text varies with the
 * filters given, never with their values): a few dozen in practice. A client
 * could make more shapes with odd filter combinations; past this many the
 * cache is emptied at the start of the next request (never during one: a
 * request may hold several statements at once). */
#define DB_STMT_MAX 512

static struct {
    pthread_mutex_t lock;
    char *path;
    struct db_shared *shared; /* of the generation being served */
    atomic_uint gen;
    int present; /* the last stat() found a file */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct db_conn *all;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

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
    if (c->deadline <= 0)
        return c->interrupted;
    double now = now_s();
    if (c->req_deadline > 0 && now > c->req_deadline)
        c->expired = 1;
    if (c->gone && now >= c->next_poll) {
        c->next_poll = now + DB_POLL_MS / 1000.0;
        if (c->gone(c->gone_arg))
            c->expired = 1;
    }
    if (c->expired || now > c->deadline)
        c->interrupted = 1;
    return c->interrupted;
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
    c->expired = 0;
    db_unbudget(c);
}

void db_request_end(struct db_conn *c)
{
    c->req_deadline = 0;
    c->gone = NULL;
    c->gone_arg = NULL;
    c->expired = 0;
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
    c->interrupted = c->expired;
    c->deadline = d;
    /* About every 20 us of VM work: the clock is read through the vDSO. */
    sqlite3_progress_handler(c->db, 2000, progress_cb, c);
}

void db_unbudget(struct db_conn *c)
{
    c->interrupted = c->expired;
    c->deadline = 0;
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
}

static uint64_t label_hash(const char *list, const char *code)
{
    uint64_t h = hash64(list, strlen(list));
    return h ^ (hash64(code, strlen(code)) * 0x9E3779B97F4A7C15ull);
}

static void label_put(struct db_conn *c, const char *list, const char *code,
                      const char *label)
{
    if ((c->nlabels + 1) * 2 > c->caplabels) {
        size_t ncap = c->caplabels ? c->caplabels * 2 : 1024;
        struct db_label *n = xcalloc(ncap, sizeof(*n));
        for (size_t i = 0; i < c->caplabels; i++) {
            if (!c->labels[i].key)
                continue;
            size_t j = c->labels[i].hash & (ncap - 1);
            while (n[j].key)
                j = (j + 1) & (ncap - 1);
            n[j] = c->labels[i];
        }
        free(c->labels);
        c->labels = n;
        c->caplabels = ncap;
    }
    uint64_t h = label_hash(list, code);
    size_t j = h & (c->caplabels - 1);
    size_t ll = strlen(list), cl = strlen(code);
    while (c->labels[j].key) {
        const char *k = c->labels[j].key;
        if (c->labels[j].hash == h && strncmp(k, list, ll) == 0 &&
            k[ll] == '\x1f' && strcmp(k + ll + 1, code) == 0)
            return; /* primary key: cannot happen */
        j = (j + 1) & (c->caplabels - 1);
    }
    char *key = xmalloc(ll + cl + 2);
    memcpy(key, list, ll);
    key[ll] = '\x1f';
    memcpy(key + ll + 1, code, cl + 1);
    c->labels[j].key = key;
    c->labels[j].hash = h;
    c->labels[j].label = xstrdup(label ? label : "");
    c->nlabels++;
}

const char *db_label(const struct db_conn *c, const char *list,
                     const char *code)
{
    if (!code || !c->caplabels)
        return NULL;
    uint64_t h = label_hash(list, code);
    size_t ll = strlen(list);
    size_t j = h & (c->caplabels - 1);
    while (c->labels[j].key) {
        const char *k = c->labels[j].key;
        if (c->labels[j].hash == h && strncmp(k, list, ll) == 0 &&
            k[ll] == '\x1f' && strcmp(k + ll + 1, code) == 0)
            return c->labels[j].label[0] ? c->labels[j].label : NULL;
        j = (j + 1) & (c->caplabels - 1);
    }
    return NULL;
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
    static const char *const keys[4] = {"insee", "city_fold", "postcode",
                                        "dept_code"};
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
        for (int i = 0; name && col && i < 4; i++)
            if (strcmp(col, keys[i]) == 0 &&
                strlen(name) < sizeof(c->place_prof_index[i]))
                memcpy(c->place_prof_index[i], name, strlen(name) + 1);
    }
    sqlite3_finalize(st);
}

/* Checks the schema version, loads labels and computes the ETag. */
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
    if (sqlite3_prepare_v2(c->db, "SELECT list, code, label FROM code", -1, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *list = (const char *)sqlite3_column_text(st, 0);
        const char *code = (const char *)sqlite3_column_text(st, 1);
        if (list && code)
            label_put(c, list, code, (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
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

/* ---- Place columns in memory ---- */

/* Column and index per DB_PLACE_*: the (value, aid) entries of an index
 * on one column are in value then aid (so pid) order: one pass groups
 * them by value with each person's pids ascending. */
static const char *const place_cols[DB_PLACE_COLS][2] = {
    {"insee", "activity_insee"},
    {"city_fold", "activity_city"},
    {"postcode", "activity_postcode"},
    {"dept_code", "activity_dept"},
};

static void place_col_release(struct db_place_col *pc)
{
    free(pc->keys);
    free(pc->key_off);
    free(pc->at);
    free(pc->pid);
    memset(pc, 0, sizeof(*pc));
}

static void places_free(struct db_place_col *pl)
{
    if (!pl)
        return;
    for (int i = 0; i < DB_PLACE_COLS; i++)
        place_col_release(&pl[i]);
    free(pl);
}

static int place_col_read(sqlite3 *db, const char *path, int col,
                          struct db_place_col *pc)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT %s, aid FROM activity INDEXED BY %s WHERE %s IS NOT NULL"
             " ORDER BY %s, aid",
             place_cols[col][0], place_cols[col][1], place_cols[col][0],
             place_cols[col][0]);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, path, sqlite3_errmsg(db));
        return -1;
    }
    size_t capk = 1024, capb = 16384, capp = 1 << 20, nb = 0, np = 0;
    pc->keys = xmalloc(capb);
    pc->key_off = xmalloc(capk * sizeof(*pc->key_off));
    pc->at = xmalloc((capk + 1) * sizeof(*pc->at));
    pc->pid = xmalloc(capp * sizeof(*pc->pid));
    const char *last = NULL; /* the current value, in pc->keys */
    long long last_pid = -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        long long pid = sqlite3_column_int64(st, 1) >> 20;
        if (!v || pid <= 0 || pid > UINT32_MAX)
            continue;
        if (!last || strcmp(last, v) != 0) {
            size_t len = strlen(v) + 1;
            if (nb + len > UINT32_MAX) {
                rc = SQLITE_FULL;
                break;
            }
            if (pc->nkeys == capk) {
                capk *= 2;
                pc->key_off =
                    xrealloc(pc->key_off, capk * sizeof(*pc->key_off));
                pc->at = xrealloc(pc->at, (capk + 1) * sizeof(*pc->at));
            }
            while (nb + len > capb) {
                capb *= 2;
                pc->keys = xrealloc(pc->keys, capb);
            }
            memcpy(pc->keys + nb, v, len);
            pc->key_off[pc->nkeys] = (uint32_t)nb;
            pc->at[pc->nkeys++] = (uint32_t)np;
            last = pc->keys + nb;
            nb += len;
            last_pid = -1;
        }
        if (pid == last_pid)
            continue; /* another activity of the same person */
        if (np == capp) {
            if (capp >= UINT32_MAX / 2) {
                rc = SQLITE_FULL;
                break;
            }
            capp *= 2;
            pc->pid = xrealloc(pc->pid, capp * sizeof(*pc->pid));
        }
        pc->pid[np++] = (uint32_t)pid;
        last_pid = pid;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_warn("%s: %s: reading %s: %s", __func__, path, place_cols[col][1],
                 rc == SQLITE_FULL ? "too large" : sqlite3_errstr(rc));
        return -1;
    }
    pc->at[pc->nkeys] = (uint32_t)np;
    pc->pid = xrealloc(pc->pid, (np ? np : 1) * sizeof(*pc->pid));
    return 0;
}

struct places_job {
    const char *path;
    long long n;              /* entries of modes: max_pid + 1 */
    struct db_place_col *out; /* NULL on failure */
    unsigned char *modes;     /* NULL on failure */
    char mode_codes[DB_MODE_CODES][8];
    int nmode_codes;
    double ms;
};

/* The modes of each person's activities (db_shared.modes), by a scan of
 * activity in aid order: ~0.3 s at full scale, on the places' thread. */
static unsigned char *modes_read(sqlite3 *db, struct places_job *j)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT aid, mode_code FROM activity", -1, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, j->path, sqlite3_errmsg(db));
        return NULL;
    }
    unsigned char *m = xcalloc((size_t)j->n, 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0) >> 20;
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (pid <= 0 || pid >= j->n)
            continue;
        int bit = DB_MODE_OTHER;
        for (int i = 0; v && i < j->nmode_codes; i++)
            if (strcmp(j->mode_codes[i], v) == 0)
                bit = i;
        if (v && bit == DB_MODE_OTHER && j->nmode_codes < DB_MODE_CODES &&
            strlen(v) < sizeof(j->mode_codes[0])) {
            bit = j->nmode_codes++;
            memcpy(j->mode_codes[bit], v, strlen(v) + 1);
        }
        m[pid] |= (unsigned char)(1u << bit);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_warn("%s: %s: %s", __func__, j->path, sqlite3_errstr(rc));
        free(m);
        return NULL;
    }
    return m;
}

/* Reads the four place columns on its own connection (a thread of its
 * own while shared_build() reads professions and names): about 2.4 M
 * entries each at full scale, ~0.1 us an entry. */
static void *places_load(void *arg)
{
    struct places_job *j = arg;
    double t0 = now_s();
    sqlite3 *db = NULL;
    char *uri = uri_for(j->path);
    int rc = sqlite3_open_v2(
        uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
        NULL);
    free(uri);
    struct db_place_col *pl = xcalloc(DB_PLACE_COLS, sizeof(*pl));
    if (rc != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, j->path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        places_free(pl);
        pl = NULL;
    } else {
        sqlite3_exec(db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
        for (int i = 0; i < DB_PLACE_COLS && pl; i++) {
            if (place_col_read(db, j->path, i, &pl[i]) < 0) {
                places_free(pl);
                pl = NULL;
            }
        }
        if (pl)
            j->modes = modes_read(db, j);
    }
    sqlite3_close(db);
    j->out = pl;
    j->ms = (now_s() - t0) * 1e3;
    return NULL;
}

/* Orders each value's people by profession (sh->prof), then pid: one
 * profession's people there are then a contiguous run, found by two
 * binary searches, with no lookup per person. A counting sort per value:
 * about 50 ms for the four columns at full scale, once per file. */
static void places_by_profession(struct db_shared *sh)
{
    if (!sh->places)
        return;
    size_t cap = 0;
    uint32_t *tmp = NULL;
    for (int col = 0; col < DB_PLACE_COLS; col++) {
        struct db_place_col *pc = &sh->places[col];
        for (size_t k = 0; k < pc->nkeys; k++) {
            uint32_t *v = pc->pid + pc->at[k];
            size_t n = pc->at[k + 1] - pc->at[k];
            uint32_t count[257] = {0};
            for (size_t i = 0; i < n; i++)
                count[sh->prof[v[i]] + 1]++;
            for (int i = 1; i < 257; i++)
                count[i] += count[i - 1];
            if (n > cap) {
                cap = n;
                tmp = xrealloc(tmp, cap * sizeof(*tmp));
            }
            for (size_t i = 0; i < n; i++)
                tmp[count[sh->prof[v[i]]]++] = v[i];
            memcpy(v, tmp, n * sizeof(*v));
        }
    }
    free(tmp);
}

static const struct db_place_col *place_col(const struct db_conn *c, int col)
{
    return c->shared->places && col >= 0 && col < DB_PLACE_COLS
               ? &c->shared->places[col]
               : NULL;
}

/* The first value of pc that is >= v (byte order): an index in 0..nkeys. */
static size_t place_lower(const struct db_place_col *pc, const char *v)
{
    size_t lo = 0, hi = pc->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pc->keys + pc->key_off[mid], v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long long db_place_range(const struct db_conn *c, int col, const char *lo,
                         const char *hi, size_t *first)
{
    const struct db_place_col *pc = place_col(c, col);
    if (!pc)
        return -1;
    size_t a = place_lower(pc, lo), b = place_lower(pc, hi);
    *first = a;
    return b > a ? (long long)(b - a) : 0;
}

long long db_place_run(const struct db_conn *c, int col, size_t k, int prof,
                       const uint32_t **pids)
{
    const struct db_place_col *pc = place_col(c, col);
    if (!pc || k >= pc->nkeys)
        return -1;
    const uint32_t *a = pc->pid + pc->at[k];
    size_t n = pc->at[k + 1] - pc->at[k];
    if (prof >= 0) {
        /* [first with prof >= prof, first with prof > prof) */
        const unsigned char *pr = c->shared->prof;
        size_t b[2];
        for (int e = 0; e < 2; e++) {
            size_t l = 0, h = n;
            while (l < h) {
                size_t m = l + (h - l) / 2;
                if (pr[a[m]] < prof + e)
                    l = m + 1;
                else
                    h = m;
            }
            b[e] = l;
        }
        a += b[0];
        n = b[1] - b[0];
    }
    *pids = a;
    return (long long)n;
}

long long db_place_pids(const struct db_conn *c, int col, const char *v,
                        int prof, const uint32_t **pids)
{
    const struct db_place_col *pc = place_col(c, col);
    if (!pc)
        return -1;
    size_t k = place_lower(pc, v);
    *pids = NULL;
    if (k == pc->nkeys || strcmp(pc->keys + pc->key_off[k], v) != 0)
        return 0;
    return db_place_run(c, col, k, prof, pids);
}

size_t db_cache_bytes = 16u << 20;

/* A record is about 700 bytes: one slot per KiB of the budget. */
static void records_init(struct db_record_cache *rc)
{
    rc->nslot = db_cache_bytes / 1024;
    rc->slot = rc->nslot ? xcalloc(rc->nslot, sizeof(*rc->slot)) : NULL;
    rc->stripe_max = db_cache_bytes / DB_CACHE_STRIPES;
    for (int i = 0; i < DB_CACHE_STRIPES; i++) {
        pthread_mutex_init(&rc->stripe[i].lock, NULL);
        rc->stripe[i].bytes = 0;
    }
}

static void records_free(struct db_record_cache *rc)
{
    for (size_t i = 0; i < rc->nslot; i++)
        free(rc->slot[i].json);
    free(rc->slot);
    for (int i = 0; i < DB_CACHE_STRIPES; i++)
        pthread_mutex_destroy(&rc->stripe[i].lock);
}

static void shared_release(struct db_shared *sh)
{
    if (!sh)
        return;
    pthread_mutex_lock(&g.lock);
    int last = --sh->refs == 0;
    pthread_mutex_unlock(&g.lock);
    if (last) {
        lex_unref(sh->lex);
        places_free(sh->places);
        records_free(&sh->records);
        free(sh->modes);
        free(sh->prof);
        free(sh->has_spec);
        free(sh->prefixes);
        free(sh->name_off);
        free(sh->initials);
        free(sh->names);
        free(sh);
        /* glibc keeps freed memory in its arenas: without this, every swap
         * left the old generation's shared data, lexicon and connections in
         * RSS (100,000 professionals, 6 swaps under load: RssAnon 30 -> 65
         * MiB; with it, 27 to 34 MiB after each swap; docs/reliability.md).
         * 0.5 to 14 ms, once per generation, on the request that drops the
         * last reference. */
        malloc_trim(0);
    }
}

static int plain_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static uint64_t prefix_hash(const char *p)
{
    return hash64(p, strlen(p)) * 0x9E3779B97F4A7C15ull;
}

static struct db_prefix *prefix_slot(struct db_shared *sh, const char *p)
{
    size_t j = prefix_hash(p) & (sh->capprefixes - 1);
    while (sh->prefixes[j].p[0] && strcmp(sh->prefixes[j].p, p) != 0)
        j = (j + 1) & (sh->capprefixes - 1);
    return &sh->prefixes[j];
}

/* The prefixes of 1 to 3 plain characters (a-z, 0-9) of every name word
 * with the sum and the maximum of their words' counts: what a short
 * prefix matches, known without reading name_term or name_fts (a few
 * thousand prefixes; 50 ms to build). */
static int shared_prefixes(struct db_conn *c, struct db_shared *sh)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT term, n FROM name_term", -1, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        return -1;
    }
    sh->capprefixes = 1 << 16; /* 36^3 = 46,656 possible: half full */
    sh->prefixes = xcalloc(sh->capprefixes, sizeof(*sh->prefixes));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        double n = (double)sqlite3_column_int64(st, 1);
        /* Prefixes of plain characters only (what a folded query word of 1
         * to 3 characters can be), of any word. */
        for (size_t k = 1; t && k <= 3 && plain_char(t[k - 1]); k++) {
            char p[4];
            memcpy(p, t, k);
            p[k] = '\0';
            struct db_prefix *e = prefix_slot(sh, p);
            if (!e->p[0])
                memcpy(e->p, p, k + 1);
            e->sum += n;
            if (n > e->max)
                e->max = n;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

const struct db_prefix *db_prefix_stat(const struct db_conn *c, const char *p)
{
    struct db_shared *sh = (struct db_shared *)c->shared;
    if (!sh->prefixes || strlen(p) > 3 || !p[0])
        return NULL;
    const struct db_prefix *e = prefix_slot(sh, p);
    return e->p[0] ? e : NULL;
}

/* Appends s and its NUL to the arena. */
static void arena_put(struct db_shared *sh, size_t *cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (sh->names_len + n + 1 > *cap) {
        *cap = (*cap + n + 1) * 2;
        sh->names = xrealloc(sh->names, *cap);
    }
    if (n)
        memcpy(sh->names + sh->names_len, s, n);
    sh->names[sh->names_len + n] = '\0';
    sh->names_len += n + 1;
}

/* The folded names of every professional, in pid order. Offsets are 32
 * bits: 4 GB of names is 70 times today's. */
static int shared_names(struct db_conn *c, struct db_shared *sh)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT pid, last_fold, first_fold, last_join"
                           " FROM professional ORDER BY pid",
                           -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        return -1;
    }
    sh->name_off = xcalloc((size_t)sh->n, sizeof(*sh->name_off));
    sh->initials = xcalloc((size_t)sh->n, sizeof(*sh->initials));
    size_t cap = (size_t)sh->n * 24 + 64;
    sh->names = xmalloc(cap);
    sh->names_len = 1; /* offset 0 means "none" */
    sh->names[0] = '\0';
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0);
        if (pid <= 0 || pid >= sh->n)
            continue;
        if (sh->names_len > 0xF0000000u) {
            log_warn("%s: %s: names too large", __func__, c->path);
            rc = -1;
            break;
        }
        /* Two 16-bit lengths (last, first: capped, names are short), then
         * the three names: db_names() needs no strlen(). */
        const char *v[3];
        size_t len[3];
        for (int i = 0; i < 3; i++) {
            v[i] = (const char *)sqlite3_column_text(st, i + 1);
            len[i] = v[i] ? strlen(v[i]) : 0;
            if (len[i] > 0xFFFF) {
                v[i] = NULL;
                len[i] = 0;
            }
        }
        if (sh->names_len + 4 > cap) {
            cap *= 2;
            sh->names = xrealloc(sh->names, cap);
        }
        char *h = sh->names + sh->names_len;
        h[0] = (char)(len[0] >> 8), h[1] = (char)len[0];
        h[2] = (char)(len[1] >> 8), h[3] = (char)len[1];
        sh->names_len += 4;
        sh->name_off[pid] = (unsigned)sh->names_len;
        uint32_t ini = 0;
        for (int i = 0; i < 3; i++) {
            arena_put(sh, &cap, v[i]);
            /* Words as word_class() in search.c splits them: on spaces. */
            for (size_t k = 0; k < len[i]; k++)
                if (v[i][k] != ' ' && (k == 0 || v[i][k - 1] == ' '))
                    ini |= db_initial_bit((unsigned char)v[i][k]);
        }
        sh->initials[pid] = ini;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads the profession of every professional from the (profession_code,
 * pid) index: 1.9 M entries, about 0.3 s, once per database file. */
static struct db_shared *shared_build(struct db_conn *c)
{
    double t0 = now_s();
    struct db_shared *sh = xcalloc(1, sizeof(*sh));
    sh->refs = 1;
    records_init(&sh->records);
    memcpy(sh->etag, c->etag, sizeof(sh->etag));
    sh->n = c->max_pid + 1;
    sh->prof = xcalloc((size_t)sh->n, 1);
    sh->ncodes = 1;
    struct places_job pj = {.path = c->path, .n = sh->n};
    pthread_t pth;
    int pthreaded = pthread_create(&pth, NULL, places_load, &pj) == 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT profession_code, pid FROM professional"
                           " INDEXED BY professional_profession"
                           " WHERE profession_code IS NOT NULL"
                           " ORDER BY profession_code",
                           -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        goto fail;
    }
    int cur = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(st, 0);
        long long pid = sqlite3_column_int64(st, 1);
        if (!code || pid <= 0 || pid >= sh->n)
            continue;
        if (!cur || strcmp(sh->codes[cur], code) != 0) {
            if (sh->ncodes == 256 || strlen(code) >= sizeof(sh->codes[0])) {
                cur = 0; /* never seen: such pids read as "none" */
                continue;
            }
            cur = sh->ncodes++;
            snprintf(sh->codes[cur], sizeof(sh->codes[cur]), "%s", code);
        }
        sh->prof[pid] = (unsigned char)cur;
    }
    sqlite3_finalize(st);
    /* Who has specialties at all (a fifth of them): the others' records
     * skip that lookup. */
    sh->has_spec = xcalloc((size_t)sh->n / 8 + 1, 1);
    if (sqlite3_prepare_v2(c->db, "SELECT DISTINCT pid FROM specialty", -1, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, c->path, sqlite3_errmsg(c->db));
        goto fail;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0);
        if (pid > 0 && pid < sh->n)
            sh->has_spec[pid >> 3] |= (unsigned char)(1u << (pid & 7));
    }
    sqlite3_finalize(st);
    if (shared_prefixes(c, sh) < 0 || shared_names(c, sh) < 0)
        goto fail;
    /* The search lexicon (a few hundred ms at full scale, two threads):
     * without it the server still serves, names as typed. */
    sh->lex = lex_load(c->path);
    if (!sh->lex)
        log_warn("%s: no search lexicon: q is read as name words only",
                 c->path);
    if (pthreaded)
        pthread_join(pth, NULL);
    else
        places_load(&pj);
    sh->places = pj.out;
    sh->modes = pj.modes;
    memcpy(sh->mode_codes, pj.mode_codes, sizeof(sh->mode_codes));
    sh->nmode_codes = pj.nmode_codes;
    places_by_profession(sh);
    if (!sh->places)
        log_warn("%s: places not in memory: read from the indexes", c->path);
    log_debug("%s: professions and names of %lld professionals in %.3f s"
              " (places %.3f s)",
              c->path, sh->n - 1, now_s() - t0, pj.ms / 1e3);
    return sh;
fail:
    if (pthreaded) {
        pthread_join(pth, NULL);
        places_free(pj.out);
        free(pj.modes);
    }
    shared_release(sh);
    return NULL;
}

int db_names(const struct db_conn *c, long long pid, const char **last,
             const char **first, const char **join)
{
    const struct db_shared *sh = c->shared;
    if (pid <= 0 || pid >= sh->n || !sh->name_off[pid])
        return -1;
    const unsigned char *h =
        (const unsigned char *)sh->names + sh->name_off[pid] - 4;
    *last = sh->names + sh->name_off[pid];
    *first = *last + ((size_t)h[0] << 8 | h[1]) + 1;
    *join = *first + ((size_t)h[2] << 8 | h[3]) + 1;
    return 0;
}

void db_names_prefetch(const struct db_conn *c, long long pid, int names)
{
    const struct db_shared *sh = c->shared;
    if (pid <= 0 || pid >= sh->n)
        return;
    if (!names) {
        __builtin_prefetch(&sh->name_off[pid]);
        return;
    }
    const char *h = sh->names + sh->name_off[pid];
    __builtin_prefetch(h - 4);
    __builtin_prefetch(h + 60);
}

int db_mode_bits(const struct db_conn *c, char *const *codes, int n)
{
    const struct db_shared *sh = c->shared;
    if (!sh->modes)
        return -1;
    int want = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < sh->nmode_codes && strcmp(sh->mode_codes[k], codes[i]) != 0)
            k++;
        if (k < sh->nmode_codes)
            want |= 1 << k;
        else if (sh->nmode_codes == DB_MODE_CODES)
            return -1; /* maybe among those counted as "other" */
    }
    return want;
}

int db_has_specialty(const struct db_conn *c, long long pid)
{
    const struct db_shared *sh = c->shared;
    if (pid <= 0 || pid >= sh->n)
        return 1;
    return (sh->has_spec[pid >> 3] >> (pid & 7)) & 1;
}

int db_prof_index(const struct db_conn *c, const char *code)
{
    for (int i = 1; i < c->shared->ncodes; i++)
        if (strcmp(c->shared->codes[i], code) == 0)
            return i;
    return 0;
}

/* Opens path; shares sh (a new reference) when it was built from the same
 * file (same ETag), else builds its own. */
/* rpps_initials(pid, need): 1 if pid's name initials hold every bit of
 * need (db_shared.initials), or a word begins otherwise than in ASCII
 * (FTS5 may fold that letter); evaluated by SQLite on each row of a name
 * match, so that the rows it rejects never leave the statement. */
static void sql_initials(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct db_shared *sh = sqlite3_user_data(ctx);
    long long pid = sqlite3_value_int64(argv[0]);
    uint32_t need = (uint32_t)sqlite3_value_int64(argv[1]);
    int ok = 1;
    if (sh->initials && pid > 0 && pid < sh->n) {
        uint32_t ini = sh->initials[pid];
        ok = (ini & need) == need || (ini & (1u << 31));
    }
    sqlite3_result_int(ctx, ok);
}

static struct db_conn *conn_open(const char *path, struct db_shared *sh)
{
    struct db_conn *c = xcalloc(1, sizeof(*c));
    c->path = xstrdup(path);
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
    if (sh && strcmp(sh->etag, c->etag) == 0) {
        pthread_mutex_lock(&g.lock);
        sh->refs++;
        pthread_mutex_unlock(&g.lock);
        c->shared = sh;
    } else {
        c->shared = shared_build(c);
        if (!c->shared) {
            db_conn_free(c);
            return NULL;
        }
    }
    c->opened_at = wall_s();
    c->records = &((struct db_shared *)c->shared)->records;
    sqlite3_create_function_v2(
        c->db, "rpps_initials", 2,
        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
        (void *)c->shared, sql_initials, NULL, NULL, NULL);
    return c;
}

struct db_conn *db_conn_open(const char *path)
{
    return conn_open(path, NULL);
}

static void stmts_clear(struct db_conn *c)
{
    memset(c->lit, 0, sizeof(c->lit));
    for (size_t i = 0; i < c->capstmts; i++) {
        if (c->stmts[i].sql) {
            sqlite3_finalize(c->stmts[i].st);
            free(c->stmts[i].sql);
        }
    }
    free(c->stmts);
    c->stmts = NULL;
    c->nstmts = c->capstmts = 0;
}

void db_conn_free(struct db_conn *c)
{
    if (!c)
        return;
    free(c->pidbits);
    stmts_clear(c);
    for (size_t i = 0; i < c->caplabels; i++) {
        free(c->labels[i].key);
        free(c->labels[i].label);
    }
    free(c->labels);
    struct db_shared *sh = (struct db_shared *)c->shared;
    sqlite3_close(c->db);
    free(c->path);
    free(c);
    shared_release(sh); /* last, so that its malloc_trim() returns c's too */
}

sqlite3_stmt *db_prepare(struct db_conn *c, const char *sql)
{
    uint64_t h = hash64(sql, strlen(sql));
    if (c->capstmts) {
        size_t j = h & (c->capstmts - 1);
        while (c->stmts[j].sql) {
            if (c->stmts[j].hash == h && strcmp(c->stmts[j].sql, sql) == 0) {
                sqlite3_stmt *st = c->stmts[j].st;
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                return st;
            }
            j = (j + 1) & (c->capstmts - 1);
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", __func__, sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    if ((c->nstmts + 1) * 2 > c->capstmts) {
        size_t ncap = c->capstmts ? c->capstmts * 2 : 64;
        struct db_stmt *n = xcalloc(ncap, sizeof(*n));
        for (size_t i = 0; i < c->capstmts; i++) {
            if (!c->stmts[i].sql)
                continue;
            size_t j = c->stmts[i].hash & (ncap - 1);
            while (n[j].sql)
                j = (j + 1) & (ncap - 1);
            n[j] = c->stmts[i];
        }
        free(c->stmts);
        c->stmts = n;
        c->capstmts = ncap;
    }
    size_t j = h & (c->capstmts - 1);
    while (c->stmts[j].sql)
        j = (j + 1) & (c->capstmts - 1);
    c->stmts[j].sql = xstrdup(sql);
    c->stmts[j].hash = h;
    c->stmts[j].st = st;
    c->nstmts++;
    return st;
}

sqlite3_stmt *db_prepare_static(struct db_conn *c, const char *sql)
{
    size_t j = ((uintptr_t)sql >> 3) & 63;
    if (c->lit[j].sql == sql && c->lit[j].st) {
        sqlite3_reset(c->lit[j].st);
        sqlite3_clear_bindings(c->lit[j].st);
        return c->lit[j].st;
    }
    sqlite3_stmt *st = db_prepare(c, sql); /* owned by the text cache */
    c->lit[j].sql = sql;
    c->lit[j].st = st;
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

/* Makes the validated connection c's file the served generation: its
 * shared data become the generation's. Frees c. */
static unsigned publish(struct db_conn *c)
{
    struct db_shared *sh = (struct db_shared *)c->shared;
    pthread_mutex_lock(&g.lock);
    sh->refs++;
    struct db_shared *old = g.shared;
    g.shared = sh;
    unsigned gen = atomic_fetch_add(&g.gen, 1) + 1;
    pthread_mutex_unlock(&g.lock);
    shared_release(old);
    db_conn_free(c);
    return gen;
}

void db_init(const char *path)
{
    g.path = xstrdup(path);
    struct stat sb;
    if (stat_path(&sb) < 0) {
        log_warn("%s: not there yet: answering 503 until it appears", path);
        return;
    }
    remember_stat(&sb);
    struct db_conn *c = db_conn_open(path);
    if (!c) {
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
     * none yet. It is looked at again only when it changes. */
    remember_stat(&sb);
    struct db_conn *c = db_conn_open(g.path);
    if (!c) {
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

struct db_conn *db_acquire(void)
{
    unsigned gen = atomic_load(&g.gen);
    if (gen == 0)
        return NULL;
    if (tl_conn && tl_conn->gen == gen) {
        if (tl_conn->nstmts > DB_STMT_MAX)
            stmts_clear(tl_conn);
        return tl_conn;
    }
    pthread_mutex_lock(&g.lock);
    struct db_shared *sh = g.shared;
    if (sh)
        sh->refs++;
    pthread_mutex_unlock(&g.lock);
    struct db_conn *c = conn_open(g.path, sh);
    shared_release(sh);
    if (!c)
        return tl_conn; /* keep the previous one if there is one */
    c->gen = gen;
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

void db_shutdown(void)
{
    pthread_mutex_lock(&g.lock);
    struct db_conn *c = g.all;
    g.all = NULL;
    pthread_mutex_unlock(&g.lock);
    while (c) {
        struct db_conn *next = c->next;
        db_conn_free(c);
        c = next;
    }
    tl_conn = NULL;
    shared_release(g.shared);
    g.shared = NULL;
    free(g.path);
    g.path = NULL;
}
