#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tank-shim run directly as root (no tankd): tests/system/shim-launch plays
# tankd's side of the sync protocol; the container's root is a busybox-static
# tree with tests/system/shim-probe copied in. Run from the top build dir
# (make check does), or set TANK_SHIM / SHIM_LAUNCH / SHIM_PROBE.
set -u

B=${TANK_BUILDDIR:-$PWD}
SHIM=${TANK_SHIM:-$B/tank-shim}
LAUNCH=${SHIM_LAUNCH:-$B/tests/system/shim-launch}
PROBE=${SHIM_PROBE:-$B/tests/system/shim-probe}
ATTACH=${SHIM_ATTACH:-$B/tests/system/shim-attach}
BUSYBOX=${BUSYBOX:-/bin/busybox}

if [ "$(id -u)" != 0 ]; then
        echo "test-shim: must run as root (namespaces, mounts)" >&2
        exit 1
fi
for f in "$SHIM" "$LAUNCH" "$PROBE" "$ATTACH" "$BUSYBOX"; do
        [ -x "$f" ] || { echo "test-shim: missing $f" >&2; exit 1; }
done

T=$(mktemp -d /tmp/test-shim.XXXXXX)
CANARY=$(mktemp -d /tmp/canary-dir.XXXXXX)
trap 'rm -rf "$T" "$CANARY"' EXIT
failures=0
n=0

fail() { echo "not ok - $*"; failures=$((failures + 1)); }
ok() { echo "ok - $*"; }
check() {   # check DESCRIPTION COMMAND...
        local what=$1; shift
        n=$((n + 1))
        cat "$T/log" >> "$T/all.log" 2>/dev/null
        if "$@"; then ok "$what"; else fail "$what"; echo "--- output:"; cat "$T/out" "$T/log" 2>/dev/null | sed 's/^/# /'; fi
}
has() { grep -qx -- "$1" "$T/out"; }
has_re() { grep -qE -- "$1" "$T/out"; }
exit_field() { sed -n "s/^ *\"$1\": \(.*\)$/\1/p" "$T/exit.json" | sed 's/,$//'; }
status_is() { [ -f "$T/exit.json" ] && [ "$(exit_field status)" = "$1" ]; }

