#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Starts a throwaway single-member etcd on loopback (unusual ports, temp data
# dir), runs store-bench against it, and removes it again.
#   bench/store/run.sh [BUILDDIR]
set -eu
B=${1:-.}
T=$(mktemp -d /tmp/tank-store-bench.XXXXXX)
P=$(( 30000 + RANDOM % 5000 ))
etcd --name b --data-dir "$T/d" --listen-client-urls http://127.0.0.1:$P --advertise-client-urls http://127.0.0.1:$P \
        --listen-peer-urls http://127.0.0.1:$((P + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((P + 1)) \
        --initial-cluster b=http://127.0.0.1:$((P + 1)) --quota-backend-bytes 4294967296 >"$T/etcd.log" 2>&1 &
ETCD=$!
trap 'kill $ETCD 2>/dev/null; wait $ETCD 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do
        ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:$P endpoint health >/dev/null 2>&1 && break
        sleep 0.1
done
"$B/bench/store/store-bench" http://127.0.0.1:$P
