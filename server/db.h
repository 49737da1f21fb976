/* The server's side of the database: one read-only SQLite connection per
 * server thread, statements prepared once per connection and cached by their
 * SQL text, the code labels loaded in memory, and the generation counter that
 * moves the server to a new database file without a restart.
 *
 * Hot swap: rpps-import renames a complete new file over the served path. The
 * main thread calls db_check() about once a second (and on SIGHUP); when the
 * path names another file (inode, size or mtime changed) that is a valid
 * database, the generation goes up. A thread notices at its next request and
 * opens the new file; a request in flight finishes on the connection it
 * started with, whose open file descriptor keeps the old inode alive. Nothing
 * here knows about HTTP. */
#ifndef DB_H
#define DB_H
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sqlite3.h>

/* The only schema version this server understands (PRAGMA user_version). */
#define DB_SCHEMA_VERSION 2

struct db_label;

/* One rendered record in the cache. */
struct db_cached {
    long long pid; /* 0 = empty */
    char *json;
    size_t len;
};

/* Rendered records (record.c), shared by every thread serving one
 * generation: direct-mapped on the pid, one slot per KiB of the budget,
 * in stripes (slot % DB_CACHE_STRIPES) with a lock and a share of the
 * budget each. Shared rather than per thread, the same memory holds twice
 * the records with two threads, and a record one thread rendered serves
 * the other. */
#define DB_CACHE_STRIPES 64
struct db_record_cache {
    struct db_cached *slot;
    size_t nslot, stripe_max; /* stripe_max: bytes of JSON per stripe */
    struct {
        pthread_mutex_t lock;
        size_t bytes;
    } stripe[DB_CACHE_STRIPES];
};

/* Bytes of rendered records a generation may keep (0 = none): set before
 * serving (--cache-mb). */
extern size_t db_cache_bytes;

/* A prefix of name words: how many professionals its words have in sum
 * (an upper bound of its match) and at most (a lower bound). */
struct db_prefix {
    char p[4]; /* "" = empty slot */
    double sum, max;
};

/* What every connection to one database file shares, built once when the
 * file is validated (about 1 s for 1.9 M professionals): the profession of
 * each professional as one byte per pid, so that a profession filter is an
 * array lookup (~10 ns) instead of an index seek (~1.5 us) per candidate;
 * and the folded names of each (last\0first\0join\0), so that matching
 * the name words of a candidate or scoring it costs no row lookup (~1 us).
 * About 60 MB for 1.9 M people. */
/* Place columns of activity that db_place_pids() reads from memory. */
enum {
    DB_PLACE_INSEE,
    DB_PLACE_CITY,
    DB_PLACE_POSTCODE,
    DB_PLACE_DEPT,
    DB_PLACE_COLS
};

/* One place column in memory: its distinct values in the index's order
 * (byte order), and for each the pids with an activity of that value,
 * each once (what "col = value" selects, by person), ordered by their
 * profession then pid. */
struct db_place_col {
    char *keys;        /* NUL-terminated values, one after another */
    uint32_t *key_off; /* nkeys offsets into keys */
    uint32_t *at;      /* nkeys + 1: value k's pids are pid[at[k]..at[k+1]) */
    uint32_t *pid;
    size_t nkeys;
};

/* Activity modes (mode_code) told apart in db_shared.modes: the first
 * seven codes met; bit DB_MODE_OTHER for none or any other. */
#define DB_MODE_CODES 7
#define DB_MODE_OTHER 7

