/* The facade's resources as JSON text, in the shapes of ANS's v2 output
 * (docs/fhir.md; ../shared/docs/ans-fhir-v2.md §2): Practitioner from a
 * professional, PractitionerRole from one of their activities,
 * Organization from the structure fields of an activity. Written straight
 * into a buffer as record.c writes a record (a page of jansson values cost
 * ten times as much); labels come from the code table.
 *
 * A person's resources carry the person's own date (fhir_person_day():
 * the history across imports, issue 14); what has no history of its own
 * (an Organization) the extracts' (fhir_last_updated()). */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "fhir_int.h"
#include "history.h"
#include "fold.h"
#include "record.h"
#include "rowid.h"
#include "structure.h"
#include "banned.h"

#define NOS "https://mos.esante.gouv.fr/NOS/"
/* A NOS code system: TRE("G15", "ProfessionSante"). */
#define TRE(c, n) NOS "TRE_" c "-" n "/FHIR/TRE-" c "-" n
#define SYS_0203 "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
#define SD_ANNUAIRE                                                            \
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/"                         \
    "StructureDefinition/"
#define SD_FRCORE "https://hl7.fr/ig/fhir/core/StructureDefinition/"
#define SD_ADXP "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-"

int fhir_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return 0;
    return 1;
}

void fhir_last_updated(struct db_conn *c, char *ts, size_t cap)
{
    /* The activity extract's time stamp (YYYYMMDDhhmm in its file name),
     * else the database's build time: the date of what has no history of
     * its own (an Organization, the Bundle, the CapabilityStatement). */
    snprintf(ts, cap, "1970-01-01T00:00:00Z");
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT stamp FROM extract WHERE kind = 'activite'");
    const char *s = NULL;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        s = db_text(st, 0);
    if (s && strlen(s) >= 12) {
        snprintf(ts, cap, "%.4s-%.2s-%.2sT%.2s:%.2s:00Z", s, s + 4, s + 6,
                 s + 8, s + 10);
        db_done(st);
        return;
    }
    db_done(st);
    st = db_prepare_static(c, "SELECT value FROM meta WHERE key = 'built_at'");
    if (st && sqlite3_step(st) == SQLITE_ROW && (s = db_text(st, 0)) &&
        strlen(s) >= 19)
        snprintf(ts, cap, "%.19sZ", s);
    db_done(st);
}

void fhir_day_ts(int day, char *ts, size_t cap)
{
    snprintf(ts, cap, "%04d-%02d-%02dT00:00:00Z", day / 10000, day / 100 % 100,
             day % 100);
}

int fhir_person_day(struct db_conn *c, long long pid)
{
    /* The latest change kept of anything of theirs (the change table's
     * rows name the professional concerned: their own, their
     * activities', their mailboxes'), else when they were first seen,
     * else the first import with history: they have been as they are
     * since. Through change_national_id: a file built before that index
     * answers from the dates alone rather than scanning the changes once
     * per resource (the guard is a constant, evaluated once). */
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT p.national_id, (SELECT max(day) FROM change"
           " WHERE national_id = p.national_id AND EXISTS (SELECT 1 FROM"
           " sqlite_master WHERE type = 'index' AND"
           " name = 'change_national_id'))"
           " FROM professional p WHERE p.pid = ?1");
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, pid);
    int day = 0;
    char nid[32] = "";
    if (sqlite3_step(st) == SQLITE_ROW && db_text(st, 0)) {
        snprintf(nid, sizeof(nid), "%s", db_text(st, 0));
        day = sqlite3_column_int(st, 1);
    }
    db_done(st);
    if (!*nid)
        return 0;
    int first = changes_first_seen(c, HISTORY_PROFESSIONAL, nid);
    int since = changes_since(c);
    if (first > day)
        day = first;
    if (since > day)
        day = since;
    return day;
}

int fhir_newest_day(struct db_conn *c)
{
    sqlite3_stmt *st = db_prepare_static(c, "SELECT max(day) FROM import");
    int day = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        day = sqlite3_column_int(st, 0);
    db_done(st);
    return day;
}

/* 1 if the view shows element name (_elements lists it, or there is no
 * _elements). */
