#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Layer store end to end with layers written by GNU tar (the interop case):
#   - a tree with every file type, setuid/sticky modes, owners, user xattrs,
#     hardlinks, long names, a sparse file: extracted by tank (gzip, zstd, plain)
#     exactly as `tar -xpf` extracts it (metadata listing + content diff);
#   - a wrong diff_id is refused and leaves nothing;
#   - an extraction killed half way (blob fed through a pipe, SIGKILL once files
#     are being written) leaves no visible layer; the next run cleans the temp
#     dir and succeeds;
#   - the layers mount as an overlay.
# Needs root. Uses only a temp dir (tmpfs if the temp fs is an overlay).

set -eu
. "$(dirname "$0")/lib.sh"

TOOL=$TANK_BUILDDIR/src/image/layer-tool
[ -x "$TOOL" ] || fail "missing $TOOL (built by make check)"

T=$(mktemp -d /var/tmp/tank-test-layers.XXXXXX)
cleanup() {
        [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null || true
        mountpoint -q "$T/mnt" 2>/dev/null && umount -l "$T/mnt"
        mountpoint -q "$T" && umount -l "$T"
        rm -rf "$T"
}
trap cleanup EXIT
if [ "$(stat -f -c %T "$T")" = overlayfs ]; then
        mount -t tmpfs -o mode=0700 tmpfs "$T"
fi
mkdir "$T/data" "$T/src" "$T/mnt"
LAYERS=$T/data/layers/sha256

# --- a tree with everything a layer carries -----------------------------------
S=$T/src
mkdir -p "$S/usr/bin" "$S/etc" "$S/tmp" "$S/empty" "$S/dev" "$S/deep/a/b/c/d/e/f/g/h/i/j"
cp -a /usr/include/linux "$S/usr/include-linux"
printf '#!/bin/sh\necho hi\n' > "$S/usr/bin/tool"
chmod 4755 "$S/usr/bin/tool"
ln "$S/usr/bin/tool" "$S/usr/bin/tool-alias"
printf 'sg\n' > "$S/usr/bin/sgid"; chmod 2711 "$S/usr/bin/sgid"; chown 0:50 "$S/usr/bin/sgid"
chmod 1777 "$S/tmp"
printf 'owned\n' > "$S/etc/owned"; chown 1234:5678 "$S/etc/owned"; chmod 0640 "$S/etc/owned"
ln -s ../usr/bin/tool "$S/etc/rel-link"
ln -s /usr/bin/tool "$S/etc/abs-link"
ln -s /nonexistent "$S/etc/dangling"
chown -h 7:8 "$S/etc/dangling"
mkfifo -m 0620 "$S/dev/fifo"
mknod -m 0666 "$S/dev/null" c 1 3
mknod -m 0660 "$S/dev/loopX" b 7 99
long=$(printf 'n%.0s' $(seq 1 200))
printf 'long\n' > "$S/deep/a/b/c/d/e/f/g/h/i/j/$long"
printf 'utf8\n' > "$S/etc/été"
truncate -s 10M "$S/etc/sparse"; printf 'tail' >> "$S/etc/sparse"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.tank", b"layer")' "$S/etc/owned"
touch -h -d '2001-02-03 04:05:06' "$S/etc/rel-link"
touch -d '2002-03-04 05:06:07' "$S/deep" "$S/etc/owned"

TARFLAGS=(--numeric-owner --xattrs --xattrs-include='user.*' --sparse)
tar "${TARFLAGS[@]}" -cf "$T/l1.tar" -C "$S" .
gzip -k -1 "$T/l1.tar"
zstd -q -k "$T/l1.tar"
D1=sha256:$(sha256sum < "$T/l1.tar" | cut -d' ' -f1)

mkdir "$T/ref"
tar "${TARFLAGS[@]}" -xpf "$T/l1.tar" -C "$T/ref"

listing() {
        (cd "$1" && find . \( -type d -printf '%p d %m %U:%G %T@\n' \) -o \
                -printf '%p %y %m %U:%G %s %n %l %T@\n' | LC_ALL=C sort)
        python3 - "$1" <<'EOF'
import os, sys
root = sys.argv[1]
for d, dirs, files in sorted(os.walk(root)):
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        for a in sorted(os.listxattr(p, follow_symlinks=False)):
            print(os.path.relpath(p, root), a, os.getxattr(p, a, follow_symlinks=False))
EOF
}

check_same_as_tar() {  # ROOT REF
        listing "$2" > "$T/want"
        listing "$1" > "$T/got"
        diff -u "$T/want" "$T/got" >&2 || fail "tank's extraction differs from tar's (metadata)"
        (cd "$2" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$T/want"
        (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$T/got"
        diff -u "$T/want" "$T/got" >&2 || fail "tank's extraction differs from tar's (content)"
}

# Only the first unpack syncs (the default); the others skip syncfs(), which
# would flush all the test's own dirty data too and only costs time here.
sync=
for blob in l1.tar.gz l1.tar.zst l1.tar; do
        out=$("$TOOL" unpack $sync "$T/data" "$D1" "$T/$blob") || fail "unpack $blob failed"
        sync=--no-sync
        assert_eq "$out" unpacked "unpack $blob"
        root=$("$TOOL" path "$T/data" "$D1")
        check_same_as_tar "$root" "$T/ref"
        assert_eq "$("$TOOL" unpack "$T/data" "$D1" "$T/$blob")" present "second unpack of $blob"
        "$TOOL" remove "$T/data" "$D1" || fail "remove"
        assert_eq "$(ls -A "$LAYERS")" "" "layer dir after remove"
done

echo "$SECONDS s"
# --- wrong diff_id: refused, nothing visible, nothing left --------------------
wrong=sha256:$(printf '%064d' 0)
if "$TOOL" unpack --no-sync "$T/data" "$wrong" "$T/l1.tar.gz" 2> "$T/err"; then
        fail "a layer with the wrong diff_id was accepted"
fi
grep -q "does not match its diff_id" "$T/err" || fail "unclear diff_id error: $(cat "$T/err")"
assert_eq "$(ls -A "$LAYERS")" "" "layer dir after a refused layer"

echo "$SECONDS s"
# --- interrupted extraction ----------------------------------------------------
mkdir "$T/big"
cp -a /usr/include/linux /usr/include/x86_64-linux-gnu "$T/big/"
[ "$(find "$T/big" -type f | wc -l)" -ge 1000 ] || fail "need a bigger tree for the kill test"
tar --numeric-owner -cf - -C "$T/big" . | gzip -1 > "$T/l2.tar.gz"
D2=sha256:$(gzip -dc "$T/l2.tar.gz" | sha256sum | cut -d' ' -f1)
half=$(( $(stat -c %s "$T/l2.tar.gz") / 2 ))
mkfifo "$T/pipe"
{ head -c "$half" "$T/l2.tar.gz"; sleep 120; } > "$T/pipe" &
writer=$!
"$TOOL" unpack --no-sync "$T/data" "$D2" "$T/pipe" &
unpacker=$!
count_tmp_files() {
        [ "$(find "$LAYERS" -path '*/.tmp-*' -type f 2>/dev/null | head -n 100 | wc -l)" -ge 100 ]
}
wait_for 60 count_tmp_files || fail "extraction did not start writing files"
kill -KILL "$unpacker"
wait "$unpacker" 2>/dev/null || true
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
writer=
[ ! -e "$LAYERS/${D2#sha256:}" ] || fail "a killed extraction left a visible layer"
[ -n "$(ls -A "$LAYERS")" ] || fail "expected a stale temp dir from the killed extraction"
out=$("$TOOL" unpack "$T/data" "$D2" "$T/l2.tar.gz") || fail "re-run after kill failed"
assert_eq "$out" unpacked "re-run after kill"
assert_eq "$(ls -A "$LAYERS")" "${D2#sha256:}" "layer dir after re-run (stale temp dir removed)"
mkdir "$T/ref2"
tar --numeric-owner -xpzf "$T/l2.tar.gz" -C "$T/ref2"
check_same_as_tar "$("$TOOL" path "$T/data" "$D2")" "$T/ref2"

echo "$SECONDS s"
# --- both layers as one root filesystem ------------------------------------------
"$TOOL" unpack --no-sync "$T/data" "$D1" "$T/l1.tar.gz" > /dev/null || fail "unpack l1 again"
"$TOOL" mount "$T/data" "$T/data/pods/p/c" "$T/mnt" "$D1" "$D2" || fail "overlay mount"
[ "$(stat -c %a "$T/mnt/usr/bin/tool")" = 4755 ] || fail "setuid file in the rootfs"
[ -f "$T/mnt/linux/stddef.h" ] || fail "upper layer missing in the rootfs"
echo x > "$T/mnt/etc/new"
[ -f "$T/data/pods/p/c/upper/etc/new" ] || fail "write did not land in the upper dir"
[ ! -e "$("$TOOL" path "$T/data" "$D1")/etc/new" ] || fail "write landed in a shared layer"
umount "$T/mnt"
echo "ok ($SECONDS s)"
