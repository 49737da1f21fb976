/* What the facade's modules share (fhir.h is their public face): the
 * parsed request (struct fhir_q, fhir_params.c), the resources as JSON
 * text (fhir_res.c), the searches (fhir_search.c) and the answer's
 * helpers (fhir.c). Only server/fhir*.c include it. */
#ifndef FHIR_INT_H
#define FHIR_INT_H
#include <stddef.h>

#include "api.h"
#include "db.h"
#include "util.h"

enum fhir_type { FHIR_PRACTITIONER, FHIR_ROLE, FHIR_ORG, FHIR_NTYPES };

/* Ids in one search: _id and identifier lists (clients send up to 50 ids,
 * ANS advises at most 200 a page; their URL is capped at 4 KiB anyway). */
#define FHIR_IDS_MAX 256
/* Values of one repeated parameter (AND): a client repeats _lastUpdated
 * twice for a range, a name perhaps thrice. */
#define FHIR_REPEAT_MAX 4
/* Page size: 50 unless _count says (ANS's default); at most 200, what
 * ANS advises clients ask for (docs/fhir.md). */
#define FHIR_COUNT_DEFAULT 50
#define FHIR_COUNT_MAX 200
/* How far paging goes (offset + count): /v1/search's window, for the
 * same reason (a ranked match is read whole up to there). */
#define FHIR_WINDOW API_MAX_WINDOW
/* Candidates a search checks one by one (an id list, a mailbox match, a
 * name :exact or :contains narrowed by the search engine): more than a
 * page needs, few enough to check in a few ms (~3 us each). */
#define FHIR_CHECK_MAX 10000

enum fhir_mod { MOD_NONE, MOD_EXACT, MOD_CONTAINS };

/* A _lastUpdated condition: its comparison and the lowest and highest
 * "YYYY-MM-DDThh:mm:ss" its date covers (2026-11 covers the month). */
enum fhir_date_op {
    FHIR_DATE_EQ,
    FHIR_DATE_NE,
    FHIR_DATE_GT,
    FHIR_DATE_LT,
    FHIR_DATE_GE,
    FHIR_DATE_LE
};
struct fhir_date {
    enum fhir_date_op op;
    char lo[20], hi[20];
};

/* A string condition on names: which columns (rank.h's COL_*), how. */
struct fhir_name {
    int cols;
    enum fhir_mod mod;
    char *v;
};

struct fhir_codes {
    char *v[FHIR_IDS_MAX];
    int n;
};

struct fhir_q {
    enum fhir_type type;
    /* Practitioner: national ids wanted (identifier, _id): each occurrence
     * a list (OR), all of them (AND). */
    struct fhir_codes ids[FHIR_REPEAT_MAX];
    int nids;
    struct fhir_name names[FHIR_REPEAT_MAX * 3];
    int nnames;
    /* qualification-code: each occurrence a list (OR) of codes. */
    struct fhir_codes qual[FHIR_REPEAT_MAX];
    int nqual;
    /* mailbox-mss: each occurrence. */
    struct fhir_name mbox[FHIR_REPEAT_MAX];
    int nmbox;
    int active; /* -1 any, 0, 1 */
    int stale;  /* the conditions exclude everything */
    /* _lastUpdated: each occurrence (AND). */
    struct fhir_date dates[FHIR_REPEAT_MAX];
    int ndates;
    /* PractitionerRole: practitioner and organization references, role
     * codes; Organization: identifier values, _id. */
    struct fhir_codes prac, org, roles[FHIR_REPEAT_MAX];
    int nroles;
    struct fhir_codes tid; /* PractitionerRole's or Organization's _id */
    struct fhir_codes orgident[FHIR_REPEAT_MAX];
    int norgident;
    struct fhir_name oname[FHIR_REPEAT_MAX], city, postcode;
    int noname;
    /* Result parameters. */
    long count, offset;
    int inc_prac, inc_org; /* _include of a PractitionerRole search */
    int revinc;            /* _revinclude=PractitionerRole:... */
    char *elements;        /* _elements, or NULL */
    int accurate;          /* _total=accurate: count every match */
    /* _after: the id the page starts after (PractitionerRole: its aid
     * too), "" for none. */
    char after[72];
    long long after_aid;
};

/* fhir_params.c */
/* Parses r's parameters for a search of type into q (zeroed first): 0, or
 * -1 with a 400 OperationOutcome in out. Either way the caller releases q
 * (fhir_params_release()): a refused request keeps what it parsed before. */
int fhir_params_parse(struct db_conn *c, const struct api_req *r,
                      enum fhir_type type, struct fhir_q *q,
                      struct api_resp *out);
void fhir_params_release(struct fhir_q *q);
/* 1 if the time stamp ts ("YYYY-MM-DDThh:mm:ss", more ignored) passes
 * every _lastUpdated condition of q (none: 1). */
int fhir_date_ok(const struct fhir_q *q, const char *ts);
/* The same for one condition. */
int fhir_date_cond_ok(const struct fhir_date *d, const char *ts);
/* The national id an identifier value names (bare RPPS, 8+RPPS, ADELI,
 * 0+ADELI, with or without a known system|), into nid (at least 16
 * bytes): 0, or -1 if it cannot name a professional. */
