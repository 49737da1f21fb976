/* Typo and sound-alike candidates (server/typo.c) against an in-memory
 * database built from the embedded schema: hand-picked words with known
 * answers (tables), the distance function, then a random dictionary of
 * synthesized names where every answer is checked against a brute-force
 * scan of all the words, and the failure cases (no table, empty table). It
 * prints the time per lookup on that dictionary; timings never fail. */
#include "typo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "phonetic.h"
#include "util.h"
#include "t.h"

extern const char schema_sql[];

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql: %s: %s\n", err, sql);
        exit(1);
    }
}

static sqlite3 *new_db(void)
{
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        exit(1);
    exec_or_die(db, schema_sql);
    return db;
}

/* Inserts a word with its count and its key, as the importer does. */
static void add_term(sqlite3 *db, const char *t, int n)
{
    sqlite3_stmt *st;
    char key[256];
    phon_key(t, strlen(t), key);
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO name_term VALUES "
                           "(?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        exit(1);
    sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, n);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        exit(1);
    sqlite3_finalize(st);
}

static const struct {
    const char *t;
    int n;
} words[] = {
    {"lefebvre", 1018}, {"lefevre", 821},  {"lefeuvre", 240},
    {"lefort", 300},    {"dupont", 935},   {"dupond", 210},
    {"martin", 5000},   {"martine", 2000}, {"martel", 150},
    {"marti", 20},      {"martins", 40},   {"zubieta", 1},
    {"caussanel", 1},   {"philippot", 30}, {"gauthier", 755},
    {"gautier", 681},   {"meyer", 400},    {"mayer", 90},
    {"legoff", 200},    {"le", 900},       {"goff", 3},
    {"estrabaud", 1},   {"stoeckel", 1},   {"baumgartner", 2},
    {"ab", 1},          {"abc", 1},
};

static const struct {
    const char *q;
    const char *want[6]; /* these, in this order, first */
    const char *never;   /* and never this one */
} cases[] = {
    /* one edit from 5 letters, sound-alikes first */
    {"lefevre", {"lefebvre", "lefeuvre"}, "lefort"},
    {"lefebvre", {"lefevre", "lefeuvre"}, "lefebvre"},
    {"dupont", {"dupond"}, "dupont"},
    {"dupond", {"dupont"}, NULL},
    /* insertion, deletion, substitution, transposition */
    {"zubiemta", {"zubieta"}, NULL},
    {"zubeta", {"zubieta"}, NULL},
    {"zubiera", {"zubieta"}, NULL},
    {"zubiteta", {"zubieta"}, NULL},
    {"mratin", {"martin"}, "martel"},
    {"martn", {"martin", "marti"}, "martel"},
    /* two edits from 9 letters */
    {"causasnml", {"caussanel"}, NULL},
    {"estrraaud", {"estrabaud"}, NULL},
    {"boaumgarnter", {"baumgartner"}, NULL},
    {"stoekcel", {"stoeckel"}, NULL},
    /* sound-alike beyond the edit budget: f for ph, single p */
    {"filippot", {"philippot"}, NULL},
    {"gautier", {"gauthier"}, NULL},
    {"meier", {"meyer", "mayer"}, NULL},
    /* a 9-letter word typed with one letter missing keeps its 2 edits */
    {"estraud", {NULL}, "estrabaud"},
    {"estrbaud", {"estrabaud"}, NULL},
    {"estrbaad", {"estrabaud"}, NULL},
    /* fewer than 5 letters: no edits, sound-alikes only */
    {"goof", {"goff"}, NULL},
    {"gaff", {NULL}, "goff"},
    {"abd", {NULL}, "abc"},
};

static int has(const struct typo_cand *c, size_t n, const char *t)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].term, t) == 0)
            return (int)i + 1;
    return 0;
}

