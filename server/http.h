/* libmicrohttpd glue: the daemon (thread pool on epoll), the route table,
 * request caps, JSON error bodies, gzip and ETags. Handlers (api.h) never see
 * MHD. */
#ifndef HTTP_H
#define HTTP_H

struct http_opts {
    const char *listen; /* "host:port", "[v6]:port"; port 0 = any free */
    unsigned threads;
    const char *cors;          /* Access-Control-Allow-Origin value, or NULL */
    int access_log;            /* one line per request on stderr */
    unsigned deadline_ms;      /* a request's work (db_request_begin()) */
    double header_timeout;     /* seconds for a whole request to arrive */
    unsigned max_conns;        /* connections at once */
    unsigned max_conns_per_ip; /* from one address; 0: no limit */
};

/* Starts serving. Returns the bound port, or -1 (logged). */
int http_start(const struct http_opts *o);
/* Stops accepting, finishes the requests in flight, joins the threads. */
void http_stop(void);
#endif
