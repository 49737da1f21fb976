/* rpps-gen's structures: see structure.h. */
#include "structure.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "text.h"
#include "banned.h"

/* Words that name structures and complete their addresses. */
static const char *const street_tab[] = {
    "DE LA REPUBLIQUE",
    "DU GENERAL DE GAULLE",
    "JEAN JAURES",
    "VICTOR HUGO",
    "DE LA GARE",
    "PASTEUR",
    "DE LA LIBERATION",
    "GAMBETTA",
    "DE VERDUN",
    "DU 8 MAI 1945",
    "DU 11 NOVEMBRE",
    "CARNOT",
    "DE PARIS",
    "NATIONALE",
    "DES ECOLES",
    "DE L'EGLISE",
    "DU MARECHAL FOCH",
    "JULES FERRY",
    "GEORGES CLEMENCEAU",
    "DE LA MAIRIE",
    "DU STADE",
    "DES LILAS",
    "DU CHATEAU",
    "ALSACE LORRAINE",
    "ANATOLE FRANCE",
    "EMILE ZOLA",
    "JEAN MOULIN",
    "DES TILLEULS",
    "SAINT-MARTIN",
    "DE LA PAIX",
    "DU MOULIN",
    "DES ACACIAS",
    "DE LA FONTAINE",
    "LOUIS PASTEUR",
    "PIERRE ET MARIE CURIE",
    "DU PORT",
    "DES PRES",
    "FRANKLIN ROOSEVELT",
    "DE LORRAINE",
    "DE BRETAGNE",
    "DU COMMANDANT CHARCOT",
    "ARISTIDE BRIAND",
    "DU DOCTEUR SCHWEITZER",
    "DES MARTYRS",
    "DE LA LIBERTE",
    "DU PRÉSIDENT WILSON",
    "D'ESTIENNE D'ORVES",
    "SAINT-EXUPERY",
    "DES ÉCOLES",
    "DE L'HÔPITAL",
    "DU PARC",
    "DES PLATANES",
    "DE LYON",
    "DE STRASBOURG",
    "DU CANAL",
    "DES VIGNES",
    "DU BOURG",
    "MOZART",
    "LÉON BLUM",
    "ROGER SALENGRO",
    "DU CHAMP DE FOIRE",
    "DE LA CROIX ROUGE",
};

static const char *const clinic_tab[] = {
    "DU PARC",           "SAINT-JOSEPH",  "DES CEDRES",     "SAINTE-ANNE",
    "DU LITTORAL",       "DES LILAS",     "MUTUALISTE",     "JEANNE D'ARC",
    "SAINT-GEORGES",     "PASTEUR",       "DE L'ESPERANCE", "BELLEDONNE",
    "DU PONT DE CHAUME", "SAINT-HILAIRE", "LES FONTAINES",  "DU VAL D'OUEST",
};
static const char *const service_tab[] = {
    "SERVICE DE CARDIOLOGIE",        "SERVICE DES URGENCES",
    "SERVICE DE PEDIATRIE",          "POLE MERE-ENFANT",
    "SERVICE DE PSYCHIATRIE ADULTE", "BLOC OPERATOIRE",
    "SERVICE DE RADIOLOGIE",         "CONSULTATIONS EXTERNES",
    "SERVICE DE GERIATRIE",          "SERVICE D'ONCOLOGIE",
    "REANIMATION POLYVALENTE",       "MATERNITE",
};
static const char *const geo_tab[] = {
    "RESIDENCE LES TILLEULS",
    "ZAC DU GRAND PRE",
    "CENTRE COMMERCIAL",
    "BATIMENT B",
    "ESPACE SANTE",
    "IMMEUBLE LE PANORAMA",
    "ZI NORD",
    "LE BOURG",
    "HAMEAU DES VIGNES",
    "PARC D'ACTIVITES",
};
static const char *const dest_tab[] = {
    "BATIMENT A", "1ER ETAGE", "REZ DE CHAUSSEE", "ESCALIER C", "PORTE 2",
};
static const char *const pharma_tab[] = {
    "PHARMACIE DU CENTRE",   "PHARMACIE DE LA GARE", "PHARMACIE DE LA MAIRIE",
    "PHARMACIE DES HALLES",  "PHARMACIE DU MARCHE",  "GRANDE PHARMACIE",
    "PHARMACIE DE LA POSTE", "PHARMACIE DU PARC",    "PHARMACIE CENTRALE",
};
static const char *const pharma_brand_tab[] = {
    "PHARMACIE LAFAYETTE", "GIPHAR", "PHARMAVIE", "APOTHICAL", "PHARMACTIV",
};
static const char *const lab_tab[] = {
    "SELAS BIOGROUP",
    "CERBALLIANCE",
    "SYNLAB",
    "EUROFINS BIOMNIS",
    "SELARL LABORATOIRE DE BIOLOGIE MEDICALE",
    "LABORATOIRE BIOXA",
    "INOVIE",
};
static const char *const ehpad_tab[] = {
    "EHPAD LES TILLEULS",  "EHPAD LE GRAND CHENE",
    "EHPAD LES AMANDIERS", "MAISON DE RETRAITE SAINTE-MARTHE",
    "EHPAD LA ROSERAIE",   "RESIDENCE LES GLYCINES",
    "EHPAD PUBLIC",        "EHPAD LES JARDINS D'ALICE",
};
static const char *const handi_tab[] = {
    "IME LES PAPILLONS", "FOYER D'ACCUEIL MEDICALISE LE PHARE",
    "MAS LES GENETS",    "ESAT DU VAL",
    "SESSAD L'ENVOL",    "IEM LA CLAIRIERE",
};

