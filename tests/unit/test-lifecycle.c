/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <signal.h>
#include <stdio.h>

#include "check-run.h"
#include "reconcile/lifecycle.h"

#define SEC 1000000ULL
#define NOW (1700000000ULL * SEC)

static const BackoffPolicy backoff = { .base_usec = 1 * SEC, .cap_usec = 300 * SEC, .stable_usec = 60 * SEC };

static LifecyclePolicy policy(RestartPolicy restart) {
        return (LifecyclePolicy) { .restart = restart, .backoff = backoff, .desired = true };
}

static const LifecyclePolicy not_desired = {
        .restart = RESTART_ALWAYS,
        .backoff = { 1 * SEC, 300 * SEC, 60 * SEC },
};

static const char *mask_str(uint32_t mask, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (uint32_t bit = 1; bit && bit <= _LIFECYCLE_ACTION_LAST; bit <<= 1)
                if (mask & bit)
                        n += snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
                                      lifecycle_action_to_string(bit));
        return buf;
}

#define assert_phase(s, want)                                                                           \
        ck_assert_msg((s).phase == (want), "phase %s, expected %s", container_phase_to_string((s).phase), \
                      container_phase_to_string(want))

#define assert_mask(a, want)                                                                            \
        do {                                                                                            \
                char _got[512], _exp[512];                                                              \
                ck_assert_msg((a).mask == (uint32_t) (want), "actions %s, expected %s",                 \
                              mask_str((a).mask, _got, sizeof _got), mask_str((want), _exp, sizeof _exp)); \
        } while (0)

static LifecycleActions feed_ev(const LifecyclePolicy *p, LifecycleState *s, LifecycleEvent ev) {
        LifecycleActions a = { .mask = UINT32_MAX };
        int r;

        if (!ev.now_usec)
                ev.now_usec = NOW;
        r = lifecycle_step(p, s, &ev, &a);
        ck_assert_msg(r == 0, "%s in %s: %d, expected handled", lifecycle_event_to_string(ev.type),
                      container_phase_to_string(s->phase), r);
        return a;
}

static LifecycleActions feed(const LifecyclePolicy *p, LifecycleState *s, LifecycleEventType t) {
        return feed_ev(p, s, (LifecycleEvent) { .type = t });
}

static void feed_ignored(const LifecyclePolicy *p, LifecycleState *s, LifecycleEventType t) {
        LifecycleState before = *s;
        LifecycleActions a = { .mask = UINT32_MAX };
        LifecycleEvent ev = { .type = t, .now_usec = NOW };

        ck_assert_int_eq(lifecycle_step(p, s, &ev, &a), LIFECYCLE_IGNORED);
        assert_mask(a, 0);
        ck_assert(memcmp(&before, s, sizeof before) == 0);
}

static LifecycleActions exited(const LifecyclePolicy *p, LifecycleState *s, ExitInfo e, uint64_t ran) {
        return feed_ev(p, s, (LifecycleEvent) { .type = LIFECYCLE_EV_EXITED, .exit = e, .ran_usec = ran });
}

