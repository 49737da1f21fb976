/* rpps-gen's planted people and search cases: see plant.h. */
#include "plant.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "names.h"
#include "person.h"
#include "text.h"
#include "util.h"
#include "banned.h"

static const char *const case_kind_name[NCASEKINDS] = {
    "exact",     "prefix",       "typo",           "variant",
    "compound",  "homonym_town", "mixed",          "accent",
    "dept",      "typo_initial", "typo_given",     "exact_vs_variant",
    "near",      "specialty",    "apostrophe",     "dept_name",
    "town_typo", "typing",       "arrondissement",
};

/* g->block is open addressing on the names' 64-bit hashes (0: empty); it
 * is kept at most half full, so that probes stay short. */
#define BLOCK_SLOTS (sizeof((struct gen *)0)->block / sizeof(uint64_t))

void plant_block(struct gen *g, const char *joined)
{
    if (2 * (g->nblock + 1) > BLOCK_SLOTS) {
        log_error("internal error: more than %zu blocked names",
                  BLOCK_SLOTS / 2);
        abort();
    }
    uint64_t h = hash64(joined, strlen(joined)) | 1;
    size_t i = h % 1024;
    while (g->block[i] && g->block[i] != h)
        i = (i + 1) % 1024;
    if (!g->block[i])
        g->nblock++;
    g->block[i] = h;
}

int plant_blocked(const struct gen *g, const char *joined)
{
    uint64_t h = hash64(joined, strlen(joined)) | 1;
    size_t i = h % 1024;
    while (g->block[i]) {
        if (g->block[i] == h)
            return 1;
        i = (i + 1) % 1024;
    }
    return 0;
}

void plant_prefix(struct gen *g, const char *prefix)
{
    if (g->nprefix == sizeof g->prefixes / sizeof g->prefixes[0]) {
        log_error("internal error: more than %zu planted prefixes", g->nprefix);
        abort();
    }
    text_copy(g->prefixes[g->nprefix++], sizeof g->prefixes[0], prefix);
}

/* Does (surname, prof, spec, commune) fall under mixed case m? The surname
 * matches if its folded, joined form or one of its folded words is the
 * case's word or one of its keys (LE GOFF, LEGOFF, LEFEUVRE-SIMON). */
int plant_mixed_match(const struct gen *g, const struct mixed *m,
                      const char *surname, int prof, int spec, int commune)
{
    if (prof != m->prof || (m->spec >= 0 && spec != m->spec))
        return 0;
    if (m->dept[0] ? strcmp(g->towns.c[commune].dept, m->dept) != 0
                   : commune != m->commune)
        return 0;
    char f[128], j[128];
    text_fold_joined(surname, j, sizeof j);
    for (int i = 0; i < m->nkeys; i++)
        if (strcmp(j, m->keys[i]) == 0)
            return 1;
    text_fold(surname, f, sizeof f);
    for (char *tok = f; *tok;) {
        char *end = strchr(tok, ' ');
        if (end)
            *end = '\0';
        if (strcmp(tok, m->token) == 0)
            return 1;
        for (int i = 0; i < m->nkeys; i++)
            if (strcmp(tok, m->keys[i]) == 0)
                return 1;
        if (!end)
            break;
        tok = end + 1;
    }
    return 0;
}

