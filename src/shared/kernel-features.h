/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What Tank needs from the kernel, probed rather than read from a version
 * string (distributions backport, and a version says nothing about a seccomp
 * filter around us): each feature is one harmless call (bad flags, a bad fd, a
 * range with nothing in it) and counts as missing only when the kernel says it
 * does not know it (ENOSYS, or EINVAL/ENOTTY for a flag or ioctl it lacks). Any
 * other error (EPERM, EBADF, ...) means the kernel knows the call.
 *
 * The table is in the order the features appeared in Linux; the newest is
 * mount_setattr() (5.12). Tank states 5.15 (the first long-term kernel with all
 * of them) as its minimum. Library code: no logging above debug. */

#include <stdbool.h>
#include <stddef.h>

#define KERNEL_MINIMUM_VERSION "5.15"

/* tankd's exit status when kernel_features_check() finds a feature missing:
 * restarting will not bring it, so tankd.service names this status in
 * RestartPreventExitStatus= and tankd(8) documents it (tests/unit/test-man.sh
 * checks that all three agree). 78 is EX_CONFIG from <sysexits.h> ("something
 * was found in an unconfigured or misconfigured state"; systemctl shows
 * "status=78/CONFIG"): the host is not set up to run Tank. */
#define KERNEL_FEATURES_EXIT_STATUS 78

typedef struct KernelFeature {
        const char *name;       /* "mount_setattr()" */
        const char *since;      /* the Linux release that brought it: "5.12" */
        bool (*probe)(void);    /* true if this kernel has it */
} KernelFeature;

extern const KernelFeature kernel_features[];
extern const size_t kernel_features_count;

/* The first feature of table[0..n) this kernel lacks, or NULL. */
const KernelFeature *kernel_features_first_missing(const KernelFeature *table, size_t n);

/* "this kernel (5.4.0) lacks mount_setattr() (Linux 5.12); Tank needs Linux 5.15
 * or newer". 0 or -ENOMEM. */
int kernel_feature_missing_message(const KernelFeature *f, const char *release, char **ret_message);

/* 0 if this kernel has every feature of table (kernel_features when NULL);
 * else -EOPNOTSUPP and the message above, naming the running kernel's release. */
int kernel_features_check(const KernelFeature *table, size_t n, char **ret_error);
