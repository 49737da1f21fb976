/* libcurl download and HEAD probe. See fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

void fetch_opts_init(struct fetch_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->retries = 3;
    o->backoff_s = 2.0;
    /* 30 s to connect, and 120 s under 1 KiB/s: ANS answers within
     * seconds when it is up; a stalled transfer should be retried. */
    o->connect_timeout = 30;
    o->stall_timeout = 120;
    o->max_size = FETCH_MAX_SIZE_DEFAULT;
    o->total_timeout = FETCH_TIMEOUT_DEFAULT;
}

int fetch_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("curl_global_init failed");
        return -1;
    }
    return 0;
}

void fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

void fetch_url_basename(const char *url, char *out, size_t n)
{
    const char *end = url + strcspn(url, "?#");
    const char *s = end;
    while (s > url && s[-1] != '/')
        s--;
    size_t len = (size_t)(end - s);
    if (len >= n)
        len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

/* A header's value (after the colon, blanks skipped) into out (size n),
 * cut to fit: a value that long is no date or tag we can use, and a cut
 * one only makes --if-changed import again. */
static void copy_value(const char *v, char *out, size_t n)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    if (vl >= n)
        vl = n - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

/* Header callback: picks the file name out of Content-Disposition, the
 * Last-Modified date and the ETag. */
static size_t on_header(char *b, size_t size, size_t nitems, void *ctx)
{
    struct fetch_info *info = ctx;
    size_t n = size * nitems;
    char line[1024];
    size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
    memcpy(line, b, len);
    line[len] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect): forget the last one's. */
        info->filename[0] = '\0';
        info->last_modified[0] = '\0';
        info->etag[0] = '\0';
    } else if (strncasecmp(line, "content-disposition:", 20) == 0) {
        char *f = strstr(line, "filename=");
        if (f) {
            f += 9;
            if (*f == '"')
                f++;
            size_t fl = strcspn(f, "\";");
            /* Only a plain name: no directories from the server. */
            char *slash = memchr(f, '/', fl);
            if (!slash && fl > 0 && fl < sizeof(info->filename)) {
                memcpy(info->filename, f, fl);
                info->filename[fl] = '\0';
            }
        }
    } else if (strncasecmp(line, "last-modified:", 14) == 0) {
        copy_value(line + 14, info->last_modified, sizeof(info->last_modified));
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        copy_value(line + 5, info->etag, sizeof(info->etag));
    }
    return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    const struct fetch_opts *o = ctx;
    (void)ultotal;
    (void)ulnow;
    if (o->progress)
        o->progress(o->progress_ctx, (unsigned long long)dlnow,
                    (unsigned long long)dltotal);
    return 0;
}

static int is_https(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0;
}

static CURL *make_handle(const char *url, const struct fetch_opts *o,
                         struct fetch_info *info, char *errbuf)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    /* An https source was asked for so that nobody on the way can change
     * the extract: a redirect to http would hand it to anyone on the path
     * (the data.gouv.fr mirror redirects, to https). */
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
                     is_https(url) ? "https" : "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "rpps-import/" RPPS_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (o->ca_file) {
        /* The IGC-Santé chain, plus the system store through CAPATH so a
         * mirror with a public certificate verifies too. */
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, info);
    /* Refused at once when a Content-Length says more; the write callback
     * counts too, since libcurl before 8.4.0 (Debian 12 has 7.88) checks
     * only an announced length, and file:// not at all. */
    if (o->max_size)
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
    return c;
}

/* Milliseconds left before deadline (a now_s() time), at least 1; 0 when
 * it has passed. */
static long left_ms(double deadline)
{
    double left = deadline - now_s();
    if (left <= 0)
        return 0;
    return left * 1000 < 1 ? 1 : (long)(left * 1000);
}

/* Whether a failure is worth another attempt: network trouble and server
 * errors are; a 404, a TLS verification failure or a bad URL are not. */
