/* The FHIR facade's handler: the route under /fhir/ (metadata, a read, a
 * search of Practitioner, PractitionerRole or Organization), the search of
 * each type, and the Bundle with its links.
 *
 * A Practitioner search goes to the search engine (search_pids(), the
 * same folding, plan and ranking as /v1/search): family, given and name
 * words, the profession and specialty of qualification-code, has_mss for
 * a mailbox-mss:contains=@. What the engine has no stream for (an id or
 * mailbox list, :exact, :contains, a category) is checked person by
 * person over a bounded set of candidates: the listed people, the
 * engine's match of the other conditions, or (a :contains alone) every
 * person's folded names in memory. PractitionerRole and Organization are
 * read from the activity rows (docs/fhir.md says which of their searches
 * scan the table until it has a structure index: issue 13). */
#include "fhir.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "fhir_int.h"
#include "fold.h"
#include "rank.h"
#include "record.h"
#include "rowid.h"
#include "structure.h"
#include "search.h"
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

/* An error the search engine answered (api_error()'s JSON) as an
 * OperationOutcome with its status and message. */
static void from_api_error(struct api_resp *out)
{
    int status = out->status ? out->status : 503;
    const char *msg = NULL;
    json_t *e = out->body ? json_object_get(out->body, "error") : NULL;
    if (e)
        msg = json_string_value(json_object_get(e, "message"));
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", msg ? msg : "error");
    fhir_error(out, status, status == 400 ? "invalid" : "exception", "%s",
               copy);
}

/* ---- candidate sets: sorted unique ids ---- */

struct ids {
    long long *v;
    size_t n, cap;
};

static void ids_push(struct ids *s, long long x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = x;
}

static int ll_cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void ids_sort(struct ids *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), ll_cmp);
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!o || s->v[o - 1] != s->v[i])
            s->v[o++] = s->v[i];
    s->n = o;
}

/* *acc = *acc AND s (both sorted); *have: acc holds a set yet. s is
 * emptied. */
static void ids_and(struct ids *acc, int *have, struct ids *s)
{
    ids_sort(s);
    if (!*have) {
        free(acc->v);
        *acc = *s;
        memset(s, 0, sizeof(*s));
        *have = 1;
        return;
    }
    size_t o = 0, j = 0;
    for (size_t i = 0; i < acc->n; i++) {
        while (j < s->n && s->v[j] < acc->v[i])
            j++;
        if (j < s->n && s->v[j] == acc->v[i])
            acc->v[o++] = acc->v[i];
    }
    acc->n = o;
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- the answer ---- */

struct hits {
    long long *v; /* the page: pids, aids (PractitionerRole and
                   * Organization: an activity naming the structure) */
    size_t n;
    long long total;
};

/* A search's end: its page and total into h, or, when the request ran out
 * of time, the page freed and a 503 in out. 0, or -1. */
static int hits_done(struct db_conn *c, struct ids *page, long long total,
                     struct hits *h, struct api_resp *out)
{
    if (c->expired) {
        free(page->v);
        fhir_error(out, 503, "too-costly", "the search ran out of time");
        return -1;
    }
    h->v = page->v;
    h->n = page->n;
    h->total = total;
    return 0;
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
 * offset when offset >= 0), JSON-quoted into b. */
static void put_link(struct buf *b, const char *relation, const char *base,
                     const char *type, const struct api_req *r, long offset)
{
    struct buf u;
    buf_init(&u, API_MAX_BODY);
    buf_addf(&u, "%s/%s", base, type);
    int n = 0;
    for (size_t i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].key, "_getpagesoffset") == 0)
            continue;
        buf_add(&u, n++ ? "&" : "?", 1);
        put_enc(&u, r->params[i].key);
        buf_add(&u, "=", 1);
        put_enc(&u, r->params[i].val);
    }
    if (offset > 0)
        buf_addf(&u, "%s_getpagesoffset=%ld", n ? "&" : "?", offset);
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

/* The national id of pid into nid. */
static int pid_nid(struct db_conn *c, long long pid, char *nid, size_t cap)
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