/* WAITING -> PULLING -> STARTING -> RUNNING, checking each step. */
static void bring_up(const LifecyclePolicy *p, LifecycleState *s) {
        LifecycleActions a;

        assert_phase(*s, CONTAINER_WAITING);
        a = feed(p, s, LIFECYCLE_EV_START_REQUESTED);
        assert_phase(*s, CONTAINER_PULLING);
        assert_mask(a, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_PULL);
        a = feed(p, s, LIFECYCLE_EV_PULLED);
        assert_phase(*s, CONTAINER_PULLING);
        assert_mask(a, LIFECYCLE_UNPACK);
        a = feed(p, s, LIFECYCLE_EV_UNPACKED);
        assert_phase(*s, CONTAINER_STARTING);
        assert_mask(a, LIFECYCLE_LAUNCH | LIFECYCLE_WATCH_EXIT | LIFECYCLE_NOTIFY);
        a = feed(p, s, LIFECYCLE_EV_STARTED);
        assert_phase(*s, CONTAINER_RUNNING);
        assert_mask(a, LIFECYCLE_SAVE_STATE | LIFECYCLE_ARM_STABLE | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(a.delay_usec, 60 * SEC);
}

static const ExitInfo exit_ok = { .valid = true, .code = 0, .at_usec = NOW };
static const ExitInfo exit_3 = { .valid = true, .code = 3, .at_usec = NOW };
/* As container_read_exit() reads a signal: code 0, the signal. */
static const ExitInfo exit_signal = { .valid = true, .code = 0, .signal = SIGTERM, .at_usec = NOW };
static const ExitInfo exit_oom = { .valid = true, .code = 0, .signal = SIGKILL, .oom = true, .at_usec = NOW };
/* The shim could not exec: status 125..127 as the code. */
static const ExitInfo exit_125 = { .valid = true, .code = 125, .at_usec = NOW };
/* No exit record: counted as killed. */
static const ExitInfo exit_killed = { .valid = true, .code = -1, .signal = SIGKILL, .at_usec = NOW };

START_TEST(test_table_complete) {
        for (ContainerPhase p = 0; p < _CONTAINER_PHASE_MAX; p++) {
                ck_assert_ptr_nonnull(container_phase_to_string(p));
                for (LifecycleEventType e = 0; e < _LIFECYCLE_EV_MAX; e++) {
                        LifecycleOutcome o = lifecycle_outcome(p, e);
                        LifecyclePolicy pol = policy(RESTART_ALWAYS);
                        LifecycleState s = { .phase = p };
                        LifecycleEvent ev = { .type = e, .now_usec = NOW, .exit = exit_3 };
                        LifecycleActions a = { .mask = UINT32_MAX };
                        int r;

                        ck_assert_msg(o == LIFECYCLE_HANDLED || o == LIFECYCLE_IGNORED, "%s in %s undefined",
                                      lifecycle_event_to_string(e), container_phase_to_string(p));
                        r = lifecycle_step(&pol, &s, &ev, &a);
                        ck_assert_int_eq(r, o == LIFECYCLE_IGNORED ? LIFECYCLE_IGNORED : 0);
                        ck_assert(a.mask != UINT32_MAX);
                        ck_assert(s.phase >= 0 && s.phase < _CONTAINER_PHASE_MAX);
                        if (o == LIFECYCLE_IGNORED) {
                                assert_mask(a, 0);
                                assert_phase(s, p);
                        }
                }
        }
        for (LifecycleEventType e = 0; e < _LIFECYCLE_EV_MAX; e++)
                ck_assert_ptr_nonnull(lifecycle_event_to_string(e));
        for (uint32_t bit = 1; bit <= _LIFECYCLE_ACTION_LAST; bit <<= 1)
                ck_assert_ptr_nonnull(lifecycle_action_to_string(bit));
        ck_assert_ptr_null(lifecycle_action_to_string(LIFECYCLE_PULL | LIFECYCLE_LAUNCH));
        for (LifecyclePodVerdict v = 0; v < _LIFECYCLE_POD_VERDICT_MAX; v++)
                ck_assert_ptr_nonnull(lifecycle_pod_verdict_to_string(v));

        LifecycleState s = { .phase = _CONTAINER_PHASE_MAX };
        LifecycleEvent ev = { .type = LIFECYCLE_EV_STARTED };
        LifecycleActions a;
        LifecyclePolicy pol = policy(RESTART_ALWAYS);
        ck_assert_int_eq(lifecycle_step(&pol, &s, &ev, &a), -EINVAL);
        s.phase = CONTAINER_RUNNING;
        ev.type = _LIFECYCLE_EV_MAX;
        ck_assert_int_eq(lifecycle_step(&pol, &s, &ev, &a), -EINVAL);
}
END_TEST

START_TEST(test_policy_against_exit) {
        static const struct {
                RestartPolicy restart;
                const ExitInfo *exit;
                bool restarts;
        } cases[] = {
                { RESTART_ALWAYS, &exit_ok, true },          { RESTART_ALWAYS, &exit_3, true },
                { RESTART_ALWAYS, &exit_signal, true },      { RESTART_ALWAYS, &exit_oom, true },
                { RESTART_ALWAYS, &exit_125, true },         { RESTART_ALWAYS, &exit_killed, true },
                { RESTART_ON_FAILURE, &exit_ok, false },     { RESTART_ON_FAILURE, &exit_3, true },
                { RESTART_ON_FAILURE, &exit_signal, true },  { RESTART_ON_FAILURE, &exit_oom, true },
                { RESTART_ON_FAILURE, &exit_125, true },     { RESTART_ON_FAILURE, &exit_killed, true },
                { RESTART_NEVER, &exit_ok, false },          { RESTART_NEVER, &exit_3, false },
                { RESTART_NEVER, &exit_signal, false },      { RESTART_NEVER, &exit_oom, false },
                { RESTART_NEVER, &exit_125, false },         { RESTART_NEVER, &exit_killed, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                LifecyclePolicy p = policy(cases[i].restart);
                LifecycleState s = { .exit_seen = true };
                LifecycleActions a;

                ck_assert_int_eq(lifecycle_restarts(cases[i].restart, cases[i].exit), cases[i].restarts);
                bring_up(&p, &s);
                a = exited(&p, &s, *cases[i].exit, 5 * SEC);
                ck_assert(!s.exit_seen);
                ck_assert_int_eq(s.last_exit.code, cases[i].exit->code);
                ck_assert_int_eq(s.last_exit.signal, cases[i].exit->signal);
                ck_assert_int_eq(s.last_exit.oom, cases[i].exit->oom);
                if (cases[i].restarts) {
                        assert_phase(s, CONTAINER_BACKOFF);
                        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_DISARM_TIMER |
                                       LIFECYCLE_CANCEL_UNIT_QUERY | LIFECYCLE_ARM_RESTART |
                                       LIFECYCLE_SAVE_STATE | LIFECYCLE_REQUEUE |
                                       LIFECYCLE_NOTIFY);
                        ck_assert_uint_eq(a.delay_usec, 1 * SEC);
                        ck_assert_uint_eq(s.next_restart_usec, NOW + 1 * SEC);
                        ck_assert_uint_eq(s.restarts, 1);
                        ck_assert_uint_eq(s.backoff.failures, 1);
                } else {
                        assert_phase(s, CONTAINER_EXITED);
                        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_DISARM_TIMER |
                                       LIFECYCLE_CANCEL_UNIT_QUERY | LIFECYCLE_RECORD_FINAL |
                                       LIFECYCLE_SAVE_STATE | LIFECYCLE_REQUEUE |
                                       LIFECYCLE_NOTIFY);
                        ck_assert_uint_eq(s.restarts, 0);
                        ck_assert_uint_eq(s.backoff.failures, 0);
                        /* Completed: nothing moves it but a new spec or a delete. */
                        feed_ignored(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
                        feed_ignored(&p, &s, LIFECYCLE_EV_START_REQUESTED);
                }
        }
}
END_TEST

START_TEST(test_exit_of_undesired_or_stopped) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState s = {};
        LifecycleActions a;

        /* Stopped on purpose (the pass, for a new spec): waiting, whatever the
         * policy says, no failure counted. */
        bring_up(&p, &s);
        a = feed(&p, &s, LIFECYCLE_EV_SPEC_CHANGED);
        assert_phase(s, CONTAINER_STOPPING);
        assert_mask(a, LIFECYCLE_STOP_SCOPE);
        a = feed(&p, &s, LIFECYCLE_EV_SPEC_CHANGED);
        assert_phase(s, CONTAINER_STOPPING);
        assert_mask(a, 0);
        /* The stable timer outlives StopUnit. */
        feed_ignored(&p, &s, LIFECYCLE_EV_STABLE);
        a = feed(&p, &s, LIFECYCLE_EV_STOP_DONE);
        assert_mask(a, LIFECYCLE_CHECK_UNIT);
        ck_assert(a.after_stop);
        a = exited(&p, &s, exit_signal, 5 * SEC);
        assert_phase(s, CONTAINER_WAITING);
        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_DISARM_TIMER | LIFECYCLE_CANCEL_UNIT_QUERY |
                       LIFECYCLE_SAVE_STATE | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(s.backoff.failures, 0);
        ck_assert_uint_eq(s.restarts, 0);
        /* UnitRemoved got there first: StopUnit's end is stale. */
        feed_ignored(&p, &s, LIFECYCLE_EV_STOP_DONE);

        /* Ended on its own after it left the spec: waiting, for the pass to forget. */
        bring_up(&p, &s);
        a = exited(&not_desired, &s, exit_3, 5 * SEC);
        assert_phase(s, CONTAINER_WAITING);
        ck_assert_uint_eq(a.mask & (LIFECYCLE_ARM_RESTART | LIFECYCLE_RECORD_FINAL), 0);
        ck_assert_uint_eq(s.backoff.failures, 0);

        /* A stale end of the scope in other phases. */
        feed_ignored(&p, &s, LIFECYCLE_EV_EXITED);
        s.phase = CONTAINER_STARTING;
        feed_ignored(&p, &s, LIFECYCLE_EV_EXITED);
}
END_TEST

