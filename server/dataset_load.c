/* Building a dataset (dataset.h): one loader per structure
 * (dataset_int.h says why), run on three threads: this one reads the
 * labels, professions, specialties, prefixes and names; a second the
 * communes and then each person's modes and where each activity is (the
 * one scan of the activity table); a third the place columns and then the
 * name dictionary. Then the query reader is built on the dictionary and
 * the communes, and each place value's people are ordered by profession.
 * What the importer stored in the file (dataset_blob.c) is read instead of
 * scanned: then under a second of CPU at full scale (1.9 M professionals,
 * 2.4 M activities), against about 4 s by scanning. */
#include "dataset_int.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowid.h"
#include "util.h"
#include "banned.h"

/* A read-only connection of the loader's own, through a shared mapping
 * of the file (as db.c's connections) if map is set. The importer's
 * (dataset_precompute()) reads without: the pages of the file mapped and
 * read would count in its resident size, 1.5 GB at full scale. */
static sqlite3 *open_ro(const char *path, int map)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        log_error("%s: %s: %s", __func__, path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    if (map)
        sqlite3_exec(db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, const char *who)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_warn("%s: %s: %s", who, sqlite3_db_filename(db, "main"),
                 sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* The code table's labels. */
static int load_labels(sqlite3 *db, struct ds_labels *out)
{
    sqlite3_stmt *st =
        prepare(db, "SELECT list, code, label FROM code", __func__);
    if (!st)
        return -1;
    htab_init(&out->index, 1024);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *list = (const char *)sqlite3_column_text(st, 0);
        const char *code = (const char *)sqlite3_column_text(st, 1);
        const char *label = (const char *)sqlite3_column_text(st, 2);
        if (!list || !code)
            continue;
        /* (list, code) is the table's primary key: no duplicates. */
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 1024;
            out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
        }
        struct ds_label *e = &out->v[out->n];
        e->list = arena_strndup(&out->mem, list, strlen(list));
        e->code = arena_strndup(&out->mem, code, strlen(code));
        e->label = arena_strndup(&out->mem, label ? label : "",
                                 label ? strlen(label) : 0);
        htab_add(&out->index, ds_label_hash(list, code), (uint32_t)out->n++);
    }
    sqlite3_finalize(st);
    return 0;
}

/* The profession of every professional from the (profession_code, pid)
 * index: 1.9 M entries, about 0.3 s. */
static int load_professions(sqlite3 *db, long long n,
                            struct ds_professions *out)
{
    sqlite3_stmt *st = prepare(db,
                               "SELECT profession_code, pid FROM professional"
                               " INDEXED BY professional_profession"
                               " WHERE profession_code IS NOT NULL"
                               " ORDER BY profession_code",
                               __func__);
    if (!st)
        return -1;
    out->of = xcalloc((size_t)n, 1);
    out->ncodes = 1;
    int cur = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(st, 0);
        long long pid = sqlite3_column_int64(st, 1);
        if (!code || pid <= 0 || pid >= n)
            continue;
        if (!cur || strcmp(out->codes[cur], code) != 0) {
            if (out->ncodes == 256 || strlen(code) >= sizeof(out->codes[0])) {
                cur = 0; /* never seen: such pids read as "none" */
                continue;
            }
            cur = out->ncodes++;
            snprintf(out->codes[cur], sizeof(out->codes[cur]), "%s", code);
        }
        out->of[pid] = (unsigned char)cur;
    }
    sqlite3_finalize(st);
    return 0;
}

/* Who has specialties at all (a fifth of them): the others' records skip
 * that lookup. A bit per pid. */
static int load_specialties(sqlite3 *db, long long n, unsigned char **out)
{
    sqlite3_stmt *st =
        prepare(db, "SELECT DISTINCT pid FROM specialty", __func__);
    if (!st)
        return -1;
    *out = xcalloc((size_t)n / 8 + 1, 1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0);
        if (pid > 0 && pid < n)
            (*out)[pid >> 3] |= (unsigned char)(1u << (pid & 7));
    }
    sqlite3_finalize(st);
    return 0;
}

