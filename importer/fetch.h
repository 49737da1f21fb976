/* Downloads over libcurl: a HEAD probe that learns the extract's file name
 * (Content-Disposition) before downloading, and a streamed download to a
 * file with timeouts, retries with backoff and clear errors. TLS peer
 * verification is never turned off: the IGC-Santé chain given in ca_file is
 * trusted together with the system store. Works for https, http and file.
 * A download is bounded in size and in time, whatever the server says or
 * does not say; an https source is only redirected to https. */
#ifndef FETCH_H
#define FETCH_H
#include <stddef.h>

/* 2 GiB: the largest file ANS publishes is the activity text, about 820 MB
 * when a mirror serves it unzipped (the two zips are about 300 MB
 * together); it grows by a few percent a year (2.1 M lines in 2021, about
 * 2.35 M in 2026). 2.6 times that is room for decades, and a bound on what
 * one download can put on the disk. */
#define FETCH_MAX_SIZE_DEFAULT (2ULL << 30)
/* 1 hour for one download, its retries and waits included: the 820 MB
 * text needs 1.8 Mbit/s for it, the 280 MB zip 0.6 Mbit/s; the nightly
 * systemd unit gives the whole import 2 hours. */
#define FETCH_TIMEOUT_DEFAULT 3600

struct fetch_opts {
    const char *ca_file;  /* extra CA bundle (PEM), or NULL */
    int retries;          /* attempts after the first (default 3) */
    double backoff_s;     /* first wait between attempts, doubled each time */
    long connect_timeout; /* seconds */
    long stall_timeout;   /* abort when under 1 KiB/s for this long */
    /* A download (or what a HEAD announces) larger than this is refused
     * (default FETCH_MAX_SIZE_DEFAULT; 0: no limit). */
    unsigned long long max_size;
    /* Seconds for a whole download, every attempt and wait included
     * (default FETCH_TIMEOUT_DEFAULT; 0: no limit). */
    long total_timeout;
    /* Progress: called with bytes so far and total (0 if unknown). */
    void (*progress)(void *ctx, unsigned long long now,
                     unsigned long long total);
    void *progress_ctx;
    /* fetch_head() only: an ETag a previous download had, sent as
     * If-None-Match; the server's 304 then means "unchanged". NULL: none. */
    const char *if_none_match;
};
void fetch_opts_init(struct fetch_opts *o);

struct fetch_info {
    long status;               /* HTTP status (0 for file://) */
    char filename[256];        /* from Content-Disposition, else URL */
    char last_modified[64];    /* Last-Modified header, if any */
    char etag[128];            /* ETag header, if any (quotes kept) */
    unsigned long long length; /* Content-Length, 0 if unknown */
};

/* Global set-up and tear-down (curl_global_*). */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/* HEAD probe. 0 on success (2xx, or 304 when o->if_none_match was sent:
 * info->status says which), -1 (logged) otherwise. */
int fetch_head(const char *url, const struct fetch_opts *o,
               struct fetch_info *info);

/* Downloads url into dest: into a new file beside it (mkstemp, named
 * dest + ".part-XXXXXX"), renamed over dest on success, so that nothing a
 * third party placed at either name is written through. 0 or -1 (logged,
 * with the HTTP status or curl's reason). */
int fetch_download(const char *url, const char *dest,
                   const struct fetch_opts *o, struct fetch_info *info);

/* The file name part of a URL path (after the last '/', before '?'), into
 * out (size n). */
void fetch_url_basename(const char *url, char *out, size_t n);

/* An HTTP date (Last-Modified) as the extracts' YYYYMMDDhhmm stamp, in UTC,
 * into out (13 bytes). 0, or -1 (out "") when it is not a date. */
int fetch_stamp_of_date(const char *http_date, char *out);
#endif
