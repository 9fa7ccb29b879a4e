#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Logs and events (issue 19): container output carries TANK_POD=,
# TANK_CONTAINER=, TANK_RESTART=, TANK_IMAGE= and SYSLOG_IDENTIFIER=, so
# journalctl TANK_POD= returns every run's output and tankctl logs --previous
# the run before the last restart; tankctl events shows applied -> started ->
# exited (3) -> restarted live, an oom event for a memory hog, and replays
# them from the journal with --since after a tankd restart, an adopted event
# for the pod that kept running. Forged entries (any user may write TANK_*
# fields) are not shown; a stalled journald costs lines (said), never the
# relay's loop.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
T=$(mktemp -d)
live_pid=
cleanup() {
        [ -n "$live_pid" ] && kill "$live_pid" 2>/dev/null
        tank_down
        rm -rf "$T"
}
trap cleanup EXIT

TANK_TEST_BACKOFF_BASE=1 TANK_TEST_BACKOFF_CAP=1 tank_up
since=$(date +%s)
sleep 1

# Live, from before the first apply.
tankctl events -o json >"$T/live" 2>"$T/live.err" &
live_pid=$!
sleep 1

# Three runs counted in a managed volume: exit 3, exit 3, then exit 0, which
# on_failure does not restart. The first run also writes to stderr.
cat >"$T/crash.json" <<EOF
{"name": "crash", "restart": "on_failure", "volumes": [{"name": "data"}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE",
   "mounts": [{"volume": "data", "path": "/data"}],
   "command": ["sh", "-c", "n=\$((\$(cat /data/n 2>/dev/null || echo 0) + 1)); echo \$n >/data/n; [ \$n = 1 ] && echo err-line >&2; echo run-\$n; [ \$n -ge 3 ] || exit 3"]}]}
EOF
tankctl apply -f "$T/crash.json" || fail "apply crash"
tank_pod_json keep always | tankctl apply -f - || fail "apply keep"
wait_phase crash succeeded 120
wait_phase keep running 60
assert_eq "$(pod_status crash | jq -r .containers[0].restarts)" 2 "restarts of crash"

# The journal: every run's output, by the pod's field, each run by its restart.
wait_for 20 sh -c "journalctl -q -o cat TANK_POD=crash TANK_RESTART=2 | grep -qx run-3" ||
        fail "the third run's output is not in the journal"
for r in 0 1 2; do
        assert_eq "$(journalctl -q -o cat TANK_POD=crash TANK_CONTAINER=app TANK_RESTART=$r | grep '^run-')" \
                "run-$((r + 1))" "output of run $r"
done
line=$(journalctl -q -o json TANK_POD=crash TANK_RESTART=0 MESSAGE=run-1 | head -n 1)
assert_eq "$(jq -r .SYSLOG_IDENTIFIER <<<"$line")" app "SYSLOG_IDENTIFIER of a line"
assert_eq "$(jq -r .TANK_IMAGE <<<"$line")" "$TANK_IMAGE" "TANK_IMAGE of a line"
assert_eq "$(jq -r .PRIORITY <<<"$line")" 6 "PRIORITY of stdout"
assert_eq "$(jq -r ._SYSTEMD_UNIT <<<"$line")" tank-crash-app.scope "_SYSTEMD_UNIT of a line"
jq -r .TANK_IMAGE_DIGEST <<<"$line" | grep -q '^sha256:' || fail "no TANK_IMAGE_DIGEST on a line"
assert_eq "$(journalctl -q -o json TANK_POD=crash MESSAGE=err-line | jq -r .PRIORITY)" 3 "PRIORITY of stderr"
journalctl -q -o cat -u tank-crash-app.scope | grep -qx run-2 || fail "journalctl -u SCOPE lacks the output"

# journald's stream rules: a long line is cut at 48 KiB, bytes that are not
# UTF-8 (a NUL too) are kept, a last line without a newline is sent at exit.
tank_pod_json blob never sh -c "head -c 100000 /dev/zero | tr '\\0' a; echo; printf 'bin\\377\\000x\\nlast'" |
        tankctl apply -f - || fail "apply blob"
