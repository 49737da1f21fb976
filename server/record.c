/* One professional as the API shows it: identity, profession, specialties,
 * MSSanté mailboxes and activities (and diplomas in the full record), with
 * labels from the code table. Each part is one range read on its table's
 * primary key (a professional's rows are one rowid range, clustered:
 * rowid.h), on a cached statement.
 *
 * The record is written as JSON text straight into a buffer: a page of 20
 * results built as jansson values and serialised cost about 0.5 ms (a
 * malloc per value, hash tables per object), half the median latency
 * target; written directly it costs a tenth of that. record_json() parses
 * that text for the callers that want a value. */
#include <math.h>
#include <string.h>

#include "api.h"
#include "changes.h"
#include "columns.h"
#include "history.h"
#include "record.h"
#include "fold.h"
#include "rowid.h"
#include "util.h"
#include "banned.h"

void json_put_str(struct buf *b, const char *s)
{
    /* A string that is not valid UTF-8, which the importer should never
     * have let in, shows as null (as jansson would refuse it). */
    size_t n = s ? strlen(s) : 0;
    if (!s || !utf8_valid(s, n)) {
        buf_add(b, "null", 4);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    buf_add(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        buf_add(b, run, (size_t)(p - run));
        run = p + 1;
        switch (ch) {
        case '"':
            buf_add(b, "\\\"", 2);
            break;
        case '\\':
            buf_add(b, "\\\\", 2);
            break;
        case '\b':
            buf_add(b, "\\b", 2);
            break;
        case '\f':
            buf_add(b, "\\f", 2);
            break;
        case '\n':
            buf_add(b, "\\n", 2);
            break;
        case '\r':
            buf_add(b, "\\r", 2);
            break;
        case '\t':
            buf_add(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            buf_add(b, u, 6);
        }
        }
    }
    buf_add(b, run, strlen(run));
    buf_add(b, "\"", 1);
}

/* "key":"value" (or null), after a comma unless first. */
static void put_kv(struct buf *b, const char *key, const char *v)
{
    buf_addstr(b, key);
    json_put_str(b, v);
}

/* {"code":..., "label":...} or null when code is NULL. */
static void put_coded(struct db_conn *c, struct buf *b, const char *list,
                      const char *code)
{
    if (!code) {
        buf_add(b, "null", 4);
        return;
    }
    put_kv(b, "{\"code\":", code);
    put_kv(b, ",\"label\":", db_label(c, list, code));
    buf_add(b, "}", 1);
}

/* The columns each statement reads, in its SELECT's order, as R(F, X): F
 * names the first, X the others. The statement's list and the positions
 * read from it (RP_x for column x of REC_PRO...) are both made from these,
 * and each name must be a column of its table in common/columns.h. */
/* clang-format off */
#define REC_PRO(F, X) F(national_id) X(id_type) X(id) X(civility_code)     \
    X(title_code) X(last_name) X(first_name) X(profession_code)            \
    X(category_code)
#define REC_SPE(F, X) F(code) X(type_code)
#define REC_MBX(F, X) F(address) X(type)
#define REC_ACT(F, X) F(mode_code) X(sector_code) X(structure_name)        \
    X(structure_sign) X(siret) X(finess) X(addr_recipient) X(addr_geo)     \
    X(street_number) X(street_repeat) X(street_type) X(street_name)        \
    X(addr_distribution) X(cedex_office) X(postcode) X(city) X(insee)      \
    X(dept_code) X(country) X(phone) X(email) X(role_code) X(genre_code)   \
    X(section_code) X(structure_id)
#define REC_DIP(F, X) F(type_code) X(code) X(auth_type_code) X(discipline_code)
/* clang-format on */

#define RP_POS(c) RP_##c,
#define RS_POS(c) RS_##c,
#define RM_POS(c) RM_##c,
#define RA_POS(c) RA_##c,
#define RD_POS(c) RD_##c,
enum { REC_PRO(RP_POS, RP_POS) RP_N };
enum { REC_SPE(RS_POS, RS_POS) };
enum { REC_MBX(RM_POS, RM_POS) };
enum { REC_ACT(RA_POS, RA_POS) };
enum { REC_DIP(RD_POS, RD_POS) };
#define IN_PRO(c) COLUMNS_IN(PROFESSIONAL, c) &&
#define IN_SPE(c) COLUMNS_IN(SPECIALTY, c) &&
#define IN_MBX(c) COLUMNS_IN(MAILBOX, c) &&
#define IN_ACT(c) COLUMNS_IN(ACTIVITY, c) &&
#define IN_DIP(c) COLUMNS_IN(DIPLOMA, c) &&
_Static_assert(REC_PRO(IN_PRO, IN_PRO) REC_SPE(IN_SPE, IN_SPE)
                   REC_MBX(IN_MBX, IN_MBX) REC_ACT(IN_ACT, IN_ACT)
                       REC_DIP(IN_DIP, IN_DIP) 1,
               "a record reads columns of common/columns.h's tables");

/* A date of history (YYYYMMDD, 0 for unknown) as "YYYY-MM-DD" or null,
 * after key. */
static void put_day(struct buf *b, const char *key, int day)
{
    buf_addstr(b, key);
    if (day <= 0) {
        buf_addstr(b, "null");
        return;
    }
    char d[16];
    history_day_format(day, d);
    buf_addf(b, "\"%s\"", d);
}

/* gone: the professional is a removed one, read from the gone_* tables
 * (the same columns as the live ones, schema/schema.sql). */
static void put_specialties(struct db_conn *c, struct buf *b, long long pid,
                            int gone)
{
    buf_addstr(b, ",\"specialties\":[");
    if (!gone && !db_has_specialty(c, pid)) {
        buf_add(b, "]", 1);
        return;
    }
    sqlite3_stmt *st = db_prepare_static(
        c, gone ? "SELECT " COLUMNS_SELECT(REC_SPE) " FROM gone_specialty"
                                                    " WHERE pid = ?1"
                                                    " ORDER BY code"
                : "SELECT " COLUMNS_SELECT(
                      REC_SPE) " FROM specialty WHERE pid = ?1"
                               " ORDER BY code");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *code = db_text(st, RS_code);
            if (!code)
                continue;
            buf_addstr(b, n++ ? ",{\"code\":" : "{\"code\":");
            json_put_str(b, code);
            put_kv(b, ",\"label\":", db_label(c, "specialty", code));
            buf_addstr(b, ",\"type\":");
            put_coded(c, b, "specialty_type", db_text(st, RS_type_code));
            buf_add(b, "}", 1);
        }
        db_done(st);
    }
    buf_add(b, "]", 1);
}

