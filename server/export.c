/* The API's answers as vCard, CSV and text. See export.h.
 *
 * Every renderer parses the JSON text the handler wrote (jansson: about a
 * millisecond for a page of 100 records, against the 16 MiB body cap and
 * the request's own cost) and walks the documented answer shape; a key
 * that is missing or of another type reads as absent, so a record with
 * gaps renders with gaps, never fails. Text is measured in code points:
 * the extracts' accents are precomposed (é is one point), and no
 * double-width script appears in names or towns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "export.h"
#include "fold.h"
#include "banned.h"

/* ---- Choosing the format ---- */

/* The q of media type type in an Accept header: of its exact entry, -1
 * when it is not listed (wildcards are not read: see export_choose()). */
static double accept_q(const char *accept, const char *type)
{
    size_t tl = strlen(type);
    const char *p = accept;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = strchr(p, ','), *semi = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *mt_end = semi && semi < end ? semi : end;
        while (mt_end > p && (mt_end[-1] == ' ' || mt_end[-1] == '\t'))
            mt_end--;
        if ((size_t)(mt_end - p) == tl && strncasecmp(p, type, tl) == 0) {
            double q = 1;
            for (const char *s = semi; s && s < end; s = strchr(s + 1, ';')) {
                const char *v = s + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
                    q = strtod(v + 2, NULL);
            }
            return q;
        }
        p = end;
    }
    return -1;
}

int export_choose(enum export_kind kind, const char *format, const char *accept,
                  enum export_format dflt, enum export_format *out,
                  const char **err)
{
    if (format) {
        if (strcmp(format, "json") == 0)
            *out = EXPORT_JSON;
        else if (strcmp(format, "text") == 0)
            *out = EXPORT_TEXT;
        else if (kind == EXPORT_SEARCH && strcmp(format, "csv") == 0)
            *out = EXPORT_CSV;
        else if (kind == EXPORT_RECORD && strcmp(format, "vcard") == 0)
            *out = EXPORT_VCARD;
        else {
            *err = kind == EXPORT_SEARCH ? "format must be json, text or csv"
                                         : "format must be json, text or"
                                           " vcard";
            return -1;
        }
        return 0;
    }
    *out = dflt;
    if (!accept)
        return 0;
    static const struct {
        const char *type;
        enum export_format f;
        int kinds; /* bit 1 << kind */
    } types[] = {
        {"text/plain", EXPORT_TEXT, 3},
        {"text/csv", EXPORT_CSV, 1 << EXPORT_SEARCH},
        {"text/vcard", EXPORT_VCARD, 1 << EXPORT_RECORD},
        {"text/x-vcard", EXPORT_VCARD, 1 << EXPORT_RECORD},
    };
    double best = 0, json = accept_q(accept, "application/json");
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!(types[i].kinds & (1 << kind)))
            continue;
        double q = accept_q(accept, types[i].type);
        if (q > best && q > json) {
            best = q;
            *out = types[i].f;
        }
    }
    if (best == 0 && json > 0)
        *out = EXPORT_JSON;
    return 0;
}

int export_wants_text(const char *accept, const char *user_agent)
{
    double html = accept ? accept_q(accept, "text/html") : -1;
    double plain = accept ? accept_q(accept, "text/plain") : -1;
    if (plain > 0 && plain > html)
        return 1;
    static const char *const terminals[] = {"curl/", "wget/", "httpie/", "xh/"};
    for (size_t i = 0; user_agent && i < 4; i++)
        if (strncasecmp(user_agent, terminals[i], strlen(terminals[i])) == 0)
            return html <= 0;
    return 0;
}

const char *export_ctype(enum export_format f)
{
    switch (f) {
    case EXPORT_TEXT:
        return "text/plain; charset=utf-8";
    case EXPORT_CSV:
        return "text/csv; charset=utf-8; header=present";
    case EXPORT_VCARD:
        return "text/vcard; charset=utf-8";
    default:
        return "application/json; charset=utf-8";
    }
}

/* ---- Reading the answer ---- */

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* For printf: "" for a missing string. */
static const char *nz(const char *s)
{
    return s ? s : "";
}

/* The label of a {code, label} value, else its code, else NULL. */
static const char *jlabel(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    const char *s = jstr(v, "label");
    return s ? s : jstr(v, "code");
}

