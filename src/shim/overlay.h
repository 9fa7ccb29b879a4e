/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container's root filesystem as tank-shim mounts it: an overlayfs of the
 * image's layers (read-only lowerdirs, the shim config's rootfs_lower) with the
 * upper and work directories tankd prepared in the pod's scratch (rootfs_upper,
 * rootfs_work; image/rootfs.h). A {"rootfs": "/path"} image is the single lower
 * layer; overlayfs never writes to lower layers.
 *
 * Configuring overlay (decided once per process, see overlay_mode()):
 *   - Linux >= 6.8 (a native fs_context that knows "lowerdir+"): each lower
 *     layer is its own "lowerdir+" parameter, upper/work are their paths.
 *   - older kernels (the legacy fs_context adapter before 6.5, and native
 *     6.5-6.7): one "lowerdir" value, which fsconfig() limits to 255 bytes
 *     (the legacy adapter also to a page for all options together). Each
 *     directory is opened as an O_PATH fd and named by its bare fd number
 *     relative to /proc/self/fd ("lowerdir=12:11:10"): about 80 layers fit;
 *     more fail with -E2BIG and a message saying so.
 *     The calling process's working directory is /proc/self/fd while the
 *     overlay is configured and created, and is restored before returning (a
 *     failure to restore it fails the call). The working directory is the
 *     whole process's, so this way is refused with -EBUSY and a message in a
 *     process with more than one thread: only single-threaded callers
 *     (tank-shim, layer-tool, tests) may mount overlays on such kernels; tankd
 *     (which has worker threads) must leave it to the shim.
 *   - TANK_OVERLAY_CLASSIC=1 in the environment, read once at the first probe,
 *     forces the second way on any kernel (for tests).
 *
 * Hardening: index=off (layers are shared between many overlays at once),
 * redirect_dir=nofollow, metacopy=off (layers cannot carry overlay xattrs anyway: the
 * extractor refuses them).
 *
 * Promises: the upper directory's file system is checked first
 * (fs_check_overlay_upper(), fs-type.h: the same check tankd makes); one that
 * cannot hold an overlay upper fails with a message naming the file system type.
 * Debug logging only, errors as return values + messages. */

#include "macro.h"

typedef enum OverlayMode {
        OVERLAY_MODE_LOWERDIR_PLUS,     /* one "lowerdir+" per layer (Linux >= 6.8) */
        OVERLAY_MODE_CLASSIC,           /* one "lowerdir" value of fd numbers */
} OverlayMode;

const char *overlay_mode_to_string(OverlayMode m);

/* How overlays are configured in this process: probed on first use with a
 * throw-away fs context (fsopen + fsconfig, no mount), then cached. Fails only
 * when the kernel has no overlay file system. */
int overlay_mode(OverlayMode *ret_mode, char **ret_error);

/* The classic mount(2) option string for these layers, lower_dirs given lowest
 * first (as in an image manifest): "lowerdir=TOP:...:BOTTOM,upperdir=U,workdir=W,
 * index=off,...". upper/work may both be NULL (read-only overlay). Paths with
 * ',', ':' or '\\' are refused (-EINVAL); > one page gives -E2BIG. Not what
 * overlay_open() passes (see above); for logs and tests. */
int overlay_options(char * const *lower_dirs, const char *upper, const char *work,
                    char **ret_options);

/* Creates the overlay as a detached mount (fsmount) and returns its fd
 * (O_CLOEXEC): attach it with move_mount(), e.g. inside the shim's namespace.
 * Without upper/work the mount is read-only (a single lower becomes a read-only
 * bind mount, since overlayfs needs two lowers then). The classic way (above)
 * fails with -EBUSY in a multi-threaded process; the working directory is the
 * caller's again when this returns. */
int overlay_open(char * const *lower_dirs, const char *upper, const char *work,
                 int *ret_mount_fd, char **ret_error);

/* overlay_open() + move_mount() onto target (an existing directory). */
int overlay_mount(char * const *lower_dirs, const char *upper, const char *work,
                  const char *target, char **ret_error);
