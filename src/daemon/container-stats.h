/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A running container's resource counters and processes, for Manager.Stats
 * and Manager.Top (bus-stats.c): the one place that knows which cgroup file
 * holds what on each layout.
 *
 * Counters come from the cgroup of the container's scope, found through
 * /proc/<pid>/cgroup of a process in it (the shim), per hierarchy:
 *   counter          unified (v2)                 hybrid/legacy (v1)
 *   cpu_usage_nsec   cpu.stat usage_usec * 1000   cgroup2 cpu.stat (hybrid), else cpuacct.usage
 *   memory_bytes     memory.current               memory.usage_in_bytes
 *   memory_limit     memory.max (absent: "max")   memory.limit_in_bytes (absent: >= 2^62)
 *   pids, pids_limit pids.current, pids.max       pids.current, pids.max
 *   block_*_bytes    io.stat rbytes/wbytes        blkio.throttle.io_service_bytes Read/Write
 * A hierarchy in which the process is not in a cgroup of the scope's own
 * name (a v1 controller systemd did not enable for it) gives nothing, never
 * the parent's figures. The network counters are the sum of every interface
 * but "lo" in /proc/<pid>/net/dev of the workload, which shows the pod's
 * network namespace without entering it; a pod on the host's network has
 * none (they would be the host's).
 *
 * The files are kernel pseudo files: reading them does not wait on a disk,
 * so this runs on tankd's loop. Nothing here logs. */

#include <stdint.h>
#include <sys/types.h>

#include "cgroup-util.h"

enum {
        STATS_CPU     = 1 << 0,
        STATS_MEMORY  = 1 << 1,
        STATS_MEMORY_LIMIT = 1 << 2,
        STATS_PIDS    = 1 << 3,
        STATS_PIDS_LIMIT = 1 << 4,
        STATS_NET     = 1 << 5,
        STATS_BLOCK   = 1 << 6,
};

typedef struct ContainerStats {
        unsigned have;                  /* STATS_* of the fields that were read */
        uint64_t cpu_usage_nsec;
        uint64_t memory_bytes, memory_limit;
        uint64_t pids, pids_limit;
        uint64_t net_rx_bytes, net_tx_bytes;
        uint64_t block_read_bytes, block_write_bytes;
} ContainerStats;

/* cgroup_pid is a process in the scope (the shim), unit the scope's name
 * (checked against each hierarchy's path), net_pid a process in the pod's
 * network namespace (the workload; 0: none). Returns 0 with what could be
 * read, -ESRCH if cgroup_pid is gone. */
int container_stats_read(CgroupLayout layout, pid_t cgroup_pid, const char *unit, pid_t net_pid,
                         ContainerStats *ret);

/* Parsers of the files' texts, exposed for tests/unit/test-container-stats.c. */
int stats_parse_net_dev(const char *text, uint64_t *ret_rx, uint64_t *ret_tx);
int stats_parse_io_stat(const char *text, uint64_t *ret_read, uint64_t *ret_write);
int stats_parse_blkio(const char *text, uint64_t *ret_read, uint64_t *ret_write);

typedef struct ContainerProcess {
        pid_t pid;                      /* on the host */
        pid_t ns_pid;                   /* in the container's PID namespace (last NSpid field) */
        uid_t uid;                      /* on the host */
        uid_t ns_uid;                   /* in the container's user namespace (uid when it has none) */
        char *command;                  /* the command line, spaces between arguments; or [comm] */
} ContainerProcess;

void container_process_array_free(ContainerProcess *a, size_t n);

/* The processes of the scope of cgroup_pid that share the PID namespace of
 * workload_pid: the workload and what runs beside it (exec), not the shim.
 * Sorted by host pid. */
int container_processes(CgroupLayout layout, pid_t cgroup_pid, const char *unit, pid_t workload_pid,
                        ContainerProcess **ret, size_t *ret_n);
