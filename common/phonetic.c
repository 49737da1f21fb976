/* French phonetic keys. See phonetic.h. Rules are applied left to right on
 * the folded word: groups that sound alike are rewritten to one spelling,
 * silent letters dropped, doubled letters merged. Deliberately coarse: it
 * only has to make sound-alike family names meet; ranking then prefers
 * exact spellings. */
#include "phonetic.h"

#include <string.h>

#include "banned.h"

static int starts(const char *s, size_t n, size_t i, const char *pat)
{
    size_t l = strlen(pat);
    return i + l <= n && memcmp(s + i, pat, l) == 0;
}

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ||
           c == 'y';
}

size_t phon_key(const char *s, size_t n, char *out)
{
    /* Group rewrites, longest first; "" drops the group. */
    static const struct {
        const char *from, *to;
    } groups[] = {
        {"eaux", "o"}, {"eau", "o"}, {"ault", "o"}, {"aud", "o"},
        {"aut", "o"},  {"aux", "o"}, {"au", "o"},   {"sch", "ch"},
        {"ph", "f"},   {"qu", "k"},  {"ck", "k"},   {"bv", "v"},
        {"gu", "g"},   {"eu", "e"},  {"ai", "e"},   {"ei", "e"},
        {"ez", "e"},   {"er", "e"},  {"et", "e"},   {"th", "t"},
        {"oe", "e"},   {"ou", "u"},  {"am", "an"},  {"em", "an"},
        {"en", "an"},  {"ain", "in"}, {"ein", "in"}, {"im", "in"},
        {"ym", "in"},  {"yn", "in"},
    };
    char tmp[256];
    size_t t = 0;
    if (n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    for (size_t i = 0; i < n;) {
        size_t g;
        for (g = 0; g < sizeof(groups) / sizeof(*groups); g++) {
            if (starts(s, n, i, groups[g].from)) {
                /* "en"/"em"/"am" only before a consonant or at the end. */
                size_t l = strlen(groups[g].from);
                if (groups[g].to[0] == 'a' && groups[g].to[1] == 'n' &&
                    i + l < n && is_vowel(s[i + l]))
                    continue;
                if ((strcmp(groups[g].from, "er") == 0 ||
                     strcmp(groups[g].from, "et") == 0 ||
                     strcmp(groups[g].from, "ez") == 0) &&
                    i + l != n)
                    continue;
                for (const char *p = groups[g].to; *p; p++)
                    tmp[t++] = *p;
                i += l;
                break;
            }
        }
        if (g < sizeof(groups) / sizeof(*groups))
            continue;
        char c = s[i];
        char next = i + 1 < n ? s[i + 1] : 0;
        switch (c) {
        case 'c':
            c = (next == 'e' || next == 'i' || next == 'y') ? 's' : 'k';
            if (next == 'h') {
                c = 'x'; /* ch */
                i++;
            }
            break;
        case 'g':
            if (next == 'e' || next == 'i' || next == 'y')
                c = 'j';
            break;
        case 'y':
            c = 'i';
            break;
        case 'w':
            c = 'v';
            break;
        case 'z':
            c = 's';
            break;
        case 'q':
            c = 'k';
            break;
        case 'h':
            c = 0; /* silent */
            break;
        default:
            break;
        }
        if (c)
            tmp[t++] = c;
        i++;
    }
    /* Silent endings: -e, -es, -s, -t, -d, -x, -z after the rewrites. */
    while (t > 1 && (tmp[t - 1] == 'e' || tmp[t - 1] == 's' ||
                     tmp[t - 1] == 't' || tmp[t - 1] == 'd' ||
                     tmp[t - 1] == 'x'))
        t--;
    /* Merge doubled letters. */
    size_t o = 0;
    for (size_t i = 0; i < t; i++)
        if (o == 0 || out[o - 1] != tmp[i])
            out[o++] = tmp[i];
    out[o] = '\0';
    return o;
}
