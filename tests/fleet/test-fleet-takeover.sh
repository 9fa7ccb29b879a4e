#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A host dies, on three nodes that own their store ([Store] Peers=). A host
# dies by fleet_kill_host: SIGKILL to its sandbox's PID 1, so its tankd, its
# etcd member, its workloads and its LAN link go at once. Two fleets, one
# after the other: a dead member cannot come back (its data died with it),
# and two members of three cannot lose another one, so the second death
# (part 3) gets a fleet of its own.
#
# 1. A macvlan address is the fleet's: with a pod pinned to a holding
#    192.0.2.100 on a's LAN link, another pod with that address, pinned to b
#    and applied on b, is refused naming the address and the holder; the same
#    pod with another address is accepted and reached from the first (the
#    refusal was the address's).
# 2. The scheduler's host dies (not etcd's leader: moved away if it was, so
#    the lease alone decides). A survivor holds /tank/v1/scheduler within
#    LeaseSec= + 2 s, and not before the dead node's lease could expire; a
#    new unpinned pod applied on a survivor is bound to a survivor and runs.
# Second fleet:
# 3. The etcd leader's host (made the scheduler's host too: the worst case)
#    dies after ~50 of a stream of 300 applies from a survivor. Every apply
#    that was acknowledged (tankctl exit 0) is in the store afterwards, and
#    every survivor lists it; failed applies are counted, not retried (their
#    pods may or may not be there). The stream goes on (>= 100 acknowledged
#    after the kill); the scheduler moves within LeaseSec= + 5 s (etcd
#    elects, then restarts every lease at its full TTL). The stream's pods
#    select a label no node has: a key and an unschedulable record each,
#    never a container.
# The times and counts are printed; limits and margins are explained where
# they are checked.
set -u
. "$TANK_SRCDIR/tests/fleet/fleet-lib.sh"

LEASE=6
FLEET_CONF_EXTRA="LeaseSec=$LEASE\nFenceSec=4\nRescheduleDelaySec=3"
FLEET_STORE=peers
T_START=$(date +%s%3N)
fleet_up a b c
echo "fleet up after $(( $(date +%s%3N) - T_START )) ms"

IMAGE=127.0.0.1:5000/tank/busybox:latest   # every node's own registry
pod() { # NAME [POD-LEVEL FIELDS]
        printf '{"name": "%s", %s "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"]}]}' \
                "$1" "${2:-}" "$IMAGE"
}
macvlan() { # IP: a network of one macvlan NIC on the sandbox's LAN link, eth1
        printf '"network": {"nics": [{"name": "eth0", "parent": "eth1", "ip": "%s/24"}]},' "$1"
}
apply_on() { # NODE JSON: the output (stdout and stderr), the exit status of tankctl apply
        fx "$1" sh -c 'printf "%s\n" "$1" | tankctl apply -f - 2>&1' apply "$2"
}
bound() { fleet_etcd get --print-value-only "/tank/v1/bound/$1"; }
active() { fx "$1" systemctl is-active -q "tank-$2-app.scope"; }
phase_on() { fx "$1" tankctl list | awk -v p="$2" '$1 == p { print $2 }'; }
fleet_all_ready 30

echo "== 1. one macvlan address, two nodes"
out=$(apply_on a "$(pod mva "$(macvlan 192.0.2.100) \"placement\": {\"node\": \"a\"},")") ||
        fail "apply of mva (192.0.2.100, pinned to a) on a was refused: $out"
wait_for 60 eval '[ "$(phase_on a mva)" = running ]' ||
        fail "mva is not running on a: '$(phase_on a mva)', bound to '$(bound mva)'"
fx a nsenter --net=/run/tank/netns/mva ip -4 -o addr show dev eth0 | grep -qF ' 192.0.2.100/24 ' ||
        fail "mva's eth0 on a lacks 192.0.2.100/24: $(fx a nsenter --net=/run/tank/netns/mva ip -4 -o addr 2>&1)"
# b knows mva (its watch), as every node does.
wait_for 10 eval '[ "$(phase_on b mva)" = running ]' || fail "b does not list mva running: $(fx b tankctl list 2>&1)"
want='network.nics[0].ip: address 192.0.2.100 is already used by pod "mva"'
out=$(apply_on b "$(pod mvb "$(macvlan 192.0.2.100) \"placement\": {\"node\": \"b\"},")") &&
        fail "b accepted mvb with mva's address 192.0.2.100: $out"
echo "$out" | grep -qF "$want" || fail "b refused mvb, but not with '$want': $out"
[ -z "$(fleet_etcd get --keys-only /tank/v1/pods/mvb)" ] || fail "the refused pod mvb is in the store"
echo "b refused: $out"
out=$(apply_on b "$(pod mvb "$(macvlan 192.0.2.101) \"placement\": {\"node\": \"b\"},")") ||
        fail "b refused mvb with a free address, 192.0.2.101: $out"
