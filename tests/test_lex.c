/* The lexicon loader (server/lex.c): a database file built here (the
 * embedded schema, the real commune tables, a few names and activities),
 * loaded with its three parts, shared by reference counting, and the
 * failure cases (no file, no commune table). Run from the repository
 * root. */
#include "lex.h"

#include <math.h>
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

int main(void)
{
    log_set_prog("test_lex");
    char dir[] = "/tmp/test_lex.XXXXXX", path[64], bad[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/rpps.db", dir);
    snprintf(bad, sizeof(bad), "%s/bad.db", dir);

    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, schema_sql);
    if (places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv") < 0)
        return 1;
    /* pid 1: Belfort, a CEDEX line in Lyon, an address-less line; pid 2:
     * nothing; pid 3: the department only (placed nowhere). */
    exec_or_die(db, "INSERT INTO name_term VALUES ('dupont', 9, 'dupO'),"
                    " ('dupond', 2, 'dupO'), ('martin', 7, 'martI');"
                    "INSERT INTO professional (pid, national_id, id_type, id,"
                    " last_fold, first_fold, last_join) VALUES"
                    " (1, '81', '8', '1', 'a', 'b', 'a'),"
                    " (2, '82', '8', '2', 'a', 'b', 'a'),"
                    " (3, '83', '8', '3', 'a', 'b', 'a');"
                    "INSERT INTO activity (aid, insee) VALUES"
                    " (1048577, '90010');"
                    "INSERT INTO activity (aid, postcode, city_fold) VALUES"
                    " (1048578, '69441', 'lyon'), (1048579, NULL, NULL),"
                    " (3145729, '97499', 'nowhere');"
                    "INSERT INTO code (list, code, label) VALUES"
                    " ('profession', '40', 'Chirurgien-Dentiste')");
    sqlite3_close(db);

    struct lex *l = lex_load(path);
    T_CHECK(l != NULL);
    if (l) {
        T_EQ_INT(typo_dict_size(l->dict), 3);
        T_CHECK(geo_count(l->geo) > 34000);
        T_EQ_INT(
            geo_commune(l->geo, geo_by_insee(l->geo, "90010", 5))->activities,
            1);
        /* Where the activities are, in memory. */
        const struct geo_commune *bel =
            geo_commune(l->geo, geo_by_insee(l->geo, "90010", 5));
        double km[4];
        size_t n;
        T_EQ_INT(l->npids, 4);
        double best = lex_pid_km(l, 1, bel->lat, bel->lon, km, 4, &n);
        T_EQ_INT(n, 3);
        T_CHECK(best == 0 && km[0] == 0);
        T_CHECK(km[1] > 230 && km[1] < 290); /* Belfort - Lyon */
        T_CHECK(isnan(km[2]));
        T_CHECK(isnan(lex_pid_km(l, 2, bel->lat, bel->lon, km, 4, &n)));
        T_EQ_INT(n, 0);
        T_CHECK(isnan(lex_pid_km(l, 3, bel->lat, bel->lon, km, 4, &n)));
        T_EQ_INT(n, 1);
        T_CHECK(isnan(lex_pid_km(l, 4, bel->lat, bel->lon, km, 4, &n)));
        T_CHECK(isnan(lex_pid_km(l, -1, bel->lat, bel->lon, km, 4, &n)));
        struct understood x;
        T_EQ_INT(understand_query(l->und, "dentiste dupond belfort", 23, &x),
                 0);
        T_EQ_INT(x.nnames, 1);
        T_EQ_INT(x.nprofessions, 1);
        T_EQ_INT(x.place.kind, UND_PLACE_COMMUNE);
        T_EQ_STR(understand_label(l->und, "profession", "40"),
                 "Chirurgien-Dentiste");
        struct typo_cand c[4];
        T_EQ_INT(typo_find(l->dict, "dupond", 6, c, 4, NULL), 1);
        T_EQ_STR(c[0].term, "dupont");
        T_CHECK(l->load_ms >= 0);
        /* Shared: the last reference frees (ASan would see a leak or a
         * double free). */
        T_CHECK(lex_ref(l) == l);
        T_EQ_INT(atomic_load(&l->refs), 2);
        lex_unref(l);
        T_EQ_INT(atomic_load(&l->refs), 1);
        lex_unref(l);
    }
    lex_unref(NULL);
    T_CHECK(lex_ref(NULL) == NULL);

    /* No file: nothing. A database without the commune tables: names and
     * professions, no places. Without a name dictionary: nothing. */
    T_CHECK(lex_load(bad) == NULL);
    if (sqlite3_open(bad, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, "CREATE TABLE name_term (term TEXT PRIMARY KEY, n, phon);"
                    "INSERT INTO name_term VALUES ('dupont', 9, 'dupO')");
    sqlite3_close(db);
    l = lex_load(bad);
    T_CHECK(l != NULL);
    if (l) {
        struct understood x;
        T_CHECK(l->geo == NULL);
        T_EQ_INT(understand_query(l->und, "dentiste dupont belfort", 23, &x),
                 0);
        T_EQ_INT(x.nprofessions, 1);
        T_EQ_INT(x.nnames, 2);
        T_EQ_INT(x.place.kind, UND_PLACE_NONE);
        lex_unref(l);
    }
    if (sqlite3_open(bad, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, "DROP TABLE name_term");
    sqlite3_close(db);
    T_CHECK(lex_load(bad) == NULL);

    unlink(path);
    unlink(bad);
    rmdir(dir);
    return t_done();
}
