/* A database file's in-memory indexes (server/dataset.c, dataset_load.c):
 * a database file built here (the embedded schema, the real commune
 * tables, a few professionals and activities), its dataset built with
 * every part and read through its lookups (professions, names, initials,
 * prefixes, places, modes, labels, the lexicon, distances), shared by
 * reference counting, and the failure cases (no file, no commune table, no
 * name dictionary). Run from the repository root. */
#include "dataset.h"

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
    log_set_prog("test_dataset");
    char dir[] = "/tmp/test_dataset.XXXXXX", path[64], bad[64];
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
                    " last_fold, first_fold, last_join, profession_code)"
                    " VALUES (1, '81', '8', '1', 'dupont', 'marie anne',"
                    " 'dupont', '40'),"
                    " (2, '82', '8', '2', 'martin', 'luc', 'martin', '10'),"
                    " (3, '83', '8', '3', 'le a', 'b', 'lea', '40');"
                    "INSERT INTO specialty (pid, code) VALUES (2, 'SM54');"
                    "INSERT INTO activity (aid, insee, mode_code, dept_code)"
                    " VALUES (1048577, '90010', 'L', '90');"
                    "INSERT INTO activity (aid, postcode, city_fold, mode_code)"
                    " VALUES (1048578, '69441', 'lyon', 'S'),"
                    " (1048579, NULL, NULL, NULL),"
                    " (3145729, '97499', 'nowhere', 'L');"
                    "INSERT INTO code (list, code, label) VALUES"
                    " ('profession', '40', 'Chirurgien-Dentiste'),"
                    " ('profession', '10', 'Médecin'),"
                    " ('specialty', 'SM54', '')");
    sqlite3_close(db);

    struct dataset *d = dataset_build(path, "W/\"t\"", 4);
    T_CHECK(d != NULL);
    if (!d)
        return t_done();
    T_EQ_STR(dataset_etag(d), "W/\"t\"");
    T_EQ_INT(dataset_npids(d), 4);
    /* Professions, specialties, labels. */
    int dent = dataset_prof_index(d, "40"), med = dataset_prof_index(d, "10");
    T_CHECK(dent > 0 && med > 0 && dent != med);
    T_EQ_INT(dataset_prof_index(d, "99"), 0);
    T_EQ_INT(dataset_professions(d)[1], dent);
    T_EQ_INT(dataset_professions(d)[2], med);
    T_EQ_INT(dataset_has_specialty(d, 1), 0);
    T_EQ_INT(dataset_has_specialty(d, 2), 1);
    T_EQ_INT(dataset_has_specialty(d, 99), 1); /* unknown: look it up */
    T_EQ_STR(dataset_label(d, "profession", "40"), "Chirurgien-Dentiste");
    T_CHECK(dataset_label(d, "specialty", "SM54") == NULL); /* "" */
    T_CHECK(dataset_label(d, "specialty", "40") == NULL);
    T_CHECK(dataset_label(d, "profession", NULL) == NULL);
    /* Names and their initials. */
    const char *last, *first, *join;
    T_EQ_INT(dataset_names(d, 1, &last, &first, &join), 0);
    T_EQ_STR(last, "dupont");
    T_EQ_STR(first, "marie anne");
    T_EQ_STR(join, "dupont");
    /* The joined family name, stored only when it differs (pid 1's is
     * its family name, kept once). */
    T_CHECK(join == last);
    T_EQ_INT(dataset_names(d, 3, &last, &first, &join), 0);
    T_EQ_STR(last, "le a");
    T_EQ_STR(first, "b");
    T_EQ_STR(join, "lea");
    T_EQ_INT(dataset_names(d, 0, &last, &first, &join), -1);
    T_EQ_INT(dataset_names(d, 4, &last, &first, &join), -1);
    T_EQ_INT(dataset_initials(d)[1], dataset_initial_bit('d') |
                                         dataset_initial_bit('m') |
                                         dataset_initial_bit('a'));
    /* Prefixes of name words: the sum and the most of their counts. */
    const struct dataset_prefix *px = dataset_prefix_stat(d, "dup");
    T_CHECK(px && px->sum == 11 && px->max == 9);
    T_CHECK(dataset_prefix_stat(d, "zz") == NULL);
    T_CHECK(dataset_prefix_stat(d, "dupo") == NULL); /* 1-3 characters */
    /* Places: a value's people by profession, and a postal range. */
    const uint32_t *pids;
    T_CHECK(dataset_has_places(d));
    T_EQ_INT(dataset_place_pids(d, PLACE_INSEE, "90010", -1, &pids), 1);
    T_EQ_INT(pids[0], 1);
    T_EQ_INT(dataset_place_pids(d, PLACE_INSEE, "90010", med, &pids), 0);
    T_EQ_INT(dataset_place_pids(d, PLACE_CITY, "paris", -1, &pids), 0);
    size_t at;
    T_EQ_INT(dataset_place_range(d, PLACE_POSTCODE, "6", "7", &at), 1);
    T_EQ_INT(dataset_place_run(d, PLACE_POSTCODE, at, dent, &pids), 1);
    /* Modes: a bit per code, in the order met (L then S), bit 7 for none
     * or another. */
    char cl[] = "L", cs[] = "S", cb[] = "B";
    char *l[] = {cl}, *sb[] = {cs, cb};
    T_EQ_INT(dataset_mode_bits(d, l, 1), 1);
    T_EQ_INT(dataset_mode_bits(d, sb, 2), 2);
    T_EQ_INT(dataset_modes(d)[1], 1 | 2 | 128); /* L, S, none */
    T_EQ_INT(dataset_modes(d)[3], 1);
    T_EQ_INT(dataset_modes(d)[2], 0);
    /* The lexicon. */
    const struct geo *geo = dataset_geo(d);
    T_EQ_INT(typo_dict_size(dataset_dict(d)), 3);
    T_CHECK(geo_count(geo) > 34000);
    T_EQ_INT(geo_commune(geo, geo_by_insee(geo, "90010", 5))->activities, 1);
    /* Where the activities are, in memory. */
    const struct geo_commune *bel =
        geo_commune(geo, geo_by_insee(geo, "90010", 5));
    double km[4];
    size_t n;
    T_CHECK(dataset_has_placements(d));
    T_EQ_INT(dataset_nactivities(d), 4);
    double best = dataset_pid_km(d, 1, bel->lat, bel->lon, km, 4, &n);
    T_EQ_INT(n, 3);
    T_CHECK(best == 0 && km[0] == 0);
    T_CHECK(km[1] > 230 && km[1] < 290); /* Belfort - Lyon */
    T_CHECK(isnan(km[2]));
    T_CHECK(isnan(dataset_pid_km(d, 2, bel->lat, bel->lon, km, 4, &n)));
    T_EQ_INT(n, 0);
    T_CHECK(isnan(dataset_pid_km(d, 3, bel->lat, bel->lon, km, 4, &n)));
    T_EQ_INT(n, 1);
    T_CHECK(isnan(dataset_pid_km(d, 4, bel->lat, bel->lon, km, 4, &n)));
    T_CHECK(isnan(dataset_pid_km(d, -1, bel->lat, bel->lon, km, 4, &n)));
    T_EQ_INT(dataset_commune_pids(d, geo_by_insee(geo, "90010", 5), &pids), 1);
    T_EQ_INT(pids[0], 1);
    struct understood x;
    T_EQ_INT(understand_query(dataset_understand(d), "dentiste dupond belfort",
                              23, &x),
             0);
    T_EQ_INT(x.nnames, 1);
    T_EQ_INT(x.nprofessions, 1);
    T_EQ_INT(x.place.kind, UND_PLACE_COMMUNE);
    T_EQ_STR(understand_label(dataset_understand(d), "profession", "40"),
             "Chirurgien-Dentiste");
    struct typo_cand c[4];
    T_EQ_INT(typo_find(dataset_dict(d), "dupond", 6, c, 4, NULL), 1);
    T_EQ_STR(c[0].term, "dupont");
    T_CHECK(dataset_records(d) != NULL);
    /* Shared: the last reference frees (ASan would see a leak or a double
     * free). */
    T_CHECK(dataset_ref(d) == d);
    dataset_unref(d);
    dataset_unref(d);
    dataset_unref(NULL);
    T_CHECK(dataset_ref(NULL) == NULL);

    /* No file: nothing. A database without the commune tables: names and
     * professions, no places. Without a name dictionary: nothing. */
    T_CHECK(dataset_build(bad, "W/\"b\"", 4) == NULL);
    if (sqlite3_open(bad, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, schema_sql);
    exec_or_die(db, "INSERT INTO name_term VALUES ('dupont', 9, 'dupO');"
                    "INSERT INTO code (list, code, label) VALUES"
                    " ('profession', '40', 'Chirurgien-Dentiste')");
    sqlite3_close(db);
    d = dataset_build(bad, "W/\"b\"", 4);
    T_CHECK(d != NULL);
    if (d) {
        T_CHECK(dataset_geo(d) == NULL);
        T_CHECK(!dataset_has_placements(d));
        T_EQ_INT(understand_query(dataset_understand(d),
                                  "dentiste dupont belfort", 23, &x),
                 0);
        T_EQ_INT(x.nprofessions, 1);
        T_EQ_INT(x.nnames, 2);
        T_EQ_INT(x.place.kind, UND_PLACE_NONE);
        dataset_unref(d);
    }
    if (sqlite3_open(bad, &db) != SQLITE_OK)
        return 1;
    exec_or_die(db, "DROP TABLE name_term");
    sqlite3_close(db);
    T_CHECK(dataset_build(bad, "W/\"b\"", 4) == NULL);

    unlink(path);
    unlink(bad);
    rmdir(dir);
    return t_done();
}
