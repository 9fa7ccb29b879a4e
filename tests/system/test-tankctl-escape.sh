#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile text reaches the terminal escaped (issue 13, item 7): a registry whose
# error body clears the screen, sets the window title, rings the bell and opens
# an 8-bit CSI. That text travels registry -> tankd -> a D-Bus error (pull) and
# a pod's status message (get, get -o json); tankctl prints it as \xNN in text
# and as \uNNNN in JSON, never as the bytes. A message cut to its size inside
# a multi-byte character is cut before it.
set -u
. "$TANK_SRCDIR/tests/system/lib.sh"
. "$TANK_SRCDIR/tests/system/registry-lib.sh"
. "$TANK_SRCDIR/tests/system/tank-lib.sh"
EVIL=5077
evil_pid=
trap 'tank_down; [ -n "$evil_pid" ] && kill "$evil_pid" 2>/dev/null' EXIT

# A "registry" that knows /v2/ and answers everything else with a 404 whose
# JSON error message carries ESC [ 2 J, OSC 0 ... BEL, and U+009B (CSI).
python3 - "$EVIL" >/tmp/evil-registry.log 2>&1 <<'PYEOF' &
import http.server, sys
BODY = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31mgotcha"}]}'
# For evil-cut: 199 bytes of "a", then "é" (2 bytes) where tankd cuts the
# message at 200 bytes.
BODY_CUT = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"' + b"a" * 199 + b'\\u00e9\\u00e9\\u00e9"}]}'
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_HEAD(self): self.do_GET()
    def do_GET(self):
        body = b"{}" if self.path == "/v2/" else BODY_CUT if "evil-cut" in self.path else BODY
        self.send_response(200 if self.path == "/v2/" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
evil_pid=$!
reg_wait_port "$EVIL" || fail "the hostile registry did not start"

tank_up "$(printf '[Registry]\nInsecure=127.0.0.1:%s' "$EVIL")"

# raw control bytes (C0 but newline, DEL, and the C1 CSI as a byte or as UTF-8)
has_controls() { LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177\233]')" "$1"; }
ESCAPED='\x1b[2J\x1b]0;pwned\x07\xc2\x9b31mgotcha'

# pull: the registry's text comes back inside a PullFailed D-Bus error.
tankctl pull "127.0.0.1:$EVIL/evil:latest" >/tmp/out 2>/tmp/err && fail "pull from the hostile registry succeeded"
has_controls /tmp/err && fail "pull printed control characters: $(od -c /tmp/err | head -5)"
grep -qF "$ESCAPED" /tmp/err || fail "pull error not shown escaped: $(cat /tmp/err)"
[ "$(wc -l </tmp/err)" -eq 1 ] || fail "pull error is not one line: $(cat /tmp/err)"

# pull: a message cut to its 200 bytes inside "é" is cut before it, not into
# half a character (which D-Bus refuses, and which would come out as \xc3).
tankctl pull "127.0.0.1:$EVIL/evil-cut:latest" >/tmp/out 2>/tmp/err && fail "pull of evil-cut succeeded"
grep -qF "MANIFEST_UNKNOWN $(printf 'a%.0s' $(seq 199))" /tmp/err || fail "pull error lacks the message: $(cat /tmp/err)"
grep -qF '\x' /tmp/err && fail "pull error cut inside a character: $(cat /tmp/err)"
[ "$(wc -l </tmp/err)" -eq 1 ] || fail "pull error is not one line: $(cat /tmp/err)"

# a pod of that image: the pull error becomes the container's status message
printf '{"name": "evil", "restart": "always", "containers": [{"name": "app", "image": "127.0.0.1:%s/evil:latest"}]}\n' \
        "$EVIL" | tankctl apply -f - >/dev/null || fail "apply evil"
wait_for 60 sh -c "tankctl get evil -o json | jq -e '.status.containers[0].message | strings | test(\"gotcha\")' >/dev/null" ||
        fail "no pull error in the status: $(tankctl get evil -o json)"

tankctl get evil >/tmp/out 2>&1 || fail "get evil: $(cat /tmp/out)"
has_controls /tmp/out && fail "get printed control characters: $(od -c /tmp/out | head -20)"
grep -qF "$ESCAPED" /tmp/out || fail "get does not show the message escaped: $(cat /tmp/out)"

tankctl get evil -o json >/tmp/out 2>&1 || fail "get -o json evil"
has_controls /tmp/out && fail "get -o json printed control characters: $(od -c /tmp/out | head -20)"
grep -qF '\u001b[2J\u001b]0;pwned\u0007\u009b31mgotcha' /tmp/out || fail "get -o json: not JSON-escaped: $(cat /tmp/out)"
# the same text for a JSON reader, byte for byte
assert_eq "$(jq -j '.status.containers[0].message' /tmp/out | od -An -tx1 | tr -d ' \n' | grep -o '1b5b324a.*')" \
        "1b5b324a1b5d303b70776e656407c29b33316d676f74636861" "the message as jq decodes it"

tankctl list >/tmp/out 2>&1 || fail "list"
has_controls /tmp/out && fail "list printed control characters: $(od -c /tmp/out | head -10)"

# tankd's own journal lines are escaped too: no line forged, no bytes
journalctl -u tankd --no-pager -o cat >/tmp/journal
grep -qF "$ESCAPED" /tmp/journal || fail "tankd's log does not carry the error escaped"
has_controls /tmp/journal && fail "tankd logged control characters"
echo "escape: ok"
