/* The facade's PractitionerRole search (fhir_search.c has Practitioner's,
 * fhir_org.c Organization's): read from the activity rows, in aid order a
 * page at a time, its role conditions checked against each row's codes;
 * a rare code's rows listed from activity_code, a mailbox's from its
 * owners; totals from activity_combo's counts where a condition allows
 * (docs/fhir.md says which). */
#include <stdlib.h>
#include <string.h>

#include "fhir_int.h"
#include "record.h"
#include "rowid.h"
#include "banned.h"

int fhir_in_codes(const struct fhir_codes *l, const char *v)
{
    for (int i = 0; v && i < l->n; i++)
        if (strcmp(l->v[i], v) == 0)
            return 1;
    return 0;
}

/* 1 if a mailbox of aid's person tied to its structure matches every
 * mailbox-mss condition of q. */
static int role_mailbox_ok(struct db_conn *c, const struct fhir_q *q,
                           long long aid, const char *structure)
{
    if (!q->nmbox)
        return 1;
    if (!structure || rowid_pid(aid) > db_mss_end(c))
        return 0;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT address FROM mailbox WHERE mid" ROWID_RANGE_SQL
           " AND substr(structure_id, 2) = substr(?2, 2)");
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, rowid_pid(aid));
    sqlite3_bind_text(st, 2, structure, -1, SQLITE_TRANSIENT);
    int all = 0;
    while (!all && sqlite3_step(st) == SQLITE_ROW) {
        const char *a = db_text(st, 0);
        all = a != NULL;
        for (int i = 0; all && i < q->nmbox; i++) {
            const struct fhir_name *m = &q->mbox[i];
            all = m->mod == MOD_EXACT ? strcmp(a, m->v) == 0
                  : m->mod == MOD_CONTAINS
                      ? strstr(a, m->v) != NULL
                      : strncmp(a, m->v, strlen(m->v)) == 0;
        }
    }
    db_done(st);
    return all;
}

/* 1 if activity aid (its row in st: structure, genre, mode, role,
 * section) passes q. */
static int role_ok(struct db_conn *c, const struct fhir_q *q,
                   const struct date_plan *dp, long long aid, sqlite3_stmt *st)
{
    const char *sid = db_text(st, 1);
    if (q->org.n && !fhir_in_codes(&q->org, sid))
        return 0;
    for (int i = 0; i < q->nroles; i++) {
        int any = 0;
        for (int j = 2; j <= 5 && !any; j++)
            any = fhir_in_codes(&q->roles[i], db_text(st, j));
        if (!any)
            return 0;
    }
    char s[72];
    snprintf(s, sizeof(s), "%s", sid ? sid : "");
    if (!role_mailbox_ok(c, q, aid, sid ? s : NULL))
        return 0;
    /* A role's date is its person's (fhir_person_day()). */
    return !dp->check || fhir_plan_date_ok(c, q, dp, rowid_pid(aid));
}

#define ROLE_COLS                                                              \
    "aid, structure_id, genre_code, mode_code, role_code,"                     \
    " section_code"

/* A JSON array of the n strings v. */
char *fhir_json_strings(char *const *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *js = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return js;
}

/* Every activity after q's cursor in aid order whose codes may pass
 * q's role conditions (each a JSON list, or NULL when absent), ready to
 * step; NULL on a database error. */
static sqlite3_stmt *role_scan(struct db_conn *c, const struct fhir_q *q)
{
#define ROLE_IN(n)                                                             \
    " AND (?" #n " IS NULL OR genre_code IN (SELECT value FROM json_each(?" #n \
    ")) OR mode_code IN (SELECT value FROM json_each(?" #n "))"                \
    " OR role_code IN (SELECT value FROM json_each(?" #n "))"                  \
    " OR section_code IN (SELECT value FROM json_each(?" #n ")))"
    _Static_assert(FHIR_REPEAT_MAX == 4, "one ROLE_IN per repeat");
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT " ROLE_COLS " FROM activity WHERE aid > ?1" ROLE_IN(2)
               ROLE_IN(3) ROLE_IN(4) ROLE_IN(5) " ORDER BY aid");
#undef ROLE_IN
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, q->after_aid);
    for (int i = 0; i < q->nroles; i++) {
        char *js = fhir_json_strings(q->roles[i].v, q->roles[i].n);
        sqlite3_bind_text(st, 2 + i, js, -1, SQLITE_TRANSIENT);
        free(js);
    }
    return st;
}

