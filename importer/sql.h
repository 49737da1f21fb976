/* Three SQLite helpers the importer's modules share: run statements and
 * log the failure, bind an optional text, read one count. Nothing here
 * owns a connection; each takes the caller's. */
#ifndef SQL_H
#define SQL_H
#include <sqlite3.h>

/* Runs the statements in sql; 0, or -1 after logging SQLite's message and
 * the start of the statement. */
int sql_exec(sqlite3 *db, const char *sql);
/* Binds v (borrowed until the step) to parameter i, NULL when v is NULL or
 * empty. */
void sql_bind_opt(sqlite3_stmt *s, int i, const char *v);
/* The first column of the first row of sql as an integer, or -1. */
long long sql_count(sqlite3 *db, const char *sql);
#endif
