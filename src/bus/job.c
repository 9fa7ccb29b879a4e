/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-event.h>

#include "bus/job.h"
#include "log.h"

/* 10 ms doubling to 640 ms, then 640 ms: some 190 tries in two minutes. */
#define RESEND_FIRST_USEC (10 * UINT64_C(1000))
#define RESEND_MAX_SHIFT 6
#define RESEND_MAX_TRIES 200

typedef struct JobList {
        BusJob *head, *tail;
        unsigned n;
} JobList;

struct SystemdJobs {
        sd_bus *bus;
        sd_bus_slot *match;
        JobList waiting, in_flight;
        bool dispatching;
};

static void clear_str(char **p) {
        free(*p);
        *p = NULL;
}

static void list_append(JobList *l, BusJob *j) {
        j->prev = l->tail;
        j->next = NULL;
        if (l->tail)
                l->tail->next = j;
        else
                l->head = j;
        l->tail = j;
        l->n++;
}

static void list_remove(JobList *l, BusJob *j) {
        if (j->prev)
                j->prev->next = j->next;
        else
                l->head = j->next;
        if (j->next)
                j->next->prev = j->prev;
        else
                l->tail = j->prev;
        j->prev = j->next = NULL;
        l->n--;
}

/* Takes j out of the queue's lists; its state says which. */
static void job_unlink(BusJob *j) {
        if (j->queue && j->state == BUS_JOB_WAITING)
                list_remove(&j->queue->waiting, j);
        else if (j->queue && j->state == BUS_JOB_IN_FLIGHT)
                list_remove(&j->queue->in_flight, j);
}

int bus_job_new(size_t size, const BusJobOps *ops, SystemdJobs *queue, const char *name, bus_job_handler_t cb,
                void *userdata, BusJob **ret) {
        BusJob *j;

        j = calloc(1, size);
        if (!j)
                return -ENOMEM;
        j->ops = ops;
        j->queue = queue;
        j->bus = queue->bus;
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
        job_unlink(j);
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

static bool queue_has_room(const SystemdJobs *q) {
        unsigned calling = 0;

        if (q->in_flight.n >= SYSTEMD_JOBS_MAX_IN_FLIGHT)
                return false;
        /* At most 256 to count: cheaper than keeping a counter true across
         * every call each kind of job makes. */
        for (BusJob *j = q->in_flight.head; j; j = j->next)
                if (j->call_slot)
                        calling++;
        return calling < SYSTEMD_JOBS_MAX_CALLING;
}

static void queue_dispatch(SystemdJobs *q) {
        if (!q || q->dispatching)
                return;
        q->dispatching = true;
        while (q->waiting.head && queue_has_room(q)) {
                BusJob *j = q->waiting.head;
                int r;

                list_remove(&q->waiting, j);
                j->state = BUS_JOB_IN_FLIGHT;
                list_append(&q->in_flight, j);
                r = bus_job_send(j);
                if (r < 0)
                        bus_job_finish(j, r, NULL);
        }
        q->dispatching = false;
}

void bus_job_finish(BusJob *j, int r, const char *result) {
        bus_job_handler_t cb = j->cb;
        void *userdata = j->userdata;
        SystemdJobs *q = j->queue;
        bool floating = j->floating;

        if (j->state == BUS_JOB_DONE)
                return;
        job_unlink(j);
        j->state = BUS_JOB_DONE;
        j->call_slot = sd_bus_slot_unref(j->call_slot);
        j->resend = sd_event_source_disable_unref(j->resend);
        log_debug("%s: job %s finished: %s (%d)", j->name, strna(j->job_path), strna(result), r);
        if (cb)
                cb(r, result, userdata);
        /* An owned job may have been freed by its callback; a floating one
         * has no owner to do it. */
        if (floating)
                bus_job_free(j);
        queue_dispatch(q);
}

BusJob *bus_job_cancel(BusJob *j) {
        SystemdJobs *q;

        if (!j)
                return NULL;
        q = j->queue;
        /* systemd has (or may have) the job: it stays counted until systemd
         * is done with it, but calls no one. A job waiting to be sent again
         * after a refusal is not at systemd. */
        if (j->state == BUS_JOB_IN_FLIGHT && (j->call_slot || j->job_path)) {
                j->cb = NULL;
                j->userdata = NULL;
                j->floating = true;
                j->orphan = true;
                return NULL;
        }
        bus_job_free(j);
        queue_dispatch(q);
        return NULL;
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
        SystemdJobs *q = j->queue;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;
        int r;

        j->call_slot = sd_bus_slot_unref(j->call_slot);
        if (e && j->orphan) {
                /* Nobody wants it any more: no resend, no retry. */
                bus_job_finish(j, bus_error_to_errno(e), NULL);
                return 0;
        }
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED)) {
                log_debug("%s: refused by the bus (%s), sending it again", j->name, e->name);
                r = bus_job_resend_later(j);
                if (r < 0)
                        bus_job_finish(j, r == -ENOBUFS ? bus_error_to_errno(e) : r, NULL);
                else
                        queue_dispatch(q);
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
                return 0;
        }
        /* One call fewer awaiting its reply: room for the next. */
        queue_dispatch(q);
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
        return sd_bus_call_async(j->bus, &j->call_slot, m, on_call_reply, j, SYSTEMD_JOBS_CALL_TIMEOUT_USEC);
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

