/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "reconcile/health.h"
#include "shared/escape.h"
#include "shared/macro.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)

static const char *const probe_type_table[_PROBE_TYPE_MAX] = {
        [PROBE_TYPE_STARTUP] = "startup",
        [PROBE_TYPE_LIVENESS] = "liveness",
        [PROBE_TYPE_READINESS] = "readiness",
};

static const char *const health_table[_HEALTH_MAX] = {
        [HEALTH_NONE] = "",
        [HEALTH_STARTING] = "starting",
        [HEALTH_HEALTHY] = "healthy",
        [HEALTH_UNHEALTHY] = "unhealthy",
};

static const char *const event_table[_HEALTH_EV_MAX] = {
        [HEALTH_EV_CONTAINER_STARTED] = "container-started",
        [HEALTH_EV_CONTAINER_ADOPTED] = "container-adopted",
        [HEALTH_EV_CONTAINER_STOPPED] = "container-stopped",
        [HEALTH_EV_PROBE_DUE] = "probe-due",
        [HEALTH_EV_PROBE_RESULT] = "probe-result",
        [HEALTH_EV_NOTIFY_READY] = "notify-ready",
        [HEALTH_EV_NOTIFY_STATUS] = "notify-status",
        [HEALTH_EV_NOTIFY_WATCHDOG] = "notify-watchdog",
        [HEALTH_EV_WATCHDOG_DUE] = "watchdog-due",
};

static const char *const action_table[_HEALTH_ACTION_MAX] = {
        [HEALTH_RUN_PROBE] = "run-probe",
        [HEALTH_CANCEL_PROBE] = "cancel-probe",
        [HEALTH_ARM_PROBE_TIMER] = "arm-probe-timer",
        [HEALTH_DISARM_PROBE_TIMER] = "disarm-probe-timer",
        [HEALTH_ARM_WATCHDOG] = "arm-watchdog",
        [HEALTH_DISARM_WATCHDOG] = "disarm-watchdog",
        [HEALTH_LOG] = "log",
        [HEALTH_READY_CHANGED] = "ready-changed",
        [HEALTH_HEALTH_CHANGED] = "health-changed",
        [HEALTH_KILL] = "kill",
};

const char *probe_type_to_string(ProbeType t) {
        return t >= 0 && t < _PROBE_TYPE_MAX ? probe_type_table[t] : NULL;
}

const char *health_to_string(Health h) {
        return h >= 0 && h < _HEALTH_MAX ? health_table[h] : NULL;
}

const char *health_event_to_string(HealthEventType t) {
        return t >= 0 && t < _HEALTH_EV_MAX ? event_table[t] : NULL;
}

const char *health_action_to_string(HealthActionType t) {
        return t >= 0 && t < _HEALTH_ACTION_MAX ? action_table[t] : NULL;
}

bool health_params_any(const HealthParams *params) {
        if (params->notify)
                return true;
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++)
                if (params->probe[t].set)
                        return true;
        return false;
}

/* ---- parameters, with Kubernetes' defaults for what is zero ---- */

static uint64_t period_of(const HealthProbeParams *p) {
        return p->period_usec ?: 10 * USEC_PER_SEC;
}

static uint64_t timeout_of(const HealthProbeParams *p) {
        return p->timeout_usec ?: 1 * USEC_PER_SEC;
}

static unsigned success_threshold_of(const HealthProbeParams *p) {
        return p->success_threshold ?: 1;
}

static unsigned failure_threshold_of(const HealthProbeParams *p) {
        return p->failure_threshold ?: 3;
}

static bool watchdog_enabled(const HealthParams *params) {
        return params->notify && params->watchdog_usec > 0;
}

/* ---- text ---- */

/* Appends src to the NUL-terminated dst of size HEALTH_TEXT_MAX, cut at a
 * UTF-8 boundary so that a truncated reason is still valid text. */
static void text_append(char *dst, const char *src) {
        size_t n = strlen(dst), m;

        if (!src)
                return;
        m = strlen(src);
        if (n + m > HEALTH_TEXT_MAX - 1)
                m = utf8_cut_len(src, HEALTH_TEXT_MAX - 1 - n);
        memcpy(dst + n, src, m);
        dst[n + m] = 0;
}

