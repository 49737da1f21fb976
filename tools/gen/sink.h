/* rpps-gen's output files. A sink streams the lines of one text file,
 * through one buffer, into the next member of a zip file (deflate) and/or
 * into a plain <prefix>_<stamp>.txt; zip entries take their date from the
 * stamp, not the clock, so the bytes depend on the options alone. It
 * knows nothing of what the lines say (extract.c). A write error is fatal
 * (a message, then exit 1): a generator has nothing to recover. */
#ifndef GEN_SINK_H
#define GEN_SINK_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zip.h>

/* Where and how the files are written. */
struct sink_opts {
    const char *dir;   /* output directory, already there */
    const char *stamp; /* YYYYMMDDhhmm: in the names and the zip dates */
    int zip, txt;      /* write zip files; write plain .txt files */
    int zip64;         /* zip members in the zip64 format */
    zip_fileinfo zi;   /* the members' date: sink_set_stamp() */
};

/* Sets o->stamp and the date of the zip entries from it. Returns 0, or -1
 * if stamp is not YYYYMMDDhhmm. */
int sink_set_stamp(struct sink_opts *o, const char *stamp);

/* A zip file being written: <dir>/<prefix>_<stamp>.zip. */
struct sink_zip {
    zipFile zf; /* NULL when o->zip is 0 */
    char *path;
};

void sink_zip_open(struct sink_zip *z, const struct sink_opts *o,
                   const char *prefix);
void sink_zip_close(struct sink_zip *z);

struct sink {
    zipFile zf;
    FILE *fp;
    char *path; /* the .txt file's, also for messages */
    char name[128];
    char *buf;
    size_t n;
    uint64_t bytes, lines; /* written so far */
};

/* Opens the text file <prefix>_<stamp>.txt: as the next member of z (if
 * open) and as a plain file (if o->txt). */
void sink_open(struct sink *s, const struct sink_opts *o, struct sink_zip *z,
               const char *prefix);
/* Writes the line p[0..n) and a '\n'. */
void sink_write(struct sink *s, const char *p, size_t n);
/* Flushes and closes the file; returns the bytes it holds. */
uint64_t sink_close(struct sink *s);
#endif
