#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every tests/system/test-*.sh (alphabetical) against a real systemd and
# prints TAP. Each test gets TANK_SRCDIR and TANK_BUILDDIR (absolute) and exits
# 0 to pass, anything else to fail; its output is echoed as "#" diagnostics.
#
# Where the tests run:
#   - inside a tank sandbox already (container=tank-sandbox): directly;
#   - PID 1 is systemd and $CI is unset: directly, under the host's systemd,
#     but only on a throwaway host (the VM test bed, /etc/tank-vm-testbed) or
#     when TANK_SYSTEM_TESTS_ON_THIS_HOST=1 says so: the tests rewrite
#     /etc/tank/tank.conf, start and stop tankd.service, delete every pod and
#     add links to the host's network namespace;
#   - otherwise: one tank-sandbox is booted for the whole run and always torn
#     down at the end, even on failure or interruption. The sandbox needs the
#     hybrid cgroup layout (v1 controllers + cgroup2 at /sys/fs/cgroup/unified);
#     a cgroup-v2-only host (Debian 12) runs the tests directly under its
#     systemd, so leave CI and TANK_SYSTEM_TESTS_SANDBOX unset there. The tests
#     read cgroupfs through cgroup_value (lib.sh), which knows both layouts.
#
# Environment:
#   TANK_SYSTEM_TESTS="test-scope.sh ..."   run only these (names or paths)
#   TANK_SYSTEM_TEST_TIMEOUT=300            seconds per test
#   TANK_SYSTEM_TESTS_SANDBOX=1             force the sandbox even under systemd
#   TANK_SYSTEM_TESTS_ON_THIS_HOST=1        run directly under this host's systemd
#   TANK_SYSTEM_TESTS_QUIET=1               echo output of failing tests only
#   TANK_TEST_USERNS=auto                   tank.conf [Security] UserNamespace= for every test
#   TANK_SYSTEM_TEST_LOGDIR=DIR             where the logs go (the VM test bed
#                                           keeps them out of the host's tree)
# Logs of each test: $TANK_BUILDDIR/tests/system/logs/NAME.log

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "${TANK_SRCDIR:-$here/../..}" && pwd)
BUILD=$(cd "${TANK_BUILDDIR:-$SRC}" && pwd)
TIMEOUT=${TANK_SYSTEM_TEST_TIMEOUT:-300}
SANDBOX=$SRC/tests/sandbox/tank-sandbox
LOGDIR=${TANK_SYSTEM_TEST_LOGDIR:-$BUILD/tests/system/logs}

# The test list: a subset by name, or all of them.
tests=()
if [[ -n ${TANK_SYSTEM_TESTS:-} ]]; then
        for t in $TANK_SYSTEM_TESTS; do
                t=$(basename "$t")
                tests+=("$t")
        done
else
        while IFS= read -r t; do
                tests+=("$(basename "$t")")
        done < <(LC_ALL=C ls -1 "$SRC"/tests/system/test-*.sh 2>/dev/null | LC_ALL=C sort)
fi