static int plain_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* The prefixes of 1 to 3 plain characters (a-z, 0-9) of every name word
 * with the sum and the maximum of their words' counts: what a short
 * prefix matches, known without reading name_term or name_fts (a few
 * thousand prefixes; 50 ms to build). */
static int load_prefixes(sqlite3 *db, struct ds_prefixes *out)
{
    sqlite3_stmt *st = prepare(db, "SELECT term, n FROM name_term", __func__);
    if (!st)
        return -1;
    htab_init(&out->index, 1 << 15); /* 36^3 = 46,656 possible */
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        double n = (double)sqlite3_column_int64(st, 1);
        /* Prefixes of plain characters only (what a folded query word of 1
         * to 3 characters can be), of any word. */
        for (size_t k = 1; t && k <= 3 && plain_char(t[k - 1]); k++) {
            char p[4];
            memcpy(p, t, k);
            p[k] = '\0';
            uint64_t h = ds_prefix_hash(p);
            size_t pos;
            uint32_t i = htab_first(&out->index, h, &pos);
            while (i != HTAB_NONE && strcmp(out->v[i].p, p) != 0)
                i = htab_next(&out->index, h, &pos);
            if (i == HTAB_NONE) {
                if (out->n == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 4096;
                    out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                }
                i = (uint32_t)out->n++;
                out->v[i] = (struct dataset_prefix){.sum = 0};
                memcpy(out->v[i].p, p, k + 1);
                htab_add(&out->index, h, i);
            }
            out->v[i].sum += n;
            if (n > out->v[i].max)
                out->v[i].max = n;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* Appends the n bytes of s and a NUL to the names' text. */
static void names_put(struct ds_names *nm, size_t *cap, const char *s, size_t n)
{
    if (nm->len + n + 1 > *cap) {
        *cap = (*cap + n + 1) * 2;
        nm->text = xrealloc(nm->text, *cap);
    }
    if (n)
        memcpy(nm->text + nm->len, s, n);
    nm->text[nm->len + n] = '\0';
    nm->len += n + 1;
}

/* The folded names of every professional, in pid order, and the initials
 * of their words: matching the name words of a candidate or scoring it
 * then costs no row lookup (~1 us). About 54 MB for 1.9 M people. */
static int load_names(sqlite3 *db, long long n, struct ds_names *out)
{
    sqlite3_stmt *st = prepare(db,
                               "SELECT pid, last_fold, first_fold, last_join"
                               " FROM professional ORDER BY pid",
                               __func__);
    if (!st)
        return -1;
    out->off = xcalloc((size_t)n, sizeof(*out->off));
    out->initials = xcalloc((size_t)n, sizeof(*out->initials));
    size_t cap = (size_t)n * 24 + 64;
    out->text = xmalloc(cap);
    out->len = 1; /* offset 0 means "none" */
    out->text[0] = '\0';
    int rc = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(st, 0);
        if (pid <= 0 || pid >= n)
            continue;
        if (out->len > 0xF0000000u) {
            log_warn("%s: names too large", __func__);
            rc = -1;
            break;
        }
        /* Two 16-bit lengths (last, first: capped, names are short), then
         * the names: dataset_names() needs no strlen(). The joined family
         * name is the family name itself for 92 % of the people (no space
         * in it): then it is not stored, and the flag says so (14 MB of
         * the 68 at full scale). */
        const char *v[3];
        size_t len[3];
        for (int i = 0; i < 3; i++) {
            v[i] = (const char *)sqlite3_column_text(st, i + 1);
            len[i] = v[i] ? strlen(v[i]) : 0;
            if (len[i] > DS_NAME_MAX) {
                v[i] = NULL;
                len[i] = 0;
            }
        }
        int same = len[2] == len[0] && (!len[0] || !memcmp(v[0], v[2], len[0]));
        if (out->len + 4 > cap) {
            cap *= 2;
            out->text = xrealloc(out->text, cap);
        }
        char *h = out->text + out->len;
        h[0] = (char)(len[0] >> 8 | (same ? DS_NAME_SAME_JOIN : 0));
        h[1] = (char)len[0];
        h[2] = (char)(len[1] >> 8), h[3] = (char)len[1];
        out->len += 4;
        out->off[pid] = (unsigned)out->len;
        uint32_t ini = 0;
        for (int i = 0; i < 3; i++) {
            if (i < 2 || !same)
                names_put(out, &cap, v[i], len[i]);
            /* Words as rank.h splits them: on spaces. */
            for (size_t k = 0; k < len[i]; k++)
                if (v[i][k] != ' ' && (k == 0 || v[i][k - 1] == ' '))
                    ini |= dataset_initial_bit((unsigned char)v[i][k]);
        }
        out->initials[pid] = ini;
    }
    sqlite3_finalize(st);
    /* The text was given room for 24 bytes a person: give back the rest
     * (when this dataset is built by scanning, it is the one served). */
    out->text = xrealloc(out->text, out->len);
    return rc;
}

static void place_col_release(struct ds_place_col *pc)
{
    free(pc->keys);
    free(pc->key_off);
    free(pc->at);
    free(pc->pid);
    memset(pc, 0, sizeof(*pc));
}

static void places_free(struct ds_place_col *pl)
{
    if (!pl)
        return;
    for (int i = 0; i < PLACE_KEYS; i++)
        place_col_release(&pl[i]);
    free(pl);
}

/* One place key's values and their people, in one pass over its index
 * (about 2.4 M entries at full scale, ~0.1 us an entry). */
static int load_place_col(sqlite3 *db, enum place_key key,
                          struct ds_place_col *pc)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT %s, aid FROM activity INDEXED BY %s WHERE %s IS NOT NULL"
             " ORDER BY %s, aid",
             place_keys[key].col, place_keys[key].index, place_keys[key].col,
             place_keys[key].col);
    sqlite3_stmt *st = prepare(db, sql, __func__);
    if (!st)
        return -1;
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
        long long pid = rowid_pid(sqlite3_column_int64(st, 1));
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
        log_warn("%s: reading %s: %s", __func__, place_keys[key].index,
                 rc == SQLITE_FULL ? "too large" : sqlite3_errstr(rc));
        return -1;
    }
    pc->at[pc->nkeys] = (uint32_t)np;
    pc->pid = xrealloc(pc->pid, (np ? np : 1) * sizeof(*pc->pid));
    return 0;
}

