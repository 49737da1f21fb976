/* The state of one database build (load_build() in load.c), shared by the
 * modules that do its steps: parse.c reads a file on its own thread,
 * rows.c turns each line into rows, write.c writes the professionals and
 * their rows in pid order. Private to the importer's builder: main.c sees
 * only load.h.
 *
 * Who owns what, and when each part is written:
 *   - load_build() owns the struct and everything in it, frees it at the
 *     end, and owns the spill and the database connection it points to;
 *   - the accumulated parts (arena, strs, codes, persons) are filled by the
 *     parse thread, one file after another, then read by the replay thread
 *     and the full-text thread: never two threads at once;
 *   - the current file's part (kind to addrs) is set by parse_file() before
 *     its thread starts; while it runs, only that thread touches rd, st,
 *     seen and addrs, and the main thread looks at them again after the
 *     join;
 *   - q is the queue of the phase running (parse_file() or write_rows()
 *     makes it and destroys it); thread_failed is written by that phase's
 *     producer thread and read after its join;
 *   - the progress figures are written by the parse thread and read by the
 *     main thread, atomically. */
#ifndef BUILD_H
#define BUILD_H
#include <stdatomic.h>
#include <stddef.h>

#include "arena.h"
#include "codes.h"
#include "columns.h"
#include "htab.h"
#include "load.h"
#include "persons.h"
#include "psv.h"
#include "queue.h"
#include "spill.h"
#include "strset.h"
#include "structures.h"

/* The most columns an extract has: the size of the header map. */
#define BUILD_MAX_COLS ((int)COLUMNS_ACTIVITE_N)
_Static_assert((int)COLUMNS_SAVOIRFAIRE_N <= BUILD_MAX_COLS &&
                   (int)COLUMNS_DIPLOME_N <= BUILD_MAX_COLS &&
                   (int)COLUMNS_MSSANTE_N <= BUILD_MAX_COLS,
               "BUILD_MAX_COLS: the longest extract's");

struct build {
    const struct load_opts *opts;

    /* What the files add up to. */
    struct arena arena;        /* strings and professionals */
    struct strset strs;        /* interned codes (civility, profession...) */
    struct codes codes;        /* the code lists */
    struct persons persons;    /* the professionals */
    struct spill *sp;          /* the parsed rows, until the replay */
    struct structures structs; /* the replay thread's, then the main's */
    /* The communes by postal code and name, to place lines without a
     * commune code (NULL: no commune table). Read-only once loaded. */
    struct places_towns *towns;

    /* The file being read. */
    int kind; /* enum load_kind */
    const char *file;
    struct psv_reader rd;
    struct load_stats *st;
    int idx[BUILD_MAX_COLS]; /* the field of each column id, or -1 */
    size_t ncols;            /* columns in the header */
    int trailing;            /* the header ends with '|' */
    struct htab seen;        /* line hashes of the file (rows_seen()) */
    struct htab addrs;       /* its mailbox addresses' hashes */

    struct queue q;
    int thread_failed;

    /* Progress. The reader's bytes and lines, which the parse thread alone
     * writes, copied here for load_progress() on the main thread at each
     * batch it hands over and at its end. Relaxed is enough: they are
     * figures to display, no other data is read through them, and a stale
     * one is replaced a batch later (plain loads and stores on x86-64). */
    unsigned long long total_bytes;
    atomic_ullong shown_bytes, shown_lines;
    double t0;
};

/* Draws the progress line of step on a terminal (when asked for, at most
 * four times a second unless final). Main thread only. */
void load_progress(struct build *b, const char *step, int final);
#endif
