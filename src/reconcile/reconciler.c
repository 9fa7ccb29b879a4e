/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Reconciler object: its pod table, the queue of passes, desired state
 * coming in, and the Applies in flight. The pass itself is reconcile.c's,
 * adoption adopt.c's. */
#include <inttypes.h>

#include "log.h"
#include "reconcile/events.h"
#include "reconcile/reconcile.h"
#include "reconcile/rollout-run.h"
#include "time-util.h"

int reconciler_new(const ReconcilerEnv *env, const ReconcilerObserver *observer, void *userdata,
                   Reconciler **ret) {
        _cleanup_(reconciler_freep) Reconciler *rc = calloc(1, sizeof(Reconciler));
        int r;

        if (!rc)
                return -ENOMEM;
        *rc = (Reconciler) {
                .event = env->event,
                .bus = env->bus,
                .jobs = env->jobs,
                .runtime_dir = env->runtime_dir,
                .config = env->config,
                .store = env->store,
                .blobs = env->blobs,
                .layers = env->layers,
                .puller = env->puller,
                .trash = env->trash,
                .shim_exe = env->shim_exe,
                .seccomp_filter = env->seccomp_filter,
                .exec_exe = env->exec_exe,
                .shim_mntns_fd = -EBADF,
                .backoff = env->backoff,
                .resolved = env->resolved,
                .observer = observer ? *observer : (ReconcilerObserver) {},
                .userdata = userdata,
        };
        rc->pods = hashmap_new();
        rc->userns_releasing = hashmap_new();
        if (!rc->pods || !rc->userns_releasing)
                return -ENOMEM;
        r = journal_sender_new(NULL, &rc->journal);
        if (r < 0)
                return r;
        r = journal_sender_set_note(rc->journal, "events and health lines",
                                    &(struct iovec) { .iov_base = (char *) "SYSLOG_IDENTIFIER=tankd",
                                                      .iov_len = strlen("SYSLOG_IDENTIFIER=tankd") }, 1);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rc);
        return 0;
}

Reconciler *reconciler_free(Reconciler *rc) {
        PodState *p;

        if (!rc)
                return NULL;
        HASHMAP_FOREACH(p, rc->pods)
                pod_state_free(p);
        hashmap_free(rc->pods);
        hashmap_free(rc->userns_releasing);
        sd_bus_slot_unref(rc->systemd_signals);
        journal_sender_free(rc->journal);
        sd_event_source_disable_unref(rc->dispatch);
        free(rc->applying);
        return mfree(rc);
}

void reconciler_set_store(Reconciler *rc, Store *store) {
        rc->store = store;
}

void reconciler_set_shim_mntns(Reconciler *rc, int fd) {
        rc->shim_mntns_fd = fd;
}

void reconciler_pod_added(Reconciler *rc, PodState *p) {
        if (rc->observer.pod_added)
                rc->observer.pod_added(rc, p, rc->userdata);
}

void reconciler_container_health_changed(Reconciler *rc, PodState *p, ContainerState *c) {
        events_container_health(rc, c);
        if (rc->observer.container_health_changed)
                rc->observer.container_health_changed(rc, p, c, rc->userdata);
}

void reconciler_rollout_changed(Reconciler *rc, PodState *p) {
        if (rc->observer.rollout_changed)
                rc->observer.rollout_changed(rc, p, rc->userdata);
}

void reconciler_rollout_finished(Reconciler *rc, PodState *p, int64_t revision, const char *result,
                                 const char *reason) {
        events_pod_rollout(rc, p, revision, result, reason);
        if (rc->observer.rollout_finished)
                rc->observer.rollout_finished(rc, p, revision, result, reason, rc->userdata);
}

void reconciler_pod_changed(Reconciler *rc, PodState *p) {
        /* Before the observer: what it announces includes the judgement. */
        rollout_pod_changed(p);
        if (rc->observer.pod_changed)
                rc->observer.pod_changed(rc, p, rc->userdata);
}

void reconciler_pod_removed(Reconciler *rc, PodState *p) {
        if (rc->observer.pod_removed)
                rc->observer.pod_removed(rc, p, rc->userdata);
}

PodState *reconciler_get_pod(const Reconciler *rc, const char *name) {
        return hashmap_get(rc->pods, name);
}

void *reconciler_get_userdata(const Reconciler *rc) {
        return rc->userdata;
}