static void text_set(char *dst, const char *a, const char *b) {
        dst[0] = 0;
        text_append(dst, a);
        text_append(dst, b);
}

static void format_span(char *buf, size_t size, uint64_t usec) {
        if (usec % USEC_PER_SEC == 0)
                (void) snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                (void) snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                (void) snprintf(buf, size, "%" PRIu64 "us", usec);
}

/* ---- actions ---- */

static HealthAction *push(HealthActions *a, HealthActionType type) {
        HealthAction *x;

        /* The most one step gives is KILL's: 3 cancels or disarms, the watchdog's, LOG, READY, HEALTH,
         * KILL; running out is a bug in this file. */
        assert(a->n < HEALTH_ACTIONS_MAX);
        x = &a->action[a->n++];
        *x = (HealthAction) { .type = type };
        return x;
}

static void push_probe(HealthActions *a, HealthActionType type, ProbeType t, uint64_t at) {
        HealthAction *x = push(a, type);

        x->probe = t;
        x->at_usec = at;
}

static void push_log(HealthActions *a, const char *s1, const char *s2, const char *s3) {
        HealthAction *x = push(a, HEALTH_LOG);

        text_set(x->text, s1, s2);
        text_append(x->text, s3);
}

static void arm_probe(HealthState *s, HealthActions *a, ProbeType t, uint64_t at) {
        s->probe[t].armed = true;
        s->probe[t].due_usec = at;
        push_probe(a, HEALTH_ARM_PROBE_TIMER, t, at);
}

/* Ends every probe and the watchdog: in flight runs cancelled, timers disarmed. */
static void quiesce(HealthState *s, HealthActions *a) {
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++) {
                HealthProbeState *p = &s->probe[t];

                if (p->running)
                        push_probe(a, HEALTH_CANCEL_PROBE, t, 0);
                if (p->armed)
                        push_probe(a, HEALTH_DISARM_PROBE_TIMER, t, 0);
                p->running = p->armed = false;
        }
        if (s->watchdog_usec > 0)
                push(a, HEALTH_DISARM_WATCHDOG);
        s->watchdog_usec = 0;
}

/* ---- derived values ---- */

static bool compute_ready(const HealthParams *params, const HealthState *s) {
        if (!s->running || s->killed || !s->started_up)
                return false;
        if (params->probe[PROBE_TYPE_READINESS].set && !s->probe[PROBE_TYPE_READINESS].passing)
                return false;
        if (params->notify && !s->notify_ready)
                return false;
        return true;
}

static Health compute_health(const HealthParams *params, const HealthState *s, char reason[static HEALTH_TEXT_MAX]) {
        reason[0] = 0;
        if (!s->running || !health_params_any(params))
                return HEALTH_NONE;
        if (s->killed) {
                text_set(reason, s->health_reason, NULL);
                return HEALTH_UNHEALTHY;
        }
        if (!s->started_up || !s->ever_ready)
                return HEALTH_STARTING;
        if (params->probe[PROBE_TYPE_READINESS].set && !s->probe[PROBE_TYPE_READINESS].passing) {
                text_set(reason, "readiness: ", s->probe[PROBE_TYPE_READINESS].reason);
                return HEALTH_UNHEALTHY;
        }
        return HEALTH_HEALTHY;
}

/* Announces ready and health where they changed, or always (at a start). */
static void announce(const HealthParams *params, HealthState *s, HealthActions *a, bool always) {
        char reason[HEALTH_TEXT_MAX];
        bool ready = compute_ready(params, s);
        Health h;

        if (ready)
                s->ever_ready = true;
        if (always || ready != s->ready) {
                s->ready = ready;
                push(a, HEALTH_READY_CHANGED)->ready = ready;
        }

        h = compute_health(params, s, reason);
        if (always || h != s->health) {
                HealthAction *x = push(a, HEALTH_HEALTH_CHANGED);

                x->health = h;
                text_set(x->text, reason, NULL);
        }
        s->health = h;
        text_set(s->health_reason, reason, NULL);
}

