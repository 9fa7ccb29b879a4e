# SPDX-License-Identifier: LGPL-2.1-or-later
# The fleet test harness (sourced by tests/fleet/test-*.sh, bash, on the host
# as root): several Tank nodes, each a tank sandbox (its own systemd, tankd,
# registry, namespaces: tests/sandbox/tank-sandbox), on one test LAN, sharing
# one etcd.
#
#   fleet_up NODE[:LABELS]...  boot one sandbox per node (fleet-NODE), join them
#                            to the LAN, start the etcd, and in each sandbox
#                            install Tank and start tankd with [Node] Name=NODE
#                            Labels=LABELS (comma-separated, "" for none) and
#                            [Store] Endpoints= the LAN's etcd; returns once
#                            every tankd answers
#   fx NODE CMD...           run CMD in NODE's sandbox (exit status passed)
#   fleet_etcd ARGS...       etcdctl against the fleet's etcd
#   fleet_link NODE up|down  NODE's LAN link (its cable, as it were)
#   fleet_kill_host NODE     NODE's host dies: SIGKILL to its sandbox's PID 1
#                            (tankd, its etcd member, its workloads go at once;
#                            its end of the LAN link with its network namespace)
#   fleet_etcd_on NODE ARGS...  etcdctl against NODE's own member (peers)
#   fleet_etcd_leader        the node whose member leads the cluster (peers)
#   fleet_down               stop everything fleet_up made (also on EXIT)
#
# The LAN: a bridge in the network namespace $FLEET_NETNS, 192.0.2.0/24
# (TEST-NET-1, documentation addresses): the bridge and the etcd on
# 192.0.2.1 (client 2379), node i on 192.0.2.(10 + i), each by a veth pair
# whose LAN end is on the bridge and whose other end is eth1 in the node's
# sandbox. No traffic leaves those namespaces.
#
# The store: with FLEET_STORE=endpoints (the default) one etcd member the
# harness runs on 192.0.2.1 (bring-your-own, [Store] Endpoints=); with
# FLEET_STORE=peers every node boots its own member of one cluster ([Store]
# Peers=a=http://192.0.2.11:2380 ...), and fleet_etcd asks the first node's
# that fleet_kill_host did not kill.
#
# The sandboxes are FLEET_SANDBOX_PREFIX-NODE (default fleet-a, ...): with
# another prefix and another FLEET_NETNS, two fleets can run side by side
# on one host (two checkouts' tests). fleet_up refuses to start while a
# sandbox of its names runs, and then touches neither it nor the LAN (a
# stale LAN netns without running sandboxes is replaced, as before).
#
# Environment from the runner: TANK_SRCDIR, TANK_BUILDDIR. FLEET_CONF_EXTRA:
# more lines of every node's [Node] section, "\n" between them (e.g.
# "LeaseSec=6\nFenceSec=4").

. "$TANK_SRCDIR/tests/system/lib.sh"

SANDBOX=$TANK_SRCDIR/tests/sandbox/tank-sandbox
FLEET_NETNS=${FLEET_NETNS:-tank-fleet-lan}
FLEET_SANDBOX_PREFIX=${FLEET_SANDBOX_PREFIX:-fleet}
FLEET_ETCD=http://192.0.2.1:2379
FLEET_NODES=()
FLEET_DEAD=()
FLEET_TMP=

fx() {
        local node=$1
        shift
        "$SANDBOX" exec "$FLEET_SANDBOX_PREFIX-$node" -- "$@"
}

fleet_alive() {
        [[ " ${FLEET_DEAD[*]} " != *" $1 "* ]]
}

fleet_etcd_on() {
        local node=$1
        shift
        fx "$node" env ETCDCTL_API=3 etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 "$@"
}

fleet_etcd() {
        local n
        if [[ ${FLEET_STORE:-endpoints} == peers ]]; then
                for n in "${FLEET_NODES[@]}"; do
                        fleet_alive "$n" || continue
                        fleet_etcd_on "$n" "$@"
                        return
                done
                return 1
        else
                ip netns exec "$FLEET_NETNS" env ETCDCTL_API=3 etcdctl --endpoints="$FLEET_ETCD" "$@"
        fi
}

# [Store] lines of every node's tank.conf.
fleet_store_conf() {
        local n i=0 peers=()
        if [[ ${FLEET_STORE:-endpoints} != peers ]]; then
                printf 'Endpoints=%s\n' "$FLEET_ETCD"
                return
        fi
        for n in "${FLEET_NODES[@]}"; do
                i=$((i + 1))
                peers+=("$n=http://192.0.2.$((10 + i)):2380")
        done
        printf 'Peers=%s\n' "${peers[*]}"
}

fleet_link() {
        ip -n "$FLEET_NETNS" link set "fl-$1" "$2"
}