/* Orders each value's people by profession, then pid: one profession's
 * people there are then a contiguous run, found by two binary searches,
 * with no lookup per person. A counting sort per value: about 50 ms for
 * the four keys at full scale. */
static void places_by_profession(const unsigned char *prof,
                                 struct ds_place_col *places)
{
    size_t cap = 0;
    uint32_t *tmp = NULL;
    for (int key = 0; key < PLACE_KEYS; key++) {
        struct ds_place_col *pc = &places[key];
        for (size_t k = 0; k < pc->nkeys; k++) {
            uint32_t *v = pc->pid + pc->at[k];
            size_t n = pc->at[k + 1] - pc->at[k];
            uint32_t count[257] = {0};
            for (size_t i = 0; i < n; i++)
                count[prof[v[i]] + 1]++;
            for (int i = 1; i < 257; i++)
                count[i] += count[i - 1];
            if (n > cap) {
                cap = n;
                tmp = xrealloc(tmp, cap * sizeof(*tmp));
            }
            for (size_t i = 0; i < n; i++)
                tmp[count[prof[v[i]]]++] = v[i];
            memcpy(v, tmp, n * sizeof(*v));
        }
    }
    free(tmp);
}

/* Slots of the commune-code cache of load_activities(). */
#define INSEE_CACHE 65536

struct insee_slot {
    char insee[8];
    int c;
};

/* The commune of one activity row (insee, postcode, town), or -1 when it
 * cannot be placed closer than its department (geo_locate()). The
 * direct-mapped cache saves the bisection: most rows have a commune code,
 * 35 k of them for 2.4 M rows. */
