#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seed of src/bus: over sd-bus, a transient slice and a scope with limits;
# systemd must enforce them in the cgroup files (v1 or v2: cgroup_value) and
# leave OOM kills to the caller (OOMPolicy=continue); limits change live; stop
# and kill clean up; a stale failed scope of the same name is reset and
# replaced.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"

T=$TANK_BUILDDIR/tests/system/test-scope
[ -x "$T" ] || fail "$T is not built (make check builds it)"

SLICE=tank-pod-x.slice
SCOPE=tank-x-seed.scope

cleanup() {
        systemctl stop "$SCOPE" tank-x-stale.scope tank-x-cancel.scope "$SLICE" tank-pod-xmany.slice >/dev/null 2>&1
        systemctl reset-failed "$SCOPE" tank-x-stale.scope tank-x-cancel.scope "$SLICE" >/dev/null 2>&1
}
trap cleanup EXIT

out=$("$T" start "$SLICE" "$SCOPE") || { echo "$out"; fail "test-scope start failed"; }
echo "$out"
pid=$(echo "$out" | sed -n 's/^pid //p')
[ -n "$pid" ] || fail "no pid printed"

assert_eq "$(systemctl is-active "$SCOPE")" active "scope state"
assert_eq "$(systemctl show -P Slice "$SCOPE")" "$SLICE" "scope's slice"
assert_eq "$(systemctl show -P Description "$SLICE")" "Tank test pod" "slice description"
assert_eq "$(systemctl show -P CollectMode "$SCOPE")" inactive-or-failed "collect mode"
assert_eq "$(systemctl show -P OOMPolicy "$SCOPE")" continue "OOM policy"
grep -q "$SLICE/$SCOPE" "/proc/$pid/cgroup" || fail "pid $pid is not in the scope: $(cat "/proc/$pid/cgroup")"
# The asynchronous state query (exit handling): active, a slice too, and a
# unit systemd does not know is simply not active.
"$T" active "$SCOPE" 1 || fail "unit_is_active_async: $SCOPE not active"
"$T" active "$SLICE" 1 || fail "unit_is_active_async: $SLICE not active"
"$T" active tank-x-nonexistent.scope 0 || fail "unit_is_active_async: an unknown unit is active"

# Enforced by the kernel, read back from cgroupfs.
echo "cgroup layout: $CGROUP_LAYOUT"
assert_eq "$(cgroup_value "$SCOPE" memory.max)" 67108864 "memory.max"
assert_eq "$(cgroup_value "$SCOPE" pids.max)" 10 "pids.max"
assert_eq "$(cgroup_value "$SCOPE" cpu.quota)" 50000 "cpu quota"
assert_eq "$(cgroup_value "$SCOPE" cpu.period)" 100000 "cpu period"
procs=$(cgroup_value "$SCOPE" procs) || fail "cannot read the scope's cgroup.procs"
echo "$procs" | grep -qx "$pid" || fail "pid $pid not in the scope's cgroup.procs: $procs"

systemctl status "$SLICE" --no-pager | grep -q "$SCOPE" ||
        fail "systemctl status $SLICE does not list $SCOPE"

# Live limit change.
"$T" limits "$SCOPE" 134217728 || fail "unit_set_limits failed"
assert_eq "$(cgroup_value "$SCOPE" memory.max)" 134217728 "memory.max after SetUnitProperties"
assert_eq "$(systemctl show -P MemoryMax "$SCOPE")" 134217728 "MemoryMax after SetUnitProperties"

# Stop: the job is done, the process is gone, the unit is collected.
"$T" stop "$SCOPE" || fail "stop of $SCOPE failed"
wait_for 10 sh -c "! kill -0 $pid" || fail "pid $pid survived the stop"
wait_for 10 sh -c "! systemctl is-active -q $SCOPE" || fail "$SCOPE still active"
"$T" active "$SCOPE" 0 || fail "unit_is_active_async: $SCOPE active after its stop"
"$T" stop-missing tank-x-nonexistent.scope || fail "stopping an unknown unit did not give ENOENT"

# Kill: a second scope, KillUnit SIGKILL, the scope goes away by itself.
out=$("$T" start "$SLICE" "$SCOPE") || { echo "$out"; fail "second start failed"; }
pid=$(echo "$out" | sed -n 's/^pid //p')
"$T" kill "$SCOPE" || fail "unit_kill failed"
wait_for 10 sh -c "! kill -0 $pid" || fail "pid $pid survived KillUnit"
wait_for 10 sh -c "! systemctl is-active -q $SCOPE" || fail "$SCOPE still active after kill"

# A failed leftover of the same name (a scope that overran RuntimeMaxSec, kept
# by the default CollectMode): reset and retried once.
systemd-run --quiet --scope --unit=tank-x-stale.scope -p RuntimeMaxSec=1 sleep 30 </dev/null >/dev/null 2>&1 &
wait_for 15 sh -c '[ "$(systemctl is-active tank-x-stale.scope)" = failed ]' ||
        fail "could not make a failed scope: $(systemctl status tank-x-stale.scope --no-pager 2>&1)"
out=$("$T" stale "$SLICE" tank-x-stale.scope) || { echo "$out"; fail "stale-unit path failed"; }
echo "$out"
assert_eq "$(systemctl is-active tank-x-stale.scope)" active "scope started over a failed one"

# Cancelling an owned job drops its callback.
"$T" cancel "$SLICE" tank-x-cancel.scope || fail "cancel: the callback ran"

# Tearing down: nothing of ours is left.
"$T" stop tank-x-stale.scope || fail "stop tank-x-stale.scope"
systemctl stop tank-x-cancel.scope 2>/dev/null
"$T" stop "$SLICE" || fail "stop of $SLICE failed"
left() { systemctl list-units --all --no-legend "$SLICE" 'tank-x-*'; }
wait_for 10 sh -c "! systemctl list-units --all --no-legend '$SLICE' 'tank-x-*' | grep -q ." ||
        fail "units left: $(left)"
cg=$(cgroup_dir memory "/tank.slice/tank-pod.slice/$SLICE")
[ ! -d "$cg" ] || fail "$cg still exists"
# 300 scopes started at once and stopped at once, through one queue: every
# job finishes "done", at most 256 are at systemd together, and systemd still
# answers on the bus afterwards (a job per client match each on systemd's
# side: 1,000 at once took it past dbus-daemon's 512 match rules). 300, not
# more: the test VM's emulated CPU takes ~0.3 s per scope.
out=$("$T" many tank-pod-xmany.slice 300) || { echo "$out"; fail "300 jobs at once failed"; }
echo "$out"
assert_eq "$(systemctl list-units --all --no-legend --plain 'tank-x-many*' | wc -l)" 0 "scopes left of the 300"
systemctl show -P Version >/dev/null || fail "systemd no longer answers on the bus"
"$T" stop tank-pod-xmany.slice || fail "stop of tank-pod-xmany.slice failed"
echo "test-scope: all checks passed"
