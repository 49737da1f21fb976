/* The API's answers in formats other than JSON: a professional's record as
 * a vCard 4.0 (RFC 6350), a page of search results as CSV (RFC 4180, for a
 * French-locale spreadsheet) or as an aligned text table for a terminal, a
 * record as text. Each renderer reads the JSON text the handlers already
 * built (record.c, search.c) and knows nothing of HTTP or SQLite: the
 * formats cannot drift from the JSON, and tests feed them JSON directly.
 * Which format a request gets (a format parameter, the Accept header, a
 * terminal's User-Agent) is decided here too; http.c only asks. */
#ifndef EXPORT_H
#define EXPORT_H
#include <stddef.h>

#include "util.h"

enum export_format { EXPORT_JSON, EXPORT_TEXT, EXPORT_CSV, EXPORT_VCARD };

/* What the JSON is: a /v1/search answer or a /v1/practitioners record. */
enum export_kind { EXPORT_SEARCH, EXPORT_RECORD };

/* The format a request asks for. format is the value of its format
 * parameter (NULL if none), which wins; else accept (the Accept header,
 * NULL if none) picks a type this kind has only when it names it
 * explicitly with a q above application/json's (wildcards keep JSON, so a
 * browser's fetch() or navigation still gets JSON); else dflt. 0 and *out,
 * or -1 with *err (a static message for a 400) for a format this kind
 * does not have. */
int export_choose(enum export_kind kind, const char *format, const char *accept,
                  enum export_format dflt, enum export_format *out,
                  const char **err);

/* 1 if a client on the page's paths ("/", "/p/{id}") wants text rather
 * than HTML: a terminal's User-Agent (curl, Wget, HTTPie, xh) unless it
 * asks for text/html, or an Accept that ranks text/plain above text/html. */
int export_wants_text(const char *accept, const char *user_agent);

/* The Content-Type of a format. */
const char *export_ctype(enum export_format f);
/* One CSV field as the search's CSV writes them (RFC 4180 with ';', CRLF
 * after the last, quoted when needed, a formula guard unless phone):
 * for the other CSV answers (the changes'). */
void export_csv_field(struct buf *b, const char *s, int last, int phone);

/* Renders the JSON text json[0..n) of a 200 answer of kind in format f
 * (not EXPORT_JSON), appending to out. filename (size fsize) receives the
 * name a download should take ("martin-jean.vcf"), or "" for text. 0, or
 * -1 if the JSON is not what the kind gives or out's maximum is reached. */
int export_render(enum export_format f, enum export_kind kind, const char *json,
                  size_t n, struct buf *out, char *filename, size_t fsize);

/* An error answer's JSON text ({"error": {"status", "message"}}) as one
 * line of text for a terminal. */
void export_error_text(const char *json, size_t n, struct buf *out);

/* What "/" answers a terminal that gives no query: how to search with
 * curl. host is the Host header (NULL: a placeholder); only the
 * characters of a host name, an IP address and a port are kept. */
void export_usage(const char *host, struct buf *out);
#endif
