/* rpps-gen: writes synthetic extracts in the exact format of the RPPS
 * "Annuaire Santé" open files (docs/rpps-format.md): the PS_LibreAcces zip of
 * three text files and the MSSanté zip of one, plus, on request, a truth file
 * of search cases whose answers it planted. Everything derives from --seed:
 * each professional and each structure is rebuilt from its own PRNG stream on
 * every pass, so each file is streamed in bounded memory and the same seed and
 * options give the same bytes. It imitates the real files' shapes and rough
 * proportions, not their statistics. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "fold.h"
#include "util.h"
#include "rng.h"
#include "text.h"
#include "tables.h"
#include "names.h"
#include "towns.h"
#include "gen.h"
#include "structure.h"
#include "person.h"
#include "plant.h"
#include "cases.h"

#include "banned.h"

/* ------------------------------------------------------------------------ */
/* Exact header lines, from docs/rpps-format.md §3. */

static const char hdr_activite[] =
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|"
    "Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|"
    "Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|"
    "Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|"
    "Code mode exercice|Libellé mode exercice|Numéro SIRET site|"
    "Numéro SIREN site|Numéro FINESS site|"
    "Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|"
    "Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|"
    "Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|"
    "Indice répétition voie (coord. structure)|"
    "Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|"
    "Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|"
    "Code commune (coord. structure)|Libellé commune (coord. structure)|"
    "Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|"
    "Télécopie (coord. structure)|Adresse e-mail (coord. structure)|"
    "Code Département (structure)|Libellé Département (structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|"
    "Code secteur d'activité|Libellé secteur d'activité|"
    "Code section tableau pharmaciens|Libellé section tableau pharmaciens|"
    "Code rôle|Libellé rôle|Code genre activité|Libellé genre activité|";

static const char hdr_savoirfaire[] =
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|"
    "Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|"
    "Code catégorie professionnelle|Libellé catégorie professionnelle|"
    "Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|"
    "Libellé savoir-faire|";

static const char hdr_diplome[] =
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|"
    "Nom d'exercice|Prénom d'exercice|Code type diplôme obtenu|"
    "Libellé type diplôme obtenu|Code diplôme obtenu|"
    "Libellé diplôme obtenu|Code type autorisation|"
    "Libellé type autorisation|Code discipline autorisation|"
    "Libellé discipline autorisation|";

static const char hdr_mss[] =
    "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|"
    "Identification nationale PP|Type identifiant structure|"
    "Identification Structure|Service de rattachement|"
    "Civilité d'exercice|Nom d'exercice|Prénom d'exercice|"
    "Catégorie profession|Libellé de catégorie profession|"
    "Code Profession|Libellé Profession|Code savoir-faire|"
    "Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|"
    "Enseigne commerciale structure BAL|"
    "L2COMPLEMENTLOCALISATION structure BAL|"
    "L3COMPLEMENTDISTRIBUTION structure BAL|L4NUMEROVOIE structure BAL|"
    "L4COMPLEMENTNUMEROVOIE structure BAL|NL4TYPEVOIE structure BAL|"
    "L4LIBELLEVOIE structure BAL|L5LIEUDITMENTION structure BAL|"
    "L6LIGNEACHEMINEMENT structure BAL|Code postal structure BAL|"
    "Département structure BAL|Pays structure BAL";

/* Column counts: 56 (current) or 52 (older) for Personne_activite. */
#define ACT_COLS 56
#define ACT_COLS_OLD 52
#define MSS_COLS 31

static const char *const mss_service_tab[] = {
    "Secrétariat",      "Cardiologie", "Urgences",  "Pédiatrie",
    "Psychiatrie",      "Radiologie",  "Gériatrie", "Oncologie",
    "Maternité",        "Laboratoire", "Pharmacie", "Direction des soins",
    "Médecine interne", "Admissions",
};

/* ------------------------------------------------------------------------ */
/* Output: each file goes through a sink that writes to a zip member
 * (deflate, streamed) and/or a plain .txt, through one buffer. */

#define OUTBUF (1u << 20)

