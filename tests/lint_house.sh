#!/bin/sh
# lint_house.sh — who may call whom (docs/architecture.md, issue 12).
#
# 1. No engine file calls into a folder listed after its own in the house's
#    order (util io text ident sources model rules report register batch
#    index http cli): read from the symbols of the built objects (nm), so a
#    call through any header counts. Each object is the one its source in
#    engine/ builds (build/engine/FOLDER/NAME.o); files of engine/ itself
#    (error.c) belong to every folder.
# 2. No file outside engine/batch/ includes batch/internal.h (engine/,
#    tests/, bench/).
# Prints each offence as "FROM -> TO: SYMBOL (OBJECT)" or "FILE: includes
# batch/internal.h" and exits 1 when there is one. Needs the objects: run
# after `make` (make test does).
#   sh tests/lint_house.sh [BUILD]   (default $HEDUI_BUILD, else build)
cd "$(dirname "$0")/.."
build=${1:-${HEDUI_BUILD:-build}}
order="util io text ident sources model rules report register batch index http cli"
bad=0
objs=""
for c in $(find engine -mindepth 2 -name '*.c' | LC_ALL=C sort); do
    o=$build/${c%.c}.o
    [ -f "$o" ] || { echo "lint_house: $o is missing (make first)"; exit 1; }
    objs="$objs $o"
done
# nm -A: "OBJECT: [ADDR] TYPE SYMBOL"; defined globals (T D B R C) give a
# symbol's folder, undefined ones (U) a use
out=$(nm -A $objs | awk -v order="$order" '
BEGIN { n = split(order, f, " "); for (i = 1; i <= n; i++) rank[f[i]] = i }
{
    obj = $1; sub(/:$/, "", obj)
    split(obj, p, "/"); dir = p[3]
    type = $(NF - 1); sym = $NF
    if (type == "U") { use[++nu] = dir " " sym " " obj }
    else if (type ~ /^[TDBRC]$/) def[sym] = dir
}
END {
    for (i = 1; i <= nu; i++) {
        split(use[i], u, " ")
        to = def[u[2]]
        if (to == "" || to == u[1]) continue
        if (rank[to] > rank[u[1]]) printf "%s -> %s: %s (%s)\n", u[1], to, u[2], u[3]
    }
}')
if [ -n "$out" ]; then echo "$out" | LC_ALL=C sort -u; bad=1; fi
for f in $(grep -rl --include='*.c' --include='*.h' 'batch/internal\.h' engine tests bench 2>/dev/null); do
    case $f in engine/batch/*) ;; *) echo "$f: includes batch/internal.h"; bad=1 ;; esac
done
[ $bad -eq 0 ] && echo "lint_house: no call into a higher folder, batch/internal.h only in engine/batch/"
exit $bad
