#!/bin/sh
# Runs one test for tests/run.sh: sh tests/run1.sh TEST. Writes
# "<passed> <failed>" to $RUN_DIR/<name>.res and shows the test's line
# (with its output's last 60 lines if it failed) under a lock, so that two
# tests ending together do not mix their output.
# With SAN_LOG_DIR set, the test's sanitizer reports go to a directory of
# its own under it (TSAN_OPTIONS' log_path, the last one given winning):
# a report there is that test's, whichever test ran beside it.
t=$1
name=$(basename "$t")
log="$RUN_DIR/$name.log"
out="$RUN_DIR/$name.out"
case $t in *.sh) cmd="sh $t" ;; *) cmd="$t" ;; esac
if [ -n "${SAN_LOG_DIR:-}" ]; then
    san="$SAN_LOG_DIR/$name"
    rm -rf "$san" && mkdir -p "$san"
    TSAN_OPTIONS="${TSAN_OPTIONS:-} log_path=$san/report"
    export TSAN_OPTIONS
fi
start=$(date +%s)
$cmd >"$log" 2>&1 </dev/null
rc=$?
if [ -n "${SAN_LOG_DIR:-}" ] && [ -n "$(ls "$san")" ]; then
    cat "$san"/* >>"$log"
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
    echo "sanitizer report in $t" >>"$out"
    f=$((f + 1))
fi
end=$(date +%s)
if [ "$f" -ne 0 ]; then
    echo "FAIL $t ($p passed, $f failed, exit $rc)" >>"$out"
    sed 's/^/    /' "$log" | tail -n 60 >>"$out"
elif grep -q '^SKIP' "$log" && [ "$p" -eq 0 ]; then
    # Skipped for a missing tool: said, and counted as nothing.
    grep '^SKIP' "$log" | sed "s|^SKIP|skip $t:|" >>"$out"
else
    echo "ok   $t ($p passed, $((end - start)) s)" >>"$out"
    # A part left out (under a sanitizer, say): said under its line.
    grep '^SKIP' "$log" | sed "s|^SKIP|     part skipped:|" >>"$out"
fi
echo "$p $f" >"$RUN_DIR/$name.res"
flock "$RUN_DIR/.lock" cat "$out"
# xargs stops at an exit status of 255 only; a failed test is counted in
# its .res, so the runner goes on to the next.
exit 0