struct sink {
    zipFile zf;
    FILE *fp;
    const char *path; /* for messages */
    char *buf;
    size_t n;
    uint64_t bytes, lines;
};

static void sink_flush(struct sink *s)
{
    if (!s->n)
        return;
    if (s->zf && zipWriteInFileInZip(s->zf, s->buf, (unsigned)s->n) != ZIP_OK) {
        log_error("%s: writing the zip member failed", s->path);
        exit(1);
    }
    if (s->fp && fwrite(s->buf, 1, s->n, s->fp) != s->n) {
        log_error("%s: %s", s->path, strerror(errno));
        exit(1);
    }
    s->n = 0;
}

static void sink_write(struct sink *s, const char *p, size_t n)
{
    if (s->n + n + 1 > OUTBUF)
        sink_flush(s);
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    s->buf[s->n++] = '\n';
    s->bytes += n + 1;
    s->lines++;
}

/* A line under construction: fields each followed by '|'. Lines are at most
 * a few hundred bytes; the cap only guards against a bug. */
struct line {
    char b[4096];
    size_t n;
};

static void fld(struct line *l, const char *s)
{
    size_t k = strlen(s);
    if (l->n + k + 2 > sizeof l->b) {
        log_error("internal error: line too long");
        abort();
    }
    memcpy(l->b + l->n, s, k);
    l->n += k;
    l->b[l->n++] = '|';
}

static void act_line(const struct gen *g, const struct person *p,
                     const struct site *s, const struct structure *st,
                     struct line *l)
{
    const struct profession *pr = &prof_tab[p->prof];
    const struct commune *c = st ? &g->towns.c[st->commune] : NULL;
    l->n = 0;
    fld(l, p->rpps ? "8" : "0");
    fld(l, p->id);
    fld(l, p->nat);
    fld(l, p->civex);
    fld(l, p->civex_label);
    fld(l, p->civ);
    fld(l, p->civ_label);
    fld(l, p->surname);
    fld(l, p->first);
    fld(l, pr->code);
    fld(l, pr->label);
    fld(l, "C");
    fld(l, "Civil");
    if (p->sf_on_line) {
        const struct savoir *sf = p->sf[0];
        fld(l, sf->type);
        fld(l, sftype_tab[0].label);
        fld(l, sf->code);
        fld(l, sf->label);
    } else {
        fld(l, "");
        fld(l, "");
        fld(l, "");
        fld(l, "");
    }
    fld(l, s->mode >= 0 ? mode_tab[s->mode].code : "");
    fld(l, s->mode >= 0 ? mode_tab[s->mode].label : "");
    if (st) {
        fld(l, st->siret);
        fld(l, st->siren);
        fld(l, st->finess);
        fld(l, st->finess_ej);
        fld(l, st->tech);
        fld(l, st->raison);
        fld(l, st->enseigne);
        fld(l, st->dest);
        fld(l, st->geo);
        fld(l, st->num);
        fld(l, st->indice);
        fld(l, st->voie_code);
        fld(l, st->voie_label);
        fld(l, st->voie);
        fld(l, st->mention);
        fld(l, st->bureau);
        fld(l, st->cp);
        fld(l, st->has_commune ? c->insee : "");
        fld(l, st->has_commune ? c->name : "");
        fld(l, ""); /* Code pays */
        fld(l, ""); /* Libellé pays */
        fld(l, st->phone);
        fld(l, st->phone2);
        fld(l, st->fax);
        fld(l, st->email);
        fld(l, st->show_dept ? c->dept : "");
        fld(l, st->show_dept ? c->dept_label : "");
        fld(l, st->ancien);
    } else {
        for (int k = 20; k <= 47; k++)
            fld(l, "");
    }
    fld(l, p->auth);
    if (st) {
        fld(l, sector_tab[st->sector].code);
        fld(l, sector_tab[st->sector].label);
    } else {
        fld(l, "");
        fld(l, "");
    }
    int sec = -1;
    if (p->prof == P_PHARM && st) {
        if (strncmp(c->dept, "97", 2) == 0)
            sec = 4;
        else if (st->kind == K_PHARMA)
            sec = s->mode == M_L ? 0 : 1;
        else if (st->kind == K_LBM)
            sec = 2;
        else
            sec = 3;
    }
    fld(l, sec >= 0 ? section_tab[sec].code : "");
    fld(l, sec >= 0 ? section_tab[sec].label : "");
    if (g->layout == ACT_COLS) {
        fld(l, ""); /* Code rôle: values unknown, left empty */
        fld(l, "");
        fld(l, s->genre >= 0 ? genre_tab[s->genre].code : "");
        fld(l, s->genre >= 0 ? genre_tab[s->genre].label : "");
    }
}

