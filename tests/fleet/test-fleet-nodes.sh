#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Three Tank nodes on one test LAN and one etcd: each registers and every node
# sees all three Ready with their labels; a cordon made on one node shows on
# the others; a node cut off the LAN drops out of every other node's list
# once its lease expires, and registers again when its link is back.
set -u
. "$TANK_SRCDIR/tests/fleet/fleet-lib.sh"

# Short leases, so the test waits seconds (the inequality tank.conf(5)
# states holds: 4 + 3 + 2 <= 6 + 3).
FLEET_CONF_EXTRA='LeaseSec=6\nFenceSec=4\nRescheduleDelaySec=3'
fleet_up a:zone=a b:zone=b,role=db c:zone=c

fleet_shows() { fx "$1" tankctl nodes | grep -q "$2"; }
fleet_shows_not() { ! fx "$1" tankctl nodes | grep -q "$2"; }

for n in a b c; do
        wait_for 30 fleet_nodes_are $n 'a b c' ||
                fail "node $n does not list a, b and c Ready: $(fx "$n" tankctl nodes 2>&1)"
done
echo "every node lists a b c Ready"
fx a tankctl nodes
assert_eq "$(fx c tankctl nodes -o json | jq -r '.[] | select(.name == "b") | .labels | to_entries | map("\(.key)=\(.value)") | sort | join(",")')" \
        "role=db,zone=b" "node b's labels as node c sees them"
assert_eq "$(fleet_etcd get --prefix --keys-only /tank/v1/nodes/ | grep -c .)" 3 "node records in the store"

# A cordon is the fleet's, not the node's.
fx a tankctl cordon b >/dev/null || fail "cordon b from node a failed"
wait_for 10 fleet_shows c '^b .*Ready,SchedulingDisabled' ||
        fail "node c does not show b cordoned: $(fx c tankctl nodes 2>&1)"
fx c tankctl uncordon b >/dev/null || fail "uncordon b from node c failed"
wait_for 10 fleet_shows_not a SchedulingDisabled ||
        fail "node a still shows a cordon: $(fx a tankctl nodes 2>&1)"

# Node c loses its cable: its lease (6 s) expires, a and b see it gone.
t0=$(date +%s%3N)
fleet_link c down
for n in a b; do
        wait_for 20 fleet_nodes_are $n 'a b' ||
                fail "node $n still lists c Ready 20 s after c was cut off: $(fx "$n" tankctl nodes 2>&1)"
done
t1=$(date +%s%3N)
echo "c cut off: gone from a's and b's lists after $((t1 - t0)) ms (lease 6 s)"
[ $((t1 - t0)) -ge 3500 ] || fail "c was dropped after $((t1 - t0)) ms, before its lease could expire"
assert_eq "$(fleet_etcd get --keys-only /tank/v1/nodes/c | grep -c .)" 0 "node c's record after its lease expired"

# The cable back: c registers again with a new lease.
fleet_link c up
for n in a b c; do
        wait_for 30 fleet_nodes_are $n 'a b c' ||
                fail "node $n does not list c again after its link came back: $(fx "$n" tankctl nodes 2>&1)"
done
echo "c back: every node lists a b c Ready"
echo "test-fleet-nodes: all checks passed"
