/* rpps-gen's search cases: see cases.h. */
#include "cases.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "text.h"
#include "util.h"
#include "banned.h"

/* Building one set of cases. */
struct cases {
    struct gen *g;
    struct rng r;    /* the set's own stream, the same for every seed */
    int k;           /* cases so far in the set: cycles professions and towns */
    char *rare_used; /* rare_used[i]: rare_tab[i] is taken */
    size_t rare_first_next; /* rare_first_tab[] is taken in order */
};

/* The next unused planted-only surname meeting the filter. */
static const char *take_rare(struct cases *cs, int need_accent, int one_word,
                             size_t min_len)
{
    for (size_t i = 0; i < rare_count; i++) {
        char j[128], f[128];
        if (cs->rare_used[i])
            continue;
        text_fold_joined(rare_tab[i], j, sizeof j);
        text_fold(rare_tab[i], f, sizeof f);
        if (need_accent && !text_has_non_ascii(rare_tab[i]))
            continue;
        if (!need_accent && text_has_non_ascii(rare_tab[i]) && min_len == 0)
            continue; /* keep the accented ones for the accent cases */
        if (one_word && strchr(f, ' '))
            continue;
        if (strlen(j) < min_len)
            continue;
        cs->rare_used[i] = 1;
        return rare_tab[i];
    }
    log_error("internal error: planted surnames exhausted");
    abort();
}

static const char *take_rare_first(struct cases *cs, int *female)
{
    if (cs->rare_first_next >= rare_first_count) {
        log_error("internal error: planted first names exhausted");
        abort();
    }
    *female = rare_first_tab[cs->rare_first_next].female;
    return rare_first_tab[cs->rare_first_next++].name;
}

/* Towns for the cases that do not name one. */
static const char *const case_towns[] = {
    "75111", "75115", "69383", "13208", "31555", "44109", "33063", "34172",
    "67482", "59350", "35238", "06088", "21231", "49007", "63113", "76351",
    "37261", "38185", "87085", "80021", "30189", "72181", "25056", "54395",
};
#define NCASE_TOWNS (sizeof case_towns / sizeof case_towns[0])

/* Professions cycled through by the name cases. */
static const int case_profs[] = {P_MED, P_INF, P_KINE, P_PHARM,    P_DENT,
                                 P_SF,  P_PSY, P_MED,  P_ORTHOPHO, P_PODO};
#define NCASE_PROFS (sizeof case_profs / sizeof case_profs[0])

static const char *common_first(int female, int k)
{
    return female ? female_tab[(k * 7) % 40] : male_tab[(k * 7) % 40];
}

/* A town as a user types it: "lyon" for an arrondissement, "st etienne"
 * now and then for a Saint-. */
static void town_query(const struct gen *g, int commune, int variant, char *out,
                       size_t cap)
{
    const char *name = g->towns.c[commune].name;
    static const char *const cities[] = {"Paris ", "Lyon ", "Marseille "};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(cities[i]);
        if (strncmp(name, cities[i], l) == 0) {
            text_copy(out, cap, cities[i]);
            out[l - 1] = '\0';
            text_lower(out, out);
            return;
        }
    }
    text_fold(name, out, cap);
    if (variant && strncmp(out, "saint ", 6) == 0) {
        char t[96];
        text_printf(t, sizeof t, "st %s", out + 6);
        text_copy(out, cap, t);
    }
}

static void q2(char *q, size_t cap, const char *a, const char *b)
{
    text_printf(q, cap, "%s %s", a, b);
}

/* The query "a b", or "b a" when flip. */
static void q2_either(struct tcase *c, int flip, const char *a, const char *b)
{
    if (flip)
        q2(c->query, sizeof c->query, b, a);
    else
        q2(c->query, sizeof c->query, a, b);
}

/* A name as the files write it and as a user types it; a first name's
 * with female 1 for a woman's. */
struct typed {
    const char *written, *typed;
};
struct typed_first {
    const char *written, *typed;
    int female;
};

/* Plants a professional for each surname of t[0..n), with a planted-only
 * first name, in the town town_off after the case's: a case of that kind
 * finds them by the surname typed, then the first name (in the other
 * order for the odd ones when flip). */
static void typed_surnames(struct cases *cs, int kind, const struct typed *t,
                           size_t n, int flip, int town_off)
{
    char b[128];
    for (size_t i = 0; i < n; i++, cs->k++) {
        int k = cs->k, female;
        const char *f = take_rare_first(cs, &female);
        int w = plant_add(cs->g, t[i].written, f, female,
                          case_profs[k % NCASE_PROFS], -1,
                          case_towns[(k + town_off) % NCASE_TOWNS], 0);
        text_fold(f, b, sizeof b);
        struct tcase *c = plant_case(cs->g, kind, w, -1);
        q2_either(c, flip && i % 2, t[i].typed, b);
    }
}

/* Plants a professional for each first name of t[0..n), with a
 * planted-only surname: a case of that kind finds them by the first name
 * typed, then the surname. */
static void typed_firsts(struct cases *cs, int kind,
                         const struct typed_first *t, size_t n)
{
    char a[128];
    for (size_t i = 0; i < n; i++, cs->k++) {
        int k = cs->k;
        const char *s = take_rare(cs, 0, 0, 0);
        int w = plant_add(cs->g, s, t[i].written, t[i].female,
                          case_profs[k % NCASE_PROFS], -1,
                          case_towns[k % NCASE_TOWNS], 0);
        text_fold(s, a, sizeof a);
        struct tcase *c = plant_case(cs->g, kind, w, -1);
        q2(c->query, sizeof c->query, t[i].typed, a);
    }
}

/* Applies one typing error to the folded surname s: 0 insertion,
 * 1 deletion, 2 substitution, 3 transposition, away from the first
 * letter. */
