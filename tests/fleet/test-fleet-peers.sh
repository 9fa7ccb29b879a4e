#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A fleet without a separate etcd to run: [Store] Peers= makes each of three
# tankds boot and own its member of one cluster. All three members join one
# cluster, every node registers in it and lists the others; with one node cut
# off the LAN, the two others keep a quorum (a write on one is read on the
# other) while the cut-off node's member cannot write; back on the LAN it
# catches up. A config whose Peers= does not name the node is refused.
set -u
. "$TANK_SRCDIR/tests/fleet/fleet-lib.sh"

FLEET_STORE=peers
fleet_up a:zone=a b:zone=b c:zone=c

member_list() { fx "$1" env ETCDCTL_API=3 etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 member list -w json |
                jq -r '[.members[].name] | sort | join(" ")'; }
etcd_on() { local n=$1; shift; fx "$n" env ETCDCTL_API=3 etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 "$@"; }

for n in a b c; do
        assert_eq "$(member_list "$n")" "a b c" "the members node $n's etcd knows"
        assert_eq "$(fx "$n" systemctl show -P ActiveState tank-etcd.service)" active "tank-etcd.service on $n"
        wait_for 30 fleet_nodes_are "$n" 'a b c' ||
                fail "node $n does not list a, b and c Ready: $(fx "$n" tankctl nodes 2>&1)"
done
echo "three members, one cluster; every node lists a b c Ready"
fx b systemctl show -P ExecStart tank-etcd.service | grep -o -- '--initial-cluster [^ ;]*'

# c loses its link: a and b are two of three, a quorum.
fleet_link c down
# If c led, a and b elect a new leader first (etcd's election timeout, 1 s).
wait_for 15 etcd_on a --command-timeout=2s put /tank/test/quorum written-on-a ||
        fail "a and b did not accept a write within 15 s without c: $(etcd_on a endpoint status -w table 2>&1)"
assert_eq "$(etcd_on b get --print-value-only /tank/test/quorum)" written-on-a "b reads a's write"
if fx c timeout 10 env ETCDCTL_API=3 etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 \
        --command-timeout=3s put /tank/test/minority x >/dev/null 2>&1; then
        fail "c's member, cut off from the others, accepted a write"
fi
for n in a b; do
        wait_for 20 fleet_nodes_are "$n" 'a b' || fail "node $n still lists c: $(fx "$n" tankctl nodes 2>&1)"
done
echo "c cut off: a and b write and read, c's member refuses writes"

fleet_link c up
wait_for 30 sh -c "[ \"\$($SANDBOX exec $FLEET_SANDBOX_PREFIX-c -- env ETCDCTL_API=3 etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 get --print-value-only /tank/test/quorum)\" = written-on-a ]" ||
        fail "c's member did not catch up with the write made while it was cut off"
for n in a b c; do
        wait_for 30 fleet_nodes_are "$n" 'a b c' || fail "node $n does not list c again: $(fx "$n" tankctl nodes 2>&1)"
done
echo "c back: its member caught up; every node lists a b c Ready"

# Refused: a Peers= that does not name the node (tankd exits, saying why).
fx a systemctl stop tankd.service
fx a sh -c 'mkdir -p /etc/tank/tank.conf.d && printf "[Store]\nPeers=\nPeers=x=http://192.0.2.99:2380\n" >/etc/tank/tank.conf.d/90-bad.conf'
out=$(fx a sh -c '$(command -v tankd || ls /usr/local/sbin/tankd /usr/sbin/tankd | head -1)' 2>&1) &&
        fail "tankd accepted a Peers= without this node: $out"
echo "$out" | grep -qF 'Peers= does not name this node ("a", [Node] Name=): give its member as a=URL' ||
        fail "unexpected refusal: $out"
echo "refused: $(echo "$out" | tail -n 1)"
echo "test-fleet-peers: all checks passed"
