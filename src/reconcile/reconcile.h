/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reconciler's pass, level-triggered: anything that may have changed a
 * pod — a store event, a unit event from systemd, a container exit, a timer —
 * queues the pod (reconciler_queue) and reconcile_pod() compares the desired
 * spec with what runs and does the smallest set of actions:
 *   - a desired container that does not run is started (image pulled first);
 *   - a running container whose content hash changed, or whose pod-level hash
 *     changed, is stopped and then started with the new spec; unchanged ones
 *     keep running;
 *   - an exited container is restarted per the restart policy after the backoff;
 *   - a container (or pod) no longer desired is stopped and its traces removed.
 * Every action is asynchronous; their completions queue the pod again.
 * Internal to src/reconcile/: other modules use reconciler.h. */

#include "reconcile/reconciler-internal.h"

/* May free p: a pod no longer desired, fully torn down, is removed. */
void reconcile_pod(Reconciler *rc, PodState *p);