/* The next link's cursor after a read in aid order that found more than
 * its page: the id of the page's last role, last. */
static void role_next(struct db_conn *c, struct fhir_hits *h, long long last)
{
    char nid[32];
    if (h->more && fhir_pid_nid(c, rowid_pid(last), nid, sizeof(nid)) == 0)
        snprintf(h->next_after, sizeof(h->next_after), "%s-%lld", nid,
                 rowid_seq(last));
    else
        h->more = 0;
}

/* The page of st's activities (role_scan()) that pass q, read until one
 * more than the page is found: the next link then starts after the
 * page's last id. known is the total (role_count()), or -1: then it is
 * known only when the read ran to the end from the start. */
static int role_stream(struct db_conn *c, const struct fhir_q *q,
                       const struct date_plan *dp, sqlite3_stmt *st,
                       long long known, struct fhir_hits *h,
                       struct api_resp *out)
{
    struct fhir_ids page = {0};
    long skip = q->offset;
    long long last = 0;
    db_budget(c, 0);
    while (q->count > 0 && sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
        long long aid = sqlite3_column_int64(st, 0);
        if (!role_ok(c, q, dp, aid, st))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if ((long)page.n == q->count) {
            h->more = 1;
            break;
        }
        fhir_ids_push(&page, aid);
        last = aid;
    }
    db_unbudget(c);
    db_done(st);
    role_next(c, h, last);
    h->ordered = 1;
    long long total = known;
    if (total < 0 && !h->more && !*q->after)
        total = q->offset - skip + (long long)page.n;
    return fhir_hits_done(c, &page, total, h, out);
}

/* 1 if a combination of codes (activity_combo's row in st: genre, mode,
 * role, section, '' for none) passes q's role conditions, as role_ok()
 * reads an activity's. */
static int combo_ok(const struct fhir_q *q, sqlite3_stmt *st)
{
    for (int i = 0; i < q->nroles; i++) {
        int any = 0;
        for (int j = 0; j < 4 && !any; j++) {
            const char *v = db_text(st, j);
            any = v && *v && fhir_in_codes(&q->roles[i], v);
        }
        if (!any)
            return 0;
    }
    return 1;
}

/* How many activities a read of every activity in aid order (role_scan())
 * passes, without that read: the role conditions' from the counts of
 * each combination of codes (activity_combo: n, or n_mss, the
 * activities with a mailbox tied to their structure, for
 * mailbox-mss:contains=@), less the roles of the people whose dates fail
 * when dates are checked (dp's index: as many as the change table names).
 * Into *n: 0, or -1 when that cannot be known so (another mailbox
 * condition, a file without the counts, a database error). */
static int role_count(struct db_conn *c, const struct fhir_q *q,
                      const struct date_plan *dp, long long *n)
{
    static const struct date_plan unchecked;
    if (q->org.n || (dp->check && !dp->ix))
        return -1;
    for (int i = 0; i < q->nmbox; i++)
        if (q->mbox[i].mod != MOD_CONTAINS || strcmp(q->mbox[i].v, "@") != 0)
            return -1;
    sqlite3_stmt *st =
        !db_has_table(c, "activity_combo") ? NULL
        : q->nmbox ? db_prepare_static(c, "SELECT genre_code, mode_code,"
                                          " role_code, section_code, n_mss"
                                          " FROM activity_combo")
                   : db_prepare_static(c, "SELECT genre_code, mode_code,"
                                          " role_code, section_code, n"
                                          " FROM activity_combo");
    if (!st)
        return -1;
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (combo_ok(q, st))
            total += sqlite3_column_int64(st, 4);
    db_done(st);
    const struct fhir_ids *fail = dp->check ? &dp->ix->fail : NULL;
    if (fail && !dp->ix->floor_ok)
        return -1; /* role_scan() is not the plan then */
    st = fail && fail->n
             ? db_prepare_static(c, "SELECT " ROLE_COLS
                                    " FROM activity WHERE aid" ROWID_RANGE_SQL)
             : NULL;
    for (size_t i = 0; st && i < fail->n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, fail->v[i]);
        while (sqlite3_step(st) == SQLITE_ROW)
            if (role_ok(c, q, &unchecked, sqlite3_column_int64(st, 0), st))
                total--;
    }
    db_done(st);
    *n = total;
    return 0;
}

