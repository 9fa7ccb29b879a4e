#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Node loss and fencing on three nodes: node c is cut off the LAN. Within
# FenceSec= (plus the stop) c stops its reschedulable pods itself; once its
# lease has expired and RescheduleDelaySec= passed, the scheduler moves them
# to a and b, where they run; sampled every ~200 ms on all three nodes for
# the whole episode, no such pod ever runs on two nodes at once. A pinned,
# non-reschedulable pod stays bound to c, keeps running there, and shows
# "unknown" to the others. When c's link is back, c converges: the moved
# pods stay away, its pinned pod is reported running again. Then b is
# drained (its reschedulable pods move, its pinned pod stays and is
# reported) and uncordoned, still sampled.
set -u
. "$TANK_SRCDIR/tests/fleet/fleet-lib.sh"

# 4 + 3 (StopTimeoutSec=, the workload ignores SIGTERM) + 2 <= 6 + 3.
FLEET_CONF_EXTRA='LeaseSec=6\nFenceSec=4\nRescheduleDelaySec=3'
fleet_up a b c

IMAGE=127.0.0.1:5000/tank/busybox:latest
pod() { printf '{"name": "%s", %s "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}' \
        "$1" "${2:-}" "$IMAGE"; }
apply_on() { fx "$1" sh -c 'printf "%s\n" "$1" | tankctl apply -f - >/dev/null' apply "$2"; }
bound() { fleet_etcd get --print-value-only "/tank/v1/bound/$1"; }
active() { fx "$1" systemctl is-active -q "tank-$2-app.scope"; }
phase_on() { fx "$1" tankctl list | awk -v p="$2" '$1 == p { print $2 }'; }
R="r1 r2 r3 r4 r5 r6"

arr=$( (for p in $R; do pod "$p" '"reschedule": true,'; echo; done; pod pc '"placement": {"node": "c"},') | jq -s -c .)
apply_on a "$arr" || fail "apply"
runs_where_bound() { local p; for p in $R pc; do b=$(bound "$p"); [ -n "$b" ] && active "$b" "$p" || return 1; done; }
wait_for 60 runs_where_bound || fail "not every pod runs on its node: $(fleet_etcd get --prefix /tank/v1/bound/)"
on_c=$(for p in $R; do [ "$(bound "$p")" != c ] || echo "$p"; done | tr '\n' ' ')
echo "placed: $(for p in $R pc; do echo -n "$p=$(bound "$p") "; done)"
[ -n "$on_c" ] || fail "no reschedulable pod on c"

# The sampler: each round, the active r-scopes of a, b and c.
sample() {
        while [ ! -e "$FLEET_TMP/stop-sampling" ]; do
                line="$(date +%s%3N)"
                for n in a b c; do
                        line+=" $n:$(fx "$n" systemctl list-units --no-legend --plain --state=active 'tank-r*-app.scope' |
                                     awk '{ sub(/^tank-/, "", $1); sub(/-app.scope$/, "", $1); printf "%s,", $1 }')"
                done
                echo "$line"
                sleep 0.2
        done
}
sample >"$FLEET_TMP/samples" &
sampler=$!

t0=$(date +%s%3N)
fleet_link c down
stopped_on_c() { local p; for p in $on_c; do ! active c "$p" || return 1; done; }
wait_for 15 stopped_on_c || fail "c did not stop its reschedulable pods ($on_c) while cut off"
t1=$(date +%s%3N)
echo "c fenced: its reschedulable pods ($on_c) stopped $((t1 - t0)) ms after the cut (FenceSec=4 s + stop)"
active c pc || fail "c's pinned pod pc, not reschedulable, stopped"
moved() { local p b; for p in $on_c; do b=$(bound "$p"); [ "$b" = a ] || [ "$b" = b ] || return 1; active "$b" "$p" || return 1; done; }
wait_for 60 moved || fail "c's pods did not come up on a or b: $(for p in $on_c; do echo -n "$p=$(bound "$p") "; done)"
t2=$(date +%s%3N)
echo "moved and running after $((t2 - t0)) ms (lease 6 s + RescheduleDelaySec=3 s): $(for p in $on_c; do echo -n "$p=$(bound "$p") "; done)"
[ $((t2 - t0)) -ge 6000 ] || fail "moved after $((t2 - t0)) ms: before c's lease could have expired"
assert_eq "$(bound pc)" c "the pinned pod stays bound to c"
wait_for 20 eval '[ "$(phase_on a pc)" = unknown ]' || fail "a shows pc as '$(phase_on a pc)', not unknown"

