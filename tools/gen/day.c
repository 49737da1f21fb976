/* rpps-gen's next day: see day.h. */
#include "day.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "plant.h"
#include "rng.h"
#include "structure.h"
#include "text.h"
#include "util.h"
#include "banned.h"

/* Per thousand random professionals, what happens to them overnight (the
 * real directory changes by about that much in a day; enough for a test
 * of 2,000 to see every kind several times). */
enum {
    PM_REMOVED = 3,
    PM_RENAMED = 6,
    PM_MOVED = 9,
    PM_MSS_REMOVED = 11,
    PM_MSS_ADDED = 13,
    PM_MSS_GIVEN = 15,
};
/* New professionals: 3 per thousand, at least one. */
static uint32_t day_added(const struct gen *g)
{
    uint32_t n = g->n * 3 / 1000;
    return n ? n : 1;
}

uint32_t day_count(const struct gen *g)
{
    return g->ntot + (g->next_day ? day_added(g) : 0);
}

/* The draw of professional i (a random one), 0..999; 1000 for the
 * others, which never change. */
static uint32_t draw(const struct gen *g, uint32_t i)
{
    if (i >= g->n || plant_at(g, i) >= 0)
        return 1000;
    struct rng r;
    rng_init(&r, g->seed, RNG_DAY, i);
    return rng_below(&r, 1000);
}

int day_gives_mailbox(const struct gen *g, uint32_t i)
{
    uint32_t u = draw(g, i);
    if (u < PM_MSS_ADDED || u >= PM_MSS_GIVEN || i + 1 >= g->n)
        return 0;
    /* The receiver must be a random professional that changes in nothing
     * else and has no mailbox. */
    if (plant_at(g, i + 1) >= 0 || draw(g, i + 1) < PM_MSS_GIVEN)
        return 0;
    struct person a, b;
    person_make(g, i, &a);
    person_make(g, i + 1, &b);
    return a.mss && !b.mss;
}

int day_new_mailbox(const struct gen *g, uint32_t i)
{
    if (!g->next_day)
        return 0;
    struct person p;
    if (i >= g->ntot)
        return day_person(g, i, &p) && p.mss;
    uint32_t u = draw(g, i);
    if (u < PM_MSS_REMOVED || u >= PM_MSS_ADDED)
        return 0;
    person_make(g, i, &p);
    return !p.mss;
}

static const char *const new_names[] = {"MARTIN", "BERNARD", "DUBOIS",
                                        "LEROY",  "MOREAU",  "LAURENT"};

int day_person(const struct gen *g, uint32_t i, struct person *p)
{
    if (i >= day_count(g))
        return 0;
    person_make(g, i, p);
    if (!g->next_day || i >= g->ntot)
        return 1;
    uint32_t u = draw(g, i);
    if (u < PM_REMOVED)
        return 0;
    if (u < PM_RENAMED) {
        char old[sizeof p->surname];
        text_copy(old, sizeof old, p->surname);
        text_printf(p->surname, sizeof p->surname, "%.60s-%s", old,
                    new_names[i % 6]);
    } else if (u < PM_MOVED) {
        /* Another random structure, whose id none of its sites has. */
        if (p->site[0].sk < 0)
            return 1;
        struct rng r;
        rng_init(&r, g->seed ^ 0x9e3779b97f4a7c15ULL, RNG_DAY, i);
        uint32_t k = rng_below(&r, g->nstruct);
        struct structure st, other;
        structure_make(g, k, &st);
        for (int s = 0; s < p->nsites; s++) {
            if (p->site[s].sk < 0)
                continue;
            structure_make(g, (uint32_t)p->site[s].sk, &other);
            if (strcmp(other.tech, st.tech) == 0)
                return 1;
        }
        p->site[0].sk = k;
    } else if (u < PM_MSS_REMOVED) {
        p->mss = 0;
    } else if (u < PM_MSS_ADDED) {
        if (!p->mss) {
            p->mss = 1;
            p->mss_site = p->site[0].sk >= 0 ? 0 : -1;
        }
    } else if (u < PM_MSS_GIVEN) {
        if (day_gives_mailbox(g, i))
            p->mss = 0;
    }
    return 1;
}

/* ---- The truth ---- */

/* An activity's id as rpps-import makes it (common/history.h): the
 * national id, the structure's technical id ("-" for none), the rank
 * among the professional's rows at that structure. Lines the importer
 * drops as exact duplicates (the same structure, mode and genre) count
 * once. */
static int act_ids(const struct gen *g, const struct person *p, char ids[][96])
{
    int n = 0;
    char tech[MAXSITES][24];
    for (int s = 0; s < p->nsites; s++) {
        const struct site *si = &p->site[s];
        int dup = 0;
        for (int t = 0; t < s; t++)
            dup |= p->site[t].sk == si->sk && p->site[t].mode == si->mode &&
                   p->site[t].genre == si->genre;
        if (dup)
            continue;
        struct structure st;
        if (si->sk >= 0) {
            structure_make(g, (uint32_t)si->sk, &st);
            text_copy(tech[n], sizeof tech[n], st.tech[0] ? st.tech : "-");
        } else {
            text_copy(tech[n], sizeof tech[n], "-");
        }
        int rank = 1;
        for (int t = 0; t < n; t++)
            rank += strcmp(tech[t], tech[n]) == 0;
        if (rank > 1)
            text_printf(ids[n], 96, "%s/%s/%d", p->nat, tech[n], rank);
        else
            text_printf(ids[n], 96, "%s/%s", p->nat, tech[n]);
        n++;
    }
    return n;
}

