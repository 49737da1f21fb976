/* The pipe-separated reader for the RPPS and MSSanté extracts: lines from a
 * byte source, fields split on '|' with no quoting at all (a '"' is data),
 * empty fields kept ("a||c" is three fields). It knows nothing of SQL or of
 * which file it reads. Handles a UTF-8 BOM on the first line, CRLF, and a
 * last line without a newline; a line longer than the cap is skipped whole
 * and reported, never buffered without bound. */
#ifndef PSV_H
#define PSV_H
#include <stddef.h>
#include <sys/types.h>

/* A byte source: read() returns the number of bytes (0 at the end, -1 on
 * error, having logged why). */
struct psv_src {
    ssize_t (*read)(void *ctx, char *buf, size_t n);
    void *ctx;
};

/* Lines above this are rejected: real lines are 150–400 bytes, so 64 KiB is
 * far above any real one and still bounds memory for a corrupt file. */
#define PSV_MAX_LINE (64 * 1024)
/* More fields than this and the line is rejected (real files: 57). */
#define PSV_MAX_FIELDS 256

enum psv_status {
    PSV_ERROR = -1, /* the source failed */
    PSV_EOF = 0,
    PSV_LINE = 1,     /* *line / *len hold a line, without CR/LF */
    PSV_TOO_LONG = 2, /* a line over max_line was skipped */
};

struct psv_reader {
    struct psv_src src;
    char *buf;
    size_t cap, start, end, scan;
    size_t max_line;
    unsigned long long lineno; /* of the line last returned, from 1 */
    unsigned long long bytes;  /* bytes read from the source so far */
    int eof, skipping, first;
};

void psv_init(struct psv_reader *r, struct psv_src src, size_t max_line);
void psv_release(struct psv_reader *r);
/* Next line. The pointer is valid until the next psv_next(). */
enum psv_status psv_next(struct psv_reader *r, const char **line, size_t *len);

/* A field: pointer into the line, and length. */
struct psv_field {
    const char *p;
    size_t n;
};

/* Splits line on '|' into at most max fields; returns the number of fields
 * in the line (which may be more than max: then only max were stored). */
size_t psv_split(const char *line, size_t len, struct psv_field *f, size_t max);

/* The number of columns a header or data line has once a trailing '|' (an
 * empty last field) is discounted. */
size_t psv_columns(const struct psv_field *f, size_t nf);

/* Finds each of names[0..nnames) in the header fields (exact match); stores
 * the column index or -1 in idx[]. Returns how many were found. */
size_t psv_map(const struct psv_field *hdr, size_t ncols,
               const char *const *names, size_t nnames, int *idx);
#endif
