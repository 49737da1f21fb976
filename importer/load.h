/* The database builder: reads the extracts (zip members or .txt files),
 * maps columns by header name, rejects bad lines, drops exact duplicates,
 * groups activity lines into one row per professional, and writes a complete
 * new SQLite database with its indexes and FTS5 table into a given path. It
 * does not download, lock or replace anything: main.c does that around it.
 * Parsing runs on its own thread while this one inserts. */
#ifndef LOAD_H
#define LOAD_H
#include <stddef.h>

#include "carry.h"

enum load_kind {
    KIND_ACTIVITY, /* PS_LibreAcces_Personne_activite_ */
    KIND_SKILL,    /* PS_LibreAcces_SavoirFaire_ */
    KIND_DIPLOMA,  /* PS_LibreAcces_Dipl_AutExerc_ */
    KIND_MSSANTE,  /* Extraction_Correspondance_MSSante_ */
    KIND_COUNT
};

/* The kind a file name says it is (by prefix, directories ignored), or -1. */
int load_kind_of(const char *name);
/* "activite", "savoirfaire", "diplome", "mssante". */
const char *load_kind_name(int kind);
/* The prefix a kind's file (or zip member) is named with. */
const char *load_kind_prefix(int kind);

/* The most sources one build takes (main.c refuses more, load_build()
 * too). Each source must hold at least one of the four extracts and no
 * extract may come twice, so a fifth always fails in load_build() with a
 * message that names the extract given twice; the cap leaves room for that
 * message and bounds the arrays of sources. */
#define LOAD_MAX_SOURCES 16

/* One local file to read: a zip (its members are found by prefix) or a .txt
 * (its kind from name). */
struct load_input {
    const char *path;   /* local file */
    const char *source; /* what the user gave (URL or path), for the record */
    const char *name;   /* file name the kind and stamp come from */
    const char *fingerprint; /* "name|size", stored as meta source:SOURCE
                                for --if-changed */
    /* What the caller learnt before the build (importer/source.c), NULL
     * when nothing: */
    const char *kind;   /* a text's extract, by its header line
                           (load_kind_name()); NULL: by its name */
    const char *stamp;  /* YYYYMMDDhhmm for when no name has one (the
                           download's Last-Modified) */
    const char *origin; /* "ans", "mirror", "given": where it came from */
};

struct load_opts {
    int progress; /* draw a progress line on stderr (a terminal) */
    /* The import fails when a file's rejected lines pass both 10 lines and
     * this fraction of its lines (default 0.001). */
    double max_reject_frac;
    const char *communes_tsv; /* commune reference to load, or NULL */
    const char *postcodes_tsv;
    struct carry_opts history; /* the step after the build (carry.h) */
};

struct load_stats {
    int present;
    size_t columns; /* in the header */
    unsigned long long lines, loaded, rejected, duplicates;
    char member[256];
    char stamp[16];
    const char *stamp_from; /* "name", "last-modified", or NULL: no stamp */
    const char *origin;     /* the input's (borrowed), or NULL */
};

struct load_result {
    struct load_stats kind[KIND_COUNT];
    unsigned long long professionals, activities, specialties, diplomas,
        mailboxes;
    struct carry_result history; /* what the history step did */
};

/* Builds a new database at db_path (which must not exist). 0 on success,
 * -1 on failure (logged); on failure db_path may hold a partial file for
 * the caller to remove. */
int load_build(const char *db_path, const struct load_input *in, size_t n,
               const struct load_opts *o, struct load_result *res);

/* The YYYYMMDDhhmm stamp in a file name, or "" (out must hold 13 bytes). */
void load_stamp_of(const char *name, char *out);
#endif
