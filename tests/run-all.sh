#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds and runs every test, from a clean clone, as root:
#   autoreconf -fi
#   build/:      configure && make && make check
#   build-asan/: configure --enable-sanitizers && make && make check
# make check runs the unit tests and the system tests (which boot their own
# systemd in a sandbox). Ends with exactly one line "N passed, N failed"
# (summed over both builds from automake's test-suite.log: PASS vs
# FAIL+ERROR+XPASS; a build that breaks counts as one failure) and exits
# non-zero if anything failed. The logs of failing tests are printed before.
#
# Then the VM test bed (tests/vm/run-vm-tests.sh) boots Debian 12 as users
# run it (kernel 6.1, systemd as PID 1, cgroup v2) in qemu and runs the plain
# build's unit tests that touch the kernel, a set of system tests and the
# reboot test there; each of its results counts like a test.
#
# Then the fleet tests (tests/fleet/run-fleet-tests.sh): three nodes, each a
# tank sandbox, on a test LAN, on the plain build.
#
# Environment: JOBS (make -j, default 2), TANK_RUN_ALL_BUILDS (default
# "build build-asan"), TANK_RUN_ALL_FLEET=0 to skip the fleet tests,
# TANK_RUN_ALL_VM=0 to skip the VM test bed, plus what
# tests/system/run-system-tests.sh and tests/vm/run-vm-tests.sh take.

set -u

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-2}
BUILDS=${TANK_RUN_ALL_BUILDS:-build build-asan}

passed=0
failed=0
failures=()

say() {
        printf '\n=== %s\n' "$*"
}

if [[ $(id -u) != 0 ]]; then
        echo "run-all: the system tests need root; run as root (sudo $0)" >&2
fi

# field NAME LOG: the "# NAME: n" count of an automake test-suite.log.
field() {
        sed -n "s/^# $1: *\([0-9][0-9]*\)\$/\1/p" "$2" | head -n 1
}

# The tail of each failing test's log; for the system tests (one TAP test of
# many results), the log of each failing system test.
show_failures() {
        local trs log t
        while IFS= read -r trs; do
                grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
                log=${trs%.trs}.log
                if [[ $trs == */run-system-tests.trs ]]; then
                        sed -n 's/^not ok [0-9]* - \([^ ]*\).*/\1/p' "$log" |
                                while IFS= read -r t; do
                                        echo "--- system test $t"
                                        tail -n 40 "$1/tests/system/logs/$t.log" 2>/dev/null
                                done
                        # A bail-out (sandbox did not boot) is in the TAP log.
                        grep -q '^:test-result: ERROR' "$trs" && tail -n 40 "$log"
                else
                        echo "--- ${log#"$1"/}"
                        tail -n 60 "$log"
                fi
        done < <(find "$1" -name '*.trs' | LC_ALL=C sort)
}

run_build() {
        local dir=$SRC/$1 log
        local -a flags=()
        [[ $1 == *asan* ]] && flags+=(--enable-sanitizers)

        say "$1: configure ${flags[*]}"
        mkdir -p "$dir" || return 1
        cd "$dir" || return 1
        rm -f test-suite.log
        if ! "$SRC/configure" "${flags[@]}" >configure.out 2>&1; then
                tail -n 40 configure.out
                failed=$((failed + 1)); failures+=("$1: configure")
                return 1
        fi
        say "$1: make -j$JOBS"
        if ! make -j"$JOBS" >make.out 2>&1; then
                grep -E -B2 -A6 'error|Error' make.out | tail -n 80
                failed=$((failed + 1)); failures+=("$1: make")
                return 1
        fi
        say "$1: make check"
        # Sanitized binaries run several times slower: give each system test
        # more time there, not less coverage.
        local timeout=${TANK_SYSTEM_TEST_TIMEOUT:-300}
        [[ $1 == *asan* ]] && timeout=${TANK_SYSTEM_TEST_TIMEOUT:-900}
        # The summary below counts; make's exit status is implied by it.
        TANK_SYSTEM_TEST_TIMEOUT=$timeout make -j"$JOBS" check 2>&1 | tee check.out |
                grep --line-buffered -E '^(PASS|FAIL|ERROR|XPASS|XFAIL|SKIP):|^# [A-Z]+:'
        log=$dir/test-suite.log
        if [[ ! -r $log ]]; then
                tail -n 60 check.out
                failed=$((failed + 1)); failures+=("$1: make check did not run the tests")
                return 1
        fi
        local p f e x
        p=$(field PASS "$log"); f=$(field FAIL "$log"); e=$(field ERROR "$log"); x=$(field XPASS "$log")
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
        if (( ${f:-0} + ${e:-0} + ${x:-0} > 0 )); then
                failures+=("$1: $((${f:-0} + ${e:-0} + ${x:-0})) test(s)")
                say "$1: logs of the failing tests (tail)"
                show_failures "$dir"
        fi
        # A make check that failed without a failing test (e.g. a check
        # program that did not build) must not pass silently.
        if grep -q '^make.*\*\*\*' check.out && (( ${f:-0} + ${e:-0} + ${x:-0} == 0 )); then
                grep -E -B2 -A6 'error|\*\*\*' check.out | tail -n 60
                failed=$((failed + 1)); failures+=("$1: make check")
        fi
        return 0
}

