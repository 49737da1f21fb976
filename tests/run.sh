#!/bin/sh
# Runs every test: the C test binaries given as arguments, then every
# tests/e2e_*.sh script. Each prints "RESULT <passed> <failed>" as its last
# such line; a test that crashes or prints none counts as one failure. A
# test that cannot run here (a browser missing) prints a SKIP line and
# "RESULT 0 0": shown, and counted as nothing.
# Ends with the totals, "N passed, N failed", and a non-zero exit on failure.
# BUILD (default build) says where the binaries are; E2E (default every
# tests/e2e_*.sh) which scripts run. SAN_LOG_DIR names the directory where
# the sanitizer writes each process's reports (its log_path, as `make tsan`
# sets it): a file there after a test is a report from one of the test's
# processes, even one whose stderr the test kept to itself, and fails it.
BUILD=${BUILD:-build}
export BUILD
E2E=${E2E:-tests/e2e_*.sh}
passed=0
failed=0
log=$(mktemp)
for t in "$@" $E2E; do
    [ -e "$t" ] || continue
    case $t in *.sh) cmd="sh $t" ;; *) cmd="$t" ;; esac
    start=$(date +%s)
    $cmd >"$log" 2>&1
    rc=$?
    if [ -n "${SAN_LOG_DIR:-}" ] && [ -n "$(ls "$SAN_LOG_DIR")" ]; then
        cat "$SAN_LOG_DIR"/* >>"$log"
        rm -f "$SAN_LOG_DIR"/*
    fi
    res=$(grep '^RESULT ' "$log" | tail -n 1)
    if [ -n "$res" ]; then
        p=$(echo "$res" | cut -d' ' -f2)
        f=$(echo "$res" | cut -d' ' -f3)
    else
        p=0
        f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    # LeakSanitizer prints leaks without always failing a run, and a
    # ThreadSanitizer report in a child (an importer a script runs) may not
    # reach this exit status: check the output for both.
    if grep -q 'ERROR: LeakSanitizer\|ERROR: AddressSanitizer\|runtime error:\|ThreadSanitizer' "$log"; then
        echo "sanitizer report in $t" >&2
        f=$((f + 1))
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    end=$(date +%s)
    if [ "$f" -ne 0 ]; then
        echo "FAIL $t ($p passed, $f failed, exit $rc)"
        sed 's/^/    /' "$log" | tail -n 60
    elif grep -q '^SKIP' "$log" && [ "$p" -eq 0 ]; then
        # Skipped for a missing tool: said, and counted as nothing.
        grep '^SKIP' "$log" | sed "s|^SKIP|skip $t:|"
    else
        echo "ok   $t ($p passed, $((end - start)) s)"
        # A part left out (under a sanitizer, say): said under its line.
        grep '^SKIP' "$log" | sed "s|^SKIP|     part skipped:|"
    fi
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
