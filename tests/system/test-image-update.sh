#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Image auto-update (issue 16), against the local registry: a pod follows
# 127.0.0.1:5000/tank/app:stable with "image_update": "registry". Retagging
# :stable to a new healthy image: tankctl update --dry-run lists it, tankctl
# update pins the new digest in a new revision (cause image-update) and the
# pod runs it; an Apply of the plain tag keeps the pin. Retagging to an image
# whose workload exits: the update is reverted (cause rollback) and the
# broken digest is not tried again, until the tag moves once more. A
# registry that cannot be reached fails nothing that runs.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

# A long period: the checks of this test are the ones it asks for.
tank_up "[Rollout]
UpdateCheckSec=1h"

REPO=127.0.0.1:5000/tank/app
IMAGE=$REPO:stable

# push_variant NAME: the busybox image with /etc/variant = NAME as :stable;
# prints the digest the registry has for the tag.
push_variant() {
        rm -rf "$REG_DIR/v-$1-root" "$REG_DIR/v-$1-oci"
        cp -a "$REG_DIR/busybox-root" "$REG_DIR/v-$1-root"
        echo "$1" >"$REG_DIR/v-$1-root/etc/variant"
        reg_mkimage "$REG_DIR/v-$1-oci" --layer "$REG_DIR/v-$1-root" >/dev/null || fail "mkimage $1"
        reg_push "$REG_DIR/v-$1-oci" tank/app:stable || fail "push $1"
        skopeo inspect --tls-verify=false "docker://$IMAGE" | jq -r .Digest
}
# Exits at once in a "broken" image, else runs.
CMD='if grep -q broken /etc/variant; then exit 3; fi; exec sleep infinity'
pod() {
        jq -n -c --arg img "${1:-$IMAGE}" --arg cmd "$CMD" \
                '{name: "up", rollout: {min_healthy_sec: 2, deadline_sec: 20},
                  containers: [{name: "app", image: $img, command: ["sh", "-c", $cmd], image_update: "registry"}]}'
}
revision() { tankctl get up -o json | jq -r .status.revision; }
spec_image() { tankctl get up -o json | jq -r '.spec.containers[0].image'; }
running_digest() { container_field up app image_digest; }
wait_rollout() {
        wait_for 60 sh -c "tankctl get up -o json |
                jq -e '.status.rollout.revision > $1 and .status.rollout.result == \"$2\"' >/dev/null" ||
                { tankctl get up >&2; tankctl rollout history up >&2; journalctl -u tankd --no-pager | tail -30 >&2;
                  fail "no rollout after revision $1 became $2"; }
}
wait_history() {
        wait_for 30 sh -c "tankctl rollout history up | awk -v r=$1 '\$1 == r' | grep -qE '$2'" ||
                { tankctl rollout history up >&2; fail "history: revision $1 never matched /$2/"; }
}

# --- validation at apply, with the JSON path ---
out=$(jq -n -c '{name: "bad", containers: [{name: "app", image: "127.0.0.1:5000/tank/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", image_update: "registry"}]}' |
        tankctl apply -f - 2>&1) && fail "image_update with a digest-only reference was accepted"
echo "$out" | grep -q 'containers\[0\].image_update: "registry" requires an image reference with a tag' ||
        fail "digest-only refusal: $out"
out=$(jq -n -c '{name: "bad", containers: [{name: "app", image: "busybox", image_update: "daily"}]}' |
        tankctl apply -f - 2>&1) && fail "image_update \"daily\" was accepted"
echo "$out" | grep -q 'containers\[0\].image_update: expected "off" or "registry"' || fail "unknown value: $out"

# --- v1 runs; nothing to update ---
d1=$(push_variant good1)
out=$(pod | tankctl apply -f - --wait --timeout=90 2>&1) || fail "apply v1: $out"
r1=$(revision)
assert_eq "$(running_digest)" "$d1" "v1's digest"
assert_eq "$(tankctl update --dry-run)" "" "dry run with the tag where it was"