struct db_shared {
    int refs;            /* under db.c's lock */
    char etag[48];       /* of the file it was built from */
    long long n;         /* entries per array: max_pid + 1 */
    unsigned char *prof; /* pid -> index into codes, 0 = none */
    char codes[256][16]; /* [0] unused */
    int ncodes;
    unsigned char *has_spec;    /* bit per pid: has a specialty row */
    struct db_prefix *prefixes; /* open hash: the 1-3 character prefixes of
                                 * name_term's words */
    size_t capprefixes;
    unsigned *name_off; /* pid -> offset in names; 0 = none */
    /* pid -> the initials of its name words (last, first, joined): a bit
     * per first byte (db_initial_bit()), so that a candidate whose names
     * cannot hold a word is passed over without reading them (8 MB). */
    uint32_t *initials;
    char *names;
    size_t names_len;
    /* activity's insee, city_fold, postcode and dept_code by person
     * ([DB_PLACE_COLS]), or NULL if they could not be read: about 30 MB
     * at full scale (4 bytes a (value, pid) pair), read on a second thread
     * while the rest loads. */
    struct db_place_col *places;
    struct db_record_cache records;
    /* The modes of each person's activities, a bit per code of
     * mode_codes (DB_MODE_OTHER: none or another), or NULL (read with the
     * places, 2 MB at full scale): a mode filter is then decided without
     * a statement for everyone whose activities all have, or all lack,
     * the mode. */
    unsigned char *modes;
    char mode_codes[DB_MODE_CODES][8];
    int nmode_codes;
    struct lex *lex; /* the search lexicon (name dictionary,
                      * communes, query reader; lex.h), or NULL:
                      * then q words are only name words */
};

struct db_conn {
    sqlite3 *db;
    unsigned gen;          /* generation this connection belongs to */
    char etag[48];         /* W/"..." for everything served from it */
    char *path;            /* the file name it was opened as */
    double opened_at;      /* wall clock, seconds */
    struct db_stmt *stmts; /* cache: open hash on the SQL text */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } lit[64]; /* db_prepare_static(): by address */
    size_t nstmts, capstmts;
    struct db_label *labels; /* open hash on (list, code) */
    size_t nlabels, caplabels;
    long long max_pid;              /* the last professional's pid */
    long long mss_end;              /* pids 1..mss_end have an MSSante mailbox
                                     * (they come first in pid order), the rest
                                     * not: has_mss is a pid range */
    unsigned fts_prefix;            /* bit n set: name_fts has a prefix index of
                                     * n characters (its prefix= option) */
    const struct db_shared *shared; /* never NULL on an open connection */
    /* Indexes on activity (place key, profession_code), if the database
     * has them: [0] insee, [1] city_fold, [2] postcode, [3] dept_code;
     * "" when absent. A place and a profession together are then one
     * index range in pid order. */
    char place_prof_index[4][64];
    double fts_rows;                 /* name_fts: rows, and tokens per row on */
    double fts_avgdl;                /* average (bm25's N and avgdl) */
    struct db_record_cache *records; /* the generation's (in shared) */
    uint64_t *pidbits; /* a bit per pid, the search's scratch (a place
                        * read from memory); allocated on first use */
    /* Work limits (db_request_begin(), db_budget()): */
    double deadline;     /* the armed limit, monotonic; 0 = none armed */
    double req_deadline; /* the request's own, monotonic; 0 = none */
    double next_poll;    /* when to ask gone() again */
    int interrupted;     /* the armed limit has passed */
    int expired;         /* the request's deadline has passed, or its
                          * client has gone: its work stops */
    unsigned tick;       /* db_over()'s call count */
    int (*gone)(void *arg);
    void *gone_arg;
    struct db_conn *next; /* all connections, for db_shutdown() */
};

/* Start-up: remembers path and validates the file if it exists. A missing
 * file, or one this server cannot serve (another schema version, not a
 * database), is not an error: it is logged, the server answers 503 and
 * db_check() keeps watching the path until a valid database appears. */
void db_init(const char *path);

/* Looks at the path again (stat) and moves to a new generation if it names
 * another valid database. Called by the main thread; cheap when nothing
 * changed. force=1 re-validates even when stat() says nothing changed. */
void db_check(int force);

/* The calling thread's connection for the current generation, opening it if
 * needed (the previous one is closed then). NULL while no database can be
 * opened: answer 503. Valid until the calling thread's next db_acquire(). */
struct db_conn *db_acquire(void);

/* Opens a connection on path outside the generation machinery: for tests and
 * tools. Returns NULL (logged) on failure. Free with db_conn_free(). */
struct db_conn *db_conn_open(const char *path);
void db_conn_free(struct db_conn *c);