static void test_cases(void)
{
    sqlite3 *db = new_db();
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
        add_term(db, words[i].t, words[i].n);
    struct typo_dict *d = typo_dict_load(db);
    T_CHECK(d != NULL);
    if (!d)
        return;
    T_EQ_INT(typo_dict_size(d), sizeof(words) / sizeof(*words));
    T_EQ_INT(typo_count(d, "dupont", 6), 935);
    T_EQ_INT(typo_count(d, "dupon", 5), 0);
    T_EQ_INT(typo_count(d, "duponts", 7), 0);
    T_EQ_INT(typo_count(d, "a", 1), 0);
    T_EQ_INT(typo_count(d, "ab", 2), 1);
    T_EQ_INT(typo_count(d, "zzz", 3), 0);

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct typo_cand c[32];
        int trunc = 1;
        size_t n = typo_find(d, cases[i].q, strlen(cases[i].q), c, 32, &trunc);
        T_EQ_INT(trunc, 0);
        for (size_t w = 0; w < 6 && cases[i].want[w]; w++) {
            int at = has(c, n, cases[i].want[w]);
            if (at != (int)w + 1) {
                fprintf(stderr, "  %s: %s at %d, want %zu; got:", cases[i].q,
                        cases[i].want[w], at, w + 1);
                for (size_t k = 0; k < n; k++)
                    fprintf(stderr, " %s/%d/%d", c[k].term, c[k].dist,
                            c[k].how);
                fprintf(stderr, "\n");
            }
            T_EQ_INT(at, (int)w + 1);
        }
        if (cases[i].never) {
            if (has(c, n, cases[i].never))
                fprintf(stderr, "  %s: %s found\n", cases[i].q, cases[i].never);
            T_EQ_INT(has(c, n, cases[i].never), 0);
        }
        for (size_t k = 0; k < n; k++) {
            T_CHECK(strcmp(c[k].term, cases[i].q) != 0);
            T_CHECK(c[k].how != 0);
            T_EQ_INT(c[k].len, strlen(c[k].term));
        }
    }

    /* The details of one answer. */
    struct typo_cand c[4];
    size_t n = typo_find(d, "lefevre", 7, c, 4, NULL);
    T_EQ_INT(n, 2);
    T_EQ_STR(c[0].term, "lefebvre");
    T_EQ_INT(c[0].n, 1018);
    T_EQ_INT(c[0].dist, 1);
    T_EQ_INT(c[0].how, TYPO_EDIT | TYPO_SOUND);
    T_EQ_INT(c[1].how, TYPO_EDIT | TYPO_SOUND);
    /* philippot has 9 letters: two edits from filippot are allowed. */
    n = typo_find(d, "filippot", 8, c, 4, NULL);
    T_EQ_INT(n, 1);
    T_EQ_INT(c[0].how, TYPO_EDIT | TYPO_SOUND);
    T_EQ_INT(c[0].dist, 2);
    n = typo_find(d, "filipot", 7, c, 4, NULL);
    T_EQ_INT(n, 1);
    T_EQ_INT(c[0].how, TYPO_SOUND);
    T_EQ_INT(c[0].dist, 3);
    /* max cuts the list; a zero max, an empty or over-long word give
     * nothing. */
    T_EQ_INT(typo_find(d, "martn", 5, c, 1, NULL), 1);
    T_EQ_STR(c[0].term, "martin");
    T_EQ_INT(typo_find(d, "martn", 5, c, 0, NULL), 0);
    T_EQ_INT(typo_find(d, "", 0, c, 4, NULL), 0);
    char longw[TYPO_MAX_WORD + 2];
    memset(longw, 'a', sizeof(longw));
    T_EQ_INT(typo_find(d, longw, sizeof(longw), c, 4, NULL), 0);
    typo_dict_free(d);
    sqlite3_close(db);
}

static const struct {
    const char *a, *b;
    int limit, want;
} dist_cases[] = {
    {"martin", "martin", 2, 0},
    {"martin", "mratin", 2, 1},
    {"martin", "martn", 2, 1},
    {"martin", "marttin", 2, 1},
    {"martin", "marton", 2, 1},
    {"martin", "amrtni", 2, 2},
    {"ca", "abc", 5, 3}, /* OSA: no edit of a transposed pair */
    {"", "abc", 5, 3},
    {"abc", "", 5, 3},
    {"abcdef", "ghijkl", 2, 3},
    {"abcdef", "ghijkl", 9, 6},
    {"lefevre", "lefebvre", 1, 1},
};

static void test_distance(void)
{
    for (size_t i = 0; i < sizeof(dist_cases) / sizeof(*dist_cases); i++) {
        const char *a = dist_cases[i].a, *b = dist_cases[i].b;
        T_EQ_INT(typo_distance(a, strlen(a), b, strlen(b), dist_cases[i].limit),
                 dist_cases[i].want);
    }
}

