/* rpps-gen's code tables: see tables.h. */
#include "tables.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "banned.h"

const int kind_share[NKINDS] = {15, 80, 15, 40, 25, 15, 10, 120, 180, 500};

const struct code_label sector_tab[] = {
    {"SA01", "Etablissement public de santé"},
    {"SA03", "Etab. Privé PSPH"},
    {"SA04", "Etab. Privé Non PSPH"},
    {"SA33", "Pharmacie d'officine"},
    {"SA25", "Laboratoire de biologie médicale (LBM)"},
    {"SA17", "Etab. pour Personnes Agées"},
    {"SA16", "Etab. pour Handicapés"},
    {"SA05", "Centre de santé"},
    {"SA52", "Maison/Pôle de santé"},
    {"SA09", "Exercice en société"},
    {"SA08", "Cabinet de groupe"},
    {"SA07", "Cabinet individuel"},
};

const int kind_sector[NKINDS] = {0, 3, 4, 5, 6, 7, 8, 9, 10, 11};

const struct code_label mode_tab[] = {
    {"L", "Libéral"},
    {"S", "Salarié"},
    {"B", "Bénévole"},
};

const struct code_label genre_tab[] = {
    {"GENR01", "Activité de soin et de pharmacie"},
    {"GENR02", "Activité de soin ou de pharmacie en tant que remplaçant"},
    {"GENR03", "Remplacement dans une activité de soins"},
    {"GENR04", "Activité non soignante"},
};

const struct code_label section_tab[] = {
    {"A", "Pharmacien titulaire d'officine"},
    {"D", "Pharmacien adjoint d'officine et autres exercices"},
    {"G", "Pharmacien biologiste"},
    {"H", "Pharmacien des établissements de santé"},
    {"E", "Pharmacien des départements d'outre-mer"},
};

const struct practice profile_tab[NPROFILES][MAXROWS] = {
    [PR_MED] = {{M_L, K_CABI, 30},
                {M_L, K_CABG, 20},
                {M_L, K_SOC, 5},
                {M_L, K_MSP, 4},
                {M_S, K_HOSP, 32},
                {M_S, K_CDS, 4},
                {M_S, K_EHPAD, 2},
                {M_S, K_HANDI, 1},
                {M_B, K_HOSP, 2}},
    [PR_PHARM] = {{M_L, K_PHARMA, 35},
                  {M_S, K_PHARMA, 40},
                  {M_S, K_HOSP, 12},
                  {M_S, K_LBM, 10},
                  {M_L, K_LBM, 3}},
    [PR_DENT] = {{M_L, K_CABI, 50},
                 {M_L, K_CABG, 35},
                 {M_L, K_SOC, 5},
                 {M_S, K_CDS, 8},
                 {M_S, K_HOSP, 2}},
    [PR_NURSE] = {{M_L, K_CABI, 12},
                  {M_L, K_CABG, 10},
                  {M_S, K_HOSP, 52},
                  {M_S, K_EHPAD, 14},
                  {M_S, K_CDS, 5},
                  {M_S, K_HANDI, 5},
                  {M_B, K_HOSP, 2}},
    [PR_LIB] = {{M_L, K_CABI, 45},
                {M_L, K_CABG, 20},
                {M_L, K_MSP, 5},
                {M_S, K_HOSP, 18},
                {M_S, K_EHPAD, 6},
                {M_S, K_HANDI, 6}},
    [PR_HOSP] = {{M_S, K_HOSP, 70},
                 {M_S, K_EHPAD, 15},
                 {M_S, K_HANDI, 10},
                 {M_S, K_CDS, 5}},
    [PR_PREP] = {{M_S, K_PHARMA, 85}, {M_S, K_HOSP, 15}},
    [PR_PREPH] = {{M_S, K_HOSP, 100}},
    [PR_LAB] = {{M_S, K_LBM, 70}, {M_S, K_HOSP, 30}},
    [PR_SOC] = {{M_S, K_SOC, 60}, {M_L, K_SOC, 40}},
    [PR_DASS] = {{M_S, K_CABG, 90}, {M_S, K_CDS, 10}},
    [PR_SOCIAL] = {{M_S, K_HOSP, 50}, {M_S, K_HANDI, 30}, {M_S, K_EHPAD, 20}},
};

