#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every pod of examples/ that needs no external network runs: applied as a user
# would (tankctl apply -f examples/FILE), each reaches the phase its file says
# (running; succeeded for restart-never; restarted for restart-on-failure), and
# the macvlan examples answer on the test LAN. api.json is left out: its image
# is on a registry this machine cannot reach. notify.json's image (Docker
# Hub's python) comes from a stand-in in the local registry, which mirrors
# docker.io here (python_standin below). Runs in the sandbox and in the VM
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

# examples/notify.json runs docker.io/library/python:3.12-alpine, which a
# user pulls from Docker Hub. This machine reaches no Docker Hub, so docker.io
# is mirrored to the local registry ([Registry] Mirror=), which gets a
# stand-in under that name: this host's python3 (Debian's, in the VM test bed
# too) with its libraries and the part of its standard library that a
# socket-and-time script needs. So the example runs as written, its command
# unchanged, a real python3 sending real sd_notify datagrams.
python_standin() {
        local root=$REG_DIR/python-root py lib l
        py=$(readlink -f /usr/bin/python3) && [ -x "$py" ] || { echo "no /usr/bin/python3" >&2; return 1; }
        lib=/usr/lib/$(basename "$py")
        rm -rf "$root" "$REG_DIR/python-oci"
        mkdir -p "$root/usr/bin" "$root$lib/lib-dynload" "$root/tmp" "$root/etc" &&
                cp "$py" "$root/usr/bin/" && ln -s "$(basename "$py")" "$root/usr/bin/python3" || return 1
        for l in $(ldd "$py" | grep -o '/[^ ]*'); do
                mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l" || return 1
        done
        cp "$lib"/*.py "$root$lib/" && cp -r "$lib/encodings" "$lib/collections" "$lib/re" "$lib/importlib" "$root$lib/" ||
                return 1
        find "$root" -name __pycache__ -prune -exec rm -rf {} +
        chroot "$root" python3 -c 'import os, socket, time' || { echo "the python stand-in does not run" >&2; return 1; }
        reg_mkimage "$REG_DIR/python-oci" --layer "$root" --cmd python3 >/dev/null &&
                reg_push "$REG_DIR/python-oci" library/python:3.12-alpine 5000
}

tank_up "[Host]
Adapter=static
Uplink=tlan0
DNS=192.0.2.1
[Registry]
Mirror=docker.io http://127.0.0.1:5000"
python_standin || fail "cannot push the python stand-in for examples/notify.json"
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
                     test("sleep infinity|httpd|^sh$|exec sleep|while True")) then "serves" else "ends" end)] | join(" ")' "$f"
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
# notify.json: READY=1 makes it ready, tankctl get shows its STATUS=, and its
# keep-alives (every 3 s) hold the watchdog (10 s) past its deadline: the
# fourth comes 14 s after the start, with no restart (one answer).
wait_for 120 sh -c "tankctl get notify -o json | jq -e '.status.containers[0] | .ready == true and .restarts == 0 and
        (.notify_status | test(\"^serving, ([4-9]|[0-9]{2,}) keep-alives sent\$\"))' >/dev/null" ||
        { tankctl get notify -o json >&2; journalctl -u tankd --no-pager | tail -30 >&2
          fail "notify.json: not ready, restarted, or no keep-alives in its status"; }
tankctl get notify | grep -q 'Status: *serving, [0-9]* keep-alives sent' || { tankctl get notify; fail "notify.json: get shows no status"; }
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
