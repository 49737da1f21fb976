/* The search's in-memory lexicon for one database file: the name
 * dictionary (typo.h), the commune table (geo.h) and the query reader built
 * on both (understand.h). Loading reads name_term, the commune tables and
 * the activity counts (about a second at full scale, two threads), so it
 * is done once per database generation and shared by every connection of
 * that generation: the lexicon is immutable and reference-counted, and
 * the last lex_unref() frees it. */
#ifndef LEX_H
#define LEX_H
#include <stdatomic.h>

#include "geo.h"
#include "typo.h"
#include "understand.h"

struct lex {
    struct typo_dict *dict;
    struct geo *geo;
    struct understand *und;
    double load_ms; /* how long lex_load() took */
    atomic_int refs;
};

/* Loads the lexicon of the database file at path (opened read-only, twice:
 * the dictionary and the communes load in parallel). One reference, the
 * caller's. Without commune tables (imported with --communes none) geo is
 * NULL and places are not understood; NULL after logging if the name
 * dictionary cannot be read. */
struct lex *lex_load(const char *path);

/* Takes another reference (NULL-safe); returns l. */
struct lex *lex_ref(struct lex *l);
/* Drops one; the last frees the lexicon (NULL-safe). */
void lex_unref(struct lex *l);
#endif