static int show(const struct fhir_view *v, const char *name)
{
    if (!v->elements)
        return 1;
    size_t n = strlen(name);
    for (const char *p = v->elements; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *z = e;
        while (z > p && z[-1] == ' ')
            z--;
        if ((size_t)(z - p) == n && memcmp(p, name, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

static void put_kv(struct buf *b, const char *key, const char *v)
{
    buf_addstr(b, key);
    json_put_str(b, v);
}

/* A person's resources' meta.lastUpdated: their own date
 * (fhir_person_day()), else the extracts'. */
static void person_ts(struct db_conn *c, long long pid,
                      const struct fhir_view *v, char *ts, size_t cap)
{
    int day = fhir_person_day(c, pid);
    if (day > 0)
        fhir_day_ts(day, ts, cap);
    else
        snprintf(ts, cap, "%s", v->ts);
}

/* "resourceType", "id", "meta", "language": what every resource opens
 * with (meta.tag SUBSETTED when _elements chose what it shows). */
static void put_head(struct buf *b, const char *type, const char *id,
                     const char *profile, const struct fhir_view *v,
                     const char *ts)
{
    put_kv(b, "{\"resourceType\":", type);
    put_kv(b, ",\"id\":", id);
    put_kv(b, ",\"meta\":{\"versionId\":\"1\",\"lastUpdated\":", ts);
    buf_addf(
        b,
        ",\"source\":\"https://annuaire.sante.fr\",\"profile\":[\"" SD_FRCORE
        "fr-core-%s\",\"" SD_ANNUAIRE "as-dp-%s\"]",
        profile, profile);
    if (v->elements)
        buf_addstr(b, ",\"tag\":[{\"system\":\"http://terminology.hl7.org/"
                      "CodeSystem/v3-ObservationValue\",\"code\":"
                      "\"SUBSETTED\"}]");
    buf_addstr(b, "},\"language\":\"fr\"");
}

/* The first row's first column of sql (a string literal: a cached
 * statement) with key as ?1: 0 when there is none, -1 on failure. */
static long long first_int64(struct db_conn *c, const char *sql,
                             const char *key)
{
    sqlite3_stmt *st = db_prepare_static(c, sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    long long v = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    db_done(st);
    return v;
}

long long fhir_gone_row(struct db_conn *c, const char *nid)
{
    /* The latest removal, should one national id have gone twice. */
    return first_int64(
        c,
        "SELECT rowid FROM gone_professional WHERE national_id = ?1"
        " AND NOT EXISTS (SELECT 1 FROM professional p WHERE"
        " p.national_id = ?1) ORDER BY last_seen DESC LIMIT 1",
        nid);
}

int fhir_res_tombstone(struct db_conn *c, struct buf *b, long long row)
{
    /* As the official API shows one who left: only id, meta, identifier
     * and active (docs/ans-fhir-v2.md 2.2). Updated the day the removal
     * was seen: the first import after the last extract it was in. */
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT national_id, id_type, id, coalesce((SELECT min(day) FROM"
           " import WHERE day > g.last_seen), g.last_seen)"
           " FROM gone_professional g WHERE rowid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, row);
    int rc = -1;
    const char *nid, *type, *id;
    if (sqlite3_step(st) == SQLITE_ROW && (nid = db_text(st, 0)) &&
        fhir_id_ok(nid)) {
        type = db_text(st, 1);
        id = db_text(st, 2);
        int day = sqlite3_column_int(st, 3);
        put_kv(b, "{\"resourceType\":\"Practitioner\",\"id\":", nid);
        char ts[32];
        fhir_day_ts(day, ts, sizeof(ts));
        put_kv(b, ",\"meta\":{\"lastUpdated\":", ts);
        buf_add(b, "}", 1);
        buf_addstr(b, ",\"identifier\":[{\"use\":\"official\",\"type\":{"
                      "\"coding\":[{\"system\":\"" SYS_0203 "\","
                      "\"code\":\"IDNPS\"}]},"
                      "\"system\":\"urn:oid:1.2.250.1.71.4.2.1\"");
        put_kv(b, ",\"value\":", nid);
        buf_add(b, "}", 1);
        if (type && strcmp(type, "8") == 0 && id) {
            buf_addstr(b, ",{\"use\":\"official\",\"type\":{\"coding\":[{"
                          "\"system\":\"" SYS_0203 "\",\"code\":\"RPPS\"}]},"
                          "\"system\":\"https://rpps.esante.gouv.fr\"");
            put_kv(b, ",\"value\":", id);
            buf_add(b, "}", 1);
        }
        buf_addstr(b, "],\"active\":false}");
        rc = 0;
    }
    db_done(st);
    return rc;
}

/* A removed professional's activity (gone_activity row) as a role
 * tombstone: its id (the person's national id, "-", its rank), the day
 * the removal was seen. */
/* clang-format off */
#define GONE_ROLE_SQL                                                         \
    "SELECT g.national_id, " ROWID_SEQ_SQL("a.aid") ", coalesce((SELECT"      \
    " min(day) FROM import WHERE day > g.last_seen), g.last_seen)"            \
    " FROM gone_activity a, gone_professional g WHERE a.rowid = ?1"           \
    " AND g.pid = " ROWID_PID_SQL("a.aid")
/* clang-format on */

int fhir_gone_role_id(struct db_conn *c, long long row, char *id, size_t cap)
{
    sqlite3_stmt *st = db_prepare_static(c, GONE_ROLE_SQL);
    int rc = -1;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, row);
    if (sqlite3_step(st) == SQLITE_ROW && db_text(st, 0) &&
        fhir_id_ok(db_text(st, 0))) {
        snprintf(id, cap, "%s-%lld", db_text(st, 0),
                 (long long)sqlite3_column_int64(st, 1));
        rc = 0;
    }
    db_done(st);
    return rc;
}

int fhir_res_role_tombstone(struct db_conn *c, struct buf *b, long long row)
{
    /* As a Practitioner's: id, meta, active false, and the practitioner
     * it was of (the official API keeps closed roles as active:false). */
    sqlite3_stmt *st = db_prepare_static(c, GONE_ROLE_SQL);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, row);
    int rc = -1;
    const char *nid;
    if (sqlite3_step(st) == SQLITE_ROW && (nid = db_text(st, 0)) &&
        fhir_id_ok(nid)) {
        char id[64], ts[32];
        snprintf(id, sizeof(id), "%s-%lld", nid,
                 (long long)sqlite3_column_int64(st, 1));
        fhir_day_ts(sqlite3_column_int(st, 2), ts, sizeof(ts));
        put_kv(b, "{\"resourceType\":\"PractitionerRole\",\"id\":", id);
        put_kv(b, ",\"meta\":{\"lastUpdated\":", ts);
        buf_addf(b,
                 "},\"active\":false,\"practitioner\":{\"reference\":"
                 "\"Practitioner/%s\"}}",
                 nid);
        rc = 0;
    }
    db_done(st);
    return rc;
}

long long fhir_gone_role_row(struct db_conn *c, const char *id)
{
    const char *dash = strrchr(id, '-');
    char *end;
    if (!dash || dash == id || dash - id > 20 ||
        !isdigit((unsigned char)dash[1]))
        return 0;
    long seq = strtol(dash + 1, &end, 10);
    if (*end || seq < 0 || seq > ROWID_SEQ_MAX)
        return 0;
    char nid[32];
    memcpy(nid, id, (size_t)(dash - id));
    nid[dash - id] = '\0';
    long long g = fhir_gone_row(c, nid);
    if (g <= 0)
        return g;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT a.rowid FROM gone_professional g, gone_activity a"
           " WHERE g.rowid = ?1 AND a.aid = " ROWID_MAKE_SQL("g.pid", "?2"));
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, g);
    sqlite3_bind_int64(st, 2, seq);
    long long row = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        row = sqlite3_column_int64(st, 0);
    db_done(st);
    return row;
}

/* A Coding: system, code and its label from the code table's list (no
 * display when it has none). */
static void put_coding(struct db_conn *c, struct buf *b, const char *system,
                       const char *list, const char *code)
{
    put_kv(b, "{\"system\":", system);
    put_kv(b, ",\"code\":", code);
    const char *label = list ? db_label(c, list, code) : NULL;
    if (label)
        put_kv(b, ",\"display\":", label);
    buf_add(b, "}", 1);
}

/* A CodeableConcept of one coding, after a comma unless first. */
static void put_concept(struct db_conn *c, struct buf *b, int *n,
                        const char *system, const char *list, const char *code)
{
    if (!code)
        return;
    buf_addstr(b, (*n)++ ? ",{\"coding\":[" : "{\"coding\":[");
    put_coding(c, b, system, list, code);
    buf_addstr(b, "]}");
}

/* The code system of a savoir-faire by its type (TRE_R04): the
 * specialties (S) are R38's; the others' tables as FR Core names them
 * (docs/fhir.md says these are unverified). */
static const char *specialty_system(const char *type)
{
    static const struct {
        const char *type, *system;
    } m[] = {
        {"S", TRE("R38", "SpecialiteOrdinale")},
        {"C", TRE("R39", "Competence")},
        {"CEX", TRE("R40", "CompetenceExclusive")},
        {"DNQ", TRE("R42", "DESCNonQualifiant")},
        {"CAPA", TRE("R43", "CapaciteSavoirFaire")},
        {"PAC", TRE("R44", "QualificationPAC")},
        {"FQ", TRE("R45", "FonctionQualifiee")},
        {"OP", TRE("G13", "OrientationParticuliere")},
    };
    for (size_t i = 0; type && i < sizeof(m) / sizeof(m[0]); i++)
        if (strcmp(type, m[i].type) == 0)
            return m[i].system;
    return TRE("R38", "SpecialiteOrdinale");
}

/* A mailbox as ANS writes one in telecom. */
static void put_mailbox(struct buf *b, int *n, const char *addr,
                        const char *type, const char *service,
                        const char *demat)
{
    buf_addstr(b, (*n)++ ? "," : "");
    buf_addstr(
        b,
        "{\"extension\":[{\"url\":\"" SD_FRCORE
        "fr-core-contact-point-email-type\",\"valueCoding\":{"
        "\"system\":\"" TRE(
            "R256",
            "TypeMessagerie") "\","
                              "\"code\":\"MSSANTE\",\"display\":\"MSSANTE\"}},"
                              "{\"url\":\"" SD_ANNUAIRE
                              "as-ext-mailbox-mss-metadata\","
                              "\"extension\":[{\"url\":\"type\","
                              "\"valueCodeableConcept\":"
                              "{\"coding\":[{\"system\":\"" TRE(
                                  "R257", "TypeBAL") "\","
                                                     "\"code\":");
    json_put_str(b, type ? type : "PER");
    buf_addstr(b, "}]}}");
    if (service)
        put_kv(b, ",{\"url\":\"service\",\"valueString\":", service),
            buf_add(b, "}", 1);
    if (demat)
        buf_addf(b, ",{\"url\":\"digitization\",\"valueBoolean\":%s}",
                 strcmp(demat, "true") == 0 || strcmp(demat, "1") == 0
                     ? "true"
                     : "false");
    buf_addstr(b, "]}],\"system\":\"email\"");
    put_kv(b, ",\"value\":", addr);
    buf_addstr(b, ",\"use\":\"work\"}");
}

/* The structure a mailbox is tied to and an activity's are written
 * differently (the mailbox's with its type digit, 1599411424; the
 * activity's with a letter, F599411424): the same past the first
 * character. */
static int same_structure(const char *mbox, const char *act)
{
    return mbox && act && *mbox && *act && strcmp(mbox + 1, act + 1) == 0;
}

/* pid's mailboxes into telecom: structure NULL for those tied to no
 * activity of theirs (the Practitioner's), else to that one (a
 * PractitionerRole's). Opens "telecom" itself when it has one; *n counts
 * what it wrote. */
static void put_mailboxes(struct db_conn *c, struct buf *b, long long pid,
                          const char *structure, int *n)
{
    if (pid > db_mss_end(c))
        return;
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT address, type, structure_id, service, dematerialised,"
           " EXISTS (SELECT 1 FROM activity a WHERE a.aid" ROWID_RANGE_SQL
           " AND substr(a.structure_id, 2) = substr(m.structure_id, 2))"
           " FROM mailbox m WHERE mid" ROWID_RANGE_SQL " ORDER BY address");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, pid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *addr = db_text(st, 0), *sid = db_text(st, 2);
        int tied = sqlite3_column_int(st, 5);
        if (!addr ||
            (structure ? !tied || !same_structure(sid, structure) : tied))
            continue;
        if (!*n)
            buf_addstr(b, ",\"telecom\":[");
        put_mailbox(b, n, addr, db_text(st, 1), db_text(st, 3), db_text(st, 4));
    }
    db_done(st);
    if (*n)
        buf_add(b, "]", 1);
}

static void put_qualifications(struct db_conn *c, struct buf *b, long long pid,
                               const char *prof, const char *cat)
{
    int n = 0;
    buf_addstr(b, ",\"qualification\":[");
    if (prof) {
        /* Exercice professionnel: the category first, as ANS writes it. */
        buf_addstr(b, "{\"code\":{\"coding\":[");
        if (cat) {
            put_coding(c, b, TRE("R09", "CategorieProfessionnelle"), "category",
                       cat);
            buf_add(b, ",", 1);
        }
        put_coding(c, b, TRE("G15", "ProfessionSante"), "profession", prof);
        buf_addstr(b, "]}}");
        n++;
    }
    sqlite3_stmt *st = db_prepare_static(
        c,
        "SELECT code, type_code FROM specialty WHERE pid = ?1 ORDER BY code");
    if (st && db_has_specialty(c, pid)) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *code = db_text(st, 0), *type = db_text(st, 1);
            if (!code)
                continue;
            buf_addstr(b, n++ ? ",{\"code\":{\"coding\":["
                              : "{\"code\":{\"coding\":[");
            if (type) {
                put_coding(c, b, TRE("R04", "TypeSavoirFaire"),
                           "specialty_type", type);
                buf_add(b, ",", 1);
            }
            put_coding(c, b, specialty_system(type), "specialty", code);
            buf_addstr(b, "]}}");
        }
    }
    db_done(st);
    st = db_prepare_static(c, "SELECT type_code, code FROM diploma"
                              " WHERE did" ROWID_RANGE_SQL " ORDER BY did");
    if (st) {
        sqlite3_bind_int64(st, 1, pid);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *type = db_text(st, 0), *code = db_text(st, 1);
            if (!type && !code)
                continue;
            buf_addstr(b, n++ ? ",{\"code\":{\"coding\":["
                              : "{\"code\":{\"coding\":[");
            if (type)
                put_coding(c, b, TRE("R14", "TypeDiplome"), "diploma_type",
                           type);
            if (code) {
                buf_addstr(b, type ? "," : "");
                /* Diplômes d'État are R48's; the others' tables are not
                 * known here: the code and its label, without a system. */
                if (type && strcmp(type, "DE") == 0) {
                    put_coding(c, b, TRE("R48", "DiplomeEtatFrancais"),
                               "diploma", code);
                } else {
                    put_kv(b, "{\"code\":", code);
                    const char *label = db_label(c, "diploma", code);
                    if (label)
                        put_kv(b, ",\"display\":", label);
                    buf_add(b, "}", 1);
                }
            }
            buf_addstr(b, "]}}");
        }
    }
    db_done(st);
    if (n)
        buf_add(b, "]", 1);
    else
        buf_truncate(b, b->len - strlen(",\"qualification\":["));
}

