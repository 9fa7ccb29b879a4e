#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placement, bindings and the scheduler (issue 17 step 2) on a fleet of one:
# an applied pod is bound to this node (bindings/<self>/<pod> and
# bound/<pod>) and runs, its Node property and tankctl list's NODE column
# say so; a pod pinned to an absent node is unschedulable with a reason and
# does not run, and is bound to that node once its record appears (and still
# does not run here); a label nobody has is a reason too; a cordoned node
# gets no new pod until uncordoned; refused placement forms name their path;
# a store without bindings (an upgrade) is bound again without restarting
# anything; a delete takes the binding with the pod.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap 'tank_down' EXIT

SELF=node-a
tank_up "[Node]
Name=$SELF
Labels=zone=a
LeaseSec=3"

etcd() { ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" "$@"; }
value() { etcd get --print-value-only "$1"; }
absent() { [ -z "$(etcd get --keys-only "$1")" ]; }
reason() { value /tank/v1/unschedulable/$1 | jq -r .reason; }
scope_active() { systemctl is-active -q "tank-$1-app.scope"; }
pod_with() { # NAME FIELDS: a busybox pod with extra pod-level fields
        printf '{"name": "%s", %s "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}\n' \
                "$1" "$2" "$TANK_IMAGE"
}
bound_to() { [ "$(value /tank/v1/bound/$1)" = "$2" ]; }

# This node holds the scheduler role (its node record written first):
# only then does Apply bind in the same txn, which is checked below.
is_scheduler() { [ "$(value /tank/v1/scheduler)" = $SELF ] && [ -n "$(value /tank/v1/nodes/$SELF)" ]; }
wait_for 10 is_scheduler || fail "node $SELF did not become the scheduler: '$(value /tank/v1/scheduler)'"
sleep 1

# A pod applied is bound to this node, and runs.
tank_pod_json web | tankctl apply -f - >/dev/null || fail "apply web"
wait_phase web running 60
wait_for 10 bound_to web $SELF || fail "bound/web is '$(value /tank/v1/bound/web)', not $SELF"
b=$(value /tank/v1/bindings/$SELF/web)
assert_eq "$(jq -r .node <<<"$b")" "$SELF" "binding node"
assert_eq "$(jq -r .pod <<<"$b")" "web" "binding pod"
[ "$(jq -r .bound_usec <<<"$b")" -gt 0 ] || fail "binding without bound_usec: $b"
absent /tank/v1/unschedulable/web || fail "a bound pod has an unschedulable key"
# The scheduler is this node: Apply wrote the pod and its binding in one txn.
mod_rev() { etcd get "$1" -w json | grep -o '"mod_revision":[0-9]*' | cut -d: -f2; }
assert_eq "$(mod_rev /tank/v1/bound/web)" "$(mod_rev /tank/v1/pods/web)" "the pod and its binding in one txn"
assert_eq "$(value /tank/v1/scheduler)" "$SELF" "the scheduler election's holder"
assert_eq "$(busctl get-property org.tank.Tank1 /org/tank/Tank1/pod/web org.tank.Tank1.Pod Node)" "s \"$SELF\"" \
        "Node property"
tankctl list | head -1 | grep -Eq '^NAME +PHASE +READY +RESTARTS +AGE +NODE$' || fail "list header: $(tankctl list)"
tankctl list | grep -Eq "^web +running +1/1 +0 +[0-9]+[smhd] +$SELF$" || fail "list row: $(tankctl list)"
assert_eq "$(tankctl get web -o json | jq -r .status.node)" "$SELF" "get -o json status.node"

# Pinned to a node that is not registered: unschedulable, not running.
pod_with pinned '"placement": {"node": "b"},' | tankctl apply -f - >/dev/null || fail "apply pinned"
wait_for 10 sh -c "[ \"\$(ETCDCTL_API=3 etcdctl --endpoints='$(tank_store_endpoint)' get --print-value-only /tank/v1/unschedulable/pinned | jq -r .reason)\" = 'node b is not registered' ]" ||
        fail "pinned: unschedulable reason is '$(reason pinned)'"
absent /tank/v1/bound/pinned || fail "pinned got bound to $(value /tank/v1/bound/pinned)"
sleep 1
scope_active pinned && fail "a pod pinned to an absent node runs here"
tankctl get pinned | grep -q '^Unschedulable: node b is not registered$' || fail "get does not show the reason: $(tankctl get pinned)"
tankctl list | grep -Eq '^pinned .* <none>$' || fail "list row of an unbound pod: $(tankctl list)"
assert_eq "$(busctl get-property org.tank.Tank1 /org/tank/Tank1/pod/pinned org.tank.Tank1.Pod Node)" 's ""' \
        "Node property of an unbound pod"

# A label no node has.
pod_with zonec '"placement": {"labels": {"zone": "c"}},' | tankctl apply -f - >/dev/null || fail "apply zonec"
wait_for 10 sh -c "ETCDCTL_API=3 etcdctl --endpoints='$(tank_store_endpoint)' get --print-value-only /tank/v1/unschedulable/zonec | jq -e '.reason == \"no node with labels zone=c\"' >/dev/null" ||
        fail "zonec: unschedulable reason is '$(reason zonec)'"
# A label this node has: bound here.
pod_with zonea '"placement": {"labels": {"zone": "a"}},' | tankctl apply -f - >/dev/null || fail "apply zonea"
wait_phase zonea running 60
bound_to zonea $SELF || fail "zonea is not bound to $SELF"

# Cordoned: a new unpinned pod is not placed; uncordoned, it is bound and runs.
tankctl cordon $SELF >/dev/null || fail "cordon"
tank_pod_json cord | tankctl apply -f - >/dev/null || fail "apply cord"
wait_for 10 sh -c "ETCDCTL_API=3 etcdctl --endpoints='$(tank_store_endpoint)' get --print-value-only /tank/v1/unschedulable/cord | jq -e '.reason == \"every node is cordoned\"' >/dev/null" ||
        fail "cord: unschedulable reason is '$(reason cord)'"
scope_active cord && fail "a pod started on a cordoned node"
tankctl uncordon $SELF >/dev/null || fail "uncordon"
wait_phase cord running 60
bound_to cord $SELF || fail "cord is not bound to $SELF after uncordon"
wait_for 10 absent /tank/v1/unschedulable/cord || fail "the unschedulable key outlived the binding"

# Node b appears (a leased record, as a real node writes it): the pinned pod
# is bound to b by the watch path, and still does not run here.
lease=$(etcd lease grant 60 | awk '{print $2}')
etcd put --lease="$lease" /tank/v1/nodes/b \
        '{"name":"b","labels":{},"capacity":{"cpus":1,"memory_bytes":1073741824},"version":"test","boot_id":"x","started_usec":1}' \
        >/dev/null || fail "put node b"
wait_for 10 bound_to pinned b || fail "pinned was not bound to b: bound/pinned='$(value /tank/v1/bound/pinned)'"
[ -n "$(value /tank/v1/bindings/b/pinned)" ] || fail "no bindings/b/pinned"
absent /tank/v1/bindings/$SELF/pinned || fail "pinned is bound to $SELF too"
wait_for 10 absent /tank/v1/unschedulable/pinned || fail "pinned is still unschedulable once bound"
sleep 1
scope_active pinned && fail "a pod bound to node b runs here"
tankctl list | grep -Eq '^pinned .* b$' || fail "list row of a pod bound to b: $(tankctl list)"
assert_eq "$(tankctl nodes -o json | jq -r '.[] | select(.name == "b") | .pods')" 1 "pods bound to b in tankctl nodes"
assert_eq "$(tankctl nodes -o json | jq -r --arg n $SELF '.[] | select(.name == $n) | .pods')" 3 \
        "pods bound to $SELF in tankctl nodes (web, zonea, cord)"
etcd lease revoke "$lease" >/dev/null

# Refused forms, named by their path.
refused() {
        local spec=$1 expect=$2
        tankctl apply -f - <<<"$spec" >/dev/null 2>/tmp/apply-err && fail "accepted: $spec"
        grep -qF "$expect" /tmp/apply-err || fail "refusal of $spec did not say '$expect': $(cat /tmp/apply-err)"
}
refused "$(pod_with bad '"placement": {"node": "b", "labels": {"zone": "a"}},')" \
        'placement: "node" and "labels" are exclusive'
refused "$(pod_with bad '"placement": {"nodes": "b"},')" 'placement: unknown field "nodes"'
refused "$(pod_with bad '"reschedule": true, "volumes": [{"name": "data"}],')" \
        'reschedule: a pod with managed volumes cannot move between nodes'

# Upgrade from a store without bindings: tankd stopped, every binding and
# index deleted, tankd started: the pods are bound again, nothing restarted.
pid_web=$(scope_pid web); pid_cord=$(scope_pid cord)
[ -n "$pid_web" ] && [ "$pid_web" != null ] || fail "no pid for web"
systemctl stop tankd.service || fail "stop tankd"
etcd del --prefix /tank/v1/bindings/ >/dev/null
etcd del --prefix /tank/v1/bound/ >/dev/null
absent /tank/v1/bound/web || fail "bound/web not deleted"
systemctl start tankd.service || fail "start tankd"
tank_wait_bus 60
wait_for 20 bound_to web $SELF || fail "web was not bound again after the upgrade"
wait_for 20 bound_to cord $SELF || fail "cord was not bound again after the upgrade"
[ -n "$(value /tank/v1/bindings/$SELF/web)" ] || fail "no bindings/$SELF/web after the upgrade"
wait_phase web running 30
assert_eq "$(scope_pid web)" "$pid_web" "web's main pid across the upgrade"
assert_eq "$(scope_pid cord)" "$pid_cord" "cord's main pid across the upgrade"
assert_eq "$(container_field web app restarts)" 0 "web's restarts across the upgrade"

# A fleet of one publishes no pod status (nobody would read it): no store
# write per phase change.
assert_eq "$(etcd get --prefix --keys-only /tank/v1/status/ | grep -c .)" 0 "status records on a fleet of one"

# Delete takes the binding, the index and the unschedulable key with the pod.
tankctl delete web >/dev/null || fail "delete web"
absent /tank/v1/pods/web || fail "pods/web outlived the delete"
absent /tank/v1/bindings/$SELF/web || fail "bindings/$SELF/web outlived the delete"
absent /tank/v1/bound/web || fail "bound/web outlived the delete"
tankctl delete zonec >/dev/null || fail "delete zonec"
absent /tank/v1/unschedulable/zonec || fail "unschedulable/zonec outlived the delete"
echo "ok: bindings"
