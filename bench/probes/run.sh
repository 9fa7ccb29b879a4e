#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/probes: what do probes cost, and how punctual are they, beside Podman's
# systemd-timer health checks, measured in one run inside one sandbox:
#
#   - N pods (default 100), each one busybox container running httpd, with a
#     1 s exec liveness probe (["true"]) and a 1 s http readiness probe
#     (GET / on port 8080; every pod has network "none", its own netns, so all
#     use the same port): 2 probe runs per pod and second.
#   - N podman containers (same image and command) with
#     `--health-cmd true --health-interval 1s`: 1 check per container and second.
#
# CPU, over DURATION s (default 60) with nothing else watching:
#   - the sandbox's total CPU (its cgroup's cpuacct.usage: systemd, journald,
#     dbus, tankd and its helpers, conmon, crun, the `podman healthcheck run`
#     processes, the workloads), minus an idle baseline of the same length taken
#     first (tankd and the registry up, no pod): this is the figure that is
#     taken the same way for both;
#   - tankd's own CPU from /proc/PID/stat (utime+stime, all threads: the http
#     probes run in short-lived threads) and with its reaped children
#     (cutime+cstime: the tank-exec helper of every exec probe and what it ran);
#     tankd's RSS at the end.
#   "ms per probe" divides by the number of probe runs in the window: for
#   podman, the health_status events it logged in the window; for tankd, which
#   counts nothing, N x 2 x DURATION / (mean result interval measured below),
#   i.e. what the measured period implies.
#
# Lateness, over another SAMPLE s (default 60), measured separately so that the
# observer does not land in the CPU figures (its own cost is printed):
#   - tankd exports no per-run timings. The status JSON (Manager.Get, what
#     `tankctl get -o json` shows) has per container one record, last_probe
#     {probe, success, at_usec}: at_usec is the realtime of the latest result
#     of any probe. A sampler (python3-dbus, one connection) reads it for K
#     pods (default 20) at 4 Hz each and keeps every distinct (pod, probe,
#     at_usec). Two results of the same probe one period apart (interval
#     < 1.5 s) give "interval - period"; longer gaps (a result overwritten by
#     the other probe's before it was sampled) are counted as missed, not used.
#     Both probes of a container are armed together and fire in the same
#     wake-up, so the record is mostly the slower probe's (exec); the readiness
#     figure has fewer samples.
#     tankd schedules the next run at (start of this run + period), so
#     interval - period = late(k+1) + dur(k+1) - dur(k): timer lateness plus
#     the jitter of the run's duration. Its mean is the mean timer lateness
#     exactly; "scheduled time to result" is that plus dur(k) (a few ms), which
#     the status cannot show. To measure that directly tankd would need to
#     export, per probe, due_usec, started_usec and finished_usec of the last
#     run (or a lateness histogram and a run counter in the status JSON).
#   - podman: `podman inspect` of K containers every 2 s (podman keeps the
#     last 5 results, with Start and End): the same "interval - period" from
#     successive End times. Podman's timer (OnUnitInactiveSec=interval, see
#     the timer properties printed) counts the period from the end of the
#     previous check, so for podman this figure is scheduled time to result.
#
#   sudo bench/probes/run.sh [BUILDDIR]      (default: ./build)
#   env: PODS=100 DURATION=60 SAMPLE=60 SAMPLED=20 (smaller for a smoke run)
# Installs podman if it is missing (Debian package). Takes ~8 min with podman
# on 2 CPUs (starting 100 health-checked podman containers is most of it).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)

if [ "${container:-}" != tank-sandbox ]; then
        command -v podman >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman >/dev/null
        exec "$top/tests/sandbox/tank-sandbox" run --name bench-probes --bind "$top" --bind "$build" -- \
                env TANK_SRCDIR="$top" TANK_BUILDDIR="$build" container=tank-sandbox \
                PODS="${PODS:-100}" DURATION="${DURATION:-60}" SAMPLE="${SAMPLE:-60}" SAMPLED="${SAMPLED:-20}" \
                bash "$top/bench/probes/run.sh" "$build"
