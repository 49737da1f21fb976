/* History across imports, as served: see changes.h. The feed reads the
 * change table newest first (seq descending, its rowid: no sort) and stops
 * at the page's end; the filters are tested on the rows it reads. Its three
 * formats share the query and differ only in how a row is written. The
 * 410 answers of removed professionals and mailboxes are query.c's, with
 * the state read here. */
#include "changes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "history.h"
#include "record.h"
#include "util.h"
#include "banned.h"

int changes_first_seen(struct db_conn *c, int kind, const char *id)
{
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT first_seen FROM history WHERE key = ?1");
    int day = 0;
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, history_key(kind, id, strlen(id)));
    if (sqlite3_step(st) == SQLITE_ROW)
        day = sqlite3_column_int(st, 0);
    db_done(st);
    return day;
}

int changes_since(struct db_conn *c)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT value FROM meta WHERE key = 'history_since'");
    int day = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        day = sqlite3_column_int(st, 0);
    db_done(st);
    return day;
}

/* The state from a live lookup (live_sql) then the gone table's
 * (gone_sql: row, first_seen, last_seen). */
static int state_of(struct db_conn *c, int kind, const char *id,
                    const char *live_sql, const char *gone_sql,
                    struct changes_state *s)
{
    memset(s, 0, sizeof(*s));
    sqlite3_stmt *st = db_prepare_static(c, live_sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->known = 1;
        s->row = sqlite3_column_int64(st, 0);
    }
    db_done(st);
    if (s->known) {
        s->first_seen = changes_first_seen(c, kind, id);
        return 0;
    }
    st = db_prepare_static(c, gone_sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->known = s->removed = 1;
        s->row = sqlite3_column_int64(st, 0);
        s->first_seen = sqlite3_column_int(st, 1);
        s->last_seen = sqlite3_column_int(st, 2);
    }
    db_done(st);
    return 0;
}

int changes_professional(struct db_conn *c, const char *nid,
                         struct changes_state *s)
{
    /* The most recent removal first, should one national id have gone
     * twice within the retention. */
    return state_of(c, HISTORY_PROFESSIONAL, nid,
                    "SELECT pid FROM professional WHERE national_id = ?1",
                    "SELECT pid, first_seen, last_seen FROM gone_professional"
                    " WHERE national_id = ?1 ORDER BY last_seen DESC LIMIT 1",
                    s);
}

int changes_mailbox(struct db_conn *c, const char *address,
                    struct changes_state *s)
{
    return state_of(c, HISTORY_MAILBOX, address,
                    "SELECT mid FROM mailbox WHERE address = ?1",
                    "SELECT mid, first_seen, last_seen FROM gone_mailbox"
                    " WHERE address = ?1 ORDER BY last_seen DESC LIMIT 1",
                    s);
}

