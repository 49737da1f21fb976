/* Batches handed from one producer thread to one consumer thread, in
 * order, at most QUEUE_MAX waiting: the parse thread hands its rows to the
 * spill, the replay thread to the inserter. Emptied batches go back to the
 * producer (recycled, so a phase allocates QUEUE_MAX + 2 batches at most).
 * Either side can stop the other: the producer by finishing, the consumer
 * by aborting (an insert failed), which makes the producer's next push
 * fail. The queue owns the batches queued or recycled; a batch popped is
 * the consumer's until it recycles it, one got free the producer's until
 * it pushes it. */
#ifndef QUEUE_H
#define QUEUE_H
#include <pthread.h>

#include "batch.h"

/* Four batches in flight: enough to absorb the two threads' jitter, and
 * they bound the memory (a batch is about 1.7 MiB). */
#define QUEUE_MAX 4

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *head, *tail, *free;
    int n;
    int done; /* 1: the producer finished; -1: the consumer gave up */
};

void queue_init(struct queue *q);
/* Frees every batch left in the queue; the threads must be done. */
void queue_destroy(struct queue *q);

/* Producer: a fresh or recycled empty batch. */
struct batch *queue_get_free(struct queue *q);
/* Producer: hands a full batch over, waiting while QUEUE_MAX are queued.
 * Returns -1 (the batch freed) if the consumer has given up. */
int queue_push(struct queue *q, struct batch *b);
/* Producer: no more batches. */
void queue_finish(struct queue *q);
/* Producer: hands last over if it holds rows and the phase has not
 * failed (else frees it; last may be NULL), then finishes. */
void queue_finish_with(struct queue *q, struct batch *last, int failed);

/* Consumer: the next batch, or NULL once the producer has finished and
 * every batch has been popped. */
struct batch *queue_pop(struct queue *q);
/* Consumer: gives a popped batch back, to be reused. */
void queue_recycle(struct queue *q, struct batch *b);
/* Consumer: stop the producer (on an insert error). */
void queue_abort(struct queue *q);
#endif
