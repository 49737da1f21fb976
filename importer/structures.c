/* The structure table: see structures.h. */
#include "structures.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "abbrev.h"
#include "columns.h"
#include "fold.h"
#include "phonetic.h"
#include "strset.h"
#include "util.h"
#include "banned.h"

/* The activity columns a structure row copies (TABLE_STRUCTURE's ACT
 * ones), in the table's order. */
#define ST_COPIED(c, kind, field) ST_COPIED_##kind(field)
#define ST_COPIED_KEY(f)
#define ST_COPIED_OWN(f)
#define ST_COPIED_ACT(f) COLUMN_ACTIVITY_##f,
static const int copied[] = {TABLE_STRUCTURE(ST_COPIED)};
#define NCOPIED (sizeof copied / sizeof *copied)
/* The table's own columns, after the copies: n_activities,
 * n_professionals, pids, in this order. */
_Static_assert(COLUMN_STRUCTURE_n_activities == 1 + NCOPIED &&
                   COLUMN_STRUCTURE_pids == COLUMN_STRUCTURE_N - 1 &&
                   COLUMN_STRUCTURE_pids - COLUMN_STRUCTURE_n_activities == 2,
               "structure: key, copies, then the three own columns");

struct structure_acc {
    const char *val[NCOPIED]; /* in the arena, NULL if empty */
    uint32_t n_act, n_pro;
    uint32_t head, tail; /* its pid entries in link[] (index + 1; 0 none) */
    uint32_t last_pid;
};

void structures_init(struct structures *s)
{
    memset(s, 0, sizeof *s);
    /* Nothing allocated: released safely if no line ever comes. */
    htab_init(&s->h, 0);
}

void structures_release(struct structures *s)
{
    htab_release(&s->h);
    free(s->v);
    free(s->link);
    memset(s, 0, sizeof *s);
}

static const char *val_text(const struct batch *bt, size_t v, size_t *n)
{
    const struct batch_val *x = &bt->vals[v];
    if (x->off == BATCH_NULL || x->len == BATCH_INT || x->len == 0) {
        *n = 0;
        return NULL;
    }
    *n = x->len;
    return bt->text + x->off;
}

void structures_add(struct structures *s, struct arena *a,
                    const struct batch *bt, size_t v0, long long pid)
{
    size_t idn;
    const char *id = val_text(bt, v0 + COLUMN_ACTIVITY_structure_id, &idn);
    if (!id)
        return;
    uint64_t h = htab_hash(id, idn);
    size_t pos;
    struct structure_acc *st = NULL;
    for (uint32_t i = htab_first(&s->h, h, &pos); i != HTAB_NONE;
         i = htab_next(&s->h, h, &pos)) {
        const char *k = s->v[i].val[0];
        if (strlen(k) == idn && memcmp(k, id, idn) == 0) {
            st = &s->v[i];
            break;
        }
    }
    _Static_assert(COLUMN_STRUCTURE_structure_id == 1,
                   "the technical id is the first copied value");
    if (!st) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 4096;
            s->v = xrealloc(s->v, s->cap * sizeof *s->v);
        }
        st = &s->v[s->n];
        memset(st, 0, sizeof *st);
        for (size_t c = 0; c < NCOPIED; c++) {
            size_t n;
            const char *p = val_text(bt, v0 + (size_t)copied[c], &n);
            st->val[c] = p ? arena_strndup(a, p, n) : NULL;
        }
        htab_add(&s->h, h, (uint32_t)s->n++);
    }
    st->n_act++;
    /* Rows come in pid order: a pid already last is the same person's
     * second line at this site. */
    if (st->n_pro && st->last_pid == (uint32_t)pid)
        return;
    if (s->nlink + 2 > s->link_cap) {
        s->link_cap = s->link_cap ? 2 * s->link_cap : 1 << 16;
        s->link = xrealloc(s->link, s->link_cap * sizeof *s->link);
    }
    uint32_t e = (uint32_t)(s->nlink / 2) + 1;
    s->link[s->nlink++] = (uint32_t)pid;
    s->link[s->nlink++] = 0;
    if (st->tail)
        s->link[2 * (st->tail - 1) + 1] = e;
    else
        st->head = e;
    st->tail = e;
    st->last_pid = (uint32_t)pid;
    st->n_pro++;
}

