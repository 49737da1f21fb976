/* The dataset's structures stored in the file (server/dataset_blob.c):
 * a database made here (the embedded schema, the real commune tables, a
 * few professionals and activities), its dataset built by scanning, stored
 * as the importer stores it (dataset_precompute()), then built again from
 * the blobs: every structure must be byte for byte the scan's. And each
 * way back to the scan: blobs ignored (dataset_read_blobs 0), of another
 * version, damaged, or built for another pid count; and the proof that the
 * blobs are what is read when they are good (a name changed in the table
 * after they were stored still reads as stored). Run from the repository
 * root. */
#include "dataset_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "places.h"
#include "util.h"
#include "t.h"

extern const char schema_sql[];

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql: %s: %s\n", err, sql);
        exit(1);
    }
}

static void exec_path(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        exit(1);
    exec_or_die(db, sql);
    sqlite3_close(db);
}

/* 1 if the n bytes at a and b are the same (both NULL: the same). */
static int same_mem(const void *a, const void *b, size_t n)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n) == 0;
}

static size_t keys_bytes(const struct ds_place_col *pc)
{
    if (!pc->nkeys)
        return 0;
    const char *last = pc->keys + pc->key_off[pc->nkeys - 1];
    return (size_t)(last - pc->keys) + strlen(last) + 1;
}

/* Every structure the blobs hold, compared; the first that differs is
 * printed. */
static int same_dataset(const struct dataset *a, const struct dataset *b)
{
    size_t n = (size_t)a->n;
#define SAME(what, cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("  differs: %s\n", what);                                   \
            return 0;                                                          \
        }                                                                      \
    } while (0)
    SAME("n", a->n == b->n);
    SAME("professions",
         same_mem(a->prof.of, b->prof.of, n) &&
             a->prof.ncodes == b->prof.ncodes &&
             same_mem(a->prof.codes, b->prof.codes, sizeof(a->prof.codes)));
    SAME("specialties", same_mem(a->has_spec, b->has_spec, n / 8 + 1));
    SAME("names", a->names.len == b->names.len &&
                      same_mem(a->names.text, b->names.text, a->names.len) &&
                      same_mem(a->names.off, b->names.off, n * 4) &&
                      same_mem(a->names.initials, b->names.initials, n * 4));
    SAME("prefixes", a->prefixes.n == b->prefixes.n &&
                         same_mem(a->prefixes.v, b->prefixes.v,
                                  a->prefixes.n * sizeof(*a->prefixes.v)));
    for (size_t i = 0; i < a->prefixes.n; i++)
        SAME("prefix lookup",
             dataset_prefix_stat(b, a->prefixes.v[i].p) == &b->prefixes.v[i]);
    SAME("modes",
         same_mem(a->modes.of, b->modes.of, n) &&
             a->modes.ncodes == b->modes.ncodes &&
             same_mem(a->modes.codes, b->modes.codes, sizeof(a->modes.codes)));
    SAME("places", !a->places == !b->places);
    for (int k = 0; a->places && k < PLACE_KEYS; k++) {
        const struct ds_place_col *x = &a->places[k], *y = &b->places[k];
        SAME("place column",
             x->nkeys == y->nkeys && keys_bytes(x) == keys_bytes(y) &&
                 same_mem(x->keys, y->keys, keys_bytes(x)) &&
                 same_mem(x->key_off, y->key_off, x->nkeys * 4) &&
                 same_mem(x->at, y->at, (x->nkeys + 1) * 4) &&
                 same_mem(x->pid, y->pid, x->at[x->nkeys] * 4));
    }
    size_t nc = geo_count(a->geo);
    SAME("communes", nc == geo_count(b->geo));
    for (size_t i = 0; i < nc; i++)
        SAME("commune activities", geo_commune(a->geo, (int)i)->activities ==
                                       geo_commune(b->geo, (int)i)->activities);
    SAME("placements", !a->at.act_at == !b->at.act_at);
    if (a->at.act_at) {
        const struct ds_placements *x = &a->at, *y = &b->at;
        SAME("placements' arrays",
             x->npids == y->npids &&
                 same_mem(x->act_at, y->act_at, (n + 1) * 4) &&
                 same_mem(x->act_commune, y->act_commune, x->act_at[n] * 4) &&
                 same_mem(x->commune_at, y->commune_at, (nc + 1) * 4) &&
                 same_mem(x->commune_pid, y->commune_pid,
                          x->commune_at[nc] * 4));
    }
    return 1;
#undef SAME
}

/* The dataset of path built from its blobs (or by scanning, with
 * dataset_read_blobs 0, or when they cannot be read), compared with ref. */
static int built_same(const char *path, const struct dataset *ref)
{
    struct dataset *d = dataset_build(path, "W/\"t\"", ref->n);
    int same = d && same_dataset(ref, d);
    dataset_unref(d);
    return same;
}

