/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The writable half of a container's root filesystem, prepared by tankd: the
 * per-container upper and work directories in the pod's scratch
 * (<data>/pods/<pod>/<container>/{upper,work}), handed to tank-shim as the shim
 * config's rootfs_upper and rootfs_work (shim/shim-config.h). The shim mounts the
 * overlay of the image's layers with them (shim/overlay.h); tankd never mounts
 * overlays (the classic way there needs a single-threaded process).
 *
 * Promises: the scratch directory's file system is checked first
 * (fs_check_overlay_upper(), fs-type.h); one that cannot hold an overlay upper
 * fails with a message naming the file system type, before any shim runs.
 * Library code: debug logging only, errors as return values + messages. */

#include "macro.h"

/* Creates scratch_dir (and parents up to an existing one, 0700) with upper/ and
 * work/ inside, after fs_check_overlay_upper(). Returns their paths. Existing ones
 * are kept (a restarted container keeps its writable layer). */
int rootfs_prepare_scratch(const char *scratch_dir, char **ret_upper, char **ret_work,
                           char **ret_error);
