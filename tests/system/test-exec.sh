#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tankctl exec (issue 8), driven under a real PTY (tests/system/pty-drive.py,
# which also fails when the caller's terminal settings are not restored):
# namespaces and root, exit statuses, env/cwd/TERM, detach (also split),
# a failed partial detach match passed through, resize, concurrent sessions,
# Session objects on the bus, signals to tankctl, a dying helper, errors.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

drive() { python3 "$TANK_SRCDIR/tests/system/pty-drive.py" "$@"; }

tank_up

tank_pod_json web always sleep infinity >/tmp/web.json
tankctl apply -f /tmp/web.json || fail "apply failed"
wait_phase web running 60
wpid=$(scope_pid web app)

# An interactive shell: PID 1 sleep beside it, the container's root and
# hostname, the window size, a resize, and exit with a status.
out=$(TERM=xterm-256color drive -- tankctl exec -t web -- /bin/sh <<'EOF'
expect #
send ps -o pid,comm,args; hostname; test -d /work || echo ROOT-IS-CONTAINER\r
expect 1 +sleep +sleep infinity
expect \n +[0-9]+ +sh
expect \nweb
expect ROOT-IS-CONTAINER
send stty size\r
expect 24 80
resize 33 101
send stty size\r
expect 33 101
send echo TERM=$TERM\r
expect TERM=xterm-256color
send exit 5\r
wait
EOF
) || fail "interactive exec: $out"
echo "$out" | grep -q '^EXIT 5$' || fail "exit status of the shell: $out"

# tank-exec runs in the container's namespaces, so like the shim it runs from
# a sealed memfd copy, never from its file (CVE-2019-5736).
tankctl exec web -- sleep 5 >/dev/null 2>&1 &
execpid=$!
wait_for 10 pgrep -x tank-exec >/dev/null || fail "no tank-exec process while an exec runs"
helper=$(pgrep -x tank-exec | head -1)
readlink "/proc/$helper/exe" | grep -q '^/memfd:tank-exec' ||
        fail "tank-exec does not run from a sealed memfd: $(readlink "/proc/$helper/exe")"
# The container's shim started it (exec-protocol.h, "Spawned by the shim"):
# born in the scope, never moved there by tankd.
shim=$(container_field web app shim_pid 2>/dev/null)
[ -n "$shim" ] && [ "$shim" != null ] || shim=$(ps -o ppid= -p "$wpid" | tr -d ' ')
assert_eq "$(ps -o ppid= -p "$helper" | tr -d ' ')" "$shim" "tank-exec's parent (the container's shim)"
grep -q "tank-web-app.scope" "/proc/$helper/cgroup" || fail "tank-exec is not in the container's scope: $(cat "/proc/$helper/cgroup")"
wait "$execpid" || fail "the background exec failed"

# The shim reaps what it started and keeps nothing of it: 10 execs leave
# its descriptors as they were.
fds() { ls "/proc/$shim/fd" | wc -l; }
before=$(fds)
for i in $(seq 1 10); do tankctl exec web -- true || fail "exec $i"; done
assert_eq "$(fds)" "$before" "the shim's open descriptors after 10 execs"
[ -z "$(ps -o stat= --ppid "$shim" | grep Z)" ] || fail "zombies under the shim: $(ps -o pid,stat,comm --ppid "$shim")"

# A shim without the exec socket (one older than it): tankd starts tank-exec
# itself and moves it into the scope, as before.
sock=/run/tank/pods/web/app/exec
[ -S "$sock" ] || fail "no exec socket at $sock"
mv "$sock" "$sock.away"
tankctl exec web -- sleep 3 >/dev/null 2>&1 &
execpid=$!
wait_for 10 pgrep -x tank-exec >/dev/null || fail "no tank-exec process in the fallback"
helper=$(pgrep -x tank-exec | head -1)
assert_eq "$(ps -o ppid= -p "$helper" | tr -d ' ')" "$(systemctl show -P MainPID tankd.service)" \
        "tank-exec's parent without the exec socket (tankd)"