static void typo_edit(char *s, size_t cap, int type, struct rng *r)
{
    size_t n = strlen(s);
    size_t pos = 1 + rng_below(r, (uint32_t)(n - 2));
    static const char letters[] = "aeioulnrstm";
    switch (type) {
    case 0:
        if (n + 2 > cap)
            return;
        memmove(s + pos + 1, s + pos, n - pos + 1);
        s[pos] = letters[rng_below(r, sizeof letters - 1)];
        break;
    case 1:
        memmove(s + pos, s + pos + 1, n - pos);
        break;
    case 2: {
        char c;
        do
            c = letters[rng_below(r, sizeof letters - 1)];
        while (c == s[pos]);
        s[pos] = c;
        break;
    }
    default:
        while (pos + 1 < n && s[pos] == s[pos + 1])
            pos++;
        if (pos + 1 >= n)
            pos = 1;
        char t = s[pos];
        s[pos] = s[pos + 1];
        s[pos + 1] = t;
        break;
    }
}

/* 1 if a folded word is a word of a common surname or of another
 * planted-only surname than own. */
static int word_taken(const char *w, const char *own)
{
    char f[128];
    for (size_t i = 0; i < surname_count + rare_count; i++) {
        const char *s =
            i < surname_count ? surname_tab[i] : rare_tab[i - surname_count];
        if (s == own)
            continue;
        text_fold(s, f, sizeof f);
        for (char *tok = f; *tok;) {
            char *end = strchr(tok, ' ');
            if (end)
                *end = '\0';
            if (strcmp(tok, w) == 0)
                return 1;
            if (!end)
                break;
            tok = end + 1;
        }
    }
    return 0;
}

/* 1 if some common or other planted surname has a word starting with
 * prefix. */
static int prefix_taken(const char *prefix, const char *own)
{
    char f[128];
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < surname_count + rare_count; i++) {
        const char *s =
            i < surname_count ? surname_tab[i] : rare_tab[i - surname_count];
        if (s == own)
            continue;
        text_fold(s, f, sizeof f);
        for (char *tok = f; *tok;) {
            char *end = strchr(tok, ' ');
            if (end)
                *end = '\0';
            if (strncmp(tok, prefix, pl) == 0)
                return 1;
            if (!end)
                break;
            tok = end + 1;
        }
    }
    return 0;
}

/* Plants the answer to a name + profession + place case, in the commune
 * insee, and its two decoys: the same name and profession in the commune
 * elsewhere, the same name and place in another profession (a nurse; a
 * physiotherapist when the answer is a nurse). Their first names are
 * common_first()'s from first_k on. Returns the answer. */
static int answer_and_decoys(struct gen *g, const char *surname, int prof,
                             int spec, int female, const char *insee,
                             const char *elsewhere, int first_k)
{
    int w = plant_add(g, surname, common_first(female, first_k), female, prof,
                      spec, insee, 0);
    plant_add(g, surname, common_first(!female, first_k + 1), !female, prof,
              spec, elsewhere, 0);
    plant_add(g, surname, common_first(female, first_k + 2), female,
              prof == P_INF ? P_KINE : P_INF, -1, insee, 0);
    return w;
}

struct mixed_def {
    const char *surname;
    int prof, spec;
    const char *insee, *query, *keys;
};

/* A case of that kind for each of defs[0..n): its answer and decoys (the
 * answer a woman for the professions mostly of women, else every other
 * one; first names from common_first(, k + first_off)), its query, and
 * the combination kept from the random population. */
static void named_cases(struct cases *cs, int kind,
                        const struct mixed_def *defs, size_t n, int first_off)
{
    struct gen *g = cs->g;
    for (size_t i = 0; i < n; i++, cs->k++) {
        const struct mixed_def *d = &defs[i];
        int k = cs->k;
        int female = d->prof == P_INF || d->prof == P_SF ||
                     d->prof == P_ORTHOPHO || (i % 2);
        int w =
            answer_and_decoys(g, d->surname, d->prof, d->spec, female, d->insee,
                              case_towns[(k + 5) % NCASE_TOWNS], k + first_off);
        struct tcase *c = plant_case(g, kind, w, -1);
        text_copy(c->query, sizeof c->query, d->query);
        plant_mixed_add(g, d->surname, d->prof, d->spec,
                        towns_find(&g->towns, d->insee), "", d->keys);
    }
}

static const struct mixed_def mixed_defs[] = {
    {"MARTIN", P_MED, S_CARDIO, "90010", "martin cardiologue belfort", ""},
    {"DUPONT", P_DENT, -1, "90010", "dentiste dupont 90000", "dupond"},
    {"LEFÈVRE", P_KINE, -1, "42218", "kiné lefevre st etienne",
     "lefebvre,lefeuvre"},
    {"BERNARD", P_MED, S_PEDIA, "01053", "pédiatre bernard bourg en bresse",
     ""},
    {"THOMAS", P_INF, -1, "2A004", "infirmière thomas ajaccio", ""},
    {"PETIT", P_PHARM, -1, "2B033", "pharmacien petit bastia", ""},
    {"ROBERT", P_SF, -1, "42218", "sage-femme robert 42000", ""},
    {"RICHARD", P_MED, S_PSY, "29232", "psychiatre richard quimper", ""},
    {"DURAND", P_MED, S_OPHTALMO, "56260", "ophtalmologue durand vannes", ""},
    {"DUBOIS", P_ORTHOPHO, -1, "53130", "orthophoniste dubois laval", ""},
    {"MOREAU", P_PSY, -1, "19272", "psychologue moreau tulle", ""},
    {"LAURENT", P_DENT, -1, "48095", "dentiste laurent 48000", ""},
    {"SIMON", P_MED, -1, "05061", "médecin simon gap", ""},
    {"MICHEL", P_KINE, -1, "09122", "kinésithérapeute michel foix", ""},
    {"LE GOFF", P_INF, -1, "29019", "infirmier le goff brest", "legoff"},
    {"GARCIA", P_OPT, -1, "66136", "opticien garcia perpignan", ""},
    {"N'DIAYE", P_MED, S_ORL, "97302", "orl ndiaye cayenne", "ndiaye"},
    {"DUPOND", P_PODO, -1, "21231", "podologue dupond dijon", "dupont"},
    {"PERRAULT", P_SF, -1, "79191", "sage femme perrault niort", "perraut"},
    {"FOURNIER", P_MED, S_CARDIO, "74010", "cardiologue fournier 74000", ""},
    {"ROUX", P_PHARM, -1, "94038", "pharmacien roux l'haÿ-les-roses", "leroux"},
    {"SCHMITT", P_INF, -1, "68066", "infirmière schmitt colmar", ""},
};

