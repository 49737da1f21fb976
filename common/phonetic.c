/* French phonetic keys. See phonetic.h. The folded word is read once, left
 * to right, and each group of letters that makes one sound is written as
 * one symbol: vowels a e i o u, w for "ou", A I O for the nasal vowels
 * (an/en, in/ain/un, on), consonants as themselves except k (c, q, qu, ck),
 * s (soft c, z), j (soft g), x (ch, sh, sch), c (the "ks" of x), f (ph),
 * v (w). Silent letters are dropped: h, the final mute e, a final s or x,
 * a final t or d. Repeated symbols are merged.
 *
 * Deliberately coarse where French spelling is (é, è, ai, ei, er, et, ez
 * are all "e"; eu too, so LEFEUVRE meets LEFEVRE), and deliberately exact
 * where it is not: an oral vowel before n + vowel is not nasal, so MARTINE
 * does not meet MARTIN, and vowels are never dropped, so MARTEL does not
 * either. It does not rank: the search prefers exact spellings, then the
 * closest sound-alikes. */
#include "phonetic.h"

#include <string.h>

#include "banned.h"

/* Longest word keyed: the longest real name word is about 25 letters, and a
 * longer input is cut (the key of a 64-letter prefix still tells words
 * apart). */
#define PHON_MAX 64

struct pw {
    char w[PHON_MAX + 1]; /* the word, 'E' standing for a final er/ez/et */
    size_t len;           /* letters the rules may look at */
    size_t stop;          /* letters that make sound: the rest is silent */
    char *out;
    size_t o;
};

static char at(const struct pw *p, size_t i)
{
    return i < p->len ? p->w[i] : '\0';
}

static int vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ||
           c == 'y' || c == 'E';
}

/* e, i, y: the vowels that make c and g soft. */
static int front(char c)
{
    return c == 'e' || c == 'i' || c == 'y' || c == 'E';
}

/* 1 if a vowel followed by n or m at this position is nasal: the word ends
 * there (silent letters count as consonants), or a consonant other than n,
 * m or h follows. "on" in DUPONT, "in" in MARTIN; not in MARTINE, BONNET,
 * EMMANUEL. */
static int nasal_at(const struct pw *p, size_t i)
{
    char c = at(p, i);
    return c == '\0' || (!vowel(c) && c != 'n' && c != 'm' && c != 'h');
}

/* Appends a symbol, merging it with an identical one before it (letters
 * only: digits and the bytes of a multi-byte letter pass through). */
static void emit(struct pw *p, char c)
{
    int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (p->o > 0 && p->out[p->o - 1] == c && letter)
        return;
    p->out[p->o++] = c;
}

/* The rules for a vowel at i. Returns how many letters they used. */
static size_t vowel_rule(struct pw *p, size_t i)
{
    char c = at(p, i), c1 = at(p, i + 1), c2 = at(p, i + 2);
    if (c == 'e' && c1 == 'a' && c2 == 'u') {
        emit(p, 'o');
        return 3;
    }
    if (c == 'a' && c1 == 'u') {
        /* -ault: PERRAULT, THIBAULT, GAULTIER sound as -aut. */
        if (c2 == 'l' && at(p, i + 3) == 't') {
            emit(p, 'o');
            return 3;
        }
        emit(p, 'o');
        return 2;
    }
    if (c == 'o' && c1 == 'e' && c2 == 'u') { /* œu as fold() spells it */
        emit(p, 'e');
        return 3;
    }
    if (c == 'o' && (c1 == 'i' || c1 == 'y')) {
        emit(p, 'w');
        if (c2 == 'n' && nasal_at(p, i + 3)) {
            emit(p, 'I');
            return 3;
        }
        emit(p, 'a');
        return 2;
    }
    if (c == 'o' && c1 == 'u') {
        emit(p, 'w');
        return 2;
    }
    if ((c == 'a' || c == 'e') && c1 == 'i' && c2 == 'l' &&
        at(p, i + 3) == 'l' && (i + 4 >= p->len || vowel(at(p, i + 4)))) {
        /* -aill-, -eill-: the l is a y sound (MAILLARD, MAYARD). */
        emit(p, 'e');
        emit(p, 'i');
        return 4;
    }
    if ((c == 'a' || c == 'e') && (c1 == 'i' || c1 == 'y')) {
        if ((c2 == 'n' || c2 == 'm') && c1 == 'i' && nasal_at(p, i + 3)) {
            emit(p, 'I'); /* ain, ein: as in */
            return 3;
        }
        /* ai, ei, ay, ey sound as e; before a vowel a y sound follows:
         * MEYER, MAYER and MEIER meet. */
        emit(p, 'e');
        if (vowel(c2))
            emit(p, 'i');
        return 2;
    }
    if (c == 'e' && c1 == 'u') {
        emit(p, 'e');
        return 2;
    }
    if ((c == 'i' || c == 'y') && c1 == 'e' && c2 == 'n' &&
        nasal_at(p, i + 3)) {
        emit(p, 'i'); /* -ien: JULIEN, NGUYEN */
        emit(p, 'I');
        return 3;
    }
    if (c1 == 'n' || c1 == 'm') {
        if (nasal_at(p, i + 2)) {
            if (c == 'a' || c == 'e') {
                emit(p, 'A');
                return 2;
            }
            if (c == 'i' || c == 'y' || c == 'u') {
                emit(p, 'I');
                return 2;
            }
            if (c == 'o') {
                emit(p, 'O');
                return 2;
            }
        }
    }
    if (c == 'i' && c1 == 'l' && c2 == 'l' && i > 0 && vowel(p->w[i - 1])) {
        emit(p, 'i'); /* -ouill-, -euill- */
        return 3;
    }
    emit(p, c == 'y' ? 'i' : c == 'E' ? 'e' : c);
    return 1;
}

