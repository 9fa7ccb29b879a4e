#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Limits become unit properties (a container without limits.pids gets
# [Limits] DefaultPids=), show up in the cgroup files (v1 or v2:
# cgroup_value) and are enforced: a fork bomb stops at pids.max, a memory hog
# is OOM-killed and the restart policy applies, a child OOM-killed in a
# container leaves the container running.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
# tankd raises its soft limit on open files to the hard one; what it starts
# gets a service's 1024 back. A drop-in gives tankd a soft limit to raise.
mkdir -p /etc/systemd/system/tankd.service.d
printf '[Service]\nLimitNOFILE=1024:4096\n' >/etc/systemd/system/tankd.service.d/50-test-nofile.conf
cleanup() {
        tank_down
        rm -f /etc/systemd/system/tankd.service.d/50-test-nofile.conf
        systemctl daemon-reload
}
trap cleanup EXIT

tank_up

cat <<EOF2 | tankctl apply -f - || fail "apply lim"
{"name": "lim", "restart": "never", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sleep", "infinity"],
  "limits": {"memory": "64M", "pids": 20, "cpu": [50000, 100000]}}]}
EOF2
wait_phase lim running
assert_eq "$(systemctl show -P MemoryMax tank-lim-app.scope)" "67108864" "MemoryMax"
assert_eq "$(systemctl show -P TasksMax tank-lim-app.scope)" "20" "TasksMax"
# The shim records OOM kills; systemd must not stop the scope over one.
assert_eq "$(systemctl show -P OOMPolicy tank-lim-app.scope)" "continue" "OOMPolicy"
nofile() { awk -v f="$2" '/^Max open files/ {print $f}' "/proc/$1/limits"; }
tankd_pid=$(systemctl show -P MainPID tankd.service)
echo "open files: tankd $(nofile "$tankd_pid" 4):$(nofile "$tankd_pid" 5)," \
        "workload $(nofile "$(scope_pid lim app)" 4):$(nofile "$(scope_pid lim app)" 5)"
assert_eq "$(nofile "$tankd_pid" 4)" 4096 "tankd's soft limit on open files (raised to the hard one)"
assert_eq "$(nofile "$(scope_pid lim app)" 4)" 1024 "the workload's soft limit on open files"
assert_eq "$(nofile "$(scope_pid lim app)" 5)" 4096 "the workload's hard limit on open files"
assert_eq "$(tankctl exec lim -- sh -c 'ulimit -n')" 1024 "an exec'd process's soft limit on open files"
echo "cgroup layout: $CGROUP_LAYOUT"
assert_eq "$(cgroup_value tank-lim-app.scope memory.max)" "67108864" "memory.max"
assert_eq "$(cgroup_value tank-lim-app.scope pids.max)" "20" "pids.max"
assert_eq "$(cgroup_value tank-lim-app.scope cpu.quota)" "50000" "cpu quota"
assert_eq "$(cgroup_value tank-lim-app.scope cpu.period)" "100000" "cpu period"

# No limits.pids: [Limits] DefaultPids= (2048 unless tank.conf says otherwise).
cat <<EOF2 | tankctl apply -f - || fail "apply nolim"
{"name": "nolim", "restart": "never", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sleep", "infinity"]}]}
EOF2
wait_phase nolim running
echo "nolim: TasksMax $(systemctl show -P TasksMax tank-nolim-app.scope), pids.max $(cgroup_value tank-nolim-app.scope pids.max)"
assert_eq "$(systemctl show -P TasksMax tank-nolim-app.scope)" "2048" "default TasksMax"
assert_eq "$(cgroup_value tank-nolim-app.scope pids.max)" "2048" "default pids.max"
tankctl delete nolim || fail "delete nolim"

# A fork bomb (bounded, so a failure of the limit cannot take the machine down)
# stops at pids.max.
cat <<EOF2 | tankctl apply -f - || fail "apply bomb"
{"name": "bomb", "restart": "never", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sh", "-c", "sh -c 'i=0; while [ \$i -lt 60 ]; do sleep 100 & i=\$((i+1)); done' & exec sleep infinity"],
  "limits": {"pids": 10}}]}
EOF2
wait_phase bomb running
sleep 3
# The bomb's shell dies when fork fails; PID 1 (sleep) must still be there.
assert_eq "$(tankctl get bomb -o json | jq -r .status.phase)" "running" "bomb pod phase"
n=$(cgroup_value tank-bomb-app.scope pids.current) || fail "cannot read pids.current"
echo "pids.current with pids.max 10: $n"
[ "$n" -le 10 ] || fail "pids.current $n exceeds pids.max 10"
n=$(cgroup_value tank-bomb-app.scope pids.events.max) || fail "cannot read pids.events"
[ "$n" -gt 0 ] || fail "the fork bomb never hit pids.max"

# A memory hog is OOM-killed; with on_failure it is restarted and the exit says oom.
cat <<EOF2 | tankctl apply -f - || fail "apply hog"
{"name": "hog", "restart": "on_failure", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["tail", "/dev/zero"],
  "limits": {"memory": "32M"}}]}
EOF2
wait_for 60 sh -c "[ \"\$(tankctl get hog -o json | jq -r .status.restarts)\" -ge 1 ]" || { tankctl get hog; fail "hog was not restarted"; }
assert_eq "$(container_field hog app last_exit.signal)" "9" "hog killed by SIGKILL"
assert_eq "$(container_field hog app last_exit.oom)" "true" "hog exit marked oom"

# A child of PID 1 is OOM-killed: the kernel kills that process only, and the
# container runs on (on a unified host systemd sees the kill in memory.events;
# with its default OOMPolicy=stop it would stop the whole scope).
cat <<EOF2 | tankctl apply -f - || fail "apply kid"
{"name": "kid", "restart": "never", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sh", "-c", "tail /dev/zero; exec sleep infinity"],
  "limits": {"memory": "32M"}}]}
EOF2
wait_phase kid running
kid_oom_killed() {
        local n
        n=$(cgroup_value tank-kid-app.scope memory.events.oom_kill) && [ "$n" -ge 1 ]
}
wait_for 30 kid_oom_killed ||
        fail "no OOM kill in tank-kid-app.scope: $(cgroup_value tank-kid-app.scope memory.events.oom_kill)"
sleep 2
assert_eq "$(systemctl is-active tank-kid-app.scope)" "active" "scope after a child's OOM kill"
assert_eq "$(tankctl get kid -o json | jq -r .status.phase)" "running" "kid pod phase after a child's OOM kill"
echo "limits: ok"
