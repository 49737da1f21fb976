/* An arena: many small allocations that live exactly as long as one owner
 * (a build, a loaded dataset) and are freed together. Memory comes in
 * chunks of at least ARENA_CHUNK bytes; an allocation larger than that gets
 * a chunk of its own. Pointers stay valid until arena_release(). Not
 * thread-safe: one owner, one thread at a time. */
#ifndef ARENA_H
#define ARENA_H
#include <stddef.h>

/* 1 MiB: large enough that chunk headers and malloc calls do not count
 * (the importer interns millions of short strings), small enough that a
 * small arena wastes little. */
#define ARENA_CHUNK (1u << 20)

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
    size_t bytes; /* handed out, for statistics */
};

#define ARENA_INIT                                                             \
    {                                                                          \
        0                                                                      \
    }

/* n bytes aligned for any type; never NULL (out of memory aborts). */
void *arena_alloc(struct arena *a, size_t n);
/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Frees every chunk; the arena is empty and usable again. */
void arena_release(struct arena *a);
#endif