wait_for 60 eval '[ "$(phase_on b mvb)" = running ]' || fail "mvb (192.0.2.101) is not running on b: '$(phase_on b mvb)'"
# As root, in mva's network and mount namespaces: its busybox ping.
fx a sh -c 'nsenter -t "$(tankctl get mva -o json | jq -r ".status.containers[0].pid")" -n -m -u -- ping -c1 -W3 192.0.2.101' >/dev/null ||
        fail "mva (on a) cannot reach mvb (on b) over the LAN"
echo "mvb with 192.0.2.101 accepted, runs on b; mva reaches it"

# The living nodes, one line; the node the store names as the scheduler (a
# serializable read of the living member asked: it answers while etcd elects).
survivors() { local n out=(); for n in a b c; do fleet_alive "$n" && out+=("$n"); done; echo "${out[*]}"; }
scheduler() { fleet_etcd --command-timeout=1s get --consistency=s --print-value-only /tank/v1/scheduler 2>/dev/null; }
member_id() { fleet_etcd_on "$1" --command-timeout=2s endpoint status -w simple | awk -F', ' '{ print $2 }'; }
leader_is() { [ "$(fleet_etcd_leader)" = "$1" ]; }
# move_leader FROM TO: etcd's leadership to TO's member (asked of FROM, the leader).
move_leader() {
        fleet_etcd_on "$1" --command-timeout=5s move-leader "$(member_id "$2")" >/dev/null ||
                fail "etcdctl move-leader from $1 to $2 failed"
        wait_for 10 leader_is "$2" ||
                fail "the etcd leader is '$(fleet_etcd_leader)' after move-leader to $2"
}
# wait_takeover DEAD T0 LIMIT_MS: until the scheduler key names another
# node than DEAD, polled every 50 ms inside a survivor (serializable reads of
# its member: they answer while etcd elects); sets NEW (that node), MS (ms
# from T0), GONE_MS (when DEAD's node record, on the same lease as the key,
# was first seen gone: the lease's end) and ELECTED_MS (when the member was
# last seen in a new raft term, empty if never). Fails past LIMIT_MS, or if
# NEW is not a survivor. An election restarts every lease at its full TTL
# (etcd 3.4 keeps no lease checkpoints), whenever it comes: the limit then
# runs from the election seen last, LeaseSec= + 1 s lease extension + 2 s.
wait_takeover() {
        local dead=$1 t0=$2 limit=$3 obs out t gone elected
        obs=$(survivors); obs=${obs%% *}
        out=$(fx "$obs" env ETCDCTL_API=3 sh -c '
                e="etcdctl --endpoints=unix:///run/tank/etcd/etcd.sock:0 --command-timeout=1s"
                term() { $e endpoint status -w json 2>/dev/null | grep -o "\"raft_term\":[0-9]*" | head -n 1; }
                gone= elected= limit=$3 first=$(term)
                while :; do
                        now=$(date +%s%3N)
                        [ -n "$gone" ] || [ -n "$($e get --consistency=s --keys-only "/tank/v1/nodes/$1" 2>/dev/null)" ] ||
                                gone=$now
                        t=$(term)
                        if [ -n "$t" ] && [ "$t" != "$first" ]; then
                                first=$t elected=$now
                                [ $((now - $2 + $4)) -le "$limit" ] || limit=$((now - $2 + $4))
                        fi
                        s=$($e get --consistency=s --print-value-only /tank/v1/scheduler 2>/dev/null)
                        if [ -n "$s" ] && [ "$s" != "$1" ]; then echo "$s $now ${gone:-$now} ${elected:--}"; exit 0; fi
                        [ $((now - $2)) -le "$limit" ] || { echo "${s:-nobody} $now ${gone:-never} ${elected:--}"; exit 1; }
                        sleep 0.05
                done' wait-takeover "$dead" "$t0" "$limit" $((LEASE * 1000 + 3000)))
        read -r NEW t gone elected <<<"$out"
        [ -n "${t:-}" ] || fail "cannot poll the scheduler key on $obs: '$out'"
        MS=$((t - t0)) GONE_MS=$([ "$gone" = never ] && echo never || echo $((gone - t0)))
        ELECTED_MS=$([ "${elected:--}" = - ] || echo $((elected - t0)))
        [ -z "$ELECTED_MS" ] || echo "  (etcd elected a leader while we waited: $obs's member was in a new term at +$ELECTED_MS ms)"
        [ "$NEW" != "$dead" ] && [ "$NEW" != nobody ] ||
                fail "no survivor schedules $((t - t0)) ms after $dead died (limit $limit ms${ELECTED_MS:+, or $((LEASE * 1000 + 3000)) ms after the election}): the key names $NEW; $dead's lease ended at +$GONE_MS ms"
        case " $(survivors) " in *" $NEW "*) ;; *) fail "the scheduler key names '$NEW', neither $dead nor a survivor ($(survivors))" ;; esac
}

