/* The inside of struct understand (understand.h), shared by its lexicon
 * (understand_load.c: the phrase table, the labels, the town index, built
 * once per database file) and its reader of queries (understand.c). */
#ifndef UNDERSTAND_INT_H
#define UNDERSTAND_INT_H
#include <stddef.h>
#include <stdint.h>

#include "understand.h"

/* One phrase people type and what it means. Codes are comma-separated; any
 * of them matches. labels: '|'-separated folded words that, found whole in
 * a specialty's label, add its code. */
struct concept {
    const char *phrase; /* folded words, single spaces */
    const char *professions, *specialties, *labels;
    const char *title, *mode;
};

/* The phrase table (understand_load.c), understand_nconcepts entries. */
extern const struct concept understand_concepts[];
extern const size_t understand_nconcepts;
/* Words in the longest phrase above. */
#define MAX_PHRASE 4

struct label {
    char *list, *code, *label;
};

struct resolved {
    const char **prof, **spec; /* NULL-terminated */
};

struct understand {
    const struct geo *geo;
    const struct typo_dict *dict;
    struct label *labels; /* sorted by list, code */
    size_t nlabels;
    struct resolved *res; /* one per concept */
    int *bylen;           /* concepts sorted by phrase, for bisection */
    char **joined;        /* each phrase without its spaces */
    char **owned;         /* strings to free */
    size_t nowned, capowned;
    /* Town names with a typo: the names of the communes that have
     * activities, each under its own hash and the hash of each of its
     * one-letter deletions (a word within one edit of a name shares
     * one of them: "belfrot" and "belfort" both give "belfot"). Open
     * addressing; candidates are checked with typo_distance(). */
    struct town_key {
        uint64_t h; /* 0 = empty */
        int commune;
    } * towns;
    size_t cap_towns;
};

/* The commune (most activities) whose name is one edit from w (words
 * joined by spaces), or -1. */
int understand_town_typo(const struct understand *u, const char *w);
#endif
