/* libcurl download and HEAD probe. See fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
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

/* Header callback: picks the file name out of Content-Disposition and the
 * Last-Modified date. */
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
        const char *v = line + 14;
        while (*v == ' ')
            v++;
        size_t vl = strlen(v);
        if (vl >= sizeof(info->last_modified))
            vl = sizeof(info->last_modified) - 1;
        memcpy(info->last_modified, v, vl);
        info->last_modified[vl] = '\0';
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
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
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
    return c;
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
                   const char *errbuf, const struct fetch_opts *o)
{
    if (rc == CURLE_OK)
        log_error("%s: HTTP status %ld", url, status);
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

int fetch_head(const char *url, const struct fetch_opts *o,
               struct fetch_info *info)
{
    double wait = o->backoff_s;
    memset(info, 0, sizeof(*info));
    for (int attempt = 0;; attempt++) {
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *c = make_handle(url, o, info, errbuf);
        CURLcode rc;
        curl_off_t len = -1;
        if (!c) {
            log_error("curl_easy_init failed");
            return -1;
        }
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &info->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        curl_easy_cleanup(c);
        if (rc == CURLE_OK && http_ok(url, info->status)) {
            info->length = len > 0 ? (unsigned long long)len : 0;
            if (!info->filename[0])
                fetch_url_basename(url, info->filename, sizeof(info->filename));
            return 0;
        }
        if (attempt >= o->retries || !retryable(rc, info->status)) {
            report(url, rc, info->status, errbuf, o);
            return -1;
        }
        log_warn(
            "%s: attempt %d failed (%s), retrying in %.0f s", url, attempt + 1,
            rc == CURLE_OK ? "server error" : curl_easy_strerror(rc), wait);
        sleep_s(wait);
        wait *= 2;
    }
}

int fetch_download(const char *url, const char *dest,
                   const struct fetch_opts *o, struct fetch_info *info)
{
    struct buf part;
    double wait = o->backoff_s;
    int ret = -1;

    memset(info, 0, sizeof(*info));
    buf_init(&part, 4096);
    if (buf_addf(&part, "%s.part", dest) < 0) {
        log_error("%s: path too long", dest);
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        char errbuf[CURL_ERROR_SIZE] = "";
        FILE *f = fopen(part.s, "wb");
        CURL *c;
        CURLcode rc;
        curl_off_t len = -1;
        int werr;
        if (!f) {
            log_error("%s: %s", part.s, strerror(errno));
            goto out;
        }
        c = make_handle(url, o, info, errbuf);
        if (!c) {
            fclose(f);
            log_error("curl_easy_init failed");
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &info->status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
        curl_easy_cleanup(c);
        werr = fflush(f) != 0 || fsync(fileno(f)) != 0;
        werr |= fclose(f) != 0;
        if (rc == CURLE_WRITE_ERROR || (rc == CURLE_OK && werr)) {
            log_error("%s: cannot write the download: %s", part.s,
                      strerror(errno));
            unlink(part.s);
            goto out;
        }
        if (rc == CURLE_OK && http_ok(url, info->status)) {
            info->length = len > 0 ? (unsigned long long)len : 0;
            if (!info->filename[0])
                fetch_url_basename(url, info->filename, sizeof(info->filename));
            if (rename(part.s, dest) < 0) {
                log_error("%s: %s", dest, strerror(errno));
                unlink(part.s);
                goto out;
            }
            ret = 0;
            goto out;
        }
        if (attempt >= o->retries || !retryable(rc, info->status)) {
            report(url, rc, info->status, errbuf, o);
            unlink(part.s);
            goto out;
        }
        log_warn(
            "%s: attempt %d failed (%s), retrying in %.0f s", url, attempt + 1,
            rc == CURLE_OK ? "server error" : curl_easy_strerror(rc), wait);
        sleep_s(wait);
        wait *= 2;
    }
out:
    buf_release(&part);
    return ret;
}
