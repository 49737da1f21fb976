/* The header deadline. See watch.h.
 *
 * Every connection is listed here, with the time it became ready for a
 * request (accepted, or its last answer sent) or 0 while a request of it
 * is being answered, and the watchdog shuts down the socket of one that
 * has been waiting for a whole request longer than the timeout; MHD then
 * reads its end and closes it as any other. The list is changed only by
 * MHD's connection notifications, and in 0.9.75 MHD calls the "closed"
 * one before it closes the socket (MHD_cleanup_connections() in daemon.c,
 * and the failure path of new_connection_process_()): removal takes the
 * lock the watchdog holds while it shuts a socket down, so a descriptor
 * number is never shut down after MHD has closed it (and the kernel may
 * have given the number to a new connection). */
#include "watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util.h"
#include "banned.h"

/* The watchdog sleeps until the earliest deadline of the connections
 * waiting for a request (a scan of at most --max-conns entries,
 * microseconds), and this much longer, so that the one it woke for is
 * past it. A deadline set while it sleeps is never earlier than the one
 * it waits for: it is now + the timeout, and the watchdog never sleeps
 * longer than that. (Waking every 250 ms instead cost an idle server 1.4%
 * of a CPU in this VM under load, for the wake-ups alone.) */
#define WATCH_SLACK_MS 10

struct watch_conn {
    int fd;
    int cut;                 /* shut down by the watchdog */
    _Atomic double ready_at; /* monotonic seconds; 0 while answering */
    struct watch_conn *prev, *next;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* watch_stop() */
    struct watch_conn *head;
    double header_timeout; /* seconds */
    pthread_t thread;
    int started, stopping;
    atomic_ulong cut; /* connections closed at the header deadline */
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct watch_conn *watch_add(int fd)
{
    struct watch_conn *w = xcalloc(1, sizeof(*w));
    w->fd = fd;
    atomic_store(&w->ready_at, now_s());
    pthread_mutex_lock(&watch.lock);
    w->next = watch.head;
    if (watch.head)
        watch.head->prev = w;
    watch.head = w;
    pthread_mutex_unlock(&watch.lock);
    return w;
}

void watch_remove(struct watch_conn *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&watch.lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        watch.head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&watch.lock);
    free(w);
}

void watch_busy(struct watch_conn *w)
{
    if (w)
        atomic_store(&w->ready_at, 0.0);
}

void watch_ready(struct watch_conn *w)
{
    if (w)
        atomic_store(&w->ready_at, now_s());
}

unsigned long watch_cut_count(void)
{
    return atomic_load(&watch.cut);
}

static void *watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watch.lock);
    while (!watch.stopping) {
        double now = now_s(), next = now + watch.header_timeout;
        for (struct watch_conn *r = watch.head; r; r = r->next) {
            double t = atomic_load(&r->ready_at);
            if (r->cut || t <= 0)
                continue;
            if (now - t <= watch.header_timeout) {
                if (t + watch.header_timeout < next)
                    next = t + watch.header_timeout;
                continue;
            }
            /* Both ways: MHD's next read sees the end and closes it. */
            if (shutdown(r->fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
                log_warn("http: shutdown: %s", strerror(errno));
            r->cut = 1;
            atomic_fetch_add(&watch.cut, 1);
        }
        /* watch.wake runs on CLOCK_MONOTONIC, now_s()'s clock. */
        next += WATCH_SLACK_MS / 1000.0;
        struct timespec ts = {(time_t)next,
                              (long)((next - (double)(time_t)next) * 1e9)};
        pthread_cond_timedwait(&watch.wake, &watch.lock, &ts);
    }
    pthread_mutex_unlock(&watch.lock);
    return NULL;
}

int watch_start(double header_timeout)
{
    watch.header_timeout = header_timeout;
    watch.stopping = 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&watch.wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&watch.thread, NULL, watchdog, NULL) != 0) {
        log_error("cannot start the connection watchdog");
        pthread_cond_destroy(&watch.wake);
        return -1;
    }
    watch.started = 1;
    return 0;
}

void watch_stop(void)
{
    if (!watch.started)
        return;
    pthread_mutex_lock(&watch.lock);
    watch.stopping = 1;
    pthread_cond_signal(&watch.wake);
    pthread_mutex_unlock(&watch.lock);
    pthread_join(watch.thread, NULL);
    pthread_cond_destroy(&watch.wake);
    watch.started = 0;
}
