/* The spill file: see spill.h. */
#include "spill.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persons.h"
#include "target.h"
#include "util.h"
#include "banned.h"

int spill_open(struct spill *sp, const char *db_path)
{
    struct buf path;
    memset(sp, 0, sizeof(*sp));
    buf_init(&path, 8192);
    buf_addf(&path, "%s.spill", db_path);
    /* A new file of our own: whatever is at that name (a link someone
     * planted) fails the build rather than being written through. */
    sp->fd = path.len ? open(path.s,
                             O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             0600)
                      : -1;
    if (sp->fd < 0) {
        log_error("%s: %s", path.len ? path.s : db_path, strerror(errno));
        buf_release(&path);
        return -1;
    }
    unlink(path.s);
    buf_release(&path);
    sp->buf = xmalloc(SPILL_BUF);
    return 0;
}

void spill_close(struct spill *sp)
{
    if (sp->fd >= 0)
        close(sp->fd);
    free(sp->buf);
    free(sp->off);
    free(sp->next);
    memset(sp, 0, sizeof(*sp));
    sp->fd = -1;
}

int spill_flush(struct spill *sp)
{
    size_t done = 0;
    while (done < sp->used) {
        ssize_t w = write(sp->fd, sp->buf + done, sp->used - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            log_error("temporary spill file: %s", strerror(errno));
            return -1;
        }
        done += (size_t)w;
    }
    sp->pos += sp->used;
    sp->used = 0;
    return 0;
}

/* Appends row r of batch bt (its values from *v on). */
static int spill_row(struct spill *sp, const struct batch *bt, size_t r,
                     size_t *v)
{
    int t = bt->rows[r];
    int nv = target_ncols(t) - 1; /* the key comes at replay */
    size_t need = 8;
    for (int k = 0; k < nv; k++) {
        const struct batch_val *x = &bt->vals[*v + (size_t)k];
        need += x->off == BATCH_NULL ? 1 : (x->len <= 250 ? 1 : 5) + x->len;
    }
    if (sp->used + need > SPILL_BUF && spill_flush(sp) < 0)
        return -1;
    if (need > SPILL_BUF) {
        log_error("a row too large for the spill buffer");
        return -1;
    }
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 1 << 20;
        sp->off = xrealloc(sp->off, sp->cap * sizeof(*sp->off));
        sp->next = xrealloc(sp->next, sp->cap * sizeof(*sp->next));
    }
    sp->off[sp->n] = sp->pos + sp->used;
    sp->next[sp->n] = 0;
    uint32_t num = (uint32_t)++sp->n;
    struct person *o = bt->owners[r];
    uint32_t *first = o ? &o->first_rec : &sp->orphan_first;
    uint32_t *last = o ? &o->last_rec : &sp->orphan_last;
    if (*last)
        sp->next[*last - 1] = num;
    else
        *first = num;
    *last = num;

    char *d = sp->buf + sp->used;
    uint32_t len32 = (uint32_t)need;
    memcpy(d, &len32, 4);
    d[4] = (char)t;
    d[5] = (char)nv;
    d[6] = d[7] = 0;
    d += 8;
    for (int k = 0; k < nv; k++) {
        const struct batch_val *x = &bt->vals[*v + (size_t)k];
        if (x->off == BATCH_NULL) {
            *d++ = (char)254;
        } else if (x->len <= 250) {
            *d++ = (char)x->len;
            memcpy(d, bt->text + x->off, x->len);
            d += x->len;
        } else {
            *d++ = (char)255;
            memcpy(d, &x->len, 4);
            memcpy(d + 4, bt->text + x->off, x->len);
            d += 4 + x->len;
        }
    }
    sp->used += need;
    *v += (size_t)nv;
    return 0;
}

int spill_batch(struct spill *sp, const struct batch *bt)
{
    size_t v = 0;
    for (size_t r = 0; r < bt->nrows; r++)
        if (spill_row(sp, bt, r, &v) < 0)
            return -1;
    /* Every row wrote its target's values, no more, no fewer. */
    assert(v == bt->nvals);
    return 0;
}

int spill_read(struct spill *sp, uint32_t *rec, struct spill_run *run)
{
    uint32_t first = *rec, last = first;
    assert(first >= 1 && first <= sp->n && !run->pending);
    while (sp->next[last - 1] == last + 1)
        last++;
    *rec = sp->next[last - 1];
    uint64_t from = sp->off[first - 1];
    uint64_t to = last < sp->n ? sp->off[last] : sp->pos;
    size_t len = (size_t)(to - from), got = 0;
    if (len > run->cap) {
        run->cap = len * 2;
        run->p = xrealloc(run->p, run->cap);
    }
    while (got < len) {
        ssize_t r = pread(sp->fd, run->p + got, len - got, (off_t)(from + got));
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            log_error("temporary spill file: %s",
                      r < 0 ? strerror(errno) : "short read");
            return -1;
        }
        got += (size_t)r;
    }
    run->at = (const unsigned char *)run->p;
    run->left = last - first + 1;
    return 0;
}

int spill_next(struct spill_run *run, int *target)
{
    assert(!run->pending);
    if (!run->left)
        return -1;
    *target = run->at[4];
    run->pending = 1;
    return 0;
}

void spill_values(struct spill_run *run, struct batch *bt)
{
    const unsigned char *d = run->at, *v = d + 8;
    uint32_t rlen;
    int nv = d[5];
    assert(run->pending);
    memcpy(&rlen, d, 4);
    for (int k = 0; k < nv; k++) {
        unsigned tag = *v++;
        if (tag == 254) {
            batch_val(bt, NULL, 0);
        } else if (tag == 255) {
            uint32_t l;
            memcpy(&l, v, 4);
            batch_val(bt, (const char *)v + 4, l);
            v += 4 + l;
        } else {
            batch_val(bt, (const char *)v, tag);
            v += tag;
        }
    }
    assert(v == d + rlen); /* the record's length is its values' */
    run->at = d + rlen;
    run->left--;
    run->pending = 0;
}

void spill_run_release(struct spill_run *run)
{
    free(run->p);
    memset(run, 0, sizeof(*run));
}
