/* Pipe-separated line reader and field splitter. See psv.h. */
#include "psv.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

/* Read in 1 MiB chunks: large enough that memchr, not read(), dominates. */
#define PSV_CHUNK (1024 * 1024)

void psv_init(struct psv_reader *r, struct psv_src src, size_t max_line)
{
    memset(r, 0, sizeof(*r));
    r->src = src;
    r->max_line = max_line;
    r->cap = max_line + PSV_CHUNK;
    r->buf = xmalloc(r->cap);
    r->first = 1;
}

void psv_release(struct psv_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Moves unread bytes to the front and reads more. Returns bytes read, 0 at
 * the end, -1 on error. */
static ssize_t fill(struct psv_reader *r)
{
    ssize_t got;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap)
        return -2; /* full: cannot happen while lines are capped */
    got = r->src.read(r->src.ctx, r->buf + r->end, r->cap - r->end);
    if (got > 0) {
        r->end += (size_t)got;
        r->bytes += (unsigned long long)got;
    }
    return got;
}

enum psv_status psv_next(struct psv_reader *r, const char **line, size_t *len)
{
    for (;;) {
        char *nl = NULL;
        if (r->scan < r->end)
            nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (nl) {
            size_t s = r->start, e = (size_t)(nl - r->buf);
            r->start = r->scan = e + 1;
            r->lineno++;
            /* Too long by its raw length (a CR counted), the same test as
             * below when no newline is in the buffer yet: the answer must
             * not depend on how the bytes arrive. */
            if (r->skipping || e - s > r->max_line) {
                r->skipping = 0;
                r->first = 0;
                return PSV_TOO_LONG;
            }
            if (e > s && r->buf[e - 1] == '\r')
                e--;
            if (r->first) {
                r->first = 0;
                if (e - s >= 3 && memcmp(r->buf + s, "\xEF\xBB\xBF", 3) == 0)
                    s += 3;
            }
            *line = r->buf + s;
            *len = e - s;
            return PSV_LINE;
        }
        r->scan = r->end;
        if (r->skipping || r->end - r->start > r->max_line) {
            /* Too long: drop what we have and skip to the next newline. */
            r->skipping = 1;
            r->start = r->scan = r->end;
        }
        if (r->eof) {
            if (r->skipping) {
                r->skipping = 0;
                r->first = 0;
                r->lineno++;
                return PSV_TOO_LONG;
            }
            if (r->end > r->start) {
                /* A last line without a newline. */
                size_t s = r->start, e = r->end;
                r->start = r->scan = r->end;
                r->lineno++;
                if (e > s && r->buf[e - 1] == '\r')
                    e--;
                if (r->first) {
                    r->first = 0;
                    if (e - s >= 3 &&
                        memcmp(r->buf + s, "\xEF\xBB\xBF", 3) == 0)
                        s += 3;
                }
                *line = r->buf + s;
                *len = e - s;
                return PSV_LINE;
            }
            return PSV_EOF;
        }
        ssize_t got = fill(r);
        if (got < 0)
            return PSV_ERROR;
        if (got == 0)
            r->eof = 1;
    }
}

size_t psv_split(const char *line, size_t len, struct psv_field *f, size_t max)
{
    size_t nf = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *fe = bar ? bar : end;
        if (nf < max) {
            f[nf].p = p;
            f[nf].n = (size_t)(fe - p);
        }
        nf++;
        if (!bar)
            break;
        p = bar + 1;
    }
    return nf;
}

size_t psv_columns(const struct psv_field *f, size_t nf)
{
    if (nf > 1 && f[nf - 1].n == 0)
        return nf - 1;
    return nf;
}

size_t psv_map(const struct psv_field *hdr, size_t ncols,
               const char *const *names, size_t nnames, int *idx)
{
    size_t found = 0;
    for (size_t i = 0; i < nnames; i++) {
        size_t nl = strlen(names[i]);
        idx[i] = -1;
        for (size_t c = 0; c < ncols; c++) {
            if (hdr[c].n == nl && memcmp(hdr[c].p, names[i], nl) == 0) {
                idx[i] = (int)c;
                found++;
                break;
            }
        }
    }
    return found;
}