/* A delta of roles: those of the people changed since the lower bound
 * (fhir_changed_pids(), in pid order, so their roles come in aid order),
 * the page after the cursor. Every role is counted for the total: a day's
 * delta at full scale is some 70,000 people and 100,000 roles; without a
 * role or mailbox condition each person's roles are counted from the
 * rowids alone (no row read), else each row is read and checked. */
static int role_delta(struct db_conn *c, const struct fhir_q *q, int from,
                      struct fhir_hits *h, struct api_resp *out)
{
    static const struct date_plan checked; /* by fhir_changed_pids() */
    struct fhir_ids pids = {0}, page = {0};
    long long total = 0, last = 0;
    long skip = q->offset;
    int rows_needed = q->nroles || q->nmbox;
    sqlite3_stmt *st =
        fhir_changed_pids(c, q, from, &pids) < 0
            ? NULL
            : db_prepare_static(c,
                                "SELECT " ROLE_COLS " FROM activity"
                                " WHERE aid" ROWID_RANGE_SQL " ORDER BY aid");
    sqlite3_stmt *count = db_prepare_static(
        c, "SELECT count(*) FROM activity WHERE aid" ROWID_RANGE_SQL);
    if (!st || !count) {
        free(pids.v);
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    for (size_t i = 0; i < pids.n && !db_expired(c); i++) {
        /* Before the cursor, or once the page is full: only counted. */
        int counted = pids.v[i] < rowid_pid(q->after_aid) || h->more;
        if (counted && !rows_needed) {
            sqlite3_reset(count);
            sqlite3_bind_int64(count, 1, pids.v[i]);
            if (sqlite3_step(count) == SQLITE_ROW)
                total += sqlite3_column_int64(count, 0);
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, pids.v[i]);
        while (sqlite3_step(st) == SQLITE_ROW) {
            long long aid = sqlite3_column_int64(st, 0);
            if (!role_ok(c, q, &checked, aid, st))
                continue;
            total++;
            if (aid <= q->after_aid)
                continue;
            if (skip > 0) {
                skip--;
                continue;
            }
            if ((long)page.n == q->count) {
                h->more = q->count > 0;
                continue;
            }
            fhir_ids_push(&page, aid);
            last = aid;
        }
    }
    db_done(count);
    db_done(st);
    free(pids.v);
    role_next(c, h, last);
    h->ordered = 1;
    return fhir_hits_done(c, &page, total, h, out);
}

/* active=false: the activities of the removed professionals not back,
 * as tombstones keyed by minus their gone_activity row, by national id
 * then rank; practitioner=, _id and the dates apply, a code, structure or
 * mailbox condition finds none (a tombstone shows none). */
static int role_gone(struct db_conn *c, const struct fhir_q *q,
                     const struct date_plan *dp, struct fhir_hits *h,
                     struct api_resp *out)
{
    if (q->nroles || q->org.n || q->nmbox)
        return 0;
    /* g.pid = the aid's pid: an equality, so an automatic index. */
    /* clang-format off */
    sqlite3_stmt *st = db_prepare_static(c,
        "SELECT a.rowid, g.national_id, " ROWID_SEQ_SQL("a.aid") ","
        " coalesce((SELECT min(day) FROM import WHERE day > g.last_seen),"
        " g.last_seen) FROM gone_professional g, gone_activity a"
        " WHERE g.pid = " ROWID_PID_SQL("a.aid")
        " AND NOT EXISTS (SELECT 1 FROM professional p WHERE"
        " p.national_id = g.national_id)"
        " ORDER BY g.national_id, a.aid");
    /* clang-format on */
    if (!st) {
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    struct fhir_ids page = {0};
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *nid = db_text(st, 1);
        char id[64], ts[32];
        snprintf(id, sizeof(id), "%s-%lld", nid ? nid : "",
                 (long long)sqlite3_column_int64(st, 2));
        fhir_day_ts(sqlite3_column_int(st, 3), ts, sizeof(ts));
        if (!nid || (q->prac.n && !fhir_in_codes(&q->prac, nid)) ||
            (q->tid.n && !fhir_in_codes(&q->tid, id)) ||
            (dp->check && !fhir_date_ok(q, ts)))
            continue;
        fhir_take(q, &page, &total, -sqlite3_column_int64(st, 0));
    }
    db_done(st);
    return fhir_hits_done(c, &page, total, h, out);
}

/* How one role condition's codes are found: no activity carries any of
 * them (the code table counts none), each carried by none or listed in
 * activity_code (a rare code: schema.sql), or one at least must be
 * scanned for (a common code, or a file without the list). */
enum role_plan { ROLE_SCAN, ROLE_LISTED, ROLE_NONE };

static enum role_plan role_codes_plan(struct db_conn *c,
                                      const struct fhir_codes *l)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT (SELECT sum(count) FROM code WHERE code = ?1 AND list IN"
           " ('mode', 'genre', 'role', 'section')), EXISTS (SELECT 1 FROM"
           " sqlite_master WHERE type = 'table' AND name = 'activity_code')");
    if (!st)
        return ROLE_SCAN;
    int carried = 0, unlisted = 0;
    for (int i = 0; i < l->n && !unlisted; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, l->v[i], -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW) {
            unlisted = 1;
            break;
        }
        if (sqlite3_column_int64(st, 0) <= 0)
            continue; /* no activity has it */
        carried = 1;
        if (!sqlite3_column_int(st, 1)) {
            unlisted = 1; /* a file built before the list */
            break;
        }
        sqlite3_stmt *ac = db_prepare_static(
            c, "SELECT 1 FROM activity_code WHERE code = ?1 LIMIT 1");
        if (!ac) {
            unlisted = 1;
            break;
        }
        sqlite3_bind_text(ac, 1, l->v[i], -1, SQLITE_TRANSIENT);
        unlisted = sqlite3_step(ac) != SQLITE_ROW; /* a common code */
        db_done(ac);
    }
    db_done(st);
    return unlisted ? ROLE_SCAN : carried ? ROLE_LISTED : ROLE_NONE;
}

