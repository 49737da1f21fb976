/* Where the extracts come from, and what a file is before anything is built
 * from it. The addresses they are published at: ANS's service (two zips)
 * and the data.gouv.fr mirror (four plain texts, names without the
 * extract's date, docs/format.md §1); where a file came from ("ans",
 * "mirror", or "given" on the command line). And the check of a downloaded
 * or given file: a zip holding extract members, or one extract's text,
 * each recognised by its header line, not only by its name; an HTML page
 * served with status 200, a zip without its directory, a text cut short in
 * its last line, a header no extract has, or a downloaded zip whose data
 * does not match its CRC, is refused with a clear message. It reads files; it
 * neither downloads (fetch.c) nor builds (load.c). */
#ifndef SOURCE_H
#define SOURCE_H
#include <stddef.h>

enum source_origin { SOURCE_GIVEN, SOURCE_ANS, SOURCE_MIRROR };
/* "given", "ans", "mirror": the names the summary line, the extract table
 * and /v1/status use. */
const char *source_origin_name(int origin);

/* The default addresses: ANS's two zips, and the mirror's four texts (the
 * activity, skills, diplomas and MSSanté files). */
#define SOURCE_ANS_N 2
#define SOURCE_MIRROR_N 4
extern const char *const source_ans_urls[SOURCE_ANS_N];
extern const char *const source_mirror_urls[SOURCE_MIRROR_N];

struct source_file {
    int zip;  /* 1: a zip, its members found by prefix and checked */
    int kind; /* a text's extract (enum load_kind), from its header; -1 for
                 a zip */
};

/* What the file at path is (name: its file name, which may say a kind too;
 * shown: how messages name it). Reads the first bytes, the header line
 * (each zip member's), and the end of a text; with whole, a zip's extract
 * members are also inflated to their end (their CRC checked: about 4 s of
 * CPU for ANS's 210 MB zip, done for a download, where it decides between
 * ANS and the mirror before anything is built, not for a file given on
 * the command line, whose damage the build finds all the same). 0, or -1
 * (logged) when it is not a whole extract: an HTML page, an empty file, a
 * zip that does not open or holds no extract, a header no extract has or
 * that lacks a required column, a header that says another extract than
 * the file's name, a text whose last line, without its newline, is short
 * of fields (a download cut off), or (whole) a member whose data is
 * corrupt or whose CRC is wrong. */
int source_check(const char *path, const char *name, const char *shown,
                 int whole, struct source_file *out);

/* The extract a header line (its fields) is, or -1: of the extracts whose
 * columns it has, the one it has the most columns of, the shorter list on
 * a tie (the SavoirFaire columns are all in the activity header too). A
 * required column of that extract that the header lacks is named in
 * *missing (NULL when none). */
struct psv_field;
int source_kind_of_header(const struct psv_field *h, size_t ncols,
                          const char **missing);
#endif