cd "$SRC" || exit 1
say "autoreconf -fi"
out=$(autoreconf -fi 2>&1) || {
        echo "$out" | tail -n 40
        echo "0 passed, 1 failed"
        exit 1
}

for b in $BUILDS; do
        run_build "$b"
        cd "$SRC" || exit 1
done

# The fleet tests (tests/fleet: three nodes, each a tank sandbox, on one test
# LAN), on the plain build: each result counts like a test.
run_fleet() {
        local dir=$SRC/build out ok bad rc plan
        say "fleet: several nodes on one test LAN (tests/fleet)"
        if [[ ! -x $dir/tankd ]]; then
                failed=$((failed + 1)); failures+=("fleet: no plain build to test")
                return 1
        fi
        out=$dir/fleet.tap
        TANK_BUILDDIR=$dir "$SRC/tests/fleet/run-fleet-tests.sh" 2>&1 | tee "$out" |
                grep --line-buffered -E '^(ok|not ok)'
        rc=${PIPESTATUS[0]}
        ok=$(grep -c '^ok ' "$out")
        bad=$(grep -c '^not ok ' "$out")
        plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | tail -n 1)
        if ((rc != 0 && bad == 0)) || [[ -z $plan ]] || ((ok + bad != plan)); then
                echo "fleet: exit $rc, $ok ok + $bad not ok for a plan of ${plan:-none}"
                bad=$((bad + 1))
        fi
        passed=$((passed + ok))
        failed=$((failed + bad))
        ((bad == 0)) && return 0
        failures+=("fleet: $bad test(s)")
        say "fleet: logs of the failing tests (tail)"
        awk '/^not ok /{show=1; print; next} /^ok /{show=0} show' "$out" | tail -n 250
}
if [[ ${TANK_RUN_ALL_FLEET:-1} != 0 && " $BUILDS " == *" build "* ]]; then
        run_fleet
        cd "$SRC" || exit 1
fi

# The VM test bed, on the plain build (the sanitizers' runtime is not in the
# guest, and emulation makes ASan's slowness unaffordable).
run_vm() {
        local dir=$SRC/build out ok bad
        say "vm: Debian 12 (kernel 6.1, systemd, cgroup v2) in qemu"
        if [[ ! -x $dir/tankd ]]; then
                failed=$((failed + 1)); failures+=("vm: no plain build to test")
                return 1
        fi
        out=$dir/vm.tap
        local rc plan
        TANK_BUILDDIR=$dir "$SRC/tests/vm/run-vm-tests.sh" 2>&1 | tee "$out" |
                grep --line-buffered -E '^(ok|not ok|Bail out!)|^# (image|guest|VM run)'
        rc=${PIPESTATUS[0]}
        ok=$(grep -c '^ok ' "$out")
        bad=$(grep -c -E '^(not ok |Bail out!)' "$out")
        plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | tail -n 1)
        # A run that failed without saying which test, or whose results do not
        # add up to its plan, is a failure too.
        if ((rc != 0 && bad == 0)) || [[ -z $plan ]] || ((ok + bad != plan)); then
                echo "vm: exit $rc, $ok ok + $bad not ok for a plan of ${plan:-none}"
                bad=$((bad + 1))
        fi
        passed=$((passed + ok))
        failed=$((failed + bad))
        ((bad == 0)) && return 0
        failures+=("vm: $bad test(s)")
        # run-vm-tests.sh puts each failing test's log tail under its line.
        say "vm: logs of the failing tests (tail)"
        awk '/^not ok /{show=1; print; next} /^(ok |1\.\.)/{show=0} show && /^#   /' "$out"
}
if [[ ${TANK_RUN_ALL_VM:-1} != 0 ]]; then
        run_vm
        cd "$SRC" || exit 1
fi

if ((${#failures[@]} > 0)); then
        say "failures"
        printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
