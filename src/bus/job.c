/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-event.h>

#include "bus/job.h"
#include "log.h"

/* 10 ms doubling to 640 ms, then 640 ms: some 190 tries in two minutes. */
#define RESEND_FIRST_USEC (10 * UINT64_C(1000))
#define RESEND_MAX_SHIFT 6
#define RESEND_MAX_TRIES 200

static void clear_str(char **p) {
        free(*p);
        *p = NULL;
}

int bus_job_new(size_t size, const BusJobOps *ops, sd_bus *bus, const char *name, bus_job_handler_t cb,
                void *userdata, BusJob **ret) {
        BusJob *j;

        j = calloc(1, size);
        if (!j)
                return -ENOMEM;
        j->ops = ops;
        j->bus = bus;
        j->cb = cb;
        j->userdata = userdata;
        j->name = strdup(name);
        if (!j->name) {
                bus_job_free(j);
                return -ENOMEM;
        }
        *ret = j;
        return 0;
}

void bus_job_free(BusJob *j) {
        if (!j)
                return;
        if (j->ops->free_fields)
                j->ops->free_fields(j);
        sd_bus_slot_unref(j->call_slot);
        sd_event_source_disable_unref(j->resend);
        free(j->name);
        free(j->description);
        free(j->job_path);
        free(j->early_path);
        free(j->early_result);
        free(j);
}

static void bus_job_destroy(void *p) {
        bus_job_free(p);
}

void bus_job_finish(BusJob *j, int r, const char *result) {
        bus_job_handler_t cb = j->cb;
        void *userdata = j->userdata;
        sd_bus_slot *own = j->floating ? j->match_slot : NULL;

        if (j->done)
                return;
        j->done = true;
        j->call_slot = sd_bus_slot_unref(j->call_slot);
        j->resend = sd_event_source_disable_unref(j->resend);
        log_debug("%s: job %s finished: %s (%d)", j->name, strna(j->job_path), strna(result), r);
        if (cb)
                cb(r, result, userdata);
        if (own) {
                /* Take the slot back from the bus, then drop it: frees j. */
                sd_bus_slot_set_floating(own, 0);
                sd_bus_slot_unref(own);
        }
}

/* StartTransientUnit(name, "fail", properties, no auxiliary units). */
static int build_transient(BusJob *j, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(j->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", j->name, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && j->description)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", j->description);
        if (r >= 0)
                r = j->ops->append_properties(j, m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int on_resend(sd_event_source *s, uint64_t usec, void *userdata) {
        BusJob *j = userdata;
        int r;

        j->resend = sd_event_source_disable_unref(j->resend);
        r = bus_job_send(j);
        if (r < 0)
                bus_job_finish(j, r, NULL);
        return 0;
}

/* dbus-daemon refused the call before systemd saw it, so sending it again
 * cannot queue a second job. The delay is spread by the job's address, so
 * that hundreds refused together do not come back together. */
static int bus_job_resend_later(BusJob *j) {
        sd_event *e = sd_bus_get_event(j->bus);
        uint64_t delay;

        if (!e || j->refused >= RESEND_MAX_TRIES)
                return -ENOBUFS;
        delay = RESEND_FIRST_USEC << MIN(j->refused, (unsigned) RESEND_MAX_SHIFT);
        delay += ((uintptr_t) j >> 4) % delay;
        j->refused++;
        j->resend = sd_event_source_disable_unref(j->resend);
        return sd_event_add_time_relative(e, &j->resend, CLOCK_MONOTONIC, delay, 1000, on_resend, j);
}

static int on_call_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusJob *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED)) {
                log_debug("%s: refused by the bus (%s), sending it again", j->name, e->name);
                r = bus_job_resend_later(j);
                if (r < 0)
                        bus_job_finish(j, r == -ENOBUFS ? bus_error_to_errno(e) : r, NULL);
                return 0;
        }
        if (e) {
                if (j->ops->on_unit_exists && !j->retried &&
                    sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists")) {
                        r = j->ops->on_unit_exists(j);
                        if (r < 0)
                                bus_job_finish(j, r, NULL);
                        return 0;
                }
                log_debug("%s: %s", j->name, e->name);
                bus_job_finish(j, bus_error_to_errno(e), NULL);
                return 0;
        }

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0) {
                bus_job_finish(j, r, NULL);
                return 0;
        }
        j->job_path = strdup(path);
        if (!j->job_path) {
                bus_job_finish(j, -ENOMEM, NULL);
                return 0;
        }
        if (j->early_path && streq(j->early_path, path)) {
                _cleanup_free_ char *result = TAKE_PTR(j->early_result);

                bus_job_finish(j, job_result_to_errno(result), result);
        }
        return 0;
}

int bus_job_send(BusJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        clear_str(&j->job_path);
        clear_str(&j->early_path);
        clear_str(&j->early_result);

        r = j->ops->build_call ? j->ops->build_call(j, &m) : build_transient(j, &m);
        if (r < 0)
                return r;
        return sd_bus_call_async(j->bus, &j->call_slot, m, on_call_reply, j, 0);
}

static int on_reset_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusJob *j = userdata;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        /* Whatever the reset said (the unit may have been collected meanwhile),
         * the second start gives the answer. */
        log_debug("%s: ResetFailedUnit: %s", j->name, strna(sd_bus_message_get_error(m) ?
                                                             sd_bus_message_get_error(m)->name : "ok"));
        r = bus_job_send(j);
        if (r < 0)
                bus_job_finish(j, r, NULL);
        return 0;
}

int bus_job_reset_and_retry(BusJob *j) {
        j->retried = true;
        return sd_bus_call_method_async(j->bus, &j->call_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "ResetFailedUnit", on_reset_reply, j, "s", j->name);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        if (j->done)
                return 0;
        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                log_debug("Ignoring malformed JobRemoved signal: %d", r);
                return 0;
        }
        if (j->job_path) {
                if (streq(path, j->job_path))
                        bus_job_finish(j, job_result_to_errno(result), result);
                return 0;
        }
        if (j->call_slot && streq(unit, j->name)) {
                char *p = strdup(path), *res = strdup(result);

                if (!p || !res) {
                        free(p);
                        free(res);
                        bus_job_finish(j, -ENOMEM, NULL);
                        return 0;
                }
                free(j->early_path);
                free(j->early_result);
                j->early_path = p;
                j->early_result = res;
        }
        return 0;
}

int bus_job_start(BusJob *j, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        int r;

        /* On a direct connection to systemd there is no bus name to match on. */
        r = sd_bus_match_signal_async(j->bus, &slot, sd_bus_is_bus_client(j->bus) > 0 ? SYSTEMD_DEST : NULL,
                                      SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved", on_job_removed, NULL, j);
        if (r < 0) {
                bus_job_free(j);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, bus_job_destroy);
        j->match_slot = slot;

        r = bus_job_send(j);
        if (r < 0)
                return r; /* slot cleanup frees j */

        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else {
                /* The bus holds the slot (no reference cycle with the bus);
                 * we keep our reference until the job is finished. */
                j->floating = true;
                r = sd_bus_slot_set_floating(slot, 1);
                if (r < 0)
                        return r;
                TAKE_PTR(slot);
        }
        return 0;
}
