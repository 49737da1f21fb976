/* Parameter checking shared by every handler, and the handlers that are
 * single lookups: practitioner, mailbox, code lists, status, health. The
 * search itself is in search.c. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "changes.h"
#include "columns.h"
#include "record.h"
#include "fold.h"
#include "history.h"
#include "rowid.h"
#include "util.h"
#include "banned.h"

json_t *api_error_reset(struct api_resp *out, int status, const char *fmt,
                        va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (out->body)
        json_decref(out->body);
    out->body = NULL;
    free(out->text);
    out->text = NULL;
    out->status = status;
    /* The message may quote client input: keep it valid UTF-8. */
    json_t *m = json_string(msg);
    return m ? m : json_string("invalid request");
}

void api_error(struct api_resp *out, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *m = api_error_reset(out, status, fmt, ap);
    va_end(ap);
    out->body =
        json_pack("{s:{s:i, s:o}}", "error", "status", status, "message", m);
}

/* 1 if s is [a-z_] only (safe as a Prometheus label value). */
static int is_word(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
            return 0;
    return 1;
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

int api_check_params(const struct api_req *r, const char *const *allowed,
                     const char *const *multi, struct api_resp *out)
{
    if (r->nparams > API_MAX_PARAMS) {
        api_error(out, 400, "too many parameters (at most %d)", API_MAX_PARAMS);
        return -1;
    }
    for (size_t i = 0; i < r->nparams; i++) {
        const struct api_param *p = &r->params[i];
        if (!utf8_valid(p->key, p->klen)) {
            api_error(out, 400, "parameter name is not valid UTF-8");
            return -1;
        }
        if (!in_list(allowed, p->key) && strcmp(p->key, "pretty") != 0) {
            api_error(out, 400, "unknown parameter '%.64s'", p->key);
            return -1;
        }
        if (!utf8_valid(p->val, p->vlen)) {
            api_error(out, 400, "parameter '%s' is not valid UTF-8", p->key);
            return -1;
        }
        if (p->vlen > API_MAX_VALUE) {
            api_error(out, 400, "parameter '%s' is too long (at most %d bytes)",
                      p->key, API_MAX_VALUE);
            return -1;
        }
        if (in_list(multi, p->key))
            continue;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->params[j].key, p->key) == 0) {
                api_error(out, 400, "parameter '%s' given twice", p->key);
                return -1;
            }
        }
    }
    return 0;
}

void api_reply_text(const struct api_req *r, struct api_resp *out, int status,
                    struct buf *b)
{
    if (out->body)
        json_decref(out->body);
    out->body = NULL;
    out->status = status;
    if (r->text_ok) {
        out->text = buf_detach(b, &out->textlen);
        return;
    }
    json_error_t err;
    out->body = json_loadb(b->s, b->len, 0, &err);
    buf_release(b);
    if (!out->body)
        api_error(out, 503, "encoding: %s", err.text);
}

const char *api_param(const struct api_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].key, name) == 0)
            return r->params[i].val;
    return NULL;
}

static const char *const only_pretty[] = {NULL};

