#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seed's declarative basics, end to end against a real systemd, etcd and
# registry: apply -> a scope in the pod's slice, the workload is PID 1, output in
# the journal, list/get, Pod object on the bus; delete leaves nothing behind;
# the standalone store's sockets are root's only; a plain http:// remote
# endpoint is warned about.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up

tank_pod_json web always sh -c 'echo hello-from-web; exec sleep infinity' >/tmp/web.json
tankctl apply -f /tmp/web.json || fail "apply failed"
# wait follows tankd's signals: it returns as soon as the pod runs.
timeout 90 tankctl wait web --for=running --timeout 60 || fail "tankctl wait --for=running failed"
assert_eq "$(tankctl get web -o json | jq -r .status.phase)" "running" "phase after tankctl wait"

# The container is a transient scope inside the pod's slice.
systemctl is-active tank-web-app.scope >/dev/null || fail "tank-web-app.scope is not active"
systemctl status tank-pod-web.slice --no-pager | grep -q 'tank-web-app.scope' ||
        fail "systemctl status tank-pod-web.slice does not list the scope"
assert_eq "$(systemctl show -P Slice tank-web-app.scope)" "tank-pod-web.slice" "scope slice"

# Shell completion asks tankd for names: the installed file, as bash loads it.
compfile=$(ls /usr/local/share/bash-completion/completions/tankctl /usr/share/bash-completion/completions/tankctl \
        2>/dev/null | head -1)
[ -n "$compfile" ] || fail "tankctl's bash completion is not installed"
comp=$(bash -c '. "$1"
        COMP_WORDS=(tankctl get ""); COMP_CWORD=2; _tankctl; echo "${COMPREPLY[*]}"
        COMP_WORDS=(tankctl exec web -c ""); COMP_CWORD=4; _tankctl; echo "${COMPREPLY[*]}"' bash "$compfile")
assert_eq "$comp" "web
app" "completion of tankctl get <TAB> and tankctl exec web -c <TAB>"

# The workload is PID 1 of its own PID namespace.
pid=$(scope_pid web app)
[ "$pid" -gt 1 ] 2>/dev/null || fail "no workload pid in status: $pid"
nspid=$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")
assert_eq "$nspid" "1" "workload pid inside its namespace"

# systemd sends UnitRemoved for every unit a daemon-reload reloads, running
# scopes too: the container must go on as it is.
systemctl daemon-reload
sleep 3
systemctl is-active -q tank-web-app.scope || fail "scope not active after daemon-reload"
assert_eq "$(scope_pid web app)" "$pid" "workload pid after daemon-reload"
assert_eq "$(tankctl get web -o json | jq -r .status.restarts)" 0 "restarts after daemon-reload"
kill -0 "$pid" 2>/dev/null || fail "workload killed by a daemon-reload"
assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep infinity " "workload cmdline"
procs=$(cgroup_value tank-web-app.scope procs) || fail "cannot read the scope's cgroup.procs"
echo "$procs" | grep -qx "$pid" || fail "workload is not in its scope's cgroup: $(cat "/proc/$pid/cgroup")"
# Its cgroup namespace is rooted at the scope (the shim creates the workload
# only once systemd has moved the shim in): it sees itself at the root, in
# every hierarchy.
cgns=$(nsenter -t "$pid" -C cat "/proc/$pid/cgroup") || fail "cannot read the workload's cgroups in its namespace"
echo "$cgns" | grep -qv ':/$' && fail "the workload's cgroup namespace is not rooted at its scope: $cgns"
# Its parent, the shim, runs from a sealed memfd copy, never from its file.
shim=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
readlink "/proc/$shim/exe" | grep -q '^/memfd:tank-shim' ||
        fail "the shim does not run from a sealed memfd: $(readlink "/proc/$shim/exe")"
assert_eq "$(cat "/proc/$shim/comm")" "tank-shim" "the shim's process name"

# Its output reaches the journal under the scope, and tankctl logs shows it.
wait_for 20 sh -c "journalctl -u tank-web-app.scope --no-pager | grep -q hello-from-web" ||
        fail "journal lacks the workload's output"
tankctl logs web | grep -q hello-from-web || fail "tankctl logs lacks the output"

# list and get.
tankctl list | grep -E '^web +running +1/1 +0 ' >/dev/null || { tankctl list; fail "list row for web"; }
tankctl get web | grep -q 'Phase: *running' || fail "get shows no running phase"
assert_eq "$(tankctl get web -o json | jq -r .spec.containers[0].image)" "$TANK_IMAGE" "spec image"

# The pod is an object on the bus with properties.
path=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Apply s "$(cat /tmp/web.json)" | awk '{print $2}' | tr -d '"')
assert_eq "$path" "/org/tank/Tank1/pod/web" "Apply returns the pod object"
assert_eq "$(busctl --system get-property org.tank.Tank1 /org/tank/Tank1/pod/web org.tank.Tank1.Pod Phase)" 's "running"' "Phase property"
busctl --system tree org.tank.Tank1 | grep -q /org/tank/Tank1/pod/web || fail "busctl tree lacks the pod"
# Re-applying the same spec must not restart anything.
sleep 1
assert_eq "$(scope_pid web app)" "$pid" "pid after an identical re-apply"

