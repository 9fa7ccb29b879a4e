/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus names tankd serves and tankctl calls (DESIGN.md "D-Bus API";
 * dbus/org.tank.Tank1.xml and dbus/org.tank.Tank1.conf spell them too). One
 * place, so that the two programs cannot drift apart: a client matches errors
 * by these names, never by their message text. */

#define TANK_BUS_NAME "org.tank.Tank1"
/* The unit tankd runs as (units/tankd.service.in): tankctl events trusts
 * only journal entries that journald attributes to it. */
#define TANK_DAEMON_UNIT "tankd.service"
#define TANK_BUS_PATH "/org/tank/Tank1"
#define TANK_BUS_POD_PREFIX "/org/tank/Tank1/pod"
#define TANK_BUS_SESSION_PREFIX "/org/tank/Tank1/session"
#define TANK_BUS_PULL_PREFIX "/org/tank/Tank1/pull"

#define TANK_MANAGER_INTERFACE "org.tank.Tank1.Manager"
#define TANK_POD_INTERFACE "org.tank.Tank1.Pod"
#define TANK_SESSION_INTERFACE "org.tank.Tank1.Session"
#define TANK_PULL_INTERFACE "org.tank.Tank1.Pull"

#define TANK_ERROR_INVALID_SPEC "org.tank.Tank1.Error.InvalidSpec"
#define TANK_ERROR_NO_SUCH_POD "org.tank.Tank1.Error.NoSuchPod"
#define TANK_ERROR_NOT_A_TTY "org.tank.Tank1.Error.NotATty"
#define TANK_ERROR_NOT_RUNNING "org.tank.Tank1.Error.NotRunning"
#define TANK_ERROR_STORE_UNAVAILABLE "org.tank.Tank1.Error.StoreUnavailable"
#define TANK_ERROR_PULL_FAILED "org.tank.Tank1.Error.PullFailed"
#define TANK_ERROR_CONFLICT "org.tank.Tank1.Error.Conflict"
#define TANK_ERROR_BUSY "org.tank.Tank1.Error.Busy"
#define TANK_ERROR_NO_SUCH_REVISION "org.tank.Tank1.Error.NoSuchRevision"
#define TANK_ERROR_NO_SUCH_NODE "org.tank.Tank1.Error.NoSuchNode"
#define TANK_ERROR_EXEC_FAILED "org.tank.Tank1.Error.ExecFailed"
#define TANK_ERROR_ON_OTHER_NODE "org.tank.Tank1.Error.OnOtherNode"
