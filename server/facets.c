/* The facets of a search (facets.h). Counted per person of the match
 * with one statement per source (the professional row, the specialty
 * rows, the activity rows: a department or mode counts a person once),
 * then sorted by count and labelled from the code table. */
#include "facets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "rowid.h"
#include "search_int.h"
#include "banned.h"

/* Where a facet's values come from. */
enum { SRC_MSS, SRC_PROFESSIONAL, SRC_SPECIALTY, SRC_ACTIVITY };

enum {
    FACET_PROFESSION,
    FACET_SPECIALTY,
    FACET_DEPT,
    FACET_MODE,
    FACET_HAS_MSS,
    FACET_KINDS
};

/* Every facet kind, in the order of the JSON: its name (in facets= and
 * the answer), the code list that labels its values (NULL: none), its
 * source and, for the activity rows, its column in facet_pid()'s
 * statement. */
static const struct facet_kind {
    const char *name, *labels;
    int src, col;
} kinds[FACET_KINDS] = {
    [FACET_PROFESSION] = {"profession", "profession", SRC_PROFESSIONAL, 0},
    [FACET_SPECIALTY] = {"specialty", "specialty", SRC_SPECIALTY, 0},
    [FACET_DEPT] = {"dept", NULL, SRC_ACTIVITY, 0},
    [FACET_MODE] = {"mode", "mode", SRC_ACTIVITY, 1},
    [FACET_HAS_MSS] = {"has_mss", NULL, SRC_MSS, 0},
};
_Static_assert(FACET_KINDS <= 32, "a bit per kind in struct sq's facets");

unsigned facets_bit(const char *name)
{
    for (int i = 0; i < FACET_KINDS; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return 1u << i;
    return 0;
}

static char names_text[128];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_build(void)
{
    size_t n = 0;
    for (int i = 0; i < FACET_KINDS; i++)
        n += (size_t)snprintf(names_text + n, sizeof(names_text) - n, "%s%s",
                              i ? ", " : "", kinds[i].name);
}

const char *facets_names(void)
{
    pthread_once(&names_once, names_build);
    return names_text;
}

/* Counts over the whole match: value -> count per kind; the professions
 * by dataset index first (prof[k]), into map at the end. */
struct facets {
    json_t *map[FACET_KINDS];
    long long prof[256];
    int exact;
};

static void facet_inc(json_t *m, const char *v)
{
    if (!v)
        v = "";
    json_t *n = json_object_get(m, v);
    if (n)
        json_integer_set(n, json_integer_value(n) + 1);
    else
        json_object_set_new(m, v, json_integer(1));
}

/* Counts pid's values in f for every kind that q asks for. */
static void facet_pid(struct db_conn *c, const struct sq *q, struct facets *f,
                      long long pid)
{
    unsigned want = q->facets, act = 0;
    for (int i = 0; i < FACET_KINDS; i++)
        if (kinds[i].src == SRC_ACTIVITY)
            act |= 1u << i;
    if (want & (1u << FACET_HAS_MSS))
        facet_inc(f->map[FACET_HAS_MSS],
                  pid <= db_mss_end(c) ? "true" : "false");
    sqlite3_stmt *st;
    /* The profession from memory (a byte per pid: a statement per person
     * made a structure's 20,000 people cost 30 ms); the row only for those
     * the dataset has none for (no code, or a code past its 255). */
    int k = 0;
    if ((want & (1u << FACET_PROFESSION)) &&
        pid < dataset_npids(db_dataset(c)) &&
        (k = dataset_professions(db_dataset(c))[pid]) != 0)
        f->prof[k]++;
    if ((want & (1u << FACET_PROFESSION)) && !k) {
        st = db_prepare(c, "SELECT profession_code FROM professional"
                           " WHERE pid = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, pid);
            if (sqlite3_step(st) == SQLITE_ROW)
                facet_inc(f->map[FACET_PROFESSION], db_text(st, 0));
            db_done(st);
        }
    }
    if (want & (1u << FACET_SPECIALTY)) {
        st = db_prepare(c, "SELECT code FROM specialty WHERE pid = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, pid);
            while (sqlite3_step(st) == SQLITE_ROW)
                facet_inc(f->map[FACET_SPECIALTY], db_text(st, 0));
            db_done(st);
        }
    }
    if (!(want & act))
        return;
    st = db_prepare(c, "SELECT DISTINCT dept_code, mode_code FROM activity"
                       " WHERE aid" ROWID_RANGE_SQL);
    if (!st)
        return;
    json_t *seen[FACET_KINDS] = {0}; /* a person counts once per value */
    sqlite3_bind_int64(st, 1, pid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < FACET_KINDS; i++) {
            if (!(want & act & (1u << i)))
                continue;
            const char *v = db_text(st, kinds[i].col);
            if (!v)
                continue;
            if (!seen[i])
                seen[i] = json_object();
            if (json_object_get(seen[i], v))
                continue;
            json_object_set_new(seen[i], v, json_true());
            facet_inc(f->map[i], v);
        }
    }
    db_done(st);
    for (int i = 0; i < FACET_KINDS; i++)
        json_decref(seen[i]);
}