/* The first draw of a structure's stream is its commune, so this matches
 * structure_make() at the cost of one draw. */
int structure_commune(const struct gen *g, uint32_t k)
{
    if (k >= g->nstruct)
        return g->pl[k - g->nstruct].commune;
    struct rng r;
    rng_init(&r, g->seed, RNG_STRUCT, k);
    return (int)wtab_pick(&g->w_commune, &r);
}

/* FINESS numbers start with the department; overseas ones with 9A..9F. */
static void finess_prefix(const struct commune *c, char out[3])
{
    if (strncmp(c->dept, "97", 2) == 0) {
        static const char dom[] = "ABCDEF";
        out[0] = '9';
        out[1] = dom[(c->dept[2] - '1') % 6];
    } else {
        out[0] = c->dept[0];
        out[1] = c->dept[1];
    }
    out[2] = '\0';
}

static void make_siret(const struct gen *g, uint32_t k, int public_body,
                       char siren[12], char siret[16])
{
    char d[16];
    uint32_t v =
        (uint32_t)(((uint64_t)k * 387420489u + g->siren_off) % 100000000u);
    if (public_body) /* établissements publics: SIREN 26xxxxxxx */
        text_printf(d, sizeof d, "26%06u", v % 1000000u);
    else
        text_printf(d, sizeof d, "%08u", v);
    if (d[0] == '0')
        d[0] = (char)('3' + v % 6);
    text_printf(siren, 12, "%s%d", d, text_luhn_digit(d));
    char t[16];
    text_printf(t, sizeof t, "%s%04u", siren, 1 + (k * 7u) % 400u);
    text_printf(siret, 16, "%s%d", t, text_luhn_digit(t));
}

static void make_phone(struct rng *r, const char *landline, int mobile,
                       char out[16])
{
    char digits[12];
    const char *pre = mobile ? (rng_below(r, 2) ? "06" : "07") : landline;
    size_t n = strlen(pre);
    memcpy(digits, pre, n);
    for (size_t i = n; i < 10; i++)
        digits[i] = (char)('0' + rng_below(r, 10));
    digits[10] = '\0';
    text_copy(out, 16, digits);
}

/* The identifiers: FINESS for institutions, SIREN/SIRET for companies
 * and some others, the technical and old identifiers derived from them (or
 * a cabinet's "RPPS-rang" number). */
