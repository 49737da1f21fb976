/* End-to-end tests of rpps-server: the real binary ($BUILD/rpps-server),
 * started on a free port against a small database built here from the
 * schema and hand-written rows (deterministic, so ranking is asserted
 * exactly), queried over HTTP with libcurl. Covers every endpoint and
 * filter, facets, paging, ranking, ETag/304, gzip, every error status, a
 * database that appears late (503 first), a hot swap under concurrent
 * requests with zero failures, and a clean SIGTERM stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "fold.h"
#include "places.h"
#include "t.h"
#include "util.h"

extern const char schema_sql[];

static char tmpdir[256];

struct person {
    const char *nid, *type, *id, *civ, *title, *last, *first, *prof;
    int has_mss;
};

/* pid order (default ranking): has_mss first, then folded names. */
static const struct person people[] = {
    {"810000000001", "8", "10000000001", "M", "DR", "MARTIN", "Jean", "10", 1},
    {"810000000002", "8", "10000000002", "MME", NULL, "MARTIN", "Sophie", "60",
     0},
    {"810000000003", "8", "10000000003", "M", "DR", "MARTINEZ", "Paul", "40",
     1},
    {"810000000004", "8", "10000000004", "M", "DR", "DUPONT", "Martin", "10",
     0},
    {"810000000005", "8", "10000000005", "MME", "DR", "LE GOFF", "Anne", "40",
     0},
    {"810000000006", "8", "10000000006", "MME", NULL, "DURAND", "Martine", "70",
     0},
    {"0010001949", "0", "010001949", "MME", NULL, "LEFÈVRE", "Élodie", "50", 0},
    {"810000000008", "8", "10000000008", "M", NULL, "MEDDAH-LAÏD", "Karim",
     "21", 1},
    {"810000000009", "8", "10000000009", "MME", "DR", "N'DIAYE", "Fatou", "10",
     0},
    {"810000000010", "8", "10000000010", "M", "DR", "BERNARD", "Luc", "40", 0},
};

struct act {
    const char *nid, *mode, *sector, *name, *street, *pc, *insee, *city, *dept;
};

static const struct act acts[] = {
    {"810000000001", "L", "SA07", "CABINET MARTIN", "RUE DE LA ROQUETTE",
     "75011", "75111", "Paris", "75"},
    {"810000000002", "S", "SA01", "HOPITAL EDOUARD HERRIOT", "PLACE D ARSONVAL",
     "69003", "69383", "Lyon", "69"},
    {"810000000003", "L", "SA08", "CABINET DENTAIRE", "FAUBOURG DE FRANCE",
     "90000", "90010", "Belfort", "90"},
    {"810000000004", "L", "SA07", NULL, "RUE DE LA REPUBLIQUE", "90000",
     "90010", "Belfort", "90"},
    {"810000000005", "L", "SA07", NULL, "RUE THIERS", "90000", "90010",
     "Belfort", "90"},
    {"810000000006", "L", "SA07", NULL, "RUE DE CHARENTON", "75012", "75112",
     "Paris", "75"},
    {"0010001949", "L", "SA07", NULL, "RUE ALEXANDRE BERARD", "01500", "01004",
     "Ambérieu-en-Bugey", "01"},
    {"810000000008", "S", "SA33", "PHARMACIE DU VIEUX PORT", "QUAI DU PORT",
     "13001", "13201", "Marseille", "13"},
    {"810000000009", "L", "SA07", NULL, "BOULEVARD VOLTAIRE", "75011", "75111",
     "Paris", "75"},
    {"810000000009", "S", "SA01", "HOPITAL NORD FRANCHE COMTE",
     "RUE DE MULHOUSE", "90000", "90010", "Belfort", "90"},
    {"810000000010", "L", "SA07", NULL, "GRANDE RUE", "90100", "90033", "Delle",
     "90"},
};

static const char *const codes[][3] = {
    {"profession", "10", "Médecin"},
    {"profession", "21", "Pharmacien"},
    {"profession", "40", "Chirurgien-Dentiste"},
    {"profession", "50", "Sage-Femme"},
    {"profession", "60", "Infirmier"},
    {"profession", "70", "Masseur-Kinésithérapeute"},
    {"specialty", "SM54", "Médecine Générale"},
    {"specialty", "SM38", "Ophtalmologie"},
    {"mode", "L", "Libéral"},
    {"mode", "S", "Salarié"},
    {"sector", "SA07", "Cabinet individuel"},
    {"civility", "M", "Monsieur"},
    {"civility", "MME", "Madame"},
    {"title", "DR", "Docteur"},
    {"diploma", "DE09", "DE Docteur en médecine"},
};

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql: %s: %s\n", err, sql);
        exit(1);
    }
}

/* The schema version the server serves. */
#define GOOD 3

/* Builds a database at path; extra=1 adds ZOLA Emile (the "new" dataset). */
static void make_db(const char *path, int extra, int version)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    sqlite3 *db;
    if (sqlite3_open(tmp, &db) != SQLITE_OK)
        exit(1);
    exec_or_die(db, schema_sql);
    exec_or_die(db, "CREATE TEMP TABLE st (national_id, id_type, id,"
                    " civility_code, title_code, last_name, first_name,"
                    " last_fold, first_fold, last_join, profession_code,"
                    " has_mss)");
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO st VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       -1, &st, NULL);
    size_t np = sizeof(people) / sizeof(people[0]);
    for (size_t i = 0; i < np + (extra ? 1 : 0); i++) {
        struct person z = {"810000000011", "8",     "10000000011", "M", NULL,
                           "ZOLA",         "Émile", "10",          0};
        const struct person *p = i < np ? &people[i] : &z;
        char lf[128], ff[128], lj[128];
        fold(p->last, strlen(p->last), lf);
        fold(p->first, strlen(p->first), ff);
        fold_joined(p->last, strlen(p->last), lj);
        const char *v[] = {p->nid,   p->type, p->id, p->civ, p->title, p->last,
                           p->first, lf,      ff,    lj,     p->prof};
        for (int k = 0; k < 11; k++)
            sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 12, p->has_mss);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec_or_die(db,
                "INSERT INTO professional (pid, national_id, id_type, id,"
                " civility_code, title_code, last_name, first_name,"
                " last_fold, first_fold, last_join, profession_code,"
                " category_code, has_mss, n_activities)"
                " SELECT row_number() OVER (ORDER BY has_mss DESC, last_fold,"
                " first_fold, national_id), national_id, id_type, id,"
                " civility_code, title_code, last_name, first_name,"
                " last_fold, first_fold, last_join, profession_code, 'C',"
                " has_mss, 1 FROM st");
    exec_or_die(db, "INSERT INTO name_fts(name_fts) VALUES('rebuild')");
    /* The name dictionary as the importer builds it: every word FTS5
     * indexes, with the number of professionals carrying it. */
    exec_or_die(db, "CREATE VIRTUAL TABLE temp.vocab USING"
                    " fts5vocab(main, name_fts, 'row');"
                    "INSERT INTO name_term SELECT term, doc, NULL"
                    " FROM temp.vocab");
    /* Activities keyed pid << 20 | seq, seq counting each person's lines
     * in file order. */
    sqlite3_prepare_v2(db,
                       "INSERT INTO activity (aid, profession_code,"
                       " mode_code, sector_code, structure_name,"
                       " street_name, postcode, insee, city, city_fold,"
                       " dept_code, phone)"
                       " SELECT pid << 20 | ?11, profession_code, ?2, ?3,"
                       " ?4, ?5, ?6, ?7, ?8, ?9, ?10, '0100000000'"
                       " FROM professional WHERE national_id = ?1",
                       -1, &st, NULL);
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
        const struct act *a = &acts[i];
        char cf[128];
        fold(a->city, strlen(a->city), cf);
        const char *v[] = {a->nid, a->mode,  a->sector, a->name, a->street,
                           a->pc,  a->insee, a->city,   cf,      a->dept};
        for (int k = 0; k < 10; k++)
            sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_TRANSIENT);
        int seq = 0;
        for (size_t j = 0; j < i; j++)
            seq += strcmp(acts[j].nid, a->nid) == 0;
        sqlite3_bind_int(st, 11, seq);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "activity: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "INSERT INTO code VALUES (?,?,?,?)", -1, &st, NULL);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (int k = 0; k < 3; k++)
            sqlite3_bind_text(st, k + 1, codes[i][k], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, 0);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec_or_die(
        db, "UPDATE code SET count = (SELECT count(*) FROM professional p"
            " WHERE p.profession_code = code.code) WHERE list = 'profession';"
            "INSERT INTO specialty SELECT pid, 'SM54', 'S' FROM professional"
            " WHERE national_id IN ('810000000001', '810000000009');"
            "INSERT INTO specialty SELECT pid, 'SM38', 'S' FROM professional"
            " WHERE national_id = '810000000004';"
            "UPDATE code SET count = (SELECT count(*) FROM specialty s"
            " WHERE s.code = code.code) WHERE list = 'specialty';"
            "INSERT INTO diploma SELECT pid << 20, 'DE', 'DE09', NULL, NULL"
            " FROM professional WHERE national_id = '810000000001';"
            "CREATE TEMP TABLE mb (address, nid, last, first, prof);"
            "INSERT INTO mb VALUES"
            " ('jean.martin@medecin.mssante.fr', '810000000001',"
            " 'MARTIN', 'Jean', '10'),"
            " ('paul.martinez@dentiste.mssante.fr', '810000000003',"
            " 'MARTINEZ', 'Paul', '40'),"
            " ('k.meddah@pharmacien.mssante.fr', '810000000008',"
            " 'MEDDAH-LAID', 'Karim', '21');"
            "INSERT INTO mailbox (mid, address, type, national_id, last_name,"
            " first_name, profession_code) SELECT p.pid << 20, address, 'PER',"
            " nid, last, first, prof FROM mb JOIN professional p"
            " ON p.national_id = mb.nid;"
            "INSERT INTO mailbox (mid, address, type, structure_id_type,"
            " structure_id, service, org_name, postcode, dept) VALUES"
            " ((1 << 50) + 1, 'secretariat.cardio@chu-test.mssante.fr', 'ORG',"
            " '3', '1900000001', 'Cardiologie', 'CHU TEST', '90000', '90');"
            "INSERT INTO meta VALUES ('schema_version', '3'),"
            " ('built_at', '2026-08-26T10:13:00Z'), ('professionals', '10'),"
            " ('source:https://user:secret@dl.example.org/x.zip?token=abc#f',"
            " 'fp1'), ('source:/srv/rpps/x.zip', 'fp2');"
            /* A source as the importer records it: as given, a signed
             * link's credentials and token included. */
            "INSERT INTO extract VALUES ('activite',"
            " 'https://user:secret@dl.example.org/x.zip?token=abc#f',"
            " 'x.txt', '202608261013', 56, 11, 11, 0, 0, 'ans', 'name');");
    if (extra)
        exec_or_die(db, "UPDATE meta SET value = '2026-08-27T10:13:00Z'"
                        " WHERE key = 'built_at'");
    char v[64];
    snprintf(v, sizeof(v), "PRAGMA user_version = %d", version);
    exec_or_die(db, v);
    sqlite3_close(db);
    if (rename(tmp, path) < 0) {
        perror("rename");
        exit(1);
    }
}

