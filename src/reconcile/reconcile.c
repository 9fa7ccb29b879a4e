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
#include "reconcile/launch.h"
#include "reconcile/reconcile.h"
#include "reconcile/steps.h"
#include "bus/scope.h"
#include "reconcile/unpack.h"
#include "reconcile/userns.h"
#include "shim/exit-record.h"
#include "strv.h"
#include "time-util.h"

static void container_stop(Reconciler *rc, ContainerState *c);

static void container_set_message(ContainerState *c, const char *msg) {
        (void) free_and_strdup(&c->message, msg);
}

void pod_changed(Reconciler *rc, PodState *p) {
        p->phase = pod_state_compute_phase(p);
        reconciler_pod_changed(rc, p);
}

/* ---- timers ---- */

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        c->next_restart_usec = 0;
        c->phase = CONTAINER_WAITING;
        reconciler_queue(c->pod);
        return 0;
}

int on_stable_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ContainerState *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        if (c->phase == CONTAINER_RUNNING && c->backoff.failures > 0) {
                log_info("Container %s/%s ran for StableSec: restart backoff reset.", c->pod->name, c->name);
                backoff_reset(&c->backoff);
                (void) container_state_save(c->pod->reconciler, c);
        }
        return 0;
}

void container_arm_timer(Reconciler *rc, ContainerState *c, uint64_t delay,
                                sd_event_time_handler_t handler) {
        int r;

        c->timer = sd_event_source_disable_unref(c->timer);
        r = sd_event_add_time_relative(rc->event, &c->timer, CLOCK_MONOTONIC, delay, 1000, handler, c);
        if (r < 0)
                log_error_errno(r, "Failed to arm a timer for %s: %m", c->unit);
}

static void container_schedule_restart(Reconciler *rc, ContainerState *c, uint64_t delay) {
        c->phase = CONTAINER_BACKOFF;
        c->next_restart_usec = now_realtime_usec() + delay;
        container_arm_timer(rc, c, delay, on_restart_timer);
}

/* ---- exits ---- */

bool policy_restarts(RestartPolicy policy, const ExitInfo *e) {
        switch (policy) {
        case RESTART_ALWAYS:
                return true;
        case RESTART_ON_FAILURE:
                return e->code != 0 || e->signal != 0;
        default:
                return false;
        }
}

static void container_read_exit(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        ShimExit e = {};
        int r;

        c->last_exit = (ExitInfo) { .valid = true, .code = -1, .signal = SIGKILL, .at_usec = now_realtime_usec() };
        if (container_run_dir(rc, c->pod->name, c->name, &dir) < 0 || asprintf(&path, "%s/exit.json", dir) < 0)
                return;
        r = shim_exit_load(path, &e);
        if (r < 0) {
                /* No record: the shim itself was killed along with its scope. */
                log_warning("Container %s/%s left no exit record (%s); counting it as killed.",
                            c->pod->name, c->name, strerror(-r));
                return;
        }
        c->last_exit = (ExitInfo) {
                .valid = true,
                /* A start that failed has no exit code, only the 125/126/127 status. */
                .code = e.signal ? 0 : e.code >= 0 ? e.code : e.status,
                .signal = e.signal,
                .oom = e.oom,
                .at_usec = e.exited_at ?: now_realtime_usec(),
        };
        if (e.error)
                container_set_message(c, e.error);
        shim_exit_done(&e);
}