# Errors are named and clear.
out=$(tankctl get nosuch 2>&1) && fail "get of a missing pod succeeded"
echo "$out" | grep -q 'no pod "nosuch"' || fail "unclear error: $out"
echo '{"name": "bad", "containers": [{"name": "x", "image": "busybox", "bogus": 1}]}' >/tmp/bad.json
out=$(tankctl apply -f /tmp/bad.json 2>&1) && fail "apply of a bad spec succeeded"
echo "$out" | grep -q 'containers\[0\]: unknown field "bogus"' || fail "unclear apply error: $out"

# wait gives up at its timeout and says in which phase the pod was.
# apply --wait returns once the pod runs, or at its timeout naming the pod.
tank_pod_json quick always | timeout 90 tankctl apply -f - --wait --timeout 60 >/tmp/out || fail "apply --wait failed"
# It waited for the revision's rollout too (tank-pod(5), ROLLOUT).
assert_eq "$(sed 's/revision [0-9]*/revision N/' /tmp/out)" "pod/quick applied
pod/quick revision N rolled out
pod/quick running" "output of apply --wait"
assert_eq "$(tankctl get quick -o json | jq -r .status.phase)" "running" "phase after apply --wait"
tankctl delete quick >/dev/null || fail "delete quick"
# --wait=running waits for running only, not for the rollout's min_healthy_sec.
tank_pod_json quick2 always | timeout 90 tankctl apply -f - --wait=running --timeout 60 >/tmp/out ||
        fail "apply --wait=running failed"
assert_eq "$(cat /tmp/out)" "pod/quick2 applied
pod/quick2 running" "output of apply --wait=running"
assert_eq "$(tankctl get quick2 -o json | jq -r '.status.rollout.result // "none"')" "in-progress" \
        "the rollout still runs after apply --wait=running"
tankctl delete quick2 >/dev/null || fail "delete quick2"
echo '{"name": "never", "containers": [{"name": "x", "image": {"rootfs": "/nonexistent"}, "command": ["true"]}]}' >/tmp/never.json
out=$(timeout 30 tankctl apply -f /tmp/never.json --wait --timeout 2s 2>&1)
assert_eq "$?" "1" "exit status of apply --wait of a pod that cannot start"
# Its rollout fails with the reason before the timeout, or (slow machine) the
# timeout comes first.
echo "$out" | grep -qE 'never: (revision [0-9]+ failed: container x: |timed out waiting for the rollout)' ||
        fail "unclear apply --wait failure: $out"
out=$(timeout 30 tankctl wait never --for=running --timeout 2s 2>&1)
assert_eq "$?" "1" "exit status of a timed-out wait"
echo "$out" | grep -q 'never: timed out waiting for the pod to be running (phase: ' || fail "unclear wait timeout: $out"
# The pod's message is its failing container's, in get -o json as on the bus.
msg=$(tankctl get never -o json | jq -r .status.message)
assert_eq "$msg" "$(tankctl get never -o json | jq -r '.status.containers[0].message')" "pod message of never"
echo "$msg" | grep -q 'overlay\|lowerdir' || fail "pod message of never: $msg"
assert_eq "$(busctl --system get-property org.tank.Tank1 /org/tank/Tank1/pod/never org.tank.Tank1.Pod Message)" \
        "s $(jq -n --arg m "$msg" '$m')" "Message property of never"
out=$(tankctl wait never --for=bogus 2>&1)
assert_eq "$?" "2" "exit status of wait with a bad --for"
tankctl delete never >/dev/null || fail "delete never failed"
timeout 60 tankctl wait never --for=deleted --timeout 40 || fail "tankctl wait --for=deleted failed"