make_rootfs() {   # make_rootfs DIR
        mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/home/app"
        cp "$BUSYBOX" "$1/bin/busybox"
        for a in $("$BUSYBOX" --list); do
                [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"
        done
        cp "$PROBE" "$1/bin/shim-probe"
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > "$1/etc/passwd"
        printf 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nother:x:60:root\n' > "$1/etc/group"
        chown 1000:1000 "$1/home/app"
}

# json_strv WORD... -> ["WORD", ...] (no quotes or backslashes in the words)
json_strv() {
        local out="" w
        for w in "$@"; do out="$out${out:+,}\"$w\""; done
        echo "[$out]"
}

# The container's spec as tankd passes it (shim-config.h): the shim acts on its
# "tty"; SPEC=... run ... gives another.
SPEC_PLAIN='"spec":{"name":"app","image":{"rootfs":"/"}}'
SPEC_TTY='"spec":{"name":"app","image":{"rootfs":"/"},"tty":true}'

# run CONFIG_EXTRA SCRIPT [launcher options]: the workload is /bin/sh -c SCRIPT
run() {
        local extra=$1 script=$2; shift 2
        script=${script//\\/\\\\}
        script=${script//\"/\\\"}
        rm -f "$T/exit.json"
        cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},${SPEC:-$SPEC_PLAIN},
 "argv":["/bin/sh","-c","$script"],"env":["PATH=/bin"],"log":"inherit",
 "exit_file":"$T/exit.json"${extra:+,$extra}}
EOF
        timeout 60 "$LAUNCH" "$@" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
}

ROOT=$T/root
make_rootfs "$ROOT"

# --- basics: PID 1, hostname, exit codes, fds ---
run "" 'echo pid=$$; cat /proc/1/cmdline | tr "\0" " "; echo; hostname; shim-probe fds; exit 3'
check "workload is PID 1" has "pid=1"
check "/proc/1/cmdline is the workload" has_re '^/bin/sh -c echo pid'
check "hostname is the pod name" has "web"
check "only fds 0 1 2 are open" bash -c "[ \"\$(grep -xE '[0-9]+' '$T/out' | tr '\n' ' ')\" = '0 1 2 ' ]"
check "exit 3 recorded" status_is 3
check "exit record: code 3, no signal" bash -c "[ \"\$(sed -n 's/.*\"code\": \\(.*\\),/\\1/p' '$T/exit.json')\" = 3 ]"
check "protocol: pid, running" bash -c "grep -q '^first-exit 0' '$T/log' && grep -q '^pid ' '$T/log' && grep -q '^running ' '$T/log'"
check "exit record written atomically (no temp left)" bash -c "[ -z \"\$(ls -A '$T' | grep '^\\.#')\" ]"

run "" 'exit 0'
check "exit 0 recorded" status_is 0

run "" 'echo ready; sleep 100' --signal-workload 9 --delay-ms 200
check "SIGKILL recorded as 137" status_is 137
check "signal 9 in the record" bash -c "grep -q '\"signal\": 9' '$T/exit.json'"

run '"stop_timeout_sec":1' 'sleep 100' --signal-monitor 15 --delay-ms 200
check "SIGTERM to the shim: PID-1 sleep ignores it, SIGKILL after the timeout" status_is 137

run '"stop_timeout_sec":20' 'trap "exit 7" TERM; while :; do sleep 0.1; done' --signal-monitor 15 --delay-ms 500
check "SIGTERM forwarded to a workload that handles it" status_is 7

# --- overlay root, as tankd sets it up: image layers + per-container upper ---
mkdir -p "$T/layer2/etc" "$T/upper" "$T/work" "$T/merged"
echo from-layer2 > "$T/layer2/etc/motd"
cat > "$T/config.json" <<EOF
{"pod":"web","container":"app",$SPEC_PLAIN,"rootfs":{"lower":["$ROOT","$T/layer2"],"upper":"$T/upper",
 "work":"$T/work","target":"$T/merged"},"argv":["/bin/sh","-c","cat /etc/motd; echo new > /etc/newfile; rm /bin/vi; echo done"],
 "env":["PATH=/bin"],"log":"inherit","exit_file":"$T/exit.json"}
EOF
rm -f "$T/exit.json"
timeout 60 "$LAUNCH" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
check "overlay: upper layer wins, workload ran" bash -c "grep -qx from-layer2 '$T/out' && grep -qx done '$T/out'"
check "overlay: writes land in upper" test -f "$T/upper/etc/newfile"
check "overlay: lower layers untouched" bash -c "[ -L '$ROOT/bin/vi' ] && [ ! -e '$ROOT/etc/newfile' ]"
check "overlay: mounted only in the container's namespace" bash -c "! grep -q ' $T/merged ' /proc/self/mounts"

# --- hardening ---
run "" 'grep -E "^(CapEff|CapPrm|CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; shim-probe syscalls'
check "CapEff is the Podman default set" has_re '^CapEff:\s+00000000800405fb$'
check "CapBnd is the Podman default set" has_re '^CapBnd:\s+00000000800405fb$'
check "CapAmb empty" has_re '^CapAmb:\s+0000000000000000$'
# Empty, as in crun and runc since CVE-2022-24769: a file with inheritable
# file caps must not gain them.
check "CapInh empty" has_re '^CapInh:\s+0000000000000000$'
grep -E '^Cap(Inh|Eff|Bnd):' "$T/out" | sed 's/^/# root workload: /'
check "NoNewPrivs 1" has_re '^NoNewPrivs:\s+1$'
check "Seccomp 2" has_re '^Seccomp:\s+2$'
for s in keyctl add_key mount umount2 unshare_user unshare_net bpf perf_event_open userfaultfd; do
        check "$s denied" has "$s=EPERM"
done
check "clone3 answers ENOSYS (libc falls back to clone)" has "clone3=ENOSYS"
check "ordinary syscalls work" has "getpid=ok"

run "" 'for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do echo "$p $(shim-probe read $p)"; done; echo "acpi $(ls -A /proc/acpi 2>/dev/null | wc -l)"; echo "fw $(ls -A /sys/firmware | wc -l)"; echo "powercap $(ls -A /sys/devices/virtual/powercap 2>/dev/null | wc -l)"; echo "sys $(shim-probe write /proc/sys/kernel/hostname)"; echo "trigger $(shim-probe write /proc/sysrq-trigger)"; echo "sysfs $(shim-probe write /sys/kernel/uevent_helper)"'
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
        check "$p masked (empty or absent)" has_re "^$p (bytes=0|ENOENT)\$"
done
check "/proc/acpi masked" has "acpi 0"
check "/sys/firmware masked" has "fw 0"
# RAPL energy counters are a side channel (Docker masks them too). Only a host
# with a powercap driver (intel_rapl on bare metal) has the directory.
[ -d /sys/devices/virtual/powercap ] || echo "# this host has no /sys/devices/virtual/powercap: the check below cannot tell"
check "/sys/devices/virtual/powercap masked" has "powercap 0"
check "/proc/sys read-only" has "sys EROFS"
check "/proc/sysrq-trigger read-only (where the kernel has it)" has_re "^trigger (EROFS|ENOENT)$"
check "/sys read-only" has "sysfs EROFS"

run "" 'ls /dev | tr "\n" " "; echo; readlink /dev/ptmx; grep -E " /dev/(pts|shm|mqueue) " /proc/mounts | cut -d" " -f3 | tr "\n" " "; echo; echo x > /dev/null && echo null-ok'
check "minimal /dev" has_re '^core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero $'
check "/dev/ptmx -> pts/ptmx" has "pts/ptmx"
check "devpts, shm, mqueue mounted" has "devpts tmpfs mqueue "
check "/dev/null works" has "null-ok"

run "" 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'
check "private network: only lo" bash -c "[ \"\$(cat '$T/out')\" = lo ]"

# --- mounts ---
mkdir -p "$T/vol-ro" "$T/vol-rw" "$T/vol-ro/sub"
echo hello > "$T/vol-ro/file"
mount -t tmpfs tmpfs "$T/vol-ro/sub"   # a submount: must be read-only too
echo etc-hosts > "$T/hosts"
run "\"mounts\":[{\"source\":\"$T/vol-ro\",\"destination\":\"/ro\",\"read_only\":true},{\"source\":\"$T/vol-rw\",\"destination\":\"/srv/data\"}],\"hosts\":\"$T/hosts\"" \
    'cat /ro/file; echo "ro $(shim-probe write /ro/x)"; echo "rosub $(shim-probe write /ro/sub/x)"; echo "rw $(shim-probe write /srv/data/x)"; cat /etc/hosts; echo "hosts $(shim-probe write /etc/hosts)"'
check "read-only bind shows host files" has "hello"
check "read-only bind: EROFS" has "ro EROFS"
check "read-only bind: submount EROFS too" has "rosub EROFS"
check "read-write bind (created mount point) writable" has "rw ok"
check "write reached the host" test -f "$T/vol-rw/x"
check "hosts bound read-only" bash -c "grep -qx etc-hosts '$T/out' && grep -qx 'hosts EROFS' '$T/out'"
umount "$T/vol-ro/sub"

# Hostile image: the mount point is a symlink to the host's canary directory.
echo canary > "$CANARY/canary"
ln -s "$CANARY" "$ROOT/data"
mkdir -p "$ROOT$CANARY"
run "\"mounts\":[{\"source\":\"$T/vol-rw\",\"destination\":\"/data\"}]" 'shim-probe write /data/pwned; ls /data'
check "symlinked mount point stays inside the root" bash -c "[ ! -e '$CANARY/pwned' ] && [ \"\$(ls -A '$CANARY')\" = canary ] && [ -e '$T/vol-rw/pwned' ]"
rm -rf "$ROOT/data" "$ROOT${CANARY%/*}"
ln -s "$CANARY/sub" "$ROOT/data"
run "\"mounts\":[{\"source\":\"$T/vol-rw\",\"destination\":\"/data\"}]" 'echo started'
check "dangling symlink at the mount point refused (125)" status_is 125
check "host canary untouched" bash -c "[ \"\$(ls -A '$CANARY')\" = canary ]"
rm -f "$ROOT/data"
ln -s ../../../../../.. "$ROOT/up"
run "\"mounts\":[{\"source\":\"$T/vol-rw\",\"destination\":\"/up$CANARY\"}]" 'shim-probe write /up'"$CANARY"'/dotdot; echo done'
check "../ symlink chain cannot climb out of the root" bash -c "[ ! -e '$CANARY/dotdot' ] && [ -e '$T/vol-rw/dotdot' ]"
rm -rf "$ROOT/up" "$ROOT${CANARY%/*}"

# --- user, cwd, env ---
mkdir -p "$T/vol-app" && chown 1000:1000 "$T/vol-app"
run "\"user\":\"app\",\"mounts\":[{\"source\":\"$T/vol-app\",\"destination\":\"/var/lib/app\"}],\"cwd\":\"/home/app\"" \
    'id; pwd; echo "home=$HOME"; grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status; shim-probe write /var/lib/app/f; echo "etc $(shim-probe write /etc/x)"'
check "non-root user from the image's passwd" has_re '^uid=1000\(app\) gid=1000\(app\) groups=(1000\(app\),50\(staff\)|50\(staff\),1000\(app\))$'
check "cwd" has "/home/app"
check "HOME from passwd" has "home=/home/app"
check "non-root: no effective capabilities" has_re '^CapEff:\s+0000000000000000$'
check "non-root: no permitted capabilities" has_re '^CapPrm:\s+0000000000000000$'
check "non-root: CapInh empty" has_re '^CapInh:\s+0000000000000000$'
check "non-root: CapBnd is the default set" has_re '^CapBnd:\s+00000000800405fb$'
check "non-root: CapAmb empty" has_re '^CapAmb:\s+0000000000000000$'
grep -E '^Cap(Inh|Eff|Bnd):' "$T/out" | sed 's/^/# non-root workload: /'
check "non-root writes its volume" has "ok"
check "non-root cannot write root's files" has "etc EACCES"

run '"user":"1234:60"' 'id -u; id -g'
check "numeric user:group" bash -c "[ \"\$(tr '\n' ' ' < '$T/out')\" = '1234 60 ' ]"

run '"user":"nobody"' 'true'
check "unknown user name -> 125" status_is 125
check "... with a reason" bash -c "grep -q 'nobody' '$T/exit.json'"

run '"cwd":"/proc/self/fd/3"' 'pwd'
check "cwd through a magic link refused (CVE-2024-21626)" status_is 125
run '"cwd":"/new/dir"' 'pwd'
check "missing cwd is created" has "/new/dir"

# --- notify (issue 14): the directory is bound, NOTIFY_SOCKET set ---
# A python3 listener stands in for tankd's (src/reconcile/notify.c).
mkdir -m 0755 "$T/notify"
python3 -c 'import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.settimeout(60)
d, a = s.recvfrom(8192)
open(sys.argv[2], "wb").write(d)' "$T/notify/notify" "$T/notify.got" &
listener=$!
for _ in $(seq 50); do [ -S "$T/notify/notify" ] && break; sleep 0.1; done
run "\"user\":\"app\",\"notify_dir\":\"$T/notify\"" \
    'echo "ns=$NOTIFY_SOCKET"; ls -ln /run/host/notify; echo "dir $(shim-probe write /run/host/notify/x)"; shim-probe notify "READY=1\nSTATUS=up"; grep " /run/host/notify " /proc/self/mountinfo'
wait "$listener"
check "notify: NOTIFY_SOCKET in the main process's env" has "ns=/run/host/notify/notify"
check "notify: the socket is seen inside" has_re '^srw-rw-rw- .* notify$'
check "notify: the directory is read-only" has "dir EROFS"
check "notify: bound nosuid,nodev,noexec" has_re ' /run/host/notify ro,nosuid,nodev,noexec'
check "notify: a non-root workload's datagram reached the host" \
    bash -c "[ \"\$(cat '$T/notify.got')\" = \"\$(printf 'READY=1\nSTATUS=up')\" ]"
rm -rf "$ROOT/run"   # the mount point made above stays in a directory root
run "" 'echo "ns=${NOTIFY_SOCKET-unset}"; [ -e /run/host/notify ] && echo there'
check "notify: nothing without notify_dir" bash -c "grep -qx ns=unset '$T/out' && ! grep -qx there '$T/out'"

# --- exec failures ---
cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},$SPEC_PLAIN,"argv":["nonexistent"],
 "env":["PATH=/bin"],"log":"inherit","exit_file":"$T/exit.json"}
