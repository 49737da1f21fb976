/* SQL text and its arguments (sqlb.h). */
#include "sqlb.h"
#include "banned.h"

void sqlb_init(struct sqlb *b)
{
    buf_init(&b->sql, 64 * 1024);
    b->narg = 0;
    b->over = 0;
}

void sqlb_release(struct sqlb *b)
{
    buf_release(&b->sql);
}

void sqlb_arg(struct sqlb *b, const char *s)
{
    if (b->narg < SQLB_ARGS)
        b->arg[b->narg++] = s;
    else
        b->over = 1;
    buf_add(&b->sql, "?", 1);
}

void sqlb_list(struct sqlb *b, char *const *v, int n)
{
    buf_add(&b->sql, "(", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_add(&b->sql, ",", 1);
        sqlb_arg(b, v[i]);
    }
    buf_add(&b->sql, ")", 1);
}

sqlite3_stmt *sqlb_prepare(struct db_conn *c, struct sqlb *b)
{
    if (b->over) {
        log_warn("%s: more than %d arguments: %.80s", __func__, SQLB_ARGS,
                 b->sql.s);
        return NULL;
    }
    sqlite3_stmt *st = db_prepare(c, b->sql.s);
    if (!st)
        return NULL;
    for (int i = 0; i < b->narg; i++)
        sqlite3_bind_text(st, i + 1, b->arg[i], -1, SQLITE_STATIC);
    return st;
}
