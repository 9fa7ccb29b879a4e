/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The mount namespace tank-shim copies for a container (issue 15). Every
 * container's unshare(CLONE_NEWNS) copies the mount table it starts from, and
 * the host's holds one netns pin per pod (netns.h): copying, making private and
 * dropping them again at pivot_root cost O(pods) per start, quadratic over a
 * burst. This namespace is the host's as it was when tankd started, kept a
 * slave of it (what the host mounts or unmounts later reaches it, as it
 * reached a copy made later), without the pins' directory: a container starts
 * from a table of constant size. It holds nothing the host's does not, and a
 * container pivots away from all of it anyway.
 *
 * Held by an fd of tankd's (a new tankd makes its own); a shim joins it with
 * setns() right before its unshare(), after it has joined its pod's network
 * namespace by path in the host's. Running shims never need it again, so
 * adoption does not depend on it. */

/* A new fd (O_CLOEXEC) to such a namespace in ret_fd, or negative errno: then
 * shims copy the host's, as before. -EBUSY: pins are on the plain directory
 * (netns_dir_prepare()); -EREMOTE: a mount of the host's is not shared (no
 * systemd as PID 1, or a container), so a slave would not track it. */
int shim_mntns_new(const char *runtime_dir, int *ret_fd);
