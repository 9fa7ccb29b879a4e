#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# [Images] byte limits (issue 13) against a real tankd and registry:
#   - MaxUnpackedLayerSize=: a 70K gzip layer that inflates to 64M is refused by
#     `tankctl pull` and by a pod using it, naming the layer and the limit; busybox
#     (2M) still pulls and runs;
#   - MaxLayerSize=: a 6M (incompressible) layer is refused from the manifest,
#     before its blob is ever requested (a proxy logs every request);
#   - a registry sending more than the manifest declares is cut off;
#   - MaxImageSize=: two layers that fit alone but not together;
#   - extraction enforces them too: an image whose blobs were stored under
#     higher limits (by an older tankd, which did not extract at pull) is
#     refused when a pod starts, and its partial layer removed;
#   - MinFreeSpace= above the file system's free space refuses any pull.
# After each refusal no blob, temp file, layer or image record of that image
# remains.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

DATA=/var/lib/tank
PROXY=5002

# tank_write_config joins its arguments with spaces: one argument, many lines.
tank_up "$(printf '[Registry]\nInsecure=127.0.0.1:%s\n[Images]\nMaxLayerSize=4M\nMaxUnpackedLayerSize=16M\nMaxImageSize=24M' $PROXY)"
reg_proxy_start $PROXY 5000 || fail "proxy did not start"

