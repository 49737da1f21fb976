/* A set of strings, each copied once into an arena and counted: the
 * importer interns its small code sets with it (one pointer per
 * professional for a civility or a profession, not a copy) and counts the
 * words of the name dictionary. The table is common/htab.h's; the entries
 * live in an array in the order they were added, the strings in the
 * caller's arena. Not thread-safe: one thread at a time builds and reads
 * it. */
#ifndef STRSET_H
#define STRSET_H
#include <stddef.h>

#include "arena.h"
#include "htab.h"

struct strset_ent {
    const char *s; /* NUL-terminated, in the arena */
    unsigned long long n;
};

/* All zero is an empty set; strset_init() also sizes it. */
struct strset {
    struct htab h;
    struct strset_ent *e; /* e[0..n), in the order added */
    size_t n, cap;
};

/* An empty set sized for about n strings. */
void strset_init(struct strset *t, size_t n);
/* The entry of s[0..n), added with a count of 0 (the string copied into
 * a) if it is new. The pointer is valid until the next strset_get(), the
 * string as long as the arena. */
struct strset_ent *strset_get(struct strset *t, struct arena *a, const char *s,
                              size_t n);
/* s[0..n) interned: the set's copy, or NULL for an empty string. */
const char *strset_intern(struct strset *t, struct arena *a, const char *s,
                          size_t n);
/* Frees the table and the entries (not the strings: the arena's). */
void strset_release(struct strset *t);
#endif