/* ---- the server process ---- */

struct server {
    pid_t pid;
    int port;
    char log[512];
};

/* Starts the server on db with the options in extra (NULL-terminated, or
 * NULL). */
static int server_start(struct server *s, const char *db,
                        const char *const *extra)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[512];
    snprintf(bin, sizeof(bin), "%s/rpps-server", build);
    snprintf(s->log, sizeof(s->log), "%s/server-%d.log", tmpdir, rand());
    const char *argv[16] = {bin,           "--db",      db, "--listen",
                            "127.0.0.1:0", "--threads", "2"};
    int argc = 7;
    for (; extra && *extra && argc < 15; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        FILE *f = freopen(s->log, "w", stderr);
        (void)f;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    s->port = 0;
    /* Up to 60 s: a server that loads the communes took over 4 s to start
     * under ThreadSanitizer on a loaded machine. */
    for (int i = 0; i < 3000 && !s->port; i++) {
        usleep(20000);
        FILE *f = fopen(s->log, "r");
        if (!f)
            continue;
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            char *p = strstr(line, "listening on port ");
            if (p)
                s->port = (int)strtol(p + 18, NULL, 10);
        }
        fclose(f);
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
    }
    return s->port ? 0 : -1;
}

/* Sends SIGTERM; returns the exit status, or -1 if not gone within ms. */
static int server_stop(struct server *s, int ms)
{
    if (!s->pid)
        return -1;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < ms / 10; i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        }
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}

/* ---- HTTP client ---- */

struct reply {
    long status;
    struct buf body;
    struct buf headers;
    json_t *json;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct buf *b = arg;
    if (buf_add(b, p, sz * n) < 0)
        return 0;
    return sz * n;
}

static void reply_free(struct reply *r)
{
    buf_release(&r->body);
    buf_release(&r->headers);
    if (r->json)
        json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* GET (or method) path on the server; reply parsed as JSON when it is. */
static int request(CURL *h, int port, const char *method, const char *path,
                   const char *const *hdrs, const char *accept_enc,
                   const char *body, struct reply *r)
{
    char url[8192 + 100];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof(*r));
    buf_init(&r->body, 16 << 20);
    buf_init(&r->headers, 1 << 20);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (method && strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (accept_enc)
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, accept_enc);
    struct curl_slist *sl = NULL;
    for (; hdrs && *hdrs; hdrs++)
        sl = curl_slist_append(sl, *hdrs);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(sl);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl %s: %s\n", path, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body.len)
        r->json = json_loadb(r->body.s, r->body.len, 0, NULL);
    return 0;
}

static CURL *curl;
static int port;

static struct reply get(const char *path)
{
    struct reply r;
    if (request(curl, port, NULL, path, NULL, NULL, NULL, &r) < 0)
        r.status = -1;
    return r;
}

/* The national ids of the results, space-separated. */
static char *ids(const struct reply *r)
{
    static char s[4096];
    s[0] = '\0';
    json_t *res = json_object_get(r->json, "results");
    if (!res)
        res = json_object_get(r->json, "suggestions");
    size_t i;
    json_t *v;
    size_t o = 0;
    json_array_foreach(res, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "id"));
        o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s", o ? " " : "",
                              id ? id : "?");
        if (o >= sizeof(s))
            break;
    }
    return s;
}

static long long jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* Search cases: path -> expected ids in order, and total. */
struct search_case {
    const char *path, *ids;
    int total;
};