static int retryable(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        return status >= 500 || status == 429 || status == 408;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_RESOLVE_HOST: /* DNS can be briefly down */
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static void report(const char *url, CURLcode rc, long status,
                   const char *errbuf, const char *redirect,
                   const struct fetch_opts *o)
{
    if (rc == CURLE_OK)
        log_error("%s: HTTP status %ld", url, status);
    else if (rc == CURLE_FILESIZE_EXCEEDED)
        log_error("%s: the server announces more than the %llu bytes a "
                  "download may hold (--max-download-size): refused",
                  url, o->max_size);
    else if (rc == CURLE_UNSUPPORTED_PROTOCOL && redirect && redirect[0])
        log_error("%s: redirected to %s: refused, an https source is only "
                  "followed to https",
                  url, redirect);
    else if (rc == CURLE_PEER_FAILED_VERIFICATION)
        log_error("%s: TLS certificate verification failed (%s); trusted: "
                  "%s and the system store",
                  url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                  o->ca_file ? o->ca_file : "the system store only");
    else if (rc == CURLE_COULDNT_RESOLVE_HOST)
        log_error("%s: cannot resolve host name (DNS): %s", url,
                  errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else
        log_error("%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int http_ok(const char *url, long status)
{
    /* file:// reports 0; http(s) must be 2xx. */
    if (strncasecmp(url, "file:", 5) == 0)
        return 1;
    return status >= 200 && status < 300;
}

/* After a redirect, the address it pointed to ("" if none), for the
 * message when it was refused: libcurl 7.88 then reports
 * CURLE_UNSUPPORTED_PROTOCOL with that address as the effective URL. */
static void redirect_of(CURL *c, char *out, size_t n)
{
    char *r = NULL;
    long count = 0;
    out[0] = '\0';
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &count) == CURLE_OK &&
        count > 0 &&
        curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &r) == CURLE_OK && r)
        snprintf(out, n, "%s", r);
}

/* After a failed attempt: 1 to try again after waiting `wait` seconds;
 * otherwise 0, the failure logged. No attempt starts that the deadline
 * (0: none) would not leave time for. */
static int try_again(const char *url, CURLcode rc, long status, int attempt,
                     double deadline, double wait, const char *errbuf,
                     const char *redirect, const struct fetch_opts *o)
{
    int worth = attempt < o->retries && retryable(rc, status);
    if (deadline && rc == CURLE_OPERATION_TIMEDOUT &&
        deadline - now_s() < 1.0) {
        log_error("%s: not complete after %ld s, the time a download may "
                  "take (--download-timeout): given up",
                  url, o->total_timeout);
        return 0;
    }
    if (worth && deadline && now_s() + wait >= deadline) {
        report(url, rc, status, errbuf, redirect, o);
        log_error("%s: no time left for another attempt within %ld s "
                  "(--download-timeout): given up",
                  url, o->total_timeout);
        return 0;
    }
    if (!worth) {
        report(url, rc, status, errbuf, redirect, o);
        return 0;
    }
    log_warn("%s: attempt %d failed (%s), retrying in %.0f s", url, attempt + 1,
             rc == CURLE_OK ? "server error" : curl_easy_strerror(rc), wait);
    return 1;
}

int fetch_head(const char *url, const struct fetch_opts *o,
               struct fetch_info *info)
{
    double wait = o->backoff_s;
    double deadline =
        o->total_timeout > 0 ? now_s() + (double)o->total_timeout : 0;
    struct curl_slist *inm = NULL;
    int ret = -1;
    memset(info, 0, sizeof(*info));
    if (o->if_none_match && o->if_none_match[0]) {
        struct buf h;
        buf_init(&h, sizeof(info->etag) + 32);
        buf_addf(&h, "If-None-Match: %s", o->if_none_match);
        inm = h.len ? curl_slist_append(NULL, h.s) : NULL;
        buf_release(&h);
    }
    for (int attempt = 0;; attempt++) {
        char errbuf[CURL_ERROR_SIZE] = "", redirect[1024];
        CURL *c = make_handle(url, o, info, errbuf);
        CURLcode rc;
        curl_off_t len = -1;
        /* 120 s: ANS answers a HEAD within seconds when it is up. */
        long ms = 120000;
        if (!c) {
            log_error("curl_easy_init failed");
            break;
        }
        if (deadline && left_ms(deadline) < ms)
            ms = left_ms(deadline) ? left_ms(deadline) : 1;
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
        if (inm)
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, inm);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &info->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        redirect_of(c, redirect, sizeof(redirect));
        curl_easy_cleanup(c);
        if (rc == CURLE_OK &&
            (http_ok(url, info->status) || (inm && info->status == 304))) {
            info->length = len > 0 ? (unsigned long long)len : 0;
            if (!info->filename[0])
                fetch_url_basename(url, info->filename, sizeof(info->filename));
            ret = 0;
            break;
        }
        if (!try_again(url, rc, info->status, attempt, deadline, wait, errbuf,
                       redirect, o))
            break;
        sleep_s(wait);
        wait *= 2;
    }
    curl_slist_free_all(inm);
    return ret;
}

