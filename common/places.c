/* Loads the commune reference table into SQLite, folds commune names the one
 * way both programs use, and measures distances. See places.h. The TSV files
 * are our own generated data, but they are still read as untrusted input:
 * bounded lines, exact field counts, checked numbers, valid UTF-8. */
#include "places.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "util.h"
#include "banned.h"

/* The longest real line is Paris's, about 200 bytes (21 postal codes);
 * 4 KiB leaves room for any real commune and stops a corrupt file early. */
#define LINE_MAX_BYTES 4096
#define MAX_FIELDS 8

static const char communes_header[] =
    "insee\tname\tdept\tpostcodes\tlat\tlon\tprecision\tparent_insee";
static const char postcodes_header[] = "postcode\tinsee\tlabel";

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS commune ("
    " insee TEXT PRIMARY KEY, name TEXT NOT NULL, name_fold TEXT NOT NULL,"
    " dept TEXT NOT NULL, lat REAL, lon REAL, precision TEXT,"
    " parent_insee TEXT) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS commune_name_fold ON commune (name_fold);"
    "CREATE TABLE IF NOT EXISTS commune_postcode ("
    " postcode TEXT, insee TEXT, PRIMARY KEY (postcode, insee)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS commune_postcode_insee"
    " ON commune_postcode (insee);";

static const char create_label_sql[] =
    "CREATE TABLE IF NOT EXISTS postcode_label ("
    " postcode TEXT, insee TEXT, label TEXT, label_fold TEXT,"
    " PRIMARY KEY (postcode, insee, label)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS postcode_label_fold"
    " ON postcode_label (label_fold);";

/* The canonical long form of the word out[b..b+len), or NULL. */
static const char *saint_word(const char *w, size_t len, size_t *rl)
{
    if (len == 2 && memcmp(w, "st", 2) == 0) {
        *rl = 5;
        return "saint";
    }
    if (len == 3 && memcmp(w, "ste", 3) == 0) {
        *rl = 6;
        return "sainte";
    }
    return NULL;
}

size_t places_fold_name(const char *s, size_t n, char *out)
{
    /* fold() separates words by single spaces with none at either end.
     * Count the growth first, then expand in place from the right, where the
     * write position never passes the read position. */
    size_t m = fold(s, n, out), grow = 0, rl;
    for (size_t b = 0; b < m;) {
        size_t e = b;
        while (e < m && out[e] != ' ')
            e++;
        if (saint_word(out + b, e - b, &rl))
            grow += rl - (e - b);
        b = e + 1;
    }
    if (grow == 0)
        return m;
    size_t r = m, w = m + grow;
    out[w] = '\0';
    while (r > 0) {
        size_t b = r;
        while (b > 0 && out[b - 1] != ' ')
            b--;
        const char *rep = saint_word(out + b, r - b, &rl);
        if (rep) {
            w -= rl;
            memcpy(out + w, rep, rl);
        } else {
            w -= r - b;
            memmove(out + w, out + b, r - b);
        }
        r = b;
        if (r > 0) {
            out[--w] = ' ';
            r--;
        }
    }
    return m + grow;
}

/* The departments: code, name folded (as places_dept_by_name() takes it;
 * "la reunion" also without its article, on a row with no label) and name
 * as INSEE writes it (rpps-gen writes it in the extracts). test_places
 * checks that each label folds to its name. */
static const struct {
    const char *code, *name, *label;
} dept_names[] = {
    {"01", "ain", "Ain"},
    {"02", "aisne", "Aisne"},
    {"03", "allier", "Allier"},
    {"04", "alpes de haute provence", "Alpes-de-Haute-Provence"},
    {"05", "hautes alpes", "Hautes-Alpes"},
    {"06", "alpes maritimes", "Alpes-Maritimes"},
    {"07", "ardeche", "Ardèche"},
    {"08", "ardennes", "Ardennes"},
    {"09", "ariege", "Ariège"},
    {"10", "aube", "Aube"},
    {"11", "aude", "Aude"},
    {"12", "aveyron", "Aveyron"},
    {"13", "bouches du rhone", "Bouches-du-Rhône"},
    {"14", "calvados", "Calvados"},
    {"15", "cantal", "Cantal"},
    {"16", "charente", "Charente"},
    {"17", "charente maritime", "Charente-Maritime"},
    {"18", "cher", "Cher"},
    {"19", "correze", "Corrèze"},
    {"2A", "corse du sud", "Corse-du-Sud"},
    {"2B", "haute corse", "Haute-Corse"},
    {"21", "cote d or", "Côte-d'Or"},
    {"22", "cotes d armor", "Côtes-d'Armor"},
    {"23", "creuse", "Creuse"},
    {"24", "dordogne", "Dordogne"},
    {"25", "doubs", "Doubs"},
    {"26", "drome", "Drôme"},
    {"27", "eure", "Eure"},
    {"28", "eure et loir", "Eure-et-Loir"},
    {"29", "finistere", "Finistère"},
    {"30", "gard", "Gard"},
    {"31", "haute garonne", "Haute-Garonne"},
    {"32", "gers", "Gers"},
    {"33", "gironde", "Gironde"},
    {"34", "herault", "Hérault"},
    {"35", "ille et vilaine", "Ille-et-Vilaine"},
    {"36", "indre", "Indre"},
    {"37", "indre et loire", "Indre-et-Loire"},
    {"38", "isere", "Isère"},
    {"39", "jura", "Jura"},
    {"40", "landes", "Landes"},
    {"41", "loir et cher", "Loir-et-Cher"},
    {"42", "loire", "Loire"},
    {"43", "haute loire", "Haute-Loire"},
    {"44", "loire atlantique", "Loire-Atlantique"},
    {"45", "loiret", "Loiret"},
    {"46", "lot", "Lot"},
    {"47", "lot et garonne", "Lot-et-Garonne"},
    {"48", "lozere", "Lozère"},
    {"49", "maine et loire", "Maine-et-Loire"},
    {"50", "manche", "Manche"},
    {"51", "marne", "Marne"},
    {"52", "haute marne", "Haute-Marne"},
    {"53", "mayenne", "Mayenne"},
    {"54", "meurthe et moselle", "Meurthe-et-Moselle"},
    {"55", "meuse", "Meuse"},
    {"56", "morbihan", "Morbihan"},
    {"57", "moselle", "Moselle"},
    {"58", "nievre", "Nièvre"},
    {"59", "nord", "Nord"},
    {"60", "oise", "Oise"},
    {"61", "orne", "Orne"},
    {"62", "pas de calais", "Pas-de-Calais"},
    {"63", "puy de dome", "Puy-de-Dôme"},
    {"64", "pyrenees atlantiques", "Pyrénées-Atlantiques"},
    {"65", "hautes pyrenees", "Hautes-Pyrénées"},
    {"66", "pyrenees orientales", "Pyrénées-Orientales"},
    {"67", "bas rhin", "Bas-Rhin"},
    {"68", "haut rhin", "Haut-Rhin"},
    {"69", "rhone", "Rhône"},
    {"70", "haute saone", "Haute-Saône"},
    {"71", "saone et loire", "Saône-et-Loire"},
    {"72", "sarthe", "Sarthe"},
    {"73", "savoie", "Savoie"},
    {"74", "haute savoie", "Haute-Savoie"},
    {"75", "paris", "Paris"},
    {"76", "seine maritime", "Seine-Maritime"},
    {"77", "seine et marne", "Seine-et-Marne"},
    {"78", "yvelines", "Yvelines"},
    {"79", "deux sevres", "Deux-Sèvres"},
    {"80", "somme", "Somme"},
    {"81", "tarn", "Tarn"},
    {"82", "tarn et garonne", "Tarn-et-Garonne"},
    {"83", "var", "Var"},
    {"84", "vaucluse", "Vaucluse"},
    {"85", "vendee", "Vendée"},
    {"86", "vienne", "Vienne"},
    {"87", "haute vienne", "Haute-Vienne"},
    {"88", "vosges", "Vosges"},
    {"89", "yonne", "Yonne"},
    {"90", "territoire de belfort", "Territoire de Belfort"},
    {"91", "essonne", "Essonne"},
    {"92", "hauts de seine", "Hauts-de-Seine"},
    {"93", "seine saint denis", "Seine-Saint-Denis"},
    {"94", "val de marne", "Val-de-Marne"},
    {"95", "val d oise", "Val-d'Oise"},
    {"971", "guadeloupe", "Guadeloupe"},
    {"972", "martinique", "Martinique"},
    {"973", "guyane", "Guyane"},
    {"974", "la reunion", "La Réunion"},
    {"974", "reunion", NULL},
    {"976", "mayotte", "Mayotte"},
};

const char *places_dept_label(const char *code)
{
    for (size_t i = 0; i < sizeof(dept_names) / sizeof(*dept_names); i++)
        if (dept_names[i].label && strcmp(dept_names[i].code, code) == 0)
            return dept_names[i].label;
    return NULL;
}

int places_dept_by_name(const char *fold, size_t n, char out[4])
{
    for (size_t i = 0; i < sizeof(dept_names) / sizeof(*dept_names); i++)
        if (strlen(dept_names[i].name) == n &&
            memcmp(dept_names[i].name, fold, n) == 0) {
            memcpy(out, dept_names[i].code, strlen(dept_names[i].code) + 1);
            return 0;
        }
    return -1;
}

int places_dept_name_continues(const char *fold, size_t n)
{
    for (size_t i = 0; i < sizeof(dept_names) / sizeof(*dept_names); i++)
        if (strlen(dept_names[i].name) > n &&
            memcmp(dept_names[i].name, fold, n) == 0 &&
            dept_names[i].name[n] == ' ')
            return 1;
    return 0;
}

/* The overseas departments and collectivities with an INSEE code of their
 * own (97x, 98x): Guadeloupe, Martinique, Guyane, La Réunion,
 * Saint-Pierre-et-Miquelon, Mayotte, Saint-Barthélemy, Saint-Martin, the
 * TAAF, Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie, Clipperton. */
static int overseas(const char *s)
{
    static const char codes[][4] = {"971", "972", "973", "974", "975",
                                    "976", "977", "978", "984", "986",
                                    "987", "988", "989"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++)
        if (memcmp(s, codes[i], 3) == 0)
            return 1;
    return 0;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The department of the 5-digit code s (an INSEE code's digits or a postal
 * code's) when its first two or three digits say it: 01-95 but 20, the
 * overseas codes. -1 for 20 (Corsica: the caller decides), Monaco (980)
 * and anything else. */
static int dept_of_digits(const char *s, char out[4])
{
    if (s[0] == '9' && (s[1] == '7' || s[1] == '8')) {
        if (!overseas(s))
            return -1;
        memcpy(out, s, 3);
        out[3] = '\0';
        return 0;
    }
    if ((s[0] == '0' && s[1] == '0') || (s[0] == '2' && s[1] == '0') ||
        (s[0] == '9' && s[1] >= '6'))
        return -1;
    memcpy(out, s, 2);
    out[2] = '\0';
    return 0;
}

int places_postcode_range(const char *v, char hi[6])
{
    size_t n = strlen(v);
    int ok = n >= 1 && n <= 5;
    for (size_t t = 0; ok && t < n; t++)
        ok = isdigit((unsigned char)v[t]);
    if (!ok)
        return -1;
    hi[0] = '\0';
    if (n < 5) {
        memcpy(hi, v, n + 1);
        hi[n - 1]++;
    }
    return 0;
}

int places_dept_of_postcode(const char *pc, size_t n, char out[4])
{
    if (n != 5 || !digits(pc, 5))
        return -1;
    /* La Poste files these under Guadeloupe's and Polynesia's ranges. */
    static const struct {
        const char *pc, *dept;
    } special[] = {{"97133", "977"}, {"97150", "978"}, {"98799", "989"}};
    for (size_t i = 0; i < sizeof(special) / sizeof(*special); i++) {
        if (memcmp(pc, special[i].pc, 5) == 0) {
            memcpy(out, special[i].dept, 4);
            return 0;
        }
    }
    if (pc[0] == '2' && pc[1] == '0') {
        /* Corse-du-Sud 200xx-201xx, Haute-Corse 202xx-206xx. */
        memcpy(out, pc[2] <= '1' ? "2A" : "2B", 3);
        return 0;
    }
    return dept_of_digits(pc, out);
}

int places_dept_of_insee(const char *insee, size_t n, char out[4])
{
    if (n != 5)
        return -1;
    if (insee[0] == '2' && (insee[1] == 'A' || insee[1] == 'B') &&
        digits(insee + 2, 3)) {
        memcpy(out, insee, 2);
        out[2] = '\0';
        return 0;
    }
    return digits(insee, 5) ? dept_of_digits(insee, out) : -1;
}

size_t places_dept_of(const char *insee, size_t in, const char *pc, size_t pn,
                      char out[4])
{
    if ((insee && places_dept_of_insee(insee, in, out) == 0) ||
        (pc && places_dept_of_postcode(pc, pn, out) == 0))
        return strlen(out);
    out[0] = '\0';
    return 0;
}

double places_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a =
        sin(dlat / 2) * sin(dlat / 2) +
        cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1.0)
        a = 1.0;
    return 2.0 * r * asin(sqrt(a));
}

/* A field of the current line: pointer and length into the line buffer. */
struct field {
    const char *s;
    size_t n;
};

/* A TSV file being read: its name for messages and the current line number. */
struct tsv {
    FILE *f;
    const char *path;
    long lineno;
    char line[LINE_MAX_BYTES + 2];
};

/* Reads the next line into t->line without its line ending. Returns 1 for a
 * line, 0 at end of file, -1 on an error (logged). */
static int tsv_next(struct tsv *t, size_t *len)
{
    if (!fgets(t->line, sizeof(t->line), t->f)) {
        if (ferror(t->f)) {
            log_error("%s: read error: %s", t->path, strerror(errno));
            return -1;
        }
        return 0;
    }
    t->lineno++;
    size_t n = strlen(t->line);
    if (n > 0 && t->line[n - 1] == '\n')
        n--;
    else if (!feof(t->f)) {
        log_error("%s:%ld: line longer than %d bytes", t->path, t->lineno,
                  LINE_MAX_BYTES);
        return -1;
    }
    if (n > 0 && t->line[n - 1] == '\r')
        n--;
    t->line[n] = '\0';
    if (!utf8_valid(t->line, n)) {
        log_error("%s:%ld: invalid UTF-8", t->path, t->lineno);
        return -1;
    }
    *len = n;
    return 1;
}

/* Splits s[0..n) on tabs into exactly want fields (never strtok: empty
 * fields count). Returns 0, or -1 after logging. */
static int tsv_split(struct tsv *t, size_t n, struct field *fl, int want)
{
    const char *s = t->line;
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\t')
            continue;
        if (k == want) {
            k++;
            break;
        }
        fl[k].s = s + start;
        fl[k].n = i - start;
        k++;
        start = i + 1;
    }
    if (k != want) {
        log_error("%s:%ld: expected %d fields", t->path, t->lineno, want);
        return -1;
    }
    return 0;
}