/* The roles (activities) of pid, appended to s. */
static void roles_of(struct db_conn *c, long long pid, struct ids *s)
{
    sqlite3_stmt *st = db_prepare_static(
        c,
        "SELECT aid FROM activity WHERE aid" ROWID_RANGE_SQL " ORDER BY aid");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, pid);
    while (sqlite3_step(st) == SQLITE_ROW)
        ids_push(s, sqlite3_column_int64(st, 0));
    db_done(st);
}

/* The activities at the structures ids[0..n) (technical ids), each
 * ascending: from the structure table's pids, not a scan of activity. */
static void roles_of_orgs(struct db_conn *c, char *const *ids, size_t n,
                          struct ids *s)
{
    for (size_t i = 0; i < n && !c->expired; i++) {
        long long sid = fhir_org_sid(c, ids[i]), *v;
        size_t m;
        if (sid <= 0 || fhir_org_aids(c, sid, 0, &v, &m) < 0)
            continue;
        for (size_t j = 0; j < m; j++)
            ids_push(s, v[j]);
        free(v);
    }
}

/* The page as a searchset Bundle, with what _include and _revinclude add
 * (each resource once). */
static void put_bundle(struct db_conn *c, const struct api_req *r,
                       const char *base, const struct fhir_q *q,
                       const struct hits *h, struct buf *b)
{
    char ts[32], id[64];
    fhir_last_updated(c, ts, sizeof(ts));
    bundle_id(id, sizeof(id));
    struct fhir_view v = {.elements = q->elements, .ts = ts};
    buf_addf(b,
             "{\"resourceType\":\"Bundle\",\"id\":\"%s\",\"meta\":{"
             "\"lastUpdated\":\"%s\"},\"type\":\"searchset\",\"total\":%lld,"
             "\"link\":[",
             id, ts, h->total);
    const char *type = type_names[q->type];
    if (q->count > 0 && (long long)(q->offset + q->count) < h->total &&
        h->n == (size_t)q->count) {
        put_link(b, "next", base, type, r, q->offset + q->count);
        buf_add(b, ",", 1);
    }
    put_link(b, "self", base, type, r, q->offset);
    buf_addstr(b, "],\"entry\":[");
    size_t entries = b->len;
    int n = 0;
    for (size_t i = 0; i < h->n; i++)
        put_resource(c, b, &n, base, q->type, h->v[i], &v, 0);
    /* Included resources show whole: _elements is the matches'. */
    struct fhir_view whole = {.elements = NULL, .ts = ts};
    struct ids inc = {0};
    if (q->type == FHIR_PRACTITIONER && q->revinc) {
        for (size_t i = 0; i < h->n; i++)
            roles_of(c, h->v[i], &inc);
        for (size_t i = 0; i < inc.n; i++)
            put_resource(c, b, &n, base, FHIR_ROLE, inc.v[i], &whole, 1);
    } else if (q->type == FHIR_ROLE && (q->inc_prac || q->inc_org)) {
        struct ids pids = {0}, orgs = {0};
        for (size_t i = 0; i < h->n; i++) {
            ids_push(&pids, rowid_pid(h->v[i]));
            ids_push(&orgs, h->v[i]);
        }
        ids_sort(&pids);
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
        roles_of_orgs(c, ids, m, &inc);
        ids_sort(&inc);
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
        if (pid_nid(c, rowid_pid(key), nid, sizeof(nid)) < 0)
            return -1;
        snprintf(id, sizeof(id), "%s-%lld", nid, key & ROWID_SEQ_MAX);
        mark = put_entry_open(b, n, base, "PractitionerRole", id);
        rc = fhir_res_role(c, b, key, v);
        break;
    }
    default:
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

/* ---- Practitioner ---- */

/* 1 if w[0..n) begins a word of the folded text t (NULL: none). */
static int word_in(const char *w, size_t n, const char *t)
{
    for (const char *s = t; s && *s;) {
        while (*s == ' ')
            s++;
        if (*s && strncmp(s, w, n) == 0)
            return 1;
        s += strcspn(s, " ");
    }
    return 0;
}

/* 1 if every word of folded f begins a word of x, y or z (as name_fts
 * matches the engine's words: each in one of the columns asked). */
static int words_in(const char *f, const char *x, const char *y, const char *z)
{
    for (const char *p = f; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n && !word_in(p, n, x) && !word_in(p, n, y) && !word_in(p, n, z))
            return 0;
        p += n;
    }
    return 1;
}

