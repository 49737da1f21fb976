/* rpps-gen's towns: the communes it places structures in, a fixed list of
 * INSEE codes with a rough relative size each (how many structures it
 * gets), with their names as INSEE writes them, departments and La Poste
 * postal codes read from the bundled data/communes.tsv (common/places.h's
 * reader, common/datadir.h's search); the La Poste label of each (as the
 * addresses write the town), where its department's run of communes is,
 * and its department's name and landline prefix. Built once by
 * towns_init(), read-only after; towns_release() frees it. It does not
 * choose which commune a structure is in (structure.c) nor name towns in
 * queries (cases.c). */
#ifndef GEN_TOWNS_H
#define GEN_TOWNS_H
#include <stddef.h>
#include <stdint.h>

struct commune {
    const char *insee;         /* "2A004" */
    const char *dept;          /* "2A", "974" */
    const char *cps;           /* its postal codes, 5 digits each, separated
                                  by commas: "06000,06100" */
    const char *name;          /* as INSEE writes it: "Saint-Étienne" */
    const char *city_insee;    /* an arrondissement's city: "75056", else
                                  NULL */
    char city_name[16];        /* its name: "Paris" */
    int weight;                /* rough relative size */
    const char *dept_label;    /* its department's name: "Corse-du-Sud" */
    const char *phone;         /* a landline's first digits there: "04" */
    char poste[48];            /* La Poste label: "ST ETIENNE", "PARIS" */
    uint32_t dept_lo, dept_hi; /* its department's communes: the indexes
                                  [dept_lo, dept_hi) */
};

struct towns {
    struct commune *c; /* sorted by INSEE code: a department is a range */
    size_t n;
};

/* Builds t. Returns 0, or -1 after logging (no communes.tsv, a bad one,
 * or one without a commune of the list). */
int towns_init(struct towns *t);
void towns_release(struct towns *t);

/* The index of the commune of an INSEE code; aborts if the list has none
 * (the planted cases name only towns of the list). */
int towns_find(const struct towns *t, const char *insee);

/* How many postal codes a commune has. */
int towns_ncp(const struct commune *c);
#endif