static int tsv_open(struct tsv *t, const char *path, const char *header)
{
    size_t n;
    t->path = path;
    t->lineno = 0;
    t->f = fopen(path, "r");
    if (!t->f) {
        log_error("%s: %s", path, strerror(errno));
        return -1;
    }
    int r = tsv_next(t, &n);
    if (r == 0)
        log_error("%s: empty file", path);
    if (r == 1 && strcmp(t->line, header) != 0) {
        log_error("%s: unexpected header \"%s\"", path, t->line);
        r = -1;
    }
    if (r != 1) {
        fclose(t->f);
        t->f = NULL;
        return -1;
    }
    return 0;
}

static int bind_field(sqlite3_stmt *st, int col, struct field f)
{
    if (f.n == 0)
        return sqlite3_bind_null(st, col);
    return sqlite3_bind_text(st, col, f.s, (int)f.n, SQLITE_TRANSIENT);
}

/* Parses a coordinate in [-lim, lim] into *v; empty gives NAN. Returns 0,
 * or -1 after logging. */
static int parse_coord(struct tsv *t, struct field f, double lim, double *v)
{
    char num[32];
    if (f.n == 0) {
        *v = NAN;
        return 0;
    }
    if (f.n >= sizeof(num))
        goto bad;
    memcpy(num, f.s, f.n);
    num[f.n] = '\0';
    char *end;
    errno = 0;
    *v = strtod(num, &end);
    if (errno || *end || !(*v >= -lim && *v <= lim))
        goto bad;
    return 0;
bad:
    log_error("%s:%ld: bad coordinate \"%.*s\"", t->path, t->lineno,
              (int)f.n < 32 ? (int)f.n : 32, f.s);
    return -1;
}

