#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sd_notify (issue 14), the plumbing: a container with "notify": true gets its
# run directory's notify/ bound read-only at /run/host/notify and
# NOTIFY_SOCKET=/run/host/notify/notify in its main process (over the spec's
# own), tank-exec processes do not; with a user namespace too. Where tankd
# listens (the socket exists), a datagram from inside (tests/system/shim-probe
# on a host volume) reaches tankd's debug log, and after kill -9 and restart
# the socket is made again (new inode) and still reached through the bind.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
cleanup() {
        tank_down
        rm -rf /run/systemd/system/tankd.service.d/notify-debug.conf /var/tmp/notify-probe
        systemctl daemon-reload
}
trap cleanup EXIT

mkdir -p /run/systemd/system/tankd.service.d /var/tmp/notify-probe
printf '[Service]\nEnvironment=TANK_LOG_LEVEL=debug\n' >/run/systemd/system/tankd.service.d/notify-debug.conf
cp "$TANK_BUILDDIR/tests/system/shim-probe" /var/tmp/notify-probe/ || fail "no shim-probe"
tank_up

spec() { # spec NAME USERNS
        cat <<EOF2
{"name": "$1", "user_namespace": "$2",
 "volumes": [{"name": "probe", "source": {"host": "/var/tmp/notify-probe"}}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "notify": true,
   "env": {"NOTIFY_SOCKET": "/elsewhere"},
   "mounts": [{"volume": "probe", "path": "/probe", "read_only": true}],
   "command": ["sleep", "infinity"]}]}
EOF2
}
in_ctr() { tankctl exec "$1" -- "${@:2}"; }
tankd_log() { journalctl -u tankd --no-pager -o cat --since "$1"; }

for pod in plain una; do
        if [ $pod = una ]; then spec una auto; else spec plain host; fi | tankctl apply -f - || fail "apply $pod"
done
for pod in plain una; do
        wait_phase $pod running 90
        dir=/run/tank/pods/$pod/app/notify
        assert_eq "$(stat -c %a:%u:%g "$dir")" "755:0:0" "$pod: notify directory mode and owner"
        assert_eq "$(stat -c %a "${dir%/notify}")" "700" "$pod: run directory mode"

        env1=$(in_ctr $pod cat /proc/1/environ | tr '\0' '\n' | grep '^NOTIFY_SOCKET=')
        assert_eq "$env1" "NOTIFY_SOCKET=/run/host/notify/notify" "$pod: main process's NOTIFY_SOCKET (over the spec's)"
        assert_eq "$(in_ctr $pod sh -c 'echo ${NOTIFY_SOCKET-unset}')" "unset" "$pod: tank-exec's NOTIFY_SOCKET"
        in_ctr $pod grep ' /run/host/notify ' /proc/self/mountinfo | grep -q ' /run/host/notify ro,nosuid,nodev,noexec' ||
                fail "$pod: /run/host/notify is not bound ro,nosuid,nodev,noexec: $(in_ctr $pod cat /proc/self/mountinfo)"
        assert_eq "$(in_ctr $pod /probe/shim-probe write /run/host/notify/x)" "EROFS" "$pod: writing the notify directory"
done
if [ "$(container_field una app pid)" ]; then
        echo "una's workload: $(grep ^Uid: /proc/"$(scope_pid una)"/status)"
fi

# A pod without notify gets none of it.
tank_pod_json quiet always sleep infinity | tankctl apply -f - || fail "apply quiet"
wait_phase quiet running 60
assert_eq "$(in_ctr quiet sh -c 'tr "\0" "\n" </proc/1/environ | grep -c ^NOTIFY_SOCKET=; test -e /run/host/notify && echo there')" \
        "0" "no notify: no NOTIFY_SOCKET, no /run/host/notify"
[ -e /run/tank/pods/quiet/app/notify ] && fail "no notify: a notify directory was made"

# The listener: opened by the reconciler before the start (notify-setup.h).
for pod in plain una; do
        [ -S /run/tank/pods/$pod/app/notify/notify ] || fail "$pod: tankd does not listen on its notify socket"
        # "notify": not ready until READY=1 (the workload sends nothing by itself).
        assert_eq "$(container_field $pod app ready)" "false" "$pod: ready before READY=1"
        assert_eq "$(container_field $pod app health)" "starting" "$pod: health before READY=1"
