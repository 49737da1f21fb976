#!/bin/sh
# The nightly cycle, short (tools/soak with 5 nights of 2,000 professionals):
# rpps-server under steady load from 8 wrk connections while five new days'
# extracts are imported over its file and picked up. Every request must be
# answered 2xx/3xx, every import succeed and be served, the server stay up,
# stop cleanly and log no sanitizer report. Memory is not judged here (five
# nights are too few; the sanitizers' allocators keep memory their own way):
# tools/soak at its 50 nights does. Under `make tsan` this is the test of the
# server's threads under concurrent requests and repeated hot swaps, beside
# the importer's. Prints "RESULT <passed> <failed>".
BUILD=${BUILD:-build}
T=$(mktemp -d)
PASS=0
FAIL=0
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh" # ok, ko, check

if ! command -v wrk >/dev/null; then
    echo "SKIP soak: wrk is needed (apt-get install wrk)"
    echo "RESULT 0 0"
    exit 0
fi
CYCLES=5 PROFESSIONALS=2000 SETTLE=1 SOAK_DIR=$T/soak BUILD=$BUILD \
    sh tools/soak >"$T/out" 2>&1
rc=$?
cat "$T/out"
line=$(grep '^SOAK ' "$T/out")
field() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "soak exit 0" [ $rc -eq 0 ]
check "five nights imported" [ "$(field imports_failed)" = 0 ]
check "five nights served" [ "$(field swaps_missed)" = 0 ]
check "requests answered" [ "$(field requests)" -gt 100 ]
check "no failed request" [ "$(field errors)" = 0 ]
check "server alive and stopped cleanly" [ "$(field alive)" = 1 ]
check "no sanitizer report in the server log" [ "$(field reports)" = 0 ]
echo "RESULT $PASS $FAIL"
[ "$FAIL" -eq 0 ]