static void pass_activity(struct gen *g, struct sink *out)
{
    struct line *l = xmalloc(sizeof *l);
    struct person p;
    struct structure st;
    /* The older layout is the same header cut after 52 names. */
    size_t hl = strlen(hdr_activite);
    if (g->layout == ACT_COLS_OLD) {
        size_t bars = 0;
        for (hl = 0; hdr_activite[hl] && bars < ACT_COLS_OLD; hl++)
            if (hdr_activite[hl] == '|')
                bars++;
    }
    sink_write(out, hdr_activite, hl);
    for (uint32_t i = 0; i < g->ntot; i++) {
        person_make(g, i, &p);
        for (int s = 0; s < p.nsites; s++) {
            const struct site *si = &p.site[s];
            if (si->sk >= 0)
                structure_make(g, (uint32_t)si->sk, &st);
            else
                g->n_empty++;
            act_line(g, &p, si, si->sk >= 0 ? &st : NULL, l);
            sink_write(out, l->b, l->n);
            g->n_act++;
            if (si->dup) {
                sink_write(out, l->b, l->n);
                g->n_act++;
                g->n_dup++;
            }
        }
    }
    free(l);
}

static void pass_diplomas(struct gen *g, struct sink *out)
{
    struct line l;
    struct person p;
    sink_write(out, hdr_diplome, strlen(hdr_diplome));
    for (uint32_t i = 0; i < g->ntot; i++) {
        person_make(g, i, &p);
        for (int k = 0; k < p.ndipl; k++) {
            const struct dipl *d = &p.dipl[k];
            l.n = 0;
            fld(&l, p.rpps ? "8" : "0");
            fld(&l, p.id);
            fld(&l, p.nat);
            fld(&l, p.surname);
            fld(&l, p.first);
            fld(&l, d->type);
            fld(&l, d->type_label);
            fld(&l, d->code);
            fld(&l, d->label);
            fld(&l, d->aut_type ? d->aut_type : "");
            fld(&l, d->aut_type_label ? d->aut_type_label : "");
            fld(&l, d->aut_code ? d->aut_code : "");
            fld(&l, d->aut_label ? d->aut_label : "");
            sink_write(out, l.b, l.n);
            g->n_dipl++;
        }
    }
}

static void pass_savoirfaire(struct gen *g, struct sink *out)
{
    struct line l;
    struct person p;
    sink_write(out, hdr_savoirfaire, strlen(hdr_savoirfaire));
    for (uint32_t i = 0; i < g->ntot; i++) {
        person_make(g, i, &p);
        const struct profession *pr = &prof_tab[p.prof];
        for (int k = 0; k < p.nsf; k++) {
            const struct savoir *sf = p.sf[k];
            const char *tl = "";
            for (size_t t = 0; t < sftype_count; t++)
                if (strcmp(sftype_tab[t].code, sf->type) == 0)
                    tl = sftype_tab[t].label;
            l.n = 0;
            fld(&l, p.rpps ? "8" : "0");
            fld(&l, p.id);
            fld(&l, p.nat);
            fld(&l, p.surname);
            fld(&l, p.first);
            fld(&l, pr->code);
            fld(&l, pr->label);
            fld(&l, "C");
            fld(&l, "Civil");
            fld(&l, sf->type);
            fld(&l, tl);
            fld(&l, sf->code);
            fld(&l, sf->label);
            sink_write(out, l.b, l.n);
            g->n_sf++;
        }
    }
}

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
static void mss_address(struct addrset *a, const char *local,
                        const char *domain, char *out, size_t cap)
{
    text_printf(out, cap, "%s@%s", local, domain);
    for (int k = 2; !addrset_add(a, out); k++)
        text_printf(out, cap, "%s%d@%s", local, k, domain);
}

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