fi

export TANK_SRCDIR=$top TANK_BUILDDIR=$build
. "$top/tests/system/lib.sh"
. "$top/tests/system/registry-lib.sh"
. "$top/tests/system/tank-lib.sh"
PODS=${PODS:-100} DURATION=${DURATION:-60} SAMPLE=${SAMPLE:-60} SAMPLED=${SAMPLED:-20}
[ "$SAMPLED" -le "$PODS" ] || SAMPLED=$PODS
podman() { command podman --storage-driver=vfs "$@"; }
cleanup() {
        podman rm -f -t 0 $(seq -f 'h%g' 1 "$PODS") >/dev/null 2>&1 || true
        tank_down
}
trap cleanup EXIT
tank_up >/dev/null
hz=$(getconf CLK_TCK)
W=/tmp/bench-probes
mkdir -p $W

# The sandbox's CPU in ns, from its cgroup (the cgroup namespace's root).
sandbox_cpu_ns() {
        local f
        for f in /sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage; do
                [ -r "$f" ] && { cat "$f"; return; }
        done
        awk '/^usage_usec/ { printf "%d\n", $2 * 1000 }' /sys/fs/cgroup/cpu.stat
}
tankd_pid() { systemctl show -P MainPID tankd.service; }
# utime+stime and cutime+cstime, in ticks
tankd_ticks() { awk '{ print $14 + $15, $16 + $17 }' "/proc/$(tankd_pid)/stat"; }
now_s() { date +%s.%N; }
pct() { echo "scale=1; $1 * 100 / $2" | bc; }   # pct CPU_S WALL_S

echo "== bench/probes: $PODS pods/containers, CPU window ${DURATION}s, lateness window ${SAMPLE}s ($SAMPLED sampled)"
echo "   host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; other jobs (a CI run)"
echo "   share the machine: absolute figures are noisy, compare each with its peer from this same run."

# Warm the image cache.
tank_pod_json warm always | tankctl apply -f - >/dev/null
wait_phase warm running 120
tankctl delete warm >/dev/null

# ---- idle baseline ----
c0=$(sandbox_cpu_ns); t0=$(now_s)
sleep "$DURATION"
c1=$(sandbox_cpu_ns); t1=$(now_s)
base_cpu=$(echo "scale=6; ($c1 - $c0) / 1000000000" | bc)
base_wall=$(echo "$t1 - $t0" | bc)
base_rate=$(echo "scale=6; $base_cpu / $base_wall" | bc)     # CPU s per s

# ---- Tank ----
www='mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www'
for i in $(seq 1 "$PODS"); do
        jq -n -c --arg n "p$i" --arg img "$TANK_IMAGE" --arg cmd "$www" '{name: $n, restart: "always",
                containers: [{name: "app", image: $img, command: ["sh", "-c", $cmd],
                        probes: {liveness: {exec: ["true"], period: 1},
                                 readiness: {http: {port: 8080, path: "/"}, period: 1}}}]}'
done | jq -s . >$W/pods.json
ta=$(now_s)
tankctl apply -f $W/pods.json >/dev/null
for i in $(seq 1 "$PODS"); do tankctl wait "p$i" --for=ready --timeout 600 >/dev/null; done
echo "   tank: $PODS pods ready after $(echo "$(now_s) - $ta" | bc | cut -c1-5) s"
sleep 5

