#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The probe runners (issue 14, reconcile/probe-run.h) driven for real by
# tests/system/probe-driver: tcp and http probes into a network namespace of
# the test's own (probe-servers.py on its loopback: 200, 503, a 302 that is
# not followed, one that never answers, one that streams forever, https with
# a self-signed certificate, a full accept queue), cancellation, and a "none"
# pod's namespace; exec probes into a pod tankd runs (status, output and its
# cap, the same user/env/cwd as tankctl exec, a timeout that kills the
# process, a cancel that does too).
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

NS=tankprobe
DRIVER=$TANK_BUILDDIR/tests/system/probe-driver
BASE=18000
SERVERS=

cleanup() {
        [ -n "$SERVERS" ] && kill "$SERVERS" 2>/dev/null
        ip netns del "$NS" 2>/dev/null
        tank_down
}
trap cleanup EXIT

# probe EXPECTED-RC ARGS...: the driver's output in $out.
probe() {
        local want=$1 rc
        shift
        out=$("$DRIVER" "$@" 2>&1)
        rc=$?
        [ "$rc" = "$want" ] || fail "probe-driver $*: exit $rc, not $want: $out"
}
field() { echo "$out" | head -1 | sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p"; }
reason() { echo "$out" | head -1 | sed -n 's/.* reason=//p'; }
# expect_timeout WHAT MAX_MS: the last run timed out after its 1s, and not much later.
expect_timeout() {
        assert_eq "$(field timed_out)" 1 "$1 timeout flag"
        assert_eq "$(reason)" "timeout after 1s" "$1 timeout reason"
        ms=$(field elapsed_ms)
        [ "$ms" -ge 950 ] && [ "$ms" -lt "$2" ] || fail "$1 timeout took ${ms}ms"
}

ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link set lo up || fail "lo up"
N=/run/netns/$NS

openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/probe-key.pem -out /tmp/probe-cert.pem -days 2 \
        -subj /CN=probe >/dev/null 2>&1 || fail "openssl req"
ip netns exec "$NS" python3 "$TANK_SRCDIR/tests/system/probe-servers.py" $BASE /tmp/probe-cert.pem \
        /tmp/probe-key.pem >/tmp/probe-servers.log 2>&1 &
SERVERS=$!
wait_for 10 grep -q ready /tmp/probe-servers.log || fail "probe servers: $(cat /tmp/probe-servers.log)"

# tcp: accepted, refused, and the namespace is the pod's, not ours.
probe 0 --netns "$N" tcp $BASE 1000
assert_eq "$(reason)" "connected" "tcp reason"
probe 1 --netns "$N" tcp 18099 1000
assert_eq "$(reason)" "connection refused" "tcp refused"
probe 1 tcp $BASE 1000
assert_eq "$(reason)" "connection refused" "tcp from tankd's own namespace reaches the pod's"
# A connect that hangs (SYNs dropped): a timeout, on time.
probe 1 --netns "$N" tcp $((BASE + 6)) 1000
expect_timeout tcp 3000

# http: 200 with the body and our headers, the default path.
probe 0 --netns "$N" --header "X-Probe: yes" http $BASE 2000
assert_eq "$(reason)" "http 200" "http 200 reason"
echo "$out" | grep -qx 'path=/' || fail "default path: $out"
echo "$out" | grep -qx 'X-Probe: yes' || fail "header not sent: $out"
echo "$out" | grep -qx 'Host: 127.0.0.1:18000' || fail "default host: $out"
probe 0 --netns "$N" --path '/ready?x=1' http $BASE 2000
echo "$out" | grep -qx 'path=/ready?x=1' || fail "path: $out"
# 503 fails and keeps the body; 302 succeeds and is not followed (its
# Location is TEST-NET-1: following it would time out).
probe 1 --netns "$N" http $((BASE + 1)) 2000
assert_eq "$(reason)" "http 503" "http 503"
echo "$out" | grep -qx unavailable || fail "503 body not kept: $out"
probe 0 --netns "$N" http $((BASE + 2)) 2000
assert_eq "$(reason)" "http 302" "http 302 not followed"
# No answer: a timeout, on time.
probe 1 --netns "$N" http $((BASE + 3)) 1000
expect_timeout http 3000
# Endless body: judged by the status, the first 4 KiB kept, not read to the end.
probe 0 --netns "$N" http $((BASE + 4)) 5000
assert_eq "$(echo "$out" | sed -n "s/^output_len=//p")" 4096 "streamed body capped"
ms=$(field elapsed_ms)
[ "$ms" -lt 3000 ] || fail "streaming body read for ${ms}ms"
# https: no certificate check.
probe 0 --netns "$N" --scheme https http $((BASE + 5)) 2000
assert_eq "$(reason)" "http 200" "https with a self-signed certificate"
# Nothing listens there: refused.
probe 1 --netns "$N" http 18099 1000
assert_eq "$(reason)" "connection refused" "http refused"
# The proxy environment is ignored.
out=$(http_proxy=http://192.0.2.1:9 HTTP_PROXY=http://192.0.2.1:9 ALL_PROXY=http://192.0.2.1:9 \
        "$DRIVER" --netns "$N" http $BASE 2000 2>&1) || fail "http through the proxy variables: $out"
# Nonsense in, refused at the start.
probe 2 --netns "$N" --path 'x' http $BASE 1000
probe 2 --netns "$N" --header $'X: a\r\nY: b' http $BASE 1000
probe 2 --netns "$N" --scheme ftp http $BASE 1000
# A bad namespace is a failed run, not a crash.
probe 1 --netns /nonexistent tcp $BASE 1000
echo "$(reason)" | grep -q "cannot enter the pod's network namespace" || fail "bad netns: $out"

# Cancelled while hanging: no callback, and promptly (the worker polls its eventfd).
for args in "http $((BASE + 3))" "tcp $((BASE + 6))"; do
        # shellcheck disable=SC2086
        probe 3 --netns "$N" --cancel-after-ms 300 $args 10000
        echo "$out" | grep -q '^cancelled cancel_ms=[0-9]$' || fail "cancel of $args not prompt: $out"
done

# Exec probes, into a "none" pod that tankd runs; it serves http on its loopback.
tank_up
cat >/tmp/probe.json <<EOF2
{"name": "probe", "containers": [{"name": "app", "image": "$TANK_IMAGE", "working_dir": "/tmp",
  "env": {"PROBE_ENV": "yes"},
  "command": ["sh", "-c", "mkdir -p /tmp/w && echo pod-ok >/tmp/w/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/w"]}]}
EOF2
tankctl apply -f /tmp/probe.json || fail "apply failed"
wait_phase probe running 60
wpid=$(scope_pid probe app)
unit=$(container_field probe app unit)
config=/run/tank/pods/probe/app/config.json
[ -e "$config" ] || fail "no $config"
EXEC=(--exe "$TANK_BUILDDIR/tank-exec" --config "$config" --pid "$wpid" --unit "$unit")

# tcp and http into the "none" pod's own namespace.
[ -e /run/tank/netns/probe ] || fail "a none pod has no /run/tank/netns/probe"
wait_for 10 "$DRIVER" --netns /run/tank/netns/probe tcp 8080 1000 || fail "tcp into the none pod"
probe 0 --netns /run/tank/netns/probe http 8080 2000
echo "$out" | grep -qx pod-ok || fail "http into the none pod: $out"

probe 0 "${EXEC[@]}" exec 5000 true
assert_eq "$(reason)" "exit 0" "exec true"
probe 1 "${EXEC[@]}" exec 5000 false
assert_eq "$(reason)" "exit 1" "exec false"
probe 1 "${EXEC[@]}" exec 5000 sh -c 'echo out; echo err >&2; exit 3'
assert_eq "$(reason)" "exit 3" "exec exit 3"
echo "$out" | grep -qx out || fail "exec stdout: $out"
echo "$out" | grep -qx err || fail "exec stderr: $out"
probe 0 "${EXEC[@]}" exec 5000 sh -c 'yes | head -c 100000'
assert_eq "$(echo "$out" | sed -n 's/^output_len=//p')" 4096 "exec output capped"
# No stdin: cat ends at once.
probe 0 "${EXEC[@]}" exec 5000 cat
# As tankctl exec runs it: user, env, cwd, namespaces.
probe 0 "${EXEC[@]}" exec 5000 sh -c 'id; pwd; env | grep -v "^_=" | sort; readlink /proc/self/ns/net; readlink /proc/self/ns/pid'
want=$(tankctl exec probe -- sh -c 'id; pwd; env | grep -v "^_=" | sort; readlink /proc/self/ns/net; readlink /proc/self/ns/pid')
assert_eq "$(echo "$out" | sed '1,/^output:$/d')" "$want" "exec probe's context is tankctl exec's"
echo "$want" | grep -qx PROBE_ENV=yes || fail "container env missing: $want"

# A timeout kills the process, and tank-exec ends.
probe 1 "${EXEC[@]}" exec 1000 sh -c 'echo before; exec sleep 100'
expect_timeout exec 4000
echo "$out" | grep -qx before || fail "output before the timeout: $out"
no_sleep() { ! grep -qx 'sleep 100' < <(for p in $(cgroup_value "$unit" procs); do tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | sed 's/ $//'; echo; done); }
wait_for 5 no_sleep || fail "sleep 100 still in $unit"
wait_for 5 sh -c '! pgrep -x tank-exec' || fail "tank-exec still runs after the timeout"
# Cancelled: no callback, the process is killed too.
probe 3 "${EXEC[@]}" --cancel-after-ms 500 exec 10000 sleep 100
wait_for 5 no_sleep || fail "sleep 100 still in $unit after a cancel"
wait_for 5 sh -c '! pgrep -x tank-exec' || fail "tank-exec still runs after a cancel"
# A workload pid that is not the scope's: nothing runs.
probe 1 --exe "$TANK_BUILDDIR/tank-exec" --config "$config" --pid $$ --unit "$unit" exec 5000 true
echo "$(reason)" | grep -q "cannot move the exec helper" || fail "wrong workload pid: $out"
# The pod still runs.
assert_eq "$(tankctl get probe -o json | jq -r .status.phase)" running "pod phase after the probes"
exit 0