wait_phase blob succeeded 60
wait_for 20 sh -c "journalctl -q -o cat TANK_POD=blob | grep -qx last" || fail "blob's last line without a newline"
assert_eq "$(journalctl -q --all -o json TANK_POD=blob SYSLOG_IDENTIFIER=app | jq -r '.MESSAGE | if type == "string" then length else "binary" end' | tr '\n' ' ')" \
        "49152 49152 1696 binary 4 " "blob's entries"
assert_eq "$(journalctl -q --all -o json TANK_POD=blob SYSLOG_IDENTIFIER=app | jq -c 'select(.MESSAGE | type == "array") | .MESSAGE')" \
        "[98,105,110,255,0,120]" "the binary line's bytes"

# Forged entries: the TANK_* fields are the sender's word, and anyone may write
# them (logger --journald); tankctl logs trusts only lines that journald
# attributes to the pod's scope and root, tankctl events only tankd's unit and
# root. Forged by nobody and by root from outside the scope; both are in the
# journal (so that the assertions below can fail), neither in tankctl's output.
forge() { # forge USER MESSAGE FIELD=VALUE...
        _u=$1 _m=$2
        shift 2
        printf '%s\n' "MESSAGE=$_m" "$@" | setpriv --reuid="$_u" --regid="$_u" --clear-groups logger --journald ||
                fail "logger --journald as $_u"
}
for who in 65534 0; do
        forge $who "forged-line-$who" TANK_POD=crash TANK_CONTAINER=app TANK_RESTART=2 SYSLOG_IDENTIFIER=app \
                "TANK_IMAGE=$TANK_IMAGE"
        forge $who "forged-event-$who" TANK_EVENT=exited "TANK_EVENT_ID=forged$who" TANK_POD=crash \
                TANK_CONTAINER=app TANK_RESTART=2 TANK_EXIT_STATUS=3 SYSLOG_IDENTIFIER=tankd
        wait_for 20 sh -c "journalctl -q -o cat TANK_POD=crash MESSAGE=forged-event-$who | grep -q ." ||
                fail "the entries forged by uid $who are not in the journal"
done
tankctl logs crash | grep forged && fail "tankctl logs shows forged lines"
tankctl logs crash -c app | grep forged && fail "tankctl logs -c shows forged lines"
tankctl logs crash -c app --previous | grep forged && fail "tankctl logs --previous shows forged lines"
tankctl events --since "@$since" --no-follow | grep forged && fail "tankctl events shows forged events"

# tankctl logs: all runs in order, --previous the run before the last restart,
# --tail, --since; tankd's event entries never among the lines.
assert_eq "$(tankctl logs crash | grep '^run-' | tr '\n' ' ')" "run-1 run-2 run-3 " "tankctl logs, every run"
tankctl logs crash | grep -q 'Container crash' && fail "tankctl logs shows tankd's event entries"
assert_eq "$(tankctl logs crash --previous)" "run-2" "tankctl logs --previous"
assert_eq "$(tankctl logs crash -c app --tail 1)" "run-3" "tankctl logs --tail 1"
assert_eq "$(tankctl logs crash --since "@$(($(date +%s) + 60))")" "" "tankctl logs --since the future"
assert_eq "$(tankctl logs crash --since "-1h" | grep -c '^run-')" 3 "tankctl logs --since -1h"
tankctl logs keep --previous 2>"$T/err" && fail "--previous of a container that never restarted"
grep -q 'has not restarted' "$T/err" || fail "--previous error: $(cat "$T/err")"