/* accent: names typed without accents, in one case. */
static void cases_accent(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char q[192], a[128], b[128];

    static const char *const acc_f[] = {"Céline", "Hélène", "Anaïs",    "Zoé",
                                        "Gaëlle", "Noémie", "Clémence", "Agnès",
                                        "Léa",    "Inès"};
    static const char *const acc_m[] = {"Jérôme", "François", "Joël",   "Loïc",
                                        "Benoît", "Raphaël",  "Gérard", "Rémi",
                                        "Hervé",  "Cédric"};
    for (int i = 0; i < 20; i++, k++) {
        const char *s = take_rare(cs, 1, 0, 0);
        int female = i % 2;
        const char *f = female ? acc_f[i / 2] : acc_m[i / 2];
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[k % NCASE_TOWNS], 0);
        struct tcase *c = plant_case(g, C_ACCENT, w, -1);
        text_fold(s, a, sizeof a);
        text_fold(f, b, sizeof b);
        if (i % 3 == 0)
            q2(q, sizeof q, b, a);
        else
            q2(q, sizeof q, a, b);
        if (i % 2)
            text_ascii_upper(q);
        text_copy(c->query, sizeof c->query, q);
    }
    cs->k = k;
}

/* prefix: the start of a rare surname and the first name. */
static void cases_prefix(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char a[128], b[128];

    for (int i = 0; i < 18; i++, k++) {
        const char *s = take_rare(cs, 0, 1, 8);
        int female = i % 2;
        const char *f = common_first(female, k);
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[k % NCASE_TOWNS], 0);
        text_fold(s, a, sizeof a);
        size_t len = 4 + (size_t)(i % 3);
        char pre[16];
        for (;; len++) {
            memcpy(pre, a, len);
            pre[len] = '\0';
            if (len >= strlen(a) || !prefix_taken(pre, s))
                break;
        }
        plant_prefix(g, pre);
        text_fold(f, b, sizeof b);
        struct tcase *c = plant_case(g, C_PREFIX, w, -1);
        q2(c->query, sizeof c->query, pre, b);
    }
    cs->k = k;
}

/* typo: one edit in a surname of 5+ letters, two for 9+. */
static void cases_typo(struct cases *cs)
{
    struct gen *g = cs->g;
    struct rng *r = &cs->r;
    int k = cs->k;
    char a[128], b[128];

    for (int i = 0; i < 22; i++, k++) {
        const char *s = take_rare(cs, 0, 1, 5);
        int female = i % 2;
        const char *f = common_first(female, k + 3);
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[k % NCASE_TOWNS], 0);
        text_fold(s, a, sizeof a);
        char ty[128];
        for (int attempt = 0;; attempt++) {
            text_copy(ty, sizeof ty, a);
            int edits = strlen(a) >= 9 ? 2 : 1;
            for (int e = 0; e < edits; e++)
                typo_edit(ty, sizeof ty, (i + e) % 4, r);
            if (strcmp(ty, a) != 0 && !word_taken(ty, s))
                break;
            if (attempt > 100) {
                log_error("internal error: no typo for %s", s);
                abort();
            }
        }
        plant_block(g, ty);
        text_fold(f, b, sizeof b);
        struct tcase *c = plant_case(g, C_TYPO, w, -1);
        if (i % 2)
            q2(c->query, sizeof c->query, ty, b);
        else
            text_copy(c->query, sizeof c->query, ty);
    }
    cs->k = k;
}

/* exact: the full name as written. */
static void cases_exact(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char q[192];

    for (int i = 0; i < 20; i++, k++) {
        const char *s = take_rare(cs, 0, 0, 0);
        int female = i % 2;
        const char *f = common_first(female, k);
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[k % NCASE_TOWNS], 0);
        struct tcase *c = plant_case(g, C_EXACT, w, -1);
        if (i % 3 == 0)
            q2(c->query, sizeof c->query, f, s);
        else if (i % 3 == 1)
            q2(c->query, sizeof c->query, s, f);
        else {
            q2(q, sizeof q, f, s);
            text_lower(q, c->query);
        }
    }
    cs->k = k;
}

/* variant: spelling variants of the surname or the first name. */
static void cases_variant(struct cases *cs)
{
    static const struct typed var_s[] = {
        {"LEFEBVRE", "lefevre"}, {"LEFÈVRE", "lefebvre"},
        {"LEFEUVRE", "lefevre"}, {"DUPOND", "dupont"},
        {"DUPONT", "dupond"},    {"PERRAULT", "perraut"},
        {"PERRAUT", "perrault"}, {"RENAULT", "renaut"},
        {"THIBAULT", "thibaut"}, {"PHILIPPOT", "filippot"},
        {"JOSEPH", "josef"},     {"STEPHAN", "stefan"},
        {"GUYOT", "guiot"},      {"MEYER", "meier"},
        {"REYNAUD", "reinaud"},
    };
    static const struct typed_first var_f[] = {
        {"Philipe", "philippe", 0}, {"Philippe", "philipe", 0},
        {"Thibault", "thibaut", 0}, {"Raphaël", "rafael", 0},
        {"Sylvia", "silvia", 1},
    };
    typed_surnames(cs, C_VARIANT, var_s, sizeof var_s / sizeof var_s[0], 0, 0);
    typed_firsts(cs, C_VARIANT, var_f, sizeof var_f / sizeof var_f[0]);
}

