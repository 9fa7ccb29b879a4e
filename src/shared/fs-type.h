/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File systems by statfs f_type, and which of them can hold an overlay upper
 * directory. tankd checks a container's scratch directory before it starts the
 * shim (image/rootfs.h) and the shim checks the upper directory again before it
 * mounts the overlay (shim/overlay.h): one table, so that the two agree on what
 * is refused and say it the same way. Debug logging only. */

/* Human name for a statfs f_type ("ext4", "overlay", ...); "unknown" if unknown. */
const char *fs_type_name(long f_type);

/* 0 if `path` can host overlay upper/work dirs, else -EOPNOTSUPP/-EROFS/... with a
 * message naming the file system type. Overlay itself, NFS, FUSE, 9p, CIFS,
 * squashfs, read-only mounts, ... cannot. */
int fs_check_overlay_upper(const char *path, char **ret_error);