struct mbox {
    char *address, *type;
};

static int mbox_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mbox *)a)->address,
                  ((const struct mbox *)b)->address);
}

/* A professional's mailboxes, by address. Sorted here: "ORDER BY address"
 * made SQLite build a sorter per record (a fifth of a record's time). */
static void put_mailboxes(struct db_conn *c, struct buf *b, long long pid,
                          int gone)
{
    buf_addstr(b, ",\"mssante\":[");
    /* Only owners have mailboxes in their range, and owners are the pids
     * up to mss_end. */
    if (!gone && pid > db_mss_end(c)) {
        buf_add(b, "]", 1);
        return;
    }
    sqlite3_stmt *st = db_prepare_static(
        c, gone ? "SELECT " COLUMNS_SELECT(
                      REC_MBX) " FROM gone_mailbox WHERE mid" ROWID_RANGE_SQL
                : "SELECT " COLUMNS_SELECT(
                      REC_MBX) " FROM mailbox WHERE mid" ROWID_RANGE_SQL);
    struct mbox small[8], *v = small;
    size_t n = 0, cap = sizeof(small) / sizeof(small[0]);
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *addr = db_text(st, RM_address),
                       *type = db_text(st, RM_type);
            if (!addr)
                continue;
            if (n == cap) {
                cap *= 2;
                if (v == small) {
                    v = xmalloc(cap * sizeof(*v));
                    memcpy(v, small, sizeof(small));
                } else {
                    v = xrealloc(v, cap * sizeof(*v));
                }
            }
            v[n].address = xstrdup(addr);
            v[n].type = type ? xstrdup(type) : NULL;
            n++;
        }
        db_done(st);
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), mbox_cmp);
    for (size_t i = 0; i < n; i++) {
        buf_addstr(b, i ? ",{\"address\":" : "{\"address\":");
        json_put_str(b, v[i].address);
        put_kv(b, ",\"type\":", v[i].type);
        if (!gone)
            put_day(b, ",\"first_seen\":",
                    changes_first_seen(c, HISTORY_MAILBOX, v[i].address));
        buf_add(b, "}", 1);
        free(v[i].address);
        free(v[i].type);
    }
    if (v != small)
        free(v);
    buf_add(b, "]", 1);
}

/* An address line: a string, skipped when invalid UTF-8 (as before). */
static void put_line(struct buf *b, int *n, const char *s)
{
    if (!s || !utf8_valid(s, strlen(s)))
        return;
    if ((*n)++)
        buf_add(b, ",", 1);
    json_put_str(b, s);
}

