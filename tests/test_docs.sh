#!/bin/sh
# tests/test_docs.sh - documentation and installation checks.
#
#   sh tests/test_docs.sh            (from the repository root, after `make build/hedui`)
#
# (a) docs/hedui.1 renders with groff -man -ww without a warning;
# (b) `make install PREFIX=$tmp` installs every file, pkg-config finds hedui.pc,
#     a small C program links against the installed libhedui.a, and the installed
#     `hedui --version` and `hedui demo`'s generator lookup work;
# (c) every `hedui <cmd>` named in docs/*.md is a command of `build/hedui help`;
# (d) every [format] key in docs/formats.md's table is accepted by `hedui check`;
# (e) the man page's FILES name every output; README's guide list names every guide;
#     help, man page and docs/commands.md say what demo's last line is.
# Exits non-zero on any failure; the last line is "N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
HEDUI=$ROOT/$BUILD/hedui
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hedui-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

[ -x "$HEDUI" ] || make --no-print-directory "$BUILD/hedui" >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log"; echo "0 passed, 1 failed"; exit 1; }

# ------------------------------------------------------------------ (a) man page
if command -v groff >/dev/null 2>&1; then
    if groff -man -Tutf8 -ww -z docs/hedui.1 >"$tmp/groff.out" 2>&1 && [ ! -s "$tmp/groff.out" ]; then
        ok "groff -man -ww renders docs/hedui.1 without warnings"
    else
        bad "groff warnings in docs/hedui.1:"; sed 's/^/     /' "$tmp/groff.out"
    fi
    if LC_ALL=C.UTF-8 MANWIDTH=80 man -l docs/hedui.1 >"$tmp/man.txt" 2>"$tmp/man.err" && [ ! -s "$tmp/man.err" ]; then
        ok "man -l docs/hedui.1 renders without warnings"
    else
        bad "man -l docs/hedui.1:"; sed 's/^/     /' "$tmp/man.err"
    fi
    for sec in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
        grep -q "^$sec" "$tmp/man.txt" 2>/dev/null || bad "man page lacks section $sec"
    done
    for code in 0 2 3 65 66 70 74 75 78; do
        grep -Eq "^ +$code\$|^ +$code  " "$tmp/man.txt" || bad "man page: exit code $code not listed"
    done
    ok "man page sections and exit codes checked"
else
    bad "groff is not installed (apt-get install groff-base man-db)"
fi

# ------------------------------------------------------------------ (b) install
inst=$tmp/prefix
if make --no-print-directory install PREFIX="$inst" >"$tmp/install.log" 2>&1; then
    ok "make install PREFIX=$inst"
else
    bad "make install failed:"; tail -20 "$tmp/install.log"
fi
missing=""
for f in bin/hedui lib/libhedui.a lib/pkgconfig/hedui.pc include/hedui/batch.h \
         include/hedui/error.h include/hedui/check.h share/man/man1/hedui.1 \
         share/hedui/scripts/gen-province.py share/hedui/formats/applicants.fmt \
         share/hedui/formats/deposit-bank-a.fmt share/hedui/policy/yunnan.policy \
         share/hedui/policy/standards.csv share/hedui/data/admin-codes/yunnan_mca_201904.csv; do
    [ -f "$inst/$f" ] || missing="$missing $f"
