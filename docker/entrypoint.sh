#!/bin/sh
# rpps-search's container entrypoint (POSIX sh), installed in the image as
# /usr/bin/rpps-entrypoint and run under tini. It builds the database on a
# first start with an empty volume, runs the nightly refresh of the compose
# sidecar, and answers the HEALTHCHECK. It never edits the database itself:
# every change goes through rpps-import, which builds a new file and renames
# it over the old one (the server picks it up within a second).
#
#   rpps-entrypoint [serve]      first start: import if there is no database
#                                (the demo at once with RPPS_DEMO=1; the ANS
#                                extracts in the background otherwise, retried
#                                until it works, the API answering 503 until
#                                then); then exec rpps-server
#   rpps-entrypoint refresh      forever: sleep until RPPS_REFRESH_AT plus up
#                                to RPPS_REFRESH_JITTER minutes, then
#                                rpps-import --if-changed
#   rpps-entrypoint import [OPT] one rpps-import --if-changed now, with OPT
#                                (--force, ...); exits with the importer's
#                                code (0, 1, 2, 3 or 4)
#   rpps-entrypoint rebuild [OPT] the same without --if-changed: after an
#                                upgrade that changes the database schema
#   rpps-entrypoint healthcheck  0 when /readyz says a database serves
#   rpps-entrypoint CMD [ARG...] runs CMD (rpps-import --help, sh, ...)
set -u

: "${RPPS_DB:=/var/lib/rpps-search/rpps.db}"
: "${RPPS_LISTEN:=0.0.0.0:8080}"
: "${RPPS_DEMO:=0}"
: "${RPPS_DEMO_DIR:=/usr/share/rpps-search/demo}"
: "${RPPS_SOURCES:=}"          # empty: the two ANS addresses
: "${RPPS_IMPORT_OPTS:=}"      # e.g. "--max-drop 20"
: "${RPPS_REFRESH_AT:=03:30}"
: "${RPPS_REFRESH_JITTER:=30}" # minutes
: "${RPPS_RETRY_MINUTES:=5}"   # first retry after a failed import; doubles
: "${RPPS_THREADS:=}"
: "${RPPS_CORS:=}"

PROG=rpps-entrypoint
# Retries double up to this (minutes): a bad night at ANS can last hours, and
# a failed attempt usually costs one refused connection, not a download.
RETRY_CAP=240
# A failed nightly refresh is retried this many times before the next night.
REFRESH_RETRIES=3

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { log "warning: $*"; }
err() { log "error: $*"; }
die() {
    err "$*"
    exit 1
}

child=
# SIGTERM / SIGINT while sleeping or importing: stop the child (the importer
# removes its temporary file), then leave. The shell only runs a trap between
# commands, so every long command runs in the background under `wait`.
on_term() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    log "stopped"
    exit 143
}

# run CMD...: runs CMD in the background and waits, so a signal is handled at
# once; returns CMD's exit code.
run() {
    "$@" &
    child=$!
    wait "$child"
    rc=$?
    # wait returns >128 when interrupted by a trapped signal: the trap exits.
    child=
    return "$rc"
}

nap() { run sleep "$1"; }

is_uint() {
    case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
    esac
}

# A random number in [0, $1).
rand() {
    [ "$1" -gt 0 ] || {
        echo 0
        return
    }
    r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    echo $((r % $1))
}