/* Rendered Practitioners (whole: no _elements), as record.c keeps the
 * /v1 records and for the same reason (a page of 20 is 20 x 5 statements,
 * a hit a copy): direct-mapped on the pid, tagged with the generation
 * (a new file renders again), in stripes with a lock and a share of the
 * budget each. A Practitioner's JSON (1.1-2.7 KiB, 1.7 on average at full
 * scale) is about twice a /v1 record's: the budget is three times
 * --cache-mb (db_cache_bytes), one slot per 2 KiB of it, so that the
 * budget and the slots fill together; a slot per 4 KiB left half the
 * budget unused and, direct-mapped, missed a given-name search's people
 * once in four or so (docs/performance.md). Its memory lives as long as
 * the process. */
#define FC_STRIPES 64
#define FC_SLOT_BYTES 2048
#define FC_BUDGET_FACTOR 3
struct fc_slot {
    unsigned gen;
    long long pid; /* 0: empty */
    char *json;
    size_t len;
};
static struct {
    pthread_once_t once;
    struct fc_slot *slot;
    size_t nslot, stripe_max;
    struct {
        pthread_mutex_t lock;
        size_t bytes;
    } stripe[FC_STRIPES];
} fc = {.once = PTHREAD_ONCE_INIT};

static void fc_init(void)
{
    fc.nslot = db_cache_bytes * FC_BUDGET_FACTOR / FC_SLOT_BYTES;
    fc.stripe_max = db_cache_bytes * FC_BUDGET_FACTOR / FC_STRIPES;
    if (fc.nslot)
        fc.slot = xcalloc(fc.nslot, sizeof(*fc.slot));
    for (int i = 0; i < FC_STRIPES; i++)
        pthread_mutex_init(&fc.stripe[i].lock, NULL);
}

