/* rpps-gen's randomness: xoshiro256** seeded through splitmix64 from
 * (seed, stream, index), so that any professional or structure can be
 * rebuilt alone, in any pass and in any order, and weighted choice over a
 * table of weights. Integer arithmetic only (rng_unit()'s double is exact),
 * so a seed gives the same draws on every machine. No global state: each
 * caller owns its struct rng. */
#ifndef GEN_RNG_H
#define GEN_RNG_H
#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* One stream per kind of thing drawn, so that more draws for one never
 * shift another's. New streams go at the end: the values are part of what
 * a seed means. */
enum rng_stream { RNG_PERSON = 1, RNG_STRUCT, RNG_ORG, RNG_PLANT, RNG_DAY };

/* The generator of item idx of stream for a seed. */
void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t idx);

static inline uint64_t rng_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply; the bias is below 2^-32). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* 1 with probability per_mille / 1000. */
static inline int rng_pm(struct rng *r, uint32_t per_mille)
{
    return rng_below(r, 1000) < per_mille;
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* An element of the array tab (a real array, not a pointer), uniformly. */
#define RNG_PICK(r, tab) ((tab)[rng_below((r), sizeof(tab) / sizeof((tab)[0]))])

/* Weighted choice by cumulative weights and binary search. Zero-initialise,
 * wtab_add() each weight in order, then wtab_pick() gives an index;
 * wtab_release() frees it. */
struct wtab {
    uint32_t *cum;
    size_t n;
    uint32_t total;
};

void wtab_add(struct wtab *w, uint32_t weight);
/* An index in [0, n) with probability weight / total; total > 0. */
size_t wtab_pick(const struct wtab *w, struct rng *r);
void wtab_release(struct wtab *w);
#endif
