#!/bin/sh
# End-to-end tests of rpps-import: the real binary on generated extracts,
# through local paths, file:// URLs and a local HTTP server on 127.0.0.1,
# and every fault the brief names: the old database must survive each one.
# Prints "RESULT <passed> <failed>".
BUILD=${BUILD:-build}
IMP=$PWD/$BUILD/rpps-import
GEN=$PWD/$BUILD/rpps-gen
T=$(mktemp -d)
PASS=0
FAIL=0
HTTP_PID=

cleanup() {
    [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh" # ok, ko, check
q() { sqlite3 "$1" "$2"; }
imp() { "$IMP" --no-progress --communes none "$@"; }

STAMP=202611250300
"$GEN" --seed 7 --professionals 3000 --stamp $STAMP --txt --out "$T/g" \
    --quiet || ko "generator"
PSZ=$T/g/PS_LibreAcces_$STAMP.zip
MSZ=$T/g/Extraction_Correspondance_MSSante_$STAMP.zip
ACT=$T/g/PS_LibreAcces_Personne_activite_$STAMP.txt
SKILL=$T/g/PS_LibreAcces_SavoirFaire_$STAMP.txt
DIPL=$T/g/PS_LibreAcces_Dipl_AutExerc_$STAMP.txt
MSS=$T/g/Extraction_Correspondance_MSSante_$STAMP.txt

# Expected figures, computed from the text with awk (independently of the
# importer): distinct national ids in any of the files, distinct activity
# lines, distinct mailbox addresses.
exp_prof=$( (tail -n +2 "$ACT" | cut -d'|' -f3; tail -n +2 "$SKILL" | cut -d'|' -f3;
    tail -n +2 "$DIPL" | cut -d'|' -f3;
    tail -n +2 "$MSS" | awk -F'|' '$1=="PER" && $5!="" {print $5}') | sort -u | wc -l)
exp_act=$(tail -n +2 "$ACT" | sort -u | wc -l)
exp_mss=$(tail -n +2 "$MSS" | cut -d'|' -f2 | tr 'A-Z' 'a-z' | sort -u | wc -l)
exp_dup=$(($(tail -n +2 "$ACT" | wc -l) - exp_act))

# 1. The two zips through file:// URLs.
DB=$T/a.db
imp --db "$DB" "file://$PSZ" "file://$MSZ" >"$T/out" 2>"$T/err"
check "file:// import exit 0" [ $? -eq 0 ]
check "summary line" grep -q "status=updated" "$T/out"
check "professionals = distinct ids ($exp_prof)" \
    [ "$(q "$DB" 'select count(*) from professional')" -eq "$exp_prof" ]
check "activities = distinct lines ($exp_act)" \
    [ "$(q "$DB" 'select count(*) from activity')" -eq "$exp_act" ]
check "duplicates counted ($exp_dup)" \
    [ "$(q "$DB" "select duplicates from extract where kind='activite'")" -eq "$exp_dup" ]
check "mailboxes = distinct addresses ($exp_mss)" \
    [ "$(q "$DB" 'select count(*) from mailbox')" -eq "$exp_mss" ]
check "four extracts recorded" [ "$(q "$DB" 'select count(*) from extract')" -eq 4 ]
check "stamp recorded" [ "$(q "$DB" "select stamp from extract where kind='mssante'")" = $STAMP ]
check "no download left behind" [ -z "$(ls "$T" | grep download)" ]
check "no temporary file left behind" [ -z "$(ls "$T" | grep tmp-)" ]
check "user_version 3" [ "$(q "$DB" 'pragma user_version')" -eq 3 ]
check "meta schema_version = user_version" [ "$(q "$DB" "select value from meta where key='schema_version'")" = "$(q "$DB" 'pragma user_version')" ]
check "integrity" [ "$(q "$DB" 'pragma integrity_check')" = ok ]
# Every PER mailbox's owner is a professional with has_mss = 1.
check "has_mss matches PER mailboxes" [ "$(q "$DB" "select count(*) from professional p
    where has_mss != exists(select 1 from mailbox m where m.national_id = p.national_id and m.type='PER')")" -eq 0 ]
# pid order is the default ranking: has_mss first, then folded names.
check "pid order" [ "$(q "$DB" "select count(*) from professional a join professional b on b.pid = a.pid + 1
    where a.has_mss < b.has_mss or (a.has_mss = b.has_mss and a.last_fold > b.last_fold)")" -eq 0 ]
# Rows are clustered by professional: aid >> 20 is the owner's pid.
check "activities per professional = n_activities" [ "$(q "$DB" "select count(*) from professional p
    where n_activities != (select count(*) from activity where aid between p.pid << 20 and (p.pid << 20) | 1048575)")" -eq 0 ]
check "every activity has an owner" [ "$(q "$DB" "select count(*) from activity a
    where not exists (select 1 from professional p where p.pid = a.aid >> 20)")" -eq 0 ]
check "PER mailboxes in their owner's range" [ "$(q "$DB" "select count(*) from mailbox m join professional p
    on p.national_id = m.national_id where m.type = 'PER' and m.mid >> 20 != p.pid")" -eq 0 ]
check "specialties of known professionals" [ "$(q "$DB" "select count(*) from specialty s
    where not exists (select 1 from professional p where p.pid = s.pid)")" -eq 0 ]
# Activity in a postcode comes out in pid order from its index.
check "location index in pid order" [ "$(q "$DB" "select count(*) from (select aid, lag(aid) over () as prev
    from activity indexed by activity_postcode where postcode = (select postcode from activity
    where postcode is not null group by postcode order by count(*) desc limit 1)) where prev > aid")" -eq 0 ]
check "name dictionary counts every family-name word" [ "$(q "$DB" "select n from name_term
    where term = (select last_fold from professional where last_fold not like '% %' limit 1)")" -ge 1 ]
check "sound-alike keys stored" [ "$(q "$DB" "select count(*) from name_term where phon is null or phon = ''")" -eq 0 ]
# Folded names: accent-free lower case, searchable through FTS5.
check "folded names are ASCII" [ "$(q "$DB" "select count(*) from professional where last_fold glob '*[A-Z]*'")" -eq 0 ]
n1=$(q "$DB" "select last_fold from professional where last_fold like 'lef%' limit 1")
if [ -n "$n1" ]; then
    check "fts finds $n1" [ "$(q "$DB" "select count(*) from name_fts where name_fts match '\"$n1\"'")" -gt 0 ]
fi
# The full-text index is built on a side thread and copied in: it must
# agree with its content table, and be the index a rebuild from the table
# makes (same rows in every shadow table).
check "fts integrity against the content table" \
    q "$DB" "insert into name_fts(name_fts, rank) values ('integrity-check', 1)"
cp "$DB" "$T/rebuilt.db"
q "$T/rebuilt.db" "insert into name_fts(name_fts) values ('rebuild');
    insert into name_fts(name_fts) values ('optimize')" >/dev/null
fts_dump() { # DB TABLE: the shadow table's rows, hashed
    case $2 in
    # Not the structure record (id 10): its count of pages written, which
    # paces FTS5's automatic merges, differs, as the importer turns those
    # off while it builds (importer/fts_side.c); its segments do not.
    data) sql="select id, hex(block) from name_fts_data where id <> 10 order by id" ;;
    idx) sql="select segid, hex(term), pgno from name_fts_idx order by 1, 2" ;;
    config) sql="select k, v from name_fts_config order by k" ;;
    esac
    q "$1" "$sql" | md5sum
}
# columnsize = 0 (schema.sql): no per-row token counts, which only FTS5's
# own ranking functions read.
check "fts keeps no docsize table" [ "$(q "$DB" "select count(*) from sqlite_master where name = 'name_fts_docsize'")" -eq 0 ]
for tb in data idx config; do
    check "fts $tb as a rebuild makes it" [ "$(fts_dump "$DB" $tb)" = "$(fts_dump "$T/rebuilt.db" $tb)" ]
