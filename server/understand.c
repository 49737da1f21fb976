/* Reading a free-text query. See understand.h.
 *
 * The words are read left to right; at each word the longest reading wins,
 * in this order: a phrase of the lexicon (up to four words: "chirurgien
 * dentiste", "masseur kinesitherapeute"), a number (postal code, INSEE
 * code, department, or an arrondissement after Paris, Lyon or Marseille),
 * a commune name (the longest run of words that names one: "saint martin
 * d heres"). Whatever is left is a name word. Only one place is taken; a
 * second one stays name text.
 *
 * Specialty codes come from two sources: the codes written in the table
 * below (those the extracts carry), and the codes
 * whose label in this database contains the phrase's label words
 * ("cardiologie"), so a code the table does not list is still found. */
#include "understand_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "places.h"
#include "util.h"
#include "banned.h"
/* Words before a place that only say "in" or "near", or that a
 * department number follows ("département 90", "dept 2A", "dép. 974"):
 * dropped there. */
static const char *const connectors[] = {
    "a",   "au",   "aux",         "sur",    "dans", "vers", "pres",
    "de",  "du",   "autour",      "proche", "cote", "en",   "near",
    "dep", "dept", "departement", "dpt",    NULL,
};

/* The concept whose phrase is exactly s, or -1. */
static int find_concept(const struct understand *u, const char *s)
{
    size_t lo = 0, hi = understand_nconcepts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(understand_concepts[u->bylen[mid]].phrase, s);
        if (c == 0)
            return u->bylen[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Words i..i+n-1 of x joined by sep (0: no separator) into out. */
static size_t join_words(const struct understood *x, size_t i, size_t n,
                         char sep, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t k = i; k < i + n; k++) {
        size_t l = strlen(x->words[k]);
        if (o + l + 2 > cap)
            break;
        if (k > i && sep)
            out[o++] = sep;
        memcpy(out + o, x->words[k], l);
        o += l;
    }
    out[o] = '\0';
    return o;
}

/* The longest lexicon phrase at word i: sets *len, returns the concept or
 * -1. A phrase also matches written as one word ("sagefemme"), and a
 * one-word phrase with a plural s. */
static int match_concept(const struct understand *u, const struct understood *x,
                         size_t i, size_t *len)
{
    char buf[MAX_PHRASE * UND_WORD_MAX];
    for (size_t n = MAX_PHRASE; n >= 1; n--) {
        if (i + n > x->nwords)
            continue;
        join_words(x, i, n, ' ', buf, sizeof(buf));
        int c = find_concept(u, buf);
        if (c >= 0) {
            *len = n;
            return c;
        }
    }
    const char *w = x->words[i];
    size_t wl = strlen(w);
    for (size_t k = 0; k < understand_nconcepts; k++)
        if (strchr(understand_concepts[k].phrase, ' ') &&
            strcmp(u->joined[k], w) == 0) {
            *len = 1;
            return (int)k;
        }
    if (wl > 3 && (w[wl - 1] == 's' || w[wl - 1] == 'x')) {
        char stem[UND_WORD_MAX];
        memcpy(stem, w, wl - 1);
        stem[wl - 1] = '\0';
        int c = find_concept(u, stem);
        if (c >= 0) {
            *len = 1;
            return c;
        }
    }
    return -1;
}

static int same_codes(const char *const *a, const char *const *b)
{
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return 0;
    return !*a && !*b;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* 1 if concepts a and b mean the same (cardiologue, cardiologie). */
static int same_meaning(const struct understand *u, int a, int b)
{
    return same_codes(u->res[a].prof, u->res[b].prof) &&
           same_codes(u->res[a].spec, u->res[b].spec) &&
           same_str(understand_concepts[a].title,
                    understand_concepts[b].title) &&
           same_str(understand_concepts[a].mode, understand_concepts[b].mode);
}

/* A one-word phrase within typo_max_edits() of w (w itself no name in the
 * dictionary), if exactly one is closest; else -1. Words under 6 letters
 * are left alone: too many short words are a letter apart. */
static int typo_concept(const struct understand *u, const char *w)
{
    size_t wl = strlen(w);
    if (wl < 6 || wl >= UND_WORD_MAX)
        return -1;
    int k = typo_max_edits(wl), best = k + 1, found = -1, ties = 0;
    for (size_t c = 0; c < understand_nconcepts; c++) {
        const char *p = understand_concepts[c].phrase;
        size_t pl = strlen(p);
        if (strchr(p, ' ') || pl < 6)
            continue;
        int d = typo_distance(w, wl, p, pl, k);
        if (d < best) {
            best = d;
            found = (int)c;
            ties = 0;
        } else if (d == best && d <= k && !same_meaning(u, found, (int)c)) {
            ties++; /* two meanings as close: no guess */
        }
    }
    return best <= k && !ties ? found : -1;
}

static void add_codes(const char **v, size_t *n, const char *const *codes)
{
    for (; codes && *codes; codes++) {
        size_t k;
        for (k = 0; k < *n; k++)
            if (strcmp(v[k], *codes) == 0)
                break;
        if (k == *n && *n < UND_MAX_CODES)
            v[(*n)++] = *codes;
    }
}

static void take_concept(const struct understand *u, struct understood *x,
                         int c)
{
    add_codes(x->professions, &x->nprofessions, u->res[c].prof);
    add_codes(x->specialties, &x->nspecialties, u->res[c].spec);
    if (understand_concepts[c].title)
        x->title = understand_concepts[c].title;
    if (understand_concepts[c].mode)
        x->mode = understand_concepts[c].mode;
}

static int concept_role(int c)
{
    if (understand_concepts[c].title)
        return UND_TITLE;
    if (understand_concepts[c].mode)
        return UND_MODE;
    return UND_PROFESSION;
}

static void add_phrase(struct understood *x, size_t first, size_t n, int role,
                       int concept, int typo)
{
    x->phrase[x->nphrases++] =
        (struct und_phrase){first, n, role, concept, typo};
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* An arrondissement number: "11", "11e", "11eme", "1er", "1ere". */
static int arr_number(const char *w)
{
    size_t n = 0;
    while (w[n] >= '0' && w[n] <= '9')
        n++;
    if (n == 0 || n > 2)
        return 0;
    const char *s = w + n;
    if (*s && strcmp(s, "e") != 0 && strcmp(s, "eme") != 0 &&
        strcmp(s, "er") != 0 && strcmp(s, "ere") != 0)
        return 0;
    return (w[0] - '0') * (n == 2 ? 10 : 1) + (n == 2 ? w[1] - '0' : 0);
}

static void place_add1(struct understood *x, int c)
{
    for (size_t k = 0; k < x->place.ncommunes; k++)
        if (x->place.communes[k] == c)
            return;
    if (x->place.ncommunes < UND_MAX_COMMUNES)
        x->place.communes[x->place.ncommunes++] = c;
}

/* 1 if some commune of cs[0..n) is an arrondissement of c. */
static int has_kid(const struct geo *geo, const int *cs, size_t n, int c)
{
    for (size_t k = 0; k < n; k++)
        if (geo_commune(geo, cs[k])->parent == c)
            return 1;
    return 0;
}

/* Sets the place's communes: those in cs[0..n) (most activities first),
 * then the arrondissements of each. When a city and its arrondissement
 * are both there, a name keeps the city (La Poste labels Lyon's postal
 * codes "LYON"), a postal code (kids_first) the arrondissement (75011 is
 * the 11th, not all Paris). */
static void place_set(const struct geo *geo, struct understood *x,
                      const int *cs, size_t n, int kids_first)
{
    x->place.ncommunes = 0;
    for (size_t i = 0; i < n; i++) {
        int p = geo ? geo_commune(geo, cs[i])->parent : -1;
        size_t k;
        for (k = 0; p >= 0 && k < n; k++)
            if (cs[k] == p)
                break;
        int city_there = p >= 0 && k < n;
        if (kids_first ? !(geo && has_kid(geo, cs, n, cs[i])) : !city_there)
            place_add1(x, cs[i]);
    }
    x->place.nnamed = x->place.ncommunes;
    for (size_t i = 0; i < x->place.nnamed; i++) {
        const int *kids;
        size_t nk = geo ? geo_children(geo, x->place.communes[i], &kids) : 0;
        for (size_t k = 0; k < nk; k++)
            place_add1(x, kids[k]);
    }
}

/* A number at word i as a place: 1 if it is a new place phrase, 2 if it
 * extends the place just read ("paris 11"), 0 if it is no place. */
static int number_place(const struct understand *u, struct understood *x,
                        size_t i)
{
    const char *w = x->words[i];
    size_t wl = strlen(w);
    const struct geo *geo = u->geo;
    int cs[UND_MAX_COMMUNES];
    /* "paris 11", "lyon 3e": the arrondissement of the city just read. */
    if (x->place.kind == UND_PLACE_COMMUNE && x->nphrases &&
        x->place.phrase == x->nphrases - 1 && geo) {
        int n = arr_number(w);
        const int *kids;
        int city = x->place.communes[0];
        size_t nk = geo_children(geo, city, &kids);
        if (n >= 1 && (size_t)n <= nk) {
            place_set(geo, x, &kids[n - 1], 1, 0);
            x->phrase[x->nphrases - 1].n++;
            return 2;
        }
    }
    if (x->place.kind != UND_PLACE_NONE)
        return 0;
    char up[8];
    size_t npc = 0;
    /* Five characters: a postal code La Poste knows, else an INSEE code,
     * else a postal code of a known department (CEDEX codes are in no
     * table). */
    if (wl == 5 && all_digits(w, 5)) {
        npc = geo_by_postcode(geo, w, 5, cs, UND_MAX_COMMUNES);
        if (npc > 0) {
            x->place.kind = UND_PLACE_POSTCODE;
            memcpy(x->place.postcode, w, 6);
            place_set(geo, x, cs,
                      npc < UND_MAX_COMMUNES ? npc : UND_MAX_COMMUNES, 1);
            return 1;
        }
    }
    if (wl == 5 &&
        (all_digits(w, 5) || (w[0] == '2' && (w[1] == 'a' || w[1] == 'b') &&
                              all_digits(w + 2, 3)))) {
        memcpy(up, w, 6);
        up[1] = up[1] == 'a' ? 'A' : up[1] == 'b' ? 'B' : up[1];
        int c = geo_by_insee(geo, up, 5);
        if (c >= 0) {
            x->place.kind = UND_PLACE_COMMUNE;
            place_set(geo, x, &c, 1, 0);
            return 1;
        }
    }
    if (wl == 5 && all_digits(w, 5)) {
        char dept[4];
        if (places_dept_of_postcode(w, 5, dept) == 0 &&
            (!geo || geo_has_dept(geo, dept, strlen(dept)))) {
            x->place.kind = UND_PLACE_POSTCODE;
            memcpy(x->place.postcode, w, 6);
            return 1;
        }
    }
    /* Departments: 01-95 (not 20), 2A, 2B, 971-976. */
    int dept = 0;
    if (wl == 2 && all_digits(w, 2))
        dept = strcmp(w, "01") >= 0 && strcmp(w, "95") <= 0 &&
               strcmp(w, "20") != 0;
    else if (wl == 2 && w[0] == '2' && (w[1] == 'a' || w[1] == 'b'))
        dept = 1;
    else if (wl == 3 && all_digits(w, 3))
        dept = strcmp(w, "971") >= 0 && strcmp(w, "976") <= 0;
    if (dept) {
        memcpy(up, w, wl + 1);
        up[1] = up[1] == 'a' ? 'A' : up[1] == 'b' ? 'B' : up[1];
        if (geo && !geo_has_dept(geo, up, wl))
            return 0;
        x->place.kind = UND_PLACE_DEPT;
        memcpy(x->place.dept, up, wl + 1);
        return 1;
    }
    return 0;
}

/* The longest run of words from i that names a commune: its length (0 for
 * none), and the communes into cs (most activities first). */
static size_t commune_run(const struct understand *u,
                          const struct understood *x, size_t i, int *cs,
                          size_t *ncs)
{
    char run[UND_MAX_WORDS * (UND_WORD_MAX + 4)];
    size_t rl = 0, best = 0;
    if (!u->geo)
        return 0;
    for (size_t j = i; j < x->nwords; j++) {
        const char *w = x->words[j];
        /* St, Ste: Saint, Sainte, as places_fold_name() writes them. */
        if (strcmp(w, "st") == 0)
            w = "saint";
        else if (strcmp(w, "ste") == 0)
            w = "sainte";
        size_t wl = strlen(w);
        if (rl + wl + 2 > sizeof(run))
            break;
        if (j > i)
            run[rl++] = ' ';
        memcpy(run + rl, w, wl);
        rl += wl;
        run[rl] = '\0';
        size_t n = geo_by_name(u->geo, run, rl, cs, UND_MAX_COMMUNES);
        if (n > 0) {
            best = j - i + 1;
            *ncs = n < UND_MAX_COMMUNES ? n : UND_MAX_COMMUNES;
        }
        if (!geo_name_continues(u->geo, run, rl))
            break;
    }
    return best;
}

/* The longest run of words from i that names a department ("corse du
 * sud", "finistere", "la reunion"): its length (0 for none), the code into
 * dept. */
static size_t dept_run(const struct understand *u, const struct understood *x,
                       size_t i, char dept[4])
{
    char run[UND_MAX_WORDS * (UND_WORD_MAX + 1)];
    size_t rl = 0, best = 0;
    char d[4];
    if (!u->geo)
        return 0;
    for (size_t j = i; j < x->nwords; j++) {
        size_t wl = strlen(x->words[j]);
        if (rl + wl + 2 > sizeof(run))
            break;
        if (j > i)
            run[rl++] = ' ';
        memcpy(run + rl, x->words[j], wl);
        rl += wl;
        if (places_dept_by_name(run, rl, d) == 0 &&
            geo_has_dept(u->geo, d, strlen(d))) {
            best = j - i + 1;
            memcpy(dept, d, sizeof(d));
        }
        if (!places_dept_name_continues(run, rl))
            break;
    }
    return best;
}

/* Activities in department dept (a city counts its arrondissements'). */
static unsigned dept_activities(const struct geo *geo, const char *dept)
{
    unsigned n = 0;
    for (size_t i = 0; i < geo_count(geo); i++) {
        const struct geo_commune *c = geo_commune(geo, (int)i);
        if (c->parent < 0 && strcmp(c->dept, dept) == 0)
            n += c->activities;
    }
    return n;
}

/* How many professionals carry a name one edit from the words of
 * phrases f..l that nobody carries ("bernad": BERNARD): a town one edit
 * away must have more activities to be read instead ("belfrot": Belfort,
 * not BELFORT the family name). */
static unsigned typo_names(const struct understand *u,
                           const struct understood *x, size_t f, size_t l)
{
    unsigned sum = 0;
    for (size_t p = f; p <= l; p++) {
        const char *w = x->words[x->phrase[p].first];
        size_t wl = strlen(w);
        if (typo_count(u->dict, w, wl))
            continue;
        struct typo_cand cand[16];
        size_t k = typo_find(u->dict, w, wl, cand, 16, NULL);
        for (size_t j = 0; j < k; j++)
            if ((cand[j].how & TYPO_EDIT) && cand[j].dist <= 1)
                sum += cand[j].n;
    }
    return sum;
}

/* How many professionals carry the run of words as a name: the word's
 * count for one word, the joined form's for several (LE GOFF: legoff).
 * With typed, a run that ends with the word being typed counts the names
 * it begins (past cap, some number above it). */
static unsigned name_count(const struct understand *u,
                           const struct understood *x, size_t i, size_t n,
                           int typed, unsigned cap)
{
    char buf[UND_MAX_WORDS * UND_WORD_MAX];
    size_t l = join_words(x, i, n, 0, buf, sizeof(buf));
    if (typed && x->typing && i + n == x->nwords)
        return typo_prefix_count(u->dict, buf, l, cap);
    return typo_count(u->dict, buf, l);
}

/* Whether a town (or department) with acts activities is the reading of
 * words i..i+n-1 rather than names: the names they are, or begin when
 * the last is being typed, fewer than its activities. Sets *names (for
 * the ambiguity mark) and, when only the typed word kept the place off,
 * x->place_declined. */
static int place_wins(const struct understand *u, struct understood *x,
                      size_t i, size_t n, unsigned acts, unsigned *names)
{
    if (x->place_only) {
        *names = 0;
        return 1;
    }
    *names = name_count(u, x, i, n, 1, acts);
    if (*names == 0 || acts > *names)
        return 1;
    unsigned exact = name_count(u, x, i, n, 0, acts);
    if (exact == 0 || acts > exact)
        x->place_declined = 1;
    return 0;
}

static int is_connector(const char *w)
{
    for (size_t i = 0; connectors[i]; i++)
        if (strcmp(connectors[i], w) == 0)
            return 1;
    return 0;
}

/* Splits the folded query buf[0..fl) into x->words on spaces; -1 if a
 * word or their number is over the caps. */
static int split_words(struct understood *x, const char *buf, size_t fl)
{
    for (size_t i = 0; i < fl;) {
        size_t e = i;
        while (e < fl && buf[e] != ' ')
            e++;
        if (x->nwords == UND_MAX_WORDS || e - i >= UND_WORD_MAX)
            return -1;
        memcpy(x->words[x->nwords], buf + i, e - i);
        x->words[x->nwords][e - i] = '\0';
        x->nwords++;
        i = e + 1;
    }
    return 0;
}

/* Reads words i.. as the place (a department's or a commune's name) when
 * none is read yet: the number of words taken (a phrase added), or 0. */
static size_t place_words(const struct understand *u, struct understood *x,
                          size_t i)
{
    if (x->place.kind != UND_PLACE_NONE)
        return 0;
    int cs[UND_MAX_COMMUNES];
    size_t ncs = 0;
    size_t run = commune_run(u, x, i, cs, &ncs);
    char dept[4];
    size_t drun = dept_run(u, x, i, dept);
    /* A department's name ("corse du sud", "finistere"): read as the
     * department when it is longer than any commune name there, or as
     * long with more activities (La Réunion the department, not the
     * commune of Lot-et-Garonne; Vienne the department, not the town of
     * Isère) and, as for a commune, more activities than people carry it
     * as a name. */
    /* A longer commune name wins ("paris 16", "paris 9e arrondissement":
     * arrondissements, not the department Paris); the department's
     * activities (a walk over every commune) only when they decide. */
    if (drun > 0 && drun >= run) {
        unsigned dacts = dept_activities(u->geo, dept), names;
        if (drun > run || dacts > geo_commune(u->geo, cs[0])->activities) {
            if (place_wins(u, x, i, drun, dacts, &names)) {
                x->place.kind = UND_PLACE_DEPT;
                x->place.ambiguous = names > 0;
                memcpy(x->place.dept, dept, sizeof(dept));
                x->place.phrase = x->nphrases;
                add_phrase(x, i, drun, UND_PLACE, -1, 0);
                return drun;
            }
        }
    }
    if (run > 0) {
        unsigned names, acts = geo_commune(u->geo, cs[0])->activities;
        /* A name first when at least as many people carry it (or, being
         * typed, names it begins) as there are activities in the commune
         * (MARIE, FONTAINE, "blan" on the way to BLANC; but Paris,
         * Laval). */
        if (place_wins(u, x, i, run, acts, &names)) {
            x->place.kind = UND_PLACE_COMMUNE;
            x->place.ambiguous = names > 0;
            place_set(u->geo, x, cs, ncs, 0);
            x->place.phrase = x->nphrases;
            add_phrase(x, i, run, UND_PLACE, -1, 0);
            return run;
        }
    }
    return 0;
}

/* Words that may follow an arrondissement's number: "paris 9e
 * arrondissement", "paris 16e arr", "lyon 3 eme" (an ordinal's ending
 * written apart, only right after the number). */
static const char *const arr_words[] = {
    "arrondissement",
    "arrondissements",
    "arrondis",
    "arrond",
    "arrdt",
    "ardt",
    "arrt",
    "arr",
    NULL,
};
static const char *const ordinal_words[] = {"e", "eme", "er", "ere", NULL};

static int in_list(const char *const *list, const char *w)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], w) == 0)
            return 1;
    return 0;
}