/* The activities after aid after carrying a code of l (role_codes_plan()
 * said ROLE_LISTED), into s. */
static void role_listed_aids(struct db_conn *c, const struct fhir_codes *l,
                             long long after, struct fhir_ids *s)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT aid FROM activity_code WHERE code = ?1 AND aid > ?2");
    for (int i = 0; st && i < l->n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, l->v[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, after);
        while (sqlite3_step(st) == SQLITE_ROW)
            fhir_ids_push(s, sqlite3_column_int64(st, 0));
    }
    db_done(st);
}

/* The roles of the people whose mailboxes q's mailbox-mss conditions
 * match (AND-ed), into s, to be checked one by one: 0, or -1 when q has
 * no such condition but "has one" (:contains=@), or when they match more
 * than FHIR_CHECK_MAX people (a whole domain: then every role is read in
 * id order). */
static int role_mailbox_cands(struct db_conn *c, const struct fhir_q *q,
                              struct fhir_ids *s)
{
    struct fhir_ids set = {0};
    int have = 0;
    for (int i = 0; i < q->nmbox; i++) {
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            continue;
        /* A domain's 128,000 mailboxes at full scale: the scan of
         * :contains stops at the first 10,001 (15 ms, 190 ms whole). */
        struct fhir_ids one = {0};
        if (fhir_mailbox_pids(c, &q->mbox[i], &one, FHIR_CHECK_MAX) != 0) {
            free(one.v);
            free(set.v);
            return -1;
        }
        fhir_ids_and(&set, &have, &one);
    }
    int rc = have && set.n <= FHIR_CHECK_MAX ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < set.n; i++)
        fhir_roles_of(c, set.v[i], s);
    free(set.v);
    return rc;
}