/* compound: particles, apostrophes and hyphens typed joined or
 * apart. */
static void cases_compound(struct cases *cs)
{
    static const struct typed cmp_s[] = {
        {"LE GOFF", "legoff"},
        {"N'DIAYE", "ndiaye"},
        {"DE LA FONTAINE", "delafontaine"},
        {"LE BIHAN", "lebihan"},
        {"MEDDAH-LAÏD", "meddahlaid"},
        {"D'ALMEIDA", "dalmeida"},
        {"DA SILVA", "dasilva"},
        {"LE GALL", "legall"},
        {"DOS SANTOS", "dossantos"},
        {"BEN ALI", "benali"},
        {"LE ROUX", "leroux"},
        {"SAINT-MARTIN", "saintmartin"},
    };
    static const struct typed_first cmp_f[] = {
        {"Jean-François", "jean francois", 0},
        {"Marie-Hélène", "marie helene", 1},
        {"Anne-Sophie", "annesophie", 1},
        {"Jean-Pierre", "jeanpierre", 0},
        {"Marie-Claire", "marie claire", 1},
        {"Jean-Luc", "jean luc", 0},
        {"Pierre-Yves", "pierre yves", 0},
        {"Marie-Laure", "marielaure", 1},
    };
    typed_surnames(cs, C_COMPOUND, cmp_s, sizeof cmp_s / sizeof cmp_s[0], 1, 0);
    typed_firsts(cs, C_COMPOUND, cmp_f, sizeof cmp_f / sizeof cmp_f[0]);
}

/* homonym_town: the same rare name in two towns; the query names one.
 * Some sides have the town only in "Bureau cedex". */
static void cases_homonym(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char a[128], b[128], t[96];

    static const struct {
        const char *a, *b;
        int cedex_a;
    } hom[] = {
        {"90010", "01053", 0}, {"42218", "63113", 0}, {"2A004", "2B033", 0},
        {"94038", "94081", 1}, {"97209", "97302", 0}, {"69383", "69266", 0},
        {"13205", "13001", 0}, {"75111", "93048", 0}, {"01053", "35238", 1},
        {"29019", "29232", 0},
    };
    for (size_t i = 0; i < sizeof hom / sizeof hom[0]; i++, k++) {
        const char *s = take_rare(cs, 0, 0, 0);
        int female;
        const char *f = take_rare_first(cs, &female);
        int wa = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                           hom[i].a, hom[i].cedex_a);
        int wb = plant_add(g, s, f, female, case_profs[(k + 3) % NCASE_PROFS],
                           -1, hom[i].b, 0);
        text_fold(s, a, sizeof a);
        text_fold(f, b, sizeof b);
        town_query(g, g->pl[wa].commune, (int)i % 2, t, sizeof t);
        struct tcase *c = plant_case(g, C_HOMONYM, wa, -1);
        text_printf(c->query, sizeof c->query, "%s %s %s", b, a, t);
        town_query(g, g->pl[wb].commune, (int)i % 2, t, sizeof t);
        c = plant_case(g, C_HOMONYM, wb, -1);
        text_printf(c->query, sizeof c->query, "%s %s %s", a, b, t);
    }
    cs->k = k;
}

/* mixed: a common name, a profession word and a town. Two decoys each:
 * the same name and profession elsewhere, the same name and town in
 * another profession. */
static void cases_mixed(struct cases *cs)
{
    named_cases(cs, C_MIXED, mixed_defs,
                sizeof mixed_defs / sizeof mixed_defs[0], 0);
}

/* 1 if a folded word is a first name of the tables (common or rare). */
static int first_taken(const char *w)
{
    char f[64];
    for (size_t i = 0; i < female_count + male_count + rare_first_count; i++) {
        const char *s =
            i < female_count ? female_tab[i]
            : i < female_count + male_count
                ? male_tab[i - female_count]
                : rare_first_tab[i - female_count - male_count].name;
        text_fold(s, f, sizeof f);
        if (strcmp(f, w) == 0)
            return 1;
    }
    return 0;
}

/* dept: a common name, a profession or specialty word and a department
 * number, which must become a filter. Decoys: the same name and
 * profession in a neighbouring department, the same name in the same
 * department in another profession. Without a decoy, the answer is the
 * first set's "mixed" one in that commune (its decoys are planted). keys:
 * as for plant_mixed_add(). */
static const struct {
    const char *surname;
    int prof, spec;
    const char *insee, *decoy, *query, *keys;
} dept_defs[] = {
    {"DUPONT", P_DENT, -1, "90010", NULL, "dentiste dupont 90", "dupond"},
    {"MARTIN", P_KINE, -1, "2A247", "2B033", "kine martin 2a", ""},
    {"LEROY", P_INF, -1, "97416", "97611", "infirmier leroy 974", ""},
    {"BERNARD", P_MED, -1, "2B050", "2A004", "medecin bernard 2B", ""},
    {"THOMAS", P_PHARM, -1, "97101", "97209", "pharmacien thomas 971", ""},
    {"PETIT", P_SF, -1, "48095", "12300", "sage-femme petit 48", ""},
    {"DURAND", P_ORTHOPHO, -1, "05023", "04112", "orthophoniste durand 05", ""},
    {"RICHARD", P_PSY, -1, "09225", "31555", "psychologue richard 09", ""},
    {"MOREAU", P_PODO, -1, "23096", "87085", "podologue moreau 23", ""},
    {"DUBOIS", P_KINE, -1, "97213", "97101", "kinésithérapeute dubois 972", ""},
    {"LAURENT", P_INF, -1, "97611", "97411", "infirmière laurent 976", ""},
    {"FOURNIER", P_MED, S_CARDIO, "01004", "69383", "cardiologue fournier 01",
     ""},
    {"GIRARD", P_DENT, -1, "69266", "01053", "dentiste 69 girard", ""},
};