/* Words i.. that only say "arrondissement" after the place just read,
 * when it is one arrondissement: how many, added to its phrase. */
static size_t arr_tail(const struct understand *u, struct understood *x,
                       size_t i)
{
    size_t taken = 0;
    if (!u->geo || x->place.kind != UND_PLACE_COMMUNE || !x->nphrases ||
        x->place.phrase != x->nphrases - 1 || x->place.nnamed != 1 ||
        geo_commune(u->geo, x->place.communes[0])->parent < 0)
        return 0;
    struct und_phrase *ph = &x->phrase[x->place.phrase];
    for (size_t j = i; j < x->nwords; j++) {
        const char *prev = x->words[j - 1];
        int after_number = prev[0] >= '0' && prev[0] <= '9';
        if (!in_list(arr_words, x->words[j]) &&
            !(after_number && in_list(ordinal_words, x->words[j])))
            break;
        ph->n++;
        taken++;
    }
    return taken;
}

/* The words left to right, the longest reading at each: a lexicon
 * phrase, a number, a place, else a name word. */
static void read_words(const struct understand *u, struct understood *x)
{
    for (size_t i = 0; i < x->nwords;) {
        size_t len;
        int c = x->place_only ? -1 : match_concept(u, x, i, &len);
        if (c >= 0) {
            take_concept(u, x, c);
            add_phrase(x, i, len, concept_role(c), c, 0);
            i += len;
            continue;
        }
        const char *w = x->words[i];
        if (w[0] >= '0' && w[0] <= '9') {
            int placed = number_place(u, x, i);
            if (placed == 1) {
                x->place.phrase = x->nphrases;
                add_phrase(x, i, 1, UND_PLACE, -1, 0);
            } else if (placed == 0) {
                add_phrase(x, i, 1, UND_IGNORED, -1, 0);
            }
            i++;
            if (placed)
                i += arr_tail(u, x, i);
            continue;
        }
        size_t taken = place_words(u, x, i);
        if (taken) {
            i += taken;
            i += arr_tail(u, x, i);
            continue;
        }
        add_phrase(x, i, 1, UND_NAME, -1, 0);
        i++;
    }
}

