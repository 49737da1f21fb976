/* Lines into rows: see rows.h. */
#include "rows.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "fold.h"
#include "places.h"
#include "target.h"
#include "util.h"
#include "banned.h"

/* ---- The header map: each extract's columns by header name ---- */

struct colspec {
    const char *name;
    int required;
};

#define COLSPEC(id, header, need) {header, COLUMNS_##need},
static const struct colspec act_cols[] = {COLUMNS_ACTIVITE(COLSPEC)};
static const struct colspec skill_cols[] = {COLUMNS_SAVOIRFAIRE(COLSPEC)};
static const struct colspec dipl_cols[] = {COLUMNS_DIPLOME(COLSPEC)};
static const struct colspec mss_cols[] = {COLUMNS_MSSANTE(COLSPEC)};
#undef COLSPEC

static const struct colspec *const kind_cols[KIND_COUNT] = {
    act_cols, skill_cols, dipl_cols, mss_cols};
static const size_t kind_ncols[KIND_COUNT] = {
    COLUMNS_ACTIVITE_N, COLUMNS_SAVOIRFAIRE_N, COLUMNS_DIPLOME_N,
    COLUMNS_MSSANTE_N};

/* The values of a row, in its table's order (common/columns.h), but the
 * key, which the replay prepends: TABLE_X(ROW_VALUE) writes into bt the
 * extract's field for each COPY column (from the line's fields f, through
 * b's header map) and OWN_<column> for each OWN one, which the caller
 * defines: a column the importer does not handle does not compile. */
#define ROW_VALUE(c, kind, field) ROW_VALUE_##kind(c, field)
#define ROW_VALUE_KEY(c, field)
#define ROW_VALUE_COPY(c, field) batch_field(bt, col(b, f, field));
#define ROW_VALUE_OWN(c, field) OWN_##c;

/* A fast 64-bit hash for whole lines (8 bytes a step). Collisions between
 * two different lines are about 1 in 10^7 for the full file set; a
 * collision would drop one line, which the summary still counts. */
static uint64_t line_hash(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h ^= v;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    uint64_t v = 0;
    memcpy(&v, p + i, n - i);
    h ^= v;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h;
}

int rows_seen(struct htab *t, const char *p, size_t n)
{
    uint64_t h = line_hash(p, n);
    size_t pos;
    if (h == 0) /* htab's empty mark: 0 counts as 1 */
        h = 1;
    if (htab_first(t, h, &pos) != HTAB_NONE)
        return 1;
    /* The hash is the whole key: no item behind it (index 0). */
    htab_add(t, h, 0);
    return 0;
}

/* The field for column spec i of the current kind, or NULL if the column is
 * absent from this file's header. */
static const struct psv_field *col(const struct build *b,
                                   const struct psv_field *f, int i)
{
    int c = b->idx[i];
    return c < 0 ? NULL : &f[c];
}

static size_t flen(const struct psv_field *f)
{
    return f ? f->n : 0;
}

/* The professional national id nid names, created on first sight from
 * whichever file sees it first (activity lines first: they are read
 * first). nid is never empty (rows_reject()); its first character is the
 * type of identifier (docs/format.md §5.2). */
static struct person *
see_person(struct build *b, const struct psv_field *nid,
           const struct psv_field *idtype, const struct psv_field *id,
           const struct psv_field *last, const struct psv_field *first,
           const struct psv_field *prof, const struct psv_field *cat)
{
    int created;
    assert(nid && nid->n > 0);
    struct person *p =
        persons_get(&b->persons, &b->arena, nid->p, nid->n, &created);
    if (!created)
        return p;
    char tmp[PSV_MAX_LINE + 1];
    if (idtype && idtype->n)
        p->id_type = strset_intern(&b->strs, &b->arena, idtype->p, idtype->n);
    else
        p->id_type = strset_intern(&b->strs, &b->arena, nid->p, 1);
    if (id && id->n)
        p->id = arena_strndup(&b->arena, id->p, id->n);
    else
        p->id = arena_strndup(&b->arena, nid->p + 1, nid->n - 1);
    p->last =
        last && last->n ? arena_strndup(&b->arena, last->p, last->n) : NULL;
    p->first =
        first && first->n ? arena_strndup(&b->arena, first->p, first->n) : NULL;
    size_t n = fold(last ? last->p : "", flen(last), tmp);
    p->last_fold = arena_strndup(&b->arena, tmp, n);
    n = fold(first ? first->p : "", flen(first), tmp);
    p->first_fold = arena_strndup(&b->arena, tmp, n);
    n = fold_joined(last ? last->p : "", flen(last), tmp);
    p->last_join = arena_strndup(&b->arena, tmp, n);
    if (prof)
        p->prof = strset_intern(&b->strs, &b->arena, prof->p, prof->n);
    if (cat)
        p->cat = strset_intern(&b->strs, &b->arena, cat->p, cat->n);
    return p;
}

