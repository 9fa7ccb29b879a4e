#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pod networking end to end (issue 7): macvlan pods on a veth "LAN" whose far
# side is a "router" namespace (192.0.2.1/24 on tlan0, 198.51.100.1/24 on tlan1);
# pod-to-router, pod-to-pod and router-to-pod traffic; two NICs on two uplinks;
# the gateway route; resolv.conf/hosts/hostname; parent from [Host] Uplink= and
# from the auto adapter's default route; "none" and "host"; adoption across a
# tankd restart; nothing left after delete, also after kill -9 of tankd;
# duplicate address and missing parent refused at apply, also for two applies
# racing for one address; a duplicate that bypassed admission fails at bring-up.
# Only documentation addresses, only namespaces and links this test creates.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

ROUTER=tank-net-router
# This test adds links, addresses and a default route to the namespace it runs
# in, and tankd must share that namespace: only the sandbox's own, or the VM
# test bed's throwaway guest (tests/vm/, /etc/tank-vm-testbed), is safe.
# (Under the host's systemd, run the suite with TANK_SYSTEM_TESTS_SANDBOX=1.)
[ "${container:-}" = tank-sandbox ] || [ "$(cat /run/systemd/container 2>/dev/null)" = tank-sandbox ] ||
        [ -e /etc/tank-vm-testbed ] ||
        fail "test-net.sh changes the network namespace it runs in: run it inside the tank sandbox"
net_cleanup() {
        tank_down
        ip route del default dev tlan1 2>/dev/null
        ip link del tlan0 2>/dev/null
        ip link del tlan1 2>/dev/null
        ip netns del "$ROUTER" 2>/dev/null
}
trap net_cleanup EXIT

# The LAN.
ip netns del "$ROUTER" 2>/dev/null
ip netns add "$ROUTER" || fail "ip netns add"
ip link add tlan0 type veth peer name r0 netns "$ROUTER" || fail "veth tlan0"
ip link add tlan1 type veth peer name r1 netns "$ROUTER" || fail "veth tlan1"
ip link set tlan0 up && ip link set tlan1 up || fail "uplinks up"
ip -n "$ROUTER" link set lo up
ip -n "$ROUTER" addr add 192.0.2.1/24 dev r0 && ip -n "$ROUTER" link set r0 up || fail "router r0"
ip -n "$ROUTER" addr add 198.51.100.1/24 dev r1 && ip -n "$ROUTER" link set r1 up || fail "router r1"
host_addrs_before=$(ip -o addr show | awk '{print $2, $4}' | sort)

tank_up "[Host]
Adapter=static
Uplink=tlan0
DNS=198.51.100.53"

