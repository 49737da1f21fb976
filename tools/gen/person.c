/* rpps-gen's professionals: see person.h. */
#include "person.h"

#include <string.h>

#include "names.h"
#include "structure.h"
#include "text.h"
#include "banned.h"

static void draw_common(const struct gen *g, struct rng *r, char *out,
                        size_t cap)
{
    text_copy(out, cap, surname_tab[wtab_pick(&g->w_surname, r)]);
}

/* One random surname: 56 % from the common list, 3 % two of them joined by
 * a hyphen, the rest synthesized; never a planted-only name. */
static void draw_surname(const struct gen *g, struct rng *r, char *out,
                         size_t cap)
{
    for (;;) {
        uint32_t u = rng_below(r, 1000);
        if (u < 560) {
            draw_common(g, r, out, cap);
            return; /* the common list holds no planted name (checked) */
        }
        if (u < 590) {
            char b[64];
            draw_common(g, r, out, cap);
            draw_common(g, r, b, sizeof b);
            if (strcmp(out, b) == 0 || strchr(out, ' ') || strchr(b, ' '))
                continue;
            text_cat(out, cap, "-");
            text_cat(out, cap, b);
        } else {
            names_synth(r, out, cap);
        }
        if (!plant_surname_blocked(g, out))
            return;
    }
}

static void draw_first(const struct gen *g, struct rng *r, int female,
                       char *out, size_t cap)
{
    const char *f = female ? female_tab[wtab_pick(&g->w_female, r)]
                           : male_tab[wtab_pick(&g->w_male, r)];
    if (rng_pm(r, 350)) {
        char u[64];
        text_upper(f, u);
        text_copy(out, cap, u);
    } else {
        text_copy(out, cap, f);
    }
}

static int person_conflicts(const struct gen *g, const struct person *p)
{
    for (size_t i = 0; i < g->nmx; i++) {
        const struct mixed *m = &g->mx[i];
        if (m->prof != p->prof || (m->spec >= 0 && m->spec != p->spec))
            continue;
        for (int s = 0; s < p->nsites; s++) {
            if (p->site[s].sk < 0)
                continue;
            int c = structure_commune(g, (uint32_t)p->site[s].sk);
            if (plant_mixed_match(g, m, p->surname, p->prof, p->spec, c))
                return 1;
        }
    }
    return 0;
}

static uint32_t pick_struct(const struct gen *g, struct rng *r, int kind)
{
    uint32_t count = g->kstart[kind + 1] - g->kstart[kind];
    uint32_t off;
    if (kind == K_HOSP) {
        /* A few big hospitals take most of the staff. */
        double u = rng_unit(r);
        off = (uint32_t)(u * u * count);
        if (off >= count)
            off = count - 1;
    } else {
        off = rng_below(r, count);
    }
    return g->kstart[kind] + off;
}

static void pick_practice(struct rng *r, int profile, int *mode, int *kind)
{
    const struct practice *rows = profile_tab[profile];
    int total = 0;
    for (int i = 0; i < MAXROWS && rows[i].weight; i++)
        total += rows[i].weight;
    int x = (int)rng_below(r, (uint32_t)total);
    for (int i = 0; i < MAXROWS && rows[i].weight; i++) {
        if (x < rows[i].weight) {
            *mode = rows[i].mode;
            *kind = rows[i].kind;
            return;
        }
        x -= rows[i].weight;
    }
    *mode = rows[0].mode;
    *kind = rows[0].kind;
}

static void make_ids(const struct gen *g, uint32_t i, int rpps,
                     const char *dept, char id[16], char nat[16])
{
    if (rpps) {
        char d[16];
        uint32_t v =
            (uint32_t)(((uint64_t)i * 387420489u + g->rpps_off) % 1000000000u);
        text_printf(d, sizeof d, "1%09u", v);
        text_printf(id, 16, "%s%d", d, text_luhn_digit(d));
        text_printf(nat, 16, "8%s", id);
    } else {
        uint32_t v =
            (uint32_t)(((uint64_t)i * 4782969u + g->adeli_off) % 10000000u);
        char dd[3] = {dept[0], dept[1], '\0'};
        if (dd[0] == '2' && (dd[1] == 'A' || dd[1] == 'B'))
            dd[1] = '0';
        text_printf(id, 16, "%s%07u", dd, v);
        text_printf(nat, 16, "0%s", id);
    }
}

static const char *dipl_type_label(const char *code, const char **type)
{
    static const struct code_label t[] = {
        {"DE", "Diplôme d'Etat français"},
        {"CC", "Certificat de capacité"},
        {"BTS", "Brevet de technicien supérieur"},
        {"BP", "Brevet professionnel"},
        {"TP", "Titre professionnel"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strncmp(code, t[i].code, strlen(t[i].code)) == 0) {
            *type = t[i].code;
            return t[i].label;
        }
    }
    *type = "DIV";
    return "Autre diplôme";
}

