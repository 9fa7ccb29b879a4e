/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "net/host.h"
#include "net/netns.h"
#include "net/pod-network.h"
#include "reconcile/admission.h"
#include "reconcile/events.h"
#include "reconcile/launch.h"
#include "reconcile/lifecycle.h"
#include "reconcile/notify-setup.h"
#include "reconcile/probes.h"
#include "reconcile/reconcile.h"
#include "reconcile/steps.h"
#include "bus/scope.h"
#include "reconcile/unpack.h"
#include "reconcile/userns.h"
#include "shim/exit-record.h"
#include "strv.h"
#include "time-util.h"

/* The reconciler decides no phase: it feeds events to lifecycle.h and
 * performs the actions that come back (the I/O). */

void container_set_message(ContainerState *c, const char *msg) {
        (void) free_and_strdup(&c->message, msg);
}

void pod_changed(Reconciler *rc, PodState *p) {
        p->phase = pod_state_compute_phase(p);
        reconciler_pod_changed(rc, p);
}

static const PodContainer *container_spec(const ContainerState *c) {
        return c->pod->desired ? pod_find_container(c->pod->desired, c->name) : NULL;
}

static LifecyclePolicy pod_policy(Reconciler *rc, const PodState *p) {
        return (LifecyclePolicy) {
                .restart = p->desired ? p->desired->restart : RESTART_NEVER,
                .backoff = rc->backoff,
                .desired = p->desired,
        };
}

static void container_perform(Reconciler *rc, ContainerState *c, LifecycleEventType type,
                              const LifecycleActions *a, const ImageRecord *image);

static void container_feed_image(Reconciler *rc, ContainerState *c, LifecycleEvent ev,
                                 const ImageRecord *image) {
        LifecyclePolicy policy = pod_policy(rc, c->pod);
        LifecycleState before = c->lifecycle;
        LifecycleActions a;
        int r;

        policy.desired = container_spec(c);
        ev.now_usec = now_realtime_usec();
        r = lifecycle_step(&policy, &c->lifecycle, &ev, &a);
        if (r < 0)
                return (void) log_error_errno(r, "Container %s/%s: event %s in phase %s is undefined: %m",
                                              c->pod->name, c->name, strna(lifecycle_event_to_string(ev.type)),
                                              container_phase_to_string(c->lifecycle.phase));
        if (r == LIFECYCLE_IGNORED) {
                log_debug("Container %s/%s: %s ignored in phase %s.", c->pod->name, c->name,
                          lifecycle_event_to_string(ev.type), container_phase_to_string(c->lifecycle.phase));
                return;
        }
        if (before.phase == CONTAINER_RUNNING && c->lifecycle.phase != CONTAINER_RUNNING)
                container_health_stop(rc, c);
        events_container_step(rc, c, ev.type, &before, &a);
        container_perform(rc, c, ev.type, &a, image);
}

void container_feed(Reconciler *rc, ContainerState *c, LifecycleEvent ev) {
        container_feed_image(rc, c, ev, NULL);
}

/* A step of a start failed (type: START_FAILED, PULL_FAILED, UNPACK_FAILED);
 * r == -EEXIST: the launch met a live scope of its name. */
static void container_fail(Reconciler *rc, ContainerState *c, LifecycleEventType type, int r,
                           const char *message) {
        /* Descriptors, memory, processes: what tankd or the host lacks for
         * the moment, not the container's fault. Said so in the status, and
         * retried after the backoff like any failed start. */
        if (r == -EMFILE || r == -ENFILE || r == -ENOMEM || r == -EAGAIN || r == -ENOBUFS) {
                _cleanup_free_ char *msg = NULL;

                log_warning("Container %s/%s could not start for want of resources, retrying after the backoff: %s",
                            c->pod->name, c->name, strna(message));
                if (asprintf(&msg, "out of resources, retrying: %s", strna(message)) < 0)
                        msg = NULL;
                container_set_message(c, msg ?: message);
        } else {
                log_error("Container %s/%s failed to start: %s", c->pod->name, c->name, strna(message));
                container_set_message(c, message);
        }
        c->pid = c->shim_pid = 0;
        container_feed(rc, c, (LifecycleEvent) { .type = type, .unit_exists = r == -EEXIST });
}