EOF
rm -f "$T/exit.json"; timeout 60 "$LAUNCH" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
check "command not found -> 127" status_is 127
check "... and \"error\" on the sync fd" grep -q '^error execve nonexistent' "$T/log"

# --- tty ---
SPEC=$SPEC_TTY run "" 'tty; [ -t 0 ] && [ -t 1 ] && echo isatty; echo "term=$TERM"; ls -l /dev/console | cut -c1'
check "tty: stdio is the container's /dev/pts/0" has_re '^/dev/pts/0.?$'
check "tty: isatty" has_re '^isatty.?$'
check "tty: TERM defaults to xterm" has_re '^term=xterm.?$'
check "tty: /dev/console is the pty" has_re '^c.?$'

# --- attach (issue 8): replay, same shell on re-attach, resize, exit status ---
cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},"argv":["/bin/sh"],$SPEC_TTY,
 "env":["PATH=/bin"],"log":"inherit","exit_file":"$T/exit.json","attach_socket":"$T/attach"}
EOF
rm -f "$T/exit.json"
timeout 60 "$LAUNCH" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log" &
launcher=$!
for i in $(seq 100); do [ -S "$T/attach" ] && break; sleep 0.1; done
check "attach socket is a root-only socket" bash -c "[ \"\$(stat -c %a '$T/attach')\" = 700 ]"
attach_q() { "$ATTACH" "$@" > "$T/attach.out"; }
check "attach: type a command, see its output" \
        attach_q "$T/attach" --input 'FOO=bar; echo mark-$((40+2))' --wait-for mark-42