static void mss_struct_fields(const struct gen *g, struct line *l,
                              const struct structure *st)
{
    if (!st) {
        for (int k = 0; k < 13; k++)
            fld(l, "");
        return;
    }
    const struct commune *c = &g->towns.c[st->commune];
    fld(l, st->raison);
    fld(l, st->enseigne);
    fld(l, st->geo);
    fld(l, st->dest);
    fld(l, st->num);
    fld(l, st->indice);
    fld(l, st->voie_code);
    fld(l, st->voie);
    fld(l, st->mention);
    fld(l, st->bureau);
    fld(l, st->cp);
    fld(l, c->dept);
    fld(l, "");
}

static void mss_emit(const struct gen *g, struct sink *out,
                     const struct line *l)
{
    /* Every field was followed by '|': drop the last one unless asked. */
    sink_write(out, l->b, g->mss_pipe ? l->n : l->n - 1);
}

static void pass_mss(struct gen *g, struct sink *out)
{
    struct line l;
    struct person p;
    struct structure st;
    struct addrset seen = {0};
    char addr[192], local[128], domain[128], a[64], b[96];
    if (g->mss_pipe) {
        l.n = 0;
        fld(&l, hdr_mss);
        sink_write(out, l.b, l.n);
    } else {
        sink_write(out, hdr_mss, strlen(hdr_mss));
    }
    for (uint32_t i = 0; i < g->ntot; i++) {
        person_make(g, i, &p);
        if (!p.mss)
            continue;
        const struct profession *pr = &prof_tab[p.prof];
        int have = p.mss_site >= 0;
        if (have)
            structure_make(g, (uint32_t)p.site[p.mss_site].sk, &st);
        text_slug(p.first, a, sizeof a);
        text_slug(p.surname, b, sizeof b);
        text_printf(local, sizeof local, "%s.%s", a, b);
        /* Salaried staff of an institution get its domain; the others
         * their profession's. */
        if (have && p.site[p.mss_site].mode == M_S && st.kind != K_SOC &&
            st.kind != K_CABG && st.kind != K_CABI)
            structure_domain(&st, domain, sizeof domain);
        else
            text_copy(domain, sizeof domain, pr->domain);
        mss_address(&seen, local, domain, addr, sizeof addr);
        for (int rep = 0; rep < p.mss; rep++) {
            const struct structure *sp = have ? &st : NULL;
            struct structure st2;
            if (rep == 1) {
                structure_make(g, (uint32_t)p.site[1].sk, &st2);
                sp = &st2;
            }
            l.n = 0;
            fld(&l, "PER");
            fld(&l, addr);
            fld(&l, p.rpps ? "8" : "0");
            fld(&l, p.id);
            fld(&l, p.nat);
            char t[2] = {sp ? sp->ancien[0] : '\0', '\0'};
            fld(&l, t);
            fld(&l, sp ? sp->ancien : "");
            /* Hospital staff: a service, for about a third. */
            fld(&l, sp && sp->kind == K_HOSP && i % 3 == 0
                        ? mss_service_tab[(i / 3) % (sizeof mss_service_tab /
                                                     sizeof mss_service_tab[0])]
                        : "");
            fld(&l, p.civex);
            fld(&l, p.surname);
            fld(&l, p.first);
            fld(&l, "C");
            fld(&l, "Civil");
            fld(&l, pr->code);
            fld(&l, pr->label);
            fld(&l, p.sf_on_line ? p.sf[0]->code : "");
            fld(&l, p.sf_on_line ? p.sf[0]->label : "");
            fld(&l, p.demat ? "true" : "false");
            mss_struct_fields(g, &l, sp);
            mss_emit(g, out, &l);
            g->n_per++;
        }
    }
    /* Organisational mailboxes: services of structures, no person. */
    static const int org_pm[NKINDS] = {1000, 100, 500, 500, 300,
                                       400,  500, 30,  80,  5};
    for (uint32_t k = 0; k < g->nstruct; k++) {
        struct rng r;
        rng_init(&r, g->seed, RNG_ORG, k);
        int kind = gen_kind_of(g, k);
        if (!rng_pm(&r, (uint32_t)org_pm[kind]))
            continue;
        int count = kind == K_HOSP ? 1 + (int)rng_below(&r, 17) : 1;
        structure_make(g, k, &st);
        structure_domain(&st, domain, sizeof domain);
        for (int m = 0; m < count; m++) {
            const char *svc =
                kind == K_HOSP ? RNG_PICK(&r, mss_service_tab) : "Secrétariat";
            text_slug(svc, local, sizeof local);
            if (kind != K_HOSP) {
                text_slug(st.raison[0] ? st.raison : "cabinet", b, 40);
                text_printf(local, sizeof local, "secretariat.%s", b);
            }
            mss_address(&seen, local, domain, addr, sizeof addr);
            l.n = 0;
            fld(&l, "ORG");
            fld(&l, addr);
            for (int e = 0; e < 3; e++)
                fld(&l, "");
            char t[2] = {st.ancien[0], '\0'};
            fld(&l, t);
            fld(&l, st.ancien);
            fld(&l, kind == K_HOSP ? svc : "");
            for (int e = 0; e < 9; e++)
                fld(&l, "");
            fld(&l, rng_pm(&r, 850) ? "true" : "false");
            mss_struct_fields(g, &l, &st);
            mss_emit(g, out, &l);
            g->n_org++;
            /* A few service mailboxes are listed twice. */
            if (rng_pm(&r, 10)) {
                mss_emit(g, out, &l);
                g->n_org++;
            }
        }
    }
    free(seen.h);
}

