/* q read as a structure, a street, an identifier or a mailbox (see
 * search_int.h: qstruct_mailbox(), qstruct_read()): the words
 * understand.h left as names looked at again against the structure
 * table, out of params.c, which calls it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "search_int.h"
#include "abbrev.h"
#include "dataset.h"
#include "structure.h"
#include "banned.h"

/* ---- q read as a structure, a street or an identifier ----
 * After understand.h's reading and before it is applied, so that
 * understand.c stays the reader of names, professions and places: the
 * words it left as names are looked at again here. Conservative: a
 * reading is taken only when some structure has what it reads. */

/* 1 if the word w[0..n) reads as a mailbox address or its part: it holds
 * an '@', or ends in a domain's last part (.fr, .com...). */
static int mailbox_word(const char *w, size_t n)
{
    static const char *const tld[] = {".fr", ".com", ".net", ".org", ".eu"};
    if (memchr(w, '@', n))
        return 1;
    for (size_t i = 0; i < sizeof tld / sizeof *tld; i++) {
        size_t l = strlen(tld[i]);
        if (n > l + 1 && strncasecmp(w + n - l, tld[i], l) == 0)
            return 1;
    }
    return 0;
}

/* q's text into rest (cap bytes) without its first mailbox word, which
 * becomes mssante= when the request gives none and it is long enough
 * ("jean.dupont@", "@chu-nantes.mssante.fr"), and a trailing space kept.
 * Returns rest's length. */
size_t qstruct_mailbox(struct sq *q, char *rest, size_t cap)
{
    const char *t = q->qtext;
    size_t o = 0, n = strlen(t);
    int taken = q->mss != NULL;
    for (size_t i = 0; i < n;) {
        size_t b = i;
        while (i < n && t[i] != ' ')
            i++;
        size_t wl = i - b;
        if (!taken && wl >= 3 && mailbox_word(t + b, wl)) {
            q->mss = xmalloc(wl + 1);
            for (size_t k = 0; k < wl; k++)
                q->mss[k] = (char)tolower((unsigned char)t[b + k]);
            q->mss[wl] = '\0';
            q->mss_from_q = 1;
            taken = 1;
        } else if (wl && o + wl + 2 < cap) {
            if (o)
                rest[o++] = ' ';
            memcpy(rest + o, t + b, wl);
            o += wl;
        }
        while (i < n && t[i] == ' ')
            i++;
    }
    /* A space after the last word says it is no longer being typed
     * (understand.h): keep it. */
    if (o && n && t[n - 1] == ' ' && o + 1 < cap)
        rest[o++] = ' ';
    rest[o] = '\0';
    return o;
}

/* Forgets everything u read: q was an identifier. */
static void und_clear(struct understood *u)
{
    u->nnames = 0;
    u->nprofessions = u->nspecialties = 0;
    u->title = u->mode = NULL;
    u->place.kind = UND_PLACE_NONE;
    u->nphrases = 0;
}

/* Drops u's name phrases, and its profession phrases too when prof, its
 * title when title: their words were read as a structure's name. */
static void und_drop_names(struct understood *u, int prof, int title)
{
    size_t o = 0, place = u->place.phrase;
    for (size_t p = 0; p < u->nphrases; p++) {
        int r = u->phrase[p].role;
        if (r == UND_NAME || (prof && r == UND_PROFESSION) ||
            (title && r == UND_TITLE))
            continue;
        if (p == u->place.phrase)
            place = o;
        u->phrase[o++] = u->phrase[p];
    }
    u->nphrases = o;
    u->place.phrase = place;
    u->nnames = 0;
    if (prof)
        u->nprofessions = u->nspecialties = 0;
    if (title)
        u->title = NULL;
}

/* 1 if some structure meets k, 0 if none, -1 on a database error. */
static int structure_exists(struct db_conn *c, const struct structure_cond *k)
{
    long long sid;
    long n = structure_find(c, k, &sid, 1);
    return n < 0 ? -1 : n > 0;
}

/* The role of each word of u (enum und_role; UND_NAME if in no phrase). */
static void und_roles(const struct understood *u, int *role)
{
    for (size_t i = 0; i < u->nwords; i++)
        role[i] = UND_NAME;
    for (size_t p = 0; p < u->nphrases; p++)
        for (size_t i = 0; i < u->phrase[p].n; i++)
            role[u->phrase[p].first + i] = u->phrase[p].role;
}

