/* Unit tests of common/'s containers: the hash table (htab.h), the arena
 * (arena.h), the row-id layout (rowid.h, its SQL spellings through SQLite)
 * and the buffer's promise to be a string even when empty (util.h). */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "arena.h"
#include "htab.h"
#include "rowid.h"
#include "util.h"
#include "t.h"

/* Finds key among words[] through t; -1 if absent. */
static long find(const struct htab *t, char words[][16], const char *key)
{
    size_t pos;
    uint64_t h = htab_hash(key, strlen(key));
    for (uint32_t i = htab_first(t, h, &pos); i != HTAB_NONE;
         i = htab_next(t, h, &pos))
        if (strcmp(words[i], key) == 0)
            return (long)i;
    return -1;
}

static void test_htab(void)
{
    static char words[20000][16];
    struct htab t;
    htab_init(&t, 0);
    T_EQ_INT(find(&t, words, "absent"), -1);
    for (int i = 0; i < 20000; i++) {
        snprintf(words[i], sizeof(words[i]), "w%d", i);
        htab_add(&t, htab_hash(words[i], strlen(words[i])), (uint32_t)i);
    }
    T_EQ_INT(t.n, 20000);
    T_CHECK(t.cap >= 20000 * 10 / 7);
    int found = 0;
    for (int i = 0; i < 20000; i++)
        found += find(&t, words, words[i]) == i;
    T_EQ_INT(found, 20000);
    T_EQ_INT(find(&t, words, "w20000"), -1);
    T_EQ_INT(find(&t, words, ""), -1);

    /* Several items under one hash: all are listed, in the order added. */
    struct htab d;
    htab_init(&d, 4);
    uint64_t h = htab_hash_u64(42);
    for (uint32_t i = 0; i < 5; i++)
        htab_add(&d, h, 100 + i);
    htab_add(&d, htab_hash_u64(43), 7);
    size_t pos;
    uint32_t seen[8], n = 0;
    for (uint32_t i = htab_first(&d, h, &pos); i != HTAB_NONE && n < 8;
         i = htab_next(&d, h, &pos))
        seen[n++] = i;
    T_EQ_INT(n, 5);
    for (uint32_t i = 0; i < n && i < 5; i++)
        T_EQ_INT(seen[i], 100 + i);
    T_CHECK(htab_hash_u64(0) != 0 && htab_hash("", 0) != 0);
    T_CHECK(htab_hash_u64(1) != htab_hash_u64(2));
    htab_release(&d);
    htab_release(&t);
    T_EQ_INT(t.cap, 0);
    T_EQ_INT(find(&t, words, "w1"), -1);
}

static void test_arena(void)
{
    struct arena a = ARENA_INIT;
    char *s = arena_strndup(&a, "abcdef", 3);
    T_EQ_STR(s, "abc");
    /* Aligned blocks, and a block larger than a chunk. */
    for (int i = 0; i < 1000; i++) {
        double *d = arena_alloc(&a, 3 * sizeof(double));
        T_CHECK(((uintptr_t)d % _Alignof(double)) == 0 || i > 10);
        d[0] = d[1] = d[2] = i;
        char *t = arena_strndup(&a, "x", 1);
        (void)t;
    }
    char *big = arena_alloc(&a, 3 * ARENA_CHUNK);
    memset(big, 'z', 3 * ARENA_CHUNK);
    T_EQ_STR(s, "abc");
    char *after = arena_strndup(&a, "after", 5);
    T_EQ_STR(after, "after");
    T_CHECK(a.bytes >= 3 * ARENA_CHUNK);
    arena_release(&a);
    T_CHECK(a.head == NULL && a.bytes == 0);
}

static void test_rowid(void)
{
    T_EQ_INT(rowid_make(1, 0), 1 << 20);
    T_EQ_INT(rowid_first(7), 7LL << 20);
    T_EQ_INT(rowid_last(7), (8LL << 20) - 1);
    T_EQ_INT(rowid_pid(rowid_make(1900000, 55)), 1900000);
    T_EQ_INT(rowid_pid(rowid_last(3)), 3);
    T_EQ_INT(rowid_pid(rowid_orphan(0)), 0);
    T_EQ_INT(rowid_pid(rowid_orphan(12345)), 0);
    T_CHECK(rowid_orphan(0) > rowid_last(1LL << 29));
    T_EQ_INT(rowid_seq(rowid_make(1900000, 55)), 55);
    T_EQ_INT(rowid_seq(rowid_last(3)), ROWID_SEQ_MAX);
}

