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

static const char *const case_kind_name[NCASEKINDS] = {
    "exact",     "prefix",       "typo",       "variant",
    "compound",  "homonym_town", "mixed",      "accent",
    "dept",      "typo_initial", "typo_given", "exact_vs_variant",
    "near",      "specialty",    "apostrophe", "dept_name",
    "town_typo",
};

static void block_add(struct gen *g, const char *joined)
{
    uint64_t h = hash64(joined, strlen(joined)) | 1;
    size_t i = h % 1024;
    while (g->block[i] && g->block[i] != h)
        i = (i + 1) % 1024;
    g->block[i] = h;
}

static int block_has(const struct gen *g, const char *joined)
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
    if (block_has(g, j))
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
/* Planted truth cases. Their names, towns and queries do not depend on the
 * seed; their identifiers do (they follow from where they sit in the
 * file). The random population is kept from making any answer ambiguous:
 * planted-only names and typos are blocked (surname_blocked) and the
 * "mixed" combinations are checked (person_conflicts). */

/* Fewer professionals than this and nothing is planted: they would be too
 * large a share of the file. */
#define PLANT_MIN 1000

static int plant(struct gen *g, const char *surname, const char *first,
                 int female, int prof, int spec, const char *insee,
                 int cedex_only)
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

static struct tcase *add_case(struct gen *g, int kind, int a, int b)
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

/* The next unused planted-only surname meeting the filter. */
static const char *take_rare(struct gen *g, int need_accent, int one_word,
                             size_t min_len)
{
    for (size_t i = 0; i < rare_count; i++) {
        char j[128], f[128];
        if (g->rare_used[i])
            continue;
        text_fold_joined(rare_tab[i], j, sizeof j);
        text_fold(rare_tab[i], f, sizeof f);
        if (need_accent && !text_has_non_ascii(rare_tab[i]))
            continue;
        if (!need_accent && text_has_non_ascii(rare_tab[i]) && min_len == 0)
            continue; /* keep the accented ones for the accent cases */
        if (one_word && strchr(f, ' '))
            continue;
        if (strlen(j) < min_len)
            continue;
        g->rare_used[i] = 1;
        return rare_tab[i];
    }
    log_error("internal error: planted surnames exhausted");
    abort();
}

static const char *take_rare_first(struct gen *g, int *female)
{
    if ((size_t)g->rare_first_next >= rare_first_count) {
        log_error("internal error: planted first names exhausted");
        abort();
    }
    *female = rare_first_tab[g->rare_first_next].female;
    return rare_first_tab[g->rare_first_next++].name;
}

/* Towns for the cases that do not name one. */
static const char *const case_towns[] = {
    "75111", "75115", "69383", "13208", "31555", "44109", "33063", "34172",
    "67482", "59350", "35238", "06088", "21231", "49007", "63113", "76351",
    "37261", "38185", "87085", "80021", "30189", "72181", "25056", "54395",
};
#define NCASE_TOWNS (sizeof case_towns / sizeof case_towns[0])

/* Professions cycled through by the name cases. */
static const int case_profs[] = {P_MED, P_INF, P_KINE, P_PHARM,    P_DENT,
                                 P_SF,  P_PSY, P_MED,  P_ORTHOPHO, P_PODO};
#define NCASE_PROFS (sizeof case_profs / sizeof case_profs[0])

static const char *common_first(int female, int k)
{
    return female ? female_tab[(k * 7) % 40] : male_tab[(k * 7) % 40];
}

/* A town as a user types it: "lyon" for an arrondissement, "st etienne"
 * now and then for a Saint-. */
static void town_query(const struct gen *g, int commune, int variant, char *out,
                       size_t cap)
{
    const char *name = g->towns.c[commune].name;
    static const char *const cities[] = {"Paris ", "Lyon ", "Marseille "};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(cities[i]);
        if (strncmp(name, cities[i], l) == 0) {
            text_copy(out, cap, cities[i]);
            out[l - 1] = '\0';
            text_lower(out, out);
            return;
        }
    }
    text_fold(name, out, cap);
    if (variant && strncmp(out, "saint ", 6) == 0) {
        char t[96];
        text_printf(t, sizeof t, "st %s", out + 6);
        text_copy(out, cap, t);
    }
}

static void q2(char *q, size_t cap, const char *a, const char *b)
{
    text_printf(q, cap, "%s %s", a, b);
}

static void folded(const char *s, char *out, size_t cap)
{
    text_fold(s, out, cap);
}

/* Applies one typing error to the folded surname s: 0 insertion,
 * 1 deletion, 2 substitution, 3 transposition, away from the first
 * letter. */
static void typo_edit(char *s, size_t cap, int type, struct rng *r)
{
    size_t n = strlen(s);
    size_t pos = 1 + rng_below(r, (uint32_t)(n - 2));
    static const char letters[] = "aeioulnrstm";
    switch (type) {
    case 0:
        if (n + 2 > cap)
            return;
        memmove(s + pos + 1, s + pos, n - pos + 1);
        s[pos] = letters[rng_below(r, sizeof letters - 1)];
        break;
    case 1:
        memmove(s + pos, s + pos + 1, n - pos);
        break;
    case 2: {
        char c;
        do
            c = letters[rng_below(r, sizeof letters - 1)];
        while (c == s[pos]);
        s[pos] = c;
        break;
    }
    default:
        while (pos + 1 < n && s[pos] == s[pos + 1])
            pos++;
        if (pos + 1 >= n)
            pos = 1;
        char t = s[pos];
        s[pos] = s[pos + 1];
        s[pos + 1] = t;
        break;
    }
}

