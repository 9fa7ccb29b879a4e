#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pulls people can watch (issue 19): an image of busybox's layer (already in
# the store) and two layers of random bytes, pulled through the registry
# proxy at ~200 KiB/s so that each layer has several updates. Under a real
# PTY (pty-drive.py) tankctl pull draws a bar per layer that reaches 100 %
# for each downloaded layer, with updates before it, and says "exists" for
# the layer the store has; without a PTY it prints one line per layer and
# nothing else on stderr, and the digest on stdout; busctl monitor sees the
# pull object's Progress and Finished signals; apply --wait shows the pull
# that its pod's start makes.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
PROXY=5003
monitor=
trap '[ -n "$monitor" ] && kill "$monitor" 2>/dev/null; tank_down' EXIT
drive() { python3 "$TANK_SRCDIR/tests/system/pty-drive.py" "$@"; }

tank_up "$(printf '[Registry]\nInsecure=127.0.0.1:%s' $PROXY)"
reg_proxy_start $PROXY 5000 || fail "proxy did not start"

# busybox's layer goes into the store first: it "exists" in the pulls below.
tankctl pull -q "$TANK_IMAGE" >/dev/null || fail "pull busybox"
for l in a b; do
        rm -rf "$REG_DIR/progress-$l" && mkdir -p "$REG_DIR/progress-$l"
done
head -c 614400 /dev/urandom >"$REG_DIR/progress-a/a.bin"
head -c 409600 /dev/urandom >"$REG_DIR/progress-b/b.bin"
rm -rf "$REG_DIR/progress-oci"
reg_mkimage "$REG_DIR/progress-oci" --layer "$REG_DIR/busybox-root" --layer "$REG_DIR/progress-a" \
        --layer "$REG_DIR/progress-b" >/dev/null || fail "build the image"
reg_push "$REG_DIR/progress-oci" tank/progress:latest 5000 || fail "push the image"
IMG=127.0.0.1:$PROXY/tank/progress:latest
manifest=$(jq -r '.manifests[0].digest' "$REG_DIR/progress-oci/index.json")
mapfile -t layers < <(jq -r '.layers[].digest | sub("^sha256:"; "") | .[0:12]' \
        "$REG_DIR/progress-oci/blobs/sha256/${manifest#sha256:}")
assert_eq "${#layers[@]}" 3 "layers of the image"
echo "layers: ${layers[*]}"

reg_proxy_mode $PROXY slow
out=$(printf 'wait\n' | drive --cols 120 -- tankctl pull "$IMG") || fail "pull under a PTY: $out"
# What the terminal shows, for the log: every redraw as a line.
echo "$out" | sed 's/\x1b\[[0-9]*[AK]//g' | tr '\r' '\n' | grep -v '^$' | tail -n 20
echo "$out" | grep -q '^EXIT 0' || fail "pull under a PTY did not succeed"
echo "$out" | grep -qE "${layers[0]}: exists" || fail "the stored layer ${layers[0]} is not shown as existing"
for l in "${layers[1]}" "${layers[2]}"; do
        echo "$out" | grep -qE "$l: \[=+\] +[0-9.]+KiB/[0-9.]+KiB +100% " ||
                fail "the bar of layer $l never reached 100 %"
        echo "$out" | grep -qE "$l: \[=*>? *\] +[0-9.]+[KMi]*B/[0-9.]+KiB +([0-9]|[1-9][0-9])% " ||
                fail "layer $l had no update before it was complete"
done
echo "$out" | grep -qP '\x1b\[[0-9]+A' || fail "no redraw in place on a terminal"

# Off a terminal: one line per layer on stderr, the digest on stdout. The
# image goes first (its own layers with it; busybox's stays).
tankctl rmi "$IMG" >/dev/null || fail "rmi"
busctl --system monitor org.tank.Tank1 >/tmp/pull-monitor 2>&1 &
monitor=$!
# The monitor is listening once it sees a call of ours.
wait_for 20 sh -c 'tankctl list >/dev/null; grep -q "Member=List" /tmp/pull-monitor' || fail "busctl monitor saw nothing"
tankctl pull "$IMG" >/tmp/pull-out 2>/tmp/pull-err || fail "pull off a terminal: $(cat /tmp/pull-err)"
echo "stdout: $(cat /tmp/pull-out)"
echo "stderr:"; cat /tmp/pull-err
grep -qE '^sha256:[0-9a-f]{64}$' /tmp/pull-out || fail "no digest on stdout"
assert_eq "$(wc -l </tmp/pull-err)" 3 "lines on stderr off a terminal (one per layer)"
grep -qE "^${layers[0]}: exists$" /tmp/pull-err || fail "no exists line for ${layers[0]}"
grep -qE "^${layers[1]}: complete 60[0-9.]+KiB" /tmp/pull-err || fail "no complete line for ${layers[1]}"
grep -qE "^${layers[2]}: complete 40[0-9.]+KiB" /tmp/pull-err || fail "no complete line for ${layers[2]}"
grep -q $'\x1b' /tmp/pull-err && fail "terminal control sequences off a terminal"

wait_for 10 grep -q "Member=Finished" /tmp/pull-monitor || fail "busctl monitor saw no Finished"
kill "$monitor"; wait "$monitor" 2>/dev/null; monitor=
grep -q "Path=/org/tank/Tank1/pull/" /tmp/pull-monitor || fail "no signal from a pull object"
n=$(grep -c "Member=Progress" /tmp/pull-monitor)
echo "Progress signals seen by busctl monitor: $n"
[ "$n" -ge 5 ] || fail "busctl monitor saw $n Progress signals, expected the layers' updates"

# apply --wait shows the pull its pod's start makes (off a terminal: a line
# per layer), then says the pod runs.
tankctl rmi "$IMG" >/dev/null || fail "rmi before apply"
cat <<EOF2 | tankctl apply -f - --wait --timeout 90 >/tmp/apply-out 2>/tmp/apply-err || fail "apply --wait: $(cat /tmp/apply-err)"
{"name": "progress", "containers": [{"name": "app", "image": "$IMG", "command": ["sleep", "infinity"]}]}
EOF2
echo "apply --wait stderr:"; cat /tmp/apply-err
# (and, waiting for the revision's rollout too, that it was rolled out)
assert_eq "$(sed 's/revision [0-9]*/revision N/' /tmp/apply-out)" "pod/progress applied
pod/progress revision N rolled out
pod/progress running" "apply --wait's output"
grep -qE "^${layers[0]}: exists$" /tmp/apply-err || fail "apply --wait: no exists line for ${layers[0]}"
grep -qE "^${layers[1]}: complete 60[0-9.]+KiB" /tmp/apply-err || fail "apply --wait: no line for ${layers[1]}"
grep -qE "^${layers[2]}: complete 40[0-9.]+KiB" /tmp/apply-err || fail "apply --wait: no line for ${layers[2]}"
tankctl delete progress || fail "delete progress"

# A bad reference is refused before anything starts; a missing image fails
# with the registry's answer.
tankctl pull 'Not/A:Ref!' 2>/tmp/pull-err && fail "pull of an invalid reference succeeded"
grep -q "invalid image reference" /tmp/pull-err || fail "invalid reference: $(cat /tmp/pull-err)"
reg_proxy_mode $PROXY pass
tankctl pull 127.0.0.1:$PROXY/tank/nosuch:latest 2>/tmp/pull-err && fail "pull of a missing image succeeded"
grep -q "nosuch" /tmp/pull-err || fail "missing image: $(cat /tmp/pull-err)"
echo ok
