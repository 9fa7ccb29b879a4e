/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd unit names for Tank's objects (DESIGN.md, "systemd mapping"):
 *   pod web            -> tank-pod-web.slice   (in tank-pod.slice in tank.slice)
 *   container app/web  -> tank-web-app.scope
 * Names are escaped as systemd-escape does, so a dash inside a name becomes \x2d
 * and cannot be mistaken for slice nesting. */

#include "macro.h"

char *unit_name_escape(const char *s);   /* NULL on OOM */
int pod_slice_name(const char *pod, char **ret);
int container_scope_name(const char *pod, const char *container, char **ret);

