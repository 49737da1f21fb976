/* The arena: see arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    alignas(max_align_t) char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    struct arena_chunk *c = a->head;
    size_t at = c ? (c->used + al - 1) & ~(al - 1) : 0;
    if (!c || at > c->cap || c->cap - at < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = xmalloc(sizeof(*c) + cap);
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        at = 0;
    }
    c->used = at + n;
    a->bytes += n;
    return c->data + at;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    /* Strings need no alignment: take the bytes as they come. */
    struct arena_chunk *c = a->head;
    char *d;
    if (c && c->cap - c->used >= n + 1) {
        d = c->data + c->used;
        c->used += n + 1;
        a->bytes += n + 1;
    } else {
        d = arena_alloc(a, n + 1);
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void arena_release(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
    a->bytes = 0;
}
