/* rpps-gen: writes synthetic extracts in the exact format of the RPPS
 * "Annuaire Santé" open files (docs/format.md): the PS_LibreAcces zip of
 * three text files and the MSSanté zip of one, plus, on request, a truth file
 * of search cases whose answers it planted. Everything derives from --seed:
 * each professional and each structure is rebuilt from its own PRNG stream on
 * every pass, so each file is streamed in bounded memory and the same seed and
 * options give the same bytes. It imitates the real files' shapes and rough
 * proportions, not their statistics.
 *
 * This file holds the command line and the order of the files; the model is
 * gen.h's (towns, tables, names, structures, people, planted cases), the
 * files' lines extract.h's, the files themselves sink.h's. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "day.h"
#include "extract.h"
#include "gen.h"
#include "plant.h"
#include "sink.h"

#include "banned.h"

static void usage(FILE *f)
{
    fputs(
        "usage: rpps-gen [options]\n"
        "Writes synthetic RPPS and MSSante extracts in the exact format of\n"
        "the real ones (docs/format.md):\n"
        "  DIR/PS_LibreAcces_<stamp>.zip holding\n"
        "    PS_LibreAcces_Personne_activite_<stamp>.txt,\n"
        "    PS_LibreAcces_Dipl_AutExerc_<stamp>.txt,\n"
        "    PS_LibreAcces_SavoirFaire_<stamp>.txt\n"
        "  DIR/Extraction_Correspondance_MSSante_<stamp>.zip holding\n"
        "    Extraction_Correspondance_MSSante_<stamp>.txt\n"
        "The same seed and options always give the same bytes. The towns'\n"
        "names and postal codes come from the bundled communes.tsv, found as\n"
        "rpps-import finds it ($RPPS_DATADIR, else data/ beside the binary's\n"
        "tree).\n"
        "\n"
        "  -s, --seed N            PRNG seed (default 1)\n"
        "  -n, --professionals N   number of professionals (default 2000;\n"
        "                          full scale is 1900000), plus 189 planted\n"
        "                          after them when N >= 1000; about 1.27 N\n"
        "                          activity lines, 0.51 N diplomas, 0.23 N\n"
        "                          savoir-faire, 0.28 N mailboxes\n"
        "  -l, --layout 52|56      Personne_activite columns (default 56;\n"
        "                          52 is the older layout)\n"
        "  -t, --stamp STAMP       YYYYMMDDhhmm in the names and zip dates\n"
        "                          (default 202608261013)\n"
        "  -o, --out DIR           output directory (default .; created)\n"
        "      --txt               also write the four .txt files plainly\n"
        "      --no-zip            write only the .txt files (implies --txt)\n"
        "      --mss-trailing-pipe end MSSante lines with '|' as well\n"
        "      --truth FILE        write the planted search cases as TSV:\n"
        "                          query<TAB>national ids (comma-separated)\n"
        "                          <TAB>kind[<TAB>more URL parameters, such\n"
        "                          as near=90000&radius_km=20]; needs\n"
        "                          N >= 1000\n"
        "      --next-day          the same directory a day later: a few\n"
        "                          professionals gone, new, renamed, moved,\n"
        "                          mailboxes gone, new or given to another\n"
        "                          (give the next day's --stamp too)\n"
        "      --diff-truth FILE   write what changed from the first day to\n"
        "                          the next as TSV: kind<TAB>change<TAB>id\n"
        "                          <TAB>changed fields (what rpps-import's\n"
        "                          history must report)\n"
        "  -q, --quiet             no summary on stderr\n"
        "  -h, --help              this help\n",
        f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The N cap keeps ADELI numbers (7 digits after the department) unique. */
#define MAX_PROFESSIONALS 9000000u

/* What the command line asks beyond the model's options. */
struct run {
    struct sink_opts o;
    const char *truth, *diff_truth;
    int quiet;
};

/* Parses the options into g and run. Returns -1 to go on, else the exit
 * status (0 after --help, 2 for a usage error, reported). */
