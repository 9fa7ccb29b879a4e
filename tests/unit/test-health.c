/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check-run.h"
#include "reconcile/health.h"

#define MSEC 1000ULL
#define SEC 1000000ULL
/* A monotonic clock well past zero, so that "0" never passes for a time. */
#define T0 (1000 * SEC)
#define AT(s) (T0 + (uint64_t) ((s) * SEC))

static HealthProbeParams probe(uint64_t delay_s, uint64_t period_s, unsigned success, unsigned failure) {
        return (HealthProbeParams) {
                .set = true,
                .initial_delay_usec = delay_s * SEC,
                .period_usec = period_s * SEC,
                .timeout_usec = 1 * SEC,
                .success_threshold = success,
                .failure_threshold = failure,
        };
}

/* The actions as one line, times in ms since T0, so that a test states the
 * whole step: an extra or a missing action fails as surely as a wrong one. */
static const char *actions_str(const HealthActions *a, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (size_t i = 0; i < a->n; i++) {
                const HealthAction *x = &a->action[i];
                const char *name = health_action_to_string(x->type);
                const char *pt = probe_type_to_string(x->probe);
                uint64_t ms = x->at_usec >= T0 ? (x->at_usec - T0) / MSEC : 0;

#define OUT(...) (n += snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__))
                if (i > 0)
                        OUT(",");
                switch (x->type) {
                case HEALTH_RUN_PROBE:
                case HEALTH_ARM_PROBE_TIMER:
                        OUT("%s(%s,%" PRIu64 ")", name, pt, ms);
                        break;
                case HEALTH_CANCEL_PROBE:
                case HEALTH_DISARM_PROBE_TIMER:
                        OUT("%s(%s)", name, pt);
                        break;
                case HEALTH_ARM_WATCHDOG:
                        OUT("%s(%" PRIu64 ")", name, ms);
                        break;
                case HEALTH_READY_CHANGED:
                        OUT("%s(%d)", name, x->ready);
                        break;
                case HEALTH_HEALTH_CHANGED:
                        OUT("%s(%s:%s)", name, health_to_string(x->health), x->text);
                        break;
                case HEALTH_KILL:
                        OUT("%s(%s)", name, x->text);
                        break;
                default:
                        OUT("%s", name);
                }
#undef OUT
        }
        return buf;
}

#define assert_actions(a, want)                                                                         \
        do {                                                                                            \
                HealthActions _a = (a);                                                                 \
                char _got[2048];                                                                        \
                ck_assert_str_eq(actions_str(&_a, _got, sizeof _got), want);                            \
        } while (0)

static HealthActions feed(const HealthParams *p, HealthState *s, HealthEvent ev) {
        HealthActions a = { .n = SIZE_MAX };
        int r;

        r = health_step(p, s, &ev, &a);
        ck_assert_msg(r == 0, "%s: %d, expected handled", health_event_to_string(ev.type), r);
        ck_assert_uint_le(a.n, HEALTH_ACTIONS_MAX);
        return a;
}

static void feed_ignored(const HealthParams *p, HealthState *s, HealthEvent ev) {
        HealthState before = *s;
        HealthActions a = { .n = SIZE_MAX };

        ck_assert_int_eq(health_step(p, s, &ev, &a), HEALTH_IGNORED);
        ck_assert_uint_eq(a.n, 0);
        ck_assert(memcmp(&before, s, sizeof before) == 0);
}

static HealthActions started(const HealthParams *p, HealthState *s, double at) {
        return feed(p, s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STARTED, .now_usec = AT(at) });
}

static HealthActions due(const HealthParams *p, HealthState *s, ProbeType t, double at) {
        return feed(p, s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = t, .now_usec = AT(at) });
}

static HealthActions result(const HealthParams *p, HealthState *s, ProbeType t, bool ok, const char *why,
                            double at) {
        return feed(p, s, (HealthEvent) { .type = HEALTH_EV_PROBE_RESULT, .probe = t, .success = ok,
                                          .text = why, .now_usec = AT(at) });
}

