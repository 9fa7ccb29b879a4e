#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Restart policies and backoff: always / on_failure / never with kill -9, exit 0
# and exit 3; intervals follow min(base * 2^n, cap); the count resets after a
# stable run (StableSec).
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

TANK_TEST_BACKOFF_BASE=1 TANK_TEST_BACKOFF_CAP=8 TANK_TEST_STABLE=6 tank_up

restarts() { tankctl get "$1" -o json | jq -r '.status.restarts'; }
wait_restarts() {
        wait_for "${3:-30}" sh -c "[ \"\$(tankctl get $1 -o json | jq -r .status.restarts)\" -ge $2 ]" ||
                { tankctl get "$1" >&2; fail "$1 did not reach $2 restarts"; }
}

# always + kill -9 of the workload: restarted, counted, last exit = signal 9.
tank_pod_json always always | tankctl apply -f - || fail "apply always"
wait_phase always running
pid=$(scope_pid always app)
kill -9 "$pid"
wait_restarts always 1
wait_phase always running
[ "$(scope_pid always app)" != "$pid" ] || fail "same pid after restart"
assert_eq "$(container_field always app last_exit.signal)" "9" "last exit signal"
tankctl get always | grep -q 'signal 9' || fail "get does not show the last exit"

# on_failure: exit 0 stays down (phase succeeded), exit 3 is restarted.
tank_pod_json ok on_failure sh -c 'exit 0' | tankctl apply -f -
tank_pod_json bad on_failure sh -c 'exit 3' | tankctl apply -f -
wait_phase ok succeeded
assert_eq "$(restarts ok)" "0" "on_failure + exit 0 restarts"
wait_restarts bad 2
assert_eq "$(container_field bad app last_exit.code)" "3" "exit code recorded"

# never: exit 3 is not restarted; the pod is failed with its exit visible.
tank_pod_json nev never sh -c 'exit 3' | tankctl apply -f -
wait_phase nev failed
sleep 2
assert_eq "$(restarts nev)" "0" "never restarts"

# Backoff: a container that fails at once restarts after 1, 2, 4, 8, 8 s (cap 8).
# The workload itself records when it starts (/proc/uptime is the host's
# clock too) on a managed volume, so the gaps are measured, not polled.
tankctl delete bad ok nev >/dev/null
tankd_fds() { ls "/proc/$(systemctl show -P MainPID tankd.service)/fd" | wc -l; }
fds_before=$(tankd_fds)
cat <<EOF2 | tankctl apply -f - || fail "apply crash"
{"name": "crash", "restart": "always", "volumes": [{"name": "log"}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "mounts": [{"volume": "log", "path": "/log"}],
   "command": ["sh", "-c", "cut -d' ' -f1 /proc/uptime >>/log/starts; exit 1"]}]}
EOF2
wait_restarts crash 6 90
# Each launch reaps the shim's first process through a child event source
# (with a pidfd); a crash loop must not pile them up.
fds_after=$(tankd_fds)
echo "tankd fds: $fds_before before the crash loop, $fds_after after 6 restarts"
[ "$fds_after" -le $((fds_before + 2)) ] || fail "tankd's fds grew from $fds_before to $fds_after over 6 restarts"
mapfile -t t < <(head -6 /var/lib/tank/volumes/crash/log/starts)
want=(1 2 4 8 8)
for i in 0 1 2 3 4; do
        gap=$(echo "${t[$((i+1))]} - ${t[$i]}" | bc)
        echo "gap after failure $((i+1)): $gap s (policy ${want[$i]} s)"
        # The policy is the lower bound; the upper bound leaves room for a slow machine.
        [ "$(echo "$gap >= ${want[$i]} - 0.05" | bc)" = 1 ] || fail "restart gap $((i+1)) was $gap s, policy says ${want[$i]} s"
        [ "$(echo "$gap <= ${want[$i]} + 3" | bc)" = 1 ] || fail "restart gap $((i+1)) was $gap s, far above ${want[$i]} s"
done
next=$(busctl --system get-property org.tank.Tank1 /org/tank/Tank1/pod/crash org.tank.Tank1.Pod NextRestartUSec | awk '{print $2}')
[ "$next" -gt 0 ] 2>/dev/null || fail "NextRestartUSec not set while backing off: $next"

# Reset after a stable run: three quick failures push the next delay to 4 s
# and the one after to 8 s; then a run longer than StableSec (6 s) fails, and
# the next restart comes after the base delay (1 s) again, not after 8 s. The
# runs and their start times live on a managed volume.
tankctl delete crash >/dev/null
cat <<EOF2 | tankctl apply -f - || fail "apply stable"
{"name": "stable", "restart": "always", "volumes": [{"name": "n"}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE",
   "mounts": [{"volume": "n", "path": "/n"}],
   "command": ["sh", "-c", "cut -d' ' -f1 /proc/uptime >>/n/starts; n=\$(wc -l </n/starts); [ \$n -ge 4 ] && sleep 8; exit 1"]}]}
EOF2
wait_restarts stable 5 90
mapfile -t t < <(head -5 /var/lib/tank/volumes/stable/n/starts)
gap=$(echo "${t[4]} - ${t[3]}" | bc)
echo "gap after the stable run: $gap s (8 s run + 1 s base; without the reset 8 + 8 s)"
[ "$(echo "$gap >= 8 + 1 - 0.05" | bc)" = 1 ] || fail "restart came too early ($gap s)"
[ "$(echo "$gap < 8 + 1 + 3.5" | bc)" = 1 ] || fail "backoff was not reset after a stable run ($gap s)"
echo "restart: ok"
