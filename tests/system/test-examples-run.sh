#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every pod of examples/ that needs no external network runs: applied as a user
# would (tankctl apply -f examples/FILE), each reaches the phase its file says
# (running; succeeded for restart-never; restarted for restart-on-failure), and
# the macvlan examples answer on the test LAN. api.json is left out: its image
# is on a registry this machine cannot reach. Runs in the sandbox and in the VM
# test bed (on Debian 12's kernel with cgroup v2).
# Only documentation addresses, on a veth LAN whose far side is a namespace
# this test creates.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

ROUTER=tank-ex-router
EX=$TANK_SRCDIR/examples
# The LAN goes into the namespace tankd runs in: only a throwaway one will do.
[ "${container:-}" = tank-sandbox ] || [ "$(cat /run/systemd/container 2>/dev/null)" = tank-sandbox ] ||
        [ -e /etc/tank-vm-testbed ] ||
        fail "test-examples-run.sh adds links to the namespace it runs in: run it in the tank sandbox or the VM test bed"

cleanup() {
        tank_down
        ip link del tlan0 2>/dev/null
        ip netns del "$ROUTER" 2>/dev/null
        rm -rf /etc/tank-examples /srv/backup/db
}
trap cleanup EXIT

ip netns del "$ROUTER" 2>/dev/null
ip netns add "$ROUTER" || fail "ip netns add"
ip link add tlan0 type veth peer name r0 netns "$ROUTER" || fail "veth tlan0"
ip link set tlan0 up || fail "uplink up"
ip -n "$ROUTER" link set lo up
ip -n "$ROUTER" addr add 192.0.2.1/24 dev r0 && ip -n "$ROUTER" addr add 198.51.100.1/24 dev r0 &&
        ip -n "$ROUTER" link set r0 up || fail "router r0"

tank_up "[Host]
Adapter=static
Uplink=tlan0
DNS=192.0.2.1"
# db.json binds two host directories (examples/README.md).
mkdir -p /etc/tank-examples/db /srv/backup/db

files=()
for f in "$EX"/*.json; do
        [ "$(basename "$f")" = api.json ] || files+=("$f")
done
[ ${#files[@]} -ge 13 ] || fail "only ${#files[@]} examples found in $EX"
for f in "${files[@]}"; do
        tankctl apply -f "$f" >/dev/null || fail "tankctl apply -f $(basename "$f") failed"
done

# "name restart exits": what each pod's file says decides what to wait for. A
# pod whose command ends (sh -c '...; exit N' or no sleep/httpd) is one that
# finishes; the others serve.
specs=$(for f in "${files[@]}"; do
        jq -r 'if type == "array" then .[] else . end |
               [.name, (.restart // "always"),
                (if ([.containers[] | (.command // .args // []) | join(" ")] | join(" ") |
                     test("sleep infinity|httpd|^sh$|exec sleep")) then "serves" else "ends" end)] | join(" ")' "$f"
done)
pods=$(awk '{print $1}' <<<"$specs")
while read -r p restart kind; do
        case $restart/$kind in
        never/ends) wait_phase "$p" succeeded 120 ;;
        */ends)
                wait_for 120 sh -c "tankctl get '$p' -o json | jq -e '.status.restarts >= 1' >/dev/null" ||
                        { tankctl get "$p" -o json >&2; fail "$p ($restart) was not restarted after its exit"; } ;;
        *) wait_phase "$p" running 120 ;;
        esac
        echo "example pod $p ($restart, $kind): $(tankctl get "$p" -o json | jq -r '.status.phase')"
done <<<"$specs"

# The macvlan examples are on the LAN: the router reaches both addresses.
for ip in 192.0.2.5 192.0.2.6 198.51.100.6; do
        wait_for 20 ip netns exec "$ROUTER" busybox ping -c 1 -W 1 "$ip" || fail "the router cannot reach $ip"
done
# shell.json is there to exec into; exec returns the command's status.
tankctl exec shell -- true || fail "exec into the shell example failed"
tankctl exec shell -- sh -c 'exit 7'
assert_eq "$?" 7 "exec's exit status"

for p in $pods; do
        tankctl delete "$p" >/dev/null || fail "delete $p"
done
# Torn down, not just deleted: no scope of these pods outlives the test.
for p in $pods; do
        tankctl wait "$p" --for=deleted --timeout 60 || fail "pod $p was not torn down"
done
echo "all ${#files[@]} example files ran ($(echo $pods | wc -w) pods)"