/* The scope is gone: the container has ended, for whatever reason. */
void container_gone(Reconciler *rc, ContainerState *c) {
        const Pod *desired = c->pod->desired;
        const PodContainer *spec = desired ? pod_find_container(desired, c->name) : NULL;
        bool wanted_stop = c->phase == CONTAINER_STOPPING;
        uint64_t ran = 0;
        _cleanup_free_ char *e = NULL;

        c->exit_watch = sd_event_source_disable_unref(c->exit_watch);
        c->timer = sd_event_source_disable_unref(c->timer);
        /* An answer about the old scope must not end a new one. */
        c->unit_query = sd_bus_slot_unref(c->unit_query);
        c->exit_seen = false;
        container_read_exit(rc, c);
        if (c->started_usec)
                ran = now_monotonic_usec() - c->started_usec;
        c->started_usec = 0;
        c->pid = c->shim_pid = 0;
        (void) exit_info_to_string(&c->last_exit, &e);
        log_info("Container %s/%s ended: %s after %" PRIu64 " ms%s.", c->pod->name, c->name, strempty(e),
                 ran / 1000, wanted_stop ? " (stopped)" : "");

        if (wanted_stop || !spec) {
                c->phase = CONTAINER_WAITING;
        } else if (policy_restarts(desired->restart, &c->last_exit)) {
                uint64_t delay = backoff_record_exit(&c->backoff, &rc->backoff, ran);
                c->restarts++;
                log_info("Restarting %s/%s in %" PRIu64 " ms (failure %u).", c->pod->name, c->name,
                         delay / 1000, c->backoff.failures);
                container_schedule_restart(rc, c, delay);
        } else {
                int r;

                c->phase = CONTAINER_EXITED;
                /* Durable before the phase is announced: a container that
                 * completed is not run again after a reboot either. */
                r = container_final_save(rc, c);
                if (r < 0)
                        log_warning_errno(r, "Failed to record the final status of %s/%s; "
                                          "it will run again if /run is lost: %m", c->pod->name, c->name);
        }
        (void) container_state_save(rc, c);
        reconciler_queue(c->pod);
        pod_changed(rc, c->pod);
}

static void on_unit_active(int r, void *userdata) {
        ContainerState *c = userdata;
        bool after_stop = c->unit_query_after_stop, removed = c->unit_query_removed;

        c->unit_query = sd_bus_slot_unref(c->unit_query);
        c->unit_query_removed = false;
        if (r < 0)
                log_debug_errno(r, "Cannot ask systemd about %s: %m", c->unit);
        if (c->phase != CONTAINER_RUNNING && c->phase != CONTAINER_STOPPING)
                return;
        /* Without an answer, UnitRemoved decides; unless StopUnit is done. */
        if (r == 0 || (r < 0 && (removed || (after_stop && c->phase == CONTAINER_STOPPING))))
                container_gone(c->pod->reconciler, c);
}

/* Asks systemd, without waiting on the loop, whether the scope is still up,
 * and ends the container when it is not. */
static void container_check_unit(Reconciler *rc, ContainerState *c, bool after_stop) {
        int r;

        /* A stop's question still open keeps its meaning. */
        c->unit_query_after_stop = after_stop || (c->unit_query && c->unit_query_after_stop);
        c->unit_query = sd_bus_slot_unref(c->unit_query);
        r = unit_is_active_async(rc->bus, c->unit, on_unit_active, c, &c->unit_query);
        if (r < 0) {
                log_debug_errno(r, "Cannot ask systemd about %s: %m", c->unit);
                if (c->unit_query_removed || (c->unit_query_after_stop && c->phase == CONTAINER_STOPPING)) {
                        c->unit_query_removed = false;
                        container_gone(rc, c);
                }
        }
}

static int on_exit_record(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        ContainerState *c = userdata;

        if (ev->len == 0)
                return 0;
        /* Adopted mid-launch: the workload's pid arrives in a file, not as "running". */
        if (streq(ev->name, "pid")) {
                if (c->pid <= 0 && c->phase == CONTAINER_RUNNING && container_pid_load(c->pod->reconciler, c) >= 0) {
                        (void) container_state_save(c->pod->reconciler, c);
                        pod_changed(c->pod->reconciler, c->pod);
                }
                return 0;
        }
        if (!streq(ev->name, "exit.json"))
                return 0;
        /* The record comes first; the end of the scope follows (UnitRemoved). If
         * systemd already forgot the unit, finish now. */
        c->exit_seen = true;
        if (c->phase == CONTAINER_RUNNING || c->phase == CONTAINER_STOPPING)
                container_check_unit(c->pod->reconciler, c, false);
        return 0;
}

