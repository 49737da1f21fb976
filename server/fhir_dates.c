/* The facade's _lastUpdated plan (fhir_search.c's Practitioner and
 * PractitionerRole searches use it): which people's dates a search must
 * check, and how to read them without a lookup per person where the
 * change table can say (fhir_int.h has the plan's structs). */
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "fhir_int.h"
#include "record.h"
#include "banned.h"
/* YYYYMMDD of "YYYY-MM-DD..." (date_bounds() checked its digits). */
static int day_of(const char *s)
{
    int d = 0;
    for (int i = 0; i < 10; i++)
        if (s[i] != '-')
            d = d * 10 + (s[i] - '0');
    return d;
}

void fhir_date_plan(struct db_conn *c, const struct fhir_q *q,
                    struct date_plan *p)
{
    memset(p, 0, sizeof(*p));
    if (!q->ndates)
        return;
    char lo[32], hi[32];
    int floor = changes_since(c);
    if (floor <= 0) {
        /* No history: every date is the extracts'. */
        fhir_last_updated(c, lo, sizeof(lo));
        p->none = !fhir_date_ok(q, lo);
        return;
    }
    int newest = fhir_newest_day(c);
    if (newest < floor)
        newest = floor;
    fhir_day_ts(floor, lo, sizeof(lo));
    fhir_day_ts(newest, hi, sizeof(hi));
    for (int i = 0; i < q->ndates; i++) {
        const struct fhir_date *d = &q->dates[i];
        int at_lo = fhir_date_cond_ok(d, lo), at_hi = fhir_date_cond_ok(d, hi);
        if (d->op == FHIR_DATE_NE || !at_lo || !at_hi)
            p->check = 1;
        int from = 0;
        switch (d->op) {
        case FHIR_DATE_GE:
        case FHIR_DATE_EQ:
            from = day_of(d->lo);
            break;
        case FHIR_DATE_GT:
            from = day_of(d->hi);
            break;
        case FHIR_DATE_LT:
        case FHIR_DATE_LE:
            p->none |= !at_lo; /* below every date */
            break;
        default:
            break;
        }
        if (from && !at_hi && d->op != FHIR_DATE_EQ)
            p->none = 1; /* above every date */
        if (from > p->from)
            p->from = from;
    }
    if (p->from <= floor)
        p->from = 0;
}

/* 1 if pid's date passes q's _lastUpdated. */
static int person_date_ok(struct db_conn *c, const struct fhir_q *q,
                          long long pid)
{
    char ts[32];
    int day = fhir_person_day(c, pid);
    if (day > 0)
        fhir_day_ts(day, ts, sizeof(ts));
    else
        fhir_last_updated(c, ts, sizeof(ts));
    return fhir_date_ok(q, ts);
}

/* Each person the change table names on or after day from, with the day
 * of their latest change there (national_id, day): through change_day,
 * the delta's rows only. NULL on a database error. */
static sqlite3_stmt *latest_changes(struct db_conn *c, int from)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT national_id, max(day) FROM change INDEXED BY change_day"
           " WHERE day >= ?1 AND national_id IS NOT NULL"
           " GROUP BY national_id");
    if (st)
        sqlite3_bind_int(st, 1, from);
    return st;
}

/* The present people the change table names on or after day from whose
 * date passes q, into s (sorted): through change_day, the delta's rows
 * only. Their latest change there is their date (it is after the first
 * import with history, and no earlier than their first_seen, which an
 * "added" row of theirs records): no lookup per person. */
int fhir_changed_pids(struct db_conn *c, const struct fhir_q *q, int from,
                      struct fhir_ids *s)
{
    sqlite3_stmt *st = latest_changes(c, from);
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
        char ts[32];
        fhir_day_ts(sqlite3_column_int(st, 1), ts, sizeof(ts));
        if (!fhir_date_ok(q, ts))
            continue;
        long long pid = record_find(c, db_text(st, 0));
        if (pid)
            fhir_ids_push(s, pid);
    }
    db_done(st);
    fhir_ids_sort(s);
    return 0;
}

/* 1 if x is in the sorted set s. */
static int ids_has(const struct fhir_ids *s, long long x)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (s->v[m] < x)
            lo = m + 1;
        else if (s->v[m] > x)
            hi = m;
        else
            return 1;
    }
    return 0;
}

/* dp->ix for a plan that checks dates without a lower bound: the change
 * table's people since the first import with history, one indexed read
 * of the changes kept instead of three lookups for each of 1.9 M people
 * (seconds). 0, or -1 on a database error. */
int fhir_date_index(struct db_conn *c, const struct fhir_q *q,
                    struct date_plan *dp)
{
    if (!dp->check || dp->from || dp->ix)
        return 0;
    int floor = changes_since(c);
    if (floor <= 0)
        return 0; /* no history: fhir_date_plan() decided for everyone */
    struct date_index *ix = xcalloc(1, sizeof(*ix));
    char ts[32];
    fhir_day_ts(floor, ts, sizeof(ts));
    ix->floor_ok = fhir_date_ok(q, ts);
    dp->ix = ix;
    sqlite3_stmt *st = latest_changes(c, floor);
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
        long long pid = record_find(c, db_text(st, 0));
        if (!pid)
            continue; /* removed: a tombstone, dated apart */
        fhir_day_ts(sqlite3_column_int(st, 1), ts, sizeof(ts));
        fhir_ids_push(fhir_date_ok(q, ts) ? &ix->pass : &ix->fail, pid);
    }
    db_done(st);
    fhir_ids_sort(&ix->pass);
    fhir_ids_sort(&ix->fail);
    return 0;
}

void fhir_date_plan_release(struct date_plan *dp)
{
    if (dp->ix) {
        free(dp->ix->pass.v);
        free(dp->ix->fail.v);
        free(dp->ix);
        dp->ix = NULL;
    }
}

/* 1 if pid's date passes q's _lastUpdated, from dp's index when it has
 * one. */
int fhir_plan_date_ok(struct db_conn *c, const struct fhir_q *q,
                      const struct date_plan *dp, long long pid)
{
    if (!dp->ix)
        return person_date_ok(c, q, pid);
    if (ids_has(&dp->ix->pass, pid))
        return 1;
    return dp->ix->floor_ok && !ids_has(&dp->ix->fail, pid);
}
