/* Pid streams: the professionals that satisfy one condition, in ascending
 * pid order (the default ranking, fixed at import), read lazily from one or
 * more SQLite statements, and their intersection by leapfrogging. A search
 * is the intersection of a few streams (the name words' FTS5 match, the
 * profession, the specialty, the place) read until the page is full: no
 * large set is ever sorted or even read whole.
 *
 * A stream's statements return one integer per row in ascending order (a
 * pid, or the row id of a row a professional owns, such as an activity's
 * aid: common/rowid.h) and take the
 * lower bound of that integer as their last parameter, so a stream moves
 * forward either by stepping (cheap: the next index entry) or by running
 * its statements again from a new bound (a B-tree descent). Several
 * statements (sub-streams, one per key of an IN list) are merged. Nothing
 * here builds SQL or knows what a condition means. */
#ifndef STREAM_H
#define STREAM_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define STREAM_END LLONG_MAX
/* Sub-streams of one stream: one per postal code of a prefix, per
 * department, per profession... Past this many keys the caller reads the
 * condition another way (a scan in pid order that checks it). */
#define STREAM_SUBS_MAX 64

struct stream_sub {
    sqlite3_stmt *st; /* borrowed from the connection's statement cache */
    long long cur;    /* pid of the current row; -1 not started;
                       * STREAM_END when done */
};

struct stream {
    struct stream_sub sub[STREAM_SUBS_MAX];
    int nsub;
    int rowids;      /* the values are row ids (rowid.h), else pids */
    int bound_param; /* index of the lower-bound parameter */
    int step_max;    /* steps tried before running again from a bound;
                      * 0 = never run again (re-running costs more than
                      * stepping, e.g. an FTS5 prefix it must merge) */
    long long est;   /* estimated number of pids (orders the streams) */
    long long cur;   /* min of the subs' cur; -1 before the first seek */
    int error;       /* a statement failed or was interrupted */
    /* Or, with no statements, an ascending array in memory (borrowed). */
    const uint32_t *mem;
    size_t nmem, pos;
    /* Or a bit per pid (borrowed): the set bits up to bits_hi. */
    const uint64_t *bits;
    long long bits_hi;
};

/* Starts an empty stream. The caller then adds statements with
 * stream_add(), their other parameters already bound. */
void stream_init(struct stream *s, int rowids, int bound_param, int step_max,
                 long long est);
/* Starts a stream over v[0..n), ascending pids in memory that outlive it:
 * seeks gallop through the array, nothing touches SQLite. */
void stream_init_mem(struct stream *s, const uint32_t *v, size_t n,
                     long long est);
/* Starts a stream over the set bits of bits[], pids up to hi: seeks scan
 * the words from the target's (a set of pids built in memory). */
void stream_init_bits(struct stream *s, const uint64_t *bits, long long hi,
                      long long est);
/* Adds a statement (not yet stepped). -1 when the stream is full. */
int stream_add(struct stream *s, sqlite3_stmt *st);

/* The first pid >= target, or STREAM_END. Moves forward only: a target
 * behind the current pid returns the current pid (stream_rewind() first to
 * go back). */
long long stream_seek(struct stream *s, long long target);

/* Forgets the position: the next seek runs the statements again. */
void stream_rewind(struct stream *s);

/* Resets the statements (ends their reads); the stream can be rewound and
 * used again. */
void stream_done(struct stream *s);

/* The first pid >= from and <= hi that is in every stream of v[0..n), or
 * STREAM_END. v is best ordered smallest first. n >= 1. */
long long stream_and(struct stream **v, int n, long long from, long long hi);
#endif