int fhir_national_id(const char *v, char *nid, size_t cap);

/* fhir_res.c: the resources as JSON text. */
/* The extracts' time stamp, the meta.lastUpdated of what has no history
 * of its own (Organization, the Bundle), into ts (at least 32 bytes). */
void fhir_last_updated(struct db_conn *c, char *ts, size_t cap);
/* The day (YYYYMMDD) pid's Practitioner and roles last changed: the
 * latest change of theirs kept (--keep-changes), else their first_seen,
 * else the first import with history; 0 when the file has no history
 * date at all (then the extracts' time stamp stands). */
int fhir_person_day(struct db_conn *c, long long pid);
/* The newest import's day (YYYYMMDD), or 0. */
int fhir_newest_day(struct db_conn *c);
/* day as "YYYY-MM-DDT00:00:00Z" into ts (at least 32 bytes). */
void fhir_day_ts(int day, char *ts, size_t cap);
/* What a resource shows: elements is _elements (NULL: everything). */
struct fhir_view {
    const char *elements;
    const char *ts; /* fhir_last_updated(): what has no date of its own */
};
/* Appends pid's Practitioner: -1 (nothing appended) if unknown. */
int fhir_res_practitioner(struct db_conn *c, struct buf *b, long long pid,
                          const struct fhir_view *v);
/* Appends the PractitionerRole of activity aid: -1 if unknown. */
int fhir_res_role(struct db_conn *c, struct buf *b, long long aid,
                  const struct fhir_view *v);
/* Appends the Organization of the structure activity aid names: -1 if
 * it names none. */
int fhir_res_org_aid(struct db_conn *c, struct buf *b, long long aid,
                     const struct fhir_view *v);
/* The first activity naming structure id into *aid: 0, or -1 if none. */
int fhir_org_aid(struct db_conn *c, const char *id, long long *aid);
/* The sid of the structure whose technical id is id: 0 if none, -1 on a
 * database error. */
long long fhir_org_sid(struct db_conn *c, const char *id);
/* The activities at structure sid, ascending (only the first if first),
 * into *aids (malloc'd, the caller frees), *n their number: 0, or -1. */
int fhir_org_aids(struct db_conn *c, long long sid, int first, long long **aids,
                  size_t *n);
/* The structure id of activity aid (the Organization it references) into
 * id: 0, or -1 if it has none. */
int fhir_res_role_org(struct db_conn *c, long long aid, char *id, size_t cap);
/* A PractitionerRole id (national id "-" sequence) into aid: 0, or -1. */
int fhir_role_aid(struct db_conn *c, const char *id, long long *aid);
/* The IDNST (national structure id) of the structure whose technical id
 * is sid into out: 0, or -1 if sid is not one. */
int fhir_idnst(const char *sid, char *out, size_t cap);
/* The gone_professional row of the removed professional nid (not present
 * again): 0 if none, -1 on a database error. */
long long fhir_gone_row(struct db_conn *c, const char *nid);
/* Appends the Practitioner tombstone (active false) of gone_professional
 * row: -1 if unknown. */
int fhir_res_tombstone(struct db_conn *c, struct buf *b, long long row);
/* A removed professional's activity, row of gone_activity, as a
 * PractitionerRole tombstone (active false): appended (0), or -1. Its id
 * into id: 0, or -1. */
int fhir_res_role_tombstone(struct db_conn *c, struct buf *b, long long row);
int fhir_gone_role_id(struct db_conn *c, long long row, char *id, size_t cap);
/* The gone_activity row of role tombstone id (national id "-" rank): 0
 * if none, -1 on a database error. */
long long fhir_gone_role_row(struct db_conn *c, const char *id);
/* Organizations gone between imports: structures whose activities the
 * change table says were removed and that no activity names now, each
 * keyed by the seq of its latest such change. fhir_gone_org_sql selects
 * (seq, structure id, day) of each, by structure id. */
extern const char *const fhir_gone_org_sql;
/* The key of the gone structure id: 0 if none, -1 on a database error. */
long long fhir_gone_org_seq(struct db_conn *c, const char *id);
/* The structure id and day of key seq: 0, or -1 if it names none. */
int fhir_gone_org(struct db_conn *c, long long seq, char *id, size_t cap,
                  int *day);
/* Appends the Organization tombstone (active false) of key seq: 0, or -1
 * (nothing appended). */
int fhir_res_org_tombstone(struct db_conn *c, struct buf *b, long long seq);
/* 1 if s may be a FHIR id ([A-Za-z0-9.-]{1,64}). */
int fhir_id_ok(const char *s);

/* fhir_search.c: the searches, and the sets they are made of. */
/* Sorted unique ids (pids or aids) once fhir_ids_sort()ed; v malloc'd,
 * the holder frees it. */
