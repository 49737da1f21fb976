/* Structures as JSON, and the /v1/structures handlers (structure.c
 * finds them: see structure.h). */
#include "structure.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "dataset.h"
#include "fold.h"
#include "places.h"
#include "record.h"
#include "sqlb.h"
#include "banned.h"

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The columns structure_json() reads, R(F, X) (columns.h). */
/* clang-format off */
#define ST_COLS(F, X)     \
    F(structure_id)       \
    X(siret)              \
    X(siren)              \
    X(finess)             \
    X(finess_legal)       \
    X(name)               \
    X(sign)               \
    X(addr_recipient)     \
    X(addr_geo)           \
    X(street_number)      \
    X(street_repeat)      \
    X(street_type)        \
    X(street_name)        \
    X(addr_distribution)  \
    X(cedex_office)       \
    X(postcode)           \
    X(insee)              \
    X(city)               \
    X(dept_code)          \
    X(phone)              \
    X(email)              \
    X(n_activities)       \
    X(n_professionals)    \
    X(pids)
/* clang-format on */
#define ST_ENUM(c) ST_##c,
enum { ST_COLS(ST_ENUM, ST_ENUM) ST_N };
#define ST_IN(c) _Static_assert(COLUMNS_IN(STRUCTURE, c), #c);
ST_COLS(ST_IN, ST_IN)

/* The mailbox extract names a structure by its "ancien identifiant": 1 +
 * FINESS, 3 + SIRET, 0 + a cabinet's number, where the technical id has F +
 * FINESS, C + SIRET, C + the number (docs/format.md §5). */
static int old_id(const char *tech, char out[24])
{
    size_t n = strlen(tech);
    if (n < 2 || n > 20)
        return -1;
    char t = tech[0] == 'F' ? '1' : n == 15 ? '3' : '0';
    if (tech[0] != 'F' && tech[0] != 'C')
        return -1;
    out[0] = t;
    memcpy(out + 1, tech + 1, n);
    return 0;
}

json_t *structure_json(struct db_conn *c, long long sid)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT " COLUMNS_SELECT(ST_COLS) " FROM structure WHERE sid = ?1");
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, sid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return NULL;
    }
    json_t *addr = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "recipient",
        jstr(db_text(st, ST_addr_recipient)), "geo",
        jstr(db_text(st, ST_addr_geo)), "street_number",
        jstr(db_text(st, ST_street_number)), "street_repeat",
        jstr(db_text(st, ST_street_repeat)), "street_type",
        jstr(db_text(st, ST_street_type)), "street_name",
        jstr(db_text(st, ST_street_name)), "distribution",
        jstr(db_text(st, ST_addr_distribution)), "cedex_office",
        jstr(db_text(st, ST_cedex_office)), "postcode",
        jstr(db_text(st, ST_postcode)), "insee", jstr(db_text(st, ST_insee)),
        "city", jstr(db_text(st, ST_city)));
    const char *dept = db_text(st, ST_dept_code);
    json_object_set_new(addr, "dept", jstr(dept));
    const char *tech = db_text(st, ST_structure_id);
    json_t *o = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "id",
        jstr(tech), "siret", jstr(db_text(st, ST_siret)), "siren",
        jstr(db_text(st, ST_siren)), "finess", jstr(db_text(st, ST_finess)),
        "finess_legal", jstr(db_text(st, ST_finess_legal)), "name",
        jstr(db_text(st, ST_name)), "sign", jstr(db_text(st, ST_sign)),
        "address", addr, "phone", jstr(db_text(st, ST_phone)), "email",
        jstr(db_text(st, ST_email)), "activities",
        (json_int_t)sqlite3_column_int64(st, ST_n_activities), "professionals",
        (json_int_t)sqlite3_column_int64(st, ST_n_professionals));
    /* Its people by profession, from the pids and the professions in
     * memory (a byte each). */
    const unsigned char *prof = dataset_professions(db_dataset(c));
    long long npid = dataset_npids(db_dataset(c));
    long long count[256] = {0};
    const unsigned char *p = sqlite3_column_blob(st, ST_pids);
    size_t m = (size_t)sqlite3_column_bytes(st, ST_pids) / 4;
    for (size_t j = 0; j < m; j++) {
        uint32_t pid = structure_pid_at(p + 4 * j);
        if ((long long)pid < npid)
            count[prof[pid]]++;
    }
    char oid[24];
    int has_old = tech && old_id(tech, oid) == 0;
    db_done(st);
    json_t *byp = json_array();
    sqlite3_stmt *cs = db_prepare_static(
        c, "SELECT code, label FROM code WHERE list = 'profession'"
           " ORDER BY code");
    while (cs && sqlite3_step(cs) == SQLITE_ROW) {
        const char *code = db_text(cs, 0);
        int k = code ? dataset_prof_index(db_dataset(c), code) : 0;
        if (k && count[k])
            json_array_append_new(byp,
                                  json_pack("{s:s, s:o, s:I}", "code", code,
                                            "label", jstr(db_text(cs, 1)),
                                            "count", (json_int_t)count[k]));
    }
    db_done(cs);
    json_object_set_new(o, "professions", byp);
    json_t *mbx = json_array();
    sqlite3_stmt *ms =
        has_old ? db_prepare_static(c, "SELECT address, type, service FROM"
                                       " mailbox WHERE structure_id = ?1"
                                       " AND type <> 'PER' ORDER BY address")
                : NULL;
    if (ms) {
        sqlite3_bind_text(ms, 1, oid, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(ms) == SQLITE_ROW)
            json_array_append_new(mbx,
                                  json_pack("{s:o, s:o, s:o}", "address",
                                            jstr(db_text(ms, 0)), "type",
                                            jstr(db_text(ms, 1)), "service",
                                            jstr(db_text(ms, 2))));
        db_done(ms);
    }
    json_object_set_new(o, "mailboxes", mbx);
    return o;
}