static void structure_ids(const struct gen *g, uint32_t k,
                          const struct commune *c, struct rng *r,
                          struct structure *st)
{
    char fp[3];
    finess_prefix(c, fp);
    uint32_t fin =
        (uint32_t)(((uint64_t)k * 4782969u + g->finess_off) % 10000000u);
    int has_finess = 0, has_siret = 0;
    switch (st->kind) {
    case K_HOSP:
    case K_EHPAD:
    case K_HANDI:
    case K_CDS:
        has_finess = 1;
        has_siret = rng_pm(r, 500);
        break;
    case K_PHARMA:
    case K_LBM:
        has_finess = 1;
        has_siret = 1;
        break;
    case K_SOC:
    case K_MSP:
        has_siret = 1;
        break;
    case K_CABG:
        has_siret = rng_pm(r, 400);
        break;
    default:
        break;
    }
    if (has_finess) {
        text_printf(st->finess, sizeof st->finess, "%s%07u", fp, fin);
        uint32_t ej = (fin + 5000000u) % 10000000u;
        text_printf(st->finess_ej, sizeof st->finess_ej, "%s%07u", fp, ej);
    }
    if (has_siret)
        make_siret(g, k, st->kind == K_HOSP && st->sector == 0, st->siren,
                   st->siret);
    if (has_finess) {
        text_printf(st->tech, sizeof st->tech, "F%s", st->finess);
        text_printf(st->ancien, sizeof st->ancien, "1%s", st->finess);
    } else if (has_siret) {
        text_printf(st->tech, sizeof st->tech, "C%s", st->siret);
        text_printf(st->ancien, sizeof st->ancien, "3%s", st->siret);
    } else {
        /* Cabinet "RPPS-rang" number: department digits + 9 digits. */
        uint32_t cab =
            (uint32_t)(((uint64_t)k * 387420489u + g->cab_off) % 1000000000u);
        char dd[3] = {c->dept[0], c->dept[1], '\0'};
        if (dd[0] == '2' && (dd[1] == 'A' || dd[1] == 'B'))
            dd[1] = '0';
        text_printf(st->tech, sizeof st->tech, "C%s%09u", dd, cab);
        text_printf(st->ancien, sizeof st->ancien, "0%s%09u", dd, cab);
    }
}

/* The raison sociale and enseigne, by kind; a hospital service as the
 * "complément destinataire". */
