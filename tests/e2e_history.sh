#!/bin/sh
# History across imports, end to end: rpps-gen writes a day's extracts and
# the next day's (--next-day) with the truth of their difference
# (--diff-truth, from the generator's model, not the importer's code);
# rpps-import imports both in turn; rpps-server then must report every
# change of the truth exactly once and nothing else, in JSON (paged by its
# cursor), CSV (read by Python's csv module) and Atom (read by feedparser),
# answer 410 for the removed, give first_seen, and count the import in
# /v1/status and /metrics. Then the imports that must not carry history
# and must not fail: over a database of an older schema, over a file that
# is not a database, over a truncated one. Prints "RESULT <passed>
# <failed>".
BUILD=${BUILD:-build}
IMP=$PWD/$BUILD/rpps-import
GEN=$PWD/$BUILD/rpps-gen
SRV=$PWD/$BUILD/rpps-server
# Debian's python3 with python3-feedparser (tools/deps.sh), whatever
# python3 comes first in PATH.
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d)
PASS=0
FAIL=0
SRV_PID=

cleanup() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # ok, ko, check
q() { sqlite3 "$1" "$2"; }
imp() { "$IMP" --no-progress --communes none "$@"; }

D1=202611250300
D2=202611260300
"$GEN" --seed 7 --professionals 3000 --stamp $D1 --out "$T/d1" --quiet ||
    ko "generator, day 1"
"$GEN" --seed 7 --professionals 3000 --stamp $D2 --out "$T/d2" --quiet \
    --next-day --diff-truth "$T/truth.tsv" || ko "generator, day 2"
# The truth holds every kind of change the test is about.
for kc in "professional	added" "professional	removed" \
    "professional	changed" "activity	added" "activity	removed" \
    "mailbox	added" "mailbox	removed" "mailbox	changed"; do
    check "the truth has $kc" grep -q "^$kc	" "$T/truth.tsv"
done

