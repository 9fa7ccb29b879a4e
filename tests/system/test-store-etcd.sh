#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The store client against a real single etcd on a unix socket: CRUD and txn
# semantics; a watch that survives kill -9 + restart of etcd with no event
# missed or repeated; compaction past the watch's revision -> re-list + resync;
# a wrong endpoint and a TLS failure give clear errors.
set -eu
. "$(dirname "$0")/lib.sh"

DRIVER=$TANK_BUILDDIR/tests/system/store-driver
[ -x "$DRIVER" ] || fail "no $DRIVER (make check builds it)"

T=$(mktemp -d /tmp/tank-store-test.XXXXXX)
ETCD_PID=""
WATCH_PID=""
cleanup() {
        [ -n "$WATCH_PID" ] && kill -CONT "$WATCH_PID" 2>/dev/null; [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
        [ -n "$ETCD_PID" ] && kill -9 "$ETCD_PID" 2>/dev/null
        wait 2>/dev/null || :
        rm -rf "$T"
}
trap cleanup EXIT

PEER_PORT=$(( 21000 + RANDOM % 8000 ))
SOCK=$T/etcd.sock:0
EP=unix://$SOCK

start_etcd() {
        rm -f "$SOCK"       # etcd does not remove a stale socket of a killed instance
        (cd "$T" && exec etcd --name t --data-dir "$T/data" \
                --listen-client-urls unix://etcd.sock:0 --advertise-client-urls unix://etcd.sock:0 \
                --listen-peer-urls http://127.0.0.1:$PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$PEER_PORT \
                --initial-cluster t=http://127.0.0.1:$PEER_PORT >>"$T/etcd.log" 2>&1) &
        ETCD_PID=$!
        wait_for 20 etcdctl --endpoints="$EP" endpoint health || { cat "$T/etcd.log"; fail "etcd did not start"; }
}

head_revision() {
        etcdctl --endpoints="$EP" endpoint status -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p'
}

export ETCDCTL_API=3
start_etcd

echo "== crud and txn"
"$DRIVER" crud "$EP" | grep -qx "crud ok" || fail "crud"

echo "== watch across kill -9 of etcd"
"$DRIVER" watch "$EP" /w/ >"$T/watch.out" 2>"$T/watch.err" &
WATCH_PID=$!
wait_for 10 grep -q '^RESYNC 0 ' "$T/watch.out" || fail "watch did not start: $(cat "$T/watch.err")"
"$DRIVER" write "$EP" /w/a 50 >"$T/write-a.out"
kill -9 "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || :
sleep 0.5
start_etcd
# written while the watcher is still reconnecting: only a resume delivers these
"$DRIVER" write "$EP" /w/b 50 >"$T/write-b.out"
etcdctl --endpoints="$EP" del /w/a000007 >/dev/null
wait_for 20 grep -q '^DELETE /w/a000007 ' "$T/watch.out" || { cat "$T/watch.out"; fail "watch did not resume"; }
grep -q '^DOWN ' "$T/watch.out" || fail "store down was not reported"
grep -q '^UP$' "$T/watch.out" || fail "store up was not reported after recovery"
grep -q '^BROKEN ' "$T/watch.out" || fail "the stream break was not reported"
puts=$(grep -c '^PUT ' "$T/watch.out")
assert_eq "$puts" 100 "PUT events"
dups=$(grep -E '^(PUT|DELETE) ' "$T/watch.out" | awk '{print $3}' | sort | uniq -d | wc -l)
assert_eq "$dups" 0 "events delivered twice"
grep -E '^(PUT|DELETE) ' "$T/watch.out" | awk '{print $3}' | sort -c -n || fail "events out of order"
# every acknowledged write arrived with its revision
for f in write-a write-b; do
        grep '^ACK ' "$T/$f.out" | while read -r _ key rev; do
                grep -q "^PUT $key $rev " "$T/watch.out" || fail "acked $key@$rev not seen by the watch"
        done
done

echo "== compaction past the watch revision"
kill -STOP "$WATCH_PID"
kill -9 "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || :
start_etcd
"$DRIVER" write "$EP" /w/c 10 >/dev/null
etcdctl --endpoints="$EP" del /w/b000000 >/dev/null
rev=$(head_revision)
etcdctl --endpoints="$EP" compact --physical "$rev" >/dev/null
kill -CONT "$WATCH_PID"
wait_for 20 grep -q "^RESYNC 108 $rev\$" "$T/watch.out" || { grep -v "^KV" "$T/watch.out" | tail; echo rev=$rev; fail "no resync after compaction"; }
"$DRIVER" write "$EP" /w/d 1 >/dev/null
wait_for 10 grep -q '^PUT /w/d000000 ' "$T/watch.out" || fail "watch did not continue after the resync"
! grep -q '^PUT /w/c' "$T/watch.out" || fail "compacted events must come through the resync, not as events"

echo "== wrong endpoint"
out=$("$DRIVER" get http://127.0.0.1:1 /x 2>&1) && fail "get from a wrong endpoint succeeded"
echo "$out" | grep -q 'store unreachable: http://127.0.0.1:1: Connection refused' || fail "unclear error: $out"
out=$("$DRIVER" get "unix://$T/nothing" /x 2>&1) && fail "get from a missing socket succeeded"
echo "$out" | grep -q "store unreachable: unix://$T/nothing: No such file or directory" || fail "unclear error: $out"
out=$("$DRIVER" get "ftp://127.0.0.1:1" /x 2>&1) && fail "a bogus endpoint was accepted"
echo "$out" | grep -q 'invalid store endpoint' || fail "unclear error: $out"

echo "== TLS: a server certificate from a CA we do not trust"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tank-test-ca -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other-ca -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 1 -extfile "$T/ext" -out "$T/srv.crt" 2>/dev/null
TLS_PORT=$(( PEER_PORT + 1 ))
TLS_PEER=$(( PEER_PORT + 2 ))
etcd --name tls --data-dir "$T/tls-data" --cert-file "$T/srv.crt" --key-file "$T/srv.key" \
        --listen-client-urls https://127.0.0.1:$TLS_PORT --advertise-client-urls https://127.0.0.1:$TLS_PORT \
        --listen-peer-urls http://127.0.0.1:$TLS_PEER --initial-advertise-peer-urls http://127.0.0.1:$TLS_PEER \
        --initial-cluster tls=http://127.0.0.1:$TLS_PEER >"$T/etcd-tls.log" 2>&1 &
TLS_PID=$!
wait_for 20 "$DRIVER" --ca "$T/ca.crt" get https://127.0.0.1:$TLS_PORT /x || { kill -9 $TLS_PID; fail "TLS etcd did not start"; }
out=$("$DRIVER" --ca "$T/other.crt" get https://127.0.0.1:$TLS_PORT /x 2>&1) && { kill -9 $TLS_PID; fail "untrusted server accepted"; }
kill -9 $TLS_PID
echo "$out" | grep -q "store unreachable: https://127.0.0.1:$TLS_PORT: .*certificate" || fail "unclear TLS error: $out"
echo "ok"