static HealthActions stopped(const HealthParams *p, HealthState *s) {
        return feed(p, s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STOPPED });
}

static const char *log_text(const HealthActions *a) {
        for (size_t i = 0; i < a->n; i++)
                if (a->action[i].type == HEALTH_LOG)
                        return a->action[i].text;
        return NULL;
}

START_TEST(test_names) {
        for (ProbeType t = 0; t < _PROBE_TYPE_MAX; t++)
                ck_assert_ptr_nonnull(probe_type_to_string(t));
        for (Health h = 0; h < _HEALTH_MAX; h++)
                ck_assert_ptr_nonnull(health_to_string(h));
        for (HealthEventType e = 0; e < _HEALTH_EV_MAX; e++)
                ck_assert_ptr_nonnull(health_event_to_string(e));
        for (HealthActionType a = 0; a < _HEALTH_ACTION_MAX; a++)
                ck_assert_ptr_nonnull(health_action_to_string(a));
        ck_assert_str_eq(health_to_string(HEALTH_NONE), "");
        ck_assert_ptr_null(probe_type_to_string(_PROBE_TYPE_MAX));
}
END_TEST

START_TEST(test_invalid) {
        HealthParams p = {};
        HealthState s = {};
        HealthActions a;
        HealthEvent ev = { .type = _HEALTH_EV_MAX };

        ck_assert_int_eq(health_step(&p, &s, &ev, &a), -EINVAL);
        started(&p, &s, 0);
        ev = (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = _PROBE_TYPE_MAX };
        ck_assert_int_eq(health_step(&p, &s, &ev, &a), -EINVAL);
        ev = (HealthEvent) { .type = HEALTH_EV_CONTAINER_STARTED, .now_usec = T0 };
        ck_assert_int_eq(health_step(&p, &s, &ev, &a), -EBUSY);
        ev.type = HEALTH_EV_CONTAINER_ADOPTED;
        ck_assert_int_eq(health_step(&p, &s, &ev, &a), -EBUSY);
}
END_TEST

START_TEST(test_no_probes) {
        HealthParams p = {};
        HealthState s = {};
        HealthActions a;

        ck_assert(!health_params_any(&p));
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STOPPED });
        a = started(&p, &s, 0);
        assert_actions(a, "ready-changed(1),health-changed(:)");
        ck_assert(s.ready);
        ck_assert_int_eq(s.health, HEALTH_NONE);
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_LIVENESS,
                                             .now_usec = AT(5) });
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_READY, .now_usec = AT(5) });
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE, .now_usec = AT(5) });
        a = stopped(&p, &s);
        assert_actions(a, "ready-changed(0)");
        ck_assert(!s.ready && !s.running);
}
END_TEST

