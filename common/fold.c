/* Accent, case and punctuation folding for names and places. See fold.h.
 * Hand-written rather than ICU: the RPPS files are NFC Latin text, and a
 * table of Latin-1 + Latin Extended-A covers every letter seen in French
 * names; anything else passes through unchanged. */
#include "fold.h"

#include <stdint.h>
#include <string.h>

#include "banned.h"

int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time: most of every extract line. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* No high bit set and no zero byte among the eight. */
            if ((w & 0x8080808080808080ULL) ||
                ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* U+00C0..U+017F to their ASCII base letters, two characters for each code
 * point ("a " is one letter; "oe" two). "  " marks a symbol (×, ÷) that
 * becomes a space. */
static const char latin[] =
    /* C0 */ "a a a a a a aec e e e e i i i i "
             /* D0 */ "d n o o o o o   o u u u u y thss"
             /* E0 */ "a a a a a a aec e e e e i i i i "
             /* F0 */ "d n o o o o o   o u u u u y thy "
             /* 100 */ "a a a a a a c c c c c c c c d d "
             /* 110 */ "d d e e e e e e e e e e g g g g "
             /* 120 */ "g g g g h h h h i i i i i i i i "
             /* 130 */ "i i ijijj j k k k l l l l l l l "
             /* 140 */ "l l l n n n n n n n n n o o o o "
             /* 150 */ "o o oeoer r r r r r s s s s s s "
             /* 160 */ "s s t t t t t t u u u u u u u u "
             /* 170 */ "u u u u w w y y y z z z z z z s ";

/* Decodes one code point at s (valid UTF-8 assumed; a stray byte is taken
 * as itself, and fold() makes it a space so that the output stays no longer
 * than the input). Stores its length in *len. */
static unsigned decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    if (c < 0x80 || n < 2) {
        *len = 1;
        return c;
    }
    if (c < 0xE0) {
        *len = 2;
        return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c < 0xF0 && n >= 3) {
        *len = 3;
        return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    if (n >= 4) {
        *len = 4;
        return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) |
               ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
    *len = 1;
    return c;
}

/* Appends a space unless the output is empty or already ends in one. */
static size_t add_space(char *out, size_t o)
{
    if (o > 0 && out[o - 1] != ' ')
        out[o++] = ' ';
    return o;
}

size_t fold(const char *str, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t len;
        unsigned cp = decode(s + i, n - i, &len);
        if (len == 1 && cp >= 0x80)
            cp = 0x80; /* a stray byte (invalid input): a space, not "th" */
        if (cp < 0x80) {
            if (cp >= 'A' && cp <= 'Z')
                out[o++] = (char)(cp + 32);
            else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
                out[o++] = (char)cp;
            else
                o = add_space(out, o);
        } else if (cp >= 0xC0 && cp <= 0x17F) {
            const char *m = latin + 2 * (cp - 0xC0);
            if (m[0] == ' ') {
                o = add_space(out, o);
            } else {
                out[o++] = m[0];
                if (m[1] != ' ')
                    out[o++] = m[1];
            }
        } else if ((cp >= 0x80 && cp <= 0xBF) ||
                   (cp >= 0x2000 && cp <= 0x206F) || cp == 0x2BC ||
                   cp == 0x2B9 || cp == 0x2BB || cp == 0x2BD) {
            /* Latin-1 punctuation (NBSP, «, ·), general punctuation
             * (dashes, ’ and other quotes), modifier-letter apostrophes. */
            o = add_space(out, o);
        } else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    if (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

size_t fold_joined(const char *s, size_t n, char *out)
{
    size_t len = fold(s, n, out), o = 0;
    for (size_t i = 0; i < len; i++)
        if (out[i] != ' ')
            out[o++] = out[i];
    out[o] = '\0';
    return o;
}
