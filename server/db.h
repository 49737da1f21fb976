/* The server's side of the database: one read-only SQLite connection per
 * server thread, statements prepared once per connection and cached by their
 * SQL text, the request's work limits, and the generations that move the
 * server to a new database file without a restart. The file's in-memory
 * indexes are its dataset (dataset.h), which a generation owns.
 *
 * Hot swap: rpps-import renames a complete new file over the served path. The
 * main thread calls db_check() about once a second (and on SIGHUP); when the
 * path names another file (inode, size or mtime changed) that is a valid
 * database, it builds that file's dataset there, on the main thread, and only
 * then publishes it as the next generation. A thread notices at its next
 * request and opens the new file, sharing the generation's dataset; a request
 * in flight finishes on the connection it started with, whose open file
 * descriptor keeps the old inode alive, and which closes when it ends
 * (db_release()): the old dataset goes with the last of them. No request ever
 * builds a dataset: a thread that finds the path already naming a newer file
 * than the generation's keeps its previous connection, or, having none, waits
 * for the main thread to publish that file. Nothing here knows about HTTP. */
#ifndef DB_H
#define DB_H
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sqlite3.h>

/* The only schema version this server understands (PRAGMA user_version). */
#define DB_SCHEMA_VERSION 3

struct dataset;
struct db_record_cache;

/* Bytes of rendered records a generation may keep (0 = none): set before
 * serving (--cache-mb). */
extern size_t db_cache_bytes;

/* A connection to one database file (db.c's, opaque): its SQLite handle,
 * statement cache, what it knows of the file (read with the accessors
 * below) and the request's work limits. */
struct db_conn;

/* A connection's work limits: the public first member of struct db_conn, so
 * that db_limits() is a cast and the checks of the search's loops
 * (db_over(), db_interrupted()) are inline reads with no call. Only db.c
 * writes them (db_request_begin(), db_budget(), db_over_now()), except the
 * tick db_over() counts with. */
struct db_limits {
    double deadline; /* the armed limit, monotonic; 0 = none armed */
    unsigned tick;   /* db_over()'s call count */
    int interrupted; /* the armed limit has passed */
    int expired;     /* the request's deadline has passed, or its client
                      * has gone: its work stops */
};

static inline struct db_limits *db_limits(struct db_conn *c)
{
    return (struct db_limits *)(void *)c;
}

static inline const struct db_limits *db_limits_c(const struct db_conn *c)
{
    return (const struct db_limits *)(const void *)c;
}

/* What a connection knows of its file, set when it opens and constant
 * after. Borrowed pointers live as long as c. */
sqlite3 *db_handle(const struct db_conn *c);
/* The file's in-memory indexes (dataset.h), shared with every connection
 * to it: never NULL on an open connection. */
const struct dataset *db_dataset(const struct db_conn *c);
unsigned db_conn_gen(const struct db_conn *c); /* its generation */
const char *db_etag(const struct db_conn *c);  /* W/"..." for its answers */
const char *db_path(const struct db_conn *c);  /* the name it was opened as */
double db_opened_at(const struct db_conn *c);  /* wall clock, seconds */
/* The last professional's pid. */
long long db_max_pid(const struct db_conn *c);
/* Pids 1..db_mss_end() have an MSSante mailbox (they come first in pid
 * order), the rest not: has_mss is a pid range. */
long long db_mss_end(const struct db_conn *c);
/* Bit n set: name_fts has a prefix index of n characters (its prefix=
 * option). */
unsigned db_fts_prefix(const struct db_conn *c);
/* name_fts's rows, and its average tokens per row (bm25's N and avgdl). */
double db_fts_rows(const struct db_conn *c);
double db_fts_avgdl(const struct db_conn *c);
/* The index on activity (place key, profession_code) for pk (enum
 * place_key), or "" if the database has none: a place and a profession
 * together are then one index range in pid order. */
const char *db_place_prof_index(const struct db_conn *c, int pk);
/* The dataset's cache of rendered records. */
struct db_record_cache *db_records(const struct db_conn *c);
/* A bit per pid of the dataset (dataset_npids()), the search's scratch (a
 * place read from memory): c's own, allocated on first use, contents
 * undefined. */
uint64_t *db_pidbits(struct db_conn *c);
/* Values c remembers by key (a figure of c's file that costs a statement
 * to learn, read again by later requests): db_memo_get() gives 1 with *v
 * if key was put, else 0; db_memo_put() copies key, and keeps nothing past
 * a cap of some thousands (the caller must bound its keys by the file, not
 * by what clients send). c's own: no lock; gone with c, so with its
 * file's generation. */
int db_memo_get(struct db_conn *c, const char *key, long long *v);
void db_memo_put(struct db_conn *c, const char *key, long long v);

/* Start-up: remembers path and validates the file if it exists. A missing
 * file, or one this server cannot serve (another schema version, not a
 * database), is not an error: it is logged, the server answers 503 and
 * db_check() keeps watching the path until a valid database appears.
 * Each generation's load opens nconns connections to its file (the number
 * of threads that call db_acquire()): a thread's first request of the
 * generation takes one, so that it is served from that file even after a
 * newer one has replaced it at the path. */
void db_init(const char *path, unsigned nconns);

/* Looks at the path again (stat) and moves to a new generation if it names
 * another valid database. Called by the main thread; cheap when nothing
 * changed. force=1 re-validates even when stat() says nothing changed. */
