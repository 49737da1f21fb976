/* What the modules of a search share (search.h is their public face):
 * the parsed request (struct sq, params.c), the filters as pid streams
 * (struct fplan, filters.c), the name words as FTS5 expressions (struct
 * text_plan, text.c), the match and its page (struct result), and one
 * search's state (struct search, search.c). Only server/search.c,
 * params.c, filters.c, text.c, rank.c, near.c and facets.c include it.
 *
 * The path of a search: params_parse() -> filters_plan() -> (name words)
 * text_plan() -> read the intersection of the streams in pid order
 * (filters_read(), search.c's tiers, near.c by distance) -> rank_match()
 * for a match small enough to rank whole -> the page (search.c) and its
 * facets (facets.c). */
#ifndef SEARCH_INT_H
#define SEARCH_INT_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api.h"
#include "dataset.h"
#include "db.h"
#include "rank.h"
#include "search.h"
#include "stream.h"
#include "typo.h"
#include "understand.h"
#include "util.h"

#define TOK_MAX 8   /* words in q: a name has a handful */
#define LIST_MAX 16 /* values of one repeated filter */
/* Neighbours a name word also matches in the second reading: the closest
 * few (typo.h ranks them), enough for the spellings of one name (LEFEBVRE,
 * LEFEUVRE for lefevre). */
#define ALT_MAX RANK_ALT_MAX
/* Single word: 4 exact/prefix tiers, 2 neighbour tiers. */
#define TIER_MAX 6
/* Steps tried before a stream runs its statement again from a new bound:
 * an index entry costs ~0.1 µs, a new B-tree descent ~2 µs, a new FTS5
 * expression 5-50 µs. */
#define STEP_INDEX 16
#define STEP_FTS 256
/* What checking a person's names in memory and a row of the name words'
 * FTS5 match cost, to pick the cheaper reading (search.c, near.c): fitted
 * on the bench's free-text queries at full scale, each run both ways
 * (docs/performance.md). A person's names are read from memory with
 * dataset_names() and scored (~0.2 us, names asked for ahead); a row of the
 * FTS5 match costs ~0.15 us with its in-memory checks. */
#define MEM_PERSON_US 0.2
#define FTS_ROW_US 0.15
/* Candidates ahead whose names are asked for (dataset_names_prefetch()). */
#define NAMES_AHEAD 8

/* The tuning knobs (search.h), as set once by search_tune_set(). */
extern struct search_tune search_tune;

struct tok {
    char *s;
    int cols; /* COL_*: where it must match */
};

struct sq {
    struct tok tok[TOK_MAX * 3];
    int ntok, nq; /* all tokens; how many came from q */
    char *prof[LIST_MAX];
    int nprof;
    char *spec[LIST_MAX];
    int nspec;
    char *mode[LIST_MAX];
    int nmode;
    char *dept[LIST_MAX];
    int ndept;
    char *city_fold, *insee, *pc_lo, *pc_hi; /* pc_hi NULL: exact */
    int has_mss;                             /* -1: any */
    long limit, offset;
    unsigned facets; /* a bit per facet kind (facets.h) */
    /* q as understood: its name words are the COL_ANY tokens, and its
     * profession, specialty, mode and place fill the filters the request
     * leaves empty (from_q says which, so that another reading can take
     * them back). */
    const char *qtext;
    struct understood *und;
    unsigned from_q; /* FROM_Q_* */
    /* An understood commune: its activities (its arrondissements' too) by
     * commune code, and by town name for those without a code. */
    char *insees[STREAM_SUBS_MAX];
    int ninsee;
    char *towns[4];
    int ntown;
    int typos; /* the second reading: names also match neighbours */
    /* near= and radius_km=: results by distance from (lat, lon). */
    int near;
    double lat, lon, radius_km;
    /* structure=, street=, siret=, finess= (folded, structure.h), and
     * once resolved (params.c) the people of the structures meeting them
     * with the place: st_on, st_pids[0..st_npids) ascending. */
    char *st_words, *st_street;
    int st_words_whole, st_street_whole; /* structure_cond's */
    char st_siret[15], st_finess[10];
    int st_on;
    uint32_t *st_pids;
    size_t st_npids;
    /* Of those, the people of the structures named exactly by the words
     * when others match them too ("cabinet du dr leclerc", not
     * LECLERCQ's): ranked first (st_nfirst 0: no such tier). */
    uint32_t *st_first;
    size_t st_nfirst;
    /* mssante=: a mailbox domain (read as a stream of its mailboxes in
     * pid order), or an address prefix (its owners, resolved: mbx_pids). */
    char *mss, *mss_domain;
    int mbx_on;
    /* What q was read as besides understand.h's reading (params.c):
     * the words taken as a street or a structure name, as typed (folded),
     * or the identifier it is ("siret", "finess"). */
    char *und_street, *und_structure;
    const char *und_ident;
    int mss_from_q; /* mss is q's word */
    uint32_t *mbx_pids;
    size_t mbx_npids;
};

