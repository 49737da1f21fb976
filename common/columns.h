/* The data model's columns, in one place. For each extract, the columns of
 * its header line as ANS writes them (docs/format.md §3); for each table the
 * importer fills, its columns in the schema's order and where each value
 * comes from. What must agree with them is made from these lists (X-macros)
 * rather than kept in step by hand, so that a column added here and
 * forgotten elsewhere does not build:
 *   - from the extract lists: the importer's header mapping
 *     (importer/rows.c) and the generator's header lines
 *     (tools/gen/extract.c);
 *   - from the table lists: the importer's INSERT statements (their column
 *     lists and `?` counts) and the values it writes for each row, one
 *     expansion per kind of source (a kind the importer does not handle
 *     does not compile);
 *   - the server's readers (server/record.c, server/query.c) name the
 *     columns they SELECT in lists of their own, from which both the
 *     statement and the positions they read come; each name is checked
 *     against the table here (COLUMNS_IN), so a renamed column fails them.
 * The schema (schema/schema.sql) is SQL text: tests/test_columns.c checks
 * that its tables have exactly these columns, in this order. The code lists
 * (CODE_LISTS) are the values of code.list, the labels' tables that the
 * importer fills and the server reads.
 *
 * Why two kinds of list, not one: a file column can feed several tables
 * (the profession code goes to activity and to professional), a table can
 * be fed by two files (specialty: activity lines and SavoirFaire lines), and
 * some columns come from no header at all (the row keys, the folded town). */
#ifndef COLUMNS_H
#define COLUMNS_H

/* ---- The extracts: X(id, header, need), in the header's order ----
 * need: REQ, the import fails without the column (with its name); OPT, a
 * file without it imports, the values NULL. */
#define COLUMNS_REQ 1
#define COLUMNS_OPT 0

/* PS_LibreAcces_Personne_activite: one line per activity. The last four
 * columns (role, genre) came in the 56-column layout: optional, since the
 * 52-column one occurs too. */