done
check "fts prefix match agrees with the table" [ "$(q "$DB" "select count(*) from name_fts where name_fts match 'last_fold: ma*'")" -eq \
    "$(q "$DB" "select count(*) from professional where ' ' || last_fold like '% ma%'")" ]
rm -f "$T/rebuilt.db"

# The progress display (--progress, as on a terminal): the main thread shows
# the counts the parse thread writes while it writes them (`make tsan`
# checks that they are shared safely: 8,000 professionals make 10,000
# activity lines, three batches, so the display runs beside the parse);
# its last figure for the activity file is every line.
"$GEN" --seed 8 --professionals 8000 --stamp $STAMP --txt --out "$T/gp" \
    --quiet || ko "generator (8,000)"
"$IMP" --progress --communes none --db "$T/progress.db" \
    "$T/gp/PS_LibreAcces_$STAMP.zip" >/dev/null 2>"$T/err"
check "--progress import exit 0" [ $? -eq 0 ]
act_lines=$(tail -n +2 "$T/gp/PS_LibreAcces_Personne_activite_$STAMP.txt" |
    grep -c .)
check "--progress shows the activity file's $act_lines lines" \
    grep -q "activite_$STAMP.txt [0-9]*/[0-9]* MB, $act_lines lines" "$T/err"
