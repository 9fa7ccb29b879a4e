#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Health probes in the loop (issue 14), with real busybox pods: a liveness
# failure kills and restarts with the backoff and is recorded as unhealthy; an
# exec probe past its timeout fails and its process group goes (sh -c 'sleep
# 100 & sleep 100': both sleeps, by pid in the scope); readiness flips Ready
# both ways without a restart (tankctl list, busctl, wait --for=ready, apply
# --wait); a startup probe holds liveness back within its budget and kills when
# it is spent; tcp probes in a "none" pod; probing resumes after kill -9 of
# tankd without restarting anything; the journal line under the scope; the
# HealthChanged signal; tankd does not crash when exec sessions leave the bus.
# Periods are 1 s.
# For slow machines (CI: qemu TCG, ASan): no step asserts an upper bound on a duration; probes
# whose timeout is not what is tested get a long one, so a slow run is not a
# failure; fields that belong together are read from one answer (wait_json);
# and every failure prints the pod's JSON and tankd's last lines.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

MON=
cleanup() {
        [ -n "$MON" ] && kill "$MON" 2>/dev/null
        tank_down
}
trap cleanup EXIT

TANK_TEST_BACKOFF_BASE=1 TANK_TEST_BACKOFF_CAP=4 tank_up

# The pod's whole state and tankd's last lines, then FAIL: enough to tell
# from a CI log alone what went wrong.
pod_fail() { # POD MSG
        echo "--- tankctl get $1 -o json" >&2
        tankctl get "$1" -o json >&2
        echo "--- journalctl -u tankd (last 40 lines)" >&2
        journalctl -u tankd --no-pager | tail -40 >&2
        fail "$1: $2"
}
assert_pod() { # POD ACTUAL EXPECTED MSG
        [ "$2" = "$3" ] || pod_fail "$1" "$4: got '$2', expected '$3'"
}
# wait_json POD TIMEOUT FILTER MSG: polls tankctl get -o json until the jq
# FILTER holds, and keeps that answer in ANSWER (read it with jf), so that
# fields that belong together come from one answer even while the container
# restarts.
wait_json() {
        export WJ_FILTER=$3
        wait_for "$2" sh -c 'tankctl get "$0" -o json >/tmp/probes-answer.json &&
                jq -e "$WJ_FILTER" /tmp/probes-answer.json >/dev/null' "$1" ||
                pod_fail "$1" "$4 (waited ${2}s for: $3)"
        ANSWER=$(cat /tmp/probes-answer.json)
}
jf() { jq -r "$1" <<<"$ANSWER"; }
C0='.status.containers[0]'
bus_ready() { busctl --system get-property org.tank.Tank1 "/org/tank/Tank1/pod/$1" org.tank.Tank1.Pod Ready; }
list_ready() { tankctl list | awk -v p="$1" '$1 == p {print $3}'; }
cfield() { container_field "$1" "${3:-app}" "$2"; }
wait_field() { # POD FIELD VALUE [TIMEOUT [CONTAINER]]
        wait_json "$1" "${4:-60}" ".status.containers[] | select(.name == \"${5:-app}\") | (.$2 | tostring) == \"$3\"" \
                "$2 did not become $3"
}
wait_get() { # POD REGEX [TIMEOUT]: tankctl get shows it
        wait_for "${3:-60}" sh -c "tankctl get $1 | grep -qE '$2'" ||
                { tankctl get "$1" >&2; pod_fail "$1" "get never showed /$2/"; }
}
# pod NAME RESTART CMD PROBES-JSON [EXTRA-CONTAINERS-JSON]
pod() {
        jq -n -c --arg n "$1" --arg r "$2" --arg cmd "$3" --argjson probes "$4" --arg img "$TANK_IMAGE" \
                '{name: $n, restart: $r, containers: [{name: "app", image: $img,
                  command: ["sh", "-c", $cmd], probes: $probes}]}'
}

busctl --system monitor --match "type='signal',interface='org.tank.Tank1.Pod',member='HealthChanged'" \
        >/tmp/health-signals.log 2>&1 &
MON=$!

# --- readiness: a file flips Ready both ways, the workload keeps running ---
# (A long timeout: only the file decides, never a slow run.)
pod rd always 'rm -f /tmp/ready; exec sleep infinity' \
        '{"readiness": {"exec": ["test", "-e", "/tmp/ready"], "period": 1, "timeout": 10, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply rd"
