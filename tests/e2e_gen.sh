#!/bin/sh
# End-to-end test of tools/rpps-gen: runs the real binary and checks what it
# writes against docs/format.md: determinism (same seed, same bytes;
# another seed, other bytes), zip members, exact header lines for both
# layouts, trailing pipes, field counts on every line, rough proportions at
# N=5000, duplicates, PER and ORG mailboxes joining to people, the truth
# file. Prints "RESULT <passed> <failed>" last. Needs unzip, awk, cmp.
BUILD=${BUILD:-build}
GEN=$BUILD/rpps-gen
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

ok() { passed=$((passed + 1)); }
ko() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
# check DESCRIPTION COMMAND...: passes if the command succeeds.
check() {
    desc=$1
    shift
    if "$@" >/dev/null 2>&1; then ok; else ko "$desc"; fi
}
# within VALUE LOW HIGH (integers, or decimals through awk)
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

if [ ! -x "$GEN" ]; then
    ko "$GEN not built"
    echo "RESULT $passed $failed"
    exit 1
fi

S=202001021030
N=5000
A=$tmp/a
B=$tmp/b
C=$tmp/c
check "run a" "$GEN" --quiet --seed 7 --professionals $N --stamp $S \
    --out "$A" --txt --truth "$A/truth.tsv"
check "run b (same seed)" "$GEN" --quiet --seed 7 --professionals $N \
    --stamp $S --out "$B" --txt --truth "$B/truth.tsv"
check "run c (other seed)" "$GEN" --quiet --seed 8 --professionals $N \
    --stamp $S --out "$C" --txt

act=$A/PS_LibreAcces_Personne_activite_$S.txt
dip=$A/PS_LibreAcces_Dipl_AutExerc_$S.txt
sf=$A/PS_LibreAcces_SavoirFaire_$S.txt
mss=$A/Extraction_Correspondance_MSSante_$S.txt
pszip=$A/PS_LibreAcces_$S.zip
msszip=$A/Extraction_Correspondance_MSSante_$S.zip

# --- Determinism -----------------------------------------------------------
for f in PS_LibreAcces_$S.zip Extraction_Correspondance_MSSante_$S.zip \
    PS_LibreAcces_Personne_activite_$S.txt PS_LibreAcces_Dipl_AutExerc_$S.txt \
    PS_LibreAcces_SavoirFaire_$S.txt \
    Extraction_Correspondance_MSSante_$S.txt truth.tsv; do
    check "same seed, same bytes: $f" cmp "$A/$f" "$B/$f"
done
for f in PS_LibreAcces_$S.zip Extraction_Correspondance_MSSante_$S.zip \
    PS_LibreAcces_Personne_activite_$S.txt; do
    if cmp -s "$A/$f" "$C/$f"; then ko "other seed, same bytes: $f"; else ok; fi
done

# --- Zip members -----------------------------------------------------------
members() { unzip -Z1 "$1" | sort | tr '\n' ' '; }
exp="PS_LibreAcces_Dipl_AutExerc_$S.txt PS_LibreAcces_Personne_activite_$S.txt PS_LibreAcces_SavoirFaire_$S.txt "
got=$(members "$pszip")
if [ "$got" = "$exp" ]; then ok; else ko "PS zip members: $got"; fi
got=$(members "$msszip")
if [ "$got" = "Extraction_Correspondance_MSSante_$S.txt " ]; then ok; else
    ko "MSSante zip members: $got"
fi
check "unzip -l lists the PS zip" unzip -l "$pszip"
check "PS zip tests clean" unzip -tq "$pszip"
check "MSSante zip tests clean" unzip -tq "$msszip"
unzip -q -d "$tmp/x" "$pszip"
unzip -q -d "$tmp/x" "$msszip"
for f in PS_LibreAcces_Personne_activite_$S.txt \
    PS_LibreAcces_Dipl_AutExerc_$S.txt PS_LibreAcces_SavoirFaire_$S.txt \
    Extraction_Correspondance_MSSante_$S.txt; do
    check "zip member equals --txt file: $f" cmp "$tmp/x/$f" "$A/$f"
done

