#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placement on three nodes: one scheduler is elected; six identical pods
# applied on one node land two per node and each runs on its node only; a pod
# pinned to c runs on c only; a pod selecting role=db lands on b, the node
# with that label; a label no node has leaves the pod unschedulable with the
# reason, running nowhere; every node's tankctl list shows where each pod is;
# exec and logs of a pod from another node than its own fail naming its node;
# a cordoned node gets no new pod; a delete on another node removes the pod
# from its node. A macvlan pod whose parent only b has lands on b; one
# pinned to c is unschedulable, naming the interface c lacks.
set -u
. "$TANK_SRCDIR/tests/fleet/fleet-lib.sh"

FLEET_CONF_EXTRA='LeaseSec=6\nFenceSec=4\nRescheduleDelaySec=3'
fleet_up a:zone=a b:zone=b,role=db c:zone=c

IMAGE=127.0.0.1:5000/tank/busybox:latest   # every node's own registry
pod() { # NAME [POD-LEVEL FIELDS]
        printf '{"name": "%s", %s "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}' \
                "$1" "${2:-}" "$IMAGE"
}
apply_on() { # NODE JSON
        fx "$1" sh -c 'printf "%s\n" "$1" | tankctl apply -f - >/dev/null' apply "$2"
}
bound() { fleet_etcd get --print-value-only "/tank/v1/bound/$1"; }
scopes() { fx "$1" systemctl list-units --no-legend --plain --state=active 'tank-*-app.scope' | awk '{print $1}' | sort | tr '\n' ' '; }
runs_on() { # POD NODE: running on NODE, and on no other node
        local n
        for n in a b c; do
                if [ "$n" = "$2" ]; then
                        fx "$n" systemctl is-active -q "tank-$1-app.scope" || return 1
                else
                        ! fx "$n" systemctl is-active -q "tank-$1-app.scope" || return 1
                fi
        done
}
everywhere_stopped() { local n; for n in a b c; do ! fx "$n" systemctl is-active -q "tank-$1-app.scope" || return 1; done; }

has_scheduler() { [ -n "$(fleet_etcd get --print-value-only /tank/v1/scheduler)" ]; }
wait_for 20 has_scheduler || fail "no node holds /tank/v1/scheduler"
sched=$(fleet_etcd get --print-value-only /tank/v1/scheduler)
echo "scheduler: $sched"
case $sched in a | b | c) ;; *) fail "the scheduler key names '$sched'" ;; esac
wait_for 30 fleet_nodes_are a 'a b c' || fail "a does not list three nodes: $(fx a tankctl nodes 2>&1)"

