#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Cold pull + unpack of a ~200 MB multi-layer image from a local docker-registry:
# Tank (pull-driver --unpack: registry client + layer store) against
# `skopeo copy` + `umoci unpack` of the same image, same machine, same run.
# Neither side fsyncs (umoci does not; Tank runs with --no-sync) unless
# BENCH_SYNC=1, which lets Tank sync as tankd does.
#   bench/pull/run.sh [RUNS]     (env TANK_BUILDDIR, TANK_SRCDIR; needs root, umoci, skopeo)
set -eu

SRC=${TANK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TANK_BUILDDIR:-$SRC}
DRIVER=$BUILD/tests/system/pull-driver
RUNS=${1:-3}
PORT=${BENCH_PORT:-15500}
for t in umoci skopeo docker-registry; do
        command -v "$t" >/dev/null || { echo "bench/pull: $t is not installed (apt-get install $t)"; exit 1; }
done
[ -x "$DRIVER" ] || { echo "bench/pull: build $DRIVER first (make check TESTS=)"; exit 1; }

. "$SRC/tests/system/registry-lib.sh"
W=$(mktemp -d /tmp/tank-bench-pull.XXXXXX)
trap 'reg_cleanup; rm -rf "$W" "$REG_DIR"' EXIT

echo "building the image (5 layers, ~200 MB uncompressed)..."
reg_busybox_rootfs "$W/l1"
mkdir -p "$W/l2/data" "$W/l3/text" "$W/l4/many" "$W/l5/data"
head -c 70M /dev/urandom >"$W/l2/data/random.bin"                       # incompressible
base64 -w 76 </dev/urandom | head -c 60M >"$W/l3/text/base64.txt"      # compresses ~1.3x
yes "the quick brown fox jumps over the lazy dog" | head -c 20M >"$W/l3/text/repetitive.txt"
for i in $(seq 1 2000); do head -c 16384 /dev/urandom | base64 >"$W/l4/many/f$i"; done   # many small files
head -c 25M /dev/urandom >"$W/l5/data/more.bin"
reg_start bench "$PORT"
reg_mkimage "$W/oci" --layer "$W/l1" --layer "$W/l2" --layer "$W/l3" --layer "$W/l4" --layer "$W/l5" >/dev/null
reg_push "$W/oci" bench/big:latest "$PORT"
REF=127.0.0.1:$PORT/bench/big:latest
echo "compressed: $(du -sb "$REG_DIR/storage" | cut -f1) bytes in the registry; uncompressed: $(du -sbc "$W"/l? | tail -1 | cut -f1) bytes"

now() { date +%s%N; }
sync_flag=--no-sync
[ "${BENCH_SYNC:-0}" = 1 ] && sync_flag=

tank_total=0 ref_total=0
for run in $(seq 1 "$RUNS"); do
        rm -rf "$W/tank" "$W/skopeo" "$W/bundle"; sync
        t0=$(now)
        "$DRIVER" --data "$W/tank" --insecure "127.0.0.1:$PORT" --unpack $sync_flag "$REF" >/dev/null
        t1=$(now)
        skopeo copy --quiet --src-tls-verify=false "docker://$REF" "oci:$W/skopeo:latest"
        umoci unpack --rootless --image "$W/skopeo:latest" "$W/bundle" >/dev/null 2>&1 ||
                umoci unpack --image "$W/skopeo:latest" "$W/bundle" >/dev/null
        t2=$(now)
        tank_ms=$(( (t1 - t0) / 1000000 )); ref_ms=$(( (t2 - t1) / 1000000 ))
        tank_total=$((tank_total + tank_ms)); ref_total=$((ref_total + ref_ms))
        printf 'run %d: tank %6d ms   skopeo+umoci %6d ms   ratio %s\n' "$run" "$tank_ms" "$ref_ms" \
                "$(awk -v a="$tank_ms" -v b="$ref_ms" 'BEGIN { printf "%.2f", a / b }')"
done
# Sanity: both trees hold the same files.
tank_files=$(find "$W"/tank/layers/sha256/*/root -type f | wc -l)
ref_files=$(find "$W/bundle/rootfs" -type f | wc -l)
printf 'files: tank %d, umoci %d\n' "$tank_files" "$ref_files"
printf 'mean: tank %d ms, skopeo+umoci %d ms, ratio tank/reference %s (target <= 1.0)\n' \
        $((tank_total / RUNS)) $((ref_total / RUNS)) \
        "$(awk -v a="$tank_total" -v b="$ref_total" 'BEGIN { printf "%.2f", a / b }')"
