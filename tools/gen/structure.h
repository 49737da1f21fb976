/* rpps-gen's structures (practice sites), each rebuilt from (seed, k)
 * alone by structure_make(): its commune and kind, sector, identifiers
 * (FINESS, SIREN and SIRET, the technical and old identifiers), raison
 * sociale and enseigne, address in the ANS fields (number, street, CEDEX
 * office...), phones and e-mail. k < g->nstruct are the random ones,
 * shared by the people who practise there; k >= g->nstruct are the
 * planted people's own, one each, in the commune their case names. It
 * decides nothing about people, and writes no file. */
#ifndef GEN_STRUCTURE_H
#define GEN_STRUCTURE_H
#include <stdint.h>

#include "gen.h"

struct structure {
    int kind, sector, commune, cedex, has_commune, show_dept;
    int city_code; /* an arrondissement's line with its city's code */
    char siret[16], siren[12], finess[12], finess_ej[12], tech[20], ancien[20];
    char raison[128], enseigne[64], dest[64], geo[64];
    char num[8], indice[4], voie[64];
    const char *voie_code, *voie_label;
    char mention[32], bureau[80], cp[8];
    char phone[16], phone2[16], fax[16], email[96];
    char town_slug[64]; /* the commune's La Poste label as a slug */
};

/* Fills st with structure k. */
void structure_make(const struct gen *g, uint32_t k, struct structure *st);

/* Structure k's commune (an index in g->towns), as structure_make() gives
 * it, at the cost of one draw. */
int structure_commune(const struct gen *g, uint32_t k);
#endif
