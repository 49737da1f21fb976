#!/bin/sh
# Concurrency under load: the importer's own threads and connections must not
# make an import fail when the machine is busy. An import of a 23-line file
# once failed with "quick_check: database is locked" (issue 11): check_db()'s
# quick_check connection ran its first statement before it had a busy
# timeout, while the main thread's FTS5 check held the new database's lock.
# 1. The race made certain: build/tests/lockdelay.so (tests/lockdelay.c)
#    stretches the lock hold and delays the reader; every import must pass.
# 2. The real thing: small imports in a loop, two at a time, while a busy
#    loop runs on every core, until RPPS_STRESS_IMPORTS imports (default 400)
#    or RPPS_STRESS_SECONDS seconds (default 40, so that the suite stays
#    under a minute here); every one must pass. Before the fix about one in
#    a thousand failed; the longer run by hand:
#      RPPS_STRESS_IMPORTS=5000 RPPS_STRESS_SECONDS=1800 sh tests/e2e_stress.sh
# Prints "RESULT <passed> <failed>".
BUILD=${BUILD:-build}
IMP=$PWD/$BUILD/rpps-import
GEN=$PWD/$BUILD/rpps-gen
SHIM=$PWD/$BUILD/tests/lockdelay.so
IMPORTS=${RPPS_STRESS_IMPORTS:-400}
SECONDS_MAX=${RPPS_STRESS_SECONDS:-40}
T=$(mktemp -d)
PASS=0
FAIL=0
HOGS=

cleanup() {
    for p in $HOGS; do kill "$p" 2>/dev/null; done
    jobs -p >"$T/jobs" 2>/dev/null
    for p in $(cat "$T/jobs"); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # ok, ko, check

STAMP=202611250300
A=PS_LibreAcces_Personne_activite_$STAMP.txt
"$GEN" --seed 7 --professionals 40 --stamp $STAMP --txt --out "$T/g" --quiet ||
    ko "generator"
head -n 23 "$T/g/$A" >"$T/$A"
check "a 23-line file" [ "$(wc -l <"$T/$A")" -eq 23 ]

# --- 1. The race made certain ---------------------------------------------
# Under ASan the shim is not the first library loaded: ASan accepts that
# when told (the shim wraps nothing ASan wraps).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
if [ -f "$SHIM" ]; then
    for i in 1 2 3; do
        LD_PRELOAD=$SHIM LOCKDELAY_REPORT=1 "$IMP" --no-progress --communes none \
            --force --db "$T/shim.db" "$T/$A" >"$T/out" 2>"$T/err"
        rc=$?
        check "lock held by the FTS5 check ($i): exit 0 (got $rc)" [ $rc -eq 0 ]
        [ $rc -eq 0 ] || sed 's/^/    /' "$T/err" >&2
        check "lock held by the FTS5 check ($i): no 'database is locked'" \
            [ -z "$(grep 'database is locked' "$T/err")" ]
        # The shim did its work: it held a lock and delayed a reader.
        check "lock held by the FTS5 check ($i): the shim held and waited" \
            grep -qE 'lockdelay: [1-9][0-9]* holds, [1-9][0-9]* reader waits' "$T/err"
    done
else
    ko "no $SHIM (make builds it)"
fi

# --- 2. Many small imports under load -------------------------------------
ncpu=$(nproc 2>/dev/null || echo 2)
for _ in $(seq "$ncpu"); do
    sh -c 'while :; do :; done' &
    HOGS="$HOGS $!"
done
# Each worker imports into its own database (one importer per database),
# --force since the counts never change, and writes one line per import:
# its exit code, then the errors of failed ones.
start=$(date +%s)
worker() { # worker N
    n=0
    while [ $n -lt $((IMPORTS / 2)) ] &&
        [ $(($(date +%s) - start)) -lt "$SECONDS_MAX" ]; do
        "$IMP" --no-progress --quiet --communes none --force \
            --db "$T/w$1.db" "$T/$A" 2>"$T/w$1.err"
        rc=$?
        echo "$rc" >>"$T/w$1.rc"
        [ $rc -eq 0 ] || sed "s/^/    worker $1, import $n: /" "$T/w$1.err" >>"$T/errors"
        n=$((n + 1))
    done
}
worker 1 &
W1=$!
worker 2 &
W2=$!
wait $W1 $W2
elapsed=$(($(date +%s) - start))
for p in $HOGS; do kill "$p" 2>/dev/null; done
HOGS=
done_n=$(cat "$T/w1.rc" "$T/w2.rc" 2>/dev/null | wc -l)
failed_n=$(cat "$T/w1.rc" "$T/w2.rc" 2>/dev/null | grep -vc '^0$')
echo "stress: $done_n imports of a 23-line file in $elapsed s, two at a time," \
    "with $ncpu busy loops: $failed_n failed"
[ -s "$T/errors" ] && cat "$T/errors" >&2
check "stress: every import succeeded ($failed_n of $done_n failed)" [ "$failed_n" -eq 0 ]
# A run that did almost nothing proves nothing. Unloaded, this machine
# does 200 to 400 in the 40 s; under other jobs (load average 11) 77 were
# seen: a NOTE under 100, a failure only under 20.
[ "$done_n" -ge 100 ] ||
    echo "NOTE: stress: only $done_n imports in $elapsed s (a loaded machine)"
check "stress: at least 20 imports ran (got $done_n)" [ "$done_n" -ge 20 ]

echo "RESULT $PASS $FAIL"
[ "$FAIL" -eq 0 ]
