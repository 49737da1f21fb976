/* The facade's Organization search: from the structure table (one row
 * per structure, 350,000 at full scale) through its indexes (ids,
 * identifiers, the names' full-text index, the postal code), else read in
 * structure id order until a page is found (docs/fhir.md "Reads in id
 * order"). Each Organization is shown as its structure's first activity
 * (fhir_res.c). */
#include <stdlib.h>
#include <string.h>

#include "fhir_int.h"
#include "fold.h"
#include "structure.h"
#include "banned.h"

/* A folded string condition: prefix of a word (fhir_words_in), :contains, or
 * :exact on the text as it is. */
static int str_ok(const struct fhir_name *m, const char *raw)
{
    if (!raw)
        return 0;
    if (m->mod == MOD_EXACT)
        return strcmp(raw, m->v) == 0;
    size_t n = strlen(raw), k = strlen(m->v);
    char *f = xmalloc(n + 1), *w = xmalloc(k + 1);
    fold(raw, n, f);
    fold(m->v, k, w);
    int ok = m->mod == MOD_CONTAINS ? strstr(f, w) != NULL
                                    : fhir_words_in(w, f, NULL, NULL);
    free(f);
    free(w);
    return ok;
}

struct org_row {
    char *sid;
    long long key; /* structure.sid */
};

static int org_row_cmp(const void *a, const void *b)
{
    const struct org_row *x = a, *y = b;
    int d = strcmp(x->sid, y->sid);
    return d ? d : (x->key > y->key) - (x->key < y->key);
}

#define ORG_SEL                                                                \
    "SELECT sid, structure_id, name, sign, siret, siren, finess,"              \
    " finess_legal, postcode, city, cedex_office FROM structure"

static int org_ok(const struct fhir_q *q, sqlite3_stmt *st)
{
    const char *sid = db_text(st, 1);
    if (!sid || !fhir_id_ok(sid))
        return 0;
    if (q->tid.n && !fhir_in_codes(&q->tid, sid))
        return 0;
    for (int i = 0; i < q->norgident; i++) {
        int any = 0;
        char idnst[32];
        for (int j = 4; j <= 7 && !any; j++)
            any = fhir_in_codes(&q->orgident[i], db_text(st, j));
        if (!any && fhir_idnst(sid, idnst, sizeof(idnst)) == 0)
            any = fhir_in_codes(&q->orgident[i], idnst);
        if (!any)
            return 0;
    }
    for (int i = 0; i < q->noname; i++)
        if (!str_ok(&q->oname[i], db_text(st, 2)) &&
            !str_ok(&q->oname[i], db_text(st, 3)))
            return 0;
    if (q->postcode.v && !str_ok(&q->postcode, db_text(st, 8)))
        return 0;
    if (q->city.v) {
        const char *city = db_text(st, 9), *cedex = db_text(st, 10);
        if (!city && cedex && strchr(cedex, ' '))
            city = strchr(cedex, ' ') + 1;
        if (!str_ok(&q->city, city))
            return 0;
    }
    return 1;
}

/* The structures the name words of q find in the structure full-text
 * index (as /v1/structures does), as a JSON array of sids into *js: 0,
 * 1 if the words find too many to list (then every structure is read),
 * -1 on a database error. org_ok() checks the names after. */
static int org_by_name(struct db_conn *c, const struct fhir_q *q, char **js)
{
    char w[1024];
    struct structure_cond k = {0};
    for (int i = 0; i < q->noname; i++) {
        if (q->oname[i].mod != MOD_NONE)
            continue;
        if (structure_fold(q->oname[i].v, 0, w, sizeof(w)) == 0)
            return 1;
        k.words = w;
        break;
    }
    if (!k.words)
        return 1;
    long long *sids = xmalloc((STRUCTURE_MATCH_MAX + 1) * sizeof(*sids));
    long n = structure_find(c, &k, sids, STRUCTURE_MATCH_MAX + 1);
    int rc = n < 0 ? -1 : n > STRUCTURE_MATCH_MAX ? 1 : 0;
    if (rc == 0) {
        json_t *a = json_array();
        for (long i = 0; i < n; i++)
            json_array_append_new(a, json_integer(sids[i]));
        *js = json_dumps(a, JSON_COMPACT);
        json_decref(a);
    }
    free(sids);
    return rc;
}

/* The first activity of structure sid into *aid: 0, or -1 if none. */
static int org_first_aid(struct db_conn *c, long long sid, long long *aid)
{
    long long *v = NULL;
    size_t m = 0;
    int rc = fhir_org_aids(c, sid, 1, &v, &m) == 0 && m ? 0 : -1;
    if (rc == 0)
        *aid = v[0];
    free(v);
    return rc;
}

/* How many structures pass address-postalcode:contains, q's only
 * condition, from the counts of each postal code (structure_postcode_count,
 * 10,025 rows at full scale) instead of a read of every structure: the
 * codes org_ok() would pass. Into *n: 0, or -1 (a file without the counts). */
