/* Loading and sharing the lexicon. See lex.h. */
#include "lex.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "places.h"
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
    int32_t *act_commune;
    uint32_t *act_at;
    long long npids;
    uint32_t *commune_pid;
    uint32_t *commune_at;
};

/* Slots of the commune-code cache of place_activities(). */
#define CACHE 65536

struct insee_slot {
    char insee[8];
    int c;
};

/* Places every activity (geo_locate()), in aid order: one pass over the
 * activity table. -1 on a read error (logged). */
static int place_activities(sqlite3 *db, struct geo_job *j)
{
    sqlite3_stmt *st = NULL;
    struct insee_slot *cache = NULL;
    long long maxpid = 0;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT max(pid) FROM professional", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) == SQLITE_ROW)
        maxpid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    /* 2^32 activities or pids would pass the offsets: far above 1.9 M. */
    if (maxpid < 0 || maxpid >= (long long)UINT32_MAX - 1)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT aid, insee, postcode, city_fold FROM"
                           " activity ORDER BY aid",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    size_t cap = 1 << 16, n = 0;
    cache = xcalloc(CACHE, sizeof(*cache));
    j->act_commune = xmalloc(cap * sizeof(*j->act_commune));
    j->act_at = xcalloc((size_t)maxpid + 2, sizeof(*j->act_at));
    long long next = 0; /* pids below it have act_at set */
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0) >> 20;
        if (pid < next - 1 || pid > maxpid || n >= UINT32_MAX - 1)
            continue; /* not in aid order, or beyond the professionals */
        while (next <= pid)
            j->act_at[next++] = (uint32_t)n;
        int c = -1;
        double lat, lon;
        const char *insee = (const char *)sqlite3_column_text(st, 1);
        size_t il = insee ? strlen(insee) : 0;
        int how = GEO_NONE;
        if (il > 0 && il < sizeof(cache[0].insee)) {
            /* Most rows have a commune code, 35 k of them for 2.4 M rows:
             * a direct-mapped cache saves the bisection. */
            size_t h = (size_t)hash64(insee, il) & (CACHE - 1);
            if (strcmp(cache[h].insee, insee) != 0) {
                memcpy(cache[h].insee, insee, il + 1);
                cache[h].c = geo_by_insee(j->geo, insee, il);
            }
            c = cache[h].c;
            if (c >= 0 && !isnan(geo_commune(j->geo, c)->lat))
                how = GEO_COMMUNE;
        }
        if (how == GEO_NONE)
            how = geo_locate(
                j->geo, insee, (const char *)sqlite3_column_text(st, 2),
                (const char *)sqlite3_column_text(st, 3), &c, &lat, &lon);
        if (n == cap) {
            cap *= 2;
            j->act_commune =
                xrealloc(j->act_commune, cap * sizeof(*j->act_commune));
        }
        j->act_commune[n++] = how == GEO_NONE || how == GEO_DEPT ? -1 : c;
    }
    if (r != SQLITE_DONE)
        goto out;
    while (next <= maxpid + 1)
        j->act_at[next++] = (uint32_t)n;
    j->npids = maxpid + 1;
    rc = 0;
    free(cache);
    cache = NULL;
out:
    free(cache);
    if (rc < 0) {
        log_warn("%s: activities not placed: %s", __func__, sqlite3_errmsg(db));
        free(j->act_commune);
        free(j->act_at);
        j->act_commune = NULL;
        j->act_at = NULL;
    }
    sqlite3_finalize(st);
    return rc;
}

/* commune_at / commune_pid from act_commune: a counting sort, pids
 * visited in order so each commune's list is ascending. */
static void index_communes(struct geo_job *j)
{
    size_t nc = geo_count(j->geo);
    uint32_t *at = xcalloc(nc + 2, sizeof(*at));
    for (long long p = 0; p < j->npids; p++)
        for (uint32_t i = j->act_at[p]; i < j->act_at[p + 1]; i++) {
            int32_t c = j->act_commune[i];
            int again = 0; /* a second activity of p in c counts once */
            for (uint32_t k = j->act_at[p]; k < i && !again; k++)
                again = j->act_commune[k] == c;
            if (c >= 0 && (size_t)c < nc && !again)
                at[c + 2]++;
        }
    for (size_t c = 0; c < nc; c++)
        at[c + 2] += at[c + 1];
    uint32_t *pids = xmalloc((at[nc + 1] ? at[nc + 1] : 1) * sizeof(*pids));
    for (long long p = 0; p < j->npids; p++)
        for (uint32_t i = j->act_at[p]; i < j->act_at[p + 1]; i++) {
            int32_t c = j->act_commune[i];
            int again = 0;
            for (uint32_t k = j->act_at[p]; k < i && !again; k++)
                again = j->act_commune[k] == c;
            if (c >= 0 && (size_t)c < nc && !again)
                pids[at[c + 1]++] = (uint32_t)p;
        }
    j->commune_at = at; /* at[c] .. at[c + 1] after the fill */
    j->commune_pid = pids;
}

static void *load_geo(void *arg)
{
    struct geo_job *j = arg;
    sqlite3 *db = open_ro(j->path);
    if (db) {
        j->geo = geo_load(db);
        if (j->geo && place_activities(db, j) == 0)
            index_communes(j);
        sqlite3_close(db);
    }
    return NULL;
}

double lex_pid_km(const struct lex *l, long long pid, double lat, double lon,
                  double *km, size_t max, size_t *n)
{
    double best = NAN;
    *n = 0;
    if (!l || !l->act_at || pid < 0 || pid >= l->npids)
        return best;
    for (uint32_t i = l->act_at[pid]; i < l->act_at[pid + 1]; i++) {
        int32_t c = l->act_commune[i];
        double d = NAN;
        if (c >= 0) {
            const struct geo_commune *k = geo_commune(l->geo, c);
            d = places_distance_km(lat, lon, k->lat, k->lon);
            if (isnan(best) || d < best)
                best = d;
        }
        if (km && *n < max)
            km[*n] = d;
        (*n)++;
    }
    return best;
}

static void lex_free(struct lex *l)
{
    understand_free(l->und);
    geo_free(l->geo);
    typo_dict_free(l->dict);
    free(l->act_commune);
    free(l->act_at);
    free(l->commune_pid);
    free(l->commune_at);
    free(l);
}

struct lex *lex_load(const char *path)
{
    double t0 = now_s();
    struct geo_job job = {path, NULL, NULL, NULL, 0, NULL, NULL};
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
    l->act_commune = job.act_commune;
    l->act_at = job.act_at;
    l->npids = job.npids;
    l->commune_pid = job.commune_pid;
    l->commune_at = job.commune_at;
    if (!l->geo)
        log_warn("%s: %s: no commune table: places are not understood",
                 __func__, path);
    if (db && l->dict)
        l->und = understand_load(db, l->geo, l->dict);
    sqlite3_close(db);
    if (!l->dict || !l->und) {
        log_error("%s: %s: cannot load the search lexicon", __func__, path);
        lex_free(l);
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
    lex_free(l);
}