# c back: it converges, with no duplicate.
fleet_link c up
wait_for 30 eval '[ "$(phase_on a pc)" = running ]' || fail "a does not show pc running after c came back"
sleep 3
for p in $on_c; do
        ! active c "$p" || fail "$p runs on c again after c came back (it was moved to $(bound "$p"))"
done
active c pc || fail "pc does not run on c after c came back"
# c's lease expired while it was cut off: it stayed fenced until it had read
# its bindings anew (stale views would have started the moved pods again).
fx c journalctl -b -u tankd.service -o cat | grep -qF "Node c renewed its lease again and has read its bindings anew: no longer fenced." ||
        fail "c did not unfence after reading its bindings anew: $(fx c journalctl -b -u tankd.service -o cat | grep -iE 'fence|lease' | tail -n 5)"

# Drain b, the sampler still running: its reschedulable pods move to a or c
# and start there only once b has stopped them (no sample sees one twice);
# its pinned pod stays and is reported; b stays cordoned until uncordoned.
apply_on a "$(pod pb '"placement": {"node": "b"},')" || fail "apply pb"
wait_for 30 active b pb || fail "pb, pinned to b, does not run on b"
on_b=$(for p in $R; do [ "$(bound "$p")" != b ] || echo "$p"; done | tr '\n' ' ')
[ -n "$on_b" ] || fail "no reschedulable pod on b to drain"
t0=$(date +%s%3N)
out=$(fx a tankctl drain b 2>&1) || fail "tankctl drain b failed: $out"
t1=$(date +%s%3N)
echo "$out"
echo "drained b in $((t1 - t0)) ms (its pods ignore SIGTERM: StopTimeoutSec=3 s)"
for p in $on_b; do
        echo "$out" | grep -qE "^pod/$p moved to [ac]\$" || fail "drain did not report $p moved to a or c"
        b=$(bound "$p")
        [ "$b" = a ] || [ "$b" = c ] || fail "$p is bound to '$b' after the drain, not to a or c"
        ! active b "$p" || fail "$p still runs on b after the drain"
        wait_for 20 active "$b" "$p" || fail "$p does not run on $b after the drain"
done
echo "$out" | grep -qxF "pod/pb stays: pinned to the node" || fail "drain did not report pb staying"
echo "$out" | grep -qxF "node/b drained" || fail "drain did not end with node/b drained"
active b pb || fail "pb, pinned to b, stopped during the drain"
fx c tankctl nodes | grep -qE '^b +Ready,SchedulingDisabled ' || fail "c does not show b cordoned: $(fx c tankctl nodes)"
apply_on c "$(pod pu '"placement": {"node": "b"},')" || fail "apply pu"
wait_for 20 eval '[ "$(fleet_etcd get --print-value-only /tank/v1/unschedulable/pu | jq -r .reason)" = "node b is cordoned" ]' ||
        fail "pu, pinned to drained b, is not unschedulable for b's cordon"
fx a tankctl uncordon b >/dev/null || fail "uncordon b"
wait_for 30 eval '[ "$(bound pu)" = b ] && active b pu' || fail "pu does not run on b after uncordon b"
echo "uncordon b: pu, pinned to b, runs there"
out=$(fx b tankctl drain no-such-node 2>&1) && fail "drain of an unknown node succeeded: $out"
echo "$out" | grep -qF 'no node "no-such-node"' || fail "unexpected refusal of an unknown node: $out"

sleep 3
touch "$FLEET_TMP/stop-sampling"
wait "$sampler"

# No sample ever saw a reschedulable pod on two nodes.
rounds=$(wc -l <"$FLEET_TMP/samples")
dups=$(awk '{ delete seen; for (i = 2; i <= NF; i++) { split($i, kv, ":"); n = split(kv[2], pods, ",");
                for (j = 1; j <= n; j++) if (pods[j] != "") { if (pods[j] in seen) print $1, pods[j], seen[pods[j]], kv[1]; seen[pods[j]] = kv[1] } } }' \
        "$FLEET_TMP/samples")
echo "$rounds sampling rounds over the episode"
[ "$rounds" -ge 20 ] || fail "only $rounds sampling rounds"
[ -z "$dups" ] || fail "a reschedulable pod ran on two nodes at once: $dups"
for n in a b c; do
        assert_eq "$(fx "$n" systemctl show -P NRestarts tankd.service)" 0 "tankd restarts on $n (a crash?)"
done
echo "test-fleet-failover: all checks passed"
