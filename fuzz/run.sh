#!/bin/sh
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 30;
# `make fuzz` gives 300, CI 20). Fails if a target crashes, leaks, times out
# or breaks one of its checks: the input is then in
# $OUT/artifacts/<target>-crash-..., to be replayed with
#   $OUT/<target> FILE
# (fuzz_query also needs FUZZ_QUERY_DB=$OUT/query.db) and committed under
# fuzz/regress/<target>/. Before fuzzing, every committed seed and
# regression input is replayed, so a fixed crash stays fixed.
# Usage: sh fuzz/run.sh [TARGET...]   (default: all four)
# Env: FUZZ_SECONDS, FUZZ_JOBS (targets run at once, default 2),
#      CC_FUZZ (clang), BUILD (build: where rpps-gen/rpps-import are),
#      OUT (build/fuzz).
set -u
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-2}
CC_FUZZ=${CC_FUZZ:-clang}
BUILD=${BUILD:-build}
OUT=${OUT:-build/fuzz}
TARGETS=${*:-fuzz_psv fuzz_zip fuzz_query fuzz_fold}

command -v "$CC_FUZZ" >/dev/null || {
    echo "fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"
    exit 1
}
mkdir -p "$OUT/artifacts" "$OUT/logs"

PKGS="libmicrohttpd sqlite3 jansson zlib minizip"
CFLAGS_F="-std=c11 -g -O1 -D_GNU_SOURCE -DRPPS_VERSION=\"fuzz\" -pthread
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
  -fno-omit-frame-pointer -Wall -Wextra -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wvla -Icommon -Iimporter -Iserver
  $(pkg-config --cflags $PKGS)"
LIBS_F="$(pkg-config --libs $PKGS) -lm"

# The project sources each target needs: never a file holding main().
srcs() {
    case $1 in
    fuzz_psv) echo importer/psv.c common/util.c ;;
    fuzz_zip) echo importer/zipread.c importer/psv.c common/util.c ;;
    fuzz_fold) echo common/fold.c ;;
    fuzz_query)
        # Every server module but the one with main(): the handlers reach
        # most of them (search, records, places, typos, reading q).
        echo $(ls server/*.c | grep -v '^server/main\.c$') common/*.c \
            "$BUILD/web_assets.c"
        ;;
    esac
}
# Extra libFuzzer options per target.
opts() {
    case $1 in
    fuzz_zip) echo "-max_len=16384 -dict=fuzz/zip.dict" ;;
    fuzz_query) echo "-max_len=4096 -dict=fuzz/query.dict" ;;
    fuzz_psv) echo "-max_len=4096 -dict=fuzz/psv.dict" ;;
    *) echo "-max_len=1024" ;;
    esac
}

fail=0
for t in $TARGETS; do
    echo "fuzz: building $t"
    # shellcheck disable=SC2046,SC2086
    if ! $CC_FUZZ $CFLAGS_F -o "$OUT/$t" "fuzz/$t.c" $(srcs $t) $LIBS_F; then
        echo "fuzz: FAIL $t does not build"
        exit 1
    fi
done

case " $TARGETS " in
*" fuzz_query "*)
    # A small real database, made afresh (a second: it must match the
    # schema of these sources): the handlers run their SQL on it.
    export FUZZ_QUERY_DB="$PWD/$OUT/query.db"
    rm -f "$FUZZ_QUERY_DB"
    if [ ! -s "$FUZZ_QUERY_DB" ]; then
        [ -x "$BUILD/rpps-gen" ] && [ -x "$BUILD/rpps-import" ] || {
            echo "fuzz: build $BUILD/rpps-gen and $BUILD/rpps-import first (make)"
            exit 1
        }
        g=$(mktemp -d)
        "$BUILD/rpps-gen" --quiet --seed 3 --professionals 400 --out "$g" &&
            "$BUILD/rpps-import" --quiet --no-progress \
                --db "$FUZZ_QUERY_DB" "$g"/*.zip >/dev/null || {
            echo "fuzz: cannot build $FUZZ_QUERY_DB"
            rm -rf "$g"
            exit 1
        }
        rm -rf "$g"
    fi
    ;;
esac

# Replays the committed inputs once (no fuzzing): seeds and regressions.
for t in $TARGETS; do
    files=$(find "fuzz/corpus/$t" "fuzz/regress/$t" -type f 2>/dev/null)
    [ -n "$files" ] || continue
    # shellcheck disable=SC2086
    if ! "$OUT/$t" -close_fd_mask=2 $files >"$OUT/logs/$t.replay" 2>&1; then
        echo "fuzz: FAIL $t: a committed input crashes it"
        tail -n 40 "$OUT/logs/$t.replay"
        fail=1
    fi
done
[ "$fail" -eq 0 ] || exit 1

# Fuzzes, FUZZ_JOBS targets at a time. New inputs go to a scratch corpus
# (the committed seeds stay as they are).
run_one() {
    t=$1
    mkdir -p "$OUT/corpus/$t"
    start=$(date +%s)
    # shellcheck disable=SC2046
    "$OUT/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -close_fd_mask=2 \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
        $(opts $t) "$OUT/corpus/$t" "fuzz/corpus/$t" \
        >"$OUT/logs/$t.log" 2>&1
    rc=$?
    end=$(date +%s)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/logs/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$OUT/logs/$t.log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: FAIL $t (exit $rc, $((end - start)) s): see $OUT/logs/$t.log"
        grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' \
            "$OUT/logs/$t.log" | head -n 20
        return 1
    fi
    echo "fuzz: ok   $t ($((end - start)) s, ${runs:-?} runs, $cov)"
}

pids=
n=0
for t in $TARGETS; do
    run_one "$t" >"$OUT/logs/$t.summary" 2>&1 &
    pids="$pids $!:$t"
    n=$((n + 1))
    if [ "$n" -ge "$FUZZ_JOBS" ]; then
        for p in $pids; do
            wait "${p%%:*}" || fail=1
            cat "$OUT/logs/${p#*:}.summary"
        done
        pids=
        n=0
    fi
done
for p in $pids; do
    wait "${p%%:*}" || fail=1
    cat "$OUT/logs/${p#*:}.summary"
done
[ "$fail" -eq 0 ] && echo "fuzz: all targets ok (${FUZZ_SECONDS} s each)"
exit "$fail"
