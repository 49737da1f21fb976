/* GET /v1/search and /v1/suggest (the modules behind them: search_int.h),
 * and the knobs that tune where a search changes its way of reading. */
#ifndef SEARCH_H
#define SEARCH_H
#include "api.h"

api_handler api_search, api_suggest;

/* Who a search's parameters come from: which of params.c's table a
 * request may give. */
enum params_mode { PARAMS_SEARCH, PARAMS_SUGGEST, PARAMS_FACADE };

/* A page of a search: its pids, best first (malloc'd: the caller frees
 * pid), and the match's total (a lower bound unless total_exact). */
struct search_page {
    long long *pid;
    size_t n;
    long long total;
    int total_exact;
};

/* The FHIR facade's way into the search (fhir.h): r's parameters are
 * /v1/search's name, given, profession, specialty and has_mss, and words
 * (name words in any name column, not read as q is), parsed and folded by
 * the same code; the page of limit pids from offset (limit and offset
 * are the caller's to bound: this takes them as they are). 0, or -1 with
 * the error in out (400 for a parameter, 503). */
int search_pids(struct db_conn *c, const struct api_req *r, long limit,
                long offset, struct search_page *pg, struct api_resp *out);

/* Where a search takes the paths of large matches, and the budgets of its
 * parts within the request's deadline (db_budget()). The defaults are the
 * figures each field's comment justifies; tests lower them so that a small
 * fixture goes down those paths (RPPS_SEARCH_TUNE, RPPS_SEARCH_SLOW_US in
 * rpps-server's environment: main.c). */
struct search_tune {
    /* A name match up to this many people (by its estimate) is read whole
     * and ranked exactly: < 1 ms. */
    long cand_max;
    /* A stream estimated at most this many pids drives an intersection;
     * a profession with more people is checked in memory rather than
     * streamed. */
    long drive_max;
    /* A word beyond name_fts's prefix index lengths is replaced by the OR
     * of the exact name words it begins (name_term) when there are at most
     * this many: FTS5 then reads each doclist lazily in rowid order, where
     * a prefix query would first merge the doclists of every matching word
     * (5 ms for a 4-letter prefix matching 50,000 people). */
    int expand_max;
    /* With no name words, or a postal prefix, a place whose people add up
     * to more than this is read from the index instead: its bits cost ~2
     * ns a person to set, and filters alone need only the page's first
     * pids (the total is then counted within the budget). 0: always from
     * the index. */
    long place_mem_max;
    /* Microseconds each candidate a search examines costs more (slept in
     * steps of at most 1 ms, the request's limits read between them), so
     * that a small fixture can stand for a request that would run for
     * seconds at full scale. 0: off (always, but in tests). */
    long slow_us;
    /* Milliseconds to count a large match once the page is known. Every
     * large match pays it, so it is a share of the 1 ms median target:
     * about 5,000 pids. */
    double count_ms;
    /* Milliseconds to read the filters' people for a large name match (at
     * most DRIVER_PIDS, search.c; covering index entries cost ~0.1 us). */
    double driver_ms;
    /* Milliseconds for the facets, which callers ask for rarely. */
    double facet_ms;
};

#define SEARCH_TUNE_DEFAULT                                                    \
    {                                                                          \
        .cand_max = 1000, .drive_max = 5000, .expand_max = 64,                 \
        .place_mem_max = 100000, .slow_us = 0, .count_ms = 0.1,                \
        .driver_ms = 5.0, .facet_ms = 200.0                                    \
    }

/* Sets the knobs, once, before serving (the defaults until then). */
void search_tune_set(const struct search_tune *t);
/* The knobs in force. */
struct search_tune search_tune_get(void);
#endif
