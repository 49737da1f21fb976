/* The facade's searches of Practitioner and PractitionerRole (the
 * Organization search is fhir_org.c's), each giving its page of keys and
 * its total (fhir.c writes the Bundle; fhir_dates.c plans _lastUpdated).
 *
 * A Practitioner search goes to the search engine (search_pids(), the
 * same folding, plan and ranking as /v1/search): family, given and name
 * words, the profession and specialty of qualification-code, has_mss for
 * a mailbox-mss:contains=@. What the engine has no stream for (an id or
 * mailbox list, :exact, :contains, a category) is checked person by
 * person over a bounded set of candidates: the listed people, the
 * engine's match of the other conditions, or (a :contains alone) every
 * person's folded names in memory. PractitionerRole is read from the
 * activity rows (docs/fhir.md says when in id order, a page at a time). */
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "dataset.h"
#include "fhir_int.h"
#include "fold.h"
#include "rank.h"
#include "record.h"
#include "rowid.h"
#include "structure.h"
#include "search.h"
#include "banned.h"

/* The engine's parameters engine_req() fills and the FHIR parameter each
 * comes from, so that an error of the engine names what the client sent:
 * 'profession' is not a parameter of the facade. */
static const char *const eng_names[][2] = {
    {"name", "family"},
    {"given", "given"},
    {"words", "name"},
    {"profession", "qualification-code"},
    {"specialty", "qualification-code"},
    {"has_mss", "mailbox-mss"},
};

/* An error the search engine answered (api_error()'s JSON) as an
 * OperationOutcome with its status and message, the engine's parameter
 * names ('profession') replaced by the facade's. */
static void from_api_error(struct api_resp *out)
{
    int status = out->status ? out->status : 503;
    const char *msg = NULL;
    json_t *e = out->body ? json_object_get(out->body, "error") : NULL;
    if (e)
        msg = json_string_value(json_object_get(e, "message"));
    if (!msg)
        msg = "error";
    char copy[512];
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < sizeof(copy);) {
        const char *to = NULL;
        size_t n = 0;
        for (size_t i = 0;
             *p == '\'' && !to && i < sizeof(eng_names) / sizeof(eng_names[0]);
             i++) {
            n = strlen(eng_names[i][0]);
            if (strncmp(p + 1, eng_names[i][0], n) == 0 && p[n + 1] == '\'')
                to = eng_names[i][1];
        }
        if (to) {
            o += (size_t)snprintf(copy + o, sizeof(copy) - o, "'%s'", to);
            o = o < sizeof(copy) ? o : sizeof(copy) - 1;
            p += n + 2;
        } else {
            copy[o++] = *p++;
        }
    }
    copy[o] = '\0';
    fhir_error(out, status, status == 400 ? "invalid" : "exception", "%s",
               copy);
}

/* ---- candidate sets: sorted unique ids ---- */

void fhir_ids_push(struct fhir_ids *s, long long x)
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

void fhir_ids_sort(struct fhir_ids *s)
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
static void ids_and(struct fhir_ids *acc, int *have, struct fhir_ids *s)
{
    fhir_ids_sort(s);
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

/* A search's end: its page and total into h, or, when the request ran out
 * of time, the page freed and a 503 in out. 0, or -1. */
int fhir_hits_done(struct db_conn *c, struct fhir_ids *page, long long total,
                   struct fhir_hits *h, struct api_resp *out)
{
    if (db_expired(c)) {
        free(page->v);
        fhir_error(out, 503, "too-costly", "the search ran out of time");
        return -1;
    }
    h->v = page->v;
    h->n = page->n;
    h->total = total;
    return 0;
}

/* The roles (activities) of pid, appended to s. */
void fhir_roles_of(struct db_conn *c, long long pid, struct fhir_ids *s)
{
    sqlite3_stmt *st = db_prepare_static(
        c,
        "SELECT aid FROM activity WHERE aid" ROWID_RANGE_SQL " ORDER BY aid");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, pid);
    while (sqlite3_step(st) == SQLITE_ROW)
        fhir_ids_push(s, sqlite3_column_int64(st, 0));
    db_done(st);
}

/* The activities at the structures ids[0..n) (technical ids), each
 * ascending: from the structure table's pids, not a scan of activity. */
