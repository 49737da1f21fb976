#!/bin/sh
# Relevance gate and the search that understands names, typos, professions,
# places and distance, end to end: rpps-gen's planted cases on 20,000
# generated professionals through tools/relevance (fails when overall
# recall@1, recall@10 or MRR falls below the thresholds below), then, on
# the same database, the API contract of q's reading ("understood"), of
# near= and radius_km= (order, radius, distance_km on every activity,
# arrondissements and CEDEX codes, activities placed without a commune
# code) and their errors. Prints "RESULT <passed> <failed>" last.
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_relevance.XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ok() { passed=$((passed + 1)); }
ko() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}

# First measurement with the 17 kinds (seed 1, 20,000 professionals, 277
# cases): recall@1 0.910, recall@10 0.910, MRR 0.910 (200,000: 0.906,
# 0.910, 0.908); the misses were the 13 dept_name and 12 town_typo cases.
# With department names and towns with a typo understood: 1.000 for all
# three (200,000: 0.996, 1.000, 0.998). The thresholds sit a few cases
# below: room for a generator change, not for a kind of case lost (10
# cases: -0.036).
MIN_R1=${MIN_R1:-0.975}
MIN_R10=${MIN_R10:-0.98}
MIN_MRR=${MIN_MRR:-0.975}

for t in curl jq; do
    if ! command -v $t >/dev/null; then
        ko "$t is needed"
        echo "RESULT $passed $failed"
        exit 1
    fi
done
if sh tools/relevance --seed 1 --professionals 20000 --dir "$tmp" \
    --min-r1 "$MIN_R1" --min-r10 "$MIN_R10" --min-mrr "$MIN_MRR" \
    --misses; then
    ok
else
    ko "relevance below recall@1 $MIN_R1, recall@10 $MIN_R10, MRR $MIN_MRR" \
        "(or the run failed)"
fi
if [ ! -f "$tmp/rpps.db" ]; then
    echo "RESULT $passed $failed"
    exit 1
fi

# --- the API on the same database -----------------------------------------
LOG=$tmp/server2.log
"$BUILD/rpps-server" --db "$tmp/rpps.db" --listen 127.0.0.1:0 --threads 2 \
    2>"$LOG" &
SPID=$!
PORT=
for _ in $(seq 1200); do # up to 60 s: slow under sanitizers and load
    PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$LOG" 2>/dev/null)
    [ -n "$PORT" ] && break
    kill -0 $SPID 2>/dev/null || break
    sleep 0.05
done
if [ -z "$PORT" ]; then
    ko "server did not start"
    echo "RESULT $passed $failed"
    exit 1
fi
URL=http://127.0.0.1:$PORT/v1/search

# get QUERY: the answer body in $tmp/a.json, the status in $status.
get() {
    status=$(curl -s -o "$tmp/a.json" -w '%{http_code}' "$URL?$1")
}
# expect DESCRIPTION QUERY STATUS JQ-EXPRESSION (must print true)
expect() {
    get "$2"
    if [ "$status" != "$3" ]; then
        ko "$1: status $status, want $3 ($2): $(head -c 300 "$tmp/a.json")"
        return
    fi
    if [ -n "$4" ] && [ "$(jq -r "$4" "$tmp/a.json" 2>/dev/null)" != true ]; then
        ko "$1: $4 ($2): $(head -c 400 "$tmp/a.json")"
        return
    fi
    ok
}

# How q was read.
expect "profession word" "q=dentiste+dupont" 200 \
    '.understood.profession[0].code == "40" and .understood.name == ["dupont"]'
expect "specialty word, commune" "q=cardiologue+martin+belfort" 200 \
    '(.understood.specialty | map(.code) | index("SM04")) != null and
     .understood.place.kind == "commune" and
     .understood.place.communes[0].insee == "90010"'
expect "St for Saint" "q=kine+st+etienne" 200 \
    '.understood.place.communes[0].insee == "42218" and
     .understood.profession[0].code == "70"'
