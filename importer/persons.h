/* The professionals of a build, grouped on their national id
 * ("Identification nationale PP"): created by the parse thread on the first
 * line that names them, whichever extract it is in, then sorted into the
 * default order, whose rank is their pid. The people and their strings
 * live in the build's arena (they last the whole build); the table and the
 * array of pointers are the struct's own. One thread at a time: the parse
 * thread fills it, the main thread sorts it, then the replay and the
 * full-text threads only read it. */
#ifndef PERSONS_H
#define PERSONS_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "htab.h"

struct person {
    const char *nid, *id, *id_type, *civ, *title, *last, *first;
    const char *last_fold, *first_fold, *last_join, *prof, *cat;
    unsigned n_act;
    int has_mss;
    /* This professional's spilled rows (spill.h): record numbers + 1, the
     * first and the last of the chain (0: none). */
    uint32_t first_rec, last_rec;
};

/* All zero is an empty table. */
struct persons {
    /* By the national id's hash (htab keeps it beside each slot, so a
     * probe compares strings only on a likely match). */
    struct htab h;
    struct person **all; /* all[0..n): in creation order, then sorted */
    size_t n, all_cap;
    struct person *last; /* the last one found: an extract lists a
                          * person's lines one after another */
    int sorted;          /* all[] is in pid order; the table is gone */
};

/* The professional of national id nid[0..n), created in a (zeroed, the nid
 * copied) if new; *created says which. */
struct person *persons_get(struct persons *t, struct arena *a, const char *nid,
                           size_t n, int *created);
/* Sorts all[] into the default order: those with an MSSanté mailbox
 * first, then by folded family name, folded first name, national id
 * (schema/schema.sql: pid is the rank in this order, from 1). The table,
 * whose indexes the sort makes wrong, is freed: persons_get() may not be
 * called after. */
void persons_sort(struct persons *t);
/* Frees the table and the array (not the people: the arena's). */
void persons_release(struct persons *t);
#endif
