/* The importer's targets: see target.h. */
#include "target.h"

#include <assert.h>

#include "columns.h"
#include "banned.h"

static const char *const activity_cols[] = {TABLE_ACTIVITY(COLUMNS_NAME)};
static const char *const specialty_cols[] = {TABLE_SPECIALTY(COLUMNS_NAME)};
static const char *const diploma_cols[] = {TABLE_DIPLOMA(COLUMNS_NAME)};
static const char *const mailbox_cols[] = {TABLE_MAILBOX(COLUMNS_NAME)};
static const char *const professional_cols[] = {
    TABLE_PROFESSIONAL(COLUMNS_NAME)};
static const char *const term_cols[] = {TABLE_NAME_TERM(COLUMNS_NAME)};

static const struct {
    const char *insert; /* the verb: the same specialty can come twice */
    const char *table;
    const char *const *cols;
    int ncols;
} targets[TARGET_N] = {
    [TARGET_ACTIVITY] = {"INSERT", "activity", activity_cols,
                         COLUMN_ACTIVITY_N},
    [TARGET_SPECIALTY] = {"INSERT OR IGNORE", "specialty", specialty_cols,
                          COLUMN_SPECIALTY_N},
    [TARGET_DIPLOMA] = {"INSERT", "diploma", diploma_cols, COLUMN_DIPLOMA_N},
    [TARGET_MAILBOX] = {"INSERT", "mailbox", mailbox_cols, COLUMN_MAILBOX_N},
    [TARGET_PROFESSIONAL] = {"INSERT", "professional", professional_cols,
                             COLUMN_PROFESSIONAL_N},
    [TARGET_TERM] = {"INSERT", "name_term", term_cols, COLUMN_NAME_TERM_N},
};

int target_ncols(int t)
{
    assert(t >= 0 && t < TARGET_N);
    return targets[t].ncols;
}

void target_sql(int t, struct buf *sql)
{
    assert(t >= 0 && t < TARGET_N);
    buf_addf(sql, "%s INTO %s (", targets[t].insert, targets[t].table);
    for (int i = 0; i < targets[t].ncols; i++)
        buf_addf(sql, "%s%s", i ? ", " : "", targets[t].cols[i]);
    buf_addstr(sql, ") VALUES (");
    for (int i = 0; i < targets[t].ncols; i++)
        buf_addstr(sql, i ? ", ?" : "?");
    buf_addstr(sql, ")");
}
