/* The FHIR facade's handler: the route under /fhir/ (metadata, a read, a
 * search), the Bundle with its links and entries, and the
 * CapabilityStatement. The searches themselves are fhir_search.c's, the
 * resources fhir_res.c's, the parameters fhir_params.c's. */
#include "fhir.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fhir_int.h"
#include "record.h"
#include "rowid.h"
#include "banned.h"

#define FHIR_CTYPE "application/fhir+json; charset=utf-8"

struct fhir_config fhir_config;

static const char *const type_names[FHIR_NTYPES] = {
    "Practitioner", "PractitionerRole", "Organization"};

void fhir_error(struct api_resp *out, int status, const char *code,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *m = api_error_reset(out, status, fmt, ap);
    va_end(ap);
    out->body = json_pack("{s:s, s:[{s:s, s:s, s:o}]}", "resourceType",
                          "OperationOutcome", "issue", "severity", "error",
                          "code", code, "diagnostics", m);
    out->ctype = FHIR_CTYPE;
}

int fhir_url(const char *url)
{
    return url && (strncmp(url, "/fhir/", 6) == 0 || strcmp(url, "/fhir") == 0);
}

void fhir_http_error(struct api_resp *out, int status, const char *msg)
{
    /* FHIR's issue types (valueset issue-type) for what http.c refuses. */
    const char *code = status == 405   ? "not-supported"
                       : status == 404 ? "not-found"
                       : status == 413 || status == 414 || status == 431
                           ? "too-long"
                       : status >= 500 ? "exception"
                                       : "invalid";
    fhir_error(out, status, code, "%s", msg);
}

/* The base of the links: --public-url, else http:// and the request's
 * Host (when it is a host name), then /fhir/v2 or /fhir as asked. */
static void base_url(const struct api_req *r, int v2, char *out, size_t cap)
{
    const char *host = r->host;
    int ok = host && *host && strlen(host) < 256;
    for (const char *p = host; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr(".-:[]_", *p);
    if (fhir_config.public_url)
        snprintf(out, cap, "%s%s", fhir_config.public_url,
                 v2 ? "/fhir/v2" : "/fhir");
    else
        snprintf(out, cap, "http://%s%s", ok ? host : "localhost",
                 v2 ? "/fhir/v2" : "/fhir");
}

/* Appends s percent-encoded (everything but RFC 3986's unreserved). */
static void put_enc(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || strchr("-._~", ch)) {
            buf_add(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_add(b, e, 3);
        }
    }
}

/* The search's URL with r's parameters (the page's offset replaced by
 * offset when offset > 0; its cursor by after when after is not NULL),
 * JSON-quoted into b. */
static void put_link(struct buf *b, const char *relation, const char *base,
                     const char *type, const struct api_req *r, long offset,
                     const char *after)
{
    struct buf u;
    buf_init(&u, API_MAX_BODY);
    buf_addf(&u, "%s/%s", base, type);
    int n = 0;
    for (size_t i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].key, "_getpagesoffset") == 0 ||
            (after && strcmp(r->params[i].key, "_after") == 0))
            continue;
        buf_add(&u, n++ ? "&" : "?", 1);
        put_enc(&u, r->params[i].key);
        buf_add(&u, "=", 1);
        put_enc(&u, r->params[i].val);
    }
    if (offset > 0)
        buf_addf(&u, "%s_getpagesoffset=%ld", n++ ? "&" : "?", offset);
    if (after) {
        buf_addf(&u, "%s_after=", n++ ? "&" : "?");
        put_enc(&u, after);
    }
    buf_addf(b, "{\"relation\":\"%s\",\"url\":", relation);
    json_put_str(b, u.s);
    buf_add(b, "}", 1);
    buf_release(&u);
}

/* A Bundle's id: unique enough for a search set (time and a counter). */
static void bundle_id(char *id, size_t cap)
{
    static atomic_ulong seq;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long n = atomic_fetch_add(&seq, 1);
    snprintf(id, cap, "%08lx-%04lx-4%03lx-8%03lx-%012llx",
             (unsigned long)ts.tv_sec & 0xffffffffUL,
             (unsigned long)(ts.tv_nsec >> 14) & 0xffff, n >> 12 & 0xfff,
             n & 0xfff, (unsigned long long)ts.tv_nsec);
}