void api_practitioner(struct db_conn *c, const struct api_req *r,
                      struct api_resp *out)
{
    if (api_check_params(r, only_pretty, NULL, out) < 0)
        return;
    size_t n = strlen(r->rest);
    if (n == 0 || n > 32 || !utf8_valid(r->rest, n)) {
        api_error(out, n == 0 ? 404 : 400, "no such practitioner");
        return;
    }
    char id[40];
    /* Identifiers are upper case (ADELI may carry letters: 2A...). */
    for (size_t i = 0; i <= n; i++)
        id[i] = (char)toupper((unsigned char)r->rest[i]);
    long long pid = record_find(c, id);
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    if (!pid) {
        /* Removed within --keep-removed: 410 with the last known record,
         * by national id, RPPS or ADELI as record_find() looks. */
        struct changes_state gs = {0};
        char nid[48];
        size_t k = strlen(id);
        const char *tries[3] = {id, NULL, NULL};
        if (k == 11) {
            snprintf(nid, sizeof(nid), "8%s", id);
            tries[1] = nid;
        } else if (k == 9) {
            snprintf(nid, sizeof(nid), "0%s", id);
            tries[1] = nid;
        }
        for (int t = 0; tries[t] && !gs.removed; t++)
            if (changes_professional(c, tries[t], &gs) < 0) {
                buf_release(&b);
                api_error(out, 503, "database error");
                return;
            }
        if (gs.removed && record_write_gone(c, &b, gs.row) == 0) {
            api_reply_text(r, out, 410, &b);
            return;
        }
    }
    if (!pid || record_write(c, &b, pid, 1) < 0) {
        buf_release(&b);
        api_error(out, 404, "no practitioner with id '%s'", id);
        return;
    }
    /* As text (no parse and dump: a third of this request's time). */
    api_reply_text(r, out, 200, &b);
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

/* The mailbox columns api_mssante() reads, in its SELECT's order (as in
 * server/record.c): MB_x is column x's position. */
/* clang-format off */
#define MBX_COLS(F, X) F(address) X(type) X(national_id)                   \
    X(structure_id_type) X(structure_id) X(service) X(org_name)            \
    X(org_sign) X(addr_line2) X(addr_line3) X(street_number)               \
    X(street_repeat) X(street_type) X(street_name) X(addr_line5)           \
    X(addr_line6) X(postcode) X(dept) X(country) X(profession_code)        \
    X(specialty_code) X(last_name) X(first_name) X(mid)
/* clang-format on */
#define MB_POS(c) MB_##c,
enum { MBX_COLS(MB_POS, MB_POS) };
#define MB_IN(c) COLUMNS_IN(MAILBOX, c) &&
_Static_assert(MBX_COLS(MB_IN, MB_IN) 1,
               "columns of common/columns.h's mailbox");

void api_mssante(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    if (api_check_params(r, only_pretty, NULL, out) < 0)
        return;
    size_t n = strlen(r->rest);
    /* 320 is the longest valid e-mail address (RFC 3696 erratum: 254). */
    if (n == 0 || n > 320 || !utf8_valid(r->rest, n)) {
        api_error(out, n == 0 ? 404 : 400, "not a mailbox address");
        return;
    }
    char addr[321];
    for (size_t i = 0; i <= n; i++)
        addr[i] = (char)tolower((unsigned char)r->rest[i]);
    sqlite3_stmt *st = db_prepare(
        c,
        "SELECT " COLUMNS_SELECT(MBX_COLS) " FROM mailbox WHERE address = ?1");
    if (!st) {
        api_error(out, 503, "database error");
        return;
    }
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    int status = 200;
    struct changes_state gs = {0};
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        /* Removed within --keep-removed: 410 with its last known row. */
        if (changes_mailbox(c, addr, &gs) < 0 || !gs.removed ||
            !(st = db_prepare(c, "SELECT " COLUMNS_SELECT(
                                     MBX_COLS) " FROM gone_mailbox WHERE"
                                               " mid = ?1"))) {
            api_error(out, 404, "no mailbox '%s'", addr);
            return;
        }
        sqlite3_bind_int64(st, 1, gs.row);
        if (sqlite3_step(st) != SQLITE_ROW) {
            db_done(st);
            api_error(out, 404, "no mailbox '%s'", addr);
            return;
        }
        status = 410;
    }
    json_t *o =
        json_pack("{s:o, s:o}", "address", jstr(db_text(st, MB_address)),
                  "type", jstr(db_text(st, MB_type)));
    const char *nid = db_text(st, MB_national_id);
    char *nid_copy = nid ? xstrdup(nid) : NULL;
    /* A mailbox whose owner is a known professional sits in that
     * professional's rowid range; the others are numbered from
     * ROWID_ORPHAN (common/rowid.h). */
    long long owner =
        status == 410 ? 0 : rowid_pid(sqlite3_column_int64(st, MB_mid));
    /* The address lines: lines 2 and 3, the street's four parts joined
     * (-1 here), lines 5 and 6. */
    static const int line_cols[] = {MB_addr_line2, MB_addr_line3, -1,
                                    MB_addr_line5, MB_addr_line6};
    static const int street_cols[] = {MB_street_number, MB_street_repeat,
                                      MB_street_type, MB_street_name};
    json_t *lines = json_array();
    for (size_t i = 0; i < sizeof(line_cols) / sizeof(*line_cols); i++) {
        if (line_cols[i] >= 0) {
            if (db_text(st, line_cols[i]))
                json_array_append_new(lines, jstr(db_text(st, line_cols[i])));
            continue;
        }
        struct buf b;
        buf_init(&b, 1024);
        for (size_t k = 0; k < sizeof(street_cols) / sizeof(*street_cols);
             k++) {
            const char *s = db_text(st, street_cols[k]);
            if (s) {
                if (b.len)
                    buf_add(&b, " ", 1);
                buf_addstr(&b, s);
            }
        }
        if (b.len)
            json_array_append_new(lines, jstr(b.s));
        buf_release(&b);
    }
    json_object_set_new(
        o, "structure",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}}",
                  "id_type", jstr(db_text(st, MB_structure_id_type)), "id",
                  jstr(db_text(st, MB_structure_id)), "name",
                  jstr(db_text(st, MB_org_name)), "sign",
                  jstr(db_text(st, MB_org_sign)), "service",
                  jstr(db_text(st, MB_service)), "address", "lines", lines,
                  "postcode", jstr(db_text(st, MB_postcode)), "dept",
                  jstr(db_text(st, MB_dept)), "country",
                  jstr(db_text(st, MB_country))));
    const char *prof = db_text(st, MB_profession_code),
               *spec = db_text(st, MB_specialty_code);
    json_object_set_new(o, "profession",
                        prof ? json_pack("{s:o, s:o}", "code", jstr(prof),
                                         "label",
                                         jstr(db_label(c, "profession", prof)))
                             : json_null());
    json_object_set_new(o, "specialty",
                        spec ? json_pack("{s:o, s:o}", "code", jstr(spec),
                                         "label",
                                         jstr(db_label(c, "specialty", spec)))
                             : json_null());
    db_done(st);
    if (!owner && nid_copy) {
        /* Another type of mailbox (CAB, APP) naming a professional. */
        sqlite3_stmt *q = db_prepare(
            c, "SELECT pid FROM professional WHERE national_id = ?1");
        if (q) {
            sqlite3_bind_text(q, 1, nid_copy, -1, SQLITE_STATIC);
            if (sqlite3_step(q) == SQLITE_ROW)
                owner = sqlite3_column_int64(q, 0);
            db_done(q);
        }
    }
    json_t *who = owner ? record_json(c, owner, 0) : NULL;
    json_object_set_new(o, "owner_kind",
                        json_string(nid_copy ? "professional" : "structure"));
    json_object_set_new(o, "professional", who ? who : json_null());
    free(nid_copy);
    char d[16];
    int first = status == 410 ? gs.first_seen
                              : changes_first_seen(c, HISTORY_MAILBOX, addr);
    if (first)
        history_day_format(first, d);
    json_object_set_new(o, "first_seen", first ? json_string(d) : json_null());
    if (status == 410) {
        history_day_format(gs.last_seen, d);
        json_object_set_new(o, "last_seen", json_string(d));
        json_object_set_new(o, "removed", json_true());
    }
    out->status = status;
    out->body = o;
}