DB=$T/h.db
imp --db "$DB" "$T"/d1/*.zip >"$T/out1" 2>"$T/err1"
check "day 1 imports" [ $? -eq 0 ]
check "day 1: no history (first import), said in the summary" \
    grep -q "history=none" "$T/out1"
check "day 1: and in the log" grep -q "no history carried: first import" \
    "$T/err1"
check "day 1: no change recorded" [ "$(q "$DB" 'select count(*) from change')" -eq 0 ]
check "day 1: no first_seen invented" \
    [ "$(q "$DB" 'select count(*) from history')" -eq 0 ]
# Each live row's entry stored for the next import, which reads them
# instead of the tables (importer/digest.h).
check "day 1: every row's entry stored for the next import" \
    [ "$(q "$DB" "select (select sum(n) from history_digest) = (select \
    count(*) from professional) + (select count(*) from activity) + \
    (select count(*) from mailbox) and (select value from meta where \
    key = 'history_digest') = '1'")" = 1 ]
cp "$DB" "$T/day1.db"
imp --db "$DB" --verbose "$T"/d2/*.zip >"$T/out2" 2>"$T/err2"
check "day 2 imports" [ $? -eq 0 ]
check "day 2: history carried" grep -q "history=carried" "$T/out2"
check "day 2: the previous file's stored entries read, not its tables" \
    grep -q "history: the previous database's stored entries read" "$T/err2"
# The summary's counts against the truth's.
cnt() { grep -c "^$1	$2	" "$T/truth.tsv"; }
for k in professional activity mailbox; do
    want="$k=+$(cnt $k added)-$(cnt $k removed)~$(cnt $k changed)"
    check "summary $want" grep -q "$want" "$T/out2"
done
# A previous file built before the entries were stored (none in it): its
# tables are read instead, with the same result.
cp "$T/day1.db" "$T/nodigest.db"
q "$T/nodigest.db" "delete from history_digest;
    delete from meta where key = 'history_digest'" >/dev/null
imp --db "$T/nodigest.db" --verbose "$T"/d2/*.zip >"$T/out8" 2>"$T/err8"
check "over a file without stored entries: imports" [ $? -eq 0 ]
check "over a file without stored entries: its tables read" \
    grep -q "no stored digests: its tables are read" "$T/err8"
for k in professional activity mailbox; do
    want="$k=+$(cnt $k added)-$(cnt $k removed)~$(cnt $k changed)"
    check "over a file without stored entries: summary $want" \
        grep -q "$want" "$T/out8"
done
# Stored entries that are malformed: a good import without history.
cp "$T/day1.db" "$T/baddigest.db"
q "$T/baddigest.db" "update history_digest set data = x'ffffffff'
    where chunk = 0" >/dev/null
imp --db "$T/baddigest.db" "$T"/d2/*.zip >"$T/out9" 2>"$T/err9"
check "over malformed stored entries: imports" [ $? -eq 0 ]
check "over malformed stored entries: history=none" \
    grep -q "history=none" "$T/out9"
check "over malformed stored entries: says why" \
    grep -q "history_digest: malformed" "$T/err9"
cp "$DB" "$T/day2.db"

# The server on the day-2 database.
"$SRV" --db "$DB" --listen 127.0.0.1:0 --threads 2 2>"$T/srv.log" &
SRV_PID=$!
PORT=
for _ in $(seq 1200); do # up to 60 s: slow under sanitizers and load
    PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$T/srv.log")
    [ -n "$PORT" ] && break
    kill -0 $SRV_PID 2>/dev/null || break
    sleep 0.05
done
check "server starts" [ -n "$PORT" ]

# The API against the truth: Python prints "ok <what>" or "FAIL <what>".
"$PY" - "http://127.0.0.1:$PORT" "$T/truth.tsv" "$DB" >"$T/py.out" 2>&1 <<'EOF'
import csv, io, json, sqlite3, sys, urllib.error, urllib.request
import feedparser

base, truth_path, db_path = sys.argv[1], sys.argv[2], sys.argv[3]
def check(what, cond):
    print(("ok " if cond else "FAIL ") + what)

def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

truth = {}
for line in open(truth_path, encoding="utf-8"):
    kind, change, ident, fields = line.rstrip("\n").split("\t")
    truth[(kind, change, ident)] = set(fields.split(",")) if fields else set()

# JSON, paged by the cursor: every change once, nothing else.
seen, cursor, pages = [], None, 0
while True:
    path = "/v1/changes?since=2026-11-26&limit=17"
    if cursor:
        path += "&cursor=" + cursor
    st, _, body = get(path)
    if st != 200:
        check("changes page %d: status %d" % (pages, st), False)
        break
    page = json.loads(body)
    seen += page["changes"]
    pages += 1
    cursor = page["next_cursor"]
    if not cursor or pages > 1000:
        break
keys = [(c["kind"], c["change"], c["id"]) for c in seen]
check("changes: %d pages of 17" % pages, pages == (len(truth) + 16) // 17)
check("every change reported once (%d, %d distinct)" % (len(keys), len(set(keys))),
      len(keys) == len(set(keys)))
missing = set(truth) - set(keys)
extra = set(keys) - set(truth)
check("no change missing %s" % sorted(missing)[:5], not missing)
check("no change invented %s" % sorted(extra)[:5], not extra)
check("newest first, dated", all(c["date"] == "2026-11-26" for c in seen))
bad = []
for c in seen:
    k = (c["kind"], c["change"], c["id"])
    if k not in truth:
        continue
    if c["change"] == "changed":
        if set(c["after"]) != truth[k] or set(c["before"]) != truth[k]:
            bad.append((k, c["before"], c["after"]))
    elif c["change"] == "added":
        if c["before"] is not None or not c["after"]:
            bad.append(k)
    elif c["after"] is not None or not c["before"]:
        bad.append(k)
check("before/after: the changed fields, all fields when added/removed %s"
      % bad[:3], not bad)
renamed = [c for c in seen if c["kind"] == "professional" and c["change"] == "changed"]
check("a rename's before and after differ",
      all(c["before"]["last_name"] != c["after"]["last_name"] for c in renamed))

# Filters.
def count(q):
    st, _, body = get("/v1/changes?limit=1000&" + q)
    return json.loads(body)["count"] if st == 200 else -1
for kind in ("professional", "activity", "mailbox"):
    for ch in ("added", "removed", "changed"):
        want = sum(1 for k in truth if k[0] == kind and k[1] == ch)
        check("kind=%s&change=%s: %d" % (kind, ch, want),
              count("kind=%s&change=%s" % (kind, ch)) == want)
check("since=2026-11-27: none", count("since=2026-11-27") == 0)
one = next(c for c in seen if c["kind"] == "activity" and c["dept"])
check("dept= keeps that department's only",
      0 < count("kind=activity&dept=" + one["dept"]) < count("kind=activity"))
one = next(c for c in seen if c["profession"])
check("profession= filters", 0 < count("profession=" + one["profession"]) <= len(truth))
# A department or postal code, now or before (a changed activity's former
# place), alone, together and with a kind: exactly the rows a plain SQL
# statement over the change table finds, newest first, paged by the cursor.
db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
def ids(q):
    out, cursor = [], None
    for _ in range(1000):
        st, _, body = get("/v1/changes?limit=7&" + q +
                          ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            return None
        page = json.loads(body)
        out += [c["id"] + "/" + c["kind"] for c in page["changes"]]
        cursor = page["next_cursor"]
        if not cursor:
            return out
def want(where, *args):
    return [r[0] + "/" + r[1] for r in db.execute(
        "SELECT id, kind FROM change WHERE " + where + " ORDER BY seq DESC",
        args)]
moved = db.execute("SELECT dept_before, dept FROM change WHERE dept_before"
                   " IS NOT NULL AND dept IS NOT NULL LIMIT 1").fetchone()
moved_pc = db.execute("SELECT postcode_before, postcode FROM change WHERE"
                      " postcode_before IS NOT NULL AND postcode IS NOT NULL"
                      " LIMIT 1").fetchone()
check("the day has changes of department and of postal code",
      moved is not None and moved_pc is not None)
if moved and moved_pc:
    d0, d1 = moved
    p0, p1 = moved_pc
    for d in (d0, d1):
        check("dept=%s: the rows of that department now or before" % d,
              ids("dept=" + d) == want("dept = ? OR dept_before = ?", d, d))
        check("dept=%s&kind=activity" % d,
              ids("kind=activity&dept=" + d) ==
              want("kind = 'activity' AND (dept = ? OR dept_before = ?)", d, d))
    for p in (p0, p1):
        check("postcode=%s: the rows of that postal code now or before" % p,
              ids("postcode=" + p) ==
              want("postcode = ? OR postcode_before = ?", p, p))
    check("dept= and postcode= together",
          ids("dept=%s&postcode=%s" % (d1, p0)) ==
          want("(dept = ? OR dept_before = ?) AND (postcode = ? OR"
               " postcode_before = ?)", d1, d1, p0, p0))
for bad_q in ("since=2026-13-01", "since=yesterday", "kind=doctor", "change=moved",
              "limit=0", "limit=1001", "cursor=zz", "cursor=c", "nope=1",
              "dept=1234", "format=xml"):
    st, hdr, body = get("/v1/changes?" + bad_q)
    ok = st == 400 and hdr.get("Content-Type", "").startswith("application/json")
    check("400 JSON for %s" % bad_q, ok and "error" in json.loads(body))

# 410 for the removed, 404 for the never known, first_seen.
gone = [k[2] for k in truth if k[:2] == ("professional", "removed")]
for nid in gone:
    st, _, body = get("/v1/practitioners/" + nid)
    r = json.loads(body)
    check("410 for removed %s" % nid,
          st == 410 and r.get("id") == nid and r.get("removed") is True
          and r.get("last_seen") == "2026-11-25" and "activities" in r)
# The FHIR facade: the removed as tombstones (docs/ans-fhir-v2.md 2.2:
# only id, meta, identifier and active), read and by active=false.
for nid in gone:
    st, _, body = get("/fhir/v2/Practitioner/" + nid)
    r = json.loads(body) if st == 200 else {}
    idnps = [i.get("value") for i in r.get("identifier", [])
             if i["type"]["coding"][0]["code"] == "IDNPS"]
    check("FHIR Practitioner/%s: an active:false tombstone" % nid,
          st == 200 and r.get("active") is False and r.get("id") == nid
          and set(r) == {"resourceType", "id", "meta", "identifier", "active"}
          and idnps == [nid]
          and r["meta"].get("lastUpdated") == "2026-11-26T00:00:00Z")
st, _, body = get("/fhir/v2/Practitioner?active=false&_count=200")
b = json.loads(body) if st == 200 else {}
ids = sorted(e["resource"]["id"] for e in b.get("entry", []))
check("FHIR Practitioner?active=false: the %d removed" % len(gone),
      st == 200 and ids == sorted(gone) and b.get("total") == len(gone)
      and all(e["resource"]["active"] is False for e in b.get("entry", [])))
st, _, body = get("/fhir/v2/Practitioner?active=false&identifier=" + gone[0])
check("FHIR Practitioner?active=false&identifier=%s: that one" % gone[0],
      st == 200 and json.loads(body).get("total") == 1)
st, _, body = get("/fhir/v2/Practitioner?active=false&family=a")
check("FHIR a tombstone has no name: active=false&family=a finds none",
      st == 200 and json.loads(body).get("total") == 0)
# Their activities as PractitionerRole tombstones (active=false), each
# readable by its id.
gone_acts = [k[2] for k in truth if k[:2] == ("activity", "removed")
             and k[2].split("/")[0] in set(gone)]
st, _, body = get("/fhir/v2/PractitionerRole?active=false&_count=200")
b = json.loads(body) if st == 200 else {}
groles = [e["resource"] for e in b.get("entry", [])]
check("FHIR PractitionerRole?active=false: the removed people's %d activities"
      % len(gone_acts),
      st == 200 and b.get("total") == len(gone_acts) == len(groles)
      and sorted(r["practitioner"]["reference"][13:] for r in groles)
      == sorted(a.split("/")[0] for a in gone_acts)
      and all(r["active"] is False for r in groles))
if groles:
    st, _, body = get("/fhir/v2/PractitionerRole/" + groles[0]["id"])
    r = json.loads(body) if st == 200 else {}
    check("FHIR PractitionerRole/%s: the tombstone" % groles[0]["id"],
          st == 200 and r.get("active") is False and r.get("id") == groles[0]["id"]
          and r["meta"]["lastUpdated"] == "2026-11-26T00:00:00Z")
st, _, body = get("/fhir/v2/PractitionerRole?active=false&practitioner=" + gone[0])
check("FHIR PractitionerRole?active=false&practitioner=%s: theirs" % gone[0],
      st == 200 and json.loads(body).get("total")
      == sum(1 for a in gone_acts if a.split("/")[0] == gone[0]))
# A delta by _lastUpdated (the official sync pattern): exactly the people
# the truth changed on day 2 (their own record, an activity, a mailbox:
# the owner the feed names), each dated that day, then the removed as
# tombstones; everyone else dated day 1.
def fhir_all(path):
    out, url, n = [], base + path, 0
    while url and n < 100:
        with urllib.request.urlopen(url, timeout=60) as r:
            b = json.loads(r.read())
        out += [e["resource"] for e in b.get("entry", [])
                if e.get("search", {}).get("mode") == "match"]
        url = next((l["url"] for l in b.get("link", []) if l["relation"] == "next"), None)
        n += 1
    return b, out
changed = set()
for kind, change, ident in truth:
    if kind == "professional":
        changed.add(ident)
    elif kind == "activity":
        changed.add(ident.split("/")[0])
for c in seen:
    if c["kind"] == "mailbox" and c["national_id"]:
        changed.add(c["national_id"])
present = changed - set(gone)
b, res = fhir_all("/fhir/v2/Practitioner?_lastUpdated=ge2026-11-26&_count=50")
live = [r for r in res if r.get("active")]
dead = [r for r in res if r.get("active") is False]
check("FHIR Practitioner?_lastUpdated=ge2026-11-26: the %d changed, present "
      "(%d; missing %s, extra %s)" % (len(present), len(live),
      sorted(present - {r["id"] for r in live})[:3],
      sorted({r["id"] for r in live} - present)[:3]),
      sorted(r["id"] for r in live) == sorted(present))
check("FHIR the delta's tombstones: the %d removed" % len(gone),
      sorted(r["id"] for r in dead) == sorted(gone))
check("FHIR the delta's total: %d" % (len(present) + len(gone)),
      b.get("total") == len(present) + len(gone) == len(res))
check("FHIR the changed are dated 2026-11-26",
      all(r["meta"]["lastUpdated"] == "2026-11-26T00:00:00Z" for r in res))
st, _, body = get("/fhir/v2/Practitioner?_count=200")
rest = [e["resource"] for e in json.loads(body).get("entry", [])
        if e["resource"]["id"] not in changed]
check("FHIR the unchanged are dated 2026-11-25 (%d seen)" % len(rest),
      rest and all(r["meta"]["lastUpdated"] == "2026-11-25T00:00:00Z" for r in rest))
st, _, body = get("/fhir/v2/Practitioner?_lastUpdated=gt2026-11-26")
check("FHIR _lastUpdated=gt2026-11-26: nobody",
      st == 200 and json.loads(body).get("total") == 0)
st, _, body = get("/v1/status")
npeople = json.loads(body)["meta"]["professionals"] if st == 200 else -1
st, _, body = get("/fhir/v2/Practitioner?_lastUpdated=ge2026-11-25&_count=0")
check("FHIR _lastUpdated=ge2026-11-25: everyone and the removed",
      st == 200 and json.loads(body).get("total") == int(npeople) + len(gone))
st, _, body = get("/fhir/v2/Practitioner?_lastUpdated=lt2026-11-26&_count=0")
check("FHIR _lastUpdated=lt2026-11-26: the unchanged",
      st == 200 and json.loads(body).get("total") == int(npeople) - len(present))
# _lastUpdated without a lower bound (lt, le, ne alone): read from the
# change table's people, not from everyone's date in turn (a 503 at full
# scale before), and the same people as the bounds say.
def fhir_total(path):
    st, _, body = get(path)
    return json.loads(body).get("total") if st == 200 else "status %d" % st
alive = {r[0] for r in db.execute("SELECT national_id FROM professional")}
unchanged = alive - present
for p in ("ne2026-11-26", "le2026-11-25", "lt2026-11-25T12:00:00"):
    n = fhir_total("/fhir/v2/Practitioner?_count=0&_lastUpdated=" + p)
    check("FHIR _lastUpdated=%s: the %d unchanged (%s)" % (p, len(unchanged), n),
          n == len(unchanged))
n = fhir_total("/fhir/v2/Practitioner?_count=0&_lastUpdated=ne2026-11-25")
check("FHIR _lastUpdated=ne2026-11-25: the changed and the removed (%s)" % n,
      n == len(present) + len(gone))
b, res = fhir_all("/fhir/v2/Practitioner?_lastUpdated=lt2026-11-26&_count=200")
check("FHIR _lastUpdated=lt2026-11-26, paged: exactly the unchanged",
      sorted(r["id"] for r in res) == sorted(unchanged)
      and all(r["meta"]["lastUpdated"] == "2026-11-25T00:00:00Z" for r in res))
b, roles = fhir_all("/fhir/v2/PractitionerRole?_lastUpdated=ne2026-11-25&_count=100")
check("FHIR PractitionerRole?_lastUpdated=ne2026-11-25: the changed people's roles",
      {r["practitioner"]["reference"].split("/")[1] for r in roles} == present)
acts = dict(db.execute("SELECT p.national_id, count(*) FROM activity a JOIN"
                       " professional p ON p.pid = a.aid >> 20 GROUP BY 1"))
n = fhir_total("/fhir/v2/PractitionerRole?_count=0&_total=accurate"
               "&_lastUpdated=lt2026-11-26")
check("FHIR PractitionerRole?_lastUpdated=lt2026-11-26: the unchanged's %s roles"
      % n, n == sum(acts.get(p, 0) for p in unchanged))
b, roles = fhir_all("/fhir/v2/PractitionerRole?_lastUpdated=ge2026-11-26&_count=100")
owners = {r["practitioner"]["reference"].split("/")[1] for r in roles}
check("FHIR PractitionerRole?_lastUpdated=ge2026-11-26: the changed people's roles",
      owners == present and all(r["meta"]["lastUpdated"] == "2026-11-26T00:00:00Z"
                                for r in roles))
# Every page of a role search carries the search's total (issue 16): a
# delta (the changed people's roles, counted), the upper bound alone (the
# importer's counts less the changed people's roles), with a mode or not.
def fhir_pages(path):
    out, totals, url, n = [], [], base + path, 0
    while url and n < 100:
        with urllib.request.urlopen(url, timeout=60) as r:
            b = json.loads(r.read())
        totals.append(b.get("total"))
        out += [e["resource"] for e in b.get("entry", [])
                if e.get("search", {}).get("mode") == "match"]
        url = next((l["url"] for l in b.get("link", []) if l["relation"] == "next"), None)
        n += 1
    return totals, out
mode_s = dict(db.execute("SELECT p.national_id, count(*) FROM activity a JOIN"
                         " professional p ON p.pid = a.aid >> 20"
                         " WHERE a.mode_code = 'S' GROUP BY 1"))
for q, who, per in (("ge2026-11-26", present, acts),
                    ("ge2026-11-26&role=S", present, mode_s),
                    ("lt2026-11-26", unchanged, acts),
                    ("lt2026-11-26&role=S", unchanged, mode_s)):
    want = sum(per.get(p, 0) for p in who)
    totals, got = fhir_pages("/fhir/v2/PractitionerRole?_count=%d&_lastUpdated=%s"
                             % (7 if q.startswith("ge") else 500, q))
    check("FHIR PractitionerRole?_lastUpdated=%s: total %d on each of its %d pages (%s)"
          % (q, want, len(totals), sorted(set(map(str, totals)))),
          len(got) == want and set(totals) == {want} and len(totals) > 1)
st, _, _ = get("/v1/practitioners/899999999999")
check("404 for a national id never known", st == 404)
for nid in [k[2] for k in truth if k[:2] == ("professional", "added")]:
    st, _, body = get("/v1/practitioners/" + nid)
    r = json.loads(body)
    check("added %s: 200, first_seen 2026-11-26" % nid,
          st == 200 and r.get("first_seen") == "2026-11-26")
    acts = r.get("activities", [])
    check("added %s: its activities first seen 2026-11-26" % nid,
          acts and all(a.get("first_seen") == "2026-11-26" for a in acts))
renamed_id = renamed[0]["id"]
st, _, body = get("/v1/practitioners/" + renamed_id)
check("a professional of the first import: first_seen null (unknown)",
      st == 200 and json.loads(body)["first_seen"] is None)
for addr in [k[2] for k in truth if k[:2] == ("mailbox", "removed")]:
    st, _, body = get("/v1/mssante/" + addr)
    r = json.loads(body)
    check("410 for removed mailbox %s" % addr,
          st == 410 and r.get("address") == addr and r.get("last_seen") == "2026-11-25")
for c in [c for c in seen if c["kind"] == "mailbox" and c["change"] == "changed"]:
    st, _, body = get("/v1/mssante/" + c["id"])
    r = json.loads(body)
    check("reassigned mailbox %s: 200, the new owner" % c["id"],
          st == 200 and (r.get("professional") or {}).get("id") == c["after"]["national_id"])
st, _, body = get("/v1/mssante/nobody@nowhere.mssante.fr")
check("404 for a mailbox never known", st == 404)
# The removed are in no search.
st, _, body = get("/v1/practitioners/" + gone[0])
last = json.loads(body)["last_name"]
st, _, body = get("/v1/search?limit=100&q=" + urllib.parse.quote(last))
ids = [x["id"] for x in json.loads(body)["results"]]
check("a removed professional is in no search result", gone[0] not in ids)

# CSV: RFC 4180 with ';', as the search's export.
st, hdr, body = get("/v1/changes.csv?since=2026-11-26&limit=1000")
check("CSV: 200 text/csv", st == 200 and hdr["Content-Type"].startswith("text/csv"))
rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
check("CSV: header and one row per change", len(rows) == len(truth) + 1)
crow = {(r[1], r[2], r[3]) for r in rows[1:]}
check("CSV: the same changes", crow == set(truth))
check("CSV: before/after are the JSON's",
      all((json.loads(r[8]) if r[8] else None) is not None or r[2] == "added" for r in rows[1:]))
st, hdr, body2 = get("/v1/changes?since=2026-11-26&limit=1000&format=csv")
check("format=csv is the same", st == 200 and body2 == body)

# Atom, read by a feed parser.
st, hdr, body = get("/v1/changes.atom?since=2026-11-26&limit=1000")
check("Atom: 200 application/atom+xml",
      st == 200 and hdr["Content-Type"].startswith("application/atom+xml"))
f = feedparser.parse(body, response_headers={
    "content-type": hdr["Content-Type"],
    "content-location": base + "/v1/changes.atom"})
check("Atom: well-formed (bozo %s %s)" % (f.bozo, f.get("bozo_exception")), not f.bozo)
check("Atom: one entry per change", len(f.entries) == len(truth))
check("Atom: entry ids unique", len({e.id for e in f.entries}) == len(f.entries))
check("Atom: updated dates", all(e.updated_parsed[:3] == (2026, 11, 26) for e in f.entries))
check("Atom: the feed's id, title, updated",
      f.feed.get("id") and f.feed.get("title") and f.feed.get("updated_parsed"))
titles = {e.title for e in f.entries}
check("Atom: titles name the changes",
      titles == {"%s %s: %s" % k for k in truth})
check("Atom: links resolve to the record",
      all(e.link.startswith(base + "/v1/") for e in f.entries))
st, _, small = get("/v1/changes.atom?since=2026-11-26&limit=5")
fs = feedparser.parse(small)
nxt = [l.href for l in fs.feed.links if l.rel == "next"]
check("Atom: a next link when paged", len(nxt) == 1 and "cursor=c" in nxt[0])

# Status and metrics.
st, _, body = get("/v1/status")
hist = json.loads(body)["history"]
counts = hist["imports"][0]["counts"]
check("status: the last import's counts",
      all(counts[k][c] == sum(1 for t in truth if t[:2] == (k, c))
          for k in counts for c in counts[k]))
check("status: history since the first import", hist["since"] == "2026-11-25")
check("status: the first import without history",
      hist["imports"][1]["history"].startswith("none"))
st, _, body = get("/metrics")
want = 'rpps_import_changes{kind="professional",change="removed"} %d' % len(gone)
check("metrics: " + want, want in body.decode())
EOF
check "python checks ran" grep -q "^ok " "$T/py.out"
while read -r res what; do
    if [ "$res" = ok ]; then ok; else ko "$what"; fi
done <"$T/py.out"
kill "$SRV_PID" 2>/dev/null
wait "$SRV_PID" 2>/dev/null
SRV_PID=

# Organizations gone (FHIR Organization?active=false): day 2's extracts
# without any line of one structure, as a third day over a copy of day 2:
# that structure, no longer named, is a tombstone dated day 3 (the day
# generator's changes remove no structure whole).
D3=202611270300
mkdir "$T/d3"
GONE_ORG=$("$PY" - "$T/d2" "$T/d3" $D2 $D3 <<'EOF'
import collections, os, sys, zipfile
src, dst, d2, d3 = sys.argv[1:5]
col = "Identifiant technique de la structure".encode()
for name in sorted(os.listdir(src)):
    zin = zipfile.ZipFile(os.path.join(src, name))
    zout = zipfile.ZipFile(os.path.join(dst, name.replace(d2, d3)), "w",
                           zipfile.ZIP_DEFLATED)
    for m in zin.namelist():
        data = zin.read(m)
        if "Personne_activite" in m:
            lines = data.split(b"\n")
            k = lines[0].split(b"|").index(col)
            n = collections.Counter(l.split(b"|")[k] for l in lines[1:] if l)
            one = min((c, s) for s, c in n.items() if s)[1]
            data = b"\n".join(l for l in lines
                              if not l or l.split(b"|")[k] != one)
            print(one.decode())
        zout.writestr(m.replace(d2, d3), data)
    zout.close()
EOF
)
check "day 3: a structure dropped ($GONE_ORG)" [ -n "$GONE_ORG" ]
cp "$T/day2.db" "$T/d3.db"
imp --db "$T/d3.db" "$T"/d3/*.zip >"$T/out8" 2>"$T/err8"
check "day 3 imports" [ $? -eq 0 ]
"$SRV" --db "$T/d3.db" --listen 127.0.0.1:0 --threads 2 2>"$T/srv3.log" &
SRV_PID=$!
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$T/srv3.log")
    [ -n "$PORT" ] && break
    sleep 0.1
done
"$PY" - "http://127.0.0.1:$PORT/fhir/v2" "$GONE_ORG" >"$T/py3.out" 2>&1 <<'EOF'
import json, sys, urllib.error, urllib.request
base, one = sys.argv[1], sys.argv[2]
def check(what, cond):
    print(("ok " if cond else "FAIL ") + what)
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
st, b = get("/Organization?active=false")
orgs = [e["resource"] for e in b.get("entry", [])]
check("FHIR Organization?active=false: the structure gone, %s (%s)"
      % (one, [r.get("id") for r in orgs]),
      st == 200 and b.get("total") == 1 and [r["id"] for r in orgs] == [one]
      and orgs[0]["active"] is False
      and set(orgs[0]) <= {"resourceType", "id", "meta", "identifier", "active"}
      and orgs[0]["meta"]["lastUpdated"] == "2026-11-27T00:00:00Z")
st, r = get("/Organization/" + one)
check("FHIR Organization/%s: its tombstone" % one,
      st == 200 and r.get("id") == one and r.get("active") is False)
st, b = get("/Organization?active=false&_id=" + one)
check("FHIR Organization?active=false&_id=: that one", b.get("total") == 1)
st, b = get("/Organization?active=false&name=a")
check("FHIR a gone Organization has no name: none", b.get("total") == 0)
st, b = get("/Organization?active=false&_lastUpdated=lt2026-11-27")
check("FHIR Organization?active=false&_lastUpdated=lt2026-11-27: none",
      b.get("total") == 0)
st, b = get("/Organization?_id=" + one)
check("FHIR Organization?_id=%s: not among the active" % one,
      b.get("total") == 0)
EOF
check "day 3 python checks ran" grep -q "^ok " "$T/py3.out"
while read -r res what; do
    if [ "$res" = ok ]; then ok; else ko "$what"; fi
done <"$T/py3.out"
kill "$SRV_PID" 2>/dev/null
wait "$SRV_PID" 2>/dev/null
SRV_PID=

# The same files again: history carried, no new change, the day's kept.

imp --db "$DB" --force "$T"/d2/*.zip >"$T/out3" 2>"$T/err3"
check "re-import exits 0" [ $? -eq 0 ]
check "re-import: nothing changed" \
    grep -q "professional=+0-0~0 activity=+0-0~0 mailbox=+0-0~0" "$T/out3"
check "re-import: the day's changes kept" \
    [ "$(q "$DB" 'select count(*) from change')" -eq "$(wc -l <"$T/truth.tsv")" ]
check "re-import: the removed kept" \
    [ "$(q "$DB" 'select count(*) from gone_professional')" -eq "$(cnt professional removed)" ]
# --keep-removed 0 and --keep-changes 0: the day's removals (a day old)
# and changes (older than today's) go.
imp --db "$DB" --force --keep-removed 0 --keep-changes 0 "$T"/d1/*.zip \
    >"$T/out4" 2>"$T/err4"
check "retention 0 import exits 0" [ $? -eq 0 ]
check "retention 0: older changes dropped" \
    [ "$(q "$DB" 'select count(*) from change where day < 20261125')" -eq 0 ]

# An older schema: imported over, without history, said so.
cp "$T/day2.db" "$T/old.db"
q "$T/old.db" "PRAGMA user_version = 2" >/dev/null
imp --db "$T/old.db" "$T"/d2/*.zip >"$T/out5" 2>"$T/err5"
check "over an older schema: imports" [ $? -eq 0 ]
check "over an older schema: history=none" grep -q "history=none" "$T/out5"
check "over an older schema: says why" grep -q "schema 2, not 3" "$T/err5"
check "over an older schema: the new file is schema 3" \
    [ "$(q "$T/old.db" 'pragma user_version')" -eq 3 ]
# A file that is not a database, and a truncated one: a good import all
# the same.
head -c 100000 /dev/urandom >"$T/junk.db"
imp --db "$T/junk.db" "$T"/d2/*.zip >"$T/out6" 2>"$T/err6"
check "over a file that is not a database: imports" [ $? -eq 0 ]
check "over a file that is not a database: history=none" \
    grep -q "history=none" "$T/out6"
cp "$T/day2.db" "$T/cut.db"
truncate -s $(($(stat -c %s "$T/cut.db") / 2)) "$T/cut.db"
imp --db "$T/cut.db" "$T"/d2/*.zip >"$T/out7" 2>"$T/err7"
check "over a truncated database: imports" [ $? -eq 0 ]
check "over a truncated database: history=none" grep -q "history=none" \
    "$T/out7"
check "over a truncated database: the result is whole" \
    [ "$(q "$T/cut.db" 'pragma quick_check')" = ok ]

echo "RESULT $PASS $FAIL"
