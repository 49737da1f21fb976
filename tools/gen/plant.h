/* rpps-gen's planted people and search cases: the registry cases.c fills
 * (who is planted, in which town, under which profession; which queries
 * must find whom), what keeps the random population from making an answer
 * ambiguous (planted-only names, typos and prefixes that random surnames
 * avoid; the "mixed" combinations of name, profession and place nobody
 * random may share), the checks that the truth holds among the planted
 * people themselves, and the truth file. The registry lives in struct gen
 * (gen.h): filled by gen_init(), read-only after. */
#ifndef GEN_PLANT_H
#define GEN_PLANT_H
#include <stdint.h>

/* Fewer professionals than this and nothing is planted: they would be too
 * large a share of the file. */
#define PLANT_MIN 1000

/* A planted professional: name, profession, town chosen by a case. */
struct planted {
    const char *surname, *first;
    int female, prof, spec, commune, cedex_only, mode, kind;
    uint32_t slot; /* the professional's index in the files */
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
    C_TYPING,
    C_ARRONDISSEMENT,
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

/* Blocks the planted-only names from the random draw; before any
 * person_make(). plant_release() frees the registry. */
void plant_init(struct gen *g);
void plant_release(struct gen *g);

/* Plants a professional: surname and first (static strings), profession
 * (P_*), specialty (S_*, or -1: general practice for a doctor), the INSEE
 * code of the commune of their own structure, cedex_only 1 for a
 * structure with its town only in "Bureau cedex". Returns its index in
 * g->pl. */
int plant_add(struct gen *g, const char *surname, const char *first, int female,
              int prof, int spec, const char *insee, int cedex_only);
/* The first planted person with that surname, profession and commune;
 * aborts if none. */
int plant_find(const struct gen *g, const char *surname, int prof,
               const char *insee);
/* A new case of that kind (enum case_kind) expecting planted person a,
 * and b unless b < 0; the caller writes its query. */
struct tcase *plant_case(struct gen *g, int kind, int a, int b);
/* Keeps the random population from sharing (surname family, profession,
 * specialty, place) with a planted answer: the place is a commune, or a
 * whole department when dept is not empty. keys: more folded, joined
 * spellings, comma-separated. */
void plant_mixed_add(struct gen *g, const char *surname, int prof, int spec,
                     int commune, const char *dept, const char *keys);
/* Random surnames never fold to joined (a folded, joined name or typo)... */
void plant_block(struct gen *g, const char *joined);
/* ...which plant_blocked() tells. */
int plant_blocked(const struct gen *g, const char *joined);
/* ...nor have a word starting with prefix (folded). */
void plant_prefix(struct gen *g, const char *prefix);

/* Checks that what the truth file claims holds among the planted people
 * themselves and gives them their slots (g->ntot follows); aborts on an
 * internal error. */
void plant_finish(struct gen *g);
/* Writes the truth file (TSV: query, national identifiers, kind[,
 * parameters]); exits with a message on an I/O error. */
void plant_write_truth(const struct gen *g, const char *path);

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
