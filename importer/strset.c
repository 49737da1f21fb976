/* The string set: see strset.h. */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

void strset_init(struct strset *t, size_t n)
{
    memset(t, 0, sizeof(*t));
    htab_init(&t->h, n);
}

struct strset_ent *strset_get(struct strset *t, struct arena *a, const char *s,
                              size_t n)
{
    uint64_t h = htab_hash(s, n);
    size_t pos;
    for (uint32_t i = htab_first(&t->h, h, &pos); i != HTAB_NONE;
         i = htab_next(&t->h, h, &pos))
        if (strncmp(t->e[i].s, s, n) == 0 && t->e[i].s[n] == '\0')
            return &t->e[i];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
    }
    struct strset_ent *e = &t->e[t->n];
    e->s = arena_strndup(a, s, n);
    e->n = 0;
    htab_add(&t->h, h, (uint32_t)t->n++);
    return e;
}

const char *strset_intern(struct strset *t, struct arena *a, const char *s,
                          size_t n)
{
    return n ? strset_get(t, a, s, n)->s : NULL;
}

void strset_release(struct strset *t)
{
    htab_release(&t->h);
    free(t->e);
    memset(t, 0, sizeof(*t));
}