static int step_reset(sqlite3 *db, sqlite3_stmt *st, const char *path,
                      long lineno)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        log_error("%s:%ld: %s", path, lineno, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        log_error("places: %s: %s", sql, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

int places_read_communes(const char *communes_tsv,
                         int (*fn)(void *ctx, const struct places_commune *c),
                         void *ctx)
{
    struct tsv t;
    int ret = -1, r;
    size_t n;

    if (tsv_open(&t, communes_tsv, communes_header) < 0)
        return -1;
    while ((r = tsv_next(&t, &n)) == 1) {
        struct field f[MAX_FIELDS];
        struct places_commune c;
        if (tsv_split(&t, n, f, 8) < 0)
            goto out;
        if (f[0].n == 0 || f[1].n == 0 || f[2].n == 0) {
            log_error("%s:%ld: empty insee, name or dept", communes_tsv,
                      t.lineno);
            goto out;
        }
        if (parse_coord(&t, f[4], 90.0, &c.lat) < 0 ||
            parse_coord(&t, f[5], 180.0, &c.lon) < 0)
            goto out;
        /* Each field ends at a tab or at the line's end: end it there. */
        for (int k = 0; k < 8; k++)
            t.line[f[k].s - t.line + f[k].n] = '\0';
        c.insee = f[0].s;
        c.name = f[1].s;
        c.dept = f[2].s;
        c.postcodes = f[3].s;
        c.precision = f[6].s;
        c.parent_insee = f[7].s;
        c.path = communes_tsv;
        c.lineno = t.lineno;
        if (fn(ctx, &c) < 0)
            goto out;
    }
    if (r == 0)
        ret = 0;
out:
    fclose(t.f);
    return ret;
}

struct towns_commune {
    struct places_town pub;
    char *fold; /* places_fold_name(name) */
    char dept[4];
    char parent_insee[6];
    int parent; /* the city of an arrondissement, else -1 */
};

struct towns_key {
    const char *s; /* a postal code or a folded name */
    int c;
};

struct places_towns {
    struct towns_commune *c;
    size_t n, cap;
    struct towns_key *pcs, *names;
    size_t npcs, nnames, cappcs;
};

/* [*lo, *hi): the keys of v equal to s. */
static void towns_range(const struct towns_key *v, size_t nv, const char *s,
                        size_t *lo, size_t *hi)
{
    size_t a = 0, b = nv;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (strcmp(v[mid].s, s) < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    while (a < nv && strcmp(v[a].s, s) == 0)
        a++;
    *hi = a;
}

static int cmp_towns_key(const void *a, const void *b)
{
    const struct towns_key *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : x->c - y->c;
}

static int towns_add(void *ctx, const struct places_commune *pc)
{
    struct places_towns *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->c = xrealloc(t->c, t->cap * sizeof(*t->c));
    }
    struct towns_commune *c = &t->c[t->n++];
    size_t nl = strlen(pc->name);
    c->pub.insee = xstrdup(pc->insee);
    c->pub.name = xstrdup(pc->name);
    c->fold = xmalloc(PLACES_FOLD_SIZE(nl));
    places_fold_name(pc->name, nl, c->fold);
    snprintf(c->dept, sizeof(c->dept), "%s", pc->dept);
    snprintf(c->parent_insee, sizeof(c->parent_insee), "%s",
             pc->parent_insee ? pc->parent_insee : "");
    c->parent = -1;
    /* Its postal codes ("13001,13002"), each a key to it. */
    for (const char *p = pc->postcodes; p && *p;) {
        size_t l = strcspn(p, ",");
        if (t->npcs == t->cappcs) {
            t->cappcs = t->cappcs ? 2 * t->cappcs : 4096;
            t->pcs = xrealloc(t->pcs, t->cappcs * sizeof(*t->pcs));
        }
        t->pcs[t->npcs++] = (struct towns_key){xstrndup(p, l), (int)t->n - 1};
        p += l + (p[l] == ',');
    }
    return 0;
}

/* The commune of an INSEE code, among the keys byinsee (sorted). */
static int towns_by_insee(const struct places_towns *t,
                          const struct towns_key *byinsee, const char *insee)
{
    size_t lo, hi;
    towns_range(byinsee, t->n, insee, &lo, &hi);
    return lo < hi ? byinsee[lo].c : -1;
}

struct places_towns *places_towns_load(const char *communes_tsv)
{
    struct places_towns *t = xcalloc(1, sizeof(*t));
    if (places_read_communes(communes_tsv, towns_add, t) < 0) {
        places_towns_free(t);
        return NULL;
    }
    struct towns_key *byinsee = xmalloc((t->n ? t->n : 1) * sizeof(*byinsee));
    t->names = xmalloc((t->n ? t->n : 1) * sizeof(*t->names));
    for (size_t i = 0; i < t->n; i++) {
        byinsee[i] = (struct towns_key){t->c[i].pub.insee, (int)i};
        t->names[t->nnames++] = (struct towns_key){t->c[i].fold, (int)i};
    }
    qsort(byinsee, t->n, sizeof(*byinsee), cmp_towns_key);
    for (size_t i = 0; i < t->n; i++)
        if (t->c[i].parent_insee[0])
            t->c[i].parent = towns_by_insee(t, byinsee, t->c[i].parent_insee);
    free(byinsee);
    qsort(t->names, t->nnames, sizeof(*t->names), cmp_towns_key);
    qsort(t->pcs, t->npcs, sizeof(*t->pcs), cmp_towns_key);
    return t;
}

void places_towns_free(struct places_towns *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->c[i].pub.insee);
        free((char *)t->c[i].pub.name);
        free(t->c[i].fold);
    }
    free(t->c);
    for (size_t i = 0; i < t->npcs; i++)
        free((char *)t->pcs[i].s);
    free(t->pcs);
    free(t->names);
    free(t);
}