# Six identical pods, applied as one array on the scheduler's node (its
# Apply binds each pod in the pod's own txn): two per node.
other=a; [ "$sched" != a ] || other=b
arr=$(for i in 1 2 3 4 5 6; do pod "s$i"; echo; done | jq -s -c .)
apply_on "$sched" "$arr" || fail "apply of six pods on $sched"
all_bound() { local i; for i in 1 2 3 4 5 6; do [ -n "$(bound "s$i")" ] || return 1; done; }
wait_for 30 all_bound || fail "not all six pods bound: $(fleet_etcd get --prefix /tank/v1/bound/)"
spread=$(for i in 1 2 3 4 5 6; do bound "s$i"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
echo "six pods: $spread"
assert_eq "$spread" "a=2 b=2 c=2 " "six identical pods over three nodes"
for i in 1 2 3 4 5 6; do
        n=$(bound "s$i")
        wait_for 60 runs_on "s$i" "$n" || fail "s$i (bound to $n) is not running on $n alone: a: $(scopes a) b: $(scopes b) c: $(scopes c)"
done
echo "each runs on its node alone: a: $(scopes a)| b: $(scopes b)| c: $(scopes c)"

# exec, logs and stats of a pod from another node than its own name its node.
n1=$(bound s1); m1=a; [ "$n1" != a ] || m1=b
out=$(fx "$m1" tankctl exec s1 -- true 2>&1) && fail "exec of s1 (on $n1) from $m1 succeeded: $out"
echo "$out" | grep -qF "pod s1 runs on node $n1, not on this node ($m1)" || fail "exec from $m1 said: $out"
out=$(fx "$m1" tankctl logs s1 2>&1) && fail "logs of s1 (on $n1) from $m1 succeeded: $out"
echo "$out" | grep -qF "pod s1 runs on node $n1, not on this node ($m1)" || fail "logs from $m1 said: $out"
fx "$n1" tankctl exec s1 -- true || fail "exec of s1 on its own node $n1 failed"
assert_eq "$(fx "$m1" busctl get-property org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager NodeName)" \
        "s \"$m1\"" "Manager.NodeName on $m1"
echo "from $m1: $out"

# Pinned, label-selected, and a label nobody has.
apply_on b "$(pod pin '"placement": {"node": "c"},')" || fail "apply pin"
apply_on c "$(pod db '"placement": {"labels": {"role": "db"}},')" || fail "apply db"
apply_on a "$(pod nowhere '"placement": {"labels": {"zone": "x"}},')" || fail "apply nowhere"
wait_for 60 runs_on pin c || fail "pin does not run on c alone (bound to '$(bound pin)')"
wait_for 60 runs_on db b || fail "db does not run on b alone (bound to '$(bound db)')"
reason() { fleet_etcd get --print-value-only /tank/v1/unschedulable/nowhere | jq -r .reason; }
wait_for 20 eval '[ "$(reason)" = "no node with labels zone=x" ]' ||
        fail "nowhere's reason is '$(reason)'"
[ -z "$(bound nowhere)" ] || fail "nowhere is bound to $(bound nowhere)"
everywhere_stopped nowhere || fail "the unschedulable pod runs somewhere"
echo "pin on c, db on b, nowhere: $(reason)"

# Every node lists every pod with its node (NODE, the last column), and the
# phase its node reports (/tank/v1/status/<pod>, leased by that node).
phase_on() { fx "$1" tankctl list | awk -v p="$2" '$1 == p { print $2 }'; }
all_running_on() { local p; for p in s1 s2 s3 s4 s5 s6 pin db; do [ "$(phase_on "$1" "$p")" = running ] || return 1; done; }
for n in a b c; do
        wait_for 30 all_running_on "$n" || fail "node $n does not show every placed pod running: $(fx "$n" tankctl list)"
done
assert_eq "$(fleet_etcd get --print-value-only /tank/v1/status/pin | jq -r '.node + " " + .phase')" "c running" \
        "pin's status record"
for n in a b c; do
        got=$(fx "$n" tankctl list | awk 'NR > 1 { print $1 "=" $NF }' | sort | tr '\n' ' ')
        want=$(for p in db nowhere pin s1 s2 s3 s4 s5 s6; do b=$(bound "$p"); echo "$p=${b:-<none>}"; done | sort | tr '\n' ' ')
        assert_eq "$got" "$want" "tankctl list's NODE column on $n"
done
fx b tankctl list
fx a tankctl get nowhere | grep -q "no node with labels zone=x" || fail "tankctl get nowhere does not give the reason"

# A cordoned node gets no new pod; applied on a node that does not
# schedule, so the scheduler's watch binds them, each to the node with the
# fewest pods.
fx a tankctl cordon c >/dev/null || fail "cordon c"
arr=$(for i in 1 2 3 4; do pod "k$i"; echo; done | jq -s -c .)
apply_on "$other" "$arr" || fail "apply k1..k4 on $other"
k_bound() { local i; for i in 1 2 3 4; do [ -n "$(bound "k$i")" ] || return 1; done; }
wait_for 30 k_bound || fail "k1..k4 not bound"
kspread=$(for i in 1 2 3 4; do bound "k$i"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
echo "with c cordoned, k1..k4 applied on $other: $kspread"
case $kspread in *c=*) fail "a pod was bound to the cordoned node c: $kspread" ;; esac
# Fewest pods wins the tie (no memory limits here): a and b end level, or
# one apart (b had db).
total() { local p n=0; for p in s1 s2 s3 s4 s5 s6 db k1 k2 k3 k4; do [ "$(bound "$p")" != "$1" ] || n=$((n + 1)); done; echo $n; }
ta=$(total a) tb=$(total b)
echo "pods on a: $ta, on b: $tb"
[ $((ta - tb)) -le 1 ] && [ $((tb - ta)) -le 1 ] || fail "a has $ta pods and b $tb: not the fewest-pods choice"
fx a tankctl uncordon c >/dev/null || fail "uncordon c"

# c cut off: once its lease expires, its pods are "unknown" to a and b (its
# status records went with the lease); back, it reports them running again.
fleet_link c down
on_c=$(for p in s1 s2 s3 s4 s5 s6 pin; do [ "$(bound "$p")" != c ] || echo "$p"; done)
all_unknown_on() { local p; for p in $on_c; do [ "$(phase_on "$1" "$p")" = unknown ] || return 1; done; }
wait_for 20 all_unknown_on a || fail "a does not show c's pods unknown: $(fx a tankctl list)"
echo "c cut off: a shows $(echo $on_c) unknown"
fleet_link c up
c_running_on() { local p; for p in $on_c; do [ "$(phase_on "$1" "$p")" = running ] || return 1; done; }
wait_for 30 c_running_on a || fail "a does not show c's pods running again: $(fx a tankctl list)"
echo "c back: a shows them running"

# Deleted on another node than its own: gone from its node, and its keys.
fx a tankctl delete pin >/dev/null || fail "delete pin on a"
wait_for 30 everywhere_stopped pin || fail "pin still runs after its delete on a"
left_of_pin() { fleet_etcd get --prefix --keys-only /tank/v1/ | grep '/pin$'; }
wait_for 10 eval '[ -z "$(left_of_pin)" ]' || fail "keys of pin left after its delete: $(left_of_pin | tr '\n' ' ')"
fx b tankctl delete s1 s2 s3 s4 s5 s6 db nowhere k1 k2 k3 k4 >/dev/null || fail "delete the rest on b"
for n in a b c; do
        wait_for 60 eval '[ -z "$(scopes '"$n"')" ]' || fail "scopes left on $n: $(scopes "$n")"
done

# What a pod needs of a host is checked by the scheduler against the nodes'
# records: only b has a dmy0 (a veth: no dummy driver here) (its record lists it after tankd's restart); a
# macvlan pod on dmy0 applied on a (which has none) is accepted and lands on
# b; one pinned to c is unschedulable, naming what c lacks.
fx b ip link add dmy0 type veth peer name dmy1 || fail "add dmy0 (a veth) on b"
fx b systemctl restart tankd.service || fail "restart tankd on b"
b_has_dmy0() { fleet_etcd get --print-value-only /tank/v1/nodes/b | jq -e '.interfaces | index("dmy0")' >/dev/null; }
wait_for 30 b_has_dmy0 || fail "b's record does not list dmy0: $(fleet_etcd get --print-value-only /tank/v1/nodes/b)"
nic='"network": {"nics": [{"name": "eth0", "parent": "dmy0", "ip": "192.0.2.150/24"}]},'
out=$(fx a sh -c 'printf "%s\n" "$1" | tankctl apply -f - 2>&1' apply "$(pod mv "$nic")") ||
        fail "a refused a macvlan pod on dmy0, which b has: $out"
wait_for 30 eval '[ "$(bound mv)" = b ]' || fail "mv is bound to '$(bound mv)', not to b (the only node with dmy0)"
wait_for 30 runs_on mv b || fail "mv does not run on b"
nic2='"network": {"nics": [{"name": "eth0", "parent": "dmy0", "ip": "192.0.2.151/24"}]},'
apply_on a "$(pod mvc "\"placement\": {\"node\": \"c\"}, $nic2")" || fail "apply mvc"
reason() { fleet_etcd get --print-value-only "/tank/v1/unschedulable/$1" | jq -r .reason; }
wait_for 20 eval '[ "$(reason mvc)" = "node c has no interface \"dmy0\" (network.nics[0].parent)" ]' ||
        fail "mvc, pinned to c, is not unschedulable for c's missing dmy0: '$(reason mvc)'"
echo "host facts: mv on dmy0 landed on b; mvc pinned to c: $(reason mvc)"
fx a tankctl delete mv mvc >/dev/null || fail "delete mv mvc"
wait_for 60 eval '[ -z "$(scopes b)" ]' || fail "scopes left on b: $(scopes b)"
echo "test-fleet-placement: all checks passed"
