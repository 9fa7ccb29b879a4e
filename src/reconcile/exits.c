/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How tankd learns that a container ended: its shim's exit record (an
 * inotify watch on the run directory), systemd's UnitRemoved of its scope,
 * and, for either, an asynchronous question to systemd whether the scope is
 * really down; then the record is read and the machine told (steps.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>

#include "bus/scope.h"
#include "log.h"
#include "reconcile/launch.h"
#include "reconcile/lifecycle.h"
#include "reconcile/notify-setup.h"
#include "reconcile/reconcile.h"
#include "reconcile/steps.h"
#include "shim/exit-record.h"
#include "time-util.h"

/* Always fills ret_exit: without a record the shim counts as killed. */
static void container_read_exit(Reconciler *rc, ContainerState *c, ExitInfo *ret_exit) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        ShimExit e = {};
        int r;

        *ret_exit = (ExitInfo) { .valid = true, .code = -1, .signal = SIGKILL, .at_usec = now_realtime_usec() };
        if (container_run_dir(rc, c->pod->name, c->name, &dir) < 0 || asprintf(&path, "%s/exit.json", dir) < 0)
                return;
        r = shim_exit_load(path, &e);
        if (r < 0) {
                /* No record: the shim itself was killed along with its scope. */
                log_warning("Container %s/%s left no exit record (%s); counting it as killed.",
                            c->pod->name, c->name, strerror(-r));
                return;
        }
        *ret_exit = (ExitInfo) {
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

/* The scope is gone (type EXITED), or was found gone at adoption
 * (ADOPTED_VANISHED): read how it ended and tell the machine. */
void container_gone(Reconciler *rc, ContainerState *c, LifecycleEventType type) {
        LifecycleEvent ev = { .type = type };
        _cleanup_free_ char *e = NULL;

        container_read_exit(rc, c, &ev.exit);
        if (c->started_usec)
                ev.ran_usec = now_monotonic_usec() - c->started_usec;
        c->started_usec = 0;
        c->pid = c->shim_pid = 0;
        c->notify = notify_listener_free(c->notify);
        (void) exit_info_to_string(&ev.exit, &e);
        log_info("Container %s/%s ended: %s after %" PRIu64 " ms%s.", c->pod->name, c->name, strempty(e),
                 ev.ran_usec / 1000, c->lifecycle.phase == CONTAINER_STOPPING ? " (stopped)" : "");
        container_feed(rc, c, ev);
}

static void on_unit_active(int r, void *userdata) {
        ContainerState *c = userdata;
        bool after_stop = c->unit_query_after_stop, removed = c->unit_query_removed;

        c->unit_query = sd_bus_slot_unref(c->unit_query);
        c->unit_query_removed = false;
        if (r < 0)
                log_debug_errno(r, "Cannot ask systemd about %s: %m", c->unit);
        if (lifecycle_unit_gone(c->lifecycle.phase, r, removed, after_stop))
                container_gone(c->pod->reconciler, c, LIFECYCLE_EV_EXITED);
}

/* Asks systemd, without waiting on the loop, whether the scope is still up,
 * and ends the container when it is not. */
void container_check_unit(Reconciler *rc, ContainerState *c, bool after_stop) {
        int r;

        /* A stop's question still open keeps its meaning. */
        c->unit_query_after_stop = after_stop || (c->unit_query && c->unit_query_after_stop);
        c->unit_query = sd_bus_slot_unref(c->unit_query);
        r = unit_is_active_async(rc->bus, c->unit, on_unit_active, c, &c->unit_query);
        if (r < 0) {
                bool removed = c->unit_query_removed;

                log_debug_errno(r, "Cannot ask systemd about %s: %m", c->unit);
                c->unit_query_removed = false;
                if (lifecycle_unit_gone(c->lifecycle.phase, r, removed, c->unit_query_after_stop))
                        container_gone(rc, c, LIFECYCLE_EV_EXITED);
        }
}

static int on_exit_record(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        ContainerState *c = userdata;

        if (ev->len == 0)
                return 0;
        /* Adopted mid-launch: the workload's pid arrives in a file, not as "running". */
        if (streq(ev->name, "pid")) {
                if (c->pid <= 0 && c->lifecycle.phase == CONTAINER_RUNNING && container_pid_load(c->pod->reconciler, c) >= 0) {
                        (void) container_state_save(c->pod->reconciler, c);
                        pod_changed(c->pod->reconciler, c->pod);
                }
                return 0;
        }
        if (streq(ev->name, "exit.json"))
                container_feed(c->pod->reconciler, c, (LifecycleEvent) { .type = LIFECYCLE_EV_EXIT_RECORD });
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

/* "tank-<pod>-<container>.scope", names escaped (unit-name.h): pod names
 * are DNS labels, so the first dash ends the pod's name and "\x2d" is its
 * only escape. A lookup, not a walk over every pod: deleting 1,000 pods
 * brings 1,000 UnitRemoved. */
static PodState *pod_of_unit(Reconciler *rc, const char *unit) {
        char name[POD_NAME_MAX + 1];
        const char *s = startswith(unit, "tank-");
        size_t n = 0;

        if (!s)
                return NULL;
        for (; *s && *s != '-' && n < sizeof name - 1; n++)
                if (startswith(s, "\\x2d")) {
                        name[n] = '-';
                        s += 4;
                } else
                        name[n] = *s++;
        if (*s != '-')
                return NULL;
        name[n] = 0;
        return reconciler_get_pod(rc, name);
}

static int on_unit_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Reconciler *rc = userdata;
        const char *unit, *path;
        PodState *p;

        if (sd_bus_message_read(msg, "so", &unit, &path) < 0 || !startswith(unit, "tank-"))
                return 0;
        /* systemd also sends UnitRemoved for every unit it reloads
         * (daemon-reload), the scopes that go on running included: the
         * machine asks whether the scope is really down before ending the
         * container. The answer comes after the reload, from the reloaded
         * manager. */
        p = pod_of_unit(rc, unit);
        for (size_t i = 0; p && i < p->n_containers; i++)
                if (streq(p->containers[i]->unit, unit))
                        container_feed(rc, p->containers[i], (LifecycleEvent) { .type = LIFECYCLE_EV_UNIT_REMOVED });
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
