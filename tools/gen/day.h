/* rpps-gen's "next day": the same directory a day later, with known
 * differences, for the tests of history across imports. With the same seed
 * and options plus --next-day, a few random professionals (never a planted
 * one) are gone, renamed, or moved to another structure, lose or gain a
 * mailbox, or give theirs to the next professional; a few new ones come
 * after the others. Each is a pure function of (seed, index), like the rest
 * of the model, so the files still stream in bounded memory. The truth of
 * the difference (what rpps-import's history step must report) comes from
 * comparing the two days' models, not from the importer's code. */
#ifndef GEN_DAY_H
#define GEN_DAY_H
#include <stdint.h>

#include "gen.h"
#include "person.h"

/* Professionals to loop over: ntot, and the new ones of the next day. */
uint32_t day_count(const struct gen *g);
/* Fills p with professional i as the day g describes (the next day's with
 * g->next_day). 0 if i is not in that day's files. */
int day_person(const struct gen *g, uint32_t i, struct person *p);
/* 1 if professional i gives its mailbox to professional i + 1 on the next
 * day (the same address, another owner). */
int day_gives_mailbox(const struct gen *g, uint32_t i);
/* 1 if professional i gets a mailbox on the next day it had not. */
int day_new_mailbox(const struct gen *g, uint32_t i);
/* Writes the difference from the first day to the next as TSV lines,
 * kind<TAB>change<TAB>id<TAB>fields (the changed fields' names,
 * comma-separated, for a change), sorted; -1 on a write error. */
int day_write_truth(const struct gen *g, const char *path);
#endif