# since_ms NODE T0 TEXT: ms from T0 to the first line of NODE's tankd
# journal since T0 that holds TEXT (empty if none): where the time went.
since_ms() {
        fx "$1" journalctl -u tankd -o short-unix --no-pager --since "@$(( $2 / 1000 ))" 2>/dev/null |
                awk -v t0="$2" -v text="$3" 'index($0, text) { split($1, t, "."); print t[1] * 1000 + substr(t[2], 1, 3) - t0; exit }'
}
explain_takeover() { # DEAD NEW T0
        echo "  ($1's node record, on the key's lease, seen gone at +$GONE_MS ms;" \
             "\"Node $2 schedules the fleet\" in $2's journal at +$(since_ms "$2" "$3" "Node $2 schedules the fleet") ms)"
}

echo "== 2. the scheduler's host dies"
sched=$(scheduler)
case $sched in a | b | c) ;; *) fail "the scheduler key names '$sched', not a node" ;; esac
leader=$(fleet_etcd_leader) || fail "no etcd member says it leads"
# Here the scheduler's lease alone decides: its host is not etcd's leader.
if [ "$leader" = "$sched" ]; then
        to=a; [ "$sched" != a ] || to=b
        move_leader "$sched" "$to"
        leader=$to
fi
echo "scheduler: $sched; etcd leader: $leader"
t0=$(date +%s%3N)
fleet_kill_host "$sched"
echo "killed $sched's host (its tankd, its etcd member, its link) after $(( $(date +%s%3N) - t0 )) ms"
# The key goes with the dead node's lease, renewed every LeaseSec/3: it
# expires between 2/3 of LeaseSec and LeaseSec after the kill. The margin,
# 2 s: etcd's expiry tick (500 ms), the revoke's commit, the survivors' watch
# event, the election txn's commit and its watch event, and this poll
# (~200 ms through nsenter), on a loaded 2-core CI machine (7.0-7.4 s seen
# with a load average of 12).
limit=$(( LEASE * 1000 + 2000 ))
wait_takeover "$sched" "$t0" "$limit"
new=$NEW
echo "takeover: $new schedules the fleet $MS ms after $sched's host died (limit: LeaseSec=$LEASE s + 2 s = $limit ms)"
explain_takeover "$sched" "$new" "$t0"
[ "$MS" -ge $(( LEASE * 1000 * 2 / 3 - 500 )) ] ||
        fail "$new took over $MS ms after the kill: before $sched's lease (renewed every $((LEASE / 3)) s) could expire"
for n in $(survivors); do
        wait_for 10 fleet_nodes_are "$n" "$(survivors)" ||
                fail "node $n does not list exactly $(survivors) Ready: $(fx "$n" tankctl nodes 2>&1)"
done
on=${new}; for n in $(survivors); do [ "$n" = "$new" ] || on=$n; done
out=$(apply_on "$on" "$(pod after)") || fail "apply of after on $on: $out"
wait_for 20 eval '[ -n "$(bound after)" ]' || fail "after, applied on $on, is not bound: $(fx "$on" tankctl get after 2>&1)"
b=$(bound after)
case " $(survivors) " in *" $b "*) ;; *) fail "after is bound to $b, not a survivor ($(survivors))" ;; esac
wait_for 60 active "$b" after || fail "after (bound to $b) does not run on $b: '$(phase_on "$b" after)'"
echo "after, applied on $on: bound to $b, runs there"
fleet_down

echo "== 3. the etcd leader's host dies during 300 applies"
fleet_up a b c
fleet_all_ready 30
wait_for 20 eval '[ -n "$(scheduler)" ]' || fail "no node holds /tank/v1/scheduler"
sched=$(scheduler)
leader=$(fleet_etcd_leader) || fail "no etcd member says it leads"
# The worst case: the host that dies leads etcd and schedules.
[ "$leader" = "$sched" ] || move_leader "$leader" "$sched"
victim=$sched
src=a; [ "$victim" != a ] || src=b
echo "scheduler and etcd leader: $victim; the applies come from $src"

# w001..w300, each select a label no node has: never bound, never run.
# Each line of the stream: "N STATUS END_MS", tankctl apply's exit status
# and when it returned; a failed apply is not retried; its error is in
# /tmp/stream-err.N on the streaming node.
fx "$src" bash -c '
        for i in $(seq -f %03g 1 300); do
                printf "{\"name\": \"w%s\", \"placement\": {\"labels\": {\"zone\": \"nowhere\"}}, \"containers\": [{\"name\": \"app\", \"image\": \"%s\", \"command\": [\"true\"]}]}\n" "$i" "$1" |
                        timeout 30 tankctl apply -f - >/dev/null 2>/tmp/stream-err.$i
                rc=$?
                echo "$i $rc $(date +%s%3N)"
        done' stream "$IMAGE" >"$FLEET_TMP/stream" 2>&1 &