/* 1 if a folded word is a word of a common surname or of another
 * planted-only surname than own. */
static int word_taken(const char *w, const char *own)
{
    char f[128];
    for (size_t i = 0; i < surname_count + rare_count; i++) {
        const char *s =
            i < surname_count ? surname_tab[i] : rare_tab[i - surname_count];
        if (s == own)
            continue;
        text_fold(s, f, sizeof f);
        for (char *tok = f; *tok;) {
            char *end = strchr(tok, ' ');
            if (end)
                *end = '\0';
            if (strcmp(tok, w) == 0)
                return 1;
            if (!end)
                break;
            tok = end + 1;
        }
    }
    return 0;
}

/* 1 if some common or other planted surname has a word starting with
 * prefix. */
static int prefix_taken(const char *prefix, const char *own)
{
    char f[128];
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < surname_count + rare_count; i++) {
        const char *s =
            i < surname_count ? surname_tab[i] : rare_tab[i - surname_count];
        if (s == own)
            continue;
        text_fold(s, f, sizeof f);
        for (char *tok = f; *tok;) {
            char *end = strchr(tok, ' ');
            if (end)
                *end = '\0';
            if (strncmp(tok, prefix, pl) == 0)
                return 1;
            if (!end)
                break;
            tok = end + 1;
        }
    }
    return 0;
}

struct mixed_def {
    const char *surname;
    int prof, spec;
    const char *insee, *query, *keys;
};

static const struct mixed_def mixed_defs[] = {
    {"MARTIN", P_MED, S_CARDIO, "90010", "martin cardiologue belfort", ""},
    {"DUPONT", P_DENT, -1, "90010", "dentiste dupont 90000", "dupond"},
    {"LEFÈVRE", P_KINE, -1, "42218", "kiné lefevre st etienne",
     "lefebvre,lefeuvre"},
    {"BERNARD", P_MED, S_PEDIA, "01053", "pédiatre bernard bourg en bresse",
     ""},
    {"THOMAS", P_INF, -1, "2A004", "infirmière thomas ajaccio", ""},
    {"PETIT", P_PHARM, -1, "2B033", "pharmacien petit bastia", ""},
    {"ROBERT", P_SF, -1, "42218", "sage-femme robert 42000", ""},
    {"RICHARD", P_MED, S_PSY, "29232", "psychiatre richard quimper", ""},
    {"DURAND", P_MED, S_OPHTALMO, "56260", "ophtalmologue durand vannes", ""},
    {"DUBOIS", P_ORTHOPHO, -1, "53130", "orthophoniste dubois laval", ""},
    {"MOREAU", P_PSY, -1, "19272", "psychologue moreau tulle", ""},
    {"LAURENT", P_DENT, -1, "48095", "dentiste laurent 48000", ""},
    {"SIMON", P_MED, -1, "05061", "médecin simon gap", ""},
    {"MICHEL", P_KINE, -1, "09122", "kinésithérapeute michel foix", ""},
    {"LE GOFF", P_INF, -1, "29019", "infirmier le goff brest", "legoff"},
    {"GARCIA", P_OPT, -1, "66136", "opticien garcia perpignan", ""},
    {"N'DIAYE", P_MED, S_ORL, "97302", "orl ndiaye cayenne", "ndiaye"},
    {"DUPOND", P_PODO, -1, "21231", "podologue dupond dijon", "dupont"},
    {"PERRAULT", P_SF, -1, "79191", "sage femme perrault niort", "perraut"},
    {"FOURNIER", P_MED, S_CARDIO, "74010", "cardiologue fournier 74000", ""},
    {"ROUX", P_PHARM, -1, "94038", "pharmacien roux l'haÿ-les-roses", "leroux"},
    {"SCHMITT", P_INF, -1, "68066", "infirmière schmitt colmar", ""},
};

/* Keeps the random population from sharing (surname family, profession,
 * specialty, place) with a planted answer: the place is a commune, or a
 * whole department when dept is not empty. keys: more folded, joined
 * spellings, comma-separated. */
static void mixed_add(struct gen *g, const char *surname, int prof, int spec,
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
    memcpy(m->token, best, bestl);
    m->token[bestl] = '\0';
    text_fold_joined(surname, m->keys[m->nkeys++], sizeof m->keys[0]);
    char kb[96];
    text_copy(kb, sizeof kb, keys);
    for (char *key = kb; *key;) {
        char *end = strchr(key, ',');
        if (end)
            *end = '\0';
        text_copy(m->keys[m->nkeys++], sizeof m->keys[0], key);
        if (!end)
            break;
        key = end + 1;
    }
}

