/* rpps-gen's search cases: the queries a user would type (names with and
 * without accents, prefixes, typos, spelling variants, compound names,
 * homonyms told apart by town, a name with a profession and a town or a
 * department, near a place...), each with the people it must find, planted
 * with plant.c (and decoys where a wrong answer must be told apart). Two
 * sets, each from its own stream, the same for every seed: the second was
 * added later and its people come after the random ones, so the first set
 * and its people stay as they were. The names, towns and queries do not
 * depend on the seed; the identifiers do. */
#ifndef GEN_CASES_H
#define GEN_CASES_H

#include "gen.h"

/* Plants both sets into g (g->n >= PLANT_MIN), then plant_finish(). */
void cases_build(struct gen *g);
#endif
