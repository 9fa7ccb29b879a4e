#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Container output throughput (issue 19): a workload writes N lines of 100
# bytes to stdout. Through Tank's relay (the shim sends each line with
# sd_journal_sendv and the TANK_* fields) beside the floor measured in the
# same run: the same command as a transient service whose stdout is a
# journald stream (systemd-run -p StandardOutput=journal), what the shim
# handed the workload before. Printed: how long the workload ran (its own
# writes, blocked by the journal or not) and how long until the N-th line
# was readable in the journal, both from the start of the workload. Target:
# the relay within 1.5x of the stream on both.
#
#   bench/logs/run.sh [BUILDDIR]      as root on the host; boots a tank-sandbox
#   BENCH_LINES=100000
# Inside a running systemd with tankd up, run it with BENCH_INSIDE=1.

set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${TANK_BUILDDIR:-$SRC}}" && pwd)
LINES=${BENCH_LINES:-100000}

if [ -z "${BENCH_INSIDE:-}" ]; then
        exec "$SRC/tests/sandbox/tank-sandbox" run --name bench-logs --bind "$BUILD" --bind "$SRC" -- \
                env BENCH_INSIDE=1 BENCH_LINES="$LINES" TANK_SRCDIR="$SRC" TANK_BUILDDIR="$BUILD" \
                bash "$SRC/bench/logs/run.sh" "$BUILD"
fi

export TANK_SRCDIR=$SRC TANK_BUILDDIR=$BUILD
. "$SRC/tests/system/lib.sh"
. "$SRC/tests/system/registry-lib.sh"
. "$SRC/tests/system/tank-lib.sh"
if ! busctl --system status org.tank.Tank1 >/dev/null 2>&1; then
        tank_up
        trap 'rc=$?; tank_down; exit $rc' EXIT
fi

# journald's per-unit rate limit (10000 lines per 30 s by default) applies to
# streams and to the relay alike and would drop most of the lines: off here.
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nRateLimitIntervalSec=0\n' >/etc/systemd/journald.conf.d/bench-logs.conf
systemctl restart systemd-journald.service

# 100-byte lines: the counter and padding.
cmd="i=0; while [ \$i -lt $LINES ]; do i=\$((i+1)); printf '%08d %091d\\n' \$i 0; done"
usec() { date +%s%6N; }
count() { journalctl -q -o cat "$@" 2>/dev/null | wc -l; }
wait_lines() { # MATCH...
        local i
        for i in $(seq 600); do
                [ "$(count "$@")" -ge "$LINES" ] && return 0
                sleep 0.2
        done
        echo "only $(count "$@") of $LINES lines of $* reached the journal" >&2
        return 1
}

# The floor: a journald stream, the same busybox sh from the test image's layers.
root=$(mktemp -d)
tankctl pull "$TANK_IMAGE" >/dev/null
layers=$(find /var/lib/tank -path '*/layers/*' -name busybox -type f 2>/dev/null | head -n 1)
bb=${layers:-$(command -v busybox)}
cp "$bb" "$root/busybox"
t0=$(usec)
systemd-run -q --wait -u bench-logs-stream -p StandardOutput=journal -p SyslogIdentifier=benchstream \
        "$root/busybox" sh -c "$cmd"
t1=$(usec)
wait_lines SYSLOG_IDENTIFIER=benchstream
t2=$(usec)
stream_run=$(( (t1 - t0) / 1000 )) stream_seen=$(( (t2 - t0) / 1000 ))

# Tank: started -> exited from the events, then until the last line is readable.
tank_pod_json benchlogs never sh -c "$cmd" >/tmp/benchlogs.json
since=$(date +%s)
tankctl apply -f /tmp/benchlogs.json >/dev/null
wait_phase benchlogs succeeded 600
ev=$(tankctl events --since "@$since" --no-follow --pod benchlogs -o json)
s=$(jq -r 'select(.event == "started") | .time_usec' <<<"$ev" | head -n 1)
e=$(jq -r 'select(.event == "exited") | .time_usec' <<<"$ev" | head -n 1)
wait_lines TANK_POD=benchlogs SYSLOG_IDENTIFIER=app
t2=$(usec)
tank_run=$(( (e - s) / 1000 )) tank_seen=$(( (t2 - s) / 1000 ))

echo "container output, $LINES lines of 100 bytes ($(nproc) CPUs)"
printf '%-22s workload %6d ms   all in the journal %6d ms\n' "journald stream" "$stream_run" "$stream_seen"
printf '%-22s workload %6d ms   all in the journal %6d ms\n' "tank relay" "$tank_run" "$tank_seen"
awk -v a="$tank_run" -v b="$stream_run" -v c="$tank_seen" -v d="$stream_seen" \
        'BEGIN { printf "relay / stream: workload %.2fx, all in the journal %.2fx (target <= 1.5x)\n", a / b, c / d }'
tankctl delete benchlogs >/dev/null
rm -rf "$root"