wait_phase rd running
wait_field rd health starting
assert_pod rd "$(list_ready rd)" "0/1" "list READY before the probe passes"
assert_pod rd "$(bus_ready rd)" "u 0" "bus Ready before the probe passes"
# Its budget covers the steps before the touch on a slow machine; the point
# is that it is still waiting when the touch comes.
tankctl wait rd --for=ready --timeout=300 >/tmp/wait-rd.out 2>&1 &
waiter=$!
# Several probe periods: the waiter must still be waiting.
wait_json rd 60 "$C0.last_probe.success == false" "no failed readiness probe recorded"
kill -0 "$waiter" 2>/dev/null || pod_fail rd "wait --for=ready returned before the pod was ready: $(cat /tmp/wait-rd.out)"
pid=$(jf "$C0.pid")
tankctl exec rd -- touch /tmp/ready || pod_fail rd "touch /tmp/ready"
wait "$waiter" || pod_fail rd "wait --for=ready failed: $(cat /tmp/wait-rd.out)"
assert_pod rd "$(bus_ready rd)" "u 1" "bus Ready once the probe passes"
assert_pod rd "$(list_ready rd)" "1/1" "list READY once the probe passes"
assert_pod rd "$(cfield rd health)" healthy "health once ready"
tankctl exec rd -- rm /tmp/ready || pod_fail rd "rm /tmp/ready"
wait_field rd ready false
assert_pod rd "$(jf "$C0.health")" unhealthy "health after readiness failed"
assert_pod rd "$(jf "$C0.health_reason")" "readiness: exit 1" "readiness reason"
assert_pod rd "$(jf "$C0.pid") $(jf "$C0.restarts")" "$pid 0" "a failing readiness probe restarts nothing (pid, restarts)"
assert_pod rd "$(list_ready rd)" "0/1" "list READY after readiness failed"
tankctl get rd | grep -q 'Health: *unhealthy (readiness: exit 1)' || { tankctl get rd; pod_fail rd "get: health"; }
tankctl exec rd -- touch /tmp/ready || pod_fail rd "touch /tmp/ready again"
wait_field rd ready true
assert_pod rd "$(jf "$C0.pid")" "$pid" "pid after readiness came back"

# The journal line under the container's scope.
unit=$(jf "$C0.unit")
wait_for 60 sh -c "journalctl -u $unit --no-pager | grep -q 'Container rd/app is healthy'" ||
        { journalctl -u "$unit" --no-pager | tail >&2; pod_fail rd "no health line under $unit"; }
journalctl -u "$unit" --no-pager | grep -q 'Container rd/app is unhealthy: readiness: exit 1' ||
        { journalctl -u "$unit" --no-pager | tail >&2; pod_fail rd "no unhealthy line under $unit"; }

# HealthChanged on the pod object.
wait_for 60 grep -q 'STRING "healthy"' /tmp/health-signals.log ||
        { cat /tmp/health-signals.log >&2; pod_fail rd "no HealthChanged signal"; }
grep -q 'Path=/org/tank/Tank1/pod/rd' /tmp/health-signals.log ||
        { cat /tmp/health-signals.log >&2; pod_fail rd "HealthChanged not on rd's object"; }
grep -q 'STRING "readiness: exit 1"' /tmp/health-signals.log ||
        { cat /tmp/health-signals.log >&2; pod_fail rd "HealthChanged without its reason"; }

# --- kill -9 of tankd: the workload stays, probing resumes ---
old=$(systemctl show -P MainPID tankd.service)
kill -9 "$old"
# systemd restarts it (Restart=on-failure); start it ourselves if it gave up.
wait_for 60 sh -c "p=\$(systemctl show -P MainPID tankd.service); [ \"\$p\" != '$old' ] && [ \"\$p\" != 0 ]" ||
        systemctl start tankd.service
tank_wait_bus 120
tankd_pid=$(systemctl show -P MainPID tankd.service)
wait_phase rd running
wait_field rd ready true
assert_pod rd "$(jf "$C0.pid")" "$pid" "workload pid after kill -9 of tankd"
tankctl exec rd -- rm /tmp/ready || pod_fail rd "rm /tmp/ready after adoption"
wait_field rd ready false
assert_pod rd "$(jf "$C0.pid") $(jf "$C0.restarts")" "$pid 0" "pid and restarts after a flip following adoption"

