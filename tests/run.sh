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
# sets it): a report there after a test is from one of the test's
# processes, even one whose stderr the test kept to itself, and fails it.
#
# JOBS (default 2) tests run at once: most of a test's time is spent
# waiting (for a server to start, a timeout to pass, a child to exit), so
# two at a time on two cores take a little over half the time (measured in
# docs/performance.md, "The test suite"). Every test uses its own temporary
# directory and a free port, so they do not meet. The tests in SERIAL run
# afterwards, one at a time, alone: e2e_stress times lock waits between an
# importer and a server, which a neighbour's load would stretch, and
# e2e_ready expects the old file to answer in the 1.5 s after a swap
# starts (under ASan beside another test it once saw 0 of 5 answers from
# it: not understood yet, docs/reliability.md).
# Each test's output is shown whole when it ends (a lock keeps two from
# mixing), so lines come in the order tests end, not the order given.
BUILD=${BUILD:-build}
export BUILD
E2E=${E2E:-tests/e2e_*.sh}
JOBS=${JOBS:-2}
SERIAL=${SERIAL:-tests/e2e_stress.sh tests/e2e_ready.sh}
RUN_DIR=$(mktemp -d)
export RUN_DIR
trap 'rm -rf "$RUN_DIR"' EXIT
trap 'exit 130' INT TERM

parallel=
serial=
for t in "$@" $E2E; do
    [ -e "$t" ] || continue
    case " $SERIAL " in
    *" $t "*) serial="$serial $t" ;;
    *) parallel="$parallel $t" ;;
    esac
done

one="$(dirname "$0")/run1.sh"
# xargs runs the tests; each writes its counts to $RUN_DIR/<name>.res.
# shellcheck disable=SC2086
[ -z "$parallel" ] || printf '%s\n' $parallel | xargs -P "$JOBS" -n 1 sh "$one"
for t in $serial; do
    sh "$one" "$t"
done

passed=0
failed=0
for r in "$RUN_DIR"/*.res; do
    [ -e "$r" ] || continue
    read -r p f <"$r"
    passed=$((passed + p))
    failed=$((failed + f))
done
# A test that left no counts (its runner killed) is one failure.
for t in $parallel $serial; do
    [ -e "$RUN_DIR/$(basename "$t").res" ] || {
        echo "FAIL $t (no result)"
        failed=$((failed + 1))
    }
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