/* pid 1's last name as the dataset of path reads it. */
static void last_name(const char *path, char *out, size_t n)
{
    struct dataset *d = dataset_build(path, "W/\"t\"", 5);
    const char *last = "", *first, *join;
    if (d)
        dataset_names(d, 1, &last, &first, &join);
    snprintf(out, n, "%s", last);
    dataset_unref(d);
}

int main(void)
{
    log_set_prog("test_dataset_blob");
    char dir[] = "/tmp/test_dataset_blob.XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/rpps.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, schema_sql);
    if (places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv") < 0)
        return 1;
    /* Three professions, two modes, places in three communes (two
     * activities of pid 1 in Belfort: one person there), a CEDEX line, one
     * without an address, a pid with nothing (3). */
    exec_or_die(db, "INSERT INTO name_term VALUES ('dupont', 9, 'dupO'),"
                    " ('dupond', 2, 'dupO'), ('martin', 7, 'martI'),"
                    " ('le goff', 1, 'lgOf'), ('legoff', 1, 'lgOf');"
                    "INSERT INTO professional (pid, national_id, id_type, id,"
                    " last_fold, first_fold, last_join, profession_code)"
                    " VALUES (1, '81', '8', '1', 'dupont', 'marie anne',"
                    " 'dupont', '40'),"
                    " (2, '82', '8', '2', 'martin', 'luc', 'martin', '10'),"
                    " (3, '83', '8', '3', 'a', 'b', 'a', '40'),"
                    " (4, '84', '8', '4', 'le goff', 'ann', 'legoff', '50');"
                    "INSERT INTO specialty (pid, code) VALUES (2, 'SM54'),"
                    " (4, 'SM01');"
                    "INSERT INTO activity (aid, insee, postcode, city_fold,"
                    " mode_code, dept_code) VALUES"
                    " (1048577, '90010', '90000', 'belfort', 'L', '90'),"
                    " (1048578, '90010', '90000', 'belfort', 'S', '90'),"
                    " (2097153, '69123', '69001', 'lyon', 'S', '69'),"
                    " (4194305, '90010', '90000', 'belfort', 'L', '90');"
                    "INSERT INTO activity (aid, postcode, city_fold, mode_code)"
                    " VALUES (2097154, '69441', 'lyon', 'S'),"
                    " (2097155, NULL, NULL, NULL);"
                    "INSERT INTO code (list, code, label) VALUES"
                    " ('profession', '40', 'Chirurgien-Dentiste'),"
                    " ('profession', '10', 'Médecin'),"
                    " ('profession', '50', 'Pharmacien'),"
                    " ('specialty', 'SM54', '')");
    struct dataset *ref = dataset_build(path, "W/\"t\"", 5);
    T_CHECK(ref != NULL);
    if (!ref)
        return t_done();
    T_CHECK(ref->places && ref->modes.of && ref->at.act_at && ref->geo);

    /* Stored as the importer stores them, then read back. */
    T_EQ_INT(dataset_precompute(db, path), 0);
    sqlite3_close(db);
    T_CHECK(built_same(path, ref));

    /* Each way back to the scan gives the same. */
    dataset_read_blobs = 0;
    T_CHECK(built_same(path, ref));
    dataset_read_blobs = 1;
    exec_path(path, "UPDATE dataset_blob SET version = version + 1");
    T_CHECK(built_same(path, ref));
    exec_path(path, "UPDATE dataset_blob SET version = version - 1;"
                    "UPDATE dataset_blob SET data = substr(data, 1, 40)"
                    " WHERE name IN ('names', 'places', 'placements')");
    T_CHECK(built_same(path, ref));
    exec_path(path, "DROP TABLE dataset_blob");
    T_CHECK(built_same(path, ref));

    /* Good blobs are what is read: a name changed after they were stored
     * reads as stored, and as changed without them. */
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, "CREATE TABLE dataset_blob (name TEXT PRIMARY KEY,"
                    " version INTEGER NOT NULL, data BLOB NOT NULL)");
    T_EQ_INT(dataset_precompute(db, path), 0);
    exec_or_die(db, "UPDATE professional SET last_fold = 'durand'"
                    " WHERE pid = 1");
    sqlite3_close(db);
    char last[32];
    last_name(path, last, sizeof(last));
    T_EQ_STR(last, "dupont");
    dataset_read_blobs = 0;
    last_name(path, last, sizeof(last));
    T_EQ_STR(last, "durand");
    dataset_read_blobs = 1;
    /* Built for another pid count: the scan's. */
    struct dataset *d = dataset_build(path, "W/\"t\"", 6);
    T_CHECK(d != NULL && d->n == 6);
    if (d) {
        const char *l, *f, *j;
        T_EQ_INT(dataset_names(d, 1, &l, &f, &j), 0);
        T_EQ_STR(l, "durand");
    }
    dataset_unref(d);

    dataset_unref(ref);
    unlink(path);
    rmdir(dir);
    return t_done();
}
