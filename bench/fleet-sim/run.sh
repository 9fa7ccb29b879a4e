#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/fleet-sim: what a large fleet costs its store, by simulation. Starts a
# throwaway 3-member etcd cluster on loopback (temp data dirs, unusual
# ports), then for each N in NODES runs fleet-sim: N simulated Tank nodes,
# each with its lease (TTL s, a keepalive every TTL/3) and one watch of its
# bindings prefix, as tankd is one; and prints, over SECONDS of steady
# state, the keepalive rate and latency, the revisions written, and each
# etcd member's CPU and RSS, beside Kubernetes' node heartbeat for the same
# count (a Lease object updated every 10 s per node: N/10 writes per second).
#
#   bench/fleet-sim/run.sh [BUILDDIR]      env: NODES="100 1000" TTL=15 SECONDS_RUN=60
set -eu
B=$(cd "${1:-build}" && pwd)
NODES=${NODES:-100 1000}
TTL=${TTL:-15}
SECONDS_RUN=${SECONDS_RUN:-60}
T=$(mktemp -d /tmp/tank-fleet-sim.XXXXXX)
P=$(( 31000 + RANDOM % 4000 ))
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cluster="m0=http://127.0.0.1:$((P + 1)),m1=http://127.0.0.1:$((P + 11)),m2=http://127.0.0.1:$((P + 21))"
eps=()
for i in 0 1 2; do
        c=$((P + 10 * i)) p=$((P + 10 * i + 1))
        etcd --name "m$i" --data-dir "$T/m$i" --listen-client-urls "http://127.0.0.1:$c" \
                --advertise-client-urls "http://127.0.0.1:$c" --listen-peer-urls "http://127.0.0.1:$p" \
                --initial-advertise-peer-urls "http://127.0.0.1:$p" --initial-cluster "$cluster" \
                --initial-cluster-state new --initial-cluster-token fleet-sim \
                --quota-backend-bytes 4294967296 >"$T/m$i.log" 2>&1 &
        pids+=($!)
        eps+=("http://127.0.0.1:$c")
done
for _ in $(seq 100); do
        ETCDCTL_API=3 etcdctl --endpoints="$(IFS=,; echo "${eps[*]}")" endpoint health >/dev/null 2>&1 && break
        sleep 0.2
done
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
echo "bench/fleet-sim: 3-member etcd $(etcd --version | head -1 | awk '{print $3}') on loopback, $(nproc) CPUs, lease TTL ${TTL} s, ${SECONDS_RUN} s of steady state"
for n in $NODES; do
        out=$T/sim-$n.out
        "$B/bench/fleet-sim/fleet-sim" "$n" "$TTL" "$SECONDS_RUN" "${eps[@]}" >"$out" 2>"$T/sim-$n.err" &
        sim=$!
        until grep -q '^READY' "$out" 2>/dev/null; do
                kill -0 "$sim" 2>/dev/null || { cat "$T/sim-$n.err" >&2; exit 1; }
                sleep 0.2
        done
        declare -A c0=()
        for i in 0 1 2; do c0[$i]=$(ticks "${pids[$i]}"); done
        t0=$(date +%s%N)
        until grep -q '^DONE' "$out" 2>/dev/null; do
                kill -0 "$sim" 2>/dev/null || break
                sleep 0.2
        done
        t1=$(date +%s%N)
        line="etcd members:"
        for i in 0 1 2; do
                cpu=$(awk -v a="${c0[$i]}" -v b="$(ticks "${pids[$i]}")" -v hz="$hz" -v t=$(( (t1 - t0) / 1000000 )) \
                        'BEGIN { printf "%.1f", (b - a) * 100000 / hz / t }')
                line+=" m$i CPU ${cpu} % RSS $(rss "${pids[$i]}") MiB;"
        done
        wait "$sim" || echo "(fleet-sim reported failures: $(head -3 "$T/sim-$n.err"))"
        echo "== $n simulated nodes"
        grep -v '^READY\|^DONE' "$out"
        echo "$line"
        echo "db size: $(ETCDCTL_API=3 etcdctl --endpoints="${eps[0]}" endpoint status -w json | jq '.[0].Status.dbSize / 1024 | floor') KiB"
        echo "Kubernetes' node heartbeat at $n nodes: a Lease object updated every 10 s each = $(( n / 10 )) writes/s (40 s lease)"
        # The simulated nodes' leases expire with the process; let them go.
        sleep $((TTL + 2))
done