/* Name words that are misspelt lexicon words ("cardiologe"), when no
 * professional carries them. */
static void misspelt_concepts(const struct understand *u, struct understood *x)
{
    for (size_t p = 0; p < x->nphrases; p++) {
        struct und_phrase *ph = &x->phrase[p];
        if (ph->role != UND_NAME)
            continue;
        const char *w = x->words[ph->first];
        if (typo_count(u->dict, w, strlen(w)) > 0)
            continue;
        int c = typo_concept(u, w);
        if (c >= 0) {
            take_concept(u, x, c);
            ph->role = concept_role(c);
            ph->concept = c;
            ph->typo = 1;
        }
    }
}

/* Phrases f..p, one name word each, as a town with a typo: 1 if read so
 * (the run made one ambiguous place phrase), else 0. */
static int typo_town_run(const struct understand *u, struct understood *x,
                         size_t f, size_t p)
{
    unsigned unknown = 0;
    char run[UND_WORD_MAX];
    size_t rl = 0;
    for (size_t r = f; r <= p && rl < sizeof(run); r++) {
        const struct und_phrase *ph = &x->phrase[r];
        const char *w = x->words[ph->first];
        size_t wl = strlen(w);
        if (ph->role != UND_NAME || ph->n != 1 || rl + wl + 1 >= sizeof(run)) {
            rl = sizeof(run);
            break;
        }
        if (rl)
            run[rl++] = ' ';
        memcpy(run + rl, w, wl);
        rl += wl;
        unknown += typo_count(u->dict, w, wl) == 0;
    }
    if (rl >= sizeof(run) || !unknown)
        return 0;
    run[rl] = '\0';
    int c = understand_town_typo(u, run);
    if (c < 0 || typo_names(u, x, f, p) >= geo_commune(u->geo, c)->activities)
        return 0;
    int cs[UND_MAX_COMMUNES];
    const char *name = geo_commune(u->geo, c)->name_fold;
    size_t ncs = geo_by_name(u->geo, name, strlen(name), cs, UND_MAX_COMMUNES);
    if (!ncs)
        return 0;
    x->place.kind = UND_PLACE_COMMUNE;
    x->place.ambiguous = 1;
    place_set(u->geo, x, cs, ncs < UND_MAX_COMMUNES ? ncs : UND_MAX_COMMUNES,
              0);
    /* The run becomes one place phrase. */
    size_t len = p + 1 - f;
    x->phrase[f].n = x->phrase[p].first + 1 - x->phrase[f].first;
    x->phrase[f].role = UND_PLACE;
    x->phrase[f].typo = 1;
    memmove(&x->phrase[f + 1], &x->phrase[p + 1],
            (x->nphrases - p - 1) * sizeof(*x->phrase));
    x->nphrases -= len - 1;
    x->place.phrase = f;
    return 1;
}

