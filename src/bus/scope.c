/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus/job.h"
#include "bus/scope.h"
#include "log.h"
#include "strv.h"

#define CPU_PERIOD_DEFAULT_USEC UINT64_C(100000)
#define USEC_PER_SEC UINT64_C(1000000)

static bool has_suffix(const char *s, const char *suffix) {
        size_t l = strlen(s), n = strlen(suffix);

        return l > n && streq(s + l - n, suffix);
}

typedef enum BusJobKind {
        BUS_JOB_SCOPE,
        BUS_JOB_SLICE,
        BUS_JOB_STOP,
} BusJobKind;

typedef struct ScopeJob {
        BusJob job; /* first: the operation is freed as a BusJob */
        BusJobKind kind;

        /* A private copy of the request, to rebuild the call for the retry. */
        char *slice, *collect_mode, *oom_policy;
        uint32_t *pids;
        size_t n_pids;
        UnitLimits limits;
        bool memory_accounting, tasks_accounting, cpu_accounting, io_accounting, delegate, container_devices;
        uint64_t timeout_stop_usec;
} ScopeJob;

static const struct {
        const char *name;
        int error;
} bus_errors[] = {
        { "org.freedesktop.systemd1.NoSuchUnit", ENOENT },
        { "org.freedesktop.systemd1.NoSuchJob", ENOENT },
        { "org.freedesktop.systemd1.UnitExists", EEXIST },
        { "org.freedesktop.systemd1.NoSuchProcess", ESRCH },
        { "org.freedesktop.systemd1.UnitMasked", ERFKILL },
        { "org.freedesktop.systemd1.UnitGenerated", EADDRNOTAVAIL },
        { "org.freedesktop.systemd1.JobTypeNotApplicable", EBADR },
        { "org.freedesktop.systemd1.TransactionIsDestructive", EDEADLK },
        { "org.freedesktop.systemd1.TransactionJobsConflicting", EDEADLK },
        { "org.freedesktop.systemd1.TransactionOrderIsCyclic", EDEADLK },
        { "org.freedesktop.systemd1.OnlyByDependency", EINVAL },
        { "org.freedesktop.systemd1.ShuttingDown", ECANCELED },
        { "org.freedesktop.DBus.Error.InvalidArgs", EINVAL },
        { "org.freedesktop.DBus.Error.PropertyReadOnly", EROFS },
        { "org.freedesktop.DBus.Error.UnknownProperty", EOPNOTSUPP },
        { "org.freedesktop.DBus.Error.UnknownMethod", EOPNOTSUPP },
        { "org.freedesktop.DBus.Error.AccessDenied", EACCES },
        { "org.freedesktop.DBus.Error.NoReply", ETIMEDOUT },
        { "org.freedesktop.DBus.Error.Timeout", ETIMEDOUT },
        { "org.freedesktop.DBus.Error.ServiceUnknown", EHOSTUNREACH },
        { "org.freedesktop.DBus.Error.NameHasNoOwner", EHOSTUNREACH },
        { "org.freedesktop.DBus.Error.NoMemory", ENOMEM },
        { "org.freedesktop.DBus.Error.Disconnected", ECONNRESET },
};

int bus_error_to_errno(const sd_bus_error *e) {
        int r;

        if (!e || !sd_bus_error_is_set(e))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(bus_errors); i++)
                if (sd_bus_error_has_name(e, bus_errors[i].name))
                        return -bus_errors[i].error;
        r = sd_bus_error_get_errno(e);
        return r > 0 ? -r : -EIO;
}

int job_result_to_errno(const char *result) {
        static const struct {
                const char *result;
                int error;
        } table[] = {
                { "done", 0 },          { "skipped", 0 },      { "canceled", ECANCELED },
                { "collected", ECANCELED }, { "timeout", ETIME }, { "failed", EIO },
                { "dependency", ENOLINK },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(result, table[i].result))
                        return -table[i].error;
        return -EBADE;
}

static void scope_job_free_fields(BusJob *b) {
        ScopeJob *j = (ScopeJob *) b;

        free(j->slice);
        free(j->collect_mode);
        free(j->oom_policy);
        free(j->pids);
}

