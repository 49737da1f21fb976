/* The code lists of a build: for each (list, code) seen in the extracts,
 * its first label and how many carry it, written whole into the code
 * table at the end (the rows keep the codes only). The lists are
 * common/columns.h's CODE_LISTS; what "how many" counts depends on the
 * list (activities, professionals, rows: schema/schema.sql), so callers
 * say by how much each use counts. The codes and labels live in the
 * build's arena; the table and the entries are the struct's own. One
 * thread at a time (the parse thread, then the replay thread). */
#ifndef CODES_H
#define CODES_H
#include <sqlite3.h>
#include <stddef.h>

#include "arena.h"
#include "columns.h"
#include "htab.h"
#include "psv.h"

struct code {
    enum code_lists list;
    const char *code, *label; /* label: NULL until one is seen */
    unsigned long long count;
};

/* All zero is an empty set of lists. */
struct codes {
    struct htab h;  /* by the code's hash; the list is compared */
    struct code *e; /* e[0..n), in the order first seen */
    size_t n, cap;
};

/* Counts one use of code c (by: 0 to only learn its label) in list, and
 * keeps its first non-empty label l (NULL: none on this line). Nothing
 * when c is NULL or empty. */
void codes_add(struct codes *t, struct arena *a, enum code_lists list,
               const struct psv_field *c, const struct psv_field *l,
               unsigned long long by);
/* Inserts every code into db's code table, then counts the specialties'
 * professionals from the specialty table (which must be complete and
 * indexed). 0, or -1 (logged). */
int codes_write(const struct codes *t, sqlite3 *db);
void codes_release(struct codes *t);
#endif
