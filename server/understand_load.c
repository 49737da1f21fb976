/* The lexicon of the query reader (understand.h): the phrases people type
 * and what they mean (the table below), the specialty codes their labels
 * name in one database, the code labels, and the index of town names with
 * a typo. Built once per database file (understand_load()), immutable
 * after; reading a query is understand.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understand_int.h"
#include "fold.h"
#include "places.h"
#include "util.h"
#include "banned.h"

#define MG "SM53,SM54,SM26"

const struct concept understand_concepts[] = {
    /* Professions (the codes of "Code profession", docs/format.md §5). */
    {"medecin", "10", NULL, NULL, NULL, NULL},
    {"medecins", "10", NULL, NULL, NULL, NULL},
    {"generaliste", "10", MG, "medecine generale", NULL, NULL},
    {"generalistes", "10", MG, "medecine generale", NULL, NULL},
    {"medecin generaliste", "10", MG, "medecine generale", NULL, NULL},
    {"medecine generale", "10", MG, "medecine generale", NULL, NULL},
    {"medecin traitant", "10", MG, "medecine generale", NULL, NULL},
    {"chirurgien dentiste", "40", NULL, NULL, NULL, NULL},
    {"chirurgiens dentistes", "40", NULL, NULL, NULL, NULL},
    {"dentiste", "40", NULL, NULL, NULL, NULL},
    {"dentistes", "40", NULL, NULL, NULL, NULL},
    {"pharmacien", "21", NULL, NULL, NULL, NULL},
    {"pharmacienne", "21", NULL, NULL, NULL, NULL},
    {"pharmaciens", "21", NULL, NULL, NULL, NULL},
    {"pharmacie", "21", NULL, NULL, NULL, NULL},
    {"pharmacies", "21", NULL, NULL, NULL, NULL},
    {"sage femme", "50", NULL, NULL, NULL, NULL},
    {"sages femmes", "50", NULL, NULL, NULL, NULL},
    {"sage femmes", "50", NULL, NULL, NULL, NULL},
    {"maieuticien", "50", NULL, NULL, NULL, NULL},
    {"maieuticienne", "50", NULL, NULL, NULL, NULL},
    {"infirmier", "60", NULL, NULL, NULL, NULL},
    {"infirmiere", "60", NULL, NULL, NULL, NULL},
    {"infirmiers", "60", NULL, NULL, NULL, NULL},
    {"infirmieres", "60", NULL, NULL, NULL, NULL},
    {"idel", "60", NULL, NULL, NULL, NULL},
    {"infirmier psychiatrique", "69", NULL, NULL, NULL, NULL},
    {"infirmiere psychiatrique", "69", NULL, NULL, NULL, NULL},
    {"kine", "70", NULL, NULL, NULL, NULL},
    {"kines", "70", NULL, NULL, NULL, NULL},
    {"kinesitherapeute", "70", NULL, NULL, NULL, NULL},
    {"kinesitherapeutes", "70", NULL, NULL, NULL, NULL},
    {"kinesitherapie", "70", NULL, NULL, NULL, NULL},
    {"masseur kinesitherapeute", "70", NULL, NULL, NULL, NULL},
    {"masseuse kinesitherapeute", "70", NULL, NULL, NULL, NULL},
    {"physiotherapeute", "70", NULL, NULL, NULL, NULL},
    {"osteopathe", "71", NULL, NULL, NULL, NULL},
    {"osteopathes", "71", NULL, NULL, NULL, NULL},
    {"osteo", "71", NULL, NULL, NULL, NULL},
    {"psychotherapeute", "72", NULL, NULL, NULL, NULL},
    {"chiropracteur", "73", NULL, NULL, NULL, NULL},
    {"chiropraticien", "73", NULL, NULL, NULL, NULL},
    {"psychologue", "93", NULL, NULL, NULL, NULL},
    {"psychologues", "93", NULL, NULL, NULL, NULL},
    {"orthophoniste", "91", NULL, NULL, NULL, NULL},
    {"orthophonistes", "91", NULL, NULL, NULL, NULL},
    {"orthoptiste", "92", NULL, NULL, NULL, NULL},
    {"ergotherapeute", "94", NULL, NULL, NULL, NULL},
    {"dieteticien", "95", NULL, NULL, NULL, NULL},
    {"dieteticienne", "95", NULL, NULL, NULL, NULL},
    {"psychomotricien", "96", NULL, NULL, NULL, NULL},
    {"psychomotricienne", "96", NULL, NULL, NULL, NULL},
    {"podologue", "80", NULL, NULL, NULL, NULL},
    {"podologues", "80", NULL, NULL, NULL, NULL},
    {"pedicure", "80", NULL, NULL, NULL, NULL},
    {"pedicure podologue", "80", NULL, NULL, NULL, NULL},
    {"opticien", "28", NULL, NULL, NULL, NULL},
    {"opticienne", "28", NULL, NULL, NULL, NULL},
    {"opticiens", "28", NULL, NULL, NULL, NULL},
    {"opticien lunetier", "28", NULL, NULL, NULL, NULL},
    {"audioprothesiste", "26", NULL, NULL, NULL, NULL},
    {"aide soignant", "35", NULL, NULL, NULL, NULL},
    {"aide soignante", "35", NULL, NULL, NULL, NULL},
    {"aides soignants", "35", NULL, NULL, NULL, NULL},
    {"ambulancier", "36", NULL, NULL, NULL, NULL},
    {"ambulanciere", "36", NULL, NULL, NULL, NULL},
    {"auxiliaire de puericulture", "37", NULL, NULL, NULL, NULL},
    {"preparateur en pharmacie", "39,38", NULL, NULL, NULL, NULL},
    {"preparatrice en pharmacie", "39,38", NULL, NULL, NULL, NULL},
    {"assistant dentaire", "31", NULL, NULL, NULL, NULL},
    {"assistante dentaire", "31", NULL, NULL, NULL, NULL},
    {"manipulateur radio", "98", NULL, NULL, NULL, NULL},
    {"manipulatrice radio", "98", NULL, NULL, NULL, NULL},
    {"manipulateur erm", "98", NULL, NULL, NULL, NULL},
    {"technicien de laboratoire", "86", NULL, NULL, NULL, NULL},
    {"laborantin", "86", NULL, NULL, NULL, NULL},
    {"laborantine", "86", NULL, NULL, NULL, NULL},
    {"orthesiste", "83", NULL, NULL, NULL, NULL},
    {"orthopediste orthesiste", "83", NULL, NULL, NULL, NULL},
    {"orthoprothesiste", "81", NULL, NULL, NULL, NULL},
    {"podo orthesiste", "82", NULL, NULL, NULL, NULL},
    {"oculariste", "84", NULL, NULL, NULL, NULL},
    {"epithesiste", "85", NULL, NULL, NULL, NULL},
    {"physicien medical", "32", NULL, NULL, NULL, NULL},
    {"assistant social", "41", NULL, NULL, NULL, NULL},
    {"assistante sociale", "41", NULL, NULL, NULL, NULL},
    /* Specialties of doctors (SMnn), dentists (SCDnn), nurses (SInn). */
    {"cardiologue", NULL, "SM04", "cardiologie", NULL, NULL},
    {"cardiologues", NULL, "SM04", "cardiologie", NULL, NULL},
    {"cardio", NULL, "SM04", "cardiologie", NULL, NULL},
    {"cardiologie", NULL, "SM04", "cardiologie", NULL, NULL},
    {"pediatre", NULL, "SM40", "pediatrie", NULL, NULL},
    {"pediatres", NULL, "SM40", "pediatrie", NULL, NULL},
    {"pediatrie", NULL, "SM40", "pediatrie", NULL, NULL},
    {"orl", NULL, "SM39", "o r l|oto rhino laryngologie", NULL, NULL},
    {"o r l", NULL, "SM39", "o r l|oto rhino laryngologie", NULL, NULL},
    {"oto rhino", NULL, "SM39", "o r l|oto rhino laryngologie", NULL, NULL},
    {"oto rhino laryngologiste", NULL, "SM39", "o r l|oto rhino laryngologie",
     NULL, NULL},
    {"gyneco", NULL, "SM20", "gynecologie", NULL, NULL},
    {"gynecologue", NULL, "SM20", "gynecologie", NULL, NULL},
    {"gynecologues", NULL, "SM20", "gynecologie", NULL, NULL},
    {"gynecologie", NULL, "SM20", "gynecologie", NULL, NULL},
    {"gyneco obstetricien", NULL, "SM20", "gynecologie", NULL, NULL},
    {"obstetricien", NULL, "SM20", "gynecologie", NULL, NULL},
    {"psychiatre", NULL, "SM42", "psychiatrie", NULL, NULL},
    {"psychiatres", NULL, "SM42", "psychiatrie", NULL, NULL},
    {"pedopsychiatre", NULL, "SM42", "psychiatrie", NULL, NULL},
    {"ophtalmo", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"ophtalmologue", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"ophtalmologiste", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"ophtalmologie", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"ophtalmologues", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"oculiste", NULL, "SM38", "ophtalmologie", NULL, NULL},
    {"dermato", NULL, "SM15", "dermatologie", NULL, NULL},
    {"dermatologue", NULL, "SM15", "dermatologie", NULL, NULL},
    {"dermatologie", NULL, "SM15", "dermatologie", NULL, NULL},
    {"radiologue", NULL, "SM44", "radio diagnostic|radiologie", NULL, NULL},
    {"radiologues", NULL, "SM44", "radio diagnostic|radiologie", NULL, NULL},
    {"radiologie", NULL, "SM44", "radio diagnostic|radiologie", NULL, NULL},
    {"neurologue", NULL, "SM32", "neurologie", NULL, NULL},
    {"neurologie", NULL, "SM32", "neurologie", NULL, NULL},
    {"anesthesiste", NULL, "SM02", "anesthesie", NULL, NULL},
    {"anesthesiste reanimateur", NULL, "SM02", "anesthesie", NULL, NULL},
    {"chirurgien orthopediste", NULL, "SM08", "chirurgie orthopedique", NULL,
     NULL},
    {"orthopediste", NULL, "SM08", "chirurgie orthopedique", NULL, NULL},
    {"gastro", NULL, "SM19", "gastro enterologie", NULL, NULL},
    {"gastro enterologue", NULL, "SM19", "gastro enterologie", NULL, NULL},
    {"gastroenterologue", NULL, "SM19", "gastro enterologie", NULL, NULL},
    {"hepato gastro enterologue", NULL, "SM19", "gastro enterologie", NULL,
     NULL},
    {"pneumologue", NULL, "SM41", "pneumologie", NULL, NULL},
    {"pneumo", NULL, "SM41", "pneumologie", NULL, NULL},
    {"rhumatologue", NULL, "SM46", "rhumatologie", NULL, NULL},
    {"rhumato", NULL, "SM46", "rhumatologie", NULL, NULL},
    {"allergologue", NULL, "SM57", "allergologie", NULL, NULL},
    {"anatomopathologiste", NULL, "SM01", "cytologie pathologiques", NULL,
     NULL},
    {"endocrinologue", NULL, NULL, "endocrinologie", NULL, NULL},
    {"urologue", NULL, NULL, "urologie", NULL, NULL},
    {"nephrologue", NULL, NULL, "nephrologie", NULL, NULL},
    {"oncologue", NULL, NULL, "oncologie", NULL, NULL},
    {"geriatre", NULL, NULL, "geriatrie|gerontologie", NULL, NULL},
    {"urgentiste", NULL, NULL, "medecine d urgence", NULL, NULL},
    {"addictologue", NULL, NULL, "addictologie", NULL, NULL},
    {"homeopathe", NULL, NULL, "homeopathie", NULL, NULL},
    {"medecin du sport", "10", NULL, "medecine du sport", NULL, NULL},
    {"orthodontiste", "40", "SCD01", "orthopedie dento faciale", NULL, NULL},
    {"orthodontistes", "40", "SCD01", "orthopedie dento faciale", NULL, NULL},
    {"chirurgien oral", "40", "SCD02", "chirurgie orale", NULL, NULL},
    {"puericultrice", "60", "SI03", "puericultrice", NULL, NULL},
    {"iade", "60", "SI01", "infirmier anesthesiste", NULL, NULL},
    {"infirmier anesthesiste", "60", "SI01", "infirmier anesthesiste", NULL,
     NULL},
    {"ibode", "60", "SI02", "bloc operatoire", NULL, NULL},
    {"ipa", "60", "SI04", "pratique avancee", NULL, NULL},
    /* Titles and modes. Dentists and pharmacists are doctors too, so
     * "docteur" is the title, not the profession Médecin. */
    {"docteur", NULL, NULL, NULL, "DR", NULL},
    {"dr", NULL, NULL, NULL, "DR", NULL},
    {"professeur", NULL, NULL, NULL, "PR", NULL},
    {"pr", NULL, NULL, NULL, "PR", NULL},
    {"liberal", NULL, NULL, NULL, NULL, "L"},
    {"liberale", NULL, NULL, NULL, NULL, "L"},
    {"liberaux", NULL, NULL, NULL, NULL, "L"},
    {"salarie", NULL, NULL, NULL, NULL, "S"},
    {"salariee", NULL, NULL, NULL, NULL, "S"},
};
const size_t understand_nconcepts =
    sizeof(understand_concepts) / sizeof(*understand_concepts);

