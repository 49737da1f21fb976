#!/bin/sh
# Download faults with a server watching, as tests/e2e_faults.sh does for
# the import's (and with its helpers, tests/faults_lib.sh): after every
# fault the old database must be intact, no temporary file may be left
# beside it, and the server must still answer from it. Cases: hostile
# download servers (a huge body without Content-Length, a 3 GiB
# Content-Length, a 2 KiB/s trickle: the size and time limits), links
# planted at the importer's file names and directories other users can
# write to, and sources that keep working (ANS down or failing in five
# ways: the data.gouv.fr mirror answers; --source, --if-changed and the
# mirror's 304s). Prints "RESULT <passed> <failed>".
. "$(dirname "$0")/faults_lib.sh"

# --- 8. Hostile download servers ------------------------------------------
# tests/http_fixture.py on 127.0.0.1 plays them; each download must be cut
# short, with a message naming the limit, and leave nothing beside the
# database.
good_sum=$(sum_of "$DB")
good_built=$(q "$DB" "select value from meta where key='built_at'")
python3 "$(dirname "$0")/http_fixture.py" "$T/g" "$T/port" 2>"$T/http.log" &
HTTP_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/port")
no_download() { [ -z "$(ls "$(dirname "$DB")" | grep 'download')" ]; }
# A body without Content-Length far past the limit: stopped at the limit,
# not written in full and checked afterwards.
fault "100 MiB body without Content-Length, --max-download-size 5M" \
    "passed 5242880 bytes, the most a download may hold \(--max-download-size\)" \
    --retries 0 --max-download-size 5M "$URL/nolength/100"
check "no Content-Length: no download left" no_download
sent=$(sed -n 's/^nolength: sent \([0-9]*\) bytes$/\1/p' "$T/http.log" | tail -n 1)
echo "no Content-Length: the server could send $sent bytes of 104857600"
check "no Content-Length: cut short (server sent ${sent:-?} of 104857600 bytes)" \
    [ "${sent:-104857600}" -lt 52428800 ]
# A Content-Length over the default limit (2 GiB): refused before the body.
fault "announced 3 GiB, default limit" \
    "announces more than the 2147483648 bytes a download may hold" \
    --retries 0 "$URL/biglength/"
check "announced 3 GiB: refused at once (took $FAULT_MS ms)" [ "$FAULT_MS" -lt 10000 ]
# file:// gets the same limit (libcurl checks only HTTP's announced size).
fault "file:// over --max-download-size 1K" "passed 1024 bytes" \
    --max-download-size 1K "file://$PSZ"
# A server that sends just over curl's stall limit (1 KiB/s) kept the lock
# for hours: now the whole download, retries included, has a time limit.
fault "2 KiB/s server, --download-timeout 3, --retries 2" \
    "not complete after 3 s, the time a download may take \(--download-timeout\)" \
    --retries 2 --download-timeout 3 "$URL/slow/extraction/PS_LibreAcces"
echo "2 KiB/s server: given up after $FAULT_MS ms"
check "2 KiB/s server: given up within 20 s (took $FAULT_MS ms)" [ "$FAULT_MS" -lt 20000 ]
check "2 KiB/s server: not retried past the deadline" \
    [ -z "$(grep retrying "$T/err")" ]
check "2 KiB/s server: no download left" no_download

# --- 9. Links planted beside the database, and who may write there --------
# Every file the importer makes beside the database (the lock, a download
# in progress, the download, the build's scratch files) is made without
# following a link: a link planted at its name must leave the file it
# points to untouched (and a missing one uncreated). tests/test_tmpfiles.c
# does the same for DB.tmp-*.spill and DB.tmp-*.fts, whose names are
# random here. Then the directory itself: refused when another user could
# write there.
printf 'victim\n' >"$T/victim"
victim_ok() { [ "$(cat "$T/victim")" = victim ] && [ ! -e "$T/victim-new" ]; }
rm -f "$DB.lock"
ln -s "$T/victim-new" "$DB.lock"
fault "a dangling link at DB.lock" "rpps.db.lock: a symbolic link: refused" "$PSZ"
check "link at DB.lock: its target not created" victim_ok
rm -f "$DB.lock" "$T/victim-new"
ln -s "$T/victim" "$DB.lock"
fault "a link at DB.lock" "rpps.db.lock: a symbolic link: refused" "$PSZ"
check "link at DB.lock: its target untouched" victim_ok
rm -f "$DB.lock"
# The download's names: DB.download-N.part was its fixed name, opened
# "wb"; DB.download-N is where it lands. Links left from before are removed
# at the start (stale files), so they are planted during the run: while the
# first source's server waits 3 s, at the second source's names (a file://
# URL is downloaded like http).
imp --db "$DB" "$URL/delay/3/extraction/Extraction_Correspondance_MSSante" \
    "file://$PSZ" >/dev/null 2>"$T/err" &