static void put_activity(struct db_conn *c, struct buf *b, sqlite3_stmt *st,
                         int full, const char *id)
{
    buf_addstr(b, "{\"mode\":");
    put_coded(c, b, "mode", db_text(st, RA_mode_code));
    buf_addstr(b, ",\"sector\":");
    put_coded(c, b, "sector", db_text(st, RA_sector_code));
    const char *name = db_text(st, RA_structure_name);
    put_kv(b, ",\"structure\":{\"name\":",
           name ? name : db_text(st, RA_structure_sign));
    put_kv(b, ",\"siret\":", db_text(st, RA_siret));
    put_kv(b, ",\"finess\":", db_text(st, RA_finess));
    if (full)
        put_kv(b, ",\"sign\":", db_text(st, RA_structure_sign));
    buf_addstr(b, "},\"address\":{\"lines\":[");
    int n = 0;
    put_line(b, &n, db_text(st, RA_addr_recipient));
    put_line(b, &n, db_text(st, RA_addr_geo));
    /* "12 B RUE DE LA PAIX": the parts that are present, space-separated. */
    static const int parts[] = {RA_street_number, RA_street_repeat,
                                RA_street_type, RA_street_name};
    char street[1024];
    size_t sl = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++) {
        const char *s = db_text(st, parts[i]);
        if (!s)
            continue;
        size_t k = strlen(s);
        if (sl + k + 2 > sizeof(street))
            break;
        if (sl)
            street[sl++] = ' ';
        memcpy(street + sl, s, k);
        sl += k;
    }
    street[sl] = '\0';
    put_line(b, &n, sl ? street : NULL);
    put_line(b, &n, db_text(st, RA_addr_distribution));
    buf_add(b, "]", 1);
    put_kv(b, ",\"postcode\":", db_text(st, RA_postcode));
    /* The town: the commune's name, else the cedex office's
     * ("01012 BOURG EN BRESSE CEDEX" -> after the code). */
    const char *city = db_text(st, RA_city),
               *cedex = db_text(st, RA_cedex_office);
    if (!city && cedex) {
        const char *sp = strchr(cedex, ' ');
        city = sp ? sp + 1 : cedex;
    }
    put_kv(b, ",\"city\":", city);
    put_kv(b, ",\"insee\":", db_text(st, RA_insee));
    put_kv(b, ",\"dept\":", db_text(st, RA_dept_code));
    if (full)
        put_kv(b, ",\"country\":", db_text(st, RA_country));
    put_kv(b, "},\"phone\":", db_text(st, RA_phone));
    put_kv(b, ",\"email\":", db_text(st, RA_email));
    if (full) {
        buf_addstr(b, ",\"role\":");
        put_coded(c, b, "role", db_text(st, RA_role_code));
        buf_addstr(b, ",\"genre\":");
        put_coded(c, b, "genre", db_text(st, RA_genre_code));
        buf_addstr(b, ",\"section\":");
        put_coded(c, b, "section", db_text(st, RA_section_code));
    }
    if (id) {
        put_kv(b, ",\"activity_id\":", id);
        put_day(
            b, ",\"first_seen\":", changes_first_seen(c, HISTORY_ACTIVITY, id));
    }
    buf_add(b, "}", 1);
}

/* The activities, each with its id (common/history.h: the national id,
 * its structure, its rank among the professional's activities at that
 * structure) and first_seen; a removed professional's without them. */
static void put_activities(struct db_conn *c, struct buf *b, long long pid,
                           int full, const char *nid, int gone)
{
    buf_addstr(b, ",\"activities\":[");
    sqlite3_stmt *st = db_prepare_static(
        c, gone ? "SELECT " COLUMNS_SELECT(REC_ACT) " FROM gone_activity"
                                                    " WHERE aid" ROWID_RANGE_SQL
                                                    " ORDER BY aid"
                : "SELECT " COLUMNS_SELECT(REC_ACT) " FROM activity"
                                                    " WHERE aid" ROWID_RANGE_SQL
                                                    " ORDER BY aid");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        int n = 0;
        /* The structures met so far, for the ranks: a professional has a
         * few activities (the most seen is a few dozen), past 64 the rest
         * go without an id rather than with a wrong one. */
        char seen[64][65];
        int nseen = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n++)
                buf_add(b, ",", 1);
            char id[HISTORY_ID_MAX];
            const char *sid = db_text(st, RA_structure_id);
            int rank = 1, ok = nid && nseen < 64 && (!sid || strlen(sid) <= 64);
            if (ok) {
                for (int i = 0; i < nseen; i++)
                    rank += strcmp(seen[i], sid ? sid : "") == 0;
                snprintf(seen[nseen++], sizeof(seen[0]), "%s", sid ? sid : "");
                history_activity_id(id, nid, sid, rank);
            }
            put_activity(c, b, st, full, ok && !gone ? id : NULL);
        }
        db_done(st);
    }
    buf_add(b, "]", 1);
}

