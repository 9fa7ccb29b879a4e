#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Volumes end to end (issue 6): a managed volume outlives a changed spec, a
# kill -9 of the workload and a restart of tankd; two containers share it; a
# host volume shows the host's files; read_only is a real read-only mount; a
# missing host path is a clear per-pod error; delete keeps volumes and
# delete --volumes removes them; tankctl volumes lists them; no local user
# reaches into a managed volume (issue 13).
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap 'tank_down; umount -l /srv/later 2>/dev/null; rm -rf /srv/hostvol /srv/later' EXIT

tank_up
mkdir -p /srv/hostvol && echo from-the-host >/srv/hostvol/file

spec() { # spec VERSION
        cat <<EOF2
{"name": "vol", "restart": "always",
 "volumes": [{"name": "data"}, {"name": "cfg", "source": {"host": "/srv/hostvol"}}],
 "containers": [
  {"name": "writer", "image": "$TANK_IMAGE", "env": {"V": "$1"},
   "mounts": [{"volume": "data", "path": "/data"}, {"volume": "cfg", "path": "/cfg", "read_only": true}],
   "command": ["sh", "-c", "echo \$V >>/data/log; cat /cfg/file >/data/seen; (echo x >/cfg/new) 2>/data/ro-error; exec sleep infinity"]},
  {"name": "reader", "image": "$TANK_IMAGE",
   "mounts": [{"volume": "data", "path": "/shared"}],
   "command": ["sleep", "infinity"]}]}
EOF2
}
in_ctr() { # in_ctr CONTAINER CMD...: run in the container's mount namespace
        local pid
        pid=$(scope_pid vol "$1"); shift
        nsenter -t "$pid" -m -- "$@"
}

spec 1 | tankctl apply -f - || fail "apply"
wait_phase vol running
wait_for 10 test -s /var/lib/tank/volumes/vol/data/seen || fail "writer did not write its volume"
assert_eq "$(cat /var/lib/tank/volumes/vol/data/seen)" "from-the-host" "host volume content"
grep -q "Read-only file system" /var/lib/tank/volumes/vol/data/ro-error || fail "write to a read_only mount did not fail with EROFS: $(cat /var/lib/tank/volumes/vol/data/ro-error)"
[ -e /srv/hostvol/new ] && fail "a read_only mount was written"
assert_eq "$(in_ctr reader cat /shared/seen)" "from-the-host" "the other container sees the shared volume"

# Setuid escalation through a managed volume (moby CVE-2021-41091): the
# container's root leaves a setuid-root binary in its volume; no local user
# may reach it. The data directory is 0711, volumes/ 0700.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
tankctl exec vol -c writer -- sh -c 'cp /bin/busybox /data/id && chmod 4755 /data/id' || fail "exec: plant a setuid file"
ls -l /var/lib/tank/volumes/vol/data/id
# Through a shell: setpriv's own execve() of its argument reaches files
# nobody cannot (util-linux 2.38), which would prove nothing.
out=$(as_nobody sh -c /var/lib/tank/volumes/vol/data/id 2>&1) && fail "nobody ran the container's setuid file: $out"
echo "$out" | grep -q 'Permission denied' || fail "exec of the setuid file as nobody: not EACCES: $out"
echo "nobody: $out"
out=$(as_nobody stat /var/lib/tank/volumes/vol/data/log 2>&1) && fail "nobody can stat a file in a managed volume: $out"
echo "$out" | grep -q 'Permission denied' || fail "stat as nobody: not EACCES: $out"
out=$(as_nobody ls /var/lib/tank/volumes 2>&1) && fail "nobody can list volumes/: $out"
echo "$out" | grep -q 'Permission denied' || fail "ls as nobody: not EACCES: $out"
echo "modes: data $(stat -c %a /var/lib/tank), volumes $(stat -c %a /var/lib/tank/volumes)"
assert_eq "$(stat -c %a /var/lib/tank)" "711" "mode of the data directory"
assert_eq "$(stat -c %a /var/lib/tank/volumes)" "700" "mode of volumes/"

# A changed spec (new env) restarts the writer; the volume keeps its file.
spec 2 | tankctl apply -f -
wait_for 30 sh -c "[ \$(wc -l </var/lib/tank/volumes/vol/data/log) -ge 2 ]" || fail "writer not restarted with the new spec"
# kill -9 of the workload: restarted, file still there.
kill -9 "$(scope_pid vol writer)"
wait_for 30 sh -c "[ \$(wc -l </var/lib/tank/volumes/vol/data/log) -ge 3 ]" || fail "writer not restarted after kill -9"
# A restart of tankd touches nothing; one that finds the modes an older Tank
# left (0755) tightens them (systemd does not change an existing
# StateDirectory's mode).
systemctl stop tankd.service
chmod 0755 /var/lib/tank /var/lib/tank/volumes
systemctl start tankd.service
tank_wait_bus 60
wait_phase vol running
assert_eq "$(stat -c %a /var/lib/tank)" "711" "mode of the data directory after an upgrade"
assert_eq "$(stat -c %a /var/lib/tank/volumes)" "700" "mode of volumes/ after an upgrade"
assert_eq "$(tr '\n' ' ' </var/lib/tank/volumes/vol/data/log)" "1 2 2 " "volume log across replace, kill and tankd restart"

