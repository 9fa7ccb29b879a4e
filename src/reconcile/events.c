/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-id128.h>

#include "escape.h"
#include "log.h"
#include "reconcile/events.h"
#include "reconcile/reconciler-internal.h"
#include "strv.h"
#include "time-util.h"

static const char *const event_table[_TANK_EVENT_MAX] = {
        [TANK_EVENT_APPLIED] = "applied",
        [TANK_EVENT_PULLED] = "pulled",
        [TANK_EVENT_STARTED] = "started",
        [TANK_EVENT_OOM] = "oom",
        [TANK_EVENT_EXITED] = "exited",
        [TANK_EVENT_RESTARTED] = "restarted",
        [TANK_EVENT_FAILED] = "failed",
        [TANK_EVENT_HEALTH] = "health",
        [TANK_EVENT_ADOPTED] = "adopted",
        [TANK_EVENT_DELETED] = "deleted",
        [TANK_EVENT_ROLLOUT] = "rollout",
};

const char *tank_event_to_string(TankEventType t) {
        return t >= 0 && t < _TANK_EVENT_MAX ? event_table[t] : NULL;
}

TankEventType tank_event_from_string(const char *s) {
        for (TankEventType t = 0; t < _TANK_EVENT_MAX; t++)
                if (streq_ptr(event_table[t], s))
                        return t;
        return _TANK_EVENT_INVALID;
}

_printf_(2, 3)
static int field_add(char ***fields, const char *fmt, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(fields, s);
}

static int event_priority(TankEventType t, char **fields) {
        switch (t) {
        case TANK_EVENT_OOM:
        case TANK_EVENT_FAILED:
                return LOG_WARNING;
        case TANK_EVENT_EXITED:
                return strv_contains(fields, "TANK_EXIT_STATUS=0") ? LOG_INFO : LOG_NOTICE;
        case TANK_EVENT_ROLLOUT:
                return strv_contains(fields, "TANK_ROLLOUT_RESULT=succeeded") ? LOG_INFO : LOG_WARNING;
        default:
                return LOG_INFO;
        }
}

/* Two FNV-1a runs of key, as 32 hex digits: the id of an event that more
 * than one tankd may report (an exit that a restarted tankd reads again from
 * its records), so that readers print it once. */
static void id_from_key(const char *key, char ret[static TANK_EVENT_ID_MAX]) {
        uint64_t h[2] = { UINT64_C(0xcbf29ce484222325), UINT64_C(0x84222325cbf29ce4) };

        for (size_t i = 0; i < 2; i++)
                for (const unsigned char *p = (const unsigned char *) key; *p; p++)
                        h[i] = (h[i] ^ *p) * UINT64_C(0x100000001b3);
        (void) snprintf(ret, TANK_EVENT_ID_MAX, "%016" PRIx64 "%016" PRIx64, h[0], h[1]);
}

/* The entry, then the observer. Takes fields. key: NULL for a random id. A
 * failure loses this event only, with a warning: events report the
 * lifecycle, they never steer it. */