#define COLUMNS_ACTIVITE(X)                                                    \
    X(ACT_IDTYPE, "Type d'identifiant PP", REQ)                                \
    X(ACT_ID, "Identifiant PP", REQ)                                           \
    X(ACT_NID, "Identification nationale PP", REQ)                             \
    X(ACT_TITLE_C, "Code civilité d'exercice", OPT)                            \
    X(ACT_TITLE_L, "Libellé civilité d'exercice", OPT)                         \
    X(ACT_CIV_C, "Code civilité", OPT)                                         \
    X(ACT_CIV_L, "Libellé civilité", OPT)                                      \
    X(ACT_LAST, "Nom d'exercice", REQ)                                         \
    X(ACT_FIRST, "Prénom d'exercice", REQ)                                     \
    X(ACT_PROF_C, "Code profession", REQ)                                      \
    X(ACT_PROF_L, "Libellé profession", OPT)                                   \
    X(ACT_CAT_C, "Code catégorie professionnelle", OPT)                        \
    X(ACT_CAT_L, "Libellé catégorie professionnelle", OPT)                     \
    X(ACT_SFT_C, "Code type savoir-faire", OPT)                                \
    X(ACT_SFT_L, "Libellé type savoir-faire", OPT)                             \
    X(ACT_SF_C, "Code savoir-faire", OPT)                                      \
    X(ACT_SF_L, "Libellé savoir-faire", OPT)                                   \
    X(ACT_MODE_C, "Code mode exercice", OPT)                                   \
    X(ACT_MODE_L, "Libellé mode exercice", OPT)                                \
    X(ACT_SIRET, "Numéro SIRET site", OPT)                                     \
    X(ACT_SIREN, "Numéro SIREN site", OPT)                                     \
    X(ACT_FINESS, "Numéro FINESS site", OPT)                                   \
    X(ACT_FINESS_EJ, "Numéro FINESS établissement juridique", OPT)             \
    X(ACT_STRUCT_ID, "Identifiant technique de la structure", OPT)             \
    X(ACT_RS, "Raison sociale site", OPT)                                      \
    X(ACT_ENSEIGNE, "Enseigne commerciale site", OPT)                          \
    X(ACT_COMPL_DEST, "Complément destinataire (coord. structure)", OPT)       \
    X(ACT_COMPL_GEO, "Complément point géographique (coord. structure)", OPT)  \
    X(ACT_NUM, "Numéro Voie (coord. structure)", OPT)                          \
    X(ACT_REP, "Indice répétition voie (coord. structure)", OPT)               \
    X(ACT_TV_C, "Code type de voie (coord. structure)", OPT)                   \
    X(ACT_TV_L, "Libellé type de voie (coord. structure)", OPT)                \
    X(ACT_VOIE, "Libellé Voie (coord. structure)", OPT)                        \
    X(ACT_DISTRIB, "Mention distribution (coord. structure)", OPT)             \
    X(ACT_CEDEX, "Bureau cedex (coord. structure)", OPT)                       \
    X(ACT_CP, "Code postal (coord. structure)", REQ)                           \
    X(ACT_INSEE, "Code commune (coord. structure)", REQ)                       \
    X(ACT_CITY, "Libellé commune (coord. structure)", OPT)                     \
    X(ACT_PAYS_C, "Code pays (coord. structure)", OPT)                         \
    X(ACT_PAYS_L, "Libellé pays (coord. structure)", OPT)                      \
    X(ACT_TEL, "Téléphone (coord. structure)", OPT)                            \
    X(ACT_TEL2, "Téléphone 2 (coord. structure)", OPT)                         \
    X(ACT_FAX, "Télécopie (coord. structure)", OPT)                            \
    X(ACT_EMAIL, "Adresse e-mail (coord. structure)", OPT)                     \
    X(ACT_DEPT_C, "Code Département (structure)", OPT)                         \
    X(ACT_DEPT_L, "Libellé Département (structure)", OPT)                      \
    X(ACT_OLD_ID, "Ancien identifiant de la structure", OPT)                   \
    X(ACT_AUTH, "Autorité d'enregistrement", OPT)                              \
    X(ACT_SECT_C, "Code secteur d'activité", OPT)                              \
    X(ACT_SECT_L, "Libellé secteur d'activité", OPT)                           \
    X(ACT_SECTION_C, "Code section tableau pharmaciens", OPT)                  \
    X(ACT_SECTION_L, "Libellé section tableau pharmaciens", OPT)               \
    X(ACT_ROLE_C, "Code rôle", OPT)                                            \
    X(ACT_ROLE_L, "Libellé rôle", OPT)                                         \
    X(ACT_GENRE_C, "Code genre activité", OPT)                                 \
    X(ACT_GENRE_L, "Libellé genre activité", OPT)

/* PS_LibreAcces_SavoirFaire: one line per professional and savoir-faire. */
#define COLUMNS_SAVOIRFAIRE(X)                                                 \
    X(SAV_IDTYPE, "Type d'identifiant PP", REQ)                                \
    X(SAV_ID, "Identifiant PP", REQ)                                           \
    X(SAV_NID, "Identification nationale PP", REQ)                             \
    X(SAV_LAST, "Nom d'exercice", REQ)                                         \
    X(SAV_FIRST, "Prénom d'exercice", REQ)                                     \
    X(SAV_PROF_C, "Code profession", OPT)                                      \
    X(SAV_PROF_L, "Libellé profession", OPT)                                   \
    X(SAV_CAT_C, "Code catégorie professionnelle", OPT)                        \
    X(SAV_CAT_L, "Libellé catégorie professionnelle", OPT)                     \
    X(SAV_SFT_C, "Code type savoir-faire", OPT)                                \
    X(SAV_SFT_L, "Libellé type savoir-faire", OPT)                             \
    X(SAV_SF_C, "Code savoir-faire", REQ)                                      \
    X(SAV_SF_L, "Libellé savoir-faire", OPT)

