/* rpps-gen's towns: see towns.h. */
#include "towns.h"

#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "places.h"
#include "text.h"
#include "util.h"
#include "banned.h"

/* The communes structures are placed in: real INSEE codes, sorted, with a
 * rough relative size each, the weight, which says how many structures a
 * commune gets. Their names, departments and postal codes are read from
 * data/communes.tsv. */
static const struct {
    const char *insee;
    int weight;
} town_tab[] = {
    {"01004", 2},  {"01033", 1},  {"01053", 6},  {"01143", 1},  {"01173", 1},
    {"01283", 2},  {"02168", 1},  {"02408", 2},  {"02691", 3},  {"02722", 2},
    {"03185", 3},  {"03190", 2},  {"03310", 2},  {"04070", 1},  {"04112", 2},
    {"05023", 1},  {"05061", 3},  {"06004", 7},  {"06029", 7},  {"06069", 5},
    {"06083", 3},  {"06088", 30}, {"06123", 2},  {"06152", 1},  {"07010", 2},
    {"07186", 1},  {"08105", 4},  {"08409", 2},  {"09122", 1},  {"09225", 1},
    {"10033", 1},  {"10387", 6},  {"11069", 4},  {"11076", 1},  {"11262", 5},
    {"12145", 2},  {"12202", 3},  {"12300", 1},  {"13001", 14}, {"13004", 5},
    {"13005", 4},  {"13047", 4},  {"13056", 5},  {"13103", 4},  {"13117", 3},
    {"13201", 4},  {"13202", 3},  {"13203", 4},  {"13204", 4},  {"13205", 4},
    {"13206", 4},  {"13207", 3},  {"13208", 8},  {"13209", 7},  {"13210", 5},
    {"13211", 5},  {"13212", 5},  {"13213", 9},  {"13214", 6},  {"13215", 6},
    {"13216", 2},  {"14047", 1},  {"14118", 10}, {"14366", 2},  {"15014", 2},
    {"15187", 1},  {"16015", 4},  {"16102", 2},  {"17300", 7},  {"17306", 2},
    {"17415", 2},  {"18033", 6},  {"18279", 2},  {"19031", 4},  {"19272", 1},
    {"21054", 2},  {"21231", 15}, {"22050", 1},  {"22113", 2},  {"22278", 4},
    {"23096", 1},  {"24037", 2},  {"24322", 3},  {"25056", 11}, {"25388", 2},
    {"25462", 1},  {"26198", 3},  {"26281", 3},  {"26362", 6},  {"27056", 1},
    {"27229", 5},  {"27681", 2},  {"28085", 4},  {"28134", 3},  {"29019", 14},
    {"29103", 1},  {"29151", 1},  {"29232", 6},  {"2A004", 7},  {"2A041", 1},
    {"2A247", 1},  {"2A272", 1},  {"2B033", 5},  {"2B050", 1},  {"2B096", 1},
    {"30007", 4},  {"30189", 14}, {"31069", 2},  {"31395", 2},  {"31483", 1},
    {"31555", 45}, {"32013", 2},  {"32107", 1},  {"33063", 25}, {"33281", 7},
    {"33318", 6},  {"33522", 4},  {"34032", 7},  {"34172", 28}, {"34301", 4},
    {"35047", 1},  {"35115", 2},  {"35238", 21}, {"35288", 4},  {"35360", 1},
    {"36044", 4},  {"36088", 1},  {"37063", 1},  {"37261", 13}, {"38053", 2},
    {"38151", 3},  {"38185", 15}, {"38421", 3},  {"38544", 3},  {"38563", 2},
    {"39198", 2},  {"39300", 2},  {"40088", 2},  {"40192", 3},  {"41018", 4},
    {"41269", 1},  {"42095", 2},  {"42187", 3},  {"42207", 3},  {"42218", 17},
    {"43157", 2},  {"44036", 1},  {"44055", 1},  {"44109", 30}, {"44143", 4},
    {"44162", 4},  {"44184", 7},  {"45208", 1},  {"45234", 11}, {"46042", 2},
    {"46102", 1},  {"47001", 3},  {"47157", 1},  {"48095", 1},  {"49007", 15},
    {"49099", 5},  {"49328", 2},  {"50025", 1},  {"50129", 7},  {"50502", 2},
    {"51108", 4},  {"51230", 2},  {"51454", 18}, {"52121", 2},  {"52448", 2},
    {"53130", 5},  {"53147", 1},  {"54304", 1},  {"54395", 11}, {"55029", 1},
    {"55545", 2},  {"56121", 6},  {"56162", 1},  {"56260", 5},  {"57227", 2},
    {"57463", 12}, {"57631", 2},  {"57672", 4},  {"58086", 1},  {"58194", 3},
    {"59009", 6},  {"59122", 3},  {"59178", 4},  {"59183", 9},  {"59350", 23},
    {"59378", 3},  {"59392", 3},  {"59512", 9},  {"59599", 9},  {"59606", 4},
    {"60057", 5},  {"60159", 4},  {"60175", 3},  {"61001", 2},  {"61169", 1},
    {"62041", 4},  {"62119", 2},  {"62160", 4},  {"62193", 7},  {"62498", 3},
    {"62765", 1},  {"63113", 15}, {"63178", 1},  {"63430", 1},  {"64024", 4},
    {"64102", 5},  {"64122", 2},  {"64445", 8},  {"64483", 1},  {"65286", 1},
    {"65440", 4},  {"66008", 1},  {"66136", 12}, {"67180", 3},  {"67437", 1},
    {"67462", 1},  {"67482", 29}, {"68066", 7},  {"68224", 11}, {"68297", 2},
    {"69091", 2},  {"69202", 2},  {"69256", 4},  {"69259", 6},  {"69264", 3},
    {"69266", 15}, {"69290", 4},  {"69381", 3},  {"69382", 3},  {"69383", 10},
    {"69384", 4},  {"69385", 5},  {"69386", 5},  {"69387", 8},  {"69388", 8},
    {"69389", 5},  {"70550", 1},  {"71076", 4},  {"71270", 3},  {"71306", 2},
    {"72154", 1},  {"72181", 14}, {"73008", 3},  {"73011", 2},  {"73065", 6},
    {"74010", 13}, {"74012", 3},  {"74056", 1},  {"74281", 3},  {"75101", 2},
    {"75102", 2},  {"75103", 3},  {"75104", 3},  {"75105", 6},  {"75106", 4},
    {"75107", 5},  {"75108", 4},  {"75109", 6},  {"75110", 9},  {"75111", 15},
    {"75112", 14}, {"75113", 18}, {"75114", 14}, {"75115", 23}, {"75116", 17},
    {"75117", 17}, {"75118", 19}, {"75119", 19}, {"75120", 20}, {"76217", 3},
    {"76259", 2},  {"76351", 17}, {"76540", 11}, {"76681", 3},  {"77186", 1},
    {"77284", 5},  {"77288", 4},  {"77373", 4},  {"78361", 4},  {"78498", 4},
    {"78551", 4},  {"78586", 5},  {"78646", 9},  {"79049", 1},  {"79191", 6},
    {"80001", 2},  {"80021", 13}, {"81004", 5},  {"81065", 4},  {"82121", 6},
    {"83050", 4},  {"83061", 5},  {"83069", 5},  {"83118", 3},  {"83119", 1},
    {"83137", 17}, {"84007", 9},  {"84031", 3},  {"84054", 2},  {"85191", 5},
    {"85194", 4},  {"86066", 3},  {"86194", 9},  {"87085", 13}, {"88160", 3},
    {"88413", 2},  {"89024", 3},  {"89387", 2},  {"90010", 5},  {"91174", 5},
    {"91228", 5},  {"91377", 5},  {"91589", 3},  {"92002", 6},  {"92004", 9},
    {"92012", 12}, {"92019", 3},  {"92020", 4},  {"92024", 6},  {"92025", 8},
    {"92026", 8},  {"92040", 7},  {"92044", 6},  {"92046", 3},  {"92049", 5},
    {"92050", 9},  {"92051", 6},  {"92063", 8},  {"92064", 3},  {"92073", 5},
    {"93001", 9},  {"93005", 9},  {"93008", 5},  {"93010", 5},  {"93029", 7},
    {"93048", 11}, {"93051", 6},  {"93064", 4},  {"93066", 11}, {"93070", 5},
    {"94017", 8},  {"94022", 4},  {"94028", 9},  {"94033", 5},  {"94038", 3},
    {"94041", 6},  {"94043", 3},  {"94046", 5},  {"94052", 3},  {"94068", 7},
    {"94076", 5},  {"94080", 5},  {"94081", 9},  {"95018", 11}, {"95127", 6},
    {"95268", 4},  {"95277", 3},  {"95500", 3},  {"95585", 6},  {"97101", 5},
    {"97105", 1},  {"97120", 2},  {"97209", 8},  {"97213", 4},  {"97302", 6},
    {"97407", 4},  {"97411", 15}, {"97415", 10}, {"97416", 8},  {"97422", 8},
    {"97611", 7}};