static int render_practitioner(struct db_conn *c, struct buf *b, long long pid,
                               const struct fhir_view *v);

int fhir_res_practitioner(struct db_conn *c, struct buf *b, long long pid,
                          const struct fhir_view *v)
{
    pthread_once(&fc.once, fc_init);
    if (v->elements || !fc.nslot)
        return render_practitioner(c, b, pid, v);
    size_t j = (size_t)((unsigned long long)pid % fc.nslot);
    struct fc_slot *e = &fc.slot[j];
    pthread_mutex_t *lock = &fc.stripe[j % FC_STRIPES].lock;
    size_t *bytes = &fc.stripe[j % FC_STRIPES].bytes;
    pthread_mutex_lock(lock);
    if (e->pid == pid && e->gen == db_conn_gen(c)) {
        int r = buf_add(b, e->json, e->len);
        pthread_mutex_unlock(lock);
        return r;
    }
    pthread_mutex_unlock(lock);
    size_t mark = b->len;
    if (render_practitioner(c, b, pid, v) < 0)
        return -1;
    size_t n = b->len - mark;
    char *json = xmalloc(n);
    memcpy(json, b->s + mark, n);
    char *old = NULL;
    pthread_mutex_lock(lock);
    if (*bytes - e->len + n <= fc.stripe_max) {
        *bytes -= e->len;
        old = e->json;
        e->json = json;
        e->len = n;
        e->pid = pid;
        e->gen = db_conn_gen(c);
        *bytes += n;
        json = NULL;
    }
    pthread_mutex_unlock(lock);
    free(old);
    free(json);
    return 0;
}