/* PS_LibreAcces_Dipl_AutExerc: one line per diploma or authorisation. */
#define COLUMNS_DIPLOME(X)                                                     \
    X(DIP_IDTYPE, "Type d'identifiant PP", REQ)                                \
    X(DIP_ID, "Identifiant PP", REQ)                                           \
    X(DIP_NID, "Identification nationale PP", REQ)                             \
    X(DIP_LAST, "Nom d'exercice", REQ)                                         \
    X(DIP_FIRST, "Prénom d'exercice", REQ)                                     \
    X(DIP_TYPE_C, "Code type diplôme obtenu", OPT)                             \
    X(DIP_TYPE_L, "Libellé type diplôme obtenu", OPT)                          \
    X(DIP_DIPL_C, "Code diplôme obtenu", REQ)                                  \
    X(DIP_DIPL_L, "Libellé diplôme obtenu", OPT)                               \
    X(DIP_AUTH_C, "Code type autorisation", OPT)                               \
    X(DIP_AUTH_L, "Libellé type autorisation", OPT)                            \
    X(DIP_DISC_C, "Code discipline autorisation", OPT)                         \
    X(DIP_DISC_L, "Libellé discipline autorisation", OPT)

/* Extraction_Correspondance_MSSante: one line per mailbox. */
#define COLUMNS_MSSANTE(X)                                                     \
    X(MSS_TYPE, "Type de BAL", REQ)                                            \
    X(MSS_ADDR, "Adresse BAL", REQ)                                            \
    X(MSS_IDTYPE, "Type Identifiant PP", OPT)                                  \
    X(MSS_ID, "Identifiant PP", OPT)                                           \
    X(MSS_NID, "Identification nationale PP", REQ)                             \
    X(MSS_ST_IDTYPE, "Type identifiant structure", OPT)                        \
    X(MSS_ST_ID, "Identification Structure", OPT)                              \
    X(MSS_SERVICE, "Service de rattachement", OPT)                             \
    X(MSS_CIV, "Civilité d'exercice", OPT)                                     \
    X(MSS_LAST, "Nom d'exercice", OPT)                                         \
    X(MSS_FIRST, "Prénom d'exercice", OPT)                                     \
    X(MSS_CAT_C, "Catégorie profession", OPT)                                  \
    X(MSS_CAT_L, "Libellé de catégorie profession", OPT)                       \
    X(MSS_PROF_C, "Code Profession", OPT)                                      \
    X(MSS_PROF_L, "Libellé Profession", OPT)                                   \
    X(MSS_SF_C, "Code savoir-faire", OPT)                                      \
    X(MSS_SF_L, "Libellé savoir-faire", OPT)                                   \
    X(MSS_DEMAT, "Dématérialisation", OPT)                                     \
    X(MSS_RS, "Raison Sociale structure BAL", OPT)                             \
    X(MSS_ENSEIGNE, "Enseigne commerciale structure BAL", OPT)                 \
    X(MSS_L2, "L2COMPLEMENTLOCALISATION structure BAL", OPT)                   \
    X(MSS_L3, "L3COMPLEMENTDISTRIBUTION structure BAL", OPT)                   \
    X(MSS_NUM, "L4NUMEROVOIE structure BAL", OPT)                              \
    X(MSS_REP, "L4COMPLEMENTNUMEROVOIE structure BAL", OPT)                    \
    X(MSS_TV, "NL4TYPEVOIE structure BAL", OPT)                                \
    X(MSS_VOIE, "L4LIBELLEVOIE structure BAL", OPT)                            \
    X(MSS_L5, "L5LIEUDITMENTION structure BAL", OPT)                           \
    X(MSS_L6, "L6LIGNEACHEMINEMENT structure BAL", OPT)                        \
    X(MSS_CP, "Code postal structure BAL", OPT)                                \
    X(MSS_DEPT, "Département structure BAL", OPT)                              \
    X(MSS_PAYS, "Pays structure BAL", OPT)

/* The ids of each extract's columns (ACT_NID, MSS_ADDR...): the column's
 * index in its list, and the list's length. */
#define COLUMNS_ID(id, header, need) id,
enum columns_activite { COLUMNS_ACTIVITE(COLUMNS_ID) COLUMNS_ACTIVITE_N };
enum columns_savoirfaire {
    COLUMNS_SAVOIRFAIRE(COLUMNS_ID) COLUMNS_SAVOIRFAIRE_N
};
enum columns_diplome { COLUMNS_DIPLOME(COLUMNS_ID) COLUMNS_DIPLOME_N };
enum columns_mssante { COLUMNS_MSSANTE(COLUMNS_ID) COLUMNS_MSSANTE_N };

