/* The builder's scratch files beside the database (load.c): DB.spill, the
 * parsed rows, and DB.fts, the full-text index built on the side. Their
 * names follow from the temporary database's, so a link planted at one of
 * them (a dangling one, or one to a file with content) must make the build
 * fail, never be written through: the victim keeps its bytes, a missing
 * victim is not created. The importer's other files (the lock, downloads)
 * are tested end to end by tests/e2e_faults.sh; these two have random names
 * there (mkstemp), hence load_build() called directly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "t.h"
#include "util.h"

static char dir[256], txt[512];

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static int build(const char *db)
{
    struct load_input in = {txt, txt, strrchr(txt, '/') + 1, NULL};
    struct load_opts o = {0};
    struct load_result res;
    int rc;
    o.max_reject_frac = 0.001;
    rc = load_build(db, &in, 1, &o, &res);
    unlink(db); /* load_build() leaves a failed build for its caller */
    return rc;
}

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = xcalloc(1, 4096);
    if (f) {
        size_t n = fread(s, 1, 4095, f);
        s[n] = '\0';
        fclose(f);
    }
    return s;
}

int main(void)
{
    static const struct {
        const char *suffix;
        int dangling; /* the link points to a file that does not exist */
    } cases[] = {
        {".spill", 0},
        {".spill", 1},
        {".fts", 0},
        {".fts", 1},
    };
    const char *b = getenv("BUILD") ? getenv("BUILD") : "build";
    char cmd[1024], db[512], link_path[600], victim[512];
    const char *content = "the victim's own bytes\n";

    log_quiet(1);
    snprintf(dir, sizeof(dir), "/tmp/rpps-tmpfiles-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(cmd, sizeof(cmd),
             "%s/rpps-gen --quiet --seed 7 --professionals 30 --txt "
             "--stamp 202611250300 --out %s/g",
             b, dir);
    T_EQ_INT(run(cmd), 0);
    snprintf(txt, sizeof(txt),
             "%s/g/PS_LibreAcces_Personne_activite_202611250300.txt", dir);
    snprintf(db, sizeof(db), "%s/x.db", dir);

    /* The control: nothing planted, the build works. */
    T_EQ_INT(build(db), 0);

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        FILE *f;
        char *now;
        snprintf(victim, sizeof(victim), "%s/victim-%zu", dir, i);
        snprintf(link_path, sizeof(link_path), "%s%s", db, cases[i].suffix);
        if (!cases[i].dangling) {
            f = fopen(victim, "w");
            T_CHECK(f != NULL);
            if (f) {
                fputs(content, f);
                fclose(f);
            }
        }
        T_EQ_INT(symlink(victim, link_path), 0);
        T_EQ_INT(build(db), -1);
        if (cases[i].dangling) {
            if (exists(victim))
                fprintf(stderr, "case %zu (%s): the victim was created\n", i,
                        cases[i].suffix);
            T_CHECK(!exists(victim));
        } else {
            now = slurp(victim);
            if (strcmp(now, content) != 0)
                fprintf(stderr,
                        "case %zu (%s): the victim now holds %zu "
                        "bytes\n",
                        i, cases[i].suffix, strlen(now));
            T_EQ_STR(now, content);
            free(now);
        }
        unlink(link_path);
        unlink(victim);
    }

    /* And the control again: the failures left nothing in the way. */
    T_EQ_INT(build(db), 0);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    run(cmd);
    return t_done();
}
