/* libFuzzer target for importer/psv.c, the extract line reader and field
 * splitter. The first two bytes choose the read size (1 to 256 bytes per
 * read(), so that chunk boundaries fall everywhere) and the line cap (1 to
 * 256, so the cap is actually reached; the real 64 KiB cap is the same code).
 * The rest is the file. Besides memory errors (ASan/UBSan), it checks that
 * the reader's answer does not depend on how the bytes arrive: the same file
 * read in one piece must give the same lines, the same over-long lines and
 * the same line numbers. Every line is then split and mapped as load.c does.
 * What it does not cover: the source's error path (a read() returning -1). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psv.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *p;
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

/* One reader event, for comparing two reads of the same file. */
struct ev {
    enum psv_status st;
    size_t off, len; /* a line: where it starts in the input, its length */
    unsigned long long lineno;
};

/* Reads the whole input; returns the number of events stored in ev (at most
 * max; the input cannot hold more lines than bytes + 1). */
static size_t read_all(const uint8_t *p, size_t n, size_t step, size_t max_line,
                       struct ev *ev, size_t max)
{
    struct mem m = {p, n, 0, step};
    struct psv_reader r;
    const char *line;
    size_t len, k = 0;
    enum psv_status st;
    psv_init(&r, (struct psv_src){mem_read, &m}, max_line);
    while ((st = psv_next(&r, &line, &len)) != PSV_EOF) {
        if (st == PSV_ERROR || k >= max)
            abort();
        ev[k].st = st;
        ev[k].lineno = r.lineno;
        ev[k].off = ev[k].len = 0;
        if (st == PSV_LINE) {
            /* A line never holds its newline, and the cap bounds it (its
             * raw length, a stripped CR counted). */
            if (memchr(line, '\n', len) || len > max_line)
                abort();
            /* The line is the input's bytes: find where (the reader moves
             * its buffer, so compare contents, not pointers). */
            size_t prev_end = 0;
            for (size_t i = k; i-- > 0;)
                if (ev[i].st == PSV_LINE) {
                    prev_end = ev[i].off + ev[i].len;
                    break;
                }
            const uint8_t *at = NULL;
            if (len == 0) {
                at = p + prev_end;
            } else {
                for (size_t o = prev_end; o + len <= n; o++)
                    if (memcmp(p + o, line, len) == 0) {
                        at = p + o;
                        break;
                    }
            }
            if (!at)
                abort();
            ev[k].off = (size_t)(at - p);
            ev[k].len = len;

            struct psv_field f[PSV_MAX_FIELDS];
            size_t nf = psv_split(line, len, f, PSV_MAX_FIELDS);
            size_t bars = 0;
            for (size_t i = 0; i < len; i++)
                bars += line[i] == '|';
            if (nf != bars + 1)
                abort();
            size_t stored = nf < PSV_MAX_FIELDS ? nf : PSV_MAX_FIELDS;
            size_t total = 0;
            for (size_t i = 0; i < stored; i++) {
                if (f[i].p < line || f[i].p + f[i].n > line + len ||
                    memchr(f[i].p, '|', f[i].n))
                    abort();
                total += f[i].n;
            }
            if (nf <= PSV_MAX_FIELDS && total + bars != len)
                abort();
            size_t ncols = psv_columns(f, stored);
            if (ncols > stored || ncols + 1 < stored)
                abort();
            static const char *const names[] = {"Identification nationale PP",
                                                "Nom d'exercice", "", "|"};
            int idx[4];
            size_t found = psv_map(f, ncols, names, 4, idx);
            if (found > 4 || (idx[3] != -1))
                abort();
        }
        k++;
    }
    if (r.bytes != n)
        abort();
    psv_release(&r);
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] + 1;
    size_t max_line = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    size_t max = size + 2;
    struct ev *a = calloc(max, sizeof(*a));
    struct ev *b = calloc(max, sizeof(*b));
    if (!a || !b)
        abort();
    size_t na = read_all(data, size, step, max_line, a, max);
    size_t nb = read_all(data, size, size + 1, max_line, b, max);
    if (na != nb)
        abort();
    for (size_t i = 0; i < na; i++)
        if (a[i].st != b[i].st || a[i].lineno != b[i].lineno ||
            a[i].len != b[i].len || a[i].off != b[i].off)
            abort();
    free(a);
    free(b);
    return 0;
}