/* The folded text of the values of columns cols[0..n) of st, joined by
 * spaces (enough room: the columns are bounded by the line cap). */
static size_t folded_of(const struct structure_acc *st, const int *cols,
                        size_t n, struct buf *raw, char *out, size_t cap,
                        int name)
{
    buf_truncate(raw, 0);
    for (size_t i = 0; i < n; i++)
        if (st->val[cols[i]])
            buf_addf(raw, "%s%s", raw->len ? " " : "", st->val[cols[i]]);
    char *f = xmalloc(raw->len + 1);
    size_t fl = fold(raw->s, raw->len, f);
    size_t ol = name ? abbrev_name(f, fl, out, cap)
                     : abbrev_fold(ABBREV_STREET, f, fl, out, cap);
    free(f);
    return ol;
}

/* Counts each space-separated word of s[0..n). */
static void count_words(struct strset *t, struct arena *a, const char *s,
                        size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t w = i;
        while (w < n && s[w] != ' ')
            w++;
        if (w > i)
            strset_get(t, a, s + i, w - i)->n++;
        i = w + 1;
    }
}

static int cmp_term(const void *a, const void *b)
{
    return strcmp(((const struct strset_ent *)a)->s,
                  ((const struct strset_ent *)b)->s);
}

/* structure_term: the words counted in t, in key order (WITHOUT ROWID:
 * appends). */