grep -q "tank-web-app.scope" "/proc/$helper/cgroup" || fail "fallback: tank-exec was not moved into the scope"
wait "$execpid" || fail "the fallback exec failed"
out=$(tankctl exec web -- sh -c 'echo fallback; exit 4')
assert_eq "$?" 4 "fallback exit status"
assert_eq "$out" fallback "fallback stdout"
mv "$sock.away" "$sock"

# tankd compiles the containers' seccomp filter once at start
# (daemon/seccomp-program.h) and names it in every container's config: the
# shim and tank-exec load that program instead of building one each. Shown by
# putting another program there, one that denies uname(2) only (ld nr; jeq
# 63; ret ERRNO|EPERM; ret ALLOW): the next exec and the next container get it.
# (busybox's uname ignores the error and prints an empty name.)
bpf=/run/tank/seccomp.bpf
[ -f "$bpf" ] || fail "no compiled seccomp filter at $bpf"
assert_eq "$(stat -c '%u %a' "$bpf")" "0 644" "owner and mode of $bpf"
size=$(stat -c %s "$bpf")
[ "$size" -gt 8 ] && [ $((size % 8)) -eq 0 ] || fail "$bpf is not a BPF program: $size bytes"
assert_eq "$(jq -r .seccomp_filter /run/tank/pods/web/app/config.json)" "$bpf" "the filter the container's config names"
assert_eq "$(tankctl exec web -- uname)" Linux "uname under the default filter"
cp -p "$bpf" /tmp/seccomp.bpf.saved
install_program() {
        printf '\x20\x00\x00\x00\x00\x00\x00\x00\x15\x00\x00\x01\x3f\x00\x00\x00' >"$bpf.new"
        printf '\x06\x00\x00\x00\x01\x00\x05\x00\x06\x00\x00\x00\x00\x00\xff\x7f' >>"$bpf.new"
        chmod "$1" "$bpf.new"
        mv "$bpf.new" "$bpf"
}
install_program 0644
[ "$(tankctl exec web -- uname)" != Linux ] || fail "exec did not load the program in $bpf: uname was allowed"
tankctl exec web -- true || fail "exec of true under the uname-only program"
tank_pod_json nouname always sh -c \
        'if [ "$(uname)" = Linux ]; then echo allowed; else echo denied; fi >/tmp/uname; exec sleep infinity' >/tmp/nouname.json
tankctl apply -f /tmp/nouname.json || fail "apply nouname"
wait_phase nouname running 60
npid=$(scope_pid nouname app)
wait_for 10 test -s "/proc/$npid/root/tmp/uname" || fail "the workload did not try uname"
assert_eq "$(cat "/proc/$npid/root/tmp/uname")" denied "uname in a workload started with the program in $bpf"
# A program anyone else could have written is not read: the shim builds the policy.
install_program 0666
assert_eq "$(tankctl exec web -- uname)" Linux "uname with a world-writable program in $bpf"
mv /tmp/seccomp.bpf.saved "$bpf"
assert_eq "$(tankctl exec web -- uname)" Linux "uname with the compiled filter back"
tankctl delete nouname || fail "delete nouname"

# Without a tty: stdout and stderr apart, the status, a signal, binary data.
out=$(tankctl exec web -- sh -c 'echo hi; echo oops >&2; exit 3' 2>/tmp/exec-err)
assert_eq "$?" 3 "exit status"
assert_eq "$out" "hi" "stdout"
assert_eq "$(cat /tmp/exec-err)" "oops" "stderr"
tankctl exec web -- sh -c 'kill -9 $$'
assert_eq "$?" 137 "status of a command killed by SIGKILL"
tankctl exec web -- sh -c 'kill -TERM $$'
assert_eq "$?" 143 "status of a command killed by SIGTERM"
# A command that ends without reading the input still pouring in: its status
# wins, not "connection lost" (the helper's side is closed before our input is).
for i in 1 2 3; do
        yes | tankctl exec web -- sh -c 'exit 6' 2>/tmp/exec-err
        assert_eq "$?" 6 "status of a command that ignores its input (round $i): $(cat /tmp/exec-err)"
        tankctl exec web -- true </dev/null || fail "exec with stdin at EOF (round $i)"