check "re-attach: replay shows the earlier output" attach_q "$T/attach" --wait-for mark-42
check "re-attach: the same shell (variable kept)" \
        attach_q "$T/attach" --input 'echo $FOO-again' --wait-for bar-again
check "attach: resize reaches the pty" \
        attach_q "$T/attach" --resize 33 101 --input 'stty size' --wait-for '33 101'
"$ATTACH" "$T/attach" --input 'exit 5' --until-exit > "$T/attach.out"
check "attach: the exit status comes back" grep -qx 'exit 5' "$T/attach.out"
wait $launcher
check "attach: exit record 5" status_is 5
check "attach: socket removed at exit" test ! -e "$T/attach"

# --- protocol edges ---
rm -f "$T/exit.json"
timeout 60 "$LAUNCH" --no-go "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
check "EOF instead of go: monitor leaves, nothing started" bash -c "grep -q '^monitor-gone' '$T/log' && [ ! -e '$T/exit.json' ]"

echo '{"pod":"web"' > "$T/bad.json"
timeout 60 "$LAUNCH" "$SHIM" "$T/bad.json" > "$T/out" 2> "$T/log"
check "malformed config: exit 3 and an error message" bash -c "grep -q '^first-exit 3' '$T/log' && grep -q '^error invalid config' '$T/log'"
# An older tankd's config (no "spec", "tty" at the top) is tank-exec's to
# read; the shim starts nothing from it.
cat > "$T/old.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},"argv":["true"],"tty":false,
 "log":"inherit","exit_file":"$T/exit.json"}
