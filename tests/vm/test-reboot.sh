#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What only a real host can show: Tank across a reboot. Run by guest-job.sh
# in the VM test bed, in two halves around a reboot through systemd:
#
#   test-reboot.sh prepare   a LAN uplink brought up at boot by a unit (as a
#                            host's network configuration would), tankd
#                            enabled, and three pods: "keep" (always, a
#                            managed volume holding data), "lan" (a macvlan
#                            NIC serving HTTP on 192.0.2.10) and "once"
#                            (never, ran and finished); what they are is
#                            recorded in /var/lib/tank-vm/reboot.env
#   test-reboot.sh verify    after the boot: systemd started tankd by itself,
#                            etcd's data is intact, every pod reaches its
#                            desired phase, the volume's data is intact,
#                            "once" did not run again, nothing runs twice,
#                            and the LAN reaches the macvlan pod again
#
# Only documentation addresses (192.0.2.0/24), on a veth whose far side is a
# namespace of this guest.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

STATE=/var/lib/tank-vm
ROUTER=tank-vm-router
VOLS=/var/lib/tank/volumes
# Emulated CPUs are slow: boot-time starts get more time than in the sandbox.
SLOW=240

pods_json() {
        cat <<EOF2
[{"name": "keep", "restart": "always",
  "volumes": [{"name": "state"}],
  "containers": [{"name": "app", "image": "$TANK_IMAGE",
                  "command": ["sh", "-c", "echo run >>/state/runs; exec sleep infinity"],
                  "mounts": [{"volume": "state", "path": "/state"}]}]},
 {"name": "lan", "restart": "always",
  "network": {"nics": [{"name": "eth0", "parent": "tlan0", "ip": "192.0.2.10/24", "gateway": "192.0.2.1"}]},
  "volumes": [{"name": "www"}],
  "containers": [{"name": "httpd", "image": "$TANK_IMAGE",
                  "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
                  "mounts": [{"volume": "www", "path": "/www", "read_only": true}]}]},
 {"name": "once", "restart": "never",
  "volumes": [{"name": "log"}],
  "containers": [{"name": "app", "image": "$TANK_IMAGE",
                  "command": ["sh", "-c", "echo ran >>/log/runs"],
                  "mounts": [{"volume": "log", "path": "/log"}]}]}]
EOF2
}

# processes of UNIT whose command line is CMD (exactly)
count_in_scope() {
        local unit=$1 cmd=$2 n=0 p
        for p in $(pgrep -f "^$cmd\$"); do
                grep -q "/$unit\$" "/proc/$p/cgroup" 2>/dev/null && n=$((n + 1))
        done
        echo "$n"
}

# (busybox's own wget -T crashes in Debian 12's busybox-static: timeout(1) instead)
lan_get() {
        timeout 10 ip netns exec "$ROUTER" busybox wget -q -O - "http://192.0.2.10:8080/index.html"
}

prepare() {
        # The uplink exists before tankd at every boot, as a real NIC would.
        cat >/etc/systemd/system/tank-vm-lan.service <<EOF2
[Unit]
Description=Test LAN of the reboot test: uplink tlan0, router namespace $ROUTER at 192.0.2.1
Before=tankd.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -ec 'ip netns add $ROUTER; ip link add tlan0 type veth peer name r0 netns $ROUTER; ip link set tlan0 up; ip -n $ROUTER link set lo up; ip -n $ROUTER addr add 192.0.2.1/24 dev r0; ip -n $ROUTER link set r0 up'

[Install]
WantedBy=multi-user.target
EOF2
        systemctl daemon-reload
        systemctl enable --now tank-vm-lan.service || fail "the test LAN did not come up"
        systemctl is-enabled -q tankd.service || fail "tankd.service is not enabled after install"

        tank_up "[Host]
Uplink=tlan0"
        # The system tests before may have left volumes of these names.
        rm -rf "$VOLS/keep" "$VOLS/lan" "$VOLS/once"
        pods_json | tankctl apply -f - >/dev/null || fail "apply failed"
        wait_phase keep running $SLOW
        wait_phase lan running $SLOW
        wait_phase once succeeded $SLOW

        # Data the reboot must keep: a token and 8 MiB of random bytes.
        token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
        echo "$token" >"$VOLS/lan/www/index.html"
        head -c 8M /dev/urandom >"$VOLS/keep/state/blob"
        sum=$(sha256sum <"$VOLS/keep/state/blob" | cut -d' ' -f1)
        wait_for 30 lan_get || fail "the LAN does not reach the macvlan pod before the reboot"
        assert_eq "$(lan_get)" "$token" "the macvlan pod's answer before the reboot"
        assert_eq "$(cat "$VOLS/once/log/runs")" "ran" "once ran once"
        assert_eq "$(wc -l <"$VOLS/keep/state/runs")" 1 "keep ran once"
        once_exit=$(tankctl get once -o json | jq -c '.status.containers[0].last_exit')
        [ "$once_exit" != null ] || fail "once has no last exit"
        cat >"$STATE/reboot.env" <<EOF2
boot_id=$(cat /proc/sys/kernel/random/boot_id)
token=$token
sum=$sum
once_exit='$once_exit'
revisions='$(tankctl get keep -o json | jq -c '.status.revision'),$(tankctl get lan -o json | jq -c '.status.revision'),$(tankctl get once -o json | jq -c '.status.revision')'
EOF2
        # The registry goes with the job; the images are cached by now.
        reg_cleanup
        sync
        echo "prepared: keep and lan running, once succeeded ($once_exit)"
}

