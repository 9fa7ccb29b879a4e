#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Layer extraction alone: tank's layer store (libarchive decompress + sha256 of
# the uncompressed stream + hostile-safe extraction) vs `tar -xzf` of the same
# gzip blobs. Prints throughput (MB of uncompressed tar per second) of both and
# the ratio tank/tar (target >= 0.9), best of ROUNDS.
#
#   bench/extract/run.sh [BUILDDIR]
#   BENCH_TREES="/usr/include /usr/lib/python3.11 /usr/share/doc"  one layer each (~200 MB)
#   BENCH_ROUNDS=3
#   BENCH_FS=tmpfs|disk   tmpfs (default): a private tmpfs, measures the CPU
#                         path; disk: BENCH_DIR (default /var/tmp), includes I/O
#   BENCH_SYNC=0|1        tank syncs each layer before renaming it (default 0;
#                         tar does not sync either)
# Needs root (owners, device nodes, private mount namespace).

set -eu
BUILD=$(cd "${1:-${TANK_BUILDDIR:-.}}" && pwd)
TOOL=$BUILD/src/image/layer-tool
[ -x "$TOOL" ] || { echo "build $TOOL first: make -C $BUILD src/image/layer-tool" >&2; exit 1; }
TREES=${BENCH_TREES:-/usr/include /usr/lib/python3.11 /usr/share/doc}
ROUNDS=${BENCH_ROUNDS:-3}
FS=${BENCH_FS:-tmpfs}
SYNC=${BENCH_SYNC:-0}

if [ "$FS" = tmpfs ] && [ -z "${BENCH_IN_NS:-}" ]; then
        exec unshare -m --propagation private env BENCH_IN_NS=1 "$0" "$BUILD"
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tank-bench-extract.XXXXXX")
trap 'if mountpoint -q "$W"; then umount -l "$W"; fi; rm -rf "$W"' EXIT
[ "$FS" = tmpfs ] && mount -t tmpfs -o size=4g tmpfs "$W"

# The blobs: one gzip layer per tree, made by tar like an image builder would.
blobs=() ids=() total=0
i=0
for t in $TREES; do
        tar --numeric-owner -cf "$W/l$i.tar" -C "$(dirname "$t")" "$(basename "$t")"
        total=$(( total + $(stat -c %s "$W/l$i.tar") ))
        ids+=("sha256:$(sha256sum < "$W/l$i.tar" | cut -d' ' -f1)")
        gzip -6 "$W/l$i.tar"
        blobs+=("$W/l$i.tar.gz")
        i=$((i + 1))
done
# Keep the blobs off the measured fs's page-cache budget question: both read the
# same files from the same place.

calc() { awk "BEGIN { x = $1; if (x == int(x) && x < 2) print x; else printf \"%.2f\", x }"; }
min() { if [ -z "$1" ] || [ "$(calc "$2 < $1")" = 1 ]; then echo "$2"; else echo "$1"; fi; }

run_tar() {
        for b in "${blobs[@]}"; do
                mkdir "$W/x/$(basename "$b")"
                tar -xzf "$b" -C "$W/x/$(basename "$b")"
        done
}
run_tank() {
        local nosync=--no-sync
        [ "$SYNC" = 1 ] && nosync=
        for j in "${!blobs[@]}"; do
                "$TOOL" unpack $nosync "$W/data" "${ids[$j]}" "${blobs[$j]}" > /dev/null
        done
}

# Wall time is what the target is about; CPU time (user+sys, children
# included: tar's gzip) is printed too because a loaded machine makes wall
# times noisy.
TIMEFORMAT='%R %U %S'
best_tar= best_tank= cpu_tar= cpu_tank=
for r in $(seq 1 "$ROUNDS"); do
        rm -rf "$W/x" "$W/data"; mkdir "$W/x" "$W/data"
        sync
        read -r w u s < <({ time run_tar; } 2>&1)
        best_tar=$(min "$best_tar" "$w"); cpu_tar=$(min "$cpu_tar" "$(calc "$u + $s")")
        sync
        read -r w2 u2 s2 < <({ time run_tank; } 2>&1)
        best_tank=$(min "$best_tank" "$w2"); cpu_tank=$(min "$cpu_tank" "$(calc "$u2 + $s2")")
        printf 'round %d: tar %ss (cpu %ss), tank %ss (cpu %ss)\n' "$r" "$w" "$(calc "$u + $s")" "$w2" "$(calc "$u2 + $s2")"
done

mb=$(calc "$total / 1048576")
tar_tp=$(calc "$mb / $best_tar")
tank_tp=$(calc "$mb / $best_tank")
ratio=$(calc "$tank_tp / $tar_tp")
echo "layers: ${#blobs[@]}, uncompressed: $mb MB, fs: $FS, tank sync: $SYNC, load: $(cut -d' ' -f1 /proc/loadavg)"
echo "tar -xzf:   $tar_tp MB/s ($best_tar s wall, $cpu_tar s cpu)"
echo "tank:       $tank_tp MB/s ($best_tank s wall, $cpu_tank s cpu)"
echo "ratio tank/tar (throughput, wall): $ratio (target >= 0.9)"
echo "ratio tank/tar (cpu efficiency):   $(calc "$cpu_tar / $cpu_tank")"