# --- apply --wait waits for ready ---
start=$(date +%s)
pod aw always 'rm -f /tmp/ready; sleep 3; touch /tmp/ready; exec sleep infinity' \
        '{"readiness": {"exec": ["test", "-e", "/tmp/ready"], "period": 1, "timeout": 10}}' >/tmp/aw.json
out=$(tankctl apply -f /tmp/aw.json --wait --timeout=300) || pod_fail aw "apply --wait: $out"
echo "$out" | grep -qx 'pod/aw ready' || pod_fail aw "apply --wait did not say ready: $out"
assert_pod aw "$(bus_ready aw)" "u 1" "Ready when apply --wait returned"
# A lower bound only: the workload touches the file after 3 s.
[ $(( $(date +%s) - start )) -ge 3 ] || pod_fail aw "apply --wait returned before the readiness probe passed"

# --- liveness: http 500 after two requests kills, restarts with backoff ---
# The startup probe holds liveness back until httpd listens, and the long
# timeout keeps a slow CGI from failing as a timeout: every kill is the 500's.
cat >/tmp/live-cmd <<'EOS'
mkdir -p /w/cgi-bin; rm -f /tmp/count
cat >/w/cgi-bin/h <<'EOC'
#!/bin/sh
n=$(cat /tmp/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n >/tmp/count
if [ "$n" -gt 2 ]; then printf 'HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nbroken after %s\n' "$n"
else printf 'Content-Type: text/plain\r\n\r\nok %s\n' "$n"; fi
EOC
chmod +x /w/cgi-bin/h
exec httpd -f -p 127.0.0.1:8080 -h /w
EOS
pod live always "$(cat /tmp/live-cmd)" \
        '{"startup": {"tcp": {"port": 8080}, "period": 1, "timeout": 10, "failure_threshold": 120},
          "liveness": {"http": {"port": 8080, "path": "/cgi-bin/h"}, "period": 1, "timeout": 10, "failure_threshold": 2}}' |
        tankctl apply -f - || fail "apply live"
# It restarts every few seconds: its pid and restart count from one answer.
wait_json live 60 "$C0.pid > 1" "no workload"
pid1=$(jf "$C0.pid")
restarts1=$(jf .status.restarts)
wait_json live 120 ".status.restarts >= 2 and .status.restarts > $restarts1" "live was not restarted twice"
assert_pod live "$(jf "$C0.last_exit.unhealthy")" true "live: exit recorded unhealthy"
assert_pod live "$(jf "$C0.last_exit.unhealthy_reason")" "liveness: http 500" "live: unhealthy reason"
wait_json live 60 "$C0.pid > 1 and $C0.pid != $pid1" "no new workload after the liveness kill (first: $pid1)"
tankctl get live | grep -q 'Last exit: *unhealthy (liveness: http 500), killed' ||
        { tankctl get live; pod_fail live "get: Last exit"; }
wait_get live 'Output: *broken after'
# The backoff applies: the failures count grows like a crash loop's.
wait_json live 60 "$C0.next_restart_usec != 0" "no restart was scheduled with the backoff"
tankctl delete live >/dev/null

# --- exec probe past its timeout: a failure, its whole process tree gone ---
# One run (period 60), whose sh and both its sleeps must go when the timeout
# kills it, not when the sleeps end: tank-exec kills the probe's process
# group (exec-protocol.h). The timeout is long enough for a slow machine to
# start both sleeps before it, and we see them running first.
pod hang always 'exec sleep infinity' \
        '{"readiness": {"exec": ["sh", "-c", "sleep 100 & sleep 100"], "period": 60, "timeout": 10, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply hang"
wait_phase hang running
unit=$(cfield hang unit)
# probe_procs: "PID CMDLINE" of the probe's processes in the scope.
probe_procs() {
        local p cmd
        for p in $(cgroup_value "$unit" procs); do
                cmd=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null) || continue
                case $cmd in
                "sleep 100 " | "sh -c sleep 100 & sleep 100 ") echo "$p $cmd" ;;
                esac
        done
}
two_sleeps() { [ "$(probe_procs | grep -c ' sleep 100 $')" = 2 ]; }
wait_for 60 two_sleeps || pod_fail hang "the probe's two sleeps never ran in $unit: $(probe_procs)"
before=$(probe_procs | awk '{print $1}' | tr '\n' ' ')
wait_json hang 60 "$C0.last_probe.reason == \"timeout after 10s\"" "no timed out probe"
assert_pod hang "$(jf "$C0.ready")" false "hang: not ready"
# Gone well before the sleeps' 100 s end.
none_left() {
        local p procs
        procs=$(cgroup_value "$unit" procs)
        for p in $before; do
                grep -qx "$p" <<<"$procs" && return 1
        done
        return 0
}
wait_for 30 none_left || pod_fail hang "a timed-out exec probe's processes outlived it in $unit: $(probe_procs) (were: $before)"
# tank-exec of that run is gone too ([.]: not matching this pattern's own text).
no_hang_exec() { ! pgrep -f -- '^tank-exec --config /run/tank/pods/hang/app/config[.]json' >/dev/null; }
wait_for 30 no_hang_exec || pod_fail hang "tank-exec still runs after the timeout: $(pgrep -a -f 'pods/hang/app/config[.]json')"
tankctl delete hang >/dev/null
wait_for 30 no_hang_exec || fail "tank-exec of hang still runs after the pod is gone"