/* ---- timers ---- */

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        container_feed(c->pod->reconciler, c, (LifecycleEvent) { .type = LIFECYCLE_EV_BACKOFF_ELAPSED });
        return 0;
}

static int on_stable_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        container_feed(c->pod->reconciler, c, (LifecycleEvent) { .type = LIFECYCLE_EV_STABLE });
        return 0;
}

static void container_arm_timer(Reconciler *rc, ContainerState *c, uint64_t delay,
                                sd_event_time_handler_t handler) {
        int r;

        c->timer = sd_event_source_disable_unref(c->timer);
        r = sd_event_add_time_relative(rc->event, &c->timer, CLOCK_MONOTONIC, delay, 1000, handler, c);
        if (r < 0)
                log_error_errno(r, "Failed to arm a timer for %s: %m", c->unit);
}

/* ---- start ---- */

static void on_launched(ContainerState *c, int r, const char *message) {
        if (r < 0)
                /* -EEXIST: a live scope of this name that nobody tracks (e.g.
                 * left by a tankd killed mid-launch) would block every retry;
                 * the machine stops it, so the retry finds the name free. */
                return container_fail(c->pod->reconciler, c, LIFECYCLE_EV_START_FAILED, r, message);
        container_set_message(c, NULL);
        c->started_usec = now_monotonic_usec();
        c->started_realtime_usec = now_realtime_usec();
        /* Said once, at info, by the "started" event. */
        log_debug("Container %s/%s running as %s (pid %d).", c->pod->name, c->name, c->unit, (int) c->pid);
        container_feed(c->pod->reconciler, c, (LifecycleEvent) { .type = LIFECYCLE_EV_STARTED });
}

void reconcile_userns_done(Reconciler *rc, PodState *p, const char *error) {
        for (size_t i = 0; i < p->n_containers; i++) {
                ContainerState *c = p->containers[i];

                if (!c->userns_wait)
                        continue;
                c->userns_wait = false;
                if (error)
                        container_fail(rc, c, LIFECYCLE_EV_START_FAILED, -EINVAL, error);
                else
                        container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_USERNS_READY });
        }
        reconciler_queue(p);
        pod_changed(rc, p);
}

static void on_layers_ready(int r, const char *message, void *userdata) {
        ContainerState *c = userdata;
        Reconciler *rc = c->pod->reconciler;
        _cleanup_(image_record_freep) ImageRecord *image = NULL;

        c->unpack = NULL;
        /* Not desired any more: the machine sends it back to the pass. */
        if (!container_spec(c))
                return container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_UNPACKED });
        if (r < 0)
                return container_fail(rc, c, LIFECYCLE_EV_UNPACK_FAILED, r,
                                      message ?: "layer extraction failed");
        if (!c->image_digest || image_record_load(rc->blobs, c->image_digest, &image) < 0)
                return container_fail(rc, c, LIFECYCLE_EV_UNPACK_FAILED, -ENOENT,
                                      "the image record vanished while its layers were extracted");
        container_feed_image(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_UNPACKED }, image);
}

static void on_pulled(int r, const char *digest, const char *message, void *userdata) {
        ContainerState *c = userdata;
        Reconciler *rc = c->pod->reconciler;
        _cleanup_(image_record_freep) ImageRecord *image = NULL;
        const PodContainer *spec;

        c->pull = NULL;
        spec = container_spec(c);
        if (!spec)
                return container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_PULLED });
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "pulling %s: %s", spec->image, strna(message)) < 0)
                        msg = NULL;
                return container_fail(rc, c, LIFECYCLE_EV_PULL_FAILED, r, msg ?: "image pull failed");
        }
        r = image_record_load(rc->blobs, digest, &image);
        if (r < 0)
                return container_fail(rc, c, LIFECYCLE_EV_PULL_FAILED, r, "pulled image record is unreadable");
        events_container_pulled(rc, c, digest);
        container_feed_image(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_PULLED }, image);
}