static void code_list(struct db_conn *c, const struct api_req *r,
                      struct api_resp *out, const char *list, const char *key)
{
    if (api_check_params(r, only_pretty, NULL, out) < 0)
        return;
    sqlite3_stmt *st =
        db_prepare(c, "SELECT code, label, count FROM code WHERE list = ?1"
                      " ORDER BY count DESC, code");
    if (!st) {
        api_error(out, 503, "database error");
        return;
    }
    sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
    json_t *arr = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            arr, json_pack("{s:o, s:o, s:I}", "code", jstr(db_text(st, 0)),
                           "label", jstr(db_text(st, 1)), "count",
                           (json_int_t)sqlite3_column_int64(st, 2)));
    db_done(st);
    out->status = 200;
    out->body = json_pack("{s:o}", key, arr);
}

void api_professions(struct db_conn *c, const struct api_req *r,
                     struct api_resp *out)
{
    code_list(c, r, out, "profession", "professions");
}

void api_specialties(struct db_conn *c, const struct api_req *r,
                     struct api_resp *out)
{
    code_list(c, r, out, "specialty", "specialties");
}

struct api_config api_config = {.stale_days = 3};

/* Seconds since the epoch of "YYYYMMDDhhmm" (an extract's file name stamp,
 * read as UTC: the extracts do not say their zone, and a day's threshold
 * does not care), or -1. */