static int render_practitioner(struct db_conn *c, struct buf *b, long long pid,
                               const struct fhir_view *v)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT national_id, id_type, id, civility_code, title_code,"
           " last_name, first_name, profession_code, category_code"
           " FROM professional WHERE pid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, pid);
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return -1;
    }
    const char *nid = db_text(st, 0), *type = db_text(st, 1),
               *id = db_text(st, 2), *civ = db_text(st, 3),
               *title = db_text(st, 4), *last = db_text(st, 5),
               *first = db_text(st, 6);
    char *prof = db_text(st, 7) ? xstrdup(db_text(st, 7)) : NULL;
    char *cat = db_text(st, 8) ? xstrdup(db_text(st, 8)) : NULL;
    if (!nid || !fhir_id_ok(nid)) {
        db_done(st);
        free(prof);
        free(cat);
        return -1;
    }
    char ts[32];
    person_ts(c, pid, v, ts, sizeof(ts));
    put_head(b, "Practitioner", nid, "practitioner", v, ts);
    if (show(v, "identifier")) {
        /* IDNPS first: clients read identifier[0]. */
        buf_addstr(b, ",\"identifier\":[{\"use\":\"official\",\"type\":{"
                      "\"coding\":[{\"system\":\"" SYS_0203 "\","
                      "\"code\":\"IDNPS\"}]},"
                      "\"system\":\"urn:oid:1.2.250.1.71.4.2.1\"");
        put_kv(b, ",\"value\":", nid);
        buf_add(b, "}", 1);
        if (type && strcmp(type, "8") == 0) {
            buf_addstr(b, ",{\"use\":\"official\",\"type\":{\"coding\":[{"
                          "\"system\":\"" SYS_0203 "\",\"code\":\"RPPS\"}]},"
                          "\"system\":\"https://rpps.esante.gouv.fr\"");
            put_kv(b, ",\"value\":", id);
            buf_add(b, "}", 1);
        } else if (id) {
            buf_addstr(b, ",{\"use\":\"official\",\"type\":{\"coding\":[{"
                          "\"system\":\"" SYS_0203 "\",\"code\":\"ADELI\"}]}");
            put_kv(b, ",\"value\":", id);
            buf_add(b, "}", 1);
        }
        buf_add(b, "]", 1);
    }
    if (show(v, "active"))
        buf_addstr(b, ",\"active\":true");
    if (show(v, "name") && (last || first)) {
        char text[512];
        snprintf(text, sizeof(text), "%s%s%s", last ? last : "",
                 last && first ? " " : "", first ? first : "");
        put_kv(b, ",\"name\":[{\"text\":", text);
        if (last)
            put_kv(b, ",\"family\":", last);
        if (first)
            put_kv(b, ",\"given\":[", first), buf_add(b, "]", 1);
        if (civ)
            put_kv(b, ",\"prefix\":[", civ), buf_add(b, "]", 1);
        if (title)
            put_kv(b, ",\"suffix\":[", title), buf_add(b, "]", 1);
        buf_addstr(b, "}]");
    }
    db_done(st);
    if (show(v, "telecom")) {
        int n = 0;
        put_mailboxes(c, b, pid, NULL, &n);
    }
    if (show(v, "qualification"))
        put_qualifications(c, b, pid, prof, cat);
    free(prof);
    free(cat);
    buf_add(b, "}", 1);
    return 0;
}