static void container_wipe_scratch(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&dir, "%s/pods/%s", rc->config->data_dir, c->pod->name) < 0)
                return;
        fd = open(dir, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (fd >= 0)
                (void) rm_rf_queue_add(rc->trash, fd, c->name);
}

void container_start(Reconciler *rc, ContainerState *c, const PodContainer *spec) {
        _cleanup_free_ char *error = NULL;
        char old_hash[SPEC_HASH_LEN + 1];
        int r;

        /* Only the wait this call may start counts (reconcile_userns_done). */
        c->userns_wait = false;
        memcpy(old_hash, c->hash, sizeof old_hash);
        r = container_hash(spec, c->hash);
        if (r >= 0)
                r = pod_level_hash(c->pod->desired, c->pod_hash);
        if (r < 0)
                return container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r, "failed to hash the container spec");
        /* Not a second pod's macvlan on an address in use: this pod fails,
         * with the reason, and the other keeps a working network. (After the
         * hashes: the pass takes a failed container with other hashes for a
         * changed one and would start it again at once.) */
        r = reconcile_check_bringup(rc, c->pod, &error);
        if (r < 0)
                return container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r, error ?: "out of memory");
        container_feed(rc, c, (LifecycleEvent) {
                .type = LIFECYCLE_EV_START_REQUESTED,
                .new_hash = old_hash[0] && !streq(old_hash, c->hash),
        });
}

/* LIFECYCLE_PULL: the pod's user namespace range first, once per pod
 * (userns.h); then the image, pulled only if not cached (a tag resolves to
 * what was pulled last). */
static void container_pull(Reconciler *rc, ContainerState *c, const PodContainer *spec) {
        _cleanup_(image_record_freep) ImageRecord *image = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        if (pod_wants_userns(rc, c->pod->desired) && c->pod->userns_size == 0) {
                r = pod_userns_request(rc, c->pod);
                if (r < 0)
                        return container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r,
                                              "cannot look up the pod's user namespace range");
                c->userns_wait = true;
                pod_changed(rc, c->pod);
                return;
        }
        if (!spec->image)
                return container_feed(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_UNPACKED });
        if (image_record_load(rc->blobs, spec->image, &image) >= 0)
                return container_feed_image(rc, c, (LifecycleEvent) { .type = LIFECYCLE_EV_PULLED }, image);
        r = image_pull(rc->puller, spec->image, on_pulled, c, &c->pull, &error);
        if (r < 0) {
                c->pull = NULL;
                return container_fail(rc, c, LIFECYCLE_EV_PULL_FAILED, r,
                                      error ?: "image pull could not be started");
        }
        pod_changed(rc, c->pod);
}

/* LIFECYCLE_UNPACK: layers are extracted in a worker thread (unpack.h); the
 * container starts when they are all in the layer store. */
static int container_unpack(Reconciler *rc, ContainerState *c, const ImageRecord *image) {
        int r;

        (void) free_and_strdup(&c->image_digest, image->digest);
        r = unpack_image_layers(rc->event, rc->config->data_dir, rc->blobs, rc->layers, image,
                                on_layers_ready, c, &c->unpack);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "cannot extract the layers of %s: %s", strna(image->name), strerror(-r)) < 0)
                        msg = NULL;
                container_fail(rc, c, LIFECYCLE_EV_UNPACK_FAILED, r, msg ?: "cannot extract layers");
        }
        return r;
}

