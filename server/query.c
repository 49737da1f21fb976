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
#include "fold.h"
#include "util.h"
#include "banned.h"

void api_error(struct api_resp *out, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (out->body)
        json_decref(out->body);
    free(out->text);
    out->text = NULL;
    out->status = status;
    /* The message may quote client input: keep it valid UTF-8. */
    json_t *m = json_string(msg);
    if (!m)
        m = json_string("invalid request");
    out->body = json_pack("{s:{s:i, s:o}}", "error", "status", status,
                          "message", m);
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
        api_error(out, 400, "too many parameters (at most %d)",
                  API_MAX_PARAMS);
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
            api_error(out, 400, "parameter '%s' is not valid UTF-8",
                      p->key);
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

void api_reply_text(const struct api_req *r, struct api_resp *out,
                    int status, struct buf *b)
{
    if (out->body)
        json_decref(out->body);
    out->body = NULL;
    out->status = status;
    if (r->text_ok) {
        out->text = b->s ? b->s : xstrdup("");
        out->textlen = b->len;
        b->s = NULL;
        b->len = b->cap = 0;
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
    json_t *o = pid ? record_json(c, pid, 1) : NULL;
    if (!o) {
        api_error(out, 404, "no practitioner with id '%s'", id);
        return;
    }
    out->status = 200;
    out->body = o;
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

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
        c, "SELECT address, type, national_id, structure_id_type,"
           " structure_id, service, org_name, org_sign, addr_line2,"
           " addr_line3, street_number, street_repeat, street_type,"
           " street_name, addr_line5, addr_line6, postcode, dept, country,"
           " profession_code, specialty_code, last_name, first_name, mid"
           " FROM mailbox WHERE address = ?1");
    if (!st) {
        api_error(out, 503, "database error");
        return;
    }
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        api_error(out, 404, "no mailbox '%s'", addr);
        return;
    }
    json_t *o = json_pack("{s:o, s:o}", "address", jstr(db_text(st, 0)),
                          "type", jstr(db_text(st, 1)));
    const char *nid = db_text(st, 2);
    char *nid_copy = nid ? xstrdup(nid) : NULL;
    /* A mailbox whose owner is a known professional sits in that
     * professional's rowid range (mid = pid << 20 | seq); the others are
     * numbered from 2^50. */
    long long mid = sqlite3_column_int64(st, 23);
    long long owner = mid < (1LL << 50) ? mid >> 20 : 0;
    json_t *lines = json_array();
    for (int i = 8; i <= 15; i++) {
        if (i >= 10 && i <= 13) {
            if (i == 10) {
                struct buf b;
                buf_init(&b, 1024);
                for (int k = 10; k <= 13; k++) {
                    const char *s = db_text(st, k);
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
            continue;
        }
        if (db_text(st, i))
            json_array_append_new(lines, jstr(db_text(st, i)));
    }
    json_object_set_new(
        o, "structure",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}}",
                  "id_type", jstr(db_text(st, 3)), "id",
                  jstr(db_text(st, 4)), "name", jstr(db_text(st, 6)), "sign",
                  jstr(db_text(st, 7)), "service", jstr(db_text(st, 5)),
                  "address", "lines", lines, "postcode",
                  jstr(db_text(st, 16)), "dept", jstr(db_text(st, 17)),
                  "country", jstr(db_text(st, 18))));
    const char *prof = db_text(st, 19), *spec = db_text(st, 20);
    json_object_set_new(
        o, "profession",
        prof ? json_pack("{s:o, s:o}", "code", jstr(prof), "label",
                         jstr(db_label(c, "profession", prof)))
             : json_null());
    json_object_set_new(
        o, "specialty",
        spec ? json_pack("{s:o, s:o}", "code", jstr(spec), "label",
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
    out->status = 200;
    out->body = o;
}

static void code_list(struct db_conn *c, const struct api_req *r,
                      struct api_resp *out, const char *list,
                      const char *key)
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
            if (k)
                json_object_set_new(meta, k, jstr(db_text(st, 1)));
        }
        db_done(st);
    }
    json_t *ex = json_array();
    st = db_prepare(c, "SELECT kind, source, member, stamp, columns, lines,"
                       " loaded, rejected, duplicates FROM extract");
    if (st) {
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(
                ex,
                json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
                          "kind", jstr(db_text(st, 0)), "source",
                          jstr(db_text(st, 1)), "member",
                          jstr(db_text(st, 2)), "stamp",
                          jstr(db_text(st, 3)), "columns",
                          (json_int_t)sqlite3_column_int64(st, 4), "lines",
                          (json_int_t)sqlite3_column_int64(st, 5), "loaded",
                          (json_int_t)sqlite3_column_int64(st, 6),
                          "rejected",
                          (json_int_t)sqlite3_column_int64(st, 7),
                          "duplicates",
                          (json_int_t)sqlite3_column_int64(st, 8)));
        db_done(st);
    }
    char opened[32];
    time_t t = (time_t)c->opened_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(opened, sizeof(opened), "%Y-%m-%dT%H:%M:%SZ", &tm);
    out->status = 200;
    out->body = json_pack(
        "{s:s, s:s, s:{s:o, s:s, s:I, s:o}, s:o, s:o}", "status", "ok",
        "version", RPPS_VERSION, "database", "path", jstr(c->path),
        "opened_at", opened, "generation", (json_int_t)c->gen, "built_at",
        jstr(json_string_value(json_object_get(meta, "built_at"))), "meta",
        meta, "extracts", ex);
}

void api_healthz(struct db_conn *c, const struct api_req *r,
                 struct api_resp *out)
{
    (void)r;
    out->status = 200;
    out->body = json_pack("{s:s, s:b}", "status", "ok", "database",
                          c != NULL);
}