/* Communes a postal code serves, or a name names, at most this many: the
 * most any real code has is about 40 (a rural code over many villages). */
#define TOWNS_MAX_CANDS 64

const struct places_town *places_town_of(const struct places_towns *t,
                                         const char *pc, size_t pn,
                                         const char *town, size_t tn)
{
    char code[6], name[256], dept[4];
    int cand[TOWNS_MAX_CANDS];
    size_t nc = 0, lo, hi;
    if (!t || pn != 5 || tn >= sizeof(name))
        return NULL;
    memcpy(code, pc, 5);
    code[5] = '\0';
    memcpy(name, town ? town : "", tn);
    name[tn] = '\0';
    towns_range(t->pcs, t->npcs, code, &lo, &hi);
    for (size_t i = lo; i < hi && nc < TOWNS_MAX_CANDS; i++)
        cand[nc++] = t->pcs[i].c;
    if (nc > 0) {
        /* A city whose arrondissement the code also serves: the
         * arrondissement. */
        size_t o = 0;
        for (size_t i = 0; i < nc; i++) {
            int kid = 0;
            for (size_t k = 0; k < nc && !kid; k++)
                kid = t->c[cand[k]].parent == cand[i];
            if (!kid)
                cand[o++] = cand[i];
        }
        nc = o;
        int found = -1, nfound = 0;
        for (size_t i = 0; i < nc && tn; i++) {
            const struct towns_commune *c = &t->c[cand[i]];
            if (strcmp(c->fold, name) == 0 ||
                (c->parent >= 0 && strcmp(t->c[c->parent].fold, name) == 0))
                found = cand[i], nfound++;
        }
        if (nfound == 1)
            return &t->c[found].pub;
        /* The town names none of them (a locality, an old commune's
         * name): the code alone, if it serves one commune. */
        return nfound == 0 && nc == 1 ? &t->c[cand[0]].pub : NULL;
    }
    /* A CEDEX code: the town of that name in its department. */
    if (!tn || places_dept_of(NULL, 0, code, 5, dept) == 0)
        return NULL;
    towns_range(t->names, t->nnames, name, &lo, &hi);
    int found = -1, nfound = 0;
    for (size_t i = lo; i < hi; i++)
        if (strcmp(t->c[t->names[i].c].dept, dept) == 0)
            found = t->names[i].c, nfound++;
    return nfound == 1 ? &t->c[found].pub : NULL;
}