const struct profession prof_tab[] = {
    {"60", "Infirmier", 3000, 45, 87, 18, PR_NURSE, SF_NURSE, "CNOI", "DE06",
     "DE d'infirmier", "infirmier.mssante.fr"},
    {"10", "Médecin", 1200, 100, 50, 75, PR_MED, SF_MED, "CNOM", "DE01",
     "DE de docteur en médecine", "medecin.mssante.fr"},
    {"21", "Pharmacien", 450, 100, 67, 60, PR_PHARM, SF_NONE, "CNOP", "DE02",
     "DE de docteur en pharmacie", "pharmacien.mssante.fr"},
    {"70", "Masseur-Kinésithérapeute", 500, 100, 50, 35, PR_LIB, SF_NONE,
     "CNOMK", "DE05", "DE de masseur-kinésithérapeute",
     "masseur-kinesitherapeute.mssante.fr"},
    {"40", "Chirurgien-Dentiste", 250, 100, 48, 60, PR_DENT, SF_DENT, "CNOCD",
     "DE03", "DE de docteur en chirurgie dentaire",
     "chirurgien-dentiste.mssante.fr"},
    {"50", "Sage-Femme", 150, 100, 97, 50, PR_LIB, SF_NONE, "CNOSF", "DE04",
     "DE de sage-femme", "sage-femme.mssante.fr"},
    {"93", "Psychologue", 500, 0, 85, 3, PR_LIB, SF_NONE, "ARS", "DE93",
     "Master de psychologie", "pro.mssante.fr"},
    {"28", "Opticien-Lunetier", 200, 0, 55, 2, PR_SOC, SF_NONE, "ARS", "BTS28",
     "BTS opticien-lunetier", "pro.mssante.fr"},
    {"91", "Orthophoniste", 150, 0, 96, 5, PR_LIB, SF_NONE, "ARS", "CC91",
     "Certificat de capacité d'orthophoniste", "pro.mssante.fr"},
    {"92", "Orthoptiste", 30, 0, 90, 5, PR_LIB, SF_NONE, "ARS", "CC92",
     "Certificat de capacité d'orthoptiste", "pro.mssante.fr"},
    {"80", "Pédicure-Podologue", 80, 100, 70, 20, PR_LIB, SF_NONE, "CNOPP",
     "DE07", "DE de pédicure-podologue", "pedicure-podologue.mssante.fr"},
    {"26", "Audioprothésiste", 30, 0, 40, 2, PR_SOC, SF_NONE, "ARS", "DE26",
     "DE d'audioprothésiste", "pro.mssante.fr"},
    {"94", "Ergothérapeute", 80, 0, 88, 3, PR_LIB, SF_NONE, "ARS", "DE94",
     "DE d'ergothérapeute", "pro.mssante.fr"},
    {"95", "Diététicien", 60, 0, 92, 3, PR_LIB, SF_NONE, "ARS", "BTS95",
     "BTS diététique", "pro.mssante.fr"},
    {"96", "Psychomotricien", 80, 0, 88, 3, PR_LIB, SF_NONE, "ARS", "DE96",
     "DE de psychomotricien", "pro.mssante.fr"},
    {"98", "Manipulateur ERM", 200, 0, 72, 3, PR_HOSP, SF_NONE, "ARS", "DE98",
     "DE de manipulateur d'électroradiologie médicale", "pro.mssante.fr"},
    {"86", "Technicien de laboratoire médical", 150, 0, 80, 2, PR_LAB, SF_NONE,
     "ARS", "DE86", "DE de technicien de laboratoire médical",
     "pro.mssante.fr"},
    {"39", "Préparateur en pharmacie (officine)", 400, 0, 85, 2, PR_PREP,
     SF_NONE, "ARS", "BP39", "BP de préparateur en pharmacie",
     "pro.mssante.fr"},
    {"38", "Préparateur en pharmacie hospitalière", 50, 0, 85, 2, PR_PREPH,
     SF_NONE, "ARS", "DE38", "DE de préparateur en pharmacie hospitalière",
     "pro.mssante.fr"},
    {"35", "Aide-soignant", 600, 0, 90, 1, PR_HOSP, SF_NONE, "ARS", "DE35",
     "DE d'aide-soignant", "pro.mssante.fr"},
    {"36", "Ambulancier", 300, 0, 25, 1, PR_SOC, SF_NONE, "ARS", "DE36",
     "DE d'ambulancier", "pro.mssante.fr"},
    {"37", "Auxiliaire de puériculture", 100, 0, 98, 1, PR_HOSP, SF_NONE, "ARS",
     "DE37", "DE d'auxiliaire de puériculture", "pro.mssante.fr"},
    {"31", "Assistant dentaire", 200, 0, 95, 1, PR_DASS, SF_NONE, "ARS", "TP31",
     "Titre d'assistant dentaire", "pro.mssante.fr"},
    {"71", "Ostéopathe", 150, 0, 50, 2, PR_LIB, SF_NONE, "ARS", "DO71",
     "Diplôme d'ostéopathe", "pro.mssante.fr"},
    {"72", "Psychothérapeute", 30, 0, 70, 2, PR_LIB, SF_NONE, "ARS", "CE72",
     "Certificat de psychothérapeute", "pro.mssante.fr"},
    {"73", "Chiropracteur", 10, 0, 40, 2, PR_LIB, SF_NONE, "ARS", "DC73",
     "Diplôme de chiropracteur", "pro.mssante.fr"},
    {"69", "Infirmier psychiatrique", 50, 0, 70, 2, PR_HOSP, SF_NONE, "ARS",
     "DE69", "Diplôme d'infirmier de secteur psychiatrique", "pro.mssante.fr"},
    {"41", "Assistant de service social", 200, 0, 92, 1, PR_SOCIAL, SF_NONE,
     "ARS", "DE41", "DE d'assistant de service social", "pro.mssante.fr"},
    {"83", "Orthopédiste-Orthésiste", 10, 0, 30, 1, PR_SOC, SF_NONE, "ARS",
     "DE83", "Diplôme d'orthopédiste-orthésiste", "pro.mssante.fr"},
    {"81", "Orthoprothésiste", 5, 0, 30, 1, PR_SOC, SF_NONE, "ARS", "DE81",
     "Diplôme d'orthoprothésiste", "pro.mssante.fr"},
    {"82", "Podo-Orthésiste", 5, 0, 30, 1, PR_SOC, SF_NONE, "ARS", "DE82",
     "Diplôme de podo-orthésiste", "pro.mssante.fr"},
    {"84", "Oculariste", 1, 0, 30, 1, PR_SOC, SF_NONE, "ARS", "DE84",
     "Diplôme d'oculariste", "pro.mssante.fr"},
    {"85", "Epithésiste", 1, 0, 30, 1, PR_SOC, SF_NONE, "ARS", "DE85",
     "Diplôme d'épithésiste", "pro.mssante.fr"},
    {"32", "Physicien médical", 10, 0, 40, 5, PR_HOSP, SF_NONE, "ARS", "DQ32",
     "Diplôme de qualification en physique radiologique et médicale",
     "pro.mssante.fr"},
};
const size_t prof_count = sizeof prof_tab / sizeof prof_tab[0];