enum {
    FROM_Q_PROF = 1,
    FROM_Q_SPEC = 2,
    FROM_Q_MODE = 4,
    FROM_Q_PLACE = 8,
};

/* Postal codes are 5 characters; a longer value in the data (never seen)
 * makes a prefix read by scan instead. */
#define PC_LEN 16

struct fplan {
    struct db_conn *c;   /* whose limits filters_next() reads */
    struct stream st[5]; /* profession, specialty, place (or all pids),
                          * structures, mailboxes */
    struct stream *v[6]; /* the streams in use */
    int nv;
    long long lo, hi;             /* pid range: has_mss */
    long long known_total;        /* filters only: exact total, or -1 */
    long long prof_total;         /* professionals with the profession */
    long long spec_total;         /* or specialty codes (code table) */
    const unsigned char *prof_of; /* pid -> profession index, when the
                                   * profession is checked, not streamed */
    long long prof_n;
    unsigned char prof_ok[256];
    sqlite3_stmt *check; /* place conditions the place stream does
                          * not read, on one pid's activities */
    int check_param;     /* its first aid bound parameter */
    /* With a mode in the check and the modes in memory: mode_want, the
     * bits of the modes asked for; nobody without one of them passes,
     * and when mode_accept (the mode is all the check adds to the
     * stream's key), everybody whose activities all have one does. */
    const unsigned char *modes;
    int mode_want, mode_accept;
    int place_prof; /* the place stream reads the profession */
    char pcs[STREAM_SUBS_MAX][PC_LEN];
    /* The place read from memory instead of a stream: a bit per pid
     * (db_pidbits()), set for the people with the profession in [lo, hi];
     * place_m of them (the memory driver's candidates). */
    const uint64_t *place_bits;
    long long place_m;
    /* The same people in pid order when they are one run (one value, one
     * profession), else NULL: the memory driver reads it instead of
     * scanning the bits. */
    const uint32_t *place_run;
    long long mbx_est; /* a domain's mailboxes, counted up to 1,000 */
};

/* Stream order in an intersection: a stream known to be small drives;
 * then the name match (FTS5 rows cost little to step, much to seek), the
 * place, the specialty, the profession (dense, cheap to step), a scan
 * last. */
enum { ORD_TEXT = 1, ORD_PLACE, ORD_SPEC, ORD_PROF, ORD_SCAN };

/* What the name words ask of name_fts: the expression of the whole match
 * (every word as a prefix, in its columns) and a partition of it into
 * tiers, best first; per word, how many rows its phrase matches (bm25's
 * document frequency). */