static const struct search_case search_cases[] = {
    /* exact family, exact first name, family prefix, first-name prefix */
    {"/v1/search?q=martin",
     "810000000001 810000000002 810000000004 810000000003 810000000006", 5},
    {"/v1/search?q=MARTIN",
     "810000000001 810000000002 810000000004"
     " 810000000003 810000000006",
     5},
    {"/v1/search?q=mar",
     "810000000001 810000000003 810000000002 810000000004 810000000006", 5},
    {"/v1/search?q=jean%20martin", "810000000001", 1},
    {"/v1/search?q=martin%20jean", "810000000001", 1},
    {"/v1/search?q=martin%20j", "810000000001", 1},
    {"/v1/search?q=legoff", "810000000005", 1},
    {"/v1/search?q=le%20goff", "810000000005", 1},
    {"/v1/search?q=Goff+Anne", "810000000005", 1},
    {"/v1/search?q=lef%C3%A8vre", "0010001949", 1},
    {"/v1/search?q=LEFEVRE%20elo", "0010001949", 1},
    {"/v1/search?q=meddah%20la%C3%AFd", "810000000008", 1},
    {"/v1/search?q=meddahlaid", "810000000008", 1},
    {"/v1/search?q=ndiaye", "810000000009", 1},
    {"/v1/search?q=n%27diaye", "810000000009", 1},
    {"/v1/search?q=zzz", "", 0},
    {"/v1/search?name=martin", "810000000001 810000000002 810000000003", 3},
    {"/v1/search?given=martin", "810000000004 810000000006", 2},
    {"/v1/search?name=martin&given=sophie", "810000000002", 1},
    /* filters alone */
    {"/v1/search?profession=40&postcode=90000", "810000000003 810000000005", 2},
    {"/v1/search?profession=chirurgien-dentiste&postcode=90000",
     "810000000003 810000000005", 2},
    {"/v1/search?profession=Chirurgien%20Dentiste&postcode=90",
     "810000000003 810000000010 810000000005", 3},
    {"/v1/search?postcode=90",
     "810000000003 810000000010 810000000004"
     " 810000000005 810000000009",
     5},
    {"/v1/search?postcode=9000",
     "810000000003 810000000004 810000000005"
     " 810000000009",
     4},
    {"/v1/search?city=paris", "810000000001 810000000006 810000000009", 3},
    {"/v1/search?city=PARIS&profession=10", "810000000001 810000000009", 2},
    {"/v1/search?city=75111", "810000000001 810000000009", 2},
    {"/v1/search?city=amberieu%20en%20bugey", "0010001949", 1},
    {"/v1/search?city=Amb%C3%A9rieu-en-Bugey", "0010001949", 1},
    {"/v1/search?dept=90&mode=S", "810000000009", 1},
    {"/v1/search?dept=90&mode=L&profession=10", "810000000004", 1},
    {"/v1/search?dept=75,13",
     "810000000001 810000000008 810000000006"
     " 810000000009",
     4},
    {"/v1/search?dept=75&dept=13",
     "810000000001 810000000008 810000000006"
     " 810000000009",
     4},
    {"/v1/search?mode=S", "810000000008 810000000002 810000000009", 3},
    {"/v1/search?has_mss=true", "810000000001 810000000003 810000000008", 3},
    {"/v1/search?has_mss=false&profession=10", "810000000004 810000000009", 2},
    {"/v1/search?specialty=SM54", "810000000001 810000000009", 2},
    {"/v1/search?specialty=medecine%20generale", "810000000001 810000000009",
     2},
    {"/v1/search?specialty=SM54&city=belfort", "810000000009", 1},
    {"/v1/search?profession=10&profession=40",
     "810000000001 810000000003 810000000010 810000000004 810000000005"
     " 810000000009",
     6},
    {"/v1/search?profession=10", "810000000001 810000000004 810000000009", 3},
    /* a value given twice counts once (the total was 6) */
    {"/v1/search?profession=10,m%C3%A9decin&limit=1", "810000000001", 3},
    {"/v1/search?profession=40,40&postcode=90000", "810000000003 810000000005",
     2},
    {"/v1/search?specialty=SM54&specialty=SM54", "810000000001 810000000009",
     2},
    {"/v1/search?dept=90,90&mode=S,S", "810000000009", 1},
    /* text and filters together */
    {"/v1/search?q=martin&city=belfort", "810000000004 810000000003", 2},
    {"/v1/search?q=mar&profession=10", "810000000001 810000000004", 2},
    {"/v1/search?q=martin&has_mss=true", "810000000001 810000000003", 2},
    {"/v1/search?q=d&postcode=90000", "810000000004 810000000009", 2},
    /* the place read from memory (one bit per pid) with the name words:
     * a town and a profession, a department, a commune code, a mode
     * checked per person, a pid range; test_large_paths() runs them
     * through the memory driver and the name match first too */
    {"/v1/search?q=mar&city=paris&profession=10", "810000000001", 1},
    {"/v1/search?q=martin&dept=75", "810000000001 810000000006", 2},
    {"/v1/search?q=martin&city=75111", "810000000001", 1},
    {"/v1/search?q=d&dept=90&mode=L", "810000000004", 1}, /* same row */
    {"/v1/search?q=d&dept=90&mode=S&profession=10", "810000000009", 1},
    {"/v1/search?q=martin&has_mss=true&city=paris", "810000000001", 1},
    {"/v1/search?q=mar&dept=90,13&profession=40,10",
     "810000000003 810000000004", 2},
    /* paging */
    {"/v1/search?q=martin&limit=2", "810000000001 810000000002", 5},
    {"/v1/search?q=martin&limit=2&offset=2", "810000000004 810000000003", 5},
    {"/v1/search?q=martin&limit=2&offset=4", "810000000006", 5},
    {"/v1/search?q=martin&offset=9", "", 5},
    {"/v1/search?postcode=90&limit=2&offset=2", "810000000004 810000000005", 5},
    {"/v1/search?profession=10&limit=1&offset=1", "810000000004", 3},
};

static void check_cases(const struct search_case *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct reply r = get(v[i].path);
        if (r.status != 200)
            fprintf(stderr, "%s -> %ld %s\n", v[i].path, r.status, r.body.s);
        T_EQ_INT(r.status, 200);
        if (strcmp(ids(&r), v[i].ids) != 0 ||
            jint(r.json, "total") != v[i].total)
            fprintf(stderr, "  in %s\n", v[i].path);
        T_EQ_STR(ids(&r), v[i].ids);
        T_EQ_INT(jint(r.json, "total"), v[i].total);
        reply_free(&r);
    }
}

static void test_search(void)
{
    check_cases(search_cases, sizeof(search_cases) / sizeof(search_cases[0]));
}

static void test_result_shape(void)
{
    struct reply r = get("/v1/search?q=jean%20martin");
    json_t *p = json_array_get(json_object_get(r.json, "results"), 0);
    T_EQ_STR(json_string_value(json_object_get(p, "id")), "810000000001");
    T_EQ_STR(json_string_value(json_object_get(p, "rpps")), "10000000001");
    T_EQ_STR(json_string_value(json_object_get(p, "id_type")), "RPPS");
    T_EQ_STR(json_string_value(json_object_get(p, "civility")), "Monsieur");
    T_EQ_STR(json_string_value(json_object_get(p, "last_name")), "MARTIN");
    T_EQ_STR(json_string_value(json_object_get(p, "first_name")), "Jean");
    json_t *prof = json_object_get(p, "profession");
    T_EQ_STR(json_string_value(json_object_get(prof, "code")), "10");
    T_EQ_STR(json_string_value(json_object_get(prof, "label")), "Médecin");
    json_t *sp = json_array_get(json_object_get(p, "specialties"), 0);
    T_EQ_STR(json_string_value(json_object_get(sp, "code")), "SM54");
    T_EQ_STR(json_string_value(json_object_get(sp, "label")),
             "Médecine Générale");
    json_t *mb = json_array_get(json_object_get(p, "mssante"), 0);
    T_EQ_STR(json_string_value(json_object_get(mb, "address")),
             "jean.martin@medecin.mssante.fr");
    T_EQ_STR(json_string_value(json_object_get(mb, "type")), "PER");
    json_t *a = json_array_get(json_object_get(p, "activities"), 0);
    T_EQ_STR(
        json_string_value(json_object_get(json_object_get(a, "mode"), "code")),
        "L");
    T_EQ_STR(json_string_value(
                 json_object_get(json_object_get(a, "structure"), "name")),
             "CABINET MARTIN");
    json_t *ad = json_object_get(a, "address");
    T_EQ_STR(json_string_value(json_object_get(ad, "postcode")), "75011");
    T_EQ_STR(json_string_value(json_object_get(ad, "city")), "Paris");
    T_EQ_STR(json_string_value(json_object_get(ad, "insee")), "75111");
    T_EQ_STR(json_string_value(json_object_get(ad, "dept")), "75");
    T_EQ_STR(json_string_value(json_array_get(json_object_get(ad, "lines"), 0)),
             "RUE DE LA ROQUETTE");
    T_EQ_STR(json_string_value(json_object_get(a, "phone")), "0100000000");
    T_EQ_INT(jint(r.json, "limit"), 20);
    T_EQ_INT(jint(r.json, "offset"), 0);
    reply_free(&r);
    /* one result per professional even with two activities */
    r = get("/v1/search?q=ndiaye");
    p = json_array_get(json_object_get(r.json, "results"), 0);
    T_EQ_INT(json_array_size(json_object_get(r.json, "results")), 1);
    T_EQ_INT(json_array_size(json_object_get(p, "activities")), 2);
    reply_free(&r);
    r = get("/v1/search?q=lefevre");
    p = json_array_get(json_object_get(r.json, "results"), 0);
    T_EQ_STR(json_string_value(json_object_get(p, "adeli")), "010001949");
    T_EQ_STR(json_string_value(json_object_get(p, "id_type")), "ADELI");
    reply_free(&r);
}

static json_t *facet(const json_t *r, const char *name, const char *code)
{
    json_t *arr = json_object_get(json_object_get(r, "facets"), name);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "code")), code) == 0)
            return v;
    }
    return NULL;
}