static char *own(struct understand *u, char *s)
{
    if (u->nowned == u->capowned) {
        u->capowned = u->capowned ? 2 * u->capowned : 256;
        u->owned = xrealloc(u->owned, u->capowned * sizeof(*u->owned));
    }
    u->owned[u->nowned++] = s;
    return s;
}

static int cmp_label(const void *a, const void *b)
{
    const struct label *x = a, *y = b;
    int c = strcmp(x->list, y->list);
    return c ? c : strcmp(x->code, y->code);
}

const char *understand_label(const struct understand *u, const char *list,
                             const char *code)
{
    if (!u || !list || !code)
        return NULL;
    size_t lo = 0, hi = u->nlabels;
    struct label key = {(char *)list, (char *)code, NULL};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_label(&u->labels[mid], &key);
        if (c == 0)
            return u->labels[mid].label;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int load_labels(struct understand *u, sqlite3 *db)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT list, code, label FROM code WHERE list IN"
                           " ('profession', 'specialty', 'title', 'mode')",
                           -1, &st, NULL) != SQLITE_OK) {
        /* No code table: the built-in codes alone, no labels. */
        log_warn("%s: code table: %s", __func__, sqlite3_errmsg(db));
        return 0;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *l = (const char *)sqlite3_column_text(st, 0);
        const char *c = (const char *)sqlite3_column_text(st, 1);
        const char *t = (const char *)sqlite3_column_text(st, 2);
        if (!l || !c)
            continue;
        if (u->nlabels == cap) {
            cap = cap ? 2 * cap : 128;
            u->labels = xrealloc(u->labels, cap * sizeof(*u->labels));
        }
        u->labels[u->nlabels++] =
            (struct label){xstrdup(l), xstrdup(c), t ? xstrdup(t) : NULL};
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("%s: code table: %s", __func__, sqlite3_errmsg(db));
        return -1;
    }
    if (u->nlabels)
        qsort(u->labels, u->nlabels, sizeof(*u->labels), cmp_label);
    return 0;
}