rm -rf "$T/progress.db" "$T/gp"
check "code list professions" [ "$(q "$DB" "select count(*) from code where list='profession' and label is not null")" -gt 3 ]
check "profession counts add up" [ "$(q "$DB" "select sum(count) from code where list='profession'")" -eq \
    "$(q "$DB" "select count(*) from professional where profession_code is not null")" ]
# Values keep leading zeros: ADELI ids are 9 characters.
check "ADELI ids keep leading zeros" [ "$(q "$DB" "select count(*) from professional where id_type='0' and length(id) != 9")" -eq 0 ]
# The database is readable by a read-only opener (no WAL, no journal left).
check "read-only open" sqlite3 "file:$DB?mode=ro" "select count(*) from meta" >/dev/null
cp "$DB" "$T/good.db"
good_sum=$(q "$DB" "select count(*) || '/' || (select value from meta where key='built_at') from professional")

still_good() { # the old database is intact and unchanged
    [ "$(q "$DB" "select count(*) || '/' || (select value from meta where key='built_at') from professional")" = "$good_sum" ] &&
        [ "$(q "$DB" 'pragma quick_check')" = ok ]
}

# 2. Subsets: only the activity text; only the MSSanté text.
imp --db "$T/act.db" "$ACT" >/dev/null 2>&1
check "activity file alone" [ "$(q "$T/act.db" 'select count(*) from activity')" -eq "$exp_act" ]
imp --db "$T/mss.db" "$MSS" >/dev/null 2>&1
check "mssante file alone" [ "$(q "$T/mss.db" 'select count(*) from mailbox')" -eq "$exp_mss" ]
check "mssante alone: PER owners become professionals" [ "$(q "$T/mss.db" 'select count(*) from professional')" -gt 0 ]

# 3. The older 52-column layout, and MSSanté lines with a trailing pipe.
"$GEN" --seed 7 --professionals 300 --layout 52 --mss-trailing-pipe --stamp $STAMP \
    --out "$T/g52" --quiet
imp --db "$T/l52.db" "$T/g52/PS_LibreAcces_$STAMP.zip" "$T/g52/Extraction_Correspondance_MSSante_$STAMP.zip" >/dev/null 2>&1
check "52-column layout loads" [ "$(q "$T/l52.db" "select columns from extract where kind='activite'")" -eq 52 ]
check "52 columns: role empty" [ "$(q "$T/l52.db" 'select count(*) from activity where role_code is not null')" -eq 0 ]
check "trailing-pipe MSSanté lines load" [ "$(q "$T/l52.db" 'select rejected from extract where kind="mssante"')" -eq 0 ]
check "trailing-pipe MSSanté: mailboxes" [ "$(q "$T/l52.db" 'select count(*) from mailbox')" -gt 0 ]

# Extra unknown columns are ignored; columns in another order still map.
H=$(head -n 1 "$ACT")
awk 'NR==1 {print $0 "Colonne future|"; next} {print $0 "x|"}' "$ACT" \
    >"$T/PS_LibreAcces_Personne_activite_$STAMP.txt"
imp --db "$T/extra.db" "$T/PS_LibreAcces_Personne_activite_$STAMP.txt" >/dev/null 2>"$T/err"
check "unknown extra column ignored" [ "$(q "$T/extra.db" 'select count(*) from activity')" -eq "$exp_act" ]
rm -f "$T/PS_LibreAcces_Personne_activite_$STAMP.txt"
# CRLF line endings and a BOM.
mkdir -p "$T/crlf"
printf '\357\273\277' >"$T/crlf/PS_LibreAcces_Personne_activite_$STAMP.txt"
sed 's/$/\r/' "$ACT" >>"$T/crlf/PS_LibreAcces_Personne_activite_$STAMP.txt"
imp --db "$T/crlf.db" "$T/crlf/PS_LibreAcces_Personne_activite_$STAMP.txt" >/dev/null 2>&1
check "CRLF + BOM" [ "$(q "$T/crlf.db" 'select count(*) from activity')" -eq "$exp_act" ]
check "CRLF: no CR in values" [ "$(q "$T/crlf.db" "select count(*) from activity where registration like '%'||char(13)")" -eq 0 ]