static void test_facets(void)
{
    struct reply r = get("/v1/search?q=martin&limit=1&facets=profession,"
                         "has_mss&facets=dept,mode,specialty");
    T_EQ_INT(r.status, 200);
    T_EQ_INT(jint(facet(r.json, "profession", "10"), "count"), 2);
    T_EQ_STR(json_string_value(
                 json_object_get(facet(r.json, "profession", "10"), "label")),
             "Médecin");
    T_EQ_INT(jint(facet(r.json, "profession", "60"), "count"), 1);
    T_EQ_INT(jint(facet(r.json, "has_mss", "true"), "count"), 2);
    T_EQ_INT(jint(facet(r.json, "has_mss", "false"), "count"), 3);
    T_EQ_INT(jint(facet(r.json, "dept", "90"), "count"), 2);
    T_EQ_INT(jint(facet(r.json, "dept", "75"), "count"), 2);
    T_EQ_INT(jint(facet(r.json, "mode", "L"), "count"), 4);
    T_EQ_INT(jint(facet(r.json, "specialty", "SM54"), "count"), 1);
    T_CHECK(json_is_true(
        json_object_get(json_object_get(r.json, "facets"), "exact")));
    reply_free(&r);
    /* filters only: a person with activities in two departments counts in
     * each, once */
    r = get("/v1/search?postcode=90&facets=dept,mode");
    T_EQ_INT(jint(facet(r.json, "dept", "90"), "count"), 5);
    /* facets count people by all their activities: N'DIAYE is also L */
    T_EQ_INT(jint(facet(r.json, "mode", "L"), "count"), 5);
    T_EQ_INT(jint(facet(r.json, "mode", "S"), "count"), 1);
    reply_free(&r);
    r = get("/v1/search?profession=10&facets=dept");
    T_EQ_INT(jint(facet(r.json, "dept", "75"), "count"), 2);
    T_EQ_INT(jint(facet(r.json, "dept", "90"), "count"), 2);
    reply_free(&r);
}

