/* Regressions found by fuzzing (fuzz/), one table per module, each case
 * named after the input in fuzz/regress/<target>/ that found it, so the bug
 * stays fixed in `make test` and `make asan` without clang. */
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "psv.h"
#include "t.h"

/* fuzz/regress/fuzz_fold/stray-byte-overflow: fold() wrote "th" for a lone
 * 0xFE byte, so invalid input could fold longer than itself and overflow the
 * n + 1 bytes fold.h asks for. Each input here is invalid UTF-8 ending in a
 * byte that Latin-1 maps to two letters (Æ Þ ß æ þ). */
static const struct {
    const char *in;
    size_t n;
} stray_cases[] = {
    {"\xC5\x92\xFF\xFE", 4},
    {"\xFE", 1},
    {"\xDE", 1},
    {"\xDF", 1},
    {"ab\xC6", 3},
    {"\xE6\x41", 2},
    {"\xFE\xFE\xFE", 3},
    {"x\xF0\x9F", 3},
    {"\xED\x09\0\0", 4},
};

static void test_fold_stray_bytes(void)
{
    for (size_t i = 0; i < sizeof(stray_cases) / sizeof(*stray_cases); i++) {
        size_t n = stray_cases[i].n;
        /* Exactly n + 1 bytes on the heap: ASan catches one byte more. */
        char *out = malloc(n + 1);
        size_t m = fold(stray_cases[i].in, n, out);
        T_CHECK(m <= n);
        T_EQ_INT(out[m], '\0');
        m = fold_joined(stray_cases[i].in, n, out);
        T_CHECK(m <= n);
        free(out);
    }
    /* Valid input is unchanged by the fix. */
    char out[32];
    fold("Þórr STRAß Æsir", strlen("Þórr STRAß Æsir"), out);
    T_EQ_STR(out, "thorr strass aesir");
}

struct mem {
    const char *p;
    size_t n, off, step;
};

static ssize_t mem_read(void *ctx, char *buf, size_t n)
{
    struct mem *m = ctx;
    size_t k = m->n - m->off;
    if (k > n)
        k = n;
    if (k > m->step)
        k = m->step;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

/* The lines of input read step bytes at a time: "L<len>" for a line, "#"
 * for an over-long one, joined by spaces. */
static void read_shape(const char *in, size_t step, size_t max_line, char *out,
                       size_t cap)
{
    struct mem m = {in, strlen(in), 0, step};
    struct psv_reader r;
    const char *line;
    size_t len, o = 0;
    enum psv_status st;
    out[0] = '\0';
    psv_init(&r, (struct psv_src){mem_read, &m}, max_line);
    while ((st = psv_next(&r, &line, &len)) != PSV_EOF && o + 16 < cap) {
        if (st == PSV_LINE)
            o +=
                (size_t)snprintf(out + o, cap - o, "%sL%zu", o ? " " : "", len);
        else
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "",
                                  st == PSV_TOO_LONG ? "#" : "!");
    }
    psv_release(&r);
}

/* fuzz/regress/fuzz_psv/cap-plus-one-depends-on-reads: whether a line at the
 * cap was kept depended on where the reads split the file. With a cap of 4,
 * "abcde" (cap + 1, no CR) was kept when read whole but skipped when read a
 * byte at a time, and "abcd\r\n" the other way. Fixed in 9c278b0: a line
 * is too long by its raw length, a CR counted, wherever its newline falls.
 * The reader must give one answer whatever the read sizes. */
static const struct {
    const char *in, *want;
} cap_cases[] = {
    {"abcde\nok\n", "# L2"},    /* over the cap: skipped */
    {"abcd\r\nok\n", "# L2"},   /* the cap plus a CR: over, by raw length */
    {"abcd\nok\n", "L4 L2"},    /* at the cap: kept */
    {"abcdef\r\nok\n", "# L2"}, /* well over */
    {"ok\nabcde", "L2 #"},      /* over the cap, last line, no newline */
    {"ok\nabcd\r", "L2 #"},     /* the same as the last line */
    {"ok\nabc\r", "L2 L3"},     /* under the cap with its CR: kept */
    {"abc\r\nok\n", "L3 L2"},
};

static void test_psv_cap_boundary(void)
{
    static const size_t steps[] = {1, 2, 3, 5, 4096};
    for (size_t i = 0; i < sizeof(cap_cases) / sizeof(*cap_cases); i++) {
        int same = 1;
        for (size_t s = 0; s < sizeof(steps) / sizeof(*steps); s++) {
            char got[128];
            read_shape(cap_cases[i].in, steps[s], 4, got, sizeof(got));
            if (strcmp(got, cap_cases[i].want) != 0) {
                same = 0;
                printf("  psv cap case %zu, reads of %zu: \"%s\", want "
                       "\"%s\"\n",
                       i, steps[s], got, cap_cases[i].want);
            }
        }
        T_CHECK(same);
    }
}

int main(void)
{
    test_fold_stray_bytes();
    test_psv_cap_boundary();
    return t_done();
}
