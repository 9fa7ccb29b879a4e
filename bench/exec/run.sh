#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Exec latency (issue 8): `tankctl exec POD -- true` p50/p99 over N runs,
# beside `nsenter -t PID -a true` into the same workload (the floor: no
# daemon, no scope, no security setup) and, if podman is installed,
# `podman exec` into a busybox container. Targets: tank within 2x of the floor
# and at most 1/3 of podman.
#
#   bench/exec/run.sh [BUILDDIR]      as root on the host; boots a tank-sandbox
#   BENCH_RUNS=100
# Inside a running systemd with tankd up (e.g. in `tank-sandbox exec`), run
# it with BENCH_INSIDE=1: it then applies a pod "benchexec" itself.

set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${TANK_BUILDDIR:-$SRC}}" && pwd)
RUNS=${BENCH_RUNS:-100}

if [ -z "${BENCH_INSIDE:-}" ]; then
        exec "$SRC/tests/sandbox/tank-sandbox" run --name bench-exec --bind "$BUILD" --bind "$SRC" -- \
                env BENCH_INSIDE=1 BENCH_RUNS="$RUNS" TANK_SRCDIR="$SRC" TANK_BUILDDIR="$BUILD" \
                bash "$SRC/bench/exec/run.sh" "$BUILD"
fi

export TANK_SRCDIR=$SRC TANK_BUILDDIR=$BUILD
. "$SRC/tests/system/lib.sh"
. "$SRC/tests/system/registry-lib.sh"
. "$SRC/tests/system/tank-lib.sh"
if ! busctl --system status org.tank.Tank1 >/dev/null 2>&1; then
        tank_up
        trap 'rc=$?; tank_down; exit $rc' EXIT
fi
tank_pod_json benchexec always sleep infinity >/tmp/benchexec.json
tankctl apply -f /tmp/benchexec.json >/dev/null
wait_phase benchexec running 60
pid=$(scope_pid benchexec app)

# time_runs LABEL CMD...: prints "LABEL p50 p99" in milliseconds
time_runs() {
        local label=$1; shift
        "$@" >/dev/null 2>&1 || { echo "$label: '$*' fails" >&2; return 1; }
        for _ in $(seq "$RUNS"); do
                local t0 t1
                t0=$(date +%s%N)
                "$@" >/dev/null 2>&1
                t1=$(date +%s%N)
                echo $(( (t1 - t0) / 1000 ))
        done | sort -n | awk -v label="$label" '{ a[NR] = $1 } END {
                p50 = a[int((NR + 1) * 0.50)]; p99 = a[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1]
                printf "%-16s p50 %7.2f ms   p99 %7.2f ms   (%d runs)\n", label, p50 / 1000, p99 / 1000, NR
                print p50 > "/tmp/bench-exec-" label ".p50" }'
}

echo "exec latency, $RUNS runs each ($(nproc) CPUs)"
time_runs nsenter nsenter -t "$pid" -a true
time_runs tankctl-exec tankctl exec benchexec -- true
if command -v podman >/dev/null; then
        # vfs: the sandbox's root is an overlay, and podman's overlay driver
        # cannot stack on it; the storage driver does not matter for exec.
        P="podman --storage-driver=vfs --root /var/tmp/bench-exec-podman"
        $P rm -f -t 0 bench-exec >/dev/null 2>&1 || true
        if $P run -d --network none --name bench-exec --tls-verify=false "$TANK_IMAGE" sleep infinity >/dev/null 2>&1; then
                time_runs podman-exec $P exec bench-exec true
                $P rm -f -t 0 bench-exec >/dev/null 2>&1 || true
        else
                echo "podman-exec      (podman could not run $TANK_IMAGE)"
        fi
else
        echo "podman-exec      (podman not installed: apt-get install podman)"
fi
floor=$(cat /tmp/bench-exec-nsenter.p50)
tank=$(cat /tmp/bench-exec-tankctl-exec.p50)
awk -v t="$tank" -v f="$floor" 'BEGIN { printf "tankctl exec / nsenter (p50): %.2fx (target <= 2x)\n", t / f }'
if [ -f /tmp/bench-exec-podman-exec.p50 ]; then
        awk -v t="$tank" -v p="$(cat /tmp/bench-exec-podman-exec.p50)" \
                'BEGIN { printf "tankctl exec / podman exec (p50): %.2f (target <= 0.33)\n", t / p }'
fi
rm -f /tmp/bench-exec-*.p50
tankctl delete benchexec >/dev/null