static int write_terms(struct strset *t, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO structure_term (term, n, phon)"
                           " VALUES (?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (t->n)
        qsort(t->e, t->n, sizeof(*t->e), cmp_term);
    int rc = SQLITE_DONE;
    for (size_t i = 0; i < t->n && rc == SQLITE_DONE; i++) {
        const char *w = t->e[i].s;
        size_t wl = strlen(w);
        char key[512];
        size_t kl = phon_key(w, wl < 255 ? wl : 255, key);
        sqlite3_bind_text(st, 1, w, (int)wl, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)t->e[i].n);
        sqlite3_bind_text(st, 3, key, (int)kl, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The index in val[] of TABLE_STRUCTURE's column c. */
#define VAL(c) (COLUMN_STRUCTURE_##c - 1)

/* A structure's place, what the sids are ordered by. */
struct placed {
    const char *insee, *postcode, *city; /* NULL: none */
    uint32_t k;                          /* index in s->v: first sight */
};

/* NULL after every value, then byte order. */
static int cmp_opt(const char *a, const char *b)
{
    return !a || !b ? (a == NULL) - (b == NULL) : strcmp(a, b);
}

/* By commune code, postal code, town, then first sight. */
static int cmp_placed(const void *x, const void *y)
{
    const struct placed *a = x, *b = y;
    int d = cmp_opt(a->insee, b->insee);
    if (!d)
        d = cmp_opt(a->postcode, b->postcode);
    if (!d)
        d = cmp_opt(a->city, b->city);
    return d ? d : (a->k > b->k) - (a->k < b->k);
}

int structures_write(struct structures *s, sqlite3 *db)
{
    static const char *const names[] = {TABLE_STRUCTURE(COLUMNS_NAME)};
    static const int name_cols[] = {VAL(name), VAL(sign)};
    static const int street_cols[] = {VAL(street_number), VAL(street_repeat),
                                      VAL(street_type), VAL(street_name)};
    struct buf sql, raw;
    struct placed *order = NULL;
    /* The words of the names and streets, for structure_term. */
    struct strset terms;
    struct arena words = ARENA_INIT;
    sqlite3_stmt *st = NULL, *fts = NULL;
    uint32_t *pids = NULL;
    size_t pcap = 0;
    int ret = -1;
    buf_init(&sql, 4096);
    buf_init(&raw, 1 << 16);
    strset_init(&terms, 1 << 12);
    buf_addstr(&sql, "INSERT INTO structure (");
    for (int i = 0; i < COLUMN_STRUCTURE_N; i++)
        buf_addf(&sql, "%s%s", i ? ", " : "", names[i]);
    buf_addstr(&sql, ") VALUES (");
    for (int i = 0; i < COLUMN_STRUCTURE_N; i++)
        buf_addstr(&sql, i ? ", ?" : "?");
    buf_addstr(&sql, ")");
    if (sqlite3_prepare_v2(db, sql.s, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO structure_fts (rowid, name_fold,"
                           " street_fold) VALUES (?, ?, ?)",
                           -1, &fts, NULL) != SQLITE_OK)
        goto fail;
    /* The sids in order of place (schema.sql's structure.sid): a commune's
     * structures are one run of sids, a postal code's one run in each of
     * its communes, so that a search for a name in a town reads the
     * full-text index over that run only (server/structure.c), and the
     * rows a town's search reads lie together. */
    order = xmalloc((s->n ? s->n : 1) * sizeof *order);
    for (size_t k = 0; k < s->n; k++)
        order[k] =
            (struct placed){s->v[k].val[VAL(insee)], s->v[k].val[VAL(postcode)],
                            s->v[k].val[VAL(city_fold)], (uint32_t)k};
    qsort(order, s->n, sizeof *order, cmp_placed);
    char name[1024], street[1024];
    for (size_t i = 0; i < s->n; i++) {
        const struct structure_acc *a = &s->v[order[i].k];
        int p = 1;
        sqlite3_bind_int64(st, p++, (sqlite3_int64)i + 1);
        for (size_t c = 0; c < NCOPIED; c++, p++) {
            if (a->val[c])
                sqlite3_bind_text(st, p, a->val[c], -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, p);
        }
        size_t nl = folded_of(a, name_cols, 2, &raw, name, sizeof name, 1);
        size_t sl =
            folded_of(a, street_cols, 4, &raw, street, sizeof street, 0);
        count_words(&terms, &words, name, nl);
        count_words(&terms, &words, street, sl);
        sqlite3_bind_int64(fts, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(fts, 2, name, (int)nl, SQLITE_STATIC);
        sqlite3_bind_text(fts, 3, street, (int)sl, SQLITE_STATIC);
        if (sqlite3_step(fts) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(fts);
        sqlite3_bind_int64(st, p++, a->n_act);
        sqlite3_bind_int64(st, p++, a->n_pro);
        if (a->n_pro > pcap) {
            pcap = a->n_pro;
            pids = xrealloc(pids, pcap * sizeof *pids);
        }
        size_t np = 0;
        for (uint32_t e = a->head; e; e = s->link[2 * (e - 1) + 1]) {
            uint32_t v = s->link[2 * (e - 1)];
            /* Little-endian whatever the host: the file is portable. */
            unsigned char *b = (unsigned char *)&pids[np++];
            b[0] = (unsigned char)v;
            b[1] = (unsigned char)(v >> 8);
            b[2] = (unsigned char)(v >> 16);
            b[3] = (unsigned char)(v >> 24);
        }
        assert(np == a->n_pro);
        sqlite3_bind_blob(st, p++, pids, (int)(np * sizeof *pids),
                          SQLITE_STATIC);
        assert(p == COLUMN_STRUCTURE_N + 1);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(st);
    }
    if (sqlite3_exec(db,
                     "INSERT INTO structure_fts (structure_fts) VALUES "
                     "('optimize')",
                     NULL, NULL, NULL) != SQLITE_OK ||
        write_terms(&terms, db) < 0)
        goto fail;
    ret = 0;
    goto out;
fail:
    log_error("structures: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_finalize(fts);
    buf_release(&sql);
    buf_release(&raw);
    free(pids);
    free(order);
    strset_release(&terms);
    arena_release(&words);
    return ret;
}
