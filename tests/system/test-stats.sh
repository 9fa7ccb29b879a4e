#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeing resources (issue 19): tankctl stats reports a container's memory
# within 10 % of its cgroup's own figure (memory.current on v2,
# memory.usage_in_bytes on v1: cgroup_value) while it holds a known
# allocation (48 MiB in its /dev/shm tmpfs, charged to its cgroup), in a pod
# with a user namespace; its limits as set; CPU near 50 % for a busy loop
# limited to half a core; no network counters for a pod on the host's
# network, zero for a pod whose only interface is lo. tankctl top lists the
# workload with its host pid and pid 1, its uid on the host (the range's
# base) and 0 inside, and not the shim. On a terminal stats redraws every
# second. Stats is open to everyone, Top is not. A command line of bytes that
# are not UTF-8 reaches tankctl top escaped. Completion of `tankctl stats <TAB>` and `top <TAB>` lists the pods.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

grep -q '^tank:' /etc/subuid || fail "no subordinate uids for tank (run-system-tests.sh runs tools/tank-subids)"
tank_up

cat <<EOF2 | tankctl apply -f - || fail "apply statmem"
{"name": "statmem", "user_namespace": "auto", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sh", "-c", "head -c 50331648 /dev/zero >/dev/shm/hold && touch /dev/shm/ready; exec sleep infinity"],
  "limits": {"memory": "256M", "pids": 50}}]}
EOF2
cat <<EOF2 | tankctl apply -f - || fail "apply statcpu"
{"name": "statcpu", "network": "host", "containers": [{"name": "app", "image": "$TANK_IMAGE",
  "command": ["sh", "-c", "while :; do :; done"], "limits": {"cpu": [50000, 100000]}}]}
EOF2
wait_phase statmem running 90
wait_phase statcpu running 90
wait_for 30 tankctl exec statmem -- test -e /dev/shm/ready || fail "statmem did not fill /dev/shm"

# Memory: one stats answer, the cgroup read right after it; the allocation
# does not change in between.
json=$(tankctl stats statmem --no-stream -o json) || fail "tankctl stats statmem"
echo "stats: $json"
cg=$(cgroup_value tank-statmem-app.scope memory.current)
mem=$(jq -r '.[0].memory_bytes' <<<"$json")
echo "cgroup layout $CGROUP_LAYOUT: stats memory_bytes $mem, cgroup $cg"
assert_eq "$(jq -r 'length' <<<"$json")" 1 "containers of statmem"
assert_eq "$(jq -r '.[0].pod + "/" + .[0].container' <<<"$json")" "statmem/app" "pod and container"
[ "$mem" -ge 50331648 ] || fail "memory_bytes $mem is less than the 48 MiB the container holds"
diff=$((mem > cg ? mem - cg : cg - mem))
[ $((diff * 10)) -le "$cg" ] || fail "memory_bytes $mem is not within 10 % of the cgroup's $cg"
assert_eq "$(jq -r '.[0].memory_limit' <<<"$json")" 268435456 "memory_limit"
assert_eq "$(jq -r '.[0].pids_limit' <<<"$json")" 50 "pids_limit"
pids=$(jq -r '.[0].pids' <<<"$json")
[ "$pids" -ge 2 ] && [ "$pids" -le 50 ] || fail "pids $pids (shim and sleep at least)"
# network "none": only lo, which is not counted.
assert_eq "$(jq -r '.[0].net_rx_bytes, .[0].net_tx_bytes' <<<"$json" | tr '\n' ' ')" "0 0 " "net of a pod with lo only"
[ "$(jq -r '.[0].block_read_bytes | type' <<<"$json")" = number ] || fail "no block I/O counters"

# CPU: a busy loop under a quota of half a core. The share is over one
# second; a busy machine may starve it, so take samples until one is in
# 35..65 %, and none may be above the quota.


cpu_ok() {
        local j p
        j=$(tankctl stats statcpu --no-stream -o json) || return 1
        p=$(jq -r '.[0].cpu_percent | numbers' <<<"$j")
        echo "statcpu: $j" >>/tmp/stats-cpu.log
        [ -n "$p" ] || return 1
        awk -v p="$p" 'BEGIN { exit !(p > 65) }' && echo "$p" >>/tmp/stats-cpu-over
        awk -v p="$p" 'BEGIN { exit !(p >= 35 && p <= 65) }'
}
rm -f /tmp/stats-cpu.log /tmp/stats-cpu-over
wait_for 60 cpu_ok
ok=$?
cat /tmp/stats-cpu.log
[ ! -e /tmp/stats-cpu-over ] || fail "cpu_percent above the quota of 50 %: $(cat /tmp/stats-cpu-over)"
[ "$ok" = 0 ] || fail "cpu_percent of a busy loop limited to half a core never came near 50 %"
json=$(tankctl stats statcpu --no-stream -o json) || fail "tankctl stats statcpu"
assert_eq "$(jq -r '.[0].net_rx_bytes' <<<"$json")" null "net of a pod on the host's network"
assert_eq "$(jq -r '.[0].memory_limit' <<<"$json")" null "memory_limit without a limit"

