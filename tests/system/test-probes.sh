#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Health probes in the loop (issue 14), with real busybox pods: a liveness
# failure kills and restarts with the backoff and is recorded as unhealthy; an
# exec probe past its timeout fails and its process goes; readiness flips Ready
# both ways without a restart (tankctl list, busctl, wait --for=ready, apply
# --wait); a startup probe holds liveness back within its budget and kills when
# it is spent; tcp probes in a "none" pod; probing resumes after kill -9 of
# tankd without restarting anything; the journal line under the scope; the
# HealthChanged signal. Periods are 1 s.
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

bus_ready() { busctl --system get-property org.tank.Tank1 "/org/tank/Tank1/pod/$1" org.tank.Tank1.Pod Ready; }
list_ready() { tankctl list | awk -v p="$1" '$1 == p {print $3}'; }
cfield() { container_field "$1" "${3:-app}" "$2"; }
wait_field() { # POD FIELD VALUE [TIMEOUT [CONTAINER]]
        wait_for "${4:-30}" sh -c "[ \"\$(tankctl get $1 -o json | jq -r '.status.containers[] | select(.name == \"${5:-app}\") | .$2')\" = '$3' ]" ||
                { tankctl get "$1" >&2; journalctl -u tankd --no-pager | tail -30 >&2; fail "$1: $2 did not become $3"; }
}
wait_get() { # POD REGEX: tankctl get shows it
        wait_for "${3:-30}" sh -c "tankctl get $1 | grep -qE '$2'" ||
                { tankctl get "$1" >&2; fail "$1: get never showed /$2/"; }
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
pod rd always 'rm -f /tmp/ready; exec sleep infinity' \
        '{"readiness": {"exec": ["test", "-e", "/tmp/ready"], "period": 1, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply rd"
wait_phase rd running
wait_field rd health starting
assert_eq "$(list_ready rd)" "0/1" "list READY before the probe passes"
assert_eq "$(bus_ready rd)" "u 0" "bus Ready before the probe passes"
tankctl wait rd --for=ready --timeout=30 >/tmp/wait-rd.out 2>&1 &
waiter=$!
# Several probe periods: the waiter must still be waiting.
wait_for 10 sh -c "tankctl get rd -o json | jq -e '.status.containers[0].last_probe.success == false' >/dev/null" ||
        fail "rd: no failed readiness probe recorded"
kill -0 "$waiter" 2>/dev/null || fail "wait --for=ready returned before the pod was ready: $(cat /tmp/wait-rd.out)"
pid=$(scope_pid rd)
tankctl exec rd -- touch /tmp/ready || fail "touch /tmp/ready"
wait "$waiter" || fail "wait --for=ready failed: $(cat /tmp/wait-rd.out)"
assert_eq "$(bus_ready rd)" "u 1" "bus Ready once the probe passes"
assert_eq "$(list_ready rd)" "1/1" "list READY once the probe passes"
assert_eq "$(cfield rd health)" healthy "health once ready"
tankctl exec rd -- rm /tmp/ready || fail "rm /tmp/ready"
wait_field rd ready false
assert_eq "$(cfield rd health)" unhealthy "health after readiness failed"
assert_eq "$(cfield rd health_reason)" "readiness: exit 1" "readiness reason"
assert_eq "$(list_ready rd)" "0/1" "list READY after readiness failed"
assert_eq "$(scope_pid rd)" "$pid" "a failing readiness probe restarts nothing"
assert_eq "$(cfield rd restarts)" 0 "restarts after readiness failed"
tankctl get rd | grep -q 'Health: *unhealthy (readiness: exit 1)' || { tankctl get rd; fail "get: health"; }
tankctl exec rd -- touch /tmp/ready
wait_field rd ready true
assert_eq "$(scope_pid rd)" "$pid" "pid after readiness came back"

# The journal line under the container's scope.
unit=$(cfield rd unit)
wait_for 10 sh -c "journalctl -u $unit --no-pager | grep -q 'Container rd/app is healthy'" ||
        { journalctl -u "$unit" --no-pager | tail >&2; fail "no health line under $unit"; }
journalctl -u "$unit" --no-pager | grep -q 'Container rd/app is unhealthy: readiness: exit 1' ||
        fail "no unhealthy line under $unit"

# HealthChanged on the pod object.
wait_for 10 grep -q 'STRING "healthy"' /tmp/health-signals.log ||
        { cat /tmp/health-signals.log >&2; fail "no HealthChanged signal"; }
grep -q 'Path=/org/tank/Tank1/pod/rd' /tmp/health-signals.log || fail "HealthChanged not on rd's object"
grep -q 'STRING "readiness: exit 1"' /tmp/health-signals.log || fail "HealthChanged without its reason"

# --- kill -9 of tankd: the workload stays, probing resumes ---
kill -9 "$(systemctl show -P MainPID tankd.service)"
wait_for 30 sh -c '[ "$(systemctl show -P ActiveState tankd.service)" != active ]' || true
systemctl start tankd.service 2>/dev/null
tank_wait_bus 60
wait_phase rd running
assert_eq "$(scope_pid rd)" "$pid" "workload pid after kill -9 of tankd"
wait_field rd ready true
tankctl exec rd -- rm /tmp/ready
wait_field rd ready false
assert_eq "$(scope_pid rd)" "$pid" "workload pid after a flip following adoption"
assert_eq "$(cfield rd restarts)" 0 "restarts after adoption"

# --- apply --wait waits for ready ---
start=$(date +%s)
pod aw always 'rm -f /tmp/ready; sleep 3; touch /tmp/ready; exec sleep infinity' \
        '{"readiness": {"exec": ["test", "-e", "/tmp/ready"], "period": 1}}' >/tmp/aw.json
out=$(tankctl apply -f /tmp/aw.json --wait --timeout=60) || fail "apply --wait: $out"
echo "$out" | grep -qx 'pod/aw ready' || fail "apply --wait did not say ready: $out"
assert_eq "$(bus_ready aw)" "u 1" "Ready when apply --wait returned"
[ $(( $(date +%s) - start )) -ge 3 ] || fail "apply --wait returned before the readiness probe passed"

# --- liveness: http 500 after two requests kills, restarts with backoff ---
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
        '{"liveness": {"http": {"port": 8080, "path": "/cgi-bin/h"}, "period": 1, "failure_threshold": 2}}' |
        tankctl apply -f - || fail "apply live"
wait_phase live running
pid=$(scope_pid live)
wait_for 40 sh -c "[ \"\$(tankctl get live -o json | jq -r .status.restarts)\" -ge 2 ]" ||
        { tankctl get live >&2; fail "live was not restarted twice"; }
[ "$(scope_pid live)" != "$pid" ] || fail "live: same pid after the liveness kill"
assert_eq "$(cfield live last_exit.unhealthy)" true "live: exit recorded unhealthy"
assert_eq "$(cfield live last_exit.unhealthy_reason)" "liveness: http 500" "live: unhealthy reason"
tankctl get live | grep -q 'Last exit: *unhealthy (liveness: http 500), killed' ||
        { tankctl get live; fail "get: Last exit"; }
wait_get live 'Output: *broken after'
# The backoff applies: the failures count grows like a crash loop's.
wait_for 30 sh -c "[ \"\$(tankctl get live -o json | jq -r .status.containers[0].next_restart_usec)\" != 0 ]" ||
        fail "live: no restart was scheduled with the backoff"
tankctl delete live >/dev/null

# --- exec probe past its timeout: a failure, its process gone ---
pod hang always 'exec sleep infinity' \
        '{"readiness": {"exec": ["sleep", "100"], "period": 1, "timeout": 1, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply hang"
wait_phase hang running
wait_for 15 sh -c "tankctl get hang -o json | jq -e '.status.containers[0].last_probe.reason == \"timeout after 1s\"' >/dev/null" ||
        { tankctl get hang -o json >&2; fail "hang: no timed out probe"; }
assert_eq "$(cfield hang ready)" false "hang: not ready"
unit=$(cfield hang unit)
# Runs come every second: between two, no sleep 100 outlives its timeout.
old_sleeps() {
        for p in $(cgroup_value "$unit" procs); do
                [ "$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)" = "sleep 100 " ] || continue
                [ "$(( $(date +%s) - $(stat -c %Y /proc/"$p") ))" -ge 3 ] && return 0
        done
        return 1
}
sleep 4
old_sleeps && fail "an exec probe's sleep 100 outlived its timeout in $unit"
tankctl delete hang >/dev/null
wait_for 10 sh -c '! pgrep -x tank-exec' || fail "tank-exec still runs after the pod is gone"

# --- startup: within its budget liveness waits; spent, it kills ---
pod slow always 'rm -f /tmp/up; sleep 3; touch /tmp/up; exec sleep infinity' \
        '{"startup": {"exec": ["test", "-e", "/tmp/up"], "period": 1, "failure_threshold": 8},
          "liveness": {"exec": ["test", "-e", "/tmp/up"], "period": 1, "failure_threshold": 1}}' |
        tankctl apply -f - || fail "apply slow"
