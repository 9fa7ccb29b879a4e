/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus/service.h"
#include "log.h"
#include "strv.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct ServiceJob {
        sd_bus *bus; /* borrowed: the match slot keeps the bus referenced */
        sd_bus_slot *match_slot; /* its destroy callback frees the job */
        sd_bus_slot *call_slot;
        bool floating, done, retried;
        char *job_path, *early_path, *early_result;
        bus_job_handler_t cb;
        void *userdata;

        /* a private copy of the request, to rebuild the call for the retry */
        char *name, *description, *working_directory, *restart;
        char **exec_start, **exec_start_pre;
        uint64_t restart_usec;
        bool no_start_limit, adopt_active;
        int umask;
} ServiceJob;

static void service_job_free(void *p) {
        ServiceJob *j = p;

        if (!j)
                return;
        sd_bus_slot_unref(j->call_slot);
        free(j->job_path);
        free(j->early_path);
        free(j->early_result);
        free(j->name);
        free(j->description);
        free(j->working_directory);
        free(j->restart);
        strv_free(j->exec_start);
        strv_free(j->exec_start_pre);
        free(j);
}

static void service_job_finish(ServiceJob *j, int r, const char *result) {
        bus_job_handler_t cb = j->cb;
        void *userdata = j->userdata;
        sd_bus_slot *own = j->floating ? j->match_slot : NULL;

        if (j->done)
                return;
        j->done = true;
        j->call_slot = sd_bus_slot_unref(j->call_slot);
        log_debug("%s: start finished: %s (%d)", j->name, strna(result), r);
        if (cb)
                cb(r, result, userdata);
        if (own) {
                sd_bus_slot_set_floating(own, 0);
                sd_bus_slot_unref(own);
        }
}

/* ("ExecStart", a(sasb) [(argv[0], argv, ignore_failure=false)]) */
static int append_exec(sd_bus_message *m, const char *property, char **argv) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", property);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", false);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

static int build_start(ServiceJob *j, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(j->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", j->name, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        if (j->description) {
                r = sd_bus_message_append(m, "(sv)", "Description", "s", j->description);
                if (r < 0)
                        return r;
        }
        if (j->restart) {
                r = sd_bus_message_append(m, "(sv)", "Restart", "s", j->restart);
                if (r >= 0 && j->restart_usec > 0)
                        r = sd_bus_message_append(m, "(sv)", "RestartUSec", "t", j->restart_usec);
                if (r < 0)
                        return r;
        }
        if (j->no_start_limit) {
                r = sd_bus_message_append(m, "(sv)", "StartLimitIntervalUSec", "t", UINT64_C(0));
                if (r < 0)
                        return r;
        }
        if (j->working_directory) {
                r = sd_bus_message_append(m, "(sv)", "WorkingDirectory", "s", j->working_directory);
                if (r < 0)
                        return r;
        }
        if (j->umask >= 0) {
                r = sd_bus_message_append(m, "(sv)", "UMask", "u", (uint32_t) j->umask);
                if (r < 0)
                        return r;
        }
        if (j->exec_start_pre) {
                r = append_exec(m, "ExecStartPre", j->exec_start_pre);
                if (r < 0)
                        return r;
        }
        r = append_exec(m, "ExecStart", j->exec_start);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int service_job_send(ServiceJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        j->job_path = mfree(j->job_path);
        j->early_path = mfree(j->early_path);
        j->early_result = mfree(j->early_result);
        r = build_start(j, &m);
        if (r < 0)
                return r;
        return sd_bus_call_async(j->bus, &j->call_slot, m, on_start_reply, j, 0);
}

static int on_reset_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ServiceJob *j = userdata;
        int r;

        /* whatever the reset said, the second start gives the answer */
        j->call_slot = sd_bus_slot_unref(j->call_slot);
        r = service_job_send(j);
        if (r < 0)
                service_job_finish(j, r, NULL);
        return 0;
}