# A user-namespaced pod: the shim relays its output from the host's side as
# root (only the workload enters the namespace), so _UID=0 keeps its lines.
if grep -q '^tank:' /etc/subuid 2>/dev/null; then
        cat <<EOF | tankctl apply -f - || fail "apply uns"
{"name": "uns", "user_namespace": "auto", "restart": "never",
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "command": ["sh", "-c", "echo uns-\$(id -u)"]}]}
EOF
        wait_phase uns succeeded 60
        wait_for 20 sh -c "journalctl -q -o cat TANK_POD=uns | grep -qx uns-0" || fail "uns's output is not in the journal"
        assert_eq "$(journalctl -q -o json TANK_POD=uns MESSAGE=uns-0 | jq -r ._UID)" 0 "_UID of a userns pod's line"
        assert_eq "$(tankctl logs uns)" "uns-0" "tankctl logs of a userns pod"
        tankctl delete uns || fail "delete uns"
else
        echo "no subordinate ids for tank: the userns pod's logs are not checked"
fi

# Live events: applied -> started -> exited (3) -> restarted, ..., exited (0).
seq_of() { jq -r "select(.pod == \"crash\") | select(.event | test(\"^(applied|started|exited|restarted)\$\")) |
                  .event + (if .event == \"exited\" then \"(\" + .fields.TANK_EXIT_STATUS + \")\" else \"\" end)" "$1" |
           tr '\n' ' '; }
want="applied started exited(3) restarted started exited(3) restarted started exited(0) "
wait_for 20 sh -c "[ \"\$(jq -r 'select(.pod == \"crash\" and .event == \"exited\") | .event' '$T/live' | wc -l)\" -ge 3 ]" ||
        { cat "$T/live" "$T/live.err" >&2; fail "the live events lack crash's exits"; }
assert_eq "$(seq_of "$T/live")" "$want" "live events of crash"
assert_eq "$(jq -r 'select(.pod == "crash" and .event == "restarted") | .fields.TANK_RESTART' "$T/live" | tr '\n' ' ')" \
        "1 2 " "restart counts of the restarted events"

# A memory hog: an oom event, then its exit.
cat <<EOF | tankctl apply -f - || fail "apply hog"
{"name": "hog", "restart": "on_failure", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["tail", "/dev/zero"], "limits": {"memory": "32M"}}]}
EOF
wait_for 60 sh -c "jq -r 'select(.pod == \"hog\") | .event' '$T/live' | grep -qx oom" ||
        { cat "$T/live" >&2; fail "no oom event for the memory hog"; }
assert_eq "$(jq -r 'select(.pod == "hog" and .event == "exited") | .fields.TANK_EXIT_OOM' "$T/live" | head -n 1)" 1 \
        "the hog's exit event says oom"
tankctl delete hog || fail "delete hog"

# After a tankd restart: the past replayed from the journal, the same order;
# the live subscriber hears the new tankd's adopted event.
systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
wait_for 20 sh -c "jq -r 'select(.pod == \"keep\") | .event' '$T/live' | grep -qx adopted" ||
        { cat "$T/live" >&2; fail "no live adopted event for keep after the restart"; }
tankctl events --since "@$since" --no-follow -o json --pod crash >"$T/past" || fail "events --since --no-follow"
[ "$(seq_of "$T/past")" = "$want" ] || { jq -c '[.event, .message, .time_usec]' "$T/past" >&2; fail "replayed events of crash: $(seq_of "$T/past")"; }
tankctl events --since "@$since" --no-follow | grep -q ' exited crash/app Container crash/app exited with status 3' ||
        fail "the text form of an exited event"

# Replay then live, across the seam: nothing twice, nothing missing.
tankctl events --since "@$since" -o json --pod crash >"$T/both" 2>&1 &
both=$!
wait_for 20 sh -c "[ \"\$(wc -l <'$T/both')\" -ge 9 ]" || fail "events --since printed no past"
tankctl delete crash || fail "delete crash"
wait_for 30 sh -c "jq -r .event '$T/both' | grep -qx deleted" || { kill $both; fail "no live deleted event"; }
kill $both
assert_eq "$(jq -r .id "$T/both" | sort | uniq -d)" "" "events printed twice"