int fhir_role_aid(struct db_conn *c, const char *id, long long *aid)
{
    const char *dash = strrchr(id, '-');
    if (!dash || dash == id || !dash[1] || dash - id > 20)
        return -1;
    char nid[32];
    memcpy(nid, id, (size_t)(dash - id));
    nid[dash - id] = '\0';
    char *end;
    long seq = strtol(dash + 1, &end, 10);
    if (*end || seq < 0 || seq > ROWID_SEQ_MAX ||
        !isdigit((unsigned char)dash[1]))
        return -1;
    long long pid = record_find(c, nid);
    if (!pid || strcmp(nid, id) == 0)
        return -1;
    *aid = rowid_make(pid, seq);
    return 0;
}

/* The columns of an activity an Organization is made of, in this order
 * (org_write() reads them from ORG_COL). */
#define ORG_COLS                                                               \
    "structure_id, siret, siren, finess, finess_legal, structure_name,"        \
    " structure_sign, street_number, street_repeat, street_type,"              \
    " street_name, addr_recipient, addr_geo, addr_distribution, postcode,"     \
    " city, cedex_office, insee, phone, fax, email, sector_code"

int fhir_idnst(const char *sid, char *out, size_t cap)
{
    /* The mailbox extract writes it so (its "ancien identifiant"): 1 +
     * FINESS for an F id, 3 + SIRET for a C + 14 digits, 0 + the cabinet
     * number (department + 9 digits) for the other C ids. */
    size_t n = sid ? strlen(sid) : 0;
    if (n < 2 || n + 1 > cap || (sid[0] != 'F' && sid[0] != 'C'))
        return -1;
    snprintf(out, cap, "%c%s",
             sid[0] == 'F' ? '1'
             : n == 15     ? '3'
                           : '0',
             sid + 1);
    return 0;
}

/* An identifier of an Organization, typed by fr-core-cs-v2-0203. */
static void put_org_ident(struct buf *b, int *n, const char *type,
                          const char *system, const char *value)
{
    if (!value)
        return;
    buf_addf(
        b,
        "%s{\"use\":\"official\",\"type\":{\"coding\":[{\"system\":\"" SYS_0203
        "\",\"code\":\"%s\"}]},\"system\":\"%s\"",
        (*n)++ ? "," : "", type, system);
    put_kv(b, ",\"value\":", value);
    buf_add(b, "}", 1);
}

static void put_adxp(struct buf *b, int *n, const char *part, const char *v)
{
    if (!v)
        return;
    buf_addf(b,
             "%s{\"url\":\"" SD_ADXP "%s\",\"valueString\":", (*n)++ ? "," : "",
             part);
    json_put_str(b, v);
    buf_add(b, "}", 1);
}

/* The structure of a removed activity's change row: its id is "NID/
 * STRUCTURE[/n]" (common/history.h), "-" for none. */
#define GONE_ORG_SQL                                                           \
    "CASE WHEN instr(substr(id, instr(id, '/') + 1), '/') > 0 THEN"            \
    " substr(substr(id, instr(id, '/') + 1), 1,"                               \
    " instr(substr(id, instr(id, '/') + 1), '/') - 1)"                         \
    " ELSE substr(id, instr(id, '/') + 1) END"

const char *const fhir_gone_org_sql =
    "SELECT max(seq), s, max(day) FROM (SELECT seq, day, " GONE_ORG_SQL
    " AS s FROM change WHERE kind = 'activity' AND change = 'removed')"
    " WHERE s <> '-' AND s <> '' AND NOT EXISTS (SELECT 1 FROM structure"
    " WHERE structure_id = s) GROUP BY s ORDER BY s";

long long fhir_gone_org_seq(struct db_conn *c, const char *id)
{
    return first_int64(c,
                       "SELECT max(seq) FROM change WHERE kind = 'activity'"
                       " AND change = 'removed' AND " GONE_ORG_SQL " = ?1"
                       " AND NOT EXISTS (SELECT 1 FROM structure WHERE"
                       " structure_id = ?1)",
                       id);
}

/* Runs st, its key bound to ?1, to its first row, and copies that row's
 * first column into id[cap] when it is a structure id the facade can
 * serve (fhir_id_ok()) that fits: 1 then, st left on the row for its
 * other columns; else 0. The caller calls db_done(st). */
static int step_org_id(sqlite3_stmt *st, long long key, char *id, size_t cap)
{
    sqlite3_bind_int64(st, 1, key);
    const char *s;
    if (sqlite3_step(st) != SQLITE_ROW || !(s = db_text(st, 0)) ||
        !fhir_id_ok(s) || strlen(s) >= cap)
        return 0;
    snprintf(id, cap, "%s", s);
    return 1;
}

int fhir_gone_org(struct db_conn *c, long long seq, char *id, size_t cap,
                  int *day)
{
    sqlite3_stmt *st = db_prepare_static(c, "SELECT " GONE_ORG_SQL
                                            ", day FROM change WHERE seq = ?1");
    if (!st)
        return -1;
    int rc = -1;
    if (step_org_id(st, seq, id, cap)) {
        *day = sqlite3_column_int(st, 1);
        rc = 0;
    }
    db_done(st);
    return rc;
}

