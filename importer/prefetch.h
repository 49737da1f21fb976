/* A byte source read ahead on its own thread: wraps a struct psv_src (a zip
 * member, whose inflate and CRC are a quarter of the parse time) so that
 * inflating runs on one core while lines are parsed on the other. Bounded:
 * at most PREFETCH_CHUNKS chunks of PREFETCH_CHUNK bytes wait. */
#ifndef PREFETCH_H
#define PREFETCH_H
#include "psv.h"

struct prefetch;

/* Starts reading inner on a new thread; NULL (logged) if it cannot. */
struct prefetch *prefetch_start(struct psv_src inner);
/* The source to read from (its read() returns what inner's did, in order,
 * including a final error). */
struct psv_src prefetch_src(struct prefetch *pf);
/* Stops the thread (even mid-stream) and frees everything. */
void prefetch_stop(struct prefetch *pf);
#endif