/* The statements load_communes() inserts a commune with. */
struct commune_sql {
    sqlite3 *db;
    sqlite3_stmt *ins, *ins_pc;
    char fold_buf[PLACES_FOLD_SIZE(LINE_MAX_BYTES)];
};

/* Binds s, or NULL when s is empty. */
static int bind_text(sqlite3_stmt *st, int col, const char *s)
{
    if (!*s)
        return sqlite3_bind_null(st, col);
    return sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
}

static int bind_coord(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        return sqlite3_bind_null(st, col);
    return sqlite3_bind_double(st, col, v);
}

static int insert_commune(void *ctx, const struct places_commune *c)
{
    struct commune_sql *x = ctx;
    size_t fn = places_fold_name(c->name, strlen(c->name), x->fold_buf);
    if (bind_text(x->ins, 1, c->insee) || bind_text(x->ins, 2, c->name) ||
        sqlite3_bind_text(x->ins, 3, x->fold_buf, (int)fn, SQLITE_TRANSIENT) ||
        bind_text(x->ins, 4, c->dept) || bind_coord(x->ins, 5, c->lat) ||
        bind_coord(x->ins, 6, c->lon) || bind_text(x->ins, 7, c->precision) ||
        bind_text(x->ins, 8, c->parent_insee)) {
        log_error("%s:%ld: cannot bind: %s", c->path, c->lineno,
                  sqlite3_errmsg(x->db));
        return -1;
    }
    if (step_reset(x->db, x->ins, c->path, c->lineno) < 0)
        return -1;
    /* Postal codes: comma-separated, each one a row of its own. */
    const char *p = c->postcodes, *end = p + strlen(p);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        if (!comma)
            comma = end;
        if (comma > p) {
            if (sqlite3_bind_text(x->ins_pc, 1, p, (int)(comma - p),
                                  SQLITE_TRANSIENT) ||
                bind_text(x->ins_pc, 2, c->insee) ||
                step_reset(x->db, x->ins_pc, c->path, c->lineno) < 0)
                return -1;
        }
        p = comma + 1;
    }
    return 0;
}

