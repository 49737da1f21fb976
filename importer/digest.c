/* The history step's entries and their stored copy: see digest.h.
 *
 * A chunk of the stored copy packs DIGEST_CHUNK entries: each its key as
 * the unsigned difference from the previous one (the chunk's first: from
 * 0) in LEB128, its digest in 4 bytes (little-endian), and (ref << 2) |
 * kind in LEB128. Keys are hashes spread over 64 bits, so a difference
 * takes about 6 bytes at full scale; a pid 3 to 4, an aid or mid 6: about
 * 16 bytes an entry against 24 in memory (78 MB for the 4.85 M entries of
 * the full-scale directory). */
#include "digest.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

/* Entries per stored chunk: 4,096 make rows of about 64 KB, few enough
 * (1,200 at full scale) that a row's cost is nothing, small enough that a
 * reader holds one at a time. */
#define DIGEST_CHUNK 4096
/* A packed entry's most bytes: two 10-byte varints and the digest. */
#define DIGEST_PACKED_MAX 24

void digest_list_reserve(struct digest_list *l, size_t n)
{
    if (n > l->cap) {
        l->cap = n;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
}

void digest_list_push(struct digest_list *l, const struct digest_entry *e)
{
    if (l->n == l->cap)
        digest_list_reserve(l, l->cap ? l->cap * 2 : 1 << 16);
    l->v[l->n++] = *e;
}

void digest_list_release(struct digest_list *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* The key as unsigned, in the same order as the signed keys. */
static uint64_t ukey(int64_t k)
{
    return (uint64_t)k ^ (UINT64_C(1) << 63);
}

static void insertion_sort(struct digest_entry *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct digest_entry e = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].key > e.key; j--)
            v[j] = v[j - 1];
        v[j] = e;
    }
}

/* Below this many entries a bucket is sorted by insertion: the size past
 * which another pass of distribution costs less, as usual for radix
 * sorts of small records. */
#define SORT_SMALL 32

/* The sort: an in-place radix sort on the key's bytes from the top
 * (American flag sort), each bucket sorted again on the next byte, small
 * ones by insertion. Keys are hashes, evenly spread: at full scale three
 * passes over 4.85 M entries, 0.22 s of CPU against 1.44 s for qsort(),
 * which (glibc's merge sort) also allocates a second array of the list's
 * size (116 MB) for the time of the sort. Eight bytes at most: the depth
 * and the work are bounded whatever the keys. */
static void radix_sort(struct digest_entry *v, size_t n, int shift)
{
    if (n <= SORT_SMALL) {
        insertion_sort(v, n);
        return;
    }
    /* Only past the test: most calls are for tiny buckets. */
    size_t next[256], end[256] = {0};
    for (size_t i = 0; i < n; i++)
        end[(ukey(v[i].key) >> shift) & 255]++;
    for (size_t b = 0, at = 0; b < 256; b++) {
        next[b] = at;
        at += end[b];
        end[b] = at;
    }
    for (size_t b = 0; b < 256; b++) {
        while (next[b] < end[b]) {
            struct digest_entry e = v[next[b]];
            size_t to = (ukey(e.key) >> shift) & 255;
            /* Carry e to its bucket, taking what was there, until an
             * entry of bucket b comes back to fill the hole. */
            while (to != b) {
                struct digest_entry t = v[next[to]];
                v[next[to]++] = e;
                e = t;
                to = (ukey(e.key) >> shift) & 255;
            }
            v[next[b]++] = e;
        }
    }
    if (shift == 0)
        return;
    for (size_t b = 0, at = 0; b < 256; b++) {
        radix_sort(v + at, end[b] - at, shift - 8);
        at = end[b];
    }
}

void digest_list_sort(struct digest_list *l)
{
    radix_sort(l->v, l->n, 56);
}

size_t digest_list_mark_collisions(struct digest_list *l)
{
    size_t n = 0;
    for (size_t i = 1; i < l->n; i++)
        if (l->v[i].key == l->v[i - 1].key) {
            n += l->v[i - 1].kind != DIGEST_COLLIDED;
            l->v[i].kind = l->v[i - 1].kind = DIGEST_COLLIDED;
        }
    return n;
}

/* ---- Packing ---- */

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* A varint from p (before end) into v: its length, or 0 if malformed. */
static size_t get_varint(const unsigned char *p, const unsigned char *end,
                         uint64_t *v)
{
    uint64_t r = 0;
    for (size_t n = 0; n < 10 && p + n < end; n++) {
        r |= (uint64_t)(p[n] & 0x7f) << (7 * n);
        if (!(p[n] & 0x80)) {
            *v = r;
            return n + 1;
        }
    }
    return 0;
}

