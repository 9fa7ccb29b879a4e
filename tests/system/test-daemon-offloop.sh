#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing slow runs on tankd's event loop (issue 12, defect 2): with a managed
# volume of 200,000 small files, an Apply made while a ListVolumes walks it
# is answered before the ListVolumes is (in most tries). Were the walk on the
# loop, tankd would read the Apply only after answering the ListVolumes, so
# the order of the two replies is the proof; no absolute time bound (the
# machine and the sanitizers set those). As a second check the Apply's median
# delay stays under half of the walk's duration: on the loop it would be
# nearly all of it.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

DATA=/var/lib/tank
TRIES=7
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
# list_volumes_stamped FILE: ListVolumes, then the time of its reply in FILE.
list_volumes_stamped() {
        list_volumes || return 1
        date +%s%N >"$1"
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
first=0
for i in $(seq 1 $TRIES); do
        rm -f /tmp/lv.end
        list_volumes_stamped /tmp/lv.end &
        lv=$!
        sleep 0.02    # the call is in tankd, its walk under way
        busy+=("$(apply_ms "busy-$i")")
        apply_end=$(date +%s%N)
        wait $lv || fail "ListVolumes failed"
        lv_end=$(cat /tmp/lv.end)
        [ "$apply_end" -lt "$lv_end" ] && first=$((first + 1))
done
base_med=$(printf '%s\n' "${base[@]}" | median)
busy_med=$(printf '%s\n' "${busy[@]}" | median)
echo "Apply without ListVolumes (ms): ${base[*]} (median $base_med)"
echo "Apply during ListVolumes (ms):  ${busy[*]} (median $busy_med)"
echo "tries where the Apply was answered before the ListVolumes: $first of $TRIES"
# On the loop no Apply could ever be answered first; a majority leaves room
# for a try whose walk ended early on a loaded machine.
[ "$first" -ge $(( (TRIES + 1) / 2 )) ] ||
        fail "in $((TRIES - first)) of $TRIES tries the Apply waited for the ListVolumes ($walk_ms ms alone): the walk blocks the loop"
delay=$((busy_med - base_med))
[ $((delay * 2)) -lt "$walk_ms" ] ||
        fail "ListVolumes delayed an Apply by $delay ms (median), not less than half of its walk ($walk_ms ms)"
echo "ok: $first of $TRIES Applies answered during the walk; delay $delay ms (median) against a $walk_ms ms walk"