done
send() { # send POD TEXT: as the main process would (tank-exec has no NOTIFY_SOCKET of its own)
        in_ctr "$1" env NOTIFY_SOCKET=/run/host/notify/notify /probe/shim-probe notify "$2"
}
for pod in plain una; do
        since=$(date '+%Y-%m-%d %H:%M:%S')
        assert_eq "$(send $pod 'READY=1\nSTATUS=hello from '$pod)" "sent" "$pod: datagram sent"
        wait_for 10 sh -c "journalctl -u tankd --no-pager -o cat --since '$since' | grep -qx 'notify from $pod/app: READY=1'" ||
                { tankd_log "$since" | tail -20 >&2; fail "$pod: READY=1 did not reach tankd"; }
        tankd_log "$since" | grep -qx "notify from $pod/app: STATUS=hello from $pod" || fail "$pod: STATUS did not reach tankd"
        wait_for 10 sh -c "[ \"\$(tankctl get $pod -o json | jq -r '.status.containers[0].ready')\" = true ]" ||
                fail "$pod: READY=1 did not make the container ready"
        assert_eq "$(container_field $pod app notify_status)" "hello from $pod" "$pod: STATUS= in get"
        tankctl get $pod | grep -q "Status: *hello from $pod" || fail "$pod: tankctl get does not show the STATUS= text"
done
# The fd shim-probe attaches is closed: tankd's fd count does not grow.
tankd_fds() { ls "/proc/$(systemctl show -P MainPID tankd.service)/fd" | wc -l; }
before=$(tankd_fds)
for i in 1 2 3 4 5; do send plain 'WATCHDOG=1' >/dev/null; done
sleep 1
[ "$(tankd_fds)" -le "$before" ] || fail "tankd's fds grew from $before to $(tankd_fds) after datagrams with fds"

# kill -9 and restart: adoption makes the socket again at the same path.
ino=$(stat -c %i /run/tank/pods/plain/app/notify/notify)
old=$(systemctl show -P MainPID tankd.service)
kill -9 "$old"
wait_for 30 sh -c "[ \"\$(systemctl show -P MainPID tankd.service)\" != '$old' ] && [ \"\$(systemctl show -P MainPID tankd.service)\" != 0 ]" ||
        fail "tankd was not restarted"
tank_wait_bus 60
wait_phase plain running 30
wait_for 10 test -S /run/tank/pods/plain/app/notify/notify || fail "no socket after the restart"
[ "$(stat -c %i /run/tank/pods/plain/app/notify/notify)" != "$ino" ] || fail "the socket was not made again"
since=$(date '+%Y-%m-%d %H:%M:%S')
assert_eq "$(send plain 'READY=1')" "sent" "datagram after the restart"
wait_for 10 sh -c "journalctl -u tankd --no-pager -o cat --since '$since' | grep -qx 'notify from plain/app: READY=1'" ||
        fail "the adopted container's READY=1 did not reach the new tankd"
# The ready state survived adoption (state.json's ready_notified).
assert_eq "$(container_field plain app ready)" "true" "plain: ready after the restart"

# watchdog_sec: a main process that stops sending WATCHDOG=1 is killed as
# unhealthy and restarted under its policy.
cat <<EOF2 | tankctl apply -f - || fail "apply wd"
{"name": "wd", "restart": "always",
 "volumes": [{"name": "probe", "source": {"host": "/var/tmp/notify-probe"}}],
 "containers": [{"name": "app", "image": "$TANK_IMAGE", "notify": true, "watchdog_sec": 2,
   "mounts": [{"volume": "probe", "path": "/probe", "read_only": true}],
   "command": ["sh", "-c", "/probe/shim-probe notify 'READY=1'; for i in 1 2 3 4 5 6; do sleep 1; /probe/shim-probe notify 'WATCHDOG=1'; done; sleep infinity"]}]}
EOF2
wait_phase wd running 60
# Each run lives about 8 s (long enough to be seen ready on a loaded
# machine: with 5 s a CI run beside other sandboxes missed it): read ready,
# pid and restarts from one answer, so that a slow poll cannot take the
# second run's pid for the first's.
wd_state() { tankctl get wd -o json | jq -c '.status.containers[0] | {ready, pid, restarts}'; }
wait_for 20 sh -c "tankctl get wd -o json | jq -e -r '.status.containers[0] | select(.ready == true and .pid > 1) | \"\\(.pid) \\(.restarts)\"' >/tmp/wd.state" ||
        fail "wd: never ready: $(wd_state)"
read -r pid1 restarts1 </tmp/wd.state
# Three keep-alives (3 s), then silence: killed about 2 s later.
wait_for 30 sh -c "[ \"\$(tankctl get wd -o json | jq -r '.status.containers[0].restarts')\" -gt $restarts1 ]" ||
        fail "wd: a missed watchdog did not restart the container"
assert_eq "$(tankctl get wd -o json | jq -r '.status.containers[0].last_exit.unhealthy')" "true" "wd: the exit is unhealthy"
tankctl get wd -o json | jq -r '.status.containers[0].last_exit.unhealthy_reason' | grep -q '^watchdog: ' ||
        fail "wd: the reason is not the watchdog's: $(tankctl get wd -o json | jq -c '.status.containers[0].last_exit')"
wait_for 30 sh -c "tankctl get wd -o json | jq -e '.status.containers[0] | .pid > 1 and .pid != $pid1' >/dev/null" ||
        fail "wd: no new workload after the watchdog kill: $(wd_state) (first: $pid1)"
echo "notify: ok"
