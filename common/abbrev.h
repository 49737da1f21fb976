/* Street and structure words in one canonical form: the French postal
 * abbreviations (bd, av, r, pl, fg, st, ste, ch, rte, imp...) and their full
 * words fold to the same word, so "12 bd haussmann" finds "12 BOULEVARD
 * HAUSSMANN" and "clinique st joseph" finds "CLINIQUE SAINT-JOSEPH". The
 * canonical form is the full word: it is what the extracts mostly write,
 * and a full word typed as a prefix ("boul") still finds it. Both the
 * importer (the indexed text) and the server (the query) call it on text
 * already folded by fold(), so they can never disagree. It knows nothing
 * of SQL or of full-text syntax. */
#ifndef ABBREV_H
#define ABBREV_H
#include <stddef.h>

/* Which table of abbreviations: a street's (every type of way, "ch" is a
 * chemin) or a structure name's (saint, sainte only: "ch" there is a
 * centre hospitalier, see abbrev_name()). */
enum abbrev_kind { ABBREV_STREET, ABBREV_NAME };

/* Rewrites the space-separated words of the folded text s[0..n) into out
 * (cap bytes, NUL-terminated), each abbreviation as its full word. Words
 * that do not fit are dropped whole. Returns the length written. */
size_t abbrev_fold(enum abbrev_kind k, const char *s, size_t n, char *out,
                   size_t cap);

/* A structure name as indexed: abbrev_fold(ABBREV_NAME), then the acronyms
 * people type for the names written in full ("centre hospitalier
 * universitaire" adds "chu", "centre hospitalier" "ch", "maison de sante"
 * "msp", "centre de sante" "cds"), appended. Same contract. */
size_t abbrev_name(const char *s, size_t n, char *out, size_t cap);

/* The full word of abbreviation w[0..n) in table k, or NULL if w is not
 * one. */
const char *abbrev_word(enum abbrev_kind k, const char *w, size_t n);
#endif
