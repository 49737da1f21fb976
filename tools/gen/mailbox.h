/* rpps-gen's MSSanté mailboxes, in the order of the file: the
 * professionals' (PER), at the structure of their first site, under its
 * domain for salaried staff of an institution and under their profession's
 * otherwise; then the structures' service mailboxes (ORG). Addresses are
 * unique (local2@, local3@... when taken) but for the copies the real file
 * has too: a few professionals' address listed again at their second site,
 * a few service mailboxes listed twice. It decides what each mailbox is;
 * extract.c writes them. */
#ifndef GEN_MAILBOX_H
#define GEN_MAILBOX_H

#include "gen.h"
#include "person.h"
#include "structure.h"

struct mailbox {
    int org;                    /* 0: a professional's (PER); 1: ORG */
    const char *addr;           /* "jean.martin@medecin.mssante.fr" */
    const struct person *p;     /* PER: the professional; ORG: NULL */
    const struct structure *st; /* its structure, or NULL (PER only) */
    const char *service;        /* "Service de rattachement", or "" */
    int demat;                  /* "Dématérialisation": 1 true */
};

/* Calls fn(ctx, m) for each line of the MSSanté file but its header, in
 * order; m and what it points to are valid until fn returns. */
void mailbox_each(const struct gen *g,
                  void (*fn)(void *ctx, const struct mailbox *m), void *ctx);
#endif
