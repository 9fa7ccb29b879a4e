#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# User namespaces (issue 13): a pod with "user_namespace": "auto" gets 65536
# host ids of its own from tank's /etc/subuid and /etc/subgid; inside, id -u
# is 0 and uid_map maps 0 to the range; on the host the workload runs as the
# range's base; two pods get disjoint ranges; a managed volume is the range's
# and keeps it across restarts (of the workload and of tankd); a host volume
# is readable (idmapped); files of uid 1000 in a layer are 1000 inside; exec
# lands in the same user namespace; a root-owned host file reached through the
# host's view (a managed volume is bound plainly) cannot be written by
# container root; ports below 1024 bind; the range is freed with the pod; no
# subordinate ids is a clear refusal; so is a host volume whose file system
# cannot be idmapped.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
cleanup() {
        [ -e /etc/subuid.userns-test ] && mv -f /etc/subuid.userns-test /etc/subuid
        tank_down
        rm -rf /var/tmp/userns-host
}
trap cleanup EXIT

grep -q '^tank:' /etc/subuid || fail "no subordinate uids for tank (run-system-tests.sh runs tools/tank-subids)"
echo "subuid: $(grep '^tank:' /etc/subuid)  subgid: $(grep '^tank:' /etc/subgid)"
tank_up
etcd() { ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" "$@"; }

# An image with a layer of files owned by uid 1000, kept as shipped.
owned=$REG_DIR/userns-owned
rm -rf "$owned" && mkdir -p "$owned/home/app" && echo mine >"$owned/home/app/file"
chown -R 1000:1000 "$owned/home/app"
REG_KEEP_OWNERS=1 reg_mkimage "$REG_DIR/userns-oci" --layer "$REG_DIR/busybox-root" --layer "$owned" >/dev/null ||
        fail "build the uid-1000 image"
reg_push "$REG_DIR/userns-oci" tank/busybox-owned:latest 5000 || fail "push the uid-1000 image"
IMG=127.0.0.1:5000/tank/busybox-owned:latest

mkdir -p /var/tmp/userns-host && echo from-the-host >/var/tmp/userns-host/file && chmod 0644 /var/tmp/userns-host/file

spec() { # spec NAME
        cat <<EOF2
{"name": "$1", "user_namespace": "auto",
 "volumes": [{"name": "data"}, {"name": "host", "source": {"host": "/var/tmp/userns-host"}}],
 "containers": [{"name": "app", "image": "$IMG",
   "mounts": [{"volume": "data", "path": "/data"}, {"volume": "host", "path": "/host", "read_only": true}],
   "command": ["sh", "-c", "id -u >/data/id; cat /proc/self/uid_map >/data/uid_map; cat /proc/self/gid_map >/data/gid_map; cat /host/file >/data/hostread; stat -c %u:%g /home/app/file >/data/owned; echo \$\$ >>/data/runs; exec sleep infinity"]}]}
EOF2
}
vol=/var/lib/tank/volumes/una/data

spec una | tankctl apply -f - || fail "apply una"
wait_phase una running 90
wait_for 10 test -s $vol/owned || fail "the workload did not write its volume"
read -r inside base size <$vol/uid_map
echo "una uid_map: $(cat $vol/uid_map)"
echo "una gid_map: $(cat $vol/gid_map)"
assert_eq "$(cat $vol/id)" "0" "id -u inside"
assert_eq "$inside" "0" "uid_map starts at 0"
assert_eq "$size" "65536" "uid_map size"
[ "$base" -ge 524288 ] || fail "the range $base is not from tank's subordinate ids"
read -r g0 gbase gsize <$vol/gid_map
assert_eq "$g0 $gbase $gsize" "0 $base 65536" "gid_map"
grep -q "^tank:" /etc/subuid && awk -F: -v b="$base" '$1 == "tank" && b >= $2 && b + 65536 <= $2 + $3 { ok = 1 } END { exit !ok }' /etc/subuid ||
        fail "the range $base is not inside tank's /etc/subuid"
pid=$(scope_pid una app)
assert_eq "$(stat -c %u /proc/$pid)" "$base" "the workload's uid on the host"
assert_eq "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" "$base" "the workload's real uid on the host"
assert_eq "$(cat $vol/hostread)" "from-the-host" "a host volume is readable"
assert_eq "$(cat $vol/owned)" "1000:1000" "layer files owned by uid 1000 show as 1000 inside"
assert_eq "$(stat -c %u:%g $vol/id)" "$base:$base" "a file written to a managed volume, on the host"
assert_eq "$(stat -c %u:%g $vol)" "$base:$base" "the managed volume itself, on the host"
# The layer on disk is still as shipped: no chown per pod.
layer_file=$(find /var/lib/tank/layers -path '*/home/app/file' | head -1)
[ -n "$layer_file" ] || fail "the layer file is not in the layer store"
assert_eq "$(stat -c %u "$layer_file")" "1000" "the layer on disk keeps its owner"
assert_eq "$(etcd get --print-value-only /tank/v1/userns/una | jq -c .)" \
        "{\"uid\":$base,\"gid\":$base,\"size\":65536}" "the range recorded in the store"

# exec: the same user namespace, as root of it.
assert_eq "$(tankctl exec una -- readlink /proc/self/ns/user)" "$(readlink /proc/$pid/ns/user)" "exec's user namespace"
assert_eq "$(tankctl exec una -- id -u)" "0" "id -u in exec"
assert_eq "$(tankctl exec una -- cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "0 $base 65536" "uid_map in exec"
# Capabilities are the user namespace's: no hostname change, no mount.
tankctl exec una -- hostname evil 2>/dev/null && fail "container root changed the (host-owned) UTS namespace's hostname"
tankctl exec una -- mount -t tmpfs none /tmp 2>/dev/null && fail "container root mounted in the host-owned mount namespace"
# ... but the pod's network works as without one: port 80 binds.
out=$(tankctl exec una -- sh -c 'nc -l -p 80 </dev/null >/dev/null 2>&1 & p=$!; sleep 1; kill -0 $p && echo listening; kill $p' 2>&1)
assert_eq "$out" "listening" "container root binds port 80"

# The host's view, shared deliberately: a root-owned host file in the
# managed volume (bound as the host sees it) is not container root's.
echo host-secret >$vol/rootfile && chown 0:0 $vol/rootfile && chmod 0644 $vol/rootfile
out=$(tankctl exec una -- sh -c 'echo pwned >>/data/rootfile' 2>&1) && fail "container root wrote a root-owned host file"
echo "write to the host's root-owned file: $out"
echo "$out" | grep -q 'Permission denied' || fail "not EACCES: $out"
tankctl exec una -- chown 0:0 /data/rootfile 2>/dev/null && fail "container root chowned a host root file"
assert_eq "$(cat $vol/rootfile)" "host-secret" "the root-owned host file"
assert_eq "$(stat -c %u:%g $vol/rootfile)" "0:0" "the root-owned host file's owner"

# A second pod: a disjoint range.
spec unb | tankctl apply -f - || fail "apply unb"
wait_phase unb running 90
wait_for 10 test -s /var/lib/tank/volumes/unb/data/uid_map || fail "unb did not write its volume"
read -r _ base2 _ </var/lib/tank/volumes/unb/data/uid_map
echo "unb uid_map: $(cat /var/lib/tank/volumes/unb/data/uid_map)"
[ $((base2 >= base + 65536 || base2 + 65536 <= base)) = 1 ] || fail "ranges overlap: $base and $base2"

# Restarts keep the range: a kill -9 of the workload, then tankd restarted
# (adoption), then the workload killed again under the new tankd.
kill -9 "$pid"
wait_for 30 sh -c "[ \$(wc -l <$vol/runs) -ge 2 ]" || fail "not restarted after kill -9"
systemctl restart tankd.service
tank_wait_bus 60
wait_phase una running
kill -9 "$(scope_pid una app)"
wait_for 30 sh -c "[ \$(wc -l <$vol/runs) -ge 3 ]" || fail "not restarted after kill -9 under a new tankd"
wait_phase una running
assert_eq "$(cat $vol/uid_map | tr -s ' ' | sed 's/^ //')" "0 $base 65536" "uid_map after restarts"
assert_eq "$(stat -c %u "$vol/runs")" "$base" "the volume's files after restarts"
assert_eq "$(stat -c %u /proc/$(scope_pid una app))" "$base" "the workload's uid after restarts"

# Deleted: the range is free again; the next pod may get it.
tankctl delete --volumes una || fail "delete una"
wait_for 30 sh -c '! tankctl get una >/dev/null 2>&1' || fail "una still there"
wait_for 10 sh -c "[ -z \"\$(ETCDCTL_API=3 etcdctl --endpoints='$(tank_store_endpoint)' get --keys-only /tank/v1/userns/una)\" ]" ||
        fail "the range of the deleted pod is still recorded"
spec unc | tankctl apply -f - || fail "apply unc"
wait_phase unc running 90
wait_for 10 test -s /var/lib/tank/volumes/unc/data/uid_map || fail "unc did not write its volume"
read -r _ base3 _ </var/lib/tank/volumes/unc/data/uid_map
assert_eq "$base3" "$base" "a freed range is handed out again (the lowest free)"

# Linux before 6.8 (Debian 12's 6.1) mounts the overlay the classic way (one
# lowerdir string of fd numbers): forced here, the idmapped layers attached
# under it work that way too.
mkdir -p /run/systemd/system/tankd.service.d
printf '[Service]\nEnvironment=TANK_OVERLAY_CLASSIC=1\n' >/run/systemd/system/tankd.service.d/userns-classic.conf
systemctl daemon-reload && systemctl restart tankd.service
tank_wait_bus 60
spec classic | tankctl apply -f - || fail "apply classic"
wait_phase classic running 90
wait_for 10 test -s /var/lib/tank/volumes/classic/data/owned || fail "classic did not write its volume"
cpid=$(scope_pid classic app)
tr '\0' '\n' </proc/$(ps -o ppid= -p "$cpid" | tr -d ' ')/environ | grep -qx TANK_OVERLAY_CLASSIC=1 ||
        fail "the shim did not run with TANK_OVERLAY_CLASSIC=1"
grep -E ' overlay .*lowerdir=[0-9]+:[0-9]+' /proc/$cpid/mountinfo >/dev/null ||
        { cat /proc/$cpid/mountinfo; fail "not mounted the classic way"; }
assert_eq "$(cat /var/lib/tank/volumes/classic/data/owned)" "1000:1000" "uid 1000 layer files inside (classic overlay)"
assert_eq "$(cat /var/lib/tank/volumes/classic/data/id)" "0" "id -u inside (classic overlay)"
echo "classic uid_map: $(cat /var/lib/tank/volumes/classic/data/uid_map)"
tankctl exec classic -- sh -c 'echo new >/home/app/file && stat -c %u /home/app/file' | grep -qx 1000 ||
        fail "copy-up of a uid-1000 layer file keeps its owner"
upper_file=$(find /var/lib/tank/pods/classic/app/upper/home/app/file)
read -r _ cbase _ </var/lib/tank/volumes/classic/data/uid_map
assert_eq "$(stat -c %u "$upper_file")" "$((cbase + 1000))" "the copied-up file on the host"
tankctl delete --volumes classic
rm -f /run/systemd/system/tankd.service.d/userns-classic.conf
systemctl daemon-reload && systemctl restart tankd.service
tank_wait_bus 60

# A host volume that cannot be idmapped (sysfs) is refused for that pod.
cat <<EOF2 | tankctl apply -f - || fail "apply sysvol"
{"name": "sysvol", "user_namespace": "auto", "volumes": [{"name": "k", "source": {"host": "/sys/kernel"}}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "command": ["sleep", "infinity"],
   "mounts": [{"volume": "k", "path": "/k", "read_only": true}]}]}
EOF2
wait_for 30 sh -c "tankctl get sysvol | grep -q 'cannot be mounted idmapped'" ||
        { tankctl get sysvol; fail "no clear refusal of a host volume that cannot be idmapped"; }
tankctl get sysvol | grep -o 'host volume /sys/kernel.*needs' | head -1
tankctl delete sysvol

# No subordinate ids: a clear refusal naming /etc/subuid, nothing crashes.
mv /etc/subuid /etc/subuid.userns-test
spec und | tankctl apply -f - || fail "apply und"
wait_for 30 sh -c "tankctl get und | grep -q '/etc/subuid'" || { tankctl get und; fail "no clear refusal without /etc/subuid"; }
tankctl get und | grep -o 'needs subordinate ids.*usermod' | head -1
mv -f /etc/subuid.userns-test /etc/subuid
systemctl is-active -q tankd.service || fail "tankd died"
wait_phase unb running 5
echo "userns: ok"
