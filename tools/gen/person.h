/* rpps-gen's professionals, each rebuilt from (seed, i) alone by
 * person_make(): profession, sex, names and civilities (a planted one's
 * from its case, a random one's drawn so that no planted answer becomes
 * ambiguous), savoir-faire, practice sites (structures, mode, genre, the
 * few lines written twice), identifiers and registering authority,
 * diplomas, and whether and where they have an MSSanté mailbox. What the
 * files then write of them is extract.c's business; their mailboxes'
 * addresses are mailbox.c's. */
#ifndef GEN_PERSON_H
#define GEN_PERSON_H
#include <stdint.h>

#include "gen.h"

/* The caps of the arrays below: the most person_make() ever gives. */
#define MAXSITES 4
#define MAXSF 3
#define MAXDIPL 3

struct site {
    int64_t sk; /* structure index, -1 for a line without any structure */
    int mode;   /* M_L..., -1: empty */
    int genre;  /* index in genre_tab, -1: empty */
    int dup;    /* the line is written twice */
};

struct dipl {
    const char *type, *type_label, *code;
    char label[112];
    const char *aut_type, *aut_type_label, *aut_code, *aut_label; /* or NULL */
};

/* The strings are the person's own or the tables' (static): valid as long
 * as the struct. */
struct person {
    int pl;                       /* planted index, or -1 */
    int prof, female, rpps, spec; /* spec: index in spec_med, or -1 */
    const struct savoir *sf[MAXSF];
    int nsf, sf_on_line; /* sf_on_line: sf[0] is written on the activity
                            lines too */
    char id[16], nat[16];
    const char *civ, *civ_label, *civex, *civex_label;
    char surname[128], first[64];
    int nsites;
    struct site site[MAXSITES];
    int ndipl;
    struct dipl dipl[MAXDIPL];
    int mss;      /* 0: no mailbox; 1: one line; 2: the address twice */
    int mss_site; /* index in site[] of the mailbox's structure, or -1 */
    int demat;    /* "Dématérialisation": 1 true */
    char auth[40];
};

/* Fills p with professional i (i < g->ntot). */
void person_make(const struct gen *g, uint32_t i, struct person *p);
#endif
