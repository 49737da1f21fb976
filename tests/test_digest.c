/* importer/digest.h: the history step's entries sorted in place (against
 * qsort() over the same keys, including keys that share their top bytes,
 * negative ones and duplicates), collisions marked, and the stored copy
 * read back exactly (across chunks, the largest rowids, every kind), or
 * refused when absent, of another version, malformed or out of order. */
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "digest.h"
#include "t.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_key(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts n entries whose keys mk() makes: the keys in qsort()'s order, the
 * entries still the same ones (each ref once). */
static void check_sort(size_t n, int64_t (*mk)(size_t))
{
    struct digest_list l = {0};
    int64_t *keys = malloc(n * sizeof(*keys));
    unsigned char *seen = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        struct digest_entry e = {mk(i), (uint32_t)i, 0, (int64_t)i};
        keys[i] = e.key;
        digest_list_push(&l, &e);
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    digest_list_sort(&l);
    int order = 1, same = 1;
    for (size_t i = 0; i < n; i++) {
        order &= l.v[i].key == keys[i];
        same &= l.v[i].digest == (uint32_t)l.v[i].ref && !seen[l.v[i].ref];
        seen[l.v[i].ref] = 1;
    }
    T_CHECK(order);
    T_CHECK(same);
    digest_list_release(&l);
    free(keys);
    free(seen);
}

static int64_t key_random(size_t i)
{
    (void)i;
    return (int64_t)next_rand();
}

/* The top seven bytes shared: every pass but the last finds one bucket. */
static int64_t key_low_byte(size_t i)
{
    (void)i;
    return (int64_t)(UINT64_C(0x8123456789abcd00) | (next_rand() & 0xff));
}

/* Few distinct keys, each many times, around zero. */
static int64_t key_dups(size_t i)
{
    return (int64_t)(i % 7) - 3;
}

static void test_sort(void)
{
    check_sort(0, key_random);
    check_sort(1, key_random);
    check_sort(31, key_random);
    check_sort(200000, key_random);
    check_sort(5000, key_low_byte);
    check_sort(5000, key_dups);
}

static void test_collisions(void)
{
    struct digest_list l = {0};
    int64_t keys[] = {1, 2, 2, 3, 4, 4, 4, 5};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        struct digest_entry e = {keys[i], 0, 1, (int64_t)i};
        digest_list_push(&l, &e);
    }
    T_EQ_INT(digest_list_mark_collisions(&l), 2);
    uint32_t want[] = {1,
                       DIGEST_COLLIDED,
                       DIGEST_COLLIDED,
                       1,
                       DIGEST_COLLIDED,
                       DIGEST_COLLIDED,
                       DIGEST_COLLIDED,
                       1};
    for (size_t i = 0; i < l.n; i++)
        T_EQ_INT(l.v[i].kind, want[i]);
    digest_list_release(&l);
}

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    T_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    T_CHECK(sqlite3_exec(db,
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                         "CREATE TABLE history_digest (chunk INTEGER PRIMARY"
                         " KEY, n INTEGER NOT NULL, data BLOB NOT NULL)",
                         NULL, NULL, NULL) == SQLITE_OK);
    return db;
}

/* Every stored entry read back: 1 if all, in order, and nothing more. */
static int read_back(sqlite3 *db, const struct digest_list *l)
{
    struct digest_reader r;
    struct digest_entry e;
    int ok = digest_reader_open(&r, db, "main") == 1;
    for (size_t i = 0; ok && i < l->n; i++)
        ok = digest_reader_next(&r, &e) == 1 && e.key == l->v[i].key &&
             e.digest == l->v[i].digest && e.kind == l->v[i].kind &&
             e.ref == l->v[i].ref;
    ok = ok && digest_reader_next(&r, &e) == 0;
    digest_reader_close(&r);
    return ok;
}

/* What reading the stored entries gives: 1 all of them to their end, 0
 * none to read (the reader not opened), -1 an error on the way. */
static int read_all(sqlite3 *db)
{
    struct digest_reader r;
    struct digest_entry e;
    int rc = digest_reader_open(&r, db, "main");
    if (rc == 1) {
        while ((rc = digest_reader_next(&r, &e)) == 1)
            ;
        rc = rc == 0 ? 1 : -1;
    }
    digest_reader_close(&r);
    return rc;
}

static void test_store(void)
{
    struct digest_list l = {0};
    sqlite3 *db = open_db();
    /* Three chunks and a part, keys of both signs and at the ends, the
     * largest rowids, every kind. */
    for (size_t i = 0; i < 3 * 4096 + 17; i++) {
        struct digest_entry e = {(int64_t)next_rand(), (uint32_t)next_rand(),
                                 (uint32_t)(i % 4),
                                 (int64_t)(next_rand() >> (3 + i % 40))};
        digest_list_push(&l, &e);
    }
    l.v[0].key = INT64_MIN;
    l.v[1].key = INT64_MAX;
    l.v[2].ref = (INT64_C(1) << 61) - 1;
    digest_list_sort(&l);
    T_EQ_INT(digest_store(db, &l), 0);
    T_CHECK(read_back(db, &l));
    /* Another version: not read. */
    sqlite3_exec(db, "UPDATE meta SET value = '0'", NULL, NULL, NULL);
    T_EQ_INT(read_all(db), 0);
    sqlite3_exec(db, "UPDATE meta SET value = '1'", NULL, NULL, NULL);
    T_EQ_INT(read_all(db), 1);
    /* Chunks out of order: refused. */
    sqlite3_exec(db, "UPDATE history_digest SET chunk = -chunk - 1", NULL, NULL,
                 NULL);
    T_EQ_INT(read_all(db), -1);
    sqlite3_exec(db, "UPDATE history_digest SET chunk = -chunk - 1", NULL, NULL,
                 NULL);
    /* A chunk's count that says more or fewer than its data holds, a cut
     * varint, too many entries: refused. */
    static const char *const bad[] = {
        "UPDATE history_digest SET n = n + 1 WHERE chunk = 1",
        "UPDATE history_digest SET n = n - 1 WHERE chunk = 1",
        "UPDATE history_digest SET data = x'ff' WHERE chunk = 1",
        "UPDATE history_digest SET n = 100000 WHERE chunk = 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        sqlite3_exec(db, "SAVEPOINT s", NULL, NULL, NULL);
        T_CHECK(sqlite3_exec(db, bad[i], NULL, NULL, NULL) == SQLITE_OK);
        T_EQ_INT(read_all(db), -1);
        sqlite3_exec(db, "ROLLBACK TO s; RELEASE s", NULL, NULL, NULL);
    }
    T_EQ_INT(read_all(db), 1);
    sqlite3_close(db);
    /* No table, or none stored: 0 (the caller scans the tables). */
    T_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
                 NULL, NULL, NULL);
    T_EQ_INT(read_all(db), 0);
    sqlite3_close(db);
    db = open_db();
    T_EQ_INT(read_all(db), 0);
    sqlite3_close(db);
    digest_list_release(&l);
}

int main(void)
{
    test_sort();
    test_collisions();
    test_store();
    return t_done();
}