static double stamp_time(const char *s)
{
    struct tm tm = {0};
    if (!s || strlen(s) != 12)
        return -1;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
                 (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = (s[8] - '0') * 10 + (s[9] - '0');
    tm.tm_min = (s[10] - '0') * 10 + (s[11] - '0');
    return (double)timegm(&tm);
}

/* Seconds since the epoch of meta.built_at ("2026-08-26T10:13:00Z"). */
static double iso_time(const char *s)
{
    struct tm tm = {0};
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The time of the oldest extract stamp (the data is as old as its oldest
 * part), else of the build; -1 if neither is known. */
static double data_time(struct db_conn *c, char *oldest, size_t n)
{
    double t = -1;
    oldest[0] = '\0';
    sqlite3_stmt *st =
        db_prepare(c, "SELECT stamp FROM extract WHERE stamp IS NOT NULL");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        double x = stamp_time(db_text(st, 0));
        if (x >= 0 && (t < 0 || x < t)) {
            t = x;
            snprintf(oldest, n, "%s", db_text(st, 0));
        }
    }
    db_done(st);
    if (t >= 0)
        return t;
    st = db_prepare(c, "SELECT value FROM meta WHERE key = 'built_at'");
    if (st && sqlite3_step(st) == SQLITE_ROW)
        t = iso_time(db_text(st, 0));
    db_done(st);
    return t;
}

void api_metrics_db(struct db_conn *c, struct buf *b)
{
    buf_addf(b,
             "# HELP rpps_build_info The server's version.\n"
             "# TYPE rpps_build_info gauge\n"
             "rpps_build_info{version=\"%s\"} 1\n"
             "# HELP rpps_database_loaded 1 while a database is served.\n"
             "# TYPE rpps_database_loaded gauge\n"
             "rpps_database_loaded %d\n",
             RPPS_VERSION, c != NULL);
    if (!c)
        return;
    double now = wall_now();
    buf_addf(b,
             "# HELP rpps_database_generation Database files served since"
             " start.\n# TYPE rpps_database_generation gauge\n"
             "rpps_database_generation %u\n",
             db_conn_gen(c));
    buf_addstr(b, "# HELP rpps_extract_timestamp_seconds Time stamp of each"
                  " imported extract (its file name's, else its"
                  " download's Last-Modified; UTC).\n"
                  "# TYPE rpps_extract_timestamp_seconds gauge\n");
    struct buf ages;
    buf_init(&ages, API_MAX_BODY);
    sqlite3_stmt *st = db_prepare(c, "SELECT kind, stamp FROM extract"
                                     " ORDER BY kind");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = db_text(st, 0);
        double t = stamp_time(db_text(st, 1));
        /* kind is one of four fixed words; anything else is skipped so
         * that the label needs no escaping. */
        if (!kind || t < 0 || !is_word(kind))
            continue;
        buf_addf(b, "rpps_extract_timestamp_seconds{kind=\"%s\"} %.0f\n", kind,
                 t);
        buf_addf(&ages, "rpps_extract_age_seconds{kind=\"%s\"} %.0f\n", kind,
                 now - t);
    }
    db_done(st);
    buf_addstr(b, "# HELP rpps_extract_age_seconds Age of each imported"
                  " extract.\n# TYPE rpps_extract_age_seconds gauge\n");
    if (ages.len)
        buf_add(b, ages.s, ages.len);
    buf_release(&ages);
    char oldest[16];
    double t = data_time(c, oldest, sizeof(oldest));
    buf_addf(b,
             "# HELP rpps_data_stale 1 when the oldest extract is older than"
             " --stale-days.\n# TYPE rpps_data_stale gauge\n"
             "rpps_data_stale %d\n",
             t >= 0 && now - t > api_config.stale_days * 86400.0);
    buf_addstr(b, "# HELP rpps_database_rows Rows per table, as the importer"
                  " counted them.\n# TYPE rpps_database_rows gauge\n");
    static const char *const tables[] = {
        "professionals", "activities", "specialties", "diplomas", "mailboxes"};
    st = db_prepare(c, "SELECT value FROM meta WHERE key = ?1");
    for (size_t i = 0; st && i < sizeof(tables) / sizeof(tables[0]); i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && db_text(st, 0))
            buf_addf(b, "rpps_database_rows{table=\"%s\"} %lld\n", tables[i],
                     sqlite3_column_int64(st, 0));
    }
    double built = -1;
    if (st) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, "built_at", -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            built = iso_time(db_text(st, 0));
    }
    db_done(st);
    changes_metrics(c, b);
    if (built >= 0)
        buf_addf(b,
                 "# HELP rpps_database_built_timestamp_seconds When the"
                 " importer built the database.\n"
                 "# TYPE rpps_database_built_timestamp_seconds gauge\n"
                 "rpps_database_built_timestamp_seconds %.0f\n",
                 built);
}

/* A source as /v1/status shows it: a URL ("scheme://...") without its
 * credentials (user:password@) and without its query string and fragment,
 * which can hold a token (a signed download link); a path as it is. The
 * importer records the source as it was given. Appended to b. */
static void put_source(struct buf *b, const char *src)
{
    const char *auth = strstr(src, "://");
    if (!auth) {
        buf_addstr(b, src);
        return;
    }
    auth += 3;
    size_t end = strcspn(auth, "/?#");
    const char *host = auth;
    for (size_t i = 0; i < end; i++)
        if (auth[i] == '@')
            host = auth + i + 1;
    buf_add(b, src, (size_t)(auth - src));
    buf_add(b, host, (size_t)(auth + end - host));
    const char *path = auth + end;
    buf_add(b, path, strcspn(path, "?#"));
}