/* The department as the line gives it, else its commune code's or its
 * postal code's (common/places.h: the rule the server reads postal codes
 * by). */
static void batch_dept(struct batch *bt, const struct psv_field *dept,
                       const struct psv_field *insee,
                       const struct psv_field *cp)
{
    char d[4];
    if (dept && dept->n)
        batch_field(bt, dept);
    else
        batch_val(bt, d,
                  places_dept_of(insee ? insee->p : NULL, flen(insee),
                                 cp ? cp->p : NULL, flen(cp), d));
}

/* A code column of an extract, its label's column, and their list. */
struct coded {
    enum code_lists list;
    int code, label;
};

/* Counts the codes of line f in the n columns c (by: 0 to only learn their
 * labels). */
static void count_codes(struct build *b, const struct psv_field *f,
                        const struct coded *c, size_t n, unsigned long long by)
{
    for (size_t i = 0; i < n; i++)
        codes_add(&b->codes, &b->arena, c[i].list, col(b, f, c[i].code),
                  col(b, f, c[i].label), by);
}

/* A specialty row (from an activity or a SavoirFaire line). */
static void row_specialty(struct batch *bt, struct person *p,
                          const struct psv_field *code,
                          const struct psv_field *type)
{
    batch_row(bt, TARGET_SPECIALTY, p);
#define OWN_code batch_field(bt, code)
#define OWN_type_code batch_field(bt, type)
    TABLE_SPECIALTY(ROW_VALUE)
#undef OWN_code
#undef OWN_type_code
}