/* What a person is checked against (the parts of q the engine did not
 * read, or all of it). */
struct pcheck {
    const struct fhir_q *q;
    char *fold[FHIR_REPEAT_MAX * 3]; /* q->names[i].v folded */
    int need_row;                    /* a condition reads the row */
    int mss; /* has a mailbox (mailbox-mss:contains=@) */
};

static void pcheck_init(struct pcheck *k, const struct fhir_q *q)
{
    memset(k, 0, sizeof(*k));
    k->q = q;
    for (int i = 0; i < q->nnames; i++) {
        size_t n = strlen(q->names[i].v);
        k->fold[i] = xmalloc(n + 1);
        fold(q->names[i].v, n, k->fold[i]);
        if (q->names[i].mod == MOD_EXACT)
            k->need_row = 1;
    }
    if (q->nqual)
        k->need_row = 1;
    for (int i = 0; i < q->nmbox; i++)
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            k->mss = 1;
}

static void pcheck_release(struct pcheck *k)
{
    for (int i = 0; i < k->q->nnames; i++)
        free(k->fold[i]);
}

/* One name condition on folded names (last, first, joined last). */
static int name_ok(const struct fhir_name *nm, const char *f, const char *last,
                   const char *first, const char *join)
{
    int fam = nm->cols & COL_FAM, giv = nm->cols & COL_FIRST;
    if (nm->mod == MOD_CONTAINS)
        return (fam && (strstr(last, f) || strstr(join, f))) ||
               (giv && strstr(first, f));
    if (nm->mod == MOD_EXACT)
        return 1; /* on the row: pid_ok() */
    return words_in(f, fam ? last : NULL, fam ? join : NULL,
                    giv ? first : NULL);
}

/* 1 if pid passes every condition of k, 0 if not, -1 on an error. */
static int pid_ok(struct db_conn *c, const struct pcheck *k, long long pid)
{
    const struct fhir_q *q = k->q;
    if (k->mss && pid > c->mss_end)
        return 0;
    const char *last, *first, *join;
    if (q->nnames && dataset_names(c->ds, pid, &last, &first, &join) < 0)
        return 0;
    for (int i = 0; i < q->nnames; i++)
        if (!name_ok(&q->names[i], k->fold[i], last, first, join))
            return 0;
    if (!k->need_row)
        return 1;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT last_name, first_name, profession_code, category_code"
           " FROM professional WHERE pid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return 0;
    }
    const char *ln = db_text(st, 0), *fn = db_text(st, 1),
               *prof = db_text(st, 2), *cat = db_text(st, 3);
    int ok = 1;
    for (int i = 0; ok && i < q->nnames; i++) {
        const struct fhir_name *nm = &q->names[i];
        if (nm->mod != MOD_EXACT)
            continue;
        /* :exact is case- and accent-sensitive, as FHIR says. */
        ok = ((nm->cols & COL_FAM) && ln && strcmp(ln, nm->v) == 0) ||
             ((nm->cols & COL_FIRST) && fn && strcmp(fn, nm->v) == 0);
    }
    char profc[16] = "", catc[16] = "";
    snprintf(profc, sizeof(profc), "%s", prof ? prof : "");
    snprintf(catc, sizeof(catc), "%s", cat ? cat : "");
    db_done(st);
    for (int i = 0; ok && i < q->nqual; i++) {
        int any = 0;
        for (int j = 0; !any && j < q->qual[i].n; j++) {
            const char *code = q->qual[i].v[j];
            any = strcmp(code, profc) == 0 || strcmp(code, catc) == 0;
            if (!any && db_has_specialty(c, pid)) {
                sqlite3_stmt *sp = db_prepare_static(
                    c, "SELECT 1 FROM specialty WHERE pid = ?1 AND code = ?2");
                if (!sp)
                    return -1;
                sqlite3_bind_int64(sp, 1, pid);
                sqlite3_bind_text(sp, 2, code, -1, SQLITE_TRANSIENT);
                any = sqlite3_step(sp) == SQLITE_ROW;
                db_done(sp);
            }
        }
        ok = any;
    }
    return ok;
}