START_TEST(test_liveness_threshold) {
        HealthParams p = { .probe[PROBE_TYPE_LIVENESS] = probe(5, 10, 1, 3) };
        HealthState s = {};
        HealthActions a;

        a = started(&p, &s, 0);
        assert_actions(a, "arm-probe-timer(liveness,5000),ready-changed(1),health-changed(healthy:)");

        /* Two failures, a success, two failures: the streak is what counts. */
        assert_actions(due(&p, &s, PROBE_TYPE_LIVENESS, 5), "run-probe(liveness,6000)");
        a = result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 503", 5.5);
        assert_actions(a, "log,arm-probe-timer(liveness,15000)");
        ck_assert_str_eq(log_text(&a), "liveness probe failed (1/3): http 503");
        due(&p, &s, PROBE_TYPE_LIVENESS, 15);
        a = result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 503", 15.5);
        assert_actions(a, "log,arm-probe-timer(liveness,25000)");
        ck_assert_int_eq(s.health, HEALTH_HEALTHY);
        ck_assert(s.ready);
        due(&p, &s, PROBE_TYPE_LIVENESS, 25);
        a = result(&p, &s, PROBE_TYPE_LIVENESS, true, NULL, 25.5);
        assert_actions(a, "log,arm-probe-timer(liveness,35000)");
        ck_assert_str_eq(log_text(&a), "liveness probe succeeded again");
        for (int i = 0; i < 2; i++) {
                due(&p, &s, PROBE_TYPE_LIVENESS, 35 + 10 * i);
                a = result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 500", 35.5 + 10 * i);
                assert_actions(a, i == 0 ? "log,arm-probe-timer(liveness,45000)"
                                         : "log,arm-probe-timer(liveness,55000)");
        }

        /* The third in a row kills. */
        due(&p, &s, PROBE_TYPE_LIVENESS, 55);
        a = result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 503", 55.5);
        assert_actions(a, "log,log,ready-changed(0),health-changed(unhealthy:liveness: http 503),"
                          "kill(liveness: http 503)");
        ck_assert(s.killed);

        /* Until the stop, nothing more happens. */
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_LIVENESS,
                                             .now_usec = AT(65) });
        a = stopped(&p, &s);
        assert_actions(a, "health-changed(:)");
}
END_TEST

START_TEST(test_initial_delay_and_period) {
        HealthParams p = { .probe[PROBE_TYPE_LIVENESS] = probe(5, 10, 1, 3) };
        HealthState s = {};

        started(&p, &s, 0);
        /* Early: re-armed for the same time, not run. */
        assert_actions(due(&p, &s, PROBE_TYPE_LIVENESS, 1), "arm-probe-timer(liveness,5000)");
        ck_assert(!s.probe[PROBE_TYPE_LIVENESS].running);
        assert_actions(due(&p, &s, PROBE_TYPE_LIVENESS, 5), "run-probe(liveness,6000)");
        /* The period counts from the run's start, not from its result. */
        assert_actions(result(&p, &s, PROBE_TYPE_LIVENESS, true, NULL, 5.8), "arm-probe-timer(liveness,15000)");
}
END_TEST

START_TEST(test_no_probe_in_flight_twice) {
        HealthParams p = { .probe[PROBE_TYPE_LIVENESS] = probe(0, 2, 1, 3) };
        HealthState s = {};
        HealthActions a;

        p.probe[PROBE_TYPE_LIVENESS].timeout_usec = 5 * SEC;
        a = started(&p, &s, 0);
        assert_actions(a, "arm-probe-timer(liveness,0),ready-changed(1),health-changed(healthy:)");
        assert_actions(due(&p, &s, PROBE_TYPE_LIVENESS, 0), "run-probe(liveness,5000)");
        /* A stale or doubled timer while the run is in flight starts nothing. */
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_LIVENESS,
                                             .now_usec = AT(2) });
        /* The run outlasted its period: the next one follows at once, after the result. */
        assert_actions(result(&p, &s, PROBE_TYPE_LIVENESS, true, NULL, 3), "arm-probe-timer(liveness,3000)");
        /* A result nobody waits for is stale. */
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_RESULT, .probe = PROBE_TYPE_LIVENESS,
                                             .success = false, .now_usec = AT(3) });
}
END_TEST

START_TEST(test_timeout_is_failure) {
        HealthParams p = { .probe[PROBE_TYPE_LIVENESS] = probe(0, 10, 1, 2) };
        HealthState s = {};
        HealthActions a;

        started(&p, &s, 0);
        assert_actions(due(&p, &s, PROBE_TYPE_LIVENESS, 0), "run-probe(liveness,1000)");
        /* Abandoned at the deadline: a failure, whatever else the caller read of it. */
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_RESULT, .probe = PROBE_TYPE_LIVENESS,
                                         .success = true, .timed_out = true, .now_usec = AT(1) });
        assert_actions(a, "log,arm-probe-timer(liveness,10000)");
        ck_assert_str_eq(log_text(&a), "liveness probe failed (1/2): timed out after 1s");
        /* A success that comes after the deadline is a timeout too. */
        due(&p, &s, PROBE_TYPE_LIVENESS, 10);
        a = result(&p, &s, PROBE_TYPE_LIVENESS, true, NULL, 11.5);
        assert_actions(a, "log,log,ready-changed(0),health-changed(unhealthy:liveness: timed out after 1s),"
                          "kill(liveness: timed out after 1s)");
}
END_TEST

