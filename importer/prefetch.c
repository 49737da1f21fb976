/* Read-ahead thread for a byte source. See prefetch.h. */
#include "prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

/* 1 MiB chunks, 8 in flight: enough to ride out the parse thread's
 * hiccups, small enough to stay out of the memory budget. */
#define PREFETCH_CHUNK (1u << 20)
#define PREFETCH_CHUNKS 8

struct chunk {
    char *p;
    ssize_t n; /* bytes, 0 at the end, -1 on error */
};

struct prefetch {
    struct psv_src inner;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct chunk ring[PREFETCH_CHUNKS];
    size_t head, count; /* next to consume, chunks filled */
    size_t off;         /* bytes of ring[head] already consumed */
    int stop, ended;
};

static void *prefetch_thread(void *arg)
{
    struct prefetch *pf = arg;
    for (;;) {
        size_t slot;
        pthread_mutex_lock(&pf->mu);
        while (pf->count == PREFETCH_CHUNKS && !pf->stop)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop) {
            pthread_mutex_unlock(&pf->mu);
            return NULL;
        }
        slot = (pf->head + pf->count) % PREFETCH_CHUNKS;
        pthread_mutex_unlock(&pf->mu);

        /* Fill the slot outside the lock: only this thread writes it. */
        struct chunk *c = &pf->ring[slot];
        size_t got = 0;
        ssize_t r = 0;
        while (got < PREFETCH_CHUNK) {
            r = pf->inner.read(pf->inner.ctx, c->p + got, PREFETCH_CHUNK - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        c->n = got ? (ssize_t)got : r;

        pthread_mutex_lock(&pf->mu);
        pf->count++;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        if (got == 0 || r <= 0) {
            if (got > 0) {
                /* Data then the end (or an error): queue that too. */
                continue;
            }
            return NULL;
        }
    }
}

static ssize_t prefetch_read(void *ctx, char *buf, size_t n)
{
    struct prefetch *pf = ctx;
    struct chunk *c;
    pthread_mutex_lock(&pf->mu);
    while (pf->count == 0)
        pthread_cond_wait(&pf->cv, &pf->mu);
    c = &pf->ring[pf->head];
    pthread_mutex_unlock(&pf->mu);
    if (c->n <= 0)
        return c->n; /* the end or an error: stays so */
    size_t left = (size_t)c->n - pf->off;
    if (n > left)
        n = left;
    memcpy(buf, c->p + pf->off, n);
    pf->off += n;
    if (pf->off == (size_t)c->n) {
        pthread_mutex_lock(&pf->mu);
        pf->head = (pf->head + 1) % PREFETCH_CHUNKS;
        pf->count--;
        pf->off = 0;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
    }
    return (ssize_t)n;
}

struct prefetch *prefetch_start(struct psv_src inner)
{
    struct prefetch *pf = xcalloc(1, sizeof(*pf));
    pf->inner = inner;
    for (int i = 0; i < PREFETCH_CHUNKS; i++)
        pf->ring[i].p = xmalloc(PREFETCH_CHUNK);
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (pthread_create(&pf->th, NULL, prefetch_thread, pf) != 0) {
        log_error("pthread_create failed");
        for (int i = 0; i < PREFETCH_CHUNKS; i++)
            free(pf->ring[i].p);
        pthread_mutex_destroy(&pf->mu);
        pthread_cond_destroy(&pf->cv);
        free(pf);
        return NULL;
    }
    return pf;
}

struct psv_src prefetch_src(struct prefetch *pf)
{
    return (struct psv_src){prefetch_read, pf};
}

void prefetch_stop(struct prefetch *pf)
{
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->th, NULL);
    for (int i = 0; i < PREFETCH_CHUNKS; i++)
        free(pf->ring[i].p);
    pthread_mutex_destroy(&pf->mu);
    pthread_cond_destroy(&pf->cv);
    free(pf);
}