int fetch_stamp_of_date(const char *http_date, char *out)
{
    time_t t = http_date[0] ? curl_getdate(http_date, NULL) : -1;
    struct tm tm;
    out[0] = '\0';
    if (t < 0 || !gmtime_r(&t, &tm) ||
        strftime(out, 13, "%Y%m%d%H%M", &tm) != 12) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* Where the body goes: a file of our own, counted against the maximum. */
struct sink {
    int fd;
    unsigned long long got, max; /* max 0: no limit */
    int too_big;
    int err; /* errno of a failed write, or 0 */
};

static size_t on_write(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct sink *k = ctx;
    size_t n = size * nmemb, done = 0;
    if (k->max && n > k->max - k->got) {
        k->too_big = 1;
        return 0; /* curl stops: CURLE_WRITE_ERROR */
    }
    while (done < n) {
        ssize_t w = write(k->fd, p + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            k->err = errno;
            return 0;
        }
        done += (size_t)w;
    }
    k->got += n;
    return n;
}

int fetch_download(const char *url, const char *dest,
                   const struct fetch_opts *o, struct fetch_info *info)
{
    struct buf part;
    struct sink k = {-1, 0, o->max_size, 0, 0};
    double wait = o->backoff_s;
    double deadline =
        o->total_timeout > 0 ? now_s() + (double)o->total_timeout : 0;
    int ret = -1, made = 0;

    memset(info, 0, sizeof(*info));
    buf_init(&part, 4096);
    if (buf_addf(&part, "%s.part-XXXXXX", dest) < 0) {
        log_error("%s: path too long", dest);
        goto out;
    }
    /* A new file, created here (O_EXCL): a link or a file someone else put
     * beside the database is never written through. */
    k.fd = mkostemp(part.s, O_CLOEXEC);
    if (k.fd < 0) {
        log_error("%s: cannot create the download: %s", dest, strerror(errno));
        goto out;
    }
    made = 1;
    for (int attempt = 0;; attempt++) {
        char errbuf[CURL_ERROR_SIZE] = "", redirect[1024];
        CURL *c;
        CURLcode rc;
        curl_off_t len = -1;
        if (ftruncate(k.fd, 0) < 0 || lseek(k.fd, 0, SEEK_SET) < 0) {
            log_error("%s: %s", part.s, strerror(errno));
            goto out;
        }
        k.got = 0;
        c = make_handle(url, o, info, errbuf);
        if (!c) {
            log_error("curl_easy_init failed");
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
        if (deadline)
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                             left_ms(deadline) ? left_ms(deadline) : 1);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &info->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        redirect_of(c, redirect, sizeof(redirect));
        curl_easy_cleanup(c);
        if (k.too_big) {
            log_error("%s: the download passed %llu bytes, the most a "
                      "download may hold (--max-download-size): refused",
                      url, o->max_size);
            goto out;
        }
        if (k.err) {
            log_error("%s: cannot write the download: %s", part.s,
                      strerror(k.err));
            goto out;
        }
        if (rc == CURLE_OK && http_ok(url, info->status)) {
            info->length = len > 0 ? (unsigned long long)len : 0;
            if (!info->filename[0])
                fetch_url_basename(url, info->filename, sizeof(info->filename));
            int werr = fsync(k.fd) != 0 ? errno : 0;
            if (close(k.fd) != 0 && !werr)
                werr = errno;
            k.fd = -1;
            if (werr) {
                log_error("%s: cannot write the download: %s", part.s,
                          strerror(werr));
                goto out;
            }
            /* rename() replaces whatever dest is, a link included, without
             * following it. */
            if (rename(part.s, dest) < 0) {
                log_error("%s: %s", dest, strerror(errno));
                goto out;
            }
            made = 0;
            ret = 0;
            goto out;
        }
        if (!try_again(url, rc, info->status, attempt, deadline, wait, errbuf,
                       redirect, o))
            goto out;
        sleep_s(wait);
        wait *= 2;
    }
out:
    if (k.fd >= 0)
        close(k.fd);
    if (made)
        unlink(part.s);
    buf_release(&part);
    return ret;
}