EOF
rm -f "$T/exit.json"
timeout 60 "$LAUNCH" "$SHIM" "$T/old.json" > "$T/out" 2> "$T/log"
check "config without spec: exit 3, nothing run" bash -c "grep -q '^first-exit 3' '$T/log' && grep -q '^error invalid config: no \"spec\"' '$T/log' && [ ! -e '$T/exit.json' ]"
SPEC='"spec":{"name":"app","image":{"rootfs":"/"},"tty":"yes"}' run "" 'true'
check "a bad spec: refused with its path" bash -c "grep -q '^first-exit 3' '$T/log' && grep -q '^error invalid config: spec.tty: ' '$T/log'"

# --- CVE-2019-5736: the workload's view of the shim binary ---
run "" 'readlink /proc/1/exe; ls /proc | grep -cE "^[0-9]+$"'
check "the container sees only its own processes" bash -c "[ \"\$(sed -n 2p '$T/out')\" -le 3 ]"
cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},$SPEC_PLAIN,"argv":["sleep","100"],
 "env":["PATH=/bin"],"log":"inherit","exit_file":"$T/exit.json","stop_timeout_sec":0}
EOF
rm -f "$T/exit.json"
timeout 60 "$LAUNCH" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log" &
for i in $(seq 100); do grep -q '^running' "$T/log" && break; sleep 0.1; done
mon=$(sed -n 's/^pid //p' "$T/log")
check "the shim runs from a sealed memfd, not its file" bash -c "readlink /proc/$mon/exe | grep -q '^/memfd:tank-shim'"
kill -TERM "$mon"
wait
check "stop_timeout_sec 0: SIGTERM to the shim kills at once" status_is 137

