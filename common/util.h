/* Small helpers both programs use: allocation that aborts on out-of-memory
 * (no untestable branches), logging to stderr with a program name, and a
 * growable byte buffer that takes a mandatory maximum (curl's dynbuf idea), so
 * no size chosen by an input file or a client can grow without bound. */
#ifndef UTIL_H
#define UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Logging: "prog: message\n" on stderr. log_set_prog() once at start-up;
 * log_quiet(1) silences log_info (warnings and errors still print). */
void log_set_prog(const char *prog);
void log_quiet(int quiet);
/* log_verbose(1) turns log_debug on. */
void log_verbose(int verbose);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable buffer, always NUL-terminated: b->s is a string from
 * buf_init() on, "" until something is added (a shared empty string, as
 * git's strbuf does, so an empty buffer costs no allocation and no caller
 * needs a NULL guard). buf_init(b, max) sets the maximum length; an append
 * that would pass it fails with -1 and leaves the buffer as it was.
 * buf_release() frees b->s; buf_detach() hands it over instead. Never
 * free(b->s) directly: it may be the shared empty string. */
struct buf {
    char *s;
    size_t len;
    size_t cap;
    size_t max;
};
void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Cuts the text back to its first len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* The buffer's text as a malloc'd string the caller frees (never NULL,
 * never the shared empty one), its length in *len if len is not NULL; the
 * buffer is left empty, as after buf_init(). */
char *buf_detach(struct buf *b, size_t *len);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 64-bit FNV-1a, used to find exact duplicate lines. */
uint64_t hash64(const void *p, size_t n);

/* Monotonic clock in seconds. */
double now_s(void);
/* The process's CPU time (user and system, every thread) in seconds: on
 * a shared machine, steadier than the wall time. */
double cpu_s(void);
#endif
