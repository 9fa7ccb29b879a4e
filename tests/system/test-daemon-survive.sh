#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Workloads outlive tankd: with 20 pods running, `systemctl restart tankd` and a
# kill -9 of tankd leave every workload PID unchanged, and the new tankd adopts
# them without starting a duplicate scope. A pod deleted while tankd is down is
# cleaned up on its return.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up

N=20
for i in $(seq 1 $N); do
        tank_pod_json "p$i" always | tankctl apply -f - || fail "apply p$i"
done
for i in $(seq 1 $N); do
        wait_phase "p$i" running 120
done
snapshot() {
        for i in $(seq 1 $N); do
                echo "p$i $(scope_pid "p$i" app) $(container_field "p$i" app restarts)"
        done
}
snapshot >/tmp/before
scopes() { systemctl list-units --no-legend --plain 'tank-*.scope' | awk '{print $1}' | sort; }
scopes >/tmp/scopes-before
assert_eq "$(wc -l </tmp/scopes-before)" "$N" "one scope per pod"

systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
for i in $(seq 1 $N); do wait_phase "p$i" running 60; done
snapshot >/tmp/after
diff -u /tmp/before /tmp/after || fail "workloads changed across systemctl restart tankd"
scopes >/tmp/scopes-after
diff -u /tmp/scopes-before /tmp/scopes-after || fail "scopes changed across a restart"

kill -9 "$(systemctl show -P MainPID tankd.service)"
# Restart=on-failure brings it back; it adopts, it does not start anything new.
sleep 2
tank_wait_bus 60
for i in $(seq 1 $N); do wait_phase "p$i" running 60; done
snapshot >/tmp/after2
diff -u /tmp/before /tmp/after2 || fail "workloads changed across kill -9 of tankd"
scopes >/tmp/scopes-after2
diff -u /tmp/scopes-before /tmp/scopes-after2 || fail "duplicate or lost scopes after kill -9"

# The system bus restarts (a dbus upgrade): tankd, having lost its connection,
# exits with a failure, systemd starts it again, and it adopts everything.
old=$(systemctl show -P MainPID tankd.service)
systemctl restart dbus.service || fail "restarting dbus failed"
wait_for 60 sh -c "[ \"\$(systemctl show -P MainPID tankd.service)\" != $old ]" ||
        fail "tankd did not restart after the bus went away"
tank_wait_bus 60
journalctl -u tankd --no-pager | grep -q "Lost the connection to the system bus" ||
        fail "tankd did not say why it exited"
for i in $(seq 1 $N); do wait_phase "p$i" running 60; done
snapshot >/tmp/after3
diff -u /tmp/before /tmp/after3 || fail "workloads changed across a restart of the bus"

# A call that starts tankd by bus activation arrives before the store's first
# list: it waits for that list, and answers from it (not "no pod").
systemctl stop tankd.service
out=$(tankctl get p2 -o json) || fail "get p2 through bus activation failed: $out"
assert_eq "$(echo "$out" | jq -r .spec.name)" p2 "the pod Get answered for, right after activation"
systemctl stop tankd.service
assert_eq "$(tankctl list | awk 'NR > 1' | wc -l)" "$N" "pods List answered with, right after activation"
tank_wait_bus 60

# While tankd is down, a pod is deleted from the store by a peer: the returning
# tankd stops what is no longer desired.
systemctl stop tankd.service
pid=$(awk '$1 == "p1" {print $2}' /tmp/before)
kill -0 "$pid" || fail "stopping tankd stopped a workload"
ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" del /tank/v1/pods/p1 >/dev/null ||
        fail "etcdctl del failed"
systemctl start tankd.service
tank_wait_bus 60
wait_for 30 sh -c "! kill -0 $pid 2>/dev/null" || fail "deleted pod p1 still runs after tankd came back"
wait_for 30 sh -c '! systemctl is-active tank-p1-app.scope >/dev/null 2>&1' || fail "p1's scope still active"
echo "survive: ok"