struct text_plan {
    struct buf all;
    struct buf tier[TIER_MAX];
    int ntier;
    int lazy; /* no phrase makes FTS5 merge doclists first */
    int none; /* a word begins no name word: no match */
    double nhit[TOK_MAX * 3];
    long long est;   /* an upper bound of the match, for ordering */
    long long lower; /* one word alone: a lower bound of it */
    struct buf exact[TOK_MAX * 3], prefix[TOK_MAX * 3];
    /* Per word: whether some name word begins with it, and (second
     * reading) its neighbours, as an FTS5 OR and as words for the
     * ranking, closest first. */
    int has_prefix[TOK_MAX * 3];
    struct buf alt[TOK_MAX * 3];
    char alts[TOK_MAX * 3][ALT_MAX][RANK_ALT_LEN];
    int nalt[TOK_MAX * 3];
    /* Words of one letter or digit beside other words (the first name's
     * initial, as one types it) are left out of `all` and checked on the
     * name initials in memory instead (text_all_stream()): in FTS5 each
     * such word is the prefix index's doclist of a fifth of everyone,
     * which the AND seeks at every row of the other words (~1 us a row). */
    int in_mem[TOK_MAX * 3];
    uint32_t need_ini;
    double idf[TOK_MAX * 3]; /* bm25's, from nhit: once, not per person */
};

struct result {
    long long *pid; /* the page */
    size_t n, cap;
    long long *all; /* the whole match when read whole (for facets) */
    size_t nall, capall;
    long long total;
    int total_exact;
};

struct search {
    struct sq q;
    struct fplan fp;
    struct text_plan tp;
    struct stream text; /* the whole match of the words */
    struct result res;
    int cut; /* stopped at the request's limits: res is what was found */
};

/* The query reader of c's database file, or NULL when it has no search
 * lexicon (q is then read as name words only, without typos); its
 * communes, or NULL (no places in q, no near=). */
static inline const struct understand *search_und(const struct db_conn *c)
{
    return dataset_understand(db_dataset(c));
}

static inline const struct geo *search_geo(const struct db_conn *c)
{
    return dataset_geo(db_dataset(c));
}

/* Appends x to the growing array *v (*n used, *cap allocated). */
static inline void result_push(long long **v, size_t *n, size_t *cap,
                               long long x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = x;
}

/* Empties res->all (the whole match). */
static inline void result_forget_all(struct result *res)
{
    free(res->all);
    res->all = NULL;
    res->nall = res->capall = 0;
}

/* params.c: the request's parameters. */
/* Parses and validates every parameter into q (zeroed first). 0, or -1
 * with the error in out. */
int params_parse(struct db_conn *c, const struct api_req *r, struct sq *q,
                 enum params_mode mode, struct api_resp *out);
void params_release(struct sq *q);
/* A place condition (mode, department, commune, postal code) is asked. */
int params_has_loc(const struct sq *q);
/* q had words, and every one was dropped ("à", a stray number): nothing
 * to search, and not everyone either. */
int params_nothing_left(const struct sq *q);
/* q's place read as name words instead (understand_place_as_name()): 1 if
 * that is another reading to run. */
int params_place_as_name(struct db_conn *c, struct sq *q);

/* qstruct.c: q read as a structure, a street, an identifier or a mailbox,
 * conservatively (a reading is taken only when some structure has it).
 * qstruct_mailbox(): q's text into rest (cap bytes) without its first
 * mailbox word, which becomes mssante= (q->mss) when the request gives
 * none; returns rest's length. qstruct_read(): after understand_query()
 * has read rest into q->und, the words it left as names read again as a
 * street, a structure's name, a SIRET or FINESS (q->st_*, q->und_*); 0,
 * or -1 on a database error. */
size_t qstruct_mailbox(struct sq *q, char *rest, size_t cap);
int qstruct_read(struct db_conn *c, const struct understand *und, struct sq *q);
/* The town names the activities of commune k without a commune code
 * carry, into q->towns. */
void params_add_towns(struct sq *q, const struct geo_commune *k);

/* filters.c: every filter as a pid stream, and their intersection. */
/* Plans fp for q: every filter a stream in fp->v, has_mss a pid range.
 * no_text: the filters are the whole search (no name words, no near=). */
int filters_plan(struct db_conn *c, const struct sq *q, struct fplan *fp,
                 int no_text);