/* "Dr", "Pr" for the titles the extract has; NULL for none. */
static const char *title_abbrev(const json_t *rec)
{
    const char *t = jstr(rec, "title");
    if (!t)
        return NULL;
    if (strcasecmp(t, "Docteur") == 0)
        return "Dr";
    if (strcasecmp(t, "Professeur") == 0)
        return "Pr";
    return t;
}

/* The identifier people quote: RPPS or ADELI, with its kind. */
static const char *record_id(const json_t *rec, const char **kind)
{
    const char *id = jstr(rec, "rpps");
    *kind = "RPPS";
    if (!id) {
        id = jstr(rec, "adeli");
        *kind = "ADELI";
    }
    if (!id) {
        id = jstr(rec, "id");
        *kind = "id";
    }
    return id;
}

/* "05 07 24 80 20" for a French number of 10 digits, else as it is. */
static void fmt_phone(const char *p, char *out, size_t n)
{
    size_t len = p ? strlen(p) : 0, k = 0;
    int digits = len == 10;
    for (size_t i = 0; digits && i < len; i++)
        digits = isdigit((unsigned char)p[i]);
    if (!digits) {
        snprintf(out, n, "%s", p ? p : "");
        return;
    }
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (i && i % 2 == 0)
            out[k++] = ' ';
        out[k++] = p[i];
    }
    out[k] = '\0';
}

/* "Toulouse (31)" for an activity's address; "" when it has no town. */
static void fmt_town(const json_t *act, char *out, size_t n)
{
    const json_t *a = json_object_get(act, "address");
    const char *city = jstr(a, "city"), *dept = jstr(a, "dept");
    if (city && dept)
        snprintf(out, n, "%s (%s)", city, dept);
    else
        snprintf(out, n, "%s", city ? city : "");
}

/* ---- Text ---- */

/* Columns of a UTF-8 string: its code points. */
static size_t u8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Appends s in w columns: cut with "…" when longer, padded with spaces
 * when pad. */
static void put_cell(struct buf *b, const char *s, size_t w, int pad)
{
    size_t sw = u8_width(s);
    if (sw <= w) {
        buf_addstr(b, s);
        for (; pad && sw < w; sw++)
            buf_add(b, " ", 1);
        return;
    }
    size_t cols = 0;
    const char *p = s;
    while (*p && cols + 1 < w) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80)
            p++;
        cols++;
    }
    buf_add(b, s, (size_t)(p - s));
    if (w)
        buf_addstr(b, "…");
}

/* Ends a line: drops the spaces put_cell() padded it with. */
static void end_line(struct buf *b)
{
    while (b->len && b->s[b->len - 1] == ' ')
        b->s[--b->len] = '\0';
    buf_add(b, "\n", 1);
}

#define TEXT_COLS 100 /* a terminal's width the table fits (issue 15) */
/* Four columns: the town and the phone of an activity share one, on two
 * lines, which leaves a 40-50 character address room beside them. */
enum { C_NAME, C_PROF, C_PLACE, C_MSS, NCOL };

struct trow {
    char *cell[NCOL];
};

/* The rows of one result: its name then its identifier; its profession
 * then its first specialty; each activity's town then phone; one
 * MSSanté address a line. */
static void text_rows(const json_t *rec, struct trow **rows, size_t *nrows,
                      size_t *cap)
{
    const json_t *acts = json_object_get(rec, "activities");
    const json_t *mss = json_object_get(rec, "mssante");
    const json_t *specs = json_object_get(rec, "specialties");
    /* The place column's lines: town, phone (when there is one), ... */
    char *place[2 * 64];
    size_t np = 0;
    const json_t *act;
    size_t k;
    json_array_foreach(acts, k, act)
    {
        char tmp[512];
        if (np + 2 > sizeof(place) / sizeof(place[0]))
            break;
        fmt_town(act, tmp, sizeof(tmp));
        place[np++] = xstrdup(tmp);
        fmt_phone(jstr(act, "phone"), tmp, sizeof(tmp));
        if (*tmp)
            place[np++] = xstrdup(tmp);
    }
    size_t nm = json_array_size(mss);
    size_t lines = np > nm ? np : nm;
    if (lines < 2)
        lines = 2;
    for (size_t i = 0; i < lines; i++) {
        if (*nrows == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *rows = xrealloc(*rows, *cap * sizeof(**rows));
        }
        struct trow *r = &(*rows)[(*nrows)++];
        char tmp[512];
        const char *kind, *id = record_id(rec, &kind);
        const char *last = jstr(rec, "last_name"),
                   *first = jstr(rec, "first_name");
        if (i == 0)
            snprintf(tmp, sizeof(tmp), "%s%s%s", last ? last : "",
                     last && first ? " " : "", first ? first : "");
        else if (i == 1 && id)
            snprintf(tmp, sizeof(tmp), "%s %s", kind, id);
        else
            tmp[0] = '\0';
        r->cell[C_NAME] = xstrdup(tmp);
        const char *prof = i == 0   ? jlabel(rec, "profession")
                           : i == 1 ? jstr(json_array_get(specs, 0), "label")
                                    : NULL;
        r->cell[C_PROF] = xstrdup(prof ? prof : "");
        r->cell[C_PLACE] = i < np ? place[i] : xstrdup("");
        const char *addr = jstr(json_array_get(mss, i), "address");
        r->cell[C_MSS] = xstrdup(addr ? addr : "");
    }
}

