/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container lifecycle steps of reconcile.c that adoption (adopt.c) shares:
 * internal to src/reconcile/, not an interface for other modules. */

#include "reconcile/podstate.h"

void pod_changed(Reconciler *rc, PodState *p);
void pod_cleanup(Reconciler *rc, PodState *p);
bool policy_restarts(RestartPolicy policy, const ExitInfo *e);
void container_start(Reconciler *rc, ContainerState *c, const PodContainer *spec);
/* Could not start: message, backoff, retry. */
void container_fail(Reconciler *rc, ContainerState *c, const char *message);
/* The scope is gone: read the exit, apply the restart policy. */
void container_gone(Reconciler *rc, ContainerState *c);
void container_watch_exit(Reconciler *rc, ContainerState *c);
void container_arm_timer(Reconciler *rc, ContainerState *c, uint64_t delay, sd_event_time_handler_t handler);
int on_stable_timer(sd_event_source *s, uint64_t usec, void *userdata);