static void kill_container(const HealthParams *params, HealthState *s, HealthActions *a, const char *what,
                           const char *why) {
        HealthAction *x;

        push_log(a, "Killing the container, unhealthy: ", what, why);
        quiesce(s, a);
        s->killed = true;
        text_set(s->health_reason, what, why);
        announce(params, s, a, false);
        x = push(a, HEALTH_KILL);
        text_set(x->text, what, why);
}

/* ---- steps ---- */

static void arm_main_probes(const HealthParams *params, HealthState *s, HealthActions *a, uint64_t now) {
        for (ProbeType t = PROBE_TYPE_LIVENESS; t <= PROBE_TYPE_READINESS; t++)
                if (params->probe[t].set)
                        arm_probe(s, a, t, MAX(s->start_usec + params->probe[t].initial_delay_usec, now));
}

static void step_start(const HealthParams *params, HealthState *s, const HealthEvent *ev, bool started_up,
                       bool ready_notified, HealthActions *a) {
        *s = (HealthState) {
                .running = true,
                .start_usec = ev->now_usec,
                .started_up = started_up || !params->probe[PROBE_TYPE_STARTUP].set,
                .notify_ready = ready_notified && params->notify,
        };

        if (s->started_up)
                arm_main_probes(params, s, a, ev->now_usec);
        else
                arm_probe(s, a, PROBE_TYPE_STARTUP,
                          ev->now_usec + params->probe[PROBE_TYPE_STARTUP].initial_delay_usec);

        if (watchdog_enabled(params)) {
                s->watchdog_usec = ev->now_usec + params->watchdog_usec;
                push(a, HEALTH_ARM_WATCHDOG)->at_usec = s->watchdog_usec;
        }
        announce(params, s, a, true);
}

static void step_stop(const HealthParams *params, HealthState *s, HealthActions *a) {
        quiesce(s, a);
        s->running = false;
        announce(params, s, a, false);
        /* Nothing of this run may leak into the next (announce() left ready false, health none). */
        memset(s, 0, sizeof *s);
}

static int step_probe_due(const HealthParams *params, HealthState *s, const HealthEvent *ev, HealthActions *a) {
        HealthProbeState *p = &s->probe[ev->probe];

        if (!p->armed || p->running)
                return HEALTH_IGNORED;
        if (ev->now_usec < p->due_usec) {
                arm_probe(s, a, ev->probe, p->due_usec);
                return 0;
        }
        p->armed = false;
        p->running = true;
        p->started_usec = ev->now_usec;
        push_probe(a, HEALTH_RUN_PROBE, ev->probe, ev->now_usec + timeout_of(&params->probe[ev->probe]));
        return 0;
}

static int step_probe_result(const HealthParams *params, HealthState *s, const HealthEvent *ev,
                             HealthActions *a) {
        const HealthProbeParams *pp = &params->probe[ev->probe];
        HealthProbeState *p = &s->probe[ev->probe];
        const char *name = probe_type_to_string(ev->probe);
        char prefix[32];
        bool ok;

        if (!p->running)
                return HEALTH_IGNORED;
        p->running = false;

        ok = ev->success && !ev->timed_out && ev->now_usec <= p->started_usec + timeout_of(pp);
        if (ok)
                text_set(p->reason, ev->text, NULL);
        else if (ev->timed_out || ev->success) {
                char span[32];

                format_span(span, sizeof span, timeout_of(pp));
                text_set(p->reason, "timed out after ", span);
        } else
                text_set(p->reason, ev->text && ev->text[0] ? ev->text : "failed", NULL);

        (void) snprintf(prefix, sizeof prefix, "%s: ", name);

        if (ok) {
                if (p->failures > 0)
                        push_log(a, name, " probe succeeded again", NULL);
                p->failures = 0;
                if (p->successes < UINT_MAX)
                        p->successes++;
        } else {
                p->successes = 0;
                if (p->failures < UINT_MAX)
                        p->failures++;
                if (p->failures <= failure_threshold_of(pp)) {
                        char count[48];

                        (void) snprintf(count, sizeof count, " probe failed (%u/%u): ", p->failures,
                                        failure_threshold_of(pp));
                        push_log(a, name, count, p->reason);
                }
        }

        switch (ev->probe) {

        case PROBE_TYPE_STARTUP:
                if (!ok && p->failures >= failure_threshold_of(pp)) {
                        kill_container(params, s, a, prefix, p->reason);
                        return 0;
                }
                if (ok && p->successes >= success_threshold_of(pp)) {
                        p->passing = true;
                        s->started_up = true;
                        arm_main_probes(params, s, a, ev->now_usec);
                        announce(params, s, a, false);
                        return 0;
                }
                break;

        case PROBE_TYPE_LIVENESS:
                if (!ok && p->failures >= failure_threshold_of(pp)) {
                        kill_container(params, s, a, prefix, p->reason);
                        return 0;
                }
                break;

        case PROBE_TYPE_READINESS:
                if (ok && p->successes >= success_threshold_of(pp))
                        p->passing = true;
                else if (!ok && p->failures >= failure_threshold_of(pp))
                        p->passing = false;
                break;

        default:
                abort();
        }

        arm_probe(s, a, ev->probe, MAX(p->started_usec + period_of(pp), ev->now_usec));
        announce(params, s, a, false);
        return 0;
}

