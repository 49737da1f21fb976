/* One extract file read into the build: its header mapped (rows.h), its
 * lines checked and turned into rows on a parse thread, the rows written
 * into the spill by the calling thread, the file's figures counted in
 * b->st. A file whose header lacks a required column, whose reading fails,
 * or whose rejected lines pass both 10 and the --max-rejected fraction
 * fails the build. */
#ifndef PARSE_H
#define PARSE_H
#include "build.h"
#include "psv.h"

/* Reads src, a file of extract kind (enum load_kind) called file in the
 * messages, into b: b->st must point to the file's figures. 0, or -1
 * (logged). */
int parse_file(struct build *b, struct psv_src src, const char *file, int kind);
#endif