/* 1 if the folded words w occur whole in the folded text s. */
static int has_words(const char *s, const char *w)
{
    size_t wl = strlen(w);
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w))
        if ((p == s || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' '))
            return 1;
    return 0;
}

/* Appends the comma-separated codes in csv to v (NULL-terminated, cap
 * slots), skipping those already there. */
static size_t add_csv(struct understand *u, const char **v, size_t n,
                      size_t cap, const char *csv)
{
    while (csv && *csv) {
        const char *end = strchr(csv, ',');
        size_t l = end ? (size_t)(end - csv) : strlen(csv);
        size_t k;
        for (k = 0; k < n; k++)
            if (strlen(v[k]) == l && memcmp(v[k], csv, l) == 0)
                break;
        if (k == n && n + 1 < cap)
            v[n++] = own(u, xstrndup(csv, l));
        csv = end ? end + 1 : NULL;
    }
    v[n] = NULL;
    return n;
}

/* The codes of concept i: its own, and the specialties whose label holds
 * one of its label words. */
static void resolve(struct understand *u, size_t i)
{
    const struct concept *c = &understand_concepts[i];
    const size_t cap = UND_MAX_CODES + 1;
    struct resolved *r = &u->res[i];
    r->prof = xcalloc(cap, sizeof(*r->prof));
    r->spec = xcalloc(cap, sizeof(*r->spec));
    add_csv(u, r->prof, 0, cap, c->professions);
    size_t ns = add_csv(u, r->spec, 0, cap, c->specialties);
    if (!c->labels)
        return;
    char words[128];
    for (const char *lw = c->labels; lw && *lw;) {
        const char *end = strchr(lw, '|');
        size_t l = end ? (size_t)(end - lw) : strlen(lw);
        if (l >= sizeof(words))
            l = sizeof(words) - 1;
        memcpy(words, lw, l);
        words[l] = '\0';
        for (size_t k = 0; k < u->nlabels; k++) {
            const struct label *lb = &u->labels[k];
            if (strcmp(lb->list, "specialty") != 0 || !lb->label)
                continue;
            size_t ll = strlen(lb->label);
            char *f = xmalloc(ll + 1);
            fold(lb->label, ll, f);
            if (has_words(f, words))
                ns = add_csv(u, r->spec, ns, cap, lb->code);
            free(f);
        }
        lw = end ? end + 1 : NULL;
    }
}