/* A town with a typo ("cardiologue martin belfrot", "saint etiene"): with
 * no place read, a run of one to three name words, one of them carried by
 * nobody, one edit from a commune name, when other name words remain; the
 * last and longest such run. Marked ambiguous: a search that finds nobody
 * reads it as names again. */
static void typo_town(const struct understand *u, struct understood *x)
{
    if (x->place.kind != UND_PLACE_NONE || !u->towns)
        return;
    size_t nn = 0;
    for (size_t p = 0; p < x->nphrases; p++)
        nn += x->phrase[p].role == UND_NAME;
    for (size_t p = x->nphrases; p-- > 0;)
        for (size_t len = 3; len >= 1; len--) {
            if (len > p + 1 || nn < len + 1)
                continue;
            if (typo_town_run(u, x, p + 1 - len, p))
                return;
        }
}

int understand_query(const struct understand *u, const char *q, size_t n,
                     struct understood *x)
{
    char buf[1024];
    memset(x, 0, sizeof(*x));
    x->place.kind = UND_PLACE_NONE;
    if (n >= sizeof(buf))
        return -1;
    if (split_words(x, buf, fold(q, n, buf)) < 0)
        return -1;
    /* fold() drops a trailing space: whether the user has moved past the
     * last word is read from q itself (a letter, a digit or any UTF-8
     * character last: it is being typed). */
    x->typing =
        n > 0 && ((unsigned char)q[n - 1] >= 0x80 ||
                  (q[n - 1] >= '0' && q[n - 1] <= '9') ||
                  ((q[n - 1] | 0x20) >= 'a' && (q[n - 1] | 0x20) <= 'z'));
    read_words(u, x);
    misspelt_concepts(u, x);
    typo_town(u, x);
    /* "à Belfort", "près de Lyon": the words before the place. */
    if (x->place.kind != UND_PLACE_NONE)
        for (size_t p = x->place.phrase; p-- > 0;) {
            struct und_phrase *ph = &x->phrase[p];
            if (ph->role != UND_NAME || !is_connector(x->words[ph->first]))
                break;
            ph->role = UND_IGNORED;
        }
    for (size_t p = 0; p < x->nphrases; p++)
        if (x->phrase[p].role == UND_NAME)
            x->names[x->nnames++] = x->phrase[p].first;
    return 0;
}

