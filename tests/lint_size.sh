#!/bin/sh
# lint_size.sh — no function in engine/ is over 120 lines (issue 12).
#
# A function is what the house's style makes of one: a line at column 0
# that is not a comment, a preprocessor line or a declaration ending in
# ';', followed by '{' at column 0 (or ending in '{'), up to the next '}'
# at column 0. Its length counts every line from the signature to the
# closing brace. Prints each function over the limit as FILE:LINE NAME
# LINES and exits 1 when there is one.
#   sh tests/lint_size.sh [LIMIT]     (default 120)
cd "$(dirname "$0")/.."
limit=${1:-120}
find engine -name '*.c' | LC_ALL=C sort | xargs awk -v limit="$limit" '
FNR == 1 { sig = ""; inside = 0 }
!inside && /^[A-Za-z_].*\(/ && !/;[ \t]*$/ && !/^(typedef|struct [a-z_]+ \{|enum|#)/ { sig = $0; sigline = FNR; next_brace = 1 }
!inside && /^\{/ && sig != "" { inside = 1; start = sigline; name = sig; next }
!inside && sig != "" && /\)[ \t]*\{[ \t]*$/ && /^[A-Za-z_]/ { inside = 1; start = FNR; name = $0; next }
inside && /^\}/ {
    n = FNR - start + 1
    if (n > limit) {
        nm = name; sub(/\(.*/, "", nm); sub(/.*[ *]/, "", nm)
        printf "%s:%d %s %d lines\n", FILENAME, start, nm, n; bad = 1
    }
    inside = 0; sig = ""
}
END { exit bad }
' || exit 1