const Hashmap *reconciler_pods(const Reconciler *rc) {
        return rc->pods;
}

static int reconciler_dispatch(sd_event_source *s, void *userdata) {
        Reconciler *rc = userdata;
        PodState *p;

        HASHMAP_FOREACH(p, rc->pods)
                if (p->reconcile_queued) {
                        p->reconcile_queued = false;
                        /* May free p (a deleted pod that is fully torn down). */
                        reconcile_pod(rc, p);
                }
        return 0;
}

void reconciler_queue(PodState *p) {
        Reconciler *rc = p->reconciler;

        p->reconcile_queued = true;
        if (!rc->dispatch && sd_event_add_defer(rc->event, &rc->dispatch, reconciler_dispatch, rc) < 0) {
                log_oom();
                return;
        }
        (void) sd_event_source_set_enabled(rc->dispatch, SD_EVENT_ONESHOT);
}

int reconciler_add_pod(Reconciler *rc, const char *name, PodState **ret) {
        PodState *p;
        int r;

        r = pod_state_new(rc, name, &p);
        if (r < 0)
                return r;
        r = hashmap_put(rc->pods, name, p);
        if (r < 0) {
                pod_state_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static int reconciler_ensure_pod(Reconciler *rc, const char *name, PodState **ret) {
        PodState *p = hashmap_get(rc->pods, name);
        int r;

        if (p) {
                *ret = p;
                return 0;
        }
        r = reconciler_add_pod(rc, name, &p);
        if (r < 0)
                return r;
        p->created_realtime_usec = now_realtime_usec();
        reconciler_pod_added(rc, p);
        *ret = p;
        return 0;
}

/* Apply hands its write over before the watch delivers it, so the watch may
 * repeat it, or deliver an older write to the same key, later. */
int reconciler_set_desired(Reconciler *rc, const char *name, Pod *pod, int64_t mod_revision) {
        PodState *p = NULL;
        bool was_desired;

        if (pod) {
                int r = reconciler_ensure_pod(rc, name, &p);
                if (r < 0) {
                        pod_free(pod);
                        return r;
                }
        } else
                p = hashmap_get(rc->pods, name);
        if (!p || mod_revision <= p->seen_revision) {
                pod_free(pod);
                return 0;
        }
        p->seen_revision = mod_revision;
        was_desired = p->desired;
        rollout_desired_changed(p, p->desired, pod, mod_revision);
        pod_free(p->desired);
        p->desired = pod;
        p->mod_revision = pod ? mod_revision : 0;
        /* The first list after a start is what earlier tankds applied. */
        if (rc->adopted)
                events_pod_desired(rc, p, was_desired);
        reconciler_queue(p);
        return 1;
}

PodState *reconciler_applied(Reconciler *rc, Pod *pod, int64_t mod_revision) {
        _cleanup_free_ char *name = NULL;
        PodState *p;

        name = strdup(pod->name);
        if (!name) {
                pod_free(pod);
                return NULL;
        }
        /* On failure the watch delivers this write later. */
        if (reconciler_set_desired(rc, name, pod, mod_revision) <= 0)
                return NULL;
        p = reconciler_get_pod(rc, name);
        /* Converge now, before the caller replies: a client that asks for the
         * pod's phase right after Apply sees the new spec being acted upon,
         * not the old containers still running. */
        if (p && rc->adopted) {
                p->reconcile_queued = false;
                reconcile_pod(rc, p);
                p = reconciler_get_pod(rc, name);
        }
        return p;
}

/* While the write is on its way, its addresses are taken (admission in
 * reconcile.c looks at rc->applying), so that a second Apply racing this one
 * is refused; the reservation ends when the store answered: the pod is then
 * desired, or not written at all. */
int reconciler_reserve_apply(Reconciler *rc, const Pod *pod) {
        const Pod **n;

        n = reallocarray(rc->applying, rc->n_applying + 1, sizeof(Pod *));
        if (!n)
                return -ENOMEM;
        rc->applying = n;
        rc->applying[rc->n_applying++] = pod;
        return 0;
}

void reconciler_release_apply(Reconciler *rc, const Pod *pod) {
        for (size_t i = 0; i < rc->n_applying; i++)
                if (rc->applying[i] == pod) {
                        memmove(rc->applying + i, rc->applying + i + 1, (rc->n_applying - i - 1) * sizeof(Pod *));
                        rc->n_applying--;
                        break;
                }
}