void fhir_roles_of_orgs(struct db_conn *c, char *const *ids, size_t n,
                        struct fhir_ids *s)
{
    for (size_t i = 0; i < n && !db_expired(c); i++) {
        long long sid = fhir_org_sid(c, ids[i]), *v;
        size_t m;
        if (sid <= 0 || fhir_org_aids(c, sid, 0, &v, &m) < 0)
            continue;
        for (size_t j = 0; j < m; j++)
            fhir_ids_push(s, v[j]);
        free(v);
    }
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
int fhir_words_in(const char *f, const char *x, const char *y, const char *z)
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
    int mss;   /* has a mailbox (mailbox-mss:contains=@) */
    int dates; /* each person's date is checked (struct date_plan) */
    const struct date_plan *dp;
};

static void pcheck_init(struct pcheck *k, const struct fhir_q *q,
                        const struct date_plan *dp, int dates)
{
    memset(k, 0, sizeof(*k));
    k->q = q;
    k->dp = dp;
    k->dates = dates;
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
    return fhir_words_in(f, fam ? last : NULL, fam ? join : NULL,
                         giv ? first : NULL);
}

/* 1 if pid passes every condition of k, 0 if not, -1 on an error. */
static int pid_ok(struct db_conn *c, const struct pcheck *k, long long pid)
{
    const struct fhir_q *q = k->q;
    if (k->mss && pid > db_mss_end(c))
        return 0;
    const char *last, *first, *join;
    if (q->nnames &&
        dataset_names(db_dataset(c), pid, &last, &first, &join) < 0)
        return 0;
    for (int i = 0; i < q->nnames; i++)
        if (!name_ok(&q->names[i], k->fold[i], last, first, join))
            return 0;
    if (k->dates && !fhir_plan_date_ok(c, q, k->dp, pid))
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
 * (mailboxes of nobody known skipped). :contains reads every address.
 * max > 0: stops past max mailboxes, and returns 1. */
static int mailbox_pids(struct db_conn *c, const struct fhir_name *m,
                        struct fhir_ids *s, size_t max)
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
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long mid = sqlite3_column_int64(st, 0);
        if (max && ++n > max)
            break;
        if (rowid_pid(mid))
            fhir_ids_push(s, rowid_pid(mid));
    }
    db_done(st);
    return max && n > max;
}

/* The candidate set of the listed people (identifier, _id) and the
 * mailboxes (but "has one": mss), AND-ed: *have 0 when q lists nobody. */
