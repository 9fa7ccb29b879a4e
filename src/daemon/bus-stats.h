/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Resource use on tankd's bus (issue 19), for `tankctl stats` and `top`:
 *   Manager.Stats(as pods) -> (t monotonic_usec, a(ssa{st}) containers)
 *     pod, container and its counters (container-stats.h) for every running
 *     container of the pods named (none: of every pod), read at
 *     monotonic_usec (CLOCK_MONOTONIC): cpu_usage_nsec, memory_bytes,
 *     memory_limit, pids, pids_limit, net_rx_bytes, net_tx_bytes,
 *     block_read_bytes, block_write_bytes; a counter that could not be read
 *     (or a limit that is not set) is absent. Rates are the client's, from
 *     two samples. An unknown pod is NoSuchPod.
 *   Manager.Top(s pod, s container) -> a(uuuus)
 *     host pid, pid in the container, host uid, uid in the container, command
 *     line, of the container's processes (empty container: the first);
 *     NoSuchPod, NotRunning.
 * Both are open to every caller, like systemd-cgtop and ps. Stats' readings
 * are cached for a second (monotonic_usec is the walk's): however many
 * callers, each container's cgroup files are read at most once a second; a
 * call names at most 1024 pods (InvalidArgs). */

#include "daemon/manager.h"

typedef struct StatsCache StatsCache;

int bus_stats_install(Manager *m);
StatsCache *stats_cache_free(StatsCache *c);