/* ---- The handlers ---- */

/* structure=, street= (folded), siret=, finess=, postcode=, city=, dept=
 * into k, the folded text in words/street (STRUCTURE_WORDS bytes each).
 * 0, or -1 with a 400 in out. */
#define STRUCTURE_WORDS 512
static int read_cond(const struct api_req *r, struct structure_cond *k,
                     char *words, char *street, char *siret, char *finess,
                     char *pc_hi, char *city, char **dept, char deptbuf[4],
                     struct api_resp *out)
{
    const char *v;
    memset(k, 0, sizeof *k);
    k->typo = 1;
    const char *q = api_param(r, "q");
    const char *s = api_param(r, "structure");
    if (q && s) {
        api_error(out, 400, "q and structure: give one of them");
        return -1;
    }
    if ((v = q ? q : s)) {
        /* A pasted identifier in q is that identifier. */
        if (q && structure_siret(q, siret))
            k->siret = siret;
        else if (q && structure_finess(q, finess))
            k->finess = finess;
        else if (!structure_fold(v, 0, words, STRUCTURE_WORDS)) {
            api_error(out, 400, "%s has no word", q ? "q" : "structure");
            return -1;
        } else
            k->words = words;
    }
    if ((v = api_param(r, "street"))) {
        if (!structure_fold(v, 1, street, STRUCTURE_WORDS)) {
            api_error(out, 400, "street has no word");
            return -1;
        }
        k->street = street;
    }
    if ((v = api_param(r, "siret"))) {
        if (!structure_siret(v, siret)) {
            api_error(out, 400, "siret must be 14 digits with a valid key");
            return -1;
        }
        k->siret = siret;
    }
    if ((v = api_param(r, "finess"))) {
        if (!structure_finess(v, finess)) {
            api_error(out, 400,
                      "finess must be 9 characters: a department (01, 2A,"
                      " 9A...) then 7 digits");
            return -1;
        }
        k->finess = finess;
    }
    if ((v = api_param(r, "postcode"))) {
        if (places_postcode_range(v, pc_hi) < 0) {
            api_error(out, 400, "postcode must be 1 to 5 digits");
            return -1;
        }
        k->pc_lo = v;
        if (*pc_hi)
            k->pc_hi = pc_hi;
    }
    if ((v = api_param(r, "city"))) {
        size_t n = strlen(v);
        if (n >= STRUCTURE_WORDS || !fold(v, n, city)) {
            api_error(out, 400, "city is empty");
            return -1;
        }
        k->city_fold = city;
    }
    if ((v = api_param(r, "dept"))) {
        size_t n = strlen(v);
        if (n < 2 || n > 3) {
            api_error(out, 400,
                      "dept must be a department code (01, 2A, 75, 974)");
            return -1;
        }
        /* Upper-cased into the caller's buffer, the request's value left
         * as it is. */
        for (size_t i = 0; i <= n; i++)
            deptbuf[i] = (char)toupper((unsigned char)v[i]);
        *dept = deptbuf;
        k->dept = dept;
        k->ndept = 1;
    }
    return 0;
}