# Texts are recognised by their header line, not their name (the mirror's
# names have neither the extract nor its date): the four texts renamed
# import as their zips do, each as the extract its header says.
mkdir -p "$T/renamed"
cp "$ACT" "$T/renamed/a.txt"
cp "$SKILL" "$T/renamed/b.txt"
cp "$DIPL" "$T/renamed/c"
cp "$MSS" "$T/renamed/ps-libreacces-personne-activite.csv"
imp --db "$T/renamed.db" "$T/renamed/b.txt" "$T/renamed/a.txt" \
    "$T/renamed/ps-libreacces-personne-activite.csv" "$T/renamed/c" >"$T/out" 2>"$T/err"
check "renamed texts: exit 0 (got $?)" [ $? -eq 0 ]
check "renamed texts: each extract by its header" [ "$(q "$T/renamed.db" "select group_concat(kind || '=' || member, ' ')
    from (select * from extract order by kind)")" = "activite=a.txt diplome=c mssante=ps-libreacces-personne-activite.csv savoirfaire=b.txt" ]
check "renamed texts: the professionals of the zips ($exp_prof)" \
    [ "$(q "$T/renamed.db" 'select count(*) from professional')" -eq "$exp_prof" ]
check "renamed texts: the activities of the zips ($exp_act)" \
    [ "$(q "$T/renamed.db" 'select count(*) from activity')" -eq "$exp_act" ]
check "renamed texts: the mailboxes of the zips ($exp_mss)" \
    [ "$(q "$T/renamed.db" 'select count(*) from mailbox')" -eq "$exp_mss" ]
check "renamed texts: the specialties and diplomas of the zips" \
    [ "$(q "$T/renamed.db" 'select (select count(*) from specialty) || "/" || (select count(*) from diploma)')" = \
    "$(q "$DB" 'select (select count(*) from specialty) || "/" || (select count(*) from diploma)')" ]
check "renamed texts: given, undated" [ "$(q "$T/renamed.db" "select count(*) from extract
    where origin = 'given' and stamp is null and stamp_from is null")" -eq 4 ]
check "renamed texts: the summary says source=given" grep -q "status=updated .* source=given " "$T/out"
check "the zips: given, dated by their names" [ "$(q "$DB" "select count(*) from extract
    where origin = 'given' and stamp = '$STAMP' and stamp_from = 'name'")" -eq 4 ]

# 4. Faults: each must fail with a clear message and leave $DB as it was.
fault() { # fault "what" "expected message (grep -E)" sources...
    local what="$1" msg="$2" rc
    shift 2
    imp --db "$DB" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    check "$what: exit 1 (got $rc)" [ $rc -eq 1 ]
    check "$what: message /$msg/" grep -qE "$msg" "$T/err"
    check "$what: old database intact" still_good
    check "$what: no temporary file left" [ -z "$(ls "$T" | grep tmp-)" ]
}
F=$T/f
mkdir -p "$F"
A=PS_LibreAcces_Personne_activite_$STAMP.txt
# Truncated zip: the central directory is gone.
head -c 20000 "$PSZ" >"$F/PS_LibreAcces_$STAMP.zip"
fault "truncated zip" "zip" "$F/PS_LibreAcces_$STAMP.zip"
# Corrupt deflate data: bytes overwritten inside the first member.
cp "$PSZ" "$F/corrupt.zip"
printf 'garbage!garbage!garbage!' | dd of="$F/corrupt.zip" bs=1 seek=3000 conv=notrunc 2>/dev/null
fault "corrupt deflate data" "corrupt|CRC|zlib" "$F/corrupt.zip"
# Missing needed column.
sed '1s/Nom d.exercice|//' "$ACT" >"$F/$A"
fault "missing column" "required column \"Nom d'exercice\"" "$F/$A"
# Many lines with the wrong number of fields.
awk 'NR == 1 || NR % 3 {print; next} {sub(/\|[^|]*\|$/, "|"); print}' "$ACT" >"$F/$A"
fault "wrong field counts" "lines rejected|looks corrupt" "$F/$A"
# Empty file.
: >"$F/$A"
fault "empty file" "empty file" "$F/$A"
# A header-only file has no professionals: refused by the gate, old kept.
head -n 1 "$ACT" >"$F/$A"
imp --db "$DB" "$F/$A" >/dev/null 2>"$T/err"
check "header only: refused (exit 4)" [ $? -eq 4 ]
check "header only: old database intact" still_good
# Not an extract at all.
echo "hello" >"$F/notes.txt"
fault "unknown file name" "not an extract" "$F/notes.txt"
# What a download that is not what it claims leaves: refused before any
# building, by what the file holds, whatever its name.
cp "$SKILL" "$F/$A"
fault "activity name, SavoirFaire header" \
    "its header is the savoirfaire extract's, its name says activite" "$F/$A"
