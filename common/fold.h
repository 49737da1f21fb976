/* Text folding: the one function that turns a name, a town or a query into
 * the form that is indexed and searched, so the importer and the server can
 * never disagree. It lower-cases, strips accents (é→e, ç→c), expands
 * ligatures (œ→oe, æ→ae, ß→ss), turns apostrophes, hyphens, dots and other
 * punctuation into spaces, and collapses runs of spaces. It does not do
 * phonetics or typo tolerance; those live with the search. */
#ifndef FOLD_H
#define FOLD_H
#include <stddef.h>

/* 1 if s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates, no
 * code point above U+10FFFF), else 0. A NUL byte counts as invalid. */
int utf8_valid(const char *s, size_t n);

/* Folds s[0..n) (UTF-8, assumed valid) into out, which must hold at least
 * n + 1 bytes: the folded text is never longer than its input. Returns the
 * folded length; out is NUL-terminated. Letters outside Latin-1 and Latin
 * Extended-A are kept as they are (lower-cased where ASCII). */
size_t fold(const char *s, size_t n, char *out);

/* Like fold(), then drops the spaces: "LE GOFF", "Le-Goff" and "legoff" all
 * give "legoff". For compound and particle names. */
size_t fold_joined(const char *s, size_t n, char *out);
#endif
