/* The facade's search parameters: one table of {name, types, modifiers,
 * parser} from which the check of every name (an unknown one is a 400, as
 * ANS answers "Parameter X not found") and the dispatch derive; each
 * parser validates its value and fills struct fhir_q. FHIR's own forms are
 * read here (system|code tokens, Type/id references, comma lists that OR,
 * repetitions that AND, :exact and :contains); what they ask of the data
 * is fhir.c's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fhir_int.h"
#include "fold.h"
#include "rank.h"
#include "banned.h"

/* The identifier systems of a person (ANS v2's, its OID, and v1's
 * http://rpps.fr that clients still send). */
static const char *const person_systems[] = {
    "https://rpps.esante.gouv.fr",
    "urn:oid:1.2.250.1.71.4.2.1",
    "http://rpps.fr",
    "https://rpps.fr",
    NULL,
};

typedef int fparam_fn(struct db_conn *c, struct fhir_q *q, const char *k,
                      enum fhir_mod mod, const char *v, struct api_resp *out);

static int bad(struct api_resp *out, const char *k, const char *why)
{
    fhir_error(out, 400, "invalid", "Parameter '%.64s': %s", k, why);
    return -1;
}

/* The part of a token after "system|" (all of it without one). *sys gets
 * the system ("" for "|code", NULL for none). */
static const char *token_code(const char *v, char *sys, size_t cap, int *has)
{
    const char *bar = strchr(v, '|');
    *has = bar != NULL;
    if (!bar)
        return v;
    size_t n = (size_t)(bar - v);
    if (n >= cap)
        n = cap - 1;
    memcpy(sys, v, n);
    sys[n] = '\0';
    return bar + 1;
}

/* Splits v at commas into list (each part trimmed, empties skipped). -1
 * past FHIR_IDS_MAX. */