static int container_launch(Reconciler *rc, ContainerState *c, const PodContainer *spec,
                            const ImageRecord *image) {
        _cleanup_free_ char *error = NULL;
        int r;

        /* Listening before the workload exists: its first READY=1 may come
         * at once, before tankd has seen it run (kept for the start). */
        c->notify = notify_listener_free(c->notify);
        c->early_ready_notified = false;
        c->early_status = mfree(c->early_status);
        if (spec->notify) {
                r = container_notify_open(rc, c, &c->notify);
                if (r < 0) {
                        if (asprintf(&error, "cannot open the notify socket: %s", strerror(-r)) < 0)
                                error = NULL;
                        container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r,
                                       error ?: "cannot open the notify socket");
                        return r;
                }
        }
        r = launch_container(rc, c, spec, image, on_launched, &error);
        if (r < 0) {
                if (!error && asprintf(&error, "failed to start: %s", strerror(-r)) < 0)
                        error = NULL;
                container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r, error ?: "failed to start");
        }
        return r;
}

/* Whatever it ran last is no longer final once it starts again: gone
 * (durably) before anything runs, so that a reboot from here on never
 * restores it. (Failing here keeps the new hashes: the retry waits for the
 * backoff.) In the pass, a record of a container dropped from the spec is
 * history, and only worth a warning. */
static int container_remove_final(Reconciler *rc, ContainerState *c, LifecycleEventType type) {
        _cleanup_free_ char *msg = NULL;
        int r;

        r = container_final_remove(rc, c->pod->name, c->name);
        if (r >= 0)
                return 0;
        if (type != LIFECYCLE_EV_START_REQUESTED) {
                log_warning_errno(r, "Failed to remove the final record of %s/%s: %m", c->pod->name, c->name);
                return 0;
        }
        if (asprintf(&msg, "cannot remove the final record of the previous run: %s", strerror(-r)) < 0)
                msg = NULL;
        container_fail(rc, c, LIFECYCLE_EV_START_FAILED, r,
                       msg ?: "cannot remove the final record of the previous run");
        return r;
}

static void on_stopped(int r, const char *job_result, void *userdata);

#define STOP_RETRY_USEC (500U * 1000U)
#define STOP_RETRIES_MAX 5U

/* In the order of the bits; an action whose I/O fails feeds its *_FAILED
 * event and ends the mask. c may be gone after FORGET. */
