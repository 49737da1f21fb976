/* Pid streams and their intersection. See stream.h.
 *
 * Costs that decide the strategy (measured on the full-scale synthetic
 * database, warm cache): stepping an index or FTS5 cursor costs about
 * 0.1 µs, running a statement again from a new bound 1-3 µs (5-50 µs for an
 * FTS5 expression, which is parsed again). So a sub-stream behind its
 * target first steps (up to step_max rows: the target is often near), then
 * jumps. */
#include "stream.h"

#include <assert.h>
#include <string.h>

#include "rowid.h"
#include "util.h"
#include "banned.h"

void stream_init(struct stream *s, int rowids, int bound_param, int step_max,
                 long long est)
{
    s->nsub = 0;
    s->rowids = rowids;
    s->bound_param = bound_param;
    s->step_max = step_max;
    s->est = est;
    s->cur = -1;
    s->error = 0;
    s->mem = NULL;
    s->nmem = s->pos = 0;
    s->bits = NULL;
    s->bits_hi = -1;
}

void stream_init_mem(struct stream *s, const uint32_t *v, size_t n,
                     long long est)
{
    stream_init(s, 0, 0, 0, est);
    s->mem = v;
    s->nmem = n;
}

void stream_init_bits(struct stream *s, const uint64_t *bits, long long hi,
                      long long est)
{
    stream_init(s, 0, 0, 0, est);
    s->bits = bits;
    s->bits_hi = hi;
}

/* The first set bit >= target, or STREAM_END. */
static long long bits_seek(const struct stream *s, long long target)
{
    if (target < 0)
        target = 0;
    if (target > s->bits_hi)
        return STREAM_END;
    long long w = target >> 6, last = s->bits_hi >> 6;
    uint64_t x = s->bits[w] & (~0ull << (target & 63));
    while (!x) {
        if (++w > last)
            return STREAM_END;
        x = s->bits[w];
    }
    long long p = (w << 6) | __builtin_ctzll(x);
    return p > s->bits_hi ? STREAM_END : p;
}

/* The first element >= target from s->pos on: gallop, then bisect. */
static long long mem_seek(struct stream *s, long long target)
{
    size_t lo = s->pos, step = 1, hi;
    while (lo < s->nmem && (long long)s->mem[lo] < target) {
        hi = lo + step;
        if (hi >= s->nmem || (long long)s->mem[hi] >= target) {
            if (hi > s->nmem)
                hi = s->nmem;
            /* mem[lo] < target <= mem[hi] (or hi at the end) */
            while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if ((long long)s->mem[mid] < target)
                    lo = mid;
                else
                    hi = mid;
            }
            lo = hi;
            break;
        }
        lo = hi;
        step *= 2;
    }
    s->pos = lo;
    return lo < s->nmem ? (long long)s->mem[lo] : STREAM_END;
}

int stream_add(struct stream *s, sqlite3_stmt *st)
{
    if (s->nsub >= STREAM_SUBS_MAX)
        return -1;
    s->sub[s->nsub].st = st;
    s->sub[s->nsub].cur = -1;
    s->nsub++;
    return 0;
}

/* One row of sub: its pid, or STREAM_END at the end or on error. */
static long long sub_row(struct stream *s, struct stream_sub *b)
{
    int rc = sqlite3_step(b->st);
    if (rc == SQLITE_ROW) {
        long long v = sqlite3_column_int64(b->st, 0);
        return s->rowids ? rowid_pid(v) : v;
    }
    if (rc != SQLITE_DONE)
        s->error = 1;
    sqlite3_reset(b->st);
    return STREAM_END;
}

static void sub_seek(struct stream *s, struct stream_sub *b, long long target)
{
    int steps = 0;
    while (b->cur < target) {
        if (b->cur >= 0 && (s->step_max == 0 || steps < s->step_max)) {
            b->cur = sub_row(s, b);
            steps++;
            continue;
        }
        /* Run it again from the bound (a pid's first row id). */
        sqlite3_reset(b->st);
        sqlite3_bind_int64(b->st, s->bound_param,
                           s->rowids ? rowid_first(target) : target);
        b->cur = sub_row(s, b);
        steps = 0;
    }
}

long long stream_seek(struct stream *s, long long target)
{
    if (s->cur >= target && s->cur >= 0)
        return s->cur;
    if (s->mem)
        return s->cur = mem_seek(s, target);
    if (s->bits)
        return s->cur = bits_seek(s, target);
    long long m = STREAM_END;
    for (int i = 0; i < s->nsub; i++) {
        struct stream_sub *b = &s->sub[i];
        if (b->cur < target)
            sub_seek(s, b, target);
        if (b->cur < m)
            m = b->cur;
    }
    /* What leapfrogging relies on: a stream never goes back. */
    assert(m >= target);
    s->cur = m;
    return m;
}

void stream_rewind(struct stream *s)
{
    for (int i = 0; i < s->nsub; i++) {
        sqlite3_reset(s->sub[i].st);
        s->sub[i].cur = -1;
    }
    s->cur = -1;
    s->pos = 0;
    s->error = 0;
}

void stream_done(struct stream *s)
{
    for (int i = 0; i < s->nsub; i++)
        sqlite3_reset(s->sub[i].st);
}

long long stream_and(struct stream **v, int n, long long from, long long hi)
{
    long long t = from;
    int agree = 0, i = 0;
    while (agree < n) {
        if (t > hi)
            return STREAM_END;
        long long x = stream_seek(v[i], t);
        if (x == STREAM_END || v[i]->error)
            return STREAM_END;
        if (x == t) {
            agree++;
        } else {
            t = x;
            agree = 1;
        }
        i = i + 1 == n ? 0 : i + 1;
    }
    return t > hi ? STREAM_END : t;
}