/* A header line as the files write it: each name followed by '|' (for
 * COLUMNS_ACTIVITE(COLUMNS_HEADER), one string literal). */
#define COLUMNS_HEADER(id, header, need) header "|"

/* ---- The tables: X(column, kind, field), in the schema's order ----
 * kind says where the value comes from:
 *   KEY   the row's key (a pid, or a rowid of rowid.h's layout), which the
 *         importer numbers once the professionals are sorted;
 *   COPY  field, the extract column of that id, as it is (NULL if empty
 *         or absent);
 *   OWN   the importer's own value, made from field where one is named
 *         (`_` where none): the importer must say how, column by column.
 * The tables are the ones rpps-import writes row by row; meta, extract,
 * code and the commune tables are written whole, by their own code. */

/* From the first line that names the professional, whichever extract it is
 * in (activity lines are read first), and its first activity line. */
#define TABLE_PROFESSIONAL(X)                                                  \
    X(pid, KEY, _)                                                             \
    X(national_id, OWN, _)                                                     \
    X(id_type, OWN, _)                                                         \
    X(id, OWN, _)                                                              \
    X(civility_code, OWN, _)                                                   \
    X(title_code, OWN, _)                                                      \
    X(last_name, OWN, _)                                                       \
    X(first_name, OWN, _)                                                      \
    X(last_fold, OWN, _)                                                       \
    X(first_fold, OWN, _)                                                      \
    X(last_join, OWN, _)                                                       \
    X(profession_code, OWN, _)                                                 \
    X(category_code, OWN, _)                                                   \
    X(has_mss, OWN, _)                                                         \
    X(n_activities, OWN, _)

#define TABLE_ACTIVITY(X)                                                      \
    X(aid, KEY, _)                                                             \
    X(profession_code, COPY, ACT_PROF_C)                                       \
    X(category_code, COPY, ACT_CAT_C)                                          \
    X(mode_code, COPY, ACT_MODE_C)                                             \
    X(sector_code, COPY, ACT_SECT_C)                                           \
    X(section_code, COPY, ACT_SECTION_C)                                       \
    X(role_code, COPY, ACT_ROLE_C)                                             \
    X(genre_code, COPY, ACT_GENRE_C)                                           \
    X(siret, COPY, ACT_SIRET)                                                  \
    X(siren, COPY, ACT_SIREN)                                                  \
    X(finess, COPY, ACT_FINESS)                                                \
    X(finess_legal, COPY, ACT_FINESS_EJ)                                       \
    X(structure_id, COPY, ACT_STRUCT_ID)                                       \
    X(structure_name, COPY, ACT_RS)                                            \
    X(structure_sign, COPY, ACT_ENSEIGNE)                                      \
    X(addr_recipient, COPY, ACT_COMPL_DEST)                                    \
    X(addr_geo, COPY, ACT_COMPL_GEO)                                           \
    X(street_number, COPY, ACT_NUM)                                            \
    X(street_repeat, COPY, ACT_REP)                                            \
    X(street_type_code, COPY, ACT_TV_C)                                        \
    X(street_type, COPY, ACT_TV_L)                                             \
    X(street_name, COPY, ACT_VOIE)                                             \
    X(addr_distribution, COPY, ACT_DISTRIB)                                    \
    X(cedex_office, COPY, ACT_CEDEX)                                           \
    X(postcode, COPY, ACT_CP)                                                  \
    X(insee, OWN, ACT_INSEE)                                                   \
    X(city, OWN, ACT_CITY)                                                     \
    X(city_fold, OWN, ACT_CITY)                                                \
    X(country_code, COPY, ACT_PAYS_C)                                          \
    X(country, COPY, ACT_PAYS_L)                                               \
    X(phone, COPY, ACT_TEL)                                                    \
    X(phone2, COPY, ACT_TEL2)                                                  \
    X(fax, COPY, ACT_FAX)                                                      \
    X(email, COPY, ACT_EMAIL)                                                  \
    X(dept_code, OWN, ACT_DEPT_C)                                              \
    X(registration, COPY, ACT_AUTH)