static void container_perform(Reconciler *rc, ContainerState *c, LifecycleEventType type,
                              const LifecycleActions *a, const ImageRecord *image) {
        PodState *p = c->pod;
        int r;

        if (a->mask & LIFECYCLE_CANCEL_PULL) {
                if (c->pull)
                        pull_request_cancel(c->pull);
                unpack_job_cancel(c->unpack);
                c->pull = NULL;
                c->unpack = NULL;
                /* A range that arrives now is for the next start. */
                c->userns_wait = false;
        }
        if (a->mask & LIFECYCLE_UNWATCH_EXIT)
                c->exit_watch = sd_event_source_disable_unref(c->exit_watch);
        if (a->mask & LIFECYCLE_DISARM_TIMER)
                c->timer = sd_event_source_disable_unref(c->timer);
        /* An answer about the old scope must not end a new one. */
        if (a->mask & LIFECYCLE_CANCEL_UNIT_QUERY)
                c->unit_query = sd_bus_slot_unref(c->unit_query);
        if (a->mask & LIFECYCLE_STOP_STRAY)
                (void) unit_stop_async(rc->jobs, c->unit, NULL, NULL, NULL);
        if (a->mask & LIFECYCLE_STOP_SCOPE) {
                log_info("Stopping %s.", c->unit);
                c->stop_failures = 0;
                c->stop_retry = sd_event_source_disable_unref(c->stop_retry);
                c->job = bus_job_cancel(c->job);
                r = unit_stop_async(rc->jobs, c->unit, on_stopped, c, &c->job);
                if (r < 0)
                        log_error_errno(r, "Failed to stop %s: %m", c->unit);
        }
        if ((a->mask & LIFECYCLE_REMOVE_FINAL) && container_remove_final(rc, c, type) < 0)
                return;
        /* A restart keeps the container's writable layer; a new spec is a new
         * container and starts from the image again (as compose recreates). */
        if (a->mask & LIFECYCLE_WIPE_SCRATCH)
                container_wipe_scratch(rc, c);
        if (a->mask & LIFECYCLE_PULL)
                container_pull(rc, c, container_spec(c));
        if ((a->mask & LIFECYCLE_UNPACK) && container_unpack(rc, c, image) < 0)
                return;
        if ((a->mask & LIFECYCLE_LAUNCH) && container_launch(rc, c, container_spec(c), image) < 0)
                return;
        if (a->mask & LIFECYCLE_WATCH_EXIT)
                container_watch_exit(rc, c);
        if (a->mask & LIFECYCLE_CHECK_UNIT) {
                if (type == LIFECYCLE_EV_UNIT_REMOVED)
                        c->unit_query_removed = true;
                container_check_unit(rc, c, a->after_stop);
        }
        if (a->mask & LIFECYCLE_ARM_RESTART) {
                if (c->lifecycle.phase == CONTAINER_BACKOFF)
                        log_info("Restarting %s/%s in %" PRIu64 " ms (failure %u).", c->pod->name, c->name,
                                 a->delay_usec / 1000, c->lifecycle.backoff.failures);
                container_arm_timer(rc, c, a->delay_usec, on_restart_timer);
        }
        if (a->mask & LIFECYCLE_ARM_STABLE)
                container_arm_timer(rc, c, a->delay_usec, on_stable_timer);
        if (a->mask & LIFECYCLE_RECORD_FINAL) {
                /* Durable before the phase is announced: a container that
                 * completed is not run again after a reboot either. */
                r = container_final_save(rc, c);
                if (r < 0)
                        log_warning_errno(r, "Failed to record the final status of %s/%s; "
                                          "it will run again if /run is lost: %m", c->pod->name, c->name);
        }
        if (a->mask & LIFECYCLE_SAVE_STATE) {
                if (type == LIFECYCLE_EV_STABLE)
                        log_info("Container %s/%s ran for StableSec: restart backoff reset.",
                                 c->pod->name, c->name);
                (void) container_state_save(rc, c);
        }
        if ((type == LIFECYCLE_EV_STARTED || type == LIFECYCLE_EV_ADOPTED_RUNNING) && c->lifecycle.phase == CONTAINER_RUNNING)
                container_health_start(rc, c, type == LIFECYCLE_EV_ADOPTED_RUNNING);
        /* It already ended while we waited for "running". */
        if (a->mask & LIFECYCLE_READ_EXIT)
                container_gone(rc, c, LIFECYCLE_EV_EXITED);
        if (a->mask & LIFECYCLE_FORGET)
                pod_state_remove_container(p, c);
        if (a->mask & LIFECYCLE_REQUEUE)
                reconciler_queue(p);
        if (a->mask & LIFECYCLE_NOTIFY)
                pod_changed(rc, p);
}

/* ---- stop ---- */

static int on_stop_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;
        int r;

        c->stop_retry = sd_event_source_disable_unref(c->stop_retry);
        if (c->lifecycle.phase != CONTAINER_STOPPING)
                return 0;
        r = unit_stop_async(c->pod->reconciler->jobs, c->unit, on_stopped, c, &c->job);
        if (r < 0)
                on_stopped(r, NULL, c);
        return 0;
}

