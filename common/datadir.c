/* Finding the bundled data files: see datadir.h. */
#include "datadir.h"

#include <libgen.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

/* The directory holding the running binary, to find bundled data in the
 * source tree (build/../data) or an installed tree (bin/../share). */
static char *exe_dir(void)
{
    char p[4096];
    ssize_t n = readlink("/proc/self/exe", p, sizeof(p) - 1);
    if (n <= 0)
        return xstrdup(".");
    p[n] = '\0';
    return xstrdup(dirname(p));
}

char *datadir_find(const char *name)
{
    const char *env = getenv("RPPS_DATADIR");
    char *dir = exe_dir();
    const char *cands[] = {
        env,
        "/../data",
        "/../share/rpps-search",
#ifdef RPPS_DATADIR
        RPPS_DATADIR,
#endif
    };
    char *found = NULL;
    for (size_t i = 0; i < sizeof(cands) / sizeof(*cands) && !found; i++) {
        struct buf b;
        if (!cands[i])
            continue;
        buf_init(&b, 8192);
        if (cands[i][0] == '/' && i > 0 && i < 3)
            buf_addf(&b, "%s%s/%s", dir, cands[i], name);
        else
            buf_addf(&b, "%s/%s", cands[i], name);
        if (b.len && access(b.s, R_OK) == 0)
            found = xstrdup(b.s);
        buf_release(&b);
    }
    free(dir);
    return found;
}