/* From activity lines (ACT_SF_C, ACT_SFT_C) and SavoirFaire lines
 * (SAV_SF_C, SAV_SFT_C) alike. */
#define TABLE_SPECIALTY(X)                                                     \
    X(pid, KEY, _)                                                             \
    X(code, OWN, _)                                                            \
    X(type_code, OWN, _)

#define TABLE_DIPLOMA(X)                                                       \
    X(did, KEY, _)                                                             \
    X(type_code, COPY, DIP_TYPE_C)                                             \
    X(code, COPY, DIP_DIPL_C)                                                  \
    X(auth_type_code, COPY, DIP_AUTH_C)                                        \
    X(discipline_code, COPY, DIP_DISC_C)

#define TABLE_MAILBOX(X)                                                       \
    X(mid, KEY, _)                                                             \
    X(address, OWN, MSS_ADDR)                                                  \
    X(type, COPY, MSS_TYPE)                                                    \
    X(national_id, COPY, MSS_NID)                                              \
    X(id_type, COPY, MSS_IDTYPE)                                               \
    X(id, COPY, MSS_ID)                                                        \
    X(structure_id_type, COPY, MSS_ST_IDTYPE)                                  \
    X(structure_id, COPY, MSS_ST_ID)                                           \
    X(service, COPY, MSS_SERVICE)                                              \
    X(civility, COPY, MSS_CIV)                                                 \
    X(last_name, COPY, MSS_LAST)                                               \
    X(first_name, COPY, MSS_FIRST)                                             \
    X(category_code, COPY, MSS_CAT_C)                                          \
    X(profession_code, COPY, MSS_PROF_C)                                       \
    X(specialty_code, COPY, MSS_SF_C)                                          \
    X(dematerialised, COPY, MSS_DEMAT)                                         \
    X(org_name, COPY, MSS_RS)                                                  \
    X(org_sign, COPY, MSS_ENSEIGNE)                                            \
    X(addr_line2, COPY, MSS_L2)                                                \
    X(addr_line3, COPY, MSS_L3)                                                \
    X(street_number, COPY, MSS_NUM)                                            \
    X(street_repeat, COPY, MSS_REP)                                            \
    X(street_type, COPY, MSS_TV)                                               \
    X(street_name, COPY, MSS_VOIE)                                             \
    X(addr_line5, COPY, MSS_L5)                                                \
    X(addr_line6, COPY, MSS_L6)                                                \
    X(postcode, COPY, MSS_CP)                                                  \
    X(dept, COPY, MSS_DEPT)                                                    \
    X(country, COPY, MSS_PAYS)

/* One row per structure (Identifiant technique de la structure), from the
 * first activity line that names it (importer/structures.c). ACT: a copy of
 * that activity row's column `field` (the lines of one structure carry the
 * same site in the extracts). OWN: the importer's, made from the lines:
 * how many lines and professionals, and those professionals' pids (ascending, 4
 * bytes each, little-endian), so that a structure's people need no index on the
 * activity rows. */
#define TABLE_STRUCTURE(X)                                                     \
    X(sid, KEY, _)                                                             \
    X(structure_id, ACT, structure_id)                                         \
    X(siret, ACT, siret)                                                       \
    X(siren, ACT, siren)                                                       \
    X(finess, ACT, finess)                                                     \
    X(finess_legal, ACT, finess_legal)                                         \
    X(name, ACT, structure_name)                                               \
    X(sign, ACT, structure_sign)                                               \
    X(addr_recipient, ACT, addr_recipient)                                     \
    X(addr_geo, ACT, addr_geo)                                                 \
    X(street_number, ACT, street_number)                                       \
    X(street_repeat, ACT, street_repeat)                                       \
    X(street_type_code, ACT, street_type_code)                                 \
    X(street_type, ACT, street_type)                                           \
    X(street_name, ACT, street_name)                                           \
    X(addr_distribution, ACT, addr_distribution)                               \
    X(cedex_office, ACT, cedex_office)                                         \
    X(postcode, ACT, postcode)                                                 \
    X(insee, ACT, insee)                                                       \
    X(city, ACT, city)                                                         \
    X(city_fold, ACT, city_fold)                                               \
    X(dept_code, ACT, dept_code)                                               \
    X(phone, ACT, phone)                                                       \
    X(email, ACT, email)                                                       \
    X(n_activities, OWN, _)                                                    \
    X(n_professionals, OWN, _)                                                 \
    X(pids, OWN, _)

