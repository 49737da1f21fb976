#!/bin/sh
# Readiness, end to end: rpps-server listens before it loads its database,
# /readyz answers 503 {"status":"loading"} until the first generation
# serves, then 200 {"status":"ready"}; /healthz answers 200 all along; a
# search answers 503 before and 200 after. During a hot swap /readyz stays
# 200 and the old file serves until the new one is loaded. Without a file,
# 503 {"status":"unavailable"}. The load is made to last 10 s
# (RPPS_TEST_LOAD_DELAY_MS) so that a small database's load can be seen
# even on a busy machine (3 s was not enough at load average 17). The
# server has 4 threads and serves one search before the swap: threads that
# have served nothing yet must answer from the old file too, at once.
# Prints "RESULT <passed> <failed>".
BUILD=${BUILD:-build}
T=$(mktemp -d)
PASS=0
FAIL=0
cleanup() {
    jobs -p >"$T/jobs" 2>/dev/null
    for p in $(cat "$T/jobs"); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/lib.sh" # ok, ko, check
done_() {
    echo "RESULT $PASS $FAIL"
    exit 0
}

"$BUILD/rpps-gen" --quiet --seed 3 --professionals 2000 --out "$T/a" &&
    "$BUILD/rpps-import" --quiet --no-progress --communes none \
        --db "$T/rpps.db" "$T"/a/*.zip || {
    ko "rpps-gen / rpps-import"
    done_
}
built1=$(sqlite3 "$T/rpps.db" "SELECT value FROM meta WHERE key='built_at'")

# get PATH: "CODE BODY" of a GET on the server.
get() {
    curl -s -m 20 -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1" \
        >"$T/code" 2>/dev/null
    echo "$(cat "$T/code") $(cat "$T/body" 2>/dev/null)"
}
# wait_port LOG: the port of the line rpps-server logs once it listens,
# before it loads ("port N open").
wait_port() {
    PORT=
    for _ in $(seq 600); do # 30 s: slow under sanitizers and load
        PORT=$(sed -n 's/.*port \([0-9]*\) open.*/\1/p' "$1" 2>/dev/null)
        [ -n "$PORT" ] && return 0
        kill -0 $SPID 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
# wait_ready: until /readyz answers 200 (60 s at most).
wait_ready() {
    for _ in $(seq 600); do
        case $(get /readyz) in 200*) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

# 1. Start-up: loading, then ready.
RPPS_TEST_LOAD_DELAY_MS=10000 "$BUILD/rpps-server" --db "$T/rpps.db" \
    --listen 127.0.0.1:0 --threads 4 2>"$T/srv.log" &
SPID=$!
if ! wait_port "$T/srv.log"; then
    ko "the server says it listens before it loads: $(cat "$T/srv.log")"
    done_
fi
# The search and /healthz first, then /readyz: still "loading" after them
# says they were answered during the load.
rs=$(get '/v1/search?q=martin')
rh=$(get /healthz)
r=$(get /readyz)
check "/readyz during the load is 503 loading: $r" \
    sh -c 'case "$1" in "503 "*\"status\":\"loading\"*) exit 0 ;; esac; exit 1' \
    - "$r"
check "/healthz during the load is 200: $rh" \
    sh -c 'case "$1" in 200*) exit 0 ;; esac; exit 1' - "$rh"
check "a search during the load is 503: $(echo "$rs" | cut -c1-200)" \
    sh -c 'case "$1" in 503*) exit 0 ;; esac; exit 1' - "$rs"
check "ready after the load" wait_ready
r=$(get /readyz)
check "/readyz once loaded is 200 ready, generation 1: $r" \
    sh -c 'case "$1" in 200*\"status\":\"ready\"*\"generation\":1*) exit 0 ;; esac; exit 1' \
    - "$r"
r=$(get '/v1/search?q=martin')
check "a search once ready is 200" \
    sh -c 'case "$1" in 200*) exit 0 ;; esac; exit 1' - "$r"
check "the listening line comes after the load" \
    grep -q "listening on port $PORT" "$T/srv.log"

# 2. A hot swap: the new file takes 10 s to load; the old one serves and
# /readyz stays 200 meanwhile.
"$BUILD/rpps-gen" --quiet --seed 3 --professionals 2000 --next-day \
    --stamp 202611020300 --out "$T/b" &&
    cp "$T/rpps.db" "$T/new.db" &&
    "$BUILD/rpps-import" --quiet --no-progress --communes none \
        --db "$T/new.db" "$T"/b/*.zip || {
    ko "rpps-gen / rpps-import, next day"
    done_
}
built2=$(sqlite3 "$T/new.db" "SELECT value FROM meta WHERE key='built_at'")
check "the next day's file is another build" [ "$built1" != "$built2" ]
mv "$T/new.db" "$T/rpps.db"
kill -HUP $SPID
sleep 0.5
# Eight requests at once reach every thread, those with no connection
# yet among them: each answers from the old file, before the new one's
# 10 s load is over.
t0=$(date +%s)
cpids=
for i in 1 2 3 4 5 6 7 8; do
    curl -s -m 20 -o "$T/par$i" "http://127.0.0.1:$PORT/v1/status" &
    cpids="$cpids $!"
done
for p in $cpids; do wait "$p"; done
t1=$(date +%s)
par=$(grep -l "\"built_at\":\"$built1\"" "$T"/par* | wc -l)
# From the old file means before the new one's load was over: a thread
# that waited for it would answer from the new one (or 503).
check "eight requests at once during the swap all answer from the old file ($par of 8, in $((t1 - t0)) s; the new file's load takes 10)" \
    [ "$par" -eq 8 ]
notready=0
old=0
for _ in 1 2 3 4 5; do
    case $(get /readyz) in 200*) ;; *) notready=$((notready + 1)) ;; esac
    case $(get /v1/status) in *"\"built_at\":\"$built1\""*) old=$((old + 1)) ;; esac
    sleep 0.2
done
check "/readyz stays 200 during the swap ($notready not)" [ $notready -eq 0 ]
check "the old file serves during the swap ($old of 5)" [ $old -ge 1 ]
swapped=0
for _ in $(seq 300); do
    case $(get /v1/status) in
    *"\"built_at\":\"$built2\""*)
        swapped=1
        break
        ;;
    esac
    sleep 0.2
done
check "the new file serves after the swap" [ $swapped -eq 1 ]
r=$(get /readyz)
check "/readyz after the swap is 200, generation 2: $r" \
    sh -c 'case "$1" in 200*\"generation\":2*) exit 0 ;; esac; exit 1' - "$r"
kill $SPID
wait $SPID 2>/dev/null

# 3. No file: 503 unavailable, /healthz 200.
"$BUILD/rpps-server" --db "$T/none.db" --listen 127.0.0.1:0 --threads 1 \
    2>"$T/srv2.log" &
SPID=$!
if wait_port "$T/srv2.log"; then
    sleep 0.3
    r=$(get /readyz)
    check "/readyz without a file is 503 unavailable: $r" \
        sh -c 'case "$1" in "503 "*\"status\":\"unavailable\"*) exit 0 ;; esac; exit 1' \
        - "$r"
    r=$(get /healthz)
    check "/healthz without a file is 200" \
        sh -c 'case "$1" in 200*) exit 0 ;; esac; exit 1' - "$r"
else
    ko "the server without a file starts: $(cat "$T/srv2.log")"
fi
kill $SPID
wait $SPID 2>/dev/null
done_