#define NTOWNS (sizeof town_tab / sizeof town_tab[0])

/* The first digits of a landline in a department: the five zones of
 * metropolitan France (01 Île-de-France, 02 north-west, 03 north-east, 04
 * south-east and Corsica, 05 south-west) and the overseas departments' own
 * prefixes. The department names come from common/places.c. */
static const struct {
    const char *prefix, *depts;
} phone_zones[] = {
    {"01", "75 77 78 91 92 93 94 95"},
    {"02", "14 18 22 27 28 29 35 36 37 41 44 45 49 50 53 56 61 72 76 85"},
    {"03", "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 "
           "89 90"},
    {"05", "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 86 87"},
    {"0590", "971"},
    {"0596", "972"},
    {"0594", "973"},
    {"0262", "974"},
    {"0269", "976"},
};

static const char *phone_prefix(const char *dept)
{
    size_t n = strlen(dept);
    for (size_t i = 0; i < sizeof phone_zones / sizeof phone_zones[0]; i++) {
        for (const char *d = phone_zones[i].depts; *d;) {
            size_t k = strcspn(d, " ");
            if (k == n && memcmp(d, dept, n) == 0)
                return phone_zones[i].prefix;
            d += k + (d[k] == ' ');
        }
    }
    return "04";
}

/* The La Poste label of a commune ("ST ETIENNE", "PARIS" for an
 * arrondissement): upper case, no accents, no hyphens. */
