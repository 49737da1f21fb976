/* rpps-gen's code tables: the kinds of structure and their sectors, the
 * modes and kinds of activity, where each profession practises, the
 * professions themselves (docs/format.md §5) with their proportions,
 * the savoir-faire (specialties and other qualifications) and the types of
 * street. Constant data with the codes and labels the ANS files use, and
 * the weights the generator draws them by; the words that only name
 * structures live with them (structure.c), people's names in names.h. */
#ifndef GEN_TABLES_H
#define GEN_TABLES_H
#include <stddef.h>

struct code_label {
    const char *code, *label;
};

/* Kinds of structure (practice site). */
enum kind {
    K_HOSP,   /* hospital or clinic: FINESS */
    K_PHARMA, /* pharmacie d'officine: FINESS + SIRET */
    K_LBM,    /* laboratoire de biologie médicale */
    K_EHPAD,
    K_HANDI,
    K_CDS, /* centre de santé */
    K_MSP, /* maison de santé */
    K_SOC, /* practice run by a company: SIRET */
    K_CABG,
    K_CABI,
    NKINDS
};

/* Share of the structures of each kind, per thousand. */
extern const int kind_share[NKINDS];
/* "Secteur d'activité" codes and labels (TRE_R02). */
extern const struct code_label sector_tab[];
/* Index in sector_tab of the kinds' sectors (hospitals pick among 0..2). */
extern const int kind_sector[NKINDS];

/* Modes of practice (libéral, salarié, bénévole): mode_tab[M_L]... */
extern const struct code_label mode_tab[];
enum { M_L, M_S, M_B };
/* "Genre d'activité" and pharmacists' "section tableau". */
extern const struct code_label genre_tab[];
extern const struct code_label section_tab[];

/* Where people of a profession practise: (mode, kind, weight) rows, the
 * first the most typical; a row of weight 0 ends a profile. */
struct practice {
    int mode, kind, weight;
};

enum profile {
    PR_MED,
    PR_PHARM,
    PR_DENT,
    PR_NURSE,
    PR_LIB,
    PR_HOSP,
    PR_PREP,
    PR_PREPH,
    PR_LAB,
    PR_SOC,
    PR_DASS,
    PR_SOCIAL,
    NPROFILES
};

#define MAXROWS 9
extern const struct practice profile_tab[NPROFILES][MAXROWS];

/* Professions with their weight in the population (per 10,000), the share
 * of RPPS numbers (the rest ADELI), of women, of people with an MSSanté
 * mailbox (per cent), where they practise (enum profile), which
 * savoir-faire they may hold (enum sfkind), the registering authority, the
 * diploma, and the MSSanté ordinal domain. */
enum sfkind { SF_NONE, SF_MED, SF_DENT, SF_NURSE };

struct profession {
    const char *code, *label;
    int weight, rpps, female, mss, profile, sf;
    const char *authority;
    const char *dipl_code, *dipl_label;
    const char *domain;
};

extern const struct profession prof_tab[];
extern const size_t prof_count;
/* Indexes in prof_tab of the professions the code names. */
enum {
    P_INF = 0,
    P_MED = 1,
    P_PHARM = 2,
    P_KINE = 3,
    P_DENT = 4,
    P_SF = 5,
    P_PSY = 6,
    P_OPT = 7,
    P_ORTHOPHO = 8,
    P_PODO = 10,
};

/* Savoir-faire: type (sftype_tab's code), code, label and weight. */
struct savoir {
    const char *type, *code, *label;
    int weight;
};

extern const struct code_label sftype_tab[];
extern const size_t sftype_count;

/* The doctors' specialties (type S, TRE_R38), one each. */
extern const struct savoir spec_med[];
extern const size_t spec_med_count;
/* Indexes in spec_med of the specialties the planted cases name. */
enum {
    S_MG = 0,
    S_CARDIO = 3,
    S_DERMATO = 6,
    S_GYNECO = 7,
    S_NEURO = 8,
    S_OPHTALMO = 9,
    S_ORL = 10,
    S_PEDIA = 11,
    S_PSY = 12,
    S_RADIO = 13,
    S_GASTRO = 16,
    S_PNEUMO = 17,
    S_RHUMATO = 18,
};

/* Extra qualifications a doctor may hold besides the specialty. */
extern const struct savoir extra_med[];
extern const size_t extra_med_count;
/* The dentists' and the nurses' specialties. */
extern const struct savoir spec_dent[];
extern const size_t spec_dent_count;
extern const struct savoir spec_nurse[];
extern const size_t spec_nurse_count;

/* Types of street ("Code type de voie"), with a weight. */
struct voie {
    const char *code, *label;
    int weight;
};

extern const struct voie voie_tab[];
extern const size_t voie_count;

/* Aborts if an index above (P_*, S_*) no longer names the row the code
 * expects: an edit of a table that forgot its enum. */
void tables_check(void);
#endif
