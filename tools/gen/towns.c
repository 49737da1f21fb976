/* rpps-gen's towns: see towns.h. */
#include "towns.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"
#include "banned.h"

/* Communes: real INSEE codes, names exactly as the INSEE spells them, and
 * their La Poste postal codes (several for big towns), taken from
 * data/communes.tsv, sorted by INSEE code. The weight, a rough relative
 * size, says how many structures a commune gets. */
static const struct {
    const char *insee, *dept, *cps, *name;
    int weight;
} commune_tab[] = {
    {"01004", "01", "01500", "Ambérieu-en-Bugey", 2},
    {"01033", "01", "01200", "Valserhône", 1},
    {"01053", "01", "01000", "Bourg-en-Bresse", 6},
    {"01143", "01", "01220", "Divonne-les-Bains", 1},
    {"01173", "01", "01170", "Gex", 1},
    {"01283", "01", "01100", "Oyonnax", 2},
    {"02168", "02", "02400", "Château-Thierry", 1},
    {"02408", "02", "02000", "Laon", 2},
    {"02691", "02", "02100", "Saint-Quentin", 3},
    {"02722", "02", "02200", "Soissons", 2},
    {"03185", "03", "03100", "Montluçon", 3},
    {"03190", "03", "03000", "Moulins", 2},
    {"03310", "03", "03200", "Vichy", 2},
    {"04070", "04", "04000", "Digne-les-Bains", 1},
    {"04112", "04", "04100", "Manosque", 2},
    {"05023", "05", "05100", "Briançon", 1},
    {"05061", "05", "05000", "Gap", 3},
    {"06004", "06", "06160,06600", "Antibes", 7},
    {"06029", "06", "06150,06400", "Cannes", 7},
    {"06069", "06", "06130,06520", "Grasse", 5},
    {"06083", "06", "06500", "Menton", 3},
    {"06088", "06", "06000,06100,06200,06300", "Nice", 30},
    {"06123", "06", "06700", "Saint-Laurent-du-Var", 2},
    {"06152", "06", "06560", "Valbonne", 1},
    {"07010", "07", "07100", "Annonay", 2},
    {"07186", "07", "07000", "Privas", 1},
    {"08105", "08", "08000", "Charleville-Mézières", 4},
    {"08409", "08", "08200", "Sedan", 2},
    {"09122", "09", "09000", "Foix", 1},
    {"09225", "09", "09100", "Pamiers", 1},
    {"10033", "10", "10200", "Bar-sur-Aube", 1},
    {"10387", "10", "10000", "Troyes", 6},
    {"11069", "11", "11000", "Carcassonne", 4},
    {"11076", "11", "11400", "Castelnaudary", 1},
    {"11262", "11", "11100", "Narbonne", 5},
    {"12145", "12", "12100", "Millau", 2},
    {"12202", "12", "12000", "Rodez", 3},
    {"12300", "12", "12200", "Villefranche-de-Rouergue", 1},
    {"13001", "13", "13080,13090,13100,13290,13540", "Aix-en-Provence", 14},
    {"13004", "13", "13104,13123,13129,13200,13280", "Arles", 5},
    {"13005", "13", "13400", "Aubagne", 4},
    {"13047", "13", "13118,13800", "Istres", 4},
    {"13056", "13", "13117,13500", "Martigues", 5},
    {"13103", "13", "13300", "Salon-de-Provence", 4},
    {"13117", "13", "13127", "Vitrolles", 3},
    {"13201", "13", "13001", "Marseille 1er Arrondissement", 4},
    {"13202", "13", "13002", "Marseille 2e Arrondissement", 3},
    {"13203", "13", "13003", "Marseille 3e Arrondissement", 4},
    {"13204", "13", "13004", "Marseille 4e Arrondissement", 4},
    {"13205", "13", "13005", "Marseille 5e Arrondissement", 4},
    {"13206", "13", "13006", "Marseille 6e Arrondissement", 4},
    {"13207", "13", "13007", "Marseille 7e Arrondissement", 3},
    {"13208", "13", "13008", "Marseille 8e Arrondissement", 8},
    {"13209", "13", "13009", "Marseille 9e Arrondissement", 7},
    {"13210", "13", "13010", "Marseille 10e Arrondissement", 5},
    {"13211", "13", "13011", "Marseille 11e Arrondissement", 5},
    {"13212", "13", "13012", "Marseille 12e Arrondissement", 5},
    {"13213", "13", "13013", "Marseille 13e Arrondissement", 9},
    {"13214", "13", "13014", "Marseille 14e Arrondissement", 6},
    {"13215", "13", "13015", "Marseille 15e Arrondissement", 6},
    {"13216", "13", "13016", "Marseille 16e Arrondissement", 2},
    {"14047", "14", "14400", "Bayeux", 1},
    {"14118", "14", "14000", "Caen", 10},
    {"14366", "14", "14100", "Lisieux", 2},
    {"15014", "15", "15000", "Aurillac", 2},
    {"15187", "15", "15100", "Saint-Flour", 1},
    {"16015", "16", "16000", "Angoulême", 4},
    {"16102", "16", "16100", "Cognac", 2},
    {"17300", "17", "17000", "La Rochelle", 7},
    {"17306", "17", "17200", "Royan", 2},
    {"17415", "17", "17100", "Saintes", 2},
    {"18033", "18", "18000", "Bourges", 6},
    {"18279", "18", "18100", "Vierzon", 2},
    {"19031", "19", "19100", "Brive-la-Gaillarde", 4},
    {"19272", "19", "19000", "Tulle", 1},
    {"21054", "21", "21200", "Beaune", 2},
    {"21231", "21", "21000", "Dijon", 15},
    {"22050", "22", "22100", "Dinan", 1},
    {"22113", "22", "22300", "Lannion", 2},
    {"22278", "22", "22000", "Saint-Brieuc", 4},
    {"23096", "23", "23000", "Guéret", 1},
    {"24037", "24", "24100", "Bergerac", 2},
    {"24322", "24", "24000", "Périgueux", 3},
    {"25056", "25", "25000", "Besançon", 11},
    {"25388", "25", "25200", "Montbéliard", 2},
    {"25462", "25", "25300", "Pontarlier", 1},
    {"26198", "26", "26200", "Montélimar", 3},
    {"26281", "26", "26100", "Romans-sur-Isère", 3},
    {"26362", "26", "26000", "Valence", 6},
    {"27056", "27", "27300", "Bernay", 1},
    {"27229", "27", "27000", "Évreux", 5},
    {"27681", "27", "27200", "Vernon", 2},
    {"28085", "28", "28000", "Chartres", 4},
    {"28134", "28", "28100", "Dreux", 3},
    {"29019", "29", "29200", "Brest", 14},
    {"29103", "29", "29800", "Landerneau", 1},
    {"29151", "29", "29600", "Morlaix", 1},
    {"29232", "29", "29000", "Quimper", 6},
    {"2A004", "2A", "20000,20090,20167", "Ajaccio", 7},
    {"2A041", "2A", "20169", "Bonifacio", 1},
    {"2A247", "2A", "20137", "Porto-Vecchio", 1},
    {"2A272", "2A", "20100", "Sartène", 1},
    {"2B033", "2B", "20200,20600", "Bastia", 5},
    {"2B050", "2B", "20260", "Calvi", 1},
    {"2B096", "2B", "20250", "Corte", 1},
    {"30007", "30", "30100", "Alès", 4},
    {"30189", "30", "30000,30900", "Nîmes", 14},
    {"31069", "31", "31700", "Blagnac", 2},
    {"31395", "31", "31600", "Muret", 2},
    {"31483", "31", "31800", "Saint-Gaudens", 1},
    {"31555", "31", "31000,31100,31200,31300,31400,31500", "Toulouse", 45},
    {"32013", "32", "32000", "Auch", 2},
    {"32107", "32", "32100", "Condom", 1},
    {"33063", "33", "33000,33100,33200,33300,33800", "Bordeaux", 25},
    {"33281", "33", "33700", "Mérignac", 7},
    {"33318", "33", "33600", "Pessac", 6},
    {"33522", "33", "33400", "Talence", 4},
    {"34032", "34", "34500", "Béziers", 7},
    {"34172", "34", "34000,34070,34080,34090", "Montpellier", 28},
    {"34301", "34", "34200", "Sète", 4},
    {"35047", "35", "35170", "Bruz", 1},
    {"35115", "35", "35300", "Fougères", 2},
    {"35238", "35", "35000,35200,35700", "Rennes", 21},
    {"35288", "35", "35400", "Saint-Malo", 4},
    {"35360", "35", "35500", "Vitré", 1},
    {"36044", "36", "36000", "Châteauroux", 4},
    {"36088", "36", "36100", "Issoudun", 1},
    {"37063", "37", "37110", "Château-Renault", 1},
    {"37261", "37", "37000,37100,37200", "Tours", 13},
    {"38053", "38", "38300", "Bourgoin-Jallieu", 2},
    {"38151", "38", "38130", "Échirolles", 3},
    {"38185", "38", "38000,38100", "Grenoble", 15},
    {"38421", "38", "38400", "Saint-Martin-d'Hères", 3},
    {"38544", "38", "38200", "Vienne", 3},
    {"38563", "38", "38500", "Voiron", 2},
    {"39198", "39", "39100", "Dole", 2},
    {"39300", "39", "39000", "Lons-le-Saunier", 2},
    {"40088", "40", "40100", "Dax", 2},
    {"40192", "40", "40000", "Mont-de-Marsan", 3},
    {"41018", "41", "41000", "Blois", 4},
    {"41269", "41", "41100", "Vendôme", 1},
    {"42095", "42", "42700", "Firminy", 2},
    {"42187", "42", "42300", "Roanne", 3},
    {"42207", "42", "42400", "Saint-Chamond", 3},
    {"42218", "42", "42000,42100,42230", "Saint-Étienne", 17},
    {"43157", "43", "43000", "Le Puy-en-Velay", 2},
    {"44036", "44", "44110", "Châteaubriant", 1},
    {"44055", "44", "44500", "La Baule-Escoublac", 1},
    {"44109", "44", "44000,44100,44200,44300", "Nantes", 30},
    {"44143", "44", "44400", "Rezé", 4},
    {"44162", "44", "44800", "Saint-Herblain", 4},
    {"44184", "44", "44600", "Saint-Nazaire", 7},
    {"45208", "45", "45200", "Montargis", 1},
    {"45234", "45", "45000,45100", "Orléans", 11},
    {"46042", "46", "46000", "Cahors", 2},
    {"46102", "46", "46100", "Figeac", 1},
    {"47001", "47", "47000", "Agen", 3},
    {"47157", "47", "47200", "Marmande", 1},
    {"48095", "48", "48000", "Mende", 1},
    {"49007", "49", "49000,49100", "Angers", 15},
    {"49099", "49", "49300", "Cholet", 5},
    {"49328", "49", "49400", "Saumur", 2},
    {"50025", "50", "50300", "Avranches", 1},
    {"50129", "50", "50100,50110,50120,50130,50460,50470",
     "Cherbourg-en-Cotentin", 7},
    {"50502", "50", "50000", "Saint-Lô", 2},
    {"51108", "51", "51000", "Châlons-en-Champagne", 4},
    {"51230", "51", "51200", "Épernay", 2},
    {"51454", "51", "51100", "Reims", 18},
    {"52121", "52", "52000", "Chaumont", 2},
    {"52448", "52", "52100", "Saint-Dizier", 2},
    {"53130", "53", "53000", "Laval", 5},
    {"53147", "53", "53100", "Mayenne", 1},
    {"54304", "54", "54520", "Laxou", 1},
    {"54395", "54", "54000,54100", "Nancy", 11},
    {"55029", "55", "55000", "Bar-le-Duc", 1},
    {"55545", "55", "55100", "Verdun", 2},
    {"56121", "56", "56100", "Lorient", 6},
    {"56162", "56", "56270", "Ploemeur", 1},
    {"56260", "56", "56000", "Vannes", 5},
    {"57227", "57", "57600", "Forbach", 2},
    {"57463", "57", "57000,57050,57070", "Metz", 12},
    {"57631", "57", "57200", "Sarreguemines", 2},
    {"57672", "57", "57100", "Thionville", 4},
    {"58086", "58", "58200", "Cosne-Cours-sur-Loire", 1},
    {"58194", "58", "58000", "Nevers", 3},
    {"59009", "59", "59491,59493,59650", "Villeneuve-d'Ascq", 6},
    {"59122", "59", "59400", "Cambrai", 3},
    {"59178", "59", "59500", "Douai", 4},
    {"59183", "59", "59140,59240,59279,59430,59640", "Dunkerque", 9},
    {"59350", "59", "59000,59160,59260,59777,59800", "Lille", 23},
    {"59378", "59", "59700", "Marcq-en-Barœul", 3},
    {"59392", "59", "59600", "Maubeuge", 3},
    {"59512", "59", "59100", "Roubaix", 9},
    {"59599", "59", "59200", "Tourcoing", 9},
    {"59606", "59", "59300", "Valenciennes", 4},
    {"60057", "60", "60000", "Beauvais", 5},
    {"60159", "60", "60200", "Compiègne", 4},
    {"60175", "60", "60100", "Creil", 3},
    {"61001", "61", "61000", "Alençon", 2},
    {"61169", "61", "61100", "Flers", 1},
    {"62041", "62", "62000", "Arras", 4},
    {"62119", "62", "62400", "Béthune", 2},
    {"62160", "62", "62200", "Boulogne-sur-Mer", 4},
    {"62193", "62", "62100", "Calais", 7},
    {"62498", "62", "62300", "Lens", 3},
    {"62765", "62", "62500", "Saint-Omer", 1},
    {"63113", "63", "63000,63100", "Clermont-Ferrand", 15},
    {"63178", "63", "63500", "Issoire", 1},
    {"63430", "63", "63300", "Thiers", 1},
    {"64024", "64", "64600", "Anglet", 4},
    {"64102", "64", "64100", "Bayonne", 5},
    {"64122", "64", "64200", "Biarritz", 2},
    {"64445", "64", "64000", "Pau", 8},
    {"64483", "64", "64500", "Saint-Jean-de-Luz", 1},
    {"65286", "65", "65100", "Lourdes", 1},
    {"65440", "65", "65000", "Tarbes", 4},
    {"66008", "66", "66700", "Argelès-sur-Mer", 1},
    {"66136", "66", "66000,66100", "Perpignan", 12},
    {"67180", "67", "67500", "Haguenau", 3},
    {"67437", "67", "67700", "Saverne", 1},
    {"67462", "67", "67600", "Sélestat", 1},
    {"67482", "67", "67000,67100,67200", "Strasbourg", 29},
    {"68066", "68", "68000", "Colmar", 7},
    {"68224", "68", "68100,68200", "Mulhouse", 11},
    {"68297", "68", "68300", "Saint-Louis", 2},
    {"69091", "69", "69700", "Givors", 2},
    {"69202", "69", "69110", "Sainte-Foy-lès-Lyon", 2},
    {"69256", "69", "69120", "Vaulx-en-Velin", 4},
    {"69259", "69", "69200", "Vénissieux", 6},
    {"69264", "69", "69400", "Villefranche-sur-Saône", 3},
    {"69266", "69", "69100", "Villeurbanne", 15},
    {"69290", "69", "69800", "Saint-Priest", 4},
    {"69381", "69", "69001", "Lyon 1er Arrondissement", 3},
    {"69382", "69", "69002", "Lyon 2e Arrondissement", 3},
    {"69383", "69", "69003", "Lyon 3e Arrondissement", 10},
    {"69384", "69", "69004", "Lyon 4e Arrondissement", 4},
    {"69385", "69", "69005", "Lyon 5e Arrondissement", 5},
    {"69386", "69", "69006", "Lyon 6e Arrondissement", 5},
    {"69387", "69", "69007", "Lyon 7e Arrondissement", 8},
    {"69388", "69", "69008", "Lyon 8e Arrondissement", 8},
    {"69389", "69", "69009", "Lyon 9e Arrondissement", 5},
    {"70550", "70", "70000", "Vesoul", 1},
    {"71076", "71", "71100", "Chalon-sur-Saône", 4},
    {"71270", "71", "71000", "Mâcon", 3},
    {"71306", "71", "71300", "Montceau-les-Mines", 2},
    {"72154", "72", "72200", "La Flèche", 1},
    {"72181", "72", "72000,72100", "Le Mans", 14},
    {"73008", "73", "73100", "Aix-les-Bains", 3},
    {"73011", "73", "73200", "Albertville", 2},
    {"73065", "73", "73000", "Chambéry", 6},
    {"74010", "74", "74000,74370,74600,74940,74960", "Annecy", 13},
    {"74012", "74", "74100", "Annemasse", 3},
    {"74056", "74", "74400", "Chamonix-Mont-Blanc", 1},
    {"74281", "74", "74200", "Thonon-les-Bains", 3},
    {"75101", "75", "75001", "Paris 1er Arrondissement", 2},
    {"75102", "75", "75002", "Paris 2e Arrondissement", 2},
    {"75103", "75", "75003", "Paris 3e Arrondissement", 3},
    {"75104", "75", "75004", "Paris 4e Arrondissement", 3},
    {"75105", "75", "75005", "Paris 5e Arrondissement", 6},
    {"75106", "75", "75006", "Paris 6e Arrondissement", 4},
    {"75107", "75", "75007", "Paris 7e Arrondissement", 5},
    {"75108", "75", "75008", "Paris 8e Arrondissement", 4},
    {"75109", "75", "75009", "Paris 9e Arrondissement", 6},
    {"75110", "75", "75010", "Paris 10e Arrondissement", 9},
    {"75111", "75", "75011", "Paris 11e Arrondissement", 15},
    {"75112", "75", "75012", "Paris 12e Arrondissement", 14},
    {"75113", "75", "75013", "Paris 13e Arrondissement", 18},
    {"75114", "75", "75014", "Paris 14e Arrondissement", 14},
    {"75115", "75", "75015", "Paris 15e Arrondissement", 23},
    {"75116", "75", "75016,75116", "Paris 16e Arrondissement", 17},
    {"75117", "75", "75017", "Paris 17e Arrondissement", 17},
    {"75118", "75", "75018", "Paris 18e Arrondissement", 19},
    {"75119", "75", "75019", "Paris 19e Arrondissement", 19},
    {"75120", "75", "75020", "Paris 20e Arrondissement", 20},
    {"76217", "76", "76200,76370", "Dieppe", 3},
    {"76259", "76", "76400", "Fécamp", 2},
    {"76351", "76", "76600,76610,76620", "Le Havre", 17},
    {"76540", "76", "76000,76100", "Rouen", 11},
    {"76681", "76", "76300", "Sotteville-lès-Rouen", 3},
    {"77186", "77", "77300", "Fontainebleau", 1},
    {"77284", "77", "77100", "Meaux", 5},
    {"77288", "77", "77000", "Melun", 4},
    {"77373", "77", "77340", "Pontault-Combault", 4},
    {"78361", "78", "78200", "Mantes-la-Jolie", 4},
    {"78498", "78", "78300", "Poissy", 4},
    {"78551", "78", "78100,78112", "Saint-Germain-en-Laye", 4},
    {"78586", "78", "78500", "Sartrouville", 5},
    {"78646", "78", "78000", "Versailles", 9},
    {"79049", "79", "79300", "Bressuire", 1},
    {"79191", "79", "79000", "Niort", 6},
    {"80001", "80", "80100", "Abbeville", 2},
    {"80021", "80", "80000,80080,80090", "Amiens", 13},
    {"81004", "81", "81000", "Albi", 5},
    {"81065", "81", "81100", "Castres", 4},
    {"82121", "82", "82000", "Montauban", 6},
    {"83050", "83", "83300", "Draguignan", 4},
    {"83061", "83", "83370,83600", "Fréjus", 5},
    {"83069", "83", "83400", "Hyères", 5},
    {"83118", "83", "83530,83700", "Saint-Raphaël", 3},
    {"83119", "83", "83990", "Saint-Tropez", 1},
    {"83137", "83", "83000,83100,83200", "Toulon", 17},
    {"84007", "84", "84000,84140", "Avignon", 9},
    {"84031", "84", "84200", "Carpentras", 3},
    {"84054", "84", "84800", "L'Isle-sur-la-Sorgue", 2},
    {"85191", "85", "85000", "La Roche-sur-Yon", 5},
    {"85194", "85", "85100,85180,85340", "Les Sables-d'Olonne", 4},
    {"86066", "86", "86100", "Châtellerault", 3},
    {"86194", "86", "86000", "Poitiers", 9},
    {"87085", "87", "87000,87100,87280", "Limoges", 13},
    {"88160", "88", "88000", "Épinal", 3},
    {"88413", "88", "88100", "Saint-Dié-des-Vosges", 2},
    {"89024", "89", "89000,89290", "Auxerre", 3},
    {"89387", "89", "89100", "Sens", 2},
    {"90010", "90", "90000", "Belfort", 5},
    {"91174", "91", "91100", "Corbeil-Essonnes", 5},
    {"91228", "91", "91000,91080", "Évry-Courcouronnes", 5},
    {"91377", "91", "91300", "Massy", 5},
    {"91589", "91", "91600", "Savigny-sur-Orge", 3},
    {"92002", "92", "92160", "Antony", 6},
    {"92004", "92", "92600", "Asnières-sur-Seine", 9},
    {"92012", "92", "92100", "Boulogne-Billancourt", 12},
    {"92019", "92", "92290", "Châtenay-Malabry", 3},
    {"92020", "92", "92320", "Châtillon", 4},
    {"92024", "92", "92110", "Clichy", 6},
    {"92025", "92", "92700", "Colombes", 8},
    {"92026", "92", "92400", "Courbevoie", 8},
    {"92040", "92", "92130", "Issy-les-Moulineaux", 7},
    {"92044", "92", "92300", "Levallois-Perret", 6},
    {"92046", "92", "92240", "Malakoff", 3},
    {"92049", "92", "92120", "Montrouge", 5},
    {"92050", "92", "92000", "Nanterre", 9},
    {"92051", "92", "92200", "Neuilly-sur-Seine", 6},
    {"92063", "92", "92500", "Rueil-Malmaison", 8},
    {"92064", "92", "92210", "Saint-Cloud", 3},
    {"92073", "92", "92150", "Suresnes", 5},
    {"93001", "93", "93300", "Aubervilliers", 9},
    {"93005", "93", "93600", "Aulnay-sous-Bois", 9},
    {"93008", "93", "93000", "Bobigny", 5},
    {"93010", "93", "93140", "Bondy", 5},
    {"93029", "93", "93700", "Drancy", 7},
    {"93048", "93", "93100", "Montreuil", 11},
    {"93051", "93", "93160", "Noisy-le-Grand", 6},
    {"93064", "93", "93110", "Rosny-sous-Bois", 4},
    {"93066", "93", "93200,93210,93380", "Saint-Denis", 11},
    {"93070", "93", "93400", "Saint-Ouen-sur-Seine", 5},
    {"94017", "94", "94500", "Champigny-sur-Marne", 8},
    {"94022", "94", "94600", "Choisy-le-Roi", 4},
    {"94028", "94", "94000", "Créteil", 9},
    {"94033", "94", "94120", "Fontenay-sous-Bois", 5},
    {"94038", "94", "94240", "L'Haÿ-les-Roses", 3},
    {"94041", "94", "94200", "Ivry-sur-Seine", 6},
    {"94043", "94", "94270", "Le Kremlin-Bicêtre", 3},
    {"94046", "94", "94700", "Maisons-Alfort", 5},
    {"94052", "94", "94130", "Nogent-sur-Marne", 3},
    {"94068", "94", "94100,94210", "Saint-Maur-des-Fossés", 7},
    {"94076", "94", "94800", "Villejuif", 5},
    {"94080", "94", "94300", "Vincennes", 5},
    {"94081", "94", "94400", "Vitry-sur-Seine", 9},
    {"95018", "95", "95100", "Argenteuil", 11},
    {"95127", "95", "95000,95800", "Cergy", 6},
    {"95268", "95", "95140", "Garges-lès-Gonesse", 4},
    {"95277", "95", "95500", "Gonesse", 3},
    {"95500", "95", "95000,95300", "Pontoise", 3},
    {"95585", "95", "95200", "Sarcelles", 6},
    {"97101", "971", "97139,97142", "Les Abymes", 5},
    {"97105", "971", "97100", "Basse-Terre", 1},
    {"97120", "971", "97110", "Pointe-à-Pitre", 2},
    {"97209", "972", "97200,97234", "Fort-de-France", 8},
    {"97213", "972", "97232", "Le Lamentin", 4},
    {"97302", "973", "97300", "Cayenne", 6},
    {"97407", "974", "97420", "Le Port", 4},
    {"97411", "974", "97400,97417,97490", "Saint-Denis", 15},
    {"97415", "974", "97411,97422,97423,97434,97435,97460", "Saint-Paul", 10},
    {"97416", "974", "97410,97432", "Saint-Pierre", 8},
    {"97422", "974", "97418,97430", "Le Tampon", 8},
    {"97611", "976", "97600,97605", "Mamoudzou", 7},
};

