/* One professional as the API shows it: identity, profession, specialties,
 * MSSanté mailboxes and activities (and diplomas in the full record), with
 * labels from the code table. Each part is one range read on its table's
 * primary key (a professional's rows are pid << 20 | seq, clustered), on a
 * cached statement. */
#include <string.h>

#include "api.h"
#include "util.h"
#include "banned.h"

/* Never NULL (json_pack's "o" would fail the whole object): a string that
 * is not valid UTF-8, which the importer should never have let in, shows as
 * null. */
static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

/* {code, label} or null when code is NULL. */
static json_t *coded(struct db_conn *c, const char *list, const char *code)
{
    if (!code)
        return json_null();
    return json_pack("{s:o, s:o}", "code", str_or_null(code), "label",
                     str_or_null(db_label(c, list, code)));
}

/* The rowid range of a professional's rows: ?1 .. ?2. */
#define PID_RANGE " BETWEEN ?1 << 20 AND (?1 << 20) | 1048575"

static void add_specialties(struct db_conn *c, json_t *o, long long pid)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_prepare(c, "SELECT code, type_code FROM specialty"
                                     " WHERE pid = ?1 ORDER BY code");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *code = db_text(st, 0);
            const char *type = db_text(st, 1);
            if (!code)
                continue;
            json_array_append_new(
                arr, json_pack("{s:o, s:o, s:o}", "code", str_or_null(code), "label",
                               str_or_null(db_label(c, "specialty", code)),
                               "type", coded(c, "specialty_type", type)));
        }
        db_done(st);
    }
    json_object_set_new(o, "specialties", arr);
}

static void add_mailboxes(struct db_conn *c, json_t *o, long long pid)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_prepare(c, "SELECT address, type FROM mailbox"
                                     " WHERE mid" PID_RANGE
                                     " ORDER BY address");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *addr = db_text(st, 0);
            if (addr)
                json_array_append_new(
                    arr, json_pack("{s:o, s:o}", "address", str_or_null(addr), "type",
                                   str_or_null(db_text(st, 1))));
        }
        db_done(st);
    }
    json_object_set_new(o, "mssante", arr);
}

/* "12 B RUE DE LA PAIX": the parts that are present, space-separated. */
static json_t *street_line(sqlite3_stmt *st, int first)
{
    struct buf b;
    buf_init(&b, 1024);
    for (int i = first; i < first + 4; i++) {
        const char *s = db_text(st, i);
        if (!s)
            continue;
        if (b.len)
            buf_add(&b, " ", 1);
        buf_addstr(&b, s);
    }
    json_t *j = b.len ? json_string(b.s) : NULL;
    buf_release(&b);
    return j;
}

#define ACT_COLS                                                               \
    "mode_code, sector_code, structure_name, structure_sign, siret,"           \
    " finess, addr_recipient, addr_geo, street_number, street_repeat,"         \
    " street_type, street_name, addr_distribution, cedex_office, postcode,"    \
    " city, insee, dept_code, country, phone, email, role_code, genre_code,"   \
    " section_code"

static void add_activities(struct db_conn *c, json_t *o, long long pid,
                           int full)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_prepare(c, "SELECT " ACT_COLS " FROM activity"
                                     " WHERE aid" PID_RANGE " ORDER BY aid");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *lines = json_array();
            const char *s;
            if ((s = db_text(st, 6)))
                json_array_append_new(lines, json_string(s));
            if ((s = db_text(st, 7)))
                json_array_append_new(lines, json_string(s));
            json_t *street = street_line(st, 8);
            if (street)
                json_array_append_new(lines, street);
            if ((s = db_text(st, 12)))
                json_array_append_new(lines, json_string(s));
            /* The town: the commune's name, else the cedex office's
             * ("01012 BOURG EN BRESSE CEDEX" -> after the code). */
            const char *city = db_text(st, 15);
            const char *cedex = db_text(st, 13);
            json_t *jcity;
            if (city) {
                jcity = json_string(city);
            } else if (cedex) {
                const char *sp = strchr(cedex, ' ');
                jcity = json_string(sp ? sp + 1 : cedex);
            } else {
                jcity = json_null();
            }
            const char *name = db_text(st, 2);
            json_t *a = json_pack(
                "{s:o, s:o, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o, s:o, s:o}, "
                "s:o, s:o}",
                "mode", coded(c, "mode", db_text(st, 0)), "sector",
                coded(c, "sector", db_text(st, 1)), "structure", "name",
                str_or_null(name ? name : db_text(st, 3)), "siret",
                str_or_null(db_text(st, 4)), "finess",
                str_or_null(db_text(st, 5)), "address", "lines", lines,
                "postcode", str_or_null(db_text(st, 14)), "city", jcity,
                "insee", str_or_null(db_text(st, 16)), "dept",
                str_or_null(db_text(st, 17)), "phone",
                str_or_null(db_text(st, 19)), "email",
                str_or_null(db_text(st, 20)));
            if (full) {
                json_object_set_new(json_object_get(a, "structure"), "sign",
                                    str_or_null(db_text(st, 3)));
                json_object_set_new(json_object_get(a, "address"), "country",
                                    str_or_null(db_text(st, 18)));
                json_object_set_new(a, "role",
                                    coded(c, "role", db_text(st, 21)));
                json_object_set_new(a, "genre",
                                    coded(c, "genre", db_text(st, 22)));
                json_object_set_new(a, "section",
                                    coded(c, "section", db_text(st, 23)));
            }
            json_array_append_new(arr, a);
        }
        db_done(st);
    }
    json_object_set_new(o, "activities", arr);
}