/* The name dictionary: every word of the folded names, counted, with its
 * phonetic key (common/phonetic.h). */
#define TABLE_NAME_TERM(X)                                                     \
    X(term, OWN, _)                                                            \
    X(n, OWN, _)                                                               \
    X(phon, OWN, _)

/* History across imports (importer/carry.c writes them whole, with its
 * own SQL; server/changes.c reads them): the dates of each key, the
 * changes, the imports. The gone_* tables have their live tables' columns
 * (gone_professional and gone_mailbox first_seen and last_seen before). */
#define TABLE_HISTORY(X)                                                       \
    X(key, KEY, _)                                                             \
    X(first_seen, OWN, _)                                                      \
    X(last_seen, OWN, _)

#define TABLE_CHANGE(X)                                                        \
    X(seq, KEY, _)                                                             \
    X(day, OWN, _)                                                             \
    X(kind, OWN, _)                                                            \
    X(change, OWN, _)                                                          \
    X(id, OWN, _)                                                              \
    X(national_id, OWN, _)                                                     \
    X(profession, OWN, _)                                                      \
    X(dept, OWN, _)                                                            \
    X(postcode, OWN, _)                                                        \
    X(dept_before, OWN, _)                                                     \
    X(postcode_before, OWN, _)                                                 \
    X(before, OWN, _)                                                          \
    X(after, OWN, _)

#define TABLE_IMPORT(X)                                                        \
    X(seq, KEY, _)                                                             \
    X(day, OWN, _)                                                             \
    X(built_at, OWN, _)                                                        \
    X(history, OWN, _)                                                         \
    X(counts, OWN, _)

/* Each table's columns as enum constants, COLUMN_<TABLE>_<column> (its
 * position), and _N their number. */
#define COLUMNS_PRO(c, kind, field) COLUMN_PROFESSIONAL_##c,
#define COLUMNS_ACT(c, kind, field) COLUMN_ACTIVITY_##c,
#define COLUMNS_SPE(c, kind, field) COLUMN_SPECIALTY_##c,
#define COLUMNS_DIP(c, kind, field) COLUMN_DIPLOMA_##c,
#define COLUMNS_MBX(c, kind, field) COLUMN_MAILBOX_##c,
#define COLUMNS_TRM(c, kind, field) COLUMN_NAME_TERM_##c,
#define COLUMNS_HIS(c, kind, field) COLUMN_HISTORY_##c,
#define COLUMNS_CHG(c, kind, field) COLUMN_CHANGE_##c,
#define COLUMNS_IMP(c, kind, field) COLUMN_IMPORT_##c,
#define COLUMNS_STR(c, kind, field) COLUMN_STRUCTURE_##c,
enum { TABLE_PROFESSIONAL(COLUMNS_PRO) COLUMN_PROFESSIONAL_N };
enum { TABLE_ACTIVITY(COLUMNS_ACT) COLUMN_ACTIVITY_N };
enum { TABLE_SPECIALTY(COLUMNS_SPE) COLUMN_SPECIALTY_N };
enum { TABLE_DIPLOMA(COLUMNS_DIP) COLUMN_DIPLOMA_N };
enum { TABLE_MAILBOX(COLUMNS_MBX) COLUMN_MAILBOX_N };
enum { TABLE_NAME_TERM(COLUMNS_TRM) COLUMN_NAME_TERM_N };
enum { TABLE_HISTORY(COLUMNS_HIS) COLUMN_HISTORY_N };
enum { TABLE_CHANGE(COLUMNS_CHG) COLUMN_CHANGE_N };
enum { TABLE_IMPORT(COLUMNS_IMP) COLUMN_IMPORT_N };
enum { TABLE_STRUCTURE(COLUMNS_STR) COLUMN_STRUCTURE_N };
#undef COLUMNS_PRO
#undef COLUMNS_ACT
#undef COLUMNS_SPE
#undef COLUMNS_DIP
#undef COLUMNS_MBX
#undef COLUMNS_TRM
#undef COLUMNS_HIS
#undef COLUMNS_CHG
#undef COLUMNS_IMP
#undef COLUMNS_STR

