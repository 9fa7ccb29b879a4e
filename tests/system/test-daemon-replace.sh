#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Apply is create-or-replace: a changed container restarts with the new spec, an
# unchanged one keeps its PID; a pod-level change restarts the whole pod.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up

spec() {
        cat <<EOF2
{"name": "two", "restart": "always", "volumes": [{"name": "data"}],
 "containers": [
  {"name": "a", "image": "$TANK_IMAGE", "command": ["sleep", "infinity"], "env": {"X": "$1"}},
  {"name": "b", "image": "$TANK_IMAGE", "command": ["sleep", "infinity"]$2}]}
EOF2
}

spec 1 "" | tankctl apply -f - || fail "apply"
wait_phase two running
a1=$(scope_pid two a); b1=$(scope_pid two b)

spec 2 "" | tankctl apply -f - || fail "re-apply"
wait_for 30 sh -c "[ \"\$(tankctl get two -o json | jq -r '.status.containers[] | select(.name==\"a\") | .pid')\" != $a1 ]" ||
        fail "changed container a was not restarted"
wait_phase two running
a2=$(scope_pid two a)
assert_eq "$(scope_pid two b)" "$b1" "unchanged container b keeps its pid"
tr '\0' '\n' <"/proc/$a2/environ" | grep -qx X=2 || fail "a does not run with the new env"
assert_eq "$(container_field two a restarts)" "0" "a replace is not a restart"

# Once Apply has answered, tankd acts on the new spec: wait --for=running
# right after it cannot be satisfied by the old container still running.
spec 3 "" | tankctl apply -f - >/dev/null || fail "apply of X=3"
timeout 60 tankctl wait two --for=running --timeout 40 || fail "wait after re-apply"
a3=$(scope_pid two a)
[ "$a3" != "$a2" ] || fail "wait --for=running returned while the old container of a ran"
tr '\0' '\n' <"/proc/$a3/environ" | grep -qx X=3 || fail "a does not run X=3 once wait returned"
a2=$a3

# A pod-level change (a new volume) restarts every container.
spec 3 ', "mounts": [{"volume": "data", "path": "/data"}]' | sed 's/"volumes": \[{"name": "data"}\]/"volumes": [{"name": "data"}, {"name": "more"}]/' |
        tankctl apply -f - || fail "pod-level re-apply"
wait_for 30 sh -c "[ \"\$(tankctl get two -o json | jq -r '.status.containers[] | select(.name==\"b\") | .pid')\" != $b1 ]" ||
        fail "b was not restarted on a pod-level change"
wait_phase two running
[ "$(scope_pid two a)" != "$a2" ] || fail "a was not restarted on a pod-level change"
# A spec applied while the previous one is still starting wins: once the pod
# runs, it runs the last spec (the start in flight is replaced, not kept).
for round in 1 2 3; do
        spec "$round-old" "" | sed 's/"two"/"quick"/' | tankctl apply -f - >/dev/null || fail "apply quick"
        spec "$round-new" "" | sed 's/"two"/"quick"/' | tankctl apply -f - >/dev/null || fail "re-apply quick"
        wait_phase quick running
        wait_for 30 sh -c "tr '\\0' '\\n' </proc/\$(tankctl get quick -o json | jq -r '.status.containers[] | select(.name==\"a\") | .pid')/environ | grep -qx X=$round-new" ||
                fail "round $round: quick does not run the spec applied last"
done
echo "replace: ok"
