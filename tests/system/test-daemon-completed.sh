#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A completed container stays completed: a "never" pod that exited 0 or 3 and
# an "on_failure" pod that exited 0 are not run again after a reboot (here:
# tankd, the store it runs and every scope stopped, /run/tank removed; the data
# directory, with the store's, survives) nor after a plain restart of tankd,
# and show the same phase and last exit as before. Each workload appends a line
# to a managed volume per run, so the runs are counted, not guessed. A spec
# changed after the reboot runs again; a corrupt final record (random bytes, or
# well-formed JSON with the right hashes but a field out of range or of the
# wrong type) is ignored with a warning; a pod deleted while tankd was down
# loses its record with its scratch, but a pod whose store value does not parse
# (a newer tankd's spec, after a downgrade) keeps its scratch.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"

# The simulated reboot below stops tank.slice and removes /run/tank: on a real
# host that kills the user's containers. Only the sandbox, or the VM test bed's
# throwaway guest (tests/vm/, /etc/tank-vm-testbed), is safe.
[ "${container:-}" = tank-sandbox ] || [ "$(cat /run/systemd/container 2>/dev/null)" = tank-sandbox ] ||
        [ -e /etc/tank-vm-testbed ] ||
        fail "test-daemon-completed.sh stops tank.slice and empties /run/tank: run it inside the tank sandbox"
trap tank_down EXIT

tank_up

# counted_pod NAME RESTART EXIT [ENV_V]
counted_pod() {
        printf '{"name": "%s", "restart": "%s", "volumes": [{"name": "log"}],
 "containers": [{"name": "app", "image": "%s", "env": {"V": "%s"},
   "mounts": [{"volume": "log", "path": "/log"}],
   "command": ["sh", "-c", "echo run >>/log/runs; exit %s"]}]}\n' "$1" "$2" "$TANK_IMAGE" "${4:-1}" "$3"
}
runs() { cat "/var/lib/tank/volumes/$1/log/runs" 2>/dev/null | wc -l; }
# What must not change: phase, restarts, the last exit (with its time: a second
# run would have a later one), the image it ran.
final_status() {
        tankctl get "$1" -o json |
                jq -c '.status | {phase, restarts, c: [.containers[] | {name, state, restarts, last_exit, image_digest}]}'
}
expect_runs() { # expect_runs POD N WHY
        assert_eq "$(runs "$1")" "$2" "$1: runs $3"
}

counted_pod once never 0 | tankctl apply -f - || fail "apply once"
counted_pod fails never 3 | tankctl apply -f - || fail "apply fails"
counted_pod okonce on_failure 0 | tankctl apply -f - || fail "apply okonce"
tank_pod_json forever always | tankctl apply -f - || fail "apply forever"
wait_phase once succeeded
wait_phase fails failed
wait_phase okonce succeeded
wait_phase forever running
for p in once fails okonce; do
        final_status "$p" >"/tmp/final-$p"
        expect_runs "$p" 1 "before any restart"
done
assert_eq "$(container_field fails app last_exit.code)" "3" "fails: last exit code"
forever_pid=$(scope_pid forever app)

