#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Health-gated rollouts with automatic rollback (issue 16), with real busybox
# pods against the local registry: v1 healthy; v2 whose server answers 500 to
# its readiness probe is reverted at its deadline and apply --wait fails
# naming why; v2 that exits at once is reverted; v3 succeeds after
# min_healthy_sec; rollout history shows every revision with its cause and
# result; rollout undo writes an earlier spec back as a new revision; image
# prune during a rollout keeps the previous revision's image; tankd killed
# with -9 in the middle of a rollout judges it on after its restart (and
# reverts it at the deadline) without ever running two of the container;
# without auto_revert a failed revision stays, and apply --wait says why.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up
since=$(date +%s)

USER_IMAGE=127.0.0.1:5000/tank/busybox-user:latest

# pod MODE [IMAGE [CMD [PROBES]]]: the server's answer is MODE's ("bad": 500).
SERVE='mkdir -p /w/cgi-bin; echo "$MODE" >/w/mode
printf "#!/bin/sh\nif [ \"\$(cat /w/mode)\" = bad ]; then printf \"Status: 500 Broken\\\\r\\\\n\\\\r\\\\nbroken\\\\n\"; else printf \"Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nok\\\\n\"; fi\n" >/w/cgi-bin/h
chmod +x /w/cgi-bin/h
exec httpd -f -p 127.0.0.1:8080 -h /w'
HTTP_READY='{"readiness": {"http": {"port": 8080, "path": "/cgi-bin/h"}, "period": 1, "failure_threshold": 1}}'
pod() {
        jq -n -c --arg mode "$1" --arg img "${2:-$TANK_IMAGE}" --arg cmd "${3:-$SERVE}" --argjson probes "${4:-$HTTP_READY}" \
                --argjson deadline "${DEADLINE:-12}" --argjson revert "${AUTO_REVERT:-true}" \
                '{name: "ro", rollout: {min_healthy_sec: 2, deadline_sec: $deadline, auto_revert: $revert},
                  containers: [{name: "app", image: $img, command: ["sh", "-c", $cmd], env: {MODE: $mode},
                                probes: $probes}]}'
}
status() { tankctl get ro -o json | jq -c .status; }
# wait_rollout AFTER RESULT: the pod's current rollout is of a revision newer
# than AFTER and has that result (one answer: revision and result together).
wait_rollout() {
        wait_for 40 sh -c "tankctl get ro -o json |
                jq -e '.status.rollout.revision > $1 and .status.rollout.result == \"$2\"' >/dev/null" ||
                { tankctl get ro >&2; tankctl rollout history ro >&2; journalctl -u tankd --no-pager | tail -30 >&2;
                  fail "no rollout after revision $1 became $2"; }
}
# wait_history REVISION REGEX: its line in rollout history matches (the
# record is written after the state tankd shows, so poll).
wait_history() {
        wait_for 20 sh -c "tankctl rollout history ro | awk -v r=$1 '\$1 == r' | grep -qE '$2'" ||
                { tankctl rollout history ro >&2; fail "history: revision $1 never matched /$2/"; }
}
mode_running() { tankctl exec ro -- cat /w/mode; }
scopes() { systemctl list-units --all --no-legend 'tank-ro-app*' | grep -c 'tank-ro-app'; }

# --- v1: healthy, succeeds after min_healthy_sec ---
out=$(pod ok | tankctl apply -f - --wait --timeout=60 2>&1) || fail "apply --wait v1: $out"
r1=$(status | jq -r .revision)
echo "$out" | grep -qx "pod/ro revision $r1 rolled out" || fail "apply --wait v1 did not say rolled out: $out"
s=$(status)
assert_eq "$(echo "$s" | jq -r '.rollout.revision, .rollout.result, .rollout.cause' | tr '\n' ' ')" \
        "$r1 succeeded apply " "v1's rollout"
tankctl get ro | grep -q "^Rollout: *revision $r1 succeeded" || { tankctl get ro; fail "get: Rollout line of v1"; }
wait_history "$r1" "apply .*succeeded"

# --- v2: its server answers 500, readiness never passes: reverted at the deadline ---
out=$(DEADLINE=8 pod bad | tankctl apply -f - --wait --timeout=60 2>&1) && fail "apply --wait of a failing v2 succeeded: $out"
r2=$(echo "$out" | sed -n 's/.*ro: revision \([0-9]*\) reverted.*/\1/p')
[ -n "$r2" ] && [ "$r2" -gt "$r1" ] || fail "apply --wait of v2 did not name the revision reverted: $out"
echo "$out" | grep -q "not healthy for 2s within the deadline of 8s; reverted to revision $r1" ||
        fail "apply --wait of v2 did not say why: $out"