static int append_limits(sd_bus_message *m, const UnitLimits *l) {
        int r;

        if (l->memory_max != SCOPE_LIMIT_UNSET) {
                r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", l->memory_max);
                if (r < 0)
                        return r;
        }
        if (l->tasks_max != SCOPE_LIMIT_UNSET) {
                r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", l->tasks_max);
                if (r < 0)
                        return r;
        }
        if (l->cpu_quota_us != SCOPE_LIMIT_UNSET) {
                uint64_t period = l->cpu_period_us ?: CPU_PERIOD_DEFAULT_USEC;

                /* systemd takes the quota as CPU time per second of wall time. */
                if (l->cpu_quota_us > UINT64_MAX / USEC_PER_SEC)
                        return -ERANGE;
                r = sd_bus_message_append(m, "(sv)(sv)", "CPUQuotaPerSecUSec", "t",
                                          l->cpu_quota_us * USEC_PER_SEC / period, "CPUQuotaPeriodUSec",
                                          "t", period);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool limits_valid(const UnitLimits *l) {
        if (l->cpu_quota_us != SCOPE_LIMIT_UNSET && l->cpu_quota_us > UINT64_MAX / USEC_PER_SEC)
                return false;
        return true;
}

static int build_stop(BusJob *b, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", b->name, "replace");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int append_properties(BusJob *b, sd_bus_message *m) {
        ScopeJob *j = (ScopeJob *) b;
        int r;

        r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", j->collect_mode ?: "inactive-or-failed");
        if (r < 0)
                return r;

        if (j->kind == BUS_JOB_SCOPE) {
                if (j->slice) {
                        r = sd_bus_message_append(m, "(sv)", "Slice", "s", j->slice);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "s", "PIDs");
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'v', "au");
                if (r < 0)
                        return r;
                r = sd_bus_message_append_array(m, 'u', j->pids, j->n_pids * sizeof(uint32_t));
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;

                r = sd_bus_message_append(m, "(sv)(sv)(sv)", "MemoryAccounting", "b", j->memory_accounting,
                                          "TasksAccounting", "b", j->tasks_accounting, "CPUAccounting", "b",
                                          j->cpu_accounting);
                if (r < 0)
                        return r;
                if (j->io_accounting) {
                        r = sd_bus_message_append(m, "(sv)", "IOAccounting", "b", 1);
                        if (r < 0)
                                return r;
                }
                if (j->delegate) {
                        r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1);
                        if (r < 0)
                                return r;
                }
                if (j->container_devices) {
                        r = sd_bus_message_append(m, "(sv)(sv)",
                                                  "DevicePolicy", "s", "closed",
                                                  "DeviceAllow", "a(ss)", 8,
                                                  "/dev/null", "rwm", "/dev/zero", "rwm", "/dev/full", "rwm",
                                                  "/dev/random", "rwm", "/dev/urandom", "rwm",
                                                  "/dev/tty", "rwm", "/dev/ptmx", "rwm", "char-pts", "rwm");
                        if (r < 0)
                                return r;
                }
                if (j->timeout_stop_usec > 0) {
                        r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", j->timeout_stop_usec);
                        if (r < 0)
                                return r;
                }
                if (j->oom_policy) {
                        r = sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", j->oom_policy);
                        if (r < 0)
                                return r;
                }
                r = append_limits(m, &j->limits);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const BusJobOps scope_job_ops = {
        .append_properties = append_properties,
        /* Most likely a failed leftover of an earlier run. */
        .on_unit_exists = bus_job_reset_and_retry,
        .free_fields = scope_job_free_fields,
};

/* Stopping a unit never meets UnitExists. */
static const BusJobOps stop_job_ops = {
        .build_call = build_stop,
        .free_fields = scope_job_free_fields,
};

static int scope_job_new(SystemdJobs *q, BusJobKind kind, const char *name, bus_job_handler_t cb, void *userdata,
                         ScopeJob **ret) {
        BusJob *b;
        int r;

        r = bus_job_new(sizeof(ScopeJob), kind == BUS_JOB_STOP ? &stop_job_ops : &scope_job_ops, q, name, cb,
                        userdata, &b);
        if (r < 0)
                return r;
        ((ScopeJob *) b)->kind = kind;
        *ret = (ScopeJob *) b;
        return 0;
}

int scope_start_async(SystemdJobs *q, const ScopeRequest *req, bus_job_handler_t cb, void *userdata,
                      BusJob **ret_job) {
        ScopeJob *j;
        int r;

        if (!q || !req || !req->name || !req->pids || req->n_pids == 0 || req->n_pids > 4096)
                return -EINVAL;
        if (!has_suffix(req->name, ".scope") || (req->slice && !has_suffix(req->slice, ".slice")))
                return -EINVAL;
        if (!limits_valid(&req->limits))
                return -ERANGE;
        for (size_t i = 0; i < req->n_pids; i++)
                if (req->pids[i] <= 0)
                        return -EINVAL;

        r = scope_job_new(q, BUS_JOB_SCOPE, req->name, cb, userdata, &j);
        if (r < 0)
                return r;
        j->pids = calloc(req->n_pids, sizeof(uint32_t));
        if (!j->pids || free_and_strdup(&j->slice, req->slice) < 0 ||
            free_and_strdup(&j->job.description, req->description) < 0 ||
            free_and_strdup(&j->collect_mode, req->collect_mode) < 0 ||
            free_and_strdup(&j->oom_policy, req->oom_policy) < 0) {
                bus_job_free(&j->job);
                return -ENOMEM;
        }
        for (size_t i = 0; i < req->n_pids; i++)
                j->pids[i] = (uint32_t) req->pids[i];
        j->n_pids = req->n_pids;
        j->limits = req->limits;
        j->memory_accounting = req->memory_accounting;
        j->tasks_accounting = req->tasks_accounting;
        j->cpu_accounting = req->cpu_accounting;
        j->io_accounting = req->io_accounting;
        j->delegate = req->delegate;
        j->container_devices = req->container_devices;
        j->timeout_stop_usec = req->timeout_stop_usec;

        return bus_job_start(&j->job, ret_job);
}

int slice_start_async(SystemdJobs *q, const char *name, const char *description, bus_job_handler_t cb,
                      void *userdata, BusJob **ret_job) {
        ScopeJob *j;
        int r;

        if (!q || !name || !has_suffix(name, ".slice"))
                return -EINVAL;
        r = scope_job_new(q, BUS_JOB_SLICE, name, cb, userdata, &j);
        if (r < 0)
                return r;
        if (free_and_strdup(&j->job.description, description) < 0) {
                bus_job_free(&j->job);
                return -ENOMEM;
        }
        return bus_job_start(&j->job, ret_job);
}

int unit_stop_async(SystemdJobs *q, const char *name, bus_job_handler_t cb, void *userdata,
                    BusJob **ret_job) {
        ScopeJob *j;
        int r;

        if (!q || isempty(name))
                return -EINVAL;
        r = scope_job_new(q, BUS_JOB_STOP, name, cb, userdata, &j);
        if (r < 0)
                return r;
        return bus_job_start(&j->job, ret_job);
}

int unit_kill(sd_bus *bus, const char *name, const char *who, int signo) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!bus || isempty(name) || signo <= 0 || signo >= 65)
                return -EINVAL;
        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit", &error, NULL,
                               "ssi", name, who ?: "all", signo);
        if (r < 0)
                return sd_bus_error_is_set(&error) ? bus_error_to_errno(&error) : r;
        return 0;
}

