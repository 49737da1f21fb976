#!/bin/sh
# The JSON API's contract (issue 16): docs/openapi.yaml linted by Redocly
# CLI (its recommended rules and docs/redocly.yaml's), then every answer of
# rpps-server checked against it by Stoplight Prism's response validator
# (tests/web/openapi.js says what it sends and checks): a server on a
# database rpps-gen and rpps-import make here (3,000 people, seed 1), and
# one without a database (the 503s, with --cors for the preflight).
# Skips (a SKIP line, "RESULT 0 0") when Node.js, sqlite3 or the npm
# packages are absent: `make deps` installs them; under CI (CI set) their
# absence fails. Prints "RESULT <passed> <failed>" last.
BUILD=${BUILD:-build}
skip() {
    # CI installs all of it (tools/deps.sh): there a skip would hide a
    # missing install, so it fails.
    if [ -n "${CI:-}" ]; then
        echo "FAIL e2e_openapi: $* (CI=$CI: tools/deps.sh should have installed it)"
        echo "RESULT 0 1"
        exit 1
    fi
    echo "SKIP e2e_openapi: $* (make deps installs it)"
    echo "RESULT 0 0"
    exit 0
}
command -v node >/dev/null 2>&1 || skip "no node"
for m in @redocly/cli @stoplight/prism-http yaml; do
    [ -d "tests/web/node_modules/$m" ] || skip "no tests/web/node_modules/$m"
done
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_openapi.XXXXXX")
pid=
pid0=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "$pid0" ] && kill "$pid0" 2>/dev/null && wait "$pid0" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    echo "RESULT 0 1"
    exit 1
}

# 1. The lint: every error and warning fails (docs/redocly.yaml says which
# rules run; the recommended set, nothing turned off).
passed=0
failed=0
if node tests/web/node_modules/@redocly/cli/bin/cli.js lint \
    --config docs/redocly.yaml --max-problems 1000 docs/openapi.yaml \
    >"$tmp/lint.log" 2>&1 &&
    grep -q 'Your API description is valid' "$tmp/lint.log" &&
    ! grep -q 'You have [0-9]* warning' "$tmp/lint.log"; then
    echo "ok   redocly lint docs/openapi.yaml"
    passed=1
else
    grep -v '^ *[║╔╚]' "$tmp/lint.log"
    echo "FAIL redocly lint docs/openapi.yaml"
    failed=1
fi

# 2. The answers.
"$BUILD/rpps-gen" --quiet --seed 1 --professionals 3000 --out "$tmp" ||
    fail "rpps-gen"
