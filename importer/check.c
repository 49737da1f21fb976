/* The finished database's checks: see check.h. */
#include "check.h"

#include <pthread.h>
#include <string.h>

#include "sql.h"
#include "util.h"
#include "banned.h"

/* PRAGMA quick_check on its own read-only connection, for check_db()'s
 * second thread. */
struct quick_check {
    const char *path;
    int ok;
};

static void *quick_check_thread(void *arg)
{
    struct quick_check *q = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    q->ok = 0;
    /* The busy timeout comes before the first statement: the main thread's
     * FTS5 check may be committing (EXCLUSIVE, briefly) when this one first
     * reads the schema, and that read would fail at once with "database is
     * locked" (issue 11; tests/e2e_stress.sh makes it happen). */
    if (sqlite3_open_v2(q->path, &db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(db, 600000) != SQLITE_OK ||
        sql_exec(db, "PRAGMA cache_size=-131072") < 0 ||
        sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) !=
            SQLITE_OK) {
        log_error("quick_check: %s", db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (r && strcmp(r, "ok") == 0) {
            q->ok = 1;
        } else {
            log_error("integrity check: %s", r ? r : "?");
            q->ok = 0;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        log_error("quick_check: %s", sqlite3_errmsg(db));
        q->ok = 0;
    }
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return NULL;
}

int check_db(sqlite3 *db, const char *path)
{
    struct quick_check q = {path, 0};
    pthread_t th;
    int threaded = pthread_create(&th, NULL, quick_check_thread, &q) == 0;
    if (!threaded)
        quick_check_thread(&q);
    sqlite3_busy_timeout(db, 600000);
    int fts = sql_exec(db, "INSERT INTO name_fts(name_fts, rank) "
                           "VALUES ('integrity-check', 1)");
    sqlite3_busy_timeout(db, 0);
    if (threaded)
        pthread_join(th, NULL);
    return fts < 0 || !q.ok ? -1 : 0;
}
