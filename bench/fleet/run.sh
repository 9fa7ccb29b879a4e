#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/fleet: the scheduler on a real fleet of three (issue 17): three tank
# sandboxes a, b, c on the fleet tests' LAN (tests/fleet/fleet-lib.sh), one
# etcd on the LAN ([Store] Endpoints=, the harness's default), every figure
# beside its floor, measured in one run:
#
#   1. node loss -> running elsewhere, TRIALS times (default 5): N_RESCHED
#      reschedulable pods (default 6: two a node) placed, a node that does
#      not hold /tank/v1/scheduler cut off the LAN (fleet_link X down, as
#      test-fleet-failover does); the time from the cut until every
#      reschedulable pod it held is active on a survivor (the latest
#      ActiveEnterTimestamp of their tank-POD-app.scope, from the cut;
#      the poll that sees it is printed too); the node back and the fleet
#      converged (every node lists all three Ready), the pods deleted,
#      before the next trial. p50 and max beside the floor LeaseSec= +
#      RescheduleDelaySec=.
#   2. scheduling throughput: N_BIND unpinned pods (default 300, `sleep
#      infinity` on busybox) applied as one array by one `tankctl apply`,
#      once on a node that is not the scheduler (the scheduler's pass binds
#      them from its watch) and once on the scheduler's node (the apply's own
#      txn binds them); the time until the store holds N_BIND
#      /tank/v1/bound/<pod> keys (polled every 0.1 s), pods bound per
#      second, and the time until all run (the latest scope start). The
#      floor: N_BIND txns one after another through etcd's JSON gateway on
#      one connection (one curl), each what an apply that binds writes (a
#      create-only compare, the pod's spec and its bound key).
#
#   sudo bench/fleet/run.sh [BUILDDIR]      (default: ./build)
#   env: TRIALS=5 N_RESCHED=6 N_BIND=300, and fleet-lib.sh's
#        FLEET_SANDBOX_PREFIX= FLEET_NETNS= (default bfl, tank-bfl-lan here:
#        the fleet tests' fleet-* names may be in use)
#
# Why Endpoints= and not Peers=: with one etcd member outside the nodes, a
# cut node takes no etcd member with it, so the figure is Tank's (its lease,
# RescheduleDelaySec=, the bind, the start) and not an etcd election's (with
# Peers= a cut leader adds an election and a lease extension:
# test-fleet-takeover); and a cut node can come back for the next trial.
# A cut, not fleet_kill_host: a killed host cannot come back.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
export TANK_SRCDIR=$top TANK_BUILDDIR=$build
export FLEET_SANDBOX_PREFIX=${FLEET_SANDBOX_PREFIX:-bfl} FLEET_NETNS=${FLEET_NETNS:-tank-bfl-lan}
TRIALS=${TRIALS:-5}
N_RESCHED=${N_RESCHED:-6}
N_BIND=${N_BIND:-300}
LEASE=6 FENCE=4 DELAY=3
FLEET_CONF_EXTRA="LeaseSec=$LEASE\nFenceSec=$FENCE\nRescheduleDelaySec=$DELAY"
. "$top/tests/fleet/fleet-lib.sh"

T_START=$(date +%s%3N)
ms() { date +%s%3N; }
IMAGE=127.0.0.1:5000/tank/busybox:latest   # every node's own registry
pod() { printf '{"name": "%s", %s "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}' \
        "$1" "${2:-}" "$IMAGE"; }