done
head -c 300000 /dev/urandom >/tmp/blob
tankctl exec web -- cat </tmp/blob >/tmp/blob.out || fail "cat of binary stdin failed"
cmp -s /tmp/blob /tmp/blob.out || fail "binary data changed on the way"
# Far more than both sockets' queues and the pipes hold, both ways at once:
# tankctl must go on reading output while its input waits for room. When it
# blocked in send(), the helper blocked in its own send() to it and the two
# hung for ever (Debian 12's VM, CI of 59bbde5, on the 300 KB above; here
# 1 round in 40 of these). A hang is this test's timeout.
head -c 4000000 /dev/urandom >/tmp/big
for i in 1 2 3 4 5 6 7 8 9 10; do
        tankctl exec web -- cat </tmp/big >/tmp/big.out || fail "cat of 4 MB (round $i) failed"
        cmp -s /tmp/big /tmp/big.out || fail "4 MB through cat changed on the way (round $i)"
done
rm -f /tmp/big /tmp/big.out
out=$(tankctl exec web -- nosuchcommand 2>&1)
assert_eq "$?" 127 "status of a missing command"
echo "$out" | grep -q nosuchcommand || fail "no word about the missing command: $out"

# Environment and working directory: the container's, TERM, -e (last wins), -w.
out=$(TERM=vt100 tankctl exec -e FOO=one -e FOO=two -e BAR=x -w /tmp web -- sh -c 'echo $FOO $BAR $TERM $PATH; pwd')
assert_eq "$(echo "$out" | head -1 | cut -d' ' -f1-3)" "two x vt100" "env overrides and TERM"
echo "$out" | head -1 | grep -q /bin || fail "PATH of the container missing: $out"
assert_eq "$(echo "$out" | tail -1)" "/tmp" "cwd override"
assert_eq "$(tankctl exec web -- pwd)" "/" "default cwd"
tankctl exec -w /nonexistent web -- true 2>/dev/null && fail "exec with a missing -w succeeded"

# The process runs in the container's scope (its limits apply) and its PID namespace.
out=$(tankctl exec web -- sh -c 'echo $$; cat /proc/self/cgroup')
nspid=$(echo "$out" | head -1)
[ "$nspid" -gt 1 ] 2>/dev/null || fail "exec'd pid in the namespace: $out"
tankctl exec web -- sleep 5678 &
bgexec=$!
wait_for 10 sh -c "ps -eo args | grep -q '^sleep 5678'" || fail "exec'd sleep not seen from the host"
hpid=$(pgrep -x -f 'sleep 5678')
# In the hierarchy that counts (cgroup2 on a unified host, the pids one on v1),
# not just in systemd's own.
procs=$(cgroup_value tank-web-app.scope procs) || fail "cannot read the scope's cgroup.procs"
echo "$procs" | grep -qx "$hpid" ||
        fail "exec'd process $hpid not in the container's scope: $(cat /proc/$hpid/cgroup)"
assert_eq "$(readlink /proc/$hpid/ns/pid)" "$(readlink /proc/$wpid/ns/pid)" "pid namespace"
assert_eq "$(readlink /proc/$hpid/ns/mnt)" "$(readlink /proc/$wpid/ns/mnt)" "mount namespace"
assert_eq "$(readlink /proc/$hpid/ns/net)" "$(readlink /proc/$wpid/ns/net)" "network namespace"
assert_eq "$(awk '/^CapBnd/ {print $2}' /proc/$hpid/status)" "$(awk '/^CapBnd/ {print $2}' /proc/$wpid/status)" "bounding set"
assert_eq "$(awk '/^NoNewPrivs/ {print $2}' /proc/$hpid/status)" "1" "no_new_privs"
assert_eq "$(awk '/^Seccomp:/ {print $2}' /proc/$hpid/status)" "2" "seccomp filter"
# Inheritable set empty (CVE-2022-24769), for the workload and the exec'd
# process alike; bounding and effective sets are the container's.
grep -E '^Cap(Inh|Eff|Bnd):' /proc/$wpid/status | sed 's/^/workload: /'
grep -E '^Cap(Inh|Eff|Bnd):' /proc/$hpid/status | sed 's/^/exec: /'
assert_eq "$(awk '/^CapInh/ {print $2}' /proc/$wpid/status)" "0000000000000000" "workload's inheritable set"
assert_eq "$(awk '/^CapInh/ {print $2}' /proc/$hpid/status)" "0000000000000000" "exec'd process's inheritable set"
assert_eq "$(awk '/^CapEff/ {print $2}' /proc/$hpid/status)" "$(awk '/^CapEff/ {print $2}' /proc/$wpid/status)" "effective set"
assert_eq "$(awk '/^CapAmb/ {print $2}' /proc/$hpid/status)" "0000000000000000" "exec'd process's ambient set"
kill "$hpid"
wait $bgexec
assert_eq "$?" 143 "status of the exec'd sleep killed from outside"

