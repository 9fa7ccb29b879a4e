/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd unit jobs for the reconciler, all asynchronous on the daemon's bus
 * (REFERENCES.md "Transient scopes over sd-bus"): the JobRemoved match is
 * installed before the job is queued, the job's result is mapped to an errno,
 * and a stale failed unit of the same name is reset and the start retried once.
 * Never a daemon-reload. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "spec/pod.h"

typedef struct UnitJob UnitJob;

/* r: 0 done; -ECANCELED canceled; -ETIMEDOUT timeout; -EIO failed/dependency;
 * other negative errno when the call itself failed (message says why). */
typedef void (*unit_job_handler_t)(int r, const char *message, void *userdata);

typedef struct ScopeProperties {
        const char *name;               /* tank-<pod>-<c>.scope */
        const char *slice;              /* tank-pod-<pod>.slice */
        const char *description;
        pid_t pid;
        const PodLimits *limits;        /* may be NULL */
} ScopeProperties;

int unit_start_scope(sd_bus *bus, const ScopeProperties *props, unit_job_handler_t cb, void *userdata,
                     UnitJob **ret);
int unit_stop(sd_bus *bus, const char *name, unit_job_handler_t cb, void *userdata, UnitJob **ret);
/* Cancel interest: the handler will not be called. The job itself goes on. */
UnitJob *unit_job_cancel(UnitJob *j);

/* Is the unit loaded and active/activating/deactivating? (synchronous; used at
 * adoption only, before the loop serves requests). 1 yes, 0 no, <0 error. */
int unit_is_active(sd_bus *bus, const char *name);
