#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tankctl attach (issue 8) under a real PTY (tests/system/pty-drive.py also
# checks that the caller's terminal settings come back): type and see the
# echo, detach, re-attach to the same shell, two clients at once, the main
# process's exit status and the restart, NotATty / NotRunning / NoSuchPod.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

drive() { python3 "$TANK_SRCDIR/tests/system/pty-drive.py" "$@"; }

tank_up

tank_pod_json tt always /bin/sh | jq -c '.containers[0].tty = true' >/tmp/tt.json
tankctl apply -f /tmp/tt.json || fail "apply failed"
wait_phase tt running 60
pid=$(scope_pid tt app)

out=$(drive -- tankctl attach tt <<'EOF'
expect #
send X=kept-$((40+2))\r
send echo typed-$X\r
expect typed-kept-42
send \x10
sleep 0.3
send \x11
expect detached
wait
EOF
) || fail "first attach: $out"
echo "$out" | grep -q '^EXIT 0$' || fail "detach status: $out"
assert_eq "$(scope_pid tt app)" "$pid" "workload after the detach"

# Two clients at once see the same output; input from either.
drive -- tankctl attach tt >/tmp/second.out <<'EOF' &
expect both-see-me
send \x10\x11
expect detached
wait
EOF
second=$!
sleep 1
out=$(drive -- tankctl attach tt <<'EOF'
expect #
send echo $X; echo both-see-''me\r
expect kept-42
expect both-see-me
send \x10\x11
wait
EOF
) || fail "re-attach: $out"
wait $second || fail "second client: $(cat /tmp/second.out)"
grep -q '^EXIT 0$' /tmp/second.out || fail "second client status: $(cat /tmp/second.out)"

# The main process ends: attach returns its status, restart=always brings a
# fresh one that can be attached again.
out=$(drive -- tankctl attach tt <<'EOF'
expect #
send exit 7\r
wait
EOF
) || fail "attach until exit: $out"
echo "$out" | grep -q '^EXIT 7$' || fail "exit status through attach: $out"
wait_for 30 sh -c '[ "$(tankctl get tt -o json | jq .status.restarts)" -ge 1 ]' || fail "no restart after the exit"
wait_phase tt running 60
out=$(drive -- tankctl attach tt <<'EOF'
expect #
send echo fresh-$X-shell\r
expect fresh--shell
send \x10\x11
wait
EOF
) || fail "attach after the restart: $out"

# Errors by name.
tank_pod_json plain always sleep infinity >/tmp/plain.json
tankctl apply -f /tmp/plain.json || fail "apply plain failed"
wait_phase plain running 60
out=$(tankctl attach plain 2>&1) && fail "attach to a non-tty container succeeded"
echo "$out" | grep -q 'has no tty' || fail "unclear NotATty: $out"
out=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Attach ss plain "" 2>&1)
echo "$out" | grep -q 'has no tty' || fail "bus Attach to a non-tty container: $out"
out=$(tankctl attach nosuch 2>&1) && fail "attach to a missing pod succeeded"
echo "$out" | grep -q 'no such pod' || fail "unclear NoSuchPod: $out"
tank_pod_json once never /bin/sh -c 'exit 0' | jq -c '.containers[0].tty = true' >/tmp/once.json
tankctl apply -f /tmp/once.json || fail "apply once failed"
wait_phase once succeeded 60
out=$(tankctl attach once 2>&1) && fail "attach to a finished container succeeded"
echo "$out" | grep -q 'not running' || fail "unclear NotRunning: $out"
exit 0