/* ------------------------------------------------------------------------ */
/* Set-up and command line. */

static int gen_init(struct gen *g)
{
    tables_check();
    if (towns_init(&g->towns) < 0)
        return -1;
    for (size_t i = 0; i < g->towns.n; i++)
        wtab_add(&g->w_commune, (uint32_t)g->towns.c[i].weight);
    for (size_t i = 0; i < prof_count; i++)
        wtab_add(&g->w_prof, (uint32_t)prof_tab[i].weight);
    /* Zipf-like: rank k weighs 1/(k + 40). */
    for (size_t i = 0; i < surname_count; i++)
        wtab_add(&g->w_surname, (uint32_t)(10000000u / (i + 40)));
    for (size_t i = 0; i < female_count; i++)
        wtab_add(&g->w_female, (uint32_t)(1000000u / (i + 8)));
    for (size_t i = 0; i < male_count; i++)
        wtab_add(&g->w_male, (uint32_t)(1000000u / (i + 8)));
    for (size_t i = 0; i < spec_med_count; i++)
        wtab_add(&g->w_spec, (uint32_t)spec_med[i].weight);
    for (size_t i = 0; i < extra_med_count; i++)
        wtab_add(&g->w_extra, (uint32_t)extra_med[i].weight);
    for (size_t i = 0; i < voie_count; i++)
        wtab_add(&g->w_voie, (uint32_t)voie_tab[i].weight);

    /* Structures: about one for five professionals (real files: 422 k for
     * 2.1 M lines), split by kind, at least one of each. */
    g->nstruct = 0;
    uint32_t want = g->n / 5 < 200 ? 200 : g->n / 5;
    for (int k = 0; k < NKINDS; k++) {
        uint32_t c =
            (uint32_t)((uint64_t)want * (uint32_t)kind_share[k] / 1000);
        g->kstart[k] = g->nstruct;
        g->nstruct += c ? c : 1;
    }
    g->kstart[NKINDS] = g->nstruct;
    for (int k = 0; k < NKINDS; k++) {
        uint32_t count = g->kstart[k + 1] - g->kstart[k];
        uint32_t *cs = xcalloc(g->towns.n + 1, sizeof *cs);
        uint32_t *by = xmalloc(count * sizeof *by);
        for (uint32_t i = 0; i < count; i++)
            cs[structure_commune(g, g->kstart[k] + i) + 1]++;
        for (size_t c = 0; c < g->towns.n; c++)
            cs[c + 1] += cs[c];
        uint32_t *fill = xmalloc((g->towns.n + 1) * sizeof *fill);
        memcpy(fill, cs, (g->towns.n + 1) * sizeof *fill);
        for (uint32_t i = 0; i < count; i++)
            by[fill[structure_commune(g, g->kstart[k] + i)]++] =
                g->kstart[k] + i;
        free(fill);
        g->bykind[k] = by;
        g->cstart[k] = cs;
    }

    /* Identifier offsets depend on the seed, so two seeds differ there
     * too. */
    struct rng r;
    rng_init(&r, g->seed, RNG_PLANT, 1);
    g->rpps_off = rng_below(&r, 1000000000u);
    g->adeli_off = rng_below(&r, 10000000u);
    g->finess_off = rng_below(&r, 10000000u);
    g->siren_off = rng_below(&r, 100000000u);
    g->cab_off = rng_below(&r, 1000000000u);

    plant_init(g);
    g->ntot = g->n;
    if (g->n >= PLANT_MIN)
        cases_build(g);
    return 0;
}