static int32_t activity_commune(const struct geo *geo, struct insee_slot *cache,
                                const char *insee, const char *pc,
                                const char *town)
{
    int c = -1;
    double lat, lon;
    size_t il = insee ? strlen(insee) : 0;
    int how = GEO_NONE;
    if (il > 0 && il < sizeof(cache[0].insee)) {
        size_t h = (size_t)htab_hash(insee, il) & (INSEE_CACHE - 1);
        if (strcmp(cache[h].insee, insee) != 0) {
            memcpy(cache[h].insee, insee, il + 1);
            cache[h].c = geo_by_insee(geo, insee, il);
        }
        c = cache[h].c;
        if (c >= 0 && !isnan(geo_commune(geo, c)->lat))
            how = GEO_COMMUNE;
    }
    if (how == GEO_NONE)
        how = geo_locate(geo, insee, pc, town, &c, &lat, &lon);
    return how == GEO_NONE || how == GEO_DEPT ? -1 : c;
}

/* The mode bit of code v in modes (learning the first DS_MODE_CODES). */
static int mode_bit(struct ds_modes *m, const char *v)
{
    for (int i = 0; v && i < m->ncodes; i++)
        if (strcmp(m->codes[i], v) == 0)
            return i;
    if (v && m->ncodes < DS_MODE_CODES && strlen(v) < sizeof(m->codes[0])) {
        memcpy(m->codes[m->ncodes], v, strlen(v) + 1);
        return m->ncodes++;
    }
    return DS_MODE_OTHER;
}

/* The one scan of the activity table, in aid order (~0.3 s at full
 * scale): the modes of each person's activities (modes) and, with a
 * commune table (geo not NULL), where each activity is (at: act_commune
 * and act_at; 2^32 activities or pids would pass its offsets, far above
 * 2.4 M). On a read error, neither (logged). */
