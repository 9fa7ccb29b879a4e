#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Probes of a macvlan pod (issue 14): tcp and http probes run inside the pod's
# own network namespace, whatever its mode. One pod on a veth LAN whose far
# side is a "router" namespace (192.0.2.1/24): container a serves http on
# every address, probed by tcp on loopback (startup, then liveness) and by
# http on its macvlan address 192.0.2.30 (readiness); container b listens nowhere, and its
# tcp probe is refused. test-probes.sh has the same in a "none" pod.
# Only documentation addresses, only namespaces and links this test creates.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

ROUTER=tank-pn-router
# The LAN goes into the namespace tankd runs in: only a throwaway one will do.
[ "${container:-}" = tank-sandbox ] || [ "$(cat /run/systemd/container 2>/dev/null)" = tank-sandbox ] ||
        [ -e /etc/tank-vm-testbed ] ||
        fail "test-probes-net.sh adds links to the namespace it runs in: run it in the tank sandbox or the VM test bed"
cleanup() {
        tank_down
        ip link del plan0 2>/dev/null
        ip netns del "$ROUTER" 2>/dev/null
}
trap cleanup EXIT

ip netns del "$ROUTER" 2>/dev/null
ip netns add "$ROUTER" || fail "ip netns add"
ip link add plan0 type veth peer name r0 netns "$ROUTER" || fail "veth plan0"
ip link set plan0 up || fail "uplink up"
ip -n "$ROUTER" link set lo up
ip -n "$ROUTER" addr add 192.0.2.1/24 dev r0 && ip -n "$ROUTER" link set r0 up || fail "router r0"

tank_up "[Host]
Adapter=static
Uplink=plan0
DNS=192.0.2.1"

pod_fail() { # POD MSG: the pod's JSON and tankd's last lines, then FAIL
        echo "--- tankctl get $1 -o json" >&2
        tankctl get "$1" -o json >&2
        echo "--- journalctl -u tankd (last 40 lines)" >&2
        journalctl -u tankd --no-pager | tail -40 >&2
        fail "$1: $2"
}
# wait_json POD TIMEOUT FILTER MSG: until one answer passes FILTER; it stays in ANSWER.
wait_json() {
        export WJ_FILTER=$3
        wait_for "$2" sh -c 'tankctl get "$0" -o json >/tmp/probes-answer.json &&
                jq -e "$WJ_FILTER" /tmp/probes-answer.json >/dev/null' "$1" ||
                pod_fail "$1" "$4 (waited ${2}s for: $3)"
        ANSWER=$(cat /tmp/probes-answer.json)
}
jf() { jq -r "$1" <<<"$ANSWER"; }
A='.status.containers[] | select(.name == "a")'
B='.status.containers[] | select(.name == "b")'

jq -n -c --arg img "$TANK_IMAGE" '{name: "mv",
  network: {nics: [{name: "eth0", ip: "192.0.2.30/24", gateway: "192.0.2.1"}]},
  containers: [
  {name: "a", image: $img,
   command: ["sh", "-c", "mkdir -p /w && echo ok >/w/healthz && exec httpd -f -p 8080 -h /w"],
   probes: {startup: {tcp: {port: 8080}, period: 1, timeout: 10, failure_threshold: 120},
            liveness: {tcp: {port: 8080}, period: 1, timeout: 10, failure_threshold: 1},
            readiness: {http: {port: 8080, path: "/healthz", host: "192.0.2.30"}, period: 1, timeout: 10}}},
  {name: "b", image: $img, command: ["sleep", "infinity"],
   probes: {readiness: {tcp: {port: 8081}, period: 1, failure_threshold: 1}}}]}' |
        tankctl apply -f - || fail "apply mv"
wait_phase mv running 90

# a: ready through its macvlan address, alive through loopback.
wait_json mv 60 "$A | .ready == true and .last_probe.success == true" "a did not become ready"
echo "a: $(jq -c "$A | {health, ready, last_probe, probe_failures, restarts}" <<<"$ANSWER")"
[ "$(jf "$A | .health")" = healthy ] || pod_fail mv "a is not healthy"
# The http probe really asked 192.0.2.30 inside the pod: httpd answered the
# router on that address too, so it is the pod's, on the LAN.
wait_for 30 ip netns exec "$ROUTER" busybox wget -q -O /dev/null http://192.0.2.30:8080/healthz ||
        pod_fail mv "the router cannot fetch /healthz from 192.0.2.30"
# Several liveness periods later (one failure would kill): still the first run.
pid=$(jf "$A | .pid")
sleep 3
wait_json mv 30 "$A | .ready == true" "a is no longer ready"
[ "$(jf "$A | .pid") $(jf "$A | .restarts")" = "$pid 0" ] || pod_fail mv "a was restarted by its probes (pid was $pid)"

# b: nothing listens on 8081, refused, not ready; the pod is one of two ready.
wait_json mv 60 "$B | .last_probe.reason == \"connection refused\" and .ready == false" "b's refused port not seen"
[ "$(jf '.status.containers | map(select(.ready == true)) | length')" = 1 ] || pod_fail mv "not exactly one ready container"
assert_eq "$(tankctl list | awk '$1 == "mv" {print $3}')" "1/2" "list READY of mv"

tankctl delete mv >/dev/null
tankctl wait mv --for=deleted --timeout 60 || fail "mv was not torn down"
echo "probes in a macvlan pod: ok"