tankctl volumes | grep -E '^vol +data ' >/dev/null || { tankctl volumes; fail "tankctl volumes does not list vol/data"; }

# An image that runs as a non-root user (app, uid 1000) can write its managed
# volume: the fresh volume is handed to that user.
cat <<EOF2 | tankctl apply -f - || fail "apply user"
{"name": "user", "restart": "never", "volumes": [{"name": "home"}],
 "containers": [{"name": "app", "image": "127.0.0.1:5000/tank/busybox-user:latest",
   "mounts": [{"volume": "home", "path": "/home/app"}],
   "command": ["sh", "-c", "id -u >/home/app/uid && echo written >/home/app/file"]}]}
EOF2
wait_phase user succeeded 60
assert_eq "$(cat /var/lib/tank/volumes/user/home/uid)" "1000" "the workload runs as uid 1000"
assert_eq "$(cat /var/lib/tank/volumes/user/home/file)" "written" "a non-root user writes its managed volume"
assert_eq "$(stat -c %u /var/lib/tank/volumes/user/home)" "1000" "volume owner"

# A host volume whose source was mounted after tankd started: containers start
# from tankd's mount namespace (reconcile/shim-mntns.h), a slave of the
# host's, not a snapshot of it. Nor does a container's namespace hold the pins.
mkdir -p /srv/later && mount -t tmpfs tmpfs /srv/later && echo mounted-later >/srv/later/file ||
        fail "mount /srv/later"
cat <<EOF2 | tankctl apply -f - || fail "apply later"
{"name": "later", "volumes": [{"name": "x", "source": {"host": "/srv/later"}}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "command": ["sleep", "infinity"],
   "mounts": [{"volume": "x", "path": "/x"}]}]}
EOF2
wait_phase later running
assert_eq "$(nsenter -t "$(scope_pid later app)" -m -- cat /x/file)" "mounted-later" \
        "a host volume mounted after tankd started"
grep -q /run/tank/netns "/proc/$(scope_pid later app)/mountinfo" && fail "a container's namespace holds netns pins"
tankctl delete later >/dev/null || fail "delete later"
wait_for 30 sh -c '! tankctl get later >/dev/null 2>&1' || fail "later still there"
umount /srv/later || fail "umount /srv/later (busy in some namespace?)"

# A missing host path is a per-pod error with its reason; other pods keep running.
cat <<EOF2 | tankctl apply -f - || fail "apply nohost"
{"name": "nohost", "volumes": [{"name": "x", "source": {"host": "/srv/does-not-exist"}}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "command": ["sleep", "infinity"],
   "mounts": [{"volume": "x", "path": "/x"}]}]}
EOF2
wait_for 30 sh -c "tankctl get nohost | grep -q '/srv/does-not-exist'" || { tankctl get nohost; fail "no clear error for a missing host path"; }
[ -e /srv/does-not-exist ] && fail "a missing host path was created"
wait_phase vol running 5

# delete keeps managed volumes; delete --volumes removes them.
tankctl delete vol nohost user || fail "delete"
wait_for 30 sh -c '! tankctl get vol >/dev/null 2>&1' || fail "vol still there"
[ -s /var/lib/tank/volumes/vol/data/log ] || fail "delete removed a managed volume"
spec 3 | tankctl apply -f - && wait_phase vol running
assert_eq "$(head -1 /var/lib/tank/volumes/vol/data/log)" "1" "volume content after delete and re-apply"
tankctl delete --volumes vol || fail "delete --volumes"
wait_for 60 test ! -e /var/lib/tank/volumes/vol || fail "delete --volumes left the volumes"
[ -s /srv/hostvol/file ] || fail "delete --volumes touched a host volume"

# Big trees are removed off tankd's loop: once delete --volumes has returned
# the volume's name is gone, and tankd answers the next call while the tree
# is still being removed under a hidden name beside it.
tank_pod_json big never true | tankctl apply -f - >/dev/null || fail "apply big"
wait_for 30 sh -c '[ "$(tankctl get big -o json | jq -r .status.phase)" = succeeded ]' || fail "big did not complete"
mkdir -p /var/lib/tank/volumes/big/junk
# 200 directories of 1000 files; 40 in the VM test bed, where emulation makes
# creating them the slow part and removing 40,000 takes as long as 200,000 here.
dirs=200
[ -n "${TANK_INSTALLED:-}" ] && dirs=40
(cd /var/lib/tank/volumes/big/junk && seq 1 "$dirs" | xargs mkdir && for d in $(seq 1 "$dirs"); do
        (cd "$d" && seq 1 1000 | xargs touch); done) || fail "could not make the junk tree"
tankctl delete --volumes big || fail "delete --volumes big"
[ -e /var/lib/tank/volumes/big ] && fail "volumes/big still there when delete --volumes returned"
tankctl list >/dev/null || fail "list right after delete --volumes"
hidden=$(find /var/lib/tank/volumes -maxdepth 1 -name '.#rm-big-*' | head -1)
[ -n "$hidden" ] || fail "no tree being removed beside volumes/ once tankd answered (removed on the loop?)"
echo "removing $hidden while tankd answers"
wait_for 120 sh -c "! ls -d /var/lib/tank/volumes/.#rm-* >/dev/null 2>&1" || fail "hidden tree not removed"
echo "volumes: ok"
