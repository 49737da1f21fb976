/* The database builder: see load.h. This file runs the build's steps in
 * order and owns what they share (struct build, build.h):
 *   1. plan: which source holds which extract (zip members by prefix);
 *   2. open the new database, the schema up to its post-load part, the
 *      commune tables;
 *   3. read each extract (parse.c: a parse thread turns lines into rows,
 *      rows.c, which wait in the spill, spill.c, until pids are known);
 *   4. sort the professionals into the default order (persons.c), start
 *      the full-text index beside the rows (fts_side.c), write every row
 *      in pid order (write.c);
 *   5. post-load: the indexes, the code lists (codes.c), meta, commit;
 *   6. finish: the full-text index copied in, ANALYZE, the checks
 *      (check.c).
 * A failure at any step stops the build; the caller removes the file. */
#include "load.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "carry.h"
#include "check.h"
#include "dataset.h"
#include "fts_side.h"
#include "parse.h"
#include "places.h"
#include "prefetch.h"
#include "rowid.h"
#include "sql.h"
#include "util.h"
#include "write.h"
#include "zipread.h"
#include "banned.h"

extern const char schema_sql[];

static const char *const kind_prefix[KIND_COUNT] = {
    "PS_LibreAcces_Personne_activite_",
    "PS_LibreAcces_SavoirFaire_",
    "PS_LibreAcces_Dipl_AutExerc_",
    "Extraction_Correspondance_MSSante_",
};
static const char *const kind_names[KIND_COUNT] = {"activite", "savoirfaire",
                                                   "diplome", "mssante"};

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int load_kind_of(const char *name)
{
    const char *b = base_name(name);
    for (int k = 0; k < KIND_COUNT; k++)
        if (strncmp(b, kind_prefix[k], strlen(kind_prefix[k])) == 0)
            return k;
    return -1;
}

const char *load_kind_prefix(int kind)
{
    return kind >= 0 && kind < KIND_COUNT ? kind_prefix[kind] : "";
}

/* The kind named name ("activite"...), or -1. */
static int kind_named(const char *name)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

const char *load_kind_name(int kind)
{
    return kind >= 0 && kind < KIND_COUNT ? kind_names[kind] : "?";
}

void load_stamp_of(const char *name, char *out)
{
    /* The last run of exactly 12 digits: PS_LibreAcces_202608261013.zip */
    const char *b = base_name(name);
    out[0] = '\0';
    for (const char *p = b; *p; p++) {
        size_t n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 12 && (p == b || p[-1] < '0' || p[-1] > '9')) {
            memcpy(out, p, 12);
            out[12] = '\0';
        }
        if (n)
            p += n - 1;
    }
}

/* ---- Progress on a terminal ---- */

void load_progress(struct build *b, const char *step, int final)
{
    static double last;
    double t = now_s();
    if (!b->opts->progress || (!final && t - last < 0.25))
        return;
    last = t;
    double el = t - b->t0;
    double mb =
        (double)atomic_load_explicit(&b->shown_bytes, memory_order_relaxed) /
        1e6;
    if (b->total_bytes)
        fprintf(stderr, "\r\033[K%s: %s %.0f/%.0f MB, %llu lines, %.0f MB/s",
                step, b->file ? base_name(b->file) : "", mb,
                (double)b->total_bytes / 1e6,
                atomic_load_explicit(&b->shown_lines, memory_order_relaxed),
                el > 0 ? mb / el : 0);
    else
        fprintf(stderr, "\r\033[K%s", step);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* --verbose: a step's wall time, and its CPU time over every thread (on
 * a shared machine the steadier of the two). */
static void step_done(const char *what, double *t)
{
    static double cpu0;
    double n = now_s(), c = cpu_s();
    log_debug("%s: %.2f s (cpu %.2f s)", what, n - *t, c - cpu0);
    *t = n;
    cpu0 = c;
}

/* ---- A text file as a byte source (zip members are zipread.h's) ---- */