int changes_list(struct db_conn *c, const struct changes_query *q,
                 void (*fn)(void *ctx, const struct changes_row *r), void *ctx,
                 int *more)
{
    /* The filters asked, and only those, in the statement (cached per
     * combination): each is then an index range read in seq order (an
     * index on a column lists equal keys by rowid), walked backwards from
     * the cursor, and the LIMIT stops it at the page's end. With no
     * filter, the table itself in rowid order. A department or postal
     * code also matches a changed activity's former one: two index ranges
     * (the value now; the former value where it differs, so that no row is
     * in both), each in seq order, merged by a UNION ALL that SQLite reads
     * as two ordered streams and stops at the LIMIT. Written as one OR,
     * SQLite read both ranges whole and sorted them: 4,294 rows for Paris
     * at full scale, p50 1.9 ms against 0.2 ms for the other filters. */
    char common[512], sql[2048];
    const char *on = NULL, *before = NULL, *param = NULL;
    snprintf(common, sizeof(common),
             "SELECT seq, day, kind, change, id, national_id, profession,"
             " dept, postcode, before, after FROM change WHERE seq < ?1"
             " AND day >= ?2%s%s%s",
             q->kind >= 0 ? " AND kind = ?3" : "",
             q->change >= 0 ? " AND change = ?4" : "",
             q->profession ? " AND profession = ?5" : "");
    if (q->dept) {
        on = "dept", before = "dept_before", param = "?6";
    } else if (q->postcode) {
        on = "postcode", before = "postcode_before", param = "?7";
    }
    /* With both, the postal code is a filter inside each department arm. */
    const char *pc = q->dept && q->postcode
                         ? " AND (postcode = ?7 OR postcode_before = ?7)"
                         : "";
    if (on)
        snprintf(sql, sizeof(sql),
                 "%s AND %s = %s%s UNION ALL %s AND %s = %s AND %s IS NOT %s%s"
                 " ORDER BY seq DESC LIMIT ?8",
                 common, on, param, pc, common, before, param, on, param, pc);
    else
        snprintf(sql, sizeof(sql), "%s ORDER BY seq DESC LIMIT ?8", common);
    sqlite3_stmt *st = db_prepare(c, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, q->before_seq > 0 ? q->before_seq : INT64_MAX);
    sqlite3_bind_int(st, 2, q->since);
    if (q->kind >= 0)
        sqlite3_bind_text(st, 3, history_kind_name(q->kind), -1, SQLITE_STATIC);
    if (q->change >= 0)
        sqlite3_bind_text(st, 4, history_change_name(q->change), -1,
                          SQLITE_STATIC);
    if (q->profession)
        sqlite3_bind_text(st, 5, q->profession, -1, SQLITE_STATIC);
    if (q->dept)
        sqlite3_bind_text(st, 6, q->dept, -1, SQLITE_STATIC);
    if (q->postcode)
        sqlite3_bind_text(st, 7, q->postcode, -1, SQLITE_STATIC);
    /* One more than the page, to know whether another follows. */
    sqlite3_bind_int(st, 8, q->limit + 1);
    int n = 0, rc;
    *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == q->limit) {
            *more = 1;
            break;
        }
        struct changes_row r = {
            .seq = sqlite3_column_int64(st, 0),
            .day = sqlite3_column_int(st, 1),
            .kind = db_text(st, 2),
            .change = db_text(st, 3),
            .id = db_text(st, 4),
            .national_id = db_text(st, 5),
            .profession = db_text(st, 6),
            .dept = db_text(st, 7),
            .postcode = db_text(st, 8),
            .before = db_text(st, 9),
            .after = db_text(st, 10),
        };
        fn(ctx, &r);
        n++;
    }
    int err = rc != SQLITE_ROW && rc != SQLITE_DONE;
    db_done(st);
    return err ? -1 : n;
}

/* ---- The request ---- */

enum fmt { FMT_JSON, FMT_CSV, FMT_ATOM };

/* The cursor: the last row's seq, in hex after a 'c' ("c1f4"): opaque to
 * clients (docs/api.md), stable across imports (seq never changes). */
static int cursor_parse(const char *s, long long *seq)
{
    if (s[0] != 'c' || !s[1] || strlen(s) > 16)
        return -1;
    char *end;
    long long v = strtoll(s + 1, &end, 16);
    if (*end || v <= 0)
        return -1;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
    *seq = v;
    return 0;
}

/* Parameters into q (and the format asked with format=, if allowed). 0,
 * or -1 with a 400 in out. */
static int parse_query(const struct api_req *r, struct changes_query *q,
                       enum fmt *f, int format_ok, struct api_resp *out)
{
    static const char *const allowed[] = {
        "since",    "kind",  "change", "profession", "dept",
        "postcode", "limit", "cursor", "format",     NULL};
    if (api_check_params(r, allowed, NULL, out) < 0)
        return -1;
    *q = (struct changes_query){
        .kind = -1, .change = -1, .limit = CHANGES_DEFAULT_LIMIT};
    const char *v;
    if ((v = api_param(r, "format"))) {
        if (!format_ok) {
            api_error(out, 400, "parameter 'format' is not taken here");
            return -1;
        }
        if (strcmp(v, "json") == 0)
            *f = FMT_JSON;
        else if (strcmp(v, "csv") == 0)
            *f = FMT_CSV;
        else if (strcmp(v, "atom") == 0)
            *f = FMT_ATOM;
        else {
            api_error(out, 400, "format: json, csv or atom");
            return -1;
        }
    }
    if ((v = api_param(r, "since")) && (q->since = history_day_parse(v)) < 0) {
        api_error(out, 400, "since: a date, YYYY-MM-DD");
        return -1;
    }
    if ((v = api_param(r, "kind")) && (q->kind = history_kind_of(v)) < 0) {
        api_error(out, 400, "kind: professional, activity or mailbox");
        return -1;
    }
    if ((v = api_param(r, "change")) &&
        (q->change = history_change_of(v)) < 0) {
        api_error(out, 400, "change: added, removed or changed");
        return -1;
    }
    q->profession = api_param(r, "profession");
    q->dept = api_param(r, "dept");
    q->postcode = api_param(r, "postcode");
    /* Codes are short: a longer value matches nothing and is a mistake. */
    if ((q->profession && strlen(q->profession) > 8) ||
        (q->dept && strlen(q->dept) > 3) ||
        (q->postcode && strlen(q->postcode) > 5)) {
        api_error(out, 400, "profession, dept or postcode: not a code");
        return -1;
    }
    if ((v = api_param(r, "limit"))) {
        char *end;
        long l = strtol(v, &end, 10);
        if (end == v || *end || l < 1 || l > CHANGES_MAX_LIMIT) {
            api_error(out, 400, "limit: 1 to %d", CHANGES_MAX_LIMIT);
            return -1;
        }
        q->limit = (int)l;
    }
    if ((v = api_param(r, "cursor")) && cursor_parse(v, &q->before_seq) < 0) {
        api_error(out, 400, "cursor: not one this server gave");
        return -1;
    }
    return 0;
}