printf 'Nom|Prénom|Ville|\nDUPONT|Jean|Paris|\n' >"$F/data.txt"
fault "no extract's header" "not an extract: its first line is none of the extracts' headers" "$F/data.txt"
printf '<!DOCTYPE html>\n<html><body>Maintenance</body></html>\n' >"$F/$A"
fault "an HTML page named as an extract" "not an extract: an HTML page" "$F/$A"
{
    head -n 100 "$ACT"
    sed -n 101p "$ACT" | head -c 60
} >"$F/$A"
fault "a text cut off mid-line" "cut short: its last line has no newline and [0-9]+ fields where the header has 56" "$F/$A"
mkdir -p "$F/z"
cp "$SKILL" "$F/z/PS_LibreAcces_Personne_activite_$STAMP.txt"
(cd "$F/z" && zip -q ../swapped.zip "PS_LibreAcces_Personne_activite_$STAMP.txt")
fault "a zip member named activity with a SavoirFaire header" \
    "its header is the savoirfaire extract's, its name says activite" "$F/swapped.zip"
fault "missing file" "No such file" "$F/absent.txt"

# A few bad lines are skipped and reported with file:line, the rest loads.
{
    cat "$ACT"
    printf 'only|three|fields|\n'
    printf '8|1\377\376|8\377|bad utf8|\n' | sed "s/|$/$(printf '%*s' 60 '' | tr ' ' '|')/"
    head -c 10485760 /dev/zero | tr '\0' 'x'
    printf '\n'
} >"$F/$A"
imp --db "$T/skip.db" "$F/$A" >"$T/out" 2>"$T/err"
check "a few bad lines: import succeeds" [ $? -eq 0 ]
check "bad lines counted (3)" [ "$(q "$T/skip.db" "select rejected from extract")" -eq 3 ]
check "bad line reported with line number" grep -qE "$A:[0-9]+: [0-9]+ fields" "$T/err"
check "invalid UTF-8 reported" grep -q "invalid UTF-8" "$T/err"
check "10 MB line reported" grep -q "line too long" "$T/err"
check "good lines all loaded" [ "$(q "$T/skip.db" 'select count(*) from activity')" -eq "$exp_act" ]

# 5. The sanity gate: a much smaller extract is refused, --force accepts.
"$GEN" --seed 8 --professionals 1000 --stamp 202611260300 --out "$T/small" --quiet
imp --db "$DB" "$T/small/PS_LibreAcces_202611260300.zip" >/dev/null 2>"$T/err"
check "sanity gate: exit 4" [ $? -eq 4 ]
check "sanity gate: message" grep -q "sanity gate" "$T/err"
check "sanity gate: old database intact" still_good
imp --db "$T/forced.db" "$PSZ" >/dev/null 2>&1
imp --db "$T/forced.db" --force "$T/small/PS_LibreAcces_202611260300.zip" >/dev/null 2>&1
check "--force replaces" [ $? -eq 0 ] 
check "--force: new count" [ "$(q "$T/forced.db" 'select value from meta where key="professionals"')" -lt 1500 ]