done
for h in include/hedui/*.h; do [ -f "$inst/$h" ] || missing="$missing $h"; done
[ -z "$missing" ] && ok "installed files present" || bad "not installed:$missing"
[ -x "$inst/bin/hedui" ] && [ "$(stat -c %a "$inst/bin/hedui")" = 755 ] && ok "bin/hedui is 0755" || bad "bin/hedui mode"

if out=$("$inst/bin/hedui" --version 2>&1) && echo "$out" | grep -Eq '^hedui [0-9]+\.[0-9]+\.[0-9]+$'; then
    ok "installed hedui --version: $out"
else
    bad "installed hedui --version: $out"
fi

export PKG_CONFIG_PATH="$inst/lib/pkgconfig"
if flags=$(pkg-config --cflags --libs hedui 2>&1); then
    ok "pkg-config --cflags --libs hedui: $flags"
    pkg-config --modversion hedui | grep -q "$("$inst/bin/hedui" --version | cut -d' ' -f2)" \
        && ok "pkg-config version matches hedui --version" || bad "pkg-config version differs"
    cat >"$tmp/v.c" <<'EOF'
#include <stdio.h>
#include <hedui/batch.h>
int main(void)
{
    printf("%s\n", HD_ENGINE_VERSION);
    return 0;
}
EOF
    # shellcheck disable=SC2086
    if ${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/v" "$tmp/v.c" $(pkg-config --cflags hedui) \
            $(pkg-config --libs hedui) >"$tmp/cc.log" 2>&1 && \
       [ "$("$tmp/v")" = "$("$inst/bin/hedui" --version | cut -d' ' -f2)" ]; then
        ok "C program with <hedui/batch.h> builds against the installed library, prints $("$tmp/v")"
    else
        bad "C program against the installed library:"; cat "$tmp/cc.log"
    fi
    # a program that really links engine code (not only the header macro)
    cat >"$tmp/l.c" <<'EOF'
#include <stdio.h>
#include <hedui/batch.h>
#include <hedui/record.h>
int main(void)
{
    printf("%s %s\n", HD_ENGINE_VERSION, hd_kind_name(HD_KIND_DEPOSIT));
    return 0;
}
EOF
    # shellcheck disable=SC2086
    if ${CC:-cc} -std=c11 -o "$tmp/l" "$tmp/l.c" $(pkg-config --cflags --libs hedui) >"$tmp/cc2.log" 2>&1 \
       && "$tmp/l" | grep -q ' deposit$'; then
        ok "C program linking engine code (hd_kind_name) against libhedui.a"
    else
        bad "link against libhedui.a:"; cat "$tmp/cc2.log"
    fi
else
    bad "pkg-config --cflags --libs hedui: $flags"
fi
unset PKG_CONFIG_PATH

# the installed demo finds its generator under share/hedui/scripts (not the build tree)
if (cd "$tmp" && env -u HEDUI_SCRIPTS "$inst/bin/hedui" demo -q --households 20 "$tmp/demo") >"$tmp/demo.log" 2>&1; then
    ok "installed hedui demo runs (generator found in share/hedui/scripts)"
else
    bad "installed hedui demo:"; tail -5 "$tmp/demo.log"
fi

# ------------------------------------------------------------------ (c) commands named in docs
"$HEDUI" help >"$tmp/help.txt" 2>&1
# in code spans (`hedui run ...`) and at the start of lines inside fenced code blocks
cmds=$( { grep -ohE '`hedui +[a-z][a-z-]*' docs/*.md;
          awk '/^ *```/ { f = !f; next } f' docs/*.md | grep -oE '^[[:space:]]*([$#] +)?(sudo +(-u +[a-z]+ +)?)?hedui +[a-z][a-z-]*'; } |
        sed -E 's/.*hedui +//' | sort -u)
n=0
for c in $cmds; do
    if grep -Eq "^  hedui $c( |\$)" "$tmp/help.txt"; then n=$((n + 1)); else bad "docs name 'hedui $c', which is not in 'hedui help'"; fi
done
[ "$n" -gt 0 ] && ok "$n command(s) named in docs/*.md exist in 'hedui help'"
# and every command of `hedui help` is in the man page
for c in $(sed -n 's/^  hedui \([a-z][a-z]*\).*/\1/p' "$tmp/help.txt" | sort -u); do
    grep -q "^\.B $c\$\|^\.B $c \|^\.BI \"$c\|^\.BI $c\|^\.B audit verify" docs/hedui.1 || bad "man page lacks command $c"
done
ok "every 'hedui help' command is in the man page"

