#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nodes with leases (issue 17): tankd registers /tank/v1/nodes/<name> with a
# lease of [Node] LeaseSec=; tankctl nodes shows it Ready with its labels and
# memory; cordon/uncordon survive a restart; a kill -9 brings it back with a
# new lease; a clean stop revokes the lease (the key goes at once); a tankd
# stopped past its lease loses the key and registers again when it runs on;
# a config that breaks the fence inequality or a bad Name= is refused.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap 'rm -rf /etc/tank/tank.conf.d; tank_down' EXIT

NODE=test-node-1
NODECONF="[Node]
Name=$NODE
Labels=zone=a role=db
LeaseSec=3"
tank_up "$NODECONF"

etcd() { ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" "$@"; }
node_key_present() { [ -n "$(etcd get --print-value-only /tank/v1/nodes/$NODE)" ]; }
node_key_absent() { etcd get /tank/v1/nodes/$NODE >/tmp/node-get && [ ! -s /tmp/node-get ]; }
# etcdctl's JSON has int64 numbers, which jq would round to doubles: cut the text.
lease_of() { etcd get "$1" -w json | grep -o '"lease":[0-9]*' | cut -d: -f2 | grep . || echo 0; }
lease_id() { lease_of /tank/v1/nodes/$NODE; }
node_status() { tankctl nodes -o json | jq -r --arg n "$NODE" '.[] | select(.name == $n) | .status'; }
tankd_pid() { systemctl show -P MainPID tankd.service; }

# Registered, with a lease of LeaseSec=3 (etcdctl takes the id in hex).
wait_for 20 node_key_present || fail "tankd did not register its node key"
value=$(etcd get --print-value-only /tank/v1/nodes/$NODE)
assert_eq "$(jq -r .name <<<"$value")" "$NODE" "record name"
assert_eq "$(jq -c .labels <<<"$value")" '{"zone":"a","role":"db"}' "record labels"
[ "$(jq -r .capacity.memory_bytes <<<"$value")" -gt 0 ] || fail "no memory capacity in $value"
[ "$(jq -r .capacity.cpus <<<"$value")" -gt 0 ] || fail "no cpus in $value"
assert_eq "$(jq -r .boot_id <<<"$value")" "$(cat /proc/sys/kernel/random/boot_id)" "record boot_id"
lease=$(lease_id)
[ "$lease" != 0 ] || fail "node key has no lease"
ttl=$(etcd lease timetolive "$(printf '%x' "$lease")")
grep -q 'granted with TTL(3s)' <<<"$ttl" || fail "lease TTL is not LeaseSec=3: $ttl"
# Renewed: still the same lease, still there, after several TTLs (3 s each).
sleep 7
node_key_present || fail "the node key vanished although tankd renews its lease"
assert_eq "$(lease_id)" "$lease" "the lease is renewed, not replaced"

# Deleted by hand while the lease lives: written again, with the same lease.
etcd del /tank/v1/nodes/$NODE >/dev/null || fail "etcdctl del of the node key"
wait_for 5 node_key_present || fail "the node key deleted by hand was not written again"
assert_eq "$(lease_id)" "$lease" "the record written again keeps the lease"
journalctl -u tankd --no-pager | grep -q "The record of node $NODE vanished from the store while its lease lives" ||
        fail "tankd did not say it wrote its vanished record again"

# tankctl nodes: Ready, labels, memory, the pods in the store.
tank_pod_json web | tankctl apply -f - >/dev/null || fail "apply"
out=$(tankctl nodes)
echo "$out"
head -1 <<<"$out" | grep -Eq '^NAME +STATUS +LABELS +PODS +MEMORY +AGE$' || fail "nodes header: $out"
grep -Eq "^$NODE +Ready +zone=a,role=db +1 +[0-9.]+[KMGT]iB +[0-9]+[smhd]$" <<<"$out" || fail "nodes row: $out"
assert_eq "$(node_status)" "Ready" "status"

# Cordon: a persistent flag that survives a restart of tankd; uncordon removes it.
tankctl cordon "$NODE" | grep -qx "node/$NODE cordoned" || fail "cordon output"
assert_eq "$(node_status)" "Ready,SchedulingDisabled" "cordoned status"
[ -n "$(etcd get --print-value-only /tank/v1/cordoned/$NODE)" ] || fail "no cordon flag in the store"
assert_eq "$(lease_of /tank/v1/cordoned/$NODE)" 0 "cordon flag is not leased"
systemctl restart tankd.service || fail "restart"
tank_wait_bus 60
wait_for 20 node_key_present || fail "no node key after the restart"
assert_eq "$(node_status)" "Ready,SchedulingDisabled" "cordon survives a restart"
tankctl uncordon "$NODE" | grep -qx "node/$NODE uncordoned" || fail "uncordon output"
assert_eq "$(node_status)" "Ready" "uncordoned status"
tankctl cordon no-such-node 2>/tmp/cordon-err && fail "cordon of an unknown node succeeded"
grep -q 'no node "no-such-node"' /tmp/cordon-err || fail "cordon error: $(cat /tmp/cordon-err)"

# kill -9: systemd restarts tankd, which registers with a new lease.
lease=$(lease_id)
pid=$(tankd_pid)
kill -9 "$pid"
wait_for 30 sh -c "[ \"\$(systemctl show -P MainPID tankd.service)\" != 0 ] && [ \"\$(systemctl show -P MainPID tankd.service)\" != $pid ]" ||
        fail "systemd did not restart tankd"
tank_wait_bus 60
new_lease() { [ "$(lease_id)" != 0 ] && [ "$(lease_id)" != "$lease" ]; }
wait_for 20 new_lease ||
        fail "the node did not come back with a new lease after kill -9"
node_key_present || fail "no node key after kill -9"

# A clean stop revokes the lease: the key is gone as soon as stop returns.
systemctl stop tankd.service || fail "stop"
node_key_absent || fail "the node key outlived a clean stop: $(cat /tmp/node-get)"
journalctl -u tankd --no-pager | grep -q "Revoked the lease of node $NODE" || fail "no revoke in the journal"
systemctl start tankd.service || fail "start"
tank_wait_bus 60
wait_for 20 node_key_present || fail "no node key after start"

# Stopped (SIGSTOP) past its lease: the key vanishes; SIGCONT: registered again.
pid=$(tankd_pid)
kill -STOP "$pid"
wait_for 20 node_key_absent || { kill -CONT "$pid"; fail "the node key outlived its lease"; }
kill -CONT "$pid"
wait_for 20 node_key_present || fail "the node did not register again after SIGCONT"
journalctl -u tankd --no-pager | grep -q "The lease of node $NODE expired, registering the node again" ||
        fail "no re-registration in the journal"
assert_eq "$(node_status)" "Ready" "status after re-registration"

# Refused configurations: tankd exits non-zero naming the keys and values.
tankd_bin=$(command -v tankd || ls /usr/local/sbin/tankd /usr/sbin/tankd 2>/dev/null | head -1)
refused() {
        local conf=$1 expect=$2
        mkdir -p /etc/tank/tank.conf.d
        printf '%s\n' "$conf" >/etc/tank/tank.conf.d/90-bad.conf
        systemctl stop tankd.service
        "$tankd_bin" >/tmp/tankd-bad.out 2>&1 && fail "tankd accepted: $conf"
        grep -qF "$expect" /tmp/tankd-bad.out || fail "tankd's refusal of '$conf' did not say '$expect': $(cat /tmp/tankd-bad.out)"
        rm -f /etc/tank/tank.conf.d/90-bad.conf
}
refused $'[Node]\nName=Bad_Name' "Name=Bad_Name: not a valid node name"
refused $'[Node]\nLeaseSec=6\nRescheduleDelaySec=1' \
        "[Node] FenceSec=4s + [Restart] StopTimeoutSec=3s + 2s margin must not exceed [Node] LeaseSec=6s + RescheduleDelaySec=1s"
refused $'[Node]\nFenceSec=5' "[Node] FenceSec=5s must be longer than a keepalive period (LeaseSec/3 = 1s) and shorter than LeaseSec=3s"
systemctl start tankd.service || fail "start after the refusals"
tank_wait_bus 60
echo "ok: nodes"