void container_watch_exit(Reconciler *rc, ContainerState *c) {
        _cleanup_free_ char *dir = NULL;
        int r;

        c->exit_watch = sd_event_source_disable_unref(c->exit_watch);
        r = container_run_dir(rc, c->pod->name, c->name, &dir);
        if (r >= 0)
                r = sd_event_add_inotify(rc->event, &c->exit_watch, dir, IN_MOVED_TO | IN_CLOSE_WRITE,
                                         on_exit_record, c);
        if (r < 0)
                log_warning_errno(r, "Failed to watch %s for the exit record, relying on systemd: %m", strna(dir));
}

static int on_unit_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Reconciler *rc = userdata;
        const char *unit, *path;
        PodState *p;

        if (sd_bus_message_read(msg, "so", &unit, &path) < 0 || !startswith(unit, "tank-"))
                return 0;
        /* systemd also sends UnitRemoved for every unit it reloads
         * (daemon-reload), the scopes that go on running included: ask
         * whether the scope is really down before ending the container. The
         * answer comes after the reload, from the reloaded manager. */
        HASHMAP_FOREACH(p, rc->pods)
                for (size_t i = 0; i < p->n_containers; i++) {
                        ContainerState *c = p->containers[i];
                        if (streq(c->unit, unit) &&
                            (c->phase == CONTAINER_RUNNING || c->phase == CONTAINER_STOPPING)) {
                                c->unit_query_removed = true;
                                container_check_unit(rc, c, false);
                        }
                }
        return 0;
}