/* The column widths: each column's widest cell within a cap; then, when
 * the MSSanté addresses do not fit in what is left of TEXT_COLS, the
 * profession, place and name columns narrowed (each down to a floor) until
 * the longest address that can fit does. Addresses are never cut: one
 * still too long gets a line of its own (text_table()). */
static void text_widths(struct trow *rows, size_t n, const char *const *head,
                        size_t *w)
{
    static const size_t cap[NCOL] = {26, 20, 22, TEXT_COLS};
    static const size_t floor_[NCOL] = {16, 12, 14, 7};
    size_t min_used = 2 * (NCOL - 1), used = 2 * (NCOL - 1), need = 0;
    for (int c = 0; c < NCOL; c++)
        w[c] = u8_width(head[c]);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < C_MSS; c++) {
            size_t cw = u8_width(rows[i].cell[c]);
            if (cw > w[c])
                w[c] = cw < cap[c] ? cw : cap[c];
        }
    for (int c = 0; c < C_MSS; c++) {
        used += w[c];
        min_used += w[c] < floor_[c] ? w[c] : floor_[c];
    }
    for (size_t i = 0; i < n; i++) {
        size_t cw = u8_width(rows[i].cell[C_MSS]);
        if (cw > need && min_used + cw <= TEXT_COLS)
            need = cw;
    }
    static const int shrink[] = {C_PROF, C_PLACE, C_NAME};
    for (size_t k = 0; k < 3 && used + need > TEXT_COLS; k++) {
        int c = shrink[k];
        size_t over = used + need - TEXT_COLS;
        size_t give = w[c] > floor_[c] ? w[c] - floor_[c] : 0;
        if (give > over)
            give = over;
        w[c] -= give;
        used -= give;
    }
    w[C_MSS] = TEXT_COLS - used;
}

static void text_table(struct buf *b, struct trow *rows, size_t n)
{
    static const char *const head[NCOL] = {"NOM", "PROFESSION", "VILLE, TÉL.",
                                           "MSSANTÉ"};
    size_t w[NCOL];
    text_widths(rows, n, head, w);
    for (int c = 0; c < NCOL; c++) {
        put_cell(b, head[c], w[c], c < C_MSS);
        if (c < C_MSS)
            buf_add(b, "  ", 2);
    }
    end_line(b);
    for (size_t i = 0; i < n; i++) {
        const char *mss = rows[i].cell[C_MSS];
        size_t mw = u8_width(mss);
        int spill = mw > w[C_MSS];
        for (int c = 0; c < C_MSS; c++) {
            put_cell(b, rows[i].cell[c], w[c], 1);
            buf_add(b, "  ", 2);
        }
        if (!spill)
            buf_addstr(b, mss);
        end_line(b);
        if (spill) {
            /* Right-aligned on a line of its own, whole. */
            for (size_t k = mw; k < TEXT_COLS; k++)
                buf_add(b, " ", 1);
            buf_addstr(b, mss);
            end_line(b);
        }
    }
}

