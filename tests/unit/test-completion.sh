#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tankctl's bash completion: it registers itself, completes commands, each
# command's options (from its --help), option values, and leaves the command
# after "--" alone. Names from the daemon (pods, containers) are checked by
# test-daemon-basic.sh against a running tankd. Run by `make check` from the
# build top.
set -u
srcdir=${srcdir:-.}
PATH=$PWD:$PATH
fail=0

# shellcheck source=/dev/null
. "$srcdir/shell-completion/bash/tankctl"

complete -p tankctl | grep -q -- '-F _tankctl' || { echo "FAIL: complete -p tankctl: $(complete -p tankctl 2>&1)"; exit 1; }

comp() { # WORDS... (the last is the one being completed)
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMPREPLY=()
        _tankctl
        printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

check() { # WANT WORDS...
        local want=$1 got
        shift
        got=$(comp "$@")
        if [ "$got" = "$want" ]; then
                echo "ok: $* -> $got"
        else
                echo "FAIL: $*: got '$got', want '$want'"
                fail=1
        fi
}

check "apply attach" tankctl a
check "image images" tankctl ima
check "rollout" tankctl rol
check "history undo" tankctl rollout ""
check "--help --host= --system --to-revision=" tankctl rollout --
check "--version" tankctl --vers
check "--if-revision=" tankctl apply --if
check "--filename= --help --host= --if-revision= --ignore-unsupported --system --timeout= --wait" tankctl apply --
check "--ignore-unsupported" tankctl validate --ig
check "--volumes" tankctl delete --vol
check "--detach-keys=" tankctl exec --det
check "json yaml" tankctl get -o ""
check "json" tankctl validate -f x -o ""
check "deleted ready running" tankctl wait web --for ""
check "prune" tankctl image ""
check "" tankctl exec web -- l
check "--follow" tankctl logs web --fol
check "--previous" tankctl logs web --prev
check "--no-follow" tankctl events --no
check "events" tankctl eve

exit $fail