/* The health machine's KILL: stopped, then the exit counts as a crash. */
START_TEST(test_unhealthy) {
        LifecyclePolicy p = policy(RESTART_ALWAYS), never = policy(RESTART_NEVER), onf = policy(RESTART_ON_FAILURE);
        LifecycleState s = {};
        LifecycleActions a;

        bring_up(&p, &s);
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = "liveness: http 503" });
        assert_phase(s, CONTAINER_STOPPING);
        assert_mask(a, LIFECYCLE_STOP_SCOPE | LIFECYCLE_NOTIFY);
        feed_ignored(&p, &s, LIFECYCLE_EV_UNHEALTHY);
        a = feed(&p, &s, LIFECYCLE_EV_STOP_DONE);
        assert_mask(a, LIFECYCLE_CHECK_UNIT);
        a = exited(&p, &s, exit_signal, 5 * SEC);
        assert_phase(s, CONTAINER_BACKOFF);
        ck_assert(a.mask & LIFECYCLE_ARM_RESTART);
        ck_assert_uint_eq(s.backoff.failures, 1);
        ck_assert_uint_eq(s.restarts, 1);
        ck_assert(s.last_exit.unhealthy);
        ck_assert_str_eq(s.last_exit.unhealthy_reason, "liveness: http 503");
        ck_assert_str_eq(s.kill_reason, "");

        /* on-failure restarts it even when it took SIGTERM with exit 0. */
        s = (LifecycleState) {};
        bring_up(&onf, &s);
        (void) feed_ev(&onf, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = "watchdog: late" });
        a = exited(&onf, &s, (ExitInfo) { .valid = true, .code = 0, .at_usec = NOW }, 5 * SEC);
        assert_phase(s, CONTAINER_BACKOFF);
        ck_assert(s.last_exit.unhealthy);

        /* never: exited, and the final record keeps the reason. */
        s = (LifecycleState) {};
        bring_up(&never, &s);
        (void) feed_ev(&never, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = "startup: exit 1" });
        a = exited(&never, &s, exit_signal, 5 * SEC);
        assert_phase(s, CONTAINER_EXITED);
        ck_assert(a.mask & LIFECYCLE_RECORD_FINAL);
        ck_assert_str_eq(s.last_exit.unhealthy_reason, "startup: exit 1");

        /* A stop wanted meanwhile (a new spec, or deleted) wins: no crash, no backoff. */
        s = (LifecycleState) {};
        bring_up(&p, &s);
        (void) feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = "liveness: x" });
        a = feed(&p, &s, LIFECYCLE_EV_SPEC_CHANGED);
        assert_mask(a, 0);
        a = exited(&p, &s, exit_signal, 5 * SEC);
        assert_phase(s, CONTAINER_WAITING);
        ck_assert(!s.last_exit.unhealthy);
        ck_assert_uint_eq(s.backoff.failures, 0);
        s = (LifecycleState) {};
        bring_up(&p, &s);
        (void) feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_UNHEALTHY, .reason = "liveness: x" });
        (void) feed(&not_desired, &s, LIFECYCLE_EV_DELETED);
        a = exited(&not_desired, &s, exit_signal, 5 * SEC);
        assert_phase(s, CONTAINER_WAITING);
        ck_assert(!s.last_exit.unhealthy);
        ck_assert_uint_eq(s.backoff.failures, 0);

        /* Only a running container is killed for its health. */
        s.phase = CONTAINER_BACKOFF;
        feed_ignored(&p, &s, LIFECYCLE_EV_UNHEALTHY);
}
END_TEST