/* Profession, sex, RPPS or ADELI, names and civilities. */
static void person_identity(const struct gen *g, const struct planted *pp,
                            struct rng *r, struct person *p)
{
    p->prof = pp ? pp->prof : (int)wtab_pick(&g->w_prof, r);
    const struct profession *pr = &prof_tab[p->prof];
    p->female = pp ? pp->female : (int)rng_below(r, 100) < pr->female;
    p->rpps = (int)rng_below(r, 100) < pr->rpps;
    if (pp)
        p->rpps = pp->rpps;
    if (pp)
        text_copy(p->surname, sizeof p->surname, pp->surname);
    else
        draw_surname(g, r, p->surname, sizeof p->surname);
    if (pp)
        text_copy(p->first, sizeof p->first, pp->first);
    else
        draw_first(g, r, p->female, p->first, sizeof p->first);
    if (p->female) {
        int mlle = rng_pm(r, 15);
        p->civ = mlle ? "MLLE" : "MME";
        p->civ_label = mlle ? "Mademoiselle" : "Madame";
    } else {
        p->civ = "M";
        p->civ_label = "Monsieur";
    }
    p->civex = p->civex_label = "";
    uint32_t cx = rng_below(r, 100);
    if ((p->prof == P_MED && cx < 93) || (p->prof == P_DENT && cx < 70)) {
        p->civex = "DR";
        p->civex_label = "Docteur";
    } else if (p->prof == P_MED && cx < 97) {
        p->civex = "PR";
        p->civex_label = "Professeur";
    }
}

/* Savoir-faire: a doctor's specialty (the planted one's is its case's)
 * and extra qualifications; sometimes a dentist's or a nurse's. */
static void person_savoir(const struct gen *g, const struct planted *pp,
                          struct rng *r, struct person *p)
{
    const struct profession *pr = &prof_tab[p->prof];
    p->spec = -1;
    if (pr->sf == SF_MED) {
        p->spec = (int)wtab_pick(&g->w_spec, r);
        if (pp && pp->spec >= 0)
            p->spec = pp->spec;
        p->sf[p->nsf++] = &spec_med[p->spec];
        p->sf_on_line = 1;
        uint32_t x = rng_below(r, 100);
        int nextra = x < 10 ? 2 : x < 35 ? 1 : 0;
        for (int k = 0; k < nextra; k++) {
            const struct savoir *e = &extra_med[wtab_pick(&g->w_extra, r)];
            if (p->nsf == 2 && p->sf[1] == e)
                continue;
            p->sf[p->nsf++] = e;
        }
    } else if (pr->sf == SF_DENT && rng_pm(r, 150)) {
        uint32_t x = rng_below(r, 100);
        p->sf[p->nsf++] = &spec_dent[x < 60 ? 0 : x < 85 ? 1 : 2];
        p->sf_on_line = 1;
    } else if (pr->sf == SF_NURSE && rng_pm(r, 100)) {
        p->sf[p->nsf++] = &spec_nurse[rng_below(r, (uint32_t)spec_nurse_count)];
    }
}

/* Practice sites: 1 to 4, a mean of about 1.27; a single site is often
 * no structure at all. */
static void person_sites(const struct gen *g, const struct planted *pp,
                         struct rng *r, struct person *p)
{
    const struct profession *pr = &prof_tab[p->prof];
    uint32_t x = rng_below(r, 1000);
    p->nsites = x < 790 ? 1 : x < 950 ? 2 : x < 990 ? 3 : 4;
    if (pp)
        p->nsites = 1;
    for (int s = 0; s < p->nsites; s++) {
        struct site *st = &p->site[s];
        int mode, kind;
        pick_practice(r, pr->profile, &mode, &kind);
        st->sk = pick_struct(g, r, kind);
        /* Most people practise their other sites near the first one. */
        if (s > 0 && p->site[0].sk >= 0 && rng_pm(r, 750)) {
            int c0 = structure_commune(g, (uint32_t)p->site[0].sk);
            uint32_t lo = g->cstart[kind][g->towns.c[c0].dept_lo];
            uint32_t hi = g->cstart[kind][g->towns.c[c0].dept_hi];
            if (hi > lo)
                st->sk = g->bykind[kind][lo + rng_below(r, hi - lo)];
        }
        /* Two sites of one person are two structures (else the lines
         * would be unplanned exact duplicates). */
        int tries = 0;
        for (int t = 0; t < s; t++) {
            if (p->site[t].sk == st->sk && tries++ < 8) {
                st->sk = pick_struct(g, r, kind);
                t = -1;
            }
        }
        if (tries > 8) { /* a kind with very few structures (small N) */
            p->nsites = s;
            break;
        }
        st->mode = mode;
        st->genre = rng_pm(r, 40) ? 1 + (int)rng_below(r, 3) : 0;
        st->dup = rng_pm(r, 3);
        if (p->nsites == 1 && rng_pm(r, 270)) {
            st->sk = -1;
            st->mode = rng_pm(r, 500) ? mode : -1;
            st->genre = rng_pm(r, 500) ? 0 : -1;
        }
    }
    if (pp) {
        p->site[0].sk = (int64_t)g->nstruct + p->pl;
        p->site[0].mode = pp->mode;
        p->site[0].genre = 0;
        p->site[0].dup = 0;
    }
    /* Nobody random may make a planted "mixed" answer ambiguous. */
    if (!pp)
        while (person_conflicts(g, p))
            draw_surname(g, r, p->surname, sizeof p->surname);
}