static void structure_names(struct rng *r, const char *poste,
                            struct structure *st)
{
    const char *town = poste;
    switch (st->kind) {
    case K_HOSP:
        if (st->sector == 0 &&
            (strcmp(poste, "PARIS") == 0 || strcmp(poste, "LYON") == 0 ||
             strcmp(poste, "MARSEILLE") == 0)) {
            static const char *const big[] = {
                "ASSISTANCE PUBLIQUE - HOPITAUX DE PARIS",
                "HOSPICES CIVILS DE LYON",
                "ASSISTANCE PUBLIQUE - HOPITAUX DE MARSEILLE"};
            text_printf(st->raison, sizeof st->raison, "%s",
                        big[poste[0] == 'P'   ? 0
                            : poste[0] == 'L' ? 1
                                              : 2]);
        } else if (st->sector == 0) {
            if (rng_pm(r, 300))
                text_printf(st->raison, sizeof st->raison, "CHU DE %s", town);
            else
                text_printf(st->raison, sizeof st->raison,
                            "CENTRE HOSPITALIER DE %s", town);
        } else if (rng_pm(r, 500)) {
            text_printf(st->raison, sizeof st->raison, "CLINIQUE %s",
                        RNG_PICK(r, clinic_tab));
        } else {
            text_printf(st->raison, sizeof st->raison, "%s %s",
                        rng_below(r, 2) ? "POLYCLINIQUE" : "HOPITAL PRIVE",
                        RNG_PICK(r, clinic_tab));
        }
        if (rng_pm(r, 300))
            text_copy(st->dest, sizeof st->dest, RNG_PICK(r, service_tab));
        break;
    case K_PHARMA:
        if (rng_pm(r, 300))
            text_printf(st->raison, sizeof st->raison, "PHARMACIE %s",
                        surname_tab[rng_below(r, 200)]);
        else
            text_copy(st->raison, sizeof st->raison, RNG_PICK(r, pharma_tab));
        if (rng_pm(r, 200))
            text_copy(st->enseigne, sizeof st->enseigne,
                      RNG_PICK(r, pharma_brand_tab));
        break;
    case K_LBM:
        text_printf(st->raison, sizeof st->raison, "%s", RNG_PICK(r, lab_tab));
        break;
    case K_EHPAD:
        text_copy(st->raison, sizeof st->raison, RNG_PICK(r, ehpad_tab));
        break;
    case K_HANDI:
        text_copy(st->raison, sizeof st->raison, RNG_PICK(r, handi_tab));
        break;
    case K_CDS:
        text_printf(st->raison, sizeof st->raison, "%s %s",
                    rng_below(r, 2) ? "CENTRE DE SANTE MUNICIPAL DE"
                                    : "CENTRE DE SANTE DENTAIRE DE",
                    town);
        break;
    case K_MSP:
        text_printf(st->raison, sizeof st->raison,
                    "MAISON DE SANTE PLURIPROFESSIONNELLE DE %s", town);
        break;
    case K_SOC: {
        static const char *const forms[] = {"SELARL", "SCM", "SCP", "SELAS",
                                            "SARL"};
        text_printf(st->raison, sizeof st->raison, "%s %s", RNG_PICK(r, forms),
                    surname_tab[rng_below(r, surname_count)]);
        break;
    }
    case K_CABG:
        if (rng_pm(r, 700)) {
            static const char *const cg[] = {"CABINET MEDICAL",
                                             "CABINET DE KINESITHERAPIE",
                                             "CABINET INFIRMIER",
                                             "CABINET DENTAIRE",
                                             "SCM",
                                             "CABINET PARAMEDICAL"};
            text_printf(st->raison, sizeof st->raison, "%s %s", RNG_PICK(r, cg),
                        rng_below(r, 2) ? RNG_PICK(r, street_tab)
                                        : surname_tab[rng_below(r, 150)]);
        }
        break;
    default:
        if (rng_pm(r, 450))
            text_printf(st->raison, sizeof st->raison, "CABINET DU DR %s",
                        surname_tab[rng_below(r, surname_count)]);
        break;
    }
}

/* Number, street and the complements of the address. */
static void structure_street(const struct gen *g, struct rng *r,
                             struct structure *st)
{
    if (rng_pm(r, 900))
        text_printf(st->num, sizeof st->num, "%u", 1 + rng_below(r, 150));
    if (st->num[0] && rng_pm(r, 30))
        text_copy(st->indice, sizeof st->indice, rng_below(r, 3) ? "B" : "T");
    size_t v = wtab_pick(&g->w_voie, r);
    st->voie_code = voie_tab[v].code;
    st->voie_label = voie_tab[v].label;
    text_copy(st->voie, sizeof st->voie, RNG_PICK(r, street_tab));
    if (rng_pm(r, 80))
        text_copy(st->geo, sizeof st->geo, RNG_PICK(r, geo_tab));
    if (!st->dest[0] && rng_pm(r, 40))
        text_copy(st->dest, sizeof st->dest, RNG_PICK(r, dest_tab));
}

/* Postal code, commune and CEDEX: a planted structure takes its commune's
 * first postal code, and has it only in "Bureau cedex" when its case
 * says so. */
