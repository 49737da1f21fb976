/* The tables the importer writes row by row, its "targets": their ids,
 * their INSERT statements and how many values a row of each has, all made
 * from common/columns.h's table lists. A target's values are its table's
 * columns in order; the rows a professional owns (activity, specialty,
 * diploma, mailbox) are parsed before their key is known, so the parse
 * phase keeps one value fewer, and the replay prepends the key. */
#ifndef TARGET_H
#define TARGET_H
#include "util.h"

enum target {
    TARGET_ACTIVITY,
    TARGET_SPECIALTY,
    TARGET_DIPLOMA,
    TARGET_MAILBOX,
    TARGET_PROFESSIONAL,
    TARGET_TERM,
    TARGET_N
};

/* Values per row as inserted (the key included). */
int target_ncols(int t);
/* Appends target t's statement, "INSERT INTO activity (aid, ...) VALUES
 * (?, ...)", to sql. */
void target_sql(int t, struct buf *sql);
#endif