static json_t *source_json(const char *src)
{
    if (!src)
        return json_null();
    struct buf b;
    buf_init(&b, 16384);
    put_source(&b, src);
    json_t *j = jstr(b.s ? b.s : "");
    buf_release(&b);
    return j;
}

void api_status(struct db_conn *c, const struct api_req *r,
                struct api_resp *out)
{
    if (api_check_params(r, only_pretty, NULL, out) < 0)
        return;
    json_t *meta = json_object();
    sqlite3_stmt *st = db_prepare(c, "SELECT key, value FROM meta");
    if (st) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *k = db_text(st, 0);
            if (!k)
                continue;
            if (strncmp(k, "source:", 7) != 0) {
                json_object_set_new(meta, k, jstr(db_text(st, 1)));
                continue;
            }
            /* "source:URL" -> the source's fingerprint. */
            struct buf key;
            buf_init(&key, 16384);
            buf_addstr(&key, "source:");
            put_source(&key, k + 7);
            if (key.s)
                json_object_set_new(meta, key.s, jstr(db_text(st, 1)));
            buf_release(&key);
        }
        db_done(st);
    }
    json_t *ex = json_array();
    st = db_prepare(c, "SELECT kind, source, member, stamp, columns, lines,"
                       " loaded, rejected, duplicates, origin, stamp_from"
                       " FROM extract");
    if (st) {
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(
                ex,
                json_pack(
                    "{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
                    "kind", jstr(db_text(st, 0)), "source",
                    source_json(db_text(st, 1)), "member", jstr(db_text(st, 2)),
                    "stamp", jstr(db_text(st, 3)), "columns",
                    (json_int_t)sqlite3_column_int64(st, 4), "lines",
                    (json_int_t)sqlite3_column_int64(st, 5), "loaded",
                    (json_int_t)sqlite3_column_int64(st, 6), "rejected",
                    (json_int_t)sqlite3_column_int64(st, 7), "duplicates",
                    (json_int_t)sqlite3_column_int64(st, 8), "origin",
                    jstr(db_text(st, 9)), "stamp_from", jstr(db_text(st, 10))));
        db_done(st);
    }
    char opened[32];
    time_t t = (time_t)db_opened_at(c);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(opened, sizeof(opened), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char oldest[16];
    double dt = data_time(c, oldest, sizeof(oldest));
    double age = dt >= 0 ? wall_now() - dt : -1;
    out->status = 200;
    out->body = json_pack(
        "{s:s, s:s, s:{s:o, s:s, s:I, s:o}, s:o, s:o}", "status", "ok",
        "version", RPPS_VERSION, "database", "path", jstr(db_path(c)),
        "opened_at", opened, "generation", (json_int_t)db_conn_gen(c),
        "built_at", jstr(json_string_value(json_object_get(meta, "built_at"))),
        "meta", meta, "extracts", ex);
    /* Stale: the oldest extract (else the build) is older than
     * --stale-days; unknown age counts as not stale. */
    json_object_set_new(out->body, "stale",
                        json_boolean(age > api_config.stale_days * 86400.0));
    json_object_set_new(out->body, "stale_days",
                        json_integer(api_config.stale_days));
    json_object_set_new(out->body, "oldest_extract",
                        oldest[0] ? json_string(oldest) : json_null());
    json_object_set_new(out->body, "data_age_seconds",
                        age >= 0 ? json_integer((json_int_t)age) : json_null());
    json_object_set_new(out->body, "history", changes_status_json(c));
}

void api_healthz(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    (void)r;
    out->status = 200;
    out->body = json_pack("{s:s, s:b}", "status", "ok", "database", c != NULL);
}

/* Readiness, for a load balancer or an orchestrator: 200 once a
 * generation serves (and all through a swap, the old one serving while
 * the new file loads), 503 before: "loading" while the first file is
 * being loaded, "unavailable" while no file the server can serve is at
 * the path. Parameters ignored, as /healthz's (a probe may add its own). */
void api_readyz(struct db_conn *c, const struct api_req *r,
                struct api_resp *out)
{
    (void)c;
    (void)r;
    enum db_state st = db_state();
    out->status = st == DB_READY ? 200 : 503;
    out->body = json_pack("{s:s, s:I}", "status",
                          st == DB_READY     ? "ready"
                          : st == DB_LOADING ? "loading"
                                             : "unavailable",
                          "generation", (json_int_t)db_generation());
}