# A non-root image (User=app): the workload and what is exec'd into it have
# no capabilities but the bounding set, and an empty inheritable set.
cat <<EOF2 | tankctl apply -f - || fail "apply user"
{"name": "user", "containers": [{"name": "app", "image": "127.0.0.1:5000/tank/busybox-user:latest",
  "command": ["sleep", "infinity"]}]}
EOF2
wait_phase user running 60
upid=$(scope_pid user app)
grep -E '^Cap(Inh|Eff|Bnd):' /proc/$upid/status | sed 's/^/non-root workload: /'
assert_eq "$(awk '/^Uid/ {print $2}' /proc/$upid/status)" "1000" "non-root workload's uid"
assert_eq "$(awk '/^CapInh/ {print $2}' /proc/$upid/status)" "0000000000000000" "non-root workload's inheritable set"
assert_eq "$(awk '/^CapEff/ {print $2}' /proc/$upid/status)" "0000000000000000" "non-root workload's effective set"
assert_eq "$(awk '/^CapBnd/ {print $2}' /proc/$upid/status)" "00000000800405fb" "non-root workload's bounding set"
out=$(tankctl exec user -- sh -c 'id -u; grep -E "^Cap(Inh|Eff|Bnd|Amb):" /proc/self/status') || fail "exec into user: $out"
echo "$out" | sed 's/^/non-root exec: /'
assert_eq "$(echo "$out" | head -1)" "1000" "exec'd process's uid"
echo "$out" | grep -qE '^CapInh:\s+0000000000000000$' || fail "non-root exec: inheritable set not empty: $out"
echo "$out" | grep -qE '^CapEff:\s+0000000000000000$' || fail "non-root exec: effective set not empty: $out"
tankctl delete user || fail "delete user"

# A Session object tells the status too.
tankctl exec web -- sh -c 'exit 9'
sess=$(busctl --system tree --list org.tank.Tank1 | grep /session/ | sort -t/ -k6 -n | tail -1)
[ -n "$sess" ] || fail "no session object"
assert_eq "$(busctl --system get-property org.tank.Tank1 "$sess" org.tank.Tank1.Session ExitStatus)" "i 9" "session ExitStatus"
assert_eq "$(busctl --system get-property org.tank.Tank1 "$sess" org.tank.Tank1.Session Running)" "b false" "session Running"
assert_eq "$(busctl --system get-property org.tank.Tank1 "$sess" org.tank.Tank1.Session Pod)" 's "web"' "session Pod"
norm() { python3 "$TANK_SRCDIR/tests/system/introspect-normalize.py" "$@"; }
busctl --system introspect --xml-interface org.tank.Tank1 "$sess" | norm org.tank.Tank1.Session >/tmp/live-session
norm org.tank.Tank1.Session <"$TANK_SRCDIR/dbus/org.tank.Tank1.xml" >/tmp/file-session
diff -u /tmp/file-session /tmp/live-session || fail "dbus/org.tank.Tank1.xml differs from the Session interface"