int digest_store(sqlite3 *db, const struct digest_list *l)
{
    sqlite3_stmt *s = NULL;
    unsigned char *chunk = xmalloc((size_t)DIGEST_CHUNK * DIGEST_PACKED_MAX);
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO main.history_digest VALUES (?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    for (size_t at = 0, c = 0; at < l->n; at += DIGEST_CHUNK, c++) {
        size_t k = l->n - at < DIGEST_CHUNK ? l->n - at : DIGEST_CHUNK, len = 0;
        uint64_t prev = 0;
        for (size_t i = at; i < at + k; i++) {
            const struct digest_entry *e = &l->v[i];
            /* rowids are below 2^61 (a pid's 2^43 at most, rowid.h), and
             * the kind takes two bits. */
            assert(e->ref >= 0 && e->ref < (INT64_C(1) << 61));
            assert(e->kind <= DIGEST_COLLIDED);
            len += put_varint(chunk + len, (uint64_t)e->key - prev);
            prev = (uint64_t)e->key;
            for (int b = 0; b < 4; b++)
                chunk[len++] = (unsigned char)(e->digest >> (8 * b));
            len += put_varint(chunk + len, ((uint64_t)e->ref << 2) | e->kind);
        }
        sqlite3_bind_int64(s, 1, (sqlite3_int64)c);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)k);
        sqlite3_bind_blob(s, 3, chunk, (int)len, SQLITE_STATIC);
        int r = sqlite3_step(s);
        sqlite3_reset(s);
        if (r != SQLITE_DONE)
            goto fail;
    }
    char sql[128];
    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO main.meta VALUES ('history_digest', '%d')",
             DIGEST_VERSION);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    rc = 0;
    goto out;
fail:
    log_error("sqlite: history_digest: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(s);
    free(chunk);
    return rc;
}

/* ---- Reading ---- */

int digest_reader_open(struct digest_reader *r, sqlite3 *db, const char *schema)
{
    char sql[256];
    sqlite3_stmt *s = NULL;
    int rc = -1, version = 0;
    memset(r, 0, sizeof(*r));
    snprintf(sql, sizeof(sql),
             "SELECT value FROM %s.meta WHERE key = 'history_digest' AND"
             " EXISTS (SELECT 1 FROM %s.sqlite_master WHERE type = 'table'"
             " AND name = 'history_digest')",
             schema, schema);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto fail;
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    else if (step != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(s);
    s = NULL;
    if (version != DIGEST_VERSION)
        return 0;
    snprintf(sql, sizeof(sql),
             "SELECT n, data FROM %s.history_digest ORDER BY chunk", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &r->s, NULL) != SQLITE_OK)
        goto fail;
    return 1;
fail:
    log_warn("history: %s.history_digest: %s", schema, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int digest_reader_next(struct digest_reader *r, struct digest_entry *e)
{
    uint64_t prev = (uint64_t)r->key, d, rk;
    size_t n;
    while (!r->left) {
        if (r->p != r->end) {
            log_warn("history: history_digest: a chunk longer than its "
                     "entries");
            return -1;
        }
        int step = sqlite3_step(r->s);
        if (step == SQLITE_DONE)
            return 0;
        if (step != SQLITE_ROW) {
            log_warn("history: history_digest: %s",
                     sqlite3_errmsg(sqlite3_db_handle(r->s)));
            return -1;
        }
        sqlite3_int64 k = sqlite3_column_int64(r->s, 0);
        r->p = sqlite3_column_blob(r->s, 1);
        r->end = r->p + sqlite3_column_bytes(r->s, 1);
        if (k < 0 || k > DIGEST_CHUNK) {
            log_warn("history: history_digest: a chunk of %lld entries",
                     (long long)k);
            return -1;
        }
        r->left = (size_t)k;
        prev = 0;
        r->key = 0;
    }
    if (!(n = get_varint(r->p, r->end, &d)))
        goto bad;
    r->p += n;
    if (r->end - r->p < 4)
        goto bad;
    e->digest = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
                (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    if (!(n = get_varint(r->p, r->end, &rk)))
        goto bad;
    r->p += n;
    e->key = (int64_t)(prev + d);
    e->kind = (uint32_t)(rk & 3);
    e->ref = (int64_t)(rk >> 2);
    /* In key order across chunks too: the merge relies on it. */
    if (r->started && e->key < r->last)
        goto bad;
    r->started = 1;
    r->last = e->key;
    r->key = e->key;
    r->left--;
    return 1;
bad:
    log_warn("history: history_digest: malformed or out of order");
    return -1;
}

void digest_reader_close(struct digest_reader *r)
{
    sqlite3_finalize(r->s);
    memset(r, 0, sizeof(*r));
}