fleet_sandbox_pid() {
        cat "${TANK_SANDBOX_STATE:-/run/tank-sandbox}/$FLEET_SANDBOX_PREFIX-$1/pid"
}

# Each living member answers for itself ("endpoint status" of its own socket:
# ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, ...); one says it leads.
fleet_etcd_leader() {
        local n
        for n in "${FLEET_NODES[@]}"; do
                fleet_alive "$n" || continue
                if [[ $(fleet_etcd_on "$n" --command-timeout=2s endpoint status -w simple 2>/dev/null |
                        awk -F', ' '{ print $5 }') == true ]]; then
                        echo "$n"
                        return 0
                fi
        done
        return 1
}

# No poweroff, no stop jobs: PID 1 of the sandbox's pid namespace gets
# SIGKILL, so the kernel kills every process in it, and the network
# namespace, with the node's veth end, goes with the last of them (freed
# asynchronously: the LAN end is taken down if it outlives that by 2 s, as
# a dead host's NIC has no carrier). Returns once PID 1 is gone and the LAN
# end is gone or down; fleet_down cleans up what is left (its cgroups).
fleet_kill_host() {
        local node=$1 pid i
        pid=$(fleet_sandbox_pid "$node") || fail "no sandbox for node $node"
        kill -9 "$pid" || fail "cannot kill node $node's sandbox (pid $pid)"
        FLEET_DEAD+=("$node")
        for ((i = 0; i < 100; i++)); do
                [[ -d /proc/$pid ]] || break
                sleep 0.05
        done
        [[ ! -d /proc/$pid ]] || fail "node $node's sandbox (pid $pid) still runs 5 s after SIGKILL"
        for ((i = 0; i < 40; i++)); do
                ip -n "$FLEET_NETNS" link show "fl-$node" >/dev/null 2>&1 || return 0
                sleep 0.05
        done
        echo "fleet_kill_host: node $node's LAN link outlived its host by 2 s: taken down"
        fleet_link "$node" down
}

fleet_down() {
        local rc=$? n
        for n in "${FLEET_NODES[@]}"; do
                # What the node saw, for the log of a failing test.
                if [[ $rc != 0 ]] && ! fleet_alive "$n"; then
                        echo "--- node $n was killed (fleet_kill_host): no journal"
                elif [[ $rc != 0 ]]; then
                        echo "--- journal of node $n (tankd, last 60 lines)"
                        fx "$n" journalctl -u tankd --no-pager -o short-precise 2>&1 | tail -n 60
                fi
                "$SANDBOX" stop "$FLEET_SANDBOX_PREFIX-$n" >/dev/null 2>&1
        done
        if [[ -n $FLEET_TMP && -f $FLEET_TMP/etcd.pid ]]; then
                kill "$(cat "$FLEET_TMP/etcd.pid")" 2>/dev/null
                sleep 0.2
        fi
        ip netns del "$FLEET_NETNS" 2>/dev/null
        [[ -z $FLEET_TMP ]] || rm -rf "$FLEET_TMP"
        FLEET_NODES=()
        FLEET_DEAD=()
        FLEET_TMP=
}

fleet_lan_up() {
        ip netns del "$FLEET_NETNS" 2>/dev/null
        ip netns add "$FLEET_NETNS" || fail "cannot create the LAN's netns $FLEET_NETNS"
        ip -n "$FLEET_NETNS" link set lo up
        ip -n "$FLEET_NETNS" link add br0 type bridge
        ip -n "$FLEET_NETNS" addr add 192.0.2.1/24 dev br0
        ip -n "$FLEET_NETNS" link set br0 up
}

# fleet_node_link NODE INDEX: a veth from the LAN's bridge to eth1 in the sandbox.
fleet_node_link() {
        local node=$1 i=$2 pid
        pid=$(fleet_sandbox_pid "$node") || fail "no sandbox for node $node"
        ip -n "$FLEET_NETNS" link add "fl-$node" type veth peer name "fl-$node-in" ||
                fail "cannot make the veth of node $node"
        ip -n "$FLEET_NETNS" link set "fl-$node" master br0 up
        ip -n "$FLEET_NETNS" link set "fl-$node-in" netns "/proc/$pid/ns/net" ||
                fail "cannot move the veth into node $node's sandbox"
        fx "$node" ip link set "fl-$node-in" name eth1
        fx "$node" ip addr add "192.0.2.$((10 + i))/24" dev eth1
        fx "$node" ip link set eth1 up
        fx "$node" ip link set lo up
}