struct fhir_ids {
    long long *v;
    size_t n, cap;
};
void fhir_ids_push(struct fhir_ids *s, long long x);
void fhir_ids_sort(struct fhir_ids *s);
/* A search's answer: the page and the total. */
struct fhir_hits {
    long long *v; /* the page: pids, aids (PractitionerRole and
                   * Organization: an activity naming the structure);
                   * malloc'd, the caller frees it */
    size_t n;
    long long total; /* -1: not counted (a read in id order stopped at
                      * the page's end): the Bundle has no total */
    /* A read in id order with more after the page: its next link starts
     * after the page's last id (_after) instead of an offset. */
    int more;
    /* A read in id order: it has a next link only when more (its total
     * counts the matches before its cursor too). */
    int ordered;
    char next_after[72];
};
/* The roles (activities) of pid, appended to s. */
void fhir_roles_of(struct db_conn *c, long long pid, struct fhir_ids *s);
/* The activities at the structures ids[0..n) (technical ids), each
 * ascending: from the structure table's pids, not a scan of activity. */
void fhir_roles_of_orgs(struct db_conn *c, char *const *ids, size_t n,
                        struct fhir_ids *s);
/* The search of q's type: the page into h. 0, or -1 with the error (an
 * OperationOutcome) in out. */
int fhir_search_practitioner(struct db_conn *c, const struct fhir_q *q,
                             struct fhir_hits *h, struct api_resp *out);
/* fhir_role.c */
int fhir_search_role(struct db_conn *c, const struct fhir_q *q,
                     struct fhir_hits *h, struct api_resp *out);
/* What fhir_org.c shares of it. A search's end: its page and total
 * into h, or, when the request ran out of time, the page freed and a 503
 * in out. 0, or -1. */
int fhir_hits_done(struct db_conn *c, struct fhir_ids *page, long long total,
                   struct fhir_hits *h, struct api_resp *out);
/* 1 if every word of folded f begins a word of x, y or z (NULL: none). */
int fhir_words_in(const char *f, const char *x, const char *y, const char *z);
/* 1 if v (NULL: never) is one of l's values. */
int fhir_in_codes(const struct fhir_codes *l, const char *v);
/* A JSON array of the n strings v (malloc'd, the caller frees it). */
char *fhir_json_strings(char *const *v, int n);
/* What fhir_role.c and fhir_org.c share of the Practitioner search
 * (fhir_search.c). A key that passes q is counted in *total and kept in
 * page when it falls on q's page. */
void fhir_take(const struct fhir_q *q, struct fhir_ids *page, long long *total,
               long long key);
/* *acc = *acc AND s (both sorted); *have: acc holds a set yet. s is
 * emptied. */
void fhir_ids_and(struct fhir_ids *acc, int *have, struct fhir_ids *s);
/* The owners of the mailboxes one mailbox-mss condition matches, into s
 * (mailboxes of nobody known skipped). :contains reads every address.
 * max > 0: stops past max mailboxes, and returns 1. 0 else, -1 on a
 * database error. */
int fhir_mailbox_pids(struct db_conn *c, const struct fhir_name *m,
                      struct fhir_ids *s, size_t max);

/* fhir_dates.c: the _lastUpdated plan. */
/* How q's _lastUpdated conditions read people. A person's date
 * (fhir_person_day()) lies between the first import with history and the
 * newest import: a condition every such day passes is dropped, one none
 * passes finds nobody, and a lower bound past the first import reads the
 * people the change table names since (change_day), not everyone. */
struct date_plan {
    int check; /* each candidate's date is checked */
    int from;  /* > 0: only people with a change on or after this day */
    int none;  /* no date passes */
    /* A plan without a lower bound (lt, le, ne alone): the dates of the
     * people the change table names (date_index()); everyone else has
     * the first import's. NULL: dates read person by person. */
    struct date_index *ix;
};

/* Whose date passes: the people the change table names since the first
 * import with history, split by whether their latest change passes q
 * (their date: changed_pids() says why), each sorted; the others pass
 * when the first import's day does (floor_ok). */
struct date_index {
    struct fhir_ids pass, fail;
    int floor_ok;
};
void fhir_date_plan(struct db_conn *c, const struct fhir_q *q,
                    struct date_plan *p);
/* The present people the change table names on or after day from whose
 * date passes q, into s (sorted). 0, or -1 on a database error. */
int fhir_changed_pids(struct db_conn *c, const struct fhir_q *q, int from,
                      struct fhir_ids *s);
/* dp->ix for a plan that checks dates without a lower bound. 0, or -1 on
 * a database error. */
int fhir_date_index(struct db_conn *c, const struct fhir_q *q,
                    struct date_plan *dp);
void fhir_date_plan_release(struct date_plan *dp);
/* 1 if pid's date passes q's _lastUpdated, from dp's index when it has
 * one. */
int fhir_plan_date_ok(struct db_conn *c, const struct fhir_q *q,
                      const struct date_plan *dp, long long pid);

/* fhir_org.c */
int fhir_search_org(struct db_conn *c, const struct fhir_q *q,
                    struct fhir_hits *h, struct api_resp *out);

/* fhir.c */
/* The national id of pid into nid: 0, or -1 if unknown. */
int fhir_pid_nid(struct db_conn *c, long long pid, char *nid, size_t cap);
/* Sets out to an OperationOutcome of status (code: FHIR's issue type). */
void fhir_error(struct api_resp *out, int status, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#endif