static int facet_cmp(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t cx = json_integer_value(json_object_get(x, "count"));
    json_int_t cy = json_integer_value(json_object_get(y, "count"));
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "code")),
                  json_string_value(json_object_get(y, "code")));
}

static json_t *facets_json(struct db_conn *c, struct facets *f,
                           const struct sq *q)
{
    json_t *o = json_object();
    for (int i = 0; i < FACET_KINDS; i++) {
        if (!(q->facets & (1u << i)))
            continue;
        size_t n = json_object_size(f->map[i]), k = 0;
        json_t **v = xcalloc(n ? n : 1, sizeof(*v));
        const char *key;
        json_t *val;
        json_object_foreach(f->map[i], key, val)
        {
            json_t *e = json_pack("{s:s, s:I}", "code", key, "count",
                                  json_integer_value(val));
            if (kinds[i].labels) {
                const char *l = db_label(c, kinds[i].labels, key);
                json_t *jl = l ? json_string(l) : NULL;
                json_object_set_new(e, "label", jl ? jl : json_null());
            }
            v[k++] = e;
        }
        if (k > 1)
            qsort(v, k, sizeof(*v), facet_cmp);
        json_t *arr = json_array();
        for (size_t j = 0; j < k; j++)
            json_array_append_new(arr, v[j]);
        free(v);
        json_object_set_new(o, kinds[i].name, arr);
    }
    return o;
}

json_t *facets_compute(struct db_conn *c, struct search *s)
{
    const struct sq *q = &s->q;
    struct result *res = &s->res;
    struct facets f = {.exact = 1};
    for (int i = 0; i < FACET_KINDS; i++)
        f.map[i] = json_object();
    /* Within the request's deadline too: its work is the search's. */
    db_budget(c, search_tune.facet_ms);
    if (s->cut) {
        /* The search stopped at the request's limits: none left. */
        f.exact = 0;
    } else if (res->all || (q->ntok && s->tp.none)) {
        for (size_t i = 0; i < res->nall; i++) {
            if ((i & 63) == 0 && db_over_now(c)) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, res->all[i]);
        }
        if (db_interrupted(c))
            f.exact = 0;
    } else {
        /* The streams again, from the start: the per-pid lookups are
         * other statements, so stepping them in between is fine. */
        struct stream *v[5];
        int n = 0;
        if (q->ntok && !s->text.nsub &&
            text_all_stream(c, &s->text, &s->tp, s->tp.lazy) < 0)
            f.exact = 0;
        if (q->ntok)
            v[n++] = &s->text;
        for (int i = 0; i < s->fp.nv; i++)
            v[n++] = s->fp.v[i];
        for (int i = 0; i < n; i++)
            stream_rewind(v[i]);
        qsort(v, (size_t)n, sizeof(*v), filters_est_cmp);
        long long p = s->fp.lo;
        long i = 0;
        int err = 0;
        while ((p = filters_next(&s->fp, v, n, p, &err)) != STREAM_END) {
            if ((i++ & 63) == 0 && db_over_now(c)) {
                f.exact = 0;
                break;
            }
            facet_pid(c, q, &f, p);
            p++;
        }
        if (db_interrupted(c) || err || filters_failed(v, n))
            f.exact = 0;
        for (int k = 0; k < n; k++)
            stream_done(v[k]);
    }
    db_unbudget(c); /* the rest of the page is rendered whatever the time */
    for (int k = 1; k < 256; k++) {
        const char *code =
            f.prof[k] ? dataset_prof_code(db_dataset(c), k) : NULL;
        if (!code)
            continue;
        json_t *n = json_object_get(f.map[FACET_PROFESSION], code);
        json_object_set_new(
            f.map[FACET_PROFESSION], code,
            json_integer(f.prof[k] + (n ? json_integer_value(n) : 0)));
    }
    json_t *o = facets_json(c, &f, q);
    json_object_set_new(o, "exact", json_boolean(f.exact));
    for (int i = 0; i < FACET_KINDS; i++)
        json_decref(f.map[i]);
    return o;
}