read -r u0 ch0 < <(tankd_ticks); c0=$(sandbox_cpu_ns); t0=$(now_s)
sleep "$DURATION"
read -r u1 ch1 < <(tankd_ticks); c1=$(sandbox_cpu_ns); t1=$(now_s)
tank_wall=$(echo "$t1 - $t0" | bc)
tank_self=$(echo "scale=6; ($u1 - $u0) / $hz" | bc)
tank_kids=$(echo "scale=6; ($u1 - $u0 + $ch1 - $ch0) / $hz" | bc)
tank_box=$(echo "scale=6; ($c1 - $c0) / 1000000000 - $base_rate * $tank_wall" | bc)
tank_rss=$(awk '/VmRSS/ {print $2, $3}' "/proc/$(tankd_pid)/status")

# Lateness: sample last_probe of the first SAMPLED pods.
cat >$W/sample-tank.py <<'EOF'
import dbus, json, sys, time
dur, pods = float(sys.argv[1]), sys.argv[2:]
mgr = dbus.Interface(dbus.SystemBus().get_object("org.tank.Tank1", "/org/tank/Tank1"), "org.tank.Tank1.Manager")
seen, end = set(), time.monotonic() + dur
while time.monotonic() < end:
    t = time.monotonic()
    for p in pods:
        spec, status = mgr.Get(p)
        st = json.loads(status)
        st = st.get("status", st)
        for c in st.get("containers", []):
            lp = c.get("last_probe")
            if lp and (p, lp["probe"], lp["at_usec"]) not in seen:
                seen.add((p, lp["probe"], lp["at_usec"]))
                print(p, lp["probe"], lp["at_usec"], int(bool(lp["success"])))
    time.sleep(max(0.0, 0.25 - (time.monotonic() - t)))
EOF
read -r u0 ch0 < <(tankd_ticks); t0=$(now_s)
python3 $W/sample-tank.py "$SAMPLE" $(seq -f 'p%g' 1 "$SAMPLED") >$W/tank.samples
read -r u1 ch1 < <(tankd_ticks); t1=$(now_s)
obs_self=$(echo "scale=6; ($u1 - $u0) / $hz" | bc)
obs_wall=$(echo "$t1 - $t0" | bc)
fails=$(for i in $(seq 1 "$PODS"); do tankctl get "p$i" -o json; done |
        jq -s '[.[].status.containers[].probe_failures // {} | to_entries[].value] | add // 0')
restarts=$(for i in $(seq 1 "$PODS"); do tankctl get "p$i" -o json; done | jq -s '[.[].status.restarts] | add')

# stats_ms NAME [EXTRA] < values in ms: n, p50, p99, max, mean.
stats_ms() {
        sort -n | awk -v name="$1" -v extra="${2:-}" '{ n++; v[n] = $1; sum += $1 }
                END { if (n == 0) { printf "%s n=0 %s\n", name, extra; exit }
                        i99 = int(n * 0.99); if (i99 < 1) i99 = 1
                        printf "%s n=%d p50=%.1f p99=%.1f max=%.1f mean=%.2f %s\n", name, n, v[int((n + 1) * 0.50)],
                                v[i99], v[n], sum / n, extra }'
}
# intervals NAME [MAX] < "key at_usec success" lines: stats of (interval - 1 s)
# in ms over successive results of one key, those under MAX ms only (default
# 500: a longer gap means a result was overwritten before it was sampled).
intervals() {
        sort -k1,1 -k2,2n | awk -v out=$W/values -v max="${2:-500}" '{ if ($1 == k) { d = ($2 - prev) / 1000.0 - 1000;
                        if (d < max) print d >out; else missed++ }
                  k = $1; prev = $2; if ($3 == 0) bad++ }
                END { printf "missed=%d failed=%d\n", missed, bad }' >$W/extra
        touch $W/values
        stats_ms "$1" "$(cat $W/extra)" <$W/values
        rm -f $W/values
}
awk '$2 == "liveness" { print $1 "/" $2, $3, $4 }' $W/tank.samples | intervals tank-liveness >$W/tank.stats
awk '$2 == "readiness" { print $1 "/" $2, $3, $4 }' $W/tank.samples | intervals tank-readiness >>$W/tank.stats
awk '{ print $1 "/" $2, $3, $4 }' $W/tank.samples | intervals tank-all >>$W/tank.stats
tank_mean=$(awk '/^tank-all/ { for (i = 2; i <= NF; i++) if ($i ~ /^mean=/) print substr($i, 6) }' $W/tank.stats)
tank_runs=$(echo "scale=1; $PODS * 2 * $tank_wall * 1000 / (1000 + ${tank_mean:-0})" | bc)