/* The query string of the request without cursor (and format), for the
 * feed's links, URL-encoded, into b. */
static void query_without_cursor(const struct api_req *r, struct buf *b)
{
    for (size_t i = 0; i < r->nparams; i++) {
        const struct api_param *p = &r->params[i];
        if (strcmp(p->key, "cursor") == 0 || strcmp(p->key, "format") == 0)
            continue;
        buf_add(b, b->len ? "&" : "?", 1);
        for (int part = 0; part < 2; part++) {
            const char *s = part ? p->val : p->key;
            if (part)
                buf_add(b, "=", 1);
            for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
                    buf_add(b, s, 1);
                else
                    buf_addf(b, "%%%02X", ch);
            }
        }
    }
}

/* ---- JSON ---- */

struct page {
    struct buf *b;
    int n;
    long long last_seq;
    int newest_day;
};

static void put_day_str(struct buf *b, int day)
{
    char d[16];
    history_day_format(day, d);
    buf_addf(b, "\"%s\"", d);
}

static void json_row(void *ctx, const struct changes_row *r)
{
    struct page *p = ctx;
    struct buf *b = p->b;
    buf_addstr(b, p->n++ ? ",{\"date\":" : "{\"date\":");
    put_day_str(b, r->day);
    buf_addstr(b, ",\"kind\":");
    json_put_str(b, r->kind);
    buf_addstr(b, ",\"change\":");
    json_put_str(b, r->change);
    buf_addstr(b, ",\"id\":");
    json_put_str(b, r->id);
    buf_addstr(b, ",\"national_id\":");
    json_put_str(b, r->national_id);
    buf_addstr(b, ",\"profession\":");
    json_put_str(b, r->profession);
    buf_addstr(b, ",\"dept\":");
    json_put_str(b, r->dept);
    buf_addstr(b, ",\"postcode\":");
    json_put_str(b, r->postcode);
    /* before and after are the importer's JSON objects, written as they
     * are (carry.c makes them from valid UTF-8 with its escaper). */
    buf_addstr(b, ",\"before\":");
    buf_addstr(b, r->before ? r->before : "null");
    buf_addstr(b, ",\"after\":");
    buf_addstr(b, r->after ? r->after : "null");
    buf_add(b, "}", 1);
    p->last_seq = r->seq;
    if (!p->newest_day)
        p->newest_day = r->day;
}

/* ---- CSV (the conventions of export.c's: ';', CRLF, a BOM) ---- */

static const char *const csv_head[] = {"Date",
                                       "Objet",
                                       "Changement",
                                       "Identifiant",
                                       "Identification nationale PP",
                                       "Profession",
                                       "Département",
                                       "Code postal",
                                       "Avant",
                                       "Après"};
#define CSV_NCOL (sizeof(csv_head) / sizeof(csv_head[0]))

static void csv_row(void *ctx, const struct changes_row *r)
{
    struct page *p = ctx;
    char d[16];
    history_day_format(r->day, d);
    const char *f[CSV_NCOL] = {
        d,       r->kind,     r->change, r->id,   r->national_id, r->profession,
        r->dept, r->postcode, r->before, r->after};
    for (size_t i = 0; i < CSV_NCOL; i++)
        export_csv_field(p->b, f[i], i + 1 == CSV_NCOL, 0);
    p->n++;
    p->last_seq = r->seq;
}