/* The owners of the mailboxes one mailbox-mss condition matches, into s
 * (mailboxes of nobody known skipped). :contains reads every address. */
static int mailbox_pids(struct db_conn *c, const struct fhir_name *m,
                        struct ids *s)
{
    static const char *const sql[] = {
        "SELECT mid FROM mailbox WHERE address >= ?1 AND address < ?1 || x'f4'",
        "SELECT mid FROM mailbox WHERE address = ?1",
        "SELECT mid FROM mailbox WHERE instr(address, ?1) > 0",
    };
    sqlite3_stmt *st = db_prepare_static(c, sql[m->mod]);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, m->v, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long mid = sqlite3_column_int64(st, 0);
        if (rowid_pid(mid))
            ids_push(s, rowid_pid(mid));
    }
    db_done(st);
    return 0;
}

/* The candidate set of the listed people (identifier, _id) and the
 * mailboxes (but "has one": mss), AND-ed: *have 0 when q lists nobody. */
static int listed_pids(struct db_conn *c, const struct fhir_q *q,
                       struct ids *set, int *have)
{
    *have = 0;
    for (int i = 0; i < q->nids; i++) {
        struct ids s = {0};
        for (int j = 0; j < q->ids[i].n; j++) {
            long long pid =
                *q->ids[i].v[j] ? record_find(c, q->ids[i].v[j]) : 0;
            if (pid)
                ids_push(&s, pid);
        }
        ids_and(set, have, &s);
    }
    for (int i = 0; i < q->nmbox; i++) {
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            continue;
        struct ids s = {0};
        if (mailbox_pids(c, &q->mbox[i], &s) < 0) {
            free(s.v);
            return -1;
        }
        ids_and(set, have, &s);
    }
    return 0;
}

/* The kind of a code of qualification-code: 'p' profession, 's'
 * specialty, 'c' category, 0 none of them (a diploma: not searched). */
static int qual_kind(struct db_conn *c, const char *code)
{
    if (db_label(c, "profession", code))
        return 'p';
    if (db_label(c, "specialty", code))
        return 's';
    if (db_label(c, "category", code))
        return 'c';
    return 0;
}

/* Adds a parameter to the engine's request. */
static void eng_add(struct api_param *p, size_t *n, const char *k, char *v)
{
    p[*n].key = k;
    p[*n].klen = strlen(k);
    p[*n].val = v;
    p[*n].vlen = strlen(v);
    (*n)++;
}

/* The engine's request for what of q it reads (family, given and name
 * words as prefixes, one profession or specialty list, has_mss): *all 1
 * when that is all of q (no person need be checked after). Values are
 * malloc'd into vals. Returns the parameter count. */