# --- :stable moves to a healthy image: listed, then rolled out pinned ---
d2=$(push_variant good2)
[ "$d2" != "$d1" ] || fail "the two images have one digest"
out=$(tankctl update --dry-run) || fail "update --dry-run: $out"
echo "$out" | head -1 | grep -qE '^POD +CONTAINER +IMAGE +CURRENT +AVAILABLE$' || fail "dry run header: $out"
echo "$out" | grep -qE "^up +app +$IMAGE +$d1 +$d2\$" || fail "dry run did not list the update: $out"
assert_eq "$(revision)" "$r1" "the revision after a dry run"
out=$(tankctl update) || fail "update: $out"
echo "$out" | grep -qE "^up +app +$IMAGE +$d1 +$d2\$" || fail "update did not list the update: $out"
r2=$(revision)
[ "$r2" -gt "$r1" ] || fail "no new revision after the update"
assert_eq "$(spec_image)" "$IMAGE@$d2" "the spec pins the new digest"
wait_rollout "$r1" succeeded
assert_eq "$(tankctl get up -o json | jq -r '.status.rollout.revision, .status.rollout.cause' | tr '\n' ' ')" \
        "$r2 image-update " "the update's rollout"
assert_eq "$(running_digest)" "$d2" "the digest running after the update"
tankctl exec up -- cat /etc/variant | grep -qx good2 || fail "the new image does not run"
wait_history "$r2" "image-update .*succeeded"
assert_eq "$(tankctl update --dry-run)" "" "dry run after the update"

# --- an Apply of the plain tag keeps the pin: no downgrade, no restart ---
pid=$(scope_pid up)
pod | tankctl apply -f - >/dev/null || fail "re-apply of the plain tag"
assert_eq "$(spec_image)" "$IMAGE@$d2" "the spec after an Apply of the plain tag"
assert_eq "$(scope_pid up)" "$pid" "the container after an Apply of the plain tag"
r3=$(revision)

# --- :stable moves to a broken image: reverted, and not tried again ---
d3=$(push_variant broken)
out=$(tankctl update) || fail "update to the broken image: $out"
echo "$out" | grep -qE "^up +app +$IMAGE +$d2 +$d3\$" || fail "update did not list the broken image: $out"
r4=$(revision)
[ "$r4" -gt "$r3" ] || fail "no revision for the broken image"
wait_history "$r4" "image-update .*reverted"
wait_rollout "$r4" succeeded
assert_eq "$(tankctl get up -o json | jq -r .status.rollout.cause)" rollback "the revert's cause"
r5=$(revision)
assert_eq "$(spec_image)" "$IMAGE@$d2" "the spec after the revert"
wait_for 30 sh -c "[ \"\$(tankctl get up -o json | jq -r '.status.containers[0].image_digest')\" = $d2 ]" ||
        fail "the good digest does not run again after the revert"
assert_eq "$(tankctl update --dry-run)" "" "dry run with the broken digest still on the tag"
assert_eq "$(tankctl update)" "" "update with the broken digest still on the tag"
assert_eq "$(revision)" "$r5" "the revision after checks of the broken digest"

# --- the tag moves again: offered again ---
d4=$(push_variant good4)
out=$(tankctl update --dry-run) || fail "update --dry-run: $out"
echo "$out" | grep -qE "^up +app +$IMAGE +$d2 +$d4\$" || fail "dry run after the tag moved again: $out"

# --- a registry that cannot be reached: logged, nothing that runs is touched ---
pid=$(scope_pid up)
reg_cleanup
out=$(tankctl update) || fail "update with the registry down failed: $out"
assert_eq "$out" "" "update with the registry down"
journalctl -u tankd --no-pager | grep -q "Image update: cannot check $IMAGE" || fail "the unreachable registry was not logged"
assert_eq "$(revision)" "$r5" "the revision with the registry down"
assert_eq "$(scope_pid up)" "$pid" "the container with the registry down"
exit 0
