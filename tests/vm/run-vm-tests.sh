#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs Tank's tests on the platform users run: Debian 12 as it boots (Debian's
# kernel 6.1, systemd 252 as PID 1, cgroup v2 unified), in a qemu VM whose disk
# tests/vm/build-image.sh builds from Debian's packages. Prints TAP.
#
#   tests/vm/run-vm-tests.sh            (as root, from anywhere)
#
# Tank is built on the host (TANK_BUILDDIR, a configured and built tree) and
# installed with `make install DESTDIR=`; the guest unpacks that tree (its
# 9p share would make `make` rebuild everything: 9p's mtimes are coarse). The
# source and build trees are shared with the guest over 9p at their host
# paths, so the system tests run there as they do here, directly under the
# guest's systemd. At boot the guest's tank-vm-job.service runs
# tests/vm/guest-job.sh, which runs the unit tests that touch the kernel, the
# system tests, then the reboot test (tests/vm/test-reboot.sh): it prepares,
# reboots the VM through systemd, and checks after the boot. Then the guest
# powers off and this script prints the results.
#
# Environment:
#   TANK_SRCDIR, TANK_BUILDDIR   default: this checkout, and its build/
#   TANK_VM_DIR                  cache and work directory (default /var/tmp/tank-vm)
#   TANK_VM_SYSTEM_TESTS         the system tests to run in the guest
#                                (default: the set below; "" runs none)
#   TANK_VM_UNIT_TESTS           unit tests to run on the guest's kernel
#   TANK_VM_REBOOT=0             skip the reboot test
#   TANK_VM_ACCEL                kvm or tcg (default tcg: nested KVM hangs on
#                                this project's build machines)
#   TANK_VM_TIMEOUT              seconds for the whole VM run (default 3600)
#   TANK_VM_MEMORY, TANK_VM_CPUS guest size (default 3072 MiB, 2)
#   TANK_VM_KEEP=1               keep the job directory (console log, disk)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "${TANK_SRCDIR:-$here/../..}" && pwd)
BUILD=$(cd "${TANK_BUILDDIR:-$SRC/build}" && pwd)
VMDIR=${TANK_VM_DIR:-/var/tmp/tank-vm}
ACCEL=${TANK_VM_ACCEL:-tcg}
TIMEOUT=${TANK_VM_TIMEOUT:-3600}

# The set that fits CI's time under emulation: the core of the daemon, limits
# with OOM on cgroup v2, restarts, survival across tankd restarts, volumes, the
# shim's hardening, exec and attach, networking, user namespaces (idmapped
# layers under the classic overlay of Linux 6.1), and a fleet of one (the
# node's record on its lease, cordon, the [Node] refusals, bindings). The
# three-node fleet tests need three sandboxes: too slow for CI under TCG.
# test-daemon-survive, test-daemon-completed and test-probes (nearly 10
# minutes under emulation together) run in both sandbox builds and stay
# available here by name: adoption on this platform is test-daemon-restart's
# and the reboot test's, the exec path test-exec's and test-notify's.
default_tests="test-scope.sh test-daemon-basic.sh test-daemon-limits.sh test-daemon-restart.sh
test-daemon-volumes.sh test-shim.sh test-exec.sh test-attach.sh test-net.sh test-examples-run.sh
test-userns.sh test-notify.sh test-stats.sh test-nodes.sh test-bindings.sh"
SYSTEM_TESTS=${TANK_VM_SYSTEM_TESTS-$default_tests}
UNIT_TESTS=${TANK_VM_UNIT_TESTS-test-layer-rootfs test-extract test-net test-shared test-kernel-features}
REBOOT=${TANK_VM_REBOOT:-1}

bail() {
        echo "Bail out! $*"
        exit 1
}

[[ $(id -u) == 0 ]] || bail "the VM tests need root (mmdebstrap, mkfs, qemu)"
[[ -x $BUILD/src/daemon/tankd || -x $BUILD/tankd ]] || bail "no built tankd in $BUILD"
command -v qemu-system-x86_64 >/dev/null || bail "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

mkdir -p "$VMDIR" || bail "cannot create $VMDIR"
t0=$(date +%s)
"$here/build-image.sh" "$VMDIR/image" >"$VMDIR/build-image.log" 2>&1 ||
        { sed 's/^/# /' "$VMDIR/build-image.log" | tail -n 40; bail "the VM image did not build"; }
t_image=$(( $(date +%s) - t0 ))
echo "# image: $(tail -n 1 "$VMDIR/build-image.log") (${t_image}s)"