/* One line saying how q was read, from "understood". */
static void text_understood(struct buf *b, const json_t *und)
{
    if (!json_is_object(und))
        return;
    struct buf l;
    buf_init(&l, 4096);
    const json_t *v;
    size_t i;
    json_array_foreach(json_object_get(und, "profession"), i, v) buf_addf(
        &l, "%sprofession %s", l.len ? ", " : "", nz(jstr(v, "label")));
    json_array_foreach(json_object_get(und, "specialty"), i, v) buf_addf(
        &l, "%sspécialité %s", l.len ? ", " : "", nz(jstr(v, "label")));
    const json_t *place = json_object_get(und, "place");
    if (place) {
        const json_t *c0 =
            json_array_get(json_object_get(place, "communes"), 0);
        const char *what = jstr(c0, "name");
        if (!what)
            what = jstr(place, "postcode");
        if (!what)
            what = jstr(place, "dept");
        if (what)
            buf_addf(&l, "%slieu %s", l.len ? ", " : "", what);
    }
    json_array_foreach(json_object_get(und, "typos"), i, v)
        buf_addf(&l, "%s« %s » lu « %s »", l.len ? ", " : "",
                 nz(jstr(v, "from")), nz(jstr(v, "as")));
    json_array_foreach(json_object_get(und, "name"), i, v)
        buf_addf(&l, "%s%s",
                 i       ? " "
                 : l.len ? ", nom "
                         : "nom ",
                 nz(json_string_value(v)));
    if (l.len)
        buf_addf(b, "Compris : %s\n", l.s);
    buf_release(&l);
}

static int text_search(const json_t *root, struct buf *b)
{
    const json_t *res = json_object_get(root, "results");
    if (!json_is_array(res))
        return -1;
    long long total = json_integer_value(json_object_get(root, "total"));
    long long offset = json_integer_value(json_object_get(root, "offset"));
    int exact = json_is_true(json_object_get(root, "total_exact"));
    size_t n = json_array_size(res);
    text_understood(b, json_object_get(root, "understood"));
    if (n == 0) {
        buf_addstr(b, total ? "Aucun résultat sur cette page.\n"
                            : "Aucun professionnel trouvé.\n");
        return 0;
    }
    buf_addf(b, "%s%lld professionnel%s — %lld à %lld\n\n",
             exact ? "" : "au moins ", total, total > 1 ? "s" : "", offset + 1,
             offset + (long long)n);
    struct trow *rows = NULL;
    size_t nrows = 0, cap = 0;
    const json_t *rec;
    size_t i;
    json_array_foreach(res, i, rec) text_rows(rec, &rows, &nrows, &cap);
    text_table(b, rows, nrows);
    for (size_t k = 0; k < nrows; k++)
        for (int c = 0; c < NCOL; c++)
            free(rows[k].cell[c]);
    free(rows);
    long long next = offset + (long long)n;
    buf_addstr(b, "\nUne fiche : /p/IDENTIFIANT (format=vcard : la carte de"
                  " visite).\n");
    if (next < total)
        buf_addf(b, "Suite : ajoutez &offset=%lld à l'adresse.\n", next);
    return 0;
}

