/* Zip member reader over minizip. See zipread.h. */
#include "zipread.h"

#include <stdio.h>
#include <string.h>
#include <unzip.h>

#include "util.h"
#include "banned.h"

struct zipread {
    unzFile uf;
    char *path;
    char **names;
    unsigned long long *sizes;
    size_t count;
    int open;   /* a member is open */
    int done;   /* its end was reached and checked */
    size_t cur; /* which */
    unsigned long long got;
};

/* Caps the member list: the real zips hold 1 or 3 members. */
#define ZIPREAD_MAX_MEMBERS 4096

/* The uncompressed size the central directory declares for the current
 * member. The minizip 1.1 that Debian 12 ships (libminizip1 1.1-8) compares
 * the 32-bit sizes with (unsigned long)-1, 64 bits wide on LP64, so it never
 * takes a size from the zip64 extra field: a member declared over 4 GiB
 * reads as 0xFFFFFFFF bytes. So when the 32-bit field says 0xFFFFFFFF, the
 * zip64 extended information field (APPNOTE 4.5.3, id 0x0001; the
 * uncompressed size comes first) is read here. */
static unsigned long long declared_size(unzFile uf, const unz_file_info64 *fi)
{
    unsigned long long size = fi->uncompressed_size;
    size_t n = fi->size_file_extra;
    if (size != 0xFFFFFFFFu || n == 0)
        return size;
    unsigned char *ex = xmalloc(n);
    unz_file_info64 again;
    if (unzGetCurrentFileInfo64(uf, &again, NULL, 0, ex, n, NULL, 0) ==
        UNZ_OK) {
        size_t p = 0;
        while (p + 4 <= n) {
            unsigned id = ex[p] | (unsigned)ex[p + 1] << 8;
            size_t len = ex[p + 2] | (size_t)ex[p + 3] << 8;
            p += 4;
            if (len > n - p)
                break;
            if (id == 0x0001 && len >= 8) {
                size = 0;
                for (int k = 7; k >= 0; k--)
                    size = size << 8 | ex[p + (size_t)k];
                break;
            }
            p += len;
        }
    }
    free(ex);
    return size;
}

struct zipread *zipread_open(const char *path)
{
    unzFile uf = unzOpen64(path);
    unz_global_info64 gi;
    struct zipread *z;
    int rc;

    if (!uf) {
        log_error("%s: not a readable zip file", path);
        return NULL;
    }
    if (unzGetGlobalInfo64(uf, &gi) != UNZ_OK ||
        gi.number_entry > ZIPREAD_MAX_MEMBERS) {
        log_error("%s: unreadable zip directory", path);
        unzClose(uf);
        return NULL;
    }
    z = xcalloc(1, sizeof(*z));
    z->uf = uf;
    z->path = xstrdup(path);
    z->names = xcalloc(gi.number_entry + 1, sizeof(char *));
    z->sizes = xcalloc(gi.number_entry + 1, sizeof(*z->sizes));
    for (rc = unzGoToFirstFile(uf); rc == UNZ_OK; rc = unzGoToNextFile(uf)) {
        char name[1024];
        unz_file_info64 fi;
        if (z->count >= gi.number_entry)
            break;
        if (unzGetCurrentFileInfo64(uf, &fi, name, sizeof(name), NULL, 0, NULL,
                                    0) != UNZ_OK) {
            log_error("%s: unreadable zip directory entry", path);
            zipread_close(z);
            return NULL;
        }
        z->names[z->count] = xstrdup(name);
        z->sizes[z->count] = declared_size(uf, &fi);
        z->count++;
    }
    if (rc != UNZ_END_OF_LIST_OF_FILE && rc != UNZ_OK) {
        log_error("%s: corrupt zip directory", path);
        zipread_close(z);
        return NULL;
    }
    return z;
}