int unit_set_limits(sd_bus *bus, const char *name, const UnitLimits *limits) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!bus || isempty(name) || !limits)
                return -EINVAL;
        if (!limits_valid(limits))
                return -ERANGE;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "SetUnitProperties");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "sb", name, 1);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = append_limits(m, limits);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, 0, &error, NULL);
        if (r < 0)
                return sd_bus_error_is_set(&error) ? bus_error_to_errno(&error) : r;
        return 0;
}

typedef struct UnitActiveQuery {
        unit_active_handler_t cb;
        void *userdata;
} UnitActiveQuery;

static bool active_state_is_up(const char *state) {
        return streq(state, "active") || streq(state, "activating") || streq(state, "deactivating") ||
               streq(state, "reloading");
}

static int on_list_units_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitActiveQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *load_state, *active_state;
        int r;

        if (e) {
                r = bus_error_to_errno(e);
                goto finish;
        }
        /* name, description, load, active, sub, following, path, job id, type, path:
         * an entry per name asked, "not-found" for a unit systemd does not know. */
        r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        if (r < 0)
                goto finish;
        r = sd_bus_message_read(m, "(ssssssouso)", NULL, NULL, &load_state, &active_state, NULL, NULL, NULL,
                                NULL, NULL, NULL);
        if (r < 0)
                goto finish;
        /* No entry: systemd has no such unit loaded. */
        r = r > 0 && streq(load_state, "loaded") && active_state_is_up(active_state);
finish:
        q->cb(r, q->userdata);
        return 0;
}

int unit_is_active_async(sd_bus *bus, const char *name, unit_active_handler_t cb, void *userdata,
                         sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *pattern = NULL;
        UnitActiveQuery *q;
        char *t;
        int r;

        if (!bus || isempty(name) || !cb || !ret_slot)
                return -EINVAL;
        /* ListUnitsByPatterns, not ListUnitsByNames: the latter loads a
         * unit it does not know, and the stub, collected at once, is
         * announced with UnitRemoved, which makes tankd ask again. The
         * pattern is the name with fnmatch()'s specials escaped (unit
         * names carry backslashes: "\x2d"). */
        pattern = malloc(strlen(name) * 2 + 1);
        if (!pattern)
                return -ENOMEM;
        t = pattern;
        for (const char *p = name; *p; p++) {
                if (strchr("\\*?[", *p))
                        *t++ = '\\';
                *t++ = *p;
        }
        *t = 0;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, NULL);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, STRV_MAKE(pattern));
        if (r < 0)
                return r;
        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        *q = (UnitActiveQuery) { .cb = cb, .userdata = userdata };
        r = sd_bus_call_async(bus, &slot, m, on_list_units_reply, q, 0);
        if (r < 0) {
                free(q);
                return r;
        }
        /* The query lives as long as the slot: the caller's to cancel. */
        sd_bus_slot_set_destroy_callback(slot, free);
        *ret_slot = TAKE_PTR(slot);
        return 0;
}