# What a reboot takes: every scope (the workloads), the store tankd runs as
# tank-etcd.service (its data in /var/lib/tank/store stays), and all of /run.
# reboot_tank [CMD...]: CMD runs while tankd is down but the store is still up.
reboot_tank() {
        systemctl stop tankd.service || fail "stop tankd"
        [ $# -gt 0 ] && { "$@" || fail "$* failed"; }
        systemctl stop tank.slice
        systemctl stop tank-etcd.service
        for ns in /run/tank/netns/*; do
                [ -e "$ns" ] && umount -l "$ns"
        done
        # tankd's own mount of the pins' directory (net/netns.h)
        mountpoint -q /run/tank/netns && umount -l /run/tank/netns
        rm -rf /run/tank || fail "cannot empty /run/tank"
        [ -d /var/lib/tank/store ] || fail "the store's data directory is gone"
        systemctl start tankd.service || { journalctl -u tankd --no-pager | tail -40 >&2; fail "tankd did not start"; }
        tank_wait_bus 60
}
# Each completed pod shows what it showed before, and nothing ran again (a
# wrong start takes a moment to append its line: give it that moment).
expect_unchanged() { # expect_unchanged WHY POD...
        local why=$1 p
        shift
        wait_phase forever running
        for p in "$@"; do
                wait_phase "$p" "$(jq -r .phase "/tmp/final-$p")" 30
        done
        sleep 3
        for p in "$@"; do
                final_status "$p" >"/tmp/now-$p"
                diff -u "/tmp/final-$p" "/tmp/now-$p" || fail "$p: status changed across $why"
        done
}

reboot_tank
expect_unchanged "a reboot" once fails okonce
expect_runs once 1 "after a reboot"
expect_runs fails 1 "after a reboot"
expect_runs okonce 1 "after a reboot"
[ "$(scope_pid forever app)" != "$forever_pid" ] || fail "forever: same pid after a reboot (was it not stopped?)"
for p in once fails okonce; do
        [ -f "/var/lib/tank/pods/$p/app/final.json" ] || fail "$p: no final record in the data directory"
done

# The plain restart of tankd (/run intact) agrees.
systemctl restart tankd.service || fail "restart tankd"
tank_wait_bus 60
expect_unchanged "a tankd restart" once fails okonce
for p in once fails okonce; do expect_runs "$p" 1 "after a tankd restart"; done

# A changed spec is a new container: it runs again, once, and that run is the
# one that stays completed across the next reboot.
counted_pod once never 0 2 | tankctl apply -f - || fail "re-apply once"
wait_for 60 sh -c "[ \$(cat /var/lib/tank/volumes/once/log/runs | wc -l) -ge 2 ]" || fail "once did not run again after a spec change"
wait_phase once succeeded
final_status once >/tmp/final-once
expect_runs once 2 "after a spec change"

# A corrupt record is ignored with a warning: that container runs again (it
# cannot be known to have completed), the others stay completed. Corrupt is
# random bytes over the size cap (fails), and small well-formed records with
# the real record's hashes but a signal out of range (badsig) or a code of the
# wrong type (badtype). A pod deleted while tankd is down loses its record and
# scratch with it; a pod whose store value does not parse (newer) keeps both.
for p in badsig badtype newer; do
        counted_pod "$p" never 0 | tankctl apply -f - || fail "apply $p"
done
for p in badsig badtype newer; do
        wait_phase "$p" succeeded
        expect_runs "$p" 1 "before the second reboot"
done
# hostile_record POD JQ-FILTER: the real record, edited in place.
hostile_record() {
        local f=/var/lib/tank/pods/$1/app/final.json rec
        rec=$(jq -c "$2" "$f") || return 1
        [ "$(jq -r .hash <<<"$rec")" = "$(jq -r .hash "$f")" ] || return 1
        printf '%s\n' "$rec" >"$f"
}
while_down() {
        local etcd=(env ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)")
        "${etcd[@]}" del /tank/v1/pods/okonce >/dev/null &&
                head -c 100000 /dev/urandom >/var/lib/tank/pods/fails/app/final.json &&
                hostile_record badsig '.exit.signal = 99' &&
                hostile_record badtype '.exit.code = "0"' &&
                "${etcd[@]}" put /tank/v1/pods/newer '{"name": "newer", "a_field_from_the_future": true}' >/dev/null
}
since=$(date '+%Y-%m-%d %H:%M:%S')
reboot_tank while_down
expect_unchanged "a second reboot" once
expect_runs once 2 "after a second reboot"
wait_for 60 sh -c "[ \$(cat /var/lib/tank/volumes/fails/log/runs | wc -l) -ge 2 ]" || fail "fails: a corrupt record was trusted"
wait_phase fails failed
expect_runs fails 2 "after its record was corrupted"
journalctl -u tankd --no-pager --since "$since" | grep -q "final record of fails/app" ||
        { journalctl -u tankd --no-pager --since "$since" | tail -30 >&2; fail "no warning about the corrupt record"; }
for p in badsig badtype; do
        wait_for 60 sh -c "[ \$(cat /var/lib/tank/volumes/$p/log/runs | wc -l) -ge 2 ]" ||
                fail "$p: a hostile well-formed record was trusted"
        wait_phase "$p" succeeded
        expect_runs "$p" 2 "after its record was made hostile"
        journalctl -u tankd --no-pager --since "$since" | grep -q "final record of $p/app" ||
                { journalctl -u tankd --no-pager --since "$since" | tail -30 >&2; fail "no warning about $p's record"; }
done
systemctl is-active tankd.service >/dev/null || fail "tankd died on a corrupt record"
[ -f /var/lib/tank/pods/newer/app/final.json ] ||
        fail "newer: the scratch of a pod whose store value does not parse was removed"
journalctl -u tankd --no-pager --since "$since" | grep -q "Keeping the scratch of pod newer" ||
        { journalctl -u tankd --no-pager --since "$since" | tail -30 >&2; fail "no warning about newer's scratch"; }
expect_runs newer 1 "while its store value does not parse"
tankctl get okonce >/dev/null 2>&1 && fail "okonce still exists"
[ -e /var/lib/tank/pods/okonce ] && fail "okonce's scratch and final record outlived its deletion"
# Nothing for the next test: tank_down deletes what `tankctl list` shows, and
# an unparsable value is not listed.
ETCDCTL_API=3 etcdctl --endpoints="$(tank_store_endpoint)" del /tank/v1/pods/newer >/dev/null ||
        fail "cannot delete newer's key"
rm -rf /var/lib/tank/pods/newer /var/lib/tank/volumes/newer
echo "completed: ok"