verify() {
        . "$STATE/reboot.env"
        local now
        now=$(cat /proc/sys/kernel/random/boot_id)
        [ "$now" != "$boot_id" ] || fail "the guest did not reboot (same boot id)"

        # Nobody starts tankd here: systemd does, at boot (no bus activation
        # either: is-active does not activate).
        wait_for $SLOW systemctl is-active -q tankd.service ||
                { systemctl status tankd.service --no-pager >&2; fail "systemd did not start tankd at boot"; }
        tank_wait_bus $SLOW
        echo "tankd active $(systemctl show -P ActiveEnterTimestampMonotonic tankd.service) us after boot"

        # The store's data survived: the same pods at the same revisions.
        assert_eq "$(tankctl list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')" "keep lan once " "pods after the reboot"
        wait_phase keep running $SLOW
        wait_phase lan running $SLOW
        wait_phase once succeeded $SLOW
        assert_eq "$(tankctl get keep -o json | jq -c '.status.revision'),$(tankctl get lan -o json | jq -c '.status.revision'),$(tankctl get once -o json | jq -c '.status.revision')" \
                "$revisions" "store revisions"

        # Volumes kept their data; "once" stays finished with the same exit.
        assert_eq "$(sha256sum <"$VOLS/keep/state/blob" | cut -d' ' -f1)" "$sum" "the volume's data"
        assert_eq "$(cat "$VOLS/lan/www/index.html")" "$token" "the www volume"
        assert_eq "$(tankctl get once -o json | jq -c '.status.containers[0].last_exit')" "$once_exit" "once's last exit"
        # Give a wrong restart of "once" the time to happen before counting.
        sleep 5
        assert_eq "$(cat "$VOLS/once/log/runs")" "ran" "once must not run again after the reboot"
        assert_eq "$(wc -l <"$VOLS/keep/state/runs")" 2 "keep runs once per boot"

        # Nothing runs twice: one scope per running container, one workload each.
        assert_eq "$(systemctl list-units --no-legend --plain --state=running 'tank-*.scope' | awk '{print $1}' | sort | tr '\n' ' ')" \
                "tank-keep-app.scope tank-lan-httpd.scope " "running scopes"
        assert_eq "$(count_in_scope tank-keep-app.scope 'sleep infinity')" 1 "keep's workloads"
        assert_eq "$(count_in_scope tank-lan-httpd.scope 'httpd -f -p 8080 -h /www')" 1 "lan's workloads"
        systemctl is-active -q tank-etcd.service || fail "tank-etcd.service is not active"
        assert_eq "$(pgrep -c -x etcd)" 1 "etcd processes"

        # The macvlan NIC was raised again on the uplink the boot brought up.
        wait_for 30 lan_get || fail "the LAN does not reach the macvlan pod after the reboot"
        assert_eq "$(lan_get)" "$token" "the macvlan pod's answer"
        echo "verified after the reboot: 3 pods, volume data intact, once not re-run, one instance each"
}

case ${1:-} in
prepare) prepare ;;
verify) verify ;;
*) echo "usage: test-reboot.sh prepare|verify" >&2; exit 2 ;;
esac