static void build_cases(struct gen *g)
{
    struct rng r;
    char q[192], a[128], b[128], t[96];
    rng_init(&r, 20240601, RNG_PLANT, 0); /* seed-independent on purpose */
    int k = 0;

    /* accent: names typed without accents, in one case. */
    static const char *const acc_f[] = {"Céline", "Hélène", "Anaïs",    "Zoé",
                                        "Gaëlle", "Noémie", "Clémence", "Agnès",
                                        "Léa",    "Inès"};
    static const char *const acc_m[] = {"Jérôme", "François", "Joël",   "Loïc",
                                        "Benoît", "Raphaël",  "Gérard", "Rémi",
                                        "Hervé",  "Cédric"};
    for (int i = 0; i < 20; i++, k++) {
        const char *s = take_rare(g, 1, 0, 0);
        int female = i % 2;
        const char *f = female ? acc_f[i / 2] : acc_m[i / 2];
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        struct tcase *c = add_case(g, C_ACCENT, w, -1);
        folded(s, a, sizeof a);
        folded(f, b, sizeof b);
        if (i % 3 == 0)
            q2(q, sizeof q, b, a);
        else
            q2(q, sizeof q, a, b);
        if (i % 2)
            text_ascii_upper(q);
        text_copy(c->query, sizeof c->query, q);
    }

    /* prefix: the start of a rare surname and the first name. */
    for (int i = 0; i < 18; i++, k++) {
        const char *s = take_rare(g, 0, 1, 8);
        int female = i % 2;
        const char *f = common_first(female, k);
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        folded(s, a, sizeof a);
        size_t len = 4 + (size_t)(i % 3);
        char pre[16];
        for (;; len++) {
            memcpy(pre, a, len);
            pre[len] = '\0';
            if (len >= strlen(a) || !prefix_taken(pre, s))
                break;
        }
        if (g->nprefix < sizeof g->prefixes / sizeof g->prefixes[0])
            text_copy(g->prefixes[g->nprefix++], sizeof g->prefixes[0], pre);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_PREFIX, w, -1);
        q2(c->query, sizeof c->query, pre, b);
    }

    /* typo: one edit in a surname of 5+ letters, two for 9+. */
    for (int i = 0; i < 22; i++, k++) {
        const char *s = take_rare(g, 0, 1, 5);
        int female = i % 2;
        const char *f = common_first(female, k + 3);
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        folded(s, a, sizeof a);
        char ty[128];
        for (int attempt = 0;; attempt++) {
            text_copy(ty, sizeof ty, a);
            int edits = strlen(a) >= 9 ? 2 : 1;
            for (int e = 0; e < edits; e++)
                typo_edit(ty, sizeof ty, (i + e) % 4, &r);
            if (strcmp(ty, a) != 0 && !word_taken(ty, s))
                break;
            if (attempt > 100) {
                log_error("internal error: no typo for %s", s);
                abort();
            }
        }
        block_add(g, ty);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_TYPO, w, -1);
        if (i % 2)
            q2(c->query, sizeof c->query, ty, b);
        else
            text_copy(c->query, sizeof c->query, ty);
    }

    /* exact: the full name as written. */
    for (int i = 0; i < 20; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        int female = i % 2;
        const char *f = common_first(female, k);
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        struct tcase *c = add_case(g, C_EXACT, w, -1);
        if (i % 3 == 0)
            q2(c->query, sizeof c->query, f, s);
        else if (i % 3 == 1)
            q2(c->query, sizeof c->query, s, f);
        else {
            q2(q, sizeof q, f, s);
            text_lower(q, c->query);
        }
    }

    /* variant: spelling variants of the surname or the first name. */
    static const struct {
        const char *written, *typed;
    } var_s[] = {
        {"LEFEBVRE", "lefevre"}, {"LEFÈVRE", "lefebvre"},
        {"LEFEUVRE", "lefevre"}, {"DUPOND", "dupont"},
        {"DUPONT", "dupond"},    {"PERRAULT", "perraut"},
        {"PERRAUT", "perrault"}, {"RENAULT", "renaut"},
        {"THIBAULT", "thibaut"}, {"PHILIPPOT", "filippot"},
        {"JOSEPH", "josef"},     {"STEPHAN", "stefan"},
        {"GUYOT", "guiot"},      {"MEYER", "meier"},
        {"REYNAUD", "reinaud"},
    };
    for (size_t i = 0; i < sizeof var_s / sizeof var_s[0]; i++, k++) {
        int female;
        const char *f = take_rare_first(g, &female);
        int w =
            plant(g, var_s[i].written, f, female, case_profs[k % NCASE_PROFS],
                  -1, case_towns[k % NCASE_TOWNS], 0);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_VARIANT, w, -1);
        q2(c->query, sizeof c->query, var_s[i].typed, b);
    }
    static const struct {
        const char *written, *typed;
        int female;
    } var_f[] = {
        {"Philipe", "philippe", 0}, {"Philippe", "philipe", 0},
        {"Thibault", "thibaut", 0}, {"Raphaël", "rafael", 0},
        {"Sylvia", "silvia", 1},
    };
    for (size_t i = 0; i < sizeof var_f / sizeof var_f[0]; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        int w = plant(g, s, var_f[i].written, var_f[i].female,
                      case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        folded(s, a, sizeof a);
        struct tcase *c = add_case(g, C_VARIANT, w, -1);
        q2(c->query, sizeof c->query, var_f[i].typed, a);
    }

    /* compound: particles, apostrophes and hyphens typed joined or
     * apart. */
    static const struct {
        const char *written, *typed;
    } cmp_s[] = {
        {"LE GOFF", "legoff"},
        {"N'DIAYE", "ndiaye"},
        {"DE LA FONTAINE", "delafontaine"},
        {"LE BIHAN", "lebihan"},
        {"MEDDAH-LAÏD", "meddahlaid"},
        {"D'ALMEIDA", "dalmeida"},
        {"DA SILVA", "dasilva"},
        {"LE GALL", "legall"},
        {"DOS SANTOS", "dossantos"},
        {"BEN ALI", "benali"},
        {"LE ROUX", "leroux"},
        {"SAINT-MARTIN", "saintmartin"},
    };
    for (size_t i = 0; i < sizeof cmp_s / sizeof cmp_s[0]; i++, k++) {
        int female;
        const char *f = take_rare_first(g, &female);
        int w =
            plant(g, cmp_s[i].written, f, female, case_profs[k % NCASE_PROFS],
                  -1, case_towns[k % NCASE_TOWNS], 0);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_COMPOUND, w, -1);
        if (i % 2)
            q2(c->query, sizeof c->query, b, cmp_s[i].typed);
        else
            q2(c->query, sizeof c->query, cmp_s[i].typed, b);
    }
    static const struct {
        const char *written, *typed;
        int female;
    } cmp_f[] = {
        {"Jean-François", "jean francois", 0},
        {"Marie-Hélène", "marie helene", 1},
        {"Anne-Sophie", "annesophie", 1},
        {"Jean-Pierre", "jeanpierre", 0},
        {"Marie-Claire", "marie claire", 1},
        {"Jean-Luc", "jean luc", 0},
        {"Pierre-Yves", "pierre yves", 0},
        {"Marie-Laure", "marielaure", 1},
    };
    for (size_t i = 0; i < sizeof cmp_f / sizeof cmp_f[0]; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        int w = plant(g, s, cmp_f[i].written, cmp_f[i].female,
                      case_profs[k % NCASE_PROFS], -1,
                      case_towns[k % NCASE_TOWNS], 0);
        folded(s, a, sizeof a);
        struct tcase *c = add_case(g, C_COMPOUND, w, -1);
        q2(c->query, sizeof c->query, cmp_f[i].typed, a);
    }

    /* homonym_town: the same rare name in two towns; the query names one.
     * Some sides have the town only in "Bureau cedex". */
    static const struct {
        const char *a, *b;
        int cedex_a;
    } hom[] = {
        {"90010", "01053", 0}, {"42218", "63113", 0}, {"2A004", "2B033", 0},
        {"94038", "94081", 1}, {"97209", "97302", 0}, {"69383", "69266", 0},
        {"13205", "13001", 0}, {"75111", "93048", 0}, {"01053", "35238", 1},
        {"29019", "29232", 0},
    };
    for (size_t i = 0; i < sizeof hom / sizeof hom[0]; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        int female;
        const char *f = take_rare_first(g, &female);
        int wa = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                       hom[i].a, hom[i].cedex_a);
        int wb = plant(g, s, f, female, case_profs[(k + 3) % NCASE_PROFS], -1,
                       hom[i].b, 0);
        folded(s, a, sizeof a);
        folded(f, b, sizeof b);
        town_query(g, g->pl[wa].commune, (int)i % 2, t, sizeof t);
        struct tcase *c = add_case(g, C_HOMONYM, wa, -1);
        text_printf(c->query, sizeof c->query, "%s %s %s", b, a, t);
        town_query(g, g->pl[wb].commune, (int)i % 2, t, sizeof t);
        c = add_case(g, C_HOMONYM, wb, -1);
        text_printf(c->query, sizeof c->query, "%s %s %s", a, b, t);
    }

    /* mixed: a common name, a profession word and a town. Two decoys each:
     * the same name and profession elsewhere, the same name and town in
     * another profession. */
    for (size_t i = 0; i < sizeof mixed_defs / sizeof mixed_defs[0]; i++, k++) {
        const struct mixed_def *d = &mixed_defs[i];
        int female = d->prof == P_INF || d->prof == P_SF ||
                     d->prof == P_ORTHOPHO || (i % 2);
        int w = plant(g, d->surname, common_first(female, k), female, d->prof,
                      d->spec, d->insee, 0);
        const char *elsewhere = case_towns[(k + 5) % NCASE_TOWNS];
        plant(g, d->surname, common_first(!female, k + 1), !female, d->prof,
              d->spec, elsewhere, 0);
        int other = d->prof == P_INF ? P_KINE : P_INF;
        plant(g, d->surname, common_first(female, k + 2), female, other, -1,
              d->insee, 0);
        struct tcase *c = add_case(g, C_MIXED, w, -1);
        text_copy(c->query, sizeof c->query, d->query);
        mixed_add(g, d->surname, d->prof, d->spec,
                  towns_find(&g->towns, d->insee), "", d->keys);
    }
}

