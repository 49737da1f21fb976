/* Reading members of the extract zips with minizip, streamed: a member is
 * inflated chunk by chunk into the pipe-separated reader, never held in
 * memory. Members are found by name prefix, since the inner timestamps can
 * differ from the zip's. Corrupt deflate data, a bad CRC and a member that
 * inflates past its declared size (or past ZIPREAD_MAX_MEMBER) are errors. */
#ifndef ZIPREAD_H
#define ZIPREAD_H
#include <stddef.h>
#include <sys/types.h>

/* 2 GiB: the real members are 820 MB (activity), 260 MB (diplomas), 89 MB
 * (MSSanté) and 50 MB (skills) of text, growing a few percent a year; 2.6
 * times the largest is room for decades, and the same bound as a download
 * (fetch.h). A zip bomb stops here even if its header lies about the size,
 * before the build behind it has spent minutes of CPU and gigabytes of the
 * disk the database lives on. (It is also under the 4 GiB past which
 * Debian's minizip 1.1 misreads zip64 sizes: see declared_size().) */
#define ZIPREAD_MAX_MEMBER (2ULL << 30)

struct zipread;

/* Opens a zip file; NULL (logged) if it is not a readable zip. */
struct zipread *zipread_open(const char *path);
void zipread_close(struct zipread *z);

/* The number of members and the name of member i (valid until close). */
size_t zipread_count(const struct zipread *z);
const char *zipread_name(const struct zipread *z, size_t i);
/* Index of the first member whose name (without directories) starts with
 * prefix, or -1. */
int zipread_find(const struct zipread *z, const char *prefix);

/* Opens member i for reading; 0 or -1. One member at a time. */
int zipread_open_member(struct zipread *z, size_t i);
/* Reads up to n inflated bytes: >0, 0 at the end (after the CRC check), -1
 * on corrupt data (logged). Matches struct psv_src's read(). */
ssize_t zipread_read(void *z, char *buf, size_t n);
/* Declared uncompressed size of the open member, for progress. */
unsigned long long zipread_member_size(const struct zipread *z);

/* 1 if the file starts with a zip signature. */
int zipread_is_zip(const char *path);
#endif
