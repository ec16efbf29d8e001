#!/bin/sh
# tests/golden/golden.sh — outputs stay byte-identical (issue 17).
#
# Generates two synthetic provinces with scripts/gen-province.py (the e2e
# province of tests/test_e2e.c, and a small bench-like one: several files per
# source, as bench/bench.py writes them), gives them fixed synthetic test keys
# (derived from fixed bytes below, so that pseudonyms and signatures are the
# same on every machine), runs `hedui run --force` at -j1, -j2 and -j8, and
# compares the SHA-256 of every file of the run directory with
# tests/golden/outputs.sha256, recorded from the build before the scan changes.
# Every -j must give the recorded bytes.
#
#   sh tests/golden/golden.sh            check (exit 1 on any difference)
#   sh tests/golden/golden.sh --update   record the current build's outputs
#
# A change that is meant to change outputs (a new column, a new rule) records
# them again with --update and says so in its commit; a speed change never does.
# Env: HEDUI_BIN (build/hedui), GOLDEN_DIR (where provinces are cached:
# /tmp/hedui-golden-<digest of the generator>).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${HEDUI_BIN:-$ROOT/build/hedui}
SUMS=$ROOT/tests/golden/outputs.sha256
GEN=$ROOT/scripts/gen-province.py
DIGEST=$(sha256sum "$GEN" | cut -c1-12)
DIR=${GOLDEN_DIR:-/tmp/hedui-golden-$DIGEST}
UPDATE=0
[ "${1:-}" = --update ] && UPDATE=1

# name|generator arguments
PROVINCES="e2e|--households 300 --background-factor 3 --seed 7
benchlike|--households 1500 --background-factor 4 --files-per-source 4 --seed 20261128"

keys() {    # fixed synthetic test keys (not secret, test only)
    k=$1/keys
    rm -rf "$k" && mkdir -p "$k" && chmod 700 "$k"
    printf 'id=k0123456789ab\nkey=%s\n' \
        "$(printf 'hedui golden test pseudonym key' | sha256sum | cut -c1-64)" > "$k/pseudonym.key"
    seed=$(printf 'hedui golden test signing key' | sha256sum | cut -c1-64)
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
        "302e020100300506032b657004220420$seed" | openssl pkey -inform DER -out "$k/signing.pem"
    openssl pkey -in "$k/signing.pem" -pubout -out "$k/signing.pub.pem"
    chmod 600 "$k/pseudonym.key" "$k/signing.pem"
}

mkdir -p "$DIR"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.j" "$tmp"-first-*' EXIT
echo "$PROVINCES" | while IFS='|' read -r name args; do
    p=$DIR/$name
    if [ ! -f "$p/.complete" ]; then
        rm -rf "$p"
        # shellcheck disable=SC2086
        python3 "$GEN" "$p" $args >/dev/null
        keys "$p"
        touch "$p/.complete"
    fi
    for j in 1 2 8; do
        rm -rf "$p/out"
        rc=0
        "$BIN" -q run --force -j "$j" "$p/job.ini" >/dev/null || rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "golden: $name -j$j: hedui exited $rc" >&2; exit 1; }
        run=$(find "$p/out" -mindepth 1 -maxdepth 1 -type d | head -1)
        (cd "$run" && find . -type f | LC_ALL=C sort | xargs sha256sum) |
            sed "s|^\([0-9a-f]*\)  \./|$name \1 |" > "$tmp.j"
        if [ "$j" = 1 ]; then cp "$tmp.j" "$tmp-first-$name"; cat "$tmp.j" >> "$tmp"
        elif ! cmp -s "$tmp.j" "$tmp-first-$name"; then
            echo "golden: $name: outputs of -j$j differ from -j1:" >&2
            diff "$tmp-first-$name" "$tmp.j" >&2 || true
            rm -f "$tmp-first-$name"; exit 1
        fi
    done
    rm -f "$tmp-first-$name"
    echo "golden: $name: -j1, -j2, -j8 identical ($(wc -l < "$tmp.j") files)" >&2
done
if [ "$UPDATE" = 1 ]; then
    cp "$tmp" "$SUMS"
    echo "golden: recorded $(wc -l < "$SUMS") file digests in $SUMS" >&2
    exit 0
fi
if ! cmp -s "$tmp" "$SUMS"; then
    echo "golden: outputs differ from $SUMS:" >&2
    diff "$SUMS" "$tmp" >&2 || true
    exit 1
fi
echo "golden: outputs identical to $SUMS" >&2