START_TEST(test_start_failure) {
        LifecyclePolicy p = policy(RESTART_NEVER);
        LifecycleState s = {};
        LifecycleActions a;

        /* A failed start is retried with backoff whatever the policy. */
        a = feed(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        a = feed(&p, &s, LIFECYCLE_EV_UNPACKED);
        assert_phase(s, CONTAINER_STARTING);
        s.exit_seen = true;
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_START_FAILED, .now_usec = NOW + 7 });
        assert_phase(s, CONTAINER_FAILED);
        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_ARM_RESTART | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(a.delay_usec, 1 * SEC);
        ck_assert_uint_eq(s.next_restart_usec, NOW + 7 + 1 * SEC);
        ck_assert(s.last_exit.valid);
        ck_assert_int_eq(s.last_exit.code, 125);
        ck_assert_uint_eq(s.last_exit.at_usec, NOW + 7);
        ck_assert_uint_eq(s.restarts, 0);
        ck_assert_uint_eq(s.backoff.failures, 1);

        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        assert_phase(s, CONTAINER_WAITING);
        assert_mask(a, LIFECYCLE_REQUEUE);
        ck_assert_uint_eq(s.next_restart_usec, 0);

        /* A stray scope of its name is stopped; the backoff doubles. */
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_START_FAILED, .unit_exists = true });
        assert_phase(s, CONTAINER_FAILED);
        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_STOP_STRAY | LIFECYCLE_ARM_RESTART |
                       LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(a.delay_usec, 2 * SEC);
        feed_ignored(&p, &s, LIFECYCLE_EV_START_FAILED);

        /* Pull and extraction failures are start failures. */
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        a = feed(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        a = feed(&p, &s, LIFECYCLE_EV_PULL_FAILED);
        assert_phase(s, CONTAINER_FAILED);
        ck_assert_uint_eq(a.delay_usec, 4 * SEC);
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        a = feed(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        a = feed(&p, &s, LIFECYCLE_EV_PULLED);
        a = feed(&p, &s, LIFECYCLE_EV_UNPACK_FAILED);
        assert_phase(s, CONTAINER_FAILED);
        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_ARM_RESTART | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(a.delay_usec, 8 * SEC);

        /* The user namespace wait: back to waiting for the next pass, or a failure. */
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_START_REQUESTED, .new_hash = true });
        assert_mask(a, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_WIPE_SCRATCH | LIFECYCLE_PULL);
        a = feed(&p, &s, LIFECYCLE_EV_USERNS_READY);
        assert_phase(s, CONTAINER_WAITING);
        assert_mask(a, LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        feed_ignored(&p, &s, LIFECYCLE_EV_USERNS_READY);
}
END_TEST

START_TEST(test_backoff_and_stable_reset) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState s = {};
        LifecycleActions a;
        const uint64_t want[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300 };

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                bring_up(&p, &s);
                a = exited(&p, &s, exit_3, 1 * SEC);
                assert_phase(s, CONTAINER_BACKOFF);
                ck_assert_uint_eq(a.delay_usec, want[i] * SEC);
                ck_assert_uint_eq(s.restarts, i + 1);
                /* Stale timers elsewhere. */
                feed_ignored(&p, &s, LIFECYCLE_EV_STABLE);
                a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
                assert_phase(s, CONTAINER_WAITING);
        }

        /* StableSec of running forgives the failures... */
        bring_up(&p, &s);
        a = feed(&p, &s, LIFECYCLE_EV_STABLE);
        assert_phase(s, CONTAINER_RUNNING);
        assert_mask(a, LIFECYCLE_SAVE_STATE);
        ck_assert_uint_eq(s.backoff.failures, 0);
        a = feed(&p, &s, LIFECYCLE_EV_STABLE);
        assert_mask(a, 0);
        a = exited(&p, &s, exit_3, 1 * SEC);
        ck_assert_uint_eq(a.delay_usec, 1 * SEC);
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        bring_up(&p, &s);
        a = exited(&p, &s, exit_3, 1 * SEC);
        ck_assert_uint_eq(a.delay_usec, 2 * SEC);

        /* ... and so does a run that lasted StableSec, timer or not. */
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        bring_up(&p, &s);
        a = exited(&p, &s, exit_3, 60 * SEC);
        ck_assert_uint_eq(a.delay_usec, 1 * SEC);
        ck_assert_uint_eq(s.backoff.failures, 1);
}
END_TEST