/* The same answers asked with a word before the number, or with the
 * department's name (dept_name): the index in dept_defs[] and the query. */
struct dept_ask {
    int def;
    const char *query;
};

static const struct dept_ask dept_more[] = {
    {8, "podologue moreau département 23"},
    {7, "psychologue richard dept 09"},
    {1, "kine martin dép 2a"},
};

static const struct dept_ask dept_names[] = {
    {0, "dentiste dupont territoire de belfort"},
    {1, "kine martin corse du sud"},
    {2, "infirmier leroy la réunion"},
    {3, "medecin bernard haute-corse"},
    {4, "pharmacien thomas guadeloupe"},
    {5, "sage-femme petit lozère"},
    {6, "orthophoniste durand hautes-alpes"},
    {7, "psychologue richard ariège"},
    {8, "podologue moreau creuse"},
    {9, "kinésithérapeute dubois martinique"},
    {10, "infirmière laurent mayotte"},
    {11, "cardiologue fournier ain"},
    {12, "dentiste girard rhône"},
};

/* typo_initial in a query with a profession and a town: the first set's
 * "mixed" answers with the first letter of the name wrong. */
static const struct {
    const char *surname;
    int prof;
    const char *insee, *typed, *query;
} typo_mixed[] = {
    {"DUPONT", P_DENT, "90010", "fupont", "dentiste fupont belfort"},
    {"BERNARD", P_MED, "01053", "vernard", "pediatre vernard bourg en bresse"},
    {"THOMAS", P_INF, "2A004", "yhomas", "infirmiere yhomas ajaccio"},
    {"RICHARD", P_MED, "29232", "eichard", "psychiatre eichard quimper"},
};

/* town_typo: the first set's "mixed" answers and the "specialty" ones,
 * with one edit in the town's name (none of these is a commune's word). */
static const struct {
    const char *surname;
    int prof;
    const char *insee, *query;
} town_typos[] = {
    {"MARTIN", P_MED, "90010", "cardiologue martin belfrot"},
    {"LEFÈVRE", P_KINE, "42218", "kiné lefevre saint etiene"},
    {"THOMAS", P_INF, "2A004", "infirmière thomas ajacio"},
    {"RICHARD", P_MED, "29232", "psychiatre richard quimpr"},
    {"N'DIAYE", P_MED, "97302", "orl ndiaye cayene"},
    {"GARCIA", P_OPT, "66136", "opticien garcia perpigan"},
    {"DUPOND", P_PODO, "21231", "podologue dupond dijno"},
    {"PERRAULT", P_SF, "79191", "sage femme perrault nirot"},
    {"SCHMITT", P_INF, "68066", "infirmière schmitt colmr"},
    {"DUBOIS", P_ORTHOPHO, "53130", "orthophoniste dubois lavla"},
    {"GIRARD", P_MED, "35238", "pediatre girard renes"},
    {"VINCENT", P_MED, "37261", "gyneco vincent tousr"},
};

/* near: a rare name in one town and the same name in another; near= and
 * radius_km= take in the first (distances between the communes' centres
 * from data/communes.tsv in the comments) and leave out the second. */
static const struct {
    const char *near, *radius, *in, *out;
    int prof_word; /* 1: the query adds the profession word */
} near_defs[] = {
    {"90000", "20", "25388", "25056", 0},    /* Montbéliard 15.3, Besançon */
    {"69003", "10", "69256", "69091", 1},    /* Vaulx-en-V. 6.4, Givors 20.0 */
    {"toulouse", "10", "31069", "31395", 0}, /* Blagnac 5.6, Muret 18.7 */
    {"35000", "15", "35047", "35360", 1},    /* Bruz 11.1, Vitré 34.5 */
    {"50.6330,3.0586", "10", "59378", "59178", 0}, /* Lille: Marcq 4.1,
                                                      Douai 29.2 */
    {"grenoble", "30", "38563", "38053", 1}, /* Voiron 23.0, Bourgoin 56.9 */
    {"06000", "10", "06123", "06004", 0},    /* Nice: St-Laurent 7.0,
                                                Antibes 17.7 */
    {"aix-les-bains", "20", "73065", "73011", 0}, /* Chambéry 14.0,
                                                     Albertville 37.5 */
    {"versailles", "10", "92064", "78498", 1}, /* St-Cloud 6.9, Poissy 15.3 */
    {"47.7521,7.3287", "30", "68297", "68066", 0}, /* Mulhouse: St-Louis
                                                      24.8, Colmar 36.6 */
    {"97460", "15", "97407", "97411", 1},          /* St-Paul: Le Port 8.4,
                                                      St-Denis 23.4 */
    {"bayonne", "10", "64122", "64483", 0}, /* Biarritz 6.9, St-Jean-de-Luz
                                               19.2 */
    {"2A247", "30", "2A041", "2A004", 1},   /* Porto-Vecchio: Bonifacio 24.9,
                                               Ajaccio 57.8 */
};