static int reset_and_retry(ServiceJob *j) {
        j->retried = true;
        return sd_bus_call_method_async(j->bus, &j->call_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "ResetFailedUnit", on_reset_reply, j, "s", j->name);
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ServiceJob *j = userdata;
        const char *state = NULL;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "s", &state) >= 0 &&
            state && (streq(state, "active") || streq(state, "activating") || streq(state, "reloading"))) {
                service_job_finish(j, SERVICE_ADOPTED, NULL);
                return 0;
        }
        r = reset_and_retry(j);
        if (r < 0)
                service_job_finish(j, r, NULL);
        return 0;
}

static int query_state(ServiceJob *j) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", j->name, &path);
        if (r < 0)
                return r;
        j->retried = true;
        return sd_bus_call_method_async(j->bus, &j->call_slot, SYSTEMD_DEST, path,
                                        "org.freedesktop.DBus.Properties", "Get", on_state_reply, j, "ss",
                                        "org.freedesktop.systemd1.Unit", "ActiveState");
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ServiceJob *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (e) {
                if (!j->retried && sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists")) {
                        r = j->adopt_active ? query_state(j) : reset_and_retry(j);
                        if (r < 0)
                                service_job_finish(j, r, NULL);
                        return 0;
                }
                log_debug("%s: %s", j->name, e->name);
                service_job_finish(j, bus_error_to_errno(e), NULL);
                return 0;
        }
        r = sd_bus_message_read(m, "o", &path);
        if (r < 0) {
                service_job_finish(j, r, NULL);
                return 0;
        }
        j->job_path = strdup(path);
        if (!j->job_path) {
                service_job_finish(j, -ENOMEM, NULL);
                return 0;
        }
        if (j->early_path && streq(j->early_path, path)) {
                _cleanup_free_ char *result = TAKE_PTR(j->early_result);

                service_job_finish(j, job_result_to_errno(result), result);
        }
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ServiceJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (j->done)
                return 0;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (j->job_path) {
                if (streq(path, j->job_path))
                        service_job_finish(j, job_result_to_errno(result), result);
                return 0;
        }
        if (j->call_slot && streq(unit, j->name)) {
                if (free_and_strdup(&j->early_path, path) < 0 || free_and_strdup(&j->early_result, result) < 0)
                        service_job_finish(j, -ENOMEM, NULL);
        }
        return 0;
}

static bool strv_isempty(char **l) {
        return !l || !l[0];
}

static bool service_name_valid(const char *name) {
        size_t l = name ? strlen(name) : 0;

        return l > strlen(".service") && streq(name + l - strlen(".service"), ".service");
}

int service_start_async(sd_bus *bus, const ServiceRequest *req, bus_job_handler_t cb, void *userdata,
                        sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        ServiceJob *j;
        int r;

        if (!bus || !req || !service_name_valid(req->name) || strv_isempty(req->exec_start) ||
            req->exec_start[0][0] != '/' || (req->exec_start_pre && strv_isempty(req->exec_start_pre)) ||
            req->umask > 0777)
                return -EINVAL;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        *j = (ServiceJob) {
                .bus = bus,
                .cb = cb,
                .userdata = userdata,
                .restart_usec = req->restart_usec,
                .no_start_limit = req->no_start_limit,
                .adopt_active = req->adopt_active,
                .umask = req->umask,
        };
        j->name = strdup(req->name);
        j->exec_start = strv_copy(req->exec_start);
        if (!j->name || !j->exec_start ||
            (req->exec_start_pre && !(j->exec_start_pre = strv_copy(req->exec_start_pre))) ||
            free_and_strdup(&j->description, req->description) < 0 ||
            free_and_strdup(&j->working_directory, req->working_directory) < 0 ||
            free_and_strdup(&j->restart, req->restart) < 0) {
                service_job_free(j);
                return -ENOMEM;
        }

        /* On a direct connection to systemd there is no bus name to match on. */
        r = sd_bus_match_signal_async(bus, &slot, sd_bus_is_bus_client(bus) > 0 ? SYSTEMD_DEST : NULL,
                                      SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved", on_job_removed, NULL, j);
        if (r < 0) {
                service_job_free(j);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, service_job_free);
        j->match_slot = slot;

        r = service_job_send(j);
        if (r < 0)
                return r; /* the slot's cleanup frees j */

        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else {
                j->floating = true;
                r = sd_bus_slot_set_floating(slot, 1);
                if (r < 0)
                        return r;
                TAKE_PTR(slot);
        }
        return 0;
}