int fhir_res_org_tombstone(struct db_conn *c, struct buf *b, long long seq)
{
    /* As a Practitioner tombstone: id, meta, identifier, active. Updated
     * the day its last activity was seen removed. */
    char sid[72], ts[32], idnst[80];
    int day, n = 0;
    if (fhir_gone_org(c, seq, sid, sizeof(sid), &day) < 0)
        return -1;
    put_kv(b, "{\"resourceType\":\"Organization\",\"id\":", sid);
    fhir_day_ts(day, ts, sizeof(ts));
    put_kv(b, ",\"meta\":{\"lastUpdated\":", ts);
    buf_add(b, "}", 1);
    if (fhir_idnst(sid, idnst, sizeof(idnst)) == 0) {
        buf_addstr(b, ",\"identifier\":[");
        put_org_ident(b, &n, "IDNST", "urn:oid:1.2.250.1.71.4.2.2", idnst);
        buf_add(b, "]", 1);
    }
    buf_addstr(b, ",\"active\":false}");
    return 0;
}

/* The Organization of the structure an activity row names (st's columns
 * from col on: ORG_COLS). The one place that says what an Organization
 * is made of: from the structure table (issue 13) once the database has
 * one. */
static int org_write(struct db_conn *c, struct buf *b, sqlite3_stmt *st,
                     int col, const struct fhir_view *v)
{
#define T(i) db_text(st, col + (i))
    const char *sid = T(0);
    if (!sid || !fhir_id_ok(sid))
        return -1;
    put_head(b, "Organization", sid, "organization", v, v->ts);
    if (show(v, "identifier")) {
        int n = 0;
        char idnst[32];
        buf_addstr(b, ",\"identifier\":[");
        if (fhir_idnst(sid, idnst, sizeof(idnst)) == 0)
            put_org_ident(b, &n, "IDNST", "urn:oid:1.2.250.1.71.4.2.2", idnst);
        put_org_ident(b, &n, "FINEG", "https://finess.esante.gouv.fr", T(3));
        put_org_ident(b, &n, "FINEJ", "https://finess.esante.gouv.fr", T(4));
        put_org_ident(b, &n, "SIRET", "https://sirene.fr", T(1));
        put_org_ident(b, &n, "SIREN", "https://sirene.fr", T(2));
        if (n)
            buf_add(b, "]", 1);
        else
            buf_truncate(b, b->len - strlen(",\"identifier\":["));
    }
    if (show(v, "active"))
        buf_addstr(b, ",\"active\":true");
    if (show(v, "type") && T(21)) {
        int n = 0;
        buf_addstr(b, ",\"type\":[");
        buf_addstr(b, "{\"extension\":[{\"url\":\"" SD_ANNUAIRE
                      "as-ext-organization-types\",\"valueCode\":"
                      "\"secteurActiviteRASS\"}],\"coding\":[");
        put_coding(c, b, TRE("R02", "SecteurActivite"), "sector", T(21));
        buf_addstr(b, "]}]");
        (void)n;
    }
    const char *name = T(5) ? T(5) : T(6);
    if (show(v, "name") && name)
        put_kv(b, ",\"name\":", name);
    if (show(v, "telecom") && (T(18) || T(19) || T(20))) {
        static const char *const sys[] = {"phone", "fax", "email"};
        int n = 0;
        buf_addstr(b, ",\"telecom\":[");
        for (int i = 0; i < 3; i++) {
            if (!T(18 + i))
                continue;
            buf_addf(b, "%s{\"system\":\"%s\"", n++ ? "," : "", sys[i]);
            put_kv(b, ",\"value\":", T(18 + i));
            buf_addstr(b, ",\"use\":\"work\"}");
        }
        buf_add(b, "]", 1);
    }
    if (show(v, "address")) {
        /* The street first, with its parts in _line (older clients read
         * them there); then the other lines. */
        char street[512];
        size_t sl = 0;
        for (int i = 7; i <= 10; i++) {
            const char *s = T(i);
            if (!s || sl + strlen(s) + 2 > sizeof(street))
                continue;
            sl += (size_t)snprintf(street + sl, sizeof(street) - sl, "%s%s",
                                   sl ? " " : "", s);
        }
        const char *city = T(15), *cedex = T(16);
        if (!city && cedex) {
            const char *sp = strchr(cedex, ' ');
            city = sp ? sp + 1 : cedex;
        }
        int nl = 0;
        buf_addstr(b, ",\"address\":[{");
        size_t open = b->len;
        if (T(17)) {
            buf_addstr(b,
                       "\"extension\":[{\"url\":\"" SD_FRCORE
                       "fr-core-address-insee-code\",\"valueCoding\":{"
                       "\"system\":\"" TRE("R13", "CommuneOM") "\",\"code\":");
            json_put_str(b, T(17));
            buf_addstr(b, "}}],");
        }
        buf_addstr(b, "\"use\":\"work\",\"type\":\"both\"");
        const char *lines[] = {sl ? street : NULL, T(11), T(12), T(13)};
        for (int i = 0; i < 4; i++) {
            if (!lines[i] || !utf8_valid(lines[i], strlen(lines[i])))
                continue;
            buf_addstr(b, nl++ ? "," : ",\"line\":[");
            json_put_str(b, lines[i]);
        }
        if (nl)
            buf_add(b, "]", 1);
        if (sl) {
            int ne = 0;
            buf_addstr(b, ",\"_line\":[{\"extension\":[");
            put_adxp(b, &ne, "houseNumber", T(7));
            put_adxp(b, &ne, "buildingNumberSuffix", T(8));
            put_adxp(b, &ne, "streetNameType", T(9));
            put_adxp(b, &ne, "streetNameBase", T(10));
            buf_addstr(b, "]}]");
        }
        if (T(14))
            put_kv(b, ",\"postalCode\":", T(14));
        if (city)
            put_kv(b, ",\"city\":", city);
        buf_addstr(b, "}]");
        (void)open;
    }
    buf_add(b, "}", 1);
    return 0;
#undef T
}

