/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transient units over sd-bus, asynchronously, for an sd-event driven daemon.
 *
 * Promises:
 *  - scope_start_async()/slice_start_async() call the manager's
 *    StartTransientUnit (mode "fail") and report when the queued job is
 *    removed. The JobRemoved match is installed before the call, so the result
 *    cannot be missed; a JobRemoved that overtakes the method reply is kept.
 *  - A unit of the same name left over in the failed state (UnitExists) is
 *    reset with ResetFailedUnit and the start retried exactly once; a unit
 *    that still exists after that gives -EEXIST.
 *  - The callback runs exactly once, with r = 0 for the job results "done" and
 *    "skipped", and a negative errno otherwise:
 *        canceled, collected -> -ECANCELED     timeout    -> -ETIME
 *        failed              -> -EIO           dependency -> -ENOLINK
 *        anything else       -> -EBADE
 *    or the errno of a failed method call (see bus_error_to_errno()). It gets
 *    the job result string, or NULL when no job ran.
 *  - Every job goes through the connection's SystemdJobs (one per sd_bus),
 *    which keeps at most SYSTEMD_JOBS_MAX_IN_FLIGHT (256) of them queued at
 *    systemd and the rest waiting in order (bus/job.h says why).
 *  - With ret_job, the caller owns the operation: bus_job_cancel() before the
 *    callback ran cancels it (no callback; a job systemd already has is not
 *    undone); it may be called from inside the callback, and must be called
 *    after it to free the job. Without ret_job the operation is floating
 *    and frees itself after the callback.
 *  - Errors are matched by D-Bus error name, never by message text. Nothing is
 *    logged above debug level; no daemon-reload, ever.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* For the limit fields: leave the property unset. UINT64_MAX means infinity. */
#define SCOPE_LIMIT_UNSET UINT64_C(0)

typedef void (*bus_job_handler_t)(int r, const char *job_result, void *userdata);

typedef struct SystemdJobs SystemdJobs;
typedef struct BusJob BusJob;

/* The queue of one connection's jobs; bus must be attached to an event loop
 * (jobs resent after a refusal use its timers). Installs the JobRemoved match. */
int systemd_jobs_new(sd_bus *bus, SystemdJobs **ret);
/* Jobs nobody owns are dropped; owned ones are finished without a callback
 * (their owners still cancel them). Must not be called from a job callback. */
SystemdJobs *systemd_jobs_free(SystemdJobs *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(SystemdJobs *, systemd_jobs_free);
sd_bus *systemd_jobs_bus(SystemdJobs *q);
/* Jobs queued at systemd, and jobs waiting for room (for tests and stats). */
unsigned systemd_jobs_in_flight(const SystemdJobs *q);
unsigned systemd_jobs_waiting(const SystemdJobs *q);

/* Cancels (or, after its callback, frees) a job the caller owns; NULL. */
BusJob *bus_job_cancel(BusJob *j);

typedef struct UnitLimits {
        uint64_t memory_max;    /* bytes -> MemoryMax */
        uint64_t tasks_max;     /* -> TasksMax */
        uint64_t cpu_quota_us;  /* with cpu_period_us -> CPUQuotaPerSecUSec + CPUQuotaPeriodUSec */
        uint64_t cpu_period_us; /* 0 with a quota: 100 ms */
} UnitLimits;

typedef struct ScopeRequest {
        const char *name;        /* "….scope", required */
        const char *slice;       /* NULL: systemd's default slice */
        const char *description; /* NULL: none */
        const pid_t *pids;       /* moved into the scope; at least one */
        size_t n_pids;
        UnitLimits limits;
        bool memory_accounting, tasks_accounting, cpu_accounting;
        bool io_accounting;      /* IOAccounting= (blkio on v1): tankctl stats' block I/O */
        bool delegate;
        const char *collect_mode; /* NULL: "inactive-or-failed" */
        /* DevicePolicy=closed, allowing only what a container's /dev holds:
         * null, zero, full, random, urandom, tty, ptmx and the pts devices. */
        bool container_devices;
        uint64_t timeout_stop_usec; /* 0: systemd's default */
        /* OOMPolicy= ("continue", "stop", "kill"); NULL: systemd's
         * DefaultOOMPolicy= ("stop"). Acted on by systemd only on a unified
         * host, where it watches the scope's memory.events. */
        const char *oom_policy;
} ScopeRequest;

int scope_start_async(SystemdJobs *q, const ScopeRequest *req, bus_job_handler_t cb, void *userdata,
                      BusJob **ret_job);

/* A transient slice, e.g. tank-pod-web.slice, with a Description. */
int slice_start_async(SystemdJobs *q, const char *name, const char *description, bus_job_handler_t cb,
                      void *userdata, BusJob **ret_job);

/* StopUnit(name, "replace"); -ENOENT in the callback if no such unit is loaded. */
int unit_stop_async(SystemdJobs *q, const char *name, bus_job_handler_t cb, void *userdata,
                    BusJob **ret_job);

/* Synchronous, short calls. who: "all", "main" or "control". */
int unit_kill(sd_bus *bus, const char *name, const char *who, int signo);
/* SetUnitProperties(name, runtime=true, limits): live limit changes. */
int unit_set_limits(sd_bus *bus, const char *name, const UnitLimits *limits);

/* Is the unit loaded and active, activating, deactivating or reloading? One
 * asynchronous ListUnitsByPatterns call (unlike ListUnitsByNames it never
 * loads a unit); the callback gets 1 yes, 0 no (also when there is no such
 * unit) or a negative errno. Not a job: unref'ing *ret_slot before the
 * reply cancels it. */
typedef void (*unit_active_handler_t)(int r, void *userdata);
int unit_is_active_async(sd_bus *bus, const char *name, unit_active_handler_t cb, void *userdata,
                         sd_bus_slot **ret_slot);

/* The errno for a D-Bus error, by name (systemd's and the bus's common ones). */
int bus_error_to_errno(const sd_bus_error *e);
/* The errno for a JobRemoved result, as in the table above. */
int job_result_to_errno(const char *result);
