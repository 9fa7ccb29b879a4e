#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The man pages format without groff warnings, tankctl(1) documents every
# command that `tankctl --help` lists, and tankd(8) the exit status that
# tankd.service does not restart on. Run by `make check` from the build top.
set -u

srcdir=${srcdir:-.}
tankctl=${TANKCTL:-./tankctl}
fail=0

if ! command -v groff >/dev/null; then
        echo "FAIL: groff not installed (Debian package groff-base)"
        exit 1
fi

for page in tankctl.1 tankd.8 tank.conf.5 tank-pod.5; do
        f="$srcdir/man/$page"
        if [ ! -f "$f" ]; then
                echo "FAIL: $page missing"
                fail=1
                continue
        fi
        warnings=$(groff -t -man -Tutf8 -ww -z "$f" 2>&1)
        if [ -n "$warnings" ]; then
                echo "FAIL: $page: $warnings"
                fail=1
        else
                echo "ok: $page formats cleanly"
        fi
done

verbs=$("$tankctl" --help | sed -n 's/^  \([a-z]\+\)\( .*\)\?$/\1/p')
[ -n "$verbs" ] || { echo "FAIL: no commands in tankctl --help"; exit 1; }
for v in $verbs; do
        if grep -q "^\.B $v\( \|$\)" "$srcdir/man/tankctl.1"; then
                echo "ok: tankctl.1 documents $v"
        else
                echo "FAIL: tankctl.1 does not document $v"
                fail=1
        fi
done

# every [Section] key that tank.conf(5) must describe
for key in DataDirectory Endpoints CertFile KeyFile TrustedCAFile Adapter Uplink DNS \
           Mirror Insecure AuthFile BackoffBaseSec BackoffCapSec StableSec StopTimeoutSec; do
        grep -q "^\.B[IR]\? $key=" "$srcdir/man/tank.conf.5" ||
                { echo "FAIL: tank.conf.5 does not describe $key="; fail=1; }
done

# The exit status tankd gives for a kernel too old (kernel-features.h) is the
# one tankd.service does not restart on, and tankd(8) documents it.
status=$(sed -n 's/^#define KERNEL_FEATURES_EXIT_STATUS \([0-9]\+\).*/\1/p' \
        "$srcdir/src/shared/kernel-features.h")
prevent=$(sed -n 's/^RestartPreventExitStatus=\(.*\)$/\1/p' "$srcdir/units/tankd.service.in")
if [ -z "$status" ]; then
        echo "FAIL: no KERNEL_FEATURES_EXIT_STATUS in kernel-features.h"
        fail=1
elif [ "$prevent" != "$status" ]; then
        echo "FAIL: tankd.service.in has RestartPreventExitStatus=$prevent, tankd exits $status on an old kernel"
        fail=1
elif ! grep -q "^\.B $status\$" "$srcdir/man/tankd.8" ||
     ! grep -q "RestartPreventExitStatus=$status" "$srcdir/man/tankd.8"; then
        echo "FAIL: tankd.8 does not document exit status $status and RestartPreventExitStatus=$status"
        fail=1
else
        echo "ok: exit status $status: kernel-features.h, tankd.service.in and tankd.8 agree"
fi

exit $fail