# Detach with Ctrl-P Ctrl-Q, the two keys in separate writes: the process
# keeps running (seen from a second exec); a Ctrl-P followed by another key
# reaches the process.
# READY comes from inside: tankctl has switched the terminal to raw mode.
out=$(drive -- tankctl exec -t web -- sh -c 'echo READY; exec cat -v' <<'EOF'
expect READY
send a\x10b\r
expect a\^Pb
send \x10
sleep 0.3
send \x11
expect detached
wait
EOF
) || fail "detach: $out"
echo "$out" | grep -q '^EXIT 0$' || fail "detach exit status: $out"
tankctl exec web -- ps -o args | grep -q '^cat -v' || fail "cat not running after the detach"
tankctl exec web -- sh -c 'kill $(pidof cat)'
out=$(drive -- tankctl exec -t --detach-keys=ctrl-a,d web -- sh -c 'echo READY; exec sleep 4321' <<'EOF'
expect READY
send \x01d
expect detached
wait
EOF
) || fail "custom detach keys: $out"
tankctl exec web -- ps -o args | grep -q '^sleep 4321' || fail "sleep not running after the detach"

# Two sessions at once; ending one affects neither the other nor the workload.
tankctl exec web -- sh -c 'sleep 2; echo one' >/tmp/one & p1=$!
tankctl exec web -- sh -c 'sleep 1; echo two; exit 4' >/tmp/two & p2=$!
wait $p2; assert_eq "$?" 4 "second concurrent exec"
wait $p1; assert_eq "$?" 0 "first concurrent exec"
assert_eq "$(cat /tmp/one)$(cat /tmp/two)" "onetwo" "concurrent outputs"
assert_eq "$(scope_pid web app)" "$wpid" "workload after the execs"

# Signals to tankctl and a dying server side restore the terminal too.
out=$(drive -- tankctl exec -t web -- sleep 999 <<'EOF'
sleep 0.5
signal TERM
wait
EOF
) || fail "SIGTERM to tankctl: $out"
echo "$out" | grep -q '^EXIT 143$' || fail "status after SIGTERM: $out"
out=$(drive -- tankctl exec -t web -- sh -c 'echo READY; exec sleep 998' <<'EOF'
expect READY
send \x03
wait
EOF
) || fail "Ctrl-C in the container: $out"
echo "$out" | grep -q '^EXIT 130$' || fail "Ctrl-C reaches the process, not tankctl: $out"
drive -- tankctl exec -t web -- sleep 997 >/tmp/crash.out <<'EOF' &
sleep 0.5
expect .*
sleep 2
wait
EOF
dpid=$!
wait_for 10 pgrep -f 'tank-exec .*sleep 997' >/dev/null || fail "no helper"
kill -KILL "$(pgrep -f 'tank-exec .*sleep 997' | head -1)"
wait $dpid || fail "dying helper: $(cat /tmp/crash.out)"
grep -q 'connection to the container lost' /tmp/crash.out || fail "no word about the lost connection: $(cat /tmp/crash.out)"
grep -q '^EXIT 1$' /tmp/crash.out || fail "status after the helper died: $(cat /tmp/crash.out)"

# Errors.
out=$(tankctl exec nosuch -- true 2>&1) && fail "exec into a missing pod succeeded"
echo "$out" | grep -q 'no such pod' || fail "unclear error: $out"
tank_pod_json done never true >/tmp/done.json
tankctl apply -f /tmp/done.json || fail "apply done failed"
wait_phase done succeeded 60
out=$(tankctl exec done -- true 2>&1) && fail "exec into a finished pod succeeded"
echo "$out" | grep -q 'not running' || fail "unclear error: $out"
out=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Exec ssasassb done "" 1 true 0 "" false 2>&1) &&
        fail "Exec into a finished pod succeeded on the bus"
echo "$out" | grep -q 'not running' || fail "unclear bus error: $out"
# Only root and group tank may exec (dbus/org.tank.Tank1.conf).
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager Exec ssasassb web "" 1 true 0 "" false 2>&1) &&
        fail "an unprivileged caller could Exec"
echo "$out" | grep -qi 'denied' || fail "unprivileged Exec: unclear refusal: $out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups tankctl attach web 2>&1) &&
        fail "an unprivileged caller could Attach"
echo "$out" | grep -q 'permission denied' || fail "unprivileged attach: unclear refusal: $out"
exit 0
