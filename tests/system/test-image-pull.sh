#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Image pulls against a real docker-registry on loopback, with skopeo-pushed
# images built from Debian's busybox-static: platforms, digests, Basic and
# Bearer auth, redirects, tampering, faults, interruption, shared pulls.
set -u

SRC=${TANK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TANK_BUILDDIR:-$SRC}
DRIVER=$BUILD/tests/system/pull-driver
# Ports away from 5000 so that this never meets the daemon's fixture registry.
P=${TANK_TEST_PORT_BASE:-15000}
REG=$P; BASIC=$((P+1)); TOKEN_REG=$((P+2)); TOKEN_REG_CREDS=$((P+3))
TOKEN=$((P+10)); TOKEN_CREDS=$((P+11)); PROXY=$((P+20)); PROXY_AUTH=$((P+22)); FAR=$((P+23))

. "$SRC/tests/system/registry-lib.sh"
WORK=$(mktemp -d /tmp/tank-test-pull.XXXXXX)
trap 'reg_cleanup; rm -rf "$WORK" "$REG_DIR"' EXIT

FAILED=0
ok()   { echo "ok - $*"; }
fail() { echo "FAIL - $*"; FAILED=$((FAILED+1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

[ -x "$DRIVER" ] || { echo "no $DRIVER: build first"; exit 1; }


# pull DATA_DIR ARGS...: runs the driver; output in $WORK/out, status in $RC.
pull() {
        local data=$1; shift
        "$DRIVER" --data "$data" --attempts 4 --backoff-ms 50 "$@" >"$WORK/out" 2>&1
        RC=$?
        if grep -qE "Sanitizer|runtime error:" "$WORK/out"; then
                fail "sanitizer report pulling $*"
                cat "$WORK/out"
        fi
}
fresh() { mktemp -d "$WORK/data.XXXXXX"; }
out_has() { grep -q -- "$1" "$WORK/out" || { echo "  expected \"$1\" in:"; sed 's/^/    /' "$WORK/out"; return 1; }; }
digest_of() { awk -v r="$1" '$1 == r { print $2 }' "$WORK/out"; }
no_state() {  # nothing a later pull or a start would use
        local data=$1
        [ -z "$(ls -A "$data/images/records/sha256" 2>/dev/null)" ] &&
        [ -z "$(ls -A "$data/images/tags" 2>/dev/null)" ] &&
        [ -z "$(ls -A "$data/images/tmp" 2>/dev/null)" ]
}
manifest_for() {  # OCI_DIR ARCH -> manifest digest in that layout's index
        local idx
        idx=$(jq -r '.manifests[0].digest' "$1/index.json")
        jq -r --arg a "$2" '.manifests[] | select(.platform.architecture == $a) | .digest' \
                "$1/blobs/sha256/${idx#sha256:}"
}

# ---- fixtures ----
registry_start_with_busybox "$REG" || { echo "cannot start the registry"; exit 1; }
BB_DIGEST=$(reg_mkimage "$REG_DIR/busybox-oci" --layer "$REG_DIR/busybox-root")

mkdir -p "$WORK/extra/etc" "$WORK/extra2/srv"
echo hello >"$WORK/extra/etc/hello"
head -c 300000 /dev/urandom >"$WORK/extra2/srv/random"
MULTI=$(reg_mkimage "$WORK/multi-oci" --arch amd64 --arch arm64/v8 \
        --layer "$REG_DIR/busybox-root" --layer "$WORK/extra" --layer "$WORK/extra2")
reg_push "$WORK/multi-oci" tank/multi:latest "$REG" || exit 1
reg_mkimage "$WORK/foreign-oci" --arch arm64/v8 --arch s390x --layer "$WORK/extra" >/dev/null
reg_push "$WORK/foreign-oci" tank/foreign:latest "$REG" || exit 1
reg_mkimage "$WORK/armonly-oci" --arch riscv64 --layer "$WORK/extra" >/dev/null
reg_push "$WORK/armonly-oci" tank/riscv:latest "$REG" || exit 1

LOCAL="--insecure 127.0.0.1:$REG"
R=127.0.0.1:$REG

# ---- single-arch ----
D=$(fresh)
pull "$D" $LOCAL "$R/tank/busybox:latest"
check "single-arch pull succeeds" [ "$RC" = 0 ]
check "single-arch digest is the pushed manifest's" [ "$(digest_of "$R/tank/busybox:latest")" = "$BB_DIGEST" ]
check "record and tag written" test -s "$D/images/records/sha256/${BB_DIGEST#sha256:}" -a \
        -s "$D/images/tags/127.0.0.1:$REG+tank+busybox:latest"
check "tmp left empty" [ -z "$(ls -A "$D/images/tmp")" ]
for b in "$D"/images/blobs/sha256/*; do
        [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "blob $b has the wrong content"
done

# ---- mirror: docker.io/tank/busybox served by the local registry ----
D=$(fresh)
pull "$D" --mirror "docker.io http://$R" tank/busybox
check "docker.io mirror used for a short name" [ "$RC" = 0 ] && check "mirror digest" out_has "$BB_DIGEST"

# ---- multi-arch ----
AMD=$(manifest_for "$WORK/multi-oci" amd64)
ARM=$(manifest_for "$WORK/multi-oci" arm64)
D=$(fresh)
pull "$D" $LOCAL "$R/tank/multi:latest"
check "multi-arch pull succeeds" [ "$RC" = 0 ]
if [ "$(uname -m)" = x86_64 ]; then
        check "amd64 picked from the index" [ "$(digest_of "$R/tank/multi:latest")" = "$AMD" ]
fi
pull "$(fresh)" $LOCAL --platform linux/arm64/v8 "$R/tank/multi:latest"
check "arm64/v8 picked when asked" [ "$(digest_of "$R/tank/multi:latest")" = "$ARM" ]
pull "$(fresh)" $LOCAL --platform linux/arm64 "$R/tank/multi:latest"
check "arm64 without variant matches v8" [ "$(digest_of "$R/tank/multi:latest")" = "$ARM" ]
D=$(fresh)
pull "$D" $LOCAL --platform linux/amd64 "$R/tank/foreign:latest"
check "index without our platform fails" [ "$RC" != 0 ]
check "error lists the platforms it has" out_has "it has: linux/arm64/v8, linux/s390x"
check "nothing stored for a platform miss" no_state "$D"
D=$(fresh)
pull "$D" $LOCAL --platform linux/amd64 "$R/tank/riscv:latest"
check "single-arch image of another platform fails" out_has "image is for linux/riscv64, this host is linux/amd64"

# ---- by digest ----
D=$(fresh)
pull "$D" $LOCAL "$R/tank/multi@$AMD"
check "pull by platform manifest digest" [ "$RC" = 0 ] && check "by-digest result" out_has "$AMD"
pull "$D" $LOCAL --platform linux/amd64 "$R/tank/multi@$MULTI"
check "pull by index digest resolves the platform" out_has "$AMD"
pull "$(fresh)" $LOCAL "$R/tank/multi@sha256:$(printf x | sha256sum | cut -d' ' -f1)"
check "unknown digest fails (404)" out_has "not found"

# ---- shared pulls ----
D=$(fresh)
reg_proxy_start "$PROXY" "$REG" || exit 1
pull "$D" --insecure "127.0.0.1:$PROXY" "127.0.0.1:$PROXY/tank/multi:latest" "127.0.0.1:$PROXY/tank/multi" \
        "127.0.0.1:$PROXY/tank/multi:latest"
check "three requests for one image all succeed" [ "$RC" = 0 -a "$(wc -l <"$WORK/out")" = 3 ]
check "they shared one manifest fetch" [ "$(grep -c 'GET /v2/tank/multi/manifests/latest' "$REG_DIR/proxy-$PROXY.requests")" = 1 ]

: >"$REG_DIR/proxy-$PROXY.requests"
D=$(fresh)
pull "$D" --insecure "127.0.0.1:$PROXY" --platform linux/amd64 "127.0.0.1:$PROXY/tank/multi:latest" \
        "127.0.0.1:$PROXY/tank/multi@$AMD" "127.0.0.1:$PROXY/tank/multi@$MULTI"
check "tag, index digest and manifest digest pulls all succeed" [ "$RC" = 0 -a "$(grep -c " $AMD\$" "$WORK/out")" = 3 ]
check "same image by different references downloads each layer once" \
        [ "$(grep 'GET /v2/tank/multi/blobs/' "$REG_DIR/proxy-$PROXY.requests" | sort | uniq -d | wc -l)" = 0 ]
D2=$(fresh)
pull "$D2" $LOCAL --platform linux/amd64 "$R/tank/multi@$AMD"
check "every reference got its tag" [ "$(ls "$D/images/tags" | wc -l)" = 3 ]

# ---- faults ----
PX="--insecure 127.0.0.1:$PROXY"
RP=127.0.0.1:$PROXY
reg_proxy_mode "$PROXY" 500:2
pull "$(fresh)" $PX "$RP/tank/busybox:latest"
check "500 twice then success" [ "$RC" = 0 ]
reg_proxy_mode "$PROXY" 500:50
pull "$(fresh)" $PX "$RP/tank/busybox:latest"
check "persistent 500 gives up (bounded retries)" out_has "gave up after 4 attempts"
reg_proxy_mode "$PROXY" 429:1
start=$(date +%s%N)
pull "$(fresh)" $PX "$RP/tank/busybox:latest"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "429 then success" [ "$RC" = 0 ]
check "Retry-After: 1 was honoured (waited ${elapsed} ms)" [ "$elapsed" -ge 900 ]
reg_proxy_mode "$PROXY" hang:1
pull "$(fresh)" $PX --stall-s 1 "$RP/tank/busybox:latest"
check "a stalled request times out and is retried" [ "$RC" = 0 ]
reg_proxy_mode "$PROXY" hang:50
pull "$(fresh)" $PX --stall-s 1 --attempts 2 "$RP/tank/busybox:latest"
check "a registry that never answers fails after bounded retries" out_has "gave up after 2 attempts"
reg_proxy_mode "$PROXY" pass
pull "$(fresh)" "127.0.0.1:$((P+99))/tank/busybox:latest" --insecure "127.0.0.1:$((P+99))"
check "registry down fails clearly" out_has "Couldn't connect to server"

D=$(fresh)
reg_proxy_mode "$PROXY" tamper-blob
pull "$D" $PX "$RP/tank/multi:latest"
check "tampered blob rejected" out_has "digest mismatch"
check "nothing cached after a tampered blob" no_state "$D"
for b in $(jq -r '.layers[].digest' "$WORK/multi-oci/blobs/sha256/${AMD#sha256:}"); do
        [ ! -e "$D/images/blobs/sha256/${b#sha256:}" ] || fail "tampered layer $b was stored"
done

D=$(fresh)
reg_proxy_mode "$PROXY" tamper-manifest
pull "$D" $PX "$RP/tank/busybox@$BB_DIGEST"
check "tampered manifest rejected (by digest)" out_has "digest mismatch"
pull "$D" $PX "$RP/tank/busybox:latest"
check "tampered manifest rejected (by tag, Docker-Content-Digest)" out_has "does not match Docker-Content-Digest"
check "nothing cached after a tampered manifest" no_state "$D"
check "tampered manifest not stored" [ -z "$(ls -A "$D/images/blobs/sha256")" ]

# ---- killed half way, then re-run ----
D=$(fresh)
reg_proxy_mode "$PROXY" slow
"$DRIVER" --data "$D" $PX "$RP/tank/multi:latest" >"$WORK/out" 2>&1 &
dpid=$!
for i in $(seq 1 100); do
        [ -n "$(ls -A "$D/images/tmp" 2>/dev/null)" ] && break
        sleep 0.1
done
sleep 0.5
kill -9 "$dpid"; wait "$dpid" 2>/dev/null
check "killed pull left no record or tag" [ -z "$(ls -A "$D/images/records/sha256")" -a -z "$(ls -A "$D/images/tags")" ]
reg_proxy_mode "$PROXY" pass
pull "$D" $PX "$RP/tank/multi:latest"
check "re-run after a kill succeeds" [ "$RC" = 0 ]
check "re-run swept the dead pull's temp files" [ -z "$(ls -A "$D/images/tmp")" ]

# ---- torn down mid-pull (daemon shutdown): no crash, no leak, nothing used later ----
D=$(fresh)
reg_proxy_mode "$PROXY" slow
pull "$D" $PX --abort-after-ms 700 "$RP/tank/multi:latest" "$RP/tank/busybox:latest"
check "abort mid-pull exits cleanly" [ "$RC" = 3 ]
check "abort mid-pull left no record or tag" [ -z "$(ls -A "$D/images/records/sha256")" -a -z "$(ls -A "$D/images/tags")" ]
reg_proxy_mode "$PROXY" pass

# ---- layers handed to the layer store ----
D=$(fresh)
pull "$D" $LOCAL --unpack "$R/tank/multi:latest"
check "pull with --unpack succeeds" [ "$RC" = 0 ]
ok_layers=0
for id in $(jq -r '.rootfs.diff_ids[]' "$WORK/multi-oci/blobs/sha256/$(jq -r '.config.digest' \
                "$WORK/multi-oci/blobs/sha256/${AMD#sha256:}" | cut -d: -f2)"); do
        [ -d "$D/layers/sha256/${id#sha256:}/root" ] && ok_layers=$((ok_layers+1))
done
check "every layer extracted by diff_id" [ "$ok_layers" = 3 ]
check "busybox is in the first layer" test -x "$(ls -d "$D"/layers/sha256/*/root/bin/busybox | head -1)"

# ---- Basic auth (htpasswd) ----
reg_start basic "$BASIC" "$(reg_htpasswd tank s3cret)" || exit 1
RB=127.0.0.1:$BASIC
echo "{\"auths\": {\"$RB\": {\"auth\": \"$(printf tank:s3cret | base64)\"}}}" >"$WORK/auth.json"
echo "{\"auths\": {\"$RB\": {\"auth\": \"$(printf tank:wrong | base64)\"}}}" >"$WORK/bad-auth.json"
pull "$(fresh)" --insecure "$RB" "$RB/tank/busybox:latest"
check "Basic: no credentials is refused" out_has "no credentials"
pull "$(fresh)" --insecure "$RB" --auth-file "$WORK/bad-auth.json" "$RB/tank/busybox:latest"
check "Basic: wrong password is refused" out_has "authentication failed"
pull "$(fresh)" --insecure "$RB" --auth-file "$WORK/auth.json" "$RB/tank/busybox:latest"
check "Basic: credentials from the auth file work" [ "$RC" = 0 ]

# ---- redirects never carry credentials to another host ----
reg_proxy_start "$PROXY_AUTH" "$BASIC" || exit 1
reg_proxy_start "$FAR" "$REG" 127.0.0.2 || exit 1
reg_proxy_mode "$PROXY_AUTH" "redirect:$FAR"
RPA=127.0.0.1:$PROXY_AUTH
echo "{\"auths\": {\"$RPA\": {\"auth\": \"$(printf tank:s3cret | base64)\"}}}" >"$WORK/auth-proxy.json"
pull "$(fresh)" --insecure "$RPA" --auth-file "$WORK/auth-proxy.json" "$RPA/tank/busybox:latest"
check "pull through a blob redirect succeeds" [ "$RC" = 0 ]
check "the redirect target got blob requests" grep -q "GET /v2/tank/busybox/blobs/" "$REG_DIR/proxy-$FAR.requests"
check "no Authorization sent to the redirect host" [ "$(grep -c 'auth=yes' "$REG_DIR/proxy-$FAR.requests")" = 0 ]
check "Authorization sent to the registry" grep -q "manifests/latest auth=yes" "$REG_DIR/proxy-$PROXY_AUTH.requests"

# ---- Bearer tokens ----
reg_token_start "$TOKEN" || exit 1
reg_start token "$TOKEN_REG" "$(cat "$REG_DIR/token-$TOKEN.yml")" || exit 1
RT=127.0.0.1:$TOKEN_REG
pull "$(fresh)" --insecure "$RT" "$RT/tank/multi:latest"
check "Bearer: anonymous token flow" [ "$RC" = 0 ]
check "Bearer: a token was requested for the repository" grep -q "scope=repository%3Atank%2Fmulti%3Apull" "$REG_DIR/token-$TOKEN.requests"
check "Bearer: one token for the whole pull" [ "$(grep -c '^/token' "$REG_DIR/token-$TOKEN.requests")" = 1 ]

reg_token_start "$TOKEN_CREDS" tank:s3cret || exit 1
reg_start tokencreds "$TOKEN_REG_CREDS" "$(cat "$REG_DIR/token-$TOKEN_CREDS.yml")" || exit 1
RTC=127.0.0.1:$TOKEN_REG_CREDS
echo "{\"auths\": {\"$RTC\": {\"username\": \"tank\", \"password\": \"s3cret\"}}}" >"$WORK/auth-token.json"
pull "$(fresh)" --insecure "$RTC" "$RTC/tank/busybox:latest"
check "Bearer: issuer refuses anonymous" out_has "token endpoint refused"
pull "$(fresh)" --insecure "$RTC" --auth-file "$WORK/auth-token.json" "$RTC/tank/busybox:latest"
check "Bearer: credentials never go to a plain-http realm not listed Insecure=" out_has "refusing to send credentials"
pull "$(fresh)" --insecure "$RTC" --insecure "127.0.0.1:$TOKEN_CREDS" --auth-file "$WORK/auth-token.json" "$RTC/tank/busybox:latest"
check "Bearer: credentialed token flow" [ "$RC" = 0 ]

# ---- [Images] limits: the layer scans (worker threads) of pull.h ----
pull "$(fresh)" $LOCAL --max-unpacked-layer-size 67108864 "$R/tank/multi:latest" "$R/tank/busybox:latest"
check "pulls with every layer scanned succeed" [ "$RC" = 0 ]
D=$(fresh)
pull "$D" $LOCAL --max-unpacked-layer-size 200000 "$R/tank/multi:latest"
check "a layer over MaxUnpackedLayerSize= is refused" out_has "unpacks to more than MaxUnpackedLayerSize=200000"
check "nothing stored for a refused image" no_state "$D"
check "no blob stored for a refused image" [ -z "$(ls -A "$D/images/blobs/sha256")" ]
reg_proxy_mode "$PROXY" pass
D=$(fresh)
pull "$D" $PX --max-unpacked-layer-size 67108864 --abort-after-ms 300 "$RP/tank/multi:latest" "$RP/tank/busybox:latest"
check "abort while layers may be scanned exits cleanly" [ "$RC" = 3 -o "$RC" = 0 ]

# ---- bad input ----
pull "$(fresh)" "UPPER/Case:tag"
check "invalid reference refused" out_has "invalid image reference"

echo "$FAILED failure(s)"
[ "$FAILED" = 0 ]