static void gen_release(struct gen *g)
{
    wtab_release(&g->w_commune);
    wtab_release(&g->w_prof);
    wtab_release(&g->w_surname);
    wtab_release(&g->w_female);
    wtab_release(&g->w_male);
    wtab_release(&g->w_spec);
    wtab_release(&g->w_extra);
    wtab_release(&g->w_voie);
    towns_release(&g->towns);
    for (int k = 0; k < NKINDS; k++) {
        free(g->bykind[k]);
        free(g->cstart[k]);
    }
    plant_release(g);
}

/* Options shared by the passes that write files. */
struct outopts {
    const char *dir, *stamp;
    int zip, txt;
    zip_fileinfo zi;
};

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    text_printf(p, n, "%s/%s", dir, name);
    return p;
}

/* Writes one text file: as the next member of zf (if any) and as a plain
 * file (if asked). */
static void write_member(struct gen *g, const struct outopts *o, zipFile zf,
                         const char *prefix,
                         void (*pass)(struct gen *, struct sink *), int zip64,
                         uint64_t *bytes)
{
    char name[128];
    text_printf(name, sizeof name, "%s_%s.txt", prefix, o->stamp);
    char *path = path_join(o->dir, name);
    struct sink s = {0};
    s.path = path;
    s.buf = xmalloc(OUTBUF);
    if (zf) {
        s.zf = zf;
        if (zipOpenNewFileInZip64(zf, name, &o->zi, NULL, 0, NULL, 0, NULL,
                                  Z_DEFLATED, Z_DEFAULT_COMPRESSION,
                                  zip64) != ZIP_OK) {
            log_error("%s: cannot add %s to the zip", o->dir, name);
            exit(1);
        }
    }
    if (o->txt) {
        s.fp = fopen(path, "wb");
        if (!s.fp) {
            log_error("%s: %s", path, strerror(errno));
            exit(1);
        }
    }
    pass(g, &s);
    sink_flush(&s);
    if (zf && zipCloseFileInZip(zf) != ZIP_OK) {
        log_error("%s: closing zip member %s failed", o->dir, name);
        exit(1);
    }
    if (s.fp && fclose(s.fp) != 0) {
        log_error("%s: %s", path, strerror(errno));
        exit(1);
    }
    *bytes += s.bytes;
    free(s.buf);
    free(path);
}

static zipFile zip_create(const struct outopts *o, const char *prefix,
                          char **path)
{
    char name[128];
    text_printf(name, sizeof name, "%s_%s.zip", prefix, o->stamp);
    *path = path_join(o->dir, name);
    zipFile zf = zipOpen64(*path, APPEND_STATUS_CREATE);
    if (!zf) {
        log_error("%s: cannot create", *path);
        exit(1);
    }
    return zf;
}

