/* The structures (practice sites) the activity lines name, gathered while
 * the replay thread writes those lines (write.c) and written as the
 * structure table, with its full-text index, once they are all seen. One
 * structure per "Identifiant technique de la structure": its values are
 * its first line's (every line of a site carries the same site), its pids
 * those of every line, ascending since the lines come in pid order.
 *
 * Who touches it: the replay thread alone adds lines
 * (structures_add()); the main thread writes it after that thread's join
 * (structures_write()) and frees it. */
#ifndef STRUCTURES_H
#define STRUCTURES_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "batch.h"
#include "htab.h"

struct structure_acc;

struct structures {
    struct htab h;           /* by hash of the technical id */
    struct structure_acc *v; /* in order of first sight */
    size_t n, cap;
    uint32_t *link; /* pid entries: (pid, next) pairs */
    size_t nlink, link_cap;
};

void structures_init(struct structures *s);
void structures_release(struct structures *s);

/* The activity row whose values (key first, columns.h's TABLE_ACTIVITY
 * order) begin at bt->vals[v0], for professional pid: counted to its
 * structure, whose values are copied into a the first time. A row without
 * a technical id belongs to no structure. */
void structures_add(struct structures *s, struct arena *a,
                    const struct batch *bt, size_t v0, long long pid);

/* Writes the structure table and its full-text index into db (in its open
 * transaction). 0, or -1 (logged). */
int structures_write(struct structures *s, sqlite3 *db);
#endif
