# Shared by tests/e2e_faults.sh and tests/e2e_sources.sh (sourced, not run):
# the helpers (check, imp, start_server, served, fault...), a 3,000-
# professional extract generated in $T/g (zips and texts, stamp $STAMP),
# its import at $DB, and rpps-server serving it ($SRV_PID, $SRV_PORT).
# finish() checks the server came through, and prints the RESULT line.
# Two scripts rather than one so that tests/run.sh runs them side by side:
# together they were the suite's longest test by far (173 s of 385 s).
BUILD=${BUILD:-build}
IMP=$PWD/$BUILD/rpps-import
GEN=$PWD/$BUILD/rpps-gen
SRV=$PWD/$BUILD/rpps-server
T=$(mktemp -d)
PASS=0
FAIL=0
SRV_PID=
SRV2_PID=
HTTP_PID=
MNT=

cleanup() {
    # Every server and importer this script started and did not reap.
    jobs -p >"$T/jobs" 2>/dev/null
    for p in $(cat "$T/jobs"); do kill "$p" 2>/dev/null; done
    [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # ok, ko, check
q() { sqlite3 "$1" "$2"; }
imp() { "$IMP" --no-progress --communes none "$@"; }

# start_server DB LOG: starts rpps-server on a free port; sets STARTED_PID
# and STARTED_PORT.
start_server() {
    "$SRV" --db "$1" --listen 127.0.0.1:0 --threads 2 2>"$2" &
    STARTED_PID=$!
    STARTED_PORT=
    for _ in $(seq 1200); do # up to 60 s: slow under sanitizers and load
        STARTED_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$2" 2>/dev/null)
        [ -n "$STARTED_PORT" ] && break
        kill -0 $STARTED_PID 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$STARTED_PORT" ]
}

# served PID PORT BUILT_AT: the server (made to look at its file at once)
# answers /v1/status from the database built at BUILT_AT, and a search.
served() {
    kill -HUP "$1" 2>/dev/null || return 1
    # A swap loads the new file's shared data first (the old one serves
    # meanwhile): wait for it, up to 60 s (over 10 s under ThreadSanitizer
    # on a loaded machine). A server thread that has not served since the
    # swap before may build the new file's shared data itself, in the
    # request (server/db.c db_acquire()): 7 s under TSan for 60,000
    # professionals, hence 60 s for each request too.
    n=0
    while :; do
        sleep 0.2
        st=$(curl -s -m 60 "http://127.0.0.1:$2/v1/status") || return 1
        echo "$st" | grep -q "\"built_at\":\"$3\"" && break
        n=$((n + 1))
        [ $n -lt 300 ] || return 1
    done
    [ "$(curl -s -m 60 -o /dev/null -w '%{http_code}' \
        "http://127.0.0.1:$2/v1/search?q=$NAME")" = 200 ]
}

sum_of() { q "$1" "select count(*) || '/' || (select value from meta where key='built_at') from professional"; }
still_good() { # the old database is intact and unchanged
    [ "$(sum_of "$DB")" = "$good_sum" ] && [ "$(q "$DB" 'pragma quick_check')" = ok ]
}
no_tmp() { [ -z "$(ls "$(dirname "$DB")" | grep 'tmp-')" ]; }

# fault "what" "message (grep -E)" sources...: must fail (exit 1) with the
# message, leave $DB as it was and no temporary file, and the server on it
# must keep answering. Sets FAULT_MS: how long the importer took.
fault() {
    fwhat="$1"
    fmsg="$2"
    shift 2
    fstart=$(date +%s%N)
    imp --db "$DB" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    FAULT_MS=$((($(date +%s%N) - fstart) / 1000000))
    check "$fwhat: exit 1 (got $rc)" [ $rc -eq 1 ]
    check "$fwhat: message /$fmsg/" grep -qE "$fmsg" "$T/err"
    [ $rc -eq 1 ] && ! grep -qE "$fmsg" "$T/err" && sed 's/^/    /' "$T/err" >&2
    check "$fwhat: old database intact" still_good
    check "$fwhat: no temporary file left" no_tmp
    check "$fwhat: still served" served "$SRV_PID" "$SRV_PORT" "$good_built"
}

STAMP=202611250300
"$GEN" --seed 11 --professionals 3000 --stamp $STAMP --txt --out "$T/g" \
    --quiet || ko "generator"
PSZ=$T/g/PS_LibreAcces_$STAMP.zip
ACT=$T/g/PS_LibreAcces_Personne_activite_$STAMP.txt
A=PS_LibreAcces_Personne_activite_$STAMP.txt
DB=$T/db/rpps.db
mkdir -p "$T/db" "$T/f"
imp --db "$DB" "$PSZ" "$T/g/Extraction_Correspondance_MSSante_$STAMP.zip" \
    >/dev/null 2>"$T/err"
check "first import" [ $? -eq 0 ]
good_sum=$(sum_of "$DB")
good_built=$(q "$DB" "select value from meta where key='built_at'")
NAME=$(q "$DB" "select last_fold from professional where last_fold not like '% %' limit 1")
start_server "$DB" "$T/srv.log"
check "server starts" [ -n "$STARTED_PORT" ]
SRV_PID=$STARTED_PID
SRV_PORT=$STARTED_PORT
check "served before the faults" served "$SRV_PID" "$SRV_PORT" "$good_built"

finish() {
    check "server still running" kill -0 "$SRV_PID"
    kill "$SRV_PID"
    wait "$SRV_PID"
    check "server stops cleanly" [ $? -eq 0 ]
    SRV_PID=
    check "no sanitizer report in the server logs" \
        [ -z "$(cat "$T"/srv*.log | grep -E 'Sanitizer|runtime error')" ]

    echo "RESULT $PASS $FAIL"
    [ "$FAIL" -eq 0 ]
}
