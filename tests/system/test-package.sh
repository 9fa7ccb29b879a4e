#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package (debian/, issue 19): built from a clean copy of the source
# tree (tools/build-deb: dpkg-buildpackage -us -uc -b), lintian-clean of errors,
# installed with dpkg -i as on a host, it has made the user and group "tank"
# and their subordinate ids, put every file in place, enabled and started
# tankd.service, and the README's tour runs against the installed binaries
# (/usr/bin/tankctl, /usr/sbin/tankd; the delete as a member of group tank).
# Then dpkg --purge leaves none of it.
#
# Other tests run the build tree's tankd (make install, prefix /usr/local,
# but the unit and D-Bus files at the same paths as the package's): what the
# package replaces is saved first and put back at the end, with /etc/tank and
# any policy-rc.d (which would keep the package from starting tankd).
#
# Plain build only: the package is built from source whatever the build tree,
# so the sanitizer build's run would only repeat it. TANK_DEB=FILE tests that
# .deb instead of building one (a lintian run is then skipped too).
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

if grep -q -e '--enable-sanitizers' "$TANK_BUILDDIR/config.status" 2>/dev/null; then
        echo "test-package: sanitizer build; the package is tested with the plain build"
        exit 0
fi
[ -z "${TANK_INSTALLED:-}" ] || { echo "test-package: Tank is installed already (VM test bed); not here"; exit 0; }
[ "${container:-}" = tank-sandbox ] || [ "$(cat /run/systemd/container 2>/dev/null)" = tank-sandbox ] ||
        [ -e /etc/tank-vm-testbed ] ||
        fail "test-package.sh installs and purges a package: run it in the tank sandbox or the VM test bed"

# The tour runs the package's binaries, never the build tree's (/usr/local
# comes first in PATH); tank-lib's helpers call tankctl too.
tankctl() { /usr/bin/tankctl "$@"; }

work=$(mktemp -d /tmp/tank-package.XXXXXX)
saved=$work/saved
mkdir -p "$saved"
# Paths a make install of the build tree shares with the package.
shared_files=(
        /lib/systemd/system/tankd.service
        /usr/share/dbus-1/system.d/org.tank.Tank1.conf
        /usr/share/dbus-1/system-services/org.tank.Tank1.service
        /usr/lib/sysusers.d/tank.conf
)
for f in "${shared_files[@]}"; do
        if [ -e "$f" ]; then
                mkdir -p "$saved$(dirname "$f")" && cp -a "$f" "$saved$f" || fail "cannot save $f"
        fi
done
[ -d /etc/tank ] && { mv /etc/tank "$saved/etc-tank" || fail "cannot move /etc/tank away"; }
policy=/usr/sbin/policy-rc.d
[ -e $policy ] && { mv $policy "$saved/policy-rc.d" || fail "cannot move $policy away"; }
was_enabled=$(systemctl is-enabled tankd.service 2>/dev/null)
# The user and group "tank" (the runner's tank-subids made them): gone for the
# test, so that the package's systemd-sysusers makes them as on a new host
# (and tank-subids gives the user its ranges). Put back at the end.
accounts=(/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid)
mkdir -p "$saved/accounts"
for f in "${accounts[@]}"; do
        [ -e "$f" ] && { cp -a "$f" "$saved/accounts/" || fail "cannot save $f"; }
done