static int org_count_postcode(struct db_conn *c, const struct fhir_q *q,
                              long long *n)
{
    if (!db_has_table(c, "structure_postcode_count"))
        return -1;
    sqlite3_stmt *st =
        db_prepare_static(c, "SELECT postcode, n FROM structure_postcode_count"
                             " WHERE postcode <> ''");
    if (!st)
        return -1;
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (str_ok(&q->postcode, db_text(st, 0)))
            total += sqlite3_column_int64(st, 1);
    db_done(st);
    *n = total;
    return 0;
}

/* How many structures a read of every one in id order passes when q's
 * only condition is on the town (or there is none), or is
 * address-postalcode:contains, from the counts of each town
 * (structure_town) or postal code instead of that read: the towns org_ok()
 * would pass, and for a plain address-city the range of city_fold the
 * read's SQL asks too (lo, hi). Into *n: 0, or -1 when that cannot be
 * known so (a name condition, a postal code with a town, a file without
 * the counts). */
static int org_count(struct db_conn *c, const struct fhir_q *q, const char *lo,
                     const char *hi, long long *n)
{
    if (q->noname || q->norgident || q->tid.n)
        return -1;
    if (q->postcode.v)
        return q->city.v ? -1 : org_count_postcode(c, q, n);
    if (!db_has_table(c, "structure_town"))
        return -1;
    /* The rows of a range of city_fold (its primary key's), else all of
     * them: 1,232 at full scale. */
    int range = q->city.v && q->city.mod == MOD_NONE;
    sqlite3_stmt *st =
        range ? db_prepare_static(c, "SELECT town, n FROM structure_town"
                                     " WHERE city_fold BETWEEN ?1 AND ?2"
                                     " AND city_fold <> ''")
        : q->city.v
            ? db_prepare_static(c, "SELECT town, n FROM structure_town")
            : db_prepare_static(c, "SELECT '', sum(n) FROM structure_town");
    if (!st)
        return -1;
    if (range) {
        sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
    }
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *town = db_text(st, 0);
        if (!q->city.v || (town && *town && str_ok(&q->city, town)))
            total += sqlite3_column_int64(st, 1);
    }
    db_done(st);
    *n = total;
    return 0;
}

/* The page of st's structures (ORG_SEL in structure_id order, after
 * q's cursor) that pass q, read until one more than the page is found:
 * the next link then starts after the page's last id. known is the total
 * (org_count()), or -1: then it is known only when the read ran to the
 * end from the start. */
static int org_stream(struct db_conn *c, const struct fhir_q *q,
                      sqlite3_stmt *st, long long known, struct fhir_hits *h,
                      struct api_resp *out)
{
    struct fhir_ids page = {0};
    long skip = q->offset;
    while (q->count > 0 && sqlite3_step(st) == SQLITE_ROW) {
        long long aid;
        if (!org_ok(q, st))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if ((long)page.n == q->count) {
            h->more = 1;
            break;
        }
        if (org_first_aid(c, sqlite3_column_int64(st, 0), &aid) < 0)
            continue;
        fhir_ids_push(&page, aid);
        snprintf(h->next_after, sizeof(h->next_after), "%s", db_text(st, 1));
    }
    db_done(st);
    h->ordered = 1;
    long long total = known;
    if (total < 0 && !h->more && !*q->after)
        total = q->offset - skip + (long long)page.n;
    return fhir_hits_done(c, &page, total, h, out);
}

/* active=false: the structures gone between imports (fhir_gone_org_sql),
 * as tombstones keyed by minus their key, by id; _id and the dates apply,
 * an identifier, name or address condition finds none (a tombstone shows
 * none). Read from the removed activities the change table keeps
 * (--keep-changes days), as a delta's tombstones are. */
static int org_gone(struct db_conn *c, const struct fhir_q *q,
                    struct fhir_hits *h, struct api_resp *out)
{
    if (q->norgident || q->noname || q->city.v || q->postcode.v)
        return 0;
    sqlite3_stmt *st = db_prepare_static(c, fhir_gone_org_sql);
    if (!st) {
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    struct fhir_ids page = {0};
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sid = db_text(st, 1);
        char ts[32];
        fhir_day_ts(sqlite3_column_int(st, 2), ts, sizeof(ts));
        if (!sid || !fhir_id_ok(sid) || strcmp(sid, q->after) <= 0 ||
            (q->tid.n && !fhir_in_codes(&q->tid, sid)) || !fhir_date_ok(q, ts))
            continue;
        fhir_take(q, &page, &total, -sqlite3_column_int64(st, 0));
    }
    db_done(st);
    return fhir_hits_done(c, &page, total, h, out);
}

