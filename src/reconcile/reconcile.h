/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reconciler: level-triggered. Anything that may have changed a pod — a
 * store event, a unit event from systemd, a container exit, a timer — queues the
 * pod (manager_queue_reconcile) and reconcile_pod() compares the desired spec
 * with what runs and does the smallest set of actions:
 *   - a desired container that does not run is started (image pulled first);
 *   - a running container whose content hash changed, or whose pod-level hash
 *     changed, is stopped and then started with the new spec; unchanged ones
 *     keep running;
 *   - an exited container is restarted per the restart policy after the backoff;
 *   - a container (or pod) no longer desired is stopped and its traces removed.
 * Every action is asynchronous; their completions queue the pod again. */

#include "daemon/manager.h"

void reconcile_pod(Manager *m, PodState *p);

/* Refusals that need knowledge of other pods (e.g. an IP already used by
 * another pod, desired or still being applied: m->applying); -EINVAL with
 * *ret_reason. */
int reconcile_check_admission(Manager *m, const Pod *pod, char **ret_reason);

/* Find containers an earlier tankd left behind (state records under
 * <runtime>/pods/) and take them over without restarting them; then restore
 * the completed containers of desired pods from their final records and
 * remove the data of pods the store no longer holds. listed: the name of
 * every pod key the first full list held, its value parsed or not (a pod
 * listed but unparsable keeps its data). */
void reconcile_adopt_all(Manager *m, const Hashmap *listed);

/* Subscribe to systemd's UnitRemoved so container exits are noticed. */
int reconcile_subscribe_systemd(Manager *m);
