# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for system tests (sourced by tests/system/test-*.sh, POSIX sh/bash).
# A test exits 0 to pass and non-zero to fail; there is no skip.
#
#   fail MSG...                  print "FAIL: MSG" to stderr and exit 1
#   assert_eq ACTUAL EXPECTED MSG
#                                fail unless the two strings are equal
#   wait_for TIMEOUT CMD...      run CMD until it succeeds (0) or TIMEOUT
#                                seconds (may be fractional) pass (1)
#   unit_cgroup UNIT             the unit's ControlGroup path ("" if none)
#   cgroup_v1_value HIER UNIT FILE
#                                contents of FILE in UNIT's cgroup in the v1
#                                hierarchy HIER (memory, pids, cpu, ...);
#                                fails the test if it cannot be read
#
# Environment given by the runner: TANK_SRCDIR, TANK_BUILDDIR (absolute).

: "${TANK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TANK_BUILDDIR:=$TANK_SRCDIR}"
export TANK_SRCDIR TANK_BUILDDIR

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

assert_eq() {
        if [ "$1" != "$2" ]; then
                fail "${3:-values differ}: got '$1', expected '$2'"
        fi
}

wait_for() {
        _wf_deadline=$(( $(date +%s%3N) + $(awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }') ))
        shift
        while :; do
                "$@" >/dev/null 2>&1 && return 0
                [ "$(date +%s%3N)" -ge "$_wf_deadline" ] && return 1
                sleep 0.1
        done
}

unit_cgroup() {
        systemctl show -P ControlGroup "$1" 2>/dev/null
}

cgroup_v1_value() {
        _cg=$(unit_cgroup "$2")
        [ -n "$_cg" ] || fail "unit $2 has no control group"
        _f=/sys/fs/cgroup/$1$_cg/$3
        [ -r "$_f" ] || fail "cannot read $_f"
        cat "$_f"
}