/* A deterministic PRNG (xorshift), so a failure repeats. */
static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void make_word(char *w, size_t cap)
{
    static const char *const start[] = {
        "bar", "ber", "bou", "cha", "che", "da",   "de",  "du",  "fa",
        "ga",  "gau", "la",  "le",  "ma",  "mar",  "mo",  "pe",  "per",
        "ro",  "sa",  "ta",  "ver", "vi",  "kerg", "lef", "dup", "mart"};
    static const char *const mid[] = {"li", "ri", "bo", "de",  "ma",  "ne",
                                      "ro", "ti", "ve", "gne", "cha", "la"};
    static const char *const end[] = {
        "neau", "not", "rand", "rin",  "lin",  "let",  "lon",
        "mont", "val", "tier", "dier", "nier", "vier", "ot",
        "oux",  "y",   "ac",   "in",   "et",   "on",   "el",
        "er",   "ain", "ou",   "is",   "e",    "ard",  "aud"};
    size_t nm = rnd(3);
    w[0] = '\0';
    size_t l = 0;
    const char *parts[5];
    size_t np = 0;
    parts[np++] = start[rnd(sizeof(start) / sizeof(*start))];
    for (size_t i = 0; i < nm; i++)
        parts[np++] = mid[rnd(sizeof(mid) / sizeof(*mid))];
    parts[np++] = end[rnd(sizeof(end) / sizeof(*end))];
    for (size_t i = 0; i < np; i++) {
        size_t pl = strlen(parts[i]);
        if (l + pl + 1 > cap)
            break;
        memcpy(w + l, parts[i], pl);
        l += pl;
        w[l] = '\0';
    }
}

/* One random edit of w, anywhere (the first letter too). */
static void random_edit(char *w, size_t cap)
{
    size_t n = strlen(w);
    size_t pos = rnd((unsigned)n);
    char c = (char)('a' + rnd(26));
    switch (rnd(4)) {
    case 0:
        if (n + 2 > cap)
            return;
        memmove(w + pos + 1, w + pos, n - pos + 1);
        w[pos] = c;
        break;
    case 1:
        if (n > 1)
            memmove(w + pos, w + pos + 1, n - pos);
        break;
    case 2:
        w[pos] = c;
        break;
    default:
        if (pos + 1 < n) {
            char t = w[pos];
            w[pos] = w[pos + 1];
            w[pos + 1] = t;
        }
        break;
    }
}

#define NWORDS 40000
#define NQUERIES 400