IMP_PID=$!
sleep 1
ln -s "$T/victim" "$DB.download-1.part"
ln -s "$T/victim-new" "$DB.download-1"
wait $IMP_PID
check "links at the download's names: the import works (got $?)" [ $? -eq 0 ]
check "links at the download's names: their targets untouched" victim_ok
check "links at the download's names: the planted .part left alone" \
    [ -L "$DB.download-1.part" ]
rm -f "$DB.download-1.part" "$DB.download-1"
kill "$HTTP_PID" 2>/dev/null
wait "$HTTP_PID" 2>/dev/null
HTTP_PID=
good_sum=$(sum_of "$DB")
good_built=$(q "$DB" "select value from meta where key='built_at'")
check "links at the download's names: served" served "$SRV_PID" "$SRV_PORT" "$good_built"
# Directories. Another owner and other groups need root to set up.
dir_refused() { # dir_refused "what" DIR "message": import into DIR refused
    rm -f "$2/rpps.db"
    imp --db "$2/rpps.db" "$PSZ" >"$T/out" 2>"$T/err"
    rc=$?
    check "$1: exit 1 (got $rc)" [ $rc -eq 1 ]
    check "$1: message /$3/" grep -qE "$3" "$T/err"
    check "$1: nothing made there" [ -z "$(ls "$2")" ]
}
dir_ok() { # dir_ok "what" DIR: import into DIR works
    imp --db "$2/rpps.db" "$PSZ" >"$T/out" 2>"$T/err"
    check "$1: imports (got $?)" [ $? -eq 0 ]
    rm -f "$2"/rpps.db*
}
mkdir -p "$T/d/open"
chmod 0777 "$T/d/open"
dir_refused "a directory every user can write" "$T/d/open" \
    "the database's directory is writable by other users \(mode 0777\)"
chmod 1777 "$T/d/open"
dir_refused "a sticky directory every user can write" "$T/d/open" \
    "writable by other users \(mode 1777\)"
chmod 0755 "$T/d/open"
dir_ok "the same directory, writable by its owner only" "$T/d/open"
mkdir -p "$T/d/above/db"
chmod 0777 "$T/d/above"
dir_refused "under a directory every user can write" "$T/d/above/db" \
    "above the database's directory, writable by other users and not sticky"
chmod 1777 "$T/d/above"
dir_ok "under a sticky one" "$T/d/above/db"
if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$T/d/theirs" "$T/d/group"
    chown 65534 "$T/d/theirs"
    dir_refused "a directory of another user" "$T/d/theirs" \
        "owned by uid 65534, neither this user \(uid 0\) nor root"
    chgrp 65534 "$T/d/group"
    chmod 0775 "$T/d/group"
    dir_refused "a directory another group can write" "$T/d/group" \
        "writable by other users \(mode 0775\)"
    chgrp "$(id -g)" "$T/d/group"
    dir_ok "a directory its owner's own group can write" "$T/d/group"
else
    echo "SKIP another owner, other groups: needs root"
fi
check "the victim survived it all" victim_ok

