/* Unit tests of export.c: which format a request gets (format=, Accept, a
 * terminal's User-Agent), and the vCard, CSV and text renderings of
 * hand-written answers with the awkward cases: separators and quotes in
 * names, a formula-looking structure, overseas and foreign phone numbers,
 * a line to fold across an accented letter, an address too long for its
 * column. The real server's output is checked end to end by
 * test_server_e2e.c and, in a browser with third-party parsers, by
 * tests/e2e_web.sh. */
#include <string.h>

#include "export.h"
#include "fold.h"
#include "t.h"
#include "util.h"

static void test_choose(void)
{
    static const struct {
        enum export_kind kind;
        const char *format, *accept;
        enum export_format dflt;
        int rc;
        enum export_format want;
    } cases[] = {
        {EXPORT_SEARCH, NULL, NULL, EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_SEARCH, "csv", NULL, EXPORT_JSON, 0, EXPORT_CSV},
        {EXPORT_SEARCH, "text", NULL, EXPORT_JSON, 0, EXPORT_TEXT},
        {EXPORT_SEARCH, "json", "text/csv", EXPORT_TEXT, 0, EXPORT_JSON},
        {EXPORT_SEARCH, "vcard", NULL, EXPORT_JSON, -1, EXPORT_JSON},
        {EXPORT_SEARCH, "CSV", NULL, EXPORT_JSON, -1, EXPORT_JSON},
        {EXPORT_SEARCH, "", NULL, EXPORT_JSON, -1, EXPORT_JSON},
        {EXPORT_RECORD, "vcard", NULL, EXPORT_JSON, 0, EXPORT_VCARD},
        {EXPORT_RECORD, "csv", NULL, EXPORT_JSON, -1, EXPORT_JSON},
        /* Accept: only an explicit type moves off JSON. */
        {EXPORT_SEARCH, NULL, "text/csv", EXPORT_JSON, 0, EXPORT_CSV},
        {EXPORT_SEARCH, NULL, "text/plain", EXPORT_JSON, 0, EXPORT_TEXT},
        {EXPORT_SEARCH, NULL, "TEXT/PLAIN; charset=utf-8", EXPORT_JSON, 0,
         EXPORT_TEXT},
        {EXPORT_SEARCH, NULL, "text/vcard", EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_RECORD, NULL, "text/vcard", EXPORT_JSON, 0, EXPORT_VCARD},
        {EXPORT_RECORD, NULL, "text/x-vcard", EXPORT_JSON, 0, EXPORT_VCARD},
        {EXPORT_RECORD, NULL, "*/*", EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_RECORD, NULL, "text/*", EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_SEARCH, NULL,
         "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
         EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_SEARCH, NULL, "application/json, text/plain;q=0.5", EXPORT_JSON,
         0, EXPORT_JSON},
        {EXPORT_SEARCH, NULL, "application/json;q=0.5, text/csv", EXPORT_JSON,
         0, EXPORT_CSV},
        {EXPORT_SEARCH, NULL, "text/plain;q=0", EXPORT_JSON, 0, EXPORT_JSON},
        {EXPORT_SEARCH, NULL, "text/csv;q=0.4, text/plain;q=0.6", EXPORT_JSON,
         0, EXPORT_TEXT},
        /* The page's paths default to text; JSON when asked for. */
        {EXPORT_SEARCH, NULL, "*/*", EXPORT_TEXT, 0, EXPORT_TEXT},
        {EXPORT_SEARCH, NULL, "application/json", EXPORT_TEXT, 0, EXPORT_JSON},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum export_format f = EXPORT_JSON;
        const char *err = NULL;
        int rc = export_choose(cases[i].kind, cases[i].format, cases[i].accept,
                               cases[i].dflt, &f, &err);
        if (rc != cases[i].rc || (rc == 0 && f != cases[i].want))
            fprintf(stderr, "case %zu: format %s accept %s -> %d %d\n", i,
                    cases[i].format ? cases[i].format : "-",
                    cases[i].accept ? cases[i].accept : "-", rc, (int)f);
        T_EQ_INT(rc, cases[i].rc);
        if (rc == 0)
            T_EQ_INT(f, cases[i].want);
        else
            T_CHECK(err && *err);
    }
}