R() { ip netns exec "$ROUTER" "$@"; }
# in_pod POD CMD...: run CMD inside the pod's container (its net + mount ns).
in_pod() {
        local pid
        pid=$(scope_pid "$1" app)
        shift
        nsenter -t "$pid" -n -m -u -- "$@"
}
# in_net POD CMD...: run a host binary (ip) in the pod's network namespace only.
in_net() {
        local pid
        pid=$(scope_pid "$1" app)
        shift
        nsenter -t "$pid" -n -- "$@"
}
macvlan_pod() {   # NAME NICS_JSON [DNS_JSON] [CMD...]
        local name=$1 nics=$2 dns=${3:-}
        shift 3 2>/dev/null || shift $#
        local cmd='["sleep", "infinity"]'
        [ $# -gt 0 ] && cmd=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
        local net="{\"nics\": $nics${dns:+, \"dns\": $dns}}"
        printf '{"name": "%s", "network": %s, "containers": [{"name": "app", "image": "%s", "command": %s}]}\n' \
                "$name" "$net" "$TANK_IMAGE" "$cmd"
}
apply() { echo "$1" | tankctl apply -f - || fail "apply failed: $1"; }

echo "== two macvlan pods on the uplink from [Host] Uplink="
apply "$(macvlan_pod a '[{"name": "eth0", "ip": "192.0.2.5/24", "gateway": "192.0.2.1"}]' '["192.0.2.53"]' \
        sh -c 'mkdir -p /tmp/www && echo hello-from-a >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www')"
apply "$(macvlan_pod b '[{"name": "eth0", "ip": "192.0.2.6/24"}]')"
wait_phase a running 60
wait_phase b running 60

in_net a ip -4 -o addr show dev eth0 | grep -q ' 192.0.2.5/24 ' || fail "pod a lacks 192.0.2.5/24"
in_net a ip -d link show eth0 | grep -q 'macvlan mode bridge' || fail "eth0 of a is not a bridge-mode macvlan"
assert_eq "$(in_net a ip route show default | awk '{print $1, $2, $3, $4, $5}')" "default via 192.0.2.1 dev eth0" "gateway route of a"
[ -z "$(in_net b ip route show default)" ] || fail "pod b (no gateway) has a default route"
in_pod a ping -c1 -W3 192.0.2.1 >/dev/null || fail "a cannot ping the router"
in_pod a ping -c1 -W3 192.0.2.6 >/dev/null || fail "a cannot ping b"
in_pod b ping -c1 -W3 192.0.2.5 >/dev/null || fail "b cannot ping a"
wait_for 10 in_pod b wget -q -O /dev/null http://192.0.2.5:8080/ || fail "b cannot fetch from a"
assert_eq "$(in_pod b wget -q -O - http://192.0.2.5:8080/)" "hello-from-a" "page fetched by b from a"
assert_eq "$(R busybox wget -q -O - http://192.0.2.5:8080/)" "hello-from-a" "page fetched by the router from a"

echo "== /etc files"
in_pod a cat /etc/resolv.conf | grep -q '^nameserver 192.0.2.53$' || fail "a's resolv.conf is not its dns"
[ "$(in_pod a grep -c '^nameserver' /etc/resolv.conf)" = 1 ] || fail "a's resolv.conf has extra servers"
in_pod b cat /etc/resolv.conf | grep -q '^nameserver 198.51.100.53$' || fail "b's resolv.conf is not [Host] DNS="
in_pod a grep -q "$(printf '^192.0.2.5\ta$')" /etc/hosts || fail "a's /etc/hosts lacks its name"
in_pod a grep -q 'localhost' /etc/hosts || fail "a's /etc/hosts lacks localhost"
assert_eq "$(in_pod a cat /etc/hostname)" "a" "a's /etc/hostname"
assert_eq "$(in_pod a hostname)" "a" "a's hostname"

echo "== the host namespace holds no pod link or address"
[ -z "$(ip -o link show type macvlan)" ] || fail "macvlan links in the host namespace: $(ip -o link show type macvlan)"
assert_eq "$(ip -o addr show | awk '{print $2, $4}' | sort)" "$host_addrs_before" "host addresses"

echo "== two NICs on two uplinks"
apply "$(macvlan_pod duo '[{"name": "eth0", "parent": "tlan0", "ip": "192.0.2.7/24", "gateway": "192.0.2.1"},
        {"name": "eth1", "parent": "tlan1", "ip": "198.51.100.7/24"}]')"
wait_phase duo running 60
in_pod duo ping -c1 -W3 192.0.2.1 >/dev/null || fail "duo cannot reach 192.0.2.1 over eth0"
in_pod duo ping -c1 -W3 198.51.100.1 >/dev/null || fail "duo cannot reach 198.51.100.1 over eth1"
R busybox ping -c1 -W3 198.51.100.7 >/dev/null ||
        fail "the router cannot reach duo's eth1"

echo "== none and host"
tank_pod_json quiet always >/tmp/quiet.json
tankctl apply -f /tmp/quiet.json || fail "apply quiet"
printf '{"name": "hostnet", "network": "host", "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}\n' \
        "$TANK_IMAGE" | tankctl apply -f - || fail "apply hostnet"
wait_phase quiet running 60
wait_phase hostnet running 60
assert_eq "$(in_net quiet ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo " "links of a none pod"
in_net quiet ip -o link show lo | grep -q 'UP' || fail "lo of a none pod is down"
assert_eq "$(readlink /proc/"$(scope_pid hostnet app)"/ns/net)" "$(readlink /proc/self/ns/net)" "netns of a host pod"
in_net hostnet ip -o link show tlan1 >/dev/null || fail "a host pod does not see tlan1"

echo "== refused at apply: duplicate address, missing parent"
out=$(macvlan_pod c '[{"name": "eth0", "ip": "192.0.2.5/24"}]' | tankctl apply -f - 2>&1) && fail "duplicate address accepted"
echo "$out" | grep -qF 'network.nics[0].ip: address 192.0.2.5 is already used by pod "a"' || fail "unclear duplicate error: $out"
out=$(macvlan_pod c '[{"name": "eth0", "parent": "eth7", "ip": "192.0.2.8/24"}]' | tankctl apply -f - 2>&1) &&
        fail "missing parent accepted"
