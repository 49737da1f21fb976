/* The open-addressing hash table: see htab.h. */
#include "htab.h"

#include <assert.h>
#include <stdlib.h>

#include "util.h"
#include "banned.h"

uint64_t htab_hash(const void *p, size_t n)
{
    uint64_t h = hash64(p, n);
    return h ? h : 1;
}

uint64_t htab_hash_u64(uint64_t v)
{
    /* splitmix64's finaliser: every input bit moves every output bit, so
     * consecutive numbers spread over the table. */
    v ^= v >> 30;
    v *= 0xbf58476d1ce4e5b9ULL;
    v ^= v >> 27;
    v *= 0x94d049bb133111ebULL;
    v ^= v >> 31;
    return v ? v : 1;
}

static void alloc_slots(struct htab *t, size_t cap)
{
    t->hash = xcalloc(cap, sizeof(*t->hash));
    t->idx = xmalloc(cap * sizeof(*t->idx));
    t->cap = cap;
}

void htab_init(struct htab *t, size_t n)
{
    t->hash = NULL;
    t->idx = NULL;
    t->cap = t->n = 0;
    if (n) {
        size_t cap = 16;
        while (cap * 7 / 10 < n)
            cap *= 2;
        alloc_slots(t, cap);
    }
}

void htab_release(struct htab *t)
{
    free(t->hash);
    free(t->idx);
    t->hash = NULL;
    t->idx = NULL;
    t->cap = t->n = 0;
}

static uint32_t probe(const struct htab *t, uint64_t h, size_t j, size_t *pos)
{
    size_t mask = t->cap - 1;
    for (; t->hash[j]; j = (j + 1) & mask)
        if (t->hash[j] == h) {
            *pos = j;
            return t->idx[j];
        }
    *pos = j;
    return HTAB_NONE;
}

uint32_t htab_first(const struct htab *t, uint64_t h, size_t *pos)
{
    assert(h != 0);
    if (!t->cap) {
        *pos = 0;
        return HTAB_NONE;
    }
    return probe(t, h, h & (t->cap - 1), pos);
}

uint32_t htab_next(const struct htab *t, uint64_t h, size_t *pos)
{
    if (!t->cap || !t->hash[*pos])
        return HTAB_NONE;
    return probe(t, h, (*pos + 1) & (t->cap - 1), pos);
}

static void place(struct htab *t, uint64_t h, uint32_t idx)
{
    size_t mask = t->cap - 1, j = h & mask;
    while (t->hash[j])
        j = (j + 1) & mask;
    t->hash[j] = h;
    t->idx[j] = idx;
}

void htab_add(struct htab *t, uint64_t h, uint32_t idx)
{
    assert(h != 0 && idx != HTAB_NONE);
    /* 70 % load: linear probing's expected probe length stays under 2 for
     * a hit and about 6 for a miss. */
    if ((t->n + 1) * 10 > t->cap * 7) {
        struct htab old = *t;
        alloc_slots(t, old.cap ? old.cap * 2 : 16);
        for (size_t i = 0; i < old.cap; i++)
            if (old.hash[i])
                place(t, old.hash[i], old.idx[i]);
        free(old.hash);
        free(old.idx);
    }
    place(t, h, idx);
    t->n++;
}
