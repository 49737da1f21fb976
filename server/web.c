/* The page's files: lookup, versions and gzip. See web.h.
 *
 * The page links its files as "/static/NAME"; at start-up each such link
 * becomes "/static/NAME?v=VERSION", VERSION being a hash of NAME's bytes,
 * so the files can be sent with a year's max-age and a new build of the
 * server is still seen at once (its page links new URLs). The page itself
 * is sent with no-cache and an ETag: a reload costs a 304. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "web.h"
#include "util.h"
#include "banned.h"

/* Eight files today; the cap only sizes a static table (checked below). */
#define WEB_MAX_FILES 16

static struct web_file files[WEB_MAX_FILES];
static size_t nfiles;
static const struct web_file *page;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *ctype_of(const char *name)
{
    static const struct {
        const char *ext, *ctype;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].ctype;
    return "application/octet-stream";
}

/* gzip at the best level: done once per file, so its cost does not
 * matter, and the page must stay small (issue 15: 60 KB in all). */
static void compress_file(struct web_file *f)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return;
    size_t cap = deflateBound(&z, f->len);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)f->data;
    z.avail_in = (uInt)f->len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || n >= f->len) {
        free(out);
        return;
    }
    f->gz = out;
    f->gzlen = n;
}

static void set_version(struct web_file *f)
{
    snprintf(f->version, sizeof(f->version), "%016llx",
             (unsigned long long)hash64(f->data, f->len));
    f->etag[0] = '"';
    memcpy(f->etag + 1, f->version, 16);
    f->etag[17] = '"';
    f->etag[18] = '\0';
}

/* The page with each "/static/NAME" link of a known file versioned. */
static char *link_versions(const char *s, size_t n, size_t *outn)
{
    struct buf b;
    buf_init(&b, 4 * n + 4096);
    static const char pre[] = "\"/static/";
    const char *run = s, *end = s + n, *p;
    while ((p = memmem(run, (size_t)(end - run), pre, sizeof(pre) - 1))) {
        const char *name = p + sizeof(pre) - 1;
        const char *q = memchr(name, '"', (size_t)(end - name));
        if (!q)
            break;
        const struct web_file *f = NULL;
        for (size_t i = 0; i < nfiles; i++)
            if (strlen(files[i].name) == (size_t)(q - name) &&
                memcmp(files[i].name, name, (size_t)(q - name)) == 0)
                f = &files[i];
        buf_add(&b, run, (size_t)(q - run));
        if (f)
            buf_addf(&b, "?v=%s", f->version);
        run = q;
    }
    buf_add(&b, run, (size_t)(end - run));
    return buf_detach(&b, outn);
}

static void web_init(void)
{
    if (web_nsrcs > WEB_MAX_FILES) {
        log_error("web: %zu files, at most %d", web_nsrcs, WEB_MAX_FILES);
        abort();
    }
    struct web_file *index = NULL;
    for (size_t i = 0; i < web_nsrcs; i++) {
        struct web_file *f = &files[nfiles++];
        f->name = web_srcs[i].name;
        f->ctype = ctype_of(f->name);
        f->data = web_srcs[i].data;
        f->len = web_srcs[i].len;
        if (strcmp(f->name, "index.html") == 0)
            index = f;
        else
            set_version(f);
    }
    /* The page last: its links carry the other files' versions. */
    if (index)
        index->data = link_versions(index->data, index->len, &index->len);
    for (size_t i = 0; i < nfiles; i++) {
        if (&files[i] == index)
            set_version(&files[i]);
        compress_file(&files[i]);
    }
    page = index;
}

const struct web_file *web_find(const char *path)
{
    pthread_once(&once, web_init);
    if (strcmp(path, "/") == 0 || strncmp(path, "/p/", 3) == 0)
        return page;
    if (strncmp(path, "/static/", 8) != 0)
        return NULL;
    const char *name = path + 8;
    for (size_t i = 0; i < nfiles; i++)
        if (&files[i] != page && strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

int web_immutable(const struct web_file *f, const char *version)
{
    return f != page && version && strcmp(version, f->version) == 0;
}