static int text_record(const json_t *rec, struct buf *b)
{
    if (!json_is_object(rec))
        return -1;
    const char *t = title_abbrev(rec), *last = jstr(rec, "last_name"),
               *first = jstr(rec, "first_name");
    buf_addf(b, "%s%s%s%s%s\n", t ? t : "", t ? " " : "", first ? first : "",
             first ? " " : "", last ? last : "");
    const char *prof = jlabel(rec, "profession");
    buf_addstr(b, prof ? prof : "");
    const json_t *v;
    size_t i;
    json_array_foreach(json_object_get(rec, "specialties"), i, v)
        buf_addf(b, "%s%s", i ? ", " : " — ", nz(jstr(v, "label")));
    const char *kind, *id = record_id(rec, &kind);
    buf_addf(b, "\n%s %s\n", kind, id ? id : "?");
    const json_t *mss = json_object_get(rec, "mssante");
    buf_addstr(b, "\nMSSanté\n");
    if (!json_array_size(mss))
        buf_addstr(b, "  (aucune adresse)\n");
    json_array_foreach(mss, i, v) buf_addf(b, "  %s\n", nz(jstr(v, "address")));
    buf_addstr(b, "\nActivités\n");
    json_array_foreach(json_object_get(rec, "activities"), i, v)
    {
        const char *org = jstr(json_object_get(v, "structure"), "name");
        const char *mode = jlabel(v, "mode"), *sector = jlabel(v, "sector");
        buf_addf(b, "%s  %s", i ? "\n" : "", org ? org : "(sans structure)");
        if (mode || sector)
            buf_addf(b, " (%s%s%s)", mode ? mode : "",
                     mode && sector ? ", " : "", sector ? sector : "");
        buf_add(b, "\n", 1);
        const json_t *a = json_object_get(v, "address"), *line;
        size_t k;
        json_array_foreach(json_object_get(a, "lines"), k, line)
            buf_addf(b, "  %s\n", nz(json_string_value(line)));
        const char *pc = jstr(a, "postcode"), *city = jstr(a, "city");
        if (pc || city)
            buf_addf(b, "  %s%s%s\n", pc ? pc : "", pc && city ? " " : "",
                     city ? city : "");
        char ph[64];
        fmt_phone(jstr(v, "phone"), ph, sizeof(ph));
        if (*ph)
            buf_addf(b, "  Tél. %s\n", ph);
        if (jstr(v, "email"))
            buf_addf(b, "  Courriel %s\n", jstr(v, "email"));
    }
    const json_t *dip = json_object_get(rec, "diplomas");
    if (json_array_size(dip)) {
        buf_addstr(b, "\nDiplômes\n");
        json_array_foreach(dip, i, v)
        {
            const char *d = jlabel(v, "diploma"), *ty = jlabel(v, "type");
            buf_addf(b, "  %s%s%s%s\n", d ? d : "?", ty ? " (" : "",
                     ty ? ty : "", ty ? ")" : "");
        }
    }
    buf_addstr(b, "\nSource : Annuaire Santé, ANS — Licence Ouverte 2.0\n");
    return 0;
}

void export_error_text(const char *json, size_t n, struct buf *out)
{
    json_t *root = json_loadb(json, n, 0, NULL);
    const json_t *e = json_object_get(root, "error");
    const char *msg = jstr(e, "message");
    buf_addf(out, "erreur %lld : %s\n",
             (long long)json_integer_value(json_object_get(e, "status")),
             msg ? msg : "?");
    json_decref(root);
}

void export_usage(const char *host, struct buf *out)
{
    char h[256];
    size_t k = 0;
    /* The Host header is the client's: keep a host name's characters. */
    for (const char *p = host; p && *p && k + 1 < sizeof(h); p++)
        if (isalnum((unsigned char)*p) || strchr(".-:[]_", *p))
            h[k++] = *p;
    h[k] = '\0';
    if (!k)
        snprintf(h, sizeof(h), "SERVEUR:8080");
    buf_addf(out,
             "rpps-search — l'annuaire des professionnels de santé (RPPS) et"
             " de leurs\nadresses de messagerie sécurisée MSSanté.\n\n"
             "  curl 'http://%s/?q=martin+belfort'\n"
             "      nom, profession, spécialité, ville ou département, dans"
             " l'ordre voulu\n"
             "  curl 'http://%s/?q=dentiste&near=90000&radius_km=20'\n"
             "      près d'une ville (code postal, commune), dans un rayon\n"
             "  curl 'http://%s/p/10000000001'\n"
             "      une fiche, par numéro RPPS ou ADELI\n"
             "  curl -OJ 'http://%s/p/10000000001?format=vcard'\n"
             "      sa carte de visite (vCard), pour un carnet d'adresses\n"
             "  curl -OJ 'http://%s/v1/search?q=cardiologue+belfort"
             "&format=csv'\n"
             "      les résultats en CSV (tableur)\n\n"
             "Le reste de l'API répond en JSON : /v1/search, /v1/suggest,"
             " /v1/status...\n"
             "Source : Annuaire Santé, ANS — Licence Ouverte 2.0\n",
             h, h, h, h, h);
}

/* ---- vCard 4.0 (RFC 6350) ---- */

/* Appends one content line, folded at 75 octets (section 3.2) without
 * splitting a UTF-8 sequence, ended by CRLF. */
static void vc_line(struct buf *b, const char *s, size_t n)
{
    size_t col = 0, lim = 75;
    while (n) {
        size_t k = n < lim - col ? n : lim - col;
        if (k < n)
            while (k && ((unsigned char)s[k] & 0xC0) == 0x80)
                k--;
        buf_add(b, s, k);
        s += k;
        n -= k;
        if (n) {
            buf_add(b, "\r\n ", 3);
            col = 1;
        }
    }
    buf_add(b, "\r\n", 2);
}