expect "postal code" "q=dentiste+90000" 200 \
    '.understood.place.kind == "postcode" and .total > 0 and
     ([.results[].activities[].address.postcode] | index("90000")) != null'
expect "department" "q=infirmiere+90" 200 \
    '.understood.place == {"kind": "dept", "from": "90", "dept": "90"} and
     ([.results[] | .activities | any(.address.dept == "90")] | all)'
expect "a word before a department number is dropped" \
    "q=dentiste+dupont+d%C3%A9partement+90" 200 \
    '.understood.place.dept == "90" and .understood.ignored == ["departement"]
     and .understood.name == ["dupont"] and .total > 0'
expect "arrondissement by postal code" "q=dentiste+75011" 200 \
    '.understood.place.communes[0].insee == "75111"'
expect "a profession alone lists its people" "q=dentiste+belfort" 200 \
    '.total > 0 and ([.results[].profession.code] | unique) == ["40"]'
expect "a stray number is ignored" "q=dupont+12345678901" 200 \
    '.understood.ignored == ["12345678901"]'
expect "nothing left to search" "q=12345678901" 200 \
    '.total == 0 and .results == []'
expect "typo read as a profession" "q=cardiologe" 200 \
    '.understood.typos[0].as == "cardiologue"'
expect "explicit filter wins over q" "q=dentiste+dupont&profession=10" 200 \
    '([.results[].profession.code] | unique) - ["10"] == []'
# Structures, streets, identifiers, mailboxes: a hospital of the file
# (the largest CHU with a SIRET and a FINESS), then every result must
# practise there, on one activity with the place asked for.
API=http://127.0.0.1:$PORT/v1
curl -s "$API/structures?q=chu&limit=100" >"$tmp/st.json"
st_id=$(jq -r '[.results[] | select(.siret and .finess)][0].id' "$tmp/st.json")
siret=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .siret' "$tmp/st.json")
finess=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .finess' "$tmp/st.json")
name=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .name' "$tmp/st.json")
pc=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .address.postcode' "$tmp/st.json")
num=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .address.street_number' "$tmp/st.json")
sname=$(jq -r --arg i "$st_id" '.results[] | select(.id == $i) | .address.street_name' "$tmp/st.json")
if [ -z "$st_id" ] || [ "$st_id" = null ]; then
    ko "no CHU with a SIRET and a FINESS in the generated data"