static int step_watchdog_due(const HealthParams *params, HealthState *s, const HealthEvent *ev,
                             HealthActions *a) {
        char span[32];

        if (s->watchdog_usec == 0)
                return HEALTH_IGNORED;
        if (ev->now_usec < s->watchdog_usec) {
                push(a, HEALTH_ARM_WATCHDOG)->at_usec = s->watchdog_usec;
                return 0;
        }
        format_span(span, sizeof span, params->watchdog_usec);
        kill_container(params, s, a, "watchdog: no WATCHDOG=1 for ", span);
        return 0;
}

int health_step(const HealthParams *params, HealthState *s, const HealthEvent *ev, HealthActions *ret_actions) {
        HealthActions a = {};
        int r = 0;

        assert(params);
        assert(s);
        assert(ev);
        assert(ret_actions);

        if (ev->type < 0 || ev->type >= _HEALTH_EV_MAX)
                return -EINVAL;
        if ((ev->type == HEALTH_EV_PROBE_DUE || ev->type == HEALTH_EV_PROBE_RESULT) &&
            (ev->probe < 0 || ev->probe >= _PROBE_TYPE_MAX))
                return -EINVAL;

        switch (ev->type) {

        case HEALTH_EV_CONTAINER_STARTED:
        case HEALTH_EV_CONTAINER_ADOPTED:
                if (s->running)
                        return -EBUSY;
                step_start(params, s, ev, ev->type == HEALTH_EV_CONTAINER_ADOPTED && ev->started_up,
                           ev->ready_notified, &a);
                break;

        case HEALTH_EV_CONTAINER_STOPPED:
                if (!s->running)
                        r = HEALTH_IGNORED;
                else
                        step_stop(params, s, &a);
                break;

        default:
                if (!s->running || s->killed)
                        r = HEALTH_IGNORED;
                else if (ev->type == HEALTH_EV_PROBE_DUE)
                        r = step_probe_due(params, s, ev, &a);
                else if (ev->type == HEALTH_EV_PROBE_RESULT)
                        r = step_probe_result(params, s, ev, &a);
                else if (ev->type == HEALTH_EV_WATCHDOG_DUE)
                        r = step_watchdog_due(params, s, ev, &a);
                else if (!params->notify)
                        r = HEALTH_IGNORED;
                else if (ev->type == HEALTH_EV_NOTIFY_READY) {
                        s->notify_ready = true;
                        announce(params, s, &a, false);
                } else if (ev->type == HEALTH_EV_NOTIFY_STATUS)
                        text_set(s->status, ev->text, NULL);
                else if (ev->type == HEALTH_EV_NOTIFY_WATCHDOG) {
                        if (!watchdog_enabled(params))
                                r = HEALTH_IGNORED;
                        else {
                                s->watchdog_usec = ev->now_usec + params->watchdog_usec;
                                push(&a, HEALTH_ARM_WATCHDOG)->at_usec = s->watchdog_usec;
                        }
                } else
                        return -EINVAL;
        }

        *ret_actions = a;
        return r;
}