/* Appends a text value escaped as section 3.4 says: backslash, comma,
 * semicolon and newline (in a compound value, , and ; inside a component
 * must be escaped too, so one escaping serves both). */
static void vc_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == ',' || *s == ';')
            buf_add(b, "\\", 1);
        if (*s == '\n')
            buf_add(b, "\\n", 2);
        else if (*s != '\r')
            buf_add(b, s, 1);
    }
}

/* A property whose value is one text: "NAME:value". */
static void vc_prop(struct buf *b, const char *name, const char *v)
{
    if (!v || !*v)
        return;
    struct buf l;
    buf_init(&l, 64 * 1024);
    buf_addstr(&l, name);
    buf_add(&l, ":", 1);
    vc_text(&l, v);
    vc_line(b, l.s, l.len);
    buf_release(&l);
}

/* Overseas departments keep their own country codes (ITU E.164 list):
 * the national number's first four digits name them. */
static const struct {
    const char prefix[5], cc[4];
} overseas[] = {
    {"0262", "262"}, {"0263", "262"}, {"0269", "262"}, {"0692", "262"},
    {"0693", "262"}, {"0639", "262"}, {"0590", "590"}, {"0690", "590"},
    {"0691", "590"}, {"0594", "594"}, {"0694", "594"}, {"0596", "596"},
    {"0696", "596"}, {"0697", "596"}, {"0508", "508"},
};

/* TEL as a tel: URI (+33 or an overseas code) for a French number of ten
 * digits; anything else as text, as written. */
static void vc_tel(struct buf *b, const char *p)
{
    size_t n = p ? strlen(p) : 0;
    int ok = n == 10 && p[0] == '0' && p[1] != '0';
    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)p[i]);
    char line[128];
    if (ok) {
        const char *cc = "33";
        for (size_t i = 0; i < sizeof(overseas) / sizeof(overseas[0]); i++)
            if (strncmp(p, overseas[i].prefix, 4) == 0)
                cc = overseas[i].cc;
        snprintf(line, sizeof(line), "TEL;VALUE=uri;TYPE=work,voice:tel:+%s%s",
                 cc, p + 1);
        vc_line(b, line, strlen(line));
        return;
    }
    struct buf l;
    buf_init(&l, 4096);
    buf_addstr(&l, "TEL;VALUE=text;TYPE=work,voice:");
    vc_text(&l, p);
    vc_line(b, l.s, l.len);
    buf_release(&l);
}

/* A name fit for a file: folded, [a-z0-9-] only. */
static void file_name(const json_t *rec, const char *ext, char *out,
                      size_t size)
{
    const char *last = jstr(rec, "last_name"), *first = jstr(rec, "first_name");
    char raw[256], f[256];
    snprintf(raw, sizeof(raw), "%s %s", last ? last : "", first ? first : "");
    size_t n = fold(raw, strlen(raw), f), k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof(f); i++) {
        char c = f[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (ok)
            f[k++] = c;
        else if (k && f[k - 1] != '-')
            f[k++] = '-';
    }
    while (k && f[k - 1] == '-')
        k--;
    f[k] = '\0';
    snprintf(out, size, "%s.%s", k ? f : "fiche", ext);
}

