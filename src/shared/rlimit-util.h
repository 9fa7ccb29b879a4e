/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File descriptor limits, the way systemd's own daemons handle them.
 *
 * tankd holds a few descriptors per container start in flight (the shim's
 * sync socket, its child's pidfd) and per client (D-Bus, attach, exec), and
 * starts hundreds of containers at once: the soft limit of 1024 that
 * services get by default is too low, the hard limit (524288 on Debian 12)
 * is not. rlimit_nofile_bump() raises the soft limit to the hard one.
 *
 * The soft limit stays 1024 by default for a reason: programs that still
 * use select() cannot see descriptors above 1023. So what tankd starts
 * (tank-shim, tank-exec, and through them the workloads) gets 1024 back,
 * the hard limit unchanged, as a systemd service would: a workload that
 * needs more raises its own soft limit. rlimit_nofile_safe() does that,
 * at the start of those programs. */

/* Soft limit := hard limit (no higher than the kernel's nr_open). */
int rlimit_nofile_bump(void);
/* Soft limit := min(soft, 1024). */
int rlimit_nofile_safe(void);