/* ---- Atom (RFC 4287) ---- */

static void xml_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            buf_addstr(b, "&amp;");
            break;
        case '<':
            buf_addstr(b, "&lt;");
            break;
        case '>':
            buf_addstr(b, "&gt;");
            break;
        case '"':
            buf_addstr(b, "&quot;");
            break;
        default:
            buf_add(b, s, 1);
        }
    }
}

/* Entries are written to their own buffer: the feed's <updated> (the
 * newest entry's date) comes before them. */
static void atom_row(void *ctx, const struct changes_row *r)
{
    struct page *p = ctx;
    struct buf *b = p->b;
    char d[16];
    history_day_format(r->day, d);
    /* A tag URI (RFC 4151) per change: seq is unique and never reused. */
    buf_addf(b, "<entry><id>tag:rpps-search,2026:change:%lld</id><title>",
             r->seq);
    xml_text(b, r->kind);
    buf_add(b, " ", 1);
    xml_text(b, r->change);
    buf_addstr(b, ": ");
    xml_text(b, r->id);
    buf_addf(b, "</title><updated>%sT00:00:00Z</updated>", d);
    /* The thing's own answer: the record (410 once removed), the
     * mailbox. */
    const char *who =
        strcmp(r->kind ? r->kind : "", "mailbox") == 0 ? r->id : r->national_id;
    if (who) {
        buf_addstr(b, "<link rel=\"alternate\" href=\"");
        buf_addstr(b, strcmp(r->kind ? r->kind : "", "mailbox") == 0
                          ? "/v1/mssante/"
                          : "/v1/practitioners/");
        for (const char *s = who; *s; s++) {
            unsigned char ch = (unsigned char)*s;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9') || strchr("-._~@", ch))
                buf_add(b, s, 1);
            else
                buf_addf(b, "%%%02X", ch);
        }
        buf_addstr(b, "\"/>");
    }
    buf_addstr(b, "<category term=\"");
    xml_text(b, r->kind);
    buf_addstr(b, "\"/><category term=\"");
    xml_text(b, r->change);
    buf_addstr(b, "\"/><content type=\"text\">");
    if (r->before) {
        buf_addstr(b, "before: ");
        xml_text(b, r->before);
    }
    if (r->after) {
        buf_addstr(b, r->before ? "\nafter: " : "after: ");
        xml_text(b, r->after);
    }
    buf_addstr(b, "</content></entry>\n");
    p->n++;
    p->last_seq = r->seq;
    if (!p->newest_day)
        p->newest_day = r->day;
}

