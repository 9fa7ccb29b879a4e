#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Image garbage collection (issue 4) against a real tankd and registry: two
# images share the busybox layer; `images` names the pod that uses one; rmi of
# a used image is refused naming the pod; rmi of the other removes its record
# but keeps the shared layer; after the pod is gone, `image prune` empties the
# blob, record and layer directories.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

USER_IMAGE=127.0.0.1:5000/tank/busybox-user:latest
DATA=/var/lib/tank

tank_up

count() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l; }

# The data directory outlives the tests before this one (test-examples-run
# leaves its images): start from none.
tankctl image prune >/dev/null || fail "the first image prune failed"
assert_eq "$(count $DATA/images/records/sha256)" "0" "records before the pulls: $(tankctl images)"

tankctl pull "$TANK_IMAGE" >/dev/null || fail "pull $TANK_IMAGE failed"
user_digest=$(tankctl pull "$USER_IMAGE") || fail "pull $USER_IMAGE failed"
assert_eq "$(count $DATA/images/records/sha256)" "2" "records after two pulls"
tank_pod_json web always >/tmp/web.json
tankctl apply -f /tmp/web.json || fail "apply failed"
wait_phase web running 60
# Layers are extracted when a container starts; busybox-user's is the same one.
layers_before=$(count $DATA/layers/sha256)
[ "$layers_before" -ge 1 ] || fail "no layer extracted"

# images lists both, with the pod on the one it runs.
out=$(tankctl images) || fail "images failed"
echo "$out" | head -1 | grep -q 'PODS' || fail "no PODS column: $out"
echo "$out" | grep -E "^${TANK_IMAGE//./\\.} .* web\$" >/dev/null || fail "images does not show web on busybox: $out"
echo "$out" | grep -E "^${USER_IMAGE//./\\.} .* -\$" >/dev/null || fail "busybox-user should have no pods: $out"
n=$(busctl --system --json=short call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ImagesWithUsers |
        jq '.data[0] | length')
assert_eq "$n" "2" "ImagesWithUsers entries"

# The used image is refused, naming the pod; nothing is removed.
out=$(tankctl rmi "$TANK_IMAGE" 2>&1) && fail "rmi of a used image succeeded"
echo "$out" | grep -q 'used by pod web' || fail "refusal does not name the pod: $out"
assert_eq "$(count $DATA/images/records/sha256)" "2" "records after the refused rmi"

# The unused one goes; the layer it shares with busybox stays, the pod runs on.
out=$(tankctl rmi "$USER_IMAGE") || fail "rmi $USER_IMAGE failed: $out"
echo "$out" | grep -q "Deleted: $user_digest" || fail "rmi did not report $user_digest: $out"
assert_eq "$(count $DATA/images/records/sha256)" "1" "records after rmi"
[ ! -e "$DATA/images/blobs/sha256/${user_digest#sha256:}" ] || fail "manifest blob of the removed image is still there"
assert_eq "$(count $DATA/layers/sha256)" "$layers_before" "layers after rmi (shared layer kept)"
tankctl images | grep -q busybox-user && fail "busybox-user still listed"
out=$(tankctl rmi "$USER_IMAGE" 2>&1) && fail "second rmi succeeded"
echo "$out" | grep -q 'no such image' || fail "unclear error for a missing image: $out"
tankctl delete web >/dev/null || fail "delete failed"
wait_for 30 sh -c '! tankctl get web >/dev/null 2>&1' || fail "pod still there after delete"
# A stopping container still holds its image; it is free once the scope is gone.
wait_for 30 sh -c '! tankctl images | grep -q " web\$"' || { tankctl images; fail "busybox still used after delete"; }

# With the pod gone, prune empties records, tags, blobs and layers.
out=$(tankctl image prune) || fail "image prune failed: $out"
echo "$out" | grep -q '^Deleted: sha256:' || { tankctl images; journalctl -u tankd --no-pager | tail -20; fail "prune reported nothing: $out"; }
assert_eq "$(count $DATA/images/records/sha256)" "0" "records after prune"
assert_eq "$(count $DATA/images/blobs/sha256)" "0" "blobs after prune"
assert_eq "$(count $DATA/layers/sha256)" "0" "layers after prune"
assert_eq "$(ls $DATA/images/tags | wc -l)" "0" "tags after prune"
tankctl images | grep -q 'No images.' || fail "images not empty after prune"

# Usage errors are usage errors.
tankctl rmi >/dev/null 2>&1; assert_eq "$?" "2" "rmi without argument"
tankctl image frobnicate >/dev/null 2>&1; assert_eq "$?" "2" "image with an unknown subcommand"
