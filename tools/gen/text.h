/* rpps-gen's string helpers: bounded formatting and copying, case changes
 * of the Latin letters French names use, the search's own folding into a
 * caller buffer, e-mail slugs and the Luhn check digit of the identifiers.
 * The generator builds every string from its own tables, so the bounds
 * only guard against its own bugs: they truncate quietly. */
#ifndef GEN_TEXT_H
#define GEN_TEXT_H
#include <stddef.h>

/* snprintf into dst[cap], truncating quietly. */
void text_printf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends src to the string dst[cap], truncating quietly. */
void text_cat(char *dst, size_t cap, const char *src);
/* Copies src into dst[cap], truncating quietly. */
void text_copy(char *dst, size_t cap, const char *src);

/* Upper-cases the UTF-8 Latin-1 letters (é -> É, ÿ -> Ÿ, œ -> Œ) and ASCII;
 * out holds strlen(s) + 1 bytes and may be s. */
void text_upper(const char *s, char *out);
/* Lower-cases them, keeping the accents; same contract. */
void text_lower(const char *s, char *out);
/* Upper-cases ASCII letters in place. */
void text_ascii_upper(char *s);

/* fold() (common/fold.h: lower case, no accents, one space between words)
 * into out[cap]. */
void text_fold(const char *s, char *out, size_t cap);
/* fold_joined() (the same with no spaces) into out[cap]. */
void text_fold_joined(const char *s, char *out, size_t cap);
/* Folded, spaces turned into '-': for e-mail addresses and domains. */
void text_slug(const char *s, char *out, size_t cap);

/* 1 if s has a byte outside ASCII (an accent, for UTF-8 names). */
int text_has_non_ascii(const char *s);

/* The Luhn check digit of a string of decimal digits. */
int text_luhn_digit(const char *d);
#endif
