#!/bin/sh
# Runs test suites JOBS at a time (make test, make memcheck): each suite's
# output goes to LOGDIR/<name>.log and is printed whole when the suite ends, so
# two suites never interleave; the names of the suites that failed are printed
# last, where a CI log's tail shows them.
#
#   tests/run_suites.sh JOBS LOGDIR LABEL SUITE...
#
# A SUITE ending in .sh runs with sh; any other is an executable, run under
# $SUITE_RUNNER when set (make memcheck sets it to valgrind and its flags).
# Suites are started in the order given: put the longest first.
set -u
jobs=$1 logdir=$2 label=$3
shift 3
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
rm -rf "$logdir"
mkdir -p "$logdir"
: > "$logdir/.failed"
start=$(date +%s)

one() {
  s=$1
  name=$(basename "$s")
  log="$logdir/$name.log"
  t0=$(date +%s)
  case "$s" in
    *.sh) sh "$s" > "$log" 2>&1 ;;
    *) ${SUITE_RUNNER:-} "$s" > "$log" 2>&1 ;;
  esac
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  (
    flock 9
    if [ $rc -eq 0 ]; then echo "== $s ($secs s)"; else echo "== $s ($secs s): FAILED, exit $rc"; fi
    cat "$log"
    [ $rc -eq 0 ] || echo "$s (exit $rc, log $log)" >> "$logdir/.failed"
  ) 9> "$logdir/.lock"
}

if [ "$jobs" -eq 1 ]; then
  for s in "$@"; do one "$s"; done
else
  # a pool of $jobs workers, each taking the next suite from a shared queue
  i=0
  for s in "$@"; do echo "$s"; done > "$logdir/.queue"
  worker() {
    while :; do
      s=$( (flock 8; s=$(head -n 1 "$logdir/.queue"); [ -n "$s" ] && sed -i 1d "$logdir/.queue"; echo "$s") 8> "$logdir/.qlock")
      [ -n "$s" ] || return 0
      one "$s"
    done
  }
  while [ $i -lt "$jobs" ]; do worker & i=$((i + 1)); done
  wait
fi

echo "$label: $# suites, $jobs at a time, $(( $(date +%s) - start )) s"
if [ -s "$logdir/.failed" ]; then
  echo "$label: FAILED:"
  sed 's/^/  /' "$logdir/.failed"
  # the failures again, last, where a CI log's tail keeps them
  for log in $(sed 's/.*log \(.*\))$/\1/' "$logdir/.failed"); do
    echo "-- $log (last lines):"
    tail -n 15 "$log" | sed 's/^/  /'
  done
  exit 1
fi
echo "$label: all suites passed"
