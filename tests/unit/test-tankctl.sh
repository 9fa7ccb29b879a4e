#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tankctl's command line: help and version, usage errors (exit 2), offline
# refusals (exit 1), and the one-line "tankd is not reachable" answer both when
# there is no system bus at all and when a real dbus-daemon has no tankd on it.
# Run by `make check` from the top build directory.
set -u

tankctl=${TANKCTL:-./tankctl}
srcdir=${srcdir:-.}
tmp=$(mktemp -d)
bus_pid=
cleanup() {
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
unreachable="tankctl: tankd is not reachable on the system bus (is tankd running?)"

# expect RC STDERR_LINE_OR_- CMD...: run tankctl, compare exit status and stderr
expect() {
        want_rc=$1 want_err=$2
        shift 2
        "$tankctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
        rc=$?
        if [ "$rc" -ne "$want_rc" ]; then
                echo "FAIL: tankctl $*: exit $rc, expected $want_rc; stderr: $(cat "$tmp/err")"
                fail=1
                return 1
        fi
        if [ "$want_err" != "-" ] && [ "$(head -n1 "$tmp/err")" != "$want_err" ]; then
                echo "FAIL: tankctl $*: stderr \"$(head -n1 "$tmp/err")\", expected \"$want_err\""
                fail=1
                return 1
        fi
        echo "ok: tankctl $* -> $rc"
}

[ -x "$tankctl" ] || { echo "FAIL: $tankctl not built"; exit 1; }

expect 0 - --version
grep -q '^tankctl [0-9]' "$tmp/out" || { echo "FAIL: --version output: $(cat "$tmp/out")"; fail=1; }
expect 0 - --help
verbs="apply get list delete wait exec attach logs events pull images rmi volumes validate"
for v in $verbs; do
        grep -q "^  $v" "$tmp/out" || { echo "FAIL: --help does not list $v"; fail=1; }
done
for v in $verbs; do
        expect 0 - "$v" --help
        head -n1 "$tmp/out" | grep -q "^Usage: tankctl $v" ||
                { echo "FAIL: $v --help: $(head -n1 "$tmp/out")"; fail=1; }
        expect 0 - help "$v"
done

# usage errors: exit 2
expect 2 "tankctl: missing command"
expect 2 "tankctl: unknown command \"frobnicate\"" frobnicate
expect 2 - --bogus-option
expect 2 - get --bogus-option
expect 2 "tankctl: missing pod name" get
expect 2 "tankctl: exactly one pod name expected" get a b
expect 2 "tankctl: \"Bad_Name\" is not a valid pod name (a lowercase DNS label)" get Bad_Name
expect 2 "tankctl: unknown output format \"xml\" (json, yaml or text)" get web -o xml
expect 2 "tankctl: unknown output format \"yaml\" (json)" validate -f x.yaml -o yaml
expect 2 "tankctl: -o/--output is an option of validate" apply -f x.yaml -o json
expect 2 "tankctl: missing --for=running, --for=ready or --for=deleted" wait web
expect 2 "tankctl: --for= must be \"running\", \"ready\" or \"deleted\", not \"healthy\"" wait web --for=healthy
expect 2 "tankctl: --timeout=soon: not a time span (e.g. 30, 500ms, 2min)" wait web --for=running --timeout=soon
expect 2 "tankctl: missing pod name" delete
expect 2 "tankctl: missing pod name" exec
expect 2 "tankctl: missing pod name before \"--\"" exec -- ls
expect 2 "tankctl: missing command (tankctl exec POD -- CMD...)" exec web -c app
expect 2 "tankctl: -e NOEQUALS: expected KEY=VALUE" exec -e NOEQUALS web -- true
expect 2 "tankctl: -w rel: the working directory must be absolute" exec -w rel web -- true
expect 2 "tankctl: --detach-keys=ctrl-1: expected e.g. \"ctrl-p,ctrl-q\"" exec --detach-keys=ctrl-1 web -- true
expect 2 "tankctl: --detach-keys=: expected e.g. \"ctrl-p,ctrl-q\"" attach --detach-keys= web
expect 2 "tankctl: \"App\" is not a valid container name (a lowercase DNS label)" attach web -c App
expect 2 "tankctl: missing image reference" pull
expect 2 "tankctl: no input: give -f FILE or -f - for standard input" apply
expect 2 "tankctl: standard input (\"-f -\") given twice" apply -f - -f -
expect 2 "tankctl: unexpected argument \"web.json\" (pods are read with -f FILE)" apply web.json
expect 2 "tankctl: --timeout only makes sense with --wait" apply -f web.json --timeout 5
expect 2 "tankctl: --wait=soon: must be \"running\", \"ready\" or \"rollout\"" apply -f web.json --wait=soon
expect 2 "tankctl: --timeout=soon: not a time span (e.g. 30, 500ms, 2min)" apply -f web.json --wait --timeout soon
expect 2 "tankctl: --wait is an option of apply" validate -f web.json --wait
expect 2 "tankctl: --if-revision is an option of apply" validate -f web.json --if-revision=3
expect 2 "tankctl: --if-revision=-1: not a store revision (a number, 0 for \"must not exist\")" apply -f web.json --if-revision=-1
expect 2 "tankctl: --if-revision=9223372036854775808: not a store revision (a number, 0 for \"must not exist\")" apply -f web.json --if-revision=9223372036854775808
expect 2 "tankctl: --if-revision applies to exactly one pod, the input has 2" apply -f "$srcdir/examples/pair.json" --if-revision=3

# refusals that need no daemon: exit 1, one line
expect 1 "tankctl: $tmp/missing.json: No such file or directory" apply -f "$tmp/missing.json"
printf '{"name": "x", "containers": []}' >"$tmp/empty.json"
expect 1 - apply -f "$tmp/empty.json"
grep -q "^tankctl: $tmp/empty.json: containers" "$tmp/err" || { echo "FAIL: apply of an invalid spec: $(cat "$tmp/err")"; fail=1; }
expect 1 "tankctl: logs: --host is not supported; run journalctl on that host" -H nowhere.invalid logs web
expect 2 - logs web --since "not a time"
grep -q '^tankctl: --since: not a time: "not a time"' "$tmp/err" || { echo "FAIL: logs --since: $(cat "$tmp/err")"; fail=1; }
expect 2 - logs web --tail -3
expect 2 - logs web --previous -f
expect 2 - events --no-follow
# A user who cannot read the system journal is told why logs shows nothing.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$tankctl" logs web >/dev/null 2>"$tmp/err"
        grep -q "^tankctl: hint: .*systemd-journal and adm" "$tmp/err" ||
                { echo "FAIL: logs as nobody gives no hint: $(cat "$tmp/err")"; fail=1; }
fi
expect 2 - events -o yaml
expect 1 "tankctl: events: --since reads the local journal; run it on that host" -H nowhere.invalid events --since -1h

# Messages are escaped on their way out (the same path carries D-Bus errors
# with registry text in them): a name that clears the screen, rings the bell
# and opens an 8-bit CSI (U+009B) reaches the terminal as \xNN.
hostile="$tmp/x$(printf '\033[2J\007\302\233')31m"
expect 1 "tankctl: $tmp/x\\x1b[2J\\x07\\xc2\\x9b31m: No such file or directory" validate -f "$hostile"
if LC_ALL=C grep -q "$(printf '[\001-\037\177\233]')" "$tmp/err"; then
        echo "FAIL: a control character reached stderr: $(od -c "$tmp/err" | head -3)"; fail=1
fi

# <N> journal prefixes only on the stream JOURNAL_STREAM names, compared by
# device and inode: inherited by a child whose stderr is a file, it is not.
printf '{"name": "Bad", "containers": []}' >"$tmp/bad.json"
: >"$tmp/jerr"
JOURNAL_STREAM=1:1 "$tankctl" validate -f "$tmp/bad.json" 2>>"$tmp/jerr"
JOURNAL_STREAM=garbage "$tankctl" validate -f "$tmp/bad.json" 2>>"$tmp/jerr"
grep -q '^<' "$tmp/jerr" && { echo "FAIL: journal prefix on a stderr that is not the journal: $(cat "$tmp/jerr")"; fail=1; }
[ "$(grep -c '^tankctl: ' "$tmp/jerr")" -eq 2 ] || { echo "FAIL: no plain prefix: $(cat "$tmp/jerr")"; fail=1; }
: >"$tmp/jerr"
JOURNAL_STREAM=$(stat -c %d:%i "$tmp/jerr") "$tankctl" validate -f "$tmp/bad.json" 2>>"$tmp/jerr"
grep -q '^<3>' "$tmp/jerr" || { echo "FAIL: no <3> prefix when stderr is the JOURNAL_STREAM: $(cat "$tmp/jerr")"; fail=1; }
echo "ok: journal prefixes follow JOURNAL_STREAM's device and inode"

# no system bus socket at all
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-such-socket"
export DBUS_SYSTEM_BUS_ADDRESS
for cmd in "list" "get web" "delete web" "pull busybox" "images" "volumes" "wait web --for=running" \
           "apply -f $srcdir/examples/web.json"; do
        # shellcheck disable=SC2086
        expect 1 "$unreachable" $cmd
done

# a real bus without tankd on it: ServiceUnknown, by name
cat >"$tmp/bus.conf" <<EOT
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOT
if ! command -v dbus-daemon >/dev/null; then
        echo "FAIL: dbus-daemon not installed (Debian package dbus)"
        exit 1
fi
bus_pid=$(dbus-daemon --config-file="$tmp/bus.conf" --fork --print-pid) ||
        { echo "FAIL: cannot start a private dbus-daemon"; exit 1; }
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/bus"
for cmd in "list" "get web" "delete web other" "pull busybox" "wait web --for=deleted" \
           "apply -f $srcdir/examples/pair.json"; do
        # shellcheck disable=SC2086
        expect 1 "$unreachable" $cmd
        # one line, even for several pods
        [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: $cmd printed $(wc -l <"$tmp/err") lines"; fail=1; }
done

exit $fail
