#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot seeds (/etc/tank/pods.d/*.json) are written create-if-absent at start: a
# seeded pod comes up, but a runtime change to it is never clobbered by the seed
# on the next start, and a broken seed file does not stop the others.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap 'tank_down; rm -rf /etc/tank/pods.d' EXIT

mkdir -p /etc/tank/pods.d
tank_pod_json seeded always sh -c 'echo seed-v1; exec sleep infinity' >/etc/tank/pods.d/10-seeded.json
echo '{"name": "broken", "containers": []}' >/etc/tank/pods.d/20-broken.json
tank_pod_json other always >/etc/tank/pods.d/30-other.json
tank_up
wait_phase seeded running
wait_phase other running
tankctl get broken >/dev/null 2>&1 && fail "a broken seed was applied"
journalctl -u tankd --no-pager | grep -q '20-broken.json: containers' || fail "broken seed not reported with its path"

# A runtime change: the same pod with another command.
tank_pod_json seeded always sh -c 'echo seed-v2; exec sleep infinity' | tankctl apply -f - || fail "re-apply"
wait_for 30 sh -c "tankctl get seeded -o json | jq -e '.spec.containers[0].command[2] | test(\"seed-v2\")' >/dev/null" ||
        fail "runtime change not applied"
systemctl restart tankd.service
tank_wait_bus 60
sleep 2
tankctl get seeded -o json | jq -e '.spec.containers[0].command[2] | test("seed-v2")' >/dev/null ||
        fail "the boot seed clobbered a runtime change"
echo "seed: ok"
