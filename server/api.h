/* The API's handlers: each takes a parsed request (path remainder and query
 * parameters, already URL-decoded) and a database connection, and fills a
 * status and a JSON body. They know nothing of HTTP transport (headers,
 * compression, ETags are http.c's), so tests can call them directly. This
 * header is the contract every handler shares (query.c implements it) and
 * the small handlers' own; the search's are in search.h, a record's JSON in
 * record.h. */
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
    int text_ok;      /* the caller can send api_resp.text as it is */
    const char *host; /* the Host header, or NULL (the FHIR links') */
};

/* The answer: a JSON value, or (only when the request says text_ok) the
 * same already serialised as compact JSON, which large answers write
 * directly (record.c says why). Exactly one of body and text is set. */
struct api_resp {
    int status;
    json_t *body; /* owned by the response: the caller json_decref()s it */
    char *text;   /* malloc'd, NUL-terminated; the caller frees it */
    size_t textlen;
    /* Its media type when it is not application/json: FHIR's JSON
     * (application/fhir+json, with body), or text (the changes' CSV and
     * Atom); and a file name to download a text as (or NULL). Static
     * strings. */
    const char *ctype, *filename;
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
/* For another error format (the FHIR facade's OperationOutcome): empties
 * out, sets its status, and returns fmt's message as a JSON string (valid
 * UTF-8 even when it quotes client input) for the caller's body. */
json_t *api_error_reset(struct api_resp *out, int status, const char *fmt,
                        va_list ap) __attribute__((format(printf, 3, 0)));

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

/* The small handlers (query.c); the search's are in search.h. */
api_handler api_practitioner, api_mssante, api_professions, api_specialties,
    api_status, api_healthz, api_readyz;

#endif
