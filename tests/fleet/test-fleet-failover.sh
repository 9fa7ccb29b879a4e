#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Node loss and fencing on three nodes: node c is cut off the LAN. Within
# FenceSec= (plus the stop) c stops its reschedulable pods itself; once its
# lease has expired and RescheduleDelaySec= passed, the scheduler moves them
# to a and b, where they run; sampled every ~200 ms on all three nodes for
# the whole episode, no such pod ever runs on two nodes at once. A pinned,
# non-reschedulable pod stays bound to c, keeps running there, and shows
# "unknown" to the others. When c's link is back, c converges: the moved
# pods stay away, its pinned pod is reported running again.
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
touch "$FLEET_TMP/stop-sampling"
wait "$sampler"
for p in $on_c; do
        ! active c "$p" || fail "$p runs on c again after c came back (it was moved to $(bound "$p"))"
done
active c pc || fail "pc does not run on c after c came back"

# No sample ever saw a reschedulable pod on two nodes.
rounds=$(wc -l <"$FLEET_TMP/samples")
dups=$(awk '{ delete seen; for (i = 2; i <= NF; i++) { split($i, kv, ":"); n = split(kv[2], pods, ",");
                for (j = 1; j <= n; j++) if (pods[j] != "") { if (pods[j] in seen) print $1, pods[j], seen[pods[j]], kv[1]; seen[pods[j]] = kv[1] } } }' \
        "$FLEET_TMP/samples")
echo "$rounds sampling rounds over the episode"
[ "$rounds" -ge 20 ] || fail "only $rounds sampling rounds"
[ -z "$dups" ] || fail "a reschedulable pod ran on two nodes at once: $dups"
echo "test-fleet-failover: all checks passed"
