#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The VM test bed's job, run as root by tank-vm-job.service at every boot of
# the guest (see run-vm-tests.sh). Phase 1 (first boot): record the
# platform, install Tank from the host's DESTDIR tree, run the unit tests that
# touch the kernel, the system tests (directly under this systemd), and the
# reboot test's preparation, then reboot through systemd. Phase 2 (after the
# reboot): the reboot test's checks, then power off. Each result is one line
# "ok NAME (Ns)" or "not-ok NAME ..." in /mnt/tank-vm/results; logs go to
# /mnt/tank-vm/logs/NAME.log.
set -u

J=/mnt/tank-vm
. "$J/env"
STATE=/var/lib/tank-vm
mkdir -p "$STATE" "$J/logs"
phase=$(cat "$STATE/phase" 2>/dev/null || echo 1)

say() {
        echo "tank-vm: $*" >/dev/console
        echo "tank-vm: $*"
}

result() {  # result STATUS NAME SECONDS [NOTE]
        local st=ok
        [[ $1 == 0 ]] || st=not-ok
        echo "$st $2 (${3}s)${4:+ $4}" >>"$J/results"
        say "$st $2 (${3}s)"
        sync
}

# run_logged NAME CMD...: one result line for CMD, its output in NAME.log.
run_logged() {
        local name=$1 start rc
        shift
        start=$(date +%s)
        "$@" </dev/null >"$J/logs/$name.log" 2>&1
        rc=$?
        result $rc "$name" $(( $(date +%s) - start ))
        return $rc
}

finish() {
        touch "$J/done"
        sync
        say "done; powering off"
        # --no-block: a poweroff waited for here would be killed with this unit.
        systemctl poweroff --no-block
        exit 0
}

mkdir -p "$BUILD"
mountpoint -q "$BUILD" ||
        mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tankbuild "$BUILD" ||
        { echo "not-ok mount-build-tree (0s)" >>"$J/results"; finish; }

export TANK_SRCDIR=$SRC TANK_BUILDDIR=$BUILD TANK_INSTALLED=1
export TANK_SYSTEM_TEST_LOGDIR=$J/logs
# Emulated CPUs: test-daemon-survive took 266 s of the default 300 here.
export TANK_SYSTEM_TEST_TIMEOUT=${TANK_SYSTEM_TEST_TIMEOUT:-900}
unset CI

if [[ $phase == 1 ]]; then
        {
                echo "kernel $(uname -r) ($(uname -v))"
                echo "$(systemctl --version | head -n 1)"
                echo "cgroup $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
                echo "root $(findmnt -no FSTYPE /) on $(findmnt -no SOURCE /)"
                echo "debian $(cat /etc/debian_version)"
                echo "boot to job: $(cut -d' ' -f1 /proc/uptime)s"
        } >"$J/facts"
        # Installed as a package would be: the host's DESTDIR tree, unpacked
        # over /, where /lib and /bin are symlinks into /usr.
        run_logged install bash -c "
                tar -C / --keep-directory-symlink --no-same-owner -xf '$J/tank-install.tar' &&
                systemctl daemon-reload &&
                busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig &&
                systemctl enable tankd.service" || finish

        for t in $UNIT_TESTS; do
                [[ -x $BUILD/tests/unit/$t ]] || { echo "not-ok unit/$t (0s) not built" >>"$J/results"; continue; }
                run_logged "unit-$t" bash -c "cd '$BUILD' && ./tests/unit/$t"
        done

        if [[ -n $SYSTEM_TESTS ]]; then
                TANK_SYSTEM_TESTS=$SYSTEM_TESTS TANK_SYSTEM_TESTS_QUIET=1 \
                        bash "$SRC/tests/system/run-system-tests.sh" </dev/null >"$J/logs/system.tap" 2>&1
                # "ok 3 - test-x.sh (12.3s)" -> "ok test-x.sh (12.3s)"; logs by name.
                sed -n -e 's/^ok [0-9]* - \(.*\)$/ok \1/p' -e 's/^not ok [0-9]* - \(.*\)$/not-ok \1/p' \
                        "$J/logs/system.tap" >>"$J/results"
                grep -q '^Bail out!' "$J/logs/system.tap" &&
                        echo "not-ok system-tests (0s) $(grep -m1 '^Bail out!' "$J/logs/system.tap")" >>"$J/results"
                # Every test asked for has its line, or the run stopped short.
                want=$(wc -w <<<"$SYSTEM_TESTS")
                got=$(grep -c -E '^(ok|not ok) [0-9]+ - ' "$J/logs/system.tap")
                ((got == want)) ||
                        echo "not-ok system-tests-complete (0s) $got of $want system tests reported" >>"$J/results"
                sync
        fi

        if [[ $REBOOT == 1 ]]; then
                if run_logged reboot-prepare bash "$SRC/tests/vm/test-reboot.sh" prepare; then
                        echo 2 >"$STATE/phase"
                        sync
                        say "rebooting for the reboot test"
                        systemctl reboot --no-block
                        exit 0
                fi
        fi
        finish
fi

if [[ $phase == 2 ]]; then
        echo 3 >"$STATE/phase"
        run_logged reboot-verify bash "$SRC/tests/vm/test-reboot.sh" verify
        finish
fi
# A third boot means something rebooted the guest again: stop here.
echo "not-ok unexpected-boot (0s) phase $phase" >>"$J/results"
finish