long long fhir_org_sid(struct db_conn *c, const char *id)
{
    return first_int64(c, "SELECT sid FROM structure WHERE structure_id = ?1",
                       id);
}

int fhir_org_aids(struct db_conn *c, long long sid, int first, long long **aids,
                  size_t *n)
{
    /* Its people from the structure's pids, then each one's activities
     * there within the pid's rowid range: a few index probes, where a
     * search of activity by structure_id would read all 2.4 M rows (it
     * has no index on the structure). */
    *aids = NULL;
    *n = 0;
    char id[72];
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT structure_id FROM structure WHERE sid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sid);
    int found = sqlite3_step(st) == SQLITE_ROW && db_text(st, 0) &&
                strlen(db_text(st, 0)) < sizeof(id);
    if (found)
        snprintf(id, sizeof(id), "%s", db_text(st, 0));
    db_done(st);
    if (!found)
        return -1;
    uint32_t *pids;
    size_t np;
    if (structure_pids(c, &sid, 1, &pids, &np) < 0)
        return -1;
    st = db_prepare_static(c,
                           "SELECT aid FROM activity WHERE aid" ROWID_RANGE_SQL
                           " AND structure_id = ?2 ORDER BY aid");
    size_t cap = 0;
    for (size_t i = 0; st && i < np && !db_expired(c); i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, pids[i]);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                *aids = xrealloc(*aids, cap * sizeof(**aids));
            }
            (*aids)[(*n)++] = sqlite3_column_int64(st, 0);
            if (first)
                break;
        }
        if (first && *n)
            break;
    }
    db_done(st);
    free(pids);
    return st ? 0 : -1;
}

int fhir_org_aid(struct db_conn *c, const char *id, long long *aid)
{
    long long sid = fhir_org_sid(c, id), *v;
    size_t n;
    if (sid <= 0 || fhir_org_aids(c, sid, 1, &v, &n) < 0)
        return -1;
    int rc = n ? 0 : -1;
    if (n)
        *aid = v[0];
    free(v);
    return rc;
}

int fhir_res_org_aid(struct db_conn *c, struct buf *b, long long aid,
                     const struct fhir_view *v)
{
    sqlite3_stmt *st = db_prepare_static(c, "SELECT " ORG_COLS
                                            " FROM activity WHERE aid = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, aid);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        rc = org_write(c, b, st, 0, v);
    db_done(st);
    return rc;
}

int fhir_res_role_org(struct db_conn *c, long long aid, char *id, size_t cap)
{
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT structure_id FROM activity WHERE aid = ?1");
    if (!st)
        return -1;
    int rc = step_org_id(st, aid, id, cap) ? 0 : -1;
    db_done(st);
    return rc;
}

int fhir_res_role(struct db_conn *c, struct buf *b, long long aid,
                  const struct fhir_view *v)
{
    long long pid = rowid_pid(aid);
    sqlite3_stmt *st = db_prepare_static(
        c, "SELECT p.national_id, a.genre_code, a.mode_code, a.role_code,"
           " a.section_code, a.structure_id FROM activity a, professional p"
           " WHERE a.aid = ?1 AND p.pid = ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, aid);
    sqlite3_bind_int64(st, 2, pid);
    if (sqlite3_step(st) != SQLITE_ROW || !db_text(st, 0)) {
        db_done(st);
        return -1;
    }
    char id[48], nid[24];
    snprintf(nid, sizeof(nid), "%s", db_text(st, 0));
    snprintf(id, sizeof(id), "%s-%lld", nid, rowid_seq(aid));
    char ts[32];
    person_ts(c, pid, v, ts, sizeof(ts));
    put_head(b, "PractitionerRole", id, "practitioner-role", v, ts);
    if (show(v, "active"))
        buf_addstr(b, ",\"active\":true");
    if (show(v, "practitioner"))
        buf_addf(b, ",\"practitioner\":{\"reference\":\"Practitioner/%s\"}",
                 nid);
    const char *sid = db_text(st, 5);
    char *structure = sid ? xstrdup(sid) : NULL;
    if (show(v, "organization") && sid && fhir_id_ok(sid))
        buf_addf(b, ",\"organization\":{\"reference\":\"Organization/%s\"}",
                 sid);
    if (show(v, "code") && (db_text(st, 1) || db_text(st, 2) ||
                            db_text(st, 3) || db_text(st, 4))) {
        /* ANS's order: genre (R22), mode (R23), fonction (R21), then the
         * pharmacists' section (R06). */
        int n = 0;
        buf_addstr(b, ",\"code\":[");
        put_concept(c, b, &n, TRE("R22", "GenreActivite"), "genre",
                    db_text(st, 1));
        put_concept(c, b, &n, TRE("R23", "ModeExercice"), "mode",
                    db_text(st, 2));
        put_concept(c, b, &n, TRE("R21", "Fonction"), "role", db_text(st, 3));
        put_concept(c, b, &n, TRE("R06", "SectionTableauCNOP"), "section",
                    db_text(st, 4));
        buf_add(b, "]", 1);
    }
    db_done(st);
    if (show(v, "telecom") && structure) {
        int n = 0;
        put_mailboxes(c, b, pid, structure, &n);
    }
    free(structure);
    buf_add(b, "}", 1);
    return 0;
}