cleanup() {
        local p
        if dpkg-query -W -f='${Status}' tank 2>/dev/null | grep -q 'ok installed'; then
                for p in $(/usr/bin/tankctl list 2>/dev/null | awk 'NR>1 {print $1}'); do
                        /usr/bin/tankctl delete --volumes "$p" >/dev/null 2>&1
                done
                dpkg --purge tank >/dev/null 2>&1
        fi
        systemctl stop tankd.service 2>/dev/null
        reg_cleanup
        for f in "${accounts[@]}"; do
                [ -e "$saved/accounts/${f##*/}" ] && cp -a "$saved/accounts/${f##*/}" "$f"
        done
        rm -rf /etc/tank
        [ -d "$saved/etc-tank" ] && mv "$saved/etc-tank" /etc/tank
        [ -e "$saved/policy-rc.d" ] && mv "$saved/policy-rc.d" $policy
        for f in "${shared_files[@]}"; do
                [ -e "$saved$f" ] && { mkdir -p "$(dirname "$f")"; cp -a "$saved$f" "$f"; }
        done
        systemctl daemon-reload
        case $was_enabled in enabled) systemctl enable tankd.service >/dev/null 2>&1 ;; esac
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null 2>&1
        rm -rf "$work"
}
trap cleanup EXIT

# Build, from a copy of the tree (tools/build-deb), and lint.
if [ -n "${TANK_DEB:-}" ]; then
        deb=$TANK_DEB
else
        t0=$(date +%s)
        deb=$("$TANK_SRCDIR/tools/build-deb" "$work/out") || fail "tools/build-deb failed"
        echo "package built in $(( $(date +%s) - t0 ))s: $(basename "$deb")"
        t0=$(date +%s)
        lintian --fail-on error "$work"/out/tank_*.changes >"$work/lintian.out" 2>&1 ||
                { cat "$work/lintian.out" >&2; fail "lintian reports errors"; }
        echo "lintian ($(( $(date +%s) - t0 ))s):"
        grep -v 'running with root privileges' "$work/lintian.out" | sed 's/^/  /'
fi
[ -f "$deb" ] || fail "no package at $deb"
dpkg-deb -f "$deb" Depends | grep -qw etcd-server || fail "the package does not depend on etcd-server"

# The example registry is plain HTTP: a drop-in says so, as on a host.
mkdir -p /etc/tank/tank.conf.d
printf '[Registry]\nInsecure=127.0.0.1:5000\n' >/etc/tank/tank.conf.d/50-test-package.conf
registry_start_with_busybox 5000 || fail "registry did not start"

if getent passwd tank >/dev/null; then userdel tank || fail "userdel tank"; fi
if getent group tank >/dev/null; then groupdel tank || fail "groupdel tank"; fi
sed -i '/^tank:/d' /etc/subuid /etc/subgid

# Install, as a user would.
dpkg -i "$deb" >"$work/dpkg-i.out" 2>&1 || { cat "$work/dpkg-i.out" >&2; fail "dpkg -i failed"; }
sed 's/^/dpkg -i: /' "$work/dpkg-i.out"
assert_eq "$(dpkg-query -W -f='${Status}' tank)" "install ok installed" "package status"

# What the maintainer scripts did: the user and group, subordinate ids, and
# tankd enabled and running (started by the postinst, not by this test).
getent group tank >/dev/null || fail "no group tank"
getent passwd tank >/dev/null || fail "no user tank"
assert_eq "$(id -gn tank)" tank "the group of the user tank"
grep -q '^tank:' /etc/subuid && grep -q '^tank:' /etc/subgid || fail "no subordinate ids for tank"
assert_eq "$(systemctl is-enabled tankd.service)" enabled "tankd.service enablement"
[ -L /etc/systemd/system/dbus-org.tank.Tank1.service ] || fail "the unit's D-Bus alias is not enabled"
tank_wait_bus 60
pid=$(systemctl show -P MainPID tankd.service)
assert_eq "$(readlink "/proc/$pid/exe")" /usr/sbin/tankd "tankd.service runs"

# Every file of the package is there, and these are among them.
while IFS= read -r f; do
        [ -e "$f" ] || fail "dpkg -L tank lists $f, which is missing"
