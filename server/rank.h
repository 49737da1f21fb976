/* How well a person's folded names match a search's name words: pure
 * functions over strings (no database, no state), so that the order of a
 * page can be unit-tested directly (tests/test_rank.c). A person ranks by
 * word tiers first (how many words match only through a typo or
 * sound-alike neighbour, and how far down their lists; only as a prefix;
 * only in the first name), then by FTS5's bm25 of the whole match
 * computed from the names, then by pid (the order fixed at import).
 * Words are the space-separated parts of the folded names, as FTS5's
 * tokenizer sees them. search_int.h's rank_match() applies this to a
 * match read whole. */
#ifndef RANK_H
#define RANK_H
#include <stddef.h>

#include "typo.h"

/* Where a word must match: the family name (last and joined), the first
 * name, or either. */
enum { COL_FAM = 1, COL_FIRST = 2, COL_ANY = 3 };

/* Neighbours kept per word (text.c fills them): a typo or sound-alike
 * word, or a compound first name split in two ("anne sophie"). */
#define RANK_ALT_MAX 6
#define RANK_ALT_LEN (TYPO_MAX_WORD + 3)

/* One name word of the search, as the ranking reads it. */
struct rank_word {
    const char *s;                    /* folded */
    int cols;                         /* COL_* */
    const char (*alts)[RANK_ALT_LEN]; /* its neighbours, best first */
    int nalt;                         /* (0 but in the second reading) */
    double idf;                       /* bm25's, from its frequency */
};

/* One person's place in the order. */
struct rank_cand {
    long long pid;
    int ntypo, altrank, nprefix, nfirst;
    double bm25;
};

/* How t (tl bytes) matches a word of s: 2 a whole word, 1 a prefix of
 * one, 0 none; *prefix gets the same when it is not a whole word. */
int rank_word_class(const char *t, size_t tl, const char *s, int *prefix);
/* 1 + the first of the n words of alts (best first) that is a whole word
 * of s (a split, "anne sophie": two consecutive words), or 0. */
int rank_alt_in(const char (*alts)[RANK_ALT_LEN], int n, const char *s);
/* Where w matches a person: 0 exact family word (or the joined family
 * name), 1 exact first-name word, 2 family prefix, 3 first-name prefix,
 * -1 nowhere. */
int rank_tok_class(const struct rank_word *w, const char *last,
                   const char *first, const char *join);
/* The tiers of one person into cd (its pid and bm25 untouched). -1 if
 * strict and a word matches nowhere (the person would not be in the
 * match). */
int rank_tiers(const struct rank_word *w, int n, struct rank_cand *cd,
               const char *last, const char *first, const char *join,
               int strict);
/* FTS5's bm25() of the whole match for one row, from its folded names:
 * per word, tf = the words of its columns it begins, idf its own; dl = the
 * row's word count; k1 = 1.2, b = 0.75 as FTS5; avgdl the words per row of
 * the index. FTS5's own bm25() first counts every phrase's whole match for
 * its idf: tens of milliseconds for a short prefix, more than the search.
 * Lower is better, as FTS5's. */
double rank_bm25(const struct rank_word *w, int n, double avgdl,
                 const char *last, const char *first, const char *join);
/* qsort() order of struct rank_cand: tiers, bm25, pid. */
int rank_cmp(const void *a, const void *b);
/* The k best of cd[0..n) (k < n) into cd[0..k), sorted; the others after
 * them in no order. */
void rank_best_first(struct rank_cand *cd, size_t n, size_t k);
#endif