# The gate's other side: more than twice the professionals, or the rows,
# of the current database is refused too (exit 4), --force and a higher
# --max-growth accept it.
"$GEN" --seed 10 --professionals 7000 --stamp 202611260300 --out "$T/large" --quiet
LARGE=$T/large/PS_LibreAcces_202611260300.zip
imp --db "$DB" "$LARGE" >/dev/null 2>"$T/err"
check "growth gate: exit 4 (got $?)" [ $? -eq 4 ]
check "growth gate: message" grep -q "sanity gate: the new database has [0-9]* professionals and [0-9]* rows, the current one $exp_prof and .* (more than 100% more): refused" "$T/err"
check "growth gate: old database intact" still_good
cp "$DB" "$T/grow.db"
imp --db "$T/grow.db" --max-growth 300 "$LARGE" >/dev/null 2>&1
check "growth gate: --max-growth 300 accepts" [ $? -eq 0 ]
cp "$DB" "$T/grow.db"
imp --db "$T/grow.db" --force "$LARGE" >/dev/null 2>"$T/err"
check "growth gate: --force accepts" [ $? -eq 0 ]
check "growth gate: --force warns" grep -q "sanity gate overridden by --force" "$T/err"
# Rows alone: the same people with three times the activity lines (each
# line again with two other structure ids: distinct lines, no duplicates).
imp --db "$T/rows.db" "$ACT" >/dev/null 2>&1
awk -F'|' 'BEGIN {OFS = "|"} NR == 1 {print; next}
    {print; for (k = 1; k <= 2; k++) {l = $0; $24 = $24 "x" k; print; $0 = l}}' \
    "$ACT" >"$F/$A"
imp --db "$T/rows.db" "$F/$A" >/dev/null 2>"$T/err"
check "growth gate, rows: exit 4" [ $? -eq 4 ]
check "growth gate, rows: message" grep -q "has $exp_prof professionals and [0-9]* rows, the current one $exp_prof and [0-9]* (more than 100% more)" "$T/err"
check "growth gate, rows: old database kept" [ "$(q "$T/rows.db" 'select count(*) from activity')" -eq "$exp_act" ]

# 6. Two importers on one database: the second is refused.
"$GEN" --seed 9 --professionals 60000 --stamp 202611270300 --out "$T/big" --quiet
"$IMP" --no-progress --communes none --db "$DB" --force "$T/big/PS_LibreAcces_202611270300.zip" >/dev/null 2>&1 &
P1=$!
sleep 0.3
imp --db "$DB" "$PSZ" >/dev/null 2>"$T/err"
rc=$?
check "concurrent importer refused" [ $rc -eq 1 ]
check "concurrent importer message" grep -q "another rpps-import" "$T/err"
# 7. Killed mid-import (kill -9): the old database is intact, the next run
# cleans the temporary file.
sleep 0.2
check "killed import: was still running" kill -0 $P1
kill -9 $P1 2>/dev/null
wait $P1 2>/dev/null
check "killed import: old database intact" still_good
imp --db "$DB" "file://$PSZ" "file://$MSZ" >/dev/null 2>"$T/err"
check "after a kill: next import works" [ $? -eq 0 ]
check "after a kill: stale temp removed" [ -z "$(ls "$T" | grep tmp-)" ]
good_sum=$(q "$DB" "select count(*) || '/' || (select value from meta where key='built_at') from professional")

# 8. HTTP on 127.0.0.1: download, HEAD probe with Content-Disposition,
# --if-changed, and an HTTP error.
PORT_FILE=$T/port
python3 "$(dirname "$0")/http_fixture.py" "$T/g" "$PORT_FILE" 2>"$T/http.log" &
HTTP_PID=$!
# Up to 20 s: Python took over 2 s to start on a loaded machine.
for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.2; done
PORT=$(cat "$PORT_FILE")
URL=http://127.0.0.1:$PORT
imp --db "$T/h.db" "$URL/extraction/PS_LibreAcces" "$URL/extraction/Extraction_Correspondance_MSSante" >"$T/out" 2>"$T/err"
check "http import" [ $? -eq 0 ]
check "http: member name from Content-Disposition zip" \
    [ "$(q "$T/h.db" "select stamp from extract where kind='activite'")" = $STAMP ]
