/* Typo and sound-alike candidates for a name word: given a folded query word
 * that may be misspelt, the dictionary words (name_term: every distinct
 * word of the folded family names, first names and joined family names)
 * within a few edits of it, and those with the same French phonetic key
 * (common/phonetic.c). The search then asks the full-text index for those
 * words, below exact and prefix matches. This module only proposes words;
 * it does not search or rank professionals.
 *
 * The dictionary is read once from a database into memory (a sorted array:
 * about 60 k words for 200 k professionals, a few hundred thousand at full
 * scale, a few megabytes) and is immutable after, so one copy may serve
 * every thread of a database generation. */
#ifndef TYPO_H
#define TYPO_H
#include <stddef.h>
#include <sqlite3.h>

struct typo_dict;

/* Reads name_term (term, n, phon) from db. Returns the dictionary (free it
 * with typo_dict_free()), or NULL after logging why (no such table, a
 * read error, more words than TYPO_MAX_TERMS). An empty table gives an
 * empty dictionary. */
struct typo_dict *typo_dict_load(sqlite3 *db);
/* The same from another table of name_term's layout (structure_term). */
struct typo_dict *typo_dict_load_table(sqlite3 *db, const char *table);
void typo_dict_free(struct typo_dict *d);

/* A cap on the dictionary (offsets are 32-bit), far above any real one. */
#define TYPO_MAX_TERMS 50000000u

/* Number of words in d. */
size_t typo_dict_size(const struct typo_dict *d);

/* How many professionals carry the word w[0..n) (name_term.n), 0 if it is
 * not a dictionary word. */
unsigned typo_count(const struct typo_dict *d, const char *w, size_t n);

/* How many professionals carry a word that begins with w[0..n) (w itself
 * included; a person carrying two such words counts twice), or some
 * number above cap once the sum passes it: the reader of a word being
 * typed only compares it with a town's activities, and the bound keeps
 * a short prefix (thousands of words) to cap + 1 words read. */
unsigned typo_prefix_count(const struct typo_dict *d, const char *w, size_t n,
                           unsigned cap);

/* The words that begin with w[0..n) (w itself included), the first max
 * of them in byte order into out (borrowed from d): their number, which
 * may exceed max. */
size_t typo_prefix_words(const struct typo_dict *d, const char *w, size_t n,
                         const char **out, size_t max);

/* Edits allowed for a word of n letters: 0 below 5, 1 from 5, 2 from 9
 * (the rule: short words have too many neighbours for a typo to be
 * told from another name). Between a query word and a dictionary word, n
 * is the longer one's length. */
int typo_max_edits(size_t n);

/* Words longer than this get no typo search (no real name word is). */
#define TYPO_MAX_WORD 40

enum {
    TYPO_EDIT = 1,  /* within typo_max_edits() edits */
    TYPO_SOUND = 2, /* same phonetic key */
};

struct typo_cand {
    const char *term; /* NUL-terminated, borrowed from the dictionary */
    size_t len;
    unsigned n;         /* professionals carrying it */
    unsigned char dist; /* edits from the query word (Damerau-Levenshtein,
                         * optimal string alignment: insertion, deletion,
                         * substitution, transposition of neighbours) */
    unsigned char how;  /* TYPO_EDIT and/or TYPO_SOUND */
};

/* Fills out with at most max candidates for the folded word w[0..n): the
 * dictionary words t within typo_max_edits(max(n, |t|)) edits (t at most
 * typo_max_edits(n + 1) edits away: a 9-letter word may be typed with one
 * letter missing, not two), and those whose
 * phonetic key is phon_key(w) (at most TYPO_MAX_SOUND of them, the most
 * frequent), never w itself. Best first: fewer edits (a sound-alike counts
 * as half an edit closer), then more professionals, then the word. Returns
 * the number written.
 *
 * Bounded work: the edit search walks the sorted words as a trie, dropping
 * a whole prefix range as soon as no word in it can be close enough, and
 * gives up after TYPO_MAX_CELLS distance cells (then it returns what it has
 * found; *truncated, if not NULL, is set). Thread-safe: d is only read. */
size_t typo_find(const struct typo_dict *d, const char *w, size_t n,
                 struct typo_cand *out, size_t max, int *truncated);

#define TYPO_MAX_SOUND 64
/* About 1 ms of work on one core; a real query needs a few percent. */
#define TYPO_MAX_CELLS 2000000

/* The optimal-string-alignment distance between a and b, stopping at
 * limit + 1 (returns limit + 1 for anything farther). For tests and for
 * ranking. */
int typo_distance(const char *a, size_t an, const char *b, size_t bn,
                  int limit);
#endif