count() { find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# layer_digest OCI_DIR N: the digest of the manifest's N-th layer.
layer_digest() {
        local m
        m=$(jq -r '.manifests[0].digest' "$1/index.json")
        jq -r ".layers[$2].digest" "$1/blobs/sha256/${m#sha256:}"
}
# Nothing of the image in OCI_DIR is in the data directory.
assert_nothing_left() {
        local oci=$1 b
        for b in "$oci"/blobs/sha256/*; do
                [ ! -e "$DATA/images/blobs/sha256/$(basename "$b")" ] || fail "blob $(basename "$b") of $oci was stored"
        done
        assert_eq "$(count $DATA/images/tmp)" "0" "temp files after the refusal"
        assert_eq "$(count $DATA/layers/sha256)" "$layers_base" "layer directories after the refusal"
        assert_eq "$(count $DATA/images/records/sha256)" "$records_base" "image records after the refusal"
}
# refused_pod NAME IMAGE TEXT: a pod with IMAGE reports TEXT.
refused_pod() {
        printf '{"name": "%s", "restart": "never", "containers": [{"name": "app", "image": "%s", "command": ["true"]}]}\n' \
                "$1" "$2" >/tmp/$1.json
        tankctl apply -f /tmp/$1.json >/dev/null || fail "apply $1 failed"
        wait_for 30 sh -c "tankctl get $1 -o json | jq -r '.status.containers[0].message' | grep -qF -- \"\$0\"" "$3" ||
                { tankctl get "$1" -o json >&2; fail "pod $1 does not report: $3"; }
        echo "pod $1: $(tankctl get "$1" -o json | jq -r '.status.containers[0].message')"
        tankctl delete "$1" >/dev/null || fail "delete $1 failed"
        wait_for 30 sh -c "! tankctl get $1 >/dev/null 2>&1" || fail "pod $1 still there"
}

# A normal image is well within the limits, pulls and runs.
tankctl pull "$TANK_IMAGE" >/dev/null || fail "pull of busybox refused"
tank_pod_json web never true >/tmp/web.json
tankctl apply -f /tmp/web.json >/dev/null || fail "apply web failed"
wait_phase web succeeded 60
tankctl delete web >/dev/null
layers_base=$(count $DATA/layers/sha256)
records_base=$(count $DATA/images/records/sha256)
[ "$layers_base" -ge 1 ] || fail "busybox's layer was not extracted"

# --- MaxUnpackedLayerSize=16M: a small gzip layer inflating to 64M -------------
T=$(mktemp -d /var/tmp/tank-test-limits.XXXXXX)
mkdir -p "$T/bomb/etc"
echo bomb >"$T/bomb/etc/hostname"
head -c 64M /dev/zero >"$T/bomb/zeros"
reg_mkimage "$T/bomb-oci" --layer "$T/bomb" >/dev/null || fail "cannot build the bomb image"
reg_push "$T/bomb-oci" tank/bomb:latest || fail "cannot push the bomb image"
bomb=$(layer_digest "$T/bomb-oci" 0)
size=$(stat -c %s "$T/bomb-oci/blobs/sha256/${bomb#sha256:}")
[ "$size" -lt 1048576 ] || fail "the bomb layer is not small: $size bytes"

want="layer $bomb unpacks to more than MaxUnpackedLayerSize=16M (at entry 'zeros')"
out=$(tankctl pull 127.0.0.1:5000/tank/bomb:latest 2>&1) && fail "pull of the bomb succeeded"
echo "$out" | grep -qF -- "$want" || fail "pull refusal does not say \"$want\": $out"
echo "refused as expected: $out"
assert_nothing_left "$T/bomb-oci"
refused_pod bomb 127.0.0.1:5000/tank/bomb:latest "$want"
assert_nothing_left "$T/bomb-oci"

# --- MaxLayerSize=4M: refused from the manifest, the blob never requested ------
mkdir -p "$T/big"
head -c 6M /dev/urandom >"$T/big/random"
reg_mkimage "$T/big-oci" --layer "$T/big" >/dev/null || fail "cannot build the big image"
reg_push "$T/big-oci" tank/big:latest || fail "cannot push the big image"
big=$(layer_digest "$T/big-oci" 0)
: >"$REG_DIR/proxy-$PROXY.requests"
want="layer $big is more than MaxLayerSize=4M compressed"
out=$(tankctl pull 127.0.0.1:$PROXY/tank/big:latest 2>&1) && fail "pull of the big layer succeeded"
echo "$out" | grep -qF -- "$want" || fail "pull refusal does not say \"$want\": $out"
echo "refused as expected: $out"
grep -q "/tank/big/manifests/" "$REG_DIR/proxy-$PROXY.requests" || fail "the proxy saw no manifest request"
grep -q "blobs/$big" "$REG_DIR/proxy-$PROXY.requests" && fail "the refused layer was requested"
assert_nothing_left "$T/big-oci"
refused_pod big 127.0.0.1:$PROXY/tank/big:latest "$want"
grep -q "blobs/$big" "$REG_DIR/proxy-$PROXY.requests" && fail "the refused layer was requested by the pod"
assert_nothing_left "$T/big-oci"

# --- A registry sending more than the manifest declares is cut off ------------
mkdir -p "$T/small"
head -c 1M /dev/urandom >"$T/small/random"
reg_mkimage "$T/small-oci" --layer "$T/small" >/dev/null || fail "cannot build the small image"
reg_push "$T/small-oci" tank/small:latest || fail "cannot push the small image"
reg_proxy_mode $PROXY grow-blob
out=$(tankctl pull 127.0.0.1:$PROXY/tank/small:latest 2>&1) && fail "pull of an overlong blob succeeded"
small=$(layer_digest "$T/small-oci" 0)
echo "$out" | grep -qE -- "blobs/$small: more data than the expected [0-9]+ bytes" ||
        fail "overlong layer not refused as such: $out"
echo "refused as expected: $out"
assert_nothing_left "$T/small-oci"
reg_proxy_mode $PROXY pass
tankctl pull 127.0.0.1:$PROXY/tank/small:latest >/dev/null || fail "pull of the small image failed"
records_base=$((records_base + 1))
layers_base=$(count $DATA/layers/sha256)

# --- MaxImageSize=24M unpacked: two 14M layers, each fine alone -----------------
mkdir -p "$T/l1" "$T/l2"
head -c 14M /dev/zero >"$T/l1/one"
head -c 14M /dev/zero >"$T/l2/two"
reg_mkimage "$T/two-oci" --layer "$T/l1" --layer "$T/l2" >/dev/null || fail "cannot build the two-layer image"
reg_push "$T/two-oci" tank/two:latest || fail "cannot push the two-layer image"
out=$(tankctl pull 127.0.0.1:5000/tank/two:latest 2>&1) && fail "pull of the two-layer image succeeded"
# Layers are scanned in parallel: either one can be the one that crosses.
echo "$out" | grep -qE -- "layer sha256:[0-9a-f]{64} brings the image past MaxImageSize=24M unpacked" ||
        fail "pull refusal does not name MaxImageSize=24M: $out"
echo "refused as expected: $out"
assert_nothing_left "$T/two-oci"

# --- Extraction enforces the limits too: an image pulled under higher ones ------
mkdir -p /etc/tank/tank.conf.d
printf '[Images]\nMaxUnpackedLayerSize=128M\nMaxImageSize=256M\n' >/etc/tank/tank.conf.d/40-high.conf
systemctl restart tankd.service || fail "tankd did not restart"
tank_wait_bus 60
tankctl pull 127.0.0.1:5000/tank/bomb:latest >/dev/null || fail "pull of the bomb under higher limits failed"
# The pull extracted it (pull.h); an older tankd's pull left only the blobs.
assert_eq "$(count $DATA/layers/sha256)" "$((layers_base + 1))" "layer directories after the pull"
m=$(jq -r '.manifests[0].digest' "$T/bomb-oci/index.json")
c=$(jq -r '.config.digest' "$T/bomb-oci/blobs/sha256/${m#sha256:}")
bomb_diff=$(jq -r '.rootfs.diff_ids[0]' "$T/bomb-oci/blobs/sha256/${c#sha256:}")
[ -d "$DATA/layers/sha256/${bomb_diff#sha256:}" ] || fail "the pull did not extract the bomb's layer"
rm -rf "$DATA/layers/sha256/${bomb_diff#sha256:}"
assert_eq "$(count $DATA/layers/sha256)" "$layers_base" "layer directories as an older tankd left them"
rm /etc/tank/tank.conf.d/40-high.conf
systemctl restart tankd.service || fail "tankd did not restart"
tank_wait_bus 60
refused_pod late 127.0.0.1:5000/tank/bomb:latest \
        "layer $bomb unpacks to more than MaxUnpackedLayerSize=16M (at entry 'zeros')"
# The partial layer is gone; the image stays pulled until removed.
assert_eq "$(count $DATA/layers/sha256)" "$layers_base" "layer directories after the refused extraction"
tankctl rmi 127.0.0.1:5000/tank/bomb:latest >/dev/null || fail "rmi of the bomb failed"
assert_nothing_left "$T/bomb-oci"

# --- MinFreeSpace= above the free space: every pull is refused -------------------
avail=$(df --output=avail -B1G "$DATA" | tail -1 | tr -d ' ')
floor=$((avail + 10))G
printf '[Images]\nMinFreeSpace=%s\n' "$floor" >/etc/tank/tank.conf.d/50-free.conf
systemctl restart tankd.service || fail "tankd did not restart"
tank_wait_bus 60
want="pull of 127.0.0.1:5000/tank/bomb:latest refused: the data directory's file system has"
out=$(tankctl pull 127.0.0.1:5000/tank/bomb:latest 2>&1) && fail "pull below MinFreeSpace= succeeded"
echo "$out" | grep -qF -- "$want" || fail "pull refusal does not say \"$want\": $out"
echo "refused as expected: $out"
echo "$out" | grep -qF -- "less than MinFreeSpace=$floor" || fail "pull refusal does not name MinFreeSpace=$floor: $out"
assert_nothing_left "$T/bomb-oci"
refused_pod free 127.0.0.1:5000/tank/bomb:latest "less than MinFreeSpace=$floor"
assert_nothing_left "$T/bomb-oci"
rm -f /etc/tank/tank.conf.d/50-free.conf
rm -rf "$T"
