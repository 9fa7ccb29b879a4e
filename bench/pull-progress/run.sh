#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What watching a pull costs the puller (issue 19): a cold pull of a ~100 MB
# image of four layers from a local docker-registry, by pull-driver (the
# registry client, pull.c, blob store; no unpack) without a pull observer and
# with one (--progress: every report counted, as tankd's bus-pull.c gets
# them), alternating in the same run, beside `skopeo copy` of the same image
# (the peer floor: a plain download into an OCI layout). Prints each run, the
# means and how many reports a pull made (the rate limit: at most ten a
# second per pull besides each layer's first and last). The D-Bus signals
# tankd sends for each report are not in this figure: their number is.
#   bench/pull-progress/run.sh [RUNS]   (env TANK_BUILDDIR, TANK_SRCDIR; needs skopeo, docker-registry)
set -eu

SRC=${TANK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TANK_BUILDDIR:-$SRC}
DRIVER=$BUILD/tests/system/pull-driver
RUNS=${1:-3}
PORT=${BENCH_PORT:-15501}
for t in skopeo docker-registry; do
        command -v "$t" >/dev/null || { echo "bench/pull-progress: $t is not installed (apt-get install $t)"; exit 1; }
done
[ -x "$DRIVER" ] || { echo "bench/pull-progress: build $DRIVER first (make check TESTS=)"; exit 1; }

. "$SRC/tests/system/registry-lib.sh"
W=$(mktemp -d /tmp/tank-bench-pull-progress.XXXXXX)
trap 'reg_cleanup; rm -rf "$W" "$REG_DIR"' EXIT

echo "building the image (4 layers of random bytes, ~100 MB)..."
for i in 1 2 3 4; do
        mkdir -p "$W/l$i"
        head -c $((i * 10))M /dev/urandom >"$W/l$i/data.bin"
done
reg_start bench "$PORT"
reg_mkimage "$W/oci" --layer "$W/l1" --layer "$W/l2" --layer "$W/l3" --layer "$W/l4" >/dev/null
reg_push "$W/oci" bench/progress:latest "$PORT"
REF=127.0.0.1:$PORT/bench/progress:latest

now() { date +%s%N; }
plain_total=0 watched_total=0 ref_total=0
for run in $(seq 1 "$RUNS"); do
        rm -rf "$W/a" "$W/b" "$W/skopeo"; sync
        t0=$(now)
        "$DRIVER" --data "$W/a" --insecure "127.0.0.1:$PORT" --no-sync "$REF" >/dev/null
        t1=$(now)
        "$DRIVER" --data "$W/b" --insecure "127.0.0.1:$PORT" --no-sync --progress "$REF" >/dev/null 2>"$W/reports"
        t2=$(now)
        skopeo copy --quiet --src-tls-verify=false "docker://$REF" "oci:$W/skopeo:latest"
        t3=$(now)
        a=$(( (t1 - t0) / 1000000 )); b=$(( (t2 - t1) / 1000000 )); c=$(( (t3 - t2) / 1000000 ))
        plain_total=$((plain_total + a)); watched_total=$((watched_total + b)); ref_total=$((ref_total + c))
        printf 'run %d: no observer %6d ms   observer %6d ms   skopeo copy %6d ms   (%s)\n' \
                "$run" "$a" "$b" "$c" "$(cat "$W/reports")"
done
printf 'mean: no observer %d ms, observer %d ms (ratio %s, target <= 1.05), skopeo copy %d ms\n' \
        $((plain_total / RUNS)) $((watched_total / RUNS)) \
        "$(awk -v a="$watched_total" -v b="$plain_total" 'BEGIN { printf "%.2f", a / b }')" $((ref_total / RUNS))