/* The rules for a consonant (or any other byte) at i. */
static size_t consonant_rule(struct pw *p, size_t i)
{
    char c = at(p, i), c1 = at(p, i + 1), c2 = at(p, i + 2);
    switch (c) {
    case 'h':
        return 1;
    case 's':
        if (c1 == 'c' && c2 == 'h') {
            emit(p, 'x');
            return 3;
        }
        if (c1 == 'h') {
            emit(p, 'x');
            return 2;
        }
        if (c1 == 'c' && front(c2)) {
            emit(p, 's');
            return 2;
        }
        emit(p, 's');
        return 1;
    case 'c':
        if (c1 == 'h') {
            /* CHRISTOPHE, CHLOÉ: k; otherwise the sh sound. */
            emit(p, c2 == 'r' || c2 == 'l' ? 'k' : 'x');
            return 2;
        }
        if (c1 == 'k') {
            emit(p, 'k');
            return 2;
        }
        if (c1 == 'c' && front(c2)) {
            emit(p, 'c');
            return 2;
        }
        if (c1 == 'q') /* JACQUET: the qu rule gives the k */
            return 1;
        emit(p, front(c1) ? 's' : 'k');
        return 1;
    case 'p':
        if (c1 == 'h') {
            emit(p, 'f');
            return 2;
        }
        break;
    case 't':
    case 'r':
    case 'k':
        if (c1 == 'h') {
            emit(p, c);
            return 2;
        }
        break;
    case 'q':
        emit(p, 'k');
        return c1 == 'u' ? 2 : 1;
    case 'g':
        if (c1 == 'h') {
            emit(p, 'g');
            return 2;
        }
        if (c1 == 'u' && front(c2)) {
            emit(p, 'g');
            return 2;
        }
        if (c1 == 'e' && (c2 == 'a' || c2 == 'o' || c2 == 'u')) {
            emit(p, 'j');
            return 2;
        }
        if (c1 == 'n') {
            emit(p, 'n');
            return 2;
        }
        emit(p, front(c1) ? 'j' : 'g');
        return 1;
    case 'j':
        if (c1 == 'e' && (c2 == 'a' || c2 == 'o' || c2 == 'u')) {
            emit(p, 'j'); /* JEAN as JAN */
            return 2;
        }
        break;
    case 'x':
        emit(p, 'c');
        return 1;
    case 'z':
        emit(p, 's');
        return 1;
    case 'w':
        emit(p, 'v');
        return 1;
    case 'b':
        if (c1 == 'v') /* LEFEBVRE */
            return 1;
        break;
    default:
        break;
    }
    emit(p, c);
    return 1;
}

static int ends2(const struct pw *p, char a, char b)
{
    return p->w[p->len - 2] == a && p->w[p->len - 1] == b;
}

/* Marks what is silent at the end of the word. */
static void silent_end(struct pw *p)
{
    for (int pass = 0; pass < 2; pass++) {
        if (p->len > 3 &&
            (ends2(p, 'e', 'r') || ends2(p, 'e', 'z') || ends2(p, 'e', 't'))) {
            /* -er, -ez, -et sound as é: GAUTHIER, PEREZ, HUET. */
            p->w[p->len - 2] = 'E';
            p->len--;
            break;
        }
        if (pass == 0 && p->len > 3 &&
            (p->w[p->len - 1] == 's' || p->w[p->len - 1] == 'x') &&
            p->w[p->len - 2] != p->w[p->len - 1])
            p->len--; /* DUBOIS, DEVAUX, LUCAS */
        else
            break;
    }
    p->stop = p->len;
    if (p->len > 2 && p->w[p->len - 1] == 'e') {
        p->stop--; /* mute e, still seen by the rules: MARTINE */
        return;
    }
    for (int k = 0; k < 2; k++)
        if (p->stop > 2 &&
            (p->w[p->stop - 1] == 't' || p->w[p->stop - 1] == 'd'))
            p->stop--; /* DUPONT, DUPOND, BERNARD, EHRHARDT */
}

size_t phon_key(const char *s, size_t n, char *out)
{
    struct pw p;
    if (n > PHON_MAX)
        n = PHON_MAX;
    memcpy(p.w, s, n);
    p.w[n] = '\0';
    p.len = n;
    p.out = out;
    p.o = 0;
    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    silent_end(&p);
    for (size_t i = 0; i < p.stop;) {
        char c = p.w[i];
        i += vowel(c) ? vowel_rule(&p, i) : consonant_rule(&p, i);
    }
    out[p.o] = '\0';
    return p.o;
}