static int all_digits(const char *w)
{
    if (!*w)
        return 0;
    for (; *w; w++)
        if (*w < '0' || *w > '9')
            return 0;
    return 1;
}

/* The words of u outside [s, e) read again into u. */
static void und_reread(const struct understand *und, struct understood *u,
                       size_t s, size_t e)
{
    char rest[UND_MAX_WORDS * UND_WORD_MAX + 1];
    size_t o = 0;
    for (size_t i = 0; i < u->nwords; i++) {
        if (i >= s && i < e)
            continue;
        size_t n = strlen(u->words[i]);
        if (o)
            rest[o++] = ' ';
        memcpy(rest + o, u->words[i], n);
        o += n;
    }
    /* The last word left is still being typed only if it was q's last
     * and q had no space after it (understand.h): else a space says it
     * is complete ("147 av de la liberte la roche sur yon": the town). */
    if (o && (e >= u->nwords || !u->typing))
        rest[o++] = ' ';
    rest[o] = '\0';
    if (understand_query(und, rest, o, u) < 0 || o == 0)
        und_clear(u);
}

/* structure_keyword_near() of u's word i when it is read as nothing else
 * or read despite a typo ("phramacie": pharmacien misspelt, or a pharmacy),
 * else structure_keyword() ("pharmacien" is a profession). */
static int keyword_of(const struct understood *u, const int *role, size_t i)
{
    int typo = 0;
    for (size_t p = 0; p < u->nphrases; p++)
        if (i >= u->phrase[p].first && i < u->phrase[p].first + u->phrase[p].n)
            typo = u->phrase[p].typo;
    return role[i] == UND_NAME || typo ? structure_keyword_near(u->words[i])
                                       : structure_keyword(u->words[i]);
}

/* 1 if the words of u before e end with a complete word: q has words
 * after them, or a space after its last (understand.h's typing). */
static int whole_at(const struct understood *u, size_t e)
{
    return e < u->nwords || !u->typing;
}

/* words[s, e) of u joined by spaces (allocated). */
static char *und_join(const struct understood *u, size_t s, size_t e,
                      int skip_stop)
{
    struct buf b;
    buf_init(&b, UND_MAX_WORDS * UND_WORD_MAX);
    for (size_t i = s; i < e; i++) {
        if (skip_stop && structure_stopword(u->words[i]) && i + 1 < e)
            continue;
        buf_addf(&b, "%s%s", b.len ? " " : "", u->words[i]);
    }
    char *t = xstrdup(b.s);
    buf_release(&b);
    return t;
}

/* A street in u: a type of way (written in full, or abbreviated after a
 * number) followed by words, with the number before it: the longest run
 * of words from there that some structure's street has (the words after
 * it, a town, read again). 0 (u read again without them if taken), or
 * -1. */
static int read_q_street(struct db_conn *c, const struct understand *und,
                         struct sq *q)
{
    struct understood *u = q->und;
    for (size_t i = 0; i + 1 < u->nwords; i++) {
        const char *w = u->words[i];
        int num = i > 0 && all_digits(u->words[i - 1]);
        int full = abbrev_word(ABBREV_STREET, w, strlen(w)) == NULL;
        if (!structure_street_type(w) || (!full && !num))
            continue;
        size_t s = num ? i - 1 : i;
        for (size_t e = u->nwords; e > i + 1; e--) {
            /* A street's name does not end with a particle: "147 av de
             * la liberte la" is the street and the "la" of a town. */
            if (structure_stopword(u->words[e - 1]))
                continue;
            char *text = und_join(u, s, e, 0);
            char f[UND_MAX_WORDS * UND_WORD_MAX * 2];
            structure_fold(text, 1, f, sizeof f);
            /* A number and a type of way: a word after them that no
             * street has is misspelt. */
            struct structure_cond k = {
                .street = f, .street_whole = whole_at(u, e), .typo = 1};
            int ok = structure_exists(c, &k);
            if (ok < 0) {
                free(text);
                return -1;
            }
            if (ok) {
                q->und_street = text;
                q->st_street = xstrdup(f);
                q->st_street_whole = k.street_whole;
                und_reread(und, u, s, e);
                return 0;
            }
            free(text);
        }
        return 0;
    }
    return 0;
}

/* A structure's name in u: its name words when one of them (or the word
 * of a profession, "pharmacie") names a kind of structure, beside another
 * word unless it names only structures; a profession's words amid them
 * are part of the name. 0 (the name words taken, and that
 * profession), or -1. */
