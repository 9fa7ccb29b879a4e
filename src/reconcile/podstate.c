/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "image/pull.h"
#include "json-guard.h"
#include "reconcile/launch.h"
#include "reconcile/notify.h"
#include "reconcile/podstate.h"
#include "reconcile/probes.h"
#include "reconcile/rollout-run.h"
#include "reconcile/unpack.h"
#include "unit-name.h"

static const char *const container_phase_table[_CONTAINER_PHASE_MAX] = {
        [CONTAINER_WAITING] = "waiting",
        [CONTAINER_PULLING] = "pulling",
        [CONTAINER_STARTING] = "starting",
        [CONTAINER_RUNNING] = "running",
        [CONTAINER_STOPPING] = "stopping",
        [CONTAINER_BACKOFF] = "backoff",
        [CONTAINER_EXITED] = "exited",
        [CONTAINER_FAILED] = "failed",
};

static const char *const pod_phase_table[_POD_PHASE_MAX] = {
        [POD_PENDING] = "pending",
        [POD_RUNNING] = "running",
        [POD_BACKOFF] = "backoff",
        [POD_SUCCEEDED] = "succeeded",
        [POD_FAILED] = "failed",
        [POD_TERMINATING] = "terminating",
};

const char *container_phase_to_string(ContainerPhase p) {
        return p >= 0 && p < _CONTAINER_PHASE_MAX ? container_phase_table[p] : NULL;
}

const char *pod_phase_to_string(PodPhase p) {
        return p >= 0 && p < _POD_PHASE_MAX ? pod_phase_table[p] : NULL;
}

int pod_state_new(Reconciler *rc, const char *name, PodState **ret) {
        _cleanup_(pod_state_freep) PodState *p = calloc(1, sizeof(PodState));
        int r;

        if (!p)
                return -ENOMEM;
        p->reconciler = rc;
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        r = pod_slice_name(name, &p->slice);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static ContainerState *container_state_free(ContainerState *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->timer);
        sd_event_source_disable_unref(c->exit_watch);
        bus_job_cancel(c->job);
        sd_event_source_disable_unref(c->stop_retry);
        sd_bus_slot_unref(c->unit_query);
        if (c->pull)
                pull_request_cancel(c->pull);
        launch_abort(c->launch);
        notify_listener_free(c->notify);
        unpack_job_cancel(c->unpack);
        container_health_free(c);
        free(c->name);
        free(c->unit);
        free(c->message);
        free(c->image_digest);
        free(c->early_status);
        free(c);
        return NULL;
}

PodState *pod_state_free(PodState *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_containers; i++)
                container_state_free(p->containers[i]);
        free(p->containers);
        pod_free(p->desired);
        rollout_run_free(p->rollout);
        free(p->name);
        free(p->slice);
        bus_job_cancel(p->slice_job);
        free(p);
        return NULL;
}

ContainerState *pod_state_find_container(PodState *p, const char *name) {
        for (size_t i = 0; i < p->n_containers; i++)
                if (streq(p->containers[i]->name, name))
                        return p->containers[i];
        return NULL;
}

int pod_state_add_container(PodState *p, const char *name, ContainerState **ret) {
        ContainerState *c, **a;
        int r;

        a = realloc(p->containers, (p->n_containers + 1) * sizeof(ContainerState *));
        if (!a)
                return -ENOMEM;
        p->containers = a;

        c = calloc(1, sizeof(ContainerState));
        if (!c)
                return -ENOMEM;
        c->pod = p;
        c->name = strdup(name);
        r = c->name ? container_scope_name(p->name, name, &c->unit) : -ENOMEM;
        if (r < 0) {
                container_state_free(c);
                return r;
        }
        c->shim_pid = c->pid = 0;
        p->containers[p->n_containers++] = c;
        *ret = c;
        return 0;
}

void pod_state_remove_container(PodState *p, ContainerState *c) {
        for (size_t i = 0; i < p->n_containers; i++)
                if (p->containers[i] == c) {
                        memmove(p->containers + i, p->containers + i + 1,
                                (p->n_containers - i - 1) * sizeof(ContainerState *));
                        p->n_containers--;
                        container_state_free(c);
                        return;
                }
}

unsigned pod_state_restarts(const PodState *p) {
        unsigned n = 0;
        for (size_t i = 0; i < p->n_containers; i++)
                n += p->containers[i]->lifecycle.restarts;
        return n;
}

unsigned pod_state_ready(const PodState *p) {
        unsigned n = 0;
        for (size_t i = 0; i < p->n_containers; i++)
                n += container_is_ready(p->containers[i]);
        return n;
}

const char *pod_state_message(const PodState *p) {
        for (size_t i = 0; i < p->n_containers; i++)
                if (p->containers[i]->message)
                        return p->containers[i]->message;
        return NULL;
}