const struct code_label sftype_tab[] = {
    {"S", "Spécialité ordinale"},
    {"C", "Compétence"},
    {"CAPA", "Capacité"},
    {"DNQ", "DESC non qualifiant"},
    {"CEX", "Compétence exclusive"},
};
const size_t sftype_count = sizeof sftype_tab / sizeof sftype_tab[0];

const struct savoir spec_med[] = {
    {"S", "SM53", "Spécialiste en Médecine Générale", 260},
    {"S", "SM54", "Médecine Générale", 100},
    {"S", "SM26", "Qualifié en Médecine Générale", 90},
    {"S", "SM04", "Cardiologie et Maladies vasculaires", 40},
    {"S", "SM02", "Anesthésie-réanimation", 60},
    {"S", "SM08", "Chirurgie orthopédique et Traumatologie", 25},
    {"S", "SM15", "Dermatologie et vénéréologie", 25},
    {"S", "SM20", "Gynécologie-obstétrique", 35},
    {"S", "SM32", "Neurologie", 15},
    {"S", "SM38", "Ophtalmologie", 35},
    {"S", "SM39", "O.R.L et chirurgie cervico faciale", 18},
    {"S", "SM40", "Pédiatrie", 50},
    {"S", "SM42", "Psychiatrie", 90},
    {"S", "SM44", "Radio-diagnostic", 50},
    {"S", "SM01", "Anatomie et Cytologie pathologiques", 10},
    {"S", "SM57", "Allergologie", 3},
    {"S", "SM19", "Gastro-entérologie et hépatologie", 20},
    {"S", "SM41", "Pneumologie", 18},
    {"S", "SM46", "Rhumatologie", 16},
};
const size_t spec_med_count = sizeof spec_med / sizeof spec_med[0];