echo "$out" | grep -qF 'network.nics[0].parent: no interface "eth7" on this host' || fail "unclear parent error: $out"
tankctl get c >/dev/null 2>&1 && fail "a refused pod exists"

echo "== two applies of one address at once: exactly one is accepted, every round"
# Admission reserves the address of an Apply still on its way to the store;
# without that, both pass while neither is acknowledged yet.
for round in 1 2 3 4 5 6 7 8; do
        for n in r1 r2; do
                macvlan_pod "$n" '[{"name": "eth0", "ip": "192.0.2.40/24"}]' >"/tmp/race-$n.json"
        done
        tankctl apply -f /tmp/race-r1.json >/tmp/race-r1.out 2>&1 & j1=$!
        tankctl apply -f /tmp/race-r2.json >/tmp/race-r2.out 2>&1 & j2=$!
        wait "$j1"; s1=$?
        wait "$j2"; s2=$?
        if [ "$s1" -eq 0 ] && [ "$s2" -ne 0 ]; then win=r1 lose=r2
        elif [ "$s2" -eq 0 ] && [ "$s1" -ne 0 ]; then win=r2 lose=r1
        else fail "round $round: apply exited $s1 and $s2, not exactly one accepted: $(cat /tmp/race-r1.out /tmp/race-r2.out)"
        fi
        grep -qF "network.nics[0].ip: address 192.0.2.40 is already used by pod \"$win\"" "/tmp/race-$lose.out" ||
                fail "round $round: unclear refusal: $(cat "/tmp/race-$lose.out")"
        tankctl get "$lose" >/dev/null 2>&1 && fail "round $round: the refused pod $lose exists"
        tankctl delete "$win" >/dev/null || fail "round $round: delete $win"
        wait_for 60 sh -c "[ ! -e /run/tank/netns/$win ]" || fail "round $round: $win not torn down"
done

echo "== checked again before bring-up: a spec that bypassed admission fails, the holder keeps its network"
ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" put /tank/v1/pods/dup \
        "$(macvlan_pod dup '[{"name": "eth0", "ip": "192.0.2.5/24"}]')" >/dev/null || fail "etcdctl put dup"
wait_for 30 sh -c "tankctl get dup -o json | jq -r '.status.containers[0].message' |
        grep -qF 'network.nics[0].ip: address 192.0.2.5 is held by pod \"a\"'" ||
        { tankctl get dup -o json >&2; fail "dup was not failed with the address's holder"; }
[ ! -e /run/tank/netns/dup ] || fail "dup got a network namespace"
in_pod b ping -c1 -W3 192.0.2.5 >/dev/null || fail "a lost its address to dup"
tankctl delete dup >/dev/null || fail "delete dup"

echo "== the flagship pod: macvlan + managed volume + host volume + limits + restart"
mkdir -p /tmp/tank-net-api-config && echo port=8080 >/tmp/tank-net-api-config/api.conf
cat >/tmp/api.json <<EOF2
{
  "name": "api",
  "restart": "always",
  "network": {
    "nics": [{"name": "eth0", "parent": "auto", "ip": "192.0.2.20/24", "gateway": "192.0.2.1"}],
    "dns": ["192.0.2.1"]
  },
  "volumes": [{"name": "state"}, {"name": "config", "source": {"host": "/tmp/tank-net-api-config"}}],
  "containers": [{
    "name": "app",
    "image": "$TANK_IMAGE",
    "command": ["sh", "-c"], "args": ["echo run >>/var/lib/app/runs; exec httpd -f -p 8080 -h /etc/api"],
    "env": {"PORT": "8080"}, "working_dir": "/srv",
    "mounts": [{"volume": "state", "path": "/var/lib/app"},
               {"volume": "config", "path": "/etc/api", "read_only": true}],
    "limits": {"memory": 536870912, "pids": 200, "cpu": [100000, 100000]},
    "tty": false
  }]
}
EOF2
tankctl apply -f /tmp/api.json || fail "apply api"
wait_phase api running 60
assert_eq "$(systemctl show -P MemoryMax tank-api-app.scope)" "536870912" "MemoryMax of the flagship pod"
wait_for 10 R busybox wget -q -O /dev/null http://192.0.2.20:8080/api.conf || fail "the router cannot fetch from api"
assert_eq "$(R busybox wget -q -O - http://192.0.2.20:8080/api.conf)" "port=8080" "api.conf served over the macvlan"
ino_api=$(stat -L -c %i /run/tank/netns/api)
pid_api=$(scope_pid api app)
kill -9 "$pid_api"
wait_for 30 sh -c "p=\$(tankctl get api -o json | jq -r '.status.containers[0].pid'); [ \"\$p\" != \"$pid_api\" ] && [ \"\$p\" -gt 1 ] 2>/dev/null" ||
        fail "api was not restarted after kill -9 of its workload"