/* A column's name as a string ("aid", for a list of names). */
#define COLUMNS_NAME(c, kind, field) #c,

/* Nonzero if c is a column of table (ACTIVITY, MAILBOX...); a name that is
 * not does not compile. For a reader's _Static_assert over its list. */
#define COLUMNS_IN(table, c) (COLUMN_##table##_##c >= 0)

/* For a reader's own list of selected columns, written R(F, X) with F for
 * the first and X for the others: COLUMNS_SELECT(R) is the SELECT list,
 * "a, b, c", one string literal. */
#define COLUMNS_SQL_FIRST(c) #c
#define COLUMNS_SQL_NEXT(c) ", " #c
#define COLUMNS_SELECT(R) R(COLUMNS_SQL_FIRST, COLUMNS_SQL_NEXT)

/* The key is the first column of every table that has one, and the only
 * one: the importer prepends it to the values it kept for a row. */
#define COLUMNS_KEYS(c, kind, field) COLUMNS_KEYS_##kind
#define COLUMNS_KEYS_KEY +1
#define COLUMNS_KEYS_COPY
#define COLUMNS_KEYS_OWN
#define COLUMNS_KEYS_ACT
_Static_assert(COLUMN_PROFESSIONAL_pid == 0 &&
                   (0 TABLE_PROFESSIONAL(COLUMNS_KEYS)) == 1,
               "professional: pid first, the only key");
_Static_assert(COLUMN_ACTIVITY_aid == 0 &&
                   (0 TABLE_ACTIVITY(COLUMNS_KEYS)) == 1,
               "activity: aid first, the only key");
_Static_assert(COLUMN_SPECIALTY_pid == 0 &&
                   (0 TABLE_SPECIALTY(COLUMNS_KEYS)) == 1,
               "specialty: pid first, the only key");
_Static_assert(COLUMN_DIPLOMA_did == 0 && (0 TABLE_DIPLOMA(COLUMNS_KEYS)) == 1,
               "diploma: did first, the only key");
_Static_assert(COLUMN_MAILBOX_mid == 0 && (0 TABLE_MAILBOX(COLUMNS_KEYS)) == 1,
               "mailbox: mid first, the only key");
_Static_assert(COLUMN_STRUCTURE_sid == 0 &&
                   (0 TABLE_STRUCTURE(COLUMNS_KEYS)) == 1,
               "structure: sid first, the only key");
_Static_assert((0 TABLE_NAME_TERM(COLUMNS_KEYS)) == 0,
               "name_term: keyed on its text");

/* ---- The code lists: X(id, name), name as in code.list ----
 * Each holds the codes of one kind with their first label and how many
 * carry them (docs/format.md §5.8). */
#define CODE_LISTS(X)                                                          \
    X(CODE_PROFESSION, "profession")                                           \
    X(CODE_CATEGORY, "category")                                               \
    X(CODE_SPECIALTY, "specialty")                                             \
    X(CODE_SPECIALTY_TYPE, "specialty_type")                                   \
    X(CODE_MODE, "mode")                                                       \
    X(CODE_SECTOR, "sector")                                                   \
    X(CODE_SECTION, "section")                                                 \
    X(CODE_ROLE, "role")                                                       \
    X(CODE_GENRE, "genre")                                                     \
    X(CODE_CIVILITY, "civility")                                               \
    X(CODE_TITLE, "title")                                                     \
    X(CODE_DIPLOMA_TYPE, "diploma_type")                                       \
    X(CODE_DIPLOMA, "diploma")                                                 \
    X(CODE_AUTH_TYPE, "auth_type")                                             \
    X(CODE_DISCIPLINE, "discipline")                                           \
    X(CODE_DEPT, "dept")                                                       \
    X(CODE_MAILBOX_TYPE, "mailbox_type")
#define CODE_LISTS_ID(id, name) id,
enum code_lists { CODE_LISTS(CODE_LISTS_ID) CODE_LISTS_N };
#endif
