/* The batch queue: see queue.h. */
#include "queue.h"

#include <string.h>

#include "banned.h"

void queue_init(struct queue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

void queue_destroy(struct queue *q)
{
    while (q->head) {
        struct batch *b = q->head;
        q->head = b->next;
        batch_free(b);
    }
    while (q->free) {
        struct batch *b = q->free;
        q->free = b->next;
        batch_free(b);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

struct batch *queue_get_free(struct queue *q)
{
    struct batch *b;
    pthread_mutex_lock(&q->mu);
    b = q->free;
    if (b)
        q->free = b->next;
    pthread_mutex_unlock(&q->mu);
    if (!b)
        b = batch_new();
    batch_clear(b);
    return b;
}

int queue_push(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->mu);
    while (q->n >= QUEUE_MAX && q->done >= 0)
        pthread_cond_wait(&q->cv, &q->mu);
    if (q->done < 0) {
        pthread_mutex_unlock(&q->mu);
        batch_free(b);
        return -1;
    }
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->n++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void queue_finish(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->done == 0)
        q->done = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

struct batch *queue_pop(struct queue *q)
{
    struct batch *b;
    pthread_mutex_lock(&q->mu);
    while (!q->head && q->done == 0)
        pthread_cond_wait(&q->cv, &q->mu);
    b = q->head;
    if (b) {
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void queue_recycle(struct queue *q, struct batch *b)
{
    pthread_mutex_lock(&q->mu);
    b->next = q->free;
    q->free = b;
    pthread_mutex_unlock(&q->mu);
}

void queue_abort(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->done = -1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void queue_finish_with(struct queue *q, struct batch *last, int failed)
{
    if (last) {
        if (last->nrows && !failed)
            queue_push(q, last);
        else
            batch_free(last);
    }
    queue_finish(q);
}