/* specialty: a common name with a specialty word and a town. */
static const struct mixed_def spec_defs[] = {
    {"GIRARD", P_MED, S_PEDIA, "35238", "pediatre girard rennes", ""},
    {"BONNET", P_MED, S_ORL, "21231", "orl bonnet dijon", ""},
    {"LAMBERT", P_MED, S_OPHTALMO, "44109", "ophtalmo lambert nantes", ""},
    {"VINCENT", P_MED, S_GYNECO, "37261", "gyneco vincent tours", ""},
    {"MULLER", P_MED, S_DERMATO, "67482", "dermato muller strasbourg", ""},
    {"FAURE", P_MED, S_RADIO, "87085", "radiologue faure limoges", ""},
    {"MERCIER", P_MED, S_NEURO, "80021", "neurologue mercier amiens", ""},
    {"BLANC", P_MED, S_PNEUMO, "30189", "pneumologue blanc nimes", ""},
    {"GUÉRIN", P_MED, S_RHUMATO, "72181", "rhumatologue guerin le mans", ""},
    {"BOYER", P_MED, S_GASTRO, "25056", "gastro boyer besancon", ""},
    {"GARNIER", P_MED, S_PEDIA, "54395", "pédiatre garnier nancy", ""},
};

/* The word people type for a profession of case_profs[]. */
static const char *prof_word(int prof)
{
    switch (prof) {
    case P_MED:
        return "medecin";
    case P_INF:
        return "infirmiere";
    case P_KINE:
        return "kine";
    case P_PHARM:
        return "pharmacien";
    case P_DENT:
        return "dentiste";
    case P_SF:
        return "sage-femme";
    case P_PSY:
        return "psychologue";
    case P_ORTHOPHO:
        return "orthophoniste";
    case P_PODO:
        return "podologue";
    default:
        return "opticien";
    }
}

static void no_typo(const char *name)
{
    log_error("internal error: no typo for %s", name);
    abort();
}

/* dept and dept_name: see dept_defs[]. */
static void cases_dept(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    int dept_who[sizeof dept_defs / sizeof dept_defs[0]];

    for (size_t i = 0; i < sizeof dept_defs / sizeof dept_defs[0]; i++, k++) {
        const char *s = dept_defs[i].surname;
        int prof = dept_defs[i].prof, spec = dept_defs[i].spec;
        int w, town = towns_find(&g->towns, dept_defs[i].insee);
        if (!dept_defs[i].decoy) {
            w = plant_find(g, s, prof, dept_defs[i].insee);
        } else {
            int female =
                prof == P_INF || prof == P_SF || prof == P_ORTHOPHO || (i % 2);
            w = answer_and_decoys(g, s, prof, spec, female, dept_defs[i].insee,
                                  dept_defs[i].decoy, k + 11);
        }
        plant_mixed_add(g, s, prof, spec, town, g->towns.c[town].dept,
                        dept_defs[i].keys);
        struct tcase *c = plant_case(g, C_DEPT, w, -1);
        text_copy(c->query, sizeof c->query, dept_defs[i].query);
        dept_who[i] = w;
    }
    for (size_t i = 0; i < sizeof dept_more / sizeof dept_more[0]; i++) {
        struct tcase *c = plant_case(g, C_DEPT, dept_who[dept_more[i].def], -1);
        text_copy(c->query, sizeof c->query, dept_more[i].query);
    }
    for (size_t i = 0; i < sizeof dept_names / sizeof dept_names[0]; i++) {
        struct tcase *c =
            plant_case(g, C_DEPT_NAME, dept_who[dept_names[i].def], -1);
        text_copy(c->query, sizeof c->query, dept_names[i].query);
    }
    cs->k = k;
}

/* typo_initial: the first letter wrong, in a rare surname (with or
 * without the first name), or in a common one with a rare first name. */
static void cases_typo_initial(struct cases *cs)
{
    struct gen *g = cs->g;
    struct rng *r = &cs->r;
    int k = cs->k;
    char a[128], b[128], t[128];

    static const char subst[] = "bcdfgklmnprstv";
    for (int i = 0; i < 10; i++, k++) {
        const char *s, *f;
        int female = i % 2;
        if (i < 7) {
            s = take_rare(cs, 0, 1, 6);
            f = common_first(female, k + 17);
        } else {
            static const char *const common[] = {"DUPONT", "LEFÈVRE",
                                                 "BERNARD"};
            s = common[i - 7];
            f = take_rare_first(cs, &female);
        }
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[(k + 7) % NCASE_TOWNS], 0);
        text_fold(s, a, sizeof a);
        for (int attempt = 0;; attempt++) {
            char ch = subst[rng_below(r, sizeof subst - 1)];
            if (ch != a[0]) {
                text_copy(t, sizeof t, a);
                t[0] = ch;
                if (!word_taken(t, s) && !plant_blocked(g, t))
                    break;
            }
            if (attempt > 100)
                no_typo(s);
        }
        plant_block(g, t);
        text_fold(f, b, sizeof b);
        struct tcase *c = plant_case(g, C_TYPO_INITIAL, w, -1);
        if (i % 3 == 2 && i < 7)
            text_copy(c->query, sizeof c->query, t);
        else
            q2_either(c, i % 2, t, b);
    }

    for (size_t i = 0; i < sizeof typo_mixed / sizeof typo_mixed[0]; i++) {
        int w = plant_find(g, typo_mixed[i].surname, typo_mixed[i].prof,
                           typo_mixed[i].insee);
        if (word_taken(typo_mixed[i].typed, NULL)) {
            log_error("internal error: %s is a name", typo_mixed[i].typed);
            abort();
        }
        plant_block(g, typo_mixed[i].typed);
        struct tcase *c = plant_case(g, C_TYPO_INITIAL, w, -1);
        text_copy(c->query, sizeof c->query, typo_mixed[i].query);
    }
    cs->k = k;
}

/* typo_given: a common surname, the only one with a rare first name,
 * typed with one edit in the first name. */
