/* rpps-gen's MSSanté mailboxes: see mailbox.h. */
#include "mailbox.h"

#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "text.h"
#include "util.h"
#include "banned.h"

static const char *const mss_service_tab[] = {
    "Secrétariat",      "Cardiologie", "Urgences",  "Pédiatrie",
    "Psychiatrie",      "Radiologie",  "Gériatrie", "Oncologie",
    "Maternité",        "Laboratoire", "Pharmacie", "Direction des soins",
    "Médecine interne", "Admissions",
};

/* Per thousand structures of each kind, those with service mailboxes. */
static const int org_pm[NKINDS] = {1000, 100, 500, 500, 300,
                                   400,  500, 30,  80,  5};

/* MSSanté addresses are unique but for the few written twice on purpose:
 * a set of the 64-bit hashes of those given out, growing with the file
 * (about 8 bytes a mailbox, 9 MB at full scale). */
struct addrset {
    uint64_t *h;
    size_t cap, n;
};

static int addrset_add(struct addrset *a, const char *s)
{
    if ((a->n + 1) * 2 > a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 1024;
        uint64_t *nh = xcalloc(ncap, sizeof *nh);
        for (size_t i = 0; i < a->cap; i++) {
            if (!a->h[i])
                continue;
            size_t j = a->h[i] % ncap;
            while (nh[j])
                j = (j + 1) % ncap;
            nh[j] = a->h[i];
        }
        free(a->h);
        a->h = nh;
        a->cap = ncap;
    }
    uint64_t h = hash64(s, strlen(s)) | 1;
    size_t j = h % a->cap;
    while (a->h[j]) {
        if (a->h[j] == h)
            return 0;
        j = (j + 1) % a->cap;
    }
    a->h[j] = h;
    a->n++;
    return 1;
}

/* A unique address from local@domain: local2@, local3@... if taken. */
static void unique_address(struct addrset *a, const char *local,
                           const char *domain, char *out, size_t cap)
{
    text_printf(out, cap, "%s@%s", local, domain);
    for (int k = 2; !addrset_add(a, out); k++)
        text_printf(out, cap, "%s%d@%s", local, k, domain);
}

/* An institution's MSSanté domain, from its kind and town. */
static void structure_domain(const struct structure *st, char *out, size_t cap)
{
    static const char *const pre[NKINDS] = {
        "ch-",  "pharmacie-", "labo-", "ehpad-", "esms-",
        "cds-", "msp-",       "",      "",       ""};
    if (st->kind == K_HOSP && st->sector != 0)
        text_printf(out, cap, "clinique-%s.mssante.fr", st->town_slug);
    else
        text_printf(out, cap, "%s%s.mssante.fr", pre[st->kind], st->town_slug);
}

/* The address of p's mailbox into addr (unique in seen). */
static void person_address(const struct gen *g, struct addrset *seen,
                           const struct person *p, char *addr, size_t cap)
{
    struct structure st;
    char local[128], domain[128], a[64], b[96];
    const struct profession *pr = &prof_tab[p->prof];
    int have = p->mss_site >= 0;
    if (have)
        structure_make(g, (uint32_t)p->site[p->mss_site].sk, &st);
    text_slug(p->first, a, sizeof a);
    text_slug(p->surname, b, sizeof b);
    text_printf(local, sizeof local, "%s.%s", a, b);
    /* Salaried staff of an institution get its domain; the others
     * their profession's. */
    if (have && p->site[p->mss_site].mode == M_S && st.kind != K_SOC &&
        st.kind != K_CABG && st.kind != K_CABI)
        structure_domain(&st, domain, sizeof domain);
    else
        text_copy(domain, sizeof domain, pr->domain);
    unique_address(seen, local, domain, addr, cap);
}

