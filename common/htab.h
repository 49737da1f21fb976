/* One open-addressing hash table for every lookup structure of both
 * programs (the importer's professionals, code lists, interned strings,
 * name dictionary and duplicate lines; the server's statements, labels and
 * prefixes). It stores only a 64-bit hash and a 32-bit index per slot: the
 * items themselves stay in the caller's array or arena, so one table serves
 * any key type without callbacks, and a probe compares hashes first and
 * touches an item only on a likely match (no pointer chase per probe).
 *
 * Linear probing on a power-of-two capacity, grown to twice at 70 % load
 * by re-placing the stored hashes (keys are never hashed twice). Deletion
 * is not supported: every table here only grows, then is freed whole.
 *
 * Finding a key:
 *     size_t pos;
 *     for (uint32_t i = htab_first(t, h, &pos); i != HTAB_NONE;
 *          i = htab_next(t, h, &pos))
 *         if (equal(items[i], key))
 *             return &items[i];
 * Adding one known to be absent: htab_add(t, h, index). Not thread-safe;
 * a table built once and then only read may be shared by threads. */
#ifndef HTAB_H
#define HTAB_H
#include <stddef.h>
#include <stdint.h>

#define HTAB_NONE UINT32_MAX

struct htab {
    uint64_t *hash; /* 0 = empty slot (htab_hash() never gives 0) */
    uint32_t *idx;
    size_t cap, n;
};

/* The hash of n bytes at p, never 0 (FNV-1a, 0 mapped to 1). */
uint64_t htab_hash(const void *p, size_t n);
/* Mixes a 64-bit value (a key that is already a number) into a hash,
 * never 0. */
uint64_t htab_hash_u64(uint64_t v);

/* An empty table sized for about n items (0: grows from the first add). */
void htab_init(struct htab *t, size_t n);
void htab_release(struct htab *t);

/* The first index stored under hash h, or HTAB_NONE; *pos remembers where
 * the probe is for htab_next(). h must come from htab_hash*(). */
uint32_t htab_first(const struct htab *t, uint64_t h, size_t *pos);
/* The next index stored under h after *pos, or HTAB_NONE. */
uint32_t htab_next(const struct htab *t, uint64_t h, size_t *pos);

/* Stores idx under h (the caller knows the key is absent, or wants
 * several items under one hash). idx must not be HTAB_NONE. */
void htab_add(struct htab *t, uint64_t h, uint32_t idx);
#endif
