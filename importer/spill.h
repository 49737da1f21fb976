/* The spill file: parsed rows wait here until their owners' pids are known.
 *
 * A professional's rank (pid) is known only once every file has been read,
 * and rows must go into the database in pid order to be clustered by
 * professional. So the parse phase encodes each row into this unlinked
 * temporary file (beside the database, so a kill leaves nothing behind)
 * and chains each professional's rows by record number (struct person's
 * first_rec and last_rec); the replay reads them back professional by
 * professional, in pid order, a run of consecutive records per read.
 *
 * Record: u32 total length, u8 target, u8 value count, u16 zero, then each
 * value as a u8 length (0..250), 254 for NULL, or 255 and a u32 length,
 * then the bytes. A row's values are its target's but the key (target.h).
 *
 * The spill owns the file, its write buffer and the record index; one
 * thread at a time writes (the main thread, from the parse thread's
 * batches), then one reads (the replay thread). */
#ifndef SPILL_H
#define SPILL_H
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* 4 MiB of records are buffered between writes: a few large writes per
 * file, and the most a record can be (a line is at most 64 KiB). */
#define SPILL_BUF (4u << 20)

struct spill {
    int fd;
    char *buf;
    size_t used;
    uint64_t pos;   /* file offset of buf[0] */
    uint64_t *off;  /* offset of record i */
    uint32_t *next; /* next record number of the same owner, 0: none */
    size_t n, cap;
    uint32_t orphan_first, orphan_last; /* rows with no owner */
};

/* Creates the file as db_path.spill (O_EXCL: nothing planted there is
 * written through) and unlinks it at once. 0, or -1 (logged). */
int spill_open(struct spill *sp, const char *db_path);
/* Closes the file and frees everything; sp may be all zero with fd -1. */
void spill_close(struct spill *sp);
/* Appends every row of bt, chained to its owner (bt->owners[]; NULL: the
 * orphans' chain). 0, or -1 (logged). */
int spill_batch(struct spill *sp, const struct batch *bt);
/* Writes what is buffered: before the first read. 0, or -1 (logged). */
int spill_flush(struct spill *sp);

/* Records read back: a run of consecutive records of one chain. */
struct spill_run {
    char *p; /* the bytes read, owned */
    size_t cap;
    const unsigned char *at; /* the next record */
    uint32_t left;           /* records not yet returned */
    int pending;             /* spill_next() returned one not yet decoded */
};

/* Reads the records of the chain from record number *rec on that follow
 * one another in the file (one pread), into run, and sets *rec to the
 * chain's next record after them (0: the chain's end). 0, or -1
 * (logged). */
int spill_read(struct spill *sp, uint32_t *rec, struct spill_run *run);
/* The next record of the run: its target in *target, 0; or -1 when the
 * run is done. Its values must then be taken by spill_values(). */
int spill_next(struct spill_run *run, int *target);
/* Appends the values of the record spill_next() returned to bt. */
void spill_values(struct spill_run *run, struct batch *bt);
void spill_run_release(struct spill_run *run);
#endif