/* One entry: the resource written by the caller between put_entry_open()
 * and put_entry_close(). */
static size_t put_entry_open(struct buf *b, int *n, const char *base,
                             const char *type, const char *id)
{
    size_t mark = b->len;
    buf_addstr(b, (*n)++ ? ",{\"fullUrl\":\"" : "{\"fullUrl\":\"");
    buf_addf(b, "%s/%s/", base, type);
    buf_addstr(b, id);
    buf_addstr(b, "\",\"resource\":");
    return mark;
}

static void put_entry_close(struct buf *b, int include)
{
    buf_addf(b, ",\"search\":{\"mode\":\"%s\"}}",
             include ? "include" : "match");
}

int fhir_pid_nid(struct db_conn *c, long long pid, char *nid, size_t cap)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT national_id FROM professional WHERE pid = ?1");
    int rc = -1;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) == SQLITE_ROW && db_text(st, 0) &&
        strlen(db_text(st, 0)) < cap) {
        snprintf(nid, cap, "%s", db_text(st, 0));
        rc = 0;
    }
    db_done(st);
    return rc;
}

/* Writes one resource of type with its entry; 0, or -1 (nothing written)
 * when it cannot. key: a pid or an aid. */
static int put_resource(struct db_conn *c, struct buf *b, int *n,
                        const char *base, enum fhir_type type, long long key,
                        const struct fhir_view *v, int include);

/* The page as a searchset Bundle, with what _include and _revinclude add
 * (each resource once). */
static void put_bundle(struct db_conn *c, const struct api_req *r,
                       const char *base, const struct fhir_q *q,
                       const struct fhir_hits *h, struct buf *b)
{
    char ts[32], id[64];
    fhir_last_updated(c, ts, sizeof(ts));
    bundle_id(id, sizeof(id));
    struct fhir_view v = {.elements = q->elements, .ts = ts};
    buf_addf(b,
             "{\"resourceType\":\"Bundle\",\"id\":\"%s\",\"meta\":{"
             "\"lastUpdated\":\"%s\"},\"type\":\"searchset\",",
             id, ts);
    /* No total when the search did not count (FHIR's total is optional:
     * ANS leaves it out when costly, unless _total=accurate). */
    if (h->total >= 0)
        buf_addf(b, "\"total\":%lld,", h->total);
    buf_addstr(b, "\"link\":[");
    const char *type = type_names[q->type];
    if (h->more) {
        put_link(b, "next", base, type, r, 0, h->next_after);
        buf_add(b, ",", 1);
    } else if (!h->ordered && q->count > 0 &&
               (long long)(q->offset + q->count) < h->total &&
               h->n == (size_t)q->count) {
        put_link(b, "next", base, type, r, q->offset + q->count, NULL);
        buf_add(b, ",", 1);
    }
    put_link(b, "self", base, type, r, q->offset, NULL);
    buf_addstr(b, "],\"entry\":[");
    size_t entries = b->len;
    int n = 0;
    for (size_t i = 0; i < h->n; i++)
        put_resource(c, b, &n, base, q->type, h->v[i], &v, 0);
    /* Included resources show whole: _elements is the matches'. */
    struct fhir_view whole = {.elements = NULL, .ts = ts};
    struct fhir_ids inc = {0};
    if (q->type == FHIR_PRACTITIONER && q->revinc) {
        for (size_t i = 0; i < h->n; i++)
            fhir_roles_of(c, h->v[i], &inc);
        for (size_t i = 0; i < inc.n; i++)
            put_resource(c, b, &n, base, FHIR_ROLE, inc.v[i], &whole, 1);
    } else if (q->type == FHIR_ROLE && (q->inc_prac || q->inc_org)) {
        struct fhir_ids pids = {0}, orgs = {0};
        for (size_t i = 0; i < h->n; i++) {
            if (h->v[i] < 0)
                continue; /* a tombstone: its person and place are gone */
            fhir_ids_push(&pids, rowid_pid(h->v[i]));
            fhir_ids_push(&orgs, h->v[i]);
        }
        fhir_ids_sort(&pids);
        if (q->inc_prac)
            for (size_t i = 0; i < pids.n; i++)
                put_resource(c, b, &n, base, FHIR_PRACTITIONER, pids.v[i],
                             &whole, 1);
        if (q->inc_org) {
            /* Each structure once: the first of the page's roles that
             * names it. */
            char(*seen)[72] = xmalloc((orgs.n + 1) * sizeof(*seen));
            size_t ns = 0;
            for (size_t i = 0; i < orgs.n; i++) {
                char sid[72];
                if (fhir_res_role_org(c, orgs.v[i], sid, sizeof(sid)) < 0)
                    continue;
                size_t k = 0;
                while (k < ns && strcmp(seen[k], sid) != 0)
                    k++;
                if (k < ns)
                    continue;
                memcpy(seen[ns++], sid, sizeof(sid));
                put_resource(c, b, &n, base, FHIR_ORG, orgs.v[i], &whole, 1);
            }
            free(seen);
        }
        free(pids.v);
        free(orgs.v);
    } else if (q->type == FHIR_ORG && q->revinc && h->n) {
        char(*sids)[72] = xmalloc(h->n * sizeof(*sids));
        char **ids = xmalloc(h->n * sizeof(*ids));
        size_t m = 0;
        for (size_t i = 0; i < h->n; i++)
            if (fhir_res_role_org(c, h->v[i], sids[m], sizeof(sids[m])) == 0) {
                ids[m] = sids[m];
                m++;
            }
        fhir_roles_of_orgs(c, ids, m, &inc);
        fhir_ids_sort(&inc);
        free(ids);
        free(sids);
        for (size_t i = 0; i < inc.n; i++)
            put_resource(c, b, &n, base, FHIR_ROLE, inc.v[i], &whole, 1);
    }
    free(inc.v);
    if (b->len == entries) /* FHIR's JSON has no empty arrays */
        buf_truncate(b, entries - strlen(",\"entry\":["));
    else
        buf_add(b, "]", 1);
    buf_add(b, "}", 1);
}