static int listed_pids(struct db_conn *c, const struct fhir_q *q,
                       struct fhir_ids *set, int *have)
{
    *have = 0;
    for (int i = 0; i < q->nids; i++) {
        struct fhir_ids s = {0};
        for (int j = 0; j < q->ids[i].n; j++) {
            long long pid =
                *q->ids[i].v[j] ? record_find(c, q->ids[i].v[j]) : 0;
            if (pid)
                fhir_ids_push(&s, pid);
        }
        ids_and(set, have, &s);
    }
    for (int i = 0; i < q->nmbox; i++) {
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            continue;
        struct fhir_ids s = {0};
        if (mailbox_pids(c, &q->mbox[i], &s, 0) < 0) {
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

static void take(const struct fhir_q *q, struct fhir_ids *page,
                 long long *total, long long aid);

/* The removed professionals not back (every present one is active), as
 * tombstones keyed by minus their gone_professional row, by national id,
 * those q's ids and dates pass taken into page after what *total counts
 * already. A tombstone has no name, qualification or mailbox: a search
 * for one finds none. Its date is the day the removal was seen. */
static int gone_take(struct db_conn *c, const struct fhir_q *q,
                     const struct date_plan *dp, struct fhir_ids *page,
                     long long *total)
{
    if (q->nnames || q->nqual || q->nmbox)
        return 0;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT max(rowid), national_id, coalesce((SELECT min(day) FROM"
           " import WHERE day > g.last_seen), g.last_seen)"
           " FROM gone_professional g"
           " WHERE NOT EXISTS (SELECT 1 FROM professional p WHERE"
           " p.national_id = g.national_id)"
           " GROUP BY national_id ORDER BY national_id");
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *nid = db_text(st, 1);
        int ok = nid != NULL;
        for (int i = 0; ok && i < q->nids; i++)
            ok = fhir_in_codes(&q->ids[i], nid);
        if (ok && dp->check) {
            char ts[32];
            fhir_day_ts(sqlite3_column_int(st, 2), ts, sizeof(ts));
            ok = fhir_date_ok(q, ts);
        }
        if (ok)
            take(q, page, total, -sqlite3_column_int64(st, 0));
    }
    db_done(st);
    return 0;
}

/* active=false: the tombstones alone. */
static int search_gone(struct db_conn *c, const struct fhir_q *q,
                       const struct date_plan *dp, struct fhir_hits *h,
                       struct api_resp *out)
{
    struct fhir_ids page = {0};
    long long total = 0;
    if (gone_take(c, q, dp, &page, &total) < 0) {
        free(page.v);
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    return fhir_hits_done(c, &page, total, h, out);
}

/* Checks each person of set (NULL: every pid, for a :contains or a
 * date's upper bound alone) against k, the page into page, the count into
 * *total. 0, or -1 on a database error. */
static int check_take(struct db_conn *c, const struct pcheck *k,
                      const struct fhir_ids *set, struct fhir_ids *page,
                      long long *total)
{
    size_t n = set ? set->n : (size_t)db_max_pid(c);
    /* Everyone checked (a :contains alone, with dates from the index):
     * under the request deadline (503). */
    int armed = !set && k->dates;
    if (armed)
        db_budget(c, 0);
    int rc = 0;
    for (size_t i = 0; i < n && (set || !db_expired(c)); i++) {
        if (armed && db_over(c))
            break;
        long long pid = set ? set->v[i] : (long long)i + 1;
        int ok = pid_ok(c, k, pid);
        if (ok < 0) {
            rc = -1;
            break;
        }
        if (ok)
            take(k->q, page, total, pid);
    }
    if (armed)
        db_unbudget(c);
    return rc;
}

/* Dates alone without a lower bound (ix, never NULL once dates are
 * checked with a history): the page walked in pid order past the people
 * whose dates fail, the total from the index. */
static void dates_take(struct db_conn *c, const struct fhir_q *q,
                       const struct date_index *ix, struct fhir_ids *page,
                       long long *total)
{
    if (!ix || !ix->floor_ok) {
        for (size_t i = 0; ix && i < ix->pass.n; i++)
            take(q, page, total, ix->pass.v[i]);
        return;
    }
    size_t j = 0;
    long long seen = 0;
    for (long long pid = 1; pid <= db_max_pid(c) && (long)page->n < q->count;
         pid++) {
        while (j < ix->fail.n && ix->fail.v[j] < pid)
            j++;
        if (j < ix->fail.n && ix->fail.v[j] == pid)
            continue;
        if (seen++ >= q->offset)
            fhir_ids_push(page, pid);
    }
    *total += db_max_pid(c) - (long long)ix->fail.n;
}

/* Practitioner search: the page into h. 0, or -1 with the error in out. */
int fhir_search_practitioner(struct db_conn *c, const struct fhir_q *q,
                             struct fhir_hits *h, struct api_resp *out)
{
    struct date_plan dp;
    fhir_date_plan(c, q, &dp);
    if (q->stale || dp.none)
        return 0;
    if (q->active == 0)
        return search_gone(c, q, &dp, h, out);
    /* ANS's delta lists the removed too (docs/ans-fhir-v2.md 4.1): a
     * _lastUpdated search adds the tombstones it finds after the present
     * people (none when it asks for a name, qualification or mailbox). */
    int with_gone = q->ndates && q->active < 0;
    struct pcheck k;
    /* The people of a delta come with their dates checked. */
    pcheck_init(&k, q, &dp, dp.check && !dp.from);
    struct fhir_ids set = {0}, page = {0};
    long long total = 0;
    int have, rc = -1;
    struct api_param p[8];
    char *vals[8] = {0};
    int all;
    size_t np = 0;
    if (listed_pids(c, q, &set, &have) < 0)
        goto fail;
    if (dp.from) {
        struct fhir_ids s = {0};
        if (fhir_changed_pids(c, q, dp.from, &s) < 0) {
            free(s.v);
            goto fail;
        }
        ids_and(&set, &have, &s);
    }
    np = engine_req(c, q, &k, p, vals, &all);
    if (!have && all && np && !dp.check) {
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
    if (!have && !np && !q->nnames && !q->nqual && !dp.check) {
        /* No condition: everyone, in the default order (pids 1..max). */
        total = db_max_pid(c);
        for (long long i = q->offset + 1;
             i <= total && i <= q->offset + q->count; i++)
            fhir_ids_push(&page, i);
    } else if (!have && !np && !q->nnames && !q->nqual && !dp.from) {
        /* Dates alone, without a lower bound. */
        if (fhir_date_index(c, q, &dp) < 0)
            goto fail;
        dates_take(c, q, dp.ix, &page, &total);
    } else {
        if (!have && !np && fhir_date_index(c, q, &dp) < 0)
            goto fail; /* everyone is checked: dates from the index */
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
        if (check_take(c, &k, have ? &set : NULL, &page, &total) < 0)
            goto fail;
    }
    if (with_gone && gone_take(c, q, &dp, &page, &total) < 0)
        goto fail;
    rc = fhir_hits_done(c, &page, total, h, out);
    page.v = NULL;
    goto out;
fail:
    fhir_error(out, 503, "exception", "database error");
out:
    free(page.v);
    for (size_t i = 0; i < np; i++)
        free(vals[i]);
    free(set.v);
    pcheck_release(&k);
    fhir_date_plan_release(&dp);
    return rc;
}

/* ---- PractitionerRole ---- */

int fhir_in_codes(const struct fhir_codes *l, const char *v)
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
    if (!structure || rowid_pid(aid) > db_mss_end(c))
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
static int role_ok(struct db_conn *c, const struct fhir_q *q,
                   const struct date_plan *dp, long long aid, sqlite3_stmt *st)
{
    const char *sid = db_text(st, 1);
    if (q->org.n && !fhir_in_codes(&q->org, sid))
        return 0;
    for (int i = 0; i < q->nroles; i++) {
        int any = 0;
        for (int j = 2; j <= 5 && !any; j++)
            any = fhir_in_codes(&q->roles[i], db_text(st, j));
        if (!any)
            return 0;
    }
    char s[72];
    snprintf(s, sizeof(s), "%s", sid ? sid : "");
    if (!role_mailbox_ok(c, q, aid, sid ? s : NULL))
        return 0;
    /* A role's date is its person's (fhir_person_day()). */
    return !dp->check || fhir_plan_date_ok(c, q, dp, rowid_pid(aid));
}

#define ROLE_COLS                                                              \
    "aid, structure_id, genre_code, mode_code, role_code,"                     \
    " section_code"

/* Takes aid if it passes: counted, and kept when on the page. */
static void take(const struct fhir_q *q, struct fhir_ids *page,
                 long long *total, long long aid)
{
    if ((*total)++ >= q->offset && (long)page->n < q->count)
        fhir_ids_push(page, aid);
}

/* A JSON array of the n strings v. */
char *fhir_json_strings(char *const *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *js = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return js;
}

/* Every activity after q's cursor in aid order whose codes may pass
 * q's role conditions (each a JSON list, or NULL when absent), ready to
 * step; NULL on a database error. */
static sqlite3_stmt *role_scan(struct db_conn *c, const struct fhir_q *q)
{
#define ROLE_IN(n)                                                             \
    " AND (?" #n " IS NULL OR genre_code IN (SELECT value FROM json_each(?" #n \
    ")) OR mode_code IN (SELECT value FROM json_each(?" #n "))"                \
    " OR role_code IN (SELECT value FROM json_each(?" #n "))"                  \
    " OR section_code IN (SELECT value FROM json_each(?" #n ")))"
    _Static_assert(FHIR_REPEAT_MAX == 4, "one ROLE_IN per repeat");
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT " ROLE_COLS " FROM activity WHERE aid > ?1" ROLE_IN(2)
               ROLE_IN(3) ROLE_IN(4) ROLE_IN(5) " ORDER BY aid");
#undef ROLE_IN
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, q->after_aid);
    for (int i = 0; i < q->nroles; i++) {
        char *js = fhir_json_strings(q->roles[i].v, q->roles[i].n);
        sqlite3_bind_text(st, 2 + i, js, -1, SQLITE_TRANSIENT);
        free(js);
    }
    return st;
}

/* The next link's cursor after a read in aid order that found more than
 * its page: the id of the page's last role, last. */
static void role_next(struct db_conn *c, struct fhir_hits *h, long long last)
{
    char nid[32];
    if (h->more && fhir_pid_nid(c, rowid_pid(last), nid, sizeof(nid)) == 0)
        snprintf(h->next_after, sizeof(h->next_after), "%s-%lld", nid,
                 rowid_seq(last));
    else
        h->more = 0;
}

/* The page of st's activities (role_scan()) that pass q, read until one
 * more than the page is found: the next link then starts after the
 * page's last id. known is the total (role_count()), or -1: then it is
 * known only when the read ran to the end from the start. */
static int role_stream(struct db_conn *c, const struct fhir_q *q,
                       const struct date_plan *dp, sqlite3_stmt *st,
                       long long known, struct fhir_hits *h,
                       struct api_resp *out)
{
    struct fhir_ids page = {0};
    long skip = q->offset;
    long long last = 0;
    db_budget(c, 0);
    while (q->count > 0 && sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
        long long aid = sqlite3_column_int64(st, 0);
        if (!role_ok(c, q, dp, aid, st))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        if ((long)page.n == q->count) {
            h->more = 1;
            break;
        }
        fhir_ids_push(&page, aid);
        last = aid;
    }
    db_unbudget(c);
    db_done(st);
    role_next(c, h, last);
    h->ordered = 1;
    long long total = known;
    if (total < 0 && !h->more && !*q->after)
        total = q->offset - skip + (long long)page.n;
    return fhir_hits_done(c, &page, total, h, out);
}

/* 1 if a combination of codes (activity_combo's row in st: genre, mode,
 * role, section, '' for none) passes q's role conditions, as role_ok()
 * reads an activity's. */
static int combo_ok(const struct fhir_q *q, sqlite3_stmt *st)
{
    for (int i = 0; i < q->nroles; i++) {
        int any = 0;
        for (int j = 0; j < 4 && !any; j++) {
            const char *v = db_text(st, j);
            any = v && *v && fhir_in_codes(&q->roles[i], v);
        }
        if (!any)
            return 0;
    }
    return 1;
}

/* How many activities a read of every activity in aid order (role_scan())
 * passes, without that read: the role conditions' from the counts of
 * each combination of codes (activity_combo), less the roles of the
 * people whose dates fail when dates are checked (dp's index: as many as
 * the change table names). Into *n: 0, or -1 when that cannot be known so
 * (a mailbox condition, a file without the counts, a database error). */
static int role_count(struct db_conn *c, const struct fhir_q *q,
                      const struct date_plan *dp, long long *n)
{
    static const struct date_plan unchecked;
    if (q->nmbox || q->org.n || (dp->check && !dp->ix))
        return -1;
    sqlite3_stmt *st =
        db_has_table(c, "activity_combo")
            ? db_prepare_static(c, "SELECT genre_code, mode_code, role_code,"
                                   " section_code, n FROM activity_combo")
            : NULL;
    if (!st)
        return -1;
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (combo_ok(q, st))
            total += sqlite3_column_int64(st, 4);
    db_done(st);
    const struct fhir_ids *fail = dp->check ? &dp->ix->fail : NULL;
    if (fail && !dp->ix->floor_ok)
        return -1; /* role_scan() is not the plan then */
    st = fail && fail->n
             ? db_prepare_static(c, "SELECT " ROLE_COLS
                                    " FROM activity WHERE aid" ROWID_RANGE_SQL)
             : NULL;
    for (size_t i = 0; st && i < fail->n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, fail->v[i]);
        while (sqlite3_step(st) == SQLITE_ROW)
            if (role_ok(c, q, &unchecked, sqlite3_column_int64(st, 0), st))
                total--;
    }
    db_done(st);
    *n = total;
    return 0;
}

/* A delta of roles: those of the people changed since the lower bound
 * (fhir_changed_pids(), in pid order, so their roles come in aid order),
 * the page after the cursor. Every role is counted for the total: a day's
 * delta at full scale is some 70,000 people and 100,000 roles; without a
 * role or mailbox condition each person's roles are counted from the
 * rowids alone (no row read), else each row is read and checked. */
static int role_delta(struct db_conn *c, const struct fhir_q *q, int from,
                      struct fhir_hits *h, struct api_resp *out)
{
    static const struct date_plan checked; /* by fhir_changed_pids() */
    struct fhir_ids pids = {0}, page = {0};
    long long total = 0, last = 0;
    long skip = q->offset;
    int rows_needed = q->nroles || q->nmbox;
    sqlite3_stmt *st =
        fhir_changed_pids(c, q, from, &pids) < 0
            ? NULL
            : db_prepare_static(c,
                                "SELECT " ROLE_COLS " FROM activity"
                                " WHERE aid" ROWID_RANGE_SQL " ORDER BY aid");
    sqlite3_stmt *count = db_prepare_static(
        c, "SELECT count(*) FROM activity WHERE aid" ROWID_RANGE_SQL);
    if (!st || !count) {
        free(pids.v);
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    for (size_t i = 0; i < pids.n && !db_expired(c); i++) {
        /* Before the cursor, or once the page is full: only counted. */
        int counted = pids.v[i] < rowid_pid(q->after_aid) || h->more;
        if (counted && !rows_needed) {
            sqlite3_reset(count);
            sqlite3_bind_int64(count, 1, pids.v[i]);
            if (sqlite3_step(count) == SQLITE_ROW)
                total += sqlite3_column_int64(count, 0);
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, pids.v[i]);
        while (sqlite3_step(st) == SQLITE_ROW) {
            long long aid = sqlite3_column_int64(st, 0);
            if (!role_ok(c, q, &checked, aid, st))
                continue;
            total++;
            if (aid <= q->after_aid)
                continue;
            if (skip > 0) {
                skip--;
                continue;
            }
            if ((long)page.n == q->count) {
                h->more = q->count > 0;
                continue;
            }
            fhir_ids_push(&page, aid);
            last = aid;
        }
    }
    db_done(count);
    db_done(st);
    free(pids.v);
    role_next(c, h, last);
    h->ordered = 1;
    return fhir_hits_done(c, &page, total, h, out);
}

/* active=false: the activities of the removed professionals not back,
 * as tombstones keyed by minus their gone_activity row, by national id
 * then rank; practitioner=, _id and the dates apply, a code, structure or
 * mailbox condition finds none (a tombstone shows none). */
static int role_gone(struct db_conn *c, const struct fhir_q *q,
                     const struct date_plan *dp, struct fhir_hits *h,
                     struct api_resp *out)
{
    if (q->nroles || q->org.n || q->nmbox)
        return 0;
    /* g.pid = the aid's pid: an equality, so an automatic index. */
    /* clang-format off */
    sqlite3_stmt *st = db_prepare_static(c,
        "SELECT a.rowid, g.national_id, " ROWID_SEQ_SQL("a.aid") ","
        " coalesce((SELECT min(day) FROM import WHERE day > g.last_seen),"
        " g.last_seen) FROM gone_professional g, gone_activity a"
        " WHERE g.pid = " ROWID_PID_SQL("a.aid")
        " AND NOT EXISTS (SELECT 1 FROM professional p WHERE"
        " p.national_id = g.national_id)"
        " ORDER BY g.national_id, a.aid");
    /* clang-format on */
    if (!st) {
        fhir_error(out, 503, "exception", "database error");
        return -1;
    }
    struct fhir_ids page = {0};
    long long total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *nid = db_text(st, 1);
        char id[64], ts[32];
        snprintf(id, sizeof(id), "%s-%lld", nid ? nid : "",
                 (long long)sqlite3_column_int64(st, 2));
        fhir_day_ts(sqlite3_column_int(st, 3), ts, sizeof(ts));
        if (!nid || (q->prac.n && !fhir_in_codes(&q->prac, nid)) ||
            (q->tid.n && !fhir_in_codes(&q->tid, id)) ||
            (dp->check && !fhir_date_ok(q, ts)))
            continue;
        take(q, &page, &total, -sqlite3_column_int64(st, 0));
    }
    db_done(st);
    return fhir_hits_done(c, &page, total, h, out);
}

/* How one role condition's codes are found: no activity carries any of
 * them (the code table counts none), each carried by none or listed in
 * activity_code (a rare code: schema.sql), or one at least must be
 * scanned for (a common code, or a file without the list). */
enum role_plan { ROLE_SCAN, ROLE_LISTED, ROLE_NONE };

static enum role_plan role_codes_plan(struct db_conn *c,
                                      const struct fhir_codes *l)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT (SELECT sum(count) FROM code WHERE code = ?1 AND list IN"
           " ('mode', 'genre', 'role', 'section')), EXISTS (SELECT 1 FROM"
           " sqlite_master WHERE type = 'table' AND name = 'activity_code')");
    if (!st)
        return ROLE_SCAN;
    int carried = 0, unlisted = 0;
    for (int i = 0; i < l->n && !unlisted; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, l->v[i], -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW) {
            unlisted = 1;
            break;
        }
        if (sqlite3_column_int64(st, 0) <= 0)
            continue; /* no activity has it */
        carried = 1;
        if (!sqlite3_column_int(st, 1)) {
            unlisted = 1; /* a file built before the list */
            break;
        }
        sqlite3_stmt *ac = db_prepare_static(
            c, "SELECT 1 FROM activity_code WHERE code = ?1 LIMIT 1");
        if (!ac) {
            unlisted = 1;
            break;
        }
        sqlite3_bind_text(ac, 1, l->v[i], -1, SQLITE_TRANSIENT);
        unlisted = sqlite3_step(ac) != SQLITE_ROW; /* a common code */
        db_done(ac);
    }
    db_done(st);
    return unlisted ? ROLE_SCAN : carried ? ROLE_LISTED : ROLE_NONE;
}