static int cmp_concept(const void *a, const void *b)
{
    return strcmp(understand_concepts[*(const int *)a].phrase,
                  understand_concepts[*(const int *)b].phrase);
}

/* Town names of 5 to UND_WORD_MAX - 1 letters go into the index. */
#define TOWN_TYPO_MIN 5

static void town_put(struct understand *u, uint64_t h, int c)
{
    h |= 1;
    size_t j = h & (u->cap_towns - 1);
    while (u->towns[j].h) {
        if (u->towns[j].h == h && u->towns[j].commune == c)
            return;
        j = (j + 1) & (u->cap_towns - 1);
    }
    u->towns[j] = (struct town_key){h, c};
}

/* The hash of w[0..n) without its k-th byte (k = n: the whole word). */
static uint64_t hash_without(const char *w, size_t n, size_t k)
{
    char b[UND_WORD_MAX];
    memcpy(b, w, k);
    memcpy(b + k, w + k + (k < n), n - k - (k < n));
    return hash64(b, n - (k < n));
}

static void towns_build(struct understand *u)
{
    size_t want = 0;
    for (size_t i = 0; i < geo_count(u->geo); i++) {
        const struct geo_commune *c = geo_commune(u->geo, (int)i);
        size_t n = strlen(c->name_fold);
        if (c->parent < 0 && c->activities && n >= TOWN_TYPO_MIN &&
            n < UND_WORD_MAX)
            want += n + 1;
    }
    if (!want)
        return;
    u->cap_towns = 1024;
    while (u->cap_towns < 2 * want)
        u->cap_towns *= 2;
    u->towns = xcalloc(u->cap_towns, sizeof(*u->towns));
    for (size_t i = 0; i < geo_count(u->geo); i++) {
        const struct geo_commune *c = geo_commune(u->geo, (int)i);
        const char *w = c->name_fold;
        size_t n = strlen(w);
        if (c->parent < 0 && c->activities && n >= TOWN_TYPO_MIN &&
            n < UND_WORD_MAX)
            for (size_t k = 0; k <= n; k++)
                town_put(u, hash_without(w, n, k), (int)i);
    }
}

