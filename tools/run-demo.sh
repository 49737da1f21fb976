#!/bin/sh
# `make run`: builds a small synthetic extract with rpps-gen, imports it with
# rpps-import into $BUILD/demo/rpps.db (once), and serves it on
# 127.0.0.1:8080 (PORT to change), printing the page's address first, then a
# few curl lines to paste.
# Ctrl-C stops the server.
set -e
BUILD=${1:-build}
DIR=$BUILD/demo
PORT=${PORT:-8080}
N=${DEMO_PROFESSIONALS:-20000}
u=http://127.0.0.1:$PORT
mkdir -p "$DIR"
if [ ! -f "$DIR/rpps.db" ]; then
    echo "generating $N professionals and importing them into $DIR/rpps.db..."
    "$BUILD/rpps-gen" --seed 1 --professionals "$N" --out "$DIR" --quiet
    "$BUILD/rpps-import" --no-progress --db "$DIR/rpps.db" "$DIR"/*.zip
fi
name=$(sqlite3 "$DIR/rpps.db" "SELECT last_fold FROM professional WHERE has_mss = 1 LIMIT 1 OFFSET 17" 2>/dev/null || echo martin)
id=$(sqlite3 "$DIR/rpps.db" "SELECT id FROM professional LIMIT 1 OFFSET 17" 2>/dev/null || echo 10000000001)
mss=$(sqlite3 "$DIR/rpps.db" "SELECT address FROM mailbox LIMIT 1" 2>/dev/null || echo x@y.mssante.fr)
cat <<MSG

Open $u/ in a browser: the search page for practice staff.
Serving $DIR/rpps.db on $u (Ctrl-C to stop).
This is SYNTHETIC demo data: invented people in the exact ANS format.
For the real directory: $BUILD/rpps-import --db rpps.db (downloads from ANS).
Try:
  curl '$u/?q=$(echo "$name" | tr ' ' '+')'
  curl -s '$u/v1/search?q=$(echo "$name" | cut -c1-4)&pretty=1'
  curl -s '$u/v1/search?q=$(echo "$name" | tr ' ' '+')&limit=3&facets=profession,dept&pretty=1'
  curl -s '$u/v1/search?profession=40&postcode=75&limit=5&pretty=1'
  curl -s '$u/v1/practitioners/$id?pretty=1'
  curl -OJ '$u/v1/practitioners/$id?format=vcard'
  curl -s '$u/v1/mssante/$mss?pretty=1'
  curl -s '$u/v1/suggest?q=$(echo "$name" | cut -c1-3)&pretty=1'
  curl -s '$u/v1/professions?pretty=1'
  curl -s '$u/v1/status?pretty=1'
  curl -s --compressed -i '$u/v1/search?q=mar' | head -12

MSG
exec "$BUILD/rpps-server" --db "$DIR/rpps.db" --listen "127.0.0.1:$PORT"