static void event_emit_key(Reconciler *rc, TankEventType type, const char *pod, const char *container,
                           char **fields, const char *message, const char *key) {
        _cleanup_strv_free_ char **f = fields;
        /* MESSAGE= is one line for humans, escaped as tankd's own log lines are
         * (a registry's or a workload's text must not forge lines or drive a
         * terminal); the TANK_* fields keep the bytes for programs. */
        _cleanup_free_ char *m = NULL, *ev = NULL, *id = NULL, *prio = NULL, *esc = NULL;
        _cleanup_free_ struct iovec *iov = NULL;
        size_t n = 0, nf = strv_length(f);
        sd_id128_t rnd;
        TankEvent e;
        int r;

        if (!f || (!key && sd_id128_randomize(&rnd) < 0))
                goto fail;
        e = (TankEvent) {
                .type = type, .at_usec = now_realtime_usec(), .pod = pod, .container = strempty(container),
                .message = message, .fields = f,
        };
        if (key)
                id_from_key(key, e.id);
        else
                sd_id128_to_string(rnd, e.id);

        iov = calloc(nf + 5, sizeof *iov);
        if (!iov ||
            !(esc = str_escape_control(message)) ||
            asprintf(&m, "MESSAGE=%s", esc) < 0 ||
            asprintf(&ev, "TANK_EVENT=%s", tank_event_to_string(type)) < 0 ||
            asprintf(&id, "TANK_EVENT_ID=%s", e.id) < 0 ||
            asprintf(&prio, "PRIORITY=%i", event_priority(type, f)) < 0)
                goto fail;
        e.message = esc;
        iov[n++] = (struct iovec) { m, strlen(m) };
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=tankd", strlen("SYSLOG_IDENTIFIER=tankd") };
        iov[n++] = (struct iovec) { ev, strlen(ev) };
        iov[n++] = (struct iovec) { id, strlen(id) };
        STRV_FOREACH(x, f)
                iov[n++] = (struct iovec) { *x, strlen(*x) };
        /* Never blocking the loop: dropped (and counted, said later) while journald is stalled. */
        r = journal_sender_send(rc->journal, iov, n);
        if (r < 0)
                log_debug_errno(r, "Cannot write event %s to the journal: %m", tank_event_to_string(type));
        if (rc->observer.event)
                rc->observer.event(rc, &e, rc->userdata);
        return;
fail:
        log_warning("Out of memory: event %s of %s is lost.", tank_event_to_string(type), pod);
}

static void event_emit(Reconciler *rc, TankEventType type, const char *pod, const char *container,
                       char **fields, const char *message) {
        event_emit_key(rc, type, pod, container, fields, message, NULL);
}

/* TANK_POD=, TANK_CONTAINER= and the container's facts. NULL on OOM. */
static char **container_fields(ContainerState *c) {
        const PodContainer *spec = c->pod->desired ? pod_find_container(c->pod->desired, c->name) : NULL;
        _cleanup_strv_free_ char **f = NULL;

        if (field_add(&f, "TANK_POD=%s", c->pod->name) < 0 ||
            field_add(&f, "TANK_CONTAINER=%s", c->name) < 0 ||
            field_add(&f, "TANK_RESTART=%u", c->lifecycle.restarts) < 0 ||
            (spec && spec->image && field_add(&f, "TANK_IMAGE=%s", spec->image) < 0) ||
            (c->image_digest && field_add(&f, "TANK_IMAGE_DIGEST=%s", c->image_digest) < 0) ||
            (c->unit && field_add(&f, "TANK_UNIT=%s", c->unit) < 0))
                return NULL;
        return TAKE_PTR(f);
}

_printf_(4, 5)
static void container_event(Reconciler *rc, ContainerState *c, TankEventType type, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return (void) log_oom();
        event_emit(rc, type, c->pod->name, c->name, container_fields(c), msg);
}

/* Keyed by the run's end (exit.json's time): a tankd that adopts a scope
 * found gone reads the same exit again, and may have reported it before. */
