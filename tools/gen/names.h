/* rpps-gen's names: the common French surnames and first names the random
 * population is drawn from (with the variant spellings search must tell
 * apart or bring together), the pieces of synthesized rare surnames, and
 * the surnames and first names only the planted search cases use (the
 * random draw never gives them). Constant data; which name a professional
 * gets is decided in person.c, which names a case takes in cases.c. */
#ifndef GEN_NAMES_H
#define GEN_NAMES_H
#include <stddef.h>

#include "rng.h"

/* Common surnames in rank order (drawn with a Zipf-like weight). */
extern const char *const surname_tab[];
extern const size_t surname_count;
/* First names in rough order of frequency. */
extern const char *const female_tab[];
extern const size_t female_count;
extern const char *const male_tab[];
extern const size_t male_count;

/* Planted-only surnames; new ones go at the end (cases.c takes them in
 * order, so the first cases keep their names). */
extern const char *const rare_tab[];
extern const size_t rare_count;

/* Planted-only first names, female 1 for women. */
struct rare_first {
    const char *name;
    int female;
};
extern const struct rare_first rare_first_tab[];
extern const size_t rare_first_count;

/* Writes into out[cap] a synthesized rare surname: start + 0..2 middles +
 * end, sometimes after a particle ("LE ", "D'"). */
void names_synth(struct rng *r, char *out, size_t cap);
#endif