# rpps-import with the configured sources: the demo zips, RPPS_SOURCES, or
# nothing (the importer's own ANS addresses). Extra arguments go first.
import() {
    if [ "$RPPS_DEMO" = 1 ]; then
        for f in "$RPPS_DEMO_DIR"/*.zip; do
            [ -e "$f" ] || die "no demo extract (*.zip) in $RPPS_DEMO_DIR"
            set -- "$@" "$f"
        done
    fi
    # RPPS_SOURCES and RPPS_IMPORT_OPTS are split on blanks on purpose.
    # shellcheck disable=SC2086
    run rpps-import --db "$RPPS_DB" --no-progress $RPPS_IMPORT_OPTS "$@" \
        $RPPS_SOURCES
}

# What an import's exit code means for whoever reads the log.
explain() { # explain CODE WHAT
    case $1 in
    0) log "$2: database updated" ;;
    3) log "$2: extracts unchanged, nothing to do" ;;
    4) err "$2: REFUSED by the sanity gate (exit 4): the new extract has far" \
        "fewer (or far more) professionals or rows than the database" \
        "served, which is kept." \
        "Look at the extract; if it is right, run" \
        "'rpps-entrypoint import --force' once in the container" ;;
    2) err "$2: usage error (exit 2): check RPPS_IMPORT_OPTS and" \
        "RPPS_SOURCES" ;;
    *) err "$2: failed (exit $1): the database served is untouched" ;;
    esac
}

# First start without a database and RPPS_DEMO=0: import until it works,
# retrying with a doubling delay. Stops as soon as a database exists (the
# refresh sidecar may have built it meanwhile).
first_import() {
    trap on_term TERM INT # a subshell starts with the default actions
    delay=$RPPS_RETRY_MINUTES
    while [ ! -s "$RPPS_DB" ]; do
        import
        rc=$?
        explain "$rc" "first import"
        [ "$rc" -eq 0 ] && return 0
        [ "$rc" -eq 2 ] && return 2
        log "first import: next attempt in $delay min; the API answers 503" \
            "until a database exists"
        nap $((delay * 60))
        delay=$((delay * 2))
        [ "$delay" -le "$RETRY_CAP" ] || delay=$RETRY_CAP
    done
}

serve() {
    dir=$(dirname "$RPPS_DB")
    [ -d "$dir" ] || mkdir -p "$dir" || die "cannot create $dir"
    [ -w "$dir" ] || die "$dir is not writable by uid $(id -u): the" \
        "importer builds the new database beside the old one"
    if [ "$RPPS_DEMO" = 1 ]; then
        log "RPPS_DEMO=1: serving SYNTHETIC demo data, not the real directory"
    fi
    if [ ! -s "$RPPS_DB" ]; then
        if [ "$RPPS_DEMO" = 1 ]; then
            log "no database at $RPPS_DB: importing the demo extract"
            import
            rc=$?
            explain "$rc" "demo import"
            [ "$rc" -eq 0 ] || exit 1
        else
            log "no database at $RPPS_DB: importing" \
                "${RPPS_SOURCES:-the ANS extracts (about 300 MB)} in the" \
                "background; the API answers 503 until it is done"
            # Detached (double fork) so that tini, not the server, reaps it.
            (first_import &)
        fi
    fi
    set -- --db "$RPPS_DB" --listen "$RPPS_LISTEN"
    [ -z "$RPPS_THREADS" ] || set -- "$@" --threads "$RPPS_THREADS"
    [ -z "$RPPS_CORS" ] || set -- "$@" --cors "$RPPS_CORS"
    # exec: the server is tini's child, so SIGTERM reaches it directly.
    exec rpps-server "$@"
}

# Seconds from now to the next HH:MM (local time: TZ).
until_time() {
    now=$(date +%s)
    t=$(date -d "$1" +%s) || return 1
    [ "$t" -gt "$now" ] || t=$(date -d "tomorrow $1" +%s) || return 1
    echo $((t - now))
}

refresh() {
    case $RPPS_REFRESH_AT in
    [01][0-9]:[0-5][0-9] | 2[0-3]:[0-5][0-9]) ;;
    *) die "RPPS_REFRESH_AT=$RPPS_REFRESH_AT: expected HH:MM (24 h)" ;;
    esac
    is_uint "$RPPS_REFRESH_JITTER" ||
        die "RPPS_REFRESH_JITTER=$RPPS_REFRESH_JITTER: expected minutes"
    while :; do
        s=$(until_time "$RPPS_REFRESH_AT") || die "date failed"
        s=$((s + $(rand $((RPPS_REFRESH_JITTER * 60 + 1)))))
        log "next refresh at $(date -d "@$(($(date +%s) + s))" '+%F %R %Z')"
        nap "$s"
        tries=0
        delay=$RPPS_RETRY_MINUTES
        while :; do
            import --if-changed
            rc=$?
            explain "$rc" "nightly refresh"
            # Only a failure (exit 1: network, ANS, disk) is worth another
            # try tonight; a refusal needs a human, a usage error a fix.
            if [ "$rc" -ne 1 ] || [ "$tries" -ge "$REFRESH_RETRIES" ]; then
                break
            fi
            tries=$((tries + 1))
            log "nightly refresh: attempt $((tries + 1)) in $delay min"
            nap $((delay * 60))
            delay=$((delay * 2))
        done
    done
}

healthcheck() {
    port=${RPPS_LISTEN##*:}
    host=${RPPS_LISTEN%:*}
    case $host in
    '' | 0.0.0.0 | '[::]' | '*') host=127.0.0.1 ;;
    esac
    # /readyz: 200 once a database serves (and through a swap); 503 while
    # the server loads it or has none yet (first import still running),
    # which is not healthy either.
    body=$(curl -sS -m 4 -w ' %{http_code}' "http://$host:$port/readyz") ||
        exit 1
    case $body in
    *' 200') exit 0 ;;
    *)
        echo "not ready: $body"
        exit 1
        ;;
    esac
}

trap on_term TERM INT
if ! is_uint "$RPPS_RETRY_MINUTES" || [ "$RPPS_RETRY_MINUTES" -eq 0 ]; then
    die "RPPS_RETRY_MINUTES=$RPPS_RETRY_MINUTES: expected minutes (> 0)"
fi
case $RPPS_DEMO in
0 | 1) ;;
*) die "RPPS_DEMO=$RPPS_DEMO: expected 0 or 1" ;;
esac

cmd=${1:-serve}
[ $# -eq 0 ] || shift
case $cmd in
serve) serve ;;
refresh) refresh ;;
import)
    import --if-changed "$@"
    rc=$?
    explain "$rc" "import"
    exit "$rc"
    ;;
rebuild)
    import "$@"
    rc=$?
    explain "$rc" "rebuild"
    exit "$rc"
    ;;
healthcheck) healthcheck ;;
*) exec "$cmd" "$@" ;;
esac
