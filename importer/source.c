/* Sources and the check of what arrived. See source.h. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columns.h"
#include "fold.h"
#include "load.h"
#include "psv.h"
#include "util.h"
#include "zipread.h"
#include "banned.h"

const char *const source_ans_urls[SOURCE_ANS_N] = {
    "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/"
    "services/extraction/PS_LibreAcces",
    "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/"
    "services/extraction/Extraction_Correspondance_MSSante",
};

/* data.gouv.fr's stable resource addresses (docs/format.md §1): each
 * redirects to the day's file on static.data.gouv.fr. */
const char *const source_mirror_urls[SOURCE_MIRROR_N] = {
    "https://www.data.gouv.fr/api/1/datasets/r/"
    "fffda7e9-0ea2-4c35-bba0-4496f3af935d",
    "https://www.data.gouv.fr/api/1/datasets/r/"
    "fb55f15f-bd61-4402-b551-51ef387f2fab",
    "https://www.data.gouv.fr/api/1/datasets/r/"
    "41ae70ac-90c8-4c4e-8644-4ef1b100f045",
    "https://www.data.gouv.fr/api/1/datasets/r/"
    "afe01105-d9a1-41fe-921f-e40ea48b2ba6",
};

const char *source_origin_name(int origin)
{
    switch (origin) {
    case SOURCE_ANS:
        return "ans";
    case SOURCE_MIRROR:
        return "mirror";
    default:
        return "given";
    }
}

/* Each extract's header columns, from the one list (common/columns.h),
 * in enum load_kind's order. */
struct col {
    const char *name;
    int required;
};
#define COL(id, header, need) {header, COLUMNS_##need},
static const struct col act_cols[] = {COLUMNS_ACTIVITE(COL)};
static const struct col skill_cols[] = {COLUMNS_SAVOIRFAIRE(COL)};
static const struct col dipl_cols[] = {COLUMNS_DIPLOME(COL)};
static const struct col mss_cols[] = {COLUMNS_MSSANTE(COL)};
#undef COL
static const struct col *const kind_cols[KIND_COUNT] = {act_cols, skill_cols,
                                                        dipl_cols, mss_cols};
static const size_t kind_ncols[KIND_COUNT] = {
    COLUMNS_ACTIVITE_N, COLUMNS_SAVOIRFAIRE_N, COLUMNS_DIPLOME_N,
    COLUMNS_MSSANTE_N};

int source_kind_of_header(const struct psv_field *h, size_t ncols,
                          const char **missing)
{
    int best = -1;
    size_t best_found = 0;
    *missing = NULL;
    for (int k = 0; k < KIND_COUNT; k++) {
        const char *names[COLUMNS_ACTIVITE_N];
        int idx[COLUMNS_ACTIVITE_N];
        size_t n = kind_ncols[k], found;
        _Static_assert((int)COLUMNS_SAVOIRFAIRE_N <= (int)COLUMNS_ACTIVITE_N &&
                           (int)COLUMNS_DIPLOME_N <= (int)COLUMNS_ACTIVITE_N &&
                           (int)COLUMNS_MSSANTE_N <= (int)COLUMNS_ACTIVITE_N,
                       "the activity extract has the most columns");
        for (size_t i = 0; i < n; i++)
            names[i] = kind_cols[k][i].name;
        found = psv_map(h, ncols, names, n, idx);
        if (found > best_found ||
            (found == best_found && found && n < kind_ncols[best])) {
            best = k;
            best_found = found;
        }
    }
    if (best < 0)
        return -1;
    for (size_t i = 0; i < kind_ncols[best]; i++) {
        const char *name = kind_cols[best][i].name;
        int idx;
        if (kind_cols[best][i].required &&
            psv_map(h, ncols, &name, 1, &idx) == 0) {
            *missing = name;
            break;
        }
    }
    return best;
}

/* ---- Reading the first line and the end ---- */

struct fd_src {
    int fd;
};

