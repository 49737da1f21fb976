/* rpps-gen's model: see gen.h. */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "names.h"
#include "structure.h"
#include "util.h"
#include "banned.h"

int gen_kind_of(const struct gen *g, uint32_t k)
{
    int kind = 0;
    while (k >= g->kstart[kind + 1])
        kind++;
    return kind;
}

static void gen_weights(struct gen *g)
{
    for (size_t i = 0; i < g->towns.n; i++)
        wtab_add(&g->w_commune, (uint32_t)g->towns.c[i].weight);
    for (size_t i = 0; i < prof_count; i++)
        wtab_add(&g->w_prof, (uint32_t)prof_tab[i].weight);
    /* Zipf-like: rank k weighs 1/(k + 40). */
    for (size_t i = 0; i < surname_count; i++)
        wtab_add(&g->w_surname, (uint32_t)(10000000u / (i + 40)));
    for (size_t i = 0; i < female_count; i++)
        wtab_add(&g->w_female, (uint32_t)(1000000u / (i + 8)));
    for (size_t i = 0; i < male_count; i++)
        wtab_add(&g->w_male, (uint32_t)(1000000u / (i + 8)));
    for (size_t i = 0; i < spec_med_count; i++)
        wtab_add(&g->w_spec, (uint32_t)spec_med[i].weight);
    for (size_t i = 0; i < extra_med_count; i++)
        wtab_add(&g->w_extra, (uint32_t)extra_med[i].weight);
    for (size_t i = 0; i < voie_count; i++)
        wtab_add(&g->w_voie, (uint32_t)voie_tab[i].weight);
}

/* Structures: about one for five professionals (real files: 422 k for
 * 2.1 M lines), split by kind, at least one of each; and each kind's
 * sorted by commune. */
static void gen_structures(struct gen *g)
{
    g->nstruct = 0;
    uint32_t want = g->n / 5 < 200 ? 200 : g->n / 5;
    for (int k = 0; k < NKINDS; k++) {
        uint32_t c =
            (uint32_t)((uint64_t)want * (uint32_t)kind_share[k] / 1000);
        g->kstart[k] = g->nstruct;
        g->nstruct += c ? c : 1;
    }
    g->kstart[NKINDS] = g->nstruct;
    for (int k = 0; k < NKINDS; k++) {
        uint32_t count = g->kstart[k + 1] - g->kstart[k];
        uint32_t *cs = xcalloc(g->towns.n + 1, sizeof *cs);
        uint32_t *by = xmalloc(count * sizeof *by);
        for (uint32_t i = 0; i < count; i++)
            cs[structure_commune(g, g->kstart[k] + i) + 1]++;
        for (size_t c = 0; c < g->towns.n; c++)
            cs[c + 1] += cs[c];
        uint32_t *fill = xmalloc((g->towns.n + 1) * sizeof *fill);
        memcpy(fill, cs, (g->towns.n + 1) * sizeof *fill);
        for (uint32_t i = 0; i < count; i++)
            by[fill[structure_commune(g, g->kstart[k] + i)]++] =
                g->kstart[k] + i;
        free(fill);
        g->bykind[k] = by;
        g->cstart[k] = cs;
    }
}

int gen_init(struct gen *g)
{
    tables_check();
    if (towns_init(&g->towns) < 0)
        return -1;
    gen_weights(g);
    gen_structures(g);
    /* Identifier offsets depend on the seed, so two seeds differ there
     * too. */
    struct rng r;
    rng_init(&r, g->seed, RNG_PLANT, 1);
    g->rpps_off = rng_below(&r, 1000000000u);
    g->adeli_off = rng_below(&r, 10000000u);
    g->finess_off = rng_below(&r, 10000000u);
    g->siren_off = rng_below(&r, 100000000u);
    g->cab_off = rng_below(&r, 1000000000u);

    plant_init(g);
    g->ntot = g->n;
    if (g->n >= PLANT_MIN)
        cases_build(g);
    return 0;
}

void gen_release(struct gen *g)
{
    wtab_release(&g->w_commune);
    wtab_release(&g->w_prof);
    wtab_release(&g->w_surname);
    wtab_release(&g->w_female);
    wtab_release(&g->w_male);
    wtab_release(&g->w_spec);
    wtab_release(&g->w_extra);
    wtab_release(&g->w_voie);
    towns_release(&g->towns);
    for (int k = 0; k < NKINDS; k++) {
        free(g->bykind[k]);
        free(g->cstart[k]);
    }
    plant_release(g);
}
