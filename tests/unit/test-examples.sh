#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every example must validate; validate's output must be valid input that
# normalizes to itself; a broken spec must be refused with its JSON path.
# Run by `make check` from the top build directory ($srcdir is the source top).
set -u

srcdir=${srcdir:-.}
tankctl=${TANKCTL:-./tankctl}
examples="$srcdir/examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

if [ ! -x "$tankctl" ]; then
        echo "FAIL: $tankctl not built" >&2
        exit 1
fi

for f in "$examples"/*.json; do
        [ -e "$f" ] || { echo "FAIL: no examples in $examples" >&2; exit 1; }
        n=$((n + 1))
        name=$(basename "$f")
        if ! "$tankctl" validate -f "$f" >"$tmp/out1" 2>"$tmp/err"; then
                echo "FAIL: $name: $(cat "$tmp/err")"
                fail=1
                continue
        fi
        # the normalized form is a fixed point
        if ! "$tankctl" validate -f - <"$tmp/out1" >"$tmp/out2" 2>"$tmp/err"; then
                echo "FAIL: $name: normalized output does not validate: $(cat "$tmp/err")"
                fail=1
                continue
        fi
        if ! cmp -s "$tmp/out1" "$tmp/out2"; then
                echo "FAIL: $name: normalizing twice changed the output"
                diff -u "$tmp/out1" "$tmp/out2"
                fail=1
                continue
        fi
        echo "ok: $name"
done

if [ "$n" -lt 13 ]; then
        echo "FAIL: expected at least 13 examples, found $n"
        fail=1
fi

# All examples at once (several -f) are accepted too.
set --
for f in "$examples"/*.json; do
        set -- "$@" -f "$f"
done
if ! "$tankctl" validate "$@" >/dev/null 2>"$tmp/err"; then
        echo "FAIL: validating all examples together: $(cat "$tmp/err")"
        fail=1
fi

# A mount of an undefined volume: refused, exit 1, one line naming file and path.
sed 's/"volume": "backup"/"volume": "bakup"/' "$examples/db.json" >"$tmp/bad.json"
"$tankctl" validate -f "$tmp/bad.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
expected="tankctl: $tmp/bad.json: containers[0].mounts[2].volume: no volume \"bakup\" in this pod"
if [ "$rc" -ne 1 ] || [ "$(cat "$tmp/err")" != "$expected" ] || [ -s "$tmp/out" ]; then
        echo "FAIL: bad spec: rc=$rc, stderr: $(cat "$tmp/err")"
        echo "      expected: $expected"
        fail=1
else
        echo "ok: invalid spec refused with its path"
fi

# Usage errors exit 2.
"$tankctl" validate >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 2 ]; then
        echo "FAIL: validate without -f: rc=$rc, expected 2"
        fail=1
fi

exit $fail