int reconciler_subscribe_systemd(Reconciler *rc) {
        int r;

        r = sd_bus_match_signal_async(rc->bus, &rc->systemd_signals, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                      "UnitRemoved", on_unit_removed, NULL, rc);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's units: %m");
        /* Without Subscribe() systemd does not broadcast UnitRemoved to us. */
        r = sd_bus_call_method_async(rc->bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to systemd: %m");
        return 0;
}

/* ---- start ---- */

static void on_launched(ContainerState *c, int r, const char *message) {
        Reconciler *rc = c->pod->reconciler;

        if (r < 0) {
                uint64_t delay;

                log_error("Container %s/%s failed to start: %s", c->pod->name, c->name, strna(message));
                /* A live scope of this name that nobody tracks (e.g. left by a
                 * tankd killed mid-launch) would block every retry: stop it, so
                 * the retry after the backoff finds the name free. */
                if (r == -EEXIST)
                        (void) unit_stop_async(rc->bus, c->unit, NULL, NULL, NULL);
                container_set_message(c, message);
                c->last_exit = (ExitInfo) { .valid = true, .code = 125, .at_usec = now_realtime_usec() };
                c->pid = c->shim_pid = 0;
                c->exit_watch = sd_event_source_disable_unref(c->exit_watch);
                delay = backoff_record_exit(&c->backoff, &rc->backoff, 0);
                c->phase = CONTAINER_FAILED;
                c->next_restart_usec = now_realtime_usec() + delay;
                container_arm_timer(rc, c, delay, on_restart_timer);
                /* The spec may have changed while we were starting. */
                reconciler_queue(c->pod);
                pod_changed(rc, c->pod);
                return;
        }
        container_set_message(c, NULL);
        c->phase = CONTAINER_RUNNING;
        c->started_usec = now_monotonic_usec();
        c->started_realtime_usec = now_realtime_usec();
        (void) container_state_save(rc, c);
        log_info("Container %s/%s running as %s (pid %d).", c->pod->name, c->name, c->unit, (int) c->pid);
        container_arm_timer(rc, c, rc->backoff.stable_usec, on_stable_timer);
        if (c->exit_seen)       /* it already ended while we waited for "running" */
                container_gone(rc, c);
        /* A pass during the start left this container alone (it was busy): if
         * the spec changed meanwhile, the next pass replaces what just started. */
        reconciler_queue(c->pod);
        pod_changed(rc, c->pod);
}

void container_fail(Reconciler *rc, ContainerState *c, const char *message) {
        on_launched(c, -EINVAL, message);
}

void reconcile_userns_done(Reconciler *rc, PodState *p, const char *error) {
        for (size_t i = 0; i < p->n_containers; i++) {
                ContainerState *c = p->containers[i];

                if (!c->userns_wait)
                        continue;
                c->userns_wait = false;
                if (c->phase != CONTAINER_PULLING)
                        continue;       /* a pass moved it on meanwhile */
                if (error)
                        container_fail(rc, c, error);
                else
                        c->phase = CONTAINER_WAITING;
        }
        reconciler_queue(p);
        pod_changed(rc, p);
}

static void container_launch_now(Reconciler *rc, ContainerState *c, const PodContainer *spec,
                                 const ImageRecord *image) {
        _cleanup_free_ char *error = NULL;
        int r;

        c->exit_seen = false;
        c->phase = CONTAINER_STARTING;
        r = launch_container(rc, c, spec, image, on_launched, &error);
        if (r < 0) {
                if (!error && asprintf(&error, "failed to start: %s", strerror(-r)) < 0)
                        error = NULL;
                container_fail(rc, c, error ?: "failed to start");
                return;
        }
        container_watch_exit(rc, c);
        pod_changed(rc, c->pod);
}

/* An asynchronous step finished: is the container still desired? If not, it
 * goes back to waiting and the pass decides what happens to it. */
static const PodContainer *container_spec_or_requeue(Reconciler *rc, ContainerState *c) {
        const PodContainer *spec = c->pod->desired ? pod_find_container(c->pod->desired, c->name) : NULL;

        if (!spec) {
                c->phase = CONTAINER_WAITING;
                reconciler_queue(c->pod);
        }
        return spec;
}

static void on_layers_ready(int r, const char *message, void *userdata) {
        ContainerState *c = userdata;
        Reconciler *rc = c->pod->reconciler;
        _cleanup_(image_record_freep) ImageRecord *image = NULL;
        const PodContainer *spec;

        c->unpack = NULL;
        spec = container_spec_or_requeue(rc, c);
        if (!spec)
                return;
        if (r < 0) {
                container_fail(rc, c, message ?: "layer extraction failed");
                return;
        }
        if (!c->image_digest || image_record_load(rc->blobs, c->image_digest, &image) < 0) {
                container_fail(rc, c, "the image record vanished while its layers were extracted");
                return;
        }
        container_launch_now(rc, c, spec, image);
}

/* Layers are extracted in a worker thread (unpack.h); the container starts
 * when they are all in the layer store. */
static void container_launch_with_image(Reconciler *rc, ContainerState *c, const PodContainer *spec,
                                        const ImageRecord *image) {
        int r;

        if (!image) {
                container_launch_now(rc, c, spec, NULL);
                return;
        }
        (void) free_and_strdup(&c->image_digest, image->digest);
        c->phase = CONTAINER_PULLING;
        r = unpack_image_layers(rc->event, rc->config->data_dir, rc->blobs, rc->layers, image,
                                on_layers_ready, c, &c->unpack);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "cannot extract the layers of %s: %s", strna(image->name), strerror(-r)) < 0)
                        msg = NULL;
                container_fail(rc, c, msg ?: "cannot extract layers");
        }
}