# Delete leaves no unit, mount, namespace or scratch behind.
tankctl delete web || fail "delete failed"
timeout 60 tankctl wait web --for=deleted --timeout 40 || fail "tankctl wait --for=deleted failed"
# "deleted" means torn down: nothing of the pod is left once wait returns.
tankctl get web >/dev/null 2>&1 && fail "pod still there after wait --for=deleted"
systemctl is-active tank-web-app.scope >/dev/null 2>&1 && fail "scope still active after wait --for=deleted"
[ -e /run/tank/pods/web ] && fail "runtime dir still there after wait --for=deleted"
# systemd keeps an empty slice active until it is stopped; a deleted pod's is.
state=$(systemctl is-active tank-pod-web.slice 2>&1)
[ "$state" = active ] && fail "tank-pod-web.slice still active after wait --for=deleted"
systemctl list-units --all --plain --no-legend 'tank-pod-*.slice' | grep -E 'tank-pod-(web|quick|never)\.slice +[^ ]+ +active' &&
        fail "a deleted pod's slice is still listed active"
busctl --system tree org.tank.Tank1 | grep -q /org/tank/Tank1/pod/web && fail "pod object still on the bus"
wait_for 30 sh -c '! systemctl is-active tank-web-app.scope >/dev/null 2>&1' || fail "scope still active"
wait_for 30 sh -c "! kill -0 $pid 2>/dev/null" || fail "workload survived delete"
# Cleanup follows the last container's end; give it a moment on a slow machine.
wait_for 30 sh -c '! grep -q /run/tank/netns/web /proc/self/mountinfo' || fail "netns mount left behind"
wait_for 30 test ! -e /run/tank/netns/web || fail "netns file left behind"
wait_for 30 test ! -e /run/tank/pods/web || fail "runtime dir left behind"
wait_for 30 test ! -e /var/lib/tank/pods/web || fail "scratch left behind"
grep -q "/run/tank/pods/web" /proc/self/mountinfo && fail "rootfs mount left behind"

# Applied again at once after a delete, while the old slice is being stopped:
# the new scope waits for that stop instead of failing against its job.
tank_pod_json again always | timeout 90 tankctl apply -f - --wait --timeout 60 >/dev/null || fail "apply again"
tankctl delete again >/dev/null || fail "delete again"
tank_pod_json again always | timeout 90 tankctl apply -f - --wait --timeout 60 >/dev/null ||
        fail "apply right after delete did not run"
assert_eq "$(systemctl is-active tank-pod-again.slice)" active "slice of the pod applied again"
assert_eq "$(tankctl get again -o json | jq -r '.status.containers[0].restarts')" 0 \
        "restarts of the pod applied again (a failed scope start counts one)"
tankctl delete again >/dev/null || fail "delete again (2)"
timeout 60 tankctl wait again --for=deleted --timeout 40 || fail "wait for again deleted"

# The standalone store's sockets are root's only.
assert_eq "$(stat -c %a /run/tank/etcd)" 700 "store socket directory mode"
assert_eq "$(systemctl show -P UMask tank-etcd.service)" 0077 "tank-etcd.service UMask"
sock=$(tank_store_endpoint)
sock=${sock#unix://}
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        curl -sS --max-time 5 --unix-socket "$sock" http://localhost/version 2>&1) && fail "nobody reached the store: $out"
curl -sS --max-time 5 --unix-socket "$sock" http://localhost/version >/dev/null || fail "root cannot reach the store at $sock"

# A bring-your-own endpoint in plain http:// off this host is warned about at
# start. The owned etcd (still running) comes first, so the remote one (a
# documentation address) is never tried: no packet leaves for 192.0.2.50.
systemctl stop tankd.service
tank_write_config "$(printf '[Store]\nEndpoints=%s http://127.0.0.1:1 http://192.0.2.50:2379' "$(tank_store_endpoint)")"
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl start --no-block tankd.service
wait_for 30 sh -c "journalctl -u tankd --since '$since' --no-pager | grep -q 'Endpoints=http://192.0.2.50:2379 is plain http://'" ||
        { journalctl -u tankd --since "$since" --no-pager | tail -20 >&2; fail "no warning for a plain http:// remote endpoint"; }
journalctl -u tankd --since "$since" --no-pager | grep -q 'Endpoints=http://127.0.0.1:1 is plain' &&
        fail "warned about a loopback endpoint"
systemctl stop tankd.service
tank_write_config
echo "basic: ok"