# --- Exact headers (docs/format.md §3) -------------------------------------
H_ACT="Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code rôle|Libellé rôle|Code genre activité|Libellé genre activité|"
H_ACT52="Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|"
H_SF="Type d'identifiant PP|Identifiant PP|Identification nationale PP|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|"
H_DIP="Type d'identifiant PP|Identifiant PP|Identification nationale PP|Nom d'exercice|Prénom d'exercice|Code type diplôme obtenu|Libellé type diplôme obtenu|Code diplôme obtenu|Libellé diplôme obtenu|Code type autorisation|Libellé type autorisation|Code discipline autorisation|Libellé discipline autorisation|"
H_MSS="Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION structure BAL|L3COMPLEMENTDISTRIBUTION structure BAL|L4NUMEROVOIE structure BAL|L4COMPLEMENTNUMEROVOIE structure BAL|NL4TYPEVOIE structure BAL|L4LIBELLEVOIE structure BAL|L5LIEUDITMENTION structure BAL|L6LIGNEACHEMINEMENT structure BAL|Code postal structure BAL|Département structure BAL|Pays structure BAL"

# The copies above must still match the format description, docs/format.md.
doc=docs/format.md
doc_header() { # the line after the ``` that follows the "### $1" title
    awk -v t="### $1" '$0 ~ "^" t { f = 1; next } f && /^```/ { getline; print; exit }' "$doc"
}
[ "$(doc_header 'PS_LibreAcces_Personne_activite')" = "$H_ACT" ] && ok || ko "test's activity header differs from $doc"
[ "$(doc_header 'PS_LibreAcces_SavoirFaire')" = "$H_SF" ] && ok || ko "test's SavoirFaire header differs from $doc"
[ "$(doc_header 'PS_LibreAcces_Dipl_AutExerc')" = "$H_DIP" ] && ok || ko "test's diploma header differs from $doc"
[ "$(doc_header 'Extraction_Correspondance_MSSante')" = "$H_MSS" ] && ok || ko "test's MSSante header differs from $doc"

hdr() { head -n 1 "$1"; }
[ "$(hdr "$act")" = "$H_ACT" ] && ok || ko "activity header (56)"
[ "$(hdr "$sf")" = "$H_SF" ] && ok || ko "SavoirFaire header"
[ "$(hdr "$dip")" = "$H_DIP" ] && ok || ko "diploma header"
[ "$(hdr "$mss")" = "$H_MSS" ] && ok || ko "MSSante header"

D52=$tmp/d52
check "run --layout 52" "$GEN" --quiet --seed 7 --professionals 1200 \
    --stamp $S --out "$D52" --no-zip --layout 52 --mss-trailing-pipe
act52=$D52/PS_LibreAcces_Personne_activite_$S.txt
[ "$(hdr "$act52")" = "$H_ACT52" ] && ok || ko "activity header (52)"
check "--no-zip writes no zip" sh -c "! ls '$D52'/*.zip"
check "--no-zip writes the four .txt" test "$(ls "$D52"/*.txt | wc -l)" -eq 4

# --- Field counts, trailing pipes, line endings ----------------------------
nf_all() { # file expected-NF: every line has that many '|'-fields
    awk -F'|' -v n="$2" 'NF != n { bad++ } END { exit bad > 0 }' "$1"
}
check "activity: 57 fields on every line" nf_all "$act" 57
check "activity 52: 53 fields on every line" nf_all "$act52" 53
check "diplomas: 14 fields on every line" nf_all "$dip" 14
check "savoir-faire: 14 fields on every line" nf_all "$sf" 14
check "MSSante: 31 fields on every line" nf_all "$mss" 31
check "MSSante --mss-trailing-pipe: 32 fields" nf_all \
    "$D52/Extraction_Correspondance_MSSante_$S.txt" 32
all_end_pipe() { awk '!/\|$/ { bad++ } END { exit bad > 0 }' "$1"; }
check "activity lines end with |" all_end_pipe "$act"
check "activity 52 lines end with |" all_end_pipe "$act52"
check "diploma lines end with |" all_end_pipe "$dip"
check "savoir-faire lines end with |" all_end_pipe "$sf"
# The last MSSante field (Pays) may be empty, so its lines are told apart by
# their field count (31 above, 32 with the option), and the header by its
# last character.
check "MSSante header does not end with |" sh -c "! head -n 1 '$mss' | grep -q '|\$'"
check "--mss-trailing-pipe header ends with |" sh -c "head -n 1 '$D52/Extraction_Correspondance_MSSante_$S.txt' | grep -q '|\$'"
check "MSSante --mss-trailing-pipe lines end with |" all_end_pipe \
    "$D52/Extraction_Correspondance_MSSante_$S.txt"