static void on_stopped(int r, const char *job_result, void *userdata) {
        ContainerState *c = userdata;

        c->job = bus_job_cancel(c->job);
        if (r < 0 && r != -ENOENT && job_result)
                log_warning("Stopping %s: job %s", c->unit, job_result);
        else if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Stopping %s: %m", c->unit);
        /* The stop did not happen (systemd did not answer, or the job was
         * canceled): the scope may well still run, and "done" is what lets
         * a silent systemd count it as down. Ask again a few times first. */
        if (r < 0 && r != -ENOENT && c->lifecycle.phase == CONTAINER_STOPPING &&
            c->stop_failures < STOP_RETRIES_MAX) {
                c->stop_failures++;
                if (sd_event_add_time_relative(c->pod->reconciler->event, &c->stop_retry, CLOCK_MONOTONIC,
                                               STOP_RETRY_USEC << (c->stop_failures - 1), 0, on_stop_retry, c) >= 0)
                        return;
        }
        /* StopUnit's job is done when the scope is dead; UnitRemoved may
         * already have ended the container. */
        container_feed(c->pod->reconciler, c, (LifecycleEvent) { .type = LIFECYCLE_EV_STOP_DONE });
}

/* ---- the pass ---- */

static void on_slice_stopped(int r, const char *job_result, void *userdata) {
        PodState *p = userdata;

        p->slice_job = bus_job_cancel(p->slice_job);
        if (r < 0 && r != -ENOENT)
                log_warning("Stopping %s: %s", p->slice, job_result ?: strerror(-r));
        p->slice_stopped = true;
        reconciler_queue(p);
}

void pod_cleanup(Reconciler *rc, PodState *p) {
        _cleanup_free_ char *run = NULL, *scratch = NULL;
        int r;

        r = pod_network_teardown(rc->runtime_dir, p->name);
        if (r < 0)
                log_warning_errno(r, "Failed to remove the network of %s: %m", p->name);
        if (asprintf(&run, "%s/pods", rc->runtime_dir) >= 0) {
                _cleanup_close_ int fd = open(run, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
                if (fd >= 0)
                        (void) rm_rf_queue_add(rc->trash, fd, p->name);
        }
        if (asprintf(&scratch, "%s/pods", rc->config->data_dir) >= 0) {
                _cleanup_close_ int fd = open(scratch, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
                if (fd >= 0) {
                        (void) rm_rf_queue_add(rc->trash, fd, p->name);
                        /* With the scratch go the final records (final.json):
                         * a pod applied again under this name must not find
                         * them after a power cut. */
                        (void) fsync(fd);
                }
        }
}

static void pod_forget(Reconciler *rc, PodState *p) {
        log_info("Pod %s is gone; cleaning up.", p->name);
        pod_cleanup(rc, p);
        pod_userns_release(rc, p->name);
        reconciler_pod_removed(rc, p);
        hashmap_remove(rc->pods, p->name);
        pod_state_free(p);
}

/* The machine's plan for the pod's containers (lifecycle_pod_plan()), performed. */
static int pod_plan(Reconciler *rc, PodState *p, const Pod *d, const char *pod_hash,
                    LifecyclePodVerdict *ret_verdict) {
        size_t n = p->n_containers;
        _cleanup_free_ LifecycleMember *members = calloc(MAX(n, 1u), sizeof *members);
        int r;

        if (!members)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ContainerState *c = p->containers[i];
                const PodContainer *spec = d ? pod_find_container(d, c->name) : NULL;
                char hash[SPEC_HASH_LEN + 1];

                if (spec && container_hash(spec, hash) < 0)
                        return -ENOMEM;
                members[i] = (LifecycleMember) {
                        .state = &c->lifecycle,
                        .desired = spec,
                        .spec_matches = spec && streq(hash, c->hash) && streq(pod_hash, c->pod_hash),
                        .old_pod_level = c->pod_hash[0] && !streq(c->pod_hash, pod_hash),
                };
        }
        r = lifecycle_pod_plan(d ? d->restart : RESTART_NEVER, &rc->backoff, members, n,
                               &(LifecyclePod) {
                                       .deleted = !d,
                                       .slice_job = p->slice_job,
                                       .slice_stopped = p->slice_stopped,
                               },
                               ret_verdict);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                LifecycleActions a = members[i].actions;

                /* Removal shifts p->containers: after all the others, from the end. */
                a.mask &= ~LIFECYCLE_FORGET;
                container_perform(rc, p->containers[i],
                                  members[i].desired ? LIFECYCLE_EV_SPEC_CHANGED : LIFECYCLE_EV_DELETED, &a, NULL);
        }
        for (size_t i = n; i > 0; i--)
                if (members[i - 1].actions.mask & LIFECYCLE_FORGET)
                        pod_state_remove_container(p, p->containers[i - 1]);
        return 0;
}