for i in $(seq 1 "$PODS"); do tankctl delete "p$i" >/dev/null; done

# ---- Podman ----
have_podman=0
if command -v podman >/dev/null && podman pull -q --tls-verify=false "$TANK_IMAGE" >/dev/null 2>&1; then
        have_podman=1
        ta=$(now_s)
        for i in $(seq 1 "$PODS"); do
                podman run -d --name "h$i" --network none --health-cmd true --health-interval 1s \
                        "$TANK_IMAGE" sh -c "$www" >/dev/null
        done
        echo "   podman: $PODS containers started after $(echo "$(now_s) - $ta" | bc | cut -c1-5) s"
        id1=$(podman inspect --format '{{.ID}}' h1)
        echo "   podman $(command podman --version | cut -d' ' -f3), health timer of h1: $(systemctl show "$id1.timer" \
                -p TimersMonotonic -p AccuracyUSec 2>/dev/null | sed 's/ *; next_elapse=[^}]*//' | tr '\n' ' ')"
        sleep 5

        c0=$(sandbox_cpu_ns); t0=$(now_s)
        sleep "$DURATION"
        c1=$(sandbox_cpu_ns); t1=$(now_s)
        pod_wall=$(echo "$t1 - $t0" | bc)
        pod_box=$(echo "scale=6; ($c1 - $c0) / 1000000000 - $base_rate * $pod_wall" | bc)
        pod_runs=$(podman events --stream=false --since "$(date -d "@$t0" -Is)" --until "$(date -d "@$t1" -Is)" \
                --filter event=health_status --format '{{.ID}}' 2>/dev/null | wc -l)
        pod_runs_src="health_status events"
        if [ "$pod_runs" -eq 0 ]; then
                pod_runs=$(journalctl -q -o cat --since "@${t0%.*}" --until "@${t1%.*}" 2>/dev/null |
                        grep -c 'Started .*healthcheck run' || true)
                pod_runs_src="systemd \"Started ... healthcheck run\" lines"
        fi

        : >$W/podman.samples
        end=$(( $(date +%s) + SAMPLE ))
        while [ "$(date +%s)" -lt "$end" ]; do
                podman inspect --format '{{.Name}} {{json .State.Health.Log}}' $(seq -f 'h%g' 1 "$SAMPLED") \
                        >>$W/podman.samples 2>/dev/null || true
                sleep 2
        done
        python3 - $W/podman.samples >$W/podman.ends <<'EOF'
import datetime, json, re, sys
def usec(s):  # Go's RFC 3339 with up to 9 fraction digits
    m = re.match(r"(.*T[0-9:]+)(\.\d+)?(.*)$", s)
    frac = (m.group(2) or ".0")[:7]
    tz = m.group(3).replace("Z", "+00:00")
    dt = datetime.datetime.fromisoformat(m.group(1) + frac.ljust(7, "0") + tz)
    return int(dt.timestamp()) * 1000000 + dt.microsecond
seen = set()
for line in open(sys.argv[1]):
    name, _, log = line.strip().partition(" ")
    for e in json.loads(log) or []:
        k = (name, e["End"])
        if k not in seen:
            seen.add(k)
            print(name, usec(e["End"]), int(e["ExitCode"] == 0), usec(e["Start"]))