static int has_id(char ids[][96], int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

struct lines {
    char **v;
    size_t n, cap;
};

static void lines_add(struct lines *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = xstrdup(s);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A day's mailboxes, "address<TAB>owner", for the comparison. */
static void mbox_line(void *ctx, const struct mailbox *m)
{
    char s[512];
    if (m->org)
        text_printf(s, sizeof s, "%s\tORG:%s", m->addr,
                    m->st ? m->st->ancien : "");
    else
        text_printf(s, sizeof s, "%s\t%s", m->addr, m->p->nat);
    lines_add(ctx, s);
}

static void mboxes(const struct gen *g, int next, struct lines *l)
{
    struct gen d = *g;
    d.next_day = next;
    mailbox_each(&d, mbox_line, l);
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), str_cmp);
}

int day_write_truth(const struct gen *g, const char *path)
{
    struct gen d1 = *g, d2 = *g;
    struct lines out = {0}, m1 = {0}, m2 = {0};
    char s[512];
    d1.next_day = 0;
    d2.next_day = 1;
    for (uint32_t i = 0; i < day_count(&d2); i++) {
        struct person a, b;
        int in1 = day_person(&d1, i, &a), in2 = day_person(&d2, i, &b);
        if (!in1 && !in2)
            continue;
        if (in1 && !in2) {
            text_printf(s, sizeof s, "professional\tremoved\t%s\t", a.nat);
            lines_add(&out, s);
        } else if (!in1) {
            text_printf(s, sizeof s, "professional\tadded\t%s\t", b.nat);
            lines_add(&out, s);
        } else if (strcmp(a.surname, b.surname) != 0) {
            text_printf(s, sizeof s, "professional\tchanged\t%s\tlast_name",
                        a.nat);
            lines_add(&out, s);
        }
        char ia[MAXSITES][96], ib[MAXSITES][96];
        int na = in1 ? act_ids(g, &a, ia) : 0,
            nb = in2 ? act_ids(g, &b, ib) : 0;
        for (int k = 0; k < na; k++)
            if (!has_id(ib, nb, ia[k])) {
                text_printf(s, sizeof s, "activity\tremoved\t%s\t", ia[k]);
                lines_add(&out, s);
            }
        for (int k = 0; k < nb; k++)
            if (!has_id(ia, na, ib[k])) {
                text_printf(s, sizeof s, "activity\tadded\t%s\t", ib[k]);
                lines_add(&out, s);
            }
    }
    mboxes(g, 0, &m1);
    mboxes(g, 1, &m2);
    /* Merge the two sorted lists of "address<TAB>owner" (an address
     * listed twice has the same owner both times). */
    size_t i = 0, j = 0;
    while (i < m1.n || j < m2.n) {
        const char *x = i < m1.n ? m1.v[i] : NULL,
                   *y = j < m2.n ? m2.v[j] : NULL;
        size_t lx = x ? strcspn(x, "\t") : 0, ly = y ? strcspn(y, "\t") : 0;
        int c = !x ? 1 : !y ? -1 : strncmp(x, y, lx > ly ? lx : ly);
        if (x && y && lx != ly && c == 0)
            c = lx < ly ? -1 : 1;
        const char *addr = c <= 0 ? x : y;
        size_t la = c <= 0 ? lx : ly;
        if (c < 0)
            text_printf(s, sizeof s, "mailbox\tremoved\t%.*s\t", (int)la, addr);
        else if (c > 0)
            text_printf(s, sizeof s, "mailbox\tadded\t%.*s\t", (int)la, addr);
        else if (strcmp(x + lx, y + ly) != 0)
            text_printf(s, sizeof s, "mailbox\tchanged\t%.*s\tnational_id",
                        (int)la, addr);
        else
            s[0] = '\0';
        if (s[0] && (out.n == 0 || strcmp(out.v[out.n - 1], s) != 0))
            lines_add(&out, s);
        /* Past every line of this address on both sides. */
        char key[256];
        text_printf(key, sizeof key, "%.*s", (int)la, addr);
        while (i < m1.n && strncmp(m1.v[i], key, la) == 0 &&
               m1.v[i][la] == '\t')
            i++;
        while (j < m2.n && strncmp(m2.v[j], key, la) == 0 &&
               m2.v[j][la] == '\t')
            j++;
    }
    if (out.n > 1)
        qsort(out.v, out.n, sizeof(*out.v), str_cmp);
    FILE *f = fopen(path, "w");
    int rc = f ? 0 : -1;
    for (size_t k = 0; f && k < out.n; k++)
        if (fprintf(f, "%s\n", out.v[k]) < 0)
            rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        log_error("%s: cannot write", path);
    for (size_t k = 0; k < out.n; k++)
        free(out.v[k]);
    for (size_t k = 0; k < m1.n; k++)
        free(m1.v[k]);
    for (size_t k = 0; k < m2.n; k++)
        free(m2.v[k]);
    free(out.v);
    free(m1.v);
    free(m2.v);
    return rc;
}
