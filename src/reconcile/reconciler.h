/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The reconciler as one object: the pod table (name -> PodState), the queue
 * of pods whose pass is due and its dispatch (a deferred event source: many
 * events, one pass per pod), the desired state handed in by the store's
 * watch or by an acknowledged Apply, the Applies still on their way to the
 * store (admission counts their addresses as taken), the deletes of user
 * namespace ranges in flight, and systemd's UnitRemoved subscription.
 *
 * It is built from a ReconcilerEnv of things it borrows (they must outlive
 * it) and knows nothing of its owner: it reports through a
 * ReconcilerObserver table, whose callbacks run on the loop, from within the
 * Reconciler's own work (reconciler_set_desired() may announce a new pod, a
 * pass a change). A pod is added when it first becomes desired (a pod that
 * is adopted only to be torn down is not announced), changed when its phase,
 * message or containers may have changed, and removed just before it is
 * freed, when nothing of it is left on the host. */

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus/scope.h"
#include "config/config.h"
#include "hashmap.h"
#include "image/blobstore.h"
#include "image/layer.h"
#include "image/pull.h"
#include "reconcile/backoff.h"
#include "reconcile/podstate.h"
#include "rm-rf-async.h"
#include "sealed-exec.h"
#include "spec/pod.h"
#include "store/store.h"

struct ResolvedWatch;
struct TankEvent;

/* Borrowed, not owned: each must outlive the Reconciler. */
typedef struct ReconcilerEnv {
        sd_event *event;
        sd_bus *bus;                    /* the system bus: systemd's units */
        SystemdJobs *jobs;              /* the jobs queued on it (bus/scope.h) */
        const char *runtime_dir;        /* /run/tank */
        const TankConfig *config;
        Store *store;                   /* NULL until connected: reconciler_set_store() */
        BlobStore *blobs;
        LayerStore *layers;
        Puller *puller;
        RmRfQueue *trash;               /* scratch and run trees removed off the loop */
        SealedExe *shim_exe;            /* tank-shim */
        SealedExe *exec_exe;            /* tank-exec: exec probes (probe-run.h) */
        const char *seccomp_filter;     /* the containers' compiled seccomp program
                                         * (shim/security.h), or NULL: shims build it */
        BackoffPolicy backoff;          /* copied */
        struct ResolvedWatch *resolved; /* [Host] Adapter=auto, else NULL */
} ReconcilerEnv;

/* Where the fleet's scheduler put a pod (docs/ARCHITECTURE.md "Placement"). */
typedef enum ReconcilerPlacement {
        RECONCILER_PLACEMENT_HERE,      /* bound to this node: reconciled as ever */
        RECONCILER_PLACEMENT_UNBOUND,   /* not bound yet, or not known yet: what runs keeps
                                         * running (and is adopted), nothing new starts */
        RECONCILER_PLACEMENT_ELSEWHERE, /* bound to another node: stopped here */
} ReconcilerPlacement;

typedef struct ReconcilerObserver {
        /* Where pod `name` is to run; NULL: everything is here. Asked at
         * every pass; when the answer changes, the owner queues the pod. */
        ReconcilerPlacement (*placement)(Reconciler *rc, const char *name, void *userdata);
        /* Each may be NULL. The PodState is valid for the duration of the call. */
        void (*pod_added)(Reconciler *rc, PodState *p, void *userdata);
        void (*pod_changed)(Reconciler *rc, PodState *p, void *userdata);
        void (*pod_removed)(Reconciler *rc, PodState *p, void *userdata);
        /* c's health (c->health.health, .health_reason) changed; Ready and
         * Containers follow through pod_changed. */
        void (*container_health_changed)(Reconciler *rc, PodState *p, ContainerState *c, void *userdata);
        /* A lifecycle event (events.h), after its journal entry was written. */
        void (*event)(Reconciler *rc, const struct TankEvent *e, void *userdata);
        /* p's rollout (reconcile/rollout-run.h) began, changed or was taken
         * from the store; rollout_finished: the rollout of revision ended with
         * result ("succeeded", "failed", "reverted", "superseded") and
         * reason ("" if none). */
        void (*rollout_changed)(Reconciler *rc, PodState *p, void *userdata);
        void (*rollout_finished)(Reconciler *rc, PodState *p, int64_t revision, const char *result,
                                 const char *reason, void *userdata);
} ReconcilerObserver;

