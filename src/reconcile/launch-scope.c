/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "reconcile/launch-internal.h"
#include "reconcile/reconciler-internal.h"
#include "time-util.h"

/* The container's transient scope: the shim's pid in it, in the pod's
 * slice, with the spec's limits, accounting, systemd's stop backstop and an
 * OOM policy that leaves OOM kills to the shim. */

UnitLimits launch_scope_limits(Reconciler *rc, const PodContainer *spec) {
        return (UnitLimits) {
                .memory_max = spec->limits.memory == LIMIT_UNSET ? SCOPE_LIMIT_UNSET : spec->limits.memory,
                /* No limits.pids: [Limits] DefaultPids= (0: none, and then
                 * systemd's DefaultTasksMax= applies). */
                .tasks_max = spec->limits.pids != LIMIT_UNSET ? spec->limits.pids :
                             rc->config->default_pids != 0     ? rc->config->default_pids :
                                                                SCOPE_LIMIT_UNSET,
                .cpu_quota_us = spec->limits.cpu_quota_us,
                .cpu_period_us = spec->limits.cpu_period_us,
        };
}

int launch_scope_start(Reconciler *rc, ContainerState *c, pid_t pid, const UnitLimits *limits,
                       bus_job_handler_t cb, void *userdata, BusJob **ret_job) {
        _cleanup_free_ char *description = NULL;
        ScopeRequest req;

        if (asprintf(&description, "Tank container %s/%s", c->pod->name, c->name) < 0)
                return -ENOMEM;
        pid_t pids[1] = { pid };
        req = (ScopeRequest) {
                .name = c->unit,
                .slice = c->pod->slice,
                .description = description,
                .pids = pids,
                .n_pids = 1,
                .memory_accounting = true,
                .tasks_accounting = true,
                .cpu_accounting = true,
                .io_accounting = true,
                .container_devices = true,
                /* systemd's backstop behind the shim's own SIGTERM..SIGKILL grace */
                .timeout_stop_usec = rc->config->stop_timeout_usec + 20 * USEC_PER_SEC,
                /* An OOM kill is the shim's to record (exit.json "oom")
                 * and the restart policy's to act on. With systemd's
                 * default "stop", a unified host would stop the whole
                 * container when the kernel kills any one process in
                 * it (an exec'd one, a child of PID 1), and a PID 1
                 * that survived would exit by SIGTERM, oom false. */
                .oom_policy = "continue",
                .limits = *limits,
        };
        return scope_start_async(rc->jobs, &req, cb, userdata, ret_job);
}