check "http: same data as file://" [ "$(q "$T/h.db" 'select count(*) from professional')" -eq "$exp_prof" ]
imp --db "$T/h.db" --if-changed "$URL/extraction/PS_LibreAcces" "$URL/extraction/Extraction_Correspondance_MSSante" >"$T/out" 2>"$T/err"
check "if-changed, unchanged: exit 3" [ $? -eq 3 ]
check "if-changed: probed with HEAD only" [ "$(grep -c '"GET' "$T/http.log")" -eq 2 ]
echo "202611260400" >"$T/g/.stamp" # the fixture now announces a new name
imp --db "$T/h.db" --if-changed "$URL/extraction/PS_LibreAcces" "$URL/extraction/Extraction_Correspondance_MSSante" >"$T/out" 2>"$T/err"
check "if-changed, changed: exit 0" [ $? -eq 0 ]
RPPS_RETRY_BACKOFF=0.1 imp --db "$DB" --retries 1 "$URL/missing.zip" >"$T/out" 2>"$T/err"
check "HTTP 404: exit 1" [ $? -eq 1 ]
check "HTTP 404: says so" grep -q "HTTP status 404" "$T/err"
check "HTTP 404: old database intact" still_good
RPPS_RETRY_BACKOFF=0.1 imp --db "$DB" --retries 2 "$URL/error500/PS_LibreAcces" >"$T/out" 2>"$T/err"
check "HTTP 500: retried then failed" [ "$(grep -c 'retrying' "$T/err")" -eq 2 ]
check "HTTP 500: old database intact" still_good
imp --db "$DB" --retries 0 "http://127.0.0.1:1/PS_LibreAcces.zip" >"$T/out" 2>"$T/err"
check "connection refused: exit 1" [ $? -eq 1 ]
check "connection refused: old database intact" still_good
# TLS: a server whose certificate is not signed by the pinned chain is
# refused; the same server is trusted once its certificate is the CA file.
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null; then
    python3 "$(dirname "$0")/http_fixture.py" "$T/g" "$T/tport" "$T/cert.pem" "$T/key.pem" 2>/dev/null &
    TLS_PID=$!
    for _ in $(seq 100); do [ -s "$T/tport" ] && break; sleep 0.2; done
    TURL=https://127.0.0.1:$(cat "$T/tport")/extraction/Extraction_Correspondance_MSSante
    imp --db "$DB" --retries 0 "$TURL" >"$T/out" 2>"$T/err"
    check "TLS unknown CA: exit 1" [ $? -eq 1 ]
    check "TLS unknown CA: says verification failed" grep -q "TLS certificate verification failed" "$T/err"
    check "TLS unknown CA: old database intact" still_good
    imp --db "$T/tls.db" --retries 0 --ca-file "$T/cert.pem" "$TURL" >"$T/out" 2>"$T/err"
    check "TLS with the pinned CA: imports" [ $? -eq 0 ]
    # Redirects: an https source is followed to https only (a redirect to
    # http would hand the extract to anyone on the path); http may go to
    # https.
    TBASE=https://127.0.0.1:$(cat "$T/tport")
    MSPATH=extraction/Extraction_Correspondance_MSSante
    imp --db "$DB" --retries 0 --ca-file "$T/cert.pem" \
        "$TBASE/redirect?to=$URL/$MSPATH" >"$T/out" 2>"$T/err"
    check "https redirected to http: exit 1" [ $? -eq 1 ]
    check "https redirected to http: says so" \
        grep -q "redirected to $URL/$MSPATH: refused, an https source is only followed to https" "$T/err"
    check "https redirected to http: old database intact" still_good
    imp --db "$T/tls.db" --retries 0 --ca-file "$T/cert.pem" --if-changed \
        "$TBASE/redirect?to=$URL/$MSPATH" >"$T/out" 2>"$T/err"
    check "https redirected to http, HEAD probe: exit 1" [ $? -eq 1 ]
    imp --db "$T/tls2.db" --retries 0 --ca-file "$T/cert.pem" \
        "$TBASE/redirect?to=$TBASE/$MSPATH" >"$T/out" 2>"$T/err"
    check "https redirected to https: imports" [ $? -eq 0 ]
    imp --db "$T/tls3.db" --retries 0 --ca-file "$T/cert.pem" \
        "$URL/redirect?to=$TBASE/$MSPATH" >"$T/out" 2>"$T/err"
    check "http redirected to https: imports" [ $? -eq 0 ]
    kill $TLS_PID 2>/dev/null
else
    ko "openssl could not make a test certificate"
fi

echo "RESULT $PASS $FAIL"
[ "$FAIL" -eq 0 ]