# The array on stdin: N_BIND pods' JSON is too long for one argument.
apply_on() { fx "$1" tankctl apply -f - >/dev/null; }
scheduler() { fleet_etcd get --print-value-only /tank/v1/scheduler; }
# bound_of PREFIX: "POD NODE" lines, one etcd read.
bound_of() { fleet_etcd get --prefix "/tank/v1/bound/$1" | paste - - | sed 's|^/tank/v1/bound/||'; }
n_bound() { fleet_etcd get --prefix --keys-only "/tank/v1/bound/$1" | grep -c .; }
# active_on NODE GLOB: the pods whose app scope is active on NODE.
active_on() {
        fx "$1" systemctl list-units --no-legend --plain --state=active "tank-$2-app.scope" |
                awk '{ sub(/^tank-/, "", $1); sub(/-app\.scope$/, "", $1); print $1 }'
}
# started_ms NODE POD...: the latest start (ms since the epoch) of their app scopes on NODE.
started_ms() {
        local node=$1
        shift
        fx "$node" sh -c 'for p; do systemctl show -P ActiveEnterTimestamp --timestamp=us+utc "tank-$p-app.scope"; done' \
                started "$@" | while read -r _ d t z; do date -d "$d $t $z" +%s%3N; done | sort -n | tail -n 1
}
# since_ms NODE T0 TEXT: ms from T0 to the last line of NODE's tankd journal
# since T0 that holds TEXT (empty if none): where the time went.
since_ms() {
        fx "$1" journalctl -u tankd -o short-unix --no-pager --since "@$(( $2 / 1000 ))" 2>/dev/null |
                awk -v t0="$2" -v text="$3" 'index($0, text) { split($1, t, "."); at = t[1] * 1000 + substr(t[2], 1, 3) - t0 }
                                            END { print at }'
}
# The nearest-rank percentile of numbers on stdin.
pct() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { i = int(NR * q + 0.999); if (i < 1) i = 1; print v[i] }'; }
secs() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'; }

echo "bench/fleet: 3 nodes (tank sandboxes $FLEET_SANDBOX_PREFIX-a/b/c) on one LAN, one etcd on the LAN" \
     "($(etcd --version | head -1 | awk '{ print $3 }'), [Store] Endpoints=), $(nproc) CPUs, $(uname -r)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "config: LeaseSec=$LEASE FenceSec=$FENCE RescheduleDelaySec=$DELAY"
fleet_up a b c
fleet_all_ready 60
echo "fleet up after $(( $(ms) - T_START )) ms"

# The image, on every node, before anything is timed: the first start on a
# node pulls it from the node's registry.
for n in a b c; do pod "warm$n" "\"placement\": {\"node\": \"$n\"},"; echo; done | jq -s -c . | apply_on a ||
        fail "apply of the warm-up pods"
warm_up() { local n; for n in a b c; do [ -n "$(active_on "$n" "warm$n")" ] || return 1; done; }
wait_for 120 warm_up || fail "the warm-up pods do not run"
fx a tankctl delete warma warmb warmc >/dev/null || fail "delete of the warm-up pods"

# gone PREFIX: no pod of PREFIX bound, and no scope of one active anywhere.
gone() {
        local n
        [ "$(n_bound "$1")" -eq 0 ] || return 1
        for n in a b c; do [ -z "$(active_on "$n" "$1*")" ] || return 1; done
}

