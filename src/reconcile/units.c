/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "reconcile/units.h"
#include "time-util.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* Beyond the shim's own SIGTERM..SIGKILL grace, systemd's backstop. */
#define SCOPE_STOP_TIMEOUT_USEC (30 * USEC_PER_SEC)

struct UnitJob {
        sd_bus *bus;
        sd_bus_slot *match_slot;
        sd_bus_slot *call_slot;
        char *name;
        char *job_path;
        unit_job_handler_t cb;
        void *userdata;
        bool is_stop;
        bool retried;
        /* For a retry of StartTransientUnit after ResetFailedUnit. */
        char *slice, *description;
        pid_t pid;
        bool has_limits;
        PodLimits limits;
        /* JobRemoved for our job may in principle overtake the method reply. */
        char *early_path, *early_result;
};

static void unit_job_free(UnitJob *j) {
        if (!j)
                return;
        sd_bus_slot_unref(j->match_slot);
        sd_bus_slot_unref(j->call_slot);
        sd_bus_unref(j->bus);
        free(j->name);
        free(j->job_path);
        free(j->slice);
        free(j->description);
        free(j->early_path);
        free(j->early_result);
        free(j);
}

UnitJob *unit_job_cancel(UnitJob *j) {
        unit_job_free(j);
        return NULL;
}

static int job_result_to_errno(const char *result) {
        if (streq(result, "done") || streq(result, "skipped"))
                return 0;
        if (streq(result, "canceled") || streq(result, "collected"))
                return -ECANCELED;
        if (streq(result, "timeout"))
                return -ETIMEDOUT;
        return -EIO; /* failed, dependency, invalid, unsupported, once */
}

static void unit_job_finish(UnitJob *j, int r, const char *message) {
        unit_job_handler_t cb = j->cb;
        void *userdata = j->userdata;

        unit_job_free(j);
        cb(r, message, userdata);
}

static void unit_job_complete(UnitJob *j, const char *result) {
        _cleanup_free_ char *msg = NULL;
        int r = job_result_to_errno(result);

        if (r < 0 && asprintf(&msg, "job for %s %s: %s", j->name, j->is_stop ? "stop" : "start", result) < 0)
                msg = NULL;
        unit_job_finish(j, r, msg);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0)
                return 0;
        if (!j->job_path) {
                if (streq(unit, j->name)) {
                        free(j->early_path);
                        free(j->early_result);
                        j->early_path = strdup(path);
                        j->early_result = strdup(result);
                }
                return 0;
        }
        if (streq(path, j->job_path))
                unit_job_complete(j, result);
        return 0;
}

static int append_scope_properties(sd_bus_message *m, UnitJob *j) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                  "Description", "s", j->description,
                                  "Slice", "s", j->slice,
                                  "CollectMode", "s", "inactive-or-failed",
                                  "MemoryAccounting", "b", 1,
                                  "TasksAccounting", "b", 1,
                                  "CPUAccounting", "b", 1,
                                  "TimeoutStopUSec", "t", SCOPE_STOP_TIMEOUT_USEC);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t) j->pid);
        if (r < 0)
                return r;
        /* The device cgroup: only what the shim puts into the container's /dev. */
        r = sd_bus_message_append(m, "(sv)(sv)",
                                  "DevicePolicy", "s", "closed",
                                  "DeviceAllow", "a(ss)", 8,
                                  "/dev/null", "rwm", "/dev/zero", "rwm", "/dev/full", "rwm",
                                  "/dev/random", "rwm", "/dev/urandom", "rwm", "/dev/tty", "rwm",
                                  "/dev/ptmx", "rwm", "char-pts", "rwm");
        if (r < 0)
                return r;
        if (j->has_limits) {
                if (j->limits.memory != LIMIT_UNSET) {
                        r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", j->limits.memory);
                        if (r < 0)
                                return r;
                }
                if (j->limits.pids != LIMIT_UNSET) {
                        r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", j->limits.pids);
                        if (r < 0)
                                return r;
                }
                if (j->limits.cpu_period_us > 0) {
                        /* systemd wants the quota per second of wall time. */
                        uint64_t per_sec = j->limits.cpu_quota_us * USEC_PER_SEC / j->limits.cpu_period_us;
                        r = sd_bus_message_append(m, "(sv)(sv)",
                                                  "CPUQuotaPerSecUSec", "t", per_sec,
                                                  "CPUQuotaPeriodUSec", "t", j->limits.cpu_period_us);
                        if (r < 0)
                                return r;
                }
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        /* No auxiliary units. */
        return sd_bus_message_append(m, "a(sa(sv))", 0);
}