/* The lines of p's mailbox at addr (i: p's index, for the service). */
static void person_lines(const struct gen *g, uint32_t i,
                         const struct person *p, const char *addr,
                         void (*fn)(void *ctx, const struct mailbox *m),
                         void *ctx)
{
    struct structure st, st2;
    int have = p->mss_site >= 0;
    if (have)
        structure_make(g, (uint32_t)p->site[p->mss_site].sk, &st);
    int reps = p->mss ? p->mss : 1;
    for (int rep = 0; rep < reps; rep++) {
        struct mailbox m = {.addr = addr, .p = p, .demat = p->demat};
        m.st = have ? &st : NULL;
        if (rep == 1) {
            structure_make(g, (uint32_t)p->site[1].sk, &st2);
            m.st = &st2;
        }
        /* Hospital staff: a service, for about a third. */
        m.service = m.st && m.st->kind == K_HOSP && i % 3 == 0
                        ? mss_service_tab[(i / 3) % (sizeof mss_service_tab /
                                                     sizeof mss_service_tab[0])]
                        : "";
        fn(ctx, &m);
    }
}

/* The professionals' mailboxes. On the next day (day.h) the addresses are
 * the first day's, given out in the same order whoever keeps them, so that
 * no one's address moves because another's went; the new mailboxes get
 * theirs after the structures'. */
static void each_person(const struct gen *g, struct addrset *seen,
                        void (*fn)(void *ctx, const struct mailbox *m),
                        void *ctx)
{
    struct person p, q;
    char addr[192];
    for (uint32_t i = 0; i < g->ntot; i++) {
        person_make(g, i, &p);
        if (!p.mss)
            continue;
        person_address(g, seen, &p, addr, sizeof addr);
        if (!g->next_day) {
            person_lines(g, i, &p, addr, fn, ctx);
        } else if (day_gives_mailbox(g, i)) {
            /* The same address, the next professional's now. */
            day_person(g, i + 1, &q);
            q.mss_site = q.site[0].sk >= 0 ? 0 : -1;
            q.mss = 1;
            person_lines(g, i, &q, addr, fn, ctx);
        } else if (day_person(g, i, &q) && q.mss) {
            person_lines(g, i, &q, addr, fn, ctx);
        }
    }
}

/* The next day's new mailboxes, after the structures'. */
static void each_new(const struct gen *g, struct addrset *seen,
                     void (*fn)(void *ctx, const struct mailbox *m), void *ctx)
{
    struct person p;
    char addr[192];
    for (uint32_t i = 0; g->next_day && i < day_count(g); i++) {
        if (!day_new_mailbox(g, i) || !day_person(g, i, &p))
            continue;
        person_address(g, seen, &p, addr, sizeof addr);
        person_lines(g, i, &p, addr, fn, ctx);
    }
}

/* Organisational mailboxes: services of structures, no person. */
static void each_structure(const struct gen *g, struct addrset *seen,
                           void (*fn)(void *ctx, const struct mailbox *m),
                           void *ctx)
{
    struct structure st;
    char addr[192], local[128], domain[128], b[96];
    for (uint32_t k = 0; k < g->nstruct; k++) {
        struct rng r;
        rng_init(&r, g->seed, RNG_ORG, k);
        int kind = gen_kind_of(g, k);
        if (!rng_pm(&r, (uint32_t)org_pm[kind]))
            continue;
        int count = kind == K_HOSP ? 1 + (int)rng_below(&r, 17) : 1;
        structure_make(g, k, &st);
        structure_domain(&st, domain, sizeof domain);
        for (int n = 0; n < count; n++) {
            const char *svc =
                kind == K_HOSP ? RNG_PICK(&r, mss_service_tab) : "Secrétariat";
            text_slug(svc, local, sizeof local);
            if (kind != K_HOSP) {
                text_slug(st.raison[0] ? st.raison : "cabinet", b, 40);
                text_printf(local, sizeof local, "secretariat.%s", b);
            }
            unique_address(seen, local, domain, addr, sizeof addr);
            struct mailbox m = {.org = 1, .addr = addr, .st = &st};
            m.service = kind == K_HOSP ? svc : "";
            m.demat = rng_pm(&r, 850);
            fn(ctx, &m);
            /* A few service mailboxes are listed twice. */
            if (rng_pm(&r, 10))
                fn(ctx, &m);
        }
    }
}

void mailbox_each(const struct gen *g,
                  void (*fn)(void *ctx, const struct mailbox *m), void *ctx)
{
    struct addrset seen = {0};
    each_person(g, &seen, fn, ctx);
    each_structure(g, &seen, fn, ctx);
    each_new(g, &seen, fn, ctx);
    free(seen.h);
}