const struct savoir extra_med[] = {
    {"C", "C05", "Médecine du sport", 10},
    {"C", "C11", "Homéopathie", 5},
    {"C", "C13", "Médecine thermale", 2},
    {"CAPA", "CAPA02", "Capacité de gérontologie", 10},
    {"CAPA", "CAPA05", "Capacité de médecine d'urgence", 12},
    {"CAPA", "CAPA08", "Capacité d'addictologie clinique", 5},
    {"CAPA", "CAPA10", "Capacité d'allergologie", 3},
    {"DNQ", "DSM112", "Médecine d'urgence", 8},
    {"DNQ", "DSM115", "Addictologie", 3},
    {"CEX", "CEX06", "Médecine de la reproduction", 2},
};
const size_t extra_med_count = sizeof extra_med / sizeof extra_med[0];

const struct savoir spec_dent[] = {
    {"S", "SCD01", "Orthopédie dento-faciale", 60},
    {"S", "SCD02", "Chirurgie orale", 25},
    {"S", "SCD03", "Médecine bucco-dentaire", 15},
};
const size_t spec_dent_count = sizeof spec_dent / sizeof spec_dent[0];

const struct savoir spec_nurse[] = {
    {"S", "SI01", "Infirmier anesthésiste diplômé d'Etat", 30},
    {"S", "SI02", "Infirmier de bloc opératoire diplômé d'Etat", 30},
    {"S", "SI03", "Puéricultrice diplômée d'Etat", 30},
    {"S", "SI04", "Infirmier en pratique avancée", 10},
};
const size_t spec_nurse_count = sizeof spec_nurse / sizeof spec_nurse[0];

const struct voie voie_tab[] = {
    {"R", "Rue", 45},      {"AV", "Avenue", 18},    {"BD", "Boulevard", 8},
    {"PL", "Place", 6},    {"CHE", "Chemin", 6},    {"IMP", "Impasse", 3},
    {"ALL", "Allée", 4},   {"RTE", "Route", 5},     {"QUA", "Quai", 2},
    {"CRS", "Cours", 2},   {"SQ", "Square", 1},     {"FG", "Faubourg", 1},
    {"LD", "Lieu-dit", 1}, {"RES", "Résidence", 1},
};
const size_t voie_count = sizeof voie_tab / sizeof voie_tab[0];

/* The enums of tables.h name rows by index; a table edited without them
 * would give, say, every "cardiologue" case to a dermatologist. */
static void check_row(const char *table, int i, const char *got,
                      const char *want)
{
    if (strcmp(got, want) != 0) {
        log_error("internal error: %s[%d] is %s, not %s", table, i, got, want);
        abort();
    }
}

void tables_check(void)
{
    static const struct {
        int i;
        const char *code;
    } profs[] = {{P_INF, "60"},  {P_MED, "10"},  {P_PHARM, "21"},
                 {P_KINE, "70"}, {P_DENT, "40"}, {P_SF, "50"},
                 {P_PSY, "93"},  {P_OPT, "28"},  {P_ORTHOPHO, "91"},
                 {P_PODO, "80"}},
      specs[] = {{S_MG, "SM53"},     {S_CARDIO, "SM04"}, {S_DERMATO, "SM15"},
                 {S_GYNECO, "SM20"}, {S_NEURO, "SM32"},  {S_OPHTALMO, "SM38"},
                 {S_ORL, "SM39"},    {S_PEDIA, "SM40"},  {S_PSY, "SM42"},
                 {S_RADIO, "SM44"},  {S_GASTRO, "SM19"}, {S_PNEUMO, "SM41"},
                 {S_RHUMATO, "SM46"}};
    for (size_t k = 0; k < sizeof profs / sizeof profs[0]; k++)
        check_row("prof_tab", profs[k].i, prof_tab[profs[k].i].code,
                  profs[k].code);
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++)
        check_row("spec_med", specs[k].i, spec_med[specs[k].i].code,
                  specs[k].code);
}
