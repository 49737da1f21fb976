/* rpps-gen's planted people and search cases. */
#ifndef GEN_PLANT_H
#define GEN_PLANT_H
#include <stdint.h>

/* A planted professional: name, profession, town chosen by a case. */
struct planted {
    const char *surname, *first;
    int female, prof, spec, commune, cedex_only, mode, kind;
    uint32_t slot; /* the professional's index in the files */
    char nat[16];  /* national identifier, for the truth file */
    int rpps;
};

enum case_kind {
    C_EXACT,
    C_PREFIX,
    C_TYPO,
    C_VARIANT,
    C_COMPOUND,
    C_HOMONYM,
    C_MIXED,
    C_ACCENT,
    C_DEPT,
    C_TYPO_INITIAL,
    C_TYPO_GIVEN,
    C_EXACT_VARIANT,
    C_NEAR,
    C_SPECIALTY,
    C_APOSTROPHE,
    C_DEPT_NAME,
    C_TOWN_TYPO,
    NCASEKINDS
};

/* A search case: the query, and the planted people (indexes in g->pl) it
 * must find. */
struct tcase {
    char query[192];
    char params[96]; /* more search parameters ("near=...&radius_km=..."),
                        written as a 4th column when not empty */
    int kind;        /* enum case_kind */
    int who[2], nwho;
};

/* A "mixed" case: nobody else may share its surname family, profession
 * (and specialty) and town, or the expected answer would not be unique. */
struct mixed {
    int prof, spec, commune;
    char dept[4];     /* not empty: the whole department instead of commune */
    char token[32];   /* folded surname token */
    char keys[4][32]; /* folded, joined spellings also blocked */
    int nkeys;
};

struct gen;

/* The planted person at slot i (professional i), or -1. */
int plant_at(const struct gen *g, uint32_t i);

/* 1 if a surname drawn at random must be drawn again: it folds to a
 * planted-only name or typo, or one of its words starts with a planted
 * prefix. */
int plant_surname_blocked(const struct gen *g, const char *s);

/* Does (surname, prof, spec, commune) fall under mixed case m? */
int plant_mixed_match(const struct gen *g, const struct mixed *m,
                      const char *surname, int prof, int spec, int commune);
#endif
