#!/usr/bin/env bash
# scripts/slurm/test-slurm.sh — `make test-slurm`: hedui's scale-out on a real
# single-node Slurm (SPEC §12), as root on a fresh machine without systemd.
#
#   1. installs slurmctld, slurmd, slurm-client and munge when missing
#      (scripts/install-deps slurm) and starts them (local-slurm start);
#   2. generates a small province (scripts/gen-province.py) and runs
#      `hedui run` on it: the reference run directory;
#   3. for N = 1, 2, 4, 7: scripts/slurm/hedui-slurm -n N, exit 0, its
#      prepare job, every part and the merge COMPLETED, the members file
#      written, and the run directory it leaves equals the reference byte
#      for byte (diff -r, which also fails on a file only one side has);
#   4. one extract made unreadable (a directory where the file was): the
#      driver exits non-zero naming the failed part, and no run directory
#      appears;
#   5. stops every daemon it started (trap), whatever happened.
#
# Environment: BUILD (build), HOUSEHOLDS (200), HEDUI_SLURM_STATE (a fresh
# temporary directory).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
HEDUI=$ROOT/$BUILD/hedui
HOUSEHOLDS=${HOUSEHOLDS:-200}
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

[ "$(id -u)" -eq 0 ] || { echo "make test-slurm runs a Slurm node: run it as root"; exit 1; }
sh scripts/install-deps slurm || { echo "cannot install the Slurm packages"; exit 1; }
[ -x "$HEDUI" ] || make --no-print-directory "$BUILD/hedui" || exit 1

work=$(mktemp -d /tmp/hedui-slurm-test.XXXXXX) || exit 1
chmod 0755 "$work"
export HEDUI_SLURM_STATE=${HEDUI_SLURM_STATE:-$work/slurm}
started=0
cleanup() {
    [ $started -eq 1 ] && scripts/slurm/local-slurm stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
if conf=$(scripts/slurm/local-slurm start); then
    started=1
    export SLURM_CONF=$conf
    ok "single-node Slurm started in $(( $(date +%s) - t0 )) s ($(hostname -s))"
else
    started=1
    bad "local-slurm start"
    echo "$pass passed, $fail failed"; exit 1
fi

prov=$work/province
python3 scripts/gen-province.py "$prov" --households "$HOUSEHOLDS" --background-factor 3 --seed 16 >/dev/null 2>&1 \
    || { bad "gen-province.py"; echo "$pass passed, $fail failed"; exit 1; }
rmdir "$prov/keys" 2>/dev/null
"$HEDUI" keygen "$prov/keys" >/dev/null || { bad "hedui keygen"; exit 1; }
(cd "$prov" && "$HEDUI" -q run job.ini) && ok "hedui run: the reference" || bad "hedui run exit $?"
mv "$prov"/out/2026-* "$work/ref" && rm -rf "$prov/out"
nfiles=$(ls "$prov"/extracts/*/* | wc -l)

for n in 1 2 4 7; do
    rm -rf "$prov/out" "$prov/slurm-logs"
    t=$(date +%s)
    scripts/slurm/hedui-slurm -n "$n" --hedui "$HEDUI" "$prov/job.ini" >"$work/driver-$n.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then bad "N=$n: driver exit $rc"; sed 's/^/     /' "$work/driver-$n.out"; continue; fi
    # the run directories (<as_of>-<digest>), not parts/, the register's files or latest
    runs=$(ls "$prov/out" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}-')
    if [ "$(echo "$runs" | wc -l)" -eq 1 ] && diff -r "$work/ref" "$prov/out/$runs" >"$work/diff-$n.out" 2>&1; then
        ok "N=$n ($nfiles extract files): merged run directory equals hedui run's, byte for byte ($(( $(date +%s) - t )) s)"
    else
        bad "N=$n: the run directory differs from hedui run's"; head -20 "$work/diff-$n.out" | sed 's/^/     /'
    fi
    [ "$(grep -c '^part [0-9]* of '"$n"': COMPLETED' "$work/driver-$n.out")" -eq "$n" ] && grep -q '^merge: COMPLETED' "$work/driver-$n.out" \
        && grep -q '^prepare: COMPLETED' "$work/driver-$n.out" && ls "$prov"/out/parts/*/members >/dev/null 2>&1 \
        && ok "N=$n: the driver reports the prepare job, every part and the merge COMPLETED" || bad "N=$n: driver report: $(cat "$work/driver-$n.out")"
done

# one part fails: an extract only that part reads is a directory
broken=$work/broken
mkdir "$broken" && (cd "$prov" && cp -r inbox roster monitor extracts formats policy keys job.ini "$broken/")
victim=$(ls "$broken"/extracts/bank-a/* | head -1)
rm -f "$victim" && mkdir "$victim"
scripts/slurm/hedui-slurm -n 4 --hedui "$HEDUI" "$broken/job.ini" >"$work/driver-fail.out" 2>&1
rc=$?
[ $rc -ne 0 ] && ok "a failed part: driver exit $rc" || bad "a failed part: driver exit 0"
if [ "$(grep -c 'hedui-slurm: part [0-3] of 4 failed' "$work/driver-fail.out")" -eq 1 ]; then
    ok "the driver names the failed part: $(grep -o 'part [0-3] of 4 failed' "$work/driver-fail.out")"
else
    bad "the driver does not name exactly one failed part:"; sed 's/^/     /' "$work/driver-fail.out"
fi
if [ -z "$(ls "$broken/out" 2>/dev/null | grep -v '^parts$')" ]; then
    ok "no run directory written after a failed part"
else
    bad "a run directory appeared after a failed part: $(ls "$broken/out")"
fi
grep -q '^merge: CANCELLED' "$work/driver-fail.out" && ok "the merge was cancelled, not run" \
    || bad "merge state: $(grep '^merge:' "$work/driver-fail.out")"

echo "$pass passed, $fail failed ($(( $(date +%s) - t0 )) s)"
[ $fail -eq 0 ]