/* Closes every connection. After the HTTP daemon has stopped. */
void db_shutdown(void);

/* Current generation number (0 = nothing loaded yet). */
unsigned db_generation(void);

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
 * SQLite's progress handler) once it has passed, c->interrupted is set, and
 * db_over() tells loops that run no statement. Once the request's own
 * deadline has passed, or gone() has said its client left (asked every
 * DB_POLL_MS at most while a limit is armed, never in a request shorter
 * than that), c->expired is set as well and stays set until the next
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
 * c->interrupted starts as c->expired. */
void db_budget(struct db_conn *c, double ms);
/* Disarms: statements run to their end, db_over() says 0 (unless the
 * request has expired). */
void db_unbudget(struct db_conn *c);
/* Reads the clock (and asks gone() when due): 1 if the armed limit has
 * passed, setting c->interrupted (and c->expired for the request's). */
int db_over_now(struct db_conn *c);
/* The same for a loop's every step: the clock read one call in 256 (~20
 * ns), so it costs nothing measurable; once over, 1 at every call. */
static inline int db_over(struct db_conn *c)
{
    if (c->interrupted)
        return 1;
    if (c->deadline <= 0 || (++c->tick & 255))
        return 0;
    return db_over_now(c);
}

/* The bit of db_shared.initials that stands for a word's first byte: a-z
 * 0-25, digits 26-30, anything else 31. */
static inline uint32_t db_initial_bit(unsigned char ch)
{
    if (ch >= 'a' && ch <= 'z')
        return 1u << (ch - 'a');
    if (ch >= '0' && ch <= '9')
        return 1u << (26 + (ch - '0') % 5);
    return 1u << 31;
}

/* The folded names of pid (never NULL: "" when empty), borrowed from c.
 * -1 if pid is unknown. */
int db_names(const struct db_conn *c, long long pid, const char **last,
             const char **first, const char **join);

/* Starts loading pid's entry in the names index (names=0) or, that entry
 * being loaded, its names (names=1) into the cache, for a db_names() of
 * pid a little later: a loop over scattered pids then waits for several
 * memory reads at once instead of two in turn per pid. */
void db_names_prefetch(const struct db_conn *c, long long pid, int names);

/* The pids with an activity whose column col (DB_PLACE_*) is exactly v,
 * each once, by profession (index into codes) then ascending; prof >= 0:
 * only those of that profession (ascending). *pids borrowed from c's
 * shared data (valid while c is), their number returned (0 when no
 * activity has that value). -1 when the columns are not in memory: read
 * the index instead. */
long long db_place_pids(const struct db_conn *c, int col, const char *v,
                        int prof, const uint32_t **pids);
/* The bits of db_shared.modes that stand for the mode codes codes[0..n)
 * (0 when nobody has any of them), or -1 when the modes are not in memory
 * or a code may be one counted as "other". */
int db_mode_bits(const struct db_conn *c, char *const *codes, int n);
/* The values of column col in [lo, hi) (byte order: a postal prefix):
 * their number, the first's index in *first; -1 when the columns are not
 * in memory. */
long long db_place_range(const struct db_conn *c, int col, const char *lo,
                         const char *hi, size_t *first);
/* db_place_pids() of the value of index k (from db_place_range()). */
long long db_place_run(const struct db_conn *c, int col, size_t k, int prof,
                       const uint32_t **pids);

/* The stats of a 1-3 character prefix of name words, or NULL if no word
 * begins with it. */
const struct db_prefix *db_prefix_stat(const struct db_conn *c, const char *p);

/* 1 if pid may have specialty rows (0: it has none, skip the lookup). */
int db_has_specialty(const struct db_conn *c, long long pid);

/* The index of a profession code in c->shared->codes, or 0 if no
 * professional has it. */
int db_prof_index(const struct db_conn *c, const char *code);

/* The label of code in list ("profession", "SM54"), or NULL. Borrowed from
 * c: valid while c is. */
const char *db_label(const struct db_conn *c, const char *list,
                     const char *code);

/* Text of column i of the current row, NULL for SQL NULL or "". */
const char *db_text(sqlite3_stmt *st, int i);
#endif
