/* libFuzzer target for common/fold.c: utf8_valid() on any bytes, checked
 * against an independent table-driven validator (Unicode 15, table 3-7), and
 * fold() / fold_joined() on any bytes (valid or not: the importer only folds
 * validated text, and so does the server, but a slip there must not become
 * a memory error). For valid input it also checks
 * what the search relies on: the output is never longer than the input,
 * valid UTF-8, without upper-case ASCII, without leading, trailing or double
 * spaces, and folding twice changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Well-formed UTF-8 by the ranges of the Unicode standard's table 3-7,
 * written independently of utf8_valid(): NUL is refused as fold.h says. */
static int ref_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint8_t lo = 0x80, hi = 0xBF;
        size_t len;
        if (c == 0)
            return 0;
        if (c <= 0x7F) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c == 0xE0) {
            len = 3;
            lo = 0xA0;
        } else if (c == 0xED) {
            len = 3;
            hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF) {
            len = 3;
        } else if (c == 0xF0) {
            len = 4;
            lo = 0x90;
        } else if (c == 0xF4) {
            len = 4;
            hi = 0x8F;
        } else if (c >= 0xF1 && c <= 0xF3) {
            len = 4;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += len;
    }
    return 1;
}

static void check_folded(const char *out, size_t n, size_t in_len, int valid_in)
{
    if (n > in_len || out[n] != '\0')
        abort();
    /* Invalid input is outside fold()'s contract (callers validate first):
     * a lead byte swallows the next bytes whatever they are, a NUL
     * included, so only memory safety and the length bound are checked. */
    if (!valid_in)
        return;
    if (strlen(out) != n || !utf8_valid(out, n))
        abort();
    if (n > 0 && (out[0] == ' ' || out[n - 1] == ' '))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (out[i] >= 'A' && out[i] <= 'Z')
            abort();
        if (out[i] == ' ' && i + 1 < n && out[i + 1] == ' ')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int valid = utf8_valid(s, size);
    if (valid != ref_valid(data, size))
        abort();

    /* Exactly n + 1 bytes, as fold.h asks: ASan sees one byte more. */
    char *out = malloc(size + 1);
    char *again = malloc(size + 1);
    char *joined = malloc(size + 1);
    if (!out || !again || !joined)
        abort();
    size_t n = fold(s, size, out);
    check_folded(out, n, size, valid);
    size_t j = fold_joined(s, size, joined);
    if (j > n || joined[j] != '\0' || memchr(joined, ' ', j))
        abort();
    /* fold_joined is fold without the spaces. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i] != ' ' && (k >= j || out[i] != joined[k++]))
            abort();
    if (k != j)
        abort();
    if (valid) {
        size_t m = fold(out, n, again);
        if (m != n || memcmp(out, again, n) != 0)
            abort();
    }
    free(out);
    free(again);
    free(joined);
    return 0;
}
