/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus/service.h"
#include "daemon/store-server.h"

struct StoreServer {
        sd_event *event;
        EtcdServerUnit *unit;
        StoreServerReady cb;
        void *userdata;
        BusJob *job;
        EtcdServer *wait;
        bool adopted;
        sd_event_source *fail_source;
        int fail_r;
        char *fail_msg;
};

static void finish(StoreServer *s, int r, const char *endpoint, const char *error) {
        StoreServerReady cb = TAKE_PTR(s->cb);

        s->job = bus_job_cancel(s->job);
        if (cb)
                cb(s, r, endpoint, error, s->userdata);
}

static int fail_handler(sd_event_source *es, void *userdata) {
        StoreServer *s = userdata;
        _cleanup_free_ char *msg = TAKE_PTR(s->fail_msg);

        s->fail_source = sd_event_source_disable_unref(s->fail_source);
        finish(s, s->fail_r, NULL, msg ?: "out of memory");
        return 0;
}

/* Called from bus callbacks, which may not free the slot's owner: the
 * callback (which may free us) runs from the loop instead. */
static void fail(StoreServer *s, int r, const char *what, const char *detail) {
        s->fail_r = r;
        s->fail_msg = mfree(s->fail_msg);
        if (asprintf(&s->fail_msg, "%s %s: %s (see systemctl status %s)", what, s->unit->unit,
                     strempty(detail), s->unit->unit) < 0)
                s->fail_msg = NULL;
        if (sd_event_add_defer(s->event, &s->fail_source, fail_handler, s) < 0)
                s->fail_source = NULL; /* OOM: nothing left to report with */
}

static void on_ready(EtcdServer *e, int r, const char *endpoint, const char *error, void *userdata) {
        finish(userdata, r, endpoint, error);
}

static void on_started(int r, const char *job_result, void *userdata) {
        StoreServer *s = userdata;
        const char *reason = NULL;

        s->job = bus_job_cancel(s->job);
        if (r < 0)
                return fail(s, r, job_result ? "could not start" : "could not create",
                            job_result ? job_result : strerror(-r));
        s->adopted = r == SERVICE_ADOPTED;
        if (s->adopted) {
                r = etcd_server_unit_check_adopted(s->unit, &reason);
                if (r < 0)
                        return fail(s, r, "could not adopt", reason ?: strerror(-r));
        }
        r = etcd_server_wait(s->event, s->unit, on_ready, s, &s->wait);
        if (r < 0)
                fail(s, r, "could not probe", strerror(-r));
}

int store_server_start(SystemdJobs *jobs, sd_event *event, const EtcdServerConfig *config, StoreServerReady cb,
                       void *userdata, StoreServer **ret) {
        _cleanup_(store_server_freep) StoreServer *s = NULL;
        int r;

        if (!jobs || !event || !config || !cb || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(StoreServer));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->cb = cb;
        s->userdata = userdata;
        r = etcd_server_unit_new(config, &s->unit);
        if (r < 0)
                return r;

        ServiceRequest req = {
                .name = s->unit->unit,
                .description = s->unit->description,
                .exec_start = s->unit->exec_start,
                .exec_start_pre = s->unit->exec_start_pre,
                .working_directory = s->unit->working_directory,
                .restart = s->unit->restart,
                .restart_usec = s->unit->restart_usec,
                .no_start_limit = s->unit->no_start_limit,
                .umask = s->unit->umask,
                .adopt_active = true,
        };
        r = service_start_async(jobs, &req, on_started, s, &s->job);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

StoreServer *store_server_free(StoreServer *s) {
        if (!s)
                return NULL;
        bus_job_cancel(s->job);
        etcd_server_free(s->wait);
        sd_event_source_disable_unref(s->fail_source);
        etcd_server_unit_free(s->unit);
        sd_event_unref(s->event);
        free(s->fail_msg);
        free(s);
        return NULL;
}

bool store_server_adopted(const StoreServer *s) {
        return s->adopted;
}
