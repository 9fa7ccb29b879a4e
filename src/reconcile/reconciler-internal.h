/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Reconciler's fields, for the files of src/reconcile/ only: other
 * modules use reconciler.h. */

#include "journal-send.h"
#include "reconcile/reconciler.h"

struct Reconciler {
        /* Borrowed (ReconcilerEnv). */
        sd_event *event;
        sd_bus *bus;
        SystemdJobs *jobs;
        const char *runtime_dir;
        const TankConfig *config;
        Store *store;
        BlobStore *blobs;
        LayerStore *layers;
        Puller *puller;
        RmRfQueue *trash;
        SealedExe *shim_exe;
        SealedExe *exec_exe;            /* tank-exec, for exec probes */
        const char *seccomp_filter;     /* or NULL */
        int shim_mntns_fd;              /* borrowed, or -EBADF (shim-mntns.h) */
        BackoffPolicy backoff;
        struct ResolvedWatch *resolved;

        ReconcilerObserver observer;
        void *userdata;

        Hashmap *pods;                  /* name -> PodState */
        sd_event_source *dispatch;      /* deferred, ONESHOT while pods are queued */
        bool adopted;                   /* reconciler_adopt_all() ran */
        /* Specs an Apply is writing to the store (owned by its call):
         * admission counts their addresses as taken, so two Applies in
         * flight cannot both claim one. */
        const Pod **applying;
        size_t n_applying;
        Hashmap *userns_releasing;      /* pod name -> deletes of its user namespace
                                         * range in flight (userns.c) */
        sd_bus_slot *systemd_signals;   /* UnitRemoved */
        JournalSender *journal;         /* events and health lines, never blocking the loop */
};

/* The observer, for the files that change pods. */
void reconciler_pod_added(Reconciler *rc, PodState *p);
void reconciler_pod_changed(Reconciler *rc, PodState *p);
void reconciler_pod_removed(Reconciler *rc, PodState *p);
void reconciler_container_health_changed(Reconciler *rc, PodState *p, ContainerState *c);
void reconciler_rollout_changed(Reconciler *rc, PodState *p);
void reconciler_rollout_finished(Reconciler *rc, PodState *p, int64_t revision, const char *result,
                                 const char *reason);

/* A new pod in the table, announced to nobody (adoption adds pods that are
 * not desired, to tear them down). */
int reconciler_add_pod(Reconciler *rc, const char *name, PodState **ret);
