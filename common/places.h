/* Places: the commune reference table (data/communes.tsv, data/postcodes.tsv,
 * built by tools/build-communes.sh) loaded into SQLite or read line by line,
 * the one name folding that both the index and the queries use for commune
 * names, the departments (codes, names, postal codes), and great-circle
 * distance. It does not rank or parse queries; the server decides what a
 * query word is (postal code, INSEE code, department, name).
 *
 * Tables created by places_load_tsv():
 *   commune(insee PK, name, name_fold, dept, lat, lon, precision,
 *           parent_insee)                       one row per commune and per
 *       arrondissement municipal (75111 -> parent_insee 75056); precision is
 *       'commune' (own coordinates), 'postcode' (mean of the communes sharing
 *       its postal code) or 'dept' (mean of its department).
 *   commune_postcode(postcode, insee)  PK (postcode, insee)
 *   postcode_label(postcode, insee, label, label_fold)   only with a
 *       postcodes file: La Poste's routing label ("BOURG-EN-BRESSE") per
 *       postal code and commune, folded with places_fold_name(), indexed.
 *       There are no CEDEX codes in it: resolve "01012 BOURG EN BRESSE
 *       CEDEX" by places_dept_of_postcode() and the label without its
 *       "CEDEX nn" suffix, folded, against label_fold or commune.name_fold
 *       of that department. */
#ifndef PLACES_H
#define PLACES_H
#include <stddef.h>

#include <sqlite3.h>

/* Bytes places_fold_name() may need for an input of n bytes: fold() never
 * grows the text, and each "st"/"ste" word (at least 3 bytes with its
 * separator) grows by 3. */
#define PLACES_FOLD_SIZE(n) (2 * (n) + 2)

/* fold() (lower case, no accents, hyphens and apostrophes as spaces), then
 * the whole words "st" and "ste" become "saint" and "sainte": "St-Étienne",
 * "ST ETIENNE" and "Saint-Étienne" all give "saint etienne". out must hold
 * PLACES_FOLD_SIZE(n) bytes; it is NUL-terminated. Returns the length. */
size_t places_fold_name(const char *s, size_t n, char *out);

/* One line of a communes file (data/communes.tsv's columns), checked. The
 * strings are NUL-terminated and borrowed: valid until the callback that
 * receives them returns. */
struct places_commune {
    const char *insee, *name, *dept; /* never empty */
    const char *postcodes;           /* comma-separated, or empty */
    double lat, lon;                 /* degrees; NAN when the file has none */
    const char *precision, *parent_insee; /* may be empty */
    const char *path;                     /* the file and line, for messages */
    long lineno;
};

/* Reads communes_tsv, rejecting it as places_load_tsv() does, and calls
 * fn(ctx, c) for each commune in the file's order; fn returns 0 to go on,
 * or -1 to stop, having logged why. Returns 0, or -1 after logging. For
 * the programs that want the communes without a database (rpps-gen). */
int places_read_communes(const char *communes_tsv,
                         int (*fn)(void *ctx, const struct places_commune *c),
                         void *ctx);

/* Creates the tables above in db (IF NOT EXISTS) and fills them from the
 * TSV files; postcodes_tsv may be NULL. Runs in the caller's transaction if
 * one is open (the importer's build transaction), else in its own. Rejects
 * the whole file on a wrong header, a wrong field count, invalid UTF-8, a
 * bad coordinate or a line longer than 4 KiB. Returns 0, or -1 after logging
 * the error. */
int places_load_tsv(sqlite3 *db, const char *communes_tsv,
                    const char *postcodes_tsv);

/* The departments of addresses: one rule for the importer (the department
 * of an activity whose line gives none) and the server (that of a postal
 * code a query names), docs/format.md §5.4. A department is a French
 * département or overseas collectivity: 01-95 (not 20), 2A, 2B, 971-978,
 * 984, 986-989; Monaco (La Poste's 980xx) and INSEE's 99xxx (abroad) are
 * none.
 *
 * The department of a postal code ("01012" -> "01", "20000" -> "2A",
 * "20200" -> "2B", "97400" -> "974", "97133" -> "977" Saint-Barthélemy,
 * "97150" -> "978" Saint-Martin, "98799" -> "989" Clipperton), written
 * NUL-terminated into out (4 bytes). A few postal codes serve communes
 * across a border; the commune's own dept wins where it is known. Returns
 * 0, or -1 if pc is not 5 digits or names no department. */
int places_dept_of_postcode(const char *pc, size_t n, char out[4]);
/* A postal code or its first digits, as a query gives it: 1 to 5 digits.
 * Writes into hi the exclusive upper bound of the codes it begins ("750"
 * -> "751", ':' following '9'), or "" for a whole code. Returns 0, or -1
 * if v is not 1 to 5 digits. */
int places_postcode_range(const char *v, char hi[6]);
/* The department of an INSEE commune code ("2A004" -> "2A", "75111" ->
 * "75", "97411" -> "974", "97701" -> "977"), into out as above. 0, or -1
 * if it is not a commune code of a department. */
int places_dept_of_insee(const char *insee, size_t n, char out[4]);
/* The department of an address: its commune code's (insee[0..in)), else its
 * postal code's (pc[0..pn)); either may be NULL. Into out as above;
 * returns its length, 0 (out "") when neither gives one. */
size_t places_dept_of(const char *insee, size_t in, const char *pc, size_t pn,
                      char out[4]);

/* The department whose name is fold[0..n) (folded as fold() does: "corse
 * du sud", "cote d or", "la reunion" or "reunion", "seine saint denis"):
 * its code ("2A", "21", "974") written NUL-terminated into out (4 bytes).
 * Returns 0, or -1 if no department has that name. */
int places_dept_by_name(const char *fold, size_t n, char out[4]);

/* The name of the department code ("2A", "974") as INSEE writes it
 * ("Corse-du-Sud", "La Réunion"), or NULL if there is no such department.
 * Static. */
const char *places_dept_label(const char *code);

/* 1 if some department's name goes on after fold[0..n) with a space
 * ("corse", "seine saint"): a reader of words should try one more. */
int places_dept_name_continues(const char *fold, size_t n);

/* Placing an address that gives no commune code (the importer's lines
 * with only a postal code and a bureau, "13012 MARSEILLE"): the communes
 * of data/communes.tsv by postal code and by folded name, in memory.
 * Immutable once loaded: any thread may read it. */
struct places_towns;

/* Reads communes_tsv (as places_read_communes()). NULL after logging. */
struct places_towns *places_towns_load(const char *communes_tsv);
void places_towns_free(struct places_towns *t);

struct places_town {
    const char *insee; /* "13212" */
    const char *name;  /* "Marseille 12e Arrondissement" */
};

/* The one commune that the postal code pc[0..pn) and the town
 * town[0..tn) (places_fold_name()d, less any CEDEX mention; tn 0 for
 * none) name, or NULL (borrowed from t). A code the table lists: its
 * communes (an arrondissement before its city: "13012 MARSEILLE" is
 * Marseille 12e Arrondissement), the one the town names by its own or
 * its city's name, else the code's only commune. A code it does not list
 * (CEDEX): the one commune of that name in the code's department
 * (places_dept_of()), "13258 MARSEILLE CEDEX 20" being Marseille. */
const struct places_town *places_town_of(const struct places_towns *t,
                                         const char *pc, size_t pn,
                                         const char *town, size_t tn);

/* Great-circle distance in kilometres (haversine, mean Earth radius
 * 6371.0088 km); within 0.5 % of the ellipsoid, enough to sort by. */
double places_distance_km(double lat1, double lon1, double lat2, double lon2);
#endif
