/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Rollouts on the bus (issue 16): the Manager's RolloutHistory and
 * RolloutUndo methods, the Pod objects' Rollout*
 * properties and RolloutFinished signal, and the Reconciler observer's
 * rollout callbacks that emit them. */

#include "daemon/manager.h"

int bus_rollout_install(Manager *m);


void bus_rollout_changed(Reconciler *rc, PodState *p, void *userdata);
void bus_rollout_finished(Reconciler *rc, PodState *p, int64_t revision, const char *result, const char *reason,
                          void *userdata);
