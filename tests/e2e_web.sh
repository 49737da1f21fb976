#!/bin/sh
# The web page in a real browser: Debian's Chromium driven by playwright-core
# (tests/web/e2e.js says what it checks) against rpps-server on a database
# rpps-gen and rpps-import make here (3,000 people, seed 1). Screenshots,
# the downloaded CSV and vCard go to $BUILD/web-e2e/.
# Skips (a SKIP line, "RESULT 0 0": nothing counted as passed) when
# Chromium, Node.js or the npm packages are absent: `make deps` installs
# them; under CI (CI set) their absence fails. Prints "RESULT <passed>
# <failed>" last.
BUILD=${BUILD:-build}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
skip() {
    # CI installs all of it (tools/deps.sh): there a skip would hide a
    # missing install, so it fails.
    if [ -n "${CI:-}" ]; then
        echo "FAIL e2e_web: $* (CI=$CI: tools/deps.sh should have installed it)"
        echo "RESULT 0 1"
        exit 1
    fi
    echo "SKIP e2e_web: $* (make deps installs it)"
    echo "RESULT 0 0"
    exit 0
}
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || skip "no chromium"
command -v node >/dev/null 2>&1 || skip "no node"
[ -d tests/web/node_modules/playwright-core ] || skip "no tests/web/node_modules"
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_web.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    echo "RESULT 0 1"
    exit 1
}

"$BUILD/rpps-gen" --quiet --seed 1 --professionals 3000 --out "$tmp" ||
    fail "rpps-gen"
"$BUILD/rpps-import" --quiet --no-progress --db "$tmp/rpps.db" "$tmp"/*.zip ||
    fail "rpps-import"

# One professional to look for: an RPPS with one activity and one mailbox,
# a one-word family name carried by at most three people, a profession q
# reads from a word, a department of two digits.
row=$(sqlite3 -separator '|' "$tmp/rpps.db" "
SELECT p.id, p.last_name, p.first_name, p.profession_code, a.dept_code,
       m.address, coalesce(p.title_code, '')
FROM professional p
JOIN activity a ON a.aid BETWEEN p.pid << 20 AND (p.pid << 20) | 1048575
JOIN mailbox m ON m.mid BETWEEN p.pid << 20 AND (p.pid << 20) | 1048575
WHERE p.id_type = '8' AND p.has_mss = 1 AND p.n_activities = 1
  AND p.profession_code IN ('10', '40', '60', '70', '21')
  AND (p.title_code IS NULL OR p.title_code = 'DR')
  AND a.dept_code GLOB '[0-9][0-9]' AND a.phone IS NOT NULL
  AND p.last_name NOT GLOB '*[^A-Z]*' AND p.first_name NOT GLOB '*[^A-Za-z]*'
  AND (SELECT count(*) FROM professional q
       WHERE q.last_fold = p.last_fold) <= 3
  AND (SELECT count(*) FROM mailbox x
       WHERE x.mid BETWEEN p.pid << 20 AND (p.pid << 20) | 1048575) = 1
ORDER BY p.pid LIMIT 1")
[ -n "$row" ] || fail "no professional to look for in the generated data"
common=$(sqlite3 "$tmp/rpps.db" "SELECT last_name FROM professional
    GROUP BY last_fold ORDER BY count(*) DESC LIMIT 1")
TARGET=$(echo "$row" | awk -F'|' '{
    w["10"] = "médecin"; w["40"] = "dentiste"; w["60"] = "infirmier";
    w["70"] = "kiné"; w["21"] = "pharmacien";
    printf "{\"id\":\"%s\",\"last\":\"%s\",\"first\":\"%s\",\"word\":\"%s\",", $1, $2, $3, w[$4];
    printf "\"dept\":\"%s\",\"mss\":\"%s\",\"title\":\"%s\"}", $5, $6, $7 }')
echo "looking for $TARGET; common name $common"

"$BUILD/rpps-server" --db "$tmp/rpps.db" --listen 127.0.0.1:0 --threads 2 \
    2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$tmp/server.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "rpps-server did not start: $(cat "$tmp/server.log")"

mkdir -p "$BUILD/web-e2e"
BASE=http://127.0.0.1:$port TARGET=$TARGET COMMON=$common \
    OUT="$BUILD/web-e2e" CHROMIUM=$CHROMIUM NODE_PATH=tests/web/node_modules \
    node tests/web/e2e.js
rc=$?
kill "$pid" && wait "$pid"
pid=
# Sanitizer builds: the server's reports reach tests/run.sh through here.
grep -E 'Sanitizer|runtime error' "$tmp/server.log"
exit $rc
