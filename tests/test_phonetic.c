/* The French phonetic key, as tables: spellings that sound alike must get
 * one key, names that sound different must not, a few keys are pinned
 * exactly (the importer stores them: a change is a re-import), and the
 * contract of phonetic.h (never longer than the word, NUL-terminated,
 * total on any bytes) holds. */
#include "phonetic.h"

#include <stdio.h>
#include <string.h>

#include "fold.h"
#include "t.h"

/* Each row: words (as a user or the extract spells them, folded here) that
 * must all get the same key. */
static const char *const meet[][5] = {
    {"LEFÈVRE", "LEFEBVRE", "LEFEUVRE", "lefevre", NULL},
    {"DUPONT", "DUPOND", "dupon", NULL},
    {"PERRAULT", "PERRAUT", "perraud", "perro", NULL},
    {"RENAULT", "renaut", "RENAUD", "RENAUX", NULL},
    {"THIBAULT", "thibaut", "thibaud", NULL},
    {"GAUTHIER", "GAUTIER", "gaultier", NULL},
    {"MEYER", "MAYER", "MEIER", "meyers", NULL},
    {"REYNAUD", "reinaud", "RAYNAUD", "renaud", NULL},
    {"PHILIPPE", "Philipe", "filip", "philip", NULL},
    {"PHILIPPOT", "filippot", "philipot", NULL},
    {"JOSEPH", "josef", NULL},
    {"STEPHAN", "stefan", NULL},
    {"GUYOT", "guiot", NULL},
    {"Raphaël", "rafael", NULL},
    {"Sylvia", "silvia", NULL},
    {"Mathieu", "Matthieu", NULL},
    {"Rémi", "Rémy", NULL},
    {"Yohann", "Yoann", NULL},
    {"DUPUIS", "DUPUY", NULL},
    {"MAILLARD", "mayard", NULL},
    {"Mickaël", "Mikaël", "mickael", NULL},
    {"FAURE", "fore", NULL},
    {"ROUSSEAU", "rousseaux", "rouseau", NULL},
    {"LECLERC", "LECLERCQ", NULL},
    {"MICHEL", "michelle", NULL},
    {"JEAN", "jan", NULL},
    {"GUÉRIN", "guerrin", NULL},
    {"CHEVALIER", "CHEVALLIER", NULL},
    {"COLIN", "COLLIN", NULL},
    {"DUBOIS", "duboit", NULL},
    {"SCHMITT", "chmit", NULL},
    {"MARTIN", "martins", NULL},
    {"LAURENT", "lorand", NULL},
    {"Grégory", "gregorie", NULL},
};

/* Pairs that must not meet: different names that share most letters. */
static const char *const apart[][2] = {
    {"MARTIN", "MARTEL"},    {"MARTIN", "Martine"},
    {"BERNARD", "BERTRAND"}, {"DUPONT", "DUPUIS"},
    {"LEROY", "LEROUX"},     {"MOREAU", "MOREL"},
    {"PETIT", "PETITJEAN"},  {"SIMON", "Simone"},
    {"ROBERT", "ROBIN"},     {"DURAND", "DUMONT"},
    {"GARNIER", "GAUTIER"},  {"LAMBERT", "LAURENT"},
    {"GIRARD", "GIRAUD"},    {"LEFEVRE", "LEFORT"},
    {"ROUX", "ROUSSEAU"},    {"THOMAS", "TOMASI"},
    {"MEYER", "MEUNIER"},    {"PERRIN", "PERRET"},
    {"BONNET", "BONNEAU"},   {"BLANC", "BLANCHARD"},
    {"DENIS", "DANIEL"},     {"JULIEN", "JULIE"},
    {"MARIE", "MARIN"},      {"LEGRAND", "LEGROS"},
    {"Jean", "Jeanne"},      {"Christian", "Christiane"},
    {"FOURNIER", "FOUNIER"}, {"DUVAL", "DUVAUX"},
};

/* Pinned keys: the importer stores these, so a change here changes every
 * database; change the table only on purpose. */
static const struct {
    const char *word, *key;
} pinned[] = {
    {"lefebvre", "lefevr"}, {"dupont", "dupO"},
    {"martin", "martI"},    {"martine", "martin"},
    {"gauthier", "gotie"},  {"meyer", "meie"},
    {"philippe", "filip"},  {"laurent", "lorA"},
    {"dubois", "dubwa"},    {"julien", "juliI"},
    {"jacques", "jak"},     {"christophe", "kristof"},
    {"xavier", "cavie"},    {"nguyen", "ngiI"},
    {"le", "le"},           {"h", ""},
    {"75011", "75011"},     {"", ""},
};

static void key_of(const char *word, char *out)
{
    char f[256], k[256];
    size_t n = fold(word, strlen(word), f);
    size_t m = phon_key(f, n, k);
    memcpy(out, k, m + 1);
}

static void test_meet(void)
{
    for (size_t i = 0; i < sizeof(meet) / sizeof(*meet); i++) {
        char k0[256], k[256];
        key_of(meet[i][0], k0);
        for (size_t j = 1; j < 5 && meet[i][j]; j++) {
            key_of(meet[i][j], k);
            if (strcmp(k0, k) != 0)
                fprintf(stderr, "  %s [%s] vs %s [%s]\n", meet[i][0], k0,
                        meet[i][j], k);
            T_EQ_STR(k, k0);
        }
    }
}

static void test_apart(void)
{
    for (size_t i = 0; i < sizeof(apart) / sizeof(*apart); i++) {
        char a[256], b[256];
        key_of(apart[i][0], a);
        key_of(apart[i][1], b);
        if (strcmp(a, b) == 0)
            fprintf(stderr, "  %s and %s both [%s]\n", apart[i][0], apart[i][1],
                    a);
        T_CHECK(strcmp(a, b) != 0);
    }
}

static void test_pinned(void)
{
    for (size_t i = 0; i < sizeof(pinned) / sizeof(*pinned); i++) {
        char k[256];
        size_t n = phon_key(pinned[i].word, strlen(pinned[i].word), k);
        T_EQ_STR(k, pinned[i].key);
        T_EQ_INT(n, strlen(pinned[i].key));
    }
}

/* The key is never longer than the word, for every short word over an
 * alphabet holding each rule's letters, and for arbitrary bytes; the
 * output buffer is exactly n + 1 bytes, so an overrun shows under ASan. */
static void test_bounds(void)
{
    static const char alpha[] = "aeiouyhnmsctgqxlrEz";
    const size_t na = sizeof(alpha) - 1;
    char w[8];
    int bad = 0;
    for (size_t len = 1; len <= 5; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= na;
        for (size_t x = 0; x < total; x++) {
            size_t v = x;
            for (size_t i = 0; i < len; i++, v /= na)
                w[i] = alpha[v % na];
            char *out = malloc(len + 1);
            size_t m = phon_key(w, len, out);
            if (m > len || out[m] != '\0' || strlen(out) != m)
                bad++;
            free(out);
        }
    }
    T_EQ_INT(bad, 0);

    /* Long input is cut, not overrun; bytes outside ASCII pass through. */
    char big[300], out[301];
    memset(big, 'a', sizeof(big));
    T_CHECK(phon_key(big, sizeof(big), out) <= sizeof(big));
    const char omega[] = "\xce\xa9mega";
    size_t m = phon_key(omega, strlen(omega), out);
    T_CHECK(m <= strlen(omega));
    T_CHECK(memcmp(out, "\xce\xa9", 2) == 0);
}

int main(void)
{
    test_meet();
    test_apart();
    test_pinned();
    test_bounds();
    return t_done();
}