job=$VMDIR/job.$$
rm -rf "$job"
mkdir -p "$job/logs" "$job/stage" || bail "cannot create $job"
cleanup() {
        [[ ${TANK_VM_KEEP:-} == 1 ]] || rm -rf "$job"
}
trap cleanup EXIT

# The test programs (check_PROGRAMS) are built by make check; build them
# without running anything here.
make -s -C "$BUILD" -j"${JOBS:-2}" check TESTS= >"$job/logs/check-programs.log" 2>&1 ||
        { sed 's/^/# /' "$job/logs/check-programs.log" | tail -n 40; bail "the test programs did not build"; }
# What a package would install, as the guest's root will see it.
make -s -C "$BUILD" install DESTDIR="$job/stage" >"$job/logs/install.log" 2>&1 ||
        { sed 's/^/# /' "$job/logs/install.log" | tail -n 40; bail "make install DESTDIR failed"; }
tar -C "$job/stage" -cf "$job/tank-install.tar" . || bail "cannot pack the install tree"
rm -rf "$job/stage"

{
        printf 'SRC=%q\nBUILD=%q\n' "$SRC" "$BUILD"
        printf 'SYSTEM_TESTS=%q\nUNIT_TESTS=%q\nREBOOT=%q\n' "$(echo $SYSTEM_TESTS)" "$UNIT_TESTS" "$REBOOT"
} >"$job/env"
# The unit runs "job" from the share; it hands over to the source tree's script.
printf '#!/bin/bash\n. /mnt/tank-vm/env\nmkdir -p "$SRC"\nmountpoint -q "$SRC" || mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro tanksrc "$SRC"\nexec /bin/bash "$SRC/tests/vm/guest-job.sh"\n' >"$job/job"

# A fresh disk for every run: the reboot test needs a clean first boot.
cp --sparse=always "$VMDIR/image/disk.raw" "$job/disk.raw" || bail "cannot copy the disk"

accel=(-accel tcg,thread=multi -cpu max)
[[ $ACCEL == kvm ]] && accel=(-accel kvm -cpu host)
t1=$(date +%s)
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
        -machine q35 "${accel[@]}" -smp "${TANK_VM_CPUS:-2}" -m "${TANK_VM_MEMORY:-3072}" \
        -nodefaults -no-user-config -display none -nic none \
        -serial "file:$job/console.log" \
        -kernel "$VMDIR/image/vmlinuz" -initrd "$VMDIR/image/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=1" \
        -drive "file=$job/disk.raw,format=raw,if=virtio,cache=unsafe" \
        -virtfs "local,path=$job,mount_tag=tankjob,security_model=none" \
        -virtfs "local,path=$SRC,mount_tag=tanksrc,security_model=none,readonly=on" \
        -virtfs "local,path=$BUILD,mount_tag=tankbuild,security_model=none" \
        -device virtio-rng-pci \
        </dev/null >"$job/qemu.log" 2>&1
rc=$?
t_vm=$(( $(date +%s) - t1 ))

[[ -s $job/facts ]] && sed 's/^/# guest: /' "$job/facts"
echo "# VM run: ${t_vm}s (qemu exit $rc, accel $ACCEL)"
results=()
[[ -f $job/results ]] && mapfile -t results <"$job/results"
# An unfinished job (the guest hung, or powered off early) is a failure of
# its own, so a run that stopped half way never passes.
[[ -f $job/done ]] || results+=("not-ok vm-job-finished (qemu exit $rc)")
echo "1..${#results[@]}"
n=0
failed=0
for line in "${results[@]}"; do
        n=$((n + 1))
        st=${line%% *}
        rest=${line#* }
        if [[ $st == ok ]]; then
                echo "ok $n - $rest"
                continue
        fi
        echo "not ok $n - $rest"
        failed=$((failed + 1))
        name=${rest%% *}
        if [[ -f $job/logs/$name.log ]]; then
                tail -n 60 "$job/logs/$name.log" | sed 's/^/#   /'
        elif [[ $name == vm-job-finished ]]; then
                echo "#   the guest's console (last 60 lines):"
                tail -n 60 "$job/console.log" 2>/dev/null | sed 's/^/#   /'
        fi
done
if ((failed > 0)) && [[ -n ${TANK_VM_KEEP_ON_FAILURE:-} ]]; then
        TANK_VM_KEEP=1
        echo "# job directory kept: $job"
fi
((failed == 0))
