/* The write phase of a build: once every file is read and the
 * professionals sorted (persons_sort()), writes each professional's row
 * with pid = its rank, the rows the parse phase spilled for it, the
 * mailboxes of no known professional, and the name dictionary (name_term),
 * through prepared INSERTs on the build's connection, in its open
 * transaction. Counts the professionals, civilities and titles of the code
 * lists on the way. */
#ifndef WRITE_H
#define WRITE_H
#include <sqlite3.h>

#include "build.h"

/* 0, or -1 (logged). b->persons must be sorted and b->sp flushed. */
int write_rows(struct build *b, sqlite3 *db);
#endif
