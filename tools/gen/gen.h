/* rpps-gen's model of the directory: the options that shape it and what
 * gen_init() derives from them once (the towns, the weight tables, the
 * structures of each kind by commune, the identifier offsets, the planted
 * people and cases). Every professional and every structure is then a
 * pure function of (struct gen, index): person_make() and
 * structure_make() rebuild any of them, in any pass, so the files are
 * streamed in bounded memory and a seed always gives the same bytes.
 * After gen_init() the model is read-only, but for the counters the
 * passes keep for the final report. */
#ifndef GEN_GEN_H
#define GEN_GEN_H
#include <stddef.h>
#include <stdint.h>

#include "plant.h"
#include "rng.h"
#include "tables.h"
#include "towns.h"

/* Column counts of Personne_activite: the current layout and the older. */
#define ACT_COLS 56
#define ACT_COLS_OLD 52

struct gen {
    /* Options, set before gen_init(). */
    uint64_t seed;
    uint32_t n;           /* random professionals */
    int layout, mss_pipe; /* ACT_COLS or ACT_COLS_OLD; 1: MSSanté lines
                             end with '|' */
    int next_day;         /* 1: the directory a day later (day.h) */

    /* Built by gen_init(). */
    struct towns towns;
    /* The random structures: kind k has the indexes [kstart[k],
     * kstart[k + 1]); nstruct in all. The planted people's own follow. */
    uint32_t nstruct;
    uint32_t kstart[NKINDS + 1];
    struct wtab w_commune, w_prof, w_surname, w_female, w_male, w_spec, w_extra,
        w_voie;
    /* Where the identifiers' sequences start: they depend on the seed, so
     * two seeds differ there too. */
    uint32_t rpps_off, adeli_off, finess_off, siren_off, cab_off;
    /* The random structures of each kind sorted by commune (the towns are
     * sorted by INSEE code, so a department is a range), and where each
     * commune's run starts: bykind[kind][cstart[kind][c]...]. Lets a
     * second practice site be drawn near the first. About 4 bytes a
     * structure. */
    uint32_t *bykind[NKINDS];
    uint32_t *cstart[NKINDS];

    /* Planted people and cases (plant.c, cases.c), sorted by slot. */
    struct planted *pl;
    size_t npl, capl, npl_base; /* npl_base: planted by the first set */
    struct tcase *tc;
    size_t ntc, captc;
    struct mixed *mx;
    size_t nmx, capmx;
    /* Folded names and typos the random draw must avoid: 64-bit hashes,
     * open addressing; 1024 slots for the ~170 of the cases. */
    uint64_t block[1024];
    size_t nblock;
    /* Folded prefixes no random surname's word may start with: 18 in the
     * cases. */
    char prefixes[32][16];
    size_t nprefix;
    /* Professionals written: n, plus the people planted by the second set
     * of cases, who come after the n others so that the first n (and the
     * first set of cases) stay as they were. */
    uint32_t ntot;

    /* Counters for the final report, kept by the passes. */
    uint64_t n_act, n_dup, n_dipl, n_sf, n_per, n_org, n_empty;
};

/* Builds the model from the options in g (the rest zeroed). Returns 0,
 * or -1 after logging (the commune table cannot be read). */
int gen_init(struct gen *g);
/* Frees what gen_init() allocated. */
void gen_release(struct gen *g);

/* The kind of random structure k (k < g->nstruct). */
int gen_kind_of(const struct gen *g, uint32_t k);
#endif