#define NCOMMUNES (sizeof commune_tab / sizeof commune_tab[0])

/* Departments: code, name, and the first digits of a landline there. */
struct dept {
    const char *code, *name, *phone;
};

static const struct dept dept_tab[] = {
    {"01", "Ain", "04"},
    {"02", "Aisne", "03"},
    {"03", "Allier", "04"},
    {"04", "Alpes-de-Haute-Provence", "04"},
    {"05", "Hautes-Alpes", "04"},
    {"06", "Alpes-Maritimes", "04"},
    {"07", "Ardèche", "04"},
    {"08", "Ardennes", "03"},
    {"09", "Ariège", "05"},
    {"10", "Aube", "03"},
    {"11", "Aude", "04"},
    {"12", "Aveyron", "05"},
    {"13", "Bouches-du-Rhône", "04"},
    {"14", "Calvados", "02"},
    {"15", "Cantal", "04"},
    {"16", "Charente", "05"},
    {"17", "Charente-Maritime", "05"},
    {"18", "Cher", "02"},
    {"19", "Corrèze", "05"},
    {"21", "Côte-d'Or", "03"},
    {"22", "Côtes-d'Armor", "02"},
    {"23", "Creuse", "05"},
    {"24", "Dordogne", "05"},
    {"25", "Doubs", "03"},
    {"26", "Drôme", "04"},
    {"27", "Eure", "02"},
    {"28", "Eure-et-Loir", "02"},
    {"29", "Finistère", "02"},
    {"2A", "Corse-du-Sud", "04"},
    {"2B", "Haute-Corse", "04"},
    {"30", "Gard", "04"},
    {"31", "Haute-Garonne", "05"},
    {"32", "Gers", "05"},
    {"33", "Gironde", "05"},
    {"34", "Hérault", "04"},
    {"35", "Ille-et-Vilaine", "02"},
    {"36", "Indre", "02"},
    {"37", "Indre-et-Loire", "02"},
    {"38", "Isère", "04"},
    {"39", "Jura", "03"},
    {"40", "Landes", "05"},
    {"41", "Loir-et-Cher", "02"},
    {"42", "Loire", "04"},
    {"43", "Haute-Loire", "04"},
    {"44", "Loire-Atlantique", "02"},
    {"45", "Loiret", "02"},
    {"46", "Lot", "05"},
    {"47", "Lot-et-Garonne", "05"},
    {"48", "Lozère", "04"},
    {"49", "Maine-et-Loire", "02"},
    {"50", "Manche", "02"},
    {"51", "Marne", "03"},
    {"52", "Haute-Marne", "03"},
    {"53", "Mayenne", "02"},
    {"54", "Meurthe-et-Moselle", "03"},
    {"55", "Meuse", "03"},
    {"56", "Morbihan", "02"},
    {"57", "Moselle", "03"},
    {"58", "Nièvre", "03"},
    {"59", "Nord", "03"},
    {"60", "Oise", "03"},
    {"61", "Orne", "02"},
    {"62", "Pas-de-Calais", "03"},
    {"63", "Puy-de-Dôme", "04"},
    {"64", "Pyrénées-Atlantiques", "05"},
    {"65", "Hautes-Pyrénées", "05"},
    {"66", "Pyrénées-Orientales", "04"},
    {"67", "Bas-Rhin", "03"},
    {"68", "Haut-Rhin", "03"},
    {"69", "Rhône", "04"},
    {"70", "Haute-Saône", "03"},
    {"71", "Saône-et-Loire", "03"},
    {"72", "Sarthe", "02"},
    {"73", "Savoie", "04"},
    {"74", "Haute-Savoie", "04"},
    {"75", "Paris", "01"},
    {"76", "Seine-Maritime", "02"},
    {"77", "Seine-et-Marne", "01"},
    {"78", "Yvelines", "01"},
    {"79", "Deux-Sèvres", "05"},
    {"80", "Somme", "03"},
    {"81", "Tarn", "05"},
    {"82", "Tarn-et-Garonne", "05"},
    {"83", "Var", "04"},
    {"84", "Vaucluse", "04"},
    {"85", "Vendée", "02"},
    {"86", "Vienne", "05"},
    {"87", "Haute-Vienne", "05"},
    {"88", "Vosges", "03"},
    {"89", "Yonne", "03"},
    {"90", "Territoire de Belfort", "03"},
    {"91", "Essonne", "01"},
    {"92", "Hauts-de-Seine", "01"},
    {"93", "Seine-Saint-Denis", "01"},
    {"94", "Val-de-Marne", "01"},
    {"95", "Val-d'Oise", "01"},
    {"971", "Guadeloupe", "0590"},
    {"972", "Martinique", "0596"},
    {"973", "Guyane", "0594"},
    {"974", "La Réunion", "0262"},
    {"976", "Mayotte", "0269"},
};