void reconcile_pod(Reconciler *rc, PodState *p) {
        char pod_hash[SPEC_HASH_LEN + 1] = "";
        const Pod *d = p->desired;
        ReconcilerPlacement place = RECONCILER_PLACEMENT_HERE;
        LifecyclePodVerdict verdict;
        int r;

        if (d && rc->observer.placement)
                place = rc->observer.placement(rc, p->name, rc->userdata);
        /* Bound to another node: stopped here as if deleted, but the pod is
         * still desired, so its state (and its object) stays. */
        if (place == RECONCILER_PLACEMENT_ELSEWHERE)
                d = NULL;
        if (d && pod_level_hash(d, pod_hash) < 0)
                return (void) log_oom();
        r = pod_plan(rc, p, d, pod_hash, &verdict);
        if (r == -ENOMEM)
                return (void) log_oom();
        if (r < 0)
                return (void) log_error_errno(r, "Pod %s: the lifecycle has no plan: %m", p->name);

        switch (verdict) {
        case LIFECYCLE_POD_WAIT_CONTAINERS:
                pod_changed(rc, p);
                return;
        case LIFECYCLE_POD_STOP_SLICE:
                if (place == RECONCILER_PLACEMENT_ELSEWHERE && p->slice_stopped) {
                        pod_changed(rc, p);
                        return;
                }
                /* systemd keeps an empty slice active forever: stop it, and
                 * forget the pod only once it is down, so that "deleted"
                 * means that nothing of the pod is left. */
                r = unit_stop_async(rc->jobs, p->slice, on_slice_stopped, p, &p->slice_job);
                if (r >= 0)
                        return;
                log_warning_errno(r, "Failed to stop %s: %m", p->slice);
                if (place == RECONCILER_PLACEMENT_ELSEWHERE)
                        return;
                return pod_forget(rc, p);
        case LIFECYCLE_POD_FORGET:
                if (place == RECONCILER_PLACEMENT_ELSEWHERE) {
                        pod_changed(rc, p);
                        return;
                }
                return pod_forget(rc, p);
        case LIFECYCLE_POD_WAIT_SLICE:
                /* on_slice_stopped() queues us again. */
                return;
        case LIFECYCLE_POD_GATED:
                /* A pod-level change waits until every old container is down. */
                p->slice_stopped = false;
                pod_changed(rc, p);
                return;
        case LIFECYCLE_POD_START:
                /* Not bound (yet): what runs was left alone by the plan,
                 * nothing new starts before the scheduler says so. */
                if (place == RECONCILER_PLACEMENT_UNBOUND) {
                        pod_changed(rc, p);
                        return;
                }
                p->slice_stopped = false;
                for (size_t i = 0; i < d->n_containers; i++) {
                        const PodContainer *spec = &d->containers[i];
                        ContainerState *c = pod_state_find_container(p, spec->name);

                        if (!c && pod_state_add_container(p, spec->name, &c) < 0)
                                return (void) log_oom();
                        if (lifecycle_outcome(c->lifecycle.phase, LIFECYCLE_EV_START_REQUESTED) == LIFECYCLE_HANDLED)
                                container_start(rc, c, spec);
                }
                pod_changed(rc, p);
                return;
        default:
                log_error("Pod %s: unknown plan %d.", p->name, (int) verdict);
        }
}