# --- 10. Sources that keep working: ANS down, the mirror answers ----------
# tests/http_fixture.py plays ANS (its two zips; or failing: 500s, a
# download that does not end, an HTML page with status 200, a zip cut in
# half, a zip whose CRCs are wrong) and the data.gouv.fr mirror (the four texts under undated names,
# with ETag and Last-Modified, 304 to a matching If-None-Match). The
# importer is pointed at both with --ans-url and --mirror-url: auto falls
# back to the mirror, --source ans does not, --source mirror asks only the
# mirror, --if-changed probes the mirror; the summary line, the extract
# table and /v1/status say which source was used.
export RPPS_RETRY_BACKOFF=0.1
touch -d '2026-11-25 04:05:00 UTC' "$T/g"/*.txt
python3 "$(dirname "$0")/http_fixture.py" "$T/g" "$T/port2" 2>"$T/http2.log" &
HTTP_PID=$!
for _ in $(seq 100); do [ -s "$T/port2" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/port2")
ans() { # ans PREFIX: the two ANS addresses behind PREFIX (/error500, ...)
    echo "--ans-url $URL$1/extraction/PS_LibreAcces" \
        "--ans-url $URL$1/extraction/Extraction_Correspondance_MSSante"
}
MIRROR="--mirror-url $URL/mirror/activite --mirror-url $URL/mirror/savoirfaire
    --mirror-url $URL/mirror/diplome --mirror-url $URL/mirror/mssante"
asked() { # asked METHOD PATH: requests so far (PATH a prefix)
    grep -c "\"$1 $2" "$T/http2.log"
}
# gets: GETs so far of anything a source serves (ANS's zips, the
# mirror's addresses and files), not of the failing prefixes: a /delay/30
# request an importer gave up on (--download-timeout 3) is answered and
# logged 30 s later, in the middle of a later case (seen under TSan).
gets() {
    echo $(($(asked GET /extraction/) + $(asked GET /mirror/) + $(asked GET /static/)))
}
origins() { q "$DB" "select group_concat(distinct origin) from extract"; }
stamps() { q "$DB" "select group_concat(distinct stamp || ' ' || stamp_from) from extract"; }
# The served database's /v1/status names origin in each of its extracts.
status_says() { # status_says ORIGIN STAMP_FROM
    st=$(curl -s -m 60 "http://127.0.0.1:$SRV_PORT/v1/status")
    [ "$(echo "$st" | grep -o '"origin":"[a-z]*"' | sort -u)" = "\"origin\":\"$1\"" ] &&
        [ "$(echo "$st" | grep -o '"stamp_from":"[a-z-]*"' | sort -u)" = "\"stamp_from\":\"$2\"" ]
}
imported() { # imported "what": the new database is served and said so
    good_sum=$(sum_of "$DB")
    good_built=$(q "$DB" "select value from meta where key='built_at'")
    check "$1: served" served "$SRV_PID" "$SRV_PORT" "$good_built"
}

# ANS up: ANS is used, the mirror never asked.
imp --db "$DB" --retries 1 $(ans "") $MIRROR >"$T/out" 2>"$T/err"
check "ANS up: exit 0 (got $?)" [ $? -eq 0 ]
check "ANS up: summary says source=ans" grep -q "status=updated .* source=ans " "$T/out"
check "ANS up: the mirror not asked" [ "$(asked GET /mirror/)" -eq 0 ]
check "ANS up: extract table says ans" [ "$(origins)" = ans ]
check "ANS up: dated by the file name" [ "$(stamps)" = "$STAMP name" ]
imported "ANS up"
check "ANS up: /v1/status says ans, name" status_says ans name

# fallback "what" "ANS's failure (grep -E)" ANS-PREFIX [options]: ANS
# fails, the mirror's four files are imported, and said so everywhere.
fallback() {
    fbw=$1
    fbm=$2
    fbp=$3
    shift 3
    n0=$(asked GET /static/)
    imp --db "$DB" --retries 1 $(ans "$fbp") $MIRROR "$@" >"$T/out" 2>"$T/err"
    rc=$?
    check "$fbw: exit 0 (got $rc)" [ $rc -eq 0 ]
    [ $rc -eq 0 ] || sed 's/^/    /' "$T/err" >&2
    check "$fbw: ANS's failure said /$fbm/" grep -qE "$fbm" "$T/err"
    check "$fbw: falls back" grep -q "the download from ans failed: trying mirror" "$T/err"
    check "$fbw: the mirror's four files fetched" [ $(($(asked GET /static/) - n0)) -eq 4 ]
    check "$fbw: summary says source=mirror" grep -q "status=updated .* source=mirror " "$T/out"
    check "$fbw: extract table says mirror" [ "$(origins)" = mirror ]
    check "$fbw: dated by Last-Modified" [ "$(stamps)" = "202611250405 last-modified" ]
    check "$fbw: nothing left beside the database" [ -z "$(ls "$T/db" | grep -E 'tmp-|download')" ]
    imported "$fbw"
    check "$fbw: /v1/status says mirror, last-modified" status_says mirror last-modified
}
fallback "ANS answers 500" "HTTP status 500" /error500
check "ANS answers 500: retried first" grep -q "retrying" "$T/err"
fallback "ANS never ends a download" "not complete after 3 s" /delay/30 --download-timeout 3
fallback "ANS sends an HTML page with status 200" "an HTML page" /html
fallback "ANS's zip cut in half" "not a readable zip|zip directory" /truncated
fallback "ANS's zip with wrong CRCs" "CRC mismatch" /badcrc

# Back to ANS, then --source ans: ANS's failure is the run's, the mirror
# is never asked, the old database stays.
imp --db "$DB" $(ans "") >/dev/null 2>&1
imported "back to ANS"
m0=$(asked GET /mirror/)
fault "--source ans, ANS answers 500" "HTTP status 500" \
    --source ans --retries 1 $(ans /error500) $MIRROR
check "--source ans: the mirror not asked" [ "$(asked GET /mirror/)" -eq "$m0" ]
check "--source ans: no fallback" [ -z "$(grep 'trying mirror' "$T/err")" ]
fault "auto, ANS and the mirror both failing" "mirror/activite: HTTP status 500" \
    --retries 0 $(ans /html) --mirror-url "$URL/error500/mirror/activite"
fault "the mirror's text cut short" "cut short: its last line has no newline" \
    --source mirror --mirror-url "$URL/truncated/static/ps-libreacces-personne-activite.txt"
fault "the mirror serves an HTML page" "an HTML page" \
    --source mirror --mirror-url "$URL/html/static/ps-libreacces-personne-activite.txt"

# --source mirror: only the mirror is asked.
a0=$(asked GET /extraction/)
imp --db "$DB" --source mirror $(ans "") $MIRROR >"$T/out" 2>"$T/err"
check "--source mirror: exit 0 (got $?)" [ $? -eq 0 ]
check "--source mirror: ANS not asked" [ "$(asked GET /extraction/)" -eq "$a0" ]
check "--source mirror: summary says source=mirror" grep -q "source=mirror " "$T/out"
imported "--source mirror"
check "--source mirror: /v1/status says mirror" status_says mirror last-modified

# The mirror's freshness probe: a HEAD with If-None-Match, answered 304:
# unchanged, nothing downloaded, nothing rebuilt.
g0=$(gets)
h0=$(grep -c '"HEAD /static/.* 304 ' "$T/http2.log")
imp --db "$DB" --if-changed --source mirror $MIRROR >"$T/out" 2>"$T/err"
check "mirror unchanged (304): exit 3 (got $?)" [ $? -eq 3 ]
check "mirror unchanged (304): says so" grep -q "status=unchanged .* source=mirror" "$T/out"
check "mirror unchanged (304): four 304s" \
    [ $(($(grep -c '"HEAD /static/.* 304 ' "$T/http2.log") - h0)) -eq 4 ]
check "mirror unchanged (304): nothing downloaded" [ "$(gets)" -eq "$g0" ]
check "mirror unchanged (304): not rebuilt" still_good
# The same addresses from the environment (RPPS_MIRROR_URLS) as options.
RPPS_MIRROR_URLS="$(echo $MIRROR | sed 's/--mirror-url //g')" \
    imp --db "$DB" --if-changed --source mirror >"$T/out" 2>"$T/err"
check "RPPS_MIRROR_URLS, mirror unchanged: exit 3 (got $?)" [ $? -eq 3 ]
check "RPPS_MIRROR_URLS: nothing downloaded" [ "$(gets)" -eq "$g0" ]
# auto with ANS down: the probe falls back to the mirror's.
imp --db "$DB" --if-changed --retries 0 $(ans /error500) $MIRROR >"$T/out" 2>"$T/err"
check "ANS down, mirror unchanged: exit 3 (got $?)" [ $? -eq 3 ]
check "ANS down, mirror unchanged: the probe fell back" \
    grep -q "the freshness probe from ans failed: trying mirror" "$T/err"
check "ANS down, mirror unchanged: nothing downloaded" [ "$(gets)" -eq "$g0" ]
# A new file on the mirror (a new Last-Modified and ETag): imported.
touch -d '2026-11-26 04:10:00 UTC' "$T/g/$A"
imp --db "$DB" --if-changed --source mirror $MIRROR >"$T/out" 2>"$T/err"
check "mirror changed: exit 0 (got $?)" [ $? -eq 0 ]
check "mirror changed: the new date" \
    [ "$(q "$DB" "select stamp from extract where kind = 'activite'")" = 202611260410 ]
imported "mirror changed"
# A server without 304: the same ETag and Last-Modified say unchanged.
NO304="--mirror-url $URL/static/ps-libreacces-personne-activite.txt?no304
    --mirror-url $URL/static/extraction-correspondance-mssante.txt?no304"
imp --db "$DB" --source mirror --force $NO304 >/dev/null 2>"$T/err"
check "mirror without 304: imports" [ $? -eq 0 ]
imported "mirror without 304"
g0=$(gets)
imp --db "$DB" --if-changed --source mirror $NO304 >"$T/out" 2>"$T/err"
check "mirror without 304, same ETag: exit 3 (got $?)" [ $? -eq 3 ]
check "mirror without 304, same ETag: nothing downloaded" [ "$(gets)" -eq "$g0" ]
kill "$HTTP_PID" 2>/dev/null
wait "$HTTP_PID" 2>/dev/null
HTTP_PID=
unset RPPS_RETRY_BACKOFF

finish