done < <(dpkg -L tank)
for f in /usr/sbin/tankd /usr/bin/tankctl \
        /usr/libexec/tank/tank-shim /usr/libexec/tank/tank-exec /usr/libexec/tank/tank-subids \
        /lib/systemd/system/tankd.service /usr/lib/sysusers.d/tank.conf \
        /usr/share/dbus-1/system.d/org.tank.Tank1.conf \
        /usr/share/dbus-1/system-services/org.tank.Tank1.service \
        /usr/share/dbus-1/interfaces/org.tank.Tank1.xml \
        /usr/share/man/man8/tankd.8.gz /usr/share/man/man1/tankctl.1.gz \
        /usr/share/man/man5/tank.conf.5.gz /usr/share/man/man5/tank-pod.5.gz \
        /usr/share/bash-completion/completions/tankctl; do
        dpkg -S "$f" >/dev/null 2>&1 || fail "$f is not in the package"
done
grep -q 'ExecStart=/usr/sbin/tankd' /lib/systemd/system/tankd.service || fail "the unit does not run /usr/sbin/tankd"
bash -c '. /usr/share/bash-completion/completions/tankctl && complete -p tankctl' >/dev/null ||
        fail "the completion does not define one for tankctl"

# The README's tour, with the installed tankctl.
cd "$TANK_SRCDIR" || fail "cd $TANK_SRCDIR"
tankctl apply -f examples/web.json --wait || fail "tour: apply -f examples/web.json --wait"
tankctl list | awk 'NR>1 {print $1}' | grep -qx web || fail "tour: list has no web: $(tankctl list)"
systemctl status --no-pager tank-pod-web.slice >"$work/slice.out" || { cat "$work/slice.out" >&2; fail "tour: systemctl status tank-pod-web.slice"; }
grep -q 'tank-web-httpd.scope' "$work/slice.out" || { cat "$work/slice.out" >&2; fail "tour: no container scope in the slice"; }
tankctl logs web >/dev/null || fail "tour: logs web"
out=$(python3 "$TANK_SRCDIR/tests/system/pty-drive.py" -- /usr/bin/tankctl exec -t web -- sh <<'EOF'
expect #
send echo TOUR-$((6 * 7))\r
expect TOUR-42
send exit 4\r
wait
EOF
) || fail "tour: exec -t web -- sh: $out"
echo "$out" | grep -q '^EXIT 4$' || fail "tour: exit status of the exec shell: $out"
tankctl get web -o yaml | grep -q '^kind: Pod' || fail "tour: get web -o yaml: $(tankctl get web -o yaml 2>&1)"
busctl call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager List | grep -q '"web"' ||
        fail "busctl List has no web"
# The group "tank" the package made is the one the D-Bus policy and tankd let
# change state: a member deletes the pod; anyone else may only read.
nobody() { setpriv --reuid=65534 --regid=65534 "$@"; }
nobody --clear-groups /usr/bin/tankctl list >/dev/null || fail "a user outside group tank cannot list"
out=$(nobody --clear-groups /usr/bin/tankctl delete web 2>&1) && fail "a user outside group tank deleted a pod"
echo "a user outside group tank may not delete: $out"
nobody --groups="$(getent group tank | cut -d: -f3)" /usr/bin/tankctl delete web ||
        fail "tour: delete web (as a member of group tank)"
wait_for 30 sh -c '! systemctl is-active -q tank-pod-web.slice' || fail "tour: tank-pod-web.slice still active after delete"

# Purge: tankd stopped, every file and the enablement gone.
files=$(dpkg -L tank | while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done)
dpkg --purge tank >"$work/purge.out" 2>&1 || { cat "$work/purge.out" >&2; fail "dpkg --purge failed"; }
dpkg-query -W -f='${Status}' tank 2>/dev/null | grep -q 'ok installed' && fail "tank still installed after purge"
systemctl is-active -q tankd.service && fail "tankd.service still active after purge"
for f in $files; do
        [ -e "$f" ] && fail "$f is still there after purge"
done
[ -e /etc/systemd/system/multi-user.target.wants/tankd.service ] && fail "tankd.service still enabled after purge"
[ -e /etc/systemd/system/dbus-org.tank.Tank1.service ] && fail "the D-Bus alias is still there after purge"
echo "package installed, toured and purged"
exit 0
