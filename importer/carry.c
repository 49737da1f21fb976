/* History across imports: see carry.h. The step, in order:
 *   1. scan the new file's professionals (with their specialties and
 *      activities, three cursors in pid order) and mailboxes into entries
 *      (the key of common/history.h, a 32-bit digest of the fields that
 *      matter, the rowid), sort them by key and store them packed in the
 *      file (digest.h), for the next import: on every import, a first one
 *      too;
 *   2. attach the old database read-only; a file this code cannot read as
 *      schema 3 means an import "without history" (nothing else changes);
 *      its entries are those its own import stored, read in key order,
 *      or, for a file built before they were stored, scanned as in 1;
 *   3. merge the two sides and the old history table (also in key order):
 *      each key is kept, added, removed or changed; the history table is
 *      written as it goes, the changed, added and removed rows are read
 *      again for their fields (a few thousand a day against millions);
 *   4. copy the removed professionals' and mailboxes' last known rows into
 *      the gone_* tables, with those of earlier imports still within
 *      --keep-removed, and the changes of earlier imports within
 *      --keep-changes.
 * Memory: 24 bytes an entry of the new file (116 MB at full scale), after
 * the build's own memory is freed; the old file's stored entries are read
 * one chunk at a time (a file without them: 116 MB more, once). */
#include "carry.h"

#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "columns.h"
#include "digest.h"
#include "rowid.h"
#include "sql.h"
#include "util.h"
#include "banned.h"

/* ---- The fields that matter, per kind ----
 * What a correspondent's address book cares about: a digest of them tells
 * a change, and a change lists those that differ. The SQL of each kind
 * selects, for one row (?1 its rowid), the id's parts, then these fields,
 * then profession, department and postal code for the change's filters. */

/* professional: its names, title, profession and specialties (the codes,
 * sorted, comma-separated: group_concat's form). */
static const char *const pro_fields[] = {
    "last_name", "first_name", "title_code", "profession_code", "specialties"};
#define PRO_NF 5
static const char pro_row_sql[] =
    "SELECT p.national_id, p.last_name, p.first_name, p.title_code,"
    " p.profession_code, (SELECT group_concat(code, ',') FROM (SELECT code"
    " FROM %s.specialty WHERE pid = ?1 ORDER BY code)), p.profession_code,"
    " (SELECT dept_code FROM %s.activity WHERE aid" ROWID_RANGE_SQL
    " ORDER BY aid LIMIT 1), (SELECT postcode FROM %s.activity WHERE"
    " aid" ROWID_RANGE_SQL " ORDER BY aid LIMIT 1)"
    " FROM %s.professional p WHERE p.pid = ?1";

/* activity: its structure, its address, its phones. */
static const char *const act_fields[] = {
    "structure_id", "structure_name", "siret",
    "finess",       "street_number",  "street_repeat",
    "street_type",  "street_name",    "postcode",
    "city",         "phone",          "phone2",
    "fax"};
#define ACT_NF 13
#define ACT_COLS_SQL                                                           \
    "a.structure_id, a.structure_name, a.siret, a.finess, a.street_number,"    \
    " a.street_repeat, a.street_type, a.street_name, a.postcode, a.city,"      \
    " a.phone, a.phone2, a.fax"
static const char act_row_sql[] =
    "SELECT p.national_id, " ACT_COLS_SQL ", a.profession_code, a.dept_code,"
    " a.postcode FROM %s.activity a JOIN %s.professional p"
    " ON p.pid = " ROWID_PID_SQL("a.aid") " WHERE a.aid = ?1";

/* mailbox: its owner (a professional's national id, or, for a mailbox of
 * no professional, its structure's id) and its type. A professional's
 * mailbox also names the structure of their practice, which moves with
 * them: not an owner, not a change of the mailbox. */
static const char *const mbx_fields[] = {"type", "national_id", "structure_id"};
#define MBX_NF 3
#define MBX_STRUCTURE_SQL "CASE WHEN national_id IS NULL THEN structure_id END"
static const char mbx_row_sql[] =
    "SELECT address, type, national_id, " MBX_STRUCTURE_SQL ","
    " profession_code, dept, postcode FROM %s.mailbox WHERE mid = ?1";

static const char *const *const kind_fields[HISTORY_KINDS] = {
    pro_fields, act_fields, mbx_fields};
static const int kind_nf[HISTORY_KINDS] = {PRO_NF, ACT_NF, MBX_NF};

/* ---- Entries (digest.h) ---- */

/* The digest: FNV-1a over the values, each ended by 0x1f, a NULL as 0x1e
 * alone (so NULL and "" differ, and no two lists of values give the same
 * bytes). */
static uint32_t digest_add(uint32_t h, const char *s)
{
    if (!s) {
        h ^= 0x1e;
        h *= 16777619u;
    } else {
        for (; *s; s++) {
            h ^= (unsigned char)*s;
            h *= 16777619u;
        }
    }
    h ^= 0x1f;
    h *= 16777619u;
    return h;
}
#define DIGEST_INIT 2166136261u

static void push(struct digest_list *l, int kind, const char *id,
                 uint32_t digest, int64_t ref)
{
    struct digest_entry e = {history_key(kind, id, strlen(id)), digest,
                             (uint32_t)kind, ref};
    digest_list_push(l, &e);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        log_error("sqlite: %s (%.60s...)", sqlite3_errmsg(db), sql);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* A statement for schema (main or old) from a format with %s for it. */
static sqlite3_stmt *prepare_in(sqlite3 *db, const char *fmt,
                                const char *schema)
{
    char sql[2048];
    snprintf(sql, sizeof(sql), fmt, schema, schema, schema, schema);
    return prepare(db, sql);
}

/* Structures seen so far among one professional's activities, for the
 * rank in the activity's id. */
struct seen_st {
    char **v;
    size_t n, cap;
};

static int seen_rank(struct seen_st *ss, const char *st)
{
    int n = 1;
    const char *k = st ? st : "";
    for (size_t i = 0; i < ss->n; i++)
        if (strcmp(ss->v[i], k) == 0)
            n++;
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? ss->cap * 2 : 8;
        ss->v = xrealloc(ss->v, ss->cap * sizeof(*ss->v));
    }
    ss->v[ss->n++] = xstrdup(k);
    return n;
}