static void on_pulled(int r, const char *digest, const char *message, void *userdata) {
        ContainerState *c = userdata;
        Reconciler *rc = c->pod->reconciler;
        _cleanup_(image_record_freep) ImageRecord *image = NULL;
        const PodContainer *spec;

        c->pull = NULL;
        spec = container_spec_or_requeue(rc, c);
        if (!spec)
                return;
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "pulling %s: %s", spec->image, strna(message)) < 0)
                        msg = NULL;
                container_fail(rc, c, msg ?: "image pull failed");
                return;
        }
        r = image_record_load(rc->blobs, digest, &image);
        if (r < 0) {
                container_fail(rc, c, "pulled image record is unreadable");
                return;
        }
        container_launch_with_image(rc, c, spec, image);
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
        _cleanup_(image_record_freep) ImageRecord *image = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        char old_hash[SPEC_HASH_LEN + 1];

        /* Only the wait this call may start counts (reconcile_userns_done). */
        c->userns_wait = false;
        memcpy(old_hash, c->hash, sizeof old_hash);
        r = container_hash(spec, c->hash);
        if (r >= 0)
                r = pod_level_hash(c->pod->desired, c->pod_hash);
        if (r < 0) {
                container_fail(rc, c, "failed to hash the container spec");
                return;
        }
        /* Not a second pod's macvlan on an address in use: this pod fails,
         * with the reason, and the other keeps a working network. (After the
         * hashes: the pass takes a failed container with other hashes for a
         * changed one and would start it again at once.) */
        r = reconcile_check_bringup(rc, c->pod, &error);
        if (r < 0) {
                container_fail(rc, c, error ?: "out of memory");
                return;
        }
        /* Whatever it ran last is no longer final once it starts again: gone
         * (durably) before anything runs, so that a reboot from here on never
         * restores it. (Failing here keeps the new hashes: the retry waits
         * for the backoff.) */
        r = container_final_remove(rc, c->pod->name, c->name);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "cannot remove the final record of the previous run: %s", strerror(-r)) < 0)
                        msg = NULL;
                container_fail(rc, c, msg ?: "cannot remove the final record of the previous run");
                return;
        }
        /* A restart keeps the container's writable layer; a new spec is a new
         * container and starts from the image again (as compose recreates). */
        if (old_hash[0] && !streq(old_hash, c->hash))
                container_wipe_scratch(rc, c);
        /* The pod's user namespace range first, once per pod (userns.h). */
        if (pod_wants_userns(rc, c->pod->desired) && c->pod->userns_size == 0) {
                r = pod_userns_request(rc, c->pod);
                if (r < 0) {
                        container_fail(rc, c, "cannot look up the pod's user namespace range");
                        return;
                }
                c->userns_wait = true;
                c->phase = CONTAINER_PULLING;
                pod_changed(rc, c->pod);
                return;
        }
        if (!spec->image) {
                container_launch_with_image(rc, c, spec, NULL);
                return;
        }
        /* Pull only what is not cached: a tag resolves to what was pulled last. */
        if (image_record_load(rc->blobs, spec->image, &image) >= 0) {
                container_launch_with_image(rc, c, spec, image);
                return;
        }
        c->phase = CONTAINER_PULLING;
        r = image_pull(rc->puller, spec->image, on_pulled, c, &c->pull, &error);
        if (r < 0) {
                c->pull = NULL;
                container_fail(rc, c, error ?: "image pull could not be started");
                return;
        }
        pod_changed(rc, c->pod);
}

/* ---- stop ---- */

static void on_stopped(int r, const char *job_result, void *userdata) {
        ContainerState *c = userdata;
        Reconciler *rc = c->pod->reconciler;

        c->job = sd_bus_slot_unref(c->job);
        if (r < 0 && r != -ENOENT && job_result)
                log_warning("Stopping %s: job %s", c->unit, job_result);
        else if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Stopping %s: %m", c->unit);
        /* StopUnit's job is done when the scope is dead; UnitRemoved may already
         * have run container_gone(). */
        if (c->phase == CONTAINER_STOPPING)
                container_check_unit(rc, c, true);
}

static void container_stop(Reconciler *rc, ContainerState *c) {
        int r;

        if (c->phase == CONTAINER_STOPPING)
                return;
        if (c->phase != CONTAINER_RUNNING) {
                c->timer = sd_event_source_disable_unref(c->timer);
                c->next_restart_usec = 0;
                c->phase = CONTAINER_WAITING;
                return;
        }
        c->phase = CONTAINER_STOPPING;
        log_info("Stopping %s.", c->unit);
        r = unit_stop_async(rc->bus, c->unit, on_stopped, c, &c->job);
        if (r < 0)
                log_error_errno(r, "Failed to stop %s: %m", c->unit);
}

/* ---- the pass ---- */