wait_rollout "$r2" succeeded
s=$(status)
r3=$(echo "$s" | jq -r .revision)
[ "$r3" -gt "$r2" ] || fail "no rollback revision after $r2: $s"
assert_eq "$(echo "$s" | jq -r '.rollout.revision, .rollout.cause' | tr '\n' ' ')" "$r3 rollback " "the rollback's rollout"
assert_eq "$(tankctl get ro -o json | jq -r '.spec.containers[0].env.MODE')" ok "the spec after the rollback"
wait_for 20 sh -c '[ "$(tankctl exec ro -- cat /w/mode)" = ok ]' || fail "v1 does not run again after the rollback"
wait_history "$r2" "apply .*reverted \(not healthy"
wait_history "$r3" "rollback .*succeeded"
# Both results are lifecycle events too (tankd(8), EVENTS), from the journal.
wait_for 20 sh -c "tankctl events --since @$since --no-follow -o json --pod ro |
        jq -e -s 'map(select(.event == \"rollout\") | .fields.TANK_REVISION + \" \" + .fields.TANK_ROLLOUT_RESULT) |
                  any(. == \"$r2 reverted\") and any(. == \"$r3 succeeded\")' >/dev/null" ||
        { tankctl events --since "@$since" --no-follow --pod ro >&2; fail "no rollout events for $r2 and $r3"; }

# --- v2 that exits at once: reverted ---
pod ok "$TANK_IMAGE" 'exit 3' | tankctl apply -f - >/dev/null || fail "apply exiting v2"
r4=$(status | jq -r .revision)
wait_history "$r4" 'container app: exited \(exit 3\); reverted to revision '"$r3"
wait_rollout "$r4" succeeded
r5=$(status | jq -r .revision)
[ "$r5" -gt "$r4" ] || fail "no rollback after the exiting v2"

# --- v3: healthy, succeeds only after min_healthy_sec ---
start=$(date +%s)
out=$(pod ok3 | tankctl apply -f - --wait --timeout=60 2>&1) || fail "apply --wait v3: $out"
r6=$(status | jq -r .revision)
echo "$out" | grep -qx "pod/ro revision $r6 rolled out" || fail "apply --wait v3: $out"
[ $(( $(date +%s) - start )) -ge 2 ] || fail "v3 succeeded before min_healthy_sec"
assert_eq "$(mode_running)" ok3 "v3 runs"

# --- undo: the newest earlier revision with another spec, as a new revision ---
out=$(tankctl rollout undo ro) || fail "rollout undo: $out"
r7=$(status | jq -r .revision)
echo "$out" | grep -qx "pod/ro rolled back (revision $r7)" || fail "rollout undo said: $out"
assert_eq "$(tankctl get ro -o json | jq -r '.spec.containers[0].env.MODE')" ok "the spec after undo"
wait_rollout "$r6" succeeded
wait_history "$r7" "undo .*succeeded"
out=$(tankctl rollout undo ro --to-revision=1 2>&1) && fail "undo to a revision not in the history succeeded"
echo "$out" | grep -q "no revision 1 in its history" || fail "undo to a missing revision: $out"

# --- prune in a rollout; kill -9 of tankd in it ---
# v4 runs another image and never gets ready: while it is judged, the image
# of the revision it would go back to must stay. (Pulled first, so that its
# deadline is spent running, not pulling, on a slow machine too.)
tankctl pull "$USER_IMAGE" >/dev/null || fail "pull $USER_IMAGE"
DEADLINE=20 pod ok "$USER_IMAGE" 'exec sleep infinity' '{"readiness": {"exec": ["false"], "period": 1}}' |
        tankctl apply -f - >/dev/null || fail "apply v4"
r8=$(status | jq -r .revision)
wait_phase ro running
assert_eq "$(status | jq -r '.rollout.revision, .rollout.result' | tr '\n' ' ')" "$r8 in-progress " "v4's rollout"
tankctl get ro | grep -qE "^Rollout: *revision $r8 in progress, [0-9]+ s healthy of 2" || { tankctl get ro; fail "get: in progress"; }
tankctl image prune >/dev/null || fail "image prune"
tankctl images | grep -q "tank/busybox:latest" || { tankctl images; fail "prune removed the image of the revision to go back to"; }
kill -9 "$(systemctl show -P MainPID tankd.service)"
wait_for 30 sh -c '[ "$(systemctl show -P ActiveState tankd.service)" != active ]' || true
systemctl start tankd.service 2>/dev/null
tank_wait_bus 60
assert_eq "$(scopes)" 1 "scopes of ro after tankd's restart"
wait_for 40 sh -c "tankctl get ro -o json | jq -e '.status.revision > $r8' >/dev/null" ||
        { tankctl rollout history ro >&2; journalctl -u tankd --no-pager | tail -30 >&2; fail "v4 was not reverted after tankd's restart"; }
wait_history "$r8" "reverted \\(not healthy"
journalctl -u tankd --no-pager | grep -q "resuming the rollout of revision $r8" || fail "tankd did not resume judging v4"
wait_rollout "$r8" succeeded
assert_eq "$(mode_running)" ok "the revision v4 went back to runs"
assert_eq "$(scopes)" 1 "scopes of ro after the revert"

# --- without auto_revert: failed, left as it is; apply --wait says so at the
# deadline rather than waiting for a readiness that never comes ---
out=$(AUTO_REVERT=false DEADLINE=6 pod bad | tankctl apply -f - --wait --timeout=60 2>&1) &&
        fail "apply --wait of a failing revision without auto_revert succeeded: $out"
r9=$(status | jq -r .revision)
echo "$out" | grep -q "ro: revision $r9 failed: not healthy for 2s within the deadline of 6s$" ||
        fail "apply --wait without auto_revert: $out"
assert_eq "$(tankctl get ro -o json | jq -r '.status.revision, .spec.containers[0].env.MODE' | tr '\n' ' ')" "$r9 bad " \
        "a failed revision without auto_revert stays"
wait_history "$r9" "apply .*failed \\(not healthy"

# HistoryLimit=10 by default: at most 10 records.
[ "$(tankctl rollout history ro | awk 'NR > 1' | wc -l)" -le 10 ] || { tankctl rollout history ro; fail "more than 10 records"; }
exit 0