stream=$!
acked() { awk '$2 == 0' "$FLEET_TMP/stream" | wc -l; }
wait_for 60 eval '[ "$(acked)" -ge 50 ]' || fail "the stream did not reach 50 acknowledged applies: $(tail -5 "$FLEET_TMP/stream")"
at_kill=$(wc -l <"$FLEET_TMP/stream")
t0=$(date +%s%3N)
fleet_kill_host "$victim"
echo "killed $victim's host after $at_kill applies returned ($(awk -v k="$at_kill" 'NR <= k && $2 == 0' "$FLEET_TMP/stream" | wc -l) acknowledged)"
[ "$at_kill" -le 200 ] || fail "the kill came after $at_kill of the 300 applies, not in the middle of the stream"
# etcd's share: the survivors elect a leader (up to twice the 1 s election
# timeout), which gives every lease its full TTL again plus one election
# timeout (etcd 3.4 keeps no lease checkpoints): 3 s; then the same 2 s as
# in part 2 (8.6-9.3 s seen).
limit=$(( LEASE * 1000 + 5000 ))
wait_takeover "$victim" "$t0" "$limit"
new=$NEW
echo "takeover: $new schedules the fleet $MS ms after $victim's host died (limit: LeaseSec=$LEASE s + 2 s election + 1 s lease extension + 2 s = $limit ms)"
explain_takeover "$victim" "$new" "$t0"
wait_for 150 eval '! kill -0 $stream 2>/dev/null' || fail "the stream did not end: $(tail -3 "$FLEET_TMP/stream")"
wait "$stream"
lines=$(wc -l <"$FLEET_TMP/stream")
[ "$lines" -eq 300 ] || fail "the stream printed $lines lines, not 300: $(tail -3 "$FLEET_TMP/stream")"
awk '$2 == 0 { printf "/tank/v1/pods/w%s\n", $1 }' "$FLEET_TMP/stream" | sort >"$FLEET_TMP/acked"
awk '$2 != 0 { print $1 }' "$FLEET_TMP/stream" >"$FLEET_TMP/failed"
n_acked=$(wc -l <"$FLEET_TMP/acked") n_failed=$(wc -l <"$FLEET_TMP/failed")
fleet_etcd --command-timeout=10s get --prefix --keys-only /tank/v1/pods/w | grep . | sort >"$FLEET_TMP/present" ||
        fail "cannot list /tank/v1/pods/ on a survivor"
n_present=$(wc -l <"$FLEET_TMP/present")
missing=$(comm -23 "$FLEET_TMP/acked" "$FLEET_TMP/present")
extra=$(comm -13 "$FLEET_TMP/acked" "$FLEET_TMP/present" | wc -l)
echo "applies: $n_acked acknowledged, $n_failed failed (not retried), $n_present in the store ($extra of them from failed applies)"
for i in $(head -3 "$FLEET_TMP/failed"); do echo "failed w$i: $(fx "$src" cat "/tmp/stream-err.$i")"; done
[ -z "$missing" ] || fail "$(echo "$missing" | wc -l) acknowledged applies are not in the store: $(echo $missing | head -c 300)"
[ "$extra" -le "$n_failed" ] || fail "$extra pods in the store that no apply asked for"
# The stream went on: the fleet acknowledges again after the election.
after_kill=$(awk -v k="$at_kill" 'NR > k && $2 == 0' "$FLEET_TMP/stream" | wc -l)
slowest=$(awk 'NR > 1 { d = $3 - prev; if (d > max) { max = d; at = $1 } } { prev = $3 } END { print max " ms (w" at ")" }' "$FLEET_TMP/stream")
echo "$after_kill acknowledged after the kill; the stream took $(( $(tail -n 1 "$FLEET_TMP/stream" | awk '{ print $3 }') - $(head -n 1 "$FLEET_TMP/stream" | awk '{ print $3 }') )) ms; its longest apply $slowest"
[ "$after_kill" -ge 100 ] || fail "only $after_kill of the $((300 - at_kill)) applies after the kill were acknowledged"
# Every survivor's tankd lists them too (its watch).
listed_w() { fx "$1" tankctl list | awk '$1 ~ /^w[0-9]+$/' | wc -l; }
listed_is() { [ "$(listed_w "$1")" -eq "$2" ]; }
for n in $(survivors); do
        wait_for 30 listed_is "$n" "$n_present" || fail "node $n lists $(listed_w "$n") stream pods, not $n_present"
done
echo "test-fleet-takeover: all checks passed in $(( ($(date +%s%3N) - T_START) / 1000 )) s"