int understand_place_text(const struct understand *u, const char *s, size_t n,
                          struct understood *x)
{
    char buf[1024];
    memset(x, 0, sizeof(*x));
    x->place.kind = UND_PLACE_NONE;
    x->place_only = 1;
    if (n >= sizeof(buf) || split_words(x, buf, fold(s, n, buf)) < 0)
        return -1;
    read_words(u, x);
    if (x->place.kind != UND_PLACE_COMMUNE)
        return -1;
    for (size_t p = 0; p < x->nphrases; p++) {
        const struct und_phrase *ph = &x->phrase[p];
        if (ph->role != UND_PLACE &&
            !(p < x->place.phrase && is_connector(x->words[ph->first])))
            return -1;
    }
    return 0;
}

void understand_place_as_name(struct understood *x)
{
    if (x->place.kind == UND_PLACE_NONE)
        return;
    struct und_phrase *ph = &x->phrase[x->place.phrase];
    /* The phrase becomes one name phrase per word. */
    struct und_phrase rest[UND_MAX_WORDS];
    size_t after = x->nphrases - x->place.phrase - 1;
    memcpy(rest, ph + 1, after * sizeof(*rest));
    size_t first = ph->first, n = ph->n, o = x->place.phrase;
    for (size_t k = 0; k < n && o < UND_MAX_WORDS; k++)
        x->phrase[o++] = (struct und_phrase){first + k, 1, UND_NAME, -1, 0};
    for (size_t k = 0; k < after && o < UND_MAX_WORDS; k++)
        x->phrase[o++] = rest[k];
    x->nphrases = o;
    /* Connectors dropped before the place are words again. */
    for (size_t p = 0; p < x->nphrases; p++)
        if (x->phrase[p].role == UND_IGNORED &&
            is_connector(x->words[x->phrase[p].first]))
            x->phrase[p].role = UND_NAME;
    memset(&x->place, 0, sizeof(x->place));
    x->place.kind = UND_PLACE_NONE;
    x->nnames = 0;
    for (size_t p = 0; p < x->nphrases; p++)
        if (x->phrase[p].role == UND_NAME)
            x->names[x->nnames++] = x->phrase[p].first;
}

