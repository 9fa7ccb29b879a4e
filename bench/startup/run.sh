#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/startup: how fast does an applied pod run (image cached), beside podman
# and the systemd-run floor, measured in one run inside one sandbox:
#   - apply -> workload running, 50 pods one at a time (tankctl apply --wait=running):
#     p50/p99
#   - `podman run -d` of the same image (Debian's podman with crun), 50 times
#   - `systemd-run --scope true`, 50 times (the floor: a scope and nothing else)
#   - 200 pods applied at once: time until all run, tankd RSS, and tankd's CPU
#     over 60 s idle afterwards (no polling means ~0).
#
#   sudo bench/startup/run.sh [BUILDDIR]      (default: ./build)
# Installs podman if it is missing (Debian package).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)

if [ "${container:-}" != tank-sandbox ]; then
        command -v podman >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman >/dev/null
        exec "$top/tests/sandbox/tank-sandbox" run --name bench-startup --bind "$top" --bind "$build" -- \
                env TANK_SRCDIR="$top" TANK_BUILDDIR="$build" container=tank-sandbox bash "$top/bench/startup/run.sh" "$build"
fi

export TANK_SRCDIR=$top TANK_BUILDDIR=$build
. "$top/tests/system/lib.sh"
. "$top/tests/system/registry-lib.sh"
. "$top/tests/system/tank-lib.sh"
trap tank_down EXIT
tank_up >/dev/null

ms() { date +%s%N | cut -b1-13; }
stats() { # stats NAME < ms values
        sort -n | awk -v name="$1" '{ v[NR] = $1 } END {
                p50 = v[int((NR + 1) * 0.50)]; p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
                printf "%-34s n=%-4d p50 %6.1f ms   p99 %6.1f ms\n", name, NR, p50, p99 }'
}

# Warm the image cache.
tank_pod_json warm always | tankctl apply -f - >/dev/null
wait_phase warm running 120
tankctl delete warm >/dev/null

: >/tmp/tank.ms
for i in $(seq 1 50); do tank_pod_json "s$i" always >"/tmp/s$i.json"; done
# One command that returns when the workload runs, as `podman run -d` does.
for i in $(seq 1 50); do
        t0=$(ms)
        tankctl apply -f "/tmp/s$i.json" --wait=running --timeout 60 >/dev/null
        echo $(( $(ms) - t0 )) >>/tmp/tank.ms
done
for i in $(seq 1 50); do tankctl delete "s$i" >/dev/null; done

: >/tmp/podman.ms
# The sandbox's root is an overlay, which podman's overlay driver cannot sit on.
podman() { command podman --storage-driver=vfs "$@"; }
if podman pull -q --tls-verify=false "$TANK_IMAGE" >/dev/null 2>&1; then
        for i in $(seq 1 50); do
                t0=$(ms)
                podman run -d --name "p$i" --network none "$TANK_IMAGE" sleep infinity >/dev/null
                echo $(( $(ms) - t0 )) >>/tmp/podman.ms
        done
        podman rm -f -t 0 $(seq -f 'p%g' 1 50) >/dev/null 2>&1 || true
else
        echo "podman could not pull the test image; podman figures omitted" >&2
fi

: >/tmp/floor.ms
for i in $(seq 1 50); do
        t0=$(ms)
        systemd-run --quiet --scope true
        echo $(( $(ms) - t0 )) >>/tmp/floor.ms
done

echo "== apply -> running, image cached (one at a time)"
stats "tankctl apply --wait=running" </tmp/tank.ms
[ -s /tmp/podman.ms ] && stats "podman run -d (crun)" </tmp/podman.ms
stats "systemd-run --scope true (floor)" </tmp/floor.ms

echo "== 200 pods applied at once"
t0=$(ms)
for i in $(seq 1 200); do tank_pod_json "m$i" always; done | jq -s . >/tmp/many.json
tankctl apply -f /tmp/many.json >/dev/null
for i in $(seq 1 200); do tankctl wait "m$i" --for=running --timeout 600 >/dev/null; done
echo "all 200 running after $(( $(ms) - t0 )) ms"
pid=$(systemctl show -P MainPID tankd.service)
echo "tankd RSS with 200 pods: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
# Idle means after the pods' rollouts have been judged (min_healthy_sec,
# 10 s by default), which is work tankd does once per apply, not idling.
sleep 12
t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
sleep 60
t2=$(awk '{print $14 + $15}' /proc/$pid/stat)
hz=$(getconf CLK_TCK)
echo "tankd CPU over 60 s idle: $(echo "scale=3; ($t2 - $t1) * 100 / $hz / 60" | bc) %"