void zipread_close(struct zipread *z)
{
    if (!z)
        return;
    if (z->open)
        unzCloseCurrentFile(z->uf);
    unzClose(z->uf);
    for (size_t i = 0; i < z->count; i++)
        free(z->names[i]);
    free(z->names);
    free(z->sizes);
    free(z->path);
    free(z);
}

size_t zipread_count(const struct zipread *z)
{
    return z->count;
}

const char *zipread_name(const struct zipread *z, size_t i)
{
    return i < z->count ? z->names[i] : NULL;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int zipread_find(const struct zipread *z, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < z->count; i++)
        if (strncmp(base_name(z->names[i]), prefix, pl) == 0)
            return (int)i;
    return -1;
}

int zipread_open_member(struct zipread *z, size_t i)
{
    if (z->open) {
        unzCloseCurrentFile(z->uf);
        z->open = 0;
    }
    /* The size the central directory declares (zip64 for sizes over 4 GiB):
     * past the cap, refused before a byte is inflated, rather than inflated
     * for minutes, onto the disk under the temporary database, up to the
     * cap that zipread_read() enforces anyway. */
    if (i < z->count && z->sizes[i] > ZIPREAD_MAX_MEMBER) {
        log_error("%s: %s: declared size of %llu bytes is over the %llu GiB"
                  " a member may hold (zip bomb or corrupt file)",
                  z->path, z->names[i], z->sizes[i], ZIPREAD_MAX_MEMBER >> 30);
        return -1;
    }
    if (i >= z->count || unzLocateFile(z->uf, z->names[i], 1) != UNZ_OK ||
        unzOpenCurrentFile(z->uf) != UNZ_OK) {
        log_error("%s: cannot open member %s", z->path,
                  i < z->count ? z->names[i] : "?");
        return -1;
    }
    z->open = 1;
    z->done = 0;
    z->cur = i;
    z->got = 0;
    return 0;
}

unsigned long long zipread_member_size(const struct zipread *z)
{
    return z->open ? z->sizes[z->cur] : 0;
}

ssize_t zipread_read(void *ctx, char *buf, size_t n)
{
    struct zipread *z = ctx;
    int got;
    if (z->done)
        return 0;
    if (!z->open)
        return -1;
    if (n > (1u << 30))
        n = 1u << 30;
    got = unzReadCurrentFile(z->uf, buf, (unsigned)n);
    if (got < 0) {
        log_error("%s: %s: corrupt compressed data (zlib error %d)", z->path,
                  z->names[z->cur], got);
        return -1;
    }
    if (got == 0) {
        /* The end: minizip checks the CRC on close. */
        int rc = unzCloseCurrentFile(z->uf);
        z->open = 0;
        if (rc == UNZ_CRCERROR) {
            log_error("%s: %s: CRC mismatch (corrupt data)", z->path,
                      z->names[z->cur]);
            return -1;
        }
        if (rc != UNZ_OK) {
            log_error("%s: %s: error %d at end of member", z->path,
                      z->names[z->cur], rc);
            return -1;
        }
        if (z->got != z->sizes[z->cur]) {
            log_error("%s: %s: truncated: %llu bytes of %llu declared", z->path,
                      z->names[z->cur], z->got, z->sizes[z->cur]);
            return -1;
        }
        z->done = 1;
        return 0;
    }
    z->got += (unsigned long long)got;
    if (z->got > z->sizes[z->cur] || z->got > ZIPREAD_MAX_MEMBER) {
        log_error("%s: %s: inflates past its declared size of %llu bytes "
                  "(zip bomb or corrupt file)",
                  z->path, z->names[z->cur], z->sizes[z->cur]);
        return -1;
    }
    return got;
}

int zipread_is_zip(const char *path)
{
    unsigned char sig[4];
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return 0;
    n = fread(sig, 1, 4, f);
    fclose(f);
    return n == 4 && sig[0] == 'P' && sig[1] == 'K' &&
           (sig[2] == 3 || sig[2] == 5) && (sig[3] == 4 || sig[3] == 6);
}