static void put_diplomas(struct db_conn *c, struct buf *b, long long pid,
                         int gone)
{
    buf_addstr(b, ",\"diplomas\":[");
    sqlite3_stmt *st = db_prepare_static(
        c, gone ? "SELECT " COLUMNS_SELECT(
                      REC_DIP) " FROM gone_diploma WHERE did" ROWID_RANGE_SQL
                               " ORDER BY did"
                : "SELECT " COLUMNS_SELECT(
                      REC_DIP) " FROM diploma WHERE did" ROWID_RANGE_SQL
                               " ORDER BY did");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            buf_addstr(b, n++ ? ",{\"type\":" : "{\"type\":");
            put_coded(c, b, "diploma_type", db_text(st, RD_type_code));
            buf_addstr(b, ",\"diploma\":");
            put_coded(c, b, "diploma", db_text(st, RD_code));
            buf_addstr(b, ",\"authorisation\":");
            put_coded(c, b, "auth_type", db_text(st, RD_auth_type_code));
            buf_addstr(b, ",\"discipline\":");
            put_coded(c, b, "discipline", db_text(st, RD_discipline_code));
            buf_add(b, "}", 1);
        }
        db_done(st);
    }
    buf_add(b, "]", 1);
}

static int record_render(struct db_conn *c, struct buf *b, long long pid,
                         int full, int gone);

/* Search results repeat (the first pages of common names, of a town's
 * doctors): the generation keeps the JSON of the records rendered last,
 * direct-mapped on the pid, within --cache-mb, shared by the threads
 * (db.h). A record costs 5-10 us to read and render (three or four B-tree
 * descents, mostly cache misses), a hit well under 1 (a copy under the
 * slot's stripe lock). */
int record_write(struct db_conn *c, struct buf *b, long long pid, int full)
{
    struct db_record_cache *rc = db_records(c);
    if (full || !rc || !rc->nslot)
        return record_render(c, b, pid, full, 0);
    size_t j = (size_t)((unsigned long long)pid % rc->nslot);
    struct db_cached *e = &rc->slot[j];
    pthread_mutex_t *lock = &rc->stripe[j % DB_CACHE_STRIPES].lock;
    size_t *bytes = &rc->stripe[j % DB_CACHE_STRIPES].bytes;
    pthread_mutex_lock(lock);
    if (e->pid == pid) {
        int r = buf_add(b, e->json, e->len);
        pthread_mutex_unlock(lock);
        return r;
    }
    pthread_mutex_unlock(lock);
    size_t mark = b->len;
    if (record_render(c, b, pid, full, 0) < 0)
        return -1;
    size_t n = b->len - mark;
    char *json = xmalloc(n);
    memcpy(json, b->s + mark, n);
    char *old = NULL;
    pthread_mutex_lock(lock);
    if (*bytes - e->len + n <= rc->stripe_max) {
        *bytes -= e->len;
        old = e->json;
        e->json = json;
        e->len = n;
        e->pid = pid;
        *bytes += n;
        json = NULL;
    }
    pthread_mutex_unlock(lock);
    free(old);
    free(json);
    return 0;
}

int record_write_gone(struct db_conn *c, struct buf *b, long long gid)
{
    return record_render(c, b, gid, 1, 1);
}