static void load_activities(sqlite3 *db, const struct geo *geo, long long n,
                            struct ds_modes *modes, struct ds_placements *at)
{
    sqlite3_stmt *st = prepare(db,
                               "SELECT aid, mode_code, insee, postcode,"
                               " city_fold FROM activity ORDER BY aid",
                               __func__);
    if (!st)
        return;
    int place = geo && n < (long long)UINT32_MAX - 1;
    struct insee_slot *cache =
        place ? xcalloc(INSEE_CACHE, sizeof(*cache)) : NULL;
    size_t cap = 1 << 16, na = 0;
    modes->of = xcalloc((size_t)n, 1);
    if (place) {
        at->act_commune = xmalloc(cap * sizeof(*at->act_commune));
        at->act_at = xcalloc((size_t)n + 1, sizeof(*at->act_at));
    }
    long long next = 0; /* pids below it have act_at set */
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        long long pid = rowid_pid(sqlite3_column_int64(st, 0));
        if (pid <= 0 || pid >= n)
            continue; /* beyond the professionals */
        int bit = mode_bit(modes, (const char *)sqlite3_column_text(st, 1));
        modes->of[pid] |= (unsigned char)(1u << bit);
        if (!place || pid < next - 1 || na >= UINT32_MAX - 1)
            continue;
        while (next <= pid)
            at->act_at[next++] = (uint32_t)na;
        if (na == cap) {
            cap *= 2;
            at->act_commune =
                xrealloc(at->act_commune, cap * sizeof(*at->act_commune));
        }
        at->act_commune[na++] = activity_commune(
            geo, cache, (const char *)sqlite3_column_text(st, 2),
            (const char *)sqlite3_column_text(st, 3),
            (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    free(cache);
    if (r != SQLITE_DONE) {
        log_warn("%s: activities not read: %s", __func__, sqlite3_errstr(r));
        free(modes->of);
        modes->of = NULL;
        free(at->act_commune);
        free(at->act_at);
        memset(at, 0, sizeof(*at));
        return;
    }
    if (place) {
        while (next <= n)
            at->act_at[next++] = (uint32_t)na;
        at->npids = n;
    }
}

/* commune_at / commune_pid from act_commune: a counting sort, pids
 * visited in order so each commune's list is ascending. */
static void index_communes(const struct geo *geo, struct ds_placements *at)
{
    size_t nc = geo_count(geo);
    uint32_t *cat = xcalloc(nc + 2, sizeof(*cat));
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *pids =
            pass ? xmalloc((cat[nc + 1] ? cat[nc + 1] : 1) * sizeof(*pids))
                 : NULL;
        for (long long p = 0; p < at->npids; p++)
            for (uint32_t i = at->act_at[p]; i < at->act_at[p + 1]; i++) {
                int32_t c = at->act_commune[i];
                int again = 0; /* a second activity of p in c counts once */
                for (uint32_t k = at->act_at[p]; k < i && !again; k++)
                    again = at->act_commune[k] == c;
                if (c < 0 || (size_t)c >= nc || again)
                    continue;
                if (pass)
                    pids[cat[c + 1]++] = (uint32_t)p;
                else
                    cat[c + 2]++;
            }
        if (pass) {
            at->commune_pid = pids;
        } else {
            for (size_t c = 0; c < nc; c++)
                cat[c + 2] += cat[c + 1];
        }
    }
    at->commune_at = cat; /* cat[c] .. cat[c + 1] after the fill */
}

static void placements_free(struct ds_placements *at)
{
    free(at->act_commune);
    free(at->act_at);
    free(at->commune_pid);
    free(at->commune_at);
    memset(at, 0, sizeof(*at));
}

/* The second thread's work: the communes, then the modes and placements,
 * stored (blobs set) or from the activity scan. */
struct activity_job {
    const char *path;
    long long n;
    int blobs, map;
    struct geo *geo;
    struct ds_modes modes;
    struct ds_placements at;
};

static void *activity_thread(void *arg)
{
    struct activity_job *j = arg;
    sqlite3 *db = open_ro(j->path, j->map);
    if (!db)
        return NULL;
    uint32_t *acts = NULL;
    size_t nacts = 0;
    if (j->blobs)
        ds_blob_geo_activities(db, &acts, &nacts);
    /* A file imported with --communes none has no commune table: the
     * importer says nothing of it here (geo_load() would log an error),
     * the server does below. */
    sqlite3_stmt *st = NULL;
    int communes = j->map || (sqlite3_prepare_v2(db, "SELECT 1 FROM commune",
                                                 -1, &st, NULL) == SQLITE_OK);
    sqlite3_finalize(st);
    j->geo = communes ? geo_load_counted(db, acts, nacts) : NULL;
    free(acts);
    int modes = j->blobs && ds_blob_modes(db, j->n, &j->modes) == 0;
    int at = !j->geo ||
             (j->blobs &&
              ds_blob_placements(db, j->n, geo_count(j->geo), &j->at) == 0);
    if (!modes || !at) {
        /* The scan builds both. */
        free(j->modes.of);
        memset(&j->modes, 0, sizeof(j->modes));
        placements_free(&j->at);
        load_activities(db, j->geo, j->n, &j->modes, &j->at);
        if (j->geo && j->at.act_at)
            index_communes(j->geo, &j->at);
    }
    sqlite3_close(db);
    return NULL;
}

/* Copies v (NULL: "") into out (cap bytes); -1 if it does not fit. */
static int st_field(const unsigned char *v, char *out, size_t cap)
{
    size_t n = v ? strlen((const char *)v) : 0;
    if (n >= cap)
        return -1;
    memcpy(out, v ? (const char *)v : "", n + 1);
    return 0;
}

static void structures_free(struct ds_structures *st)
{
    typo_dict_free(st->dict);
    free(st->pc);
    free(st->v);
    free(st->at);
    free(st->pids);
    memset(st, 0, sizeof(*st));
}

/* A structure's commune code and postal code as the sids' order compares
 * them: none last. */
static const char *st_insee(const struct dataset_structure *e)
{
    return *e->insee ? e->insee : "\x7f";
}

static const char *st_pc(const struct dataset_structure *e)
{
    return *e->postcode ? e->postcode : "\x7f";
}

static int cmp_pc_run(const void *a, const void *b)
{
    const struct ds_pc_run *x = a, *y = b;
    int d = strcmp(x->postcode, y->postcode);
    return d ? d : (x->r.lo > y->r.lo) - (x->r.lo < y->r.lo);
}

/* If the sids are in order of place (dataset.h), the runs of one commune
 * and postal code by postal code (~12,000 at full scale, 190 KB), and the
 * first sid without a commune code; else st->pc stays NULL (a file
 * imported before the order: the search reads every match). */
static void index_places(struct ds_structures *st)
{
    uint32_t n = (uint32_t)st->n;
    size_t runs = n > 1;
    st->none = n;
    for (uint32_t sid = 2; sid < n; sid++) {
        const struct dataset_structure *a = &st->v[sid - 1], *b = &st->v[sid];
        int d = strcmp(st_insee(a), st_insee(b));
        if (!d)
            d = strcmp(st_pc(a), st_pc(b));
        if (d > 0)
            return;
        runs += d != 0;
    }
    st->pc = xmalloc((runs ? runs : 1) * sizeof(*st->pc));
    st->npc = 0;
    st->dept_in_insee = 1;
    for (uint32_t sid = 1; sid < n; sid++) {
        const struct dataset_structure *e = &st->v[sid];
        if (*e->insee && strncmp(e->insee, e->dept, strlen(e->dept)) != 0)
            st->dept_in_insee = 0;
        struct ds_pc_run *last = st->npc ? &st->pc[st->npc - 1] : NULL;
        if (!*e->insee && st->none == n)
            st->none = sid;
        if (last && last->r.hi == sid &&
            strcmp(last->postcode, e->postcode) == 0 &&
            strcmp(st_insee(&st->v[sid - 1]), st_insee(e)) == 0) {
            last->r.hi++;
            continue;
        }
        assert(st->npc < runs);
        struct ds_pc_run *r = &st->pc[st->npc++];
        memcpy(r->postcode, e->postcode, sizeof(r->postcode));
        r->r.lo = sid;
        r->r.hi = sid + 1;
    }
    qsort(st->pc, st->npc, sizeof(*st->pc), cmp_pc_run);
}

/* The structure table by sid (dataset.h). Left empty (the search reads
 * the table) if it cannot be read or a value does not fit its field
 * (postal and commune codes are 5 characters, departments 3). */
static void load_structures(sqlite3 *db, struct ds_structures *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = prepare(db, "SELECT max(sid) FROM structure", __func__);
    if (!st)
        return;
    long long max =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    /* sids are 1 .. the number of structures (order of first sight);
     * pid offsets are 32 bits. */
    if (max < 0 || max >= UINT32_MAX / 2)
        return;
    st = prepare(db,
                 "SELECT sid, n_professionals, insee, postcode, dept_code,"
                 " city_fold, pids FROM structure ORDER BY sid",
                 __func__);
    if (!st)
        return;
    out->n = max + 1;
    out->v = xcalloc((size_t)out->n, sizeof(*out->v));
    out->at = xcalloc((size_t)out->n + 1, sizeof(*out->at));
    size_t np = 0, cap = 0;
    long long last = 0;
    int rc, bad = 0;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long sid = sqlite3_column_int64(st, 0);
        if (sid <= last || sid > max) {
            bad = 1;
            break;
        }
        for (long long k = last + 1; k <= sid; k++)
            out->at[k] = (uint32_t)np;
        last = sid;
        struct dataset_structure *e = &out->v[sid];
        long long nprof = sqlite3_column_int64(st, 1);
        const unsigned char *city = sqlite3_column_text(st, 5);
        e->nprof = nprof > 0 && nprof < UINT32_MAX ? (uint32_t)nprof : 0;
        e->city = city ? dataset_town_hash((const char *)city) : 0;
        bad =
            st_field(sqlite3_column_text(st, 2), e->insee, sizeof(e->insee)) <
                0 ||
            st_field(sqlite3_column_text(st, 3), e->postcode,
                     sizeof(e->postcode)) < 0 ||
            st_field(sqlite3_column_text(st, 4), e->dept, sizeof(e->dept)) < 0;
        /* ascending uint32 little-endian (importer/structures.c) */
        const unsigned char *p = sqlite3_column_blob(st, 6);
        size_t m = (size_t)sqlite3_column_bytes(st, 6) / 4;
        if (np + m > UINT32_MAX) {
            bad = 1;
            break;
        }
        if (np + m > cap) {
            cap = 2 * (np + m) + 1024;
            out->pids = xrealloc(out->pids, cap * sizeof(*out->pids));
        }
        for (size_t j = 0; j < m; j++, p += 4)
            out->pids[np++] = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                              (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
    sqlite3_finalize(st);
    if (bad || rc != SQLITE_DONE) {
        log_warn("%s: structures not in memory: read from the table",
                 sqlite3_db_filename(db, "main"));
        structures_free(out);
        return;
    }
    for (long long k = last + 1; k <= out->n; k++)
        out->at[k] = (uint32_t)np;
    index_places(out);
    /* The words of the names and streets, where the importer wrote them
     * (a file from before has none: no correction of a misspelt one). */
    st =
        prepare(db, "SELECT 1 FROM sqlite_master WHERE name = 'structure_term'",
                __func__);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        out->dict = typo_dict_load_table(db, "structure_term");
    sqlite3_finalize(st);
}

/* The third thread's: the place columns, or NULL (sorted when they come
 * ordered by profession already: stored), the structures, then the name
 * dictionary, the longest part left when the rest is read from the file (its
 * own sorts, 0.3 s of CPU at full scale): here it runs beside the names. */
struct places_job {
    const char *path;
    long long n;
    int blobs, map;
    int store; /* built to be stored: the structures, never stored, not read */
    struct ds_place_col *out;
    int sorted;
    struct ds_structures st;
    double ms;
    struct typo_dict *dict;
};

static void *places_thread(void *arg)
{
    struct places_job *j = arg;
    double t0 = now_s();
    sqlite3 *db = open_ro(j->path, j->map);
    if (!db)
        return NULL;
    if (j->blobs && ds_blob_places(db, j->n, &j->out) == 0) {
        j->sorted = 1;
    } else {
        struct ds_place_col *pl = xcalloc(PLACE_KEYS, sizeof(*pl));
        for (int i = 0; i < PLACE_KEYS && pl; i++) {
            if (load_place_col(db, (enum place_key)i, &pl[i]) < 0) {
                places_free(pl);
                pl = NULL;
            }
        }
        j->out = pl;
    }
    if (!j->store)
        load_structures(db, &j->st);
    j->ms = (now_s() - t0) * 1e3;
    /* The search lexicon: without it the server still serves, names as
     * typed. */
    j->dict = typo_dict_load(db);
    sqlite3_close(db);
    return NULL;
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

void ds_free(struct dataset *d)
{
    understand_free(d->und);
    geo_free(d->geo);
    typo_dict_free(d->dict);
    placements_free(&d->at);
    places_free(d->places);
    structures_free(&d->st);
    records_free(&d->records);
    free(d->modes.of);
    free(d->prof.of);
    free(d->has_spec);
    free(d->prefixes.v);
    htab_release(&d->prefixes.index);
    free(d->labels.v);
    htab_release(&d->labels.index);
    arena_release(&d->labels.mem);
    free(d->names.off);
    free(d->names.initials);
    free(d->names.text);
    free(d);
}

int dataset_read_blobs = 1;

/* This thread's part: what the server cannot do without (stored, with
 * blobs, or scanned). */
static int load_main(sqlite3 *db, struct dataset *d, int blobs)
{
    if (load_labels(db, &d->labels) < 0)
        return -1;
    if (!(blobs && ds_blob_professions(db, d->n, &d->prof) == 0) &&
        load_professions(db, d->n, &d->prof) < 0)
        return -1;
    if (!(blobs && ds_blob_specialties(db, d->n, &d->has_spec) == 0) &&
        load_specialties(db, d->n, &d->has_spec) < 0)
        return -1;
    if (!(blobs && ds_blob_prefixes(db, &d->prefixes) == 0) &&
        load_prefixes(db, &d->prefixes) < 0)
        return -1;
    /* The names are always stored: without them, nothing is (or not of
     * this version), which the log says once per file. */
    int stored = blobs && ds_blob_names(db, d->n, &d->names) == 0;
    if (blobs && !stored)
        log_info("%s: the server's indexes are not stored in this file (an"
                 " older importer's, or of another version): building them",
                 sqlite3_db_filename(db, "main"));
    if (!stored && load_names(db, d->n, &d->names) < 0)
        return -1;
    return 0;
}

/* dataset_build(), reading the stored structures if blobs is set, the
 * file through a mapping if map is; for dataset_precompute() if store is
 * (what no blob holds is not built: the structures. The lexicon is, as the
 * placements stored are kept only beside it). */
static struct dataset *build(const char *path, const char *etag,
                             long long n_pids, int blobs, int map, int store)
{
    double t0 = now_s();
    struct dataset *d = xcalloc(1, sizeof(*d));
    atomic_init(&d->refs, 1);
    snprintf(d->etag, sizeof(d->etag), "%s", etag);
    d->n = n_pids;
    records_init(&d->records);
    struct activity_job aj = {
        .path = path, .n = n_pids, .blobs = blobs, .map = map};
    struct places_job pj = {
        .path = path, .n = n_pids, .blobs = blobs, .map = map, .store = store};
    pthread_t ath, pth;
    int athreaded = pthread_create(&ath, NULL, activity_thread, &aj) == 0;
    int pthreaded = pthread_create(&pth, NULL, places_thread, &pj) == 0;
    sqlite3 *db = open_ro(path, map);
    int rc = db ? load_main(db, d, blobs) : -1;
    /* No thread to spare: one after the other. */
    if (!athreaded)
        activity_thread(&aj);
    else
        pthread_join(ath, NULL);
    if (!pthreaded)
        places_thread(&pj);
    else
        pthread_join(pth, NULL);
    d->geo = aj.geo;
    d->modes = aj.modes;
    d->at = aj.at;
    d->places = pj.out;
    d->dict = pj.dict;
    d->st = pj.st;
    if (rc == 0 && d->dict)
        d->und = understand_load(db, d->geo, d->dict);
    sqlite3_close(db);
    if (rc < 0) {
        log_warn("%s: cannot load the professions and names", path);
        ds_free(d);
        return NULL;
    }
    if (!d->dict || !d->und) {
        /* The lexicon is whole or absent: the communes and the placements
         * go with the query reader. */
        log_warn("%s: no search lexicon: q is read as name words only", path);
        understand_free(d->und);
        typo_dict_free(d->dict);
        geo_free(d->geo);
        placements_free(&d->at);
        d->und = NULL;
        d->dict = NULL;
        d->geo = NULL;
    } else if (!d->geo && map)
        log_warn("%s: no commune table: places are not understood", path);
    if (d->places && !pj.sorted)
        places_by_profession(d->prof.of, d->places);
    else if (!d->places)
        log_warn("%s: places not in memory: read from the indexes", path);
    if (!d->modes.of)
        log_warn("%s: modes not in memory: read from the activities", path);
    log_debug("%s: dataset of %lld professionals in %.3f s (places %.3f s)",
              path, d->n - 1, now_s() - t0, pj.ms / 1e3);
    return d;
}

struct dataset *dataset_build(const char *path, const char *etag,
                              long long n_pids)
{
    return build(path, etag, n_pids, dataset_read_blobs, 1, 0);
}

int dataset_precompute(sqlite3 *db, const char *path)
{
    sqlite3_stmt *st = NULL;
    long long max_pid = -1;
    if (sqlite3_prepare_v2(db, "SELECT max(pid) FROM professional", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        max_pid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (max_pid < 0) {
        log_error("%s: %s: no professionals: %s", __func__, path,
                  sqlite3_errmsg(db));
        return -1;
    }
    /* Built by scanning, whatever the file holds: what is stored is what
     * a server without the blobs would build. */
    struct dataset *d = build(path, "", max_pid + 1, 0, 0, 1);
    if (!d)
        return -1;
    int rc = ds_blob_save(db, d);
    dataset_unref(d);
    return rc;
}
