#!/usr/bin/env bash
# bench/parts.sh — CPU of a split run against one run (docs/performance.md,
# "Scale-out: parts and the merge").
#
#   bench/parts.sh PROVINCE [N=4] [ROUNDS=3] [J=1]
#
# PROVINCE is a directory written by scripts/gen-province.py (job.ini, keys).
# Alternates, ROUNDS times: `hedui -jJ run --force job.ini` and the split:
# `hedui -jJ run --prepare job.ini` (the members file), the N parts `hedui
# -jJ run --part K/N job.ini` one after another, then `hedui -jJ merge
# --force job.ini`; the run first in odd rounds, the split first in even
# ones; each command under /usr/bin/time. Prints per round the run's CPU
# (user + sys) and wall, the parts' summed CPU (the prepare job's included),
# the largest part's wall, the merge's CPU and wall, their peak RSS, the
# prepare job's CPU and wall, and (parts + merge) / run; then the medians
# and (parts + merge CPU) / run CPU of the medians and the median of the
# rounds' ratios. Checks that the merged directory equals the run's (diff
# -r). HEDUI: the binary (default build/hedui).
set -euo pipefail
prov=$(cd "$1" && pwd); n=${2:-4}; rounds=${3:-3}; j=${4:-1}
hedui=$(cd "$(dirname "${HEDUI:-build/hedui}")" && pwd)/$(basename "${HEDUI:-build/hedui}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$prov"
timed() { /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" "$@" >/dev/null 2>&1 || [ $? -eq 3 ]; cat "$tmp/t"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "round run_cpu run_wall parts_cpu parts_max_wall merge_cpu merge_wall run_rss_kb part_max_rss_kb merge_rss_kb prepare_cpu prepare_wall ratio"
run() { read -r rw ru rs rm <<<"$(timed "$hedui" -q -j "$j" run --force job.ini)"; }
split() {
    # the parts' CPU counts the prepare job's, which writes the members
    # file every part then reads (hedui run --prepare; new every round)
    rm -rf out/parts
    read -r qw qu qs _ <<<"$(timed "$hedui" -q -j "$j" run --prepare job.ini)"
    qc=$(echo "$qu + $qs" | bc); pc=$qc; pw=0; pr=0
    for k in $(seq 0 $((n - 1))); do
        read -r w u s m <<<"$(timed "$hedui" -q -j "$j" run --part "$k/$n" job.ini)"
        pc=$(echo "$pc + $u + $s" | bc); pw=$(echo "if ($w > $pw) $w else $pw" | bc); [ "$m" -gt "$pr" ] && pr=$m
    done
    read -r mw mu ms mm <<<"$(timed "$hedui" -q -j "$j" merge --force --parts "$n" job.ini)"
}
for r in $(seq "$rounds"); do
    # alternated: odd rounds the run first, even rounds the split first
    if [ $((r % 2)) -eq 1 ]; then run; else split; fi
    out=$(ls -d out/2026-*); rm -rf "$tmp/ref"; cp -r "$out" "$tmp/ref"
    if [ $((r % 2)) -eq 1 ]; then split; else run; fi
    diff -r "$tmp/ref" "$out" >/dev/null || { echo "round $r: merged directory differs from the run's" >&2; exit 1; }
    rc=$(echo "$ru + $rs" | bc); mc=$(echo "$mu + $ms" | bc)
    echo "$r $rc $rw $pc $pw $mc $mw $rm $pr $mm $qc $qw $(echo "scale=3; ($pc + $mc) / $rc" | bc)" | tee -a "$tmp/rows"
done
for c in 2 3 4 5 6 7; do median < <(cut -d' ' -f"$c" "$tmp/rows") ; done | paste -sd' ' | \
    awk -v mr="$(median < <(cut -d' ' -f13 "$tmp/rows"))" '{printf "median run_cpu %s run_wall %s parts_cpu %s parts_max_wall %s merge_cpu %s merge_wall %s; (parts+merge)/run CPU %.3f, parts/run %.3f; median of the rounds\047 ratios %s\n", $1, $2, $3, $4, $5, $6, ($3 + $5) / $1, $3 / $1, mr}'
