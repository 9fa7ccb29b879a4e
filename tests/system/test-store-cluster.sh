#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bring-your-own store: a 3-member etcd cluster on loopback. The client gets all
# three endpoints; the leader member is killed (kill -9) in the middle of a
# stream of writes. Writes continue after the election (the gap is printed),
# the watch resumes, and no acknowledged write is lost or seen twice.
set -eu
. "$(dirname "$0")/lib.sh"

DRIVER=$TANK_BUILDDIR/tests/system/store-driver
[ -x "$DRIVER" ] || fail "no $DRIVER (make check builds it)"
export ETCDCTL_API=3

T=$(mktemp -d /tmp/tank-store-cluster.XXXXXX)
declare -A PIDS
WATCH_PID=""
WRITE_PID=""
cleanup() {
        for p in "$WATCH_PID" "$WRITE_PID" "${PIDS[@]}"; do
                [ -n "$p" ] && kill -9 "$p" 2>/dev/null
        done
        wait 2>/dev/null || :
        rm -rf "$T"
}
trap cleanup EXIT

BASE=$(( 22000 + RANDOM % 7000 ))
CLUSTER=""
ENDPOINTS=""
for i in 0 1 2; do
        CLUSTER="$CLUSTER${CLUSTER:+,}m$i=http://127.0.0.1:$(( BASE + 10 + i ))"
        ENDPOINTS="$ENDPOINTS${ENDPOINTS:+,}http://127.0.0.1:$(( BASE + i ))"
done
for i in 0 1 2; do
        etcd --name m$i --data-dir "$T/m$i" \
                --listen-client-urls http://127.0.0.1:$(( BASE + i )) --advertise-client-urls http://127.0.0.1:$(( BASE + i )) \
                --listen-peer-urls http://127.0.0.1:$(( BASE + 10 + i )) \
                --initial-advertise-peer-urls http://127.0.0.1:$(( BASE + 10 + i )) \
                --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token "tank-$BASE" \
                --heartbeat-interval 100 --election-timeout 1000 >"$T/m$i.log" 2>&1 &
        PIDS[$i]=$!
done
wait_for 30 etcdctl --endpoints="$ENDPOINTS" endpoint health || fail "cluster did not come up"

"$DRIVER" watch "$ENDPOINTS" /c/ >"$T/watch.out" 2>"$T/watch.err" &
WATCH_PID=$!
wait_for 10 grep -q '^RESYNC 0 ' "$T/watch.out" || fail "watch did not start"

N=400
"$DRIVER" --timeout-ms 3000 write "$ENDPOINTS" /c/k "$N" >"$T/write.out" 2>"$T/write.err" &
WRITE_PID=$!
wait_for 30 sh -c "[ \$(grep -c '^ACK ' '$T/write.out') -ge 100 ]" || fail "writes did not start"

leader=""
for i in 0 1 2; do
        st=$(etcdctl --endpoints=http://127.0.0.1:$(( BASE + i )) endpoint status -w json)
        id=$(echo "$st" | sed -n 's/.*"member_id":\([0-9]*\).*/\1/p')
        ld=$(echo "$st" | sed -n 's/.*"leader":\([0-9]*\).*/\1/p')
        [ -n "$id" ] && [ "$id" = "$ld" ] && leader=$i
done
[ -n "$leader" ] || fail "no leader found"
acked_before=$(grep -c '^ACK ' "$T/write.out")
echo "killing leader m$leader after $acked_before acknowledged writes"
kill -9 "${PIDS[$leader]}"
wait "${PIDS[$leader]}" 2>/dev/null || :
PIDS[$leader]=""

wait "$WRITE_PID" || { cat "$T/write.err"; fail "writer failed"; }
WRITE_PID=""
grep -E '^(FAIL|RECOVERED|GAP|SLOWEST)' "$T/write.out" || :
assert_eq "$(grep -c '^ACK ' "$T/write.out")" "$N" "acknowledged writes"

survivors=""
for i in 0 1 2; do
        [ "$i" = "$leader" ] || survivors="$survivors${survivors:+,}http://127.0.0.1:$(( BASE + i ))"
done
# every acknowledged write is in the store, at or after its acknowledged revision
count=$(etcdctl --endpoints="$survivors" get /c/ --prefix --keys-only | grep -c '^/c/')
assert_eq "$count" "$N" "keys in the store"

# the watch saw every acknowledged write, exactly once per revision
wait_for 20 grep -q "^PUT /c/k$(printf %06d $(( N - 1 ))) " "$T/watch.out" || { tail "$T/watch.out"; fail "watch did not resume"; }
assert_eq "$(grep '^PUT ' "$T/watch.out" | awk '{print $3}' | sort | uniq -d | wc -l)" 0 "revisions delivered twice"
grep '^PUT ' "$T/watch.out" | awk '{print $3}' | sort -c -n || fail "events out of order"
missing=0
while read -r _ key rev; do
        grep -q "^PUT $key $rev " "$T/watch.out" || { echo "missing $key@$rev"; missing=$((missing + 1)); }
done < <(grep '^ACK ' "$T/write.out")
assert_eq "$missing" 0 "acknowledged writes missing from the watch"
echo "ok"
