#!/bin/sh
# test_golden.sh — outputs stay byte-identical across refactors (issue 12).
#
# Generates fixed provinces with scripts/gen-province.py (fixed seeds) and
# fixed synthetic test keys (tests/golden/keys: made for this test only,
# never used for anything else), runs `hedui run` on them and compares the
# SHA-256 of every output file with tests/golden/*.sha256, which were
# recorded with the code before the refactor of issue 12.
#
# Every file a run publishes is listed except out/register.db (SQLite: it
# records the wall-clock time of the run) and out/.hedui.lock; the register's
# own content is covered by register/*.csv in the run directory.
#
# Cases: the demo province (5,000 households, the default seed), the
#   end-to-end province of test_e2e (300 households, seed 7) night 1 and a
#   night 2 with edits and `previous` (change report, register read), and a
#   bench-like province (several files per source) at -j1, -j2 and -j8.
#
#   sh tests/test_golden.sh            compare (exit 1 on any difference)
#   sh tests/test_golden.sh --update   record the digests again: only when a
#                                      change of outputs is intended, with the
#                                      reason in the commit message
# HEDUI_BIN names the binary (default build/hedui). Under HEDUI_MEMCHECK the
# test is skipped (it runs the binary, not a suite).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HEDUI=${HEDUI_BIN:-$ROOT/build/hedui}
GOLD=$ROOT/tests/golden
update=0
[ "${1:-}" = "--update" ] && update=1
T=$(mktemp -d /tmp/hedui-golden-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0

gen() {  # DIR ARGS...
    d=$1; shift
    python3 scripts/gen-province.py "$d" "$@" >/dev/null 2>&1
    rm -rf "$d/keys"; mkdir -p "$d/keys"
    cp "$GOLD/keys/pseudonym.key" "$GOLD/keys/signing.pem" "$GOLD/keys/signing.pub.pem" "$d/keys/"
    chmod 600 "$d/keys/pseudonym.key" "$d/keys/signing.pem"
}

run() {  # DIR THREADS
    (cd "$1" && "$HEDUI" run -j"$2" job.ini >"$T/run.log" 2>&1) || {
        rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || { echo "golden: hedui run failed in $1 ($rc)"; cat "$T/run.log"; exit 1; }; }
}

digest() {  # DIR NAME: the listing of DIR/out
    (cd "$1/out" && find . -type f ! -name register.db ! -name .hedui.lock ! -name '*.tmp' | LC_ALL=C sort |
        xargs sha256sum) > "$T/$2.sha256"
    if [ $update -eq 1 ]; then
        cp "$T/$2.sha256" "$GOLD/$2.sha256"
        echo "golden: recorded $2 ($(wc -l < "$T/$2.sha256") files)"
    elif ! diff -u "$GOLD/$2.sha256" "$T/$2.sha256" > "$T/$2.diff"; then
        echo "golden: $2 differs from tests/golden/$2.sha256:"; head -20 "$T/$2.diff"; fail=1
    else
        echo "golden: $2 identical ($(wc -l < "$T/$2.sha256") files)"
    fi
}

# the demo province (what `hedui demo` generates)
gen "$T/demo" --households 5000
run "$T/demo" 2
digest "$T/demo" demo

# the end-to-end province, night 1, then night 2 with edits and previous
gen "$T/e2e" --households 300 --background-factor 3 --seed 7
run "$T/e2e" 2
digest "$T/e2e" e2e-night1
night1=$(cd "$T/e2e/out" && ls -d 20*-* | head -1)
EDIT="python3 tests/fixtures/changes/edit.py"
picks=$($EDIT pick "$T/e2e/out/$night1" | grep -v '^vehicle' | head -3)
a1=$(echo "$picks" | sed -n 1p | cut -d' ' -f2)
a2=$(echo "$picks" | sed -n 2p | cut -d' ' -f2)
a3=$(echo "$picks" | sed -n 3p | cut -d' ' -f2)
$EDIT income "$T/e2e" "$a1" 1 900.00 >/dev/null
$EDIT deposit "$T/e2e" "$($EDIT ids "$T/e2e" "$a2" | head -1)" 6222990000000000041 900000.00 >/dev/null
$EDIT drop "$T/e2e" "$a3" >/dev/null
sed -i "s|^output .*|&\nprevious = out/$night1|" "$T/e2e/job.ini"
run "$T/e2e" 2
rm -rf "$T/e2e/out/$night1"
digest "$T/e2e" e2e-night2

# a bench-like province: several files per source, at -j1, -j2, -j8
gen "$T/bench" --households 2000 --background-factor 6 --files-per-source 4 --seed 3
for j in 1 2 8; do
    rm -rf "$T/bench/out"
    run "$T/bench" $j
    digest "$T/bench" bench
done

[ $fail -eq 0 ] || { echo "golden: outputs changed (tests/test_golden.sh --update only when intended)"; exit 1; }
