#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every tests/fleet/test-*.sh (alphabetical) on this host, as root, and
# prints TAP. Each test boots its own fleet (tests/fleet/fleet-lib.sh: one
# tank sandbox per node on a test LAN, one etcd) and tears it down; it exits 0
# to pass. The sandboxes need the hybrid cgroup layout (tank-sandbox), so the
# fleet tests run on the build machines (CI), not in the VM test bed, whose
# single host is a fleet of one (the system tests cover that code path).
#
#   TANK_FLEET_TESTS="test-fleet-nodes.sh ..."   only these
#   TANK_FLEET_TEST_TIMEOUT=600                  seconds per test
# Logs: $TANK_BUILDDIR/tests/fleet/logs/NAME.log

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "${TANK_SRCDIR:-$here/../..}" && pwd)
BUILD=$(cd "${TANK_BUILDDIR:-$SRC/build}" && pwd)
TIMEOUT=${TANK_FLEET_TEST_TIMEOUT:-600}
LOGDIR=$BUILD/tests/fleet/logs

tests=()
if [[ -n ${TANK_FLEET_TESTS:-} ]]; then
        for t in $TANK_FLEET_TESTS; do tests+=("$(basename "$t")"); done
else
        while IFS= read -r t; do tests+=("$(basename "$t")"); done < <(LC_ALL=C ls -1 "$SRC"/tests/fleet/test-*.sh 2>/dev/null)
fi
echo "1..${#tests[@]}"
mkdir -p "$LOGDIR"

n=0
failed=0
for t in "${tests[@]}"; do
        n=$((n + 1))
        start=$(date +%s.%N)
        TANK_SRCDIR=$SRC TANK_BUILDDIR=$BUILD \
                timeout --kill-after=20 "$TIMEOUT" /bin/bash "$SRC/tests/fleet/$t" </dev/null >"$LOGDIR/$t.log" 2>&1
        rc=$?
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        if [[ $rc == 0 ]]; then
                echo "ok $n - $t (${secs}s)"
                sed 's/^/# /' "$LOGDIR/$t.log"
        else
                echo "not ok $n - $t (${secs}s)"
                echo "# exit status $rc"
                tail -n 200 "$LOGDIR/$t.log" | sed 's/^/# /'
                failed=$((failed + 1))
        fi
done
exit $((failed > 0))