START_TEST(test_readiness) {
        HealthParams p = { .probe[PROBE_TYPE_READINESS] = probe(0, 10, 2, 2) };
        HealthState s = {};
        HealthActions a;
        double t = 0;

        a = started(&p, &s, 0);
        assert_actions(a, "arm-probe-timer(readiness,0),ready-changed(0),health-changed(starting:)");

        /* Failures before the first pass change nothing but the log. */
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, false, "tcp refused", t + 0.1),
                       "log,arm-probe-timer(readiness,10000)");
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, false, "tcp refused", t + 0.1),
                       "log,arm-probe-timer(readiness,20000)");
        ck_assert_int_eq(s.health, HEALTH_STARTING);

        /* success_threshold 2: one success is not ready, two are. */
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, t + 0.1),
                       "log,arm-probe-timer(readiness,30000)");
        ck_assert(!s.ready);
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, t + 0.1),
                       "arm-probe-timer(readiness,40000),ready-changed(1),health-changed(healthy:)");

        /* Failing: one keeps it ready, two make it not ready, without a kill. */
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, false, "http 500", t + 0.1),
                       "log,arm-probe-timer(readiness,50000)");
        ck_assert(s.ready);
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, false, "http 500", t + 0.1),
                       "log,arm-probe-timer(readiness,60000),ready-changed(0),"
                       "health-changed(unhealthy:readiness: http 500)");
        /* It goes on being probed, and the log stops repeating past the threshold. */
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, false, "http 500", t + 0.1),
                       "arm-probe-timer(readiness,70000)");

        /* And back. */
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, t + 0.1),
                       "log,arm-probe-timer(readiness,80000)");
        ck_assert(!s.ready);
        t += 10;
        due(&p, &s, PROBE_TYPE_READINESS, t);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, t + 0.1),
                       "arm-probe-timer(readiness,90000),ready-changed(1),health-changed(healthy:)");
        ck_assert(!s.killed);
}
END_TEST

START_TEST(test_startup_gating) {
        HealthParams p = {
                .probe[PROBE_TYPE_STARTUP] = probe(2, 1, 1, 3),
                .probe[PROBE_TYPE_LIVENESS] = probe(10, 10, 1, 3),
                .probe[PROBE_TYPE_READINESS] = probe(0, 5, 1, 3),
        };
        HealthState s = {};
        HealthActions a;

        a = started(&p, &s, 0);
        assert_actions(a, "arm-probe-timer(startup,2000),ready-changed(0),health-changed(starting:)");
        /* Liveness and readiness are not armed: their timers, if any fired, are stale. */
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_LIVENESS,
                                             .now_usec = AT(10) });
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_READINESS,
                                             .now_usec = AT(10) });

        due(&p, &s, PROBE_TYPE_STARTUP, 2);
        assert_actions(result(&p, &s, PROBE_TYPE_STARTUP, false, "exec exit 1", 2.1),
                       "log,arm-probe-timer(startup,3000)");
        due(&p, &s, PROBE_TYPE_STARTUP, 3);
        /* Passed: startup is done for good; liveness keeps its delay from the start, readiness runs now. */
        assert_actions(result(&p, &s, PROBE_TYPE_STARTUP, true, NULL, 3.1),
                       "log,arm-probe-timer(liveness,10000),arm-probe-timer(readiness,3100)");
        ck_assert(s.started_up);
        ck_assert(!s.probe[PROBE_TYPE_STARTUP].armed);
        ck_assert_int_eq(s.health, HEALTH_STARTING);

        due(&p, &s, PROBE_TYPE_READINESS, 3.1);
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, 3.2),
                       "arm-probe-timer(readiness,8100),ready-changed(1),health-changed(healthy:)");
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_DUE, .probe = PROBE_TYPE_STARTUP,
                                             .now_usec = AT(4) });
}
END_TEST

