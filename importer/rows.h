/* Lines into rows: what each extract's columns mean to the database. Maps
 * a file's header onto common/columns.h's column list of its extract (by
 * name, refusing a file without a required column), says whether a line
 * can be loaded at all, and turns each line into the rows of its targets
 * (target.h) in a batch: the professional it names created on first sight
 * (persons.h), its codes counted (codes.h), its activity, specialty,
 * diploma or mailbox row written in its table's column order. It runs on
 * the parse thread and touches only the build's accumulated parts and the
 * current file's (build.h); it knows nothing of threads or SQLite. */
#ifndef ROWS_H
#define ROWS_H
#include <stddef.h>

#include "batch.h"
#include "build.h"
#include "htab.h"
#include "psv.h"

/* Maps the header's fields h[0..b->ncols) for b->kind into b->idx. 0, or
 * -1 after logging each required column that is missing. */
int rows_map(struct build *b, const struct psv_field *h);
/* Why line f (split, the right field count) cannot be loaded, or NULL. */
const char *rows_reject(const struct build *b, const struct psv_field *f);
/* Adds line f's rows to bt. */
void rows_line(struct build *b, struct batch *bt, const struct psv_field *f);
/* 1 if the bytes p[0..n) (a line, an address) were seen in t before, by
 * their 64-bit hash; else remembers them and returns 0. */
int rows_seen(struct htab *t, const char *p, size_t n);
#endif
