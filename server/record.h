/* One professional as the API shows it, as JSON text: read from the
 * database on a connection, rendered once and kept in the generation's
 * record cache (db.h) for the searches' pages. */
#ifndef RECORD_H
#define RECORD_H
#include <jansson.h>

#include <pthread.h>

#include "db.h"
#include "util.h"

/* One rendered record in the cache. */
struct db_cached {
    long long pid; /* 0 = empty */
    char *json;
    size_t len;
};

/* Rendered records (record_write()), shared by every thread serving one
 * database file (the dataset owns it: dataset_records()): direct-mapped on
 * the pid, one slot per KiB of db_cache_bytes, in stripes (slot %
 * DB_CACHE_STRIPES) with a lock and a share of the budget each. Shared
 * rather than per thread, the same memory holds twice the records with two
 * threads, and a record one thread rendered serves the other. */
#define DB_CACHE_STRIPES 64
struct db_record_cache {
    struct db_cached *slot;
    size_t nslot, stripe_max; /* stripe_max: bytes of JSON per stripe */
    struct {
        pthread_mutex_t lock;
        size_t bytes;
    } stripe[DB_CACHE_STRIPES];
};

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
/* The last known record of a removed professional (gid: its pid in
 * gone_professional), full, with "first_seen", "last_seen" and "removed":
 * true, appended to b. -1 and nothing appended if unknown. Never cached. */
int record_write_gone(struct db_conn *c, struct buf *b, long long gid);
/* The pid of a professional by RPPS, ADELI or national id; 0 if unknown. */
long long record_find(struct db_conn *c, const char *id);
#endif