static int vcard_record(const json_t *rec, struct buf *b)
{
    if (!json_is_object(rec))
        return -1;
    const char *last = jstr(rec, "last_name"), *first = jstr(rec, "first_name");
    const char *t = title_abbrev(rec);
    vc_line(b, "BEGIN:VCARD", 11);
    vc_line(b, "VERSION:4.0", 11);
    vc_line(b, "KIND:individual", 15);
    char fn[512];
    snprintf(fn, sizeof(fn), "%s%s%s%s%s", t ? t : "", t ? " " : "",
             first ? first : "", first && last ? " " : "", last ? last : "");
    vc_prop(b, "FN", *fn ? fn : "?");
    /* N: family; given; additional; prefixes; suffixes. */
    struct buf l;
    buf_init(&l, 64 * 1024);
    buf_addstr(&l, "N:");
    vc_text(&l, last);
    buf_add(&l, ";", 1);
    vc_text(&l, first);
    buf_add(&l, ";;", 2);
    vc_text(&l, t);
    buf_add(&l, ";", 1);
    vc_line(b, l.s, l.len);
    vc_prop(b, "TITLE", jlabel(rec, "profession"));
    const json_t *v;
    size_t i;
    json_array_foreach(json_object_get(rec, "specialties"), i, v)
        vc_prop(b, "ROLE", jstr(v, "label"));
    json_array_foreach(json_object_get(rec, "mssante"), i, v)
    {
        const char *addr = jstr(v, "address");
        if (!addr)
            continue;
        buf_reset(&l);
        buf_addstr(&l, i ? "EMAIL;TYPE=work:" : "EMAIL;TYPE=work;PREF=1:");
        vc_text(&l, addr);
        vc_line(b, l.s, l.len);
    }
    json_array_foreach(json_object_get(rec, "activities"), i, v)
    {
        const char *org = jstr(json_object_get(v, "structure"), "name");
        vc_prop(b, "ORG", org);
        const json_t *a = json_object_get(v, "address"), *line;
        /* ADR: PO box; extended; street; locality; region; code;
         * country. The lines (recipient, building, street, distribution)
         * go together in the street component, one per line. */
        buf_reset(&l);
        buf_addstr(&l, "ADR;TYPE=work:;;");
        size_t k;
        json_array_foreach(json_object_get(a, "lines"), k, line)
        {
            if (k)
                buf_add(&l, "\\n", 2);
            vc_text(&l, json_string_value(line));
        }
        buf_add(&l, ";", 1);
        vc_text(&l, jstr(a, "city"));
        buf_add(&l, ";;", 2);
        vc_text(&l, jstr(a, "postcode"));
        buf_add(&l, ";", 1);
        vc_text(&l, jstr(a, "country"));
        if (json_array_size(json_object_get(a, "lines")) || jstr(a, "city"))
            vc_line(b, l.s, l.len);
        if (jstr(v, "phone"))
            vc_tel(b, jstr(v, "phone"));
    }
    const char *kind, *id = record_id(rec, &kind);
    if (id) {
        buf_reset(&l);
        buf_addf(&l, "UID;VALUE=text:%s-%s", kind, id);
        vc_line(b, l.s, l.len);
        buf_reset(&l);
        buf_addf(&l,
                 "%s %s. Adresses MSSanté : messagerie sécurisée de santé."
                 " Source : Annuaire Santé, ANS — Licence Ouverte 2.0.",
                 kind, id);
        vc_prop(b, "NOTE", l.s);
    }
    buf_release(&l);
    vc_line(b, "END:VCARD", 9);
    return 0;
}

/* ---- CSV (RFC 4180) for a French-locale spreadsheet ---- */

/* Fields end with ';' (a French spreadsheet takes ',' as the decimal
 * mark, and opens ';' files by double-click), lines with CRLF; a field is
 * quoted when it holds ';', '"', CR or LF or starts or ends with a space.
 * A field a spreadsheet would run as a formula (starting with = + - @ or a
 * tab; OWASP's "CSV injection") gets a leading apostrophe, except a phone
 * number, which has only digits, spaces and + . ( ) -. */
static void csv_field(struct buf *b, const char *s, int last, int phone)
{
    s = s ? s : "";
    size_t n = strlen(s);
    int quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; !quote && i < n; i++)
        quote = s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    int formula = n && strchr("=+-@\t\r", s[0]);
    if (formula && phone) {
        formula = 0;
        for (size_t i = 0; i < n; i++)
            if (!isdigit((unsigned char)s[i]) && !strchr(" +.()-", s[i]))
                formula = 1;
    }
    if (quote)
        buf_add(b, "\"", 1);
    if (formula)
        buf_add(b, "'", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            buf_add(b, "\"", 1);
        buf_add(b, &s[i], 1);
    }
    if (quote)
        buf_add(b, "\"", 1);
    buf_addstr(b, last ? "\r\n" : ";");
}

void export_csv_field(struct buf *b, const char *s, int last, int phone)
{
    csv_field(b, s, last, phone);
}

static const char *const csv_head[] = {
    "Identifiant", "Type",       "Civilité",     "Titre",   "Nom",
    "Prénom",      "Profession", "Spécialités",  "MSSanté", "Mode",
    "Structure",   "Adresse",    "Code postal",  "Ville",   "Département",
    "Téléphone",   "Courriel",   "Distance (km)"};
#define CSV_NCOL (sizeof(csv_head) / sizeof(csv_head[0]))