/* One match for every job of the connection. The jobs in flight are at
 * most SYSTEMD_JOBS_MAX_IN_FLIGHT: a walk of the list is cheap. */
static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SystemdJobs *q = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                log_debug("Ignoring malformed JobRemoved signal: %d", r);
                return 0;
        }
        /* First the calls still awaiting their reply: they keep the news (no
         * callback runs here, so the list stays as it is). */
        for (BusJob *j = q->in_flight.head; j; j = j->next) {
                char *p, *res;

                if (j->job_path || !j->call_slot || !streq(unit, j->name))
                        continue;
                p = strdup(path);
                res = strdup(result);
                if (!p || !res) {
                        free(p);
                        free(res);
                        j->pending_error = -ENOMEM; /* its JobRemoved would be lost: end it below */
                        continue;
                }
                free(j->early_path);
                free(j->early_result);
                j->early_path = p;
                j->early_result = res;
        }
        /* Then the jobs of that path, one at a time: a callback may start or
         * cancel others, so the walk starts again after each. (systemd may
         * have merged two of our requests into one job.) */
        for (;;) {
                BusJob *found = NULL;

                for (BusJob *j = q->in_flight.head; j && !found; j = j->next)
                        if (j->pending_error < 0 || (j->job_path && streq(path, j->job_path)))
                                found = j;
                if (!found)
                        break;
                if (found->pending_error < 0)
                        bus_job_finish(found, found->pending_error, NULL);
                else
                        bus_job_finish(found, job_result_to_errno(result), result);
        }
        return 0;
}

int bus_job_start(BusJob *j, BusJob **ret_job) {
        SystemdJobs *q = j->queue;
        int r;

        j->floating = !ret_job;
        if (!q->waiting.head && queue_has_room(q)) {
                j->state = BUS_JOB_IN_FLIGHT;
                list_append(&q->in_flight, j);
                r = bus_job_send(j);
                if (r < 0) {
                        bus_job_free(j);
                        return r;
                }
        } else {
                j->state = BUS_JOB_WAITING;
                list_append(&q->waiting, j);
        }
        if (ret_job)
                *ret_job = j;
        return 0;
}

int systemd_jobs_new(sd_bus *bus, SystemdJobs **ret) {
        SystemdJobs *q;
        int r;

        if (!bus || !ret)
                return -EINVAL;
        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->bus = sd_bus_ref(bus);
        /* On a direct connection to systemd there is no bus name to match on.
         * dbus-daemon handles a connection's messages in order: this match is
         * in place before any job's call reaches systemd. */
        r = sd_bus_match_signal_async(bus, &q->match, sd_bus_is_bus_client(bus) > 0 ? SYSTEMD_DEST : NULL,
                                      SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved", on_job_removed, NULL, q);
        if (r < 0) {
                systemd_jobs_free(q);
                return r;
        }
        *ret = q;
        return 0;
}

/* Jobs nobody owns go; owned ones end without a callback and wait for
 * their owner's bus_job_cancel(). */
static void queue_drop(JobList *l) {
        while (l->head) {
                BusJob *j = l->head;

                list_remove(l, j);
                j->state = BUS_JOB_DONE;
                j->queue = NULL;
                if (j->floating) {
                        bus_job_free(j);
                        continue;
                }
                j->call_slot = sd_bus_slot_unref(j->call_slot);
                j->resend = sd_event_source_disable_unref(j->resend);
        }
}

SystemdJobs *systemd_jobs_free(SystemdJobs *q) {
        if (!q)
                return NULL;
        q->dispatching = true;
        queue_drop(&q->waiting);
        queue_drop(&q->in_flight);
        sd_bus_slot_unref(q->match);
        sd_bus_unref(q->bus);
        free(q);
        return NULL;
}

sd_bus *systemd_jobs_bus(SystemdJobs *q) {
        return q ? q->bus : NULL;
}

unsigned systemd_jobs_in_flight(const SystemdJobs *q) {
        return q ? q->in_flight.n : 0;
}

unsigned systemd_jobs_waiting(const SystemdJobs *q) {
        return q ? q->waiting.n : 0;
}
