/* An LD_PRELOAD shim for tests/e2e_stress.sh: it makes the race between the
 * importer's two connections to the new database (check_db(): the FTS5
 * check on the build connection, PRAGMA quick_check on a second one) go
 * the bad way every time, instead of about once in a thousand imports of a
 * small file on a loaded machine. It changes no result, only timing, in
 * the two places a loaded machine can stretch:
 * - a thread that has just taken an EXCLUSIVE lock (a commit: even the
 *   FTS5 check's INSERT, which writes nothing, takes it) is held for
 *   LOCKDELAY_HOLD_US once SQLite has let go of the file's mutex, as if it
 *   were preempted there; SQLite tells any other connection of the process
 *   that asks for SHARED meanwhile SQLITE_BUSY, at once, unless it has a
 *   busy timeout;
 * - a thread other than the main one waits LOCKDELAY_READER_US after its
 *   first open(), as if slow to be scheduled: the quick_check thread then
 *   runs its first statement while the main thread's commit holds the lock.
 * Numbers: on a 23-line import the main thread takes that lock about 2 ms
 * after starting the quick_check thread; 50 ms puts the reader well inside
 * a 200 ms hold even on a loaded machine. Each EXCLUSIVE lock of an import
 * (about six) costs the hold once. With LOCKDELAY_REPORT set in the
 * environment it prints at exit how often it held and waited, so that a
 * test can tell it was loaded and did its work. Not part of the programs;
 * built without sanitizers (it only forwards calls). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* SQLite's lock bytes (os.h): PENDING_BYTE, then RESERVED_BYTE, then the
 * SHARED_SIZE (510) bytes whose write lock is EXCLUSIVE. */
#define LOCKDELAY_SHARED_FIRST (0x40000000 + 2)
#define LOCKDELAY_SHARED_SIZE 510
#define LOCKDELAY_HOLD_US 200000
#define LOCKDELAY_READER_US 50000

int fcntl64(int fd, int cmd, ...);
int open64(const char *path, int flags, ...);
int pthread_mutex_unlock(pthread_mutex_t *m);

static __thread int took_exclusive, opened;
static atomic_int holds, waits;

__attribute__((destructor)) static void report(void)
{
    if (getenv("LOCKDELAY_REPORT"))
        fprintf(stderr, "lockdelay: %d holds, %d reader waits\n",
                atomic_load(&holds), atomic_load(&waits));
}

static void pause_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

int fcntl64(int fd, int cmd, ...)
{
    static int (*real)(int, int, ...);
    va_list ap;
    void *arg;
    int rc;
    va_start(ap, cmd);
    /* Every fcntl argument is an int or a pointer, passed in one 64-bit
     * register on the ABIs this test runs on. */
    arg = va_arg(ap, void *);
    va_end(ap);
    if (!real)
        real = (int (*)(int, int, ...))next("fcntl64");
    rc = real(fd, cmd, arg);
    if (cmd == F_SETLK && rc == 0) {
        const struct flock *fl = arg;
        if (fl->l_type == F_WRLCK && fl->l_start == LOCKDELAY_SHARED_FIRST &&
            fl->l_len == LOCKDELAY_SHARED_SIZE)
            took_exclusive = 1;
    }
    return rc;
}

/* SQLite's unixLock() leaves the file's mutex right after taking the
 * lock: the hold starts there. */
int pthread_mutex_unlock(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    int rc;
    if (!real)
        real = (int (*)(pthread_mutex_t *))next("pthread_mutex_unlock");
    rc = real(m);
    if (took_exclusive) {
        took_exclusive = 0;
        atomic_fetch_add(&holds, 1);
        pause_us(LOCKDELAY_HOLD_US);
    }
    return rc;
}

int open64(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    va_list ap;
    mode_t mode;
    int fd;
    va_start(ap, flags);
    mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (!real)
        real = (int (*)(const char *, int, ...))next("open64");
    fd = real(path, flags, mode);
    if (fd >= 0 && !opened && gettid() != getpid()) {
        opened = 1;
        atomic_fetch_add(&waits, 1);
        pause_us(LOCKDELAY_READER_US);
    }
    return fd;
}