START_TEST(test_exit_record) {
        LifecyclePolicy p = policy(RESTART_ON_FAILURE);
        LifecycleState s = {};
        LifecycleActions a;

        /* Ended before "running" arrived: the start ends it at once. */
        a = feed(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        a = feed(&p, &s, LIFECYCLE_EV_UNPACKED);
        a = feed(&p, &s, LIFECYCLE_EV_EXIT_RECORD);
        assert_phase(s, CONTAINER_STARTING);
        assert_mask(a, 0);
        ck_assert(s.exit_seen);
        a = feed(&p, &s, LIFECYCLE_EV_STARTED);
        assert_phase(s, CONTAINER_RUNNING);
        assert_mask(a, LIFECYCLE_SAVE_STATE | LIFECYCLE_ARM_STABLE | LIFECYCLE_READ_EXIT | LIFECYCLE_REQUEUE |
                       LIFECYCLE_NOTIFY);
        a = exited(&p, &s, exit_ok, 0);
        assert_phase(s, CONTAINER_EXITED);
        ck_assert(!s.exit_seen);

        /* A record seen in BACKOFF is forgotten by the next launch. */
        s = (LifecycleState) { .phase = CONTAINER_BACKOFF };
        a = feed(&p, &s, LIFECYCLE_EV_EXIT_RECORD);
        assert_mask(a, 0);
        ck_assert(s.exit_seen);
        a = feed(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        a = feed(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        a = feed(&p, &s, LIFECYCLE_EV_UNPACKED);
        ck_assert(!s.exit_seen);
        a = feed(&p, &s, LIFECYCLE_EV_STARTED);
        ck_assert_uint_eq(a.mask & LIFECYCLE_READ_EXIT, 0);

        /* Running: the record and UnitRemoved make us ask systemd. */
        a = feed(&p, &s, LIFECYCLE_EV_EXIT_RECORD);
        assert_mask(a, LIFECYCLE_CHECK_UNIT);
        ck_assert(!a.after_stop);
        a = feed(&p, &s, LIFECYCLE_EV_UNIT_REMOVED);
        assert_mask(a, LIFECYCLE_CHECK_UNIT);
        ck_assert(!a.after_stop);
        assert_phase(s, CONTAINER_RUNNING);
        s.phase = CONTAINER_BACKOFF;
        feed_ignored(&p, &s, LIFECYCLE_EV_UNIT_REMOVED);

        /* What an answer means. */
        ck_assert(!lifecycle_unit_gone(CONTAINER_RUNNING, 1, true, true));
        ck_assert(lifecycle_unit_gone(CONTAINER_RUNNING, 0, false, false));
        ck_assert(lifecycle_unit_gone(CONTAINER_STOPPING, 0, false, false));
        ck_assert(!lifecycle_unit_gone(CONTAINER_RUNNING, -ETIMEDOUT, false, false));
        ck_assert(lifecycle_unit_gone(CONTAINER_RUNNING, -ETIMEDOUT, true, false));
        ck_assert(!lifecycle_unit_gone(CONTAINER_RUNNING, -ETIMEDOUT, false, true));
        ck_assert(lifecycle_unit_gone(CONTAINER_STOPPING, -ETIMEDOUT, false, true));
        ck_assert(!lifecycle_unit_gone(CONTAINER_STOPPING, -ETIMEDOUT, false, false));
        ck_assert(!lifecycle_unit_gone(CONTAINER_BACKOFF, 0, true, true));
        ck_assert(!lifecycle_unit_gone(CONTAINER_WAITING, 0, false, false));
}
END_TEST

START_TEST(test_stale_completions) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState s = {};

        bring_up(&p, &s);
        feed_ignored(&p, &s, LIFECYCLE_EV_PULLED);
        feed_ignored(&p, &s, LIFECYCLE_EV_PULL_FAILED);
        feed_ignored(&p, &s, LIFECYCLE_EV_UNPACKED);
        feed_ignored(&p, &s, LIFECYCLE_EV_STARTED);
        feed_ignored(&p, &s, LIFECYCLE_EV_START_FAILED);
        feed_ignored(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        feed_ignored(&p, &s, LIFECYCLE_EV_STOP_DONE);
        feed_ignored(&p, &s, LIFECYCLE_EV_START_REQUESTED);
        feed_ignored(&p, &s, LIFECYCLE_EV_ADOPTED_RUNNING);
        feed_ignored(&p, &s, LIFECYCLE_EV_ADOPTED_VANISHED);
        feed_ignored(&p, &s, LIFECYCLE_EV_ADOPTED_EXITED);
        s.phase = CONTAINER_WAITING;
        feed_ignored(&p, &s, LIFECYCLE_EV_PULLED);
        feed_ignored(&p, &s, LIFECYCLE_EV_STARTED);
        s.phase = CONTAINER_STARTING;
        feed_ignored(&p, &s, LIFECYCLE_EV_SPEC_CHANGED);
        feed_ignored(&p, &s, LIFECYCLE_EV_DELETED);
}
END_TEST

/* One pass over the members; returns the verdict. */
static LifecyclePodVerdict plan(LifecycleMember *m, size_t n, LifecyclePod pod) {
        LifecyclePodVerdict v = _LIFECYCLE_POD_VERDICT_MAX;

        ck_assert_int_eq(lifecycle_pod_plan(RESTART_ALWAYS, &backoff, m, n, &pod, &v), 0);
        return v;
}

#define assert_verdict(got, want)                                                                       \
        ck_assert_msg((got) == (want), "verdict %s, expected %s", lifecycle_pod_verdict_to_string(got), \
                      lifecycle_pod_verdict_to_string(want))

START_TEST(test_changed_container) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState a = {}, b = {}, c = { .phase = CONTAINER_BACKOFF, .backoff.failures = 4,
                                             .next_restart_usec = NOW };
        LifecycleMember m[] = {
                { .state = &a, .desired = true, .spec_matches = false },
                { .state = &b, .desired = true, .spec_matches = true },
                { .state = &c, .desired = true, .spec_matches = false },
        };

        bring_up(&p, &a);
        bring_up(&p, &b);
        b.backoff.failures = 2;
        /* Only the changed one goes; the others' start is not held back. */
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_STOPPING);
        assert_mask(m[0].actions, LIFECYCLE_STOP_SCOPE);
        assert_phase(b, CONTAINER_RUNNING);
        assert_mask(m[1].actions, 0);
        ck_assert_uint_eq(b.backoff.failures, 2);
        /* A new spec gets a fresh backoff. */
        assert_phase(c, CONTAINER_WAITING);
        assert_mask(m[2].actions, LIFECYCLE_DISARM_TIMER);
        ck_assert_uint_eq(c.backoff.failures, 0);
        ck_assert_uint_eq(c.next_restart_usec, 0);

        /* Stopping: the pass leaves it to its stop. */
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_mask(m[0].actions, 0);
        assert_phase(a, CONTAINER_STOPPING);
        exited(&p, &a, exit_signal, 5 * SEC);
        assert_phase(a, CONTAINER_WAITING);
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_mask(m[0].actions, 0);
        assert_phase(a, CONTAINER_WAITING);

        /* EXITED and FAILED under a changed spec start again too. */
        a.phase = CONTAINER_EXITED;
        b.phase = CONTAINER_FAILED;
        b.backoff.failures = 1;
        m[1].spec_matches = false;
        assert_verdict(plan(m, 2, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_WAITING);
        assert_phase(b, CONTAINER_WAITING);
        ck_assert_uint_eq(b.backoff.failures, 0);

        /* A changed spec while pulling cancels the pull; the backoff stays. */
        a.phase = CONTAINER_PULLING;
        a.backoff.failures = 2;
        assert_verdict(plan(m, 1, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_WAITING);
        assert_mask(m[0].actions, LIFECYCLE_CANCEL_PULL);
        ck_assert_uint_eq(a.backoff.failures, 2);
}
END_TEST

/* lifecycle_pod_plan() steps the containers' own states: a pair the table
 * lacks (here a phase that does not exist) must leave all of them as they
 * were, the members before it too. */
START_TEST(test_plan_fails_whole) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState a = {}, bad = { .phase = _CONTAINER_PHASE_MAX }, before;
        LifecycleMember m[] = {
                { .state = &a, .desired = false },
                { .state = &bad, .desired = false },
        };
        LifecyclePodVerdict v = _LIFECYCLE_POD_VERDICT_MAX;

        bring_up(&p, &a);
        before = a;
        ck_assert_int_eq(lifecycle_pod_plan(RESTART_ALWAYS, &backoff, m, 2, &(LifecyclePod) {}, &v), -EINVAL);
        ck_assert(memcmp(&before, &a, sizeof a) == 0);
        assert_verdict(v, _LIFECYCLE_POD_VERDICT_MAX);
}
END_TEST

START_TEST(test_pod_level_change) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState a = {}, b = {}, f = { .phase = CONTAINER_FAILED };
        LifecycleMember m[] = {
                { .state = &a, .desired = true, .old_pod_level = true },
                { .state = &b, .desired = true, .old_pod_level = true },
                { .state = &f, .desired = true, .old_pod_level = true },
        };

        bring_up(&p, &a);
        bring_up(&p, &b);
        /* Every old one goes, and nothing new starts while any is up. */
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_GATED);
        assert_phase(a, CONTAINER_STOPPING);
        assert_phase(b, CONTAINER_STOPPING);
        assert_mask(m[0].actions, LIFECYCLE_STOP_SCOPE);
        assert_mask(m[1].actions, LIFECYCLE_STOP_SCOPE);
        assert_phase(f, CONTAINER_WAITING);

        exited(&p, &a, exit_signal, 5 * SEC);
        assert_phase(a, CONTAINER_WAITING);
        /* a keeps its old pod-level hash until it starts: waiting holds nothing. */
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_GATED);
        assert_phase(a, CONTAINER_WAITING);
        assert_phase(b, CONTAINER_STOPPING);

        exited(&p, &b, exit_signal, 5 * SEC);
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_START);

        /* An old one still starting holds the new ones back, and is not touched. */
        b.phase = CONTAINER_STARTING;
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_GATED);
        assert_phase(b, CONTAINER_STARTING);
        assert_mask(m[1].actions, 0);

        /* So does one no longer desired that runs under the old pod level. */
        b.phase = CONTAINER_RUNNING;
        m[1].desired = false;
        assert_verdict(plan(m, 3, (LifecyclePod) {}), LIFECYCLE_POD_GATED);
        assert_phase(b, CONTAINER_STOPPING);
}
END_TEST