struct file_src {
    int fd;
};
static ssize_t fd_read(void *ctx, char *buf, size_t n)
{
    struct file_src *fs = ctx;
    ssize_t r = read(fs->fd, buf, n);
    if (r < 0)
        log_error("read: %s", strerror(errno));
    return r;
}

static int write_meta(sqlite3 *db, const struct load_input *in, size_t n,
                      const struct load_result *res,
                      const char *const *kind_src)
{
    sqlite3_stmt *s = NULL;
    char built[32], num[32];
    time_t t = time(NULL);
    struct tm tm;
    int ret = -1;
    gmtime_r(&t, &tm);
    strftime(built, sizeof(built), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (sqlite3_prepare_v2(db, "INSERT INTO meta VALUES (?,?)", -1, &s, NULL) !=
        SQLITE_OK)
        goto fail;
    const struct {
        const char *k;
        unsigned long long v;
    } counts[] = {
        {"professionals", res->professionals}, {"activities", res->activities},
        {"specialties", res->specialties},     {"diplomas", res->diplomas},
        {"mailboxes", res->mailboxes},
    };
    char schema[16];
    snprintf(schema, sizeof(schema), "%lld",
             sql_count(db, "PRAGMA user_version"));
    const char *kv[][2] = {
        {"schema_version", schema},
        {"importer_version", RPPS_VERSION},
        {"built_at", built},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(*kv); i++) {
        sqlite3_bind_text(s, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, kv[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(s);
    }
    for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
        snprintf(num, sizeof(num), "%llu", counts[i].v);
        sqlite3_bind_text(s, 1, counts[i].k, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, num, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(s);
    }
    for (size_t i = 0; i < n; i++) {
        struct buf key;
        int rc;
        if (!in[i].fingerprint)
            continue;
        buf_init(&key, 8192);
        buf_addf(&key, "source:%s", in[i].source);
        sqlite3_bind_text(s, 1, key.s, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, in[i].fingerprint, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        buf_release(&key);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO extract VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    for (int k = 0; k < KIND_COUNT; k++) {
        const struct load_stats *st = &res->kind[k];
        if (!st->present)
            continue;
        sqlite3_bind_text(s, 1, kind_names[k], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, kind_src[k], -1, SQLITE_STATIC);
        sql_bind_opt(s, 3, st->member);
        sql_bind_opt(s, 4, st->stamp);
        sqlite3_bind_int(s, 5, (int)st->columns);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)st->lines);
        sqlite3_bind_int64(s, 7, (sqlite3_int64)st->loaded);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)st->rejected);
        sqlite3_bind_int64(s, 9, (sqlite3_int64)st->duplicates);
        sql_bind_opt(s, 10, st->origin);
        sql_bind_opt(s, 11, st->stamp_from);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(s);
    }
    ret = 0;
    goto out;
fail:
    log_error("sqlite: meta: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(s);
    return ret;
}

/* ---- The whole build ---- */

/* Which file holds which extract, and the zips opened to find out. */
struct sources {
    struct {
        const struct load_input *in; /* NULL: the extract is not imported */
        int member; /* its zip member's index, or -1 for a text file */
    } plan[KIND_COUNT];
    struct zipread *zips[LOAD_MAX_SOURCES]; /* one per input, or NULL */
};

/* Puts input in (number i) down for extract k, unless one already is. */
static int plan_add(struct sources *so, int k, const struct load_input *in,
                    int member)
{
    if (so->plan[k].in) {
        log_error("%s: a second %s extract (already in %s)", in->source,
                  kind_names[k], so->plan[k].in->source);
        return -1;
    }
    so->plan[k].in = in;
    so->plan[k].member = member;
    return 0;
}

/* Which file holds which extract: zip members by prefix, text files by
 * name (docs/format.md §1). 0, or -1 (logged). */
static int plan_sources(struct sources *so, const struct load_input *in,
                        size_t n)
{
    assert(n <= LOAD_MAX_SOURCES);
    for (size_t i = 0; i < n; i++) {
        if (!zipread_is_zip(in[i].path)) {
            int k =
                in[i].kind ? kind_named(in[i].kind) : load_kind_of(in[i].name);
            if (k < 0) {
                log_error("%s: not an extract: the file name must start with "
                          "one of PS_LibreAcces_Personne_activite_, "
                          "PS_LibreAcces_SavoirFaire_, "
                          "PS_LibreAcces_Dipl_AutExerc_, "
                          "Extraction_Correspondance_MSSante_ (or be a zip "
                          "holding them)",
                          in[i].source);
                return -1;
            }
            if (plan_add(so, k, &in[i], -1) < 0)
                return -1;
            continue;
        }
        so->zips[i] = zipread_open(in[i].path);
        if (!so->zips[i])
            return -1;
        int found = 0;
        for (int k = 0; k < KIND_COUNT; k++) {
            int m = zipread_find(so->zips[i], kind_prefix[k]);
            if (m < 0)
                continue;
            if (plan_add(so, k, &in[i], m) < 0)
                return -1;
            found++;
        }
        if (!found) {
            log_error("%s: the zip holds no extract file (members named "
                      "PS_LibreAcces_* or "
                      "Extraction_Correspondance_MSSante_*)",
                      in[i].source);
            return -1;
        }
    }
    return 0;
}

/* Opens the new database at db_path for the build, in a transaction, with
 * the schema up to its post-load part and the commune tables. 0, or -1
 * (logged; *db may be open all the same). */
static int open_db(const char *db_path, const struct load_opts *o, sqlite3 **db)
{
    if (sqlite3_open_v2(db_path, db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK) {
        log_error("%s: %s", db_path, *db ? sqlite3_errmsg(*db) : "cannot open");
        return -1;
    }
    /* A build writes a new file nobody reads: no journal, no syncs until
     * the end (main.c fsyncs before the rename), a large page cache. */
    if (sql_exec(*db,
                 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-262144;"
                 "PRAGMA temp_store=FILE; PRAGMA threads=2; BEGIN") < 0)
        return -1;
    /* The schema up to the post-load marker now, the rest after the rows
     * (post_load()). */
    const char *mark = strstr(schema_sql, "-- @post-load");
    char *pre = xstrndup(schema_sql, mark ? (size_t)(mark - schema_sql)
                                          : strlen(schema_sql));
    int rc = sql_exec(*db, pre);
    free(pre);
    if (rc < 0)
        return -1;
    if (o->communes_tsv &&
        places_load_tsv(*db, o->communes_tsv, o->postcodes_tsv) < 0)
        return -1;
    return 0;
}

/* Reads extract k from where so planned it into b, its figures into st.
 * 0, or -1 (logged). */
static int read_extract(struct build *b, const struct sources *so,
                        const struct load_input *in, int k,
                        struct load_stats *st)
{
    const struct load_input *src_in = so->plan[k].in;
    int member = so->plan[k].member;
    struct file_src fs = {-1};
    struct psv_src src;
    char label[1024];
    b->st = st;
    if (member >= 0) {
        struct zipread *z = so->zips[src_in - in];
        const char *mname = zipread_name(z, (size_t)member);
        if (zipread_open_member(z, (size_t)member) < 0)
            return -1;
        snprintf(st->member, sizeof(st->member), "%s", base_name(mname));
        snprintf(label, sizeof(label), "%s:%s", src_in->source,
                 base_name(mname));
        b->total_bytes = zipread_member_size(z);
        src = (struct psv_src){zipread_read, z};
    } else {
        struct stat sb;
        fs.fd = open(src_in->path, O_RDONLY | O_CLOEXEC);
        if (fs.fd < 0) {
            log_error("%s: %s", src_in->path, strerror(errno));
            return -1;
        }
        snprintf(st->member, sizeof(st->member), "%s", base_name(src_in->name));
        snprintf(label, sizeof(label), "%s", src_in->source);
        b->total_bytes = fstat(fs.fd, &sb) == 0 ? (size_t)sb.st_size : 0;
        src = (struct psv_src){fd_read, &fs};
    }
    load_stamp_of(st->member, st->stamp);
    if (!st->stamp[0])
        load_stamp_of(src_in->name, st->stamp);
    /* No name says the date (the mirror's): the download's Last-Modified. */
    st->stamp_from = st->stamp[0] ? "name" : NULL;
    if (!st->stamp[0] && src_in->stamp && src_in->stamp[0]) {
        snprintf(st->stamp, sizeof(st->stamp), "%s", src_in->stamp);
        st->stamp_from = "last-modified";
    }
    st->origin = src_in->origin;
    /* Inflate on its own thread while this file is parsed. */
    struct prefetch *pf = prefetch_start(src);
    int rc = pf ? parse_file(b, prefetch_src(pf), label, k) : -1;
    if (pf)
        prefetch_stop(pf);
    if (fs.fd >= 0)
        close(fs.fd);
    return rc;
}

/* After the rows: the indexes, the code lists, the counts and the meta
 * table, then the commit. 0, or -1 (logged). */
static int post_load(struct build *b, sqlite3 *db, const struct load_input *in,
                     size_t n, struct load_result *res,
                     const char *const *kind_src, double *t0)
{
    load_progress(b, "building indexes", 0);
    /* CREATE INDEX sorts in a few worker threads only once its keys spill
     * out of the page cache into sorted runs; a small cache gets there at
     * once (at full scale 20 s for the indexes instead of 30 s with the
     * 256 MiB cache, which then sorts on one core). */
    const char *mark = strstr(schema_sql, "-- @post-load");
    if (sql_exec(db, "PRAGMA cache_size=-20000; PRAGMA threads=4") < 0 ||
        (mark && sql_exec(db, mark) < 0) ||
        sql_exec(db, "PRAGMA cache_size=-262144; PRAGMA threads=2") < 0)
        return -1;
    step_done("indexes", t0);
    /* After the indexes: specialty counts read specialty_code. */
    if (codes_write(&b->codes, db) < 0)
        return -1;
    step_done("codes", t0);
    /* After the counts: the activities of the rare codes (schema.sql's
     * activity_code), in one scan of activity. 1 in 50: a scan finds a
     * page of 200 (the facade's largest) in some 10,000 rows of a code at
     * least that common. */
    if (sql_exec(db, "WITH rare(code) AS MATERIALIZED (SELECT code FROM code"
                     " WHERE list IN ('mode', 'genre', 'role', 'section')"
                     " GROUP BY code HAVING sum(count) > 0 AND"
                     " sum(count) * 50 < (SELECT count(*) FROM activity))"
                     " INSERT OR IGNORE INTO activity_code"
                     " SELECT r.code, a.aid FROM activity a CROSS JOIN rare r"
                     " WHERE r.code IN (a.genre_code, a.mode_code,"
                     " a.role_code, a.section_code) ORDER BY 1, 2") < 0)
        return -1;
    step_done("rare codes", t0);
    /* The facade's totals without a read of every row (schema.sql's
     * activity_combo, structure_town and structure_postcode_count): one
     * scan of each table (activity's with its people's mailboxes: 2.5 s
     * at full scale). A role's mailboxes are its person's tied to its
     * structure (server/fhir_role.c role_mailbox_ok()); the town is what
     * the facade's address-city matches (server/fhir_org.c org_ok(): the
     * city, else the cedex office's words after its code). */
#define LOAD_SAME_PERSON ROWID_BETWEEN_SQL(ROWID_PID_SQL("a.aid"))
    static const char combo_sql[] =
        "INSERT INTO activity_combo SELECT coalesce(genre_code, ''),"
        " coalesce(mode_code, ''), coalesce(role_code, ''),"
        " coalesce(section_code, ''), count(*), sum(EXISTS (SELECT 1 FROM"
        " mailbox m WHERE m.mid" LOAD_SAME_PERSON
        " AND substr(m.structure_id, 2) = substr(a.structure_id, 2)"
        " AND instr(m.address, '@') > 0)) FROM activity a GROUP BY 1, 2, 3, 4";
#undef LOAD_SAME_PERSON
    if (sql_exec(db, combo_sql) < 0 ||
        sql_exec(db, "INSERT INTO structure_town SELECT"
                     " coalesce(city_fold, ''), coalesce(city, CASE WHEN"
                     " instr(cedex_office, ' ') > 0 THEN substr(cedex_office,"
                     " instr(cedex_office, ' ') + 1) END,"
                     " ''), count(*) FROM structure"
                     " WHERE length(structure_id) BETWEEN 1 AND 64 AND"
                     " structure_id NOT GLOB '*[^A-Za-z0-9.-]*'"
                     " GROUP BY 1, 2") < 0 ||
        sql_exec(db, "INSERT INTO structure_postcode_count SELECT"
                     " coalesce(postcode, ''), count(*) FROM structure"
                     " WHERE length(structure_id) BETWEEN 1 AND 64 AND"
                     " structure_id NOT GLOB '*[^A-Za-z0-9.-]*'"
                     " GROUP BY 1") < 0)
        return -1;
    step_done("facade counts", t0);
    res->activities =
        (unsigned long long)sql_count(db, "SELECT count(*) FROM activity");
    res->specialties =
        (unsigned long long)sql_count(db, "SELECT count(*) FROM specialty");
    res->diplomas =
        (unsigned long long)sql_count(db, "SELECT count(*) FROM diploma");
    res->mailboxes =
        (unsigned long long)sql_count(db, "SELECT count(*) FROM mailbox");
    if (write_meta(db, in, n, res, kind_src) < 0)
        return -1;
    /* Committed, and the file's exclusive lock given up (at the end of the
     * next read) for the full-text index's copy and the checks. */
    if (sql_exec(db, "COMMIT; PRAGMA locking_mode=NORMAL;"
                     "SELECT count(*) FROM meta") < 0)
        return -1;
    step_done("commit", t0);
    return 0;
}

/* The extract date of this import, YYYYMMDD: the activity extract's file
 * stamp, else any extract's, else today (UTC) for files without one. */
static int extract_day(const struct load_result *res)
{
    static const int order[] = {KIND_ACTIVITY, KIND_MSSANTE, KIND_SKILL,
                                KIND_DIPLOMA};
    for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
        const char *s = res->kind[order[i]].stamp;
        if (res->kind[order[i]].present && strlen(s) == 12)
            return (int)(strtoll(s, NULL, 10) / 10000); /* YYYYMMDDhhmm */
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The full-text index copied in, the history step (carry.h), the
 * planner's statistics, the checks:
 * on the committed file. 0, or -1 (logged). */
static int finish(struct build *b, sqlite3 *db, struct fts_side *fts,
                  const char *db_path, struct load_result *res, double *t0)
{
    load_progress(b, "building the full-text index", 0);
    if (fts_side_finish(fts, db_path) < 0)
        return -1;
    step_done("full-text index", t0);
    /* The professionals and strings are no longer needed (the full-text
     * thread was their last reader): freed before the history step, which
     * holds two lists of entries of its own, so that the peak stays the
     * build's. */
    persons_release(&b->persons);
    strset_release(&b->strs);
    codes_release(&b->codes);
    arena_release(&b->arena);
    memset(&b->persons, 0, sizeof(b->persons));
    memset(&b->strs, 0, sizeof(b->strs));
    memset(&b->codes, 0, sizeof(b->codes));
    memset(&b->arena, 0, sizeof(b->arena));
    load_progress(b, "carrying history", 0);
    char built[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(built, sizeof(built), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (carry_history(db, extract_day(res), built, &b->opts->history,
                      &res->history) < 0)
        return -1;
    step_done("history", t0);
    /* The server's in-memory indexes, built once here rather than at each
     * start of each server (dataset.h): on the committed data, before the
     * statistics and the checks, which then cover their table too. */
    load_progress(b, "precomputing the server's indexes", 0);
    /* This connection's page cache (up to 256 MiB from the build) given
     * back first: the dataset takes about 200 MiB, and the two together
     * set the import's peak (967 MiB measured, against 879 before). */
    sqlite3_db_release_memory(db);
    if (dataset_precompute(db, db_path) < 0)
        return -1;
    step_done("server indexes", t0);
    load_progress(b, "checking", 0);
    /* Statistics for the query planner (sampled: a full ANALYZE reads
     * every index), then back to an ordinary rollback journal so readers
     * need no write access. */
    if (sql_exec(db, "PRAGMA analysis_limit=2000; ANALYZE;"
                     "PRAGMA journal_mode=DELETE") < 0)
        return -1;
    step_done("analyze", t0);
    if (check_db(db, db_path) < 0)
        return -1;
    step_done("integrity checks", t0);
    return 0;
}

int load_build(const char *db_path, const struct load_input *in, size_t n,
               const struct load_opts *o, struct load_result *res)
{
    struct build b;
    sqlite3 *db = NULL;
    struct sources so;
    const char *kind_src[KIND_COUNT] = {0};
    struct spill sp;
    struct fts_side fts;
    int ret = -1, have = 0;
    double t0 = now_s();

    memset(&b, 0, sizeof(b));
    memset(res, 0, sizeof(*res));
    memset(&so, 0, sizeof(so));
    memset(&sp, 0, sizeof(sp));
    memset(&fts, 0, sizeof(fts));
    sp.fd = -1;
    b.sp = &sp;
    structures_init(&b.structs);
    b.opts = o;
    if (n > LOAD_MAX_SOURCES) {
        log_error("at most %d sources", LOAD_MAX_SOURCES);
        return -1;
    }
    if (plan_sources(&so, in, n) < 0 || open_db(db_path, o, &db) < 0)
        goto out;
    if (o->communes_tsv && !(b.towns = places_towns_load(o->communes_tsv)))
        goto out;
    step_done("communes", &t0);
    if (spill_open(&sp, db_path) < 0)
        goto out;
    for (int k = 0; k < KIND_COUNT; k++) {
        if (!so.plan[k].in)
            continue;
        have++;
        kind_src[k] = so.plan[k].in->source;
        int rc = read_extract(&b, &so, in, k, &res->kind[k]);
        step_done(kind_names[k], &t0);
        if (rc < 0)
            goto out;
    }
    if (!have) {
        log_error("no extract to import");
        goto out;
    }
    b.file = NULL;
    b.st = NULL;
    b.total_bytes = 0;
    load_progress(&b, "writing professionals and their rows", 0);
    double t = now_s();
    persons_sort(&b.persons);
    log_debug("sorted %zu professionals in %.2f s", b.persons.n, now_s() - t);
    if (spill_flush(&sp) < 0 || fts_side_start(&fts, &b.persons, db_path) < 0 ||
        write_rows(&b, db) < 0)
        goto out;
    res->professionals = b.persons.n;
    step_done("professionals and rows", &t0);
    if (structures_write(&b.structs, db) < 0)
        goto out;
    step_done("structures", &t0);
    spill_close(&sp);
    if (post_load(&b, db, in, n, res, kind_src, &t0) < 0 ||
        finish(&b, db, &fts, db_path, res, &t0) < 0)
        goto out;
    load_progress(&b, "done", 1);
    ret = 0;
out:
    fts_side_finish(&fts, NULL); /* after a failure: stop, join, close */
    if (db && sqlite3_close(db) != SQLITE_OK) {
        log_error("sqlite close: %s", sqlite3_errmsg(db));
        ret = -1;
    }
    for (size_t i = 0; i < n && i < LOAD_MAX_SOURCES; i++)
        zipread_close(so.zips[i]);
    spill_close(&sp);
    persons_release(&b.persons);
    structures_release(&b.structs);
    strset_release(&b.strs);
    codes_release(&b.codes);
    arena_release(&b.arena);
    places_towns_free(b.towns);
    return ret;
}
