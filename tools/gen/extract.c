/* rpps-gen's four text files: their exact header lines and the lines of
 * each professional, activity, diploma, savoir-faire and mailbox in the
 * ANS format (docs/format.md), in the current or the older layout.
 * It writes what person.c, structure.c and mailbox.c decided, and decides
 * nothing itself. */
#include "extract.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "day.h"
#include "mailbox.h"
#include "person.h"
#include "structure.h"
#include "util.h"
#include "banned.h"

/* The exact header lines (docs/format.md §3), from the importer's column
 * lists: each name followed by '|'. Personne_activite's is the current
 * (56-column) layout; the older one is its first 52. The MSSanté lines end
 * without the '|' unless --mss-trailing-pipe. */
static const char hdr_activite[] = COLUMNS_ACTIVITE(COLUMNS_HEADER);
static const char hdr_savoirfaire[] = COLUMNS_SAVOIRFAIRE(COLUMNS_HEADER);
static const char hdr_diplome[] = COLUMNS_DIPLOME(COLUMNS_HEADER);
static const char hdr_mss[] = COLUMNS_MSSANTE(COLUMNS_HEADER);
_Static_assert(ACT_COLS == COLUMNS_ACTIVITE_N && ACT_COLS_OLD == ACT_ROLE_C,
               "gen.h's layouts: all the columns, and those before the "
               "role (the four the 56-column layout added)");

/* A line under construction: fields each followed by '|'. Lines are at most
 * a few hundred bytes; the cap only guards against a bug. */
struct line {
    char b[4096];
    size_t n;
    int nf; /* fields written, checked against the header's */
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
    l->nf++;
}

static void line_start(struct line *l)
{
    l->n = 0;
    l->nf = 0;
}

/* The three fields that identify a professional on every line: type of
 * identifier (8 RPPS, 0 ADELI), identifier, national identifier. */
static void fld_ids(struct line *l, const struct person *p)
{
    fld(l, p->rpps ? "8" : "0");
    fld(l, p->id);
    fld(l, p->nat);
}

static void act_line(const struct gen *g, const struct person *p,
                     const struct site *s, const struct structure *st,
                     struct line *l)
{
    const struct profession *pr = &prof_tab[p->prof];
    const struct commune *c = st ? &g->towns.c[st->commune] : NULL;
    line_start(l);
    fld_ids(l, p);
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
        fld(l, !st->has_commune ? ""
               : st->city_code  ? c->city_insee
                                : c->insee);
        fld(l, !st->has_commune ? "" : st->city_code ? c->city_name : c->name);
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

void extract_activity(struct gen *g, struct sink *out)
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
    for (uint32_t i = 0; i < day_count(g); i++) {
        if (!day_person(g, i, &p))
            continue;
        for (int s = 0; s < p.nsites; s++) {
            const struct site *si = &p.site[s];
            if (si->sk >= 0)
                structure_make(g, (uint32_t)si->sk, &st);
            else
                g->n_empty++;
            act_line(g, &p, si, si->sk >= 0 ? &st : NULL, l);
            assert(l->nf == g->layout); /* the header's columns */
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

void extract_diplomas(struct gen *g, struct sink *out)
{
    struct line l;
    struct person p;
    sink_write(out, hdr_diplome, strlen(hdr_diplome));
    for (uint32_t i = 0; i < day_count(g); i++) {
        if (!day_person(g, i, &p))
            continue;
        for (int k = 0; k < p.ndipl; k++) {
            const struct dipl *d = &p.dipl[k];
            line_start(&l);
            fld_ids(&l, &p);
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
            assert(l.nf == COLUMNS_DIPLOME_N);
            sink_write(out, l.b, l.n);
            g->n_dipl++;
        }
    }
}

void extract_savoirfaire(struct gen *g, struct sink *out)
{
    struct line l;
    struct person p;
    sink_write(out, hdr_savoirfaire, strlen(hdr_savoirfaire));
    for (uint32_t i = 0; i < day_count(g); i++) {
        if (!day_person(g, i, &p))
            continue;
        const struct profession *pr = &prof_tab[p.prof];
        for (int k = 0; k < p.nsf; k++) {
            const struct savoir *sf = p.sf[k];
            const char *tl = "";
            for (size_t t = 0; t < sftype_count; t++)
                if (strcmp(sftype_tab[t].code, sf->type) == 0)
                    tl = sftype_tab[t].label;
            line_start(&l);
            fld_ids(&l, &p);
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
            assert(l.nf == COLUMNS_SAVOIRFAIRE_N);
            sink_write(out, l.b, l.n);
            g->n_sf++;
        }
    }
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
    assert(l->nf == COLUMNS_MSSANTE_N);
    sink_write(out, l->b, g->mss_pipe ? l->n : l->n - 1);
}

/* The line of one mailbox. */
struct mss_ctx {
    struct gen *g;
    struct sink *out;
};

static void mss_line(void *ctx, const struct mailbox *m)
{
    struct mss_ctx *x = ctx;
    const struct structure *sp = m->st;
    struct line l;
    char t[2] = {sp ? sp->ancien[0] : '\0', '\0'};
    line_start(&l);
    fld(&l, m->org ? "ORG" : "PER");
    fld(&l, m->addr);
    if (m->org) {
        for (int e = 0; e < 3; e++)
            fld(&l, "");
    } else {
        fld_ids(&l, m->p);
    }
    fld(&l, t);
    fld(&l, sp ? sp->ancien : "");
    fld(&l, m->service);
    if (m->org) {
        for (int e = 0; e < 9; e++)
            fld(&l, "");
    } else {
        const struct person *p = m->p;
        const struct profession *pr = &prof_tab[p->prof];
        fld(&l, p->civex);
        fld(&l, p->surname);
        fld(&l, p->first);
        fld(&l, "C");
        fld(&l, "Civil");
        fld(&l, pr->code);
        fld(&l, pr->label);
        fld(&l, p->sf_on_line ? p->sf[0]->code : "");
        fld(&l, p->sf_on_line ? p->sf[0]->label : "");
    }
    fld(&l, m->demat ? "true" : "false");
    mss_struct_fields(x->g, &l, sp);
    mss_emit(x->g, x->out, &l);
    if (m->org)
        x->g->n_org++;
    else
        x->g->n_per++;
}

void extract_mss(struct gen *g, struct sink *out)
{
    struct mss_ctx x = {g, out};
    size_t hl = strlen(hdr_mss);
    sink_write(out, hdr_mss, g->mss_pipe ? hl : hl - 1);
    mailbox_each(g, mss_line, &x);
}