/* The order of a stream of class cls (ORD_*) and estimated size est. */
long long filters_order_key(int cls, long long est);
/* qsort() order of streams, smallest first. */
int filters_est_cmp(const void *a, const void *b);
/* The next pid >= from in every stream of v[0..n) (ordered) that passes
 * the place check, or STREAM_END (also on an error: *err set). */
long long filters_next(struct fplan *fp, struct stream **v, int n,
                       long long from, int *err);
/* 1 if pid passes the place check (or there is none), 0 if not, -1 on a
 * database error. */
int filters_place_ok(struct fplan *fp, long long pid);
/* Reads the match (the intersection of v[0..n) in fp's pid range, with
 * fp's place check) in pid order: the first keep pids into res->all, then
 * (count=1) counts on within search_tune.count_ms. res->total gets the number
 * read. Returns 1 if that is the whole match, 0 if reading stopped first (the
 * budget, or the request's limits), -1 on a database error. */
int filters_read(struct db_conn *c, struct fplan *fp, struct stream **v, int n,
                 size_t keep, int count, struct result *res);
/* 1 if fp's match is the owners of q's mailbox domain alone and they are
 * more than cap (at least 1,000): a read of at most cap of them would stop
 * short. Counted once a connection (db_memo_get()); 0 when not known. */
int filters_domain_over(struct db_conn *c, const struct sq *q,
                        const struct fplan *fp, long long cap);
/* 1 if a stream of v[0..n) failed. */
int filters_failed(struct stream **v, int n);
/* The activities of communes by commune code (insees) and by town name
 * for those without one (towns), from those indexes alone: statements
 * tagged role (codes) and role + 1 (towns). */
int filters_commune_stream(struct db_conn *c, struct stream *s,
                           char *const *insees, int ninsee, char *const *towns,
                           int ntown, char role);

/* text.c: the name words as FTS5 expressions. */
void text_plan(struct db_conn *c, const struct sq *q, struct text_plan *tp);
void text_plan_release(struct text_plan *tp, int ntok);
/* A stream of the rows of name_fts matching expr (rowid = pid). */
int text_stream(struct db_conn *c, struct stream *s, const char *expr, char tag,
                int lazy, long long est);
/* The stream of the whole match (tp->all), the initials checked. */
int text_all_stream(struct db_conn *c, struct stream *s,
                    const struct text_plan *tp, int lazy);

/* rank.c (rank.h: the pure functions): ranking a match read whole. */
/* Ranks the whole match (res->all, in pid order) by word tiers, bm25 and
 * pid, and takes the page. strict: res->all are candidates whose names are
 * checked here (the words as prefixes of their words, as name_fts
 * matches them); those that fail are dropped. */
int rank_match(struct db_conn *c, const struct sq *q,
               const struct text_plan *tp, struct result *res, int strict);
/* Sorts pids[0..*n) best first (word tiers, bm25, pid). */
int rank_pids(struct db_conn *c, const struct sq *q, const struct text_plan *tp,
              long long *pids, size_t *n);
/* The search's words as the ranking reads them, into w[0..q->ntok) (w
 * holds TOK_MAX * 3): once per search, not per candidate. */
void rank_words(const struct sq *q, const struct text_plan *tp,
                struct rank_word *w);
/* 1 if pid's names match every word of w[0..n) (as the whole-match
 * expression does: a prefix or, in the second reading, a neighbour). */
int rank_names_match(const struct dataset *ds, const struct rank_word *w, int n,
                     long long pid);

/* near.c: by distance (near=). */
/* The distances of pid's activities (in aid order, as record.c lists
 * them) into km[0..*n) (at most max), and the nearest (NAN if none). */
double near_pid_km(struct db_conn *c, const struct sq *q, long long pid,
                   double *km, size_t max, size_t *n);
void near_small(struct db_conn *c, const struct sq *q, struct result *res);
int near_whole(struct db_conn *c, struct search *s);
int near_rings(struct db_conn *c, struct search *s, int names, int count);
#endif