static void seen_clear(struct seen_st *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        free(ss->v[i]);
    ss->n = 0;
}

/* One professional's activities (a's rows of pid, the cursor's current
 * row first): an entry each, a's next row after them in *row. */
static void scan_pro_activities(sqlite3_stmt *a, int *row, int64_t pid,
                                const char *nid, struct seen_st *ss,
                                struct digest_list *e)
{
    seen_clear(ss);
    while (*row == SQLITE_ROW && rowid_pid(sqlite3_column_int64(a, 0)) == pid) {
        const char *st = col_text(a, 1);
        char id[HISTORY_ID_MAX];
        history_activity_id(id, nid, st, seen_rank(ss, st));
        uint32_t h = DIGEST_INIT;
        for (int i = 0; i < ACT_NF; i++)
            h = digest_add(h, col_text(a, 1 + i));
        push(e, HISTORY_ACTIVITY, id, h, sqlite3_column_int64(a, 0));
        *row = sqlite3_step(a);
    }
}

/* Professionals, with their specialties and activities alongside: three
 * cursors read in pid order together (an activity's aid holds its pid),
 * each table once, rather than each activity joined to its professional
 * (a B-tree search per row). */
static int scan_persons(sqlite3 *db, const char *schema, struct digest_list *e)
{
    sqlite3_stmt *p =
        prepare_in(db,
                   "SELECT pid, national_id, last_name, first_name, title_code,"
                   " profession_code FROM %s.professional ORDER BY pid",
                   schema);
    sqlite3_stmt *s = prepare_in(
        db, "SELECT pid, code FROM %s.specialty ORDER BY pid, code", schema);
    sqlite3_stmt *a = prepare_in(
        db, "SELECT a.aid, " ACT_COLS_SQL " FROM %s.activity a ORDER BY a.aid",
        schema);
    int rc = -1, srow = -1, arow = -1;
    struct seen_st ss = {0};
    struct buf spec;
    buf_init(&spec, 1 << 20);
    if (!p || !s || !a)
        goto out;
    srow = sqlite3_step(s);
    arow = sqlite3_step(a);
    int prow;
    while ((prow = sqlite3_step(p)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(p, 0);
        const char *nid = col_text(p, 1);
        /* Rows of no professional (none in a good file), skipped as the
         * join did. */
        while (srow == SQLITE_ROW && sqlite3_column_int64(s, 0) < pid)
            srow = sqlite3_step(s);
        while (arow == SQLITE_ROW &&
               rowid_pid(sqlite3_column_int64(a, 0)) < pid)
            arow = sqlite3_step(a);
        if (!nid)
            continue;
        uint32_t h = DIGEST_INIT;
        for (int i = 2; i <= 5; i++)
            h = digest_add(h, col_text(p, i));
        buf_reset(&spec);
        while (srow == SQLITE_ROW && sqlite3_column_int64(s, 0) == pid) {
            if (spec.len)
                buf_add(&spec, ",", 1);
            buf_addstr(&spec, col_text(s, 1) ? col_text(s, 1) : "");
            srow = sqlite3_step(s);
        }
        h = digest_add(h, spec.len ? spec.s : NULL);
        push(e, HISTORY_PROFESSIONAL, nid, h, pid);
        scan_pro_activities(a, &arow, pid, nid, &ss, e);
    }
    if (prow != SQLITE_DONE || (srow != SQLITE_DONE && srow != SQLITE_ROW) ||
        (arow != SQLITE_DONE && arow != SQLITE_ROW)) {
        log_warn("history: %s: %s", schema, sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    seen_clear(&ss);
    free(ss.v);
    buf_release(&spec);
    sqlite3_finalize(p);
    sqlite3_finalize(s);
    sqlite3_finalize(a);
    return rc;
}

static int scan_mailboxes(sqlite3 *db, const char *schema,
                          struct digest_list *e)
{
    sqlite3_stmt *s =
        prepare_in(db,
                   "SELECT mid, address, type, national_id, " MBX_STRUCTURE_SQL
                   " FROM %s.mailbox",
                   schema);
    int rc = -1, row;
    if (!s)
        return -1;
    while ((row = sqlite3_step(s)) == SQLITE_ROW) {
        const char *addr = col_text(s, 1);
        if (!addr)
            continue;
        uint32_t h = DIGEST_INIT;
        for (int i = 0; i < MBX_NF; i++)
            h = digest_add(h, col_text(s, 2 + i));
        push(e, HISTORY_MAILBOX, addr, h, sqlite3_column_int64(s, 0));
    }
    if (row != SQLITE_DONE)
        log_warn("history: %s: %s", schema, sqlite3_errmsg(db));
    else
        rc = 0;
    sqlite3_finalize(s);
    return rc;
}

/* Every entry of a side, sorted by key, the keys two ids share marked
 * DIGEST_COLLIDED. 0, or -1 (logged). */
static int scan_side(sqlite3 *db, const char *schema, struct digest_list *e)
{
    /* Sized at once from the side's own counts (its meta table). */
    char sql[512];
    double t = now_s(), c = cpu_s();
    snprintf(sql, sizeof(sql),
             "SELECT sum(value) FROM %s.meta WHERE key IN ('professionals',"
             " 'activities', 'mailboxes')",
             schema);
    long long want = sql_count(db, sql);
    if (want > 0 && want < (1LL << 32))
        digest_list_reserve(e, (size_t)want + 1);
    if (scan_persons(db, schema, e) < 0 || scan_mailboxes(db, schema, e) < 0)
        return -1;
    double t1 = now_s(), c1 = cpu_s();
    digest_list_sort(e);
    size_t nc = digest_list_mark_collisions(e);
    if (nc)
        log_warn("history: %s: %zu keys shared by two ids: their history is "
                 "dropped",
                 schema, nc);
    log_debug("history: %s: %zu entries scanned in %.2f s (cpu %.2f s),"
              " sorted in %.2f s (cpu %.2f s)",
              schema, e->n, t1 - t, c1 - c, now_s() - t1, cpu_s() - c1);
    return 0;
}

/* ---- A row's fields, for a change ---- */

struct row {
    char *id, *nid, *profession, *dept, *postcode;
    char *f[ACT_NF]; /* the kind's fields (ACT_NF is the most) */
};

static char *dup_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void row_clear(struct row *r)
{
    free(r->id);
    free(r->nid);
    free(r->profession);
    free(r->dept);
    free(r->postcode);
    for (int i = 0; i < ACT_NF; i++)
        free(r->f[i]);
    memset(r, 0, sizeof(*r));
}

/* The statements that read one row of each kind, per side. */
struct readers {
    sqlite3_stmt *row[HISTORY_KINDS];
    sqlite3_stmt *rank; /* an activity's rank at its structure */
};

static int readers_open(sqlite3 *db, const char *schema, struct readers *rd)
{
    rd->row[HISTORY_PROFESSIONAL] = prepare_in(db, pro_row_sql, schema);
    rd->row[HISTORY_ACTIVITY] = prepare_in(db, act_row_sql, schema);
    rd->row[HISTORY_MAILBOX] = prepare_in(db, mbx_row_sql, schema);
    /* clang-format off */
    rd->rank = prepare_in(db,
        "SELECT count(*) FROM %s.activity WHERE aid >= "
        ROWID_FIRST_SQL(ROWID_PID_SQL("?1")) " AND aid < ?1"
        " AND structure_id IS ?2",
        schema);
    /* clang-format on */
    for (int k = 0; k < HISTORY_KINDS; k++)
        if (!rd->row[k])
            return -1;
    return rd->rank ? 0 : -1;
}

static void readers_close(struct readers *rd)
{
    for (int k = 0; k < HISTORY_KINDS; k++)
        sqlite3_finalize(rd->row[k]);
    sqlite3_finalize(rd->rank);
    memset(rd, 0, sizeof(*rd));
}

/* Row ref of kind into r. 0, or -1 (logged). */
static int read_row(sqlite3 *db, struct readers *rd, int kind, int64_t ref,
                    struct row *r)
{
    sqlite3_stmt *s = rd->row[kind];
    int nf = kind_nf[kind], rc = -1;
    sqlite3_bind_int64(s, 1, ref);
    if (sqlite3_step(s) != SQLITE_ROW) {
        log_warn("history: row %lld of %s: %s", (long long)ref,
                 history_kind_name(kind), sqlite3_errmsg(db));
        goto out;
    }
    for (int i = 0; i < nf; i++)
        r->f[i] = dup_opt(col_text(s, 1 + i));
    r->profession = dup_opt(col_text(s, 1 + nf));
    r->dept = dup_opt(col_text(s, 2 + nf));
    r->postcode = dup_opt(col_text(s, 3 + nf));
    const char *first = col_text(s, 0);
    if (kind == HISTORY_MAILBOX) {
        r->id = dup_opt(first);
        r->nid = dup_opt(r->f[1]);
    } else {
        r->nid = dup_opt(first);
    }
    if (kind == HISTORY_PROFESSIONAL)
        r->id = dup_opt(first);
    if (kind == HISTORY_ACTIVITY && first) {
        sqlite3_stmt *q = rd->rank;
        char id[HISTORY_ID_MAX];
        sqlite3_bind_int64(q, 1, ref);
        sql_bind_opt(q, 2, r->f[0]);
        int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
        sqlite3_reset(q);
        history_activity_id(id, first, r->f[0], n + 1);
        r->id = xstrdup(id);
    }
    rc = r->id ? 0 : -1;
out:
    sqlite3_reset(s);
    return rc;
}

/* ---- JSON of the fields ---- */

static void json_str(struct buf *b, const char *s)
{
    if (!s) {
        buf_addstr(b, "null");
        return;
    }
    buf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf_add(b, "\\", 1);
            buf_add(b, s, 1);
        } else if (c < 0x20) {
            buf_addf(b, "\\u%04x", c);
        } else {
            buf_add(b, s, 1);
        }
    }
    buf_add(b, "\"", 1);
}

/* Field i of kind's value v: the specialties as an array of codes. */
static void json_field(struct buf *b, int kind, int i, const char *v)
{
    json_str(b, kind_fields[kind][i]);
    buf_add(b, ":", 1);
    if (kind != HISTORY_PROFESSIONAL || i != PRO_NF - 1) {
        json_str(b, v);
        return;
    }
    buf_add(b, "[", 1);
    while (v && *v) {
        size_t k = strcspn(v, ",");
        char *code = xstrndup(v, k);
        json_str(b, code);
        free(code);
        v += k;
        if (*v == ',') {
            v++;
            buf_add(b, ",", 1);
        }
    }
    buf_add(b, "]", 1);
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The fields of r (all, or those differing from other) as a JSON object
 * into b. The count of fields written. */
static int json_fields(struct buf *b, int kind, const struct row *r,
                       const struct row *other)
{
    int n = 0;
    buf_add(b, "{", 1);
    for (int i = 0; i < kind_nf[kind]; i++) {
        if (other && same(r->f[i], other->f[i]))
            continue;
        if (n++)
            buf_add(b, ",", 1);
        json_field(b, kind, i, r->f[i]);
    }
    buf_add(b, "}", 1);
    return n;
}

/* ---- The step ---- */

struct step {
    sqlite3 *db;
    int day, old_day, cut_removed;
    struct carry_result *r;
    struct readers rn, ro;
    sqlite3_stmt *ins_hist, *ins_change, *ins_gone_pro, *ins_gone_mbx;
    int64_t seq;     /* the last change's */
    long long ngone; /* gids given */
};

static void bind_day(sqlite3_stmt *s, int i, int day)
{
    if (day > 0)
        sqlite3_bind_int(s, i, day);
    else
        sqlite3_bind_null(s, i);
}

static int put_history(struct step *st, int64_t key, int first, int last)
{
    sqlite3_stmt *s = st->ins_hist;
    sqlite3_bind_int64(s, 1, key);
    bind_day(s, 2, first);
    bind_day(s, 3, last);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        log_error("sqlite: history: %s", sqlite3_errmsg(st->db));
        return -1;
    }
    return 0;
}

/* One change of kind: n (the new row) and/or o (the old one) read, their
 * fields compared, a row of the change table. 0 (also when a digest
 * collision hid no difference), or -1 (logged). */
static int put_change(struct step *st, int kind, int change,
                      const struct digest_entry *n,
                      const struct digest_entry *o)
{
    struct row rn = {0}, ro = {0};
    struct buf before, after;
    int rc = -1;
    buf_init(&before, 1 << 20);
    buf_init(&after, 1 << 20);
    if ((n && read_row(st->db, &st->rn, kind, n->ref, &rn) < 0) ||
        (o && read_row(st->db, &st->ro, kind, o->ref, &ro) < 0))
        goto out;
    if (o && json_fields(&before, kind, &ro, n ? &rn : NULL) == 0 && n) {
        rc = 0; /* nothing that matters differs */
        goto out;
    }
    if (n)
        json_fields(&after, kind, &rn, o ? &ro : NULL);
    const struct row *cur = n ? &rn : &ro;
    sqlite3_stmt *s = st->ins_change;
    sqlite3_bind_int64(s, 1, ++st->seq);
    sqlite3_bind_int(s, 2, st->day);
    sqlite3_bind_text(s, 3, history_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, history_change_name(change), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, cur->id, -1, SQLITE_STATIC);
    sql_bind_opt(s, 6, cur->nid ? cur->nid : (o ? ro.nid : NULL));
    sql_bind_opt(s, 7, cur->profession);
    sql_bind_opt(s, 8, cur->dept);
    sql_bind_opt(s, 9, cur->postcode);
    if (n && o && !same(rn.dept, ro.dept))
        sql_bind_opt(s, 10, ro.dept);
    else
        sqlite3_bind_null(s, 10);
    if (n && o && !same(rn.postcode, ro.postcode))
        sql_bind_opt(s, 11, ro.postcode);
    else
        sqlite3_bind_null(s, 11);
    if (o)
        sqlite3_bind_text(s, 12, before.s, (int)before.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 12);
    if (n)
        sqlite3_bind_text(s, 13, after.s, (int)after.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 13);
    int sr = sqlite3_step(s);
    sqlite3_clear_bindings(s);
    sqlite3_reset(s);
    if (sr != SQLITE_DONE) {
        log_error("sqlite: change: %s", sqlite3_errmsg(st->db));
        goto out;
    }
    st->r->n[kind][change]++;
    rc = 0;
out:
    row_clear(&rn);
    row_clear(&ro);
    buf_release(&before);
    buf_release(&after);
    return rc;
}

/* A removed professional or mailbox, noted for the gone_* copies. */
static int note_gone(struct step *st, const struct digest_entry *o, int first)
{
    sqlite3_stmt *s;
    if (o->kind == HISTORY_PROFESSIONAL) {
        s = st->ins_gone_pro;
        sqlite3_bind_int64(s, 1, o->ref);
        sqlite3_bind_int64(s, 2, ++st->ngone);
        bind_day(s, 3, first);
        sqlite3_bind_int(s, 4, st->old_day);
    } else if (o->kind == HISTORY_MAILBOX) {
        s = st->ins_gone_mbx;
        sqlite3_bind_int64(s, 1, o->ref);
        bind_day(s, 2, first);
        sqlite3_bind_int(s, 3, st->old_day);
    } else {
        return 0;
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        log_error("sqlite: gone: %s", sqlite3_errmsg(st->db));
        return -1;
    }
    return 0;
}

/* An old history entry (key, first_seen, last_seen; 0 for NULL). */
struct hist {
    int64_t key;
    int first, last;
    int valid;
};

static int hist_next(sqlite3_stmt *s, struct hist *h)
{
    int rc = sqlite3_step(s);
    h->valid = rc == SQLITE_ROW;
    if (!h->valid)
        return rc == SQLITE_DONE ? 0 : -1;
    h->key = sqlite3_column_int64(s, 0);
    h->first = sqlite3_column_int(s, 1);
    h->last = sqlite3_column_int(s, 2);
    return 0;
}

/* One side of the merge, read in key order: a list in memory, or the
 * old file's stored digests. */
struct side {
    const struct digest_list *l;
    size_t i;
    struct digest_reader *rd;
    struct digest_entry cur;
    int valid;
};

static int side_next(struct side *sd)
{
    if (sd->rd) {
        int r = digest_reader_next(sd->rd, &sd->cur);
        sd->valid = r > 0;
        return r < 0 ? -1 : 0;
    }
    sd->valid = sd->i < sd->l->n;
    if (sd->valid)
        sd->cur = sd->l->v[sd->i++];
    return 0;
}

/* The current entry of sd if its key is k, taken into e (sd moves on):
 * e, else NULL. *err set on a read error. */
static const struct digest_entry *side_take(struct side *sd, int64_t k,
                                            struct digest_entry *e, int *err)
{
    if (!sd->valid || sd->cur.key != k)
        return NULL;
    *e = sd->cur;
    if (side_next(sd) < 0)
        *err = 1;
    return e;
}

/* The merge (step 3). 0, or -1 (logged). */
static int merge(struct step *st, struct side *ns, struct side *os)
{
    sqlite3_stmt *hs =
        prepare(st->db, "SELECT key, first_seen, last_seen FROM old.history"
                        " ORDER BY key");
    struct hist h;
    int rc = -1, err = 0;
    if (!hs || hist_next(hs, &h) < 0 || side_next(ns) < 0 || side_next(os) < 0)
        goto out;
    while (ns->valid || os->valid || h.valid) {
        int64_t k = INT64_MAX;
        if (ns->valid && ns->cur.key < k)
            k = ns->cur.key;
        if (os->valid && os->cur.key < k)
            k = os->cur.key;
        if (h.valid && h.key < k)
            k = h.key;
        struct digest_entry ne, oe;
        const struct digest_entry *n = side_take(ns, k, &ne, &err);
        const struct digest_entry *o = side_take(os, k, &oe, &err);
        struct hist hh = {0};
        if (err)
            goto out;
        if (h.valid && h.key == k) {
            hh = h;
            if (hist_next(hs, &h) < 0)
                goto out;
        }
        /* A collision: skip every entry of that key. */
        if ((n && n->kind == DIGEST_COLLIDED) ||
            (o && o->kind == DIGEST_COLLIDED)) {
            while (ns->valid && ns->cur.key == k)
                if (side_next(ns) < 0)
                    goto out;
            while (os->valid && os->cur.key == k)
                if (side_next(os) < 0)
                    goto out;
            continue;
        }
        if (n && o) {
            if (hh.first && put_history(st, k, hh.first, 0) < 0)
                goto out;
            if (n->digest != o->digest &&
                put_change(st, (int)n->kind, HISTORY_CHANGED, n, o) < 0)
                goto out;
        } else if (n) {
            /* New, or back: first seen stays the first time, if known. */
            if (put_history(st, k, hh.first ? hh.first : st->day, 0) < 0 ||
                put_change(st, (int)n->kind, HISTORY_ADDED, n, NULL) < 0)
                goto out;
        } else if (o) {
            if (put_history(st, k, hh.first, st->old_day) < 0 ||
                put_change(st, (int)o->kind, HISTORY_REMOVED, NULL, o) < 0 ||
                note_gone(st, o, hh.first) < 0)
                goto out;
        } else if (hh.last && hh.last >= st->cut_removed) {
            /* Removed by an earlier import, still kept. */
            if (put_history(st, k, hh.first, hh.last) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0 && hs)
        log_warn("history: merge: %s", sqlite3_errmsg(st->db));
    sqlite3_finalize(hs);
    return rc;
}

/* The columns of a table but its key, "a.c1, a.c2..." with prefix. */
static void cols_but_key(struct buf *b, const char *const *cols, size_t n,
                         const char *prefix)
{
    for (size_t i = 1; i < n; i++)
        buf_addf(b, "%s%s%s", i > 1 ? ", " : "", prefix, cols[i]);
}

static const char *const pro_cols[] = {TABLE_PROFESSIONAL(COLUMNS_NAME)};
static const char *const act_cols[] = {TABLE_ACTIVITY(COLUMNS_NAME)};
static const char *const spe_cols[] = {TABLE_SPECIALTY(COLUMNS_NAME)};
static const char *const dip_cols[] = {TABLE_DIPLOMA(COLUMNS_NAME)};
static const char *const mbx_cols[] = {TABLE_MAILBOX(COLUMNS_NAME)};
#define NCOLS(a) (sizeof(a) / sizeof(*(a)))

/* Runs the statement made by fmt with the column lists filled in. */
static int exec_cols(sqlite3 *db, const char *fmt, const char *const *cols,
                     size_t n)
{
    struct buf a, sql;
    buf_init(&a, 1 << 16);
    buf_init(&sql, 1 << 16);
    cols_but_key(&a, cols, n, "r.");
    /* fmt has one %s: the columns, prefixed r. */
    buf_addf(&sql, fmt, a.s);
    int rc = sql_exec(db, sql.s);
    buf_release(&a);
    buf_release(&sql);
    return rc;
}

/* Step 4: the removed professionals' rows (this import's and those kept),
 * the removed mailboxes, the earlier changes and imports. */
static int copy_gone(struct step *st, int cut_changes)
{
    sqlite3 *db = st->db;
    char sql[2048];
    /* Kept from earlier imports: not back, and within --keep-removed;
     * their gids follow this import's. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO temp.keep_pro SELECT pid, %lld + row_number() OVER"
             " (ORDER BY pid) FROM old.gone_professional WHERE last_seen >= %d"
             " AND national_id NOT IN (SELECT national_id FROM"
             " main.professional)",
             st->ngone, st->cut_removed);
    if (sql_exec(db, sql) < 0)
        return -1;
    /* The professionals, then their rows, re-keyed by gid. */
    if (exec_cols(db,
                  "INSERT INTO main.gone_professional SELECT m.first_seen,"
                  " m.last_seen, m.gid, %s FROM temp.gone_pro m JOIN"
                  " old.professional r ON r.pid = m.old",
                  pro_cols, NCOLS(pro_cols)) < 0 ||
        exec_cols(db,
                  "INSERT INTO main.gone_professional SELECT r.first_seen,"
                  " r.last_seen, m.gid, %s FROM temp.keep_pro m JOIN"
                  " old.gone_professional r ON r.pid = m.old",
                  pro_cols, NCOLS(pro_cols)) < 0)
        return -1;
    static const struct {
        const char *table, *key;
        const char *const *cols;
        size_t n;
    } owned[] = {
        {"activity", "aid", act_cols, NCOLS(act_cols)},
        {"diploma", "did", dip_cols, NCOLS(dip_cols)},
    };
    for (size_t t = 0; t < NCOLS(owned); t++) {
        for (int kept = 0; kept < 2; kept++) {
            char fmt[1024];
            /* clang-format off */
            snprintf(fmt, sizeof(fmt),
                     "INSERT INTO main.gone_%s SELECT "
                     ROWID_MAKE_SQL("m.gid", ROWID_SEQ_SQL("r.%s")) ", %%s"
                     " FROM temp.%s m JOIN old.%s%s r"
                     " ON r.%s" ROWID_BETWEEN_SQL("m.old"),
                     owned[t].table, owned[t].key,
                     kept ? "keep_pro" : "gone_pro", kept ? "gone_" : "",
                     owned[t].table, owned[t].key);
            /* clang-format on */
            if (exec_cols(db, fmt, owned[t].cols, owned[t].n) < 0)
                return -1;
        }
    }
    for (int kept = 0; kept < 2; kept++) {
        char fmt[1024];
        snprintf(
            fmt, sizeof(fmt),
            "INSERT INTO main.gone_specialty SELECT m.gid, %%s FROM temp.%s m"
            " JOIN old.%sspecialty r ON r.pid = m.old",
            kept ? "keep_pro" : "gone_pro", kept ? "gone_" : "");
        if (exec_cols(db, fmt, spe_cols, NCOLS(spe_cols)) < 0)
            return -1;
    }
    /* Mailboxes: those in a removed professional's range go with them
     * (their dates those of the mailbox if it went too, else the
     * professional's); the others removed now, and those kept, are
     * numbered from ROWID_ORPHAN up. */
    /* clang-format off */
    if (exec_cols(db,
            "INSERT INTO main.gone_mailbox SELECT x.first_seen,"
            " coalesce(x.last_seen, m.last_seen), "
            ROWID_MAKE_SQL("m.gid", ROWID_SEQ_SQL("r.mid")) ", %s"
            " FROM temp.gone_pro m JOIN old.mailbox r"
            " ON r.mid" ROWID_BETWEEN_SQL("m.old")
            " LEFT JOIN temp.gone_mbx x ON x.old = r.mid",
            mbx_cols, NCOLS(mbx_cols)) < 0 ||
        exec_cols(db,
            "INSERT INTO main.gone_mailbox SELECT r.first_seen, r.last_seen, "
            ROWID_MAKE_SQL("m.gid", ROWID_SEQ_SQL("r.mid")) ", %s"
            " FROM temp.keep_pro m JOIN old.gone_mailbox r"
            " ON r.mid" ROWID_BETWEEN_SQL("m.old"),
            mbx_cols, NCOLS(mbx_cols)) < 0)
        return -1;
    /* clang-format on */
    char fmt[1024];
    snprintf(fmt, sizeof(fmt),
             "INSERT INTO main.gone_mailbox SELECT x.first_seen, x.last_seen,"
             " %lld + row_number() OVER (ORDER BY r.mid), %%s FROM"
             " temp.gone_mbx x JOIN old.mailbox r ON r.mid = x.old WHERE NOT"
             " EXISTS (SELECT 1 FROM temp.gone_pro g WHERE g.old ="
             " " ROWID_PID_SQL("r.mid") ")",
             (long long)rowid_orphan(0));
    if (exec_cols(db, fmt, mbx_cols, NCOLS(mbx_cols)) < 0)
        return -1;
    long long top = sql_count(db, "SELECT coalesce(max(mid), 0) FROM"
                                  " main.gone_mailbox");
    if (top < rowid_orphan(0))
        top = rowid_orphan(0);
    snprintf(fmt, sizeof(fmt),
             "INSERT INTO main.gone_mailbox SELECT r.first_seen, r.last_seen,"
             " %lld + row_number() OVER (ORDER BY r.mid), %%s FROM"
             " old.gone_mailbox r WHERE r.mid >= %lld AND r.last_seen >= %d"
             " AND r.address NOT IN (SELECT address FROM main.mailbox)",
             top + 1, (long long)rowid_orphan(0), st->cut_removed);
    if (exec_cols(db, fmt, mbx_cols, NCOLS(mbx_cols)) < 0)
        return -1;
    snprintf(sql, sizeof(sql),
             "INSERT INTO main.change SELECT * FROM old.change WHERE day >= %d;"
             "INSERT INTO main.import SELECT * FROM old.import WHERE day >= %d",
             cut_changes, cut_changes);
    return sql_exec(db, sql);
}

/* 1 if the attached old database is one whose history this code reads
 * (schema 3 with its tables), 0 if not (why in why). -1 on a read error. */
static int old_usable(sqlite3 *db, char *why, size_t n)
{
    long long v = sql_count(db, "PRAGMA old.user_version");
    if (v < 0)
        return -1;
    if (v != 3) {
        snprintf(why, n, "the previous database has schema %lld, not 3", v);
        return 0;
    }
    long long t = sql_count(
        db, "SELECT count(*) FROM old.sqlite_master WHERE type = 'table' AND"
            " name IN ('history', 'change', 'import', 'gone_professional',"
            " 'gone_activity', 'gone_specialty', 'gone_diploma',"
            " 'gone_mailbox', 'professional', 'activity', 'specialty',"
            " 'mailbox', 'meta')");
    if (t < 0)
        return -1;
    if (t != 13) {
        snprintf(why, n, "the previous database lacks history tables");
        return 0;
    }
    return 1;
}

/* A file name as an SQLite URI (file:PATH?mode=ro): every byte but
 * letters, digits and "/._-" percent-encoded. */
static void uri_of(struct buf *b, const char *path)
{
    buf_addstr(b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/._-", *p))
            buf_add(b, p, 1);
        else
            buf_addf(b, "%%%02X", *p);
    }
    buf_addstr(b, "?mode=ro");
}

/* The carry itself, inside the savepoint, against ne, the new file's
 * entries (released here once merged): -1 on any error (logged as a
 * warning: the caller rolls back and imports without history). */
static int carry(struct step *st, const struct carry_opts *o,
                 struct digest_list *ne)
{
    sqlite3 *db = st->db;
    struct digest_list oe = {0};
    struct digest_reader rd = {0};
    struct side ns = {.l = ne}, os = {.l = &oe};
    int rc = -1;
    char sql[256];
    long long od = sql_count(db, "SELECT value FROM old.meta"
                                 " WHERE key = 'extract_day'");
    st->old_day = od > 0 ? (int)od : 0;
    if (!st->old_day) {
        log_warn("history: the previous database has no extract_day");
        goto out;
    }
    long long seq = sql_count(db, "SELECT value FROM old.meta"
                                  " WHERE key = 'change_seq'");
    st->seq = seq > 0 ? seq : 0;
    /* The old file's entries as its import stored them, read as a stream;
     * a file built before they were stored is scanned and sorted as the
     * new one was (once: this import stores its own). */
    int stored = digest_reader_open(&rd, db, "old");
    if (stored < 0)
        goto out;
    if (stored) {
        log_debug("history: the previous database's stored entries read");
        os.rd = &rd;
    } else {
        log_debug("history: the previous database has no stored digests:"
                  " its tables are read");
        if (scan_side(db, "old", &oe) < 0)
            goto out;
    }
    if (readers_open(db, "main", &st->rn) < 0 ||
        readers_open(db, "old", &st->ro) < 0)
        goto out;
    if (sql_exec(db, "CREATE TEMP TABLE gone_pro (old INTEGER PRIMARY KEY, gid"
                     " INTEGER, first_seen INTEGER, last_seen INTEGER);"
                     "CREATE TEMP TABLE gone_mbx (old INTEGER PRIMARY KEY,"
                     " first_seen INTEGER, last_seen INTEGER);"
                     "CREATE TEMP TABLE keep_pro (old INTEGER PRIMARY KEY, gid"
                     " INTEGER)") < 0)
        goto out;
    st->ins_hist = prepare(db, "INSERT INTO main.history VALUES (?,?,?)");
    st->ins_change = prepare(
        db, "INSERT INTO main.change VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    st->ins_gone_pro =
        prepare(db, "INSERT INTO temp.gone_pro VALUES (?,?,?,?)");
    st->ins_gone_mbx = prepare(db, "INSERT INTO temp.gone_mbx VALUES (?,?,?)");
    if (!st->ins_hist || !st->ins_change || !st->ins_gone_pro ||
        !st->ins_gone_mbx)
        goto out;
    /* The entries no longer needed once merged: both sides freed before
     * the copies. */
    double t = now_s(), c = cpu_s();
    if (merge(st, &ns, &os) < 0)
        goto out;
    digest_reader_close(&rd);
    digest_list_release(ne);
    digest_list_release(&oe);
    log_debug("history: merged in %.2f s (cpu %.2f s)", now_s() - t,
              cpu_s() - c);
    t = now_s();
    c = cpu_s();
    int cut_changes = history_day_add(st->day, -o->keep_changes);
    if (copy_gone(st, cut_changes) < 0)
        goto out;
    st->r->gone = (unsigned long long)sql_count(
        db, "SELECT count(*) FROM main.gone_professional");
    snprintf(sql, sizeof(sql),
             "INSERT INTO main.meta SELECT 'history_since', value FROM old.meta"
             " WHERE key = 'history_since'");
    if (sql_exec(db, sql) < 0)
        goto out;
    log_debug("history: removed rows and earlier changes copied in %.2f s"
              " (cpu %.2f s)",
              now_s() - t, cpu_s() - c);
    rc = 0;
out:
    digest_reader_close(&rd);
    digest_list_release(&oe);
    readers_close(&st->rn);
    readers_close(&st->ro);
    sqlite3_finalize(st->ins_hist);
    sqlite3_finalize(st->ins_change);
    sqlite3_finalize(st->ins_gone_pro);
    sqlite3_finalize(st->ins_gone_mbx);
    st->ins_hist = st->ins_change = st->ins_gone_pro = st->ins_gone_mbx = NULL;
    return rc;
}

/* This import's row of the import table and its meta keys. */
static int write_import(struct step *st, const char *built_at)
{
    sqlite3 *db = st->db;
    struct buf counts;
    struct carry_result *r = st->r;
    int rc = -1;
    buf_init(&counts, 4096);
    buf_add(&counts, "{", 1);
    for (int k = 0; k < HISTORY_KINDS; k++) {
        buf_addf(&counts, "%s\"%s\":{", k ? "," : "", history_kind_name(k));
        for (int c = 0; c < HISTORY_CHANGES; c++)
            buf_addf(&counts, "%s\"%s\":%llu", c ? "," : "",
                     history_change_name(c), r->n[k][c]);
        buf_add(&counts, "}", 1);
    }
    buf_add(&counts, "}", 1);
    sqlite3_stmt *s = prepare(
        db, "INSERT INTO main.import VALUES ((SELECT coalesce(max(seq), 0) + 1"
            " FROM main.import), ?, ?, ?, ?)");
    if (!s)
        goto out;
    char hist[256];
    if (r->carried)
        snprintf(hist, sizeof(hist), "carried");
    else
        snprintf(hist, sizeof(hist), "none: %s", r->why);
    sqlite3_bind_int(s, 1, st->day);
    sqlite3_bind_text(s, 2, built_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, hist, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, counts.s, (int)counts.len, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        log_error("sqlite: import: %s", sqlite3_errmsg(db));
        goto out;
    }
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO main.meta VALUES ('extract_day', '%d');"
             "INSERT INTO main.meta VALUES ('change_seq', '%lld');"
             "INSERT OR IGNORE INTO main.meta VALUES ('history_since', '%d');"
             "INSERT INTO main.meta VALUES ('history', '%s')",
             st->day, (long long)st->seq, st->day,
             r->carried ? "carried" : "none");
    if (sql_exec(db, sql) < 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(s);
    buf_release(&counts);
    return rc;
}

/* The old file's schema, read on a connection of its own: 0 if SQLite
 * reads it, else -1 with why. */
static int probe(const char *path, char *why, size_t n)
{
    sqlite3 *db = NULL;
    int rc = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL,
                     NULL) == SQLITE_OK)
        rc = 0;
    else
        snprintf(why, n, "the previous database cannot be read: %s",
                 db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return rc;
}

int carry_history(sqlite3 *db, int day, const char *built_at,
                  const struct carry_opts *o, struct carry_result *r)
{
    struct step st = {.db = db, .day = day, .r = r};
    struct digest_list ne = {0};
    struct stat sb;
    int attached = 0;
    memset(r, 0, sizeof(*r));
    r->day = day;
    st.cut_removed = history_day_add(day, -o->keep_removed);
    /* Rolled back if the old file fails us half-way: a journal in memory
     * (the build's own is off), for the step's few pages. The build's
     * page cache (256 MiB) shrunk meanwhile: the scans read each table
     * once, in order, and the new file's list of entries (116 MB at full
     * scale; the old file's is read as a stream) then fits within the
     * build's peak; the caller's size is put back. */
    long long cache = sql_count(db, "PRAGMA main.cache_size");
    if (sql_exec(db, "PRAGMA main.cache_size=-16384;"
                     "PRAGMA journal_mode=MEMORY; BEGIN") < 0)
        return -1;
    /* glibc keeps what the build freed (its lists, the parse threads'
     * arenas, the page cache just shrunk) in its arenas: given back to the
     * system before the step allocates its own, which would otherwise
     * come on top of it. */
    malloc_trim(0);
    /* The new file's entries, on every import (a first one too), stored
     * for the next import before anything of the old file is read: they
     * outlive a carry rolled back. */
    double t = now_s(), c = cpu_s();
    if (scan_side(db, "main", &ne) < 0 || digest_store(db, &ne) < 0) {
        digest_list_release(&ne);
        return -1;
    }
    log_debug("history: this database's %zu entries read and stored in"
              " %.2f s (cpu %.2f s)",
              ne.n, now_s() - t, cpu_s() - c);
    if (!o->old_db || stat(o->old_db, &sb) != 0) {
        snprintf(r->why, sizeof(r->why),
                 "first import (no previous "
                 "database)");
    } else if (probe(o->old_db, r->why, sizeof(r->why)) < 0) {
        /* Not attached at all: a schema SQLite cannot read, once attached,
         * fails every later statement of the connection. */
    } else {
        struct buf uri;
        buf_init(&uri, 16384);
        uri_of(&uri, o->old_db);
        sqlite3_stmt *s = prepare(db, "ATTACH ?1 AS old");
        if (s) {
            sqlite3_bind_text(s, 1, uri.s, -1, SQLITE_STATIC);
            attached = sqlite3_step(s) == SQLITE_DONE;
            if (!attached)
                snprintf(r->why, sizeof(r->why),
                         "the previous database cannot be opened: %s",
                         sqlite3_errmsg(db));
            sqlite3_finalize(s);
            /* A file SQLite could not read may stay attached all the same:
             * detached, so that nothing after reads it. */
            if (!attached)
                sqlite3_exec(db, "DETACH old", NULL, NULL, NULL);
        }
        buf_release(&uri);
        int usable = 0;
        if (attached) {
            if (sql_exec(db, "SAVEPOINT carry") < 0) {
                digest_list_release(&ne);
                return -1;
            }
            usable = old_usable(db, r->why, sizeof(r->why));
            if (usable < 0)
                snprintf(r->why, sizeof(r->why),
                         "the previous database cannot be read: %s",
                         sqlite3_errmsg(db));
        }
        int ok = usable > 0 && carry(&st, o, &ne) == 0;
        digest_list_release(&ne);
        if (ok) {
            r->carried = 1;
            if (sql_exec(db, "RELEASE carry") < 0)
                return -1;
        } else if (attached) {
            if (usable > 0)
                snprintf(r->why, sizeof(r->why),
                         "the previous database could not be read whole");
            memset(r->n, 0, sizeof(r->n));
            st.seq = 0;
            r->gone = 0;
            if (sql_exec(db, "ROLLBACK TO carry; RELEASE carry") < 0)
                return -1;
        }
    }
    digest_list_release(&ne);
    /* A first import has no past: said, not warned. */
    if (!r->carried && !o->old_db)
        log_info("no history carried: %s", r->why);
    else if (!r->carried && stat(o->old_db, &sb) != 0)
        log_info("no history carried: %s", r->why);
    else if (!r->carried)
        log_warn("no history carried: %s", r->why);
    if (write_import(&st, built_at) < 0 || sql_exec(db, "COMMIT") < 0)
        return -1;
    if (attached && sql_exec(db, "DETACH old") < 0)
        return -1;
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA main.cache_size=%lld", cache);
    return sql_exec(db, sql);
}