START_TEST(test_startup_exhausted) {
        HealthParams p = {
                .probe[PROBE_TYPE_STARTUP] = probe(0, 1, 1, 3),
                .probe[PROBE_TYPE_LIVENESS] = probe(0, 10, 1, 3),
        };
        HealthState s = {};
        HealthActions a;

        started(&p, &s, 0);
        for (int i = 0; i < 2; i++) {
                due(&p, &s, PROBE_TYPE_STARTUP, i);
                result(&p, &s, PROBE_TYPE_STARTUP, false, "exec exit 1", i + 0.1);
        }
        ck_assert(!s.probe[PROBE_TYPE_LIVENESS].armed);
        due(&p, &s, PROBE_TYPE_STARTUP, 2);
        a = result(&p, &s, PROBE_TYPE_STARTUP, false, "exec exit 1", 2.1);
        assert_actions(a, "log,log,health-changed(unhealthy:startup: exec exit 1),kill(startup: exec exit 1)");
        ck_assert(!s.probe[PROBE_TYPE_LIVENESS].armed);
        a = stopped(&p, &s);
        assert_actions(a, "health-changed(:)");
}
END_TEST

START_TEST(test_notify_ready) {
        HealthParams p = { .notify = true };
        HealthState s = {};
        HealthActions a;

        a = started(&p, &s, 0);
        assert_actions(a, "ready-changed(0),health-changed(starting:)");
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_STATUS, .text = "loading the index" });
        assert_actions(a, "");
        ck_assert_str_eq(s.status, "loading the index");
        /* No watchdog asked for: WATCHDOG=1 means nothing. */
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_WATCHDOG, .now_usec = AT(1) });
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_READY, .now_usec = AT(1) });
        assert_actions(a, "ready-changed(1),health-changed(healthy:)");
}
END_TEST

/* READY=1 before tankd saw the start (the workload sends it at once after
 * the exec, the shim's "running" is read after it): the start takes it. */
START_TEST(test_notify_ready_before_start) {
        HealthParams p = { .notify = true };
        HealthState s = {};
        HealthActions a;

        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STARTED, .now_usec = AT(0),
                                         .ready_notified = true });
        assert_actions(a, "ready-changed(1),health-changed(healthy:)");
        ck_assert(s.notify_ready);

        /* Without "notify" in the spec it stands for nothing: ready as any
         * container without probes, not "healthy". */
        p.notify = false;
        s = (HealthState) {};
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_STARTED, .now_usec = AT(0),
                                         .ready_notified = true });
        assert_actions(a, "ready-changed(1),health-changed(:)");
        ck_assert(!s.notify_ready);
}
END_TEST

START_TEST(test_notify_and_readiness) {
        HealthParams p = { .notify = true, .probe[PROBE_TYPE_READINESS] = probe(0, 10, 1, 3) };
        HealthState s = {};
        HealthActions a;

        started(&p, &s, 0);
        due(&p, &s, PROBE_TYPE_READINESS, 0);
        /* The probe passes, but READY=1 has not come: both are needed. */
        assert_actions(result(&p, &s, PROBE_TYPE_READINESS, true, NULL, 0.1), "arm-probe-timer(readiness,10000)");
        ck_assert(!s.ready);
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_READY, .now_usec = AT(1) });
        assert_actions(a, "ready-changed(1),health-changed(healthy:)");
}
END_TEST

