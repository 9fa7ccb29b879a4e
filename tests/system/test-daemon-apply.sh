#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Apply is an acknowledged put (create-or-replace), and a compare-and-swap only
# when asked (issue 12, defect 6): apply --if-revision N / ApplyWithOptions
# with if_revision writes only if the stored revision (get -o json's
# .status.revision, etcd's mod_revision) is N, 0 meaning "must not exist";
# otherwise org.tank.Tank1.Error.Conflict and the stored spec is unchanged.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
trap tank_down EXIT

tank_up
etcd() { ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" "$@"; }
revision() { tankctl get "$1" -o json | jq -r .status.revision; }
command_of() { tankctl get "$1" -o json | jq -c .spec.containers[0].command; }
etcd_mod_revision() { etcd get "/tank/v1/pods/$1" -w json | jq -r '.kvs[0].mod_revision'; }

tank_pod_json web always sleep 1001 >/tmp/web1.json
tank_pod_json web always sleep 1002 >/tmp/web2.json
tank_pod_json web always sleep 1003 >/tmp/web3.json

tankctl apply -f /tmp/web1.json >/dev/null || fail "first apply"
rev1=$(revision web)
[ "$rev1" -gt 0 ] 2>/dev/null || fail "get -o json has no revision: $rev1"
assert_eq "$(etcd_mod_revision web)" "$rev1" "the revision is the key's mod_revision in etcd"
tankctl get web | grep -q "^Revision: *$rev1\$" || fail "get does not show the revision: $(tankctl get web)"

# Without --if-revision: a plain put, whatever revision is stored.
tankctl apply -f /tmp/web2.json >/dev/null || fail "second apply"
rev2=$(revision web)
[ "$rev2" -gt "$rev1" ] || fail "the revision did not move on: $rev1 -> $rev2"

# A stale revision: Conflict, exit 1, one clear line, nothing written.
out=$(tankctl apply --if-revision "$rev1" -f /tmp/web3.json 2>&1)
rc=$?
assert_eq "$rc" 1 "exit status of apply --if-revision <stale>"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "more than one line: $out"
echo "$out" | grep -qF "tankctl: web: pod web is at revision $rev2, not $rev1" || fail "unclear conflict: $out"
echo "$out" | grep -q "nothing was changed" || fail "conflict does not say nothing changed: $out"
assert_eq "$(command_of web)" '["sleep","1002"]' "spec after a refused apply"
assert_eq "$(revision web)" "$rev2" "revision after a refused apply"
assert_eq "$(etcd_mod_revision web)" "$rev2" "etcd after a refused apply"

# The current revision: accepted.
tankctl apply --if-revision "$rev2" -f /tmp/web3.json >/dev/null || fail "apply --if-revision <current> refused"
rev3=$(revision web)
[ "$rev3" -gt "$rev2" ] || fail "no new revision after apply --if-revision: $rev3"
assert_eq "$(command_of web)" '["sleep","1003"]' "spec after apply --if-revision <current>"
wait_phase web running

# Two writers that read the same revision: exactly one wins. tankd has both
# txns in flight at once; etcd, not tankd's copy, decides.
rev=$(revision web)
racers=()
for i in 1 2 3 4; do
        tank_pod_json web always sleep "200$i" >/tmp/race$i.json
        (tankctl apply --if-revision "$rev" -f /tmp/race$i.json >/dev/null 2>/tmp/race$i.err; echo $? >/tmp/race$i.rc) &
        racers+=($!)
done
wait "${racers[@]}"     # not the registry tank_up started
assert_eq "$(cat /tmp/race1.rc /tmp/race2.rc /tmp/race3.rc /tmp/race4.rc | sort | tr -d '\n')" "0111" \
        "exit statuses of four applies racing from revision $rev"
winner=$(grep -l '^0$' /tmp/race*.rc | sed 's/.*race\([0-9]\).rc/\1/')
assert_eq "$(command_of web)" "[\"sleep\",\"200$winner\"]" "the spec of the one that won"
tankctl apply --if-revision "$(revision web)" -f /tmp/web3.json >/dev/null || fail "apply web3 again"
rev3=$(revision web)

# 0: create only.
out=$(tankctl apply --if-revision 0 -f /tmp/web1.json 2>&1) && fail "--if-revision 0 replaced an existing pod"
echo "$out" | grep -qF "pod web already exists (revision $rev3), expected none" || fail "unclear refusal: $out"
assert_eq "$(command_of web)" '["sleep","1003"]' "spec after a refused create"
tank_pod_json fresh always >/tmp/fresh.json
tankctl apply --if-revision 0 -f /tmp/fresh.json >/dev/null || fail "--if-revision 0 could not create a new pod"
tankctl get fresh >/dev/null || fail "no pod fresh"
# an expected revision for a pod that is not there
tank_pod_json ghost always >/tmp/ghost.json
out=$(tankctl apply --if-revision "$rev3" -f /tmp/ghost.json 2>&1) && fail "--if-revision created a missing pod"
echo "$out" | grep -qF "pod ghost does not exist, expected revision $rev3" || fail "unclear refusal: $out"
tankctl get ghost >/dev/null 2>&1 && fail "pod ghost exists"
# one revision, one pod
jq -s . /tmp/web1.json /tmp/ghost.json >/tmp/two.json
out=$(tankctl apply --if-revision "$rev3" -f /tmp/two.json 2>&1)
assert_eq "$?" 2 "--if-revision with two pods"

# The same over D-Bus: the error by name, the message, nothing written.
json=$(jq -c . /tmp/web1.json)
out=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' \
        "$json" 1 if_revision t "$rev1" 2>&1) && fail "busctl ApplyWithOptions with a stale revision succeeded"
echo "$out" | grep -qF "pod web is at revision $rev3, not $rev1" || fail "busctl: unclear conflict: $out"
out=$(python3 - "$json" "$rev1" 2>&1 <<'PYEOF'
import dbus, sys
m = dbus.Interface(dbus.SystemBus().get_object("org.tank.Tank1", "/org/tank/Tank1"), "org.tank.Tank1.Manager")
try:
    m.ApplyWithOptions(sys.argv[1], dbus.Dictionary({"if_revision": dbus.UInt64(int(sys.argv[2]))}, signature="sv"))
    print("accepted")
except dbus.exceptions.DBusException as e:
    print(e.get_dbus_name())
PYEOF
)
assert_eq "$out" "org.tank.Tank1.Error.Conflict" "error name of a stale ApplyWithOptions"
assert_eq "$(command_of web)" '["sleep","1003"]' "spec after refused D-Bus calls"
out=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' \
        "$json" 1 if_revision s "$rev3" 2>&1) && fail "if_revision of type s accepted"
echo "$out" | grep -q "if_revision must be of type t" || fail "wrong type: unclear refusal: $out"
out=$(busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' \
        "$json" 1 if_revsion t "$rev3" 2>&1) && fail "an unknown option was accepted"
echo "$out" | grep -qF 'unknown option "if_revsion"' || fail "unknown option: unclear refusal: $out"
assert_eq "$(command_of web)" '["sleep","1003"]' "spec after refused options"
busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' \
        "$json" 1 if_revision t "$rev3" >/dev/null || fail "busctl ApplyWithOptions at the current revision refused"
assert_eq "$(command_of web)" '["sleep","1001"]' "spec after ApplyWithOptions at the current revision"
# no options: a plain put, like Apply
busctl --system call org.tank.Tank1 /org/tank/Tank1 org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' \
        "$(jq -c . /tmp/web2.json)" 0 >/dev/null || fail "ApplyWithOptions without options refused"
assert_eq "$(command_of web)" '["sleep","1002"]' "spec after ApplyWithOptions without options"

# Unprivileged callers may not use it either.
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups busctl --system call org.tank.Tank1 /org/tank/Tank1 \
        org.tank.Tank1.Manager ApplyWithOptions 'sa{sv}' "$json" 0 2>&1) && fail "unprivileged ApplyWithOptions succeeded"
echo "$out" | grep -qi 'denied\|access' || fail "unprivileged ApplyWithOptions: unclear refusal: $out"
echo "apply: ok"