#define NDEPTS (sizeof dept_tab / sizeof dept_tab[0])

/* The La Poste label of a commune ("ST ETIENNE", "PARIS" for an
 * arrondissement): upper case, no accents, no hyphens. */
static void poste_label(const char *name, char *out, size_t cap)
{
    static const char *const cities[] = {"Paris ", "Lyon ", "Marseille "};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(cities[i]);
        if (strncmp(name, cities[i], l) == 0 && name[l] >= '0' &&
            name[l] <= '9') {
            text_copy(out, cap, cities[i]);
            out[l - 1] = '\0';
            text_ascii_upper(out);
            return;
        }
    }
    char f[96];
    text_fold(name, f, sizeof f);
    text_ascii_upper(f);
    out[0] = '\0';
    for (char *tok = f; *tok;) {
        char *end = strchr(tok, ' ');
        if (end)
            *end = '\0';
        if (out[0])
            text_cat(out, cap, " ");
        if (strcmp(tok, "SAINT") == 0)
            text_cat(out, cap, "ST");
        else if (strcmp(tok, "SAINTE") == 0)
            text_cat(out, cap, "STE");
        else
            text_cat(out, cap, tok);
        if (!end)
            break;
        tok = end + 1;
    }
}

static const struct dept *dept_of(const char *code)
{
    for (size_t i = 0; i < NDEPTS; i++)
        if (strcmp(dept_tab[i].code, code) == 0)
            return &dept_tab[i];
    return NULL;
}