static int put_resource(struct db_conn *c, struct buf *b, int *n,
                        const char *base, enum fhir_type type, long long key,
                        const struct fhir_view *v, int include)
{
    char id[80];
    int was = *n;
    size_t mark;
    int rc;
    switch (type) {
    case FHIR_PRACTITIONER: {
        /* Rendered in place (from the cache, mostly), then its entry's
         * opening slid in before it: its id is the one its text opens
         * with, and no second buffer grows and copies each resource. */
        static const char head[] =
            "{\"resourceType\":\"Practitioner\",\"id\":\"";
        size_t start = b->len;
        if (key < 0 ? fhir_res_tombstone(c, b, -key) < 0
                    : fhir_res_practitioner(c, b, key, v) < 0) {
            buf_truncate(b, start);
            return -1;
        }
        size_t rl = b->len - start;
        const char *rs = b->s + start;
        if (rl < sizeof(head) || memcmp(rs, head, sizeof(head) - 1) != 0) {
            buf_truncate(b, start);
            return -1;
        }
        size_t il = strcspn(rs + sizeof(head) - 1, "\"");
        char pre[1024];
        int pl = snprintf(pre, sizeof(pre),
                          "%s{\"fullUrl\":\"%s/Practitioner/%.*s\","
                          "\"resource\":",
                          *n ? "," : "", base, (int)il, rs + sizeof(head) - 1);
        if (pl < 0 || (size_t)pl >= sizeof(pre) ||
            buf_add(b, pre, (size_t)pl) < 0) {
            buf_truncate(b, start);
            return -1;
        }
        memmove(b->s + start + pl, b->s + start, rl);
        memcpy(b->s + start, pre, (size_t)pl);
        (*n)++;
        put_entry_close(b, include);
        return 0;
    }
    case FHIR_ROLE: {
        char nid[40];
        if (key < 0) { /* a tombstone: minus its gone_activity row */
            if (fhir_gone_role_id(c, -key, id, sizeof(id)) < 0)
                return -1;
            mark = put_entry_open(b, n, base, "PractitionerRole", id);
            rc = fhir_res_role_tombstone(c, b, -key);
            break;
        }
        if (fhir_pid_nid(c, rowid_pid(key), nid, sizeof(nid)) < 0)
            return -1;
        snprintf(id, sizeof(id), "%s-%lld", nid, rowid_seq(key));
        mark = put_entry_open(b, n, base, "PractitionerRole", id);
        rc = fhir_res_role(c, b, key, v);
        break;
    }
    default:
        if (key < 0) { /* a tombstone: minus its key (fhir_gone_org()) */
            int day;
            if (fhir_gone_org(c, -key, id, sizeof(id), &day) < 0)
                return -1;
            mark = put_entry_open(b, n, base, "Organization", id);
            rc = fhir_res_org_tombstone(c, b, -key);
            break;
        }
        if (fhir_res_role_org(c, key, id, sizeof(id)) < 0)
            return -1;
        mark = put_entry_open(b, n, base, "Organization", id);
        rc = fhir_res_org_aid(c, b, key, v);
    }
    if (rc < 0) {
        buf_truncate(b, mark);
        *n = was;
        return -1;
    }
    put_entry_close(b, include);
    return 0;
}

