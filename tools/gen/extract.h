/* rpps-gen's four text files, in the ANS format (docs/format.md):
 * each function writes one whole file into out, header line first, and
 * counts its lines in g's counters. The model (g) decides what they hold;
 * these functions only write it: another population (a later extract, say)
 * would need other loops, not other line formats. */
#ifndef GEN_EXTRACT_H
#define GEN_EXTRACT_H

#include "gen.h"
#include "sink.h"

/* PS_LibreAcces_Personne_activite: a line per practice site (a few twice),
 * in g->layout's columns. */
void extract_activity(struct gen *g, struct sink *out);
/* PS_LibreAcces_Dipl_AutExerc: a line per diploma. */
void extract_diplomas(struct gen *g, struct sink *out);
/* PS_LibreAcces_SavoirFaire: a line per savoir-faire. */
void extract_savoirfaire(struct gen *g, struct sink *out);
/* Extraction_Correspondance_MSSante: a line per mailbox (mailbox.h), with
 * no trailing '|' unless g->mss_pipe. */
void extract_mss(struct gen *g, struct sink *out);
#endif
