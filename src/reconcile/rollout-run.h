/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's rollouts on the loop (issue 16): every new desired revision of a
 * pod gets a history record in the store (store/history.h) and is judged by
 * the machine of rollout.h from what its changed containers do; a failure
 * may write the newest succeeded revision back (cause "rollback"). What must
 * survive tankd lives in the record (its time, cause and result); tankd
 * killed in the middle finds the record "in-progress" after its restart and
 * judges on, against the same deadline.
 *
 * The reconciler calls in here (rollout-run.c: observation and timers;
 * rollout-store.c: records, the revert write, trimming to [Rollout]
 * HistoryLimit=); the daemon reads the state and says why a revision was
 * written. */

#include <stdint.h>

#include "json-guard.h"
#include "reconcile/podstate.h"
#include "reconcile/rollout.h"

typedef struct RolloutRun RolloutRun;

RolloutRun *rollout_run_free(RolloutRun *run);

/* The reconciler's hooks. old may be NULL (a new pod, or tankd starting),
 * new NULL (deleted). */
void rollout_desired_changed(PodState *p, const Pod *old, const Pod *new, int64_t revision);
void rollout_pod_changed(PodState *p);

/* The writer of revision `revision` of pod `name` says why it wrote it
 * (before or after the reconciler heard of it; the record follows). */
void rollout_note_cause(Reconciler *rc, const char *name, int64_t revision, RolloutCause cause);

/* "rollout": {revision, cause, result, reason, healthy_usec, min_healthy_usec,
 * deadline_usec, started_usec} in the status JSON, or nothing before the first. */
void rollout_status_json(JsonGen *g, const PodState *p);

/* The pod's current (or last) rollout; NULL before the first was judged. */
const Rollout *pod_state_rollout(const PodState *p);
/* How long the judged revision has been healthy now, 0 if it is not. */
uint64_t pod_state_rollout_healthy_usec(const PodState *p);
/* The image references (and digests, where known) of the pod's newest
 * succeeded revision: kept from rmi and prune until a later one succeeds. */
char **pod_state_protected_images(const PodState *p);
