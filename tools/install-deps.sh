#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install everything Tank needs to build, run and test on Debian 12, as root.
# Used by the README's commands and by CI; safe to run again.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
        echo "install-deps: run as root (apt-get needs it)" >&2
        exit 1
fi

BUILD_DEPS=(
        build-essential autoconf automake autoconf-archive libtool pkg-config
        libsystemd-dev libcurl4-openssl-dev libyajl-dev libyaml-dev libarchive-dev
        libnl-3-dev libnl-route-3-dev libssl-dev libseccomp-dev check libinih-dev
        clang libclang-rt-14-dev groff-base
)
RUN_DEPS=(
        systemd dbus etcd-server etcd-client
)
TEST_DEPS=(
        docker-registry skopeo busybox-static iproute2 util-linux procps tmux
        python3 python3-jwt openssl apache2-utils curl jq bc git ca-certificates zstd
)
# The Debian package (debian/, tools/build-deb, tests/system/test-package.sh).
PACKAGE_DEPS=(
        dpkg-dev debhelper lintian
)
# The VM test bed (tests/vm/): a Debian 12 disk built from packages, booted in qemu.
VM_DEPS=(
        qemu-system-x86 mmdebstrap e2fsprogs
)

export DEBIAN_FRONTEND=noninteractive
# Debian enables and starts etcd and docker-registry when they are installed;
# there is no init to start them here and Tank runs its own instances anyway.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT

apt-get update -q
apt-get install -y -q --no-install-recommends "${BUILD_DEPS[@]}" "${RUN_DEPS[@]}" "${TEST_DEPS[@]}" "${PACKAGE_DEPS[@]}" "${VM_DEPS[@]}" "$@"
