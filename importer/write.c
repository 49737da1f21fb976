/* The professionals and their rows written in pid order: see write.h.
 *
 * A replay thread walks the sorted professionals: for each, its own row,
 * then the rows the parse phase spilled for it (spill.h), keyed by its
 * pid (common/rowid.h), while it counts their codes and the words of their
 * names and gathering the structures their activity rows name
 * (structures.h); then the mailboxes nobody owns; then the name dictionary. It
 * hands the rows over in batches to this thread, which only binds and steps the
 * prepared INSERTs. */
#include "write.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "phonetic.h"
#include "rowid.h"
#include "target.h"
#include "util.h"
#include "banned.h"

/* Binds and steps every row of a batch. */
static int insert_batch(sqlite3 *db, sqlite3_stmt *const *st,
                        const struct batch *bt)
{
    size_t v = 0;
    for (size_t r = 0; r < bt->nrows; r++) {
        int t = bt->rows[r];
        sqlite3_stmt *s = st[t];
        int nc = target_ncols(t);
        for (int k = 0; k < nc; k++, v++) {
            const struct batch_val *x = &bt->vals[v];
            if (x->off == BATCH_NULL) {
                sqlite3_bind_null(s, k + 1);
            } else if (x->len == BATCH_INT) {
                long long iv;
                memcpy(&iv, bt->text + x->off, sizeof(iv));
                sqlite3_bind_int64(s, k + 1, iv);
            } else
                sqlite3_bind_text(s, k + 1, bt->text + x->off, (int)x->len,
                                  SQLITE_STATIC);
        }
        if (sqlite3_step(s) != SQLITE_DONE) {
            log_error("sqlite insert: %s", sqlite3_errmsg(db));
            sqlite3_reset(s);
            return -1;
        }
        sqlite3_reset(s);
    }
    /* Every row had its target's values, no more, no fewer. */
    assert(v == bt->nvals);
    return 0;
}

/* ---- The name dictionary (name_term) ---- */

/* Counts each space-separated word of s. */
static void term_words(struct strset *t, struct arena *a, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, " ");
        if (n)
            strset_get(t, a, s, n)->n++;
        s += n;
        while (*s == ' ')
            s++;
    }
}

static int cmp_term(const void *a, const void *b)
{
    return strcmp(((const struct strset_ent *)a)->s,
                  ((const struct strset_ent *)b)->s);
}

/* ---- The replay: professionals and their rows, in pid order ---- */

/* Pushes the batch when full; returns the batch to fill next, or NULL if
 * the inserter gave up. */
static struct batch *replay_next(struct build *b, struct batch *bt)
{
    if (bt->nrows < BATCH_ROWS)
        return bt;
    if (queue_push(&b->q, bt) < 0)
        return NULL;
    return queue_get_free(&b->q);
}

/* The rows of a run of records (spill.h) into bt with their keys. seq[]
 * counts rows per target for this owner; pid 0 means orphans (mailboxes
 * with no owner). */
static int replay_run(struct build *b, struct batch *bt, struct spill_run *run,
                      long long pid, long long *seq, long long *orphans)
{
    int t;
    while (spill_next(run, &t) == 0) {
        /* The key (common/rowid.h): a specialty's is its owner's pid, a
         * mailbox without an owner's the next orphan rowid, any other row's
         * the next rowid of its owner's range. */
        long long key;
        assert(pid > 0 || t == TARGET_MAILBOX);
        if (t == TARGET_SPECIALTY) {
            key = pid;
        } else if (pid == 0) {
            key = rowid_orphan((*orphans)++);
        } else if (seq[t] > ROWID_SEQ_MAX) {
            log_error("more than %lld rows of one kind for one professional",
                      ROWID_SEQ_MAX + 1);
            return -1;
        } else {
            key = rowid_make(pid, seq[t]++);
        }
        batch_row(bt, t, NULL);
        size_t v0 = bt->nvals;
        batch_int(bt, key);
        spill_values(run, bt);
        if (t == TARGET_ACTIVITY && pid > 0)
            structures_add(&b->structs, &b->arena, bt, v0, pid);
    }
    return 0;
}

/* Every row chained from record number rec on. */
static struct batch *replay_chain(struct build *b, struct batch *bt,
                                  struct spill_run *run, uint32_t rec,
                                  long long pid, long long *orphans)
{
    long long seq[TARGET_N] = {0};
    while (rec && bt) {
        if (spill_read(b->sp, &rec, run) < 0 ||
            replay_run(b, bt, run, pid, seq, orphans) < 0) {
            b->thread_failed = 1;
            batch_free(bt);
            return NULL;
        }
        bt = replay_next(b, bt);
    }
    return bt;
}

/* The values of professional p's row (pid: its key), in the table's order
 * (common/columns.h), for TABLE_PROFESSIONAL(PRO_VALUE) where bt, p and
 * pid are in scope: a column added there and not here does not compile.
 * The folded names are never NULL (NOT NULL columns). */
