/* Folding and UTF-8 validation, as tables of cases. */
#include "fold.h"
#include "t.h"

static const struct {
    const char *in, *fold, *joined;
} fold_cases[] = {
    {"LEFÈVRE", "lefevre", "lefevre"},
    {"Lefèvre", "lefevre", "lefevre"},
    {"Jean-François", "jean francois", "jeanfrancois"},
    {"N'DIAYE", "n diaye", "ndiaye"},
    {"N’Diaye", "n diaye", "ndiaye"},
    {"LE GOFF", "le goff", "legoff"},
    {"MEDDAH-LAÏD", "meddah laid", "meddahlaid"},
    {"Œdipe", "oedipe", "oedipe"},
    {"Lætitia", "laetitia", "laetitia"},
    {"STRAß", "strass", "strass"},
    {"  double   espace ", "double espace", "doubleespace"},
    {"Saint-Étienne", "saint etienne", "saintetienne"},
    {"L'Haÿ-les-Roses", "l hay les roses", "lhaylesroses"},
    {"ÇÀÉÎÕÜ", "caeiou", "caeiou"},
    {"Ambérieu-en-Bugey", "amberieu en bugey", "amberieuenbugey"},
    {"O.R.L", "o r l", "orl"},
    {"Łukasz Øster", "lukasz oster", "lukaszoster"},
    {"a\xc2\xa0"
     "b",
     "a b", "ab"}, /* no-break space */
    {"a\xe2\x80\x93"
     "b",
     "a b", "ab"}, /* en dash */
    {"75011", "75011", "75011"},
    {"", "", ""},
    {"---", "", ""},
    {"Ωmega", "Ωmega", "Ωmega"},
};

static const struct {
    const char *s;
    int valid;
} utf8_cases[] = {
    {"plain ascii", 1},
    {"é", 1},
    {"€", 1},
    {"\xf0\x9f\x98\x80", 1}, /* U+1F600 */
    {"\xc3", 0},             /* truncated */
    {"\xc0\xaf", 0},         /* overlong / */
    {"\xe0\x80\xaf", 0},     /* overlong */
    {"\xed\xa0\x80", 0},     /* surrogate */
    {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
    {"\xff", 0},
    {"caf\xe9", 0}, /* Latin-1, not UTF-8 */
    {"\x80", 0},    /* stray continuation */
};

int main(void)
{
    char out[256];
    for (size_t i = 0; i < sizeof(fold_cases) / sizeof(*fold_cases); i++) {
        const char *in = fold_cases[i].in;
        size_t n = fold(in, strlen(in), out);
        T_EQ_STR(out, fold_cases[i].fold);
        T_EQ_INT(n, strlen(fold_cases[i].fold));
        T_CHECK(n <= strlen(in));
        fold_joined(in, strlen(in), out);
        T_EQ_STR(out, fold_cases[i].joined);
    }
    for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(*utf8_cases); i++) {
        const char *s = utf8_cases[i].s;
        if (utf8_valid(s, strlen(s)) != utf8_cases[i].valid)
            fprintf(stderr, "utf8 case %zu\n", i);
        T_EQ_INT(utf8_valid(s, strlen(s)), utf8_cases[i].valid);
    }
    T_EQ_INT(utf8_valid("a\0b", 3), 0); /* NUL is refused */
    return t_done();
}
