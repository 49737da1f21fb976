/* The code lists: see codes.h. */
#include "codes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "util.h"
#include "banned.h"

/* code.list's values (common/columns.h's CODE_LISTS). */
#define LIST_NAME(id, name) [id] = name,
static const char *const list_names[CODE_LISTS_N] = {CODE_LISTS(LIST_NAME)};
#undef LIST_NAME

static struct code *code_get(struct codes *t, struct arena *a,
                             enum code_lists list, const char *c, size_t cn)
{
    uint64_t h = htab_hash(c, cn);
    size_t pos;
    for (uint32_t i = htab_first(&t->h, h, &pos); i != HTAB_NONE;
         i = htab_next(&t->h, h, &pos)) {
        struct code *o = &t->e[i];
        if (o->list == list && strncmp(o->code, c, cn) == 0 &&
            o->code[cn] == '\0')
            return o;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
    }
    struct code *o = &t->e[t->n];
    *o = (struct code){list, arena_strndup(a, c, cn), NULL, 0};
    htab_add(&t->h, h, (uint32_t)t->n++);
    return o;
}

void codes_release(struct codes *t)
{
    htab_release(&t->h);
    free(t->e);
    memset(t, 0, sizeof(*t));
}

void codes_add(struct codes *t, struct arena *a, enum code_lists list,
               const struct psv_field *c, const struct psv_field *l,
               unsigned long long by)
{
    if (!c || c->n == 0)
        return;
    struct code *o = code_get(t, a, list, c->p, c->n);
    if (!o->label && l && l->n)
        o->label = arena_strndup(a, l->p, l->n);
    o->count += by;
}

int codes_write(const struct codes *t, sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int ret = -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO code VALUES (?,?,?,?)", -1, &s,
                           NULL) != SQLITE_OK) {
        log_error("sqlite: %s", sqlite3_errmsg(db));
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct code *c = &t->e[i];
        sqlite3_bind_text(s, 1, list_names[c->list], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, c->code, -1, SQLITE_STATIC);
        sql_bind_opt(s, 3, c->label);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)c->count);
        if (sqlite3_step(s) != SQLITE_DONE) {
            log_error("sqlite: code: %s", sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(s);
    }
    /* Specialties count professionals, which only the table knows once the
     * two sources are merged. */
    if (sql_exec(db,
                 "UPDATE code SET count = (SELECT count(*) FROM specialty s "
                 "WHERE s.code = code.code) WHERE list = 'specialty'") < 0)
        goto out;
    ret = 0;
out:
    sqlite3_finalize(s);
    return ret;
}
