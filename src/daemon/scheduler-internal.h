/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Scheduler's state, shared by its two halves: scheduler.c (the views,
 * the election, placement for the Reconciler) and scheduler-pass.c (the
 * scheduling pass: binds, moves of lost and drained nodes' pods). */

#include "daemon/manager.h"
#include "daemon/scheduler.h"
#include "store/store.h"

#define SCHEDULER_RETRY_USEC (1U * USEC_PER_SEC)

typedef enum ViewKind {
        VIEW_ELECTION,
        VIEW_NODES,
        VIEW_CORDONED,
        VIEW_BOUND,
        VIEW_UNSCHEDULABLE,
        VIEW_MINE,
        _VIEW_MAX,
} ViewKind;

typedef struct BoundEntry {
        char *node;
        int64_t mod_revision;
} BoundEntry;

typedef struct View {
        Scheduler *s;
        ViewKind kind;
        char *prefix;
        StoreWatch *watch;
        bool synced;
        Hashmap *map;           /* name -> NodeRecord* | BoundEntry* | bool* (cordoned: draining?) |
                                 * char* (reason, or the name) */
} View;

struct Scheduler {
        Manager *m;
        char *self;
        View views[_VIEW_MAX];
        char *holder;           /* STORE_SCHEDULER_KEY's value; NULL: nobody */
        bool electing;          /* the create txn is in flight */
        /* pod -> the node a bind on its way goes to ("" for an unschedulable
         * write): counted as bound by the passes until the answer. */
        Hashmap *in_flight;
        sd_event_source *pass;  /* deferred: the scheduling pass */
        /* node -> uint64_t*: when the pass first saw pods bound to it while it
         * had no record (its lease expired); its reschedulable pods move
         * RescheduleDelaySec= after that. */
        Hashmap *lost;
        sd_event_source *lost_timer;
        sd_event_source *retry; /* a failed store call: the election and the pass again */
        bool relisting;         /* bound/ and our bindings are read anew (node_lease_lost()) */
        size_t n_nodes_seen;    /* records in the nodes view at its last change */
};

void scheduler_queue_pass(Scheduler *s);
void scheduler_arm_retry(Scheduler *s);
/* The pod's placement may have changed: its pass, and its Node property. */
void scheduler_pod_placement_changed(Scheduler *s, const char *pod);
const BoundEntry *scheduler_bound_entry(Scheduler *s, const char *pod);
int scheduler_view_put(View *v, const StoreKV *kv);
bool scheduler_views_synced(Scheduler *s);
/* The deferred source's callback. */
int scheduler_on_pass(sd_event_source *es, void *userdata);
