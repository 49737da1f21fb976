/* xoshiro256** and weighted choice: see rng.h. */
#include "rng.h"

#include <stdlib.h>

#include "util.h"
#include "banned.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t idx)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL);
    x = splitmix64(&x) ^ idx;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

void wtab_add(struct wtab *w, uint32_t weight)
{
    w->cum = xrealloc(w->cum, (w->n + 1) * sizeof *w->cum);
    w->total += weight;
    w->cum[w->n++] = w->total;
}

size_t wtab_pick(const struct wtab *w, struct rng *r)
{
    uint32_t x = rng_below(r, w->total);
    size_t lo = 0, hi = w->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void wtab_release(struct wtab *w)
{
    free(w->cum);
    w->cum = NULL;
    w->n = 0;
    w->total = 0;
}