#define PRO_VALUE(c, kind, field) PRO_VALUE_##kind(c)
#define PRO_VALUE_KEY(c) batch_int(bt, pid);
#define PRO_VALUE_OWN(c) PRO_##c;
#define PRO_national_id batch_str(bt, p->nid)
#define PRO_id_type batch_str(bt, p->id_type)
#define PRO_id batch_str(bt, p->id)
#define PRO_civility_code batch_str(bt, p->civ)
#define PRO_title_code batch_str(bt, p->title)
#define PRO_last_name batch_str(bt, p->last)
#define PRO_first_name batch_str(bt, p->first)
#define PRO_last_fold batch_text(bt, p->last_fold)
#define PRO_first_fold batch_text(bt, p->first_fold)
#define PRO_last_join batch_text(bt, p->last_join)
#define PRO_profession_code batch_str(bt, p->prof)
#define PRO_category_code batch_str(bt, p->cat)
#define PRO_has_mss batch_int(bt, p->has_mss)
#define PRO_n_activities batch_int(bt, p->n_act)

/* The values of a name_term row: word w[0..wl), its count n, its phonetic
 * key key[0..kl), for TABLE_NAME_TERM(TERM_VALUE) where they are in
 * scope. */
#define TERM_VALUE(c, kind, field) TERM_##c;
#define TERM_term batch_val(bt, w, wl)
#define TERM_n batch_int(bt, (long long)n)
#define TERM_phon batch_val(bt, key, kl)

/* The dictionary's rows, in key order (WITHOUT ROWID: appends). */
static struct batch *replay_terms(struct build *b, struct batch *bt,
                                  struct strset *terms)
{
    if (terms->n)
        qsort(terms->e, terms->n, sizeof(*terms->e), cmp_term);
    for (size_t i = 0; i < terms->n && bt; i++) {
        const char *w = terms->e[i].s;
        size_t wl = strlen(w);
        char key[512];
        size_t kl = phon_key(w, wl < 255 ? wl : 255, key);
        unsigned long long n = terms->e[i].n;
        batch_row(bt, TARGET_TERM, NULL);
        TABLE_NAME_TERM(TERM_VALUE)
        bt = replay_next(b, bt);
    }
    return bt;
}

static void *replay_thread(void *arg)
{
    struct build *b = arg;
    struct persons *ps = &b->persons;
    struct batch *bt = queue_get_free(&b->q);
    struct spill_run run = {0};
    struct strset terms;
    long long orphans = 0;

    /* 45,000 words fill 64 Ki slots to 70 %: the growth of the small
     * tables is skipped (1.9 M professionals carry a few hundred
     * thousand). */
    strset_init(&terms, 45000);
    for (size_t i = 0; i < ps->n && bt; i++) {
        const struct person *p = ps->all[i];
        long long pid = (long long)i + 1;
        batch_row(bt, TARGET_PROFESSIONAL, NULL);
        TABLE_PROFESSIONAL(PRO_VALUE)
        bt = replay_chain(b, bt, &run, p->first_rec, pid, &orphans);
        if (bt)
            bt = replay_next(b, bt);
        if (p->prof) {
            struct psv_field c = {p->prof, strlen(p->prof)};
            codes_add(&b->codes, &b->arena, CODE_PROFESSION, &c, NULL, 1);
        }
        if (p->civ) {
            struct psv_field c = {p->civ, strlen(p->civ)};
            codes_add(&b->codes, &b->arena, CODE_CIVILITY, &c, NULL, 1);
        }
        if (p->title) {
            struct psv_field c = {p->title, strlen(p->title)};
            codes_add(&b->codes, &b->arena, CODE_TITLE, &c, NULL, 1);
        }
        term_words(&terms, &b->arena, p->last_fold);
        term_words(&terms, &b->arena, p->first_fold);
        if (strcmp(p->last_join, p->last_fold) != 0 && p->last_join[0])
            strset_get(&terms, &b->arena, p->last_join, strlen(p->last_join))
                ->n++;
    }
    if (bt)
        bt = replay_chain(b, bt, &run, b->sp->orphan_first, 0, &orphans);

    if (bt)
        bt = replay_terms(b, bt, &terms);
    queue_finish_with(&b->q, bt, b->thread_failed);
    spill_run_release(&run);
    strset_release(&terms);
    return NULL;
}

int write_rows(struct build *b, sqlite3 *db)
{
    sqlite3_stmt *st[TARGET_N] = {0};
    pthread_t th;
    struct batch *bt;
    int failed = 0, ret = -1;
    assert(b->persons.sorted);
    for (int t = 0; t < TARGET_N; t++) {
        struct buf sql;
        buf_init(&sql, 4096);
        target_sql(t, &sql);
        int rc = sqlite3_prepare_v2(db, sql.s, -1, &st[t], NULL);
        buf_release(&sql);
        if (rc != SQLITE_OK) {
            log_error("sqlite: %s", sqlite3_errmsg(db));
            goto out;
        }
    }
    b->thread_failed = 0;
    queue_init(&b->q);
    if (pthread_create(&th, NULL, replay_thread, b) != 0) {
        log_error("pthread_create failed");
        queue_destroy(&b->q);
        goto out;
    }
    while ((bt = queue_pop(&b->q))) {
        if (!failed && insert_batch(db, st, bt) < 0) {
            failed = 1;
            queue_abort(&b->q);
        }
        queue_recycle(&b->q, bt);
    }
    pthread_join(th, NULL);
    queue_destroy(&b->q);
    ret = failed || b->thread_failed ? -1 : 0;
out:
    for (int t = 0; t < TARGET_N; t++)
        sqlite3_finalize(st[t]);
    return ret;
}