static void poste_label(const char *name, char *out, size_t cap)
{
    static const char *const cities[] = {"Paris ", "Lyon ", "Marseille "};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(cities[i]);
        if (strncmp(name, cities[i], l) == 0 && name[l] >= '0' &&
            name[l] <= '9') {
            text_copy(out, cap, cities[i]);
            out[l - 1] = '\0';
            text_ascii_upper(out);
            return;
        }
    }
    char f[96];
    text_fold(name, f, sizeof f);
    text_ascii_upper(f);
    out[0] = '\0';
    for (char *tok = f; *tok;) {
        char *end = strchr(tok, ' ');
        if (end)
            *end = '\0';
        if (out[0])
            text_cat(out, cap, " ");
        if (strcmp(tok, "SAINT") == 0)
            text_cat(out, cap, "ST");
        else if (strcmp(tok, "SAINTE") == 0)
            text_cat(out, cap, "STE");
        else
            text_cat(out, cap, tok);
        if (!end)
            break;
        tok = end + 1;
    }
}

/* What towns_init() reads data/communes.tsv into. */
struct towns_read {
    struct towns *t;
    size_t found;
};

/* Takes a commune of the file if it is one of town_tab's. */
static int take_commune(void *ctx, const struct places_commune *pc)
{
    struct towns_read *x = ctx;
    size_t lo = 0, hi = NTOWNS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(town_tab[mid].insee, pc->insee);
        if (cmp == 0) {
            lo = mid;
            break;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= NTOWNS || strcmp(town_tab[lo].insee, pc->insee) != 0)
        return 0;
    struct commune *c = &x->t->c[lo];
    /* towns_ncp() and the addresses read 5 digits before each comma. */
    size_t n = strlen(pc->postcodes);
    int ok = n % 6 == 5;
    for (size_t i = 0; ok && i < n; i++)
        ok = i % 6 == 5 ? pc->postcodes[i] == ','
                        : pc->postcodes[i] >= '0' && pc->postcodes[i] <= '9';
    if (!ok || c->name) {
        log_error("%s:%ld: commune %s: %s", pc->path, pc->lineno, pc->insee,
                  c->name ? "listed twice" : "bad postal codes");
        return -1;
    }
    c->name = xstrdup(pc->name);
    if (pc->parent_insee && *pc->parent_insee) {
        /* "Paris 9e Arrondissement": the city is the words before the
         * number. */
        size_t k = strcspn(pc->name, "0123456789");
        while (k > 0 && pc->name[k - 1] == ' ')
            k--;
        c->city_insee = xstrdup(pc->parent_insee);
        text_printf(c->city_name, sizeof c->city_name, "%.*s", (int)k,
                    pc->name);
    }
    c->dept = xstrdup(pc->dept);
    c->cps = xstrdup(pc->postcodes);
    x->found++;
    return 0;
}