static void row_activity(struct build *b, struct batch *bt,
                         const struct psv_field *f)
{
    const struct psv_field *nid = col(b, f, ACT_NID);
    struct person *p = see_person(
        b, nid, col(b, f, ACT_IDTYPE), col(b, f, ACT_ID), col(b, f, ACT_LAST),
        col(b, f, ACT_FIRST), col(b, f, ACT_PROF_C), col(b, f, ACT_CAT_C));
    if (p->n_act == 0) {
        const struct psv_field *c;
        if ((c = col(b, f, ACT_CIV_C)) && c->n)
            p->civ = strset_intern(&b->strs, &b->arena, c->p, c->n);
        if ((c = col(b, f, ACT_TITLE_C)) && c->n)
            p->title = strset_intern(&b->strs, &b->arena, c->p, c->n);
        /* Labels for the lists counted per professional, at the replay. */
        static const struct coded per_professional[] = {
            {CODE_CIVILITY, ACT_CIV_C, ACT_CIV_L},
            {CODE_TITLE, ACT_TITLE_C, ACT_TITLE_L},
            {CODE_PROFESSION, ACT_PROF_C, ACT_PROF_L},
        };
        count_codes(b, f, per_professional,
                    sizeof(per_professional) / sizeof(*per_professional), 0);
    }
    p->n_act++;

    const struct psv_field *insee = col(b, f, ACT_INSEE),
                           *cp = col(b, f, ACT_CP);
    const struct psv_field *city = col(b, f, ACT_CITY),
                           *dept = col(b, f, ACT_DEPT_C);
    /* places_fold_name(), the form the search folds town names to
     * (St-Étienne -> saint etienne). */
    char cityf[PLACES_FOLD_SIZE(PSV_MAX_LINE)];
    size_t cfn = 0;
    if (city && city->n) {
        cfn = places_fold_name(city->p, city->n, cityf);
    } else {
        /* "01000 BOURG EN BRESSE" / "01012 BOURG EN BRESSE CEDEX": the
         * town is what follows the code, less a CEDEX mention. */
        const struct psv_field *cx = col(b, f, ACT_CEDEX);
        if (cx && cx->n > 6) {
            cfn = places_fold_name(cx->p, cx->n, cityf);
            char *s = cityf;
            while (*s >= '0' && *s <= '9')
                s++;
            while (*s == ' ')
                s++;
            size_t n = strlen(s);
            memmove(cityf, s, n + 1);
            char *c = strstr(cityf, " cedex");
            if (c)
                *c = '\0';
            cfn = strlen(cityf);
        }
    }

    /* No commune code: the commune its postal code and town name (a
     * bureau's "13012 MARSEILLE" is Marseille 12e Arrondissement), its
     * code and name written as the line would have given them, so a
     * search by town finds it and the record names it; the bureau stays
     * as it was. */
    const struct places_town *pt = NULL;
    if ((!insee || !insee->n) && cp && b->towns)
        pt = places_town_of(b->towns, cp->p, cp->n, cityf, cfn);
    int named = pt && !(city && city->n);
    if (named)
        cfn = places_fold_name(pt->name, strlen(pt->name), cityf);

    batch_row(bt, TARGET_ACTIVITY, p);
#define OWN_insee                                                              \
    (pt ? batch_val(bt, pt->insee, strlen(pt->insee)) : batch_field(bt, insee))
#define OWN_city                                                               \
    (named ? batch_val(bt, pt->name, strlen(pt->name)) : batch_field(bt, city))
#define OWN_city_fold batch_val(bt, cityf, cfn)
#define OWN_dept_code batch_dept(bt, dept, insee, cp)
    TABLE_ACTIVITY(ROW_VALUE)
#undef OWN_insee
#undef OWN_city
#undef OWN_city_fold
#undef OWN_dept_code

    /* Code lists counted per activity. */
    static const struct coded per_activity[] = {
        {CODE_CATEGORY, ACT_CAT_C, ACT_CAT_L},
        {CODE_MODE, ACT_MODE_C, ACT_MODE_L},
        {CODE_SECTOR, ACT_SECT_C, ACT_SECT_L},
        {CODE_SECTION, ACT_SECTION_C, ACT_SECTION_L},
        {CODE_ROLE, ACT_ROLE_C, ACT_ROLE_L},
        {CODE_GENRE, ACT_GENRE_C, ACT_GENRE_L},
        {CODE_DEPT, ACT_DEPT_C, ACT_DEPT_L},
    };
    count_codes(b, f, per_activity,
                sizeof(per_activity) / sizeof(*per_activity), 1);

    const struct psv_field *sf = col(b, f, ACT_SF_C);
    if (sf && sf->n) {
        row_specialty(bt, p, sf, col(b, f, ACT_SFT_C));
        codes_add(&b->codes, &b->arena, CODE_SPECIALTY, sf, col(b, f, ACT_SF_L),
                  0);
        codes_add(&b->codes, &b->arena, CODE_SPECIALTY_TYPE,
                  col(b, f, ACT_SFT_C), col(b, f, ACT_SFT_L), 1);
    }
}

static void row_skill(struct build *b, struct batch *bt,
                      const struct psv_field *f)
{
    const struct psv_field *nid = col(b, f, SAV_NID), *sf = col(b, f, SAV_SF_C);
    struct person *p = see_person(
        b, nid, col(b, f, SAV_IDTYPE), col(b, f, SAV_ID), col(b, f, SAV_LAST),
        col(b, f, SAV_FIRST), col(b, f, SAV_PROF_C), col(b, f, SAV_CAT_C));
    codes_add(&b->codes, &b->arena, CODE_PROFESSION, col(b, f, SAV_PROF_C),
              col(b, f, SAV_PROF_L), 0);
    if (!sf || !sf->n)
        return;
    row_specialty(bt, p, sf, col(b, f, SAV_SFT_C));
    codes_add(&b->codes, &b->arena, CODE_SPECIALTY, sf, col(b, f, SAV_SF_L), 0);
    codes_add(&b->codes, &b->arena, CODE_SPECIALTY_TYPE, col(b, f, SAV_SFT_C),
              col(b, f, SAV_SFT_L), 1);
}