/* 1 if u's word i is some professional's name word (the word being
 * typed: begins one), or if that cannot be known (no dictionary). */
static int name_known(struct db_conn *c, const struct understood *u, size_t i)
{
    const struct typo_dict *d = dataset_dict(db_dataset(c));
    const char *w = u->words[i];
    size_t n = strlen(w);
    if (!d)
        return 1;
    if (u->typing && i + 1 == u->nwords)
        return typo_prefix_count(d, w, n, 0) > 0;
    return typo_count(d, w, n) > 0;
}

/* 1 if u's name words that no structure has (structure_term) may be read
 * as misspelt structure words: beside a kind of structure, when none is
 * someone's name ("clinique pastuer"; "pharmacie dupont" is that
 * person's); without one, when none is one edit from someone's name
 * ("invoie", a laboratory's brand; "martn" is MARTIN misspelt). */
static int misspelt_ok(struct db_conn *c, const struct understood *u,
                       const int *role, int kw)
{
    const struct typo_dict *sd = dataset_structure_dict(db_dataset(c));
    if (!sd)
        return 0;
    for (size_t i = 0; i < u->nwords; i++) {
        const char *w = u->words[i];
        if (role[i] != UND_NAME || typo_count(sd, w, strlen(w)) > 0)
            continue;
        struct typo_cand tc;
        if (kw >= 1 ? name_known(c, u, i)
                    : typo_find(dataset_dict(db_dataset(c)), w, strlen(w), &tc,
                                1, NULL) > 0)
            return 0;
    }
    return 1;
}

static int read_q_name(struct db_conn *c, struct sq *q)
{
    struct understood *u = q->und;
    int role[UND_MAX_WORDS];
    und_roles(u, role);
    /* The span of the name words: a profession's word inside it is part
     * of the name ("cabinet de kinesitherapie du parc"). */
    size_t fs = u->nwords, ls = 0;
    for (size_t i = 0; i < u->nwords; i++)
        if (role[i] == UND_NAME) {
            if (fs == u->nwords)
                fs = i;
            ls = i;
        }
    /* A word dropped before the place as a connector after name words is
     * tried as part of the name first: "cabinet dentaire des pres
     * strasbourg" is not "near Strasbourg". */
    size_t pf = u->place.kind != UND_PLACE_NONE
                    ? u->phrase[u->place.phrase].first
                    : u->nwords;
    int ign = 0;
    for (size_t i = fs + 1; i < pf && i < u->nwords; i++)
        if (role[i] == UND_IGNORED)
            ign = 1;
    struct buf b;
    buf_init(&b, UND_MAX_WORDS * UND_WORD_MAX);
    int ret = 0;
    for (int with_ign = ign; with_ign >= 0; with_ign--) {
        int kw = 0, prof_kw = 0, nwords = 0, title_in = 0, known = 0;
        size_t end = 0; /* after the last word taken */
        buf_reset(&b);
        for (size_t i = 0; i < u->nwords; i++) {
            int k = keyword_of(u, role, i);
            if (role[i] == UND_PROFESSION && (k == 2 || (i > fs && i < ls)))
                prof_kw = 1;
            else if (role[i] == UND_TITLE && i > fs && i < ls)
                title_in = 1; /* "cabinet du dr leclerc": part of the name */
            else if (role[i] == UND_IGNORED && with_ign && i > fs && i < pf)
                ; /* tried as a name word */
            else if (role[i] != UND_NAME)
                continue;
            if (k > kw)
                kw = k;
            nwords++;
            if (role[i] == UND_NAME && !known)
                known = name_known(c, u, i);
            /* A particle is left out, but not the word being typed
             * ("selarl le": the names it begins, LEFEVRE...). */
            if (structure_stopword(u->words[i]) &&
                !(u->typing && i + 1 == u->nwords))
                continue;
            buf_addf(&b, "%s%s", b.len ? " " : "", u->words[i]);
            end = i + 1;
        }
        /* Some name word is needed: "pharmacie lyon" stays pharmacists
         * in Lyon, "pharmacie du centre lyon" is a pharmacy. */
        /* Or words nobody is named ("inovie garges les gonesse": a
         * laboratory's brand). */
        if (fs == u->nwords || !b.len ||
            !(kw == 2 || (kw == 1 && nwords >= 2) ||
              (kw == 0 && !known && dataset_dict(db_dataset(c)))))
            break;
        char f[UND_MAX_WORDS * UND_WORD_MAX * 2];
        structure_fold(b.s, 0, f, sizeof f);
        struct structure_cond k = {.words = f, .words_whole = whole_at(u, end)};
        int ok = structure_exists(c, &k);
        /* Misspelt words are looked at only when the words as typed name
         * no structure. */
        if (ok == 0 && misspelt_ok(c, u, role, kw)) {
            k.typo = 1;
            ok = structure_exists(c, &k);
        }
        if (ok < 0) {
            ret = -1;
            break;
        }
        if (ok == 0)
            continue;
        q->und_structure = xstrdup(b.s);
        q->st_words = xstrdup(f);
        q->st_words_whole = k.words_whole;
        if (with_ign)
            for (size_t p = 0; p < u->nphrases; p++)
                if (u->phrase[p].role == UND_IGNORED &&
                    u->phrase[p].first > fs && u->phrase[p].first < pf)
                    u->phrase[p].role = UND_NAME;
        und_drop_names(u, prof_kw, title_in);
        break;
    }
    buf_release(&b);
    return ret;
}