int towns_init(struct towns *t)
{
    t->n = NCOMMUNES;
    t->c = xcalloc(t->n, sizeof *t->c);
    for (size_t i = 0; i < t->n; i++) {
        struct commune *c = &t->c[i];
        const struct dept *d = dept_of(commune_tab[i].dept);
        if (!d) {
            log_error("internal error: commune %s: no department %s",
                      commune_tab[i].insee, commune_tab[i].dept);
            towns_release(t);
            return -1;
        }
        c->insee = commune_tab[i].insee;
        c->dept = commune_tab[i].dept;
        c->cps = commune_tab[i].cps;
        c->name = commune_tab[i].name;
        c->weight = commune_tab[i].weight;
        c->dept_label = d->name;
        c->phone = d->phone;
        poste_label(c->name, c->poste, sizeof c->poste);
    }
    for (size_t c = 0; c < t->n; c++) {
        size_t lo = c, hi = c + 1;
        while (lo > 0 && strcmp(t->c[lo - 1].dept, t->c[c].dept) == 0)
            lo--;
        while (hi < t->n && strcmp(t->c[hi].dept, t->c[c].dept) == 0)
            hi++;
        t->c[c].dept_lo = (uint32_t)lo;
        t->c[c].dept_hi = (uint32_t)hi;
    }
    return 0;
}

void towns_release(struct towns *t)
{
    free(t->c);
    t->c = NULL;
    t->n = 0;
}

int towns_find(const struct towns *t, const char *insee)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->c[i].insee, insee) == 0)
            return (int)i;
    log_error("no commune %s in the table", insee);
    abort();
}

/* "13080,13090" holds two. */
int towns_ncp(const struct commune *c)
{
    return (int)(strlen(c->cps) + 1) / 6;
}
