/* The commune reference table in memory, for the search: communes by INSEE
 * code, by name (commune names and La Poste routing labels, folded with
 * places_fold_name()), by postal code; their arrondissements; how many
 * activities each has in the database (to tell Paris the city from PARIS
 * the family name, and to pick among communes of one name); where an
 * activity is when it has no commune code; and the communes within a
 * radius, nearest first.
 *
 * It reads the tables common/places.c creates (commune, commune_postcode,
 * and postcode_label when present) and counts activity rows by commune.
 * Built once per database, immutable after: one copy may serve every
 * thread. It does not parse queries (understand.c does) nor search. */
#ifndef GEO_H
#define GEO_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct geo;

struct geo_commune {
    const char *insee;     /* "75111", "2A004" */
    const char *name;      /* as INSEE spells it: "Paris 11e Arrondissement" */
    const char *name_fold; /* places_fold_name(name) */
    const char *dept;      /* "75", "2A", "974" */
    double lat, lon;       /* degrees; NAN when the table has none */
    int parent;            /* the city of an arrondissement, else -1 */
    unsigned activities;   /* activity rows there (a city counts its
                            * arrondissements') */
};

/* Reads the tables from db. NULL after logging if the commune table is
 * missing or unreadable; an activity table is optional (counts stay 0). */
struct geo *geo_load(sqlite3 *db);
/* The same with each commune's activity count given (acts[i] is commune
 * i's geo_commune()->activities, as geo_load() counts them; nacts of
 * them): no pass over the activity table's index (most of the load's
 * time). Counted as geo_load() does when nacts is not the commune count. */
struct geo *geo_load_counted(sqlite3 *db, const uint32_t *acts, size_t nacts);
void geo_free(struct geo *g);

size_t geo_count(const struct geo *g);
/* Commune i (0 <= i < geo_count()); borrowed, valid while g is. */
const struct geo_commune *geo_commune(const struct geo *g, int i);

/* The arrondissements of commune c (Paris 20, Lyon 9, Marseille 16; none
 * elsewhere): sets *kids to them (borrowed) and returns how many. */
size_t geo_children(const struct geo *g, int c, const int **kids);

/* The commune of an INSEE code, or -1. */
int geo_by_insee(const struct geo *g, const char *insee, size_t n);

/* The communes whose folded name or La Poste label is exactly
 * fold[0..n) (already places_fold_name()d), most activities first: up to
 * max indexes into out. Returns how many there are in all (may exceed
 * max). */
size_t geo_by_name(const struct geo *g, const char *fold, size_t n, int *out,
                   size_t max);

/* 1 if some folded name or label starts with the words fold[0..n) followed
 * by a space: a longer name may still match ("saint" -> "saint etienne"). */
int geo_name_continues(const struct geo *g, const char *fold, size_t n);

/* The communes of its own department a postal code serves (La Poste's
 * table: no CEDEX codes), most activities first; same contract as
 * geo_by_name(). */
size_t geo_by_postcode(const struct geo *g, const char *pc, size_t n, int *out,
                       size_t max);

/* 1 if some commune's department is dept[0..n) ("01", "2A", "974"). */
int geo_has_dept(const struct geo *g, const char *dept, size_t n);

/* How many communes (arrondissements included) department dept[0..n)
 * has: 21 for Paris (the city and its 20 arrondissements), so a search
 * that names them all can read the department instead. */
size_t geo_dept_communes(const struct geo *g, const char *dept, size_t n);

/* How precisely geo_locate() placed an activity. */
enum {
    GEO_NONE = 0,     /* nowhere */
    GEO_COMMUNE = 1,  /* its commune code */
    GEO_POSTCODE = 2, /* its postal code's commune */
    GEO_TOWN = 3,     /* the town of its CEDEX line, in its department */
    GEO_DEPT = 4,     /* the middle of its department */
};

/* Where an activity is: from its commune code, else its postal code
 * (the commune whose name is city_fold if it serves several), else the
 * town of a CEDEX line (city_fold, as the importer folds it) in the
 * postal code's department, else that department's middle. Any argument
 * may be NULL. Sets *commune (or -1) and the coordinates; returns one of
 * the GEO_ values. */
int geo_locate(const struct geo *g, const char *insee, const char *postcode,
               const char *city_fold, int *commune, double *lat, double *lon);

/* A point named by text[0..n) (UTF-8, as a client writes it): "lat,lon"
 * in degrees; five digits: a postal code La Poste lists (an
 * arrondissement's rather than its city's), else an INSEE code, else a
 * CEDEX code, which no table lists, as its department's town with the
 * most activities (Lyon for 69441; without activity counts, the commune of
 * the nearest code below it) — a CEDEX code that is also an INSEE code
 * reads as the INSEE code; "insee:" and a code, or a Corsican code
 * (2A004): that INSEE code; else a commune name (accents, hyphens, St/Ste
 * as anywhere; the one with the most activities when several share it).
 * Sets *commune (-1 for coordinates) and the point; returns 0, or -1 when
 * the text names no known place. */
int geo_resolve(const struct geo *g, const char *text, size_t n, int *commune,
                double *lat, double *lon);

struct geo_hit {
    int commune;
    double km;
};

/* The communes with coordinates within radius_km of (lat, lon), nearest
 * first. *out is allocated (free() it) unless the result is 0. */
size_t geo_within(const struct geo *g, double lat, double lon, double radius_km,
                  struct geo_hit **out);
#endif
