#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Standalone store mode under a real systemd: the first start creates the etcd
# unit and waits until healthy; kill -9 of etcd: the client reports the store
# down, systemd restarts it, the watch resumes without a missed or repeated
# event; a second start adopts the running unit instead of restarting it.
# The sockets are root's only: a 0700 directory (tightened if it was not) and
# UMask=0077, whatever the umask of the caller.
set -eu
. "$(dirname "$0")/lib.sh"

DRIVER=$TANK_BUILDDIR/tests/system/store-driver
[ -x "$DRIVER" ] || fail "no $DRIVER (make check builds it)"

UNIT=tank-etcd-test.service
T=$(mktemp -d /tmp/tank-store-standalone.XXXXXX)
RUN=$T/run
WATCH_PID=""
cleanup() {
        [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
        systemctl stop "$UNIT" 2>/dev/null || :
        systemctl reset-failed "$UNIT" 2>/dev/null || :
        wait 2>/dev/null || :
        rm -rf "$T"
}
trap cleanup EXIT
systemctl stop "$UNIT" 2>/dev/null || :

echo "== first start creates the unit"
# Only the socket directory is to stand between other users and the socket.
chmod 755 "$T"
mkdir -p -m 755 "$RUN/etcd"
out=$(umask 000 && "$DRIVER" standalone "$RUN" "$T/store" "$UNIT") || fail "standalone start: $out"
assert_eq "$out" "READY unix://$RUN/etcd/etcd.sock:0 created" "first start"
EP=unix://$RUN/etcd/etcd.sock:0
SOCK=$RUN/etcd/etcd.sock:0
systemctl is-active -q "$UNIT" || fail "$UNIT not active"
systemctl show -P Description "$UNIT" | grep -q "Tank desired-state store" || fail "no description"
systemctl show -P ExecStart "$UNIT" | grep -q -- "--quota-backend-bytes" || fail "no quota"
systemctl show -P ExecStart "$UNIT" | grep -q -- "--auto-compaction-retention" || fail "no auto-compaction"
[ -d "$T/store/member" ] || fail "no etcd data under the store directory"
"$DRIVER" crud "$EP" | grep -qx "crud ok" || fail "crud"

echo "== the sockets are root's only"
assert_eq "$(stat -c %a "$RUN/etcd")" 700 "socket directory mode"
assert_eq "$(systemctl show -P UMask "$UNIT")" 0077 "etcd's UMask"
[ -S "$SOCK" ] || fail "no client socket at $SOCK"
[ $((0$(stat -c %a "$SOCK") & 077)) -eq 0 ] || fail "client socket mode $(stat -c %a "$SOCK")"
[ $((0$(stat -c %a "$RUN/etcd/etcd-peer.sock:0") & 077)) -eq 0 ] || fail "peer socket mode"
curl -sS --max-time 5 --unix-socket "$SOCK" http://localhost/version >/dev/null || fail "root cannot reach the store"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        curl -sS --max-time 5 --unix-socket "$SOCK" http://localhost/version 2>&1) && fail "nobody reached the store: $out"

echo "== a second start adopts the running unit"
pid1=$(systemctl show -P MainPID "$UNIT")
out=$("$DRIVER" standalone "$RUN" "$T/store" "$UNIT") || fail "standalone adopt: $out"
assert_eq "$out" "READY $EP adopted" "second start"
assert_eq "$(systemctl show -P MainPID "$UNIT")" "$pid1" "etcd was restarted instead of adopted"

echo "== kill -9 etcd: systemd restarts it, the watch resumes"
"$DRIVER" watch "$EP" /s/ >"$T/watch.out" 2>"$T/watch.err" &
WATCH_PID=$!
wait_for 10 grep -q '^RESYNC 0 ' "$T/watch.out" || fail "watch did not start: $(cat "$T/watch.err")"
"$DRIVER" write "$EP" /s/a 20 >"$T/write-a.out"
kill -9 "$pid1"
wait_for 10 grep -q '^DOWN ' "$T/watch.out" || fail "store down not reported"
wait_for 30 sh -c "[ \"\$(systemctl show -P MainPID $UNIT)\" != 0 ] && [ \"\$(systemctl show -P MainPID $UNIT)\" != $pid1 ]" ||
        fail "systemd did not restart etcd"
# the writer retries until the restarted etcd answers
"$DRIVER" write "$EP" /s/b 20 >"$T/write-b.out"
wait_for 20 grep -q '^PUT /s/b000019 ' "$T/watch.out" || { cat "$T/watch.out"; fail "watch did not resume"; }
grep -q '^UP$' "$T/watch.out" || fail "recovery not reported"
assert_eq "$(grep -c '^PUT ' "$T/watch.out")" 40 "PUT events"
assert_eq "$(grep '^PUT ' "$T/watch.out" | awk '{print $3}' | sort | uniq -d | wc -l)" 0 "duplicate events"
for f in write-a write-b; do
        grep '^ACK ' "$T/$f.out" | while read -r _ key rev; do
                grep -q "^PUT $key $rev " "$T/watch.out" || fail "acked $key@$rev not seen by the watch"
        done
done
[ "$(systemctl show -P NRestarts "$UNIT")" -ge 1 ] || fail "NRestarts not counted"
echo "ok"