static void test_random(void)
{
    sqlite3 *db = new_db();
    char(*dict)[48] = xmalloc(NWORDS * sizeof(*dict));
    exec_or_die(db, "BEGIN");
    for (size_t i = 0; i < NWORDS; i++) {
        make_word(dict[i], sizeof(dict[i]));
        add_term(db, dict[i], 1 + (int)rnd(1000));
    }
    exec_or_die(db, "COMMIT");
    struct typo_dict *d = typo_dict_load(db);
    T_CHECK(d != NULL);
    if (!d) {
        free(dict);
        return;
    }
    size_t nd = typo_dict_size(d);
    /* The distinct words, for the brute force. */
    sqlite3_stmt *st;
    char(*all)[48] = xmalloc(nd * sizeof(*all));
    size_t na = 0;
    sqlite3_prepare_v2(db, "SELECT term FROM name_term", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW && na < nd)
        snprintf(all[na++], sizeof(all[0]), "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    T_EQ_INT(na, nd);

    int missed = 0, extra = 0, truncs = 0;
    double t0 = now_s(), worst = 0;
    for (int qn = 0; qn < NQUERIES; qn++) {
        char q[64];
        snprintf(q, sizeof(q), "%s", dict[rnd(NWORDS)]);
        int edits = 1 + (int)rnd(2);
        for (int e = 0; e < edits; e++)
            random_edit(q, sizeof(q));
        size_t ql = strlen(q);
        int k = typo_max_edits(ql + 1);
        static struct typo_cand c[2048];
        int trunc;
        double t1 = now_s();
        size_t n = typo_find(d, q, ql, c, 2048, &trunc);
        double el = now_s() - t1;
        if (el > worst)
            worst = el;
        truncs += trunc;
        /* Every word within k edits must be there, marked TYPO_EDIT with
         * its distance; every TYPO_EDIT one must be within k. */
        for (size_t i = 0; i < na; i++) {
            size_t tl = strlen(all[i]);
            int allowed = typo_max_edits(tl > ql ? tl : ql);
            if (allowed > k)
                allowed = k; /* the search looks one letter longer */
            int dist = typo_distance(q, ql, all[i], tl, allowed);
            int at = has(c, n, all[i]);
            if (dist <= allowed && dist > 0) {
                if (!at || !(c[at - 1].how & TYPO_EDIT) ||
                    c[at - 1].dist != dist) {
                    if (missed < 5)
                        fprintf(stderr, "  %s: missed %s (%d)\n", q, all[i],
                                dist);
                    missed++;
                }
            } else if (at && (c[at - 1].how & TYPO_EDIT)) {
                if (extra < 5)
                    fprintf(stderr, "  %s: extra %s\n", q, all[i]);
                extra++;
            }
        }
        /* Sound-alikes share the key. */
        char kq[64], kt[64];
        phon_key(q, ql, kq);
        for (size_t i = 0; i < n; i++)
            if (c[i].how == TYPO_SOUND) {
                phon_key(c[i].term, c[i].len, kt);
                T_EQ_STR(kt, kq);
            }
        /* Best first. */
        for (size_t i = 1; i < n; i++) {
            int r0 = 2 * c[i - 1].dist - !!(c[i - 1].how & TYPO_SOUND);
            int r1 = 2 * c[i].dist - !!(c[i].how & TYPO_SOUND);
            T_CHECK(r0 < r1 || (r0 == r1 && c[i - 1].n >= c[i].n));
        }
    }
    double total = now_s() - t0;
    T_EQ_INT(missed, 0);
    T_EQ_INT(extra, 0);
    T_EQ_INT(truncs, 0);
    (void)total;
    /* Timing alone, without the brute force. */
    t0 = now_s();
    for (int qn = 0; qn < 2000; qn++) {
        char q[64];
        snprintf(q, sizeof(q), "%s", dict[rnd(NWORDS)]);
        random_edit(q, sizeof(q));
        struct typo_cand c[16];
        typo_find(d, q, strlen(q), c, 16, NULL);
    }
    printf("typo_find: %zu words, %.1f us per lookup, worst %.1f us\n", nd,
           (now_s() - t0) / 2000 * 1e6, worst * 1e6);
    free(all);
    free(dict);
    typo_dict_free(d);
    sqlite3_close(db);
}

static void test_failures(void)
{
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    /* No name_term table: NULL, logged. */
    T_CHECK(typo_dict_load(db) == NULL);
    sqlite3_close(db);
    /* An empty table: an empty dictionary that finds nothing. */
    db = new_db();
    struct typo_dict *d = typo_dict_load(db);
    T_CHECK(d != NULL);
    struct typo_cand c[4];
    T_EQ_INT(typo_dict_size(d), 0);
    T_EQ_INT(typo_find(d, "martin", 6, c, 4, NULL), 0);
    T_EQ_INT(typo_count(d, "martin", 6), 0);
    typo_dict_free(d);
    /* NULL dictionary: nothing, no crash. */
    T_EQ_INT(typo_find(NULL, "martin", 6, c, 4, NULL), 0);
    T_EQ_INT(typo_count(NULL, "martin", 6), 0);
    typo_dict_free(NULL);
    /* Empty words and NULL keys are skipped or tolerated. */
    exec_or_die(db, "INSERT INTO name_term VALUES ('', 3, 'x'), "
                    "('martin', 5, NULL)");
    d = typo_dict_load(db);
    T_EQ_INT(typo_dict_size(d), 1);
    T_EQ_INT(typo_find(d, "martn", 5, c, 4, NULL), 1);
    typo_dict_free(d);
    sqlite3_close(db);
}

/* Another table of the same layout (structure_term), and the words a
 * prefix begins. */
static void test_table_prefix(void)
{
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    exec_or_die(db, "CREATE TABLE structure_term (term TEXT PRIMARY KEY,"
                    " n INTEGER NOT NULL, phon TEXT) WITHOUT ROWID;"
                    "INSERT INTO structure_term VALUES ('moulin', 9, 'm'),"
                    " ('moulineaux', 2, 'm'), ('moulins', 3, 'm'),"
                    " ('mozart', 4, 'm'), ('paix', 5, 'p')");
    T_CHECK(typo_dict_load(db) == NULL); /* no name_term there */
    struct typo_dict *d = typo_dict_load_table(db, "structure_term");
    T_CHECK(d != NULL);
    T_EQ_INT(typo_dict_size(d), 5);
    const char *w[4];
    T_EQ_INT(typo_prefix_words(d, "moul", 4, w, 4), 3);
    T_EQ_STR(w[0], "moulin");
    T_EQ_STR(w[1], "moulineaux");
    T_EQ_STR(w[2], "moulins");
    /* More than max: the count, the first max written. */
    T_EQ_INT(typo_prefix_words(d, "mo", 2, w, 2), 4);
    T_EQ_STR(w[1], "moulineaux");
    T_EQ_INT(typo_prefix_words(d, "moulinx", 7, w, 4), 0);
    T_EQ_INT(typo_prefix_words(d, "paix", 4, w, 4), 1);
    T_EQ_INT(typo_prefix_words(NULL, "paix", 4, w, 4), 0);
    struct typo_cand c[4];
    T_EQ_INT(typo_find(d, "mouiln", 6, c, 4, NULL) >= 1, 1);
    T_EQ_STR(c[0].term, "moulin");
    typo_dict_free(d);
    sqlite3_close(db);
}

int main(void)
{
    log_set_prog("test_typo");
    test_table_prefix();
    test_distance();
    test_cases();
    test_failures();
    test_random();
    return t_done();
}