/* Joins the strings at key k (or, with k NULL, the array's strings) of
 * the array's elements with sep. */
static void join(struct buf *out, const json_t *arr, const char *k,
                 const char *sep)
{
    const json_t *v;
    size_t i;
    json_array_foreach(arr, i, v)
    {
        const char *s = k ? jstr(v, k) : json_string_value(v);
        if (!s)
            continue;
        if (out->len)
            buf_addstr(out, sep);
        buf_addstr(out, s);
    }
}

/* One row per professional and activity (one row, without activity
 * columns, for a professional without activity). */
static void csv_rows(const json_t *rec, struct buf *b)
{
    const char *kind, *id = record_id(rec, &kind);
    struct buf specs, mss;
    buf_init(&specs, 64 * 1024);
    buf_init(&mss, 64 * 1024);
    join(&specs, json_object_get(rec, "specialties"), "label", " / ");
    join(&mss, json_object_get(rec, "mssante"), "address", ", ");
    const json_t *acts = json_object_get(rec, "activities");
    size_t na = json_array_size(acts);
    for (size_t i = 0; i < (na ? na : 1); i++) {
        const json_t *act = json_array_get(acts, i);
        const json_t *a = json_object_get(act, "address");
        struct buf lines;
        buf_init(&lines, 64 * 1024);
        join(&lines, json_object_get(a, "lines"), NULL, ", ");
        char km[32] = "";
        const json_t *d = json_object_get(act, "distance_km");
        if (json_is_number(d)) {
            /* Decimal comma, as the locale's spreadsheet reads it. */
            snprintf(km, sizeof(km), "%.1f", json_number_value(d));
            char *dot = strchr(km, '.');
            if (dot)
                *dot = ',';
        }
        /* "01 23 45 67 89": as French people write it, and text to a
         * spreadsheet, which would read 0123456789 as a number and drop
         * its 0. */
        char phone[64];
        fmt_phone(jstr(act, "phone"), phone, sizeof(phone));
        const char *f[CSV_NCOL] = {
            id,
            kind,
            jstr(rec, "civility"),
            jstr(rec, "title"),
            jstr(rec, "last_name"),
            jstr(rec, "first_name"),
            jlabel(rec, "profession"),
            specs.s,
            mss.s,
            jlabel(act, "mode"),
            jstr(json_object_get(act, "structure"), "name"),
            lines.s,
            jstr(a, "postcode"),
            jstr(a, "city"),
            jstr(a, "dept"),
            phone,
            jstr(act, "email"),
            km,
        };
        for (size_t c = 0; c < CSV_NCOL; c++)
            csv_field(b, f[c], c + 1 == CSV_NCOL, c == 15);
        buf_release(&lines);
    }
    buf_release(&specs);
    buf_release(&mss);
}

static int csv_search(const json_t *root, struct buf *b)
{
    const json_t *res = json_object_get(root, "results");
    if (!json_is_array(res))
        return -1;
    /* The byte order mark tells Excel the file is UTF-8 (without it,
     * a double-click reads it as Windows-1252: "MÃ©decin"). */
    buf_addstr(b, "\xEF\xBB\xBF");
    for (size_t c = 0; c < CSV_NCOL; c++)
        csv_field(b, csv_head[c], c + 1 == CSV_NCOL, 0);
    const json_t *rec;
    size_t i;
    json_array_foreach(res, i, rec) csv_rows(rec, b);
    return 0;
}

int export_render(enum export_format f, enum export_kind kind, const char *json,
                  size_t n, struct buf *out, char *filename, size_t fsize)
{
    json_t *root = json_loadb(json, n, 0, NULL);
    if (!root)
        return -1;
    size_t mark = out->len;
    int rc = -1;
    if (fsize)
        filename[0] = '\0';
    if (f == EXPORT_TEXT)
        rc = kind == EXPORT_SEARCH ? text_search(root, out)
                                   : text_record(root, out);
    else if (f == EXPORT_CSV && kind == EXPORT_SEARCH) {
        rc = csv_search(root, out);
        snprintf(filename, fsize, "rpps-recherche.csv");
    } else if (f == EXPORT_VCARD && kind == EXPORT_RECORD) {
        rc = vcard_record(root, out);
        file_name(root, "vcf", filename, fsize);
    }
    json_decref(root);
    if (rc < 0)
        buf_truncate(out, mark);
    return rc;
}