static void add_diplomas(struct db_conn *c, json_t *o, long long pid)
{
    json_t *arr = json_array();
    sqlite3_stmt *st = db_prepare(
        c, "SELECT type_code, code, auth_type_code, discipline_code"
           " FROM diploma WHERE did" PID_RANGE " ORDER BY did");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_array_append_new(
                arr,
                json_pack("{s:o, s:o, s:o, s:o}", "type",
                          coded(c, "diploma_type", db_text(st, 0)), "diploma",
                          coded(c, "diploma", db_text(st, 1)), "authorisation",
                          coded(c, "auth_type", db_text(st, 2)), "discipline",
                          coded(c, "discipline", db_text(st, 3))));
        }
        db_done(st);
    }
    json_object_set_new(o, "diplomas", arr);
}

json_t *record_json(struct db_conn *c, long long pid, int full)
{
    sqlite3_stmt *st = db_prepare(
        c, "SELECT national_id, id_type, id, civility_code, title_code,"
           " last_name, first_name, profession_code, category_code, has_mss"
           " FROM professional WHERE pid = ?1");
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return NULL;
    }
    const char *nid = db_text(st, 0);
    const char *type = db_text(st, 1);
    int rpps = type && strcmp(type, "8") == 0;
    const char *civ = db_text(st, 3), *title = db_text(st, 4);
    json_t *o = json_pack(
        "{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id", str_or_null(nid),
        rpps ? "rpps" : "adeli", str_or_null(db_text(st, 2)), "id_type",
        rpps ? "RPPS" : "ADELI", "civility",
        str_or_null(civ ? db_label(c, "civility", civ) : NULL), "title",
        str_or_null(title ? db_label(c, "title", title) : NULL), "last_name",
        str_or_null(db_text(st, 5)), "first_name",
        str_or_null(db_text(st, 6)), "profession",
        coded(c, "profession", db_text(st, 7)));
    if (full)
        json_object_set_new(o, "category",
                            coded(c, "category", db_text(st, 8)));
    db_done(st);
    add_specialties(c, o, pid);
    add_mailboxes(c, o, pid);
    add_activities(c, o, pid, full);
    if (full)
        add_diplomas(c, o, pid);
    return o;
}

static long long find_one(struct db_conn *c, const char *sql, const char *v)
{
    long long pid = 0;
    sqlite3_stmt *st = db_prepare(c, sql);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        pid = sqlite3_column_int64(st, 0);
    db_done(st);
    return pid;
}

long long record_find(struct db_conn *c, const char *id)
{
    size_t n = strlen(id);
    long long pid = find_one(
        c, "SELECT pid FROM professional WHERE national_id = ?1", id);
    if (pid)
        return pid;
    /* RPPS: 11 digits, ADELI: 9 characters; the national id is the type
     * digit then the identifier, so both are lookups on its unique index.
     * The same string could in theory be both an identifier and another's
     * national id: the national id, tried first, wins. */
    if (n == 11)
        pid = find_one(c,
                       "SELECT pid FROM professional"
                       " WHERE national_id = '8' || ?1",
                       id);
    else if (n == 9)
        pid = find_one(c,
                       "SELECT pid FROM professional"
                       " WHERE national_id = '0' || ?1",
                       id);
    return pid;
}