/* Reads the names, departments and postal codes of town_tab's communes
 * from the bundled communes.tsv. */
static int read_communes(struct towns *t)
{
    char *path = datadir_find("communes.tsv");
    if (!path) {
        log_error("communes.tsv not found (in data/ beside the binary's "
                  "tree, or in $RPPS_DATADIR)");
        return -1;
    }
    struct towns_read x = {t, 0};
    int r = places_read_communes(path, take_commune, &x);
    for (size_t i = 0; r == 0 && i < t->n; i++) {
        if (!t->c[i].name) {
            log_error("%s: no commune %s", path, t->c[i].insee);
            r = -1;
        }
    }
    free(path);
    return r;
}

int towns_init(struct towns *t)
{
    t->n = NTOWNS;
    t->c = xcalloc(t->n, sizeof *t->c);
    for (size_t i = 0; i < t->n; i++) {
        if (i > 0 && strcmp(town_tab[i - 1].insee, town_tab[i].insee) >= 0) {
            log_error("internal error: town_tab not sorted at %s",
                      town_tab[i].insee);
            abort();
        }
        t->c[i].insee = town_tab[i].insee;
        t->c[i].weight = town_tab[i].weight;
    }
    if (read_communes(t) < 0) {
        towns_release(t);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        struct commune *c = &t->c[i];
        c->dept_label = places_dept_label(c->dept);
        if (!c->dept_label) {
            log_error("commune %s: no department %s", c->insee, c->dept);
            towns_release(t);
            return -1;
        }
        c->phone = phone_prefix(c->dept);
        poste_label(c->name, c->poste, sizeof c->poste);
    }
    for (size_t c = 0; c < t->n; c++) {
        size_t lo = c, hi = c + 1;
        while (lo > 0 && strcmp(t->c[lo - 1].dept, t->c[c].dept) == 0)
            lo--;
        while (hi < t->n && strcmp(t->c[hi].dept, t->c[c].dept) == 0)
            hi++;
        t->c[c].dept_lo = (uint32_t)lo;
        t->c[c].dept_hi = (uint32_t)hi;
    }
    return 0;
}

void towns_release(struct towns *t)
{
    for (size_t i = 0; t->c && i < t->n; i++) {
        free((char *)t->c[i].name);
        free((char *)t->c[i].dept);
        free((char *)t->c[i].cps);
        free((char *)t->c[i].city_insee);
    }
    free(t->c);
    t->c = NULL;
    t->n = 0;
}

int towns_find(const struct towns *t, const char *insee)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->c[i].insee, insee) == 0)
            return (int)i;
    log_error("no commune %s in the table", insee);
    abort();
}

/* "13080,13090" holds two. */
int towns_ncp(const struct commune *c)
{
    return (int)(strlen(c->cps) + 1) / 6;
}