static size_t engine_req(struct db_conn *c, const struct fhir_q *q,
                         const struct pcheck *k, struct api_param *p,
                         char **vals, int *all)
{
    size_t n = 0;
    *all = 1;
    struct buf w[3];
    static const char *const key[3] = {"name", "given", "words"};
    for (int i = 0; i < 3; i++)
        buf_init(&w[i], 4096);
    for (int i = 0; i < q->nnames; i++) {
        const struct fhir_name *nm = &q->names[i];
        if (nm->mod == MOD_CONTAINS) {
            *all = 0;
            continue;
        }
        if (nm->mod == MOD_EXACT)
            *all = 0; /* its words narrow, the row decides */
        int j = nm->cols == COL_FAM ? 0 : nm->cols == COL_FIRST ? 1 : 2;
        if (w[j].len)
            buf_add(&w[j], " ", 1);
        buf_addstr(&w[j], nm->v);
    }
    for (int j = 0; j < 3; j++) {
        if (w[j].len) {
            vals[n] = xstrdup(w[j].s);
            eng_add(p, &n, key[j], vals[n]);
        }
        buf_release(&w[j]);
    }
    int nprof = 0, nspec = 0;
    for (int i = 0; i < q->nqual; i++) {
        int kind = -1;
        for (int j = 0; j < q->qual[i].n; j++) {
            int kj = qual_kind(c, q->qual[i].v[j]);
            kind = kind < 0 || kind == kj ? kj : 'x';
        }
        int fits = (kind == 'p' && !nprof) || (kind == 's' && !nspec);
        if (!fits) {
            *all = 0;
            continue;
        }
        struct buf l;
        buf_init(&l, 8192);
        for (int j = 0; j < q->qual[i].n; j++) {
            if (j)
                buf_add(&l, ",", 1);
            buf_addstr(&l, q->qual[i].v[j]);
        }
        vals[n] = xstrdup(l.s);
        eng_add(p, &n, kind == 'p' ? "profession" : "specialty", vals[n]);
        buf_release(&l);
        if (kind == 'p')
            nprof = 1;
        else
            nspec = 1;
    }
    if (k->mss) {
        vals[n] = xstrdup("true");
        eng_add(p, &n, "has_mss", vals[n]);
    }
    return n;
}

static int in_codes(const struct fhir_codes *l, const char *v);
static void take(const struct fhir_q *q, struct ids *page, long long *total,
                 long long aid);

/* active=false: the professionals removed and not back (every present
 * one is active), as tombstones, keyed by minus their gone_professional
 * row, by national id. A tombstone has no name, qualification or
 * mailbox: a search for one finds none. */
static int search_gone(struct db_conn *c, const struct fhir_q *q,
                       struct hits *h, struct api_resp *out)
{
    if (q->nnames || q->nqual || q->nmbox)
        return 0;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT max(rowid), national_id FROM gone_professional g"
           " WHERE NOT EXISTS (SELECT 1 FROM professional p WHERE"
           " p.national_id = g.national_id)"
           " GROUP BY national_id ORDER BY national_id");
    if (!st) {
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    struct ids page = {0};
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *nid = db_text(st, 1);
        int ok = nid != NULL;
        for (int i = 0; ok && i < q->nids; i++)
            ok = in_codes(&q->ids[i], nid);
        if (ok)
            take(q, &page, &total, -sqlite3_column_int64(st, 0));
    }
    db_done(st);
    return hits_done(c, &page, total, h, out);
}

/* Practitioner search: the page into h. 0, or -1 with the error in out. */
static int search_practitioner(struct db_conn *c, const struct fhir_q *q,
                               struct hits *h, struct api_resp *out)
{
    if (q->stale)
        return 0;
    if (q->active == 0)
        return search_gone(c, q, h, out);
    struct pcheck k;
    pcheck_init(&k, q);
    struct ids set = {0};
    int have, rc = -1;
    struct api_param p[8];
    char *vals[8] = {0};
    int all;
    size_t np = 0;
    if (listed_pids(c, q, &set, &have) < 0) {
        fhir_error(out, 503, "exception", "database error");
        goto out;
    }
    np = engine_req(c, q, &k, p, vals, &all);
    if (!have && all && np) {
        /* Everything in the engine: its page is the answer. */
        struct api_req er = {.params = p, .nparams = np};
        struct search_page pg;
        if (search_pids(c, &er, q->count, q->offset, &pg, out) < 0) {
            from_api_error(out);
            goto out;
        }
        h->v = pg.pid;
        h->n = pg.n;
        h->total = pg.total;
        rc = 0;
        goto out;
    }
    if (!have && !np && !q->nnames && !q->nqual) {
        /* No condition: everyone, in the default order (pids 1..max). */
        h->total = c->max_pid;
        for (long long i = q->offset + 1;
             i <= c->max_pid && i <= q->offset + q->count; i++)
            ids_push(&set, i);
        h->v = set.v;
        h->n = set.n;
        set.v = NULL;
        rc = 0;
        goto out;
    }
    if (!have && np) {
        /* The engine's match of what it reads, each then checked. */
        struct api_req er = {.params = p, .nparams = np};
        struct search_page pg;
        if (search_pids(c, &er, FHIR_CHECK_MAX, 0, &pg, out) < 0) {
            from_api_error(out);
            goto out;
        }
        set.v = pg.pid;
        set.n = set.cap = pg.n;
        have = 1;
    }
    struct ids page = {0};
    long long total = 0;
    if (have) {
        for (size_t i = 0; i < set.n; i++) {
            int ok = pid_ok(c, &k, set.v[i]);
            if (ok < 0) {
                free(page.v);
                fhir_error(out, 503, "exception", "database error");
                goto out;
            }
            if (ok && total++ >= q->offset && (long)page.n < q->count)
                ids_push(&page, set.v[i]);
        }
    } else {
        /* A :contains alone: every person's folded names, in memory. */
        for (long long pid = 1; pid <= c->max_pid && !c->expired; pid++) {
            int ok = pid_ok(c, &k, pid);
            if (ok < 0) {
                free(page.v);
                fhir_error(out, 503, "exception", "database error");
                goto out;
            }
            if (ok && total++ >= q->offset && (long)page.n < q->count)
                ids_push(&page, pid);
        }
    }
    h->v = page.v;
    h->n = page.n;
    h->total = total;
    rc = 0;
out:
    for (size_t i = 0; i < np; i++)
        free(vals[i]);
    free(set.v);
    pcheck_release(&k);
    return rc;
}

