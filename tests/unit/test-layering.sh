#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module layering of docs/ARCHITECTURE.md, read from every #include line
# under src/. Low to high:
#
#   shared < spec, config < store, image, net, bus < reconcile < daemon
#
# A module includes its own headers and those of lower ranks; modules of the
# same rank do not include each other. The two other programs stand apart:
# shim and tankctl include shared, spec and their own headers only. The shim's
# contract with tankd and tankctl (shim-config.h, exit-record.h,
# attach-protocol.h, exec-protocol.h) may be included by reconcile and daemon,
# the two protocol headers by tankctl, and security.h by daemon (tankd builds
# the shims' seccomp filter once at start, so that a rule that does not
# resolve stops tankd rather than every container).
#
# KNOWN lists the violations that are still to be removed, each with why. The
# list only shrinks: a listed edge that is gone fails too, so that the entry
# is deleted with the fix. Run by `make check` from the build top.
set -u

srcdir=${srcdir:-.}
cd "$srcdir/src" || exit 1

# "file include" pairs, one per line: none are left.
KNOWN='
'

rank() {
        case $1 in
        shared) echo 0 ;;
        spec|config) echo 1 ;;
        store|image|net|bus) echo 2 ;;
        reconcile) echo 3 ;;
        daemon) echo 4 ;;
        *) echo "" ;;
        esac
}

allowed() { # from-module to-module header
        from=$1 to=$2 hdr=$3
        [ "$from" = "$to" ] && return 0
        [ "$to" = shared ] && return 0
        case $from in
        shim)
                [ "$to" = spec ] && return 0
                return 1 ;;
        tankctl)
                [ "$to" = spec ] && return 0
                case $hdr in shim/attach-protocol.h|shim/exec-protocol.h) return 0 ;; esac
                return 1 ;;
        esac
        if [ "$to" = shim ]; then
                case $from in reconcile|daemon) ;; *) return 1 ;; esac
                case $hdr in
                shim/shim-config.h|shim/exit-record.h|shim/attach-protocol.h|shim/exec-protocol.h) return 0 ;;
                shim/security.h) [ "$from" = daemon ] && return 0 ;;
                esac
                return 1
        fi
        [ "$to" = tankctl ] && return 1
        rf=$(rank "$from") rt=$(rank "$to")
        if [ -z "$rf" ] || [ -z "$rt" ]; then
                return 1
        fi
        [ "$rt" -lt "$rf" ]
}

fail=0
found=$(mktemp)
trap 'rm -f "$found"' EXIT

for f in */*.c */*.h; do
        from=${f%%/*}
        dir=$from
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
        while read -r inc; do
                case $inc in
                */*) to=${inc%%/*}; hdr=$inc ;;
                *)
                        if [ -e "$dir/$inc" ]; then
                                to=$dir
                        elif [ -e "shared/$inc" ]; then
                                to=shared
                        else
                                # config.h from configure and the like
                                continue
                        fi
                        hdr=$to/$inc ;;
                esac
                if ! allowed "$from" "$to" "$hdr"; then
                        echo "$f $hdr" >>"$found"
                fi
        done
done

while read -r f hdr; do
        if printf '%s\n' "$KNOWN" | grep -qxF "$f $hdr"; then
                echo "known: src/$f includes $hdr (to be removed)"
        else
                echo "FAIL: src/$f includes $hdr: ${f%%/*} may not include ${hdr%%/*} (see docs/ARCHITECTURE.md, Layers)"
                fail=1
        fi
done <"$found"

printf '%s\n' "$KNOWN" | while read -r f hdr; do
        [ -n "$f" ] || continue
        if ! grep -qxF "$f $hdr" "$found"; then
                echo "FAIL: src/$f no longer includes $hdr: remove it from KNOWN in $0"
                exit 1
        fi
done || fail=1

n=$(cat */*.c */*.h | grep -c '^[[:space:]]*#[[:space:]]*include[[:space:]]*"')
echo "checked $n include lines"
[ "$n" -gt 100 ] || { echo "FAIL: too few include lines found: wrong directory?"; fail=1; }
exit $fail
