#!/bin/sh
# CI check of the container, with podman as ../shared/docs/containers-here.md
# shows (no Docker engine, no registry: the base image is built from Debian's
# archive with mmdebstrap). Builds docker/Dockerfile, starts the image on the
# SYNTHETIC demo data, waits for /healthz to report a database, runs a
# search, the refresh path and the healthcheck, then stops it with
# `podman stop -t 5` and checks that SIGTERM stopped it (not the SIGKILL 5 s
# later). Prints the figures (build time, image size, time to healthy, stop
# time) and "container-check: N passed, N failed"; exits non-zero on any
# failure. The whole run is capped (CHECK_TIMEOUT seconds, default 600; a
# bare machine took about 3 min here: base image 25-100 s, cold build 80 s).
#   sh tools/container-check.sh          PORT=18473 by default
set -u
cd "$(dirname "$0")/.." || exit 1

if [ -z "${CONTAINER_CHECK_TIMED:-}" ]; then
    CONTAINER_CHECK_TIMED=1 exec timeout -k 10 "${CHECK_TIMEOUT:-600}" \
        sh "$0" "$@"
fi

PORT=${PORT:-18473}
IMAGE=localhost/rpps-search:test
NAME=rpps-check-$$
P="podman --runtime runc"                               # crun rejects these VMs' hybrid cgroups
RL="--ulimit nofile=4096:4096 --ulimit nproc=4096:4096" # limits may only be lowered here
BASE=docker.io/library/debian:bookworm-slim
U=http://127.0.0.1:$PORT
PASS=0
FAIL=0

say() { printf 'container-check: %s\n' "$*"; }
ok() {
    PASS=$((PASS + 1))
    say "ok: $*"
}
ko() {
    FAIL=$((FAIL + 1))
    say "FAIL: $*"
}
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.1f", $1 - $2}'; }
finish() {
    say "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    $P rm -f -v "$NAME" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'ko "interrupted (timeout?)"; finish' INT TERM

# 1. Tools and the base image.
if ! command -v podman >/dev/null || ! command -v runc >/dev/null ||
    ! command -v mmdebstrap >/dev/null || ! command -v curl >/dev/null; then
    t=$(now)
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q podman runc mmdebstrap curl; } \
        >/tmp/container-check-apt.log 2>&1 ||
        {
            ko "apt-get install podman runc mmdebstrap curl (see /tmp/container-check-apt.log)"
            finish
        }
    say "installed podman, runc, mmdebstrap: $(since "$t") s"
fi
if ! $P image exists $BASE; then
    t=$(now)
    mmdebstrap --variant=minbase --quiet bookworm - \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main" |
        $P import - $BASE >/tmp/container-check-base.log 2>&1 || {
        ko "base image (mmdebstrap | podman import; /tmp/container-check-base.log)"
        finish
    }
    say "base image built: $(since "$t") s"
fi

# 2. The image.
t=$(now)
if $P build --pull=never --network=host --format docker -t $IMAGE \
    -f docker/Dockerfile . >/tmp/container-check-build.log 2>&1; then
    ok "image built in $(since "$t") s"
else
    tail -30 /tmp/container-check-build.log
    ko "podman build (log: /tmp/container-check-build.log)"
    finish
fi
size=$($P image inspect -f '{{.Size}}' $IMAGE)
say "image size: $(echo "$size" | awk '{printf "%.1f MB", $1 / 1e6}')"

# 3. Start on the demo data. The port must be ours: something already
# answering there would make every check below pass for the wrong reason.
if curl -s -m 2 -o /dev/null "$U/healthz"; then
    ko "port $PORT is already in use (PORT=... to choose another)"
    finish
fi
t=$(now)
# shellcheck disable=SC2086
if ! $P run -d --name "$NAME" --network=host $RL --init --no-healthcheck \
    -e RPPS_DEMO=1 -e RPPS_LISTEN="0.0.0.0:$PORT" $IMAGE >/dev/null; then
    ko "podman run"
    finish
fi
healthy=
i=0
while [ $i -lt 120 ]; do # 60 s
    if curl -fsS -m 2 "$U/healthz" 2>/dev/null | grep -q '"database": *true'; then
        healthy=$(since "$t")
        break
    fi
    [ "$($P inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] ||
        break
    sleep 0.5
    i=$((i + 1))
done
if [ -n "$healthy" ]; then
    ok "healthy (/healthz with a database) $healthy s after podman run"
else
    $P logs "$NAME" 2>&1 | tail -20
    ko "no healthy /healthz within 60 s"
    finish
fi

# 4. What it serves and how it runs.
body=$(curl -fsS -m 5 "$U/v1/search?q=martin&limit=2")
total=$(printf '%s' "$body" | sed -n 's/.*"total": *\([0-9][0-9]*\).*/\1/p')
if [ -n "$total" ] && [ "$total" -gt 0 ]; then
    ok "search q=martin: total=$total"
else
    ko "search q=martin: expected JSON with total > 0, got: $(printf '%s' "$body" | head -c 300)"
fi
# The web page is in the binary: a browser gets it, curl gets text.
if curl -fsS -m 5 -A 'Mozilla/5.0' "$U/" 2>/dev/null | grep -q '<html lang="fr">' &&
    curl -fsS -m 5 "$U/?q=martin&limit=2" 2>/dev/null | grep -q '^NOM '; then
    ok "the web page at / (and text for curl)"
else
    ko "the web page at /: no HTML for a browser or no table for curl"
fi
if $P exec "$NAME" rpps-entrypoint healthcheck >/dev/null 2>&1; then
    ok "the image's HEALTHCHECK command passes"
else
    ko "the image's HEALTHCHECK command fails"
fi
uid=$($P exec "$NAME" id -u 2>/dev/null)
if [ -n "$uid" ] && [ "$uid" != 0 ]; then
    ok "runs as uid $uid, not root"
else
    ko "runs as root (or id failed: '$uid')"
fi
# The nightly refresh on the demo: the same extract again is "unchanged".
$P exec "$NAME" rpps-entrypoint import >/dev/null 2>&1
rc=$?
if [ $rc -eq 3 ]; then
    ok "refresh (rpps-import --if-changed): unchanged, exit 3"
else
    ko "refresh (rpps-import --if-changed): exit $rc, expected 3"
fi

# 5. Stop: SIGTERM must do it; podman sends SIGKILL after 5 s.
t=$(now)
$P stop -t 5 "$NAME" >/dev/null 2>&1
stop=$(since "$t")
code=$($P inspect -f '{{.State.ExitCode}}' "$NAME" 2>/dev/null)
if awk -v s="$stop" 'BEGIN {exit !(s < 5)}' && [ "$code" != 137 ]; then
    ok "stopped in $stop s by SIGTERM (exit code $code)"
else
    ko "stop took $stop s, exit code $code (137: killed, SIGTERM ignored)"
fi
if $P rm -v "$NAME" >/dev/null 2>&1; then
    ok "container removed"
else
    ko "podman rm"
fi
finish
