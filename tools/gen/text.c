/* String helpers of rpps-gen: see text.h. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fold.h"
#include "banned.h"
void text_printf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* Upper-cases UTF-8 Latin-1 letters (é→É, ÿ→Ÿ, œ→Œ); out holds n + 1. */
void text_upper(const char *s, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)out;
    while (*p) {
        if (*p >= 'a' && *p <= 'z') {
            *o++ = (unsigned char)(*p++ - 32);
        } else if (p[0] == 0xC3 && p[1] >= 0xA0 && p[1] <= 0xBE &&
                   p[1] != 0xB7) {
            *o++ = 0xC3;
            *o++ = (unsigned char)(p[1] - 0x20);
            p += 2;
        } else if (p[0] == 0xC3 && p[1] == 0xBF) {
            *o++ = 0xC5;
            *o++ = 0xB8;
            p += 2;
        } else if (p[0] == 0xC5 && p[1] == 0x93) {
            *o++ = 0xC5;
            *o++ = 0x92;
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

/* Lower-cases UTF-8 Latin-1 letters, keeping the accents. */
void text_lower(const char *s, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)out;
    while (*p) {
        if (*p >= 'A' && *p <= 'Z') {
            *o++ = (unsigned char)(*p++ + 32);
        } else if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E &&
                   p[1] != 0x97) {
            *o++ = 0xC3;
            *o++ = (unsigned char)(p[1] + 0x20);
            p += 2;
        } else if (p[0] == 0xC5 && p[1] == 0x92) {
            *o++ = 0xC5;
            *o++ = 0x93;
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

/* fold() into a caller buffer of cap bytes (inputs here are short). */
void text_fold(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n + 1 > cap)
        n = cap - 1;
    fold(s, n, out);
}

void text_fold_joined(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n + 1 > cap)
        n = cap - 1;
    fold_joined(s, n, out);
}

/* Folded, spaces turned into '-': for e-mail addresses and domains. */
void text_slug(const char *s, char *out, size_t cap)
{
    text_fold(s, out, cap);
    for (char *p = out; *p; p++)
        if (*p == ' ')
            *p = '-';
}

void text_ascii_upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 32);
}

/* Appends with a bound; the generator's own strings never reach it. */
void text_cat(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(dst), k = strlen(src);
    if (n + k + 1 > cap)
        k = cap - n - 1;
    memcpy(dst + n, src, k);
    dst[n + k] = '\0';
}

void text_copy(char *dst, size_t cap, const char *src)
{
    dst[0] = '\0';
    text_cat(dst, cap, src);
}

/* Luhn check digit of a digit string. */
int text_luhn_digit(const char *d)
{
    size_t n = strlen(d);
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2 == 0) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return (10 - sum % 10) % 10;
}

int text_has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}
