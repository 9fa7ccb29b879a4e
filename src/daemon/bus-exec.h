/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Interactive containers (issue 8) on tankd's bus:
 *   Manager.Exec(s pod, s container, as argv, as env, s cwd, b tty) -> (h terminal, o session)
 *   Manager.Attach(s pod, s container) -> (h terminal)
 * and one org.tank.Tank1.Session object per exec at
 * /org/tank/Tank1/session/<n> (Pod, Container, Pid, Running, ExitStatus;
 * PropertiesChanged when the process ends; removed BUS_EXEC_SESSION_LINGER_USEC
 * later). The terminal fd speaks src/shim/exec-protocol.h (Exec) or
 * src/shim/attach-protocol.h (Attach). Exec runs PKGLIBEXECDIR/tank-exec
 * (next to the shim; $TANK_EXEC_PATH overrides), moves it into the
 * container's scope (its cgroup: the scope is not delegated, so systemd's
 * AttachProcessesToUnit refuses), and never blocks
 * the event loop. */

#include "daemon/manager.h"

#define BUS_EXEC_SESSION_LINGER_USEC (60 * USEC_PER_SEC)

/* Registers Exec and Attach on the Manager object and the session objects.
 * Everything it allocates is owned by the bus connection. */
int bus_exec_install(Manager *m);

/* The container `container` of `pod` (empty: the pod's first) with a live
 * workload (running, with a pid and a scope), or an error set in `error`:
 * NoSuchPod for an unknown pod or container, NotRunning otherwise. Also
 * Stats and Top's (bus-stats.c). */
int bus_find_running_container(Manager *m, sd_bus_message *call, const char *pod, const char *container,
                               sd_bus_error *error, ContainerState **ret);