static int load_communes(sqlite3 *db, const char *path)
{
    struct commune_sql *x = xcalloc(1, sizeof *x);
    int ret = -1;
    x->db = db;
    if (prepare(db,
                "INSERT INTO commune (insee, name, name_fold, dept, lat, lon,"
                " precision, parent_insee) VALUES (?,?,?,?,?,?,?,?)",
                &x->ins) < 0 ||
        prepare(db,
                "INSERT OR IGNORE INTO commune_postcode (postcode, insee)"
                " VALUES (?,?)",
                &x->ins_pc) < 0)
        goto out;
    ret = places_read_communes(path, insert_commune, x);
out:
    sqlite3_finalize(x->ins);
    sqlite3_finalize(x->ins_pc);
    free(x);
    return ret;
}

static int load_postcodes(sqlite3 *db, const char *path)
{
    struct tsv t;
    sqlite3_stmt *ins = NULL, *ins_pc = NULL;
    char fold_buf[PLACES_FOLD_SIZE(LINE_MAX_BYTES)];
    int ret = -1, r;
    size_t n;

    if (tsv_open(&t, path, postcodes_header) < 0)
        return -1;
    if (prepare(db,
                "INSERT OR IGNORE INTO postcode_label (postcode, insee, label,"
                " label_fold) VALUES (?,?,?,?)",
                &ins) < 0 ||
        prepare(db,
                "INSERT OR IGNORE INTO commune_postcode (postcode, insee)"
                " VALUES (?,?)",
                &ins_pc) < 0)
        goto out;
    while ((r = tsv_next(&t, &n)) == 1) {
        struct field f[3];
        if (tsv_split(&t, n, f, 3) < 0)
            goto out;
        if (f[0].n == 0 || f[1].n == 0) {
            log_error("%s:%ld: empty postcode or insee", path, t.lineno);
            goto out;
        }
        size_t fn = places_fold_name(f[2].s, f[2].n, fold_buf);
        if (bind_field(ins, 1, f[0]) || bind_field(ins, 2, f[1]) ||
            bind_field(ins, 3, f[2]) ||
            sqlite3_bind_text(ins, 4, fold_buf, (int)fn, SQLITE_TRANSIENT)) {
            log_error("%s:%ld: cannot bind: %s", path, t.lineno,
                      sqlite3_errmsg(db));
            goto out;
        }
        if (step_reset(db, ins, path, t.lineno) < 0)
            goto out;
        if (bind_field(ins_pc, 1, f[0]) || bind_field(ins_pc, 2, f[1]) ||
            step_reset(db, ins_pc, path, t.lineno) < 0)
            goto out;
    }
    if (r == 0)
        ret = 0;
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(ins_pc);
    fclose(t.f);
    return ret;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("places: %s", err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

int places_load_tsv(sqlite3 *db, const char *communes_tsv,
                    const char *postcodes_tsv)
{
    /* A savepoint nests inside the importer's transaction, or is a
     * transaction of its own: either way a bad file leaves nothing behind. */
    if (exec(db, "SAVEPOINT places_load") < 0)
        return -1;
    if (exec(db, create_sql) < 0 ||
        (postcodes_tsv && exec(db, create_label_sql) < 0) ||
        load_communes(db, communes_tsv) < 0 ||
        (postcodes_tsv && load_postcodes(db, postcodes_tsv) < 0)) {
        exec(db, "ROLLBACK TO places_load; RELEASE places_load");
        return -1;
    }
    return exec(db, "RELEASE places_load");
}