PodPhase pod_state_compute_phase(const PodState *p) {
        bool all_running = true, any_backoff = false, any_failed = false, all_exited_ok = true;

        if (!p->desired)
                return POD_TERMINATING;
        if (p->n_containers < p->desired->n_containers)
                return POD_PENDING;
        for (size_t i = 0; i < p->n_containers; i++) {
                const ContainerState *c = p->containers[i];

                all_running = all_running && c->lifecycle.phase == CONTAINER_RUNNING;
                any_backoff = any_backoff || c->lifecycle.phase == CONTAINER_BACKOFF;
                any_failed = any_failed || c->lifecycle.phase == CONTAINER_FAILED ||
                        (c->lifecycle.phase == CONTAINER_EXITED &&
                         (c->lifecycle.last_exit.code != 0 || c->lifecycle.last_exit.signal || c->lifecycle.last_exit.unhealthy));
                all_exited_ok = all_exited_ok && c->lifecycle.phase == CONTAINER_EXITED &&
                        c->lifecycle.last_exit.code == 0 && !c->lifecycle.last_exit.signal && !c->lifecycle.last_exit.unhealthy;
        }
        if (all_running)
                return POD_RUNNING;
        if (any_failed)
                return POD_FAILED;
        if (any_backoff)
                return POD_BACKOFF;
        if (all_exited_ok)
                return POD_SUCCEEDED;
        return POD_PENDING;
}

int exit_info_to_string(const ExitInfo *e, char **ret) {
        char *s;
        int r;

        if (!e->valid)
                r = asprintf(&s, "%s", "");
        else if (e->unhealthy && (e->signal || e->code < 0))
                r = asprintf(&s, "unhealthy (%s), killed", e->unhealthy_reason);
        else if (e->unhealthy)
                r = asprintf(&s, "unhealthy (%s), exit %d", e->unhealthy_reason, e->code);
        else if (e->oom)
                r = asprintf(&s, "oom (signal %d)", e->signal ?: SIGKILL);
        else if (e->signal)
                r = asprintf(&s, "signal %d (%s)", e->signal, sigabbrev_np(e->signal) ?: "?");
        else
                r = asprintf(&s, "exit %d", e->code);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void gen_exit(JsonGen *g, const ExitInfo *e) {
        if (!e->valid) {
                json_gen_null(g);
                return;
        }
        json_gen_map_open(g);
        json_gen_kv_integer(g, "code", e->code);
        json_gen_kv_integer(g, "signal", e->signal);
        json_gen_kv_integer(g, "status", e->signal ? 128 + e->signal : e->code);
        json_gen_kv_bool(g, "oom", e->oom);
        json_gen_kv_bool(g, "unhealthy", e->unhealthy);
        json_gen_kv_string(g, "unhealthy_reason", e->unhealthy_reason);
        json_gen_kv_integer(g, "at_usec", (long long) e->at_usec);
        json_gen_map_close(g);
}

int pod_state_status_json(const PodState *p, const PodStatusOverride *o, char **ret) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);

        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "phase", o ? o->phase : pod_phase_to_string(p->phase));
        json_gen_kv_string(g, "message", pod_state_message(p));
        json_gen_kv_string(g, "slice", p->slice);
        json_gen_kv_integer(g, "restarts", o ? o->restarts : pod_state_restarts(p));
        json_gen_kv_integer(g, "ready", o ? o->ready : pod_state_ready(p));
        json_gen_kv_integer(g, "created_usec", (long long) p->created_realtime_usec);
        json_gen_kv_integer(g, "revision", (long long) p->mod_revision);
        rollout_status_json(g, p);
        json_gen_string(g, "containers");
        json_gen_array_open(g);
        for (size_t i = 0; i < p->n_containers; i++) {
                const ContainerState *c = p->containers[i];

                json_gen_map_open(g);
                json_gen_kv_string(g, "name", c->name);
                json_gen_kv_string(g, "state", container_phase_to_string(c->lifecycle.phase));
                json_gen_kv_string(g, "message", c->message);
                json_gen_kv_string(g, "unit", c->unit);
                json_gen_kv_integer(g, "pid", c->pid);
                json_gen_kv_string(g, "image_digest", c->image_digest);
                json_gen_kv_integer(g, "restarts", c->lifecycle.restarts);
                json_gen_kv_integer(g, "started_usec", (long long) c->started_realtime_usec);
                json_gen_string(g, "last_exit");
                gen_exit(g, &c->lifecycle.last_exit);
                json_gen_kv_integer(g, "next_restart_usec", (long long) c->lifecycle.next_restart_usec);
                container_health_status_json(g, c);
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        json_gen_map_close(g);
        return json_gen_finish(g, ret, NULL, NULL);
}