/* A structure's name that a place read amid its words cut ("mas les
 * genets sartrouville": Genets read as the town, Sartrouville left a
 * name): the longest run of words from the first name word past the place
 * that holds a word naming a kind of structure and that some structure's
 * name has, the words after it read again (a town at the end). 0 (taken
 * or not), or -1. */
static int read_q_name_place(struct db_conn *c, const struct understand *und,
                             struct sq *q)
{
    struct understood *u = q->und;
    int role[UND_MAX_WORDS];
    if (u->place.kind != UND_PLACE_COMMUNE)
        return 0;
    und_roles(u, role);
    const struct und_phrase *pl = &u->phrase[u->place.phrase];
    size_t fs = 0;
    while (fs < pl->first && role[fs] != UND_NAME)
        fs++;
    size_t pe = pl->first + pl->n, ls = pe;
    for (size_t i = pe; i < u->nwords; i++)
        if (role[i] == UND_NAME)
            ls = i + 1;
    /* A place amid name words only: before and after it. */
    if (fs >= pl->first || ls == pe)
        return 0;
    for (size_t e = ls; e >= pe; e--) {
        int kw = 0;
        size_t nw = 0;
        for (size_t i = fs; i < e; i++) {
            int k = keyword_of(u, role, i);
            kw = k > kw ? k : kw;
            nw += !structure_stopword(u->words[i]);
        }
        if (!(kw == 2 || (kw == 1 && nw >= 2)))
            continue;
        char *text = und_join(u, fs, e, 1);
        char f[UND_MAX_WORDS * UND_WORD_MAX * 2];
        structure_fold(text, 0, f, sizeof f);
        /* A kind of structure among them: a word no structure has is
         * misspelt. */
        struct structure_cond k = {
            .words = f, .words_whole = whole_at(u, e), .typo = 1};
        int ok = structure_exists(c, &k);
        if (ok <= 0) {
            free(text);
            if (ok < 0)
                return -1;
            continue;
        }
        q->und_structure = text;
        q->st_words = xstrdup(f);
        q->st_words_whole = k.words_whole;
        und_reread(und, u, fs, e);
        return 0;
    }
    return 0;
}

/* q as an identifier (SIRET, a FINESS some structure has), a street, a
 * structure's name: fills the structure conditions the request leaves
 * empty and takes their words out of q->und. 0, or -1 on a database
 * error. */
int qstruct_read(struct db_conn *c, const struct understand *und, struct sq *q)
{
    struct understood *u = q->und;
    if (!q->st_siret[0] && structure_siret(q->qtext, q->st_siret)) {
        q->und_ident = "siret";
        und_clear(u);
        return 0;
    }
    char fin[10];
    if (!q->st_finess[0] && structure_finess(q->qtext, fin)) {
        struct structure_cond k = {.finess = fin};
        int ok = structure_exists(c, &k);
        if (ok < 0)
            return -1;
        if (ok) {
            memcpy(q->st_finess, fin, sizeof fin);
            q->und_ident = "finess";
            und_clear(u);
            return 0;
        }
    }
    int rc = 0;
    if (!q->st_street)
        rc = read_q_street(c, und, q);
    if (rc == 0 && !q->st_words)
        rc = read_q_name_place(c, und, q);
    if (rc == 0 && !q->st_words)
        rc = read_q_name(c, q);
    return rc;
}
