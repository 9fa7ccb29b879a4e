/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to tank-shim: the exec socket (exec-protocol.h, "Spawned by the
 * shim"). The monitor is in the container's scope, so what it forks is born
 * there: tank-exec started this way needs no cgroup migration, which costs
 * a writer of cgroup.procs an RCU grace period (measured ~10 ms, most of an
 * exec) and used to block tankd's loop for it. */

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct ExecServer ExecServer;

/* Binds the datagram socket at path (replacing a stale one). The helpers it
 * forks get oom_score_adj back (the monitor's own is -1000). */
int exec_server_new(sd_event *e, const char *path, int oom_score_adj, ExecServer **ret);
/* Removes the socket; helpers already forked run on. */
ExecServer *exec_server_free(ExecServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ExecServer *, exec_server_free);