for f in "$act" "$dip" "$sf" "$mss"; do
    check "no CR in $(basename "$f")" sh -c "! grep -q \"\$(printf '\\r')\" '$f'"
done
check "no BOM" sh -c "! head -c 3 '$act' | grep -q \"\$(printf '\\357\\273\\277')\""
if command -v iconv >/dev/null 2>&1; then
    check "valid UTF-8" sh -c "cat '$act' '$mss' | iconv -f UTF-8 -t UTF-8 >/dev/null"
fi

# --- Proportions at N=5000 (real: 1.27, 0.51, 0.23, 0.28 per person) -------
lines() { echo $(($(wc -l <"$1") - 1)); }
r_act=$(awk -v a="$(lines "$act")" -v n=$N 'BEGIN { print a / n }')
r_dip=$(awk -v a="$(lines "$dip")" -v n=$N 'BEGIN { print a / n }')
r_sf=$(awk -v a="$(lines "$sf")" -v n=$N 'BEGIN { print a / n }')
r_mss=$(awk -v a="$(lines "$mss")" -v n=$N 'BEGIN { print a / n }')
within "$r_act" 1.15 1.40 && ok || ko "activity lines per person $r_act"
within "$r_dip" 0.40 0.65 && ok || ko "diploma lines per person $r_dip"
within "$r_sf" 0.15 0.32 && ok || ko "savoir-faire lines per person $r_sf"
within "$r_mss" 0.20 0.36 && ok || ko "mailboxes per person $r_mss"
per=$(grep -c '^PER|' "$mss")
org=$(grep -c '^ORG|' "$mss")
[ "$per" -gt 0 ] && ok || ko "no PER mailbox"
[ "$org" -gt 0 ] && ok || ko "no ORG mailbox"
r_org=$(awk -v o="$org" -v p="$per" 'BEGIN { print o / (o + p) }')
within "$r_org" 0.08 0.25 && ok || ko "ORG share $r_org"
rpps=$(awk -F'|' 'NR > 1 && $1 == 8' "$act" | wc -l)
r_rpps=$(awk -v a="$rpps" -v t="$(lines "$act")" 'BEGIN { print a / t }')
within "$r_rpps" 0.30 0.55 && ok || ko "RPPS share $r_rpps"
ndup=$(tail -n +2 "$act" | sort | uniq -d | wc -l)
[ "$ndup" -gt 0 ] && ok || ko "no exact duplicate activity line"
within "$ndup" 1 60 && ok || ko "too many duplicate lines: $ndup"
nempty=$(awk -F'|' 'NR > 1 { e = 1; for (i = 20; i <= 47; i++) if ($i != "") e = 0; n += e } END { print n + 0 }' "$act")
within "$nempty" 300 2500 && ok || ko "lines without any structure: $nempty"
ncedex=$(awk -F'|' 'NR > 1 && $36 != "" && $37 == "" && $35 != ""' "$act" | wc -l)
[ "$ncedex" -gt 50 ] && ok || ko "lines with the town only in Bureau cedex: $ncedex"

# --- Identifiers -----------------------------------------------------------
check "national id = type + identifier" awk -F'|' \
    'NR > 1 && $3 != $1 $2 { bad++ } END { exit bad > 0 }' "$act"
check "RPPS: 11 digits from 1, ADELI: 9 characters" awk -F'|' \
    'NR > 1 && !(($1 == 8 && length($2) == 11 && $2 ~ /^1[0-9]+$/) || ($1 == 0 && length($2) == 9 && $2 ~ /^[0-9]+$/)) { bad++ } END { exit bad > 0 }' "$act"
check "one name per national id" sh -c "awk -F'|' 'NR > 1 { print \$3 \"|\" \$8 \"|\" \$9 }' '$act' | sort -u | cut -d'|' -f1 | uniq -d | grep -q . && exit 1 || exit 0"
check "ADELI with a leading 0 present" grep -q '^0|0' "$act"
check "Corsica commune codes present" grep -q '|2[AB][0-9][0-9][0-9]|' "$act"

# PER mailboxes join to people by national id.
check "every PER mailbox joins a person" awk -F'|' \
    'FNR == 1 { next } NR == FNR { id[$3] = 1; next } $1 == "PER" && !($5 in id) { bad++ } END { exit bad > 0 }' \
    "$act" "$mss"
check "ORG mailboxes have no person" awk -F'|' \
    '$1 == "ORG" && ($4 != "" || $5 != "" || $10 != "") { bad++ } END { exit bad > 0 }' "$mss"