static int read_page(const struct api_req *r, long *limit, long *offset,
                     struct api_resp *out)
{
    const char *v;
    char *end;
    *limit = 20;
    *offset = 0;
    if ((v = api_param(r, "limit"))) {
        *limit = strtol(v, &end, 10);
        if (end == v || *end || *limit < 1 || *limit > API_MAX_LIMIT) {
            api_error(out, 400, "limit must be 1 to %d", API_MAX_LIMIT);
            return -1;
        }
    }
    if ((v = api_param(r, "offset"))) {
        *offset = strtol(v, &end, 10);
        if (end == v || *end || *offset < 0 ||
            *offset + *limit > API_MAX_WINDOW) {
            api_error(out, 400, "offset + limit must be at most %d",
                      API_MAX_WINDOW);
            return -1;
        }
    }
    return 0;
}

void api_structures(struct db_conn *c, const struct api_req *r,
                    struct api_resp *out)
{
    static const char *const allowed[] = {
        "q",    "structure", "street", "siret",  "finess", "postcode",
        "city", "dept",      "limit",  "offset", NULL};
    struct structure_cond k;
    char words[STRUCTURE_WORDS], street[STRUCTURE_WORDS], city[STRUCTURE_WORDS];
    char siret[15], finess[10], pc_hi[8];
    char *dept = NULL, deptbuf[4];
    long limit, offset;
    if (api_check_params(r, allowed, NULL, out) < 0 ||
        read_cond(r, &k, words, street, siret, finess, pc_hi, city, &dept,
                  deptbuf, out) < 0 ||
        read_page(r, &limit, &offset, out) < 0)
        return;
    if (!structure_cond_any(&k) && !k.pc_lo && !k.insee && !k.city_fold &&
        !k.ndept) {
        api_error(out, 400,
                  "give q, structure, street, siret, finess or a"
                  " place");
        return;
    }
    long long *sids = xmalloc((STRUCTURE_MATCH_MAX + 1) * sizeof *sids);
    db_budget(c, 0);
    long n = structure_find(c, &k, sids, STRUCTURE_MATCH_MAX + 1);
    db_unbudget(c);
    if (n < 0) {
        free(sids);
        if (db_interrupted(c))
            api_error(out, 503, "the search took too long");
        else
            api_error(out, 503, "database error");
        return;
    }
    json_t *res = json_array();
    for (long i = offset; i < n && i < offset + limit; i++) {
        json_t *o = structure_json(c, sids[i]);
        if (o)
            json_array_append_new(res, o);
    }
    free(sids);
    json_t *body = json_pack(
        "{s:I, s:b, s:I, s:I, s:o}", "total",
        (json_int_t)(n > STRUCTURE_MATCH_MAX ? STRUCTURE_MATCH_MAX : n),
        "total_exact", n <= STRUCTURE_MATCH_MAX, "limit", (json_int_t)limit,
        "offset", (json_int_t)offset, "results", res);
    out->status = 200;
    out->body = body;
}

void api_structure(struct db_conn *c, const struct api_req *r,
                   struct api_resp *out)
{
    static const char *const allowed[] = {"limit", "offset", NULL};
    long limit, offset;
    if (api_check_params(r, allowed, NULL, out) < 0 ||
        read_page(r, &limit, &offset, out) < 0)
        return;
    size_t n = strlen(r->rest);
    if (n == 0) {
        api_error(out, 404, "give a structure: /v1/structures/{id}");
        return;
    }
    /* The longest id is a technical one: C + SIRET, 15 characters; a
     * SIRET written with spaces 17. */
    if (n > 32 || !utf8_valid(r->rest, n)) {
        api_error(out, 400,
                  "not a structure id (its technical id, SIRET or"
                  " FINESS)");
        return;
    }
    long long sid = structure_resolve(c, r->rest);
    json_t *o = sid > 0 ? structure_json(c, sid) : NULL;
    if (sid < 0) {
        api_error(out, 503, "database error");
        return;
    }
    if (!o) {
        api_error(out, 404, "no structure '%s'", r->rest);
        return;
    }
    uint32_t *pids;
    size_t np;
    if (structure_pids(c, &sid, 1, &pids, &np) < 0) {
        json_decref(o);
        api_error(out, 503, "database error");
        return;
    }
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    char *head = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    /* The structure's object, then its people in the default order. */
    buf_add(&b, head, strlen(head) - 1);
    free(head);
    buf_addf(&b,
             ",\"practitioners\":{\"total\":%zu,\"limit\":%ld,"
             "\"offset\":%ld,\"results\":[",
             np, limit, offset);
    int k = 0;
    for (size_t i = (size_t)offset; i < np && i < (size_t)(offset + limit);
         i++) {
        if (k)
            buf_add(&b, ",", 1);
        if (record_write(c, &b, pids[i], 0) == 0)
            k++;
        else if (k)
            buf_truncate(&b, b.len - 1);
    }
    free(pids);
    buf_addstr(&b, "]}}");
    api_reply_text(r, out, 200, &b);
}
