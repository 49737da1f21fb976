/* History across imports: the step of the build that reads the database
 * about to be replaced (read-only, attached to the new one) and carries its
 * history into the new file: when each professional, activity and mailbox
 * was first seen, the last known record of those removed (kept
 * keep_removed days), and the list of changes (kept keep_changes days) with
 * this import's added, removed and changed ones. The diff is a merge of two
 * sorted lists of (key, digest of the fields that matter) made by scanning
 * each database's tables once in rowid order, then sorting in memory; only
 * the rows that changed are read again for their fields.
 *
 * It never fails a good import because of the old file: a missing file, a
 * schema it does not know (older than 3), an unreadable or malformed one all
 * give an import "without history" (said in the result, the import table
 * and the log), as does the first import. Only an error on the new file
 * fails the build. */
#ifndef CARRY_H
#define CARRY_H
#include <sqlite3.h>

#include "history.h"

/* Defaults of --keep-removed and --keep-changes, in days: a year of
 * departed professionals answers 410 for the address books that look once
 * a year; three months of changes covers a client that syncs monthly with
 * a margin. */
#define CARRY_KEEP_REMOVED_DEFAULT 365
#define CARRY_KEEP_CHANGES_DEFAULT 90

struct carry_opts {
    const char *old_db;             /* the database being replaced, or NULL */
    int keep_removed, keep_changes; /* days */
};

struct carry_result {
    int day;       /* this import's extract date, YYYYMMDD */
    int carried;   /* 1: history came from the old database */
    char why[200]; /* when not carried: why ("first import", ...) */
    unsigned long long n[HISTORY_KINDS][HISTORY_CHANGES];
    unsigned long long gone; /* removed professionals kept for 410 */
};

/* The history step on the new database db (committed, not in a
 * transaction), whose extract date is day. 0 (r filled, history carried
 * or not), or -1 on an error writing the new database (logged). */
int carry_history(sqlite3 *db, int day, const char *built_at,
                  const struct carry_opts *o, struct carry_result *r);
#endif
