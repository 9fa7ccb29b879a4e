#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing slow runs on tankd's event loop (issue 12, defect 2): with a managed
# volume of 200,000 small files, a ListVolumes (whose walk takes a while) does
# not delay an Apply made at the same moment by more than 50 ms. Each figure
# is the median of several tries, measured against a baseline of Applies
# without ListVolumes in the same run.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

DATA=/var/lib/tank
TRIES=7
BOUND_MS=50
FILES=200000

tank_up

printf '{"name": "big", "volumes": [{"name": "data"}], "containers": [{"name": "app", "image": "%s", "command": ["sleep", "infinity"], "mounts": [{"volume": "data", "path": "/data"}]}]}\n' \
        "$TANK_IMAGE" >/tmp/big.json
tankctl apply -f /tmp/big.json >/dev/null || fail "apply big failed"
wait_phase big running 60
vol=$DATA/volumes/big/data
[ -d "$vol" ] || fail "no volume directory $vol"
# 200 directories of 1000 small (empty) files.
start=$(date +%s%3N)
(cd "$vol" && seq 0 199 | xargs mkdir -p &&
 for d in $(seq 0 199); do (cd "$d" && seq 1 1000 | xargs touch); done &&
 echo x >"$vol/0/1") || fail "cannot fill the volume"
n=$(find "$vol" -type f | wc -l)
assert_eq "$n" "$FILES" "files in the volume"
echo "filled $vol with $n files in $(( $(date +%s%3N) - start )) ms"

list_volumes() {
        busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ListVolumes >/dev/null
}
# apply_ms I: the duration of one Apply of pod "probe" (a new env each time,
# so that every Apply is a real write).
apply_ms() {
        printf '{"name": "probe", "restart": "never", "containers": [{"name": "app", "image": "%s", "env": {"TRY": "%s"}, "command": ["true"]}]}\n' \
                "$TANK_IMAGE" "$1" >/tmp/probe.json
        local t0 t1
        t0=$(date +%s%N)
        tankctl apply -f /tmp/probe.json >/dev/null || fail "apply probe failed"
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

t0=$(date +%s%N)
list_volumes || fail "ListVolumes failed"
walk_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "ListVolumes alone: $walk_ms ms"

base=()
for i in $(seq 1 $TRIES); do
        base+=("$(apply_ms "base-$i")")
done
busy=()
overlapped=0
for i in $(seq 1 $TRIES); do
        list_volumes &
        lv=$!
        sleep 0.02    # the call is in tankd, its walk under way
        busy+=("$(apply_ms "busy-$i")")
        # Did the Apply finish while the walk still ran? Otherwise the try
        # proves nothing.
        kill -0 $lv 2>/dev/null && overlapped=$((overlapped + 1))
        wait $lv || fail "ListVolumes failed"
done
base_med=$(printf '%s\n' "${base[@]}" | median)
busy_med=$(printf '%s\n' "${busy[@]}" | median)
echo "Apply without ListVolumes (ms): ${base[*]} (median $base_med)"
echo "Apply during ListVolumes (ms):  ${busy[*]} (median $busy_med)"
echo "tries where the Apply finished while ListVolumes ran: $overlapped of $TRIES"
[ "$overlapped" -ge $(( (TRIES + 1) / 2 )) ] ||
        fail "ListVolumes ($walk_ms ms) was too quick to overlap the Applies; the test measures nothing"
[ $((busy_med - base_med)) -le $BOUND_MS ] ||
        fail "ListVolumes delayed an Apply by $((busy_med - base_med)) ms (median), more than $BOUND_MS ms"
echo "ok: ListVolumes delays an Apply by $((busy_med - base_med)) ms (median), bound $BOUND_MS ms"
