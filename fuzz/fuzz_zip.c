/* libFuzzer target for importer/zipread.c over minizip: the input is a zip
 * file. zipread_open() takes a path (Debian's minizip has no memory ioapi),
 * so each input is written to one temporary file, on /dev/shm when there is
 * one. Every member is then opened and read to its end through the
 * pipe-separated reader, exactly as load.c reads an extract, and the members
 * are looked up by the real extract prefixes. Checks, beyond memory errors:
 * a member that reads to its end gave exactly its declared size (so a member
 * that inflates past its header, the zip bomb, is always an error). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "psv.h"
#include "util.h"
#include "zipread.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[256];

static void remove_tmp(void)
{
    if (path[0])
        unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof(path), "%s/fuzz_zip.%ld.zip", dir, (long)getpid());
    atexit(remove_tmp);
    /* zipread logs each corrupt input: quiet is what the fuzzer wants, and
     * run.sh also closes the target's stderr. */
    log_quiet(1);
    return 0;
}

/* Counts the inflated bytes as they go by. */
struct counting {
    struct zipread *z;
    unsigned long long got;
};

static ssize_t counting_read(void *ctx, char *buf, size_t n)
{
    struct counting *c = ctx;
    ssize_t r = zipread_read(c->z, buf, n);
    if (r > 0)
        c->got += (unsigned long long)r;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    (void)zipread_is_zip(path);
    struct zipread *z = zipread_open(path);
    if (!z)
        return 0;
    static const char *const prefixes[] = {
        "PS_LibreAcces_Personne_activite_", "PS_LibreAcces_SavoirFaire_",
        "PS_LibreAcces_Dipl_AutExerc_", "Extraction_Correspondance_MSSante_",
        ""};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
        int k = zipread_find(z, prefixes[i]);
        if (k >= (int)zipread_count(z))
            abort();
    }
    size_t count = zipread_count(z);
    for (size_t i = 0; i < count; i++) {
        if (!zipread_name(z, i))
            abort();
        if (zipread_open_member(z, i) < 0)
            continue;
        unsigned long long declared = zipread_member_size(z);
        struct counting c = {z, 0};
        struct psv_reader r;
        const char *line;
        size_t len;
        enum psv_status st;
        /* A small line cap so the over-long path is taken too. */
        psv_init(&r, (struct psv_src){counting_read, &c}, 512);
        while ((st = psv_next(&r, &line, &len)) == PSV_LINE ||
               st == PSV_TOO_LONG)
            ;
        psv_release(&r);
        if (st == PSV_EOF && c.got != declared)
            abort();
        if (c.got > declared)
            abort();
    }
    if (zipread_name(z, count) != NULL)
        abort();
    zipread_close(z);
    return 0;
}