/* ---- metadata, reads, the route ---- */

/* The CapabilityStatement: exactly what the facade answers (its
 * parameters are fhir_params.c's table). */
static void put_metadata(struct db_conn *c, struct api_resp *out)
{
    char ts[32];
    fhir_last_updated(c, ts, sizeof(ts));
    static const char *const sp_prac[] = {"_id",
                                          "token",
                                          "identifier",
                                          "token",
                                          "family",
                                          "string",
                                          "given",
                                          "string",
                                          "name",
                                          "string",
                                          "qualification-code",
                                          "token",
                                          "active",
                                          "token",
                                          "_lastUpdated",
                                          "date",
                                          "mailbox-mss",
                                          "string",
                                          NULL};
    static const char *const sp_role[] = {
        "_id",          "token", "practitioner", "reference", "organization",
        "reference",    "role",  "token",        "active",    "token",
        "_lastUpdated", "date",  "mailbox-mss",  "string",    NULL};
    static const char *const sp_org[] = {
        "_id",          "token",  "identifier",
        "token",        "name",   "string",
        "address-city", "string", "address-postalcode",
        "string",       "active", "token",
        "_lastUpdated", "date",   NULL};
    static const char *const *const sps[FHIR_NTYPES] = {sp_prac, sp_role,
                                                        sp_org};
    json_t *res = json_array();
    for (int t = 0; t < FHIR_NTYPES; t++) {
        json_t *sp = json_array();
        for (const char *const *p = sps[t]; *p; p += 2)
            json_array_append_new(
                sp, json_pack("{s:s, s:s}", "name", p[0], "type", p[1]));
        json_t *r = json_pack("{s:s, s:[{s:s}, {s:s}], s:s, s:b, s:o}", "type",
                              type_names[t], "interaction", "code", "read",
                              "code", "search-type", "versioning", "no-version",
                              "readHistory", 0, "searchParam", sp);
        if (t == FHIR_PRACTITIONER)
            json_object_set_new(
                r, "searchRevInclude",
                json_pack("[s]", "PractitionerRole:practitioner"));
        if (t == FHIR_ROLE)
            json_object_set_new(
                r, "searchInclude",
                json_pack("[s, s, s]", "PractitionerRole:practitioner",
                          "PractitionerRole:organization", "*"));
        if (t == FHIR_ORG)
            json_object_set_new(
                r, "searchRevInclude",
                json_pack("[s]", "PractitionerRole:organization"));
        json_array_append_new(res, r);
    }
    out->status = 200;
    out->ctype = FHIR_CTYPE;
    out->body = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:[s, s], "
        "s:[{s:s, s:o}]}",
        "resourceType", "CapabilityStatement", "status", "active", "date", ts,
        "publisher", "rpps-search", "kind", "instance", "fhirVersion", "4.0.1",
        "description",
        "A local, read-only subset of ANS's API Annuaire Sante en libre acces"
        " (FHIR R4, v2), from the RPPS and MSSante open extracts: see"
        " docs/fhir.md",
        "software", "name", "rpps-server", "language", "fr", "format",
        "application/fhir+json", "json", "rest", "mode", "server", "resource",
        res);
}