# ------------------------------------------------------------------ (d) descriptor keys
if [ -f docs/formats.md ]; then
    keys=$(sed -n '/^## \[format\]/,/^## /p' docs/formats.md | sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' | sort -u)
    [ -n "$keys" ] || bad "no [format] keys found in docs/formats.md"
    printf 'id,amount\n530102198001010015,12.50\n' >"$tmp/k.csv"
    for k in $keys; do
        case $k in
            kind) v=deposit ;; encoding) v=utf-8 ;; delimiter) v=comma ;; quote) v='"' ;;
            header) v=yes ;; fields) v=2 ;; skip) v=0 ;; trailer) v=none ;; id_form) v=number ;;
            status_letters) v=no ;; max_line) v=4096 ;; max_bytes) v=1000000 ;;
            *) bad "docs/formats.md names [format] key '$k' unknown to this test"; continue ;;
        esac
        {
            echo "[format]"
            [ "$k" = kind ] || echo "kind = deposit"
            echo "$k = $v"
            echo "[columns]"; echo "id_number = id"; echo "balance = amount"
            echo "[units]"; echo "balance = yuan"
        } >"$tmp/k.fmt"
        "$HEDUI" check -q --as-of 2026-11-28 --format "$tmp/k.fmt" "$tmp/k.csv" >"$tmp/k.out" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then ok "[format] $k = $v accepted by hedui check"
        else bad "[format] $k = $v: hedui check exit $rc: $(cat "$tmp/k.out")"; fi
    done
    # a bad value of a documented key gives exit 78 (bad descriptor)
    printf '[format]\nkind = deposit\ntrailer = sometimes\n[columns]\nid_number = id\nbalance = amount\n[units]\nbalance = yuan\n' >"$tmp/bad.fmt"
    "$HEDUI" check -q --format "$tmp/bad.fmt" "$tmp/k.csv" >/dev/null 2>&1
    [ $? -eq 78 ] && ok "a bad [format] value exits 78" || bad "a bad [format] value does not exit 78"
    # every shipped descriptor is accepted (exit 0 or 65 on an empty file, never 78)
    for f in formats/*.fmt; do
        : >"$tmp/empty.csv"
        "$HEDUI" check -q --format "$f" "$tmp/empty.csv" >/dev/null 2>&1
        rc=$?
        [ $rc -ne 78 ] || bad "$f rejected as a descriptor"
    done
    ok "every formats/*.fmt loads"
else
    bad "docs/formats.md is missing"
fi

# ------------------------------------------------------------------ (e) one wording
# The exit codes (and the other operator facts of SPEC §8 listed in
# `hedui help`) are said the same way in `hedui help`, docs/hedui.1 and
# docs/operator-guide.md: every phrase of help's "Exit codes:" block is in
# the other two (whitespace, case, markdown and roff markup ignored).
norm() { tr '\n' ' ' | sed -e 's/\*\*//g' -e 's/`//g' -e 's/\\-/-/g' -e 's/  */ /g' | tr 'A-Z' 'a-z'; }
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -rHY=0 -rLL=2000n docs/hedui.1 2>/dev/null | col -bx | norm >"$tmp/man.norm"
else
    norm <docs/hedui.1 >"$tmp/man.norm"
fi
norm <docs/operator-guide.md >"$tmp/guide.norm"
"$HEDUI" help | awk '/^Exit codes:/ {on=1; next} on && /^$/ {exit} on' >"$tmp/exit.txt"
# one phrase per code: "  66  text" plus continuation lines "      more"
awk '/^  [0-9]+  / {if (p != "") print p; sub(/^  [0-9]+  +/, ""); p=$0; next}
     /^      / {sub(/^ +/, ""); p=p " " $0; next}
     /^  [A-Z]/ {if (p != "") print p; p=""; sub(/^ +/, ""); print; next}
     END {if (p != "") print p}' "$tmp/exit.txt" >"$tmp/phrases.txt"
np=0
while IFS= read -r ph; do
    ph_n=$(printf '%s' "$ph" | norm | sed 's/ $//')
    np=$((np + 1))
    grep -qF -- "$ph_n" "$tmp/man.norm" || bad "docs/hedui.1 does not say (as 'hedui help' does): $ph"
    grep -qF -- "$ph_n" "$tmp/guide.norm" || bad "docs/operator-guide.md does not say (as 'hedui help' does): $ph"
done <"$tmp/phrases.txt"
[ "$np" -ge 10 ] && ok "$np exit-code phrases of 'hedui help' said the same way in hedui.1 and operator-guide.md" \
    || bad "'hedui help' lists only $np exit-code phrases"
# the operations of `hedui help run` ("  - " items, continued by 4 spaces)
"$HEDUI" help run | awk '/^Operations:/ {on=1; next} on && /^$/ {exit} on' |
    awk '/^  - / {if (p != "") print p; sub(/^  - /, ""); p=$0; next}
         /^    / {sub(/^ +/, ""); p=p " " $0; next}
         END {if (p != "") print p}' >"$tmp/ops.txt"
no=0
while IFS= read -r ph; do
    ph_n=$(printf '%s' "$ph" | norm | sed 's/ $//')
    no=$((no + 1))
    grep -qF -- "$ph_n" "$tmp/man.norm" || bad "docs/hedui.1 does not say (as 'hedui help run' does): $ph"
    grep -qF -- "$ph_n" "$tmp/guide.norm" || bad "docs/operator-guide.md does not say (as 'hedui help run' does): $ph"
done <"$tmp/ops.txt"
[ "$no" -ge 3 ] && ok "$no operations of 'hedui help run' said the same way in hedui.1 and operator-guide.md" \
    || bad "'hedui help run' lists only $no operations"

# ------------------------------------------------------------------ (f) outputs and guides named
# the man page's FILES names every output kind a run writes
files=$(sed -n '/^\.SH FILES/,/^\.SH /p' docs/hedui.1)
for f in households.csv members.csv results.xlsx changes.csv report.html households.jsonl matches.jsonl \
         summary.json manifest.json manifest.sig; do
    printf '%s' "$files" | grep -q "$f" || bad "the man page's FILES do not name $f"
done
ok "the man page's FILES name every output"
# README's guide list names every guide in docs/ (the reference docs apart)
guides=$(sed -n '/^Guides:/,/^$/p' README.md)
for g in docs/*-guide.md docs/changes.md docs/formats.md docs/hedui.1; do
    printf '%s' "$guides" | grep -q "$g" || bad "README's guide list does not name $g"
done
ok "README's guide list names every guide"
# the demo's help says what its last line is, as docs/commands.md and the man page do
"$HEDUI" help demo 2>&1 | grep -q "audit verify command" || bad "'hedui help demo' does not say its last line is the audit verify command"
grep -q "the command that verifies the bundle, ready to paste" docs/commands.md || bad "docs/commands.md: demo's last line undocumented"
grep -q "command for the run, with hedui as it was started" docs/hedui.1 || bad "man page: demo's last line undocumented"
ok "demo's last line documented in help, man page and docs/commands.md"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
