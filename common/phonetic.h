/* A French phonetic key for one folded name word (lower-case ASCII letters
 * and digits, as fold() gives): words that sound alike get the same key, so
 * LEFEBVRE, LEFEVRE and LEFEUVRE, DUPONT and DUPOND, PERRAULT and PERRAUT,
 * PHILIPPE and PHILIPE all meet. The importer stores the key of every name
 * word (name_term.phon); the server computes it for a query word. Both must
 * use this one function. */
#ifndef PHONETIC_H
#define PHONETIC_H
#include <stddef.h>

/* Writes the key of s[0..n) into out (at least n + 1 bytes: the key is
 * never longer than the word) and returns its length (0 for an empty or
 * all-silent word). */
size_t phon_key(const char *s, size_t n, char *out);
#endif
