#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An allocation failure never stops a workload (issue 12, defect 4). With
# TANK_TEST_FAIL_ALLOC_AT (inert unless set; manager.c) tankd fails, as if out
# of memory, the first lists of the store the watch hands it, or the first
# event: it says so, the watch lists again after a backoff, and the running
# container keeps its pid throughout; a pod put while an event fails still
# comes up, from the list that follows.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
# Through the manager's environment, not a drop-in: a daemon-reload while
# pods run is not what this test is about.
cleanup() {
        systemctl unset-environment TANK_TEST_FAIL_ALLOC_AT
        tank_down
}
trap cleanup EXIT

tank_up

tank_pod_json p1 always | tankctl apply -f - || fail "apply p1"
wait_phase p1 running 120
pid=$(scope_pid p1 app)
[ -n "$pid" ] && kill -0 "$pid" || fail "no workload pid for p1"

restart_failing() {
        systemctl set-environment TANK_TEST_FAIL_ALLOC_AT="$1"
        systemctl restart tankd.service || fail "restart tankd with $1"
        tank_wait_bus 60
}
tankd_log() { journalctl -u tankd --no-pager -o cat _PID="$(systemctl show -P MainPID tankd.service)"; }

# The first three lists fail: no pod is taken as deleted, the fourth list is
# taken in, tankd adopts p1 as it runs.
restart_failing resync:3
n=$(tankd_log | grep -c "Could not take in the store's list of pods, listing again: Cannot allocate memory")
assert_eq "$n" 3 "failed lists logged"
tankd_log | grep -q "Store listed 1 pods" || fail "the list after the failures was not taken in"
wait_phase p1 running 30
assert_eq "$(scope_pid p1 app)" "$pid" "p1's workload pid across failed lists"
kill -0 "$pid" || fail "p1's workload is gone"
tankd_log | grep -q "Pod p1 deleted" && fail "a failed list was taken as a deletion"

# The first event fails: the pod put behind tankd's back comes from the list.
restart_failing event:1
ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" put /tank/v1/pods/p2 "$(tank_pod_json p2 always)" \
        >/dev/null || fail "etcdctl put failed"
wait_phase p2 running 60
tankd_log | grep -q "Could not take in the store's event for pod p2, listing the store again" ||
        fail "the failed event was not logged"
assert_eq "$(scope_pid p1 app)" "$pid" "p1's workload pid across a failed event"
echo "oom: ok"