EOF
        # Every result is seen (5 kept, read every ~2 s): no gap is a missed one.
        intervals podman 1000000 >$W/podman.stats <$W/podman.ends
        # Start of a check - (End of the one before + 1 s): the timer's own lateness.
        sort -k1,1 -k2,2n $W/podman.ends | awk '{ if ($1 == k) print ($4 - prev) / 1000.0 - 1000
                k = $1; prev = $2 }' | stats_ms podman-start-after-end >>$W/podman.stats
fi

# ---- report ----
field() { awk -v f="$2" -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' "$3"; }
echo
echo "== idle baseline: sandbox $(pct "$base_cpu" "$base_wall") % CPU over ${base_wall%.*} s (subtracted below)"
echo "== tank: $PODS pods x (exec liveness + http readiness), period 1 s"
echo "   tankd RSS $tank_rss; observer cost during the lateness window: tankd $(pct "$obs_self" "$obs_wall") % CPU"
echo "   probe failures counted in status: $fails, restarts: $restarts"
sed 's/^/   /' $W/tank.stats
if [ $have_podman = 1 ]; then
        echo "== podman: $PODS containers x --health-cmd true --health-interval 1s"
        echo "   checks in the CPU window: $pod_runs ($pod_runs_src)"
        sed 's/^/   /' $W/podman.stats
fi
echo
echo "interval - period in ms (successive results of one probe); CPU over the ${DURATION} s window, baseline subtracted"
printf '%-34s %14s %14s\n' "" "Tank" "Podman"
pr() { printf '%-34s %14s %14s\n' "$@"; }
pm() { [ $have_podman = 1 ] && echo "$1" || echo "-"; }
pr "probe runs in window" "~$tank_runs" "$(pm "${pod_runs:-0}")"
pr "probe runs per second" "$(echo "scale=1; $tank_runs / $tank_wall" | bc)" "$(pm "$(echo "scale=1; ${pod_runs:-0} / ${pod_wall:-1}" | bc)")"
pr "sandbox CPU % (of one CPU)" "$(pct "$tank_box" "$tank_wall")" "$(pm "$(pct "${pod_box:-0}" "${pod_wall:-1}")")"
pr "tankd CPU % (self)" "$(pct "$tank_self" "$tank_wall")" "-"
pr "tankd CPU % (self + children)" "$(pct "$tank_kids" "$tank_wall")" "-"
pr "sandbox CPU ms per probe" "$(echo "scale=3; $tank_box * 1000 / $tank_runs" | bc)" \
        "$(pm "$(echo "scale=3; ${pod_box:-0} * 1000 / (${pod_runs:-0} + (${pod_runs:-0} == 0))" | bc)")"
# Podman's checks are all exec; Tank's are half exec, half http. Charging all
# of Tank's CPU to its exec probes bounds an exec probe's cost from above.
pr "sandbox CPU ms per exec probe (*)" "$(echo "scale=3; $tank_box * 2000 / $tank_runs" | bc)" \
        "$(pm "$(echo "scale=3; ${pod_box:-0} * 1000 / (${pod_runs:-0} + (${pod_runs:-0} == 0))" | bc)")"
pr "tankd CPU ms per probe (self)" "$(echo "scale=3; $tank_self * 1000 / $tank_runs" | bc)" "-"
pr "tankd CPU ms per probe (+children)" "$(echo "scale=3; $tank_kids * 1000 / $tank_runs" | bc)" "-"
pr "interval - period p50 ms" "$(field tank-all p50 $W/tank.stats)" "$(pm "$(field podman p50 $W/podman.stats)")"
pr "interval - period p99 ms" "$(field tank-all p99 $W/tank.stats)" "$(pm "$(field podman p99 $W/podman.stats)")"
pr "interval - period max ms" "$(field tank-all max $W/tank.stats)" "$(pm "$(field podman max $W/podman.stats)")"
pr "intervals measured" "$(field tank-all n $W/tank.stats)" "$(pm "$(field podman n $W/podman.stats)")"
echo "(*) Tank: all of its CPU charged to the exec half of its probe runs (an upper bound); Podman: its figure above."
