/* The full-text index, built beside the rows.
 *
 * name_fts indexes the folded names of professional (external content).
 * Rebuilt from the table at the end it costs 7 s at full scale on the one
 * connection that writes everything else. Instead, once the professionals
 * are sorted, a thread indexes their names into a scratch database of its
 * own (the same CREATE VIRTUAL TABLE, the same rowids) while the main
 * thread writes the rows; at the end its four shadow tables are copied
 * into the new database, whose name_fts was created empty and never read.
 * The FTS5 integrity check against the content table (check_db) then
 * proves the copy. The scratch file is unlinked as soon as it is open, so
 * a killed import leaves nothing of it behind.
 *
 * The struct is the caller's; the scratch connection and the thread are
 * fts_side's, until fts_side_finish() closes and joins them. The
 * professionals must stay sorted and untouched until then (the thread
 * reads them). */
#ifndef FTS_SIDE_H
#define FTS_SIDE_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "persons.h"

/* All zero before fts_side_start(). */
struct fts_side {
    const struct persons *ps;
    sqlite3 *db; /* the scratch database, used by the thread, then by
                  * fts_side_finish() after the join */
    pthread_t th;
    int started, failed;
    atomic_int stop; /* the build failed elsewhere: give up */
};

/* Opens the scratch database beside db_path (db_path.fts) and starts the
 * thread on the sorted professionals ps. 0, or -1 (logged). */
int fts_side_start(struct fts_side *f, const struct persons *ps,
                   const char *db_path);
/* Waits for the thread; if it succeeded and db_path is given, copies the
 * index into the new database at db_path, which no connection may hold
 * locked. With db_path NULL (after a failure elsewhere) the thread is
 * told to stop first. Frees everything either way; 0 when copied, else
 * -1 (logged). */
int fts_side_finish(struct fts_side *f, const char *db_path);
#endif
