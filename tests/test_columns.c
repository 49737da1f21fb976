/* common/columns.h against the schema it describes: each table the importer
 * writes row by row has exactly the columns of its list, in that order
 * (schema/schema.sql is SQL text, which no compiler checks), and each
 * extract's list has the shape its header lines need (names unique,
 * identifiers first). */
#include <sqlite3.h>
#include <string.h>

#include "columns.h"
#include "t.h"

extern const char schema_sql[];

static const char *const professional[] = {TABLE_PROFESSIONAL(COLUMNS_NAME)};
static const char *const activity[] = {TABLE_ACTIVITY(COLUMNS_NAME)};
static const char *const specialty[] = {TABLE_SPECIALTY(COLUMNS_NAME)};
static const char *const diploma[] = {TABLE_DIPLOMA(COLUMNS_NAME)};
static const char *const mailbox[] = {TABLE_MAILBOX(COLUMNS_NAME)};
static const char *const name_term[] = {TABLE_NAME_TERM(COLUMNS_NAME)};
static const char *const history[] = {TABLE_HISTORY(COLUMNS_NAME)};
static const char *const change[] = {TABLE_CHANGE(COLUMNS_NAME)};
static const char *const import[] = {TABLE_IMPORT(COLUMNS_NAME)};
static const char *const structure[] = {TABLE_STRUCTURE(COLUMNS_NAME)};

static const struct {
    const char *table;
    const char *const *cols;
    size_t n;
} tables[] = {
    {"professional", professional, COLUMN_PROFESSIONAL_N},
    {"activity", activity, COLUMN_ACTIVITY_N},
    {"specialty", specialty, COLUMN_SPECIALTY_N},
    {"diploma", diploma, COLUMN_DIPLOMA_N},
    {"mailbox", mailbox, COLUMN_MAILBOX_N},
    {"name_term", name_term, COLUMN_NAME_TERM_N},
    {"history", history, COLUMN_HISTORY_N},
    {"change", change, COLUMN_CHANGE_N},
    {"import", import, COLUMN_IMPORT_N},
    {"structure", structure, COLUMN_STRUCTURE_N},
};

static void test_tables(sqlite3 *db)
{
    for (size_t t = 0; t < sizeof(tables) / sizeof(*tables); t++) {
        char sql[128];
        sqlite3_stmt *st;
        snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')",
                 tables[t].table);
        T_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        size_t i = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            if (i < tables[t].n)
                T_EQ_STR(name, tables[t].cols[i]);
            else
                fprintf(stderr, "%s: column %s is in no list\n",
                        tables[t].table, name);
            i++;
        }
        sqlite3_finalize(st);
        T_EQ_INT(i, tables[t].n);
    }
}

#define HDR_NAME(id, header, need) header,
static const char *const activite[] = {COLUMNS_ACTIVITE(HDR_NAME)};
static const char *const savoirfaire[] = {COLUMNS_SAVOIRFAIRE(HDR_NAME)};
static const char *const diplome[] = {COLUMNS_DIPLOME(HDR_NAME)};
static const char *const mssante[] = {COLUMNS_MSSANTE(HDR_NAME)};

/* Header names are unique within a file (the importer maps by name). */
static void test_extracts(void)
{
    static const struct {
        const char *const *names;
        size_t n;
    } ex[] = {
        {activite, COLUMNS_ACTIVITE_N},
        {savoirfaire, COLUMNS_SAVOIRFAIRE_N},
        {diplome, COLUMNS_DIPLOME_N},
        {mssante, COLUMNS_MSSANTE_N},
    };
    for (size_t e = 0; e < sizeof(ex) / sizeof(*ex); e++)
        for (size_t i = 0; i < ex[e].n; i++)
            for (size_t j = i + 1; j < ex[e].n; j++)
                T_CHECK(strcmp(ex[e].names[i], ex[e].names[j]) != 0);
    /* The header line is the names with '|' after each. */
    static const char act_header[] = COLUMNS_ACTIVITE(COLUMNS_HEADER);
    T_EQ_INT(
        strlen(act_header) > 0 && act_header[strlen(act_header) - 1] == '|', 1);
    T_EQ_INT(COLUMNS_ACTIVITE_N, 56);
    T_EQ_INT(ACT_ROLE_C, 52); /* the older layout stops before the role */
    T_EQ_INT(COLUMNS_SAVOIRFAIRE_N, 13);
    T_EQ_INT(COLUMNS_DIPLOME_N, 13);
    T_EQ_INT(COLUMNS_MSSANTE_N, 31);
}

int main(void)
{
    sqlite3 *db;
    T_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    T_EQ_INT(sqlite3_exec(db, schema_sql, NULL, NULL, NULL), SQLITE_OK);
    test_tables(db);
    test_extracts();
    sqlite3_close(db);
    return t_done();
}