# Every pod without names; the text table has a line per container.
all=$(tankctl stats --no-stream) || fail "tankctl stats"
echo "$all"
assert_eq "$(echo "$all" | awk 'NR > 1 { print $1 "/" $2 }' | sort | tr '\n' ' ')" "statcpu/app statmem/app " "stats of every pod"
# On a terminal the table is redrawn every second until interrupted.
out=$(printf 'expect statmem\nexpect POD\nexpect statmem\nsignal INT\nwait\n' |
        python3 "$TANK_SRCDIR/tests/system/pty-drive.py" --cols 160 -- tankctl stats) || fail "stats on a terminal: $out"
echo "$out" | grep -q '^EXIT 130' || fail "stats on a terminal did not end at SIGINT: $out"
[ "$(echo "$out" | grep -oP '\x1b\[H\x1b\[2J' | wc -l)" -ge 2 ] || fail "stats on a terminal did not redraw: $out"
# A call's work is bounded: at most 1024 pods named.
busctl call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Stats as 1025 $(yes statmem | head -n 1025) \
        >/dev/null 2>/tmp/stats-err && fail "Stats of 1025 pod names succeeded"
grep -q "more than 1024 pods" /tmp/stats-err || fail "Stats of 1025 pod names: $(cat /tmp/stats-err)"
tankctl stats nosuchpod --no-stream 2>/tmp/stats-err && fail "stats of an unknown pod succeeded"
grep -q "nosuchpod" /tmp/stats-err || fail "unknown pod: $(cat /tmp/stats-err)"

# Top: the workload, as the host and the container see it.
top=$(tankctl top statmem) || fail "tankctl top statmem"
echo "$top"
pid=$(scope_pid statmem app)
base=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
line=$(echo "$top" | awk -v p="$pid" '$1 == p')
[ -n "$line" ] || fail "top does not list the workload (host pid $pid)"
read -r hpid cpid huid uid cmd <<<"$line"
assert_eq "$cpid" 1 "the workload's pid inside"
assert_eq "$huid" "$base" "the workload's uid on the host"
assert_eq "$uid" 0 "the workload's uid inside"
assert_eq "$cmd" "sleep infinity" "the workload's command line"
# The scope also holds the shim, which is not the container's.
procs=$(cgroup_value tank-statmem-app.scope procs | wc -l)
[ "$procs" -ge 2 ] || fail "the scope holds $procs processes, expected the shim and the workload"
assert_eq "$(echo "$top" | awk 'NR > 1' | wc -l)" 1 "processes of statmem (the shim left out)"

# A command line that is not UTF-8 (the workload writes it; D-Bus takes only
# UTF-8): Top still answers, the bytes shown escaped. The inner sh stays (the
# ": " after sleep), its last argument the bytes 0xff 0xfe.
tank_pod_json statbad always sh -c "exec sh -c 'sleep 1000; :' \"\$(printf 'x\\377\\376y')\"" |
        tankctl apply -f - || fail "apply statbad"
wait_phase statbad running 60
wait_for 20 sh -c "tankctl top statbad | grep -q sleep" || fail "top statbad never showed its sleep"
top=$(tankctl top statbad) || fail "tankctl top of a command line that is not UTF-8"
echo "$top"
echo "$top" | grep -qF 'sh -c sleep 1000; : x\xff\xfey' || fail "top does not show the bytes escaped: $top"
LC_ALL=C grep -q "$(printf '[\200-\377]')" <<<"$top" && fail "top printed the raw bytes"
tankctl delete statbad || fail "delete statbad"

# Who may: Stats everyone, Top root and group tank.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody tankctl stats statmem --no-stream -o json >/dev/null || fail "an unprivileged caller cannot see stats"
as_nobody tankctl top statmem >/dev/null 2>&1 && fail "an unprivileged caller may list a container's processes"

# Completion asks tankd for the pods.
compfile=$(ls /usr/local/share/bash-completion/completions/tankctl /usr/share/bash-completion/completions/tankctl \
        2>/dev/null | head -1)
[ -n "$compfile" ] || fail "tankctl's bash completion is not installed"
comp=$(bash -c '. "$1"
        COMP_WORDS=(tankctl stats ""); COMP_CWORD=2; _tankctl; echo "${COMPREPLY[*]}" | tr " " "\n" | sort | tr "\n" " "; echo
        COMP_WORDS=(tankctl top stat); COMP_CWORD=2; _tankctl; echo "${COMPREPLY[*]}" | tr " " "\n" | sort | tr "\n" " "' \
        bash "$compfile")
assert_eq "$comp" "statcpu statmem 
statcpu statmem " "completion of tankctl stats <TAB> and tankctl top stat<TAB>"

tankctl delete statmem statcpu || fail "delete"
echo "ok"
