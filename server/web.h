/* The web page for practice staff: its files (server/web/: plain HTML, CSS
 * and JavaScript, no framework, no build step) compiled into rpps-server
 * by tools/embed-web.sh, as the schema is, so the page needs nothing from
 * elsewhere and always matches the API it calls. This module maps request
 * paths to those files and prepares each once: a hash of its content (the
 * ETag and the version in the page's links, so a file can be cached for a
 * year: a new build links another URL) and its gzip. It knows nothing of
 * HTTP; http.c sends what it finds. */
#ifndef WEB_H
#define WEB_H
#include <stddef.h>

/* A source file as embedded (tools/embed-web.sh writes the table). */
struct web_src {
    const char *name; /* "app.js" */
    const char *data;
    size_t len;
};
extern const struct web_src web_srcs[];
extern const size_t web_nsrcs;

struct web_file {
    const char *name;  /* "app.js"; "index.html" is the page */
    const char *ctype; /* from the name's extension */
    const char *data;  /* the page: with versioned links (see web.c) */
    size_t len;
    const char *gz; /* gzip of data, or NULL when that is not smaller */
    size_t gzlen;
    char version[17]; /* 16 hex digits: FNV-1a 64 of data */
    char etag[20];    /* "\"" version "\"", a strong validator */
};

/* The file a request path names, or NULL: "/" and "/p/{id}" (the page
 * opens a record itself) give the page, "/static/NAME" the file NAME.
 * Prepared on first use, then read-only: safe from any thread; valid for
 * the life of the process. */
const struct web_file *web_find(const char *path);

/* 1 if version (the request's v parameter, or NULL) is f's: such a URL
 * names this content for ever and may be cached for a year. */
int web_immutable(const struct web_file *f, const char *version);
#endif