wait_phase slow running
wait_field slow health healthy 20
assert_eq "$(cfield slow restarts)" 0 "slow starter killed within its startup budget"
pod never always 'exec sleep infinity' \
        '{"startup": {"exec": ["false"], "period": 1, "failure_threshold": 2}}' |
        tankctl apply -f - || fail "apply never"
wait_for 30 sh -c "tankctl get never -o json | jq -e '.status.containers[0].last_exit.unhealthy_reason == \"startup: exit 1\"' >/dev/null" ||
        { tankctl get never >&2; fail "never: not killed by its startup probe"; }
tankctl delete slow never >/dev/null

# --- tcp, in a "none" pod: a listening and a non-listening port ---
jq -n -c --arg img "$TANK_IMAGE" '{name: "tcp", containers: [
  {name: "a", image: $img, command: ["sh", "-c", "mkdir -p /w; exec httpd -f -p 127.0.0.1:8080 -h /w"],
   probes: {readiness: {tcp: {port: 8080}, period: 1}}},
  {name: "b", image: $img, command: ["sleep", "infinity"],
   probes: {readiness: {tcp: {port: 8081}, period: 1, failure_threshold: 1}}}]}' |
        tankctl apply -f - || fail "apply tcp"
wait_phase tcp running
wait_field tcp ready true 20 a
wait_for 10 sh -c "tankctl get tcp -o json | jq -e '.status.containers[] | select(.name == \"b\") | .last_probe.reason == \"connection refused\"' >/dev/null" ||
        { tankctl get tcp -o json >&2; fail "tcp: refused port not seen"; }
assert_eq "$(cfield tcp ready b)" false "tcp: b is not ready"
assert_eq "$(bus_ready tcp)" "u 1" "tcp: one of two ready"
assert_eq "$(list_ready tcp)" "1/2" "tcp: list READY"
tankctl wait tcp --for=ready --timeout=2 2>/tmp/wait-tcp.err && fail "wait --for=ready succeeded for a pod that is not ready"
grep -q 'timed out waiting for the pod to be ready' /tmp/wait-tcp.err || fail "wait timeout message: $(cat /tmp/wait-tcp.err)"
tankctl delete tcp >/dev/null

# The example with all three probes becomes ready.
out=$(tankctl apply -f "$TANK_SRCDIR/examples/probes.json" --wait --timeout=60) || fail "examples/probes.json: $out"
echo "$out" | grep -qx 'pod/web-probes ready' || fail "examples/probes.json: $out"
assert_eq "$(cfield web-probes health httpd)" healthy "examples/probes.json health"
tankctl get web-probes
exit 0