int fhir_search_role(struct db_conn *c, const struct fhir_q *q,
                     struct fhir_hits *h, struct api_resp *out)
{
    struct date_plan dp;
    fhir_date_plan(c, q, &dp);
    if (q->stale || dp.none)
        return 0;
    if (q->active == 0)
        return role_gone(c, q, &dp, h, out);
    struct fhir_ids cand = {0}, page = {0}, rare = {0};
    long long total = 0;
    /* The role conditions: one no activity can pass finds nothing at
     * once; those of rare codes only give their activities (AND-ed),
     * exactly the match when they are all q asks. */
    int have_rare = 0, all_rare = 1;
    for (int i = 0; i < q->nroles; i++) {
        enum role_plan rp = role_codes_plan(c, &q->roles[i]);
        if (rp == ROLE_NONE) {
            free(rare.v);
            return 0;
        }
        if (rp == ROLE_SCAN) {
            all_rare = 0;
            continue;
        }
        struct fhir_ids s = {0};
        role_listed_aids(c, &q->roles[i], q->after_aid, &s);
        fhir_ids_and(&rare, &have_rare, &s);
    }
    /* The candidates from the ids, people or structures asked, the
     * activities of rare codes, or the roles of the people changed since
     * a date, else every activity (a scan, which the deadline bounds). */
    int listed = q->tid.n || q->prac.n || q->org.n;
    if (listed || dp.from) {
        free(rare.v);
        rare.v = NULL;
        have_rare = 0;
    }
    if (have_rare) {
        /* The rare codes' activities, in aid order: their list is the
         * match when nothing else is asked (no row read), each is
         * checked otherwise. */
        cand = rare;
        listed = 1;
        if (fhir_date_index(c, q, &dp) < 0) {
            free(cand.v);
            fhir_date_plan_release(&dp);
            fhir_error(out, 503, "exception", "database error");
            return -1;
        }
        if (all_rare && !q->nmbox && !dp.check) {
            for (size_t i = 0; i < cand.n; i++)
                fhir_take(q, &page, &total, cand.v[i]);
            free(cand.v);
            return fhir_hits_done(c, &page, total, h, out);
        }
    } else if (q->tid.n) {
        for (int i = 0; i < q->tid.n; i++) {
            long long aid;
            if (fhir_role_aid(c, q->tid.v[i], &aid) == 0)
                fhir_ids_push(&cand, aid);
        }
    } else if (q->prac.n) {
        for (int i = 0; i < q->prac.n; i++) {
            long long pid = record_find(c, q->prac.v[i]);
            if (pid)
                fhir_roles_of(c, pid, &cand);
        }
    } else if (q->org.n) {
        fhir_roles_of_orgs(c, q->org.v, (size_t)q->org.n, &cand);
    } else if (dp.from) {
        return role_delta(c, q, dp.from, h, out);
    } else if (q->nmbox && role_mailbox_cands(c, q, &cand) == 0) {
        listed = 1;
    } else if (dp.check) {
        /* Dates without a lower bound: from the change table's people
         * (fhir_date_index()); when the first import's day fails, their roles
         * are the candidates. */
        if (fhir_date_index(c, q, &dp) < 0) {
            fhir_date_plan_release(&dp);
            fhir_error(out, 503, "exception", "database error");
            return -1;
        }
        for (size_t i = 0; dp.ix && !dp.ix->floor_ok && i < dp.ix->pass.n; i++)
            fhir_roles_of(c, dp.ix->pass.v[i], &cand);
        listed = dp.ix && !dp.ix->floor_ok;
    }
    if (listed) {
        fhir_ids_sort(&cand);
        sqlite3_stmt *st = db_prepare_static(
            c, "SELECT " ROLE_COLS " FROM activity WHERE aid = ?1");
        /* A rare code's 48,000 activities at most, a row each. */
        db_budget(c, 0);
        for (size_t i = 0; st && i < cand.n && !db_expired(c); i++) {
            if (cand.v[i] <= q->after_aid)
                continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, cand.v[i]);
            if (sqlite3_step(st) == SQLITE_ROW &&
                role_ok(c, q, &dp, cand.v[i], st))
                fhir_take(q, &page, &total, cand.v[i]);
        }
        db_unbudget(c);
        db_done(st);
    } else {
        /* Every activity, in aid order after the cursor, the role codes
         * tested by SQLite (a row comes back only when it may pass):
         * stopped at the page's end, the total from the counts
         * (role_count()); where they cannot say, uncounted unless the
         * total is asked for, which reads every activity. */
        sqlite3_stmt *st = role_scan(c, q);
        long long known = -1;
        if (st && role_count(c, q, &dp, &known) < 0)
            known = -1;
        if (st && (known >= 0 || (!q->accurate && q->count > 0))) {
            int rc = role_stream(c, q, &dp, st, known, h, out);
            fhir_date_plan_release(&dp);
            return rc;
        }
        db_budget(c, 0);
        while (st && sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
            long long aid = sqlite3_column_int64(st, 0);
            if (role_ok(c, q, &dp, aid, st))
                fhir_take(q, &page, &total, aid);
        }
        db_unbudget(c);
        db_done(st);
    }
    free(cand.v);
    fhir_date_plan_release(&dp);
    return fhir_hits_done(c, &page, total, h, out);
}
