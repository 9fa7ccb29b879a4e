/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transient services over sd-bus, asynchronously (the scope.h promises hold:
 * JobRemoved is matched before StartTransientUnit is sent, a JobRemoved that
 * overtakes the reply is kept, errors are matched by name, nothing is logged
 * above debug, no daemon-reload).
 *
 * service_start_async() starts req->name with mode "fail" and calls back
 * exactly once:
 *   r = 0              the start job finished "done" or "skipped";
 *   r = SERVICE_ADOPTED with adopt_active, the unit already existed and was
 *                      active, activating or reloading: left as it is, with
 *                      its old properties (a long-lived service that must
 *                      outlive the caller, like the store, is not restarted);
 *   r < 0              as in scope.h, job results mapped the same way.
 * A unit of the name in any other state (failed, say) is reset with
 * ResetFailedUnit and the start retried once; still there: -EEXIST.
 * With ret_job the caller owns the operation (bus_job_cancel(), as in
 * scope.h); without, it is floating. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus/scope.h"

#define SERVICE_ADOPTED 1

typedef struct ServiceRequest {
        const char *name;               /* "….service", required */
        const char *description;        /* NULL: none */
        char **exec_start;              /* argv, required; argv[0] absolute */
        char **exec_start_pre;          /* NULL: none */
        const char *working_directory;  /* NULL: systemd's default */
        const char *restart;            /* Restart=: NULL leaves systemd's "no" */
        uint64_t restart_usec;          /* RestartUSec=, with restart; 0: systemd's */
        bool no_start_limit;            /* StartLimitIntervalUSec=0: restart forever */
        int umask;                      /* UMask=; < 0: systemd's (0022) */
        bool adopt_active;
} ServiceRequest;

int service_start_async(SystemdJobs *q, const ServiceRequest *req, bus_job_handler_t cb, void *userdata,
                        BusJob **ret_job);
