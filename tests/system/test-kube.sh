#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kubernetes Pod YAML end to end (issue 18): every manifest of tests/kube/ (the
# shapes of the Kubernetes documentation: two containers sharing a volume, a
# hostPath, limits in every unit form, the restart policies in a multi-document
# file, a List) is applied with tankctl apply and runs; `get -o yaml` then
# `apply` of each pod keeps its spec and restarts nothing; an emptyDir is
# shared, survives a container's and tankd's restart and goes with its pod;
# unsupported fields are refused with their path, and applied without them
# under --ignore-unsupported, one warning each.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

tmp=$(mktemp -d)
trap 'tank_down; rm -rf "$tmp" /srv/tank-kube-hostpath' EXIT

tank_up
mkdir -p /srv/tank-kube-hostpath && echo hello-from-the-host >/srv/tank-kube-hostpath/hello

# The manifests name "busybox"; the sandbox has it in its own registry.
for f in "$TANK_SRCDIR"/tests/kube/*.yaml; do
        sed "s|image: busybox\$|image: $TANK_IMAGE|" "$f" >"$tmp/$(basename "$f")"
done
for f in "$tmp"/*.yaml; do
        tankctl apply -f "$f" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "apply -f $(basename "$f")"; }
done

in_ctr() { # in_ctr POD CTR CMD...: what the container sees
        local pod=$1 ctr=$2
        shift 2
        tankctl exec "$pod" -c "$ctr" -- "$@"
}

# two containers, one volume (a claim: a managed volume both mount)
wait_phase k-two-containers running
wait_for 20 sh -c "tankctl exec k-two-containers -c reader -- cat /data/index.html 2>/dev/null | grep -q writer" ||
        fail "the reader does not see the writer's file"
assert_eq "$(in_ctr k-two-containers reader cat /data/index.html)" "Hello from the writer" "shared volume"
in_ctr k-two-containers reader sh -c 'echo x >/data/x' 2>/dev/null && fail "readOnly: true mount was writable"
# hostPath, read-only
wait_phase k-hostpath running
assert_eq "$(in_ctr k-hostpath test-container cat /test-pd/hello)" hello-from-the-host "hostPath volume"
# limits: 128Mi, 129M, 134217728, 128e6, 131072Ki, 0.125Gi; 500m, 0.25, 1, 1.5, 100m
wait_phase k-limits running
limits() { # limits CTR -> "MemoryMax CPUQuotaPerSecUSec"
        local unit
        unit=$(container_field k-limits "$1" unit)
        echo "$(systemctl show -p MemoryMax --value "$unit") $(systemctl show -p CPUQuotaPerSecUSec --value "$unit")"
}
assert_eq "$(limits binary)" "134217728 500ms" "128Mi, 500m"
assert_eq "$(limits decimal)" "129000000 250ms" "129M, 0.25"
assert_eq "$(limits plain)" "134217728 1s" "134217728, 1"
assert_eq "$(limits exponent)" "128000000 1.500000s" "128e6, 1.5"
assert_eq "$(limits kilo)" "134217728 100ms" "131072Ki, 100m"
assert_eq "$(limits giga)" "134217728 infinity" "0.125Gi, no cpu"
# restart policies
wait_phase k-always running
wait_phase k-never succeeded
wait_for 30 sh -c "tankctl get k-onfailure -o json | jq -e '.status.restarts >= 1' >/dev/null" ||
        fail "OnFailure did not restart a container that exits 3"
# a List
wait_phase k-list-env running
assert_eq "$(in_ctr k-list-env env sh -c 'echo "$GREETING $HONORIFIC $NAME in $PWD"')" \
        "Warm greetings to The Most Honorable Kubernetes in /tmp" "env and workingDir (exec runs there too)"
assert_eq "$(in_ctr k-list-env env cat /proc/1/environ | tr '\0' '\n' | grep -c '^GREETING=Warm greetings to$')" 1 \
        "the workload's env"
assert_eq "$(in_ctr k-list-env env readlink /proc/1/cwd)" /tmp "workingDir"
wait_phase k-list-host running
assert_eq "$(tankctl get k-list-host -o json | jq -r .spec.network)" host "hostNetwork: true"
assert_eq "$(tankctl get k-list-host -o json | jq -r .spec.containers[0].limits.pids)" 64 "tank.io/container annotation"

# Round trip: the YAML tankctl writes is accepted back with the same spec, so
# the content hashes match and no container restarts.
for pod in k-two-containers k-empty-dir k-hostpath k-limits k-always k-list-env k-list-host; do
        tankctl get "$pod" -o json | jq -S .spec >"$tmp/spec-before"
        tankctl get "$pod" -o json | jq -c '[.status.containers[] | [.name, .pid, .restarts]]' >"$tmp/pids-before"
        tankctl get "$pod" -o yaml >"$tmp/$pod.out.yaml" || fail "get $pod -o yaml"
        tankctl apply -f "$tmp/$pod.out.yaml" >/dev/null || { cat "$tmp/$pod.out.yaml" >&2; fail "apply of get -o yaml of $pod"; }
        tankctl get "$pod" -o json | jq -S .spec >"$tmp/spec-after"
        cmp -s "$tmp/spec-before" "$tmp/spec-after" ||
                { diff -u "$tmp/spec-before" "$tmp/spec-after" >&2; fail "$pod: spec changed through get -o yaml"; }
        sleep 1
        tankctl get "$pod" -o json | jq -c '[.status.containers[] | [.name, .pid, .restarts]]' >"$tmp/pids-after"
        assert_eq "$(cat "$tmp/pids-after")" "$(cat "$tmp/pids-before")" "$pod: nothing restarted after the round trip"
        tankctl get "$pod" -o yaml | cmp -s - "$tmp/$pod.out.yaml" || fail "$pod: get -o yaml is not stable"
done

# emptyDir: one directory for the pod, in its scratch (not a managed volume),
# shared by both containers, kept across a container's restart and tankd's,
# removed with the pod.
empty=/var/lib/tank/pods/k-empty-dir/.volumes/shared-data
wait_phase k-empty-dir running
wait_for 20 sh -c "tankctl exec k-empty-dir -c reader -- cat /data/index.html 2>/dev/null | grep -q writer" ||
        fail "the reader does not see the writer's file in the emptyDir"
assert_eq "$(cat "$empty/index.html")" "Hello from the writer" "the emptyDir's directory on the host"
[ -e /var/lib/tank/volumes/k-empty-dir ] && fail "an emptyDir made a managed volume"
tankctl get k-empty-dir -o yaml | grep -qx '    emptyDir: {}' || fail "get -o yaml does not give emptyDir back"
in_ctr k-empty-dir reader sh -c 'echo kept >/data/marker' || fail "write to the emptyDir"
reader_pid=$(tankctl get k-empty-dir -o json | jq -r '.status.containers[] | select(.name == "reader") | .pid')
kill -9 "$reader_pid"
wait_for 60 sh -c "tankctl get k-empty-dir -o json | jq -e '.status.phase == \"running\" and
        ([.status.containers[] | select(.name == \"reader\") | .restarts >= 1 and .pid != $reader_pid] | all)' \
        >/dev/null" || { tankctl get k-empty-dir -o json >&2; fail "the reader was not restarted"; }
assert_eq "$(in_ctr k-empty-dir reader cat /data/marker)" kept "emptyDir data after the container's restart"
assert_eq "$(in_ctr k-empty-dir writer cat /pod-data/marker)" kept "the other container sees the same emptyDir"
systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
assert_eq "$(in_ctr k-empty-dir writer cat /pod-data/marker)" kept "emptyDir data after tankd's restart"
tankctl delete k-empty-dir >/dev/null || fail "delete k-empty-dir"
wait_for 60 sh -c "! tankctl get k-empty-dir >/dev/null 2>&1 && [ ! -e /var/lib/tank/pods/k-empty-dir ]" ||
        { ls -la /var/lib/tank/pods/k-empty-dir >&2; fail "the emptyDir was not removed with its pod"; }

# Strict: the first unsupported field, with its document and path; nothing applied.
cat >"$tmp/bad.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: k-ok
spec:
  containers:
  - name: app
    image: $TANK_IMAGE
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: k-bad
spec:
  serviceAccountName: builder
  nodeSelector: {disktype: ssd}
  containers:
  - name: app
    image: $TANK_IMAGE
    command: ["sleep", "3600"]
    securityContext:
      privileged: true
    ports:
    - containerPort: 80
      hostPort: 8080
EOF2
tankctl apply -f "$tmp/bad.yaml" 2>"$tmp/err" && fail "apply of unsupported fields succeeded"
assert_eq "$(cat "$tmp/err")" "tankctl: $tmp/bad.yaml: document 2: spec.serviceAccountName: not supported by Tank (line 16, column 3)" "strict refusal"
tankctl get k-ok >/dev/null 2>&1 && fail "a refused file applied its first pod"
tankctl validate -f "$tmp/bad.yaml" >/dev/null 2>&1 && fail "validate accepted unsupported fields"

# A fault only Tank's validation finds is named in the YAML too, with its place.
cat >"$tmp/bad-name.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: k-bad-name
spec:
  containers:
  - name: Web_Server
    image: $TANK_IMAGE
EOF2
tankctl apply -f "$tmp/bad-name.yaml" 2>"$tmp/err" && fail "apply of an invalid container name succeeded"
assert_eq "$(cat "$tmp/err")" "tankctl: $tmp/bad-name.yaml: document 1: spec.containers[0].name: must be a lowercase DNS \
label (1-63 characters of a-z, 0-9 and '-', not starting or ending with '-') (line 7, column 11)" "validator refusal"

tankctl apply --ignore-unsupported -f "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "apply --ignore-unsupported"; }
cat >"$tmp/want" <<EOF2
tankctl: $tmp/bad.yaml: document 2: spec.serviceAccountName: not supported by Tank, ignored (line 16, column 3)
tankctl: $tmp/bad.yaml: document 2: spec.nodeSelector: not supported by Tank, ignored (line 17, column 3)
tankctl: $tmp/bad.yaml: document 2: spec.containers[0].securityContext.privileged: not supported by Tank, ignored (line 23, column 7)
tankctl: $tmp/bad.yaml: document 2: spec.containers[0].ports[0].hostPort: not supported by Tank, ignored (line 26, column 7)
EOF2
diff -u "$tmp/want" "$tmp/err" || fail "--ignore-unsupported did not list each ignored field"
assert_eq "$(cat "$tmp/out")" "pod/k-ok applied
pod/k-bad applied" "both pods applied"
wait_phase k-bad running

# validate -o json prints the Tank spec it would apply
tankctl validate -f "$tmp/host-path.yaml" -o json | jq -e '.volumes[0].source.host == "/srv/tank-kube-hostpath"
        and .containers[0].mounts[0].read_only == true' >/dev/null || fail "validate -o json"
exit 0