static int split_list(struct fhir_codes *list, const char *v)
{
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *a = p, *z = e;
        while (a < z && *a == ' ')
            a++;
        while (z > a && z[-1] == ' ')
            z--;
        if (z > a) {
            if (list->n >= FHIR_IDS_MAX)
                return -1;
            list->v[list->n++] = xstrndup(a, (size_t)(z - a));
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

static void free_codes(struct fhir_codes *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

void fhir_params_release(struct fhir_q *q)
{
    for (int i = 0; i < q->nids; i++)
        free_codes(&q->ids[i]);
    for (int i = 0; i < q->nnames; i++)
        free(q->names[i].v);
    for (int i = 0; i < q->nqual; i++)
        free_codes(&q->qual[i]);
    for (int i = 0; i < q->nmbox; i++)
        free(q->mbox[i].v);
    free_codes(&q->prac);
    free_codes(&q->org);
    for (int i = 0; i < q->nroles; i++)
        free_codes(&q->roles[i]);
    free_codes(&q->tid);
    for (int i = 0; i < q->norgident; i++)
        free_codes(&q->orgident[i]);
    for (int i = 0; i < q->noname; i++)
        free(q->oname[i].v);
    free(q->city.v);
    free(q->postcode.v);
    free(q->elements);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

int fhir_national_id(const char *v, char *nid, size_t cap)
{
    char sys[128];
    int has;
    const char *code = token_code(v, sys, sizeof(sys), &has);
    if (has && *sys) {
        int known = 0;
        for (int i = 0; person_systems[i] && !known; i++)
            known = strcmp(sys, person_systems[i]) == 0;
        if (!known)
            return -1;
    }
    size_t n = strlen(code);
    if (cap < 16 || n == 0 || n > 12)
        return -1;
    /* RPPS: 11 digits, its national id 8 + RPPS; ADELI: 9 characters
     * (digits, sometimes a letter: 2A in Corsica), 0 + ADELI. */
    if (n == 11 && all_digits(code, n))
        snprintf(nid, cap, "8%s", code);
    else if (n == 9)
        snprintf(nid, cap, "0%s", code);
    else if ((n == 12 && code[0] == '8') || (n == 10 && code[0] == '0'))
        snprintf(nid, cap, "%s", code);
    else
        return -1;
    for (char *t = nid; *t; t++) {
        if (!isalnum((unsigned char)*t))
            return -1;
        *t = (char)toupper((unsigned char)*t);
    }
    return 0;
}

/* identifier=, and _id= on Practitioner (the id is the national id): an
 * occurrence's values as national ids ("" for a value that names nobody:
 * it finds nothing, as an unknown id does). */
static int p_person_ids(struct db_conn *c, struct fhir_q *q, const char *k,
                        enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->nids >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    struct fhir_codes *l = &q->ids[q->nids++];
    if (split_list(l, v) < 0)
        return bad(out, k, "too many values (at most 256)");
    int is_id = strcmp(k, "_id") == 0;
    for (int i = 0; i < l->n; i++) {
        char nid[32];
        const char *val = l->v[i];
        if (is_id ? fhir_id_ok(val) && strlen(val) < sizeof(nid)
                  : fhir_national_id(val, nid, sizeof(nid)) == 0) {
            if (is_id)
                snprintf(nid, sizeof(nid), "%s", val);
        } else {
            nid[0] = '\0';
        }
        free(l->v[i]);
        l->v[i] = xstrdup(nid);
    }
    return 0;
}

static int p_name(struct db_conn *c, struct fhir_q *q, const char *k,
                  enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c;
    if (q->nnames >= (int)(sizeof(q->names) / sizeof(q->names[0])))
        return bad(out, k, "given too many times");
    if (!*v)
        return bad(out, k, "empty");
    int cols = COL_ANY;
    if (strcmp(k, "family") == 0 || strcmp(k, "name:family") == 0)
        cols = COL_FAM;
    else if (strcmp(k, "given") == 0 || strcmp(k, "name:given") == 0)
        cols = COL_FIRST;
    struct fhir_name *n = &q->names[q->nnames++];
    n->cols = cols;
    n->mod = mod;
    n->v = xstrdup(v);
    return 0;
}

/* A token list (qualification-code, role): codes without their system,
 * upper-cased as the code tables hold them. */
static int token_list(struct fhir_codes *l, const char *k, const char *v,
                      struct api_resp *out)
{
    if (split_list(l, v) < 0)
        return bad(out, k, "too many values (at most 256)");
    for (int i = 0; i < l->n; i++) {
        char sys[256];
        int has;
        const char *code = token_code(l->v[i], sys, sizeof(sys), &has);
        char *up = xstrdup(code);
        for (char *t = up; *t; t++)
            *t = (char)toupper((unsigned char)*t);
        free(l->v[i]);
        l->v[i] = up;
    }
    return 0;
}

static int p_qual(struct db_conn *c, struct fhir_q *q, const char *k,
                  enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->nqual >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    return token_list(&q->qual[q->nqual++], k, v, out);
}

static int p_role(struct db_conn *c, struct fhir_q *q, const char *k,
                  enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->nroles >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    return token_list(&q->roles[q->nroles++], k, v, out);
}

static int p_active(struct db_conn *c, struct fhir_q *q, const char *k,
                    enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    int a = strcmp(v, "true") == 0 ? 1 : strcmp(v, "false") == 0 ? 0 : -1;
    if (a < 0)
        return bad(out, k, "must be true or false");
    if (q->active >= 0 && q->active != a)
        q->stale = 1; /* active=true&active=false: nobody */
    q->active = a;
    return 0;
}

/* A FHIR date or dateTime (YYYY[-MM[-DD[Thh:mm[:ss[.s]][zone]]]]) as the
 * lowest and highest "YYYY-MM-DDThh:mm:ss" it covers. The zone is not
 * read: the extracts' date has no time of day that matters to a day's
 * delta. */
static int date_bounds(const char *v, char lo[20], char hi[20])
{
    static const char min[] = "0000-01-01T00:00:00",
                      max[] = "9999-12-31T23:59:59";
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = 0;
    while (v[n] && n < 19 && v[n] != 'Z' && v[n] != '+' &&
           !(v[n] == '-' && n >= 16) && v[n] != '.')
        n++;
    if (n != 4 && n != 7 && n != 10 && n != 16 && n != 19)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)v[i]) : v[i] != shape[i])
            return -1;
    memcpy(lo, v, n);
    memcpy(lo + n, min + n, 20 - n);
    memcpy(hi, v, n);
    memcpy(hi + n, max + n, 20 - n);
    return 0;
}

int fhir_date_cond_ok(const struct fhir_date *d, const char *ts)
{
    char t[20];
    snprintf(t, sizeof(t), "%.19s", ts);
    switch (d->op) {
    case FHIR_DATE_NE:
        return strcmp(t, d->lo) < 0 || strcmp(t, d->hi) > 0;
    case FHIR_DATE_GT:
        return strcmp(t, d->hi) > 0;
    case FHIR_DATE_LT:
        return strcmp(t, d->lo) < 0;
    case FHIR_DATE_GE:
        return strcmp(t, d->lo) >= 0;
    case FHIR_DATE_LE:
        return strcmp(t, d->hi) <= 0;
    default: /* eq */
        return strcmp(t, d->lo) >= 0 && strcmp(t, d->hi) <= 0;
    }
}

int fhir_date_ok(const struct fhir_q *q, const char *ts)
{
    for (int i = 0; i < q->ndates; i++)
        if (!fhir_date_cond_ok(&q->dates[i], ts))
            return 0;
    return 1;
}

static int p_last_updated(struct db_conn *c, struct fhir_q *q, const char *k,
                          enum fhir_mod mod, const char *v,
                          struct api_resp *out)
{
    (void)c, (void)mod;
    /* sa, eb and ap read as gt, lt and eq (docs/fhir.md). */
    static const struct {
        char pre[3];
        enum fhir_date_op op;
    } pre[] = {
        {"eq", FHIR_DATE_EQ}, {"ne", FHIR_DATE_NE}, {"gt", FHIR_DATE_GT},
        {"lt", FHIR_DATE_LT}, {"ge", FHIR_DATE_GE}, {"le", FHIR_DATE_LE},
        {"sa", FHIR_DATE_GT}, {"eb", FHIR_DATE_LT}, {"ap", FHIR_DATE_EQ}};
    if (q->ndates >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    struct fhir_date *d = &q->dates[q->ndates];
    d->op = FHIR_DATE_EQ;
    if (isalpha((unsigned char)v[0])) {
        size_t i = 0;
        while (i < sizeof(pre) / sizeof(pre[0]) && strncmp(v, pre[i].pre, 2))
            i++;
        if (i == sizeof(pre) / sizeof(pre[0]))
            return bad(out, k, "unknown prefix (eq, ne, gt, lt, ge, le)");
        d->op = pre[i].op;
        v += 2;
    }
    if (date_bounds(v, d->lo, d->hi) < 0)
        return bad(out, k, "must be a date (YYYY-MM-DD[Thh:mm[:ss]])");
    q->ndates++;
    return 0;
}

static int p_mailbox(struct db_conn *c, struct fhir_q *q, const char *k,
                     enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c;
    if (q->nmbox >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    if (!*v)
        return bad(out, k, "empty");
    char *l = xstrdup(v);
    for (char *t = l; *t; t++)
        *t = (char)tolower((unsigned char)*t);
    q->mbox[q->nmbox].mod = mod;
    q->mbox[q->nmbox++].v = l;
    return 0;
}

/* A reference list: ids, "Type/id" or a URL ending so. */
static int ref_list(struct fhir_codes *l, const char *type, const char *k,
                    const char *v, struct api_resp *out)
{
    if (l->n)
        return bad(out, k, "given twice (use a comma list)");
    if (split_list(l, v) < 0)
        return bad(out, k, "too many values (at most 256)");
    size_t tl = strlen(type);
    for (int i = 0; i < l->n; i++) {
        const char *s = l->v[i], *hit = NULL;
        for (const char *p = strstr(s, type); p; p = strstr(p + 1, type))
            if (p[tl] == '/' && (p == s || p[-1] == '/'))
                hit = p + tl + 1;
        if (hit) {
            char *id = xstrdup(hit);
            free(l->v[i]);
            l->v[i] = id;
        }
    }
    return 0;
}

static int p_practitioner(struct db_conn *c, struct fhir_q *q, const char *k,
                          enum fhir_mod mod, const char *v,
                          struct api_resp *out)
{
    (void)c, (void)mod;
    return ref_list(&q->prac, "Practitioner", k, v, out);
}

static int p_organization(struct db_conn *c, struct fhir_q *q, const char *k,
                          enum fhir_mod mod, const char *v,
                          struct api_resp *out)
{
    (void)c, (void)mod;
    return ref_list(&q->org, "Organization", k, v, out);
}

/* _id of a PractitionerRole or an Organization. */
static int p_tid(struct db_conn *c, struct fhir_q *q, const char *k,
                 enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->tid.n)
        return bad(out, k, "given twice (use a comma list)");
    return split_list(&q->tid, v) < 0
               ? bad(out, k, "too many values (at most 256)")
               : 0;
}

/* identifier of an Organization: FINESS or SIRET (or SIREN), with or
 * without a system. */
static int p_org_ident(struct db_conn *c, struct fhir_q *q, const char *k,
                       enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->norgident >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    struct fhir_codes *l = &q->orgident[q->norgident++];
    if (split_list(l, v) < 0)
        return bad(out, k, "too many values (at most 256)");
    for (int i = 0; i < l->n; i++) {
        char sys[256];
        int has;
        char *code = xstrdup(token_code(l->v[i], sys, sizeof(sys), &has));
        free(l->v[i]);
        l->v[i] = code;
    }
    return 0;
}

static int p_org_name(struct db_conn *c, struct fhir_q *q, const char *k,
                      enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c;
    if (q->noname >= FHIR_REPEAT_MAX)
        return bad(out, k, "given too many times");
    if (!*v)
        return bad(out, k, "empty");
    q->oname[q->noname].mod = mod;
    q->oname[q->noname++].v = xstrdup(v);
    return 0;
}

static int p_address(struct db_conn *c, struct fhir_q *q, const char *k,
                     enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c;
    /* k is the key as sent, its modifier too (address-city:exact). */
    struct fhir_name *n =
        strncmp(k, "address-city", 12) == 0 && (k[12] == '\0' || k[12] == ':')
            ? &q->city
            : &q->postcode;
    if (n->v)
        return bad(out, k, "given twice");
    if (!*v)
        return bad(out, k, "empty");
    n->mod = mod;
    n->v = xstrdup(v);
    return 0;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (!isdigit((unsigned char)*v))
        return -1;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* _count: 0 asks for the total alone; past FHIR_COUNT_MAX the page is
 * FHIR_COUNT_MAX (a server may send fewer than asked: FHIR R4 3.1.1.5.7). */
static int p_count(struct db_conn *c, struct fhir_q *q, const char *k,
                   enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (parse_long(v, 0, 1000000000L, &q->count) < 0)
        return bad(out, k, "must be a whole number");
    if (q->count > FHIR_COUNT_MAX)
        q->count = FHIR_COUNT_MAX;
    return 0;
}

static int p_offset(struct db_conn *c, struct fhir_q *q, const char *k,
                    enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (parse_long(v, 0, FHIR_WINDOW, &q->offset) < 0)
        return bad(out, k, "must be 0 to 10000");
    return 0;
}

static int p_include(struct db_conn *c, struct fhir_q *q, const char *k,
                     enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (strcmp(v, "*") == 0 || strcmp(v, "PractitionerRole:*") == 0)
        q->inc_prac = q->inc_org = 1;
    else if (strcmp(v, "PractitionerRole:practitioner") == 0)
        q->inc_prac = 1;
    else if (strcmp(v, "PractitionerRole:organization") == 0)
        q->inc_org = 1;
    else
        return bad(out, k,
                   "supported: PractitionerRole:practitioner,"
                   " PractitionerRole:organization, *");
    return 0;
}

static int p_revinclude(struct db_conn *c, struct fhir_q *q, const char *k,
                        enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    const char *want = q->type == FHIR_PRACTITIONER
                           ? "PractitionerRole:practitioner"
                           : "PractitionerRole:organization";
    if (strcmp(v, want) != 0 && strcmp(v, "*") != 0)
        return bad(out, k,
                   q->type == FHIR_PRACTITIONER
                       ? "supported: PractitionerRole:practitioner"
                       : "supported: PractitionerRole:organization");
    q->revinc = 1;
    return 0;
}

static int p_elements(struct db_conn *c, struct fhir_q *q, const char *k,
                      enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (q->elements)
        return bad(out, k, "given twice");
    q->elements = xstrdup(v);
    return 0;
}

static int p_total(struct db_conn *c, struct fhir_q *q, const char *k,
                   enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)mod;
    if (strcmp(v, "none") && strcmp(v, "estimate") && strcmp(v, "accurate"))
        return bad(out, k, "must be none, estimate or accurate");
    q->accurate = strcmp(v, "accurate") == 0;
    return 0;
}

/* The cursor of a read in id order (the next link's): the last id of
 * the page before, an Organization's or a PractitionerRole's. */
static int p_after(struct db_conn *c, struct fhir_q *q, const char *k,
                   enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)mod;
    if (*q->after)
        return bad(out, k, "given twice");
    if (!fhir_id_ok(v) || strlen(v) >= sizeof(q->after))
        return bad(out, k, "not an id");
    if (q->type == FHIR_ROLE && fhir_role_aid(c, v, &q->after_aid) < 0)
        return bad(out, k, "not a PractitionerRole id");
    snprintf(q->after, sizeof(q->after), "%s", v);
    return 0;
}

/* _format: JSON is the one format served. */
static int p_format(struct db_conn *c, struct fhir_q *q, const char *k,
                    enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)q, (void)mod;
    if (strcmp(v, "json") && strcmp(v, "application/json") &&
        strcmp(v, "application/fhir+json") && strcmp(v, "fhir+json") &&
        strcmp(v, "application/json+fhir"))
        return bad(out, k, "only json is served");
    return 0;
}

