/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: everything after tankd's "go". Creates the container
 * (workload.c in a child), reports "running <pid>" or "error <msg>" on sync_fd
 * (and closes it), supervises the workload, writes the exit record. Returns 0
 * when an exit record was written, negative errno otherwise. */

#include "shim-config.h"

/* take_mntns_fd: the mount namespace to copy the container's from, or -EBADF:
 * ours. Taken (closed once the workload holds it). */
int monitor_run(const ShimConfig *c, int sync_fd, int take_mntns_fd);
