/* One professional as the API shows it, as JSON text: read from the
 * database on a connection, rendered once and kept in the generation's
 * record cache (db.h) for the searches' pages. */
#ifndef RECORD_H
#define RECORD_H
#include <jansson.h>

#include "db.h"
#include "util.h"

/* One professional as the API shows it (record.c): full adds diplomas.
 * record_write() appends it to b as JSON text (-1 and nothing appended if
 * pid is unknown); record_json() gives it as a value (NULL if unknown). */
int record_write(struct db_conn *c, struct buf *b, long long pid, int full);
json_t *record_json(struct db_conn *c, long long pid, int full);
/* record_write() of a search result with near=: "distance_km" (tenths of
 * a km, null for NAN) on each of its first nkm activities from km[], and
 * best on the record. */
int record_write_near(struct db_conn *c, struct buf *b, long long pid,
                      const double *km, size_t nkm, double best);
/* Appends s as a JSON string, or null when s is NULL or not UTF-8. */
void json_put_str(struct buf *b, const char *s);
/* The pid of a professional by RPPS, ADELI or national id; 0 if unknown. */
long long record_find(struct db_conn *c, const char *id);
#endif
