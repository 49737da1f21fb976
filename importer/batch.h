/* A batch: rows of values packed into two arrays, the unit the importer's
 * threads hand each other (the parse thread to the spill, the replay
 * thread to the inserter: queue.h). A row is a target (target.h) and its
 * values in the target's column order; a value is text (offset and length
 * into the batch's text), NULL, or a 64-bit integer. The batch owns its
 * arrays and copies every value in, so nothing it holds is borrowed; its
 * rows' owners (the parse phase's professionals) are the caller's.
 *
 * The appends are inline: the parse thread makes about 90 M of them at full
 * scale, where a call each would show; only growing is out of line. */
#ifndef BATCH_H
#define BATCH_H
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "psv.h"

struct person;

/* A value: text at text[off .. off + len), or BATCH_NULL in off, or
 * BATCH_INT in len (an int64 at text[off], unaligned). */
#define BATCH_NULL UINT32_MAX
#define BATCH_INT (UINT32_MAX - 1)
struct batch_val {
    uint32_t off, len;
};

struct batch {
    char *text;
    size_t tlen, tcap;
    struct batch_val *vals;
    size_t nvals, vcap;
    unsigned char *rows;    /* the target of each row */
    struct person **owners; /* parse phase: whose row (NULL: nobody's) */
    size_t nrows, rcap;
    struct batch *next; /* the queue's link */
};

/* 4096 rows a batch: enough to make the hand-over cheap, small enough that
 * the two threads overlap well (queue.h bounds how many wait). */
#define BATCH_ROWS 4096

/* An empty batch sized for BATCH_ROWS rows of about 40 values. */
struct batch *batch_new(void);
void batch_free(struct batch *b);
/* Empties b, keeping its arrays. */
void batch_clear(struct batch *b);

/* Growing, for the appends below. */
void batch_grow_rows(struct batch *b);
void batch_grow_vals(struct batch *b);
void batch_grow_text(struct batch *b, size_t n);

/* Starts a row of target, owned by owner (or NULL). */
static inline void batch_row(struct batch *b, int target, struct person *owner)
{
    if (b->nrows == b->rcap)
        batch_grow_rows(b);
    b->owners[b->nrows] = owner;
    b->rows[b->nrows++] = (unsigned char)target;
}

static inline struct batch_val *batch_slot(struct batch *b)
{
    if (b->nvals == b->vcap)
        batch_grow_vals(b);
    return &b->vals[b->nvals++];
}

/* A text value, copied; NULL when p is NULL or n is 0. */
static inline void batch_val(struct batch *b, const char *p, size_t n)
{
    struct batch_val *v = batch_slot(b);
    if (!p || n == 0) {
        v->off = BATCH_NULL;
        v->len = 0;
        return;
    }
    if (b->tlen + n > b->tcap)
        batch_grow_text(b, n);
    memcpy(b->text + b->tlen, p, n);
    v->off = (uint32_t)b->tlen;
    v->len = (uint32_t)n;
    b->tlen += n;
}

static inline void batch_int(struct batch *b, long long x)
{
    struct batch_val *v = batch_slot(b);
    if (b->tlen + sizeof(x) > b->tcap)
        batch_grow_text(b, sizeof(x));
    memcpy(b->text + b->tlen, &x, sizeof(x));
    v->off = (uint32_t)b->tlen;
    v->len = BATCH_INT;
    b->tlen += sizeof(x);
}

/* A text value that is never NULL, even empty (for NOT NULL columns). */
static inline void batch_text(struct batch *b, const char *s)
{
    size_t n = strlen(s);
    if (n) {
        batch_val(b, s, n);
        return;
    }
    struct batch_val *v = batch_slot(b);
    v->off = (uint32_t)b->tlen;
    v->len = 0;
}

/* A string, NULL when s is NULL or empty. */
static inline void batch_str(struct batch *b, const char *s)
{
    batch_val(b, s, s ? strlen(s) : 0);
}

/* A field of a line, NULL when f is NULL (an absent column) or empty. */
static inline void batch_field(struct batch *b, const struct psv_field *f)
{
    batch_val(b, f ? f->p : NULL, f ? f->n : 0);
}
#endif