static void structure_postal(const struct commune *c, const struct planted *p,
                             struct rng *r, struct structure *st)
{
    const char *poste = c->poste;
    int ncp = towns_ncp(c);
    int cpi = (int)rng_below(r, (uint32_t)ncp);
    if (p)
        cpi = 0; /* a planted case may name the first postal code */
    memcpy(st->cp, c->cps + 6 * cpi, 5);
    st->cp[5] = '\0';
    st->cedex = rng_pm(r, st->kind == K_HOSP ? 400 : 50);
    st->has_commune = !rng_pm(r, 100);
    if (p) {
        st->cedex = p->cedex_only;
        st->has_commune = !p->cedex_only;
    }
    if (st->cedex) {
        /* CEDEX codes: the town's code plus a small number. */
        unsigned base = (unsigned)strtoul(st->cp, NULL, 10);
        unsigned cx = base + 1 + rng_below(r, 60);
        if (cx % 10 == 0)
            cx++;
        text_printf(st->cp, sizeof st->cp, "%05u", cx);
        if (rng_pm(r, 800))
            text_printf(st->mention, sizeof st->mention, "%s %u",
                        rng_below(r, 2) ? "CS" : "BP",
                        rng_below(r, 2) ? 30001 + rng_below(r, 90000)
                                        : 1 + rng_below(r, 900));
        if (rng_pm(r, 150))
            text_printf(st->bureau, sizeof st->bureau, "%s %s CEDEX %u", st->cp,
                        poste, 1 + rng_below(r, 9));
        else
            text_printf(st->bureau, sizeof st->bureau, "%s %s CEDEX", st->cp,
                        poste);
    } else {
        if (rng_pm(r, 30))
            text_printf(st->mention, sizeof st->mention, "BP %u",
                        1 + rng_below(r, 900));
        if (!st->has_commune || rng_pm(r, 850))
            text_printf(st->bureau, sizeof st->bureau, "%s %s", st->cp, poste);
    }
}

/* Phones, e-mail, and whether the department is written. */
static void structure_contact(const struct commune *c, struct rng *r,
                              struct structure *st)
{
    if (rng_pm(r, 650))
        make_phone(r, c->phone, 0, st->phone);
    if (rng_pm(r, 80))
        make_phone(r, c->phone, 1, st->phone2);
    if (rng_pm(r, 200))
        make_phone(r, c->phone, 0, st->fax);
    if (rng_pm(r, 80)) {
        char sl[64];
        text_slug(st->raison[0] ? st->raison : "cabinet", sl, 40);
        static const char *const isp[] = {"orange.fr", "wanadoo.fr",
                                          "gmail.com", "free.fr", "sfr.fr"};
        if (rng_below(r, 2))
            text_printf(st->email, sizeof st->email, "contact@%s.fr", sl);
        else
            text_printf(st->email, sizeof st->email, "%s.%s@%s", sl,
                        st->town_slug, RNG_PICK(r, isp));
    }
    st->show_dept = rng_pm(r, 350);
}

void structure_make(const struct gen *g, uint32_t k, struct structure *st)
{
    struct rng r;
    const struct planted *p = k >= g->nstruct ? &g->pl[k - g->nstruct] : NULL;
    rng_init(&r, g->seed, RNG_STRUCT, k);
    memset(st, 0, sizeof *st);
    st->commune = (int)wtab_pick(&g->w_commune, &r);
    if (p)
        st->commune = p->commune;
    st->kind = p ? p->kind : gen_kind_of(g, k);
    const struct commune *c = &g->towns.c[st->commune];
    text_slug(c->poste, st->town_slug, sizeof st->town_slug);

    st->sector = kind_sector[st->kind];
    if (st->kind == K_HOSP) {
        uint32_t x = rng_below(&r, 100);
        st->sector = x < 60 ? 0 : x < 75 ? 1 : 2;
    }
    /* The order of the steps is the order of the draws: part of what a
     * seed means. */
    structure_ids(g, k, c, &r, st);
    structure_names(&r, c->poste, st);
    structure_street(g, &r, st);
    structure_postal(c, p, &r, st);
    structure_contact(c, &r, st);
    /* Some lines in Paris, Lyon and Marseille carry the whole city's
     * commune code (docs/format.md §5.10): one in seven, drawn last so
     * the draws before keep their meaning. Not a planted case's. */
    if (c->city_insee && st->has_commune && !p)
        st->city_code = rng_pm(&r, 150);
}