void db_check(int force);

/* The calling thread's connection for the current generation, opening it if
 * needed (the previous one is closed then). NULL while no database can be
 * opened: answer 503. Valid until the calling thread's next db_acquire(). */
struct db_conn *db_acquire(void);

/* The request that db_acquire() served is over. If c's file is no longer
 * the generation served, c is closed now, and with the last connection to
 * it, the file's dataset is freed: an old generation lives as long as the
 * requests that use it, not until each thread's next request. NULL-safe;
 * c must not be used after. */
void db_release(struct db_conn *c);

/* Opens a connection on path outside the generation machinery: for tests and
 * tools. Returns NULL (logged) on failure. Free with db_conn_free(). */
struct db_conn *db_conn_open(const char *path);
void db_conn_free(struct db_conn *c);

/* Closes every connection. After the HTTP daemon has stopped. */
void db_shutdown(void);

/* Current generation number (0 = nothing loaded yet). */
unsigned db_generation(void);

/* What /readyz says: whether a generation serves (DB_READY, which stays
 * so while a newer file is loaded beside it: the old one serves until the
 * swap), or why not: a file is being loaded (DB_LOADING) or none the
 * server can serve is at the path (DB_NONE). */
enum db_state { DB_NONE, DB_LOADING, DB_READY };
enum db_state db_state(void);

/* Milliseconds each load waits before it publishes (0: none): set before
 * serving, from RPPS_TEST_LOAD_DELAY_MS, so that a test can see a load
 * under way on a small database (tests/e2e_ready.sh). */
extern unsigned db_test_load_delay_ms;

/* A prepared statement for sql on c, reset with no bindings: prepared on
 * first use, then cached. NULL (logged) if sql does not compile. Call
 * db_done() after the last step so that the read is finished. */
sqlite3_stmt *db_prepare(struct db_conn *c, const char *sql);
/* The same for a string literal: cached by its address (no hashing of the
 * text), for the statements run several times per request. */
sqlite3_stmt *db_prepare_static(struct db_conn *c, const char *sql);
void db_done(sqlite3_stmt *st);

/* Work limits. Every request gets a hard deadline for its work, which the
 * HTTP layer sets with db_request_begin() before calling a handler; a
 * handler arms it (db_budget()) around the work whose cost depends on the
 * data (a search), and may arm smaller budgets within it. While a limit is
 * armed, statements stepped on c are interrupted (SQLITE_INTERRUPT, by
 * SQLite's progress handler) once it has passed, db_interrupted() says 1, and
 * db_over() tells loops that run no statement. Once the request's own
 * deadline has passed, or gone() has said its client left (asked every
 * DB_POLL_MS at most while a limit is armed, never in a request shorter
 * than that), db_expired() says 1 as well and stays set until the next
 * db_request_begin(): every limit armed after that is spent at once, and
 * the handler answers with what it found. Lookups of one row and the
 * rendering of a page (at most API_MAX_LIMIT records) run disarmed: their
 * cost is bounded by their size, and an interrupted one would answer
 * wrongly rather than partly. */
#define DB_POLL_MS 2.0

/* Starts a request: its deadline ms milliseconds from now (ms <= 0: none)
 * and gone(arg) (NULL: never asked), which returns 1 once the client has
 * gone. Nothing is armed yet. */
void db_request_begin(struct db_conn *c, double ms, int (*gone)(void *),
                      void *arg);
/* Ends it: no deadline, nothing armed, gone() forgotten. */
void db_request_end(struct db_conn *c);
/* Arms a budget of ms milliseconds within the request's deadline; ms <= 0
 * arms the request's deadline alone (none outside a request: disarmed).
 * db_interrupted() starts as db_expired(). */
void db_budget(struct db_conn *c, double ms);
/* Disarms: statements run to their end, db_over() says 0 (unless the
 * request has expired). */
void db_unbudget(struct db_conn *c);
/* Reads the clock (and asks gone() when due): 1 if the armed limit has
 * passed, setting interrupted (and expired for the request's). */
int db_over_now(struct db_conn *c);
/* The same for a loop's every step: the clock read one call in 256 (~20
 * ns), so it costs nothing measurable; once over, 1 at every call. */
static inline int db_over(struct db_conn *c)
{
    struct db_limits *l = db_limits(c);
    if (l->interrupted)
        return 1;
    if (l->deadline <= 0 || (++l->tick & 255))
        return 0;
    return db_over_now(c);
}
/* 1 once the armed limit has passed (without reading the clock). */
static inline int db_interrupted(const struct db_conn *c)
{
    return db_limits_c(c)->interrupted;
}
/* 1 once the request's deadline has passed or its client has gone. */
static inline int db_expired(const struct db_conn *c)
{
    return db_limits_c(c)->expired;
}

/* 1 if pid may have specialty rows (0: it has none, skip the lookup). */
int db_has_specialty(const struct db_conn *c, long long pid);
/* 1 if c's file has the table name (the optional tables newer importers
 * write: schema.sql), 0 if not or on an error. */
int db_has_table(struct db_conn *c, const char *name);

/* The label of code in list ("profession", "SM54"), or NULL. Borrowed from
 * c: valid while c is. */
const char *db_label(const struct db_conn *c, const char *list,
                     const char *code);

/* Text of column i of the current row, NULL for SQL NULL or "". */
const char *db_text(sqlite3_stmt *st, int i);
#endif