/* Type/id: the resource, or a 404 OperationOutcome. */
static void read_one(struct db_conn *c, enum fhir_type type, const char *id,
                     struct api_resp *out, const struct api_req *r)
{
    struct fhir_q q;
    /* _format, _pretty, _elements are what a read may carry. */
    if (fhir_params_parse(c, r, type, &q, out) < 0) {
        fhir_params_release(&q);
        return;
    }
    char ts[32];
    fhir_last_updated(c, ts, sizeof(ts));
    struct fhir_view v = {.elements = q.elements, .ts = ts};
    struct buf b;
    buf_init(&b, API_MAX_BODY);
    int rc = -1;
    if (fhir_id_ok(id)) {
        long long key = 0;
        if (type == FHIR_PRACTITIONER) {
            /* The id is the national id; an RPPS or ADELI alone finds
             * nobody here, as an identifier is not an id. */
            long long pid = record_find(c, id);
            char nid[32];
            if (pid && fhir_pid_nid(c, pid, nid, sizeof(nid)) == 0 &&
                strcmp(nid, id) == 0)
                rc = fhir_res_practitioner(c, &b, pid, &v);
            else if ((key = fhir_gone_row(c, id)) > 0)
                rc = fhir_res_tombstone(c, &b, key); /* removed */
        } else if (type == FHIR_ROLE) {
            if (fhir_role_aid(c, id, &key) == 0)
                rc = fhir_res_role(c, &b, key, &v);
            else if ((key = fhir_gone_role_row(c, id)) > 0)
                rc = fhir_res_role_tombstone(c, &b, key); /* removed */
        } else if (fhir_org_aid(c, id, &key) == 0) {
            rc = fhir_res_org_aid(c, &b, key, &v);
        } else if ((key = fhir_gone_org_seq(c, id)) > 0) {
            rc = fhir_res_org_tombstone(c, &b, key); /* gone */
        }
    }
    fhir_params_release(&q);
    if (rc < 0) {
        buf_release(&b);
        fhir_error(out, 404, "not-found", "Resource %s/%.64s is not known",
                   type_names[type], id);
        return;
    }
    api_reply_text(r, out, 200, &b);
    out->ctype = FHIR_CTYPE;
}

static void search(struct db_conn *c, const struct api_req *r,
                   enum fhir_type type, int v2, struct api_resp *out)
{
    struct fhir_q q;
    if (fhir_params_parse(c, r, type, &q, out) < 0) {
        fhir_params_release(&q);
        return;
    }
    struct fhir_hits h = {0};
    int rc = type == FHIR_PRACTITIONER
                 ? fhir_search_practitioner(c, &q, &h, out)
             : type == FHIR_ROLE ? fhir_search_role(c, &q, &h, out)
                                 : fhir_search_org(c, &q, &h, out);
    if (rc == 0) {
        char base[600];
        base_url(r, v2, base, sizeof(base));
        struct buf b;
        buf_init(&b, API_MAX_BODY);
        put_bundle(c, r, base, &q, &h, &b);
        api_reply_text(r, out, 200, &b);
        out->ctype = FHIR_CTYPE;
    }
    free(h.v);
    fhir_params_release(&q);
}

void api_fhir(struct db_conn *c, const struct api_req *r, struct api_resp *out)
{
    const char *p = r->rest;
    int v2 = strncmp(p, "v2/", 3) == 0 || strcmp(p, "v2") == 0;
    if (v2)
        p += p[2] ? 3 : 2;
    if (strcmp(p, "metadata") == 0) {
        put_metadata(c, out);
        return;
    }
    size_t tl = strcspn(p, "/");
    int type = 0;
    while (type < FHIR_NTYPES && !(strlen(type_names[type]) == tl &&
                                   strncmp(p, type_names[type], tl) == 0))
        type++;
    if (type == FHIR_NTYPES) {
        fhir_error(out, 404, "not-supported",
                   "Unknown resource type '%.*s' - Server knows how to"
                   " handle: [Practitioner, PractitionerRole, Organization]",
                   (int)(tl < 64 ? tl : 64), p);
        return;
    }
    const char *rest = p + tl;
    if (!*rest || strcmp(rest, "/") == 0 || strcmp(rest, "/_search") == 0) {
        search(c, r, (enum fhir_type)type, v2, out);
        return;
    }
    const char *id = rest + 1;
    if (strchr(id, '/')) {
        fhir_error(out, 404, "not-supported",
                   "Only reads and searches are served (no history, no"
                   " operations)");
        return;
    }
    read_one(c, (enum fhir_type)type, id, out, r);
}
