#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the Debian 12 disk of the VM test bed from Debian's packages only:
# mmdebstrap into a directory (with the kernel, systemd as init, dbus, and
# every package Tank and its system tests need at run time, so that nothing
# is installed inside the slow emulated guest), then an ext4 image of that
# directory (mkfs.ext4 -d: no loop device needed). The kernel and initrd are
# copied beside the image for a direct kernel boot.
#
#   tests/vm/build-image.sh OUTDIR
#
# OUTDIR gets disk.raw, vmlinuz, initrd.img and packages.txt. The image is
# rebuilt only when the package list or this script changed (a stamp in
# OUTDIR), so a developer boots the second time in seconds.
# Apt sources are the host's own (/etc/apt/sources.list.d/debian.sources or
# /etc/apt/sources.list), so the guest installs what the host would.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build-image.sh OUTDIR}
size=${TANK_VM_DISK_SIZE:-6G}

# What runs in the guest: the kernel Debian 12 boots, systemd as PID 1, and
# the run-time libraries of tankd, tankctl, tank-shim and the test programs.
packages=(
        linux-image-amd64 systemd-sysv dbus udev kmod e2fsprogs
        iproute2 util-linux procps psmisc less
        libsystemd0 libcurl4 libyajl2 libyaml-0-2 libarchive13 libnl-3-200 libnl-route-3-200
        libssl3 libseccomp2 libinih1 libsubunit0
        etcd-server etcd-client
        docker-registry skopeo busybox-static tmux python3 python3-jwt openssl
        apache2-utils curl jq bc zstd
)

sources=
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
        if [[ -s $f ]] && grep -qv '^\s*\(#\|$\)' "$f"; then
                sources=$f
                break
        fi
done
[[ -n $sources ]] || { echo "build-image: no apt sources on this host" >&2; exit 1; }

mkdir -p "$out"
stamp=$( { printf '%s\n' "${packages[@]}" "$size"; cat "$sources" "${BASH_SOURCE[0]}"; find "$here/guest" -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)
if [[ -e $out/disk.raw && $(cat "$out/stamp" 2>/dev/null) == "$stamp" ]]; then
        echo "build-image: $out is up to date ($stamp)"
        exit 0
fi
rm -f "$out/stamp" "$out/disk.raw"

root=$out/root
rm -rf "$root"
mkdir -p "$root"
trap 'rm -rf "$root"' EXIT

# Debian enables etcd and docker-registry at install; the tests run their
# own instances, so mask both (as the sandbox does).
mmdebstrap --variant=apt --mode=root --format=directory \
        --include="$(IFS=,; echo "${packages[*]}")" \
        --customize-hook='chroot "$1" systemctl mask etcd.service docker-registry.service' \
        --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer' \
        --customize-hook='chroot "$1" dpkg-query -W -f="\${Package} \${Version}\n" >"$1/packages.txt"' \
        bookworm "$root" "$sources"

# The guest's own configuration: fstab, the test-job unit, a root login on
# the serial console for humans.
cp -a "$here/guest/." "$root/"
echo tank-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tank-vm\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
passwd --root "$root" -d root >/dev/null
chroot "$root" systemctl enable tank-vm-job.service >/dev/null
# No network device in the guest; nothing waits for one.
chroot "$root" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n 1)
cp "$kernel" "$out/vmlinuz"
cp "$root/boot/initrd.img-${kernel##*/vmlinuz-}" "$out/initrd.img"
mv "$root/packages.txt" "$out/packages.txt"

mkfs.ext4 -q -F -L tank-vm-root -d "$root" "$out/disk.raw.tmp" "$size"
mv "$out/disk.raw.tmp" "$out/disk.raw"
echo "$stamp" >"$out/stamp"
echo "build-image: $out/disk.raw ($(du -sh --apparent-size "$out/disk.raw" | cut -f1), kernel ${kernel##*/vmlinuz-})"