static int parse_options(int argc, char **argv, struct gen *g, struct run *run)
{
    enum {
        OPT_TXT = 256,
        OPT_NOZIP,
        OPT_PIPE,
        OPT_TRUTH,
        OPT_NEXT_DAY,
        OPT_DIFF_TRUTH
    };
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},
        {"professionals", required_argument, NULL, 'n'},
        {"layout", required_argument, NULL, 'l'},
        {"stamp", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"txt", no_argument, NULL, OPT_TXT},
        {"no-zip", no_argument, NULL, OPT_NOZIP},
        {"mss-trailing-pipe", no_argument, NULL, OPT_PIPE},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"next-day", no_argument, NULL, OPT_NEXT_DAY},
        {"diff-truth", required_argument, NULL, OPT_DIFF_TRUTH},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    while ((c = getopt_long(argc, argv, "s:n:l:t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &g->seed) < 0) {
                log_error("--seed: not a number: %s", optarg);
                return 2;
            }
            break;
        case 'n':
            if (parse_u64(optarg, MAX_PROFESSIONALS, &v) < 0 || v == 0) {
                log_error("--professionals: 1 to %u, not %s", MAX_PROFESSIONALS,
                          optarg);
                return 2;
            }
            g->n = (uint32_t)v;
            break;
        case 'l':
            if (strcmp(optarg, "52") == 0)
                g->layout = ACT_COLS_OLD;
            else if (strcmp(optarg, "56") == 0)
                g->layout = ACT_COLS;
            else {
                log_error("--layout: 52 or 56, not %s", optarg);
                return 2;
            }
            break;
        case 't':
            if (sink_set_stamp(&run->o, optarg) < 0) {
                log_error("--stamp: YYYYMMDDhhmm, not %s", optarg);
                return 2;
            }
            break;
        case 'o':
            run->o.dir = optarg;
            break;
        case OPT_TXT:
            run->o.txt = 1;
            break;
        case OPT_NOZIP:
            run->o.zip = 0;
            run->o.txt = 1;
            break;
        case OPT_PIPE:
            g->mss_pipe = 1;
            break;
        case OPT_TRUTH:
            run->truth = optarg;
            break;
        case OPT_NEXT_DAY:
            g->next_day = 1;
            break;
        case OPT_DIFF_TRUTH:
            run->diff_truth = optarg;
            break;
        case 'q':
            run->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        log_error("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (run->truth && g->n < PLANT_MIN) {
        log_error("--truth needs --professionals %d or more", PLANT_MIN);
        return 2;
    }
    return -1;
}

/* Writes the two zip files (or their text files); returns the bytes of
 * text written. */
static uint64_t write_files(struct gen *g, const struct sink_opts *o)
{
    struct sink_zip z;
    struct sink s;
    uint64_t bytes = 0;
    sink_zip_open(&z, o, "PS_LibreAcces");
    sink_open(&s, o, &z, "PS_LibreAcces_Personne_activite");
    extract_activity(g, &s);
    bytes += sink_close(&s);
    sink_open(&s, o, &z, "PS_LibreAcces_Dipl_AutExerc");
    extract_diplomas(g, &s);
    bytes += sink_close(&s);
    sink_open(&s, o, &z, "PS_LibreAcces_SavoirFaire");
    extract_savoirfaire(g, &s);
    bytes += sink_close(&s);
    sink_zip_close(&z);
    sink_zip_open(&z, o, "Extraction_Correspondance_MSSante");
    sink_open(&s, o, &z, "Extraction_Correspondance_MSSante");
    extract_mss(g, &s);
    bytes += sink_close(&s);
    sink_zip_close(&z);
    return bytes;
}

int main(int argc, char **argv)
{
    struct gen g = {0};
    struct run run = {0};
    g.seed = 1;
    g.n = 2000;
    g.layout = ACT_COLS;
    run.o.dir = ".";
    run.o.zip = 1;
    sink_set_stamp(&run.o, "202608261013");
    log_set_prog("rpps-gen");
    int rc = parse_options(argc, argv, &g, &run);
    if (rc >= 0)
        return rc;
    log_quiet(run.quiet);
    if (mkdir(run.o.dir, 0777) != 0 && errno != EEXIST) {
        log_error("%s: %s", run.o.dir, strerror(errno));
        return 1;
    }

    double t0 = now_s();
    if (gen_init(&g) < 0)
        return 1;
    /* Members are zip64 only when one might pass 4 GiB (lines are under
     * 500 bytes, 1.3 lines a professional): readers without zip64 still
     * read the usual sizes. */
    run.o.zip64 = (uint64_t)g.n * 13 / 10 * 500 > 0xF0000000ULL;
    uint64_t bytes = write_files(&g, &run.o);
    if (run.truth)
        plant_write_truth(&g, run.truth);
    if (run.diff_truth && day_write_truth(&g, run.diff_truth) < 0)
        return 1;

    log_info("%u professionals (%zu planted, %zu truth cases): %llu "
             "activity lines (%llu duplicated, %llu without structure), "
             "%llu diplomas, %llu savoir-faire, %llu mailboxes (%llu PER, "
             "%llu ORG); %.1f MB of text in %.1f s",
             g.ntot, g.npl, g.ntc, (unsigned long long)g.n_act,
             (unsigned long long)g.n_dup, (unsigned long long)g.n_empty,
             (unsigned long long)g.n_dipl, (unsigned long long)g.n_sf,
             (unsigned long long)(g.n_per + g.n_org),
             (unsigned long long)g.n_per, (unsigned long long)g.n_org,
             (double)bytes / 1e6, now_s() - t0);
    gen_release(&g);
    return 0;
}
