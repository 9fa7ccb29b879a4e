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
#   cgroup_value UNIT KEY        a value of UNIT's cgroup read from cgroupfs,
#                                the same on every layout, so one assertion
#                                holds on all of them; fails the test if the
#                                file cannot be read. KEY and its files:
#       KEY                     unified (v2)             hybrid/legacy (v1)
#       memory.max              memory.max               memory.limit_in_bytes
#       memory.current          memory.current           memory.usage_in_bytes
#       memory.events.oom_kill  memory.events oom_kill   memory.oom_control oom_kill
#       pids.max                pids.max                 pids.max
#       pids.current            pids.current             pids.current
#       pids.events.max         pids.events max          pids.events max
#       cpu.quota               cpu.max, 1st field       cpu.cfs_quota_us
#       cpu.period              cpu.max, 2nd field       cpu.cfs_period_us
#       procs                   cgroup.procs             cgroup.procs (pids hierarchy)
#                                Numbers are printed as they are ("67108864",
#                                "50000", "100000"); no limit is "max" on
#                                both (v1's -1 and 9223372036854771712 too).
#   cgroup_dir CONTROLLER CGPATH the directory of the cgroup CGPATH (as
#                                ControlGroup gives it) in the hierarchy of
#                                CONTROLLER (memory, pids, cpu, ...; "" for
#                                cgroup2) on this layout; it may not exist
#   CGROUP_LAYOUT                unified (cgroup2 at /sys/fs/cgroup: Debian 12),
#                                hybrid (v1 controllers under /sys/fs/cgroup,
#                                cgroup2 at /sys/fs/cgroup/unified: the
#                                sandbox) or legacy (v1 only); detected once,
#                                when this file is sourced
#
# TANK_CGROUP_ROOT (default /sys/fs/cgroup) and TANK_CGROUP_LAYOUT (default:
# detected) are for tests/unit/test-cgroup-value.sh, which runs these helpers
# on fake trees of both layouts.
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

CGROUP_ROOT=${TANK_CGROUP_ROOT:-/sys/fs/cgroup}
if [ -n "${TANK_CGROUP_LAYOUT:-}" ]; then
        CGROUP_LAYOUT=$TANK_CGROUP_LAYOUT
elif [ "$(stat -fc %T "$CGROUP_ROOT" 2>/dev/null)" = cgroup2fs ]; then
        CGROUP_LAYOUT=unified
elif [ "$(stat -fc %T "$CGROUP_ROOT/unified" 2>/dev/null)" = cgroup2fs ]; then
        CGROUP_LAYOUT=hybrid
else
        CGROUP_LAYOUT=legacy
fi

cgroup_dir() {
        [ "$2" = / ] && set -- "$1" ""
        if [ "$CGROUP_LAYOUT" = unified ]; then
                echo "$CGROUP_ROOT$2"
                return 0
        fi
        if [ -z "$1" ]; then
                echo "$CGROUP_ROOT/unified$2"
                return 0
        fi
        # v1: the hierarchy whose mount directory names the controller
        # (cpu,cpuacct for cpu or cpuacct; the symlinks may be missing).
        for _cd_h in "$CGROUP_ROOT"/*; do
                case ",${_cd_h##*/}," in
                *",$1,"*)
                        echo "$_cd_h$2"
                        return 0 ;;
                esac
        done
        fail "no cgroup v1 hierarchy for $1 under $CGROUP_ROOT ($CGROUP_LAYOUT cgroup layout)"
}

# _cgroup_read CONTROLLER CGPATH FILE [KEY]: the file, or its "KEY N" line's N.
_cgroup_read() {
        _cr_f=$(cgroup_dir "$1" "$2")/$3
        [ -r "$_cr_f" ] || fail "cannot read $_cr_f ($CGROUP_LAYOUT cgroup layout)"
        if [ $# -ge 4 ]; then
                _cr_v=$(awk -v k="$4" '$1 == k { print $2 }' "$_cr_f")
                [ -n "$_cr_v" ] || fail "no \"$4\" line in $_cr_f: $(cat "$_cr_f")"
                echo "$_cr_v"
        else
                cat "$_cr_f" || fail "cannot read $_cr_f"
        fi
}

cgroup_value() {
        _cv_cg=$(unit_cgroup "$1")
        [ -n "$_cv_cg" ] || fail "unit $1 has no control group"
        if [ "$CGROUP_LAYOUT" = unified ]; then
                case $2 in
                memory.max | memory.current | pids.max | pids.current)
                        _cgroup_read "" "$_cv_cg" "$2" ;;
                memory.events.oom_kill) _cgroup_read "" "$_cv_cg" memory.events oom_kill ;;
                pids.events.max) _cgroup_read "" "$_cv_cg" pids.events max ;;
                cpu.quota | cpu.period)
                        _cv_v=$(_cgroup_read "" "$_cv_cg" cpu.max) || exit 1
                        set -- $_cv_v "$2"
                        [ "$3" = cpu.quota ] && echo "$1" || echo "$2" ;;
                procs) _cgroup_read "" "$_cv_cg" cgroup.procs ;;
                *) fail "cgroup_value: unknown key $2" ;;
                esac
                return
        fi
        case $2 in
        memory.max)
                _cv_v=$(_cgroup_read memory "$_cv_cg" memory.limit_in_bytes) || exit 1
                # No limit: PAGE_COUNTER_MAX pages, 9223372036854771712 with 4k pages.
                [ ${#_cv_v} -ge 19 ] && echo max || echo "$_cv_v" ;;
        memory.current) _cgroup_read memory "$_cv_cg" memory.usage_in_bytes ;;
        memory.events.oom_kill) _cgroup_read memory "$_cv_cg" memory.oom_control oom_kill ;;
        pids.max | pids.current) _cgroup_read pids "$_cv_cg" "$2" ;;
        pids.events.max) _cgroup_read pids "$_cv_cg" pids.events max ;;
        cpu.quota)
                _cv_v=$(_cgroup_read cpu "$_cv_cg" cpu.cfs_quota_us) || exit 1
                [ "$_cv_v" = -1 ] && echo max || echo "$_cv_v" ;;
        cpu.period) _cgroup_read cpu "$_cv_cg" cpu.cfs_period_us ;;
        procs) _cgroup_read pids "$_cv_cg" cgroup.procs ;;
        *) fail "cgroup_value: unknown key $2" ;;
        esac
}
