#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cgroup_value and cgroup_dir (tests/system/lib.sh) on fake cgroupfs trees of
# the unified (v2) and the hybrid (v1) layout: one assertion must hold on
# both, whichever the host running the system tests has. Run by `make check`
# from the build top.
set -u

srcdir=${srcdir:-.}
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
fails=0

# check LAYOUT ROOT UNIT KEY EXPECTED
check() {
        local got
        got=$(TANK_CGROUP_LAYOUT=$1 TANK_CGROUP_ROOT=$2 bash -c '
                . "$0/tests/system/lib.sh"
                unit_cgroup() { echo "/tank.slice/$1"; }
                cgroup_value "$1" "$2"' "$srcdir" "$3" "$4" 2>&1)
        if [ "$got" = "$5" ]; then
                echo "ok: $1 $3 $4 = $5"
        else
                echo "FAIL: $1 $3 $4: got '$got', expected '$5'"
                fails=$((fails + 1))
        fi
}

# check_fails LAYOUT ROOT UNIT KEY MESSAGE-PART
check_fails() {
        local got
        if got=$(TANK_CGROUP_LAYOUT=$1 TANK_CGROUP_ROOT=$2 bash -c '
                . "$0/tests/system/lib.sh"
                unit_cgroup() { echo "/tank.slice/$1"; }
                cgroup_value "$1" "$2"' "$srcdir" "$3" "$4" 2>&1); then
                echo "FAIL: $1 $3 $4 succeeded: $got"
                fails=$((fails + 1))
        elif [[ $got != *"$5"* ]]; then
                echo "FAIL: $1 $3 $4: message '$got' lacks '$5'"
                fails=$((fails + 1))
        else
                echo "ok: $1 $3 $4 fails: $got"
        fi
}

# --- unified: everything under the cgroup2 root ---
v2=$t/v2
d=$v2/tank.slice/lim.scope
mkdir -p "$d" "$v2/tank.slice/free.scope"
echo 67108864 >"$d/memory.max"
echo 1234 >"$d/memory.current"
printf 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n' >"$d/memory.events"
echo 20 >"$d/pids.max"
echo 3 >"$d/pids.current"
echo 'max 4' >"$d/pids.events"
echo '50000 100000' >"$d/cpu.max"
printf '12\n34\n' >"$d/cgroup.procs"
d=$v2/tank.slice/free.scope
echo max >"$d/memory.max"
echo max >"$d/pids.max"
echo 'max 100000' >"$d/cpu.max"

check unified "$v2" lim.scope memory.max 67108864
check unified "$v2" lim.scope memory.current 1234
check unified "$v2" lim.scope memory.events.oom_kill 2
check unified "$v2" lim.scope pids.max 20
check unified "$v2" lim.scope pids.current 3
check unified "$v2" lim.scope pids.events.max 4
check unified "$v2" lim.scope cpu.quota 50000
check unified "$v2" lim.scope cpu.period 100000
check unified "$v2" lim.scope procs "$(printf '12\n34')"
check unified "$v2" free.scope memory.max max
check unified "$v2" free.scope pids.max max
check unified "$v2" free.scope cpu.quota max
check unified "$v2" free.scope cpu.period 100000
check_fails unified "$v2" free.scope memory.events.oom_kill "cannot read $v2/tank.slice/free.scope/memory.events"
check_fails unified "$v2" lim.scope nonsense "unknown key"

# --- hybrid: v1 hierarchies by name (cpu and cpuacct co-mounted, no
# symlinks), cgroup2 without controllers at unified ---
v1=$t/v1
for h in memory pids cpu,cpuacct unified systemd; do
        mkdir -p "$v1/$h/tank.slice/lim.scope" "$v1/$h/tank.slice/free.scope"
done
d=tank.slice/lim.scope
echo 67108864 >"$v1/memory/$d/memory.limit_in_bytes"
echo 1234 >"$v1/memory/$d/memory.usage_in_bytes"
printf 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n' >"$v1/memory/$d/memory.oom_control"
echo 20 >"$v1/pids/$d/pids.max"
echo 3 >"$v1/pids/$d/pids.current"
echo 'max 4' >"$v1/pids/$d/pids.events"
echo 50000 >"$v1/cpu,cpuacct/$d/cpu.cfs_quota_us"
echo 100000 >"$v1/cpu,cpuacct/$d/cpu.cfs_period_us"
printf '12\n34\n' >"$v1/pids/$d/cgroup.procs"
echo 99 >"$v1/unified/$d/cgroup.procs"
d=tank.slice/free.scope
echo 9223372036854771712 >"$v1/memory/$d/memory.limit_in_bytes"
echo max >"$v1/pids/$d/pids.max"
echo -1 >"$v1/cpu,cpuacct/$d/cpu.cfs_quota_us"
echo 100000 >"$v1/cpu,cpuacct/$d/cpu.cfs_period_us"
printf 'oom_kill_disable 0\nunder_oom 0\n' >"$v1/memory/$d/memory.oom_control"

check hybrid "$v1" lim.scope memory.max 67108864
check hybrid "$v1" lim.scope memory.current 1234
check hybrid "$v1" lim.scope memory.events.oom_kill 2
check hybrid "$v1" lim.scope pids.max 20
check hybrid "$v1" lim.scope pids.current 3
check hybrid "$v1" lim.scope pids.events.max 4
check hybrid "$v1" lim.scope cpu.quota 50000
check hybrid "$v1" lim.scope cpu.period 100000
check hybrid "$v1" lim.scope procs "$(printf '12\n34')"
check hybrid "$v1" free.scope memory.max max
check hybrid "$v1" free.scope pids.max max
check hybrid "$v1" free.scope cpu.quota max
check hybrid "$v1" free.scope cpu.period 100000
check_fails hybrid "$v1" free.scope memory.events.oom_kill "no \"oom_kill\" line"
check_fails hybrid "$v1" free.scope pids.current "cannot read $v1/pids/tank.slice/free.scope/pids.current"

# cgroup_dir: the hierarchy of a controller on each layout.
dirs=$(TANK_CGROUP_LAYOUT=hybrid TANK_CGROUP_ROOT=$v1 bash -c '
        . "$0/tests/system/lib.sh"
        cgroup_dir cpuacct /a; cgroup_dir memory /a; cgroup_dir "" /a' "$srcdir" 2>&1)
expected="$v1/cpu,cpuacct/a
$v1/memory/a
$v1/unified/a"
if [ "$dirs" = "$expected" ]; then echo "ok: cgroup_dir hybrid"; else echo "FAIL: cgroup_dir hybrid: $dirs"; fails=$((fails + 1)); fi
dirs=$(TANK_CGROUP_LAYOUT=unified TANK_CGROUP_ROOT=$v2 bash -c '
        . "$0/tests/system/lib.sh"
        cgroup_dir memory /a; cgroup_dir pids /' "$srcdir" 2>&1)
expected="$v2/a
$v2"
if [ "$dirs" = "$expected" ]; then echo "ok: cgroup_dir unified"; else echo "FAIL: cgroup_dir unified: $dirs"; fails=$((fails + 1)); fi

[ "$fails" -eq 0 ]