/* ---- PractitionerRole ---- */

static int in_codes(const struct fhir_codes *l, const char *v)
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
    if (!structure || rowid_pid(aid) > c->mss_end)
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
static int role_ok(struct db_conn *c, const struct fhir_q *q, long long aid,
                   sqlite3_stmt *st)
{
    const char *sid = db_text(st, 1);
    if (q->org.n && !in_codes(&q->org, sid))
        return 0;
    for (int i = 0; i < q->nroles; i++) {
        int any = 0;
        for (int j = 2; j <= 5 && !any; j++)
            any = in_codes(&q->roles[i], db_text(st, j));
        if (!any)
            return 0;
    }
    char s[72];
    snprintf(s, sizeof(s), "%s", sid ? sid : "");
    return role_mailbox_ok(c, q, aid, sid ? s : NULL);
}

#define ROLE_COLS                                                              \
    "aid, structure_id, genre_code, mode_code, role_code,"                     \
    " section_code"

/* Takes aid if it passes: counted, and kept when on the page. */
static void take(const struct fhir_q *q, struct ids *page, long long *total,
                 long long aid)
{
    if ((*total)++ >= q->offset && (long)page->n < q->count)
        ids_push(page, aid);
}

static int search_role(struct db_conn *c, const struct fhir_q *q,
                       struct hits *h, struct api_resp *out)
{
    if (q->stale || q->active == 0)
        return 0;
    struct ids cand = {0}, page = {0};
    long long total = 0;
    /* The candidates from the ids, people or structures asked, else
     * every activity (a scan, which the deadline bounds). */
    int listed = q->tid.n || q->prac.n || q->org.n;
    if (q->tid.n) {
        for (int i = 0; i < q->tid.n; i++) {
            long long aid;
            if (fhir_role_aid(c, q->tid.v[i], &aid) == 0)
                ids_push(&cand, aid);
        }
    } else if (q->prac.n) {
        for (int i = 0; i < q->prac.n; i++) {
            long long pid = record_find(c, q->prac.v[i]);
            if (pid)
                roles_of(c, pid, &cand);
        }
    } else if (q->org.n) {
        roles_of_orgs(c, q->org.v, (size_t)q->org.n, &cand);
    }
    if (listed) {
        ids_sort(&cand);
        sqlite3_stmt *st = db_prepare_static(
            c, "SELECT " ROLE_COLS " FROM activity WHERE aid = ?1");
        for (size_t i = 0; st && i < cand.n; i++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, cand.v[i]);
            if (sqlite3_step(st) == SQLITE_ROW && role_ok(c, q, cand.v[i], st))
                take(q, &page, &total, cand.v[i]);
        }
        db_done(st);
    } else {
        sqlite3_stmt *st = db_prepare_static(c, "SELECT " ROLE_COLS
                                                " FROM activity ORDER BY aid");
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            long long aid = sqlite3_column_int64(st, 0);
            if (role_ok(c, q, aid, st))
                take(q, &page, &total, aid);
        }
        db_done(st);
    }
    free(cand.v);
    return hits_done(c, &page, total, h, out);
}