# A burst journald has not read yet (stopped for a moment) arrives whole:
# the relay holds its pipe while journald's queue is full instead of
# dropping what does not fit in it (net.unix.max_dgram_qlen datagrams).
cat <<EOF | tankctl apply -f - || fail "apply burst"
{"name": "burst", "volumes": [{"name": "data"}], "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "mounts": [{"volume": "data", "path": "/data"}],
  "command": ["sh", "-c", "while [ ! -e /data/go ]; do sleep 0.05; done; i=0; while [ \$i -lt 3000 ]; do echo burst-\$i; i=\$((i + 1)); done; touch /data/done; exec sleep infinity"]}]}
EOF
wait_phase burst running 60
jpid=$(systemctl show -P MainPID systemd-journald.service)
[ "${jpid:-0}" -gt 0 ] || fail "no journald pid"
kill -STOP "$jpid"
trap 'kill -CONT "$jpid"; cleanup' EXIT
touch /var/lib/tank/volumes/burst/data/go
wait_for 20 test -e /var/lib/tank/volumes/burst/data/done
ok=$?
sleep 0.2
kill -CONT "$jpid"
trap cleanup EXIT
[ "$ok" = 0 ] || fail "the burst did not finish while journald was stopped (the pipe holds it)"
wait_for 30 sh -c "[ \$(tankctl logs burst | grep -c '^burst-') -ge 3000 ]" ||
        fail "lines of the burst were lost: $(tankctl logs burst | grep -c '^burst-') of 3000, $(tankctl logs burst | grep -v '^burst-' | tail -3)"
tankctl logs burst | grep 'lines dropped' && fail "the relay dropped lines of a short burst"
assert_eq "$(tankctl logs burst | grep '^burst-' | sort -u | wc -l)" 3000 "every burst line once"
tankctl delete burst || fail "delete burst"

# A stalled journald (SIGSTOP): the shim's relay does not wait for it for
# long (it would fill the pipe and then block the workload; its own loop,
# stop signals and attach, never waits); after a second it drops lines, and
# once journald is back says how many in the pod's output. Lines of 16 kB: a relay that blocked would stop the
# workload once journald's socket queue (net.unix.max_dgram_qlen, 512 under
# systemd) and the pipe's 1 MiB (65 lines) are full, well before 1200 lines.
cat <<EOF | tankctl apply -f - || fail "apply flood"
{"name": "flood", "volumes": [{"name": "data"}], "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "mounts": [{"volume": "data", "path": "/data"}],
  "command": ["sh", "-c", "l=\$(head -c 16000 /dev/zero | tr '\\\\0' x); i=0; while :; do echo \"\$i \$l\"; i=\$((i + 1)); echo \$i >/data/n; sleep 0.005; done"]}]}
EOF
wait_phase flood running 60
n_of() { cat /var/lib/tank/volumes/flood/data/n 2>/dev/null || echo 0; }
wait_for 20 sh -c "tankctl logs flood --tail 1 | grep -q xxxx" || fail "flood's output is not in the journal"
jpid=$(systemctl show -P MainPID systemd-journald.service)
[ "${jpid:-0}" -gt 0 ] || fail "no journald pid"
kill -STOP "$jpid"
trap 'kill -CONT "$jpid"; cleanup' EXIT
start=$(n_of)
wait_for 60 sh -c "[ \$(cat /var/lib/tank/volumes/flood/data/n) -ge $((start + 1200)) ]"
ok=$?
kill -CONT "$jpid"
trap cleanup EXIT
[ "$ok" = 0 ] || fail "the workload stopped while journald was stalled (at line $(n_of), from $start)"
wait_for 30 sh -c "tankctl logs flood | grep -q '^[0-9]* lines dropped: the journal did not keep up\$'" ||
        fail "no note of the dropped lines: $(tankctl logs flood | grep -v xxxx | tail -5)"
tankctl logs flood | grep 'lines dropped'
tankctl delete flood || fail "delete flood"
echo "logs-events: ok"