/* _pretty, pretty: http.c's business (pretty=), tolerated. */
static int p_ignore(struct db_conn *c, struct fhir_q *q, const char *k,
                    enum fhir_mod mod, const char *v, struct api_resp *out)
{
    (void)c, (void)q, (void)k, (void)mod, (void)v, (void)out;
    return 0;
}

#define T_PRAC (1u << FHIR_PRACTITIONER)
#define T_ROLE (1u << FHIR_ROLE)
#define T_ORG (1u << FHIR_ORG)
#define T_ALL (T_PRAC | T_ROLE | T_ORG)
#define M_EXACT (1u << MOD_EXACT)
#define M_CONTAINS (1u << MOD_CONTAINS)
#define M_TEXT 8u /* :text, read as the plain parameter */

/* Every parameter, by the types that take it and the modifiers it
 * accepts (docs/fhir.md lists them; the CapabilityStatement too). */
static const struct fparam {
    const char *name;
    unsigned types, mods;
    fparam_fn *parse;
} fparams[] = {
    {"_id", T_PRAC, 0, p_person_ids},
    {"_id", T_ROLE | T_ORG, 0, p_tid},
    {"identifier", T_PRAC, 0, p_person_ids},
    {"identifier", T_ORG, 0, p_org_ident},
    {"family", T_PRAC, M_EXACT | M_CONTAINS | M_TEXT, p_name},
    {"given", T_PRAC, M_EXACT | M_CONTAINS | M_TEXT, p_name},
    {"name", T_PRAC, M_EXACT | M_CONTAINS | M_TEXT, p_name},
    {"name:family", T_PRAC, 0, p_name},
    {"name:given", T_PRAC, 0, p_name},
    {"name", T_ORG, M_EXACT | M_CONTAINS | M_TEXT, p_org_name},
    {"qualification-code", T_PRAC, 0, p_qual},
    {"active", T_ALL, 0, p_active},
    {"_lastUpdated", T_ALL, 0, p_last_updated},
    {"mailbox-mss", T_PRAC | T_ROLE, M_EXACT | M_CONTAINS, p_mailbox},
    {"practitioner", T_ROLE, 0, p_practitioner},
    {"organization", T_ROLE, 0, p_organization},
    {"role", T_ROLE, 0, p_role},
    {"address-city", T_ORG, M_EXACT | M_CONTAINS, p_address},
    {"address-postalcode", T_ORG, M_EXACT | M_CONTAINS, p_address},
    {"_include", T_ROLE, 0, p_include},
    {"_revinclude", T_PRAC | T_ORG, 0, p_revinclude},
    {"_elements", T_ALL, 0, p_elements},
    {"_total", T_ALL, 0, p_total},
    {"_count", T_ALL, 0, p_count},
    {"_getpagesoffset", T_ALL, 0, p_offset},
    {"_after", T_ROLE | T_ORG, 0, p_after},
    {"_format", T_ALL, 0, p_format},
    {"_pretty", T_ALL, 0, p_ignore},
    {"pretty", T_ALL, 0, p_ignore},
};
#define NFPARAMS (sizeof(fparams) / sizeof(fparams[0]))

