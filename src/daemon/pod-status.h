/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pods' status across the fleet (store/status.h): this node publishes the
 * status of the pods bound to it as STORE_STATUS_PREFIX "<pod>", put with its
 * node lease whenever the phase, the ready count or the restarts change (at
 * most once per pod per loop iteration, and again with a new lease), and
 * deletes it when the pod is forgotten here. It watches the prefix, so that
 * pods bound to other nodes show their node's word (on a fleet of one
 * nothing is published: nobody reads it): pod_status_view() gives
 * what List, Get and the pod objects show for a pod bound elsewhere, or
 * "unknown" while its node has no record of it (the node is gone: its lease
 * took the record along). A node withdraws a pod's record once the pod is
 * down there (deleted, or moved away and stopped), not before: the node it
 * moved to starts it only then (scheduler.h). */

#include <stdbool.h>
#include <stdint.h>

#include "reconcile/podstate.h"

typedef struct Manager Manager;
typedef struct PodStatusBoard PodStatusBoard;

int pod_status_board_new(Manager *m, PodStatusBoard **ret);
PodStatusBoard *pod_status_board_free(PodStatusBoard *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodStatusBoard *, pod_status_board_free);
/* Once the store client exists. */
int pod_status_board_start(PodStatusBoard *b);

/* The reconciler's news about pod p (changed, or gone: p->desired NULL and
 * it is being forgotten). */
void pod_status_board_changed(PodStatusBoard *b, const PodState *p);
void pod_status_board_removed(PodStatusBoard *b, const char *pod);
/* The node's key was put with a (new) lease: everything again with it. */
void pod_status_board_registered(PodStatusBoard *b);

/* The watch has listed the prefix once. */
bool pod_status_board_synced(const PodStatusBoard *b);
/* The node whose record of pod the watch holds, NULL when none. */
const char *pod_status_board_holder(PodStatusBoard *b, const char *pod);

typedef struct PodStatusView {
        const char *phase;              /* a pod phase, or "unknown" */
        uint32_t ready, restarts;
} PodStatusView;

/* For a pod bound to another node: 1 and *ret filled (valid until the loop
 * runs on). 0: the pod is this node's (or unbound): show the local state. */
int pod_status_view(PodStatusBoard *b, const PodState *p, PodStatusView *ret);
