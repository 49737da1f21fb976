/* The row-id layout of the tables a professional owns (activity, diploma,
 * specialty, mailbox): rowid = pid << ROWID_SEQ_BITS | seq, so that every
 * row of one professional lies in one rowid range, clustered in the B-tree,
 * and every index on such a table lists its entries in pid order (the
 * server reads its filters as pid streams: server/stream.h). Mailboxes that
 * belong to no known professional take rowids from ROWID_ORPHAN up, far
 * above any professional's range.
 *
 * The SQL that selects one professional's rows or computes a rowid spells
 * the same layout through the ROWID_*_SQL macros below. Nothing else in
 * the tree may write the shift or the mask as literals. */
#ifndef ROWID_H
#define ROWID_H
#include <assert.h>

/* 2^20 rows per professional: the most seen is a few dozen activities
 * (a locum's), so the seq never comes near. Pids stop below 2^30, where
 * the orphan mailboxes' range starts (ROWID_ORPHAN): far beyond any
 * directory (1.9 M today). */
#define ROWID_SEQ_BITS 20
#define ROWID_SEQ_MAX ((1LL << ROWID_SEQ_BITS) - 1)
/* The first rowid of a mailbox without a known owner: pid 2^30 and
 * above, which no professional reaches (1.9 M today). */
#define ROWID_ORPHAN (1LL << 50)

/* The same layout in SQL, for the statements that select or compute
 * rowids: each argument is an SQL expression (a column, a parameter, or
 * one of these), parenthesised here so that any expression may be passed.
 * SQLite gives <<, >>, & and | one precedence, left to right, so the
 * parentheses also keep each result whole inside a longer expression.
 * Unlike rowid_pid(), ROWID_PID_SQL() does not map an orphan mailbox to 0:
 * its pid comes out as 2^30 or more, which no professional has.
 *
 * The rowid of p's row s (rowid_make()), the first and the last of p's
 * range (rowid_first(), rowid_last()), "BETWEEN the first AND the last"
 * of p's range, and the pid and the seq of the rowid x (rowid_pid(),
 * rowid_seq()). tests/test_common.c checks each against the functions
 * below through SQLite. */
#define ROWID_MAKE_SQL(p, s) "(((" p ") << 20) | (" s "))"
#define ROWID_FIRST_SQL(p) "((" p ") << 20)"
#define ROWID_LAST_SQL(p) "(((" p ") << 20) | 1048575)"
#define ROWID_BETWEEN_SQL(p)                                                   \
    " BETWEEN " ROWID_FIRST_SQL(p) " AND " ROWID_LAST_SQL(p)
#define ROWID_PID_SQL(x) "((" x ") >> 20)"
#define ROWID_SEQ_SQL(x) "((" x ") & 1048575)"
_Static_assert(ROWID_SEQ_BITS == 20 && ROWID_SEQ_MAX == 1048575,
               "ROWID_*_SQL spell the layout: change them together");
/* "rowid BETWEEN the first and last of ?1's range", for a statement that
 * binds the pid as ?1. */
#define ROWID_RANGE_SQL ROWID_BETWEEN_SQL("?1")

/* The rowid of seq-th row of pid. */
static inline long long rowid_make(long long pid, long long seq)
{
    assert(pid >= 0 && seq >= 0 && seq <= ROWID_SEQ_MAX);
    return pid << ROWID_SEQ_BITS | seq;
}

/* The first and the last rowid of pid's range. */
static inline long long rowid_first(long long pid)
{
    return pid << ROWID_SEQ_BITS;
}

static inline long long rowid_last(long long pid)
{
    return pid << ROWID_SEQ_BITS | ROWID_SEQ_MAX;
}

/* The row's number in its professional's range (meaningless for an
 * orphan mailbox). */
static inline long long rowid_seq(long long rowid)
{
    return rowid & ROWID_SEQ_MAX;
}

/* The professional a rowid belongs to; 0 for an orphan mailbox. */
static inline long long rowid_pid(long long rowid)
{
    return rowid < ROWID_ORPHAN ? rowid >> ROWID_SEQ_BITS : 0;
}

/* The orphan mailbox number n's rowid (n from 0). */
static inline long long rowid_orphan(long long n)
{
    return ROWID_ORPHAN + n;
}
#endif