int plant_at(const struct gen *g, uint32_t i)
{
    size_t lo = 0, hi = g->npl;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->pl[mid].slot == i)
            return (int)mid;
        if (g->pl[mid].slot < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* 1 if a surname drawn at random must be drawn again: it folds to a
 * planted-only name or typo, or one of its words starts with a planted
 * prefix. */
int plant_surname_blocked(const struct gen *g, const char *s)
{
    char f[128], j[128];
    text_fold_joined(s, j, sizeof j);
    if (plant_blocked(g, j))
        return 1;
    text_fold(s, f, sizeof f);
    for (char *tok = f; *tok;) {
        char *end = strchr(tok, ' ');
        size_t tl = end ? (size_t)(end - tok) : strlen(tok);
        for (size_t k = 0; k < g->nprefix; k++) {
            size_t pl = strlen(g->prefixes[k]);
            if (tl >= pl && memcmp(tok, g->prefixes[k], pl) == 0)
                return 1;
        }
        if (!end)
            break;
        tok = end + 1;
    }
    return 0;
}

int plant_add(struct gen *g, const char *surname, const char *first, int female,
              int prof, int spec, const char *insee, int cedex_only)
{
    if (g->npl == g->capl) {
        g->capl = g->capl ? 2 * g->capl : 256;
        g->pl = xrealloc(g->pl, g->capl * sizeof *g->pl);
    }
    struct planted *p = &g->pl[g->npl];
    memset(p, 0, sizeof *p);
    p->surname = surname;
    p->first = first;
    p->female = female;
    p->prof = prof;
    p->spec = prof == P_MED && spec < 0 ? S_MG : spec;
    p->commune = towns_find(&g->towns, insee);
    p->cedex_only = cedex_only;
    /* The profession's first (most typical) practice row. */
    p->mode = profile_tab[prof_tab[prof].profile][0].mode;
    p->kind = profile_tab[prof_tab[prof].profile][0].kind;
    p->rpps = prof_tab[prof].rpps >= 50;
    return (int)g->npl++;
}

struct tcase *plant_case(struct gen *g, int kind, int a, int b)
{
    if (g->ntc == g->captc) {
        g->captc = g->captc ? 2 * g->captc : 256;
        g->tc = xrealloc(g->tc, g->captc * sizeof *g->tc);
    }
    struct tcase *c = &g->tc[g->ntc++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->who[c->nwho++] = a;
    if (b >= 0)
        c->who[c->nwho++] = b;
    return c;
}

/* Keeps the random population from sharing (surname family, profession,
 * specialty, place) with a planted answer: the place is a commune, or a
 * whole department when dept is not empty. keys: more folded, joined
 * spellings, comma-separated. */
void plant_mixed_add(struct gen *g, const char *surname, int prof, int spec,
                     int commune, const char *dept, const char *keys)
{
    if (g->nmx == g->capmx) {
        g->capmx = g->capmx ? 2 * g->capmx : 32;
        g->mx = xrealloc(g->mx, g->capmx * sizeof *g->mx);
    }
    struct mixed *m = &g->mx[g->nmx++];
    char a[128];
    memset(m, 0, sizeof *m);
    m->prof = prof;
    m->spec = spec;
    m->commune = commune;
    text_copy(m->dept, sizeof m->dept, dept);
    text_fold(surname, a, sizeof a);
    /* The case's word: the longest word of the surname. */
    const char *best = a;
    size_t bestl = 0;
    for (char *tok = a; *tok;) {
        char *end = strchr(tok, ' ');
        size_t tl = end ? (size_t)(end - tok) : strlen(tok);
        if (tl > bestl) {
            best = tok;
            bestl = tl;
        }
        if (!end)
            break;
        tok = end + 1;
    }
    assert(bestl < sizeof m->token);
    memcpy(m->token, best, bestl);
    m->token[bestl] = '\0';
    text_fold_joined(surname, m->keys[m->nkeys++], sizeof m->keys[0]);
    char kb[96];
    text_copy(kb, sizeof kb, keys);
    for (char *key = kb; *key;) {
        char *end = strchr(key, ',');
        if (end)
            *end = '\0';
        assert(m->nkeys < (int)(sizeof m->keys / sizeof m->keys[0]));
        text_copy(m->keys[m->nkeys++], sizeof m->keys[0], key);
        if (!end)
            break;
        key = end + 1;
    }
}

/* The first planted person with that surname, profession and commune. */
int plant_find(const struct gen *g, const char *surname, int prof,
               const char *insee)
{
    int c = towns_find(&g->towns, insee);
    for (size_t i = 0; i < g->npl; i++)
        if (strcmp(g->pl[i].surname, surname) == 0 && g->pl[i].prof == prof &&
            g->pl[i].commune == c)
            return (int)i;
    log_error("internal error: no planted %s in %s", surname, insee);
    abort();
}

/* Checks that what the truth file claims holds among the planted people
 * themselves (the random ones are kept out as they are drawn), assigns the
 * planted people their slots and identifiers. */
void plant_finish(struct gen *g)
{
    for (size_t i = 0; i < surname_count; i++) {
        char j[128];
        text_fold_joined(surname_tab[i], j, sizeof j);
        if (plant_blocked(g, j)) {
            log_error("internal error: common surname %s is planted-only",
                      surname_tab[i]);
            abort();
        }
    }
    for (size_t m = 0; m < g->nmx; m++) {
        int hits = 0;
        for (size_t i = 0; i < g->npl; i++) {
            const struct planted *p = &g->pl[i];
            int spec = p->prof == P_MED ? p->spec : -1;
            hits += plant_mixed_match(g, &g->mx[m], p->surname, p->prof, spec,
                                      p->commune);
        }
        if (hits != 1) {
            log_error("internal error: mixed case %zu matches %d planted", m,
                      hits);
            abort();
        }
    }
    /* Spread the first set's planted people evenly through the file; the
     * second set's follow the n others. */
    for (size_t i = 0; i < g->npl_base; i++)
        g->pl[i].slot =
            (uint32_t)(((uint64_t)(2 * i + 1) * g->n) / (2 * g->npl_base));
    for (size_t i = g->npl_base; i < g->npl; i++)
        g->pl[i].slot = g->n + (uint32_t)(i - g->npl_base);
    g->ntot = g->n + (uint32_t)(g->npl - g->npl_base);
}

void plant_write_truth(const struct gen *g, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("%s: %s", path, strerror(errno));
        exit(1);
    }
    /* The planted people's identifiers follow from their slots. */
    struct person p;
    char(*nat)[sizeof p.nat] = xcalloc(g->npl, sizeof *nat);
    for (size_t i = 0; i < g->npl; i++) {
        person_make(g, g->pl[i].slot, &p);
        text_copy(nat[i], sizeof nat[i], p.nat);
    }
    for (size_t i = 0; i < g->ntc; i++) {
        const struct tcase *c = &g->tc[i];
        fprintf(f, "%s\t", c->query);
        for (int w = 0; w < c->nwho; w++)
            fprintf(f, "%s%s", w ? "," : "", nat[c->who[w]]);
        fprintf(f, "\t%s", case_kind_name[c->kind]);
        if (c->params[0])
            fprintf(f, "\t%s", c->params);
        fputc('\n', f);
    }
    free(nat);
    if (fclose(f) != 0) {
        log_error("%s: %s", path, strerror(errno));
        exit(1);
    }
}

void plant_init(struct gen *g)
{
    /* The random draw never gives a planted-only surname, so that each
     * case's expected answer is well defined at any scale. */
    for (size_t i = 0; i < rare_count; i++) {
        char j[128];
        text_fold_joined(rare_tab[i], j, sizeof j);
        plant_block(g, j);
    }
    for (size_t i = 0; i < rare_first_count; i++) {
        char a[64], b[64];
        text_fold(rare_first_tab[i].name, a, sizeof a);
        for (size_t j = 0; j < female_count + male_count; j++) {
            text_fold(j < female_count ? female_tab[j]
                                       : male_tab[j - female_count],
                      b, sizeof b);
            if (strcmp(a, b) == 0) {
                log_error("internal error: %s is both rare and common",
                          rare_first_tab[i].name);
                abort();
            }
        }
    }
}

void plant_release(struct gen *g)
{
    free(g->pl);
    free(g->tc);
    free(g->mx);
}