START_TEST(test_spec_applied_while_starting) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState a = {};
        LifecycleMember m[] = { { .state = &a, .desired = true, .spec_matches = false } };
        LifecycleActions act;

        feed(&p, &a, LIFECYCLE_EV_START_REQUESTED);
        feed(&p, &a, LIFECYCLE_EV_UNPACKED);
        assert_phase(a, CONTAINER_STARTING);
        /* Busy: left alone, and not started a second time either. */
        assert_verdict(plan(m, 1, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_STARTING);
        assert_mask(m[0].actions, 0);
        /* Its start requeues the pod; that pass replaces it. */
        act = feed(&p, &a, LIFECYCLE_EV_STARTED);
        ck_assert(act.mask & LIFECYCLE_REQUEUE);
        assert_verdict(plan(m, 1, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_STOPPING);
        assert_mask(m[0].actions, LIFECYCLE_STOP_SCOPE);

        /* The same when the start fails: the new spec resets the backoff. */
        a = (LifecycleState) {};
        feed(&p, &a, LIFECYCLE_EV_START_REQUESTED);
        feed(&p, &a, LIFECYCLE_EV_UNPACKED);
        act = feed(&p, &a, LIFECYCLE_EV_START_FAILED);
        ck_assert(act.mask & LIFECYCLE_REQUEUE);
        assert_verdict(plan(m, 1, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_phase(a, CONTAINER_WAITING);
        assert_mask(m[0].actions, LIFECYCLE_DISARM_TIMER);
        ck_assert_uint_eq(a.backoff.failures, 0);
}
END_TEST

START_TEST(test_delete_during_pull) {
        LifecyclePolicy p = policy(RESTART_ALWAYS);
        LifecycleState a = {}, b = {};
        LifecycleMember m[] = { { .state = &a }, { .state = &b } };
        LifecycleActions act;

        feed(&p, &a, LIFECYCLE_EV_START_REQUESTED);
        assert_phase(a, CONTAINER_PULLING);
        bring_up(&p, &b);
        assert_verdict(plan(m, 2, (LifecyclePod) { .deleted = true }), LIFECYCLE_POD_WAIT_CONTAINERS);
        assert_phase(a, CONTAINER_WAITING);
        /* The pod's final records go with its scratch. */
        assert_mask(m[0].actions, LIFECYCLE_CANCEL_PULL | LIFECYCLE_FORGET);
        assert_phase(b, CONTAINER_STOPPING);
        assert_mask(m[1].actions, LIFECYCLE_STOP_SCOPE);

        /* The pull finished before its cancellation arrived: not desired, waiting. */
        a.phase = CONTAINER_PULLING;
        act = feed(&not_desired, &a, LIFECYCLE_EV_PULLED);
        assert_phase(a, CONTAINER_WAITING);
        assert_mask(act, LIFECYCLE_REQUEUE);
        a.phase = CONTAINER_PULLING;
        act = feed(&not_desired, &a, LIFECYCLE_EV_UNPACK_FAILED);
        assert_phase(a, CONTAINER_WAITING);
        assert_mask(act, LIFECYCLE_REQUEUE);
        ck_assert_uint_eq(a.backoff.failures, 0);

        exited(&not_desired, &b, exit_signal, 5 * SEC);
        assert_phase(b, CONTAINER_WAITING);
        /* All down: the slice is stopped, and only then is the pod forgotten. */
        assert_verdict(plan(m + 1, 1, (LifecyclePod) { .deleted = true }), LIFECYCLE_POD_STOP_SLICE);
        assert_mask(m[1].actions, LIFECYCLE_FORGET);
        assert_verdict(plan(NULL, 0, (LifecyclePod) { .deleted = true, .slice_job = true }),
                       LIFECYCLE_POD_WAIT_SLICE);
        assert_verdict(plan(NULL, 0, (LifecyclePod) { .deleted = true, .slice_stopped = true }),
                       LIFECYCLE_POD_FORGET);
        /* Applied again while the slice stops: nothing starts until it is down. */
        assert_verdict(plan(NULL, 0, (LifecyclePod) { .slice_job = true }), LIFECYCLE_POD_WAIT_SLICE);
        assert_verdict(plan(NULL, 0, (LifecyclePod) { .slice_stopped = true }), LIFECYCLE_POD_START);

        /* Dropped from a spec that stays: its final record goes now. */
        a = (LifecycleState) {};
        b = (LifecycleState) { .phase = CONTAINER_EXITED };
        feed(&p, &a, LIFECYCLE_EV_START_REQUESTED);
        assert_verdict(plan(m, 2, (LifecyclePod) {}), LIFECYCLE_POD_START);
        assert_mask(m[0].actions, LIFECYCLE_CANCEL_PULL | LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET);
        assert_mask(m[1].actions, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET);
        /* Not desired, in BACKOFF: forgotten with its timer, backoff untouched. */
        b = (LifecycleState) { .phase = CONTAINER_BACKOFF, .backoff.failures = 2 };
        assert_verdict(plan(m + 1, 1, (LifecyclePod) { .deleted = true }), LIFECYCLE_POD_STOP_SLICE);
        assert_mask(m[1].actions, LIFECYCLE_FORGET);
        assert_phase(b, CONTAINER_BACKOFF);
}
END_TEST

START_TEST(test_adoption) {
        LifecyclePolicy p = policy(RESTART_ON_FAILURE);
        LifecycleState s = { .backoff.failures = 2, .restarts = 5 };
        LifecycleActions a;

        /* Running, with failures to forgive after StableSec. */
        a = feed(&p, &s, LIFECYCLE_EV_ADOPTED_RUNNING);
        assert_phase(s, CONTAINER_RUNNING);
        assert_mask(a, LIFECYCLE_WATCH_EXIT | LIFECYCLE_ARM_STABLE | LIFECYCLE_REQUEUE);
        ck_assert_uint_eq(a.delay_usec, 60 * SEC);
        ck_assert_uint_eq(s.restarts, 5);
        s = (LifecycleState) {};
        a = feed(&p, &s, LIFECYCLE_EV_ADOPTED_RUNNING);
        assert_mask(a, LIFECYCLE_WATCH_EXIT | LIFECYCLE_REQUEUE);
        /* Not desired any more: adopted all the same, for the pass to stop. */
        s = (LifecycleState) {};
        a = feed(&not_desired, &s, LIFECYCLE_EV_ADOPTED_RUNNING);
        assert_phase(s, CONTAINER_RUNNING);

        /* Vanished while nobody watched: its exit counts as seen. */
        s = (LifecycleState) { .backoff.failures = 1 };
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_VANISHED, .exit = exit_killed,
                                               .ran_usec = 2 * SEC });
        assert_phase(s, CONTAINER_BACKOFF);
        assert_mask(a, LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_DISARM_TIMER | LIFECYCLE_CANCEL_UNIT_QUERY |
                       LIFECYCLE_ARM_RESTART | LIFECYCLE_SAVE_STATE | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY);
        ck_assert_uint_eq(a.delay_usec, 2 * SEC);
        ck_assert_uint_eq(s.restarts, 1);
        s = (LifecycleState) {};
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_VANISHED, .exit = exit_ok });
        assert_phase(s, CONTAINER_EXITED);
        ck_assert(a.mask & LIFECYCLE_RECORD_FINAL);
        s = (LifecycleState) {};
        a = feed_ev(&not_desired, &s,
                    (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_VANISHED, .exit = exit_3 });
        assert_phase(s, CONTAINER_WAITING);
        ck_assert_uint_eq(a.mask & (LIFECYCLE_ARM_RESTART | LIFECYCLE_RECORD_FINAL), 0);

        /* Exited (final.json after a reboot): stays so under the very spec... */
        s = (LifecycleState) { .restarts = 3 };
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_EXITED, .exit = exit_ok,
                                               .spec_matches = true });
        assert_phase(s, CONTAINER_EXITED);
        assert_mask(a, 0);
        ck_assert(s.last_exit.valid);
        ck_assert_uint_eq(s.restarts, 3);
        feed_ignored(&p, &s, LIFECYCLE_EV_BACKOFF_ELAPSED);
        /* ... but starts as new under another spec, or when the policy now restarts that exit. */
        s = (LifecycleState) {};
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_EXITED, .exit = exit_ok });
        assert_phase(s, CONTAINER_WAITING);
        assert_mask(a, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET);
        a = feed_ev(&p, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_EXITED, .exit = exit_3,
                                               .spec_matches = true });
        assert_mask(a, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET);
        LifecyclePolicy always = policy(RESTART_ALWAYS);
        a = feed_ev(&always, &s, (LifecycleEvent) { .type = LIFECYCLE_EV_ADOPTED_EXITED, .exit = exit_ok,
                                                    .spec_matches = true });
        assert_mask(a, LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET);
        assert_phase(s, CONTAINER_WAITING);
}
END_TEST

int main(void) {
        Suite *s = suite_create("lifecycle");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_table_complete);
        tcase_add_test(tc, test_policy_against_exit);
        tcase_add_test(tc, test_exit_of_undesired_or_stopped);
        tcase_add_test(tc, test_start_failure);
        tcase_add_test(tc, test_unhealthy);
        tcase_add_test(tc, test_backoff_and_stable_reset);
        tcase_add_test(tc, test_exit_record);
        tcase_add_test(tc, test_stale_completions);
        tcase_add_test(tc, test_changed_container);
        tcase_add_test(tc, test_plan_fails_whole);
        tcase_add_test(tc, test_pod_level_change);
        tcase_add_test(tc, test_spec_applied_while_starting);
        tcase_add_test(tc, test_delete_during_pull);
        tcase_add_test(tc, test_adoption);
        suite_add_tcase(s, tc);
        return check_run(s);
}