echo "== 1. node loss -> every reschedulable pod running elsewhere ($TRIALS trials, $N_RESCHED pods)"
: >"$FLEET_TMP/loss.ms"
: >"$FLEET_TMP/loss-poll.ms"
sched=
for k in $(seq 1 "$TRIALS"); do
        pre=t${k}r
        names=$(seq -f "$pre%g" 1 "$N_RESCHED")
        for p in $names; do pod "$p" '"reschedule": true,'; echo; done | jq -s -c . | apply_on a ||
                fail "trial $k: apply"
        placed() {
                local p n
                bound_of "$pre" >"$FLEET_TMP/bound"
                [ "$(wc -l <"$FLEET_TMP/bound")" -eq "$N_RESCHED" ] || return 1
                for n in a b c; do
                        active_on "$n" "$pre*" | sort >"$FLEET_TMP/active-$n"
                        cmp -s "$FLEET_TMP/active-$n" <(awk -v n="$n" '$2 == n { print $1 }' "$FLEET_TMP/bound" | sort) ||
                                return 1
                done
        }
        wait_for 90 placed || fail "trial $k: not every pod runs where it is bound: $(tr '\n' ' ' <"$FLEET_TMP/bound")"
        sched=$(scheduler)
        # The two nodes that do not schedule, in turn: the scheduler's own
        # loss adds its election to the figure (test-fleet-takeover measures that).
        mapfile -t others < <(printf '%s\n' a b c | grep -vxF "$sched")
        victim=${others[$(( (k - 1) % 2 ))]}
        on_v=$(awk -v n="$victim" '$2 == n { print $1 }' "$FLEET_TMP/bound" | tr '\n' ' ')
        [ -n "$on_v" ] || fail "trial $k: no reschedulable pod on $victim: $(tr '\n' ' ' <"$FLEET_TMP/bound")"
        placement=$(for n in a b c; do echo -n "$n:$(awk -v n="$n" '$2 == n' "$FLEET_TMP/bound" | wc -l) "; done)

        t0=$(ms)
        fleet_link "$victim" down
        moved() {
                local p n
                bound_of "$pre" >"$FLEET_TMP/bound"
                for n in a b c; do [ "$n" = "$victim" ] || active_on "$n" "$pre*" >"$FLEET_TMP/active-$n"; done
                for p in $on_v; do
                        n=$(awk -v p="$p" '$1 == p { print $2 }' "$FLEET_TMP/bound")
                        [ -n "$n" ] && [ "$n" != "$victim" ] && grep -qxF "$p" "$FLEET_TMP/active-$n" || return 1
                done
        }
        wait_for 90 moved || fail "trial $k: $victim's pods ($on_v) did not come up elsewhere: $(tr '\n' ' ' <"$FLEET_TMP/bound")"
        t_poll=$(( $(ms) - t0 ))
        last=0
        for n in a b c; do
                [ "$n" != "$victim" ] || continue
                ps=$(for p in $on_v; do awk -v p="$p" -v n="$n" '$1 == p && $2 == n { print $1 }' "$FLEET_TMP/bound"; done)
                [ -n "$ps" ] || continue
                s=$(started_ms "$n" $ps)
                [ "${s:-0}" -le "$last" ] || last=$s
        done
        [ "$last" -gt "$t0" ] || fail "trial $k: no start time after the cut for $on_v ($last, cut at $t0)"
        t_loss=$(( last - t0 ))
        echo "$t_loss" >>"$FLEET_TMP/loss.ms"
        echo "$t_poll" >>"$FLEET_TMP/loss-poll.ms"
        echo "trial $k: placed ${placement% }; cut $victim (scheduler: $sched): its $(wc -w <<<"$on_v") pods" \
             "running elsewhere after $t_loss ms (seen by the poll at $t_poll ms):" \
             "$(for p in $on_v; do awk -v p="$p" '$1 == p { printf "%s->%s ", $1, $2 }' "$FLEET_TMP/bound"; done)"
        echo "  (the scheduler's journal: \"Node $victim is lost\" at +$(since_ms "$sched" "$t0" "Node $victim is lost") ms," \
             "the last \"Moving pod\" at +$(since_ms "$sched" "$t0" "from lost node $victim") ms)"

        fleet_link "$victim" up
        fleet_all_ready 60
        fx a tankctl delete $names >/dev/null || fail "trial $k: delete"
        wait_for 90 gone "$pre" || fail "trial $k: the pods are not gone after their delete"
done
p50=$(pct 0.5 <"$FLEET_TMP/loss.ms") max=$(pct 1 <"$FLEET_TMP/loss.ms")
echo "node loss -> running elsewhere: p50 $(secs "$p50") s, max $(secs "$max") s" \
     "(floor: lease $LEASE s + delay $DELAY s = $((LEASE + DELAY)) s; the lease, renewed every $((LEASE / 3)) s," \
     "ends about $((LEASE - LEASE / 3))-$LEASE s after the cut, so $((LEASE - LEASE / 3 + DELAY))-$((LEASE + DELAY)) s)"
echo "  as the 0.1 s poll saw it: p50 $(secs "$(pct 0.5 <"$FLEET_TMP/loss-poll.ms")") s," \
     "max $(secs "$(pct 1 <"$FLEET_TMP/loss-poll.ms")") s"