static void container_exit_events(Reconciler *rc, ContainerState *c) {
        const ExitInfo *e = &c->lifecycle.last_exit;
        _cleanup_strv_free_ char **f = container_fields(c);
        _cleanup_free_ char *msg = NULL, *how = NULL, *key = NULL;
        int status = e->signal ? 128 + e->signal : e->code;

        if (!e->valid)
                return;
        if (e->oom) {
                _cleanup_strv_free_ char **of = container_fields(c);
                _cleanup_free_ char *om = NULL, *ok = NULL;

                if (!of || asprintf(&om, "Container %s/%s was killed for want of memory.", c->pod->name, c->name) < 0 ||
                    asprintf(&ok, "oom/%s/%s/%" PRIu64, c->pod->name, c->name, e->at_usec) < 0)
                        return (void) log_oom();
                event_emit_key(rc, TANK_EVENT_OOM, c->pod->name, c->name, TAKE_PTR(of), om, ok);
        }
        if (!f ||
            field_add(&f, "TANK_EXIT_STATUS=%i", status) < 0 ||
            (e->signal ? field_add(&f, "TANK_EXIT_SIGNAL=%i", e->signal) :
                         field_add(&f, "TANK_EXIT_CODE=%i", e->code)) < 0 ||
            (e->oom && field_add(&f, "TANK_EXIT_OOM=1") < 0) ||
            (e->unhealthy && field_add(&f, "TANK_REASON=%s", e->unhealthy_reason) < 0) ||
            exit_info_to_string(e, &how) < 0 ||
            asprintf(&msg, "Container %s/%s exited with status %i (%s).", c->pod->name, c->name, status,
                     how) < 0 ||
            asprintf(&key, "exited/%s/%s/%" PRIu64, c->pod->name, c->name, e->at_usec) < 0)
                return (void) log_oom();
        event_emit_key(rc, TANK_EVENT_EXITED, c->pod->name, c->name, TAKE_PTR(f), msg, key);
}

static void container_backoff_event(Reconciler *rc, ContainerState *c, TankEventType type, uint64_t delay_usec) {
        _cleanup_strv_free_ char **f = container_fields(c);
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!f || field_add(&f, "TANK_BACKOFF_USEC=%" PRIu64, delay_usec) < 0 ||
            (type == TANK_EVENT_FAILED && c->message && field_add(&f, "TANK_REASON=%s", c->message) < 0))
                return (void) log_oom();
        if (type == TANK_EVENT_FAILED)
                r = asprintf(&msg, "Container %s/%s failed to start (%s); retrying in %" PRIu64 " ms.",
                             c->pod->name, c->name, strna(c->message), delay_usec / 1000);
        else
                r = asprintf(&msg, "Container %s/%s restarts in %" PRIu64 " ms (restart %u).", c->pod->name,
                             c->name, delay_usec / 1000, c->lifecycle.restarts);
        if (r < 0)
                return (void) log_oom();
        event_emit(rc, type, c->pod->name, c->name, TAKE_PTR(f), msg);
}

void events_container_step(Reconciler *rc, ContainerState *c, LifecycleEventType ev, const LifecycleState *before,
                           const LifecycleActions *a) {
        ContainerPhase old = before->phase;

        switch (ev) {
        case LIFECYCLE_EV_STARTED:
                if (c->lifecycle.phase == CONTAINER_RUNNING)
                        container_event(rc, c, TANK_EVENT_STARTED, "Container %s/%s started as %s (pid %i, restart %u).",
                                        c->pod->name, c->name, c->unit, (int) c->pid, c->lifecycle.restarts);
                break;
        case LIFECYCLE_EV_ADOPTED_RUNNING:
                if (c->lifecycle.phase == CONTAINER_RUNNING)
                        container_event(rc, c, TANK_EVENT_ADOPTED, "Container %s/%s adopted as it runs (pid %i).",
                                        c->pod->name, c->name, (int) c->pid);
                break;
        case LIFECYCLE_EV_EXITED:
        case LIFECYCLE_EV_ADOPTED_VANISHED:
                if (old != CONTAINER_RUNNING && old != CONTAINER_STOPPING && old != CONTAINER_WAITING)
                        break;
                container_exit_events(rc, c);
                if (c->lifecycle.phase == CONTAINER_BACKOFF && (a->mask & LIFECYCLE_ARM_RESTART))
                        container_backoff_event(rc, c, TANK_EVENT_RESTARTED, a->delay_usec);
                break;
        case LIFECYCLE_EV_START_FAILED:
        case LIFECYCLE_EV_PULL_FAILED:
        case LIFECYCLE_EV_UNPACK_FAILED:
                if (c->lifecycle.phase == CONTAINER_FAILED)
                        container_backoff_event(rc, c, TANK_EVENT_FAILED,
                                                (a->mask & LIFECYCLE_ARM_RESTART) ? a->delay_usec : 0);
                break;
        default:
                break;
        }
}

