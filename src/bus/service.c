/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus/job.h"
#include "bus/service.h"
#include "log.h"
#include "strv.h"

typedef struct ServiceJob {
        BusJob job; /* first: the operation is freed as a BusJob */

        /* a private copy of the request, to rebuild the call for the retry */
        char *working_directory, *restart;
        char **exec_start, **exec_start_pre;
        uint64_t restart_usec;
        bool no_start_limit, adopt_active;
        int umask;
} ServiceJob;

static void service_job_free_fields(BusJob *b) {
        ServiceJob *j = (ServiceJob *) b;

        free(j->working_directory);
        free(j->restart);
        strv_free(j->exec_start);
        strv_free(j->exec_start_pre);
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

static int append_properties(BusJob *b, sd_bus_message *m) {
        ServiceJob *j = (ServiceJob *) b;
        int r;

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
        return append_exec(m, "ExecStart", j->exec_start);
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusJob *j = userdata;
        const char *state = NULL;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "v", "s", &state) >= 0 &&
            state && (streq(state, "active") || streq(state, "activating") || streq(state, "reloading"))) {
                bus_job_finish(j, SERVICE_ADOPTED, NULL);
                return 0;
        }
        r = bus_job_reset_and_retry(j);
        if (r < 0)
                bus_job_finish(j, r, NULL);
        return 0;
}

static int query_state(BusJob *j) {
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

static int on_unit_exists(BusJob *b) {
        ServiceJob *j = (ServiceJob *) b;

        return j->adopt_active ? query_state(b) : bus_job_reset_and_retry(b);
}

static const BusJobOps service_job_ops = {
        .append_properties = append_properties,
        .on_unit_exists = on_unit_exists,
        .free_fields = service_job_free_fields,
};

static bool strv_isempty(char **l) {
        return !l || !l[0];
}

static bool service_name_valid(const char *name) {
        size_t l = name ? strlen(name) : 0;

        return l > strlen(".service") && streq(name + l - strlen(".service"), ".service");
}

int service_start_async(SystemdJobs *q, const ServiceRequest *req, bus_job_handler_t cb, void *userdata,
                        BusJob **ret_job) {
        ServiceJob *j;
        BusJob *b;
        int r;

        if (!q || !req || !service_name_valid(req->name) || strv_isempty(req->exec_start) ||
            req->exec_start[0][0] != '/' || (req->exec_start_pre && strv_isempty(req->exec_start_pre)) ||
            req->umask > 0777)
                return -EINVAL;

        r = bus_job_new(sizeof(ServiceJob), &service_job_ops, q, req->name, cb, userdata, &b);
        if (r < 0)
                return r;
        j = (ServiceJob *) b;
        j->restart_usec = req->restart_usec;
        j->no_start_limit = req->no_start_limit;
        j->adopt_active = req->adopt_active;
        j->umask = req->umask;
        j->exec_start = strv_copy(req->exec_start);
        if (!j->exec_start ||
            (req->exec_start_pre && !(j->exec_start_pre = strv_copy(req->exec_start_pre))) ||
            free_and_strdup(&b->description, req->description) < 0 ||
            free_and_strdup(&j->working_directory, req->working_directory) < 0 ||
            free_and_strdup(&j->restart, req->restart) < 0) {
                bus_job_free(b);
                return -ENOMEM;
        }

        return bus_job_start(b, ret_job);
}