static int record_render(struct db_conn *c, struct buf *b, long long pid,
                         int full, int gone)
{
    /* A removed professional's row has its two dates first. */
    sqlite3_stmt *st = db_prepare_static(
        c, gone ? "SELECT " COLUMNS_SELECT(REC_PRO) ", first_seen, last_seen"
                                                    " FROM gone_professional"
                                                    " WHERE pid = ?1"
                : "SELECT " COLUMNS_SELECT(
                      REC_PRO) " FROM professional WHERE pid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return -1;
    }
    const char *type = db_text(st, RP_id_type);
    int rpps = type && strcmp(type, "8") == 0;
    const char *civ = db_text(st, RP_civility_code),
               *title = db_text(st, RP_title_code);
    put_kv(b, "{\"id\":", db_text(st, RP_national_id));
    put_kv(b, rpps ? ",\"rpps\":" : ",\"adeli\":", db_text(st, RP_id));
    buf_addstr(b, rpps ? ",\"id_type\":\"RPPS\"" : ",\"id_type\":\"ADELI\"");
    put_kv(b, ",\"civility\":", civ ? db_label(c, "civility", civ) : NULL);
    put_kv(b, ",\"title\":", title ? db_label(c, "title", title) : NULL);
    put_kv(b, ",\"last_name\":", db_text(st, RP_last_name));
    put_kv(b, ",\"first_name\":", db_text(st, RP_first_name));
    buf_addstr(b, ",\"profession\":");
    put_coded(c, b, "profession", db_text(st, RP_profession_code));
    if (full) {
        buf_addstr(b, ",\"category\":");
        put_coded(c, b, "category", db_text(st, RP_category_code));
    }
    const char *nid = db_text(st, RP_national_id);
    char *nid_copy = nid ? xstrdup(nid) : NULL;
    if (gone) {
        put_day(b, ",\"first_seen\":", sqlite3_column_int(st, RP_N));
        put_day(b, ",\"last_seen\":", sqlite3_column_int(st, RP_N + 1));
        buf_addstr(b, ",\"removed\":true");
    } else {
        put_day(b, ",\"first_seen\":",
                nid ? changes_first_seen(c, HISTORY_PROFESSIONAL, nid) : 0);
    }
    db_done(st);
    put_specialties(c, b, pid, gone);
    put_mailboxes(c, b, pid, gone);
    put_activities(c, b, pid, full, nid_copy, gone);
    if (full)
        put_diplomas(c, b, pid, gone);
    free(nid_copy);
    buf_add(b, "}", 1);
    return 0;
}

/* A distance as near= shows it: tenths of a km, or null. */
static void put_km(struct buf *b, double km)
{
    if (isnan(km))
        buf_addstr(b, ",\"distance_km\":null");
    else
        buf_addf(b, ",\"distance_km\":%.1f", round(km * 10) / 10);
}

/* The record text is ours (record_render()), so a scan that skips strings
 * finds its structure: the record is depth 1, the "activities" array (a
 * key at depth 1) holds the activities at depth 3. Each distance goes
 * before the brace that closes its object. Splicing into the cached text
 * costs a scan; the jansson round trip it replaces (parse, set, dump) cost
 * about half of a near= search. */
int record_write_near(struct db_conn *c, struct buf *b, long long pid,
                      const double *km, size_t nkm, double best)
{
    struct buf r;
    buf_init(&r, API_MAX_BODY);
    if (record_write(c, &r, pid, 0) < 0) {
        buf_release(&r);
        return -1;
    }
    static const char key[] = "\"activities\":[";
    const char *s = r.s, *run = s;
    int depth = 0, in_str = 0, in_acts = 0;
    size_t act = 0, mark = b->len;
    for (size_t i = 0; i < r.len; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        switch (ch) {
        case '"':
            if (depth == 1 && !in_acts && r.len - i >= sizeof(key) - 1 &&
                memcmp(s + i, key, sizeof(key) - 1) == 0) {
                in_acts = 1;
                i += sizeof(key) - 2; /* at the '[' */
                depth++;
            } else {
                in_str = 1;
            }
            break;
        case '{':
        case '[':
            depth++;
            break;
        case ']':
            if (--depth == 1)
                in_acts = 0;
            break;
        case '}':
            if ((depth == 3 && in_acts && act < nkm) || depth == 1) {
                buf_add(b, run, (size_t)(s + i - run));
                run = s + i;
                put_km(b, depth == 1 ? best : km[act]);
            }
            if (depth == 3 && in_acts)
                act++;
            depth--;
            break;
        }
    }
    int rc = buf_add(b, run, (size_t)(s + r.len - run));
    buf_release(&r);
    if (rc < 0 || depth != 0) {
        buf_truncate(b, mark);
        return -1;
    }
    return 0;
}

json_t *record_json(struct db_conn *c, long long pid, int full)
{
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    json_t *o = NULL;
    if (record_write(c, &b, pid, full) == 0)
        o = json_loadb(b.s, b.len, 0, NULL);
    buf_release(&b);
    return o;
}

static long long find_one(struct db_conn *c, const char *sql, const char *v)
{
    long long pid = 0;
    sqlite3_stmt *st = db_prepare_static(c, sql);
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
    long long pid =
        find_one(c, "SELECT pid FROM professional WHERE national_id = ?1", id);
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