int fhir_search_org(struct db_conn *c, const struct fhir_q *q,
                    struct fhir_hits *h, struct api_resp *out)
{
    char ts[32];
    fhir_last_updated(c, ts, sizeof(ts));
    if (q->stale)
        return 0;
    if (q->active == 0)
        return org_gone(c, q, h, out);
    /* An Organization's date is the extracts' (no history of its own). */
    if (!fhir_date_ok(q, ts))
        return 0;
    /* The structures to read, from the structure table (one row per
     * structure, 350,000 at full scale, where activity has 2.4 M with no
     * index on the structure): by the ids, identifiers, name words or
     * postal code asked, through their indexes; else every one, which
     * the deadline bounds. */
    sqlite3_stmt *st;
    char lo[256], hi[260], *js = NULL;
    int by_name = -2, stream = 0;
    if (q->tid.n) {
        js = fhir_json_strings(q->tid.v, q->tid.n);
        st = db_prepare_static(c, ORG_SEL " WHERE structure_id IN"
                                          " (SELECT value FROM json_each(?1))");
    } else if (q->norgident) {
        /* A SIREN is the first 9 digits of its sites' SIRETs; an IDNST
         * its technical id with a digit for the letter. */
        js = fhir_json_strings(q->orgident[0].v, q->orgident[0].n);
        st = db_prepare_static(
            c, ORG_SEL " WHERE sid IN ("
                       "SELECT s.sid FROM json_each(?1) j, structure s"
                       " WHERE s.siret = j.value"
                       " UNION SELECT s.sid FROM json_each(?1) j, structure s"
                       " WHERE s.finess = j.value"
                       " UNION SELECT s.sid FROM json_each(?1) j, structure s"
                       " WHERE s.finess_legal = j.value"
                       " UNION SELECT s.sid FROM json_each(?1) j, structure s"
                       " WHERE length(j.value) = 9 AND s.siret"
                       " BETWEEN j.value AND j.value || '~'"
                       " UNION SELECT s.sid FROM json_each(?1) j, structure s"
                       " WHERE substr(j.value, 1, 1) IN ('0', '1', '3') AND"
                       " s.structure_id = (CASE substr(j.value, 1, 1) WHEN"
                       " '1' THEN 'F' ELSE 'C' END) || substr(j.value, 2))");
    } else if (q->noname && (by_name = org_by_name(c, q, &js)) == 0) {
        st = db_prepare_static(c, ORG_SEL " WHERE sid IN"
                                          " (SELECT value FROM json_each(?1))");
    } else if (by_name == -1) {
        st = NULL;
    } else if (q->postcode.v && q->postcode.mod != MOD_CONTAINS) {
        snprintf(lo, sizeof(lo), "%.250s", q->postcode.v);
        snprintf(hi, sizeof(hi), "%s\x7f", lo);
        st = db_prepare_static(c, ORG_SEL " WHERE postcode BETWEEN ?2 AND ?3");
    } else if (q->city.v && q->city.mod == MOD_NONE) {
        /* Folded text is never longer than its input: at most 200. */
        fold(q->city.v, strlen(q->city.v) < 200 ? strlen(q->city.v) : 200, lo);
        snprintf(hi, sizeof(hi), "%s\x7f", lo);
        st = db_prepare_static(c, ORG_SEL " WHERE city_fold BETWEEN ?2 AND ?3"
                                          " AND structure_id > ?4"
                                          " ORDER BY structure_id");
        stream = 1;
    } else {
        st = db_prepare_static(
            c, ORG_SEL " WHERE structure_id > ?4 ORDER BY structure_id");
        stream = 1;
    }
    if (!st) {
        free(js);
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    if (sqlite3_bind_parameter_count(st) >= 1 &&
        sqlite3_bind_parameter_index(st, "?1"))
        sqlite3_bind_text(st, 1, js ? js : "[]", -1, SQLITE_TRANSIENT);
    if (sqlite3_bind_parameter_index(st, "?2")) {
        sqlite3_bind_text(st, 2, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, hi, -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_bind_parameter_index(st, "?4"))
        sqlite3_bind_text(st, 4, q->after, -1, SQLITE_TRANSIENT);
    /* A read of (nearly) every structure in id order stops at the page's
     * end, the total from the towns' counts (org_count()); where they
     * cannot say, uncounted unless the total is asked for. */
    long long known = -1;
    if (stream && org_count(c, q, lo, hi, &known) < 0)
        known = -1;
    if (stream && (known >= 0 || (!q->accurate && q->count > 0))) {
        free(js);
        return org_stream(c, q, st, known, h, out);
    }
    free(js);
    struct org_row *rows = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!org_ok(q, st) || strcmp(db_text(st, 1), q->after) <= 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            rows = xrealloc(rows, cap * sizeof(*rows));
        }
        rows[n].sid = xstrdup(db_text(st, 1));
        rows[n].key = sqlite3_column_int64(st, 0);
        n++;
    }
    db_done(st);
    /* By id; each one's Organization is its first activity's. */
    if (n > 1)
        qsort(rows, n, sizeof(*rows), org_row_cmp);
    struct fhir_ids page = {0};
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        if (total++ < q->offset || (long)page.n >= q->count)
            continue;
        long long aid;
        if (org_first_aid(c, rows[i].key, &aid) == 0)
            fhir_ids_push(&page, aid);
        else
            total--;
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].sid);
    free(rows);
    return fhir_hits_done(c, &page, total, h, out);
}