/* Identifiers (ADELI numbers start with the department) and the
 * registering authority. */
static void person_ids(const struct gen *g, uint32_t i, struct rng *r,
                       struct person *p)
{
    const struct profession *pr = &prof_tab[p->prof];
    const char *dept = "75";
    for (int s = 0; s < p->nsites; s++) {
        if (p->site[s].sk >= 0) {
            dept =
                g->towns.c[structure_commune(g, (uint32_t)p->site[s].sk)].dept;
            break;
        }
    }
    if (p->site[0].sk < 0)
        dept = g->towns.c[wtab_pick(&g->w_commune, r)].dept;
    make_ids(g, i, p->rpps, dept, p->id, p->nat);

    int empty = p->site[0].sk < 0;
    if (p->rpps) {
        if (empty)
            text_printf(p->auth, sizeof p->auth, "%s//", pr->authority);
        else if (rng_pm(r, 500))
            text_printf(p->auth, sizeof p->auth, "%s/%s/%s", pr->authority,
                        pr->authority, pr->authority);
        else
            text_printf(p->auth, sizeof p->auth, "%s/%s/ARS", pr->authority,
                        pr->authority);
    } else {
        static const char *const a[] = {"ARS/ARS/ARS", "ARS/CPAM/CPAM",
                                        "ARS/Variable/Variable"};
        text_copy(p->auth, sizeof p->auth, empty ? "ARS//" : RNG_PICK(r, a));
    }
}

/* Diplomas: the RPPS professions' diploma, plus the doctors' DES. */
static void person_diplomas(struct rng *r, struct person *p)
{
    const struct profession *pr = &prof_tab[p->prof];
    if (p->rpps || rng_pm(r, 30)) {
        struct dipl *d = &p->dipl[p->ndipl++];
        if (p->rpps && rng_pm(r, 50)) {
            d->type = "UE";
            d->type_label = "Diplôme de l'Union européenne";
            d->code = "UE";
            text_printf(d->label, sizeof d->label,
                        "Diplôme d'un Etat de l'UE (%s)", pr->label);
            if (rng_pm(r, 300)) {
                d->aut_type = "AUT";
                d->aut_type_label = "Autorisation ministérielle d'exercice";
                d->aut_code = pr->code;
                d->aut_label = pr->label;
            }
        } else {
            d->type_label = dipl_type_label(pr->dipl_code, &d->type);
            d->code = pr->dipl_code;
            text_copy(d->label, sizeof d->label, pr->dipl_label);
        }
        if (p->prof == P_MED && (p->spec >= 3 || rng_pm(r, 100))) {
            d = &p->dipl[p->ndipl++];
            d->type = "DES";
            d->type_label = "Diplôme d'études spécialisées";
            d->code = p->spec >= 3 ? spec_med[p->spec].code : "SM53";
            text_printf(d->label, sizeof d->label, "DES %s",
                        p->spec >= 3 ? spec_med[p->spec].label
                                     : "de médecine générale");
        }
    }
}

/* An MSSanté mailbox, at the first site with a structure. */
static void person_mailbox(struct rng *r, struct person *p)
{
    const struct profession *pr = &prof_tab[p->prof];
    p->mss_site = -1;
    for (int s = 0; s < p->nsites; s++) {
        if (p->site[s].sk >= 0) {
            p->mss_site = s;
            break;
        }
    }
    if ((int)rng_below(r, 100) < pr->mss) {
        p->mss = 1;
        if (p->nsites >= 2 && p->site[1].sk >= 0 && rng_pm(r, 30))
            p->mss = 2;
    }
    p->demat = rng_pm(r, 850);
}

void person_make(const struct gen *g, uint32_t i, struct person *p)
{
    struct rng r;
    rng_init(&r, g->seed, RNG_PERSON, i);
    memset(p, 0, sizeof *p);
    p->pl = plant_at(g, i);
    const struct planted *pp = p->pl >= 0 ? &g->pl[p->pl] : NULL;
    /* The order of the steps is the order of the draws: part of what a
     * seed means. */
    person_identity(g, pp, &r, p);
    person_savoir(g, pp, &r, p);
    person_sites(g, pp, &r, p);
    person_ids(g, i, &r, p);
    person_diplomas(&r, p);
    person_mailbox(&r, p);
}