static void test_lookups(void)
{
    static const struct {
        const char *path;
        long status;
        const char *id;
    } cases[] = {
        {"/v1/practitioners/10000000001", 200, "810000000001"},
        {"/v1/practitioners/810000000001", 200, "810000000001"},
        {"/v1/practitioners/010001949", 200, "0010001949"},
        {"/v1/practitioners/0010001949", 200, "0010001949"},
        {"/v1/practitioners/99999999999", 404, NULL},
        {"/v1/practitioners/", 404, NULL},
        {"/v1/practitioners/%FF%FE", 400, NULL},
        {"/v1/mssante/jean.martin@medecin.mssante.fr", 200, NULL},
        {"/v1/mssante/Jean.Martin@Medecin.MSSante.fr", 200, NULL},
        {"/v1/mssante/nobody@nowhere.mssante.fr", 404, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply r = get(cases[i].path);
        if (r.status != cases[i].status)
            fprintf(stderr, "%s -> %ld\n", cases[i].path, r.status);
        T_EQ_INT(r.status, cases[i].status);
        if (cases[i].id)
            T_EQ_STR(json_string_value(json_object_get(r.json, "id")),
                     cases[i].id);
        if (r.status != 200) {
            json_t *e = json_object_get(r.json, "error");
            T_EQ_INT(jint(e, "status"), cases[i].status);
            T_CHECK(json_is_string(json_object_get(e, "message")));
        }
        reply_free(&r);
    }
    struct reply r = get("/v1/practitioners/10000000001");
    json_t *d = json_array_get(json_object_get(r.json, "diplomas"), 0);
    T_EQ_STR(json_string_value(
                 json_object_get(json_object_get(d, "diploma"), "label")),
             "DE Docteur en médecine");
    T_EQ_STR(json_string_value(json_object_get(r.json, "title")), "Docteur");
    reply_free(&r);
    r = get("/v1/mssante/jean.martin@medecin.mssante.fr");
    T_EQ_STR(json_string_value(json_object_get(r.json, "owner_kind")),
             "professional");
    T_EQ_STR(json_string_value(json_object_get(
                 json_object_get(r.json, "professional"), "id")),
             "810000000001");
    reply_free(&r);
    r = get("/v1/mssante/secretariat.cardio@chu-test.mssante.fr");
    T_EQ_INT(r.status, 200);
    T_EQ_STR(json_string_value(json_object_get(r.json, "owner_kind")),
             "structure");
    json_t *s = json_object_get(r.json, "structure");
    T_EQ_STR(json_string_value(json_object_get(s, "name")), "CHU TEST");
    T_EQ_STR(json_string_value(json_object_get(s, "service")), "Cardiologie");
    T_CHECK(json_is_null(json_object_get(r.json, "professional")));
    reply_free(&r);
}

static void test_suggest_and_lists(void)
{
    struct reply r = get("/v1/suggest?q=mar");
    T_EQ_INT(r.status, 200);
    T_EQ_STR(ids(&r), "810000000001 810000000003 810000000002 810000000004"
                      " 810000000006");
    json_t *s0 = json_array_get(json_object_get(r.json, "suggestions"), 0);
    T_EQ_STR(json_string_value(json_object_get(s0, "text")), "MARTIN Jean");
    reply_free(&r);
    r = get("/v1/suggest?q=martin%20so");
    T_EQ_STR(ids(&r), "810000000002");
    reply_free(&r);
    r = get("/v1/suggest?q=a%20b%20c");
    T_EQ_INT(r.status, 400);
    reply_free(&r);
    r = get("/v1/suggest?q=");
    T_EQ_INT(r.status, 400);
    reply_free(&r);
    r = get("/v1/professions");
    T_EQ_INT(r.status, 200);
    json_t *p0 = json_array_get(json_object_get(r.json, "professions"), 0);
    T_EQ_STR(json_string_value(json_object_get(p0, "code")), "10");
    T_EQ_INT(jint(p0, "count"), 3);
    reply_free(&r);
    r = get("/v1/specialties");
    p0 = json_array_get(json_object_get(r.json, "specialties"), 0);
    T_EQ_STR(json_string_value(json_object_get(p0, "code")), "SM54");
    T_EQ_INT(jint(p0, "count"), 2);
    reply_free(&r);
    r = get("/v1/status");
    T_EQ_INT(r.status, 200);
    T_EQ_STR(json_string_value(
                 json_object_get(json_object_get(r.json, "meta"), "built_at")),
             "2026-08-26T10:13:00Z");
    T_EQ_INT(json_array_size(json_object_get(r.json, "extracts")), 1);
    /* Sources without credentials, query string or fragment. */
    T_EQ_STR(
        json_string_value(json_object_get(
            json_array_get(json_object_get(r.json, "extracts"), 0), "source")),
        "https://dl.example.org/x.zip");
    /* Where the file came from, and its date. */
    json_t *ex0 = json_array_get(json_object_get(r.json, "extracts"), 0);
    T_EQ_STR(json_string_value(json_object_get(ex0, "origin")), "ans");
    T_EQ_STR(json_string_value(json_object_get(ex0, "stamp_from")), "name");
    json_t *meta = json_object_get(r.json, "meta");
    T_EQ_STR(json_string_value(
                 json_object_get(meta, "source:https://dl.example.org/x.zip")),
             "fp1");
    T_EQ_STR(json_string_value(json_object_get(meta, "source:/srv/rpps/x.zip")),
             "fp2");
    T_CHECK(!strstr(r.body.s, "secret") && !strstr(r.body.s, "token"));
    /* The fixture's extract is of 2026-08-26: older than 3 days. */
    T_CHECK(json_is_true(json_object_get(r.json, "stale")));
    T_EQ_INT(jint(r.json, "stale_days"), 3);
    T_CHECK(json_is_string(json_object_get(r.json, "version")));
    reply_free(&r);
    r = get("/healthz");
    T_EQ_INT(r.status, 200);
    reply_free(&r);
}

static void test_errors(void)
{
    static const struct {
        const char *method, *path;
        long status;
    } cases[] = {
        {NULL, "/v1/search?q=martin&color=red", 400},
        {NULL, "/v1/search?limit=0&q=a", 400},
        {NULL, "/v1/search?limit=101&q=a", 400},
        {NULL, "/v1/search?limit=abc&q=a", 400},
        {NULL, "/v1/search?limit=-1&q=a", 400},
        {NULL, "/v1/search?offset=10000&q=a", 400},
        {NULL, "/v1/search?q=%FF", 400},
        {NULL, "/v1/search?q=a%00b", 400},
        {NULL, "/v1/search", 400},
        {NULL, "/v1/search?q=", 400},
        {NULL, "/v1/search?q=---", 400},
        {NULL, "/v1/search?q=a&q=b", 400},
        {NULL, "/v1/search?mode=X", 400},
        {NULL, "/v1/search?has_mss=maybe", 400},
        {NULL, "/v1/search?postcode=9a", 400},
        {NULL, "/v1/search?dept=999x", 400},
        {NULL, "/v1/search?profession=astronaut", 400},
        {NULL, "/v1/search?q=a&facets=color", 400},
        {NULL, "/v1/search?q=a+b+c+d+e+f+g+h+i", 400},
        {NULL, "/v1/nothing", 404},
        {NULL, "/favicon.ico", 404}, /* "/" is the web page */
        {NULL, "/static/nothing.js", 404},
        {"POST", "/v1/search?q=a", 405},
        {"DELETE", "/v1/practitioners/10000000001", 405},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply r;
        request(curl, port, cases[i].method, cases[i].path, NULL, NULL, NULL,
                &r);
        if (r.status != cases[i].status)
            fprintf(stderr, "%s -> %ld %s\n", cases[i].path, r.status,
                    r.body.s);
        T_EQ_INT(r.status, cases[i].status);
        T_EQ_INT(jint(json_object_get(r.json, "error"), "status"),
                 cases[i].status);
        reply_free(&r);
    }
    /* Oversized: body, URL, headers. */
    char *big = xmalloc(200000);
    memset(big, 'a', 199999);
    big[199999] = '\0';
    struct reply r;
    request(curl, port, "POST", "/v1/search?q=a", NULL, NULL, big, &r);
    T_EQ_INT(r.status, 413);
    reply_free(&r);
    char url[6000];
    snprintf(url, sizeof(url), "/v1/search?q=%.5000s", big);
    request(curl, port, NULL, url, NULL, NULL, NULL, &r);
    T_EQ_INT(r.status, 414);
    T_EQ_INT(jint(json_object_get(r.json, "error"), "status"), 414);
    reply_free(&r);
    char hdr[12000];
    snprintf(hdr, sizeof(hdr), "X-Big: %.10000s", big);
    const char *hs[] = {hdr, NULL};
    request(curl, port, NULL, "/v1/search?q=a", hs, NULL, NULL, &r);
    T_EQ_INT(r.status, 431);
    reply_free(&r);
    /* A value over 256 bytes */
    snprintf(url, sizeof(url), "/v1/search?q=%.300s", big);
    request(curl, port, NULL, url, NULL, NULL, NULL, &r);
    T_EQ_INT(r.status, 400);
    reply_free(&r);
    free(big);
    /* Still alive after all that. */
    r = get("/healthz");
    T_EQ_INT(r.status, 200);
    reply_free(&r);
}

static const char *header(const struct reply *r, const char *name)
{
    static char v[256];
    const char *p = r->headers.s;
    size_t n = strlen(name);
    while (p && *p) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            size_t k = strcspn(p, "\r\n");
            if (k >= sizeof(v))
                k = sizeof(v) - 1;
            memcpy(v, p, k);
            v[k] = '\0';
            return v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

static void test_http_features(void)
{
    struct reply r = get("/v1/search?q=martin");
    const char *et = header(&r, "ETag");
    T_CHECK(et != NULL);
    char etag[256];
    snprintf(etag, sizeof(etag), "%s", et ? et : "");
    reply_free(&r);
    char inm[300];
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    const char *hs[] = {inm, NULL};
    request(curl, port, NULL, "/v1/search?q=martin", hs, NULL, NULL, &r);
    T_EQ_INT(r.status, 304);
    T_EQ_INT(r.body.len, 0);
    reply_free(&r);
    const char *hs2[] = {"If-None-Match: W/\"other\"", NULL};
    request(curl, port, NULL, "/v1/search?q=martin", hs2, NULL, NULL, &r);
    T_EQ_INT(r.status, 200);
    reply_free(&r);
    /* gzip: libcurl decodes it; the header says it was used. */
    request(curl, port, NULL, "/v1/search?q=martin", NULL, "gzip", NULL, &r);
    T_EQ_INT(r.status, 200);
    const char *ce = header(&r, "Content-Encoding");
    T_EQ_STR(ce, "gzip");
    T_EQ_INT(jint(r.json, "total"), 5);
    reply_free(&r);
    /* /metrics too, as Prometheus asks for it (issue 16: it was not). */
    request(curl, port, NULL, "/metrics", NULL, "gzip", NULL, &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(header(&r, "Content-Encoding"), "gzip");
    T_CHECK(r.body.s && strstr(r.body.s, "rpps_build_info") != NULL);
    reply_free(&r);
    request(curl, port, NULL, "/v1/search?q=martin", NULL, NULL, NULL, &r);
    T_CHECK(header(&r, "Content-Encoding") == NULL);
    const char *ct = header(&r, "Content-Type");
    T_CHECK(ct && strstr(ct, "application/json") != NULL);
    reply_free(&r);
    /* pretty */
    r = get("/v1/search?q=martin&pretty=1");
    T_CHECK(r.body.s && strstr(r.body.s, "\n  \"total\"") != NULL);
    T_EQ_INT(jint(r.json, "total"), 5);
    reply_free(&r);
    r = get("/v1/search?q=martin");
    T_CHECK(r.body.s && strchr(r.body.s, '\n') == NULL);
    reply_free(&r);
    /* HEAD */
    request(curl, port, "HEAD", "/v1/search?q=martin", NULL, NULL, NULL, &r);
    T_EQ_INT(r.status, 200);
    T_EQ_INT(r.body.len, 0);
    reply_free(&r);
}

/* ---- the web page and the other formats (web.h, export.h) ---- */

/* 1 if the reply's header name holds want (case-sensitive substring). */
static int has_header(const struct reply *r, const char *name, const char *want)
{
    const char *v = header(r, name);
    return v && strstr(v, want) != NULL;
}

/* The reply's answer with these request headers (NULL-terminated). */
static struct reply get_h(const char *path, const char *h1, const char *h2)
{
    const char *hs[] = {h1, h2, NULL};
    struct reply r;
    if (request(curl, port, NULL, path, hs, NULL, NULL, &r) < 0)
        r.status = -1;
    return r;
}

static void test_web_page(void)
{
    /* A browser gets the page, with the security headers. */
    struct reply r = get_h("/", "User-Agent: Mozilla/5.0", "Accept: text/html");
    T_EQ_INT(r.status, 200);
    T_CHECK(has_header(&r, "Content-Type", "text/html"));
    T_CHECK(has_header(&r, "Content-Security-Policy", "default-src 'self'"));
    T_CHECK(
        has_header(&r, "Content-Security-Policy", "frame-ancestors 'none'"));
    T_CHECK(has_header(&r, "X-Content-Type-Options", "nosniff"));
    T_CHECK(has_header(&r, "Referrer-Policy", "no-referrer"));
    T_CHECK(has_header(&r, "Cache-Control", "no-cache"));
    T_CHECK(r.body.s && strstr(r.body.s, "<html lang=\"fr\">") != NULL);
    /* No inline script: every script is a file of ours. */
    T_CHECK(r.body.s && strstr(r.body.s, "<script>") == NULL);
    /* The page links its files with their versions. */
    const char *v = r.body.s ? strstr(r.body.s, "/static/app.js?v=") : NULL;
    T_CHECK(v != NULL);
    char js[128] = "";
    if (v)
        snprintf(js, sizeof(js), "%.*s", (int)strcspn(v, "\""), v);
    char etag[64];
    snprintf(etag, sizeof(etag), "If-None-Match: %s",
             header(&r, "ETag") ? header(&r, "ETag") : "\"none\"");
    reply_free(&r);
    r = get_h("/", "User-Agent: Mozilla/5.0", etag);
    T_EQ_INT(r.status, 304);
    reply_free(&r);
    /* A professional's permalink is the page too. */
    r = get_h("/p/10000000001", "User-Agent: Mozilla/5.0", "Accept: text/html");
    T_CHECK(has_header(&r, "Content-Type", "text/html"));
    reply_free(&r);
    /* The versioned file is cached a year; the bare name is revalidated. */
    r = get_h(js, NULL, NULL);
    T_EQ_INT(r.status, 200);
    T_CHECK(has_header(&r, "Content-Type", "text/javascript"));
    T_CHECK(has_header(&r, "Cache-Control", "max-age=31536000"));
    T_CHECK(has_header(&r, "Cache-Control", "immutable"));
    reply_free(&r);
    r = get_h("/static/app.js?v=0000", NULL, NULL);
    T_CHECK(has_header(&r, "Cache-Control", "no-cache"));
    reply_free(&r);
    /* The whole page, gzip'd as sent: within 60 KB (issue 15). */
    static const char *const files[] = {
        "/", "/static/app.js", "/static/style.css", "/static/favicon.svg"};
    curl_off_t total = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        request(curl, port, NULL, files[i], NULL, "gzip", NULL, &r);
        T_EQ_INT(r.status, 200);
        curl_off_t n = 0; /* bytes received: the gzip'd body */
        curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &n);
        total += n;
        reply_free(&r);
    }
    fprintf(stderr, "web page: %lld bytes gzip'd\n", (long long)total);
    T_CHECK(total > 1000 && total <= 60 * 1024);

    /* curl, or Accept: text/plain, gets text at "/". */
    r = get_h("/", "User-Agent: curl/7.88.1", NULL);
    T_CHECK(has_header(&r, "Content-Type", "text/plain"));
    T_CHECK(r.body.s && strstr(r.body.s, "curl '") != NULL);
    reply_free(&r);
    r = get_h("/?q=martin+jean", "User-Agent: curl/7.88.1", NULL);
    T_EQ_INT(r.status, 200);
    T_CHECK(has_header(&r, "Content-Type", "text/plain"));
    T_CHECK(has_header(&r, "Vary", "User-Agent"));
    T_CHECK(r.body.s && strstr(r.body.s, "MARTIN Jean") != NULL);
    T_CHECK(r.body.s &&
            strstr(r.body.s, "jean.martin@medecin.mssante.fr") != NULL);
    T_CHECK(r.body.s && strstr(r.body.s, "01 00 00 00 00") != NULL);
    reply_free(&r);
    r = get_h("/?q=martin", "User-Agent: Mozilla/5.0", "Accept: text/plain");
    T_CHECK(r.body.s && strstr(r.body.s, "\nNOM ") != NULL);
    reply_free(&r);
    r = get_h("/p/10000000001", "User-Agent: curl/8.0", NULL);
    T_CHECK(r.body.s && strstr(r.body.s, "Dr Jean MARTIN") != NULL);
    reply_free(&r);
    r = get_h("/p/99999999999", "User-Agent: curl/8.0", NULL);
    T_EQ_INT(r.status, 404);
    T_CHECK(r.body.s && strncmp(r.body.s, "erreur 404", 10) == 0);
    reply_free(&r);

    /* vCard by format= and by Accept; a download name. */
    r = get("/v1/practitioners/10000000001?format=vcard");
    T_EQ_INT(r.status, 200);
    T_CHECK(has_header(&r, "Content-Type", "text/vcard"));
    T_CHECK(has_header(&r, "Content-Disposition", "martin-jean.vcf"));
    T_CHECK(r.body.s &&
            strncmp(r.body.s, "BEGIN:VCARD\r\nVERSION:4.0\r\n", 26) == 0);
    T_CHECK(r.body.s &&
            strstr(r.body.s, "EMAIL;TYPE=work;PREF=1:"
                             "jean.martin@medecin.mssante.fr") != NULL);
    T_CHECK(r.body.s && strstr(r.body.s, "tel:+33100000000") != NULL);
    char vtag[128];
    snprintf(vtag, sizeof(vtag), "%s",
             header(&r, "ETag") ? header(&r, "ETag") : "");
    T_CHECK(strstr(vtag, "-vcard\"") != NULL);
    reply_free(&r);
    r = get_h("/v1/practitioners/10000000001", "Accept: text/vcard", NULL);
    T_CHECK(has_header(&r, "Content-Type", "text/vcard"));
    T_CHECK(has_header(&r, "Vary", "Accept"));
    reply_free(&r);
    /* A browser's Accept (wildcards) keeps JSON. */
    r = get_h("/v1/practitioners/10000000001",
              "Accept: text/html,application/xhtml+xml,*/*;q=0.8", NULL);
    T_CHECK(has_header(&r, "Content-Type", "application/json"));
    T_CHECK(json_is_object(r.json));
    reply_free(&r);

    /* CSV: BOM, ';', CRLF, one row per professional and activity. */
    r = get("/v1/search?q=martin&format=csv");
    T_EQ_INT(r.status, 200);
    T_CHECK(has_header(&r, "Content-Type", "text/csv"));
    T_CHECK(has_header(&r, "Content-Disposition", ".csv"));
    T_CHECK(r.body.s && strncmp(r.body.s, "\xEF\xBB\xBFIdentifiant;", 15) == 0);
    int rows = 0;
    for (const char *p = r.body.s; p && (p = strstr(p, "\r\n")); p += 2)
        rows++;
    T_EQ_INT(rows, 6); /* a header and the five MARTIN, one activity each */
    reply_free(&r);

    /* Errors: a format this endpoint does not have, twice, elsewhere. */
    static const struct {
        const char *path;
        long status;
    } bad[] = {
        {"/v1/search?q=martin&format=vcard", 400},
        {"/v1/search?q=martin&format=xml", 400},
        {"/v1/practitioners/10000000001?format=csv", 400},
        {"/v1/search?q=martin&format=csv&format=text", 400},
        {"/v1/suggest?q=mar&format=csv", 400},
        {"/v1/practitioners/99999999999?format=vcard", 404},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = get(bad[i].path);
        T_EQ_INT(r.status, bad[i].status);
        T_EQ_INT(jint(json_object_get(r.json, "error"), "status"),
                 bad[i].status);
        reply_free(&r);
    }
    /* JSON answers carry the headers too. */
    r = get("/v1/search?q=martin");
    T_CHECK(has_header(&r, "X-Content-Type-Options", "nosniff"));
    T_CHECK(has_header(&r, "Referrer-Policy", "no-referrer"));
    reply_free(&r);
}

/* ---- hot swap under load ---- */

struct loader {
    atomic_int stop;
    atomic_long ok, failed, saw_new;
};

static void *load_thread(void *arg)
{
    struct loader *l = arg;
    CURL *h = curl_easy_init();
    static const char *const paths[] = {
        "/v1/search?q=martin", "/v1/search?q=zola", "/v1/search?postcode=90",
        "/v1/practitioners/10000000001", "/v1/suggest?q=ma"};
    int i = 0;
    while (!atomic_load(&l->stop)) {
        struct reply r;
        const char *p = paths[i++ % 5];
        if (request(h, port, NULL, p, NULL, NULL, NULL, &r) < 0 ||
            r.status != 200 || !r.json) {
            atomic_fetch_add(&l->failed, 1);
            fprintf(stderr, "swap: %s -> %ld\n", p, r.status);
        } else {
            atomic_fetch_add(&l->ok, 1);
            if (strcmp(p, "/v1/search?q=zola") == 0 &&
                jint(r.json, "total") == 1)
                atomic_fetch_add(&l->saw_new, 1);
        }
        reply_free(&r);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_hot_swap(const char *dbpath)
{
    struct loader l = {0};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, load_thread, &l);
    usleep(300000);
    make_db(dbpath, 1, GOOD); /* atomic rename over the served file */
    /* The server looks once a second: the new data within ~2 s. */
    int seen = 0;
    for (int i = 0; i < 40 && !seen; i++) {
        usleep(100000);
        struct reply r = get("/v1/search?q=zola");
        seen = r.status == 200 && jint(r.json, "total") == 1;
        reply_free(&r);
    }
    T_CHECK(seen);
    usleep(500000);
    /* And a bad file (wrong schema version) is refused: the server keeps
     * serving the last good one. */
    make_db(dbpath, 0, GOOD + 1);
    usleep(1500000);
    atomic_store(&l.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    fprintf(stderr, "swap: %ld ok, %ld failed\n", atomic_load(&l.ok),
            atomic_load(&l.failed));
    T_EQ_INT(atomic_load(&l.failed), 0);
    T_CHECK(atomic_load(&l.ok) > 100);
    T_CHECK(atomic_load(&l.saw_new) > 0);
    struct reply r = get("/v1/search?q=zola");
    T_EQ_INT(jint(r.json, "total"), 1);
    reply_free(&r);
    /* SIGHUP: a good file again, picked up at once. */
    make_db(dbpath, 0, GOOD);
    reply_free(&r);
}

/* The same search table through the paths of large matches: a server told
 * that 2 people are a large match and 1 a large filter, and (tune "...,0")
 * never to expand a prefix (RPPS_SEARCH_TUNE), on the fixture with (place,
 * profession) indexes, so
 * tiers, filters read first with names matched in memory, the profession
 * checked in memory and the place-and-profession index all run. Where the
 * tiered order legitimately differs from the exact one (bm25 within a tier
 * is not used), the case lists it. */
static void test_large_paths(const char *tune)
{
    static const struct {
        const char *path, *ids;
    } differ[] = {{NULL, NULL}}; /* none with this fixture */
    char path[600];
    snprintf(path, sizeof(path), "%s/large.db", tmpdir);
    make_db(path, 0, GOOD);
    sqlite3 *db;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    exec_or_die(db, "CREATE INDEX activity_dept_prof ON activity"
                    " (dept_code, profession_code);"
                    "CREATE INDEX activity_city_prof ON activity"
                    " (city_fold, profession_code);"
                    "CREATE INDEX activity_pc_prof ON activity"
                    " (postcode, profession_code)");
    sqlite3_close(db);
    setenv("RPPS_SEARCH_TUNE", tune, 1);
    struct server s2;
    T_CHECK(server_start(&s2, path, NULL) == 0);
    unsetenv("RPPS_SEARCH_TUNE");
    int saved = port;
    port = s2.port;
    for (size_t i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]);
         i++) {
        const char *want = search_cases[i].ids;
        for (int k = 0; differ[k].path; k++)
            if (strcmp(differ[k].path, search_cases[i].path) == 0)
                want = differ[k].ids;
        struct reply r = get(search_cases[i].path);
        T_EQ_INT(r.status, 200);
        if (strcmp(ids(&r), want) != 0)
            fprintf(stderr, "large paths %s: %s\n", tune, search_cases[i].path);
        T_EQ_STR(ids(&r), want);
        /* Totals may be lower bounds on these paths, never wrong. */
        if (json_is_true(json_object_get(r.json, "total_exact")))
            T_EQ_INT(jint(r.json, "total"), search_cases[i].total);
        else
            T_CHECK(jint(r.json, "total") <= search_cases[i].total);
        reply_free(&r);
    }
    struct reply r = get("/v1/search?q=martin&limit=1&facets=profession");
    T_EQ_INT(jint(facet(r.json, "profession", "10"), "count"), 2);
    reply_free(&r);
    T_EQ_INT(server_stop(&s2, 2000), 0);
    port = saved;
}

/* With the commune tables (so a lexicon that reads places in q, and
 * near=): the place of free text read from memory, its people driving
 * (tune "1,1": every name match is too large to rank), and near= with
 * one word more common than cand_max, whose first read is skipped. The
 * answers are those of the server before these paths. */
static void test_place_paths(const char *tune)
{
    static const struct search_case cases[] = {
        {"/v1/search?q=medecin+martin+paris", "810000000001", 1},
        {"/v1/search?q=martin+paris", "810000000001 810000000006", 2},
        {"/v1/search?q=martin+belfort", "810000000004 810000000003", 2},
        {"/v1/search?q=dentiste+mar+belfort", "810000000003", 1},
        {"/v1/search?q=infirmiere+martin+lyon", "810000000002", 1},
        {"/v1/search?q=martin+75011", "810000000001", 1},
        {"/v1/search?q=martin&near=75011&radius_km=10",
         "810000000001 810000000006", 2},
        {"/v1/search?q=martin&near=90000&radius_km=30",
         "810000000004 810000000003", 2},
    };
    char path[600];
    snprintf(path, sizeof(path), "%s/places.db", tmpdir);
    make_db(path, 0, GOOD);
    sqlite3 *db;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    T_EQ_INT(places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv"), 0);
    sqlite3_close(db);
    if (tune)
        setenv("RPPS_SEARCH_TUNE", tune, 1);
    struct server s2;
    T_CHECK(server_start(&s2, path, NULL) == 0);
    unsetenv("RPPS_SEARCH_TUNE");
    int saved = port;
    port = s2.port;
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
    T_EQ_INT(server_stop(&s2, 2000), 0);
    port = saved;
}

/* Paris, Lyon and Marseille as people write them, in q, city= and
 * near=: the whole city's commune code (75056) beside its
 * arrondissements', an arrondissement by its name, its number or its
 * label, and a CEDEX code (77015, also the INSEE code of Baby, 50 km
 * from Melun) read as the town of its bureau. */
static void test_city_forms(void)
{
    static const struct search_case cases[] = {
        {"/v1/search?city=75056",
         "810000000001 810000000010 810000000006 810000000009", 4},
        {"/v1/search?city=paris",
         "810000000001 810000000010 810000000006 810000000009", 4},
        {"/v1/search?city=Paris+11e+Arrondissement",
         "810000000001 810000000009", 2},
        {"/v1/search?city=paris+11", "810000000001 810000000009", 2},
        {"/v1/search?city=paris+11e&dept=75", "810000000001 810000000009", 2},
        {"/v1/search?city=paris&postcode=75008", "810000000010", 1},
        {"/v1/search?city=lyon+3%C3%A8me", "810000000002", 1},
        /* Two towns and a La Poste label of a third (Boissezon). */
        {"/v1/search?city=castres", "", 0},
        {"/v1/search?city=st+etienne", "", 0},
        {"/v1/search?city=Belfort",
         "810000000003 810000000004 810000000005"
         " 810000000009",
         4},
        {"/v1/search?q=martin+paris+11e+arrondissement", "810000000001", 1},
        {"/v1/search?q=medecin+paris+11e+arr+martin", "810000000001", 1},
        {"/v1/search?q=infirmiere+lyon+3+eme", "810000000002", 1},
        {"/v1/search?near=77015&radius_km=5", "810000000006", 1},
        {"/v1/search?near=paris+12e&radius_km=1", "810000000006", 1},
        {"/v1/search?q=martin&near=Paris+11e+Arrondissement&radius_km=1",
         "810000000001", 1},
    };
    char path[600];
    snprintf(path, sizeof(path), "%s/cities.db", tmpdir);
    make_db(path, 0, GOOD);
    sqlite3 *db;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    T_EQ_INT(places_load_tsv(db, "data/communes.tsv", "data/postcodes.tsv"), 0);
    /* The arrondissements' lines name their town as the extracts do
     * (INSEE's name, "Paris 11e Arrondissement"); BERNARD: a line with
     * Paris's own code; DURAND: a CEDEX line with no commune code. */
    exec_or_die(db, "UPDATE activity SET city = (SELECT name FROM commune c"
                    " WHERE c.insee = activity.insee), city_fold = lower("
                    "(SELECT name FROM commune c WHERE c.insee ="
                    " activity.insee)) WHERE insee IN (SELECT insee FROM"
                    " commune WHERE parent_insee != '')");
    exec_or_die(db, "INSERT INTO activity (aid, profession_code, postcode,"
                    " insee, city, city_fold, dept_code)"
                    " SELECT pid << 20 | 1, profession_code, '75008',"
                    " '75056', 'Paris', 'paris', '75' FROM professional"
                    " WHERE national_id = '810000000010';"
                    "INSERT INTO activity (aid, profession_code, postcode,"
                    " cedex_office, city_fold, dept_code)"
                    " SELECT pid << 20 | 1, profession_code, '77015',"
                    " '77015 MELUN CEDEX', 'melun', '77' FROM professional"
                    " WHERE national_id = '810000000006'");
    sqlite3_close(db);
    struct server s2;
    T_CHECK(server_start(&s2, path, NULL) == 0);
    int saved = port;
    port = s2.port;
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
    T_EQ_INT(server_stop(&s2, 2000), 0);
    port = saved;
}

/* The text of the reply's body (NUL-terminated) has line. */
static int has_line(const struct reply *r, const char *line)
{
    const char *p = r->body.s;
    size_t n = strlen(line);
    while (p && (p = strstr(p, line)) != NULL) {
        if ((p == r->body.s || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
            return 1;
        p += n;
    }
    return 0;
}

/* Sends data on a new connection to the server on port p and reads its
 * answer's first bytes; 0, or -1 if nothing came within 2 s. */
static int raw_request(int p, const char *data)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)p)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int rc = -1;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        send(fd, data, strlen(data), MSG_NOSIGNAL) >= 0) {
        struct pollfd pf = {fd, POLLIN, 0};
        char buf[64];
        if (poll(&pf, 1, 2000) == 1 && recv(fd, buf, sizeof(buf), 0) > 0)
            rc = 0;
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* --stale-days, --access-log and /metrics, on a server of their own. */
static void test_options(const char *dbpath)
{
    const char *opts[] = {"--stale-days", "3650", "--access-log", NULL};
    struct server s2;
    T_CHECK(server_start(&s2, dbpath, opts) == 0);
    int saved = port;
    port = s2.port;
    struct reply r = get("/v1/status");
    T_CHECK(json_is_false(json_object_get(r.json, "stale")));
    T_EQ_INT(jint(r.json, "stale_days"), 3650);
    T_EQ_STR(json_string_value(json_object_get(r.json, "oldest_extract")),
             "202608261013");
    T_CHECK(jint(r.json, "data_age_seconds") > 0);
    reply_free(&r);
    r = get("/v1/search?q=martin");
    reply_free(&r);
    r = get("/v1/search?q=martin&limit=0");
    reply_free(&r);
    r = get("/nowhere");
    reply_free(&r);
    /* Methods with terminal escape sequences and a CR (MHD takes any byte
     * but a space): answered 405, logged escaped. */
    T_EQ_INT(raw_request(port, "G\x1b[2J\x1b[31mET /healthz HTTP/1.1\r\n"
                               "Host: x\r\n\r\n"),
             0);
    T_EQ_INT(raw_request(port, "GE\rT\x07 /healthz HTTP/1.1\r\n"
                               "Host: x\r\n\r\n"),
             0);
    r = get("/metrics");
    T_EQ_INT(r.status, 200);
    const char *ct = header(&r, "Content-Type");
    T_CHECK(ct && strncmp(ct, "text/plain; version=0.0.4", 25) == 0);
    T_CHECK(has_line(&r, "rpps_http_requests_total{endpoint=\"/v1/search\","
                         "status=\"200\"} 1"));
    T_CHECK(has_line(&r, "rpps_http_requests_total{endpoint=\"/v1/search\","
                         "status=\"400\"} 1"));
    T_CHECK(has_line(&r, "rpps_http_requests_total{endpoint=\"other\","
                         "status=\"404\"} 1"));
    T_CHECK(has_line(&r, "rpps_http_request_duration_seconds_bucket{"
                         "endpoint=\"/v1/search\",le=\"+Inf\"} 2"));
    T_CHECK(has_line(&r, "rpps_http_request_duration_seconds_count{"
                         "endpoint=\"/v1/search\"} 2"));
    /* 2026-08-26 10:13 UTC */
    T_CHECK(has_line(&r, "rpps_extract_timestamp_seconds{kind=\"activite\"}"
                         " 1787739180"));
    T_CHECK(strstr(r.body.s, "rpps_extract_age_seconds{kind=\"activite\"} ") !=
            NULL);
    T_CHECK(has_line(&r, "rpps_data_stale 0"));
    T_CHECK(has_line(&r, "rpps_database_rows{table=\"professionals\"} 10"));
    T_CHECK(has_line(&r, "rpps_database_built_timestamp_seconds 1787739180"));
    T_CHECK(has_line(&r, "rpps_database_loaded 1"));
    reply_free(&r);
    T_EQ_INT(server_stop(&s2, 2000), 0);
    port = saved;
    /* One access line per request, with the query; none without the
     * option (the main server's log). */
    FILE *f = fopen(s2.log, "r");
    int lines = 0, query = 0, methods = 0, raw = 0;
    if (f) {
        char line[2048];
        while (fgets(line, sizeof(line), f)) {
            /* No control byte but the line's end, in any line. */
            for (const char *c = line; *c; c++)
                if ((unsigned char)*c < 0x20 && strcmp(c, "\n") != 0)
                    raw = 1;
            if (!strstr(line, "rpps-server: access "))
                continue;
            lines++;
            if (strstr(line, " GET /v1/search?q=martin&limit=0 400 "))
                query = 1;
            if (strstr(line, " G%1B[2J%1B[31mET /healthz 405 ") ||
                strstr(line, " GE%0DT%07 /healthz 405 "))
                methods++;
        }
        fclose(f);
    }
    T_EQ_INT(lines, 7);
    T_CHECK(query);
    T_EQ_INT(methods, 2);
    T_CHECK(!raw);
}

/* A file with another schema version at start-up is like a missing one:
 * the server starts, answers 503 (healthz 200), logs why, and serves the
 * path as soon as a good database replaces it. */
static void test_bad_start(void)
{
    char bad[600];
    snprintf(bad, sizeof(bad), "%s/bad.db", tmpdir);
    make_db(bad, 0, 7);
    struct server s2;
    T_CHECK(server_start(&s2, bad, NULL) == 0);
    int saved = port;
    port = s2.port;
    struct reply r = get("/v1/search?q=martin");
    T_EQ_INT(r.status, 503);
    reply_free(&r);
    r = get("/healthz");
    T_EQ_INT(r.status, 200);
    T_CHECK(json_is_false(json_object_get(r.json, "database")));
    reply_free(&r);
    make_db(bad, 0, GOOD);
    int up = 0;
    for (int i = 0; i < 30 && !up; i++) {
        usleep(100000);
        r = get("/v1/search?q=martin");
        up = r.status == 200 && jint(r.json, "total") == 5;
        reply_free(&r);
    }
    T_CHECK(up);
    T_EQ_INT(server_stop(&s2, 2000), 0);
    FILE *lf = fopen(s2.log, "r");
    int said = 0;
    if (lf) {
        char line[1024];
        while (fgets(line, sizeof(line), lf))
            if (strstr(line, "schema version 7"))
                said = 1;
        fclose(lf);
    }
    T_CHECK(said);
    port = saved;
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rpps-e2e-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    char dbpath[512];
    snprintf(dbpath, sizeof(dbpath), "%s/rpps.db", tmpdir);

    /* 1. No database yet: 503, healthz 200; then it appears. */
    struct server s;
    T_CHECK(server_start(&s, dbpath, NULL) == 0);
    port = s.port;
    struct reply r = get("/v1/search?q=martin");
    T_EQ_INT(r.status, 503);
    T_EQ_INT(jint(json_object_get(r.json, "error"), "status"), 503);
    reply_free(&r);
    r = get("/healthz");
    T_EQ_INT(r.status, 200);
    reply_free(&r);
    make_db(dbpath, 0, GOOD);
    int up = 0;
    for (int i = 0; i < 30 && !up; i++) {
        usleep(100000);
        r = get("/v1/search?q=martin");
        up = r.status == 200;
        reply_free(&r);
    }
    T_CHECK(up);

    test_search();
    test_result_shape();
    test_facets();
    test_lookups();
    test_suggest_and_lists();
    test_errors();
    test_http_features();
    test_web_page();
    test_hot_swap(dbpath);

    /* SIGHUP after the last good file: zola gone as soon as the file's
     * dataset is built (300 ms was too short under ASan on a machine with
     * a load average of 20: polled up to 10 s). */
    kill(s.pid, SIGHUP);
    long long zola = -1;
    for (int i = 0; i < 100 && zola != 0; i++) {
        usleep(100000);
        r = get("/v1/search?q=zola");
        zola = jint(r.json, "total");
        reply_free(&r);
    }
    T_EQ_INT(zola, 0);

    /* Stops cleanly within a second; under a sanitizer, whose exit
     * (LeakSanitizer's scan of the heap) took over a second twice at a
     * load average of 16, within five: a hang is still caught. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    const double stop_s = 5.0;
#else
    const double stop_s = 1.0;
#endif
    double t0 = now_s();
    T_EQ_INT(server_stop(&s, (int)(stop_s * 2000)), 0);
    T_CHECK(now_s() - t0 < stop_s);

    /* Sanitizer builds: the server's own reports (leaks at exit too). */
    FILE *lf = fopen(s.log, "r");
    if (lf) {
        char line[1024];
        int bad = 0;
        while (fgets(line, sizeof(line), lf)) {
            if (strstr(line, "rpps-server: access ")) {
                fprintf(stderr, "access log without --access-log: %s", line);
                bad = 1;
            }
            if (strstr(line, "Sanitizer") || strstr(line, "runtime error")) {
                fprintf(stderr, "server: %s", line);
                bad = 1;
            }
        }
        fclose(lf);
        T_CHECK(!bad);
    }

    test_bad_start();
    test_large_paths("2,1");   /* prefixes expanded through name_term */
    test_large_paths("2,1,0"); /* prefixes FTS5 merges */
    /* every match above one: a place in memory whose name match is read
     * first goes back to the place's people (the memory driver) */
    test_large_paths("1,1");
    /* filters alone with the place from the indexes, not from memory */
    test_large_paths("2,1,-1,0");
    test_place_paths(NULL);
    test_place_paths("1,1");
    test_city_forms();
    test_options(dbpath);

    curl_easy_cleanup(curl);
    curl_global_cleanup();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return t_done();
}