echo "1..${#tests[@]}"
[[ ${#tests[@]} -gt 0 ]] || exit 0

in_tank_sandbox() {
        [[ ${container:-} == tank-sandbox ]] ||
                [[ $(cat /run/systemd/container 2>/dev/null) == tank-sandbox ]]
}

pid1_is_systemd() {
        [[ $(readlink /proc/1/exe 2>/dev/null) == */systemd ]] ||
                [[ $(cat /proc/1/comm 2>/dev/null) == systemd ]]
}

mode=sandbox
if in_tank_sandbox; then
        mode=direct
elif pid1_is_systemd && [[ -z ${CI:-} && -z ${TANK_SYSTEM_TESTS_SANDBOX:-} ]]; then
        mode=direct
fi

if [[ $(id -u) != 0 ]]; then
        echo "Bail out! system tests need root (they drive systemd and namespaces)"
        exit 1
fi

if [[ $mode == direct ]] && ! in_tank_sandbox && [[ ! -e /etc/tank-vm-testbed ]] &&
   [[ ${TANK_SYSTEM_TESTS_ON_THIS_HOST:-} != 1 ]]; then
        echo "Bail out! the system tests would run under this host's systemd, where they rewrite" \
                "/etc/tank/tank.conf, restart tankd and delete every pod; run them in the VM test bed" \
                "(tests/vm/run-vm-tests.sh), or set TANK_SYSTEM_TESTS_ON_THIS_HOST=1 on a throwaway host"
        exit 1
fi

mkdir -p "$LOGDIR" || { echo "Bail out! cannot create $LOGDIR"; exit 1; }

name=""
cleanup() {
        if [[ -n $name ]]; then
                "$SANDBOX" stop "$name" >"$LOGDIR/sandbox-stop.log" 2>&1 ||
                        { echo "# sandbox $name: stop failed:"; sed 's/^/#   /' "$LOGDIR/sandbox-stop.log"; }
                name=""
        fi
}

if [[ $mode == sandbox ]]; then
        name=systest-$$
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM HUP
        binds=()
        for d in "$SRC" "$BUILD"; do
                [[ $d == /tmp/* ]] && binds+=(--bind "$d")
        done
        if ! "$SANDBOX" start "${binds[@]}" "$name" >"$LOGDIR/sandbox-start.log" 2>&1; then
                sed 's/^/# /' "$LOGDIR/sandbox-start.log"
                echo "Bail out! the systemd sandbox did not boot"
                exit 1
        fi
        sed 's/^/# /' "$LOGDIR/sandbox-start.log"
fi

# The subordinate ids user_namespace "auto" needs (tools/tank-subids): in the
# sandbox (its /etc is a throwaway overlay) or on the VM test bed.
if [[ $mode == sandbox ]]; then
        "$SANDBOX" exec "$name" -- "$SRC/tools/tank-subids" >"$LOGDIR/subids.log" 2>&1 ||
                { sed 's/^/# /' "$LOGDIR/subids.log"; echo "Bail out! tools/tank-subids failed"; exit 1; }
elif in_tank_sandbox || [[ -e /etc/tank-vm-testbed ]]; then
        "$SRC/tools/tank-subids" >"$LOGDIR/subids.log" 2>&1 ||
                { sed 's/^/# /' "$LOGDIR/subids.log"; echo "Bail out! tools/tank-subids failed"; exit 1; }
fi

# run_one NAME: runs the test, its output (stdout+stderr) into its log.
run_one() {
        local t=$1
        local -a cmd=(/usr/bin/env TANK_SRCDIR="$SRC" TANK_BUILDDIR="$BUILD"
                ${TANK_TEST_USERNS:+TANK_TEST_USERNS="$TANK_TEST_USERNS"}
                timeout --kill-after=10 "$TIMEOUT" /bin/bash "$SRC/tests/system/$t")
        if [[ $mode == sandbox ]]; then
                # In the background + wait, so a signal reaches our traps at once.
                "$SANDBOX" exec "$name" -- "${cmd[@]}" </dev/null >"$LOGDIR/$t.log" 2>&1 &
        else
                (cd "$BUILD" && exec "${cmd[@]}") </dev/null >"$LOGDIR/$t.log" 2>&1 &
        fi
        wait $!
}

n=0
failed=0
for t in "${tests[@]}"; do
        n=$((n + 1))
        if [[ ! -f $SRC/tests/system/$t ]]; then
                echo "not ok $n - $t"
                echo "# no such test: $SRC/tests/system/$t"
                failed=$((failed + 1))
                continue
        fi
        start=$(date +%s.%N)
        run_one "$t"
        rc=$?
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        if [[ $rc == 0 ]]; then
                echo "ok $n - $t (${secs}s)"
                [[ -n ${TANK_SYSTEM_TESTS_QUIET:-} ]] || sed 's/^/# /' "$LOGDIR/$t.log"
        else
                echo "not ok $n - $t (${secs}s)"
                case $rc in
                124 | 137) echo "# timed out after ${TIMEOUT}s (exit $rc)" ;;
                *) echo "# exit status $rc" ;;
                esac
                sed 's/^/# /' "$LOGDIR/$t.log"
                # What the sandbox's journal saw meanwhile (tankd, shims,
                # systemd): the whole of it in the log directory, its end here.
                if [[ $mode == sandbox ]]; then
                        "$SANDBOX" exec "$name" -- journalctl --no-pager -o short-precise \
                                --since "@${start%.*}" </dev/null >"$LOGDIR/$t.journal" 2>&1
                        echo "# --- journal since the test began (last 80 lines; all: $LOGDIR/$t.journal)"
                        tail -n 80 "$LOGDIR/$t.journal" | sed 's/^/# /'
                fi
                failed=$((failed + 1))
        fi
done

cleanup
exit $((failed > 0))