/* ---- Organization ---- */

/* A folded string condition: prefix of a word (words_in), :contains, or
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
                                    : words_in(w, f, NULL, NULL);
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
    return d ? d : ll_cmp(&x->key, &y->key);
}

#define ORG_SEL                                                                \
    "SELECT sid, structure_id, name, sign, siret, siren, finess,"              \
    " finess_legal, postcode, city, cedex_office FROM structure"

static int org_ok(const struct fhir_q *q, sqlite3_stmt *st)
{
    const char *sid = db_text(st, 1);
    if (!sid || !fhir_id_ok(sid))
        return 0;
    if (q->tid.n && !in_codes(&q->tid, sid))
        return 0;
    for (int i = 0; i < q->norgident; i++) {
        int any = 0;
        char idnst[32];
        for (int j = 4; j <= 7 && !any; j++)
            any = in_codes(&q->orgident[i], db_text(st, j));
        if (!any && fhir_idnst(sid, idnst, sizeof(idnst)) == 0)
            any = in_codes(&q->orgident[i], idnst);
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

/* A JSON array of the n strings v. */
static char *json_strings(char *const *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *js = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return js;
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

static int search_org(struct db_conn *c, const struct fhir_q *q, struct hits *h,
                      struct api_resp *out)
{
    if (q->stale || q->active == 0)
        return 0;
    /* The structures to read, from the structure table (one row per
     * structure, 350,000 at full scale, where activity has 2.4 M with no
     * index on the structure): by the ids, identifiers, name words or
     * postal code asked, through their indexes; else every one, which
     * the deadline bounds. */
    sqlite3_stmt *st;
    char lo[256], hi[260], *js = NULL;
    int by_name = -2;
    if (q->tid.n) {
        js = json_strings(q->tid.v, q->tid.n);
        st = db_prepare_static(c, ORG_SEL " WHERE structure_id IN"
                                          " (SELECT value FROM json_each(?1))");
    } else if (q->norgident) {
        /* A SIREN is the first 9 digits of its sites' SIRETs; an IDNST
         * its technical id with a digit for the letter. */
        js = json_strings(q->orgident[0].v, q->orgident[0].n);
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
        st = db_prepare_static(c, ORG_SEL " WHERE city_fold BETWEEN ?2 AND ?3");
    } else {
        st = db_prepare_static(c, ORG_SEL);
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
    free(js);
    struct org_row *rows = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!org_ok(q, st))
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
    struct ids page = {0};
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        if (total++ < q->offset || (long)page.n >= q->count)
            continue;
        long long *v;
        size_t m;
        if (fhir_org_aids(c, rows[i].key, 1, &v, &m) == 0 && m)
            ids_push(&page, v[0]);
        else
            total--;
        free(v);
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].sid);
    free(rows);
    return hits_done(c, &page, total, h, out);
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
            if (pid && pid_nid(c, pid, nid, sizeof(nid)) == 0 &&
                strcmp(nid, id) == 0)
                rc = fhir_res_practitioner(c, &b, pid, &v);
            else if ((key = fhir_gone_row(c, id)) > 0)
                rc = fhir_res_tombstone(c, &b, key); /* removed */
        } else if (type == FHIR_ROLE) {
            if (fhir_role_aid(c, id, &key) == 0)
                rc = fhir_res_role(c, &b, key, &v);
        } else if (fhir_org_aid(c, id, &key) == 0) {
            rc = fhir_res_org_aid(c, &b, key, &v);
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
    struct hits h = {0};
    int rc = type == FHIR_PRACTITIONER ? search_practitioner(c, &q, &h, out)
             : type == FHIR_ROLE       ? search_role(c, &q, &h, out)
                                       : search_org(c, &q, &h, out);
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