static void on_slice_stopped(int r, const char *job_result, void *userdata) {
        PodState *p = userdata;

        p->slice_job = sd_bus_slot_unref(p->slice_job);
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

static bool container_busy(const ContainerState *c) {
        return c->phase == CONTAINER_STARTING || c->phase == CONTAINER_STOPPING ||
               c->phase == CONTAINER_PULLING;
}

void reconcile_pod(Reconciler *rc, PodState *p) {
        char pod_hash[SPEC_HASH_LEN + 1] = "";
        const Pod *d = p->desired;
        int r;

        if (d && pod_level_hash(d, pod_hash) < 0)
                return (void) log_oom();

        /* Containers that must go: not desired, or started under another spec. */
        for (size_t i = 0; i < p->n_containers; i++) {
                ContainerState *c = p->containers[i];
                const PodContainer *spec = d ? pod_find_container(d, c->name) : NULL;
                char hash[SPEC_HASH_LEN + 1];

                if (spec && container_hash(spec, hash) < 0)
                        return (void) log_oom();
                if (spec && streq(hash, c->hash) && streq(pod_hash, c->pod_hash))
                        continue;
                if (c->phase == CONTAINER_PULLING) {
                        if (c->pull)
                                pull_request_cancel(c->pull);
                        unpack_job_cancel(c->unpack);
                        c->pull = NULL;
                        c->unpack = NULL;
                        c->phase = CONTAINER_WAITING;
                }
                if (c->phase == CONTAINER_RUNNING || c->phase == CONTAINER_STOPPING)
                        container_stop(rc, c);
                else if (!container_busy(c) && spec && c->phase != CONTAINER_WAITING) {
                        /* A new spec deserves a fresh start, not the old backoff. */
                        c->timer = sd_event_source_disable_unref(c->timer);
                        c->next_restart_usec = 0;
                        backoff_reset(&c->backoff);
                        c->phase = CONTAINER_WAITING;
                }
        }
        /* Forget containers that are down and no longer desired. */
        for (size_t i = p->n_containers; i > 0; i--) {
                ContainerState *c = p->containers[i - 1];
                if ((!d || !pod_find_container(d, c->name)) && !container_busy(c) &&
                    c->phase != CONTAINER_RUNNING) {
                        /* Dropped from the spec: what it ran is history, not a
                         * status to restore should it come back. (A deleted
                         * pod loses the record with its scratch, below.) */
                        if (d) {
                                r = container_final_remove(rc, p->name, c->name);
                                if (r < 0)
                                        log_warning_errno(r, "Failed to remove the final record of %s/%s: %m",
                                                          p->name, c->name);
                        }
                        pod_state_remove_container(p, c);
                }
        }

        if (!d) {
                if (p->n_containers > 0) {
                        pod_changed(rc, p);
                        return;
                }
                /* systemd keeps an empty slice active forever: stop it, and
                 * forget the pod only once it is down, so that "deleted"
                 * means that nothing of the pod is left. */
                if (!p->slice_stopped) {
                        if (!p->slice_job) {
                                r = unit_stop_async(rc->bus, p->slice, on_slice_stopped, p, &p->slice_job);
                                if (r >= 0)
                                        return;
                                log_warning_errno(r, "Failed to stop %s: %m", p->slice);
                        } else
                                return;
                }
                log_info("Pod %s is gone; cleaning up.", p->name);
                pod_cleanup(rc, p);
                pod_userns_release(rc, p->name);
                reconciler_pod_removed(rc, p);
                hashmap_remove(rc->pods, p->name);
                pod_state_free(p);
                return;
        }

        /* Applied again while its slice is being stopped: a scope started now
         * would conflict with that job. on_slice_stopped() queues us again. */
        if (p->slice_job)
                return;
        p->slice_stopped = false;

        /* Containers that must run. A pod-level change waits until every old
         * container is down, so that a pod never runs with two network setups. */
        for (size_t i = 0; i < p->n_containers; i++)
                if (!streq(p->containers[i]->pod_hash, pod_hash) && p->containers[i]->pod_hash[0] &&
                    (p->containers[i]->phase == CONTAINER_RUNNING || container_busy(p->containers[i]))) {
                        pod_changed(rc, p);
                        return;
                }
        for (size_t i = 0; i < d->n_containers; i++) {
                const PodContainer *spec = &d->containers[i];
                ContainerState *c = pod_state_find_container(p, spec->name);

                if (!c && pod_state_add_container(p, spec->name, &c) < 0)
                        return (void) log_oom();
                if (c->phase == CONTAINER_WAITING)
                        container_start(rc, c, spec);
        }
        pod_changed(rc, p);
}
