/* Structures (practice sites): the conditions a search or a listing puts on
 * them (name words, street, SIRET, FINESS, place), the structures that
 * meet them, the professionals practising there, and the two handlers
 * GET /v1/structures and GET /v1/structures/{id}. The lookup is here, apart
 * from the search, so that any handler can read a structure (the FHIR
 * facade's Organization): structure_find() and structure_json() need only
 * a connection. Recognising an identifier typed in q (SIRET, FINESS) is
 * here too, as pure functions. Nothing here knows HTTP. */
#ifndef STRUCTURE_H
#define STRUCTURE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "db.h"

/* What a structure must be: every non-empty member. words and street are
 * abbrev.h's canonical folded words, the last a prefix; the place is the
 * structure's own (so that structure, street and place hold on one
 * activity). Strings are borrowed. */
struct structure_cond {
    const char *words, *street;
    const char *siret, *finess; /* finess: site or legal entity */
    const char *pc_lo, *pc_hi;  /* postal code, or range [lo, hi) */
    const char *insee, *city_fold;
    char *const *dept;
    int ndept;
    /* Or one of these communes, or for a site without a commune code,
     * one of these folded town names. */
    char *const *insees;
    int ninsee;
    char *const *towns;
    int ntown;
    /* The last word of words, of street, is complete (q's reader saw
     * words after it, or a space): not a prefix. */
    int words_whole, street_whole;
    /* The caller takes the structures as a set (their people): in any
     * order, ordered by size only when more than it asks for match. */
    int any_order;
    /* When nothing matches, the words the structures' dictionary lacks
     * (structure_term) read as misspelt: each replaced by its nearest
     * words (typo.h), and the search made again. */
    int typo;
};

/* The longest words or street a correction writes (each word may become
 * four). */
#define STRUCTURE_CORRECT_MAX 2048

/* Most structures one condition may match: "cabinet" alone matches a
 * third of the 350,000; past this the answer says it is too broad (the
 * union of their people would cost tens of milliseconds). */
#define STRUCTURE_MATCH_MAX 20000

/* 1 if cond has a condition of its own (words, street, SIRET, FINESS). */
int structure_cond_any(const struct structure_cond *k);

/* s as a SIRET: 14 digits, spaces and dots allowed between them, and the
 * Luhn key right (INSEE's rule; a typo'd number is not one). Writes the
 * digits to out (15 bytes). 1 if it is one, else 0. */
int structure_siret(const char *s, char out[15]);
/* s as a FINESS number: 9 characters, the department's two (01-95, 2A,
 * 2B, 9A-9F for overseas) then 7 digits, spaces allowed. Writes it
 * upper-cased to out (10 bytes). 1 if it reads as one, else 0. */
int structure_finess(const char *s, char out[10]);

/* What a folded word w says of a structure name: 2 a word that names a
 * kind of structure and nobody (chu, clinique, ehpad, pharmacie...), 1 one
 * that does but is also a family name or a common word (centre, maison,
 * cabinet), 0 neither. */
int structure_keyword(const char *w);
/* structure_keyword(), else that of the word naming a kind of structure
 * that w is one edit from ("phramacie" 2, "caibnet" 1). */
int structure_keyword_near(const char *w);
/* 1 if the folded word w is a type of way, written in full or abbreviated
 * (rue, r, bd, avenue, chemin...). */
int structure_street_type(const char *w);
/* 1 if the folded word w is a particle that structure names and streets
 * write or not ("de", "du", "la", "l"...): left out of what q reads as
 * structure words. */
int structure_stopword(const char *w);

/* Folds a structure= or street= value into out (cap bytes): fold() then
 * abbrev.h's canonical words (street: 1). The length, 0 if nothing is
 * left. */
size_t structure_fold(const char *v, int street, char *out, size_t cap);

/* The structures meeting k, in order of size (professionals, most first),
 * their sids into sids[0..max): their number (up to STRUCTURE_MATCH_MAX +
 * 1: too many), or -1 on a database error. */
long structure_find(struct db_conn *c, const struct structure_cond *k,
                    long long *sids, size_t max);

/* The same structures by sid, ascending: when all of them are wanted
 * (their number is at most max - 1), their set without the sort by size
 * (a broad name's ten thousand rows: "ch" 44 -> 25 ms). */
long structure_find_set(struct db_conn *c, const struct structure_cond *k,
                        long long *sids, size_t max);

/* The professionals of the structures sids[0..n), ascending and distinct,
 * into *pids (malloc'd, the caller frees), *npids their number. 0, or -1
 * on a database error. */
int structure_pids(struct db_conn *c, const long long *sids, size_t n,
                   uint32_t **pids, size_t *npids);

/* Most structures whose names structure_exact() reads (a row each, ~2 us
 * at full scale): a name shared by more (1,924 "EHPAD LA ROSERAIE") is
 * not told apart by its words anyway. */
#define STRUCTURE_EXACT_MAX 64

/* Which of sids[0..n) have a name (raison sociale or enseigne) whose
 * words are exactly words' (structure_fold()'s canonical folded words),
 * particles aside: exact[i] 1 or 0. The number of them, or -1 on a
 * database error. */
long structure_exact(struct db_conn *c, const char *words,
                     const long long *sids, size_t n, unsigned char *exact);

/* The sid of a structure by its technical id (F010010288), SIRET or FINESS
 * (site, else legal entity: the largest); 0 if unknown, -1 on error. */
long long structure_resolve(struct db_conn *c, const char *id);

/* The pid at p in a structure's pid list (4 bytes, little-endian:
 * importer/structures.c). */
static inline uint32_t structure_pid_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Structure sid as the API shows it: identifiers, names, address, its ORG
 * and APP mailboxes, its professionals by profession. NULL if unknown. */
json_t *structure_json(struct db_conn *c, long long sid);

void api_structures(struct db_conn *c, const struct api_req *r,
                    struct api_resp *out);
void api_structure(struct db_conn *c, const struct api_req *r,
                   struct api_resp *out);
#endif