# --- under systemd: in a scope, output to the journal, OOM ---
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
        SCOPE=tank-web-shimtest$$.scope
        ident=web/shimtest$$
        cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},$SPEC_PLAIN,
 "argv":["/bin/sh","-c","echo out-line; echo err-line >&2; dd if=/dev/zero of=/dev/null bs=256M count=1"],
 "env":["PATH=/bin"],"log":"journal","log_identifier":"$ident","exit_file":"$T/exit.json"}
EOF
        rm -f "$T/exit.json"
        timeout 60 "$LAUNCH" --before-go "busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
                org.freedesktop.systemd1.Manager StartTransientUnit 'ssa(sv)a(sa(sv))' $SCOPE fail \
                3 PIDs au 1 \$SHIM_PID MemoryMax t 67108864 MemoryAccounting b true 0 >/dev/null &&
                for i in \$(seq 100); do grep -q $SCOPE /proc/\$SHIM_PID/cgroup && exit 0; sleep 0.05; done; exit 1" \
                "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
        check "in a scope: memory hog killed (137)" status_is 137
        check "in a scope: OOM kill detected" bash -c "grep -q '\"oom\": true' '$T/exit.json'"
        journal_has() { journalctl -q -o cat -u "$SCOPE" -t "$ident" | grep -qx "$1"; }
        n=$((n + 1))
        if wait_for() { for i in $(seq 50); do journal_has "$1" && return 0; sleep 0.2; done; return 1; }; wait_for out-line && wait_for err-line; then
                ok "stdout and stderr in the journal under the scope"
        else
                fail "stdout and stderr in the journal under the scope"
                journalctl -q -o short -t "$ident" | sed 's/^/# /'
        fi
        systemctl stop "$SCOPE" >/dev/null 2>&1
        systemctl reset-failed "$SCOPE" >/dev/null 2>&1
else
        # No journald: the shim says so and passes its own output on.
        rm -f "$T/exit.json"
        cat > "$T/config.json" <<EOF
{"pod":"web","container":"app","rootfs":{"directory":"$ROOT"},$SPEC_PLAIN,"argv":["echo","fallback-line"],
 "log":"journal","exit_file":"$T/exit.json"}
EOF
        timeout 60 "$LAUNCH" "$SHIM" "$T/config.json" > "$T/out" 2> "$T/log"
        check "no journal: output passed on" has fallback-line
        check "no journal: a warning says so" grep -q "Cannot connect to the journal" "$T/log"
fi

check "no sanitizer report from any shim process" bash -c "! grep -B2 -A20 Sanitizer '$T/all.log'"

echo "1..$n"
[ "$failures" = 0 ]