static void row_diploma(struct build *b, struct batch *bt,
                        const struct psv_field *f)
{
    const struct psv_field *nid = col(b, f, DIP_NID);
    struct person *p =
        see_person(b, nid, col(b, f, DIP_IDTYPE), col(b, f, DIP_ID),
                   col(b, f, DIP_LAST), col(b, f, DIP_FIRST), NULL, NULL);
    batch_row(bt, TARGET_DIPLOMA, p);
    TABLE_DIPLOMA(ROW_VALUE)
    static const struct coded per_diploma[] = {
        {CODE_DIPLOMA_TYPE, DIP_TYPE_C, DIP_TYPE_L},
        {CODE_DIPLOMA, DIP_DIPL_C, DIP_DIPL_L},
        {CODE_AUTH_TYPE, DIP_AUTH_C, DIP_AUTH_L},
        {CODE_DISCIPLINE, DIP_DISC_C, DIP_DISC_L},
    };
    count_codes(b, f, per_diploma, sizeof(per_diploma) / sizeof(*per_diploma),
                1);
}

static void row_mailbox(struct build *b, struct batch *bt,
                        const struct psv_field *f)
{
    const struct psv_field *nid = col(b, f, MSS_NID),
                           *type = col(b, f, MSS_TYPE);
    const struct psv_field *addr = col(b, f, MSS_ADDR);
    char lower[PSV_MAX_LINE + 1];
    for (size_t i = 0; i < addr->n; i++) {
        char c = addr->p[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    /* The first line of an address wins (the table keeps it), so only its
     * owner is marked as having a mailbox. */
    if (rows_seen(&b->addrs, lower, addr->n)) {
        /* The same address again: the first line wins. */
        b->st->loaded--;
        b->st->duplicates++;
        return;
    }
    struct person *owner = NULL;
    if (nid && nid->n && type && type->n == 3 &&
        memcmp(type->p, "PER", 3) == 0) {
        owner = see_person(b, nid, col(b, f, MSS_IDTYPE), col(b, f, MSS_ID),
                           col(b, f, MSS_LAST), col(b, f, MSS_FIRST),
                           col(b, f, MSS_PROF_C), col(b, f, MSS_CAT_C));
        owner->has_mss = 1;
    }
    batch_row(bt, TARGET_MAILBOX, owner);
#define OWN_address batch_val(bt, lower, addr->n)
    TABLE_MAILBOX(ROW_VALUE)
#undef OWN_address
    codes_add(&b->codes, &b->arena, CODE_MAILBOX_TYPE, type, NULL, 1);
}

int rows_map(struct build *b, const struct psv_field *h)
{
    const struct colspec *cols = kind_cols[b->kind];
    size_t ncs = kind_ncols[b->kind];
    const char *names[BUILD_MAX_COLS] = {0};
    assert(b->kind >= 0 && b->kind < KIND_COUNT && ncs <= BUILD_MAX_COLS);
    for (size_t i = 0; i < ncs; i++)
        names[i] = cols[i].name;
    psv_map(h, b->ncols, names, ncs, b->idx);
    int missing = 0;
    for (size_t i = 0; i < ncs; i++) {
        if (b->idx[i] >= 0)
            continue;
        if (cols[i].required) {
            log_error("%s: required column \"%s\" is missing from the header",
                      b->file, cols[i].name);
            missing++;
        }
    }
    return missing ? -1 : 0;
}

const char *rows_reject(const struct build *b, const struct psv_field *f)
{
    if (b->kind == KIND_MSSANTE)
        return f[b->idx[MSS_ADDR]].n == 0 ? "no mailbox address" : NULL;
    /* The other three name the professional (a type digit and an id). */
    return f[b->idx[ACT_NID]].n < 2 ? "no national identifier" : NULL;
}

void rows_line(struct build *b, struct batch *bt, const struct psv_field *f)
{
    switch (b->kind) {
    case KIND_ACTIVITY:
        row_activity(b, bt, f);
        break;
    case KIND_SKILL:
        row_skill(b, bt, f);
        break;
    case KIND_DIPLOMA:
        row_diploma(b, bt, f);
        break;
    default:
        row_mailbox(b, bt, f);
        break;
    }
}