static void cases_typo_given(struct cases *cs)
{
    struct gen *g = cs->g;
    struct rng *r = &cs->r;
    int k = cs->k;
    char a[128], b[128], t[128];

    for (int i = 0; i < 10; i++, k++) {
        int female;
        const char *f = take_rare_first(cs, &female);
        text_fold(f, b, sizeof b);
        if (strlen(b) < 6) { /* too short for a typo to be matched */
            i--;
            continue;
        }
        const char *s = surname_tab[i];
        int w = plant_add(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                          case_towns[(k + 3) % NCASE_TOWNS], 0);
        for (int attempt = 0;; attempt++) {
            text_copy(t, sizeof t, b);
            typo_edit(t, sizeof t, i % 4, r);
            if (strcmp(t, b) != 0 && !first_taken(t) && !word_taken(t, NULL))
                break;
            if (attempt > 100)
                no_typo(f);
        }
        text_fold(s, a, sizeof a);
        struct tcase *c = plant_case(g, C_TYPO_GIVEN, w, -1);
        q2_either(c, i % 2, a, t);
    }
    cs->k = k;
}

/* exact_vs_variant: two spellings that sound alike, the same first
 * name, profession and town; the query spells one of them, which must
 * come first (expected: that one only). */
static void cases_exact_variant(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char a[128], b[128];

    static const char *const evv_s[][2] = {
        {"LEFEBVRE", "LEFÈVRE"}, {"DUPONT", "DUPOND"}, {"PERRAULT", "PERRAUT"},
        {"GAUTHIER", "GAUTIER"}, {"MEYER", "MAYER"},
    };
    for (size_t i = 0; i < sizeof evv_s / sizeof evv_s[0]; i++, k++) {
        int female;
        const char *f = take_rare_first(cs, &female);
        const char *town = case_towns[(k + 11) % NCASE_TOWNS];
        int prof = case_profs[k % NCASE_PROFS];
        int w[2];
        for (int j = 0; j < 2; j++)
            w[j] = plant_add(g, evv_s[i][j], f, female, prof, -1, town, 0);
        text_fold(f, b, sizeof b);
        for (int j = 0; j < 2; j++) {
            text_fold(evv_s[i][j], a, sizeof a);
            struct tcase *c = plant_case(g, C_EXACT_VARIANT, w[j], -1);
            q2_either(c, (int)((i + (size_t)j) % 2), a, b);
        }
    }
    static const char *const evv_f[][2] = {
        {"Philippe", "Philipe"},
        {"Mathieu", "Matthieu"},
        {"Thibault", "Thibaut"},
    };
    for (size_t i = 0; i < sizeof evv_f / sizeof evv_f[0]; i++, k++) {
        const char *s = take_rare(cs, 0, 0, 0);
        const char *town = case_towns[(k + 11) % NCASE_TOWNS];
        int prof = case_profs[k % NCASE_PROFS];
        int w[2];
        for (int j = 0; j < 2; j++)
            w[j] = plant_add(g, s, evv_f[i][j], 0, prof, -1, town, 0);
        text_fold(s, a, sizeof a);
        for (int j = 0; j < 2; j++) {
            text_fold(evv_f[i][j], b, sizeof b);
            struct tcase *c = plant_case(g, C_EXACT_VARIANT, w[j], -1);
            q2_either(c, (int)((i + (size_t)j) % 2), a, b);
        }
    }
    cs->k = k;
}

/* near: expected the one within the radius; the homonym outside it
 * must be left out or rank after. */
static void cases_near(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char a[128], b[128];

    for (size_t i = 0; i < sizeof near_defs / sizeof near_defs[0]; i++, k++) {
        const char *s = take_rare(cs, 0, 0, 0);
        int female = (int)i % 2;
        const char *f = common_first(female, k + 5);
        int prof = case_profs[k % NCASE_PROFS];
        int w = plant_add(g, s, f, female, prof, -1, near_defs[i].in, 0);
        plant_add(g, s, f, female, prof, -1, near_defs[i].out, 0);
        text_fold(s, a, sizeof a);
        text_fold(f, b, sizeof b);
        struct tcase *c = plant_case(g, C_NEAR, w, -1);
        if (near_defs[i].prof_word)
            q2(c->query, sizeof c->query, prof_word(prof), a);
        else
            q2(c->query, sizeof c->query, b, a);
        text_printf(c->params, sizeof c->params, "near=%s&radius_km=%s",
                    near_defs[i].near, near_defs[i].radius);
    }
    cs->k = k;
}

/* specialty: as "mixed", with the specialty words the first set lacks;
 * the same decoys. */
static void cases_specialty(struct cases *cs)
{
    named_cases(cs, C_SPECIALTY, spec_defs,
                sizeof spec_defs / sizeof spec_defs[0], 19);
}

/* apostrophe: particles typed with the apostrophe, the typographic one
 * (U+2019, as phones type it) or a space. */
static void cases_apostrophe(struct cases *cs)
{
    static const struct typed apo[] = {
        {"D'ALMEIDA", "d'almeida"},    {"D'ALMEIDA", "d\u2019almeida"},
        {"N'DIAYE", "n\u2019diaye"},   {"N'DIAYE", "n diaye"},
        {"L'HERMITE", "l'hermite"},    {"L'HERMITE", "l\u2019hermite"},
        {"D'ARGENT", "d\u2019argent"}, {"D'ARGENT", "d argent"},
        {"N'GUYEN", "n'guyen"},        {"N'GUYEN", "n\u2019guyen"},
    };
    typed_surnames(cs, C_APOSTROPHE, apo, sizeof apo / sizeof apo[0], 1, 13);
}

static void cases_town_typo(struct cases *cs)
{
    struct gen *g = cs->g;

    for (size_t i = 0; i < sizeof town_typos / sizeof town_typos[0]; i++) {
        int w = plant_find(g, town_typos[i].surname, town_typos[i].prof,
                           town_typos[i].insee);
        struct tcase *c = plant_case(g, C_TOWN_TYPO, w, -1);
        text_copy(c->query, sizeof c->query, town_typos[i].query);
    }
}

/* typing: a name being typed whose letters so far spell a commune
 * ("blan": the hamlet of Blan; "lege": Legé and Lège), after a first name
 * only the answer has, and sometimes a profession word: the word must stay
 * a name. The surnames are planted only. */