fleet_etcd_up() {
        mkdir -p "$FLEET_TMP/etcd"
        ip netns exec "$FLEET_NETNS" etcd --name lan --data-dir "$FLEET_TMP/etcd" \
                --listen-client-urls "$FLEET_ETCD" --advertise-client-urls "$FLEET_ETCD" \
                --listen-peer-urls http://192.0.2.1:2380 --initial-advertise-peer-urls http://192.0.2.1:2380 \
                --initial-cluster lan=http://192.0.2.1:2380 >"$FLEET_TMP/etcd.log" 2>&1 &
        echo $! >"$FLEET_TMP/etcd.pid"
        wait_for 30 fleet_etcd endpoint health >/dev/null 2>&1 ||
                { tail -20 "$FLEET_TMP/etcd.log" >&2; fail "the fleet's etcd did not come up"; }
}

# The node's tank.conf lines and tankd, inside its sandbox (tank-lib.sh's tank_up).
fleet_tank_up() {
        local node=$1 labels=$2
        fx "$node" env TANK_SRCDIR="$TANK_SRCDIR" TANK_BUILDDIR="$TANK_BUILDDIR" bash -c '
                . "$TANK_SRCDIR/tests/system/lib.sh"
                . "$TANK_SRCDIR/tests/system/registry-lib.sh"
                . "$TANK_SRCDIR/tests/system/tank-lib.sh"
                tank_up "$1"' fleet-tank-up \
                "$(printf '[Node]\nName=%s\n' "$node"
                   [[ -z $labels ]] || printf 'Labels=%s\n' "${labels//,/ }"
                   printf '%b\n[Store]\n%s\n' "${FLEET_CONF_EXTRA:-}" "$(fleet_store_conf)")"
}

fleet_up() {
        local spec node labels i=0 pids=() running
        # Another fleet of these names runs (another checkout's test): stop
        # here, before the EXIT trap, which would tear down its sandboxes.
        running=$("$SANDBOX" list 2>/dev/null | awk '$2 == "running" { print $1 }')
        for spec in "$@"; do
                ! grep -qxF "$FLEET_SANDBOX_PREFIX-${spec%%:*}" <<<"$running" ||
                        fail "sandbox $FLEET_SANDBOX_PREFIX-${spec%%:*} already runs (another fleet?): set FLEET_SANDBOX_PREFIX= and FLEET_NETNS= for this one"
        done
        trap fleet_down EXIT
        FLEET_TMP=$(mktemp -d /tmp/tank-fleet.XXXXXX)
        for spec in "$@"; do
                FLEET_NODES+=("${spec%%:*}")
        done
        # The sandboxes boot in parallel: each is its own systemd.
        for node in "${FLEET_NODES[@]}"; do
                TANK_SANDBOX_BINDS="$TANK_SRCDIR $TANK_BUILDDIR" "$SANDBOX" start "$FLEET_SANDBOX_PREFIX-$node" \
                        >"$FLEET_TMP/boot-$node.log" 2>&1 &
                pids+=($!)
        done
        for i in "${!pids[@]}"; do
                wait "${pids[$i]}" || { cat "$FLEET_TMP/boot-${FLEET_NODES[$i]}.log" >&2;
                                        fail "node ${FLEET_NODES[$i]}'s sandbox did not boot"; }
        done
        fleet_lan_up
        i=0
        for node in "${FLEET_NODES[@]}"; do
                i=$((i + 1))
                fleet_node_link "$node" "$i"
        done
        [[ ${FLEET_STORE:-endpoints} == peers ]] || fleet_etcd_up
        pids=()
        i=0
        for spec in "$@"; do
                labels=
                [[ $spec != *:* ]] || labels=${spec#*:}
                fleet_tank_up "${spec%%:*}" "$labels" >"$FLEET_TMP/up-${spec%%:*}.log" 2>&1 &
                pids+=($!)
        done
        for i in "${!pids[@]}"; do
                wait "${pids[$i]}" || { cat "$FLEET_TMP/up-${FLEET_NODES[$i]}.log" >&2;
                                        fail "tankd did not come up on node ${FLEET_NODES[$i]}"; }
        done
}

# fleet_ready_nodes NODE: the names `tankctl nodes` on NODE shows Ready, sorted, one line.
fleet_ready_nodes() {
        fx "$1" tankctl nodes -o json 2>/dev/null |
                jq -r '[.[] | select(.status | startswith("Ready")) | .name] | sort | join(" ")'
}
# NODE "NAMES": NODE lists exactly NAMES (sorted, space-separated) Ready.
fleet_nodes_are() { [ "$(fleet_ready_nodes "$1")" = "$2" ]; }
# SECS: every node lists a, b and c Ready within SECS, or the test fails.
fleet_all_ready() {
        local n
        for n in a b c; do
                wait_for "$1" fleet_nodes_are $n 'a b c' ||
                        fail "node $n does not list a, b and c Ready: $(fx "$n" tankctl nodes 2>&1)"
        done
}