/* The second set of cases: kinds of query the first set lacked. They draw
 * from their own stream and take the names the first set left, and their
 * people come after the n random ones (struct gen's ntot), so the first
 * set, its people and their identifiers stay as they were. */

/* 1 if a folded word is a first name of the tables (common or rare). */
static int first_taken(const char *w)
{
    char f[64];
    for (size_t i = 0; i < female_count + male_count + rare_first_count; i++) {
        const char *s =
            i < female_count ? female_tab[i]
            : i < female_count + male_count
                ? male_tab[i - female_count]
                : rare_first_tab[i - female_count - male_count].name;
        text_fold(s, f, sizeof f);
        if (strcmp(f, w) == 0)
            return 1;
    }
    return 0;
}

/* The first planted person with that surname, profession and commune. */
static int planted_find(const struct gen *g, const char *surname, int prof,
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

/* dept: a common name, a profession or specialty word and a department
 * number, which must become a filter. Decoys: the same name and
 * profession in a neighbouring department, the same name in the same
 * department in another profession. Without a decoy, the answer is the
 * first set's "mixed" one in that commune (its decoys are planted). keys:
 * as for mixed_add(). */
static const struct {
    const char *surname;
    int prof, spec;
    const char *insee, *decoy, *query, *keys;
} dept_defs[] = {
    {"DUPONT", P_DENT, -1, "90010", NULL, "dentiste dupont 90", "dupond"},
    {"MARTIN", P_KINE, -1, "2A247", "2B033", "kine martin 2a", ""},
    {"LEROY", P_INF, -1, "97416", "97611", "infirmier leroy 974", ""},
    {"BERNARD", P_MED, -1, "2B050", "2A004", "medecin bernard 2B", ""},
    {"THOMAS", P_PHARM, -1, "97101", "97209", "pharmacien thomas 971", ""},
    {"PETIT", P_SF, -1, "48095", "12300", "sage-femme petit 48", ""},
    {"DURAND", P_ORTHOPHO, -1, "05023", "04112", "orthophoniste durand 05", ""},
    {"RICHARD", P_PSY, -1, "09225", "31555", "psychologue richard 09", ""},
    {"MOREAU", P_PODO, -1, "23096", "87085", "podologue moreau 23", ""},
    {"DUBOIS", P_KINE, -1, "97213", "97101", "kinésithérapeute dubois 972", ""},
    {"LAURENT", P_INF, -1, "97611", "97411", "infirmière laurent 976", ""},
    {"FOURNIER", P_MED, S_CARDIO, "01004", "69383", "cardiologue fournier 01",
     ""},
    {"GIRARD", P_DENT, -1, "69266", "01053", "dentiste 69 girard", ""},
};

/* The same answers asked with a word before the number, or with the
 * department's name (dept_name): the index in dept_defs[] and the query. */
struct dept_ask {
    int def;
    const char *query;
};

static const struct dept_ask dept_more[] = {
    {8, "podologue moreau département 23"},
    {7, "psychologue richard dept 09"},
    {1, "kine martin dép 2a"},
};

static const struct dept_ask dept_names[] = {
    {0, "dentiste dupont territoire de belfort"},
    {1, "kine martin corse du sud"},
    {2, "infirmier leroy la réunion"},
    {3, "medecin bernard haute-corse"},
    {4, "pharmacien thomas guadeloupe"},
    {5, "sage-femme petit lozère"},
    {6, "orthophoniste durand hautes-alpes"},
    {7, "psychologue richard ariège"},
    {8, "podologue moreau creuse"},
    {9, "kinésithérapeute dubois martinique"},
    {10, "infirmière laurent mayotte"},
    {11, "cardiologue fournier ain"},
    {12, "dentiste girard rhône"},
};

/* typo_initial in a query with a profession and a town: the first set's
 * "mixed" answers with the first letter of the name wrong. */
static const struct {
    const char *surname;
    int prof;
    const char *insee, *typed, *query;
} typo_mixed[] = {
    {"DUPONT", P_DENT, "90010", "fupont", "dentiste fupont belfort"},
    {"BERNARD", P_MED, "01053", "vernard", "pediatre vernard bourg en bresse"},
    {"THOMAS", P_INF, "2A004", "yhomas", "infirmiere yhomas ajaccio"},
    {"RICHARD", P_MED, "29232", "eichard", "psychiatre eichard quimper"},
};

/* town_typo: the first set's "mixed" answers and the "specialty" ones,
 * with one edit in the town's name (none of these is a commune's word). */
static const struct {
    const char *surname;
    int prof;
    const char *insee, *query;
} town_typos[] = {
    {"MARTIN", P_MED, "90010", "cardiologue martin belfrot"},
    {"LEFÈVRE", P_KINE, "42218", "kiné lefevre saint etiene"},
    {"THOMAS", P_INF, "2A004", "infirmière thomas ajacio"},
    {"RICHARD", P_MED, "29232", "psychiatre richard quimpr"},
    {"N'DIAYE", P_MED, "97302", "orl ndiaye cayene"},
    {"GARCIA", P_OPT, "66136", "opticien garcia perpigan"},
    {"DUPOND", P_PODO, "21231", "podologue dupond dijno"},
    {"PERRAULT", P_SF, "79191", "sage femme perrault nirot"},
    {"SCHMITT", P_INF, "68066", "infirmière schmitt colmr"},
    {"DUBOIS", P_ORTHOPHO, "53130", "orthophoniste dubois lavla"},
    {"GIRARD", P_MED, "35238", "pediatre girard renes"},
    {"VINCENT", P_MED, "37261", "gyneco vincent tousr"},
};

/* near: a rare name in one town and the same name in another; near= and
 * radius_km= take in the first (distances between the communes' centres
 * from data/communes.tsv in the comments) and leave out the second. */
static const struct {
    const char *near, *radius, *in, *out;
    int prof_word; /* 1: the query adds the profession word */
} near_defs[] = {
    {"90000", "20", "25388", "25056", 0},    /* Montbéliard 15.3, Besançon */
    {"69003", "10", "69256", "69091", 1},    /* Vaulx-en-V. 6.4, Givors 20.0 */
    {"toulouse", "10", "31069", "31395", 0}, /* Blagnac 5.6, Muret 18.7 */
    {"35000", "15", "35047", "35360", 1},    /* Bruz 11.1, Vitré 34.5 */
    {"50.6330,3.0586", "10", "59378", "59178", 0}, /* Lille: Marcq 4.1,
                                                      Douai 29.2 */
    {"grenoble", "30", "38563", "38053", 1}, /* Voiron 23.0, Bourgoin 56.9 */
    {"06000", "10", "06123", "06004", 0},    /* Nice: St-Laurent 7.0,
                                                Antibes 17.7 */
    {"aix-les-bains", "20", "73065", "73011", 0}, /* Chambéry 14.0,
                                                     Albertville 37.5 */
    {"versailles", "10", "92064", "78498", 1}, /* St-Cloud 6.9, Poissy 15.3 */
    {"47.7521,7.3287", "30", "68297", "68066", 0}, /* Mulhouse: St-Louis
                                                      24.8, Colmar 36.6 */
    {"97460", "15", "97407", "97411", 1},          /* St-Paul: Le Port 8.4,
                                                      St-Denis 23.4 */
    {"bayonne", "10", "64122", "64483", 0}, /* Biarritz 6.9, St-Jean-de-Luz
                                               19.2 */
    {"2A247", "30", "2A041", "2A004", 1},   /* Porto-Vecchio: Bonifacio 24.9,
                                               Ajaccio 57.8 */
};

/* specialty: a common name with a specialty word and a town. */
static const struct mixed_def spec_defs[] = {
    {"GIRARD", P_MED, S_PEDIA, "35238", "pediatre girard rennes", ""},
    {"BONNET", P_MED, S_ORL, "21231", "orl bonnet dijon", ""},
    {"LAMBERT", P_MED, S_OPHTALMO, "44109", "ophtalmo lambert nantes", ""},
    {"VINCENT", P_MED, S_GYNECO, "37261", "gyneco vincent tours", ""},
    {"MULLER", P_MED, S_DERMATO, "67482", "dermato muller strasbourg", ""},
    {"FAURE", P_MED, S_RADIO, "87085", "radiologue faure limoges", ""},
    {"MERCIER", P_MED, S_NEURO, "80021", "neurologue mercier amiens", ""},
    {"BLANC", P_MED, S_PNEUMO, "30189", "pneumologue blanc nimes", ""},
    {"GUÉRIN", P_MED, S_RHUMATO, "72181", "rhumatologue guerin le mans", ""},
    {"BOYER", P_MED, S_GASTRO, "25056", "gastro boyer besancon", ""},
    {"GARNIER", P_MED, S_PEDIA, "54395", "pédiatre garnier nancy", ""},
};

/* The word people type for a profession of case_profs[]. */
static const char *prof_word(int prof)
{
    switch (prof) {
    case P_MED:
        return "medecin";
    case P_INF:
        return "infirmiere";
    case P_KINE:
        return "kine";
    case P_PHARM:
        return "pharmacien";
    case P_DENT:
        return "dentiste";
    case P_SF:
        return "sage-femme";
    case P_PSY:
        return "psychologue";
    case P_ORTHOPHO:
        return "orthophoniste";
    case P_PODO:
        return "podologue";
    default:
        return "opticien";
    }
}

/* The query "a b", or "b a" when flip. */
static void q2_either(struct tcase *c, int flip, const char *a, const char *b)
{
    if (flip)
        q2(c->query, sizeof c->query, b, a);
    else
        q2(c->query, sizeof c->query, a, b);
}

static void no_typo(const char *name)
{
    log_error("internal error: no typo for %s", name);
    abort();
}

static void build_cases_more(struct gen *g)
{
    struct rng r;
    char a[128], b[128], t[128];
    rng_init(&r, 20261126, RNG_PLANT, 2); /* its own stream */
    int k = 0;
    int dept_who[sizeof dept_defs / sizeof dept_defs[0]];

    for (size_t i = 0; i < sizeof dept_defs / sizeof dept_defs[0]; i++, k++) {
        const char *s = dept_defs[i].surname;
        int prof = dept_defs[i].prof, spec = dept_defs[i].spec;
        int w, town = towns_find(&g->towns, dept_defs[i].insee);
        if (!dept_defs[i].decoy) {
            w = planted_find(g, s, prof, dept_defs[i].insee);
        } else {
            int female =
                prof == P_INF || prof == P_SF || prof == P_ORTHOPHO || (i % 2);
            w = plant(g, s, common_first(female, k + 11), female, prof, spec,
                      dept_defs[i].insee, 0);
            plant(g, s, common_first(!female, k + 12), !female, prof, spec,
                  dept_defs[i].decoy, 0);
            plant(g, s, common_first(female, k + 13), female,
                  prof == P_INF ? P_KINE : P_INF, -1, dept_defs[i].insee, 0);
        }
        mixed_add(g, s, prof, spec, town, g->towns.c[town].dept,
                  dept_defs[i].keys);
        struct tcase *c = add_case(g, C_DEPT, w, -1);
        text_copy(c->query, sizeof c->query, dept_defs[i].query);
        dept_who[i] = w;
    }
    for (size_t i = 0; i < sizeof dept_more / sizeof dept_more[0]; i++) {
        struct tcase *c = add_case(g, C_DEPT, dept_who[dept_more[i].def], -1);
        text_copy(c->query, sizeof c->query, dept_more[i].query);
    }
    for (size_t i = 0; i < sizeof dept_names / sizeof dept_names[0]; i++) {
        struct tcase *c =
            add_case(g, C_DEPT_NAME, dept_who[dept_names[i].def], -1);
        text_copy(c->query, sizeof c->query, dept_names[i].query);
    }

    /* typo_initial: the first letter wrong, in a rare surname (with or
     * without the first name), or in a common one with a rare first name. */
    static const char subst[] = "bcdfgklmnprstv";
    for (int i = 0; i < 10; i++, k++) {
        const char *s, *f;
        int female = i % 2;
        if (i < 7) {
            s = take_rare(g, 0, 1, 6);
            f = common_first(female, k + 17);
        } else {
            static const char *const common[] = {"DUPONT", "LEFÈVRE",
                                                 "BERNARD"};
            s = common[i - 7];
            f = take_rare_first(g, &female);
        }
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[(k + 7) % NCASE_TOWNS], 0);
        folded(s, a, sizeof a);
        for (int attempt = 0;; attempt++) {
            char ch = subst[rng_below(&r, sizeof subst - 1)];
            if (ch != a[0]) {
                text_copy(t, sizeof t, a);
                t[0] = ch;
                if (!word_taken(t, s) && !block_has(g, t))
                    break;
            }
            if (attempt > 100)
                no_typo(s);
        }
        block_add(g, t);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_TYPO_INITIAL, w, -1);
        if (i % 3 == 2 && i < 7)
            text_copy(c->query, sizeof c->query, t);
        else
            q2_either(c, i % 2, t, b);
    }

    for (size_t i = 0; i < sizeof typo_mixed / sizeof typo_mixed[0]; i++) {
        int w = planted_find(g, typo_mixed[i].surname, typo_mixed[i].prof,
                             typo_mixed[i].insee);
        if (word_taken(typo_mixed[i].typed, NULL)) {
            log_error("internal error: %s is a name", typo_mixed[i].typed);
            abort();
        }
        block_add(g, typo_mixed[i].typed);
        struct tcase *c = add_case(g, C_TYPO_INITIAL, w, -1);
        text_copy(c->query, sizeof c->query, typo_mixed[i].query);
    }

    /* typo_given: a common surname, the only one with a rare first name,
     * typed with one edit in the first name. */
    for (int i = 0; i < 10; i++, k++) {
        int female;
        const char *f = take_rare_first(g, &female);
        folded(f, b, sizeof b);
        if (strlen(b) < 6) { /* too short for a typo to be matched */
            i--;
            continue;
        }
        const char *s = surname_tab[i];
        int w = plant(g, s, f, female, case_profs[k % NCASE_PROFS], -1,
                      case_towns[(k + 3) % NCASE_TOWNS], 0);
        for (int attempt = 0;; attempt++) {
            text_copy(t, sizeof t, b);
            typo_edit(t, sizeof t, i % 4, &r);
            if (strcmp(t, b) != 0 && !first_taken(t) && !word_taken(t, NULL))
                break;
            if (attempt > 100)
                no_typo(f);
        }
        folded(s, a, sizeof a);
        struct tcase *c = add_case(g, C_TYPO_GIVEN, w, -1);
        q2_either(c, i % 2, a, t);
    }

    /* exact_vs_variant: two spellings that sound alike, the same first
     * name, profession and town; the query spells one of them, which must
     * come first (expected: that one only). */
    static const char *const evv_s[][2] = {
        {"LEFEBVRE", "LEFÈVRE"}, {"DUPONT", "DUPOND"}, {"PERRAULT", "PERRAUT"},
        {"GAUTHIER", "GAUTIER"}, {"MEYER", "MAYER"},
    };
    for (size_t i = 0; i < sizeof evv_s / sizeof evv_s[0]; i++, k++) {
        int female;
        const char *f = take_rare_first(g, &female);
        const char *town = case_towns[(k + 11) % NCASE_TOWNS];
        int prof = case_profs[k % NCASE_PROFS];
        int w[2];
        for (int j = 0; j < 2; j++)
            w[j] = plant(g, evv_s[i][j], f, female, prof, -1, town, 0);
        folded(f, b, sizeof b);
        for (int j = 0; j < 2; j++) {
            folded(evv_s[i][j], a, sizeof a);
            struct tcase *c = add_case(g, C_EXACT_VARIANT, w[j], -1);
            q2_either(c, (int)((i + (size_t)j) % 2), a, b);
        }
    }
    static const char *const evv_f[][2] = {
        {"Philippe", "Philipe"},
        {"Mathieu", "Matthieu"},
        {"Thibault", "Thibaut"},
    };
    for (size_t i = 0; i < sizeof evv_f / sizeof evv_f[0]; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        const char *town = case_towns[(k + 11) % NCASE_TOWNS];
        int prof = case_profs[k % NCASE_PROFS];
        int w[2];
        for (int j = 0; j < 2; j++)
            w[j] = plant(g, s, evv_f[i][j], 0, prof, -1, town, 0);
        folded(s, a, sizeof a);
        for (int j = 0; j < 2; j++) {
            folded(evv_f[i][j], b, sizeof b);
            struct tcase *c = add_case(g, C_EXACT_VARIANT, w[j], -1);
            q2_either(c, (int)((i + (size_t)j) % 2), a, b);
        }
    }

    /* near: expected the one within the radius; the homonym outside it
     * must be left out or rank after. */
    for (size_t i = 0; i < sizeof near_defs / sizeof near_defs[0]; i++, k++) {
        const char *s = take_rare(g, 0, 0, 0);
        int female = (int)i % 2;
        const char *f = common_first(female, k + 5);
        int prof = case_profs[k % NCASE_PROFS];
        int w = plant(g, s, f, female, prof, -1, near_defs[i].in, 0);
        plant(g, s, f, female, prof, -1, near_defs[i].out, 0);
        folded(s, a, sizeof a);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_NEAR, w, -1);
        if (near_defs[i].prof_word)
            q2(c->query, sizeof c->query, prof_word(prof), a);
        else
            q2(c->query, sizeof c->query, b, a);
        text_printf(c->params, sizeof c->params, "near=%s&radius_km=%s",
                    near_defs[i].near, near_defs[i].radius);
    }

    /* specialty: as "mixed", with the specialty words the first set lacks;
     * the same decoys. */
    for (size_t i = 0; i < sizeof spec_defs / sizeof spec_defs[0]; i++, k++) {
        const struct mixed_def *d = &spec_defs[i];
        int female = (int)i % 2;
        int w = plant(g, d->surname, common_first(female, k + 19), female,
                      d->prof, d->spec, d->insee, 0);
        plant(g, d->surname, common_first(!female, k + 20), !female, d->prof,
              d->spec, case_towns[(k + 5) % NCASE_TOWNS], 0);
        plant(g, d->surname, common_first(female, k + 21), female, P_INF, -1,
              d->insee, 0);
        struct tcase *c = add_case(g, C_SPECIALTY, w, -1);
        text_copy(c->query, sizeof c->query, d->query);
        mixed_add(g, d->surname, d->prof, d->spec,
                  towns_find(&g->towns, d->insee), "", d->keys);
    }

    /* apostrophe: particles typed with the apostrophe, the typographic one
     * (U+2019, as phones type it) or a space. */
    static const struct {
        const char *written, *typed;
    } apo[] = {
        {"D'ALMEIDA", "d'almeida"},    {"D'ALMEIDA", "d\u2019almeida"},
        {"N'DIAYE", "n\u2019diaye"},   {"N'DIAYE", "n diaye"},
        {"L'HERMITE", "l'hermite"},    {"L'HERMITE", "l\u2019hermite"},
        {"D'ARGENT", "d\u2019argent"}, {"D'ARGENT", "d argent"},
        {"N'GUYEN", "n'guyen"},        {"N'GUYEN", "n\u2019guyen"},
    };
    for (size_t i = 0; i < sizeof apo / sizeof apo[0]; i++, k++) {
        int female;
        const char *f = take_rare_first(g, &female);
        int w = plant(g, apo[i].written, f, female, case_profs[k % NCASE_PROFS],
                      -1, case_towns[(k + 13) % NCASE_TOWNS], 0);
        folded(f, b, sizeof b);
        struct tcase *c = add_case(g, C_APOSTROPHE, w, -1);
        q2_either(c, i % 2, apo[i].typed, b);
    }

    for (size_t i = 0; i < sizeof town_typos / sizeof town_typos[0]; i++) {
        int w = planted_find(g, town_typos[i].surname, town_typos[i].prof,
                             town_typos[i].insee);
        struct tcase *c = add_case(g, C_TOWN_TYPO, w, -1);
        text_copy(c->query, sizeof c->query, town_typos[i].query);
    }
}

