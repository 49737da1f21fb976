/* rpps-gen's output files: see sink.h. */
#include "sink.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"
#include "banned.h"

/* One buffer of 1 MiB a file: few enough calls into zlib and stdio for
 * them not to count (a line is a few hundred bytes). */
#define SINK_BUF (1u << 20)

int sink_set_stamp(struct sink_opts *o, const char *stamp)
{
    int y, mo, d, h, mi;
    size_t k = 0;
    while (stamp[k] >= '0' && stamp[k] <= '9')
        k++;
    if (k != 12 || stamp[k] ||
        sscanf(stamp, "%4d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi) != 5)
        return -1;
    o->stamp = stamp;
    memset(&o->zi, 0, sizeof o->zi);
    o->zi.tmz_date.tm_year = (unsigned)y;
    o->zi.tmz_date.tm_mon = (unsigned)(mo > 0 ? mo - 1 : 0);
    o->zi.tmz_date.tm_mday = (unsigned)d;
    o->zi.tmz_date.tm_hour = (unsigned)h;
    o->zi.tmz_date.tm_min = (unsigned)mi;
    return 0;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    text_printf(p, n, "%s/%s", dir, name);
    return p;
}

void sink_zip_open(struct sink_zip *z, const struct sink_opts *o,
                   const char *prefix)
{
    z->zf = NULL;
    z->path = NULL;
    if (!o->zip)
        return;
    char name[128];
    text_printf(name, sizeof name, "%s_%s.zip", prefix, o->stamp);
    z->path = path_join(o->dir, name);
    z->zf = zipOpen64(z->path, APPEND_STATUS_CREATE);
    if (!z->zf) {
        log_error("%s: cannot create", z->path);
        exit(1);
    }
}

void sink_zip_close(struct sink_zip *z)
{
    if (z->zf && zipClose(z->zf, NULL) != ZIP_OK) {
        log_error("%s: closing the zip failed", z->path);
        exit(1);
    }
    z->zf = NULL;
    free(z->path);
    z->path = NULL;
}

void sink_open(struct sink *s, const struct sink_opts *o, struct sink_zip *z,
               const char *prefix)
{
    memset(s, 0, sizeof *s);
    text_printf(s->name, sizeof s->name, "%s_%s.txt", prefix, o->stamp);
    s->path = path_join(o->dir, s->name);
    s->buf = xmalloc(SINK_BUF);
    if (z->zf) {
        s->zf = z->zf;
        if (zipOpenNewFileInZip64(s->zf, s->name, &o->zi, NULL, 0, NULL, 0,
                                  NULL, Z_DEFLATED, Z_DEFAULT_COMPRESSION,
                                  o->zip64) != ZIP_OK) {
            log_error("%s: cannot add %s to the zip", o->dir, s->name);
            exit(1);
        }
    }
    if (o->txt) {
        s->fp = fopen(s->path, "wb");
        if (!s->fp) {
            log_error("%s: %s", s->path, strerror(errno));
            exit(1);
        }
    }
}

static void sink_flush(struct sink *s)
{
    if (!s->n)
        return;
    if (s->zf && zipWriteInFileInZip(s->zf, s->buf, (unsigned)s->n) != ZIP_OK) {
        log_error("%s: writing the zip member failed", s->path);
        exit(1);
    }
    if (s->fp && fwrite(s->buf, 1, s->n, s->fp) != s->n) {
        log_error("%s: %s", s->path, strerror(errno));
        exit(1);
    }
    s->n = 0;
}

void sink_write(struct sink *s, const char *p, size_t n)
{
    assert(n < SINK_BUF); /* lines are built in 4 KiB (extract.c) */
    if (s->n + n + 1 > SINK_BUF)
        sink_flush(s);
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    s->buf[s->n++] = '\n';
    s->bytes += n + 1;
    s->lines++;
}

uint64_t sink_close(struct sink *s)
{
    sink_flush(s);
    if (s->zf && zipCloseFileInZip(s->zf) != ZIP_OK) {
        log_error("%s: closing zip member %s failed", s->path, s->name);
        exit(1);
    }
    if (s->fp && fclose(s->fp) != 0) {
        log_error("%s: %s", s->path, strerror(errno));
        exit(1);
    }
    s->fp = NULL;
    s->zf = NULL;
    free(s->buf);
    s->buf = NULL;
    free(s->path);
    s->path = NULL;
    return s->bytes;
}