static int unit_job_send_start(UnitJob *j);

static int on_reset_failed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitJob *j = userdata;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        /* Whatever ResetFailedUnit said, the second start tells the real story. */
        r = unit_job_send_start(j);
        if (r < 0)
                unit_job_finish(j, r, "failed to start the scope again after resetting it");
        return 0;
}

static int on_job_queued(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitJob *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (e) {
                if (!j->is_stop && !j->retried && sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists")) {
                        /* A failed leftover of the same name: reset it and try once more. */
                        j->retried = true;
                        r = sd_bus_call_method_async(j->bus, &j->call_slot, SYSTEMD_DEST, SYSTEMD_PATH,
                                                     SYSTEMD_MANAGER, "ResetFailedUnit", on_reset_failed,
                                                     j, "s", j->name);
                        if (r >= 0)
                                return 0;
                }
                if (j->is_stop && sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        unit_job_finish(j, 0, NULL);    /* already gone: that is what we wanted */
                        return 0;
                }
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "%s %s: %s", j->is_stop ? "StopUnit" : "StartTransientUnit", j->name,
                             e->message ?: e->name) < 0)
                        msg = NULL;
                unit_job_finish(j, -sd_bus_error_get_errno(e) ?: -EIO, msg);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                unit_job_finish(j, r, "malformed reply from systemd");
                return 0;
        }
        j->job_path = strdup(path);
        if (!j->job_path) {
                unit_job_finish(j, -ENOMEM, NULL);
                return 0;
        }
        if (j->early_path && streq(j->early_path, path))
                unit_job_complete(j, j->early_result);
        return 0;
}

static int unit_job_send_start(UnitJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(j->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", j->name, "fail");
        if (r < 0)
                return r;
        r = append_scope_properties(m, j);
        if (r < 0)
                return r;
        return sd_bus_call_async(j->bus, &j->call_slot, m, on_job_queued, j, 0);
}

static int unit_job_new(sd_bus *bus, const char *name, unit_job_handler_t cb, void *userdata, UnitJob **ret) {
        UnitJob *j = calloc(1, sizeof(UnitJob));
        int r;

        if (!j)
                return -ENOMEM;
        j->bus = sd_bus_ref(bus);
        j->cb = cb;
        j->userdata = userdata;
        j->name = strdup(name);
        if (!j->name) {
                unit_job_free(j);
                return -ENOMEM;
        }
        /* Subscribe before queuing the job, or a fast job's signal could be missed. */
        r = sd_bus_match_signal_async(bus, &j->match_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                      "JobRemoved", on_job_removed, NULL, j);
        if (r < 0) {
                unit_job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int unit_start_scope(sd_bus *bus, const ScopeProperties *props, unit_job_handler_t cb, void *userdata,
                     UnitJob **ret) {
        UnitJob *j;
        int r;

        r = unit_job_new(bus, props->name, cb, userdata, &j);
        if (r < 0)
                return r;
        j->slice = strdup(props->slice);
        j->description = strdup(props->description);
        j->pid = props->pid;
        if (props->limits) {
                j->has_limits = true;
                j->limits = *props->limits;
        }
        if (!j->slice || !j->description) {
                unit_job_free(j);
                return -ENOMEM;
        }
        r = unit_job_send_start(j);
        if (r < 0) {
                unit_job_free(j);
                return r;
        }
        if (ret)
                *ret = j;
        return 0;
}

int unit_stop(sd_bus *bus, const char *name, unit_job_handler_t cb, void *userdata, UnitJob **ret) {
        UnitJob *j;
        int r;

        r = unit_job_new(bus, name, cb, userdata, &j);
        if (r < 0)
                return r;
        j->is_stop = true;
        r = sd_bus_call_method_async(bus, &j->call_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                     "StopUnit", on_job_queued, j, "ss", name, "replace");
        if (r < 0) {
                unit_job_free(j);
                return r;
        }
        if (ret)
                *ret = j;
        return 0;
}

int unit_is_active(sd_bus *bus, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &error, &reply,
                               "s", name);
        if (r < 0)
                return sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") ? 0 : r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &error, &state);
        if (r < 0)
                return r;
        return streq(state, "active") || streq(state, "activating") || streq(state, "deactivating") ||
               streq(state, "reloading");
}