static void zip_finish(zipFile zf, char *path)
{
    if (zipClose(zf, NULL) != ZIP_OK) {
        log_error("%s: closing the zip failed", path);
        exit(1);
    }
    free(path);
}

static void usage(FILE *f)
{
    fputs(
        "usage: rpps-gen [options]\n"
        "Writes synthetic RPPS and MSSante extracts in the exact format of\n"
        "the real ones (docs/rpps-format.md):\n"
        "  DIR/PS_LibreAcces_<stamp>.zip holding\n"
        "    PS_LibreAcces_Personne_activite_<stamp>.txt,\n"
        "    PS_LibreAcces_Dipl_AutExerc_<stamp>.txt,\n"
        "    PS_LibreAcces_SavoirFaire_<stamp>.txt\n"
        "  DIR/Extraction_Correspondance_MSSante_<stamp>.zip holding\n"
        "    Extraction_Correspondance_MSSante_<stamp>.txt\n"
        "The same seed and options always give the same bytes.\n"
        "\n"
        "  -s, --seed N            PRNG seed (default 1)\n"
        "  -n, --professionals N   number of professionals (default 2000;\n"
        "                          full scale is 1900000), plus 141 planted\n"
        "                          after them when N >= 1000; about 1.27 N\n"
        "                          activity lines, 0.51 N diplomas, 0.23 N\n"
        "                          savoir-faire, 0.28 N mailboxes\n"
        "  -l, --layout 52|56      Personne_activite columns (default 56;\n"
        "                          52 is the older layout)\n"
        "  -t, --stamp STAMP       YYYYMMDDhhmm in the names and zip dates\n"
        "                          (default 202608261013)\n"
        "  -o, --out DIR           output directory (default .; created)\n"
        "      --txt               also write the four .txt files plainly\n"
        "      --no-zip            write only the .txt files (implies --txt)\n"
        "      --mss-trailing-pipe end MSSante lines with '|' as well\n"
        "      --truth FILE        write the planted search cases as TSV:\n"
        "                          query<TAB>national ids (comma-separated)\n"
        "                          <TAB>kind[<TAB>more URL parameters, such\n"
        "                          as near=90000&radius_km=20]; needs\n"
        "                          N >= 1000\n"
        "  -q, --quiet             no summary on stderr\n"
        "  -h, --help              this help\n",
        f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The N cap keeps ADELI numbers (7 digits after the department) unique. */
#define MAX_PROFESSIONALS 9000000u

int main(int argc, char **argv)
{
    enum { OPT_TXT = 256, OPT_NOZIP, OPT_PIPE, OPT_TRUTH };
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},
        {"professionals", required_argument, NULL, 'n'},
        {"layout", required_argument, NULL, 'l'},
        {"stamp", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"txt", no_argument, NULL, OPT_TXT},
        {"no-zip", no_argument, NULL, OPT_NOZIP},
        {"mss-trailing-pipe", no_argument, NULL, OPT_PIPE},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct gen g = {0};
    struct outopts o = {0};
    const char *truth = NULL;
    uint64_t v;
    int quiet = 0, c;
    g.seed = 1;
    g.n = 2000;
    g.layout = ACT_COLS;
    o.dir = ".";
    o.stamp = "202608261013";
    o.zip = 1;
    log_set_prog("rpps-gen");
    while ((c = getopt_long(argc, argv, "s:n:l:t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &g.seed) < 0) {
                log_error("--seed: not a number: %s", optarg);
                return 2;
            }
            break;
        case 'n':
            if (parse_u64(optarg, MAX_PROFESSIONALS, &v) < 0 || v == 0) {
                log_error("--professionals: 1 to %u, not %s", MAX_PROFESSIONALS,
                          optarg);
                return 2;
            }
            g.n = (uint32_t)v;
            break;
        case 'l':
            if (strcmp(optarg, "52") == 0)
                g.layout = ACT_COLS_OLD;
            else if (strcmp(optarg, "56") == 0)
                g.layout = ACT_COLS;
            else {
                log_error("--layout: 52 or 56, not %s", optarg);
                return 2;
            }
            break;
        case 't': {
            size_t k = 0;
            while (optarg[k] >= '0' && optarg[k] <= '9')
                k++;
            if (k != 12 || optarg[k]) {
                log_error("--stamp: YYYYMMDDhhmm, not %s", optarg);
                return 2;
            }
            o.stamp = optarg;
            break;
        }
        case 'o':
            o.dir = optarg;
            break;
        case OPT_TXT:
            o.txt = 1;
            break;
        case OPT_NOZIP:
            o.zip = 0;
            o.txt = 1;
            break;
        case OPT_PIPE:
            g.mss_pipe = 1;
            break;
        case OPT_TRUTH:
            truth = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        log_error("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (truth && g.n < PLANT_MIN) {
        log_error("--truth needs --professionals %d or more", PLANT_MIN);
        return 2;
    }
    log_quiet(quiet);
    if (mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
        log_error("%s: %s", o.dir, strerror(errno));
        return 1;
    }

    /* Zip entries take their date from the stamp, not the clock, so the
     * bytes depend on the options alone. */
    int y, mo, d, h, mi;
    if (sscanf(o.stamp, "%4d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi) != 5) {
        log_error("--stamp: YYYYMMDDhhmm, not %s", o.stamp);
        return 2;
    }
    o.zi.tmz_date.tm_year = (unsigned)y;
    o.zi.tmz_date.tm_mon = (unsigned)(mo > 0 ? mo - 1 : 0);
    o.zi.tmz_date.tm_mday = (unsigned)d;
    o.zi.tmz_date.tm_hour = (unsigned)h;
    o.zi.tmz_date.tm_min = (unsigned)mi;

    double t0 = now_s();
    if (gen_init(&g) < 0)
        return 1;
    /* Members are zip64 only when one might pass 4 GiB (lines are under
     * 500 bytes, 1.3 lines a professional): readers without zip64 still
     * read the usual sizes. */
    int zip64 = (uint64_t)g.n * 13 / 10 * 500 > 0xF0000000ULL;
    uint64_t bytes = 0;
    zipFile zf = NULL;
    char *zpath = NULL;
    if (o.zip)
        zf = zip_create(&o, "PS_LibreAcces", &zpath);
    write_member(&g, &o, zf, "PS_LibreAcces_Personne_activite", pass_activity,
                 zip64, &bytes);
    write_member(&g, &o, zf, "PS_LibreAcces_Dipl_AutExerc", pass_diplomas,
                 zip64, &bytes);
    write_member(&g, &o, zf, "PS_LibreAcces_SavoirFaire", pass_savoirfaire,
                 zip64, &bytes);
    if (zf)
        zip_finish(zf, zpath);
    zf = NULL;
    if (o.zip)
        zf = zip_create(&o, "Extraction_Correspondance_MSSante", &zpath);
    write_member(&g, &o, zf, "Extraction_Correspondance_MSSante", pass_mss,
                 zip64, &bytes);
    if (zf)
        zip_finish(zf, zpath);
    if (truth)
        plant_write_truth(&g, truth);

    log_info("%u professionals (%zu planted, %zu truth cases): %llu "
             "activity lines (%llu duplicated, %llu without structure), "
             "%llu diplomas, %llu savoir-faire, %llu mailboxes (%llu PER, "
             "%llu ORG); %.1f MB of text in %.1f s",
             g.ntot, g.npl, g.ntc, (unsigned long long)g.n_act,
             (unsigned long long)g.n_dup, (unsigned long long)g.n_empty,
             (unsigned long long)g.n_dipl, (unsigned long long)g.n_sf,
             (unsigned long long)(g.n_per + g.n_org),
             (unsigned long long)g.n_per, (unsigned long long)g.n_org,
             (double)bytes / 1e6, now_s() - t0);
    gen_release(&g);
    return 0;
}