wait_phase api running 60
assert_eq "$(stat -L -c %i /run/tank/netns/api)" "$ino_api" "netns of api after a container restart"
assert_eq "$(in_pod api cat /var/lib/app/runs | wc -l | tr -d ' ')" "2" "runs recorded in the managed volume"
wait_for 10 R busybox wget -q -O /dev/null http://192.0.2.20:8080/api.conf || fail "api unreachable after its restart"
tankctl delete api || fail "delete api"
wait_for 30 sh -c '! tankctl get api >/dev/null 2>&1' || fail "api still there after delete"
wait_for 10 sh -c '[ ! -e /run/tank/netns/api ]' || fail "netns of api left behind"
rm -rf /tmp/tank-net-api-config

echo "== a restart of tankd adopts the namespaces"
ino_a=$(stat -L -c %i /run/tank/netns/a)
pid_a=$(scope_pid a app)
systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
wait_phase a running 60
assert_eq "$(stat -L -c %i /run/tank/netns/a)" "$ino_a" "netns of a after a tankd restart"
assert_eq "$(scope_pid a app)" "$pid_a" "workload of a after a tankd restart"
in_pod a ping -c1 -W3 192.0.2.1 >/dev/null || fail "a lost the LAN over a tankd restart"

echo "== the auto adapter: uplink of the default route, DNS of the host"
ip route add default dev tlan1 || fail "default route"
tank_write_config "[Host]
Adapter=auto"
systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
apply "$(macvlan_pod auto1 '[{"name": "eth0", "ip": "198.51.100.9/24", "gateway": "198.51.100.1"}]')"
wait_phase auto1 running 60
in_pod auto1 ping -c1 -W3 198.51.100.1 >/dev/null || fail "auto1 (parent auto = tlan1) cannot reach 198.51.100.1"
want=$(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 != "::1" {print $2}' /etc/resolv.conf | awk '!seen[$0]++')
got=$(in_pod auto1 awk '$1 == "nameserver" {print $2}' /etc/resolv.conf)
assert_eq "$got" "$want" "auto1's resolv.conf (the host's servers, stubs skipped)"

echo "== delete leaves nothing; also after kill -9 of tankd"
for p in a b duo quiet; do
        tankctl delete "$p" || fail "delete $p"
done
systemctl kill -s KILL --kill-whom=main tankd.service || fail "kill -9 tankd"
wait_for 30 busctl --system status org.tank.Tank1 || systemctl start tankd.service
tank_wait_bus 60
tankctl delete auto1 || fail "delete auto1 after kill -9"
for p in a b duo quiet auto1; do
        wait_for 30 sh -c "! tankctl get $p >/dev/null 2>&1" || fail "pod $p still there after delete"
        wait_for 10 sh -c "[ ! -e /run/tank/netns/$p ]" || fail "netns of $p left behind"
        grep -q "/run/tank/netns/$p " /proc/self/mountinfo && fail "netns mount of $p left behind"
        [ -e "/run/tank/pods/$p" ] && fail "runtime dir of $p left behind"
done
[ -z "$(ip -o link show type macvlan)" ] || fail "macvlan links left in the host namespace"
assert_eq "$(ip -o addr show | awk '{print $2, $4}' | sort)" "$host_addrs_before" "host addresses after delete"
# The namespaces are really gone (the kernel frees them asynchronously).
wait_for 20 sh -c "! ip netns exec $ROUTER busybox ping -c1 -W1 192.0.2.5 >/dev/null 2>&1" || fail "192.0.2.5 still answers"
wait_for 20 sh -c "! ip netns exec $ROUTER busybox ping -c1 -W1 198.51.100.9 >/dev/null 2>&1" || fail "198.51.100.9 still answers"
echo "net: ok"