/* The SQL spellings of the layout (ROWID_*_SQL), computed by SQLite, against
 * the functions, for pids and seqs at both ends of their ranges: a macro
 * that shifts or masks by another width gives another number here, and so
 * does one whose result splits inside a longer expression (SQLite gives <<,
 * >>, & and | one precedence: the last three columns). */
static void test_rowid_sql(void)
{
    static const struct {
        long long pid, seq;
    } cases[] = {
        {0, 0},
        {0, ROWID_SEQ_MAX},
        {1, 0},
        {1, 1},
        {7, 12345},
        {1900000, 55},
        {1LL << 29, ROWID_SEQ_MAX},
        /* The last professional's range, right below ROWID_ORPHAN. */
        {(1LL << 30) - 1, 0},
        {(1LL << 30) - 1, ROWID_SEQ_MAX},
    };
    /* clang-format off */
    static const char sql[] = "SELECT "
        ROWID_MAKE_SQL("?1", "?2") ", "
        ROWID_FIRST_SQL("?1") ", "
        ROWID_LAST_SQL("?1") ", "
        ROWID_PID_SQL("?3") ", "
        ROWID_SEQ_SQL("?3") ", "
        ROWID_FIRST_SQL(ROWID_PID_SQL("?3")) ", "
        "?3" ROWID_BETWEEN_SQL("?1") ", "
        "?4" ROWID_BETWEEN_SQL("?1") ", "
        "?5" ROWID_BETWEEN_SQL("?1") ", "
        "?3" ROWID_RANGE_SQL ", "
        ROWID_PID_SQL("?3") " + 1, "
        ROWID_SEQ_SQL("?3") " * 2, "
        ROWID_MAKE_SQL("?1", "?2") " - 1";
    /* clang-format on */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    T_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    T_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; st && i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long p = cases[i].pid, s = cases[i].seq;
        long long r = rowid_make(p, s);
        sqlite3_bind_int64(st, 1, p);
        sqlite3_bind_int64(st, 2, s);
        sqlite3_bind_int64(st, 3, r);
        /* Just outside p's range, on each side. */
        sqlite3_bind_int64(st, 4, rowid_first(p) - 1);
        sqlite3_bind_int64(st, 5, rowid_last(p) + 1);
        T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
        T_EQ_INT(sqlite3_column_int64(st, 0), r);
        T_EQ_INT(sqlite3_column_int64(st, 1), rowid_first(p));
        T_EQ_INT(sqlite3_column_int64(st, 2), rowid_last(p));
        T_EQ_INT(sqlite3_column_int64(st, 3), rowid_pid(r));
        T_EQ_INT(sqlite3_column_int64(st, 4), rowid_seq(r));
        T_EQ_INT(sqlite3_column_int64(st, 5), rowid_first(p));
        T_EQ_INT(sqlite3_column_int64(st, 6), 1);
        T_EQ_INT(sqlite3_column_int64(st, 7), 0);
        T_EQ_INT(sqlite3_column_int64(st, 8), 0);
        T_EQ_INT(sqlite3_column_int64(st, 9), 1);
        T_EQ_INT(sqlite3_column_int64(st, 10), rowid_pid(r) + 1);
        T_EQ_INT(sqlite3_column_int64(st, 11), rowid_seq(r) * 2);
        T_EQ_INT(sqlite3_column_int64(st, 12), r - 1);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    /* An orphan mailbox's pid in SQL is 2^30 or more (rowid_pid() says
     * 0): above every professional's, so that no join on it matches. */
    T_EQ_INT(
        sqlite3_prepare_v2(db, "SELECT " ROWID_PID_SQL("?1"), -1, &st, NULL),
        SQLITE_OK);
    if (st) {
        sqlite3_bind_int64(st, 1, rowid_orphan(0));
        T_EQ_INT(sqlite3_step(st), SQLITE_ROW);
        T_EQ_INT(sqlite3_column_int64(st, 0), 1LL << 30);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_buf(void)
{
    struct buf b;
    buf_init(&b, 8);
    /* A string before anything is added, and after a failed add. */
    T_EQ_STR(b.s, "");
    T_EQ_INT(buf_add(&b, "123456789", 9), -1);
    T_EQ_STR(b.s, "");
    T_EQ_INT(buf_addstr(&b, "1234"), 0);
    T_EQ_STR(b.s, "1234");
    buf_reset(&b);
    T_EQ_STR(b.s, "");
    buf_release(&b);
    T_EQ_STR(b.s, "");
    T_EQ_INT(b.len, 0);
}

int main(void)
{
    test_htab();
    test_arena();
    test_rowid();
    test_rowid_sql();
    test_buf();
    return t_done();
}
