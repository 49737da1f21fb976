/* The API's handlers: each takes a parsed request (path remainder and query
 * parameters, already URL-decoded) and a database connection, and fills a
 * status and a JSON body. They know nothing of HTTP transport (headers,
 * compression, ETags are http.c's), so tests can call them directly. */
#ifndef API_H
#define API_H
#include <stddef.h>
#include <jansson.h>

#include "db.h"
#include "util.h"

/* Caps on what a client may send (each says where its number comes from in
 * query.c). */
#define API_MAX_PARAMS 32 /* distinct + repeated parameters */
#define API_MAX_VALUE 256 /* bytes in one parameter value */
#define API_MAX_LIMIT 100
#define API_MAX_WINDOW 10000 /* offset + limit */

struct api_param {
    const char *key, *val; /* NUL-terminated; val may contain no NUL */
    size_t klen, vlen;
};

struct api_req {
    const char *rest; /* the path after the route's prefix ("" if none) */
    const struct api_param *params;
    size_t nparams;
    int text_ok; /* the caller can send api_resp.text as it is */
};

/* The answer: a JSON value, or (only when the request says text_ok) the
 * same already serialised as compact JSON, which large answers write
 * directly (record.c says why). Exactly one of body and text is set. */
struct api_resp {
    int status;
    json_t *body; /* owned by the response: the caller json_decref()s it */
    char *text;   /* malloc'd, NUL-terminated; the caller frees it */
    size_t textlen;
};

/* Caps the JSON text of one answer (100 full records are well below). */
#define API_MAX_BODY (16u << 20)

/* Sets out to status and the JSON text in b, which it takes over: as text
 * when r->text_ok, else parsed into body. */
void api_reply_text(const struct api_req *r, struct api_resp *out, int status,
                    struct buf *b);

typedef void api_handler(struct db_conn *c, const struct api_req *r,
                         struct api_resp *out);

/* Sets out to {"error": {"status": status, "message": ...}}. */
void api_error(struct api_resp *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks every parameter name against allowed (NULL-terminated; "pretty" is
 * always allowed), values for UTF-8 and length, and that names listed in
 * multi are the only ones given twice. 0, or -1 with a 400 in out. */
int api_check_params(const struct api_req *r, const char *const *allowed,
                     const char *const *multi, struct api_resp *out);

/* The value of the single parameter name, or NULL. */
const char *api_param(const struct api_req *r, const char *name);

/* Settings of the command line that handlers read; set before serving. */
struct api_config {
    int stale_days; /* /v1/status says stale past this age (days) */
};
extern struct api_config api_config;

/* The database's part of GET /metrics (Prometheus text) appended to b:
 * extract time stamps and ages, staleness, row counts, build time,
 * generation. c may be NULL (no database: rpps_database_loaded 0). */
void api_metrics_db(struct db_conn *c, struct buf *b);

/* Lowers the sizes at which a search takes the paths of large matches
 * (cand 1000, drive 5000; <= 0 keeps one), the number of name words a
 * prefix is expanded to (64; < 0 keeps it) and the people of a place that
 * filters alone read from memory (100000; 0: none, < 0 keeps it): for
 * tests only, which set RPPS_SEARCH_TUNE="cand,drive,expand,place" in
 * rpps-server's environment. */
void api_search_tune(long cand, long drive, int expand, long place);
/* Makes each candidate a search examines cost us microseconds more (slept
 * in steps of at most 1 ms, the request's limits read between them), so
 * that a small fixture can stand for a request that would run for seconds
 * at full scale: for tests only, which set RPPS_SEARCH_SLOW_US in
 * rpps-server's environment. 0: off. */
void api_search_slow(long us);

api_handler api_search, api_suggest, api_practitioner, api_mssante,
    api_professions, api_specialties, api_status, api_healthz;

/* record.c: one professional as the API shows it. full adds diplomas.
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