echo "== 2. scheduling throughput: $N_BIND unpinned pods in one apply"
# The floor: what an apply that binds writes, N_BIND times, one after another.
b64() { printf '%s' "$1" | base64 -w0; }
spec=$(pod floor-pod-0000 | base64 -w0)
for i in $(seq -f %04g 1 "$N_BIND"); do
        k=$(b64 "/bench/floor/pods/p$i") kb=$(b64 "/bench/floor/bound/p$i") v=$(b64 a)
        printf 'url = "%s/v3/kv/txn"\noutput = "/dev/null"\ndata = "{\\"compare\\": [{\\"key\\": \\"%s\\", \\"target\\": \\"CREATE\\", \\"create_revision\\": \\"0\\"}], \\"success\\": [{\\"requestPut\\": {\\"key\\": \\"%s\\", \\"value\\": \\"%s\\"}}, {\\"requestPut\\": {\\"key\\": \\"%s\\", \\"value\\": \\"%s\\"}}]}"\nnext\n' \
                "$FLEET_ETCD" "$k" "$k" "$spec" "$kb" "$v"
done | sed '$d' >"$FLEET_TMP/floor.curl"   # no "next" after the last
t0=$(ms)
ip netns exec "$FLEET_NETNS" curl -sS -K "$FLEET_TMP/floor.curl" || fail "the floor's txns"
t_floor=$(( $(ms) - t0 ))
n=$(fleet_etcd get --prefix --keys-only /bench/floor/bound/ | grep -c .)
[ "$n" -eq "$N_BIND" ] || fail "the floor wrote $n bound keys, not $N_BIND"
fleet_etcd del --prefix /bench/floor/ >/dev/null
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n * 1000 / t : 0) }'; }
echo "floor: $N_BIND txns (create-only compare, spec + bound key) one after another, one curl, one connection:" \
     "$t_floor ms, $(rate "$N_BIND" "$t_floor")/s"

# throughput ON PREFIX WHAT
throughput() {
        local on=$1 pre=$2 what=$3 t0 t_ack t_bound t_run last s n
        for i in $(seq -f "$pre%03g" 1 "$N_BIND"); do pod "$i"; echo; done | jq -s -c . >"$FLEET_TMP/$pre.json"
        t0=$(ms)
        apply_on "$on" <"$FLEET_TMP/$pre.json" || fail "apply of $N_BIND pods on $on"
        t_ack=$(( $(ms) - t0 ))
        until [ "$(n_bound "$pre")" -ge "$N_BIND" ]; do
                [ $(( $(ms) - t0 )) -lt 300000 ] || fail "only $(n_bound "$pre") of $N_BIND bound after 300 s"
                sleep 0.1
        done
        t_bound=$(( $(ms) - t0 ))
        all_run() {
                local n c=0
                for n in a b c; do c=$(( c + $(active_on "$n" "$pre*" | wc -l) )); done
                [ "$c" -ge "$N_BIND" ]
        }
        # Every 0.5 s: three list-units of up to N_BIND scopes each poll.
        until all_run; do
                [ $(( $(ms) - t0 )) -lt 400000 ] || fail "not all $N_BIND pods run after 400 s"
                sleep 0.5
        done
        t_run=$(( $(ms) - t0 ))
        last=0
        for n in a b c; do
                s=$(started_ms "$n" $(active_on "$n" "$pre*"))
                [ "${s:-0}" -le "$last" ] || last=$s
        done
        echo "apply on $on ($what): acknowledged after $t_ack ms; all $N_BIND bound after $t_bound ms" \
             "($(rate "$N_BIND" "$t_bound") pods bound/s, $(awk -v a="$t_bound" -v b="$t_floor" 'BEGIN { printf "%.1f", a / b }')x the floor); all running after $(( last - t0 )) ms" \
             "(seen at $t_run ms): $(for n in a b c; do echo -n "$n:$(awk -v n="$n" '$2 == n' <(bound_of "$pre") | wc -l) "; done)"
}
sched=$(scheduler)
other=$(printf '%s\n' a b c | grep -vxF "$sched" | head -n 1)
throughput "$other" s "not the scheduler: its pass binds them"
fx a sh -c 'tankctl delete $(tankctl list | awk "\$1 ~ /^s[0-9]+\$/ { print \$1 }")' >/dev/null || fail "delete of the s pods"
wait_for 300 gone s || fail "the s pods are not gone 300 s after their delete"
sched=$(scheduler)
throughput "$sched" u "the scheduler: bound in the apply's txn"
# Not deleted: the sandboxes go with them.
echo "bench/fleet: done in $(( ($(ms) - T_START) / 1000 )) s, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
