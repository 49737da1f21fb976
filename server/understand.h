/* What a free-text query means: the folded words of `q` read as profession
 * words and their common forms (dentiste, kiné, sage-femme, infirmière,
 * pharmacie...), specialty words (cardiologue, ORL, gynéco, ophtalmo,
 * orthodontiste, généraliste...), a title (docteur, Pr), a mode (libéral),
 * a place (postal code, department number, INSEE code, commune name with
 * or without hyphens and accents, St/Ste for Saint/Sainte, "paris 11" for
 * an arrondissement), and the rest: name words. Each recognised run of
 * words becomes the filter it names; understand_json() says how the query
 * was read, so a person can see why.
 *
 * A commune name that is also a family or first name (PARIS, FONTAINE,
 * MARIE) is read as the place only when the database has more activities
 * in that commune than professionals carrying the name; the reading is
 * then marked ambiguous, and a search that finds nothing may try
 * understand_place_as_name(). The last word, while it is being typed, is
 * a prefix: it is read as a place only when the town has more activities
 * than people carry names it begins (BLANC... before the hamlet of Blan),
 * and the other reading is offered. It does not search: search.c turns
 * the result into SQL. */
#ifndef UNDERSTAND_H
#define UNDERSTAND_H
#include <stddef.h>
#include <jansson.h>
#include <sqlite3.h>

#include "geo.h"
#include "typo.h"

/* The lexicon: the phrase tables, the specialty codes their labels name in
 * this database, the code labels, and the commune index and name
 * dictionary it borrows (they must outlive it). Immutable after load. */
struct understand;

/* Builds the lexicon for db (reads its `code` table; a missing or empty
 * one leaves the built-in codes). geo and dict may be NULL: no places, no
 * name counts. NULL after logging on a read error. */
struct understand *understand_load(sqlite3 *db, const struct geo *geo,
                                   const struct typo_dict *dict);
void understand_free(struct understand *u);

/* The label of a code in this database's `code` table (list "profession",
 * "specialty", "title", "mode"), or NULL. Borrowed from u. */
const char *understand_label(const struct understand *u, const char *list,
                             const char *code);

/* Caps: the API takes at most UND_MAX_WORDS words in q (longer queries are
 * not names people type), each at most UND_WORD_MAX - 1 bytes folded. */
#define UND_MAX_WORDS 12
#define UND_WORD_MAX 64
#define UND_MAX_CODES 24
#define UND_MAX_COMMUNES 64

enum und_role {
    UND_NAME,
    UND_PROFESSION, /* profession and/or specialty codes */
    UND_TITLE,
    UND_MODE,
    UND_PLACE,
    UND_IGNORED, /* "à" before a place, a stray number */
};

enum und_place {
    UND_PLACE_NONE,
    UND_PLACE_COMMUNE,  /* communes[] (with their arrondissements) */
    UND_PLACE_POSTCODE, /* postcode, and communes[] when La Poste knows it */
    UND_PLACE_DEPT,     /* dept */
};

/* A run of query words and what it became. */
struct und_phrase {
    size_t first, n; /* words[first .. first + n) */
    int role;        /* enum und_role */
    int concept;     /* the lexicon entry (profession, title, mode), or -1 */
    int typo;        /* recognised despite a typo ("cardiologe") */
};

struct understood {
    char words[UND_MAX_WORDS][UND_WORD_MAX]; /* the folded words of q */
    size_t nwords;
    struct und_phrase phrase[UND_MAX_WORDS]; /* in query order */
    size_t nphrases;
    /* Filters; codes are borrowed from the lexicon. Within a list any code
     * matches (généraliste: SM53, SM54 or SM26). */
    const char *professions[UND_MAX_CODES];
    size_t nprofessions;
    const char *specialties[UND_MAX_CODES];
    size_t nspecialties;
    const char *title; /* "DR", "PR" or NULL */
    const char *mode;  /* "L", "S" or NULL */
    struct {
        int kind;      /* enum und_place */
        size_t phrase; /* its entry in phrase[] */
        char postcode[6], dept[4];
        int communes[UND_MAX_COMMUNES]; /* geo indexes: the communes of that
                                         * name, most activities first, then
                                         * their arrondissements */
        size_t ncommunes;
        size_t nnamed; /* how many of communes[] the words named */
        int ambiguous; /* the words are also a name in the dictionary */
    } place;
    size_t names[UND_MAX_WORDS]; /* name words: indexes into words[] */
    size_t nnames;
    /* The last word is being typed (q does not end with a space or other
     * separator): it weighs as the names it begins, not only as itself. */
    int typing;
    /* A place reading of words that end with the one being typed was
     * declined for the names it begins ("blan": BLANC...), and the word
     * once completed would be read so: understand_json() offers that
     * reading as "alternative". */
    int place_declined;
    int place_only; /* understand_place_text(): no names, no lexicon */
};

/* Reads the query q[0..n) (UTF-8, as the client sent it) into out.
 * Returns 0, or -1 when it has more than UND_MAX_WORDS words or a word
 * longer than UND_WORD_MAX - 1 bytes (the caller answers 400). */
int understand_query(const struct understand *u, const char *q, size_t n,
                     struct understood *out);

/* Reads s[0..n) (a city= value: "Saint-Étienne", "paris 9e
 * arrondissement", "lyon 3ème") as a commune and nothing else: no name
 * weighs against it, no lexicon word is read. Returns 0 when every word
 * is the one commune place (a connector such as "à" may precede it),
 * else -1 (out is then of no use). */
int understand_place_text(const struct understand *u, const char *s, size_t n,
                          struct understood *out);

/* The other reading of an ambiguous place: its words become name words
 * and the place filter goes. */
void understand_place_as_name(struct understood *x);

/* {"name": [...], "profession": [{"code", "label", "from"}], "specialty":
 * [...], "title": {...}, "mode": {...}, "place": {"kind", "from", ...},
 * "ignored": [...], "typos": [{"from", "as"}], "alternative": {the same
 * keys, and "q"}}: only the keys that apply. "alternative" is the reading
 * with the word being typed completed, when a place was declined for it;
 * its "q" is the query that reads so. The caller owns the result. */
json_t *understand_json(const struct understand *u, const struct geo *geo,
                        const struct understood *x);
#endif
