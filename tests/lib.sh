# Sourced (not run) by the end-to-end scripts that count their checks in
# PASS and FAIL, which each sets to 0 and prints on its RESULT line.
# ok, ko "why": one more passed, one more failed (said on stderr).
ok() { PASS=$((PASS + 1)); }
ko() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }
# check "what" command...: ok if the command succeeds, else ko "what".
check() {
    cwhat="$1"
    shift
    if "$@"; then ok; else ko "$cwhat"; fi
}
