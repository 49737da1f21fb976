/* Batches of rows: see batch.h. */
#include "batch.h"

#include <stdlib.h>

#include "util.h"
#include "banned.h"

struct batch *batch_new(void)
{
    struct batch *b = xcalloc(1, sizeof(*b));
    /* 1 MiB of text: 4096 lines of 150-400 bytes (docs/format.md §2). */
    b->tcap = 1 << 20;
    b->text = xmalloc(b->tcap);
    b->vcap = BATCH_ROWS * 40;
    b->vals = xmalloc(b->vcap * sizeof(*b->vals));
    b->rcap = BATCH_ROWS * 2;
    b->rows = xmalloc(b->rcap);
    b->owners = xmalloc(b->rcap * sizeof(*b->owners));
    return b;
}

void batch_free(struct batch *b)
{
    if (!b)
        return;
    free(b->text);
    free(b->vals);
    free(b->rows);
    free(b->owners);
    free(b);
}

void batch_clear(struct batch *b)
{
    b->tlen = b->nvals = b->nrows = 0;
    b->next = NULL;
}

void batch_grow_rows(struct batch *b)
{
    b->rcap *= 2;
    b->rows = xrealloc(b->rows, b->rcap);
    b->owners = xrealloc(b->owners, b->rcap * sizeof(*b->owners));
}

void batch_grow_vals(struct batch *b)
{
    b->vcap *= 2;
    b->vals = xrealloc(b->vals, b->vcap * sizeof(*b->vals));
}

void batch_grow_text(struct batch *b, size_t n)
{
    while (b->tlen + n > b->tcap)
        b->tcap *= 2;
    /* Offsets are 32-bit: a batch's text stays far below (a line is at
     * most PSV_MAX_LINE, a batch about BATCH_ROWS lines). */
    assert(b->tcap <= UINT32_MAX - 1);
    b->text = xrealloc(b->text, b->tcap);
}