nrep=$(tail -n +2 "$mss" | cut -d'|' -f2 | sort | uniq -d | wc -l)
within "$nrep" 1 100 && ok || ko "repeated mailbox addresses: $nrep"

# --- Truth file --------------------------------------------------------------
tr=$A/truth.tsv
nt=$(wc -l <"$tr")
[ "$nt" -ge 150 ] && ok || ko "truth cases: $nt"
check "truth: 3 tab-separated fields, or 4 with parameters" awk -F'\t' \
    '(NF != 3 && NF != 4) || $1 == "" || $2 == "" || (NF == 4 && $4 == "") { bad++ } END { exit bad > 0 }' "$tr"
for k in exact prefix typo variant compound homonym_town mixed accent dept \
    dept_name typo_initial typo_given exact_vs_variant near specialty \
    apostrophe town_typo; do
    check "truth kind $k present" awk -F'\t' -v k="$k" \
        '$3 == k { n++ } END { exit n < 10 }' "$tr"
done
check "truth: near cases have near= and radius_km=" awk -F'\t' \
    '$3 == "near" && $4 !~ /^near=[^&]+&radius_km=[0-9.]+$/ { bad++ } END { exit bad > 0 }' "$tr"
check "truth: exact_vs_variant expects one of two planted spellings" awk -F'\t' \
    '$3 == "exact_vs_variant" && $2 ~ /,/ { bad++ } END { exit bad > 0 }' "$tr"
# The second set of cases plants its 141 people after the N others (so that
# adding them changed no one's identifier): N + 141 professionals.
npeople=$(tail -n +2 "$act" | cut -d'|' -f3 | sort -u | wc -l)
[ "$npeople" -eq $((N + 189)) ] && ok || ko "professionals: $npeople for N=$N plus 189 planted"
check "truth: every expected id is in the activity file" awk -F'\t' \
    'NR == FNR { split($0, f, "|"); id[f[3]] = 1; next } { n = split($2, e, ","); for (i = 1; i <= n; i++) if (!(e[i] in id)) bad++ } END { exit bad > 0 }' \
    "$act" "$tr"
check "truth: homonyms share a name in two towns" sh -c "
    awk -F'\t' '\$3 == \"homonym_town\" { print \$2 }' '$tr' >'$tmp/hom'
    awk -F'|' 'NR == FNR { want[\$1] = 1; next } (\$3 in want) { print \$8 \"|\" \$9 \"|\" \$38 \$35 }' '$tmp/hom' '$act' |
        sort -u | cut -d'|' -f1,2 | uniq -c | awk '\$1 != 2 { bad++ } END { exit bad > 0 || NR == 0 }'"
check "tiny N (few structures of each kind) works" "$GEN" --quiet -n 3 \
    --no-zip --out "$tmp/tiny3"
check "tiny N: 57 fields" nf_all "$tmp/tiny3/PS_LibreAcces_Personne_activite_202608261013.txt" 57
check "--truth refuses a tiny N" sh -c "! '$GEN' --quiet -n 10 --out '$tmp/tiny' --truth '$tmp/tiny.tsv'"
check "bad --layout refused" sh -c "! '$GEN' --quiet --layout 53 --out '$tmp/bad'"
check "--help" "$GEN" --help
# The communes' names, departments and postal codes come from the bundled
# data/communes.tsv ($RPPS_DATADIR first, then beside the binary's tree):
# one of the towns missing there, or no file at all, is an error.
mkdir "$tmp/data" "$tmp/alone" "$tmp/alone/bin"
grep -v '^06088	' data/communes.tsv >"$tmp/data/communes.tsv"
check "a town missing from communes.tsv is an error" sh -c "
    ! RPPS_DATADIR='$tmp/data' '$GEN' --quiet -n 10 --out '$tmp/nodata' 2>'$tmp/nodata.err' &&
    grep -q 'no commune 06088' '$tmp/nodata.err'"
cp "$GEN" "$tmp/alone/bin/rpps-gen"
check "no communes.tsv is an error" sh -c "
    ! env -u RPPS_DATADIR '$tmp/alone/bin/rpps-gen' --quiet -n 10 --out '$tmp/alone/out' 2>'$tmp/alone.err' &&
    grep -q 'communes.tsv not found' '$tmp/alone.err'"

echo "RESULT $passed $failed"
[ "$failed" -eq 0 ]
