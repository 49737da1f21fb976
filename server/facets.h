/* The facets of a search (facets=): counts of the whole match by
 * profession, specialty, department, mode and MSSante mailbox. One table
 * of facet kinds (facets.c) gives each its name, bit, label list and
 * counter, from which the parameter's parsing, the counting and the JSON
 * all derive. */
#ifndef FACETS_H
#define FACETS_H
#include <jansson.h>

struct db_conn;
struct search;

/* The bit of the facet called name (for struct sq's facets), or 0 if
 * there is none. */
unsigned facets_bit(const char *name);
/* The facet names, comma-separated, for an error message. */
const char *facets_names(void);
/* The facets asked for by s->q.facets over the match of s: from the list
 * of its pids when it was read whole, else by reading it again (within a
 * budget of its own and the request's deadline; "exact" false when either
 * cut it). A new reference. */
json_t *facets_compute(struct db_conn *c, struct search *s);
#endif