static ssize_t fd_read(void *ctx, char *buf, size_t n)
{
    struct fd_src *s = ctx;
    ssize_t r;
    while ((r = read(s->fd, buf, n)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        log_error("read: %s", strerror(errno));
    return r;
}

/* Whether the first bytes p (n of them) look like an HTML page: what a
 * maintenance page served with status 200 is, where an extract was
 * expected. */
static int looks_html(const char *p, size_t n)
{
    static const char *const starts[] = {"<!doctype", "<html", "<head",
                                         "<body",     "<?xml", "<!--"};
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    for (size_t s = 0; s < sizeof(starts) / sizeof(*starts); s++) {
        size_t l = strlen(starts[s]);
        if (n - i >= l && strncasecmp(p + i, starts[s], l) == 0)
            return 1;
    }
    return 0;
}

/* The header line from src: its kind (or -1, logged), its column count
 * and whether it ends with '|'. what names the file in messages. */
static int read_header(struct psv_src src, const char *what, size_t *ncols,
                       int *trailing)
{
    struct psv_reader rd;
    struct psv_field *h = xmalloc((PSV_MAX_FIELDS + 1) * sizeof(*h));
    const char *line, *missing;
    size_t len, nf;
    int kind = -1;
    psv_init(&rd, src, PSV_MAX_LINE);
    enum psv_status s = psv_next(&rd, &line, &len);
    if (s == PSV_ERROR)
        goto out;
    if (s == PSV_EOF || (s == PSV_LINE && len == 0)) {
        log_error("%s: empty file (no header line)", what);
        goto out;
    }
    if (s == PSV_TOO_LONG || !utf8_valid(line, len) ||
        (nf = psv_split(line, len, h, PSV_MAX_FIELDS + 1)) > PSV_MAX_FIELDS) {
        log_error("%s: not an extract: its first line is not a header line",
                  what);
        goto out;
    }
    *ncols = psv_columns(h, nf);
    *trailing = *ncols < nf;
    kind = source_kind_of_header(h, *ncols, &missing);
    if (kind < 0) {
        log_error("%s: not an extract: its first line is none of the "
                  "extracts' headers (docs/format.md §3)",
                  what);
    } else if (missing) {
        log_error("%s: required column \"%s\" is missing from the header "
                  "(of the %s extract, by its other columns)",
                  what, missing, load_kind_name(kind));
        kind = -1;
    }
out:
    psv_release(&rd);
    free(h);
    return kind;
}

/* A text that does not end with a newline must end with a whole line: one
 * with the header's fields (as parse.c counts them), else the file was cut
 * off mid-line, a download that stopped early. A text that ends with a
 * newline passes: a cut there cannot be told from the end. 0, or -1
 * (logged). */
static int check_end(int fd, const char *what, size_t ncols, int trailing)
{
    struct stat sb;
    /* The last line fits in this (a longer one is rejected by the reader
     * anyway, PSV_MAX_LINE), with its newline and the one before it. */
    char *buf = xmalloc(PSV_MAX_LINE + 2);
    size_t win, nf = 1;
    const char *line;
    int ret = 0;
    if (fstat(fd, &sb) < 0 || sb.st_size <= 0)
        goto out;
    win = (size_t)sb.st_size < PSV_MAX_LINE + 2 ? (size_t)sb.st_size
                                                : PSV_MAX_LINE + 2;
    if (pread(fd, buf, win, sb.st_size - (off_t)win) != (ssize_t)win) {
        log_error("%s: %s", what, strerror(errno));
        ret = -1;
        goto out;
    }
    if (buf[win - 1] == '\n')
        goto out;
    line = memrchr(buf, '\n', win);
    if (!line) /* the header alone, or a line too long to matter here */
        goto out;
    line++;
    size_t len = win - (size_t)(line - buf);
    if (len && line[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len; i++)
        nf += line[i] == '|';
    int ends_pipe = len && line[len - 1] == '|';
    int fits = trailing ? nf == ncols + 1 && ends_pipe
                        : nf == ncols || (nf == ncols + 1 && ends_pipe);
    if (!fits) {
        log_error("%s: cut short: its last line has no newline and %zu "
                  "fields where the header has %zu (a download that "
                  "stopped early?)",
                  what, ends_pipe ? nf - 1 : nf, ncols);
        ret = -1;
    }
out:
    free(buf);
    return ret;
}

/* Member m of z inflated to its end and dropped: zipread_read() checks
 * the deflate data and, at the end, the CRC. 0, or -1 (logged). */
static int read_through(struct zipread *z, size_t m)
{
    /* 1 MiB: the size of a read that costs nothing beside inflating it. */
    enum { CHUNK = 1 << 20 };
    char *buf = xmalloc(CHUNK);
    ssize_t r = -1;
    if (zipread_open_member(z, m) == 0)
        while ((r = zipread_read(z, buf, CHUNK)) > 0)
            ;
    free(buf);
    return r == 0 ? 0 : -1;
}

/* Each extract member of zip z (at least one) has the header its name
 * says, and, if whole, inflates to its end with the right CRC. 0, or -1
 * (logged). */
static int check_zip(struct zipread *z, const char *shown, int whole)
{
    int found = 0;
    for (int k = 0; k < KIND_COUNT; k++) {
        char prefix[64], what[1024];
        size_t ncols;
        int trailing, m, hk;
        /* The member prefixes are load.c's: what a kind's file is named. */
        snprintf(prefix, sizeof(prefix), "%s", load_kind_prefix(k));
        m = zipread_find(z, prefix);
        if (m < 0)
            continue;
        found++;
        snprintf(what, sizeof(what), "%s:%s", shown,
                 zipread_name(z, (size_t)m));
        if (zipread_open_member(z, (size_t)m) < 0)
            return -1;
        hk = read_header((struct psv_src){zipread_read, z}, what, &ncols,
                         &trailing);
        if (hk < 0)
            return -1;
        if (hk != k) {
            log_error("%s: its header is the %s extract's, its name says %s",
                      what, load_kind_name(hk), load_kind_name(k));
            return -1;
        }
        if (whole && read_through(z, (size_t)m) < 0) {
            log_error("%s: not a whole extract: its data does not inflate "
                      "to a right CRC (a download damaged on the way?)",
                      what);
            return -1;
        }
    }
    if (!found) {
        log_error("%s: the zip holds no extract file (members named "
                  "PS_LibreAcces_* or Extraction_Correspondance_MSSante_*)",
                  shown);
        return -1;
    }
    return 0;
}

int source_check(const char *path, const char *name, const char *shown,
                 int whole, struct source_file *out)
{
    char head[512];
    ssize_t got;
    size_t ncols = 0;
    int trailing = 0, ret = -1;
    struct fd_src fs = {open(path, O_RDONLY | O_CLOEXEC)};
    out->zip = 0;
    out->kind = -1;
    if (fs.fd < 0) {
        log_error("%s: %s", shown, strerror(errno));
        return -1;
    }
    while ((got = read(fs.fd, head, sizeof(head))) < 0 && errno == EINTR)
        ;
    if (got < 0) {
        log_error("%s: %s", shown, strerror(errno));
        goto out;
    }
    if (looks_html(head, (size_t)got)) {
        log_error("%s: not an extract: an HTML page (a maintenance or error "
                  "page served as the file?)",
                  shown);
        goto out;
    }
    if (got >= 4 && memcmp(head, "PK\x03\x04", 4) == 0) {
        struct zipread *z = zipread_open(path);
        if (!z)
            goto out;
        out->zip = 1;
        ret = check_zip(z, shown, whole);
        zipread_close(z);
        goto out;
    }
    if (lseek(fs.fd, 0, SEEK_SET) < 0) {
        log_error("%s: %s", shown, strerror(errno));
        goto out;
    }
    out->kind =
        read_header((struct psv_src){fd_read, &fs}, shown, &ncols, &trailing);
    if (out->kind < 0)
        goto out;
    int named = load_kind_of(name);
    if (named >= 0 && named != out->kind) {
        log_error("%s: its header is the %s extract's, its name says %s", shown,
                  load_kind_name(out->kind), load_kind_name(named));
        out->kind = -1;
        goto out;
    }
    ret = check_end(fs.fd, shown, ncols, trailing);
out:
    close(fs.fd);
    return ret;
}