void events_container_pulled(Reconciler *rc, ContainerState *c, const char *digest) {
        _cleanup_strv_free_ char **f = container_fields(c);
        _cleanup_free_ char *msg = NULL;
        const PodContainer *spec = c->pod->desired ? pod_find_container(c->pod->desired, c->name) : NULL;

        if (!f || (!c->image_digest && digest && field_add(&f, "TANK_IMAGE_DIGEST=%s", digest) < 0) ||
            asprintf(&msg, "Image %s pulled for %s/%s (%s).", spec ? strna(spec->image) : "?", c->pod->name,
                     c->name, strna(digest)) < 0)
                return (void) log_oom();
        event_emit(rc, TANK_EVENT_PULLED, c->pod->name, c->name, TAKE_PTR(f), msg);
}

void events_container_health(Reconciler *rc, ContainerState *c) {
        _cleanup_strv_free_ char **f = container_fields(c);
        _cleanup_free_ char *msg = NULL;
        const char *h = health_to_string(c->health.health);

        /* A run without probes goes from nothing to nothing. */
        if (isempty(h) && isempty(c->health.health_reason))
                return;
        if (!f || field_add(&f, "TANK_HEALTH=%s", strempty(h)) < 0 ||
            (!isempty(c->health.health_reason) && field_add(&f, "TANK_REASON=%s", c->health.health_reason) < 0) ||
            asprintf(&msg, "Container %s/%s is %s%s%s.", c->pod->name, c->name, isempty(h) ? "not probed" : h,
                     isempty(c->health.health_reason) ? "" : ": ", c->health.health_reason) < 0)
                return (void) log_oom();
        event_emit(rc, TANK_EVENT_HEALTH, c->pod->name, c->name, TAKE_PTR(f), msg);
}

void events_pod_desired(Reconciler *rc, PodState *p, bool was_desired) {
        _cleanup_strv_free_ char **f = NULL;
        _cleanup_free_ char *msg = NULL;

        if (!p->desired && !was_desired)
                return;
        if (field_add(&f, "TANK_POD=%s", p->name) < 0)
                return (void) log_oom();
        if (p->desired) {
                if (field_add(&f, "TANK_REVISION=%" PRIi64, p->mod_revision) < 0 ||
                    asprintf(&msg, "Pod %s applied (revision %" PRIi64 ").", p->name, p->mod_revision) < 0)
                        return (void) log_oom();
                event_emit(rc, TANK_EVENT_APPLIED, p->name, NULL, TAKE_PTR(f), msg);
        } else {
                if (asprintf(&msg, "Pod %s deleted.", p->name) < 0)
                        return (void) log_oom();
                event_emit(rc, TANK_EVENT_DELETED, p->name, NULL, TAKE_PTR(f), msg);
        }
}

void events_pod_rollout(Reconciler *rc, PodState *p, int64_t revision, const char *result, const char *reason) {
        _cleanup_strv_free_ char **f = NULL;
        _cleanup_free_ char *msg = NULL, *key = NULL;

        /* A tankd restarted in the middle of a rollout may judge it again: one
         * id per revision and result, so that readers print it once. */
        if (field_add(&f, "TANK_POD=%s", p->name) < 0 ||
            field_add(&f, "TANK_REVISION=%" PRIi64, revision) < 0 ||
            field_add(&f, "TANK_ROLLOUT_RESULT=%s", result) < 0 ||
            (!isempty(reason) && field_add(&f, "TANK_REASON=%s", reason) < 0) ||
            asprintf(&msg, "Pod %s revision %" PRIi64 " %s%s%s.", p->name, revision, result,
                     isempty(reason) ? "" : ": ", strempty(reason)) < 0 ||
            asprintf(&key, "rollout/%s/%" PRIi64 "/%s", p->name, revision, result) < 0)
                return (void) log_oom();
        event_emit_key(rc, TANK_EVENT_ROLLOUT, p->name, NULL, TAKE_PTR(f), msg, key);
}
