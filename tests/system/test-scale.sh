#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Correctness at scale (issue 15), not a timed test: 300 pods applied as one
# array all run, each in its own scope; `tankctl list` shows every one of them
# from one call, with its ready count and age; a kill -9 of tankd leaves every
# workload's pid as it was and the new tankd adopts all 300 without starting a
# duplicate; and deleting them all leaves no scope, slice, network namespace,
# runtime directory, scratch or store key behind. (How fast: bench/scale/.)
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up

N=${TANK_SCALE_PODS:-300}
# Generous: CI runs this under ASan on a slower machine.
T=${TANK_SCALE_TIMEOUT:-600}

# The image once, so that the array below starts from a cached image.
tank_pod_json warm always | tankctl apply -f - --wait --timeout 120 >/dev/null || fail "warm-up pod"
tankctl delete warm >/dev/null || fail "delete warm-up pod"
wait_for 60 sh -c '! tankctl get warm >/dev/null 2>&1' || fail "warm-up pod not deleted"
# Its scope too (stopping may take the stop timeout): the scopes are counted below.
wait_for 60 sh -c '[ -z "$(systemctl list-units --no-legend --plain "tank-warm-*.scope")" ]' ||
        fail "warm-up pod's scope not gone"

for i in $(seq 1 "$N"); do tank_pod_json "s$i" always; done | jq -s . >/tmp/scale.json
tankctl apply -f /tmp/scale.json >/dev/null || fail "apply of $N pods as one array"

running() { tankctl list --no-legend | awk '$2 == "running" && $3 == "1/1"' | wc -l; }
wait_for "$T" sh -c "[ \$(tankctl list --no-legend | awk '\$2 == \"running\" && \$3 == \"1/1\"' | wc -l) -eq $N ]" ||
        { tankctl list --no-legend | awk '$2 != "running"' | head -20 >&2
          fail "only $(running) of $N pods running after ${T}s"; }

# One answer for every row: names, phases, ready counts and ages together.
tankctl list >/tmp/list
assert_eq "$(awk 'NR > 1' /tmp/list | wc -l)" "$N" "rows in tankctl list"
assert_eq "$(awk 'NR > 1 && $5 == "-"' /tmp/list | wc -l)" 0 "pods without an age in tankctl list"
assert_eq "$(awk 'NR > 1 && $1 ~ /^s[0-9]+$/' /tmp/list | sort -u | wc -l)" "$N" "distinct pod names in tankctl list"
# What ListExtended says, and List as it was.
ext=$(busctl --system --json=short call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ListExtended |
      jq '[.data[0][] | select(.[1] == "running" and .[4] == 1 and .[5] == 1 and .[6] > 0)] | length')
assert_eq "$ext" "$N" "running pods with one ready container of one and a creation time in ListExtended"
old=$(busctl --system --json=short call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager List |
      jq '.data[0] | length')
assert_eq "$old" "$N" "pods in List"

# The mount namespace shims start from (reconcile/shim-mntns.h, an fd of
# tankd's) holds no netns pin: it does not grow with the pods, the host's does.
shim_mntns_mounts() {
        local fd
        for fd in /proc/"$(systemctl show -P MainPID tankd.service)"/fd/*; do
                case "$(readlink "$fd")" in
                mnt:*) nsenter --mount="$fd" cat /proc/self/mountinfo | wc -l; return 0 ;;
                esac
        done
        echo none
}
check_shim_mntns() {
        local lean host
        lean=$(shim_mntns_mounts) host=$(wc -l </proc/self/mountinfo)
        echo "mounts with $N pods: the host's $host, the shims' namespace's $lean"
        [ "$lean" != none ] || fail "tankd holds no mount namespace for the shims"
        [ "$lean" -lt $(( host - N )) ] || fail "the shims' mount namespace has $lean mounts, the host's $host"
}
check_shim_mntns

scopes() { systemctl list-units --no-legend --plain 'tank-*.scope' | awk '{print $1}' | sort; }
scopes >/tmp/scale-scopes
assert_eq "$(wc -l </tmp/scale-scopes)" "$N" "one scope per pod"
# Every process of every container, read once: the workloads and their shims.
procs() { cat "$(cgroup_dir "" /tank.slice)"/tank-pod.slice/*/*.scope/cgroup.procs | sort -n; }
procs >/tmp/scale-procs
[ "$(wc -l </tmp/scale-procs)" -ge "$N" ] || fail "fewer processes than pods in the scopes"

# Adoption at scale: nothing restarted, nothing started twice.
kill -9 "$(systemctl show -P MainPID tankd.service)"
wait_for 60 sh -c '! busctl --system status org.tank.Tank1' || true
tank_wait_bus 120
wait_for "$T" sh -c "[ \$(tankctl list --no-legend | awk '\$2 == \"running\"' | wc -l) -eq $N ]" ||
        fail "only $(running) of $N pods running after tankd was killed"
procs >/tmp/scale-procs2
diff -u /tmp/scale-procs /tmp/scale-procs2 || fail "workload processes changed across kill -9 of tankd"
scopes >/tmp/scale-scopes2
diff -u /tmp/scale-scopes /tmp/scale-scopes2 || fail "scopes changed across kill -9 of tankd"
assert_eq "$(tankctl list --no-legend | awk '$4 != 0' | wc -l)" 0 "pods that restarted"
# The new tankd made its own.
check_shim_mntns

# All deleted at once; `delete` returns when the store has it, the teardown follows.
# shellcheck disable=SC2046
tankctl delete $(seq -f 's%g' 1 "$N") >/dev/null || fail "delete of $N pods"
wait_for "$T" sh -c '[ -z "$(tankctl list --no-legend)" ]' ||
        fail "$(tankctl list --no-legend | wc -l) pods still listed after ${T}s"
wait_for "$T" sh -c '[ -z "$(systemctl list-units --no-legend --plain "tank-*.scope" "tank-pod-*.slice")" ]' ||
        { systemctl list-units --no-legend --plain 'tank-*.scope' 'tank-pod-*.slice' | head >&2
          fail "scopes or slices left after delete"; }
left() { find /run/tank/netns /run/tank/pods /var/lib/tank/pods -mindepth 1 -maxdepth 1 2>/dev/null | head; }
wait_for 60 sh -c '[ -z "$(find /run/tank/netns /run/tank/pods /var/lib/tank/pods -mindepth 1 -maxdepth 1 2>/dev/null)" ]' ||
        fail "left after delete: $(left)"
grep -q " /run/tank/netns/" /proc/self/mountinfo && fail "a network namespace is still mounted"
keys=$(ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" get --prefix --keys-only /tank/v1/pods/ | grep -c .)
assert_eq "$keys" 0 "pod keys left in the store"
journalctl -u tankd --no-pager | grep -q "Too many open files" && fail "tankd ran out of descriptors"
# Our kill -9 was the one restart: tankd did not crash on the way.
assert_eq "$(systemctl show -P NRestarts tankd.service)" 1 "restarts of tankd.service"
exit 0