static json_t *code_json(const struct understand *u, const char *list,
                         const char *code, const char *from)
{
    const char *label = understand_label(u, list, code);
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "label", label ? json_string(label) : json_null());
    if (from)
        json_object_set_new(o, "from", json_string(from));
    return o;
}

static json_t *commune_json(const struct geo *geo, int c)
{
    const struct geo_commune *k = geo_commune(geo, c);
    json_t *o = json_object();
    json_object_set_new(o, "insee", json_string(k->insee));
    json_object_set_new(o, "name", json_string(k->name));
    json_object_set_new(o, "dept", json_string(k->dept));
    return o;
}

json_t *understand_json(const struct understand *u, const struct geo *geo,
                        const struct understood *x)
{
    json_t *o = json_object();
    json_t *names = json_array(), *prof = json_array(), *spec = json_array(),
           *ignored = json_array(), *typos = json_array();
    char text[UND_MAX_WORDS * UND_WORD_MAX];
    for (size_t p = 0; p < x->nphrases; p++) {
        const struct und_phrase *ph = &x->phrase[p];
        join_words(x, ph->first, ph->n, ' ', text, sizeof(text));
        switch (ph->role) {
        case UND_NAME:
            json_array_append_new(names, json_string(text));
            break;
        case UND_IGNORED:
            json_array_append_new(ignored, json_string(text));
            break;
        case UND_PROFESSION:
            for (const char *const *c = u->res[ph->concept].prof; *c; c++)
                json_array_append_new(prof,
                                      code_json(u, "profession", *c, text));
            for (const char *const *c = u->res[ph->concept].spec; *c; c++)
                json_array_append_new(spec,
                                      code_json(u, "specialty", *c, text));
            break;
        case UND_TITLE:
            json_object_set_new(
                o, "title",
                code_json(u, "title", understand_concepts[ph->concept].title,
                          text));
            break;
        case UND_MODE:
            json_object_set_new(o, "mode",
                                code_json(u, "mode",
                                          understand_concepts[ph->concept].mode,
                                          text));
            break;
        case UND_PLACE: {
            json_t *pl = json_object();
            static const char *const kinds[] = {NULL, "commune", "postcode",
                                                "dept"};
            json_object_set_new(pl, "kind", json_string(kinds[x->place.kind]));
            json_object_set_new(pl, "from", json_string(text));
            if (x->place.kind == UND_PLACE_POSTCODE)
                json_object_set_new(pl, "postcode",
                                    json_string(x->place.postcode));
            if (x->place.kind == UND_PLACE_DEPT)
                json_object_set_new(pl, "dept", json_string(x->place.dept));
            if (geo && x->place.nnamed) {
                json_t *cs = json_array();
                /* The communes named, not their arrondissements; a few. */
                for (size_t k = 0; k < x->place.nnamed && k < 10; k++)
                    json_array_append_new(
                        cs, commune_json(geo, x->place.communes[k]));
                json_object_set_new(pl, "communes", cs);
            }
            if (x->place.ambiguous)
                json_object_set_new(pl, "also_a_name", json_true());
            json_object_set_new(o, "place", pl);
            break;
        }
        default:
            break;
        }
        if (ph->typo) {
            json_t *t = json_object();
            json_object_set_new(t, "from", json_string(text));
            json_object_set_new(
                t, "as",
                json_string(ph->role == UND_PLACE
                                ? (geo && x->place.nnamed
                                       ? geo_commune(geo, x->place.communes[0])
                                             ->name_fold
                                       : "")
                                : understand_concepts[ph->concept].phrase));
            json_array_append_new(typos, t);
        }
    }
    static const char *const keys[] = {"name", "profession", "specialty",
                                       "ignored", "typos"};
    json_t *arrs[] = {names, prof, spec, ignored, typos};
    for (size_t k = 0; k < 5; k++) {
        if (json_array_size(arrs[k]))
            json_object_set_new(o, keys[k], arrs[k]);
        else
            json_decref(arrs[k]);
    }
    if (x->place_declined && x->typing) {
        /* The other reading: the same words, the last one completed (a
         * space after it), which a page can offer ("Blan (81) ?") and
         * search with its "q". Not typing, it declines nothing more. */
        struct understood *y = xmalloc(sizeof(*y));
        size_t l = join_words(x, 0, x->nwords, ' ', text, sizeof(text) - 1);
        text[l++] = ' ';
        text[l] = '\0';
        if (understand_query(u, text, l, y) == 0 &&
            y->place.kind != UND_PLACE_NONE) {
            json_t *alt = understand_json(u, geo, y);
            json_object_set_new(alt, "q", json_string(text));
            json_object_set_new(o, "alternative", alt);
        }
        free(y);
    }
    return o;
}
