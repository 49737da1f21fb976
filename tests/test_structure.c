/* Structures' pure parts, as tables of cases: the folding of street and
 * name abbreviations (common/abbrev.h), the recognition of a SIRET or a
 * FINESS as pasted (server/structure.h), the words that name a kind of
 * structure or a type of way. */
#include "abbrev.h"
#include "fold.h"
#include "structure.h"
#include "t.h"

static const struct {
    int street;
    const char *in, *out;
} fold_cases[] = {
    {1, "12 bd Haussmann", "12 boulevard haussmann"},
    {1, "12 BOULEVARD HAUSSMANN", "12 boulevard haussmann"},
    {1, "3 av. Jean Jaurès", "3 avenue jean jaures"},
    {1, "r de la Paix", "rue de la paix"},
    {1, "pl du Marché", "place du marche"},
    {1, "fg St-Antoine", "faubourg saint antoine"},
    {1, "7 ch des Vignes", "7 chemin des vignes"},
    {1, "rte de Lyon", "route de lyon"},
    {1, "imp. des Lilas", "impasse des lilas"},
    {1, "all des Tilleuls", "allee des tilleuls"},
    {1, "sq Mozart", "square mozart"},
    {1, "qu des Chartrons", "quai des chartrons"},
    {1, "crs Mirabeau", "cours mirabeau"},
    {1, "ste Anne", "sainte anne"},
    {1, "", ""},
    /* A name: "ch" is a centre hospitalier there, not a chemin. */
    {0, "Clinique St Joseph", "clinique saint joseph"},
    {0, "CH de Nantes", "ch de nantes"},
    {0, "Cabinet du Dr Martin", "cabinet du docteur martin"},
};

static const struct {
    const char *in, *out;
} name_cases[] = {
    {"centre hospitalier de nantes", "centre hospitalier de nantes ch"},
    {"centre hospitalier universitaire de nantes",
     "centre hospitalier universitaire de nantes chu ch"},
    {"maison de sante pluriprofessionnelle de brest",
     "maison de sante pluriprofessionnelle de brest msp"},
    {"clinique st joseph", "clinique saint joseph"},
    {"centre hospitalie", "centre hospitalie"},
};

static const struct {
    const char *in;
    int siret, finess;
    const char *out;
} id_cases[] = {
    {"26442149601738", 1, 0, "26442149601738"},
    {"264 421 496 01738", 1, 0, "26442149601738"},
    {"264.421.496.01738", 1, 0, "26442149601738"},
    {"26442149601739", 0, 0, NULL}, /* the Luhn key is wrong */
    {"2644214960173", 0, 0, NULL},  /* 13 digits */
    {"264421496017380", 0, 0, NULL},
    {"440495010", 0, 1, "440495010"},
    {"440 495 010", 0, 1, "440495010"},
    {"2A0000123", 0, 1, "2A0000123"},
    {"2b 000 0123", 0, 1, "2B0000123"},
    {"9C1234567", 0, 1, "9C1234567"},
    {"9G1234567", 0, 0, NULL},
    {"001234567", 0, 0, NULL}, /* no department 00 */
    {"44049501", 0, 0, NULL},
    {"44049501X", 0, 0, NULL},
    {"chu nantes", 0, 0, NULL},
};

int main(void)
{
    char out[512];
    for (size_t i = 0; i < sizeof fold_cases / sizeof *fold_cases; i++) {
        size_t n = structure_fold(fold_cases[i].in, fold_cases[i].street, out,
                                  sizeof out);
        T_EQ_STR(out, fold_cases[i].out);
        T_EQ_INT(n, strlen(fold_cases[i].out));
    }
    for (size_t i = 0; i < sizeof name_cases / sizeof *name_cases; i++) {
        const char *in = name_cases[i].in;
        abbrev_name(in, strlen(in), out, sizeof out);
        T_EQ_STR(out, name_cases[i].out);
    }
    /* Words that do not fit are dropped whole, the output stays a
     * string. */
    T_EQ_INT(abbrev_fold(ABBREV_STREET, "bd haussmann", 12, out, 12), 9);
    T_EQ_STR(out, "boulevard");
    for (size_t i = 0; i < sizeof id_cases / sizeof *id_cases; i++) {
        char s[15], f[10];
        int is = structure_siret(id_cases[i].in, s);
        int isf = structure_finess(id_cases[i].in, f);
        T_EQ_INT(is, id_cases[i].siret);
        T_EQ_INT(isf, id_cases[i].finess);
        if (is)
            T_EQ_STR(s, id_cases[i].out);
        if (isf)
            T_EQ_STR(f, id_cases[i].out);
    }
    T_EQ_INT(structure_keyword("chu"), 2);
    T_EQ_INT(structure_keyword("clinique"), 2);
    T_EQ_INT(structure_keyword("centre"), 1);
    T_EQ_INT(structure_keyword("martin"), 0);
    /* One edit from a kind of structure of 6 letters or more. */
    T_EQ_INT(structure_keyword_near("phramacie"), 2);
    T_EQ_INT(structure_keyword_near("cliniuqe"), 2);
    T_EQ_INT(structure_keyword_near("caibnet"), 1);
    T_EQ_INT(structure_keyword_near("sealrl"), 2);
    T_EQ_INT(structure_keyword_near("chu"), 2);
    T_EQ_INT(structure_keyword_near("cabinet"), 1);
    T_EQ_INT(structure_keyword_near("phrmcie"), 0); /* two edits */
    T_EQ_INT(structure_keyword_near("chv"), 0);     /* too short to tell */
    T_EQ_INT(structure_keyword_near("martin"), 0);
    T_EQ_INT(structure_street_type("bd"), 1);
    T_EQ_INT(structure_street_type("rue"), 1);
    T_EQ_INT(structure_street_type("paix"), 0);
    T_EQ_INT(structure_stopword("de"), 1);
    T_EQ_INT(structure_stopword("dupont"), 0);
    return t_done();
}