else
    enc() { printf '%s' "$1" | jq -sRr @uri; }
    at_st='([.results[] | .activities | any(.structure.siret == $s)] | all)'
    expect "siret= finds the structure's people" "siret=$siret" 200 \
        ".total > 0 and $(echo "$at_st" | sed "s/\$s/\"$siret\"/")"
    expect "a SIRET pasted in q with spaces" \
        "q=$(enc "$(echo "$siret" | sed 's/^\(...\)\(...\)\(...\)/\1 \2 \3 /')")" 200 \
        ".understood.siret == \"$siret\" and .total > 0 and
         $(echo "$at_st" | sed "s/\$s/\"$siret\"/")"
    expect "a FINESS pasted in q" "q=$(enc "$finess")" 200 \
        ".understood.finess == \"$finess\" and .total > 0"
    expect "structure= and postcode= on one activity" \
        "structure=$(enc "$name")&postcode=$pc" 200 \
        ".total > 0 and ([.results[] | .activities |
          any(.structure.name == \"$name\" and .address.postcode == \"$pc\")]
         | all)"
    expect "a structure's name in q" "q=$(enc "$name")" 200 \
        ".understood.structure.from != null and .total > 0"
    expect "street= with an abbreviation, on one activity with postcode=" \
        "street=$(enc "$num r $sname")&postcode=$pc" 200 \
        ".total >= 0 and ([.results[] | .activities |
          any(.address.postcode == \"$pc\")] | all)"
    expect "structure and a postal code elsewhere: nobody" \
        "siret=$siret&postcode=00000" 200 '.total == 0'
    st1=$(curl -s "$API/structures/$siret?limit=2" | jq -r '.id + " " + (.practitioners.results | length | tostring)')
    if [ "$st1" = "$st_id 2" ] || [ "$st1" = "$st_id 1" ]; then ok; else
        ko "/v1/structures/{siret}: $st1, want $st_id"; fi
fi
dom=$(curl -s "$URL?has_mss=true&limit=1" | jq -r '.results[0].mssante[0].address')
prefix=${dom%%@*}@
dom=${dom#*@}
expect "mssante= a domain" "mssante=$dom&limit=100" 200 \
    ".total > 0 and ([.results[] | .mssante | any(.address | endswith(\"@$dom\"))] | all)"
expect "mssante= an address prefix" "mssante=$prefix" 200 \
    ".total >= 1 and ([.results[] | .mssante | any(.address | startswith(\"$prefix\"))] | all)"
expect "a mailbox prefix in q" "q=$prefix" 200 \
    ".understood.mssante.from == \"$prefix\" and .total >= 1"
# Structure readings missed on the merged generator's file (seed 1): a
# street does not end with a particle, the town after it is read again as
# complete; a title inside a structure's name is part of it; a particle
# being typed is the start of a word; a town read amid a structure's name
# (Genets) is part of it when the words after it are a town.
expect "a street, then a town read again" \
    "q=147+av+DE+LA+LIBERTE+La+Roche-sur-Yon" 200 \
    '.understood.street.from == "147 av de la liberte" and
     .understood.place.communes[0].insee == "85191" and .total > 0'
expect "a title inside a structure's name" \
    "q=CABINET+DU+DR+LECLERC" 200 \
    '.understood.structure.from == "cabinet dr leclerc" and
     (.understood | has("title") | not)'
expect "a particle being typed in a structure's name" "q=SELARL+LE" 200 \
    '.understood.structure.from == "selarl le"'
expect "a town amid a structure's name is part of it, the last word the town" \
    "q=MAS+LES+GENETS+Sartrouville" 200 \
    '.understood.structure.from == "mas genets" and
     .understood.place.communes[0].insee == "78586" and .total > 0'
# Structure readings and ranking missed on the same file: a structure
# named exactly by the words comes before those whose names only begin
# with them (LECLERCQ, LEFEVRE); a word before the town that reads as a
# connector ("pres": près) is part of a structure's name when some
# structure has it; a word nobody is named (a laboratory's brand) is a
# structure's name.
expect "the structure named exactly first (not LECLERCQ)" \
    "q=CABINET+DU+DR+LECLERC" 200 \
    '.results[0].activities | any(.structure.name == "CABINET DU DR LECLERC")'
expect "the structure named exactly first, its last word being typed" \
    "q=SELARL+LE" 200 \
    '.results[0].activities | any(.structure.name == "SELARL LE")'
expect "a connector before the town, part of a structure's name" \
    "q=CABINET+DENTAIRE+DES+PRES+Strasbourg" 200 \
    '.understood.structure.from == "cabinet dentaire pres" and
     (.understood | has("ignored") | not) and
     (.results[0].activities | any(.structure.name == "CABINET DENTAIRE DES PRES"))'
expect "a word nobody is named: a structure's name" \
    "q=INOVIE+Garges-l%C3%A8s-Gonesse" 200 \
    '.understood.structure.from == "inovie" and .total > 0 and
     ([.results[] | .activities | any(.structure.name == "INOVIE")] | all)'
expect "a word nobody is named and no structure has: a name" "q=xyzzy" 200 \
    '.understood.name == ["xyzzy"] and .total == 0'
expect "mssante= too short" "mssante=ab" 400 ''
expect "siret= with a wrong key" "siret=12345678901234" 400 ''
expect "too many words" "q=a+b+c+d+e+f+g+h+i+j+k+l+m" 400 ''
expect "suggest reads words as typed" "q=x" 200 'true'
sugg=$(curl -s "http://127.0.0.1:$PORT/v1/suggest?q=paris" | jq -r 'has("suggestions")')
[ "$sugg" = true ] && ok || ko "suggest q=paris"

# near= and radius_km=.
expect "near: distance order, radius, distance_km everywhere" \
    "q=dentiste&near=90000&radius_km=30&limit=50" 200 \
    '.total > 0 and
     ([.results[].distance_km] as $d | $d == ($d | sort)) and
     all(.results[]; .distance_km <= 30 and
         all(.activities[]; has("distance_km")))'
expect "near by lat,lon" "profession=40&near=47.6382,6.8628&radius_km=5" 200 \
    '.total > 0 and .results[0].distance_km < 5'
expect "near by commune name" "q=medecin&near=saint-etienne&radius_km=5" 200 \
    '.total > 0 and all(.results[]; .distance_km <= 5)'
expect "near an arrondissement INSEE code" "near=75111&radius_km=1" 200 \
    '.total > 0 and .results[0].distance_km <= 1'
expect "near a CEDEX code: its department's main town" \
    "near=69441&radius_km=3" 200 \
    '.total > 0 and .results[0].distance_km <= 3 and
     any(.results[].activities[]; .address.city | test("^Lyon"))'
expect "near, name words" "q=martin&near=lyon&radius_km=50" 200 \
    '.total > 0 and ([.results[].distance_km] as $d | $d == ($d | sort))'
expect "default radius 10 km" "profession=10&near=69003" 200 \
    'all(.results[]; .distance_km <= 10)'
expect "near: unknown place" "near=nowhere+at+all" 400 ''
expect "radius 0" "near=90000&radius_km=0" 400 ''
expect "radius over 200" "near=90000&radius_km=201" 400 ''
expect "radius not a number" "near=90000&radius_km=ten" 400 ''
expect "radius without near" "radius_km=5" 400 ''

# An activity without a commune code, placed from its CEDEX town: the
# homonym case planted in L'Haÿ-les-Roses by its "Bureau cedex" only.
nid=$(awk -F'\t' '$1 ~ /l hay les roses/ { print $2; exit }' "$tmp/truth.tsv")
expect "a CEDEX-only activity is placed" \
    "q=pacome+n+guessan&near=94038&radius_km=3" 200 \
    "any(.results[]; .id == \"$nid\" and .distance_km != null)"

# Totals against SQL on the same file. Filters alone with a place read from
# memory (a department, a department and a profession, a postal prefix) are
# counted exactly, however large; a one-letter word beside a name (a first
# name's initial, checked on the name initials in memory instead of FTS5)
# finds the people whose names have a word beginning with each.
sql() { sqlite3 "$tmp/rpps.db" "$1"; }
total_is() { # DESCRIPTION QUERY SQL-COUNT
    n=$(sql "$3")
    expect "$1" "$2&limit=1" 200 ".total == $n and .total_exact == true"
}
total_is "department alone: exact total" "dept=75" \
    "SELECT count(DISTINCT aid >> 20) FROM activity WHERE dept_code = '75'"
total_is "department and profession: exact total" "dept=75&profession=60" \
    "SELECT count(DISTINCT a.aid >> 20) FROM activity a JOIN professional p
     ON p.pid = a.aid >> 20 WHERE a.dept_code = '75'
     AND p.profession_code = '60'"
total_is "postal prefix: exact total" "postcode=750" \
    "SELECT count(DISTINCT aid >> 20) FROM activity
     WHERE postcode >= '750' AND postcode < '751'"
# /v1/structures by name words and a place: the place checked in memory
# (server/dataset.h) against the same conditions in SQL.
st_total_is() { # DESCRIPTION QUERY SQL-CONDITION
    n=$(sql "SELECT count(*) FROM structure WHERE sid IN (SELECT rowid FROM
        structure_fts WHERE structure_fts MATCH 'name_fold : \"pharmacie\" *')
        AND $3")
    status=$(curl -s -o "$tmp/a.json" -w '%{http_code}' "$API/structures?$2&limit=1")
    if [ "$status" = 200 ] && [ "$(jq '.total' "$tmp/a.json")" = "$n" ] &&
        [ "$n" -gt 0 ]; then ok; else
        ko "$1: $2: $(jq -c '{total}' "$tmp/a.json"), SQL $n"; fi
}
st_city=$(sql "SELECT city_fold FROM structure WHERE name LIKE 'PHARMACIE%'
               AND city_fold IS NOT NULL GROUP BY city_fold
               ORDER BY count(*) DESC LIMIT 1")
st_total_is "structures by name and department" "q=pharmacie&dept=13" \
    "dept_code = '13'"
st_total_is "structures by name and postal prefix" "q=pharmacie&postcode=69" \
    "postcode >= '69' AND postcode < '6:'"
st_total_is "structures by name and town" \
    "q=pharmacie&city=$(printf '%s' "$st_city" | jq -sRr @uri)" \
    "city_fold = '$st_city'"
words="' ' || last_fold || ' ' || first_fold || ' ' || last_join"
total_is "a name and a first name's initial" "q=martin+j" \
    "SELECT count(*) FROM professional WHERE $words LIKE '% martin%'
     AND $words LIKE '% j%'"

# Paris, Lyon and Marseille (issue 13): a town search counts the lines
# with the whole city's commune code and those placed by the importer from
# their postal code and bureau alone; a CEDEX code is the town of its
# bureau; a word being typed stays a name, the town offered beside it.
arr="'13055','13201','13202','13203','13204','13205','13206','13207',
     '13208','13209','13210','13211','13212','13213','13214','13215','13216'"
n=$(sql "SELECT count(*) FROM activity WHERE insee = '13055'")
[ "$n" -gt 0 ] && ok || ko "no line carries Marseille's own code (13055)"
total_is "city=marseille: the city's code and its arrondissements'" \
    "city=marseille" \
    "SELECT count(DISTINCT aid >> 20) FROM activity WHERE insee IN ($arr)
     OR city_fold = 'marseille'"
total_is "city=13055 as city=marseille" "city=13055" \
    "SELECT count(DISTINCT aid >> 20) FROM activity WHERE insee IN ($arr)
     OR city_fold = 'marseille'"
total_is "city= an arrondissement as people write it" \
    "city=marseille+12e+arrondissement" \
    "SELECT count(DISTINCT aid >> 20) FROM activity WHERE insee = '13212'"
n=$(sql "SELECT count(*) FROM activity WHERE (insee IS NULL OR insee = '')
         AND postcode IN (SELECT postcode FROM commune_postcode)")
[ "$n" -eq 0 ] && ok ||
    ko "$n lines with a postal code of the table have no commune code"
n=$(sql "SELECT count(*) FROM activity WHERE cedex_office LIKE '13012 %'
         AND insee = '13212' AND city = 'Marseille 12e Arrondissement'")
[ "$n" -gt 0 ] && ok || ko "no 13012 MARSEILLE line placed in the 12e"
row=$(sql "SELECT postcode || ' ' || insee FROM activity
           WHERE cedex_office LIKE '% CEDEX%' AND insee != ''
           AND postcode NOT IN (SELECT postcode FROM commune_postcode)
           AND insee NOT IN (SELECT insee FROM commune WHERE insee = postcode)
           ORDER BY aid LIMIT 1")
cx=${row% *}
expect "near a CEDEX code: the town of its bureau" \
    "near=$cx&radius_km=1&limit=100" 200 \
    "any(.results[].activities[]; .address.insee == \"${row#* }\")"
expect "a word being typed stays a name, the town offered" \
    "q=amelie+blan" 200 \
    '.understood.name == ["amelie", "blan"] and
     .understood.alternative.place.communes[0].insee == "81032" and
     .understood.alternative.q == "amelie blan "'
expect "the word completed is the town" "q=amelie+blan+" 200 \
    '.understood.place.communes[0].insee == "81032"'

if grep -q 'runtime error:\|AddressSanitizer' "$LOG"; then
    ko "sanitizer report in the server log"
fi
echo "RESULT $passed $failed"
[ "$failed" -eq 0 ]