/* Checks that what the truth file claims holds among the planted people
 * themselves (the random ones are kept out as they are drawn), assigns the
 * planted people their slots and identifiers. */
static void plant_finish(struct gen *g)
{
    for (size_t i = 0; i < surname_count; i++) {
        char j[128];
        text_fold_joined(surname_tab[i], j, sizeof j);
        if (block_has(g, j)) {
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

static void write_truth(struct gen *g, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("%s: %s", path, strerror(errno));
        exit(1);
    }
    struct person p;
    for (size_t i = 0; i < g->npl; i++) {
        person_make(g, g->pl[i].slot, &p);
        text_copy(g->pl[i].nat, sizeof g->pl[i].nat, p.nat);
    }
    for (size_t i = 0; i < g->ntc; i++) {
        const struct tcase *c = &g->tc[i];
        fprintf(f, "%s\t", c->query);
        for (int w = 0; w < c->nwho; w++)
            fprintf(f, "%s%s", w ? "," : "", g->pl[c->who[w]].nat);
        fprintf(f, "\t%s", case_kind_name[c->kind]);
        if (c->params[0])
            fprintf(f, "\t%s", c->params);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        log_error("%s: %s", path, strerror(errno));
        exit(1);
    }
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

    for (size_t i = 0; i < rare_count; i++) {
        char j[128];
        text_fold_joined(rare_tab[i], j, sizeof j);
        block_add(g, j);
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
    g->ntot = g->n;
    if (g->n >= PLANT_MIN) {
        build_cases(g);
        g->npl_base = g->npl;
        build_cases_more(g);
        plant_finish(g);
    }
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
    free(g->pl);
    free(g->tc);
    free(g->mx);
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
        write_truth(&g, truth);

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