int understand_town_typo(const struct understand *u, const char *w)
{
    size_t n = strlen(w);
    int best = -1;
    if (!u->towns || n < TOWN_TYPO_MIN || n >= UND_WORD_MAX)
        return -1;
    for (size_t k = 0; k <= n; k++) {
        uint64_t h = hash_without(w, n, k) | 1;
        for (size_t j = h & (u->cap_towns - 1); u->towns[j].h;
             j = (j + 1) & (u->cap_towns - 1)) {
            if (u->towns[j].h != h)
                continue;
            int c = u->towns[j].commune;
            const struct geo_commune *gc = geo_commune(u->geo, c);
            if ((best < 0 ||
                 gc->activities > geo_commune(u->geo, best)->activities) &&
                typo_distance(w, n, gc->name_fold, strlen(gc->name_fold), 1) <=
                    1)
                best = c;
        }
    }
    return best;
}

struct understand *understand_load(sqlite3 *db, const struct geo *geo,
                                   const struct typo_dict *dict)
{
    struct understand *u = xcalloc(1, sizeof(*u));
    u->geo = geo;
    u->dict = dict;
    if (db && load_labels(u, db) < 0) {
        understand_free(u);
        return NULL;
    }
    u->res = xcalloc(understand_nconcepts, sizeof(*u->res));
    u->bylen = xmalloc(understand_nconcepts * sizeof(*u->bylen));
    u->joined = xcalloc(understand_nconcepts, sizeof(*u->joined));
    for (size_t i = 0; i < understand_nconcepts; i++) {
        resolve(u, i);
        u->bylen[i] = (int)i;
        const char *p = understand_concepts[i].phrase;
        char *j = xmalloc(strlen(p) + 1), *o = j;
        for (; *p; p++)
            if (*p != ' ')
                *o++ = *p;
        *o = '\0';
        u->joined[i] = j;
    }
    qsort(u->bylen, understand_nconcepts, sizeof(*u->bylen), cmp_concept);
    if (geo)
        towns_build(u);
    return u;
}

void understand_free(struct understand *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->nlabels; i++) {
        free(u->labels[i].list);
        free(u->labels[i].code);
        free(u->labels[i].label);
    }
    free(u->labels);
    if (u->res)
        for (size_t i = 0; i < understand_nconcepts; i++) {
            free(u->res[i].prof);
            free(u->res[i].spec);
        }
    free(u->res);
    free(u->bylen);
    if (u->joined)
        for (size_t i = 0; i < understand_nconcepts; i++)
            free(u->joined[i]);
    free(u->joined);
    for (size_t i = 0; i < u->nowned; i++)
        free(u->owned[i]);
    free(u->owned);
    free(u->towns);
    free(u);
}