/* The entry of key k for type (its modifier into *mod): NULL if none. */
static const struct fparam *fparam_find(const char *k, enum fhir_type type,
                                        enum fhir_mod *mod, int *modbad)
{
    *mod = MOD_NONE;
    *modbad = 0;
    for (size_t i = 0; i < NFPARAMS; i++)
        if ((fparams[i].types & (1u << type)) &&
            strcmp(fparams[i].name, k) == 0)
            return &fparams[i];
    const char *colon = strchr(k, ':');
    if (!colon)
        return NULL;
    size_t bl = (size_t)(colon - k);
    const char *m = colon + 1;
    for (size_t i = 0; i < NFPARAMS; i++) {
        const struct fparam *f = &fparams[i];
        if (!(f->types & (1u << type)) || strlen(f->name) != bl ||
            strncmp(f->name, k, bl) != 0)
            continue;
        unsigned bit = strcmp(m, "exact") == 0      ? M_EXACT
                       : strcmp(m, "contains") == 0 ? M_CONTAINS
                       : strcmp(m, "text") == 0     ? M_TEXT
                                                    : 0;
        if (!bit || !(f->mods & bit)) {
            *modbad = 1;
            return NULL;
        }
        *mod = bit == M_EXACT      ? MOD_EXACT
               : bit == M_CONTAINS ? MOD_CONTAINS
                                   : MOD_NONE;
        return f;
    }
    return NULL;
}