"$BUILD/rpps-import" --quiet --no-progress --db "$tmp/rpps.db" "$tmp"/*.zip ||
    fail "rpps-import"
# The next day over it: changes, and removed professionals and mailboxes
# (their 410s).
"$BUILD/rpps-gen" --quiet --seed 1 --professionals 3000 --next-day \
    --stamp 202608271013 --out "$tmp/next" || fail "rpps-gen --next-day"
"$BUILD/rpps-import" --quiet --no-progress --db "$tmp/rpps.db" \
    "$tmp"/next/*.zip 2>/dev/null || fail "rpps-import, next day"

# What the cases ask for: an RPPS professional with a mailbox and an
# activity in a town (its national id, name, department, town, postal
# code), an ADELI one, a mailbox no professional owns.
q() {
    sqlite3 -separator '|' "$tmp/rpps.db" "$1"
}
row=$(q "SELECT p.id, p.national_id, p.last_name, p.first_name,
       a.dept_code, a.city, a.postcode, m.address
FROM professional p
JOIN activity a ON a.aid BETWEEN p.pid << 20 AND (p.pid << 20) | 1048575
JOIN mailbox m ON m.mid BETWEEN p.pid << 20 AND (p.pid << 20) | 1048575
WHERE p.id_type = '8' AND a.city IS NOT NULL
  AND a.postcode GLOB '[0-9][0-9][0-9][0-9][0-9]'
  AND a.dept_code GLOB '[0-9][0-9]'
  AND p.last_name NOT GLOB '*[^A-Z]*' AND p.first_name NOT GLOB '*[^A-Za-z]*'
ORDER BY p.pid LIMIT 1")
adeli=$(q "SELECT id FROM professional WHERE id_type = '0'
    AND id GLOB '*[0-9]' ORDER BY pid LIMIT 1")
org=$(q "SELECT address FROM mailbox WHERE national_id IS NULL
    ORDER BY mid LIMIT 1")
gone=$(q "SELECT national_id FROM gone_professional ORDER BY pid LIMIT 1")
gone_mss=$(q "SELECT address FROM gone_mailbox WHERE address NOT IN
    (SELECT address FROM mailbox) ORDER BY mid LIMIT 1")
# A structure with a SIRET and a FINESS, and ORG mailboxes (a hospital).
st=$(q "SELECT s.structure_id, s.siret, s.finess FROM structure s
    WHERE s.siret IS NOT NULL AND s.finess IS NOT NULL
    AND EXISTS (SELECT 1 FROM mailbox m WHERE m.type <> 'PER'
                AND m.structure_id = '1' || s.finess)
    ORDER BY s.n_professionals DESC LIMIT 1")
[ -n "$row" ] && [ -n "$adeli" ] && [ -n "$org" ] && [ -n "$gone" ] &&
    [ -n "$gone_mss" ] && [ -n "$st" ] ||
    fail "no professional, ADELI id, structure mailbox, removed professional or mailbox, or structure in the generated data"
DATA=$(echo "$row|$st" | awk -F'|' -v adeli="$adeli" -v org="$org" \
    -v gone="$gone" -v gone_mss="$gone_mss" '{
    printf "{\"rpps\":\"%s\",\"national\":\"%s\",\"last\":\"%s\",", $1, $2, $3;
    printf "\"first\":\"%s\",\"dept\":\"%s\",\"city\":\"%s\",", $4, $5, $6;
    printf "\"postcode\":\"%s\",\"mss\":\"%s\",\"adeli\":\"%s\",", $7, $8, adeli;
    printf "\"structure\":\"%s\",\"siret\":\"%s\",\"finess\":\"%s\",", $9, $10, $11;
    printf "\"mssOrg\":\"%s\",\"gone\":\"%s\",", org, gone;
    printf "\"goneMss\":\"%s\"}", gone_mss }')
echo "data: $DATA"

start() { # start LOG ARGS...: the server in the background, its pid in $!
    log=$1
    shift
    "$BUILD/rpps-server" --listen 127.0.0.1:0 --threads 2 "$@" 2>"$log" &
}
port_of() {
    for _ in $(seq 1 100); do
        p=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$1")
        [ -n "$p" ] && echo "$p" && return 0
        sleep 0.1
    done
    return 1
}
start "$tmp/server.log" --db "$tmp/rpps.db"
pid=$!
start "$tmp/server0.log" --db "$tmp/none.db" --cors https://app.example
pid0=$!
port=$(port_of "$tmp/server.log") ||
    fail "rpps-server did not start: $(cat "$tmp/server.log")"
port0=$(port_of "$tmp/server0.log") ||
    fail "rpps-server (no database) did not start: $(cat "$tmp/server0.log")"

BASE=http://127.0.0.1:$port BASE0=http://127.0.0.1:$port0 DATA=$DATA \
    SPEC=docs/openapi.yaml NODE_PATH=tests/web/node_modules \
    node tests/web/openapi.js >"$tmp/out.log" 2>&1
rc=$?
grep -v '^RESULT ' "$tmp/out.log"
res=$(grep '^RESULT ' "$tmp/out.log" | tail -n 1)
if [ -n "$res" ]; then
    passed=$((passed + $(echo "$res" | cut -d' ' -f2)))
    failed=$((failed + $(echo "$res" | cut -d' ' -f3)))
else
    failed=$((failed + 1))
fi
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
kill "$pid" "$pid0" && wait "$pid" "$pid0"
pid=
pid0=
# Sanitizer builds: the servers' reports reach tests/run.sh through here.
grep -E 'Sanitizer|runtime error' "$tmp/server.log" "$tmp/server0.log"
echo "RESULT $passed $failed"
[ "$failed" -eq 0 ]