/* The activities after aid after carrying a code of l (role_codes_plan()
 * said ROLE_LISTED), into s. */
static void role_listed_aids(struct db_conn *c, const struct fhir_codes *l,
                             long long after, struct fhir_ids *s)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT aid FROM activity_code WHERE code = ?1 AND aid > ?2");
    for (int i = 0; st && i < l->n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, l->v[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, after);
        while (sqlite3_step(st) == SQLITE_ROW)
            fhir_ids_push(s, sqlite3_column_int64(st, 0));
    }
    db_done(st);
}

/* The roles of the people whose mailboxes q's mailbox-mss conditions
 * match (AND-ed), into s, to be checked one by one: 0, or -1 when q has
 * no such condition but "has one" (:contains=@), or when they match more
 * than FHIR_CHECK_MAX people (a whole domain: then every role is read in
 * id order). */
static int role_mailbox_cands(struct db_conn *c, const struct fhir_q *q,
                              struct fhir_ids *s)
{
    struct fhir_ids set = {0};
    int have = 0;
    for (int i = 0; i < q->nmbox; i++) {
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            continue;
        /* A domain's 128,000 mailboxes at full scale: the scan of
         * :contains stops at the first 10,001 (15 ms, 190 ms whole). */
        struct fhir_ids one = {0};
        if (mailbox_pids(c, &q->mbox[i], &one, FHIR_CHECK_MAX) != 0) {
            free(one.v);
            free(set.v);
            return -1;
        }
        ids_and(&set, &have, &one);
    }
    int rc = have && set.n <= FHIR_CHECK_MAX ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < set.n; i++)
        fhir_roles_of(c, set.v[i], s);
    free(set.v);
    return rc;
}