START_TEST(test_watchdog) {
        HealthParams p = { .notify = true, .watchdog_usec = 30 * SEC };
        HealthState s = {};
        HealthActions a;

        a = started(&p, &s, 0);
        assert_actions(a, "arm-watchdog(30000),ready-changed(0),health-changed(starting:)");
        feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_READY, .now_usec = AT(1) });
        /* Kept alive. */
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_WATCHDOG, .now_usec = AT(20) });
        assert_actions(a, "arm-watchdog(50000)");
        /* The old deadline's timer, not re-armed in time: re-armed, no kill. */
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE, .now_usec = AT(30) });
        assert_actions(a, "arm-watchdog(50000)");
        ck_assert(!s.killed);
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_WATCHDOG, .now_usec = AT(45) });
        assert_actions(a, "arm-watchdog(75000)");
        /* Missed. */
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE, .now_usec = AT(75) });
        assert_actions(a, "log,disarm-watchdog,ready-changed(0),"
                          "health-changed(unhealthy:watchdog: no WATCHDOG=1 for 30s),"
                          "kill(watchdog: no WATCHDOG=1 for 30s)");
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_WATCHDOG, .now_usec = AT(76) });
}
END_TEST

START_TEST(test_adoption) {
        HealthParams p = {
                .notify = true,
                .probe[PROBE_TYPE_STARTUP] = probe(0, 1, 1, 3),
                .probe[PROBE_TYPE_LIVENESS] = probe(5, 10, 1, 3),
        };
        HealthState s = {};
        HealthActions a;

        /* A run that had two liveness failures before tankd went away. */
        started(&p, &s, 0);
        due(&p, &s, PROBE_TYPE_STARTUP, 0);
        result(&p, &s, PROBE_TYPE_STARTUP, true, NULL, 0.1);
        for (int i = 0; i < 2; i++) {
                due(&p, &s, PROBE_TYPE_LIVENESS, 5 + 10 * i);
                result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 503", 5.1 + 10 * i);
        }
        ck_assert_uint_eq(s.probe[PROBE_TYPE_LIVENESS].failures, 2);

        /* tankd restarts: the state it loads is fresh. Recorded as started up and READY=1: startup
         * is skipped, liveness's delay counts from the adoption, the count from zero. */
        s = (HealthState) {};
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_ADOPTED, .now_usec = AT(100),
                                         .started_up = true, .ready_notified = true });
        assert_actions(a, "arm-probe-timer(liveness,105000),ready-changed(1),health-changed(healthy:)");
        for (int i = 0; i < 2; i++) {
                due(&p, &s, PROBE_TYPE_LIVENESS, 105 + 10 * i);
                a = result(&p, &s, PROBE_TYPE_LIVENESS, false, "http 503", 105.1 + 10 * i);
                ck_assert(!s.killed);
        }
        ck_assert_uint_eq(s.probe[PROBE_TYPE_LIVENESS].failures, 2);

        /* Not recorded as started up: the startup probe runs again, from the adoption. */
        s = (HealthState) {};
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_CONTAINER_ADOPTED, .now_usec = AT(200) });
        assert_actions(a, "arm-probe-timer(startup,200000),ready-changed(0),health-changed(starting:)");
        ck_assert(!s.started_up && !s.notify_ready);
}
END_TEST

