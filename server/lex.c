/* Loading and sharing the lexicon. See lex.h. */
#include "lex.h"

#include <pthread.h>
#include <stdlib.h>

#include "util.h"
#include "banned.h"

static sqlite3 *open_ro(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        log_error("%s: %s: %s", __func__, path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

struct geo_job {
    const char *path;
    struct geo *geo;
};

static void *load_geo(void *arg)
{
    struct geo_job *j = arg;
    sqlite3 *db = open_ro(j->path);
    if (db) {
        j->geo = geo_load(db);
        sqlite3_close(db);
    }
    return NULL;
}

struct lex *lex_load(const char *path)
{
    double t0 = now_s();
    struct geo_job job = {path, NULL};
    pthread_t th;
    int threaded = pthread_create(&th, NULL, load_geo, &job) == 0;
    if (!threaded)
        load_geo(&job); /* no thread to spare: one after the other */
    struct lex *l = xcalloc(1, sizeof(*l));
    sqlite3 *db = open_ro(path);
    if (db)
        l->dict = typo_dict_load(db);
    if (threaded)
        pthread_join(th, NULL);
    l->geo = job.geo;
    if (!l->geo)
        log_warn("%s: %s: no commune table: places are not understood",
                 __func__, path);
    if (db && l->dict)
        l->und = understand_load(db, l->geo, l->dict);
    sqlite3_close(db);
    if (!l->dict || !l->und) {
        log_error("%s: %s: cannot load the search lexicon", __func__, path);
        understand_free(l->und);
        geo_free(l->geo);
        typo_dict_free(l->dict);
        free(l);
        return NULL;
    }
    atomic_init(&l->refs, 1);
    l->load_ms = (now_s() - t0) * 1e3;
    return l;
}

struct lex *lex_ref(struct lex *l)
{
    if (l)
        atomic_fetch_add(&l->refs, 1);
    return l;
}

void lex_unref(struct lex *l)
{
    if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    understand_free(l->und);
    geo_free(l->geo);
    typo_dict_free(l->dict);
    free(l);
}
