/* SQLite's and FTS5's own checks on the finished, committed database: the
 * FTS5 check compares the full-text index with its content table;
 * quick_check is integrity_check without the index-against-table
 * cross-check (minutes at full scale), still verifying every page, record
 * and index order. They run side by side, quick_check on a second,
 * read-only connection of its own: the FTS5 check is an INSERT that writes
 * nothing, so it only waits (busy timeout) for the reader at its end. */
#ifndef CHECK_H
#define CHECK_H
#include <sqlite3.h>

/* Checks the database at path, open as db, whose connection must have
 * given up its exclusive lock. 0 when both checks pass, else -1 (the
 * failures logged). */
int check_db(sqlite3 *db, const char *path);
#endif
