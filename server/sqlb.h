/* SQL text built piece by piece with its arguments (all text, bound in
 * order by sqlb_prepare()): the search's statements whose shape depends on
 * the request (how many codes, which place keys). Each sqlb_arg() writes
 * one ? and keeps its argument; nothing here knows what the SQL means. */
#ifndef SQLB_H
#define SQLB_H
#include <sqlite3.h>

#include "db.h"
#include "util.h"

/* Arguments of one statement. The most the search binds is a place check:
 * 5 place values, the departments and the modes (search_int.h LIST_MAX,
 * 16, each): 37 (filters.c asserts it fits). */
#define SQLB_ARGS 128

struct sqlb {
    struct buf sql;
    const char *arg[SQLB_ARGS]; /* borrowed: must outlive sqlb_prepare() */
    int narg;
    int over; /* an argument past SQLB_ARGS was refused */
};

void sqlb_init(struct sqlb *b);
void sqlb_release(struct sqlb *b);
/* Writes a ? for s. Past SQLB_ARGS arguments, b is spoiled: s is not kept
 * and sqlb_prepare() fails, rather than run a statement with a parameter
 * left unbound (NULL: a query that silently finds nobody). */
void sqlb_arg(struct sqlb *b, const char *s);
/* Writes (?,?,...) for v[0..n). */
void sqlb_list(struct sqlb *b, char *const *v, int n);
/* b's statement on c (db_prepare(): cached by its text) with its
 * arguments bound; NULL (logged) if it does not compile or b is spoiled. */
sqlite3_stmt *sqlb_prepare(struct db_conn *c, struct sqlb *b);
#endif