int fhir_params_parse(struct db_conn *c, const struct api_req *r,
                      enum fhir_type type, struct fhir_q *q,
                      struct api_resp *out)
{
    memset(q, 0, sizeof(*q));
    q->type = type;
    q->active = -1;
    q->count = FHIR_COUNT_DEFAULT;
    for (size_t i = 0; i < r->nparams; i++) {
        const struct api_param *p = &r->params[i];
        if (!utf8_valid(p->key, p->klen) || !utf8_valid(p->val, p->vlen) ||
            strlen(p->key) != p->klen || strlen(p->val) != p->vlen) {
            fhir_error(out, 400, "invalid",
                       "a parameter is not valid UTF-8 text");
            return -1;
        }
        enum fhir_mod mod;
        int modbad;
        const struct fparam *f = fparam_find(p->key, type, &mod, &modbad);
        if (!f) {
            /* ANS v2's words for it. */
            fhir_error(out, 400, "not-supported",
                       modbad ? "Modifier of parameter %.64s not supported"
                              : "Parameter %.64s not found",
                       p->key);
            return -1;
        }
        if (f->parse(c, q, p->key, mod, p->val, out) < 0)
            return -1;
    }
    if (q->offset + q->count > FHIR_WINDOW) {
        fhir_error(out, 400, "too-costly",
                   "paging goes to result %d at most: narrow the search",
                   FHIR_WINDOW);
        return -1;
    }
    return 0;
}
