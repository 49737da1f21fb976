/* The full-text index built beside the rows: see fts_side.h. */
#include "fts_side.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql.h"
#include "util.h"
#include "banned.h"

extern const char schema_sql[];

/* name_fts's shadow tables (no docsize: columnsize = 0, schema.sql). */
static const char *const fts_shadow[] = {"data", "idx", "config"};

/* The CREATE VIRTUAL TABLE name_fts statement of the schema (allocated). */
static char *fts_create_sql(void)
{
    const char *a = strstr(schema_sql, "CREATE VIRTUAL TABLE name_fts ");
    const char *e = a ? strchr(a, ';') : NULL;
    return e ? xstrndup(a, (size_t)(e - a + 1)) : NULL;
}

static void *fts_side_thread(void *arg)
{
    struct fts_side *f = arg;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(f->db,
                           "INSERT INTO name_fts (rowid, last_fold, "
                           "first_fold, last_join) VALUES (?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    /* No merging while the rows go in: every flush of FTS5's in-memory
     * hash (1 MiB) stays a segment of its own (238 at full scale) until
     * the one 'optimize' below merges them all at once. The default
     * incremental merges (automerge 4) rewrote each entry several times
     * before that same final merge: the index's CPU 9.5 -> 5.2 s at full
     * scale. crisismerge at FTS5's most (it keeps 1999 of 2000 segments
     * a level may hold) so it never merges either; past it, it merges as
     * before. */
    if (sql_exec(f->db, "INSERT INTO name_fts (name_fts, rank) VALUES "
                        "('automerge', 0);"
                        "INSERT INTO name_fts (name_fts, rank) VALUES "
                        "('crisismerge', 1999)") < 0)
        goto fail;
    for (size_t i = 0; i < f->ps->n; i++) {
        const struct person *p = f->ps->all[i];
        if ((i & 4095) == 0 && atomic_load(&f->stop)) {
            sqlite3_finalize(s);
            f->failed = 1;
            return NULL;
        }
        sqlite3_bind_int64(s, 1, (sqlite3_int64)i + 1);
        sql_bind_opt(s, 2, p->last_fold);
        sql_bind_opt(s, 3, p->first_fold);
        sql_bind_opt(s, 4, p->last_join);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    s = NULL;
    /* The settings above are rows of name_fts_config, copied with the
     * index: the file keeps FTS5's defaults, as a rebuild leaves them. */
    if (sql_exec(f->db, "INSERT INTO name_fts (name_fts) VALUES ('optimize');"
                        "DELETE FROM name_fts_config"
                        " WHERE k IN ('automerge', 'crisismerge');"
                        "COMMIT") < 0) {
        f->failed = 1;
        return NULL;
    }
    return NULL;
fail:
    log_error("full-text index: %s", sqlite3_errmsg(f->db));
    sqlite3_finalize(s);
    f->failed = 1;
    return NULL;
}

int fts_side_start(struct fts_side *f, const struct persons *ps,
                   const char *db_path)
{
    struct buf path;
    char *create = fts_create_sql();
    int ret = -1;
    f->ps = ps;
    buf_init(&path, 8192);
    buf_addf(&path, "%s.fts", db_path);
    if (!create || !path.s) {
        log_error("full-text index: no name_fts in the schema");
        goto out;
    }
    /* NOFOLLOW: SQLite would create a dangling link's target (it ignores
     * SQLITE_OPEN_EXCLUSIVE here). */
    if (sqlite3_open_v2(path.s, &f->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        log_error("%s: %s", path.s,
                  f->db ? sqlite3_errmsg(f->db) : "cannot open");
        goto out;
    }
    /* Before any statement: this connection attaches the new database and
     * writes into it (fts_side_finish()), where the build connection may
     * still hold a lock. */
    sqlite3_busy_timeout(f->db, 600000);
    /* The schema is written (and the file so held open) before the
     * unlink. */
    if (sql_exec(f->db,
                 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-32768;"
                 "BEGIN") < 0 ||
        sql_exec(f->db, create) < 0)
        goto out;
    unlink(path.s);
    if (pthread_create(&f->th, NULL, fts_side_thread, f) != 0) {
        log_error("pthread_create failed");
        goto out;
    }
    f->started = 1;
    ret = 0;
out:
    if (ret < 0 && path.len)
        unlink(path.s);
    free(create);
    buf_release(&path);
    return ret;
}

int fts_side_finish(struct fts_side *f, const char *db_path)
{
    int ret = -1;
    if (!db_path)
        atomic_store(&f->stop, 1);
    if (f->started)
        pthread_join(f->th, NULL);
    if (!f->db)
        return -1;
    if (f->started && !f->failed && db_path) {
        char *q = sqlite3_mprintf("ATTACH %Q AS m", db_path);
        struct buf sql;
        buf_init(&sql, 1024);
        buf_addstr(&sql, "PRAGMA m.journal_mode=OFF; BEGIN;");
        for (size_t i = 0; i < sizeof(fts_shadow) / sizeof(*fts_shadow); i++)
            buf_addf(&sql,
                     "DELETE FROM m.name_fts_%s;"
                     "INSERT INTO m.name_fts_%s SELECT * FROM "
                     "main.name_fts_%s;",
                     fts_shadow[i], fts_shadow[i], fts_shadow[i]);
        buf_addstr(&sql, "COMMIT");
        if (q && sql.len && sql_exec(f->db, q) == 0 &&
            sql_exec(f->db, sql.s) == 0)
            ret = 0;
        sqlite3_free(q);
        buf_release(&sql);
    }
    sqlite3_close(f->db);
    f->db = NULL;
    f->started = 0;
    return ret;
}
