#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A pull leaves the image ready to run (issue 12, defect 9), against a real
# tankd and registry:
#   - `tankctl pull` of an image with a hostile layer (a `../x` entry) fails,
#     naming the entry; no record, blob, temp file or layer of it remains,
#     also not the good layer below it;
#   - `tankctl pull` of a good image extracts its layer into
#     /var/lib/tank/layers/ before any pod uses it;
#   - a pod still extracts what is missing (an image pulled by an older tankd,
#     which only stored the blobs) and runs.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
T=$(mktemp -d /var/tmp/tank-test-ready.XXXXXX)
trap 'tank_down; rm -rf "$T"' EXIT

DATA=/var/lib/tank
tank_up

count() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l; }
# diff_id_hex OCI_DIR N: the hex of the config's N-th diff_id.
diff_id_hex() {
        local m c
        m=$(jq -r '.manifests[0].digest' "$1/index.json")
        c=$(jq -r '.config.digest' "$1/blobs/sha256/${m#sha256:}")
        jq -r ".rootfs.diff_ids[$2]" "$1/blobs/sha256/${c#sha256:}" | sed 's/^sha256://'
}

# --- a hostile layer fails the pull, naming the entry -----------------------------
mkdir -p "$T/good"
echo fine >"$T/good/fine"
python3 - "$T/evil.tar" <<'PYEOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("etc/ok", b"ok\n"), ("../x", b"escaped\n")):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PYEOF
reg_mkimage "$T/evil-oci" --layer "$T/good" --layer-tar "$T/evil.tar" >/dev/null || fail "cannot build the hostile image"
reg_push "$T/evil-oci" tank/evil:latest || fail "cannot push the hostile image"
records_base=$(count $DATA/images/records/sha256)
layers_base=$(count $DATA/layers/sha256)
out=$(tankctl pull 127.0.0.1:5000/tank/evil:latest 2>&1) && fail "pull of the hostile image succeeded: $out"
echo "refused as expected: $out"
echo "$out" | grep -qF -- "'../x'" || fail "the refusal does not name the entry '../x': $out"
echo "$out" | grep -qE -- "layer sha256:[0-9a-f]{64}" || fail "the refusal does not name the layer: $out"
assert_eq "$(count $DATA/images/records/sha256)" "$records_base" "image records after the refusal"
assert_eq "$(count $DATA/layers/sha256)" "$layers_base" "layer directories after the refusal"
assert_eq "$(count $DATA/images/tmp)" "0" "temp files after the refusal"
for b in "$T"/evil-oci/blobs/sha256/*; do
        [ ! -e "$DATA/images/blobs/sha256/$(basename "$b")" ] || fail "blob $(basename "$b") of the hostile image was stored"
done
[ ! -e "$DATA/layers/x" ] && [ ! -e "$DATA/x" ] || fail "the entry ../x escaped"
tankctl images | grep -q 'tank/evil' && fail "tankctl images lists the refused image"

# --- a good image is extracted by the pull, before any pod ------------------------
hex=$(diff_id_hex "$REG_DIR/busybox-oci" 0)
[ -n "$hex" ] || fail "no diff_id for busybox"
# Earlier tests in this sandbox pulled busybox too: start from none.
tankctl image prune >/dev/null || fail "image prune"
[ ! -e "$DATA/layers/sha256/$hex" ] || fail "busybox's layer is there before the pull"
tankctl pull "$TANK_IMAGE" >/dev/null || fail "pull of busybox failed"
[ -x "$DATA/layers/sha256/$hex/root/bin/busybox" ] || fail "the pull did not extract busybox's layer"
echo "pulled and extracted: layers/sha256/$hex"

# --- a pod extracts what is missing: an image an older tankd pulled ---------------
rm -rf "$DATA/layers/sha256/$hex"
tank_pod_json web always >/tmp/web.json
tankctl apply -f /tmp/web.json >/dev/null || fail "apply web failed"
wait_phase web running 60
[ -x "$DATA/layers/sha256/$hex/root/bin/busybox" ] || fail "the pod did not extract the missing layer"
echo "ok: a pod extracted the layer the pull had not"
