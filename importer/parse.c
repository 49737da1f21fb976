/* One file read: see parse.h.
 *
 * Two threads per file: the parse thread reads lines (from the read-ahead
 * thread that inflates them, prefetch.h), checks them (field count, UTF-8,
 * exact duplicates), and turns them into rows (rows.h), handed over in
 * batches; this one writes the batches into the spill (spill.h). */
#include "parse.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "fold.h"
#include "rows.h"
#include "util.h"
#include "banned.h"

/* Rejected lines reported in full, per file: the rest are only counted. */
#define REPORT_REJECTS 5

static void reject(struct build *b, const char *why)
{
    b->st->rejected++;
    if (b->st->rejected <= REPORT_REJECTS)
        log_warn("%s:%llu: %s: line skipped", b->file, b->rd.lineno, why);
    else if (b->st->rejected == REPORT_REJECTS + 1)
        log_warn("%s: further rejected lines are only counted", b->file);
}

static void show_progress(struct build *b)
{
    atomic_store_explicit(&b->shown_bytes, b->rd.bytes, memory_order_relaxed);
    atomic_store_explicit(&b->shown_lines, b->st->lines, memory_order_relaxed);
}

static void *parse_thread(void *arg)
{
    struct build *b = arg;
    struct psv_field *f = xmalloc((PSV_MAX_FIELDS + 1) * sizeof(*f));
    struct batch *bt = queue_get_free(&b->q);
    const char *line;
    size_t len;
    enum psv_status s;

    while ((s = psv_next(&b->rd, &line, &len)) != PSV_EOF) {
        if (s == PSV_ERROR) {
            b->thread_failed = 1;
            break;
        }
        b->st->lines++;
        if (s == PSV_TOO_LONG) {
            reject(b, "line too long");
            continue;
        }
        if (len == 0) {
            /* A blank line (often the last): not data, not an error. */
            b->st->lines--;
            continue;
        }
        if (!utf8_valid(line, len)) {
            reject(b, "invalid UTF-8");
            continue;
        }
        size_t nf = psv_split(line, len, f, PSV_MAX_FIELDS + 1);
        /* A file whose header ends with '|' has it on every line
         * (PS_LibreAcces); otherwise (MSSanté: unknown) accept both. */
        int fits = b->trailing ? (nf == b->ncols + 1 && f[nf - 1].n == 0)
                               : (nf == b->ncols ||
                                  (nf == b->ncols + 1 && f[nf - 1].n == 0));
        if (!fits) {
            char why[96];
            snprintf(why, sizeof(why), "%zu fields where the header has %zu",
                     psv_columns(f, nf < PSV_MAX_FIELDS ? nf : PSV_MAX_FIELDS),
                     b->ncols);
            reject(b, why);
            continue;
        }
        const char *why = rows_reject(b, f);
        if (why) {
            reject(b, why);
            continue;
        }
        if (rows_seen(&b->seen, line, len)) {
            b->st->duplicates++;
            continue;
        }
        b->st->loaded++;
        rows_line(b, bt, f);
        if (bt->nrows >= BATCH_ROWS) {
            show_progress(b);
            if (queue_push(&b->q, bt) < 0) {
                bt = NULL;
                break;
            }
            bt = queue_get_free(&b->q);
        }
    }
    show_progress(b);
    queue_finish_with(&b->q, bt, b->thread_failed);
    free(f);
    return NULL;
}

/* Reads the header and maps its columns; -1 (logged) if unusable. */
static int read_header(struct build *b)
{
    struct psv_field *h = xmalloc((PSV_MAX_FIELDS + 1) * sizeof(*h));
    const char *line;
    size_t len, nf;
    int ret = -1;
    enum psv_status s = psv_next(&b->rd, &line, &len);

    if (s == PSV_ERROR)
        goto out;
    if (s == PSV_EOF || (s == PSV_LINE && len == 0)) {
        log_error("%s: empty file (no header line)", b->file);
        goto out;
    }
    if (s == PSV_TOO_LONG || !utf8_valid(line, len)) {
        log_error("%s: the header line is not a valid header", b->file);
        goto out;
    }
    nf = psv_split(line, len, h, PSV_MAX_FIELDS + 1);
    if (nf > PSV_MAX_FIELDS) {
        log_error("%s: header has more than %d fields", b->file,
                  PSV_MAX_FIELDS);
        goto out;
    }
    b->ncols = psv_columns(h, nf);
    b->trailing = b->ncols < nf;
    b->st->columns = b->ncols;
    if (rows_map(b, h) < 0)
        goto out;
    ret = 0;
out:
    free(h);
    return ret;
}

int parse_file(struct build *b, struct psv_src src, const char *file, int kind)
{
    pthread_t th;
    int ret = -1;

    b->kind = kind;
    b->file = file;
    b->st->present = 1;
    b->thread_failed = 0;
    b->t0 = now_s();
    atomic_store_explicit(&b->shown_bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&b->shown_lines, 0, memory_order_relaxed);
    psv_init(&b->rd, src, PSV_MAX_LINE);
    if (read_header(b) < 0)
        goto out;
    queue_init(&b->q);
    if (pthread_create(&th, NULL, parse_thread, b) != 0) {
        log_error("pthread_create failed");
        queue_destroy(&b->q);
        goto out;
    }
    int failed = 0;
    struct batch *bt;
    while ((bt = queue_pop(&b->q))) {
        if (!failed && spill_batch(b->sp, bt) < 0) {
            failed = 1;
            queue_abort(&b->q);
        }
        queue_recycle(&b->q, bt);
        load_progress(b, "reading", 0);
    }
    pthread_join(th, NULL);
    queue_destroy(&b->q);
    load_progress(b, "reading", 1);
    if (failed || b->thread_failed)
        goto out;
    /* Every line read is loaded, rejected or a duplicate: the counts the
     * summary and the extract table report. */
    assert(b->st->lines == b->st->loaded + b->st->rejected + b->st->duplicates);
    unsigned long long lim =
        (unsigned long long)((double)b->st->lines * b->opts->max_reject_frac);
    if (b->st->rejected > 10 && b->st->rejected > lim) {
        log_error("%s: %llu of %llu lines rejected: the file looks corrupt",
                  file, b->st->rejected, b->st->lines);
        goto out;
    }
    ret = 0;
out:
    psv_release(&b->rd);
    htab_release(&b->seen);
    htab_release(&b->addrs);
    return ret;
}
