#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An idle tankd says nothing on the bus (issue 15). The periodic resync pass
# (every 60 s; every second here, TANK_TEST_RESYNC_SEC=1) reconciles every pod
# again, and with 1,000 pods running it used to send 1,000 PropertiesChanged a
# minute that changed nothing: most of an idle tankd's CPU, and every
# listener's. With 10 pods running and 5 passes, busctl monitor must see no
# pod's PropertiesChanged; then a workload killed must still be announced
# (the monitor works, and a real change is not swallowed), for that pod only.
# A start announces each change once.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
N=10
monitor=
trap '[ -n "$monitor" ] && kill "$monitor" 2>/dev/null; systemctl unset-environment TANK_TEST_RESYNC_SEC; tank_down' EXIT

systemctl set-environment TANK_TEST_RESYNC_SEC=1
tank_up
journalctl -u tankd --no-pager -o cat _PID="$(systemctl show -P MainPID tankd.service)" |
        grep -q "TANK_TEST_RESYNC_SEC=1: resync pass every 1 s" || fail "tankd did not take TANK_TEST_RESYNC_SEC"

for i in $(seq 1 $N); do tank_pod_json "idle$i" always; done | jq -s . >/tmp/idle.json
tankctl apply -f /tmp/idle.json --wait=running --timeout 120 >/dev/null || fail "apply $N pods"
# The rollouts of the apply are judged after min_healthy_sec (10 s): that is
# a change, announced once; wait it out before listening.
sleep 11

pc_match="type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path_namespace='/org/tank/Tank1/pod'"
busctl --system monitor --match "$pc_match" --match "type='method_call',interface='org.tank.Tank1.Manager'" >/tmp/idle-monitor 2>&1 &
monitor=$!
# Listening once it sees a call of ours.
wait_for 20 sh -c 'tankctl list >/dev/null; grep -q "Member=List" /tmp/idle-monitor' || fail "busctl monitor saw nothing"
sleep 5.5
n=$(grep -c "Member=PropertiesChanged" /tmp/idle-monitor || true)
echo "PropertiesChanged of pods over 5 resync passes with $N pods running: $n"
assert_eq "$n" 0 "PropertiesChanged while idle"

# A real change is still announced, and only for its pod.
pid=$(scope_pid idle3 app)
kill -9 "$pid"
wait_for 30 sh -c "[ \"\$(tankctl get idle3 -o json | jq -r .status.restarts)\" -ge 1 ]" || fail "idle3 was not restarted"
wait_phase idle3 running
sleep 1.5
n=$(grep -c "Member=PropertiesChanged" /tmp/idle-monitor || true)
others=$(grep -o "Path=/org/tank/Tank1/pod/[^ ]*" /tmp/idle-monitor | grep -vc "^Path=/org/tank/Tank1/pod/idle3$" || true)
echo "after kill -9 of idle3's workload: $n PropertiesChanged, $others of other pods"
[ "$n" -ge 2 ] || fail "the restart of idle3 was not announced ($n PropertiesChanged)"
assert_eq "$others" 0 "PropertiesChanged of pods that did not change"

# Nor does a start repeat itself: each step of it reports the pod and its
# rollout, and a PropertiesChanged that says what the one before it with the
# same properties said is noise (five identical Rollout* ones per apply were).
busctl --system monitor --json=short --match "$pc_match" >/tmp/idle-start.json 2>/dev/null &
monitor2=$!
wait_for 20 sh -c 'grep -q "PropertiesChanged" /tmp/idle-start.json' || true   # nothing yet: idle
sleep 1
tank_pod_json fresh always | tankctl apply -f - --wait=running --timeout 60 >/dev/null || fail "apply fresh"
sleep 1
kill "$monitor2"
stats=$(jq -s -c '[.[] | select(.member == "PropertiesChanged" and .path == "/org/tank/Tank1/pod/fresh")
        | .payload.data[1]] | group_by(keys) | map({n: length,
          repeated: [range(1; length) as $i | select(.[$i] == .[$i - 1]) | .[$i] | keys | join(",")]})
        | {announcements: (map(.n) | add), repeats: (map(.repeated | length) | add),
           repeated: (map(.repeated[]) | unique)}' /tmp/idle-start.json)
echo "starting one pod: $stats"
[ "$(echo "$stats" | jq .announcements)" -ge 2 ] || fail "the start of pod fresh was not announced: $stats"
assert_eq "$(echo "$stats" | jq .repeats)" 0 "PropertiesChanged that repeated the one before"

tankctl delete fresh $(seq -f "idle%g" 1 $N) >/dev/null || fail "delete"
echo "ok: an idle tankd sends no PropertiesChanged; a restart is announced for its pod only; a start repeats nothing"
