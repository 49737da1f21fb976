/* The history step's entries (carry.h): each live professional, activity
 * and mailbox of a database as (history key, digest of the fields that
 * matter, rowid), in key order; and their packed copy in the database
 * itself (table history_digest), written by the import that built it, so
 * that the next import reads the file it replaces as one sorted stream
 * instead of scanning, joining and sorting its tables again. It knows
 * nothing of which fields matter (carry.c decides and computes digests);
 * it only keeps, sorts, packs and reads entries. */
#ifndef DIGEST_H
#define DIGEST_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever carry.c's digest of a kind or history_key() changes:
 * stored digests of another version are not read (the old file's tables
 * are scanned instead), since every row would look changed. */
#define DIGEST_VERSION 1

/* kind: enum history_kind, or DIGEST_COLLIDED for a key that two ids of
 * one database share (their history is dropped, carry.c). */
#define DIGEST_COLLIDED 3u

struct digest_entry {
    int64_t key;
    uint32_t digest;
    uint32_t kind;
    int64_t ref; /* its rowid in its database: pid, aid or mid */
};

/* A side held in memory. digest_list_reserve() sizes it at once (growing
 * by doubling would hold up to twice what a side needs). */
struct digest_list {
    struct digest_entry *v;
    size_t n, cap;
};
void digest_list_reserve(struct digest_list *l, size_t n);
void digest_list_push(struct digest_list *l, const struct digest_entry *e);
/* Sorts by key, in place (no second array: the list is the step's largest
 * allocation, 116 MB at full scale). */
void digest_list_sort(struct digest_list *l);
/* Marks every entry whose key another shares as DIGEST_COLLIDED (sorted
 * list); the count of keys marked. */
size_t digest_list_mark_collisions(struct digest_list *l);
void digest_list_release(struct digest_list *l);

/* Writes the sorted list l into main.history_digest (empty) and its
 * version into main.meta ('history_digest'). 0, or -1 (logged). */
int digest_store(sqlite3 *db, const struct digest_list *l);

/* The stored entries of an attached database, read back in key order one
 * chunk at a time (a few tens of kilobytes in memory, whatever the size). */
struct digest_reader {
    sqlite3_stmt *s;
    const unsigned char *p, *end; /* the chunk being read (SQLite's) */
    size_t left;                  /* entries left in it */
    int64_t key;                  /* the last one's, within the chunk */
    int64_t last;                 /* the last one's, for the order check */
    int started;
};
/* 1 if schema ("old") holds digests of this version, the reader open; 0
 * if not (no table, none stored, another version); -1 on a read error
 * (logged). */
int digest_reader_open(struct digest_reader *r, sqlite3 *db,
                       const char *schema);
/* The next entry into e: 1, 0 at the end, -1 when the stored data is
 * malformed or out of order (logged). */
int digest_reader_next(struct digest_reader *r, struct digest_entry *e);
void digest_reader_close(struct digest_reader *r);
#endif
