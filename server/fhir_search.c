/* The facade's Practitioner search (PractitionerRole's is fhir_role.c's,
 * Organization's fhir_org.c's), giving its page of keys and its total
 * (fhir.c writes the Bundle; fhir_dates.c plans _lastUpdated).
 *
 * A Practitioner search goes to the search engine (search_pids(), the
 * same folding, plan and ranking as /v1/search): family, given and name
 * words, the profession and specialty of qualification-code, has_mss for
 * a mailbox-mss:contains=@. What the engine has no stream for (an id or
 * mailbox list, :exact, :contains, a category) is checked person by
 * person over a bounded set of candidates: the listed people, the
 * engine's match of the other conditions, or (a :contains alone) every
 * person's folded names in memory. */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fhir_int.h"
#include "fold.h"
#include "rank.h"
#include "record.h"
#include "rowid.h"
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

void fhir_ids_and(struct fhir_ids *acc, int *have, struct fhir_ids *s)
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

int fhir_mailbox_pids(struct db_conn *c, const struct fhir_name *m,
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
        fhir_ids_and(set, have, &s);
    }
    for (int i = 0; i < q->nmbox; i++) {
        if (q->mbox[i].mod == MOD_CONTAINS && strcmp(q->mbox[i].v, "@") == 0)
            continue;
        struct fhir_ids s = {0};
        if (fhir_mailbox_pids(c, &q->mbox[i], &s, 0) < 0) {
            free(s.v);
            return -1;
        }
        fhir_ids_and(set, have, &s);
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

void fhir_take(const struct fhir_q *q, struct fhir_ids *page, long long *total,
               long long key)
{
    if ((*total)++ >= q->offset && (long)page->n < q->count)
        fhir_ids_push(page, key);
}

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
            fhir_take(q, page, total, -sqlite3_column_int64(st, 0));
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
            fhir_take(k->q, page, total, pid);
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
            fhir_take(q, page, total, ix->pass.v[i]);
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
        fhir_ids_and(&set, &have, &s);
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