START_TEST(test_stopped_disarms_everything) {
        HealthParams p = {
                .notify = true,
                .watchdog_usec = 30 * SEC,
                .probe[PROBE_TYPE_LIVENESS] = probe(0, 10, 1, 3),
                .probe[PROBE_TYPE_READINESS] = probe(0, 10, 1, 3),
        };
        HealthState s = {}, zero;
        HealthActions a;

        memset(&zero, 0, sizeof zero);
        started(&p, &s, 0);
        feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_NOTIFY_READY, .now_usec = AT(0) });
        due(&p, &s, PROBE_TYPE_READINESS, 0);
        result(&p, &s, PROBE_TYPE_READINESS, true, NULL, 0.1);
        ck_assert(s.ready);
        /* Liveness in flight, readiness armed, the watchdog armed. */
        due(&p, &s, PROBE_TYPE_LIVENESS, 0);
        a = stopped(&p, &s);
        assert_actions(a, "cancel-probe(liveness),disarm-probe-timer(readiness),disarm-watchdog,"
                          "ready-changed(0),health-changed(:)");
        ck_assert(memcmp(&s, &zero, sizeof s) == 0);
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_PROBE_RESULT, .probe = PROBE_TYPE_LIVENESS,
                                             .success = true, .now_usec = AT(0.5) });
        feed_ignored(&p, &s, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE, .now_usec = AT(30) });

        /* And a kill too quiesces what is armed and in flight. */
        started(&p, &s, 100);
        due(&p, &s, PROBE_TYPE_LIVENESS, 100);
        a = feed(&p, &s, (HealthEvent) { .type = HEALTH_EV_WATCHDOG_DUE, .now_usec = AT(130) });
        assert_actions(a, "log,cancel-probe(liveness),disarm-probe-timer(readiness),disarm-watchdog,"
                          "health-changed(unhealthy:watchdog: no WATCHDOG=1 for 30s),"
                          "kill(watchdog: no WATCHDOG=1 for 30s)");
}
END_TEST

START_TEST(test_reason_bounded) {
        HealthParams p = { .probe[PROBE_TYPE_READINESS] = probe(0, 10, 1, 1) };
        HealthState s = {};
        HealthActions a;
        char big[1000];

        /* "é" is two bytes; 255 bytes of text cannot end on a whole one after "x". */
        big[0] = 'x';
        for (size_t i = 1; i + 2 < sizeof big; i += 2)
                memcpy(big + i, "\xc3\xa9", 2);
        big[sizeof big - 1] = 0;

        started(&p, &s, 0);
        due(&p, &s, PROBE_TYPE_READINESS, 0);
        a = result(&p, &s, PROBE_TYPE_READINESS, true, NULL, 0.1);
        due(&p, &s, PROBE_TYPE_READINESS, 10);
        a = result(&p, &s, PROBE_TYPE_READINESS, false, big, 10.1);
        ck_assert_uint_eq(strlen(s.probe[PROBE_TYPE_READINESS].reason), 255);
        ck_assert_int_eq(memcmp(s.probe[PROBE_TYPE_READINESS].reason, big, 255), 0);
        /* The health reason has its prefix and loses a whole character at the end. */
        ck_assert_int_eq(s.health, HEALTH_UNHEALTHY);
        ck_assert_uint_lt(strlen(s.health_reason), HEALTH_TEXT_MAX);
        ck_assert_int_eq(strncmp(s.health_reason, "readiness: x\xc3\xa9", 14), 0);
        ck_assert_int_ne((unsigned char) s.health_reason[strlen(s.health_reason) - 1], 0xc3);
        ck_assert_uint_eq(a.action[a.n - 1].type, HEALTH_HEALTH_CHANGED);
        ck_assert_str_eq(a.action[a.n - 1].text, s.health_reason);
}
END_TEST

int main(void) {
        Suite *s = suite_create("health");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_invalid);
        tcase_add_test(tc, test_no_probes);
        tcase_add_test(tc, test_liveness_threshold);
        tcase_add_test(tc, test_initial_delay_and_period);
        tcase_add_test(tc, test_no_probe_in_flight_twice);
        tcase_add_test(tc, test_timeout_is_failure);
        tcase_add_test(tc, test_readiness);
        tcase_add_test(tc, test_startup_gating);
        tcase_add_test(tc, test_startup_exhausted);
        tcase_add_test(tc, test_notify_ready);
        tcase_add_test(tc, test_notify_ready_before_start);
        tcase_add_test(tc, test_notify_and_readiness);
        tcase_add_test(tc, test_watchdog);
        tcase_add_test(tc, test_adoption);
        tcase_add_test(tc, test_stopped_disarms_everything);
        tcase_add_test(tc, test_reason_bounded);
        suite_add_tcase(s, tc);
        return check_run(s);
}
