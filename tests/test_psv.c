/* The pipe-separated reader and splitter, as tables of cases: line endings,
 * BOM, empty fields, trailing pipes, quotes as data, over-long lines, a last
 * line without a newline, and every read size (chunk boundaries). Also the
 * kind and timestamp taken from file names. */
#include "load.h"
#include "psv.h"
#include "t.h"
#include "util.h"

struct mem {
    const char *p;
    size_t n, off, step;
};

static ssize_t mem_read(void *ctx, char *buf, size_t n)
{
    struct mem *m = ctx;
    size_t k = m->n - m->off;
    if (k > n)
        k = n;
    if (k > m->step)
        k = m->step;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

/* Reads all lines of input with reads of `step` bytes; joins them as
 * "line1/line2/..." with "#" for a too-long line. */
static void read_all(const char *input, size_t step, size_t max_line,
                     struct buf *out)
{
    struct mem m = {input, strlen(input), 0, step};
    struct psv_reader r;
    const char *line;
    size_t len;
    enum psv_status s;
    int n = 0;
    psv_init(&r, (struct psv_src){mem_read, &m}, max_line);
    buf_reset(out);
    while ((s = psv_next(&r, &line, &len)) != PSV_EOF) {
        if (n++)
            buf_addstr(out, "/");
        if (s == PSV_TOO_LONG)
            buf_addstr(out, "#");
        else if (s == PSV_LINE)
            buf_add(out, line, len);
        else
            buf_addstr(out, "!");
    }
    psv_release(&r);
}

static const struct {
    const char *in, *out;
} line_cases[] = {
    {"a|b|\nc|d|\n", "a|b|/c|d|"},
    {"a|b|\r\nc|d|\r\n", "a|b|/c|d|"},             /* CRLF */
    {"\xEF\xBB\xBFh1|h2|\nx|y|\n", "h1|h2|/x|y|"}, /* BOM only at start */
    {"h\nx\xEF\xBB\xBF\n", "h/x\xEF\xBB\xBF"},     /* BOM elsewhere is data */
    {"a\nlast", "a/last"},                         /* no final newline */
    {"a\nlast\r", "a/last"},
    {"", ""},
    {"\n\n", "/"},
    {"a\n0123456789abcdef\nb\n", "a/#/b"},   /* over max_line (12) */
    {"0123456789abcdefghij", "#"},           /* long, at the end */
    {"0123456789ab\nx\n", "0123456789ab/x"}, /* exactly the cap */
    {"a\n0123456789ab\r\nb\n", "a/#/b"},     /* cap + CR: raw length */
    {"\"quoted|x\"\n", "\"quoted|x\""},      /* quotes are data */
};

static const struct {
    const char *line;
    size_t nf, ncols;
    const char *f1; /* second field */
} split_cases[] = {
    {"a|b|c", 3, 3, "b"}, {"a||c", 3, 3, ""}, /* empty field kept: the strtok
                                                 bug */
    {"a|b|", 3, 2, "b"},                      /* trailing pipe */
    {"|", 2, 1, ""},      {"", 1, 1, NULL},   {"a|\"b|c\"", 3, 3, "\"b"},
};

int main(void)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    for (size_t i = 0; i < sizeof(line_cases) / sizeof(*line_cases); i++) {
        const size_t steps[] = {1, 2, 3, 7, 4096};
        for (size_t s = 0; s < sizeof(steps) / sizeof(*steps); s++) {
            read_all(line_cases[i].in, steps[s], 12, &out);
            if (strcmp(out.s, line_cases[i].out) != 0)
                fprintf(stderr, "line case %zu, step %zu\n", i, steps[s]);
            T_EQ_STR(out.s, line_cases[i].out);
        }
    }
    for (size_t i = 0; i < sizeof(split_cases) / sizeof(*split_cases); i++) {
        struct psv_field f[8];
        const char *l = split_cases[i].line;
        size_t nf = psv_split(l, strlen(l), f, 8);
        T_EQ_INT(nf, split_cases[i].nf);
        T_EQ_INT(psv_columns(f, nf), split_cases[i].ncols);
        if (split_cases[i].f1) {
            char tmp[32];
            snprintf(tmp, sizeof(tmp), "%.*s", (int)f[1].n, f[1].p);
            T_EQ_STR(tmp, split_cases[i].f1);
        }
    }
    {
        /* More fields than the array: counted, not stored past max. */
        struct psv_field f[2];
        T_EQ_INT(psv_split("a|b|c|d", 7, f, 2), 4);
    }
    {
        /* A 10 MB line among normal ones is skipped, memory stays bounded. */
        size_t big = 10u << 20;
        char *s = xmalloc(big + 64);
        memcpy(s, "h|\n", 3);
        memset(s + 3, 'x', big);
        memcpy(s + 3 + big, "\nok|\n", 6);
        read_all(s, 1 << 16, PSV_MAX_LINE, &out);
        T_EQ_STR(out.s, "h|/#/ok|");
        free(s);
    }
    {
        /* Header mapping by name, in any order, with unknown extras. */
        const char *h = "Z|Code postal|X|Nom|";
        struct psv_field f[8];
        size_t nf = psv_split(h, strlen(h), f, 8);
        const char *names[] = {"Nom", "Code postal", "Absent"};
        int idx[3];
        T_EQ_INT(psv_map(f, psv_columns(f, nf), names, 3, idx), 2);
        T_EQ_INT(idx[0], 3);
        T_EQ_INT(idx[1], 1);
        T_EQ_INT(idx[2], -1);
    }
    static const struct {
        const char *name;
        int kind;
        const char *stamp;
    } names[] = {
        {"PS_LibreAcces_Personne_activite_202608261013.txt", KIND_ACTIVITY,
         "202608261013"},
        {"/x/PS_LibreAcces_SavoirFaire_202608261013.txt", KIND_SKILL,
         "202608261013"},
        {"PS_LibreAcces_Dipl_AutExerc_202001010000.txt", KIND_DIPLOMA,
         "202001010000"},
        {"Extraction_Correspondance_MSSante_202608260400.txt", KIND_MSSANTE,
         "202608260400"},
        {"PS_LibreAcces_202608261013.zip", -1, "202608261013"},
        {"rpps.txt", -1, ""},
        {"x_1234567890123.txt", -1, ""}, /* 13 digits: not a stamp */
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char st[16];
        T_EQ_INT(load_kind_of(names[i].name), names[i].kind);
        load_stamp_of(names[i].name, st);
        T_EQ_STR(st, names[i].stamp);
    }
    buf_release(&out);
    return t_done();
}
