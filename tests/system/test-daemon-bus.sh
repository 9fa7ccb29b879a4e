#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The D-Bus surface: dbus/org.tank.Tank1.xml matches what tankd exports; anyone
# may read, but an unprivileged caller is refused Apply, Delete and ListVolumes
# and gets specs with env values redacted; pod objects emit PropertiesChanged.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap 'tank_down; kill $monitor 2>/dev/null' EXIT

tank_up
tank_pod_json web always | tankctl apply -f - || fail "apply"
wait_phase web running

# Introspection data equals the file we ship (interfaces, methods, args, properties).
norm() { python3 "$TANK_SRCDIR/tests/system/introspect-normalize.py" "$@"; }
busctl --system call org.tank.Tank1 /org/tank/Tank1 org.freedesktop.DBus.Introspectable Introspect --json=short |
        jq -r '.data[0]' | norm org.tank.Tank1.Manager >/tmp/live-manager
busctl --system call org.tank.Tank1 /org/tank/Tank1/pod/web org.freedesktop.DBus.Introspectable Introspect --json=short |
        jq -r '.data[0]' | norm org.tank.Tank1.Pod >/tmp/live-pod
norm org.tank.Tank1.Manager <"$TANK_SRCDIR/dbus/org.tank.Tank1.xml" >/tmp/file-manager
norm org.tank.Tank1.Pod <"$TANK_SRCDIR/dbus/org.tank.Tank1.xml" >/tmp/file-pod
diff -u /tmp/file-manager /tmp/live-manager || fail "dbus/org.tank.Tank1.xml differs from the exported Manager interface"
diff -u /tmp/file-pod /tmp/live-pod || fail "dbus/org.tank.Tank1.xml differs from the exported Pod interface"

# Unprivileged: reading works, changing does not.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager List >/dev/null ||
        fail "an unprivileged caller cannot List"
as_nobody tankctl get web >/dev/null || fail "an unprivileged caller cannot get"
out=$(as_nobody tankctl apply -f /dev/stdin 2>&1 < <(tank_pod_json evil always)) && fail "unprivileged Apply succeeded"
echo "$out" | grep -qi 'denied\|access' || fail "unclear refusal: $out"
out=$(as_nobody busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Delete s web 2>&1) &&
        fail "unprivileged Delete succeeded"
tankctl get evil >/dev/null 2>&1 && fail "unprivileged Apply created a pod"
systemctl is-active tank-web-app.scope >/dev/null || fail "unprivileged Delete removed the pod"

# Env values are for root and group tank only: anyone else gets the spec's
# shape (keys kept, values redacted) and the status.
printf '{"name": "secret", "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"], "env": {"SECRET": "hunter2", "PLAIN": "x"}}]}\n' \
        "$TANK_IMAGE" | tankctl apply -f - >/dev/null || fail "apply secret"
out=$(as_nobody busctl --system --json=short call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Get s secret) ||
        fail "an unprivileged caller cannot Get"
echo "$out" | grep -q hunter2 && fail "an unprivileged Get reads env values: $out"
assert_eq "$(echo "$out" | jq -r '.data[0]' | jq -c '.containers[0].env')" '{"PLAIN":"<redacted>","SECRET":"<redacted>"}' \
        "env seen by an unprivileged Get"
echo "$out" | jq -r '.data[1]' | jq -e '.phase and .containers' >/dev/null || fail "no status for an unprivileged Get: $out"
out=$(as_nobody tankctl get secret -o json) || fail "unprivileged tankctl get"
echo "$out" | grep -q hunter2 && fail "unprivileged tankctl get shows env values: $out"
assert_eq "$(echo "$out" | jq -r '.spec.containers[0].env | keys | join(",")')" "PLAIN,SECRET" "env keys for nobody"
assert_eq "$(tankctl get secret -o json | jq -r '.spec.containers[0].env.SECRET')" hunter2 "root reads env values"
tankctl delete secret >/dev/null || fail "delete secret"

# ListVolumes walks trees the containers fill: root and group tank only.
out=$(as_nobody dbus-send --system --print-reply --dest=org.tank.Tank1 /org/tank/Tank1 \
        org.tank.Tank1.Manager.ListVolumes 2>&1) && fail "an unprivileged caller could ListVolumes: $out"
echo "$out" | grep -q 'org.freedesktop.DBus.Error.AccessDenied' || fail "unprivileged ListVolumes: unclear refusal: $out"
busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ListVolumes >/dev/null ||
        fail "root cannot ListVolumes"
tankctl volumes >/dev/null || fail "root cannot list volumes with tankctl"

# PropertiesChanged reaches monitors when the pod changes.
busctl --system monitor org.tank.Tank1 --json=short >/tmp/monitor.json 2>/dev/null &
monitor=$!
sleep 1
kill -9 "$(scope_pid web app)"
wait_for 20 grep -q PropertiesChanged /tmp/monitor.json || fail "no PropertiesChanged after the workload died"
echo "bus: ok"
