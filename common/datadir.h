/* Finding the bundled data files (data/ in the source tree, installed in
 * <prefix>/share/rpps-search): the importer's CA chain and commune
 * reference, rpps-gen's commune reference. It only finds them; their
 * readers check what they hold. */
#ifndef DATADIR_H
#define DATADIR_H

/* The path of the bundled data file name: $RPPS_DATADIR/name, else beside
 * the running binary's tree (<its dir>/../data/name in the source tree,
 * <its dir>/../share/rpps-search/name installed), else the compiled-in
 * RPPS_DATADIR's; the first one readable. The caller frees it. NULL if
 * nowhere. */
char *datadir_find(const char *name);
#endif