/* env and observer are copied. Makes no bus call and arms nothing yet. */
int reconciler_new(const ReconcilerEnv *env, const ReconcilerObserver *observer, void *userdata,
                   Reconciler **ret);
/* Forgets the pods; their containers keep running in their scopes. */
Reconciler *reconciler_free(Reconciler *rc);
DEFINE_TRIVIAL_CLEANUP_FUNC(Reconciler *, reconciler_free);

/* The store client once it is connected (or NULL, before it goes away). */
void reconciler_set_store(Reconciler *rc, Store *store);

/* The mount namespace shims start from (shim-mntns.h), borrowed; -EBADF:
 * the host's. */
void reconciler_set_shim_mntns(Reconciler *rc, int fd);

/* Subscribe to systemd's UnitRemoved so that container exits are noticed. */
int reconciler_subscribe_systemd(Reconciler *rc);

PodState *reconciler_get_pod(const Reconciler *rc, const char *name);
/* The observer's userdata (reconciler_new()). */
void *reconciler_get_userdata(const Reconciler *rc);
/* name -> PodState, for reading (HASHMAP_FOREACH): valid until the loop runs
 * on; the pods may change and go only from the Reconciler's own calls. */
const Hashmap *reconciler_pods(const Reconciler *rc);

/* Something about the pod may have changed: its pass runs soon, once however
 * often it was queued. */
void reconciler_queue(PodState *p);

/* The store says pod `name` is desired as pod (taken; NULL: deleted) at
 * mod_revision. Revisions only move forward: an older or repeated write is
 * dropped. 1 if the desired state changed (the pod is queued), 0 if not,
 * < 0 if it could not be taken in (the store must say it again). */
int reconciler_set_desired(Reconciler *rc, const char *name, Pod *pod, int64_t mod_revision);

/* Apply's write was acknowledged at mod_revision and the watch has not
 * delivered it yet: take it as desired now (the watch's copy is then a no-op)
 * and, once adoption ran, run the pod's pass before returning, so that a
 * client asking right after Apply sees the new spec acted upon. Takes pod.
 * Returns the pod, or NULL if it was not taken in (the watch delivers it). */
PodState *reconciler_applied(Reconciler *rc, Pod *pod, int64_t mod_revision);

/* After the store's first full list: take over the containers an earlier
 * tankd left behind (state records under <runtime>/pods/) without restarting
 * them, restore the completed containers of desired pods from their final
 * records, and remove the data of pods the store no longer holds. listed:
 * every pod name the list held, its value parsed or not (a pod listed but
 * unparsable keeps its data). Before this, no pass starts a container from
 * reconciler_applied(). */
void reconciler_adopt_all(Reconciler *rc, const Hashmap *listed);

/* Refusals at Apply that need knowledge of other pods: a macvlan address
 * another desired pod uses, or an Apply still in flight (reserved below);
 * and, with check_host, what the mode needs of this host (a NIC's parent):
 * the caller leaves that to the scheduler when the pod may go to another
 * node. -EINVAL with *ret_reason naming the address and the pod, -ENOMEM. */
int reconciler_check_admission(Reconciler *rc, const Pod *pod, bool check_host, char **ret_reason);

/* An Apply's spec on its way to the store: admission counts its addresses as
 * taken until it is released (the store answered). pod is borrowed and must
 * stay valid until then. */
int reconciler_reserve_apply(Reconciler *rc, const Pod *pod);
void reconciler_release_apply(Reconciler *rc, const Pod *pod);