static void test_wants_text(void)
{
    static const struct {
        const char *accept, *ua;
        int want;
    } cases[] = {
        {"*/*", "curl/7.88.1", 1},
        {NULL, "curl/8.5.0", 1},
        {"*/*", "Wget/1.21.3", 1},
        {"*/*", "HTTPie/3.2.1", 1},
        {"text/html", "curl/7.88.1", 0},
        {"text/plain", "Mozilla/5.0", 1},
        {"text/html,application/xhtml+xml,*/*;q=0.8", "Mozilla/5.0", 0},
        {"text/html;q=0.5, text/plain", "Mozilla/5.0", 1},
        {"text/plain;q=0.5, text/html", "Mozilla/5.0", 0},
        {NULL, NULL, 0},
        {"*/*", "Mozilla/5.0 (compatible; curl-like)", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        T_EQ_INT(export_wants_text(cases[i].accept, cases[i].ua),
                 cases[i].want);
}

/* A record with what a vCard and a CSV must escape or defuse. */
static const char record[] =
    "{\"id\":\"810000000042\",\"rpps\":\"10000000042\",\"id_type\":\"RPPS\","
    "\"civility\":\"Madame\",\"title\":\"Docteur\","
    "\"last_name\":\"N'DIAYE; DE LA TOUR\",\"first_name\":\"Anne-Sophie, "
    "\\\"Nana\\\"\","
    "\"profession\":{\"code\":\"10\",\"label\":\"Médecin\"},"
    "\"specialties\":[{\"code\":\"SM04\",\"label\":\"Cardiologie et Maladies "
    "vasculaires\"},{\"code\":\"SM54\",\"label\":\"Médecine Générale\"}],"
    "\"mssante\":[{\"address\":\"anne.ndiaye@medecin.mssante.fr\",\"type\":"
    "\"PER\"},{\"address\":\"secretariat@chu.mssante.fr\",\"type\":\"ORG\"}],"
    "\"activities\":["
    "{\"mode\":{\"code\":\"L\",\"label\":\"Libéral\"},\"structure\":{\"name\":"
    "\"=HYPERLINK(\\\"http://x\\\")\"},\"address\":{\"lines\":["
    "\"RÉSIDENCE DES ÉCRIVAINS ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ\","
    "\"12 BIS RUE DE L'ÉGLISE\"],\"postcode\":\"97400\",\"city\":"
    "\"Saint-Denis\",\"dept\":\"974\"},\"phone\":\"0262364117\",\"email\":"
    "null,\"distance_km\":3.5},"
    "{\"mode\":{\"code\":\"S\",\"label\":\"Salarié\"},\"structure\":{\"name\":"
    "\"CHU\"},\"address\":{\"lines\":[\"1 AV \\\"X\\\"\"],\"postcode\":"
    "\"75011\",\"city\":\"Paris\",\"dept\":\"75\"},\"phone\":\"+33 1 23 45 "
    "67 89\",\"email\":\"a@b.fr\"}],"
    "\"diplomas\":[]}";

/* The lines of s split at "\r\n" (the vCard's physical lines). */
static size_t crlf_lines(const char *s, const char **v, size_t *len, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        const char *e = strstr(s, "\r\n");
        if (!e)
            break;
        v[n] = s;
        len[n++] = (size_t)(e - s);
        s = e + 2;
    }
    return n;
}

static void test_vcard(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    char fname[96];
    T_EQ_INT(export_render(EXPORT_VCARD, EXPORT_RECORD, record, strlen(record),
                           &b, fname, sizeof(fname)),
             0);
    T_EQ_STR(fname, "n-diaye-de-la-tour-anne-sophie-nana.vcf");
    const char *v[128];
    size_t len[128];
    size_t n = crlf_lines(b.s, v, len, 128);
    /* Every byte is in a CRLF-ended line of at most 75 octets, whole
     * UTF-8 characters each (a fold never splits one). */
    size_t sum = 0;
    int folded = 0;
    for (size_t i = 0; i < n; i++) {
        sum += len[i] + 2;
        T_CHECK(len[i] <= 75);
        T_CHECK(utf8_valid(v[i], len[i]));
        folded |= v[i][0] == ' ';
    }
    T_EQ_INT(sum, b.len);
    T_CHECK(folded);
    T_CHECK(n > 2 && strncmp(v[0], "BEGIN:VCARD", len[0]) == 0 &&
            strncmp(v[1], "VERSION:4.0", len[1]) == 0 &&
            strncmp(v[n - 1], "END:VCARD", len[n - 1]) == 0);
    /* Unfolded (RFC 6350 3.2: CRLF + one space removed), the values are
     * escaped: ; , \ in text, and the N components. */
    struct buf u;
    buf_init(&u, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        if (i && v[i][0] == ' ')
            buf_add(&u, v[i] + 1, len[i] - 1);
        else {
            if (i)
                buf_add(&u, "\n", 1);
            buf_add(&u, v[i], len[i]);
        }
    }
    static const char *const want[] = {
        "\nFN:Dr Anne-Sophie\\, \"Nana\" N'DIAYE\\; DE LA TOUR\n",
        "\nN:N'DIAYE\\; DE LA TOUR;Anne-Sophie\\, \"Nana\";;Dr;\n",
        "\nTITLE:Médecin\n",
        "\nROLE:Cardiologie et Maladies vasculaires\n",
        "\nEMAIL;TYPE=work;PREF=1:anne.ndiaye@medecin.mssante.fr\n",
        "\nEMAIL;TYPE=work:secretariat@chu.mssante.fr\n",
        /* Réunion keeps its own country code. */
        "\nTEL;VALUE=uri;TYPE=work,voice:tel:+262262364117\n",
        /* Not ten digits: kept as text, as written. */
        "\nTEL;VALUE=text;TYPE=work,voice:+33 1 23 45 67 89\n",
        "\nADR;TYPE=work:;;RÉSIDENCE DES ÉCRIVAINS ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ ÉTÉ "
        "ÉTÉ ÉTÉ ÉTÉ ÉTÉ\\n12 BIS RUE DE L'ÉGLISE;Saint-Denis;;97400;\n",
        "\nUID;VALUE=text:RPPS-10000000042\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int ok = u.s && strstr(u.s, want[i]) != NULL;
        if (!ok)
            fprintf(stderr, "vcard: missing %s", want[i]);
        T_CHECK(ok);
    }
    buf_release(&u);
    buf_release(&b);
}

static void test_csv(void)
{
    char search[sizeof(record) + 200];
    snprintf(search, sizeof(search),
             "{\"total\":1,\"total_exact\":true,\"limit\":20,\"offset\":0,"
             "\"results\":[%s]}",
             record);
    struct buf b;
    buf_init(&b, 1 << 20);
    char fname[96];
    T_EQ_INT(export_render(EXPORT_CSV, EXPORT_SEARCH, search, strlen(search),
                           &b, fname, sizeof(fname)),
             0);
    T_EQ_STR(fname, "rpps-recherche.csv");
    T_CHECK(strncmp(b.s,
                    "\xEF\xBB\xBF"
                    "Identifiant;Type;",
                    20) == 0);
    /* A header and one line per activity, CRLF-ended, no bare LF. */
    int crlf = 0, lf = 0;
    for (size_t i = 0; i < b.len; i++) {
        crlf += b.s[i] == '\n' && i && b.s[i - 1] == '\r';
        lf += b.s[i] == '\n';
    }
    T_EQ_INT(crlf, 3);
    T_EQ_INT(lf, 3);
    static const char *const want[] = {
        /* ';' quoted, '"' doubled */
        ";\"N'DIAYE; DE LA TOUR\";\"Anne-Sophie, \"\"Nana\"\"\";",
        /* a formula is defused, and quoted for its quotes */
        ";\"'=HYPERLINK(\"\"http://x\"\")\";",
        /* the decimal comma, French phones spaced, a foreign one as is */
        ";02 62 36 41 17;;3,5\r\n",
        ";+33 1 23 45 67 89;a@b.fr;\r\n",
        ";Cardiologie et Maladies vasculaires / Médecine Générale;"
        "anne.ndiaye@medecin.mssante.fr, secretariat@chu.mssante.fr;",
        ";\"1 AV \"\"X\"\"\";75011;Paris;75;",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int ok = strstr(b.s, want[i]) != NULL;
        if (!ok)
            fprintf(stderr, "csv: missing %s\n", want[i]);
        T_CHECK(ok);
    }
    buf_release(&b);
}

/* Columns of a UTF-8 line. */
static size_t cols(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static void test_text(void)
{
    static const char page[] =
        "{\"total\":45,\"total_exact\":false,\"limit\":3,\"offset\":0,"
        "\"results\":["
        "{\"rpps\":\"10000000001\",\"last_name\":\"MARTIN\",\"first_name\":"
        "\"Jean\",\"profession\":{\"code\":\"10\",\"label\":\"Médecin\"},"
        "\"specialties\":[],\"mssante\":[{\"address\":\"jean.martin@medecin."
        "mssante.fr\"}],\"activities\":[{\"address\":{\"city\":\"Paris\","
        "\"dept\":\"75\"},\"phone\":\"0100000000\"},{\"address\":{\"city\":"
        "\"Lyon\",\"dept\":\"69\"},\"phone\":null}]},"
        "{\"adeli\":\"010001949\",\"last_name\":\"DE LA ROCHEFOUCAULD-"
        "MONTMORENCY\",\"first_name\":\"Marie-Élisabeth\",\"profession\":{"
        "\"code\":\"70\",\"label\":\"Masseur-Kinésithérapeute\"},"
        "\"specialties\":[],\"mssante\":[{\"address\":\"marie-elisabeth.de-la-"
        "rochefoucauld-montmorency@masseur-kinesitherapeute.mssante.fr\"}],"
        "\"activities\":[{\"address\":{\"city\":\"Saint-Rémy-en-Bouzemont-"
        "Saint-Genest-et-Isson\",\"dept\":\"51\"},\"phone\":\"0326000000\"}]},"
        "{\"rpps\":\"10000000003\",\"last_name\":\"LÉA\",\"first_name\":"
        "\"Zoé\","
        "\"profession\":{\"label\":\"Infirmier\"},\"mssante\":[],"
        "\"activities\":[]}],"
        "\"understood\":{\"name\":[\"martin\"],\"profession\":[{\"code\":"
        "\"10\",\"label\":\"Médecin\",\"from\":\"medecin\"}]}}";
    struct buf b;
    buf_init(&b, 1 << 20);
    char fname[96];
    T_EQ_INT(export_render(EXPORT_TEXT, EXPORT_SEARCH, page, strlen(page), &b,
                           fname, sizeof(fname)),
             0);
    T_EQ_STR(fname, "");
    size_t widest = 0;
    for (const char *p = b.s; *p;) {
        size_t n = strcspn(p, "\n");
        size_t w = cols(p, n);
        if (w > widest)
            widest = w;
        p += n + (p[n] == '\n');
    }
    T_CHECK(widest <= 100);
    static const char *const want[] = {
        "Compris : profession Médecin, nom martin\n",
        "au moins 45 professionnels — 1 à 3\n",
        "Lyon (69)\n",
        "ADELI 010001949",
        /* too long for its column: whole, on a line of its own */
        "marie-elisabeth.de-la-rochefoucauld-montmorency@masseur-"
        "kinesitherapeute.mssante.fr\n",
        "Suite : ajoutez &offset=3",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int ok = strstr(b.s, want[i]) != NULL;
        if (!ok)
            fprintf(stderr, "text: missing %s\n", want[i]);
        T_CHECK(ok);
    }
    /* Town then phone in one column, the address beside the town; the
     * identifier under the name, the phone under the town. */
    char l0[256] = "", l1[256] = "";
    const char *m = strstr(b.s, "\nMARTIN Jean");
    if (m) {
        size_t n0 = strcspn(m + 1, "\n");
        snprintf(l0, sizeof(l0), "%.*s", (int)n0, m + 1);
        const char *n1 = m + 1 + n0 + 1;
        snprintf(l1, sizeof(l1), "%.*s", (int)strcspn(n1, "\n"), n1);
    }
    T_CHECK(strstr(l0, "Médecin") && strstr(l0, "Paris (75)") &&
            strstr(l0, "jean.martin@medecin.mssante.fr"));
    T_CHECK(strncmp(l1, "RPPS 10000000001", 16) == 0 &&
            strstr(l1, "01 00 00 00 00"));
    const char *town = strstr(l0, "Paris (75)"), *tel = strstr(l1, "01 00");
    T_CHECK(town && tel &&
            cols(l0, (size_t)(town - l0)) == cols(l1, (size_t)(tel - l1)));
    if (widest > 100 || !strstr(b.s, "ADELI"))
        fprintf(stderr, "%s", b.s);
    buf_reset(&b);
    /* A record as text, and an error line. */
    T_EQ_INT(export_render(EXPORT_TEXT, EXPORT_RECORD, record, strlen(record),
                           &b, fname, sizeof(fname)),
             0);
    T_CHECK(strstr(b.s, "Dr Anne-Sophie, \"Nana\" N'DIAYE; DE LA TOUR\n") ==
            b.s);
    T_CHECK(strstr(b.s, "  Tél. 02 62 36 41 17\n") != NULL);
    T_CHECK(strstr(b.s, "RPPS 10000000042\n") != NULL);
    buf_reset(&b);
    static const char err[] =
        "{\"error\":{\"status\":404,\"message\":\"no practitioner\"}}";
    export_error_text(err, strlen(err), &b);
    T_EQ_STR(b.s, "erreur 404 : no practitioner\n");
    buf_release(&b);
}

static void test_bad_input(void)
{
    static const char *const bad[] = {"", "not json", "[1,2]", "{\"x\":1}",
                                      "{\"results\":{}}"};
    struct buf b;
    buf_init(&b, 1 << 20);
    char fname[96];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        T_EQ_INT(export_render(EXPORT_CSV, EXPORT_SEARCH, bad[i],
                               strlen(bad[i]), &b, fname, sizeof(fname)),
                 -1);
        T_EQ_INT(export_render(EXPORT_TEXT, EXPORT_SEARCH, bad[i],
                               strlen(bad[i]), &b, fname, sizeof(fname)),
                 -1);
        T_EQ_INT(b.len, 0);
    }
    /* A record with nothing in it renders, with gaps. */
    T_EQ_INT(export_render(EXPORT_VCARD, EXPORT_RECORD, "{}", 2, &b, fname,
                           sizeof(fname)),
             0);
    T_CHECK(strstr(b.s, "\r\nFN:?\r\n") != NULL);
    T_EQ_STR(fname, "fiche.vcf");
    /* The usage text keeps only a host name's characters. */
    buf_reset(&b);
    export_usage("evil<script>.example:80", &b);
    T_CHECK(strstr(b.s, "http://evilscript.example:80/?q=") != NULL);
    T_CHECK(strchr(b.s, '<') == NULL);
    buf_release(&b);
}

int main(void)
{
    test_choose();
    test_wants_text();
    test_vcard();
    test_csv();
    test_text();
    test_bad_input();
    return t_done();
}