# --- startup: within its budget liveness waits; spent, it kills ---
pod slow always 'rm -f /tmp/up; sleep 3; touch /tmp/up; exec sleep infinity' \
        '{"startup": {"exec": ["test", "-e", "/tmp/up"], "period": 1, "timeout": 10, "failure_threshold": 8},
          "liveness": {"exec": ["test", "-e", "/tmp/up"], "period": 1, "timeout": 10, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply slow"
wait_phase slow running
wait_field slow health healthy
assert_pod slow "$(jf "$C0.restarts")" 0 "slow starter killed within its startup budget"
pod never always 'exec sleep infinity' \
        '{"startup": {"exec": ["false"], "period": 1, "timeout": 10, "failure_threshold": 2}}' |
        tankctl apply -f - || fail "apply never"
wait_json never 60 "$C0.last_exit.unhealthy_reason == \"startup: exit 1\"" "not killed by its startup probe"
tankctl delete slow never >/dev/null

# --- tcp, in a "none" pod: a listening and a non-listening port ---
jq -n -c --arg img "$TANK_IMAGE" '{name: "tcp", containers: [
  {name: "a", image: $img, command: ["sh", "-c", "mkdir -p /w; exec httpd -f -p 127.0.0.1:8080 -h /w"],
   probes: {readiness: {tcp: {port: 8080}, period: 1, timeout: 10}}},
  {name: "b", image: $img, command: ["sleep", "infinity"],
   probes: {readiness: {tcp: {port: 8081}, period: 1, failure_threshold: 1}}}]}' |
        tankctl apply -f - || fail "apply tcp"
wait_phase tcp running
wait_field tcp ready true 60 a
wait_json tcp 60 '.status.containers[] | select(.name == "b") | .last_probe.reason == "connection refused"' \
        "refused port not seen"
assert_pod tcp "$(jf '.status.containers[] | select(.name == "b") | .ready')" false "tcp: b is not ready"
assert_pod tcp "$(bus_ready tcp)" "u 1" "tcp: one of two ready"
assert_pod tcp "$(list_ready tcp)" "1/2" "tcp: list READY"
tankctl wait tcp --for=ready --timeout=2 2>/tmp/wait-tcp.err && pod_fail tcp "wait --for=ready succeeded for a pod that is not ready"
grep -q 'timed out waiting for the pod to be ready' /tmp/wait-tcp.err || fail "wait timeout message: $(cat /tmp/wait-tcp.err)"
tankctl delete tcp >/dev/null

# The example with all three probes becomes ready.
out=$(tankctl apply -f "$TANK_SRCDIR/examples/probes.json" --wait --timeout=300) ||
        pod_fail web-probes "examples/probes.json: $out"
echo "$out" | grep -qx 'pod/web-probes ready' || pod_fail web-probes "examples/probes.json: $out"
assert_pod web-probes "$(cfield web-probes health httpd)" healthy "examples/probes.json health"
tankctl get web-probes

# tankd never crashed after our kill -9, also not when the exec sessions of
# this test leave the bus (60 s after they ended: a freed slot was unref'd
# there, and tankd aborted in malloc soon after).
no_sessions() { ! busctl --system tree --list org.tank.Tank1 | grep -q '^/org/tank/Tank1/session/'; }
wait_for 120 no_sessions || fail "exec sessions still on the bus: $(busctl --system tree --list org.tank.Tank1)"
sleep 1
assert_eq "$(systemctl show -P MainPID tankd.service)" "$tankd_pid" "tankd's pid since the restart after kill -9"
exit 0
