/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A running container's health on the loop (issue 14): the spec's probes
 * become health.h's parameters, health.h's actions become sd-event timers and
 * probe-run.h runs, and what it decides reaches the lifecycle (KILL: the
 * UNHEALTHY event), the pod's Ready, the bus and the container's journal.
 * reconcile.c calls in only where the lifecycle starts or ends a run. */

#include <stdbool.h>

#include "json-guard.h"
#include "reconcile/health.h"
#include "reconcile/podstate.h"

/* The container is RUNNING: started, or adopted (then with the flags state.json kept). */
void container_health_start(Reconciler *rc, ContainerState *c, bool adopted);
/* Its run ended or its stop begun: every probe run cancelled, no timer left. */
void container_health_stop(Reconciler *rc, ContainerState *c);
/* What the notify socket heard: HEALTH_EV_NOTIFY_READY, HEALTH_EV_NOTIFY_STATUS
 * (text: STATUS=, borrowed) or HEALTH_EV_NOTIFY_WATCHDOG. Ignored unless the
 * container runs with notify. */
void container_health_notify(Reconciler *rc, ContainerState *c, HealthEventType type, const char *text);
/* Frees what is left, without announcing anything (container_state_free()). */
void container_health_free(ContainerState *c);

/* RUNNING and ready in health.h's sense: what Ready counts. */
bool container_is_ready(const ContainerState *c);
/* The status JSON's health keys of one container, into its open map. */
void container_health_status_json(JsonGen *g, const ContainerState *c);
