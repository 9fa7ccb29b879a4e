/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: the workload child (PID 1 of the container's PID
 * namespace). workload_run() never returns: it execs the workload or reports
 * why not over sock and _exit()s with 125/126/127. */

#include "shim-config.h"

typedef struct WorkloadArgs {
        const ShimConfig *config;
        int sock;            /* SOCK_SEQPACKET to the monitor, CLOEXEC */
        int stdout_fd;       /* used when !tty */
        int stderr_fd;
        int oom_score_adj;   /* the value to restore (the monitor shields itself) */
        int userns_fd;       /* the container's user namespace, or -EBADF: host ids */
        int mntns_fd;        /* the mount namespace to copy ours from, or -EBADF: the host's */
        const SeccompFilter *seccomp;  /* prepared by the monitor, while the host's files are reachable */
} WorkloadArgs;

_noreturn_ void workload_run(const WorkloadArgs *a);