static const struct {
    const char *prefix, *surname;
    int prof_word;
} typing_defs[] = {
    {"blan", "BLANDEAU", 0},  {"lege", "LEGEMBRE", 0}, {"eu", "EUZENAT", 0},
    {"ham", "HAMONIC", 1},    {"mars", "MARSAUD", 0},  {"lay", "LAYOUNI", 1},
    {"mont", "MONTIGAUD", 0}, {"gap", "GAPIHAN", 0},   {"blan", "BLANQUART", 1},
    {"eu", "EUDELINE", 1},    {"lege", "LEGENVRE", 1}, {"ham", "HAMELINE", 0},
};

static void cases_typing(struct cases *cs)
{
    struct gen *g = cs->g;
    int k = cs->k;
    char f[128];

    for (size_t i = 0; i < sizeof typing_defs / sizeof typing_defs[0];
         i++, k++) {
        int female;
        const char *first = take_rare_first(cs, &female);
        int prof = case_profs[k % NCASE_PROFS];
        int w = plant_add(g, typing_defs[i].surname, first, female, prof, -1,
                          case_towns[(k + 3) % NCASE_TOWNS], 0);
        struct tcase *c = plant_case(g, C_TYPING, w, -1);
        text_fold(first, f, sizeof f);
        if (typing_defs[i].prof_word)
            text_printf(c->query, sizeof c->query, "%s %s %s", prof_word(prof),
                        f, typing_defs[i].prefix);
        else
            q2(c->query, sizeof c->query, f, typing_defs[i].prefix);
    }
    cs->k = k;
}

/* arrondissement: a common name, a profession and an arrondissement of
 * Paris, Lyon or Marseille as people write it. Decoys: the same name and
 * profession in another arrondissement of the city (other), the same name
 * there in another profession. */
static const struct {
    const char *surname;
    int prof, spec;
    const char *insee, *other, *query;
} arr_defs[] = {
    {"PETIT", P_SF, -1, "75109", "75117",
     "sage femme petit paris 9e arrondissement"},
    {"ROUSSEAU", P_DENT, -1, "75116", "75115", "dentiste rousseau paris 16"},
    {"GARNIER", P_KINE, -1, "69383", "69387", "kine garnier lyon 3ème"},
    {"FAURE", P_MED, S_CARDIO, "13212", "13208",
     "cardiologue faure marseille 12e arrondissement"},
    {"MERCIER", P_INF, -1, "75111", "75120", "infirmière mercier paris 11e"},
    {"BLANC", P_MED, -1, "13208", "13212", "médecin blanc marseille 8"},
    {"CHEVALIER", P_PHARM, -1, "69386", "69383",
     "pharmacien chevalier Lyon 6e Arrondissement"},
    {"BONNET", P_ORTHOPHO, -1, "75115", "75116",
     "orthophoniste bonnet paris 15eme"},
    {"MOREL", P_KINE, -1, "75120", "75111",
     "kinésithérapeute morel paris 20e arr"},
    {"ROUSSEL", P_SF, -1, "75109", "75118",
     "Paris 9e arrondissement sage-femme roussel"},
    {"LEMAIRE", P_DENT, -1, "69387", "69386", "lemaire dentiste lyon 7"},
    {"FONTAINE", P_MED, S_PEDIA, "13213", "13209",
     "pédiatre fontaine marseille 13ème arrondissement"},
};

static void cases_arrondissement(struct cases *cs)
{
    struct gen *g = cs->g;
    for (size_t i = 0; i < sizeof arr_defs / sizeof arr_defs[0]; i++, cs->k++) {
        int female = arr_defs[i].prof == P_INF || arr_defs[i].prof == P_SF ||
                     arr_defs[i].prof == P_ORTHOPHO || (i % 2);
        int w = answer_and_decoys(g, arr_defs[i].surname, arr_defs[i].prof,
                                  arr_defs[i].spec, female, arr_defs[i].insee,
                                  arr_defs[i].other, cs->k + 23);
        struct tcase *c = plant_case(g, C_ARRONDISSEMENT, w, -1);
        text_copy(c->query, sizeof c->query, arr_defs[i].query);
        plant_mixed_add(g, arr_defs[i].surname, arr_defs[i].prof,
                        arr_defs[i].spec,
                        towns_find(&g->towns, arr_defs[i].insee), "", "");
    }
}

void cases_build(struct gen *g)
{
    struct cases cs = {.g = g};
    cs.rare_used = xcalloc(rare_count, 1);
    /* The first set. */
    rng_init(&cs.r, 20240601, RNG_PLANT, 0); /* seed-independent on purpose */
    cs.k = 0;
    cases_accent(&cs);
    cases_prefix(&cs);
    cases_typo(&cs);
    cases_exact(&cs);
    cases_variant(&cs);
    cases_compound(&cs);
    cases_homonym(&cs);
    cases_mixed(&cs);
    g->npl_base = g->npl;
    /* The second set of cases: kinds of query the first set lacked. They draw
     * from their own stream and take the names the first set left, and their
     * people come after the n random ones (struct gen's ntot), so the first
     * set, its people and their identifiers stay as they were. */
    rng_init(&cs.r, 20261126, RNG_PLANT, 2); /* its own stream */
    cs.k = 0;
    cases_dept(&cs);
    cases_typo_initial(&cs);
    cases_typo_given(&cs);
    cases_exact_variant(&cs);
    cases_near(&cs);
    cases_specialty(&cs);
    cases_apostrophe(&cs);
    cases_town_typo(&cs);
    /* The third set (issue 13), drawn after the second's so that theirs
     * stay as they were. */
    cases_typing(&cs);
    cases_arrondissement(&cs);
    free(cs.rare_used);
    plant_finish(g);
}
