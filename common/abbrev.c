/* Street and structure abbreviations: see abbrev.h. */
#include "abbrev.h"

#include <string.h>

#include "banned.h"

struct abbrev {
    const char *abbr, *full;
};

/* The ways' abbreviations of the postal standard (AFNOR NF Z 10-011, the
 * ones practice addresses use), and saint/sainte. Looked up linearly: a
 * query has a handful of words, and the importer calls this once per
 * structure (350,000 at full scale). */
static const struct abbrev street_tab[] = {
    {"all", "allee"},      {"av", "avenue"},      {"ave", "avenue"},
    {"bd", "boulevard"},   {"bld", "boulevard"},  {"boul", "boulevard"},
    {"bvd", "boulevard"},  {"ch", "chemin"},      {"chem", "chemin"},
    {"che", "chemin"},     {"crs", "cours"},      {"fg", "faubourg"},
    {"fbg", "faubourg"},   {"imp", "impasse"},    {"lot", "lotissement"},
    {"pl", "place"},       {"pass", "passage"},   {"pas", "passage"},
    {"prom", "promenade"}, {"qu", "quai"},        {"qua", "quai"},
    {"r", "rue"},          {"res", "residence"},  {"rpt", "rond point"},
    {"rte", "route"},      {"sq", "square"},      {"st", "saint"},
    {"ste", "sainte"},     {"zac", "zac"},        {"za", "za"},
    {"zi", "zi"},          {"hab", "habitation"}, {"hlm", "hlm"},
    {"vla", "villa"},      {"sen", "sentier"},    {"tsse", "terrasse"},
    {"cite", "cite"},      {"carr", "carrefour"}, {"esp", "esplanade"},
    {"gr", "grande rue"},  {"mte", "montee"},     {"pte", "porte"},
    {"pkg", "parking"},    {"hte", "haute"},      {"gde", "grande"},
    {"dr", "docteur"},     {"gal", "general"},    {"pdt", "president"},
    {"mal", "marechal"},   {"cdt", "commandant"},
};

static const struct abbrev name_tab[] = {
    {"st", "saint"},    {"ste", "sainte"},       {"dr", "docteur"},
    {"hop", "hopital"}, {"pharma", "pharmacie"}, {"labo", "laboratoire"},
    {"cab", "cabinet"},
};

/* The acronyms of names written in full: the phrase and what to add. */
static const struct abbrev acronym_tab[] = {
    {"centre hospitalier universitaire", "chu"},
    {"centre hospitalier regional universitaire", "chru chu"},
    {"centre hospitalier regional", "chr"},
    {"centre hospitalier", "ch"},
    {"maison de sante pluriprofessionnelle", "msp"},
    {"centre de sante", "cds"},
    {"laboratoire de biologie medicale", "lbm"},
};

const char *abbrev_word(enum abbrev_kind k, const char *w, size_t n)
{
    const struct abbrev *t = k == ABBREV_STREET ? street_tab : name_tab;
    size_t nt = k == ABBREV_STREET ? sizeof street_tab / sizeof *street_tab
                                   : sizeof name_tab / sizeof *name_tab;
    for (size_t i = 0; i < nt; i++)
        if (strlen(t[i].abbr) == n && memcmp(t[i].abbr, w, n) == 0)
            return t[i].full;
    return NULL;
}

/* Appends w[0..n) and a separating space when out has room; 0 or -1. */
static int put_word(char *out, size_t cap, size_t *o, const char *w, size_t n)
{
    size_t need = n + (*o ? 1 : 0);
    if (*o + need + 1 > cap)
        return -1;
    if (*o)
        out[(*o)++] = ' ';
    memcpy(out + *o, w, n);
    *o += n;
    out[*o] = '\0';
    return 0;
}

size_t abbrev_fold(enum abbrev_kind k, const char *s, size_t n, char *out,
                   size_t cap)
{
    size_t o = 0, i = 0;
    if (cap)
        out[0] = '\0';
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t b = i;
        while (i < n && s[i] != ' ')
            i++;
        if (i == b)
            break;
        const char *full = abbrev_word(k, s + b, i - b);
        if (full)
            put_word(out, cap, &o, full, strlen(full));
        else
            put_word(out, cap, &o, s + b, i - b);
    }
    return o;
}

size_t abbrev_name(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = abbrev_fold(ABBREV_NAME, s, n, out, cap);
    size_t base = o;
    for (size_t i = 0; i < sizeof acronym_tab / sizeof *acronym_tab; i++) {
        const char *p = acronym_tab[i].abbr;
        size_t pl = strlen(p);
        /* The phrase as whole words of the name. */
        for (const char *h = out; (h = strstr(h, p)) && h < out + base; h++) {
            if ((h == out || h[-1] == ' ') &&
                (h[pl] == ' ' || h[pl] == '\0' || h + pl == out + base)) {
                put_word(out, cap, &o, acronym_tab[i].full,
                         strlen(acronym_tab[i].full));
                break;
            }
        }
    }
    return o;
}