int fhir_search_role(struct db_conn *c, const struct fhir_q *q,
                     struct fhir_hits *h, struct api_resp *out)
{
    struct date_plan dp;
    fhir_date_plan(c, q, &dp);
    if (q->stale || dp.none)
        return 0;
    if (q->active == 0)
        return role_gone(c, q, &dp, h, out);
    struct fhir_ids cand = {0}, page = {0}, rare = {0};
    long long total = 0;
    /* The role conditions: one no activity can pass finds nothing at
     * once; those of rare codes only give their activities (AND-ed),
     * exactly the match when they are all q asks. */
    int have_rare = 0, all_rare = 1;
    for (int i = 0; i < q->nroles; i++) {
        enum role_plan rp = role_codes_plan(c, &q->roles[i]);
        if (rp == ROLE_NONE) {
            free(rare.v);
            return 0;
        }
        if (rp == ROLE_SCAN) {
            all_rare = 0;
            continue;
        }
        struct fhir_ids s = {0};
        role_listed_aids(c, &q->roles[i], q->after_aid, &s);
        ids_and(&rare, &have_rare, &s);
    }
    /* The candidates from the ids, people or structures asked, the
     * activities of rare codes, or the roles of the people changed since
     * a date, else every activity (a scan, which the deadline bounds). */
    int listed = q->tid.n || q->prac.n || q->org.n;
    if (listed || dp.from) {
        free(rare.v);
        rare.v = NULL;
        have_rare = 0;
    }
    if (have_rare) {
        /* The rare codes' activities, in aid order: their list is the
         * match when nothing else is asked (no row read), each is
         * checked otherwise. */
        cand = rare;
        listed = 1;
        if (fhir_date_index(c, q, &dp) < 0) {
            free(cand.v);
            fhir_date_plan_release(&dp);
            fhir_error(out, 503, "exception", "database error");
            return -1;
        }
        if (all_rare && !q->nmbox && !dp.check) {
            for (size_t i = 0; i < cand.n; i++)
                take(q, &page, &total, cand.v[i]);
            free(cand.v);
            return fhir_hits_done(c, &page, total, h, out);
        }
    } else if (q->tid.n) {
        for (int i = 0; i < q->tid.n; i++) {
            long long aid;
            if (fhir_role_aid(c, q->tid.v[i], &aid) == 0)
                fhir_ids_push(&cand, aid);
        }
    } else if (q->prac.n) {
        for (int i = 0; i < q->prac.n; i++) {
            long long pid = record_find(c, q->prac.v[i]);
            if (pid)
                fhir_roles_of(c, pid, &cand);
        }
    } else if (q->org.n) {
        fhir_roles_of_orgs(c, q->org.v, (size_t)q->org.n, &cand);
    } else if (dp.from) {
        return role_delta(c, q, dp.from, h, out);
    } else if (q->nmbox && role_mailbox_cands(c, q, &cand) == 0) {
        listed = 1;
    } else if (dp.check) {
        /* Dates without a lower bound: from the change table's people
         * (fhir_date_index()); when the first import's day fails, their roles
         * are the candidates. */
        if (fhir_date_index(c, q, &dp) < 0) {
            fhir_date_plan_release(&dp);
            fhir_error(out, 503, "exception", "database error");
            return -1;
        }
        for (size_t i = 0; dp.ix && !dp.ix->floor_ok && i < dp.ix->pass.n; i++)
            fhir_roles_of(c, dp.ix->pass.v[i], &cand);
        listed = dp.ix && !dp.ix->floor_ok;
    }
    if (listed) {
        fhir_ids_sort(&cand);
        sqlite3_stmt *st = db_prepare_static(
            c, "SELECT " ROLE_COLS " FROM activity WHERE aid = ?1");
        /* A rare code's 48,000 activities at most, a row each. */
        db_budget(c, 0);
        for (size_t i = 0; st && i < cand.n && !db_expired(c); i++) {
            if (cand.v[i] <= q->after_aid)
                continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, cand.v[i]);
            if (sqlite3_step(st) == SQLITE_ROW &&
                role_ok(c, q, &dp, cand.v[i], st))
                take(q, &page, &total, cand.v[i]);
        }
        db_unbudget(c);
        db_done(st);
    } else {
        /* Every activity, in aid order after the cursor, the role codes
         * tested by SQLite (a row comes back only when it may pass):
         * stopped at the page's end, the total from the counts
         * (role_count()); where they cannot say, uncounted unless the
         * total is asked for, which reads every activity. */
        sqlite3_stmt *st = role_scan(c, q);
        long long known = -1;
        if (st && role_count(c, q, &dp, &known) < 0)
            known = -1;
        if (st && (known >= 0 || (!q->accurate && q->count > 0))) {
            int rc = role_stream(c, q, &dp, st, known, h, out);
            fhir_date_plan_release(&dp);
            return rc;
        }
        db_budget(c, 0);
        while (st && sqlite3_step(st) == SQLITE_ROW && !db_expired(c)) {
            long long aid = sqlite3_column_int64(st, 0);
            if (role_ok(c, q, &dp, aid, st))
                take(q, &page, &total, aid);
        }
        db_unbudget(c);
        db_done(st);
    }
    free(cand.v);
    fhir_date_plan_release(&dp);
    return fhir_hits_done(c, &page, total, h, out);
}