static void changes_answer(struct db_conn *c, const struct api_req *r,
                           struct api_resp *out, enum fmt f, int format_ok)
{
    struct changes_query q;
    if (parse_query(r, &q, &f, format_ok, out) < 0)
        return;
    struct buf b, items;
    buf_init(&b, API_MAX_BODY);
    buf_init(&items, API_MAX_BODY);
    struct page p = {.b = &items};
    int more = 0, n;
    void (*fn)(void *, const struct changes_row *) = f == FMT_JSON  ? json_row
                                                     : f == FMT_CSV ? csv_row
                                                                    : atom_row;
    n = changes_list(c, &q, fn, &p, &more);
    if (n < 0) {
        buf_release(&b);
        buf_release(&items);
        api_error(out, 503, "database error");
        return;
    }
    char next[32] = "";
    if (more)
        snprintf(next, sizeof(next), "c%llx", (unsigned long long)p.last_seq);
    int since = changes_since(c);
    if (f == FMT_JSON) {
        buf_addstr(&b, "{\"since\":");
        if (q.since)
            put_day_str(&b, q.since);
        else
            buf_addstr(&b, "null");
        buf_addstr(&b, ",\"history_since\":");
        if (since)
            put_day_str(&b, since);
        else
            buf_addstr(&b, "null");
        buf_addf(&b, ",\"count\":%d,\"next_cursor\":", n);
        if (more)
            buf_addf(&b, "\"%s\"", next);
        else
            buf_addstr(&b, "null");
        buf_addstr(&b, ",\"changes\":[");
        buf_add(&b, items.s, items.len);
        buf_addstr(&b, "]}");
        buf_release(&items);
        api_reply_text(r, out, 200, &b);
        return;
    }
    if (f == FMT_CSV) {
        /* The byte order mark, as export.c's CSV: a spreadsheet then
         * reads UTF-8. */
        buf_addstr(&b, "\xEF\xBB\xBF");
        for (size_t i = 0; i < CSV_NCOL; i++)
            export_csv_field(&b, csv_head[i], i + 1 == CSV_NCOL, 0);
        buf_add(&b, items.s, items.len);
        out->ctype = "text/csv; charset=utf-8; header=present";
        out->filename = "rpps-changements.csv";
    } else {
        struct buf qs;
        buf_init(&qs, 8192);
        query_without_cursor(r, &qs);
        char upd[16];
        history_day_format(
            p.newest_day ? p.newest_day : (since ? since : 19700101), upd);
        buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                       "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
                       "<id>tag:rpps-search,2026:changes");
        xml_text(&b, qs.s);
        buf_addstr(&b, "</id>\n<title>rpps-search: changes to the RPPS"
                       " directory</title>\n");
        buf_addf(&b, "<updated>%sT00:00:00Z</updated>\n", upd);
        buf_addstr(&b, "<author><name>rpps-search</name></author>\n"
                       "<link rel=\"self\" href=\"/v1/changes.atom");
        xml_text(&b, qs.s);
        buf_addstr(&b, "\"/>\n");
        if (more) {
            buf_addstr(&b, "<link rel=\"next\" href=\"/v1/changes.atom");
            xml_text(&b, qs.s);
            buf_addf(&b, "%scursor=%s\"/>\n", qs.len ? "&amp;" : "?", next);
        }
        buf_add(&b, items.s, items.len);
        buf_addstr(&b, "</feed>\n");
        buf_release(&qs);
        out->ctype = "application/atom+xml; charset=utf-8";
    }
    buf_release(&items);
    out->status = 200;
    out->text = buf_detach(&b, &out->textlen);
}

void api_changes(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    changes_answer(c, r, out, FMT_JSON, 1);
}

void api_changes_csv(struct db_conn *c, const struct api_req *r,
                     struct api_resp *out)
{
    changes_answer(c, r, out, FMT_CSV, 0);
}

void api_changes_atom(struct db_conn *c, const struct api_req *r,
                      struct api_resp *out)
{
    changes_answer(c, r, out, FMT_ATOM, 0);
}

/* ---- Status and metrics ---- */

json_t *changes_status_json(struct db_conn *c)
{
    int since = changes_since(c);
    char d[16];
    json_t *imports = json_array();
    /* The last 30 imports: a month of daily ones. */
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT day, built_at, history, counts FROM import"
                             " ORDER BY seq DESC LIMIT 30");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        history_day_format(sqlite3_column_int(st, 0), d);
        const char *counts = db_text(st, 3);
        json_t *cj = counts ? json_loads(counts, 0, NULL) : NULL;
        const char *h = db_text(st, 2);
        json_array_append_new(
            imports, json_pack("{s:s, s:s?, s:s?, s:o}", "date", d,
                               "imported_at", db_text(st, 1), "history", h,
                               "counts", cj ? cj : json_null()));
    }
    db_done(st);
    if (since)
        history_day_format(since, d);
    return json_pack("{s:o, s:o}", "since",
                     since ? json_string(d) : json_null(), "imports", imports);
}

void changes_metrics(struct db_conn *c, struct buf *b)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT counts FROM import ORDER BY seq DESC LIMIT 1");
    json_t *cj = NULL;
    if (st && sqlite3_step(st) == SQLITE_ROW && db_text(st, 0))
        cj = json_loads(db_text(st, 0), 0, NULL);
    db_done(st);
    buf_addstr(b, "# HELP rpps_import_changes Changes the last import found,"
                  " by kind and change.\n# TYPE rpps_import_changes gauge\n");
    for (int k = 0; k < HISTORY_KINDS; k++)
        for (int ch = 0; ch < HISTORY_CHANGES; ch++) {
            json_t *v =
                json_object_get(json_object_get(cj, history_kind_name(k)),
                                history_change_name(ch));
            buf_addf(b, "rpps_import_changes{kind=\"%s\",change=\"%s\"} %lld\n",
                     history_kind_name(k), history_change_name(ch),
                     json_is_integer(v) ? (long long)json_integer_value(v)
                                        : 0LL);
        }
    json_decref(cj);
}
