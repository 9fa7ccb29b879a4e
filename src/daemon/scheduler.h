/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Placement at run time (docs/ARCHITECTURE.md "Placement"): the views every
 * node keeps of the fleet, the scheduler election, and the scheduler.
 *
 * Every node watches STORE_SCHEDULER_KEY, nodes/, cordoned/, bound/,
 * unschedulable/ and its own bindings/<self>/ (store/bindings.h). The pods
 * come from the Manager's pods watch through the Reconciler's table (no
 * second watch of pods/).
 *
 * Election: the key is created by a txn (create_revision == 0) with the
 * node's lease (node.h). When it is deleted (the holder's lease expired or
 * was revoked) every node tries again; a node that sees it deleted or
 * naming another node stops scheduling at once.
 *
 * Only the holder schedules: for each desired pod without a bound/ entry it
 * runs schedule_decide() (schedule.h) on the views and writes the bind txn
 * (store_bind(): the pod must still be at the revision decided on, the pod
 * still unbound), or puts unschedulable/<pod> when the reason changed. At
 * most one write per pod in flight; a failed compare waits for the watches;
 * a failed store call is retried after a backoff.
 *
 * Placement for the Reconciler: bound here (bindings/<self>/<pod>) is HERE,
 * bound/<pod> naming another node is ELSEWHERE, anything else (and anything
 * before the views' first lists) is UNBOUND. A pod bound here whose status
 * record (pod-status.h) another node still holds is UNBOUND until that node
 * has stopped it and withdrawn the record: a move never runs a pod twice. */

#include "reconcile/reconciler.h"

typedef struct Manager Manager;
typedef struct Scheduler Scheduler;

int scheduler_new(Manager *m, Scheduler **ret);
Scheduler *scheduler_free(Scheduler *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Scheduler *, scheduler_free);
/* Once the store client exists: start the watches. */
int scheduler_start(Scheduler *s);
/* The node's key was put with a (new) lease: take part in the election with it. */
void scheduler_node_registered(Scheduler *s);

/* The pods' desired state changed (the Manager's pods watch): a pass is due. */
void scheduler_pods_changed(Scheduler *s);

ReconcilerPlacement scheduler_placement(Scheduler *s, const char *pod);
/* The node bound/<pod> names, NULL when unbound (or not known yet). */
const char *scheduler_pod_node(Scheduler *s, const char *pod);
/* unschedulable/<pod>'s reason, NULL when there is none. */
const char *scheduler_pod_reason(Scheduler *s, const char *pod);
bool scheduler_is_leader(const Scheduler *s);
/* How many nodes have a record (0 before the first list). */
size_t scheduler_n_nodes(Scheduler *s);
/* cordoned/<node> asks for a drain: the scheduler moves the node's
 * reschedulable pods away (at once, while the node lives). */
bool scheduler_node_draining(Scheduler *s, const char *node);
/* Why no node could take p now: 1 and *ret_reason (malloc'd), 0 when one
 * could (or the views are not complete), -ENOMEM. On any node. */
int scheduler_explain(Scheduler *s, const PodState *p, char **ret_reason);
/* Apply's shortcut for a new pod: when this node schedules, decide on the
 * current views as a pass would. 1 and *ret_node (malloc'd) when a node is
 * eligible; 0 when this node does not schedule, the views are not complete,
 * or no node is eligible (the pass then says why); -ENOMEM. */
int scheduler_decide_new(Scheduler *s, const Pod *pod, char **ret_node);
/* Apply wrote pod bound to node at revision: take it into the views now,
 * so that the pod's first pass starts it (the watches bring the same). */
void scheduler_note_bound(Scheduler *s, const char *pod, const char *node, int64_t revision);
/* A bind on its way (the pass's own, or an Apply's decided by
 * scheduler_decide_new(), which reserves): counted as bound by the
 * decisions until released. release accepts NULL. */
int scheduler_reserve(Scheduler *s, const char *pod, const char *node);
void scheduler_release(Scheduler *s, const char *pod);
