# SPDX-License-Identifier: LGPL-2.1-or-later
# Fixtures for tests that drive a real tankd inside the sandbox (sourced, bash):
#
#   tank_up [CONF_EXTRA]     install the build tree into the sandbox (make
#                            install: the sandbox root is a throwaway overlay;
#                            skipped when TANK_INSTALLED is set, as in the VM),
#                            start a registry with 127.0.0.1:5000/tank/busybox,
#                            write /etc/tank/tank.conf (small backoff for tests,
#                            plus CONF_EXTRA lines), start tankd.service and wait
#                            for its bus name
#   tank_down                delete every pod with its volumes, stop tankd and
#                            the registry
#   tank_pod_json NAME [RESTART] [CMD...]   a one-container busybox pod
#   scope_pid POD CTR        host pid of the workload (from the pod's status)
#   wait_phase POD PHASE [TIMEOUT]
#
# Expects lib.sh (fail, assert_eq, wait_for) and registry-lib.sh to be sourced.

TANK_IMAGE=127.0.0.1:5000/tank/busybox:latest

tank_install() {
        # The VM test bed installed Tank already, from the host's DESTDIR tree
        # (a make over 9p would rebuild everything).
        if [ -z "${TANK_INSTALLED:-}" ]; then
                make -s -C "$TANK_BUILDDIR" install >/tmp/tank-install.log 2>&1 ||
                        { cat /tmp/tank-install.log >&2; fail "make install failed"; }
        fi
        systemctl daemon-reload
        # dbus-daemon only reads new policy files on reload.
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
}

tank_write_config() {
        mkdir -p /etc/tank
        cat >/etc/tank/tank.conf <<EOF2
[Tank]
DataDirectory=/var/lib/tank
[Registry]
Insecure=127.0.0.1:5000
[Restart]
BackoffBaseSec=${TANK_TEST_BACKOFF_BASE:-1}
BackoffCapSec=${TANK_TEST_BACKOFF_CAP:-8}
StableSec=${TANK_TEST_STABLE:-5}
StopTimeoutSec=3
$*
EOF2
        # The whole suite under another [Security] UserNamespace= default.
        if [ -n "${TANK_TEST_USERNS:-}" ]; then
                printf '[Security]\nUserNamespace=%s\n' "$TANK_TEST_USERNS" >>/etc/tank/tank.conf
        fi
}

# The bus name comes first, then the store's first list and READY=1
# (systemctl is-active): wait for both, so that no call meets "not connected yet".
tank_wait_bus() {
        { wait_for "${1:-60}" busctl --system status org.tank.Tank1 &&
          wait_for "${1:-60}" systemctl is-active -q tankd.service; } ||
                { systemctl status tankd.service --no-pager >&2; journalctl -u tankd --no-pager | tail -40 >&2;
                  fail "tankd did not take its bus name"; }
}

tank_up() {
        tank_install
        registry_start_with_busybox 5000 || fail "registry did not start"
        tank_write_config "$@"
        systemctl start tankd.service || { journalctl -u tankd --no-pager | tail -40 >&2; fail "tankd did not start"; }
        tank_wait_bus 60
}

tank_down() {
        local pods
        # With their volumes, torn down (delete --volumes waits for that): the
        # next test must not find this one's scopes or data. One call for all:
        # their stops run together (a workload that ignores SIGTERM costs its
        # stop timeout once, not once per pod).
        pods=$(tankctl list 2>/dev/null | awk 'NR>1 {print $1}')
        [ -z "$pods" ] || tankctl delete --volumes $pods >/dev/null 2>&1
        systemctl stop tankd.service 2>/dev/null
        reg_cleanup
}

# tank_pod_json NAME [RESTART [CMD...]]
tank_pod_json() {
        local name=$1 restart=${2:-always}
        shift 2 2>/dev/null || shift $#
        local cmd='["sleep", "infinity"]'
        if [ $# -gt 0 ]; then
                cmd=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
        fi
        printf '{"name": "%s", "restart": "%s", "containers": [{"name": "app", "image": "%s", "command": %s}]}\n' \
                "$name" "$restart" "$TANK_IMAGE" "$cmd"
}

pod_status() {
        tankctl get "$1" -o json | jq -c '.status'
}

# container_field POD CTR FIELD
container_field() {
        tankctl get "$1" -o json | jq -r --arg c "$2" ".status.containers[] | select(.name == \$c) | .$3"
}

scope_pid() {
        container_field "$1" "${2:-app}" pid
}

wait_phase() {
        local pod=$1 phase=$2 timeout=${3:-60}
        wait_for "$timeout" sh -c "tankctl get '$pod' -o json 2>/dev/null | jq -e '.status.phase == \"$phase\"' >/dev/null" ||
                { tankctl get "$pod" -o json >&2; journalctl -u tankd --no-pager | tail -30 >&2;
                  fail "pod $pod did not reach phase $phase within ${timeout}s"; }
}

# The standalone store's client endpoint, for etcdctl.
tank_store_endpoint() {
        echo "unix:///run/tank/etcd/etcd.sock:0"
}
