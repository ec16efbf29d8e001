#!/bin/sh
# lint_doc.sh — every public function says what it returns (issue 12).
#
# In include/hedui/*.h (or the headers given), a prototype whose return type
# is not void, and a typedef of a callback that returns a value, must have
# `@return` in the comment block just before it. Prototypes that follow one
# another without a blank line share the comment above the first of them.
# A prototype is what the headers' style makes of one: a line at column 0
# that starts a declaration with '(' and ends, on that line or a later one,
# in ';' (not a preprocessor line, a typedef of a type, a struct or an enum).
# Prints each one without as HEADER:LINE NAME and exits 1 when there is one.
#   sh tests/lint_doc.sh [HEADER...]     (default include/hedui/*.h)
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- include/hedui/*.h
awk '
function report(line, decl,   nm, ty) {
    nm = decl; sub(/\(.*/, "", nm); sub(/[ \t]+$/, "", nm)
    ty = nm; sub(/[A-Za-z_][A-Za-z_0-9]*$/, "", ty); gsub(/^[ \t]+|[ \t]+$/, "", ty)
    sub(/.*[ *]/, "", nm)
    if (ty == "void" || ty == "extern void") return
    if (!doc) { printf "%s:%d %s: no @return in the comment just before it\n", FILENAME, line, nm; bad = 1 }
}
FNR == 1 { incomment = 0; doc = 0; cmt = 0; indecl = 0 }
# a comment block at column 0: remember whether it holds @return
!indecl && !incomment && /^\/\*/ {
    doc = 0; cmt = 1; incomment = 1
}
incomment {
    if ($0 ~ /@return/) doc = 1
    if ($0 ~ /\*\//) incomment = 0
    next
}
# the rest of a prototype cut over several lines
indecl {
    if ($0 ~ /;/) indecl = 0
    next
}
# a callback type that returns a value: typedef T (*name)(...)
/^typedef[ \t].*\([ \t]*\*[ \t]*[A-Za-z_][A-Za-z_0-9]*[ \t]*\)[ \t]*\(/ {
    d = $0; sub(/^typedef[ \t]+/, "", d); ty = d; sub(/\(.*/, "", ty); gsub(/[ \t]+$/, "", ty)
    if (ty != "void") {
        nm = d; sub(/^[^(]*\([ \t]*\*[ \t]*/, "", nm); sub(/[ \t]*\).*/, "", nm)
        if (!(cmt && doc)) { printf "%s:%d %s: no @return in the comment just before it\n", FILENAME, FNR, nm; bad = 1 }
    }
    if ($0 !~ /;/) indecl = 1
    next
}
# a prototype: it keeps the comment above for the prototypes right after it
/^[A-Za-z_]/ && /\(/ && !/^(typedef|struct|union|enum|extern "C")[ \t{]/ {
    doc = cmt && doc
    report(FNR, $0)
    if ($0 !~ /;/) indecl = 1
    next
}
# anything else (a blank line, a type, a macro, a closing brace) ends it
{ cmt = 0; doc = 0 }
END { exit bad }
' "$@" || exit 1
