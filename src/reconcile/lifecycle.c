/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "reconcile/lifecycle.h"

enum { H = LIFECYCLE_HANDLED, I = LIFECYCLE_IGNORED };

/* Every pair written out, so that a new phase or event leaves holes the test
 * finds rather than a default that decides silently. */
static const uint8_t outcome_table[_CONTAINER_PHASE_MAX][_LIFECYCLE_EV_MAX] = {
#define ROW(start, userns, pulled, pullf, unpacked, unpackf, started, startf, exitrec, removed, exited, \
            stopdone, elapsed, stable, changed, deleted, adrun, advan, adexit, unhealthy)               \
        {                                                                                               \
                [LIFECYCLE_EV_START_REQUESTED] = start, [LIFECYCLE_EV_USERNS_READY] = userns,           \
                [LIFECYCLE_EV_PULLED] = pulled, [LIFECYCLE_EV_PULL_FAILED] = pullf,                     \
                [LIFECYCLE_EV_UNPACKED] = unpacked, [LIFECYCLE_EV_UNPACK_FAILED] = unpackf,             \
                [LIFECYCLE_EV_STARTED] = started, [LIFECYCLE_EV_START_FAILED] = startf,                 \
                [LIFECYCLE_EV_EXIT_RECORD] = exitrec, [LIFECYCLE_EV_UNIT_REMOVED] = removed,            \
                [LIFECYCLE_EV_EXITED] = exited,                                                         \
                [LIFECYCLE_EV_STOP_DONE] = stopdone, [LIFECYCLE_EV_BACKOFF_ELAPSED] = elapsed,          \
                [LIFECYCLE_EV_STABLE] = stable, [LIFECYCLE_EV_SPEC_CHANGED] = changed,                  \
                [LIFECYCLE_EV_DELETED] = deleted, [LIFECYCLE_EV_ADOPTED_RUNNING] = adrun,               \
                [LIFECYCLE_EV_ADOPTED_VANISHED] = advan, [LIFECYCLE_EV_ADOPTED_EXITED] = adexit,        \
                [LIFECYCLE_EV_UNHEALTHY] = unhealthy,                                                   \
        }
        /* columns: the events in enum order (START_REQUESTED ... UNHEALTHY) */
        [CONTAINER_WAITING]  = ROW(H, I, I, I, I, I, I, H, H, I, I, I, I, I, H, H, H, H, H, I),
        [CONTAINER_PULLING]  = ROW(I, H, H, H, H, H, I, H, H, I, I, I, I, I, H, H, I, I, I, I),
        [CONTAINER_STARTING] = ROW(I, I, I, I, I, I, H, H, H, I, I, I, I, I, I, I, I, I, I, I),
        [CONTAINER_RUNNING]  = ROW(I, I, I, I, I, I, I, I, H, H, H, I, I, H, H, H, I, I, I, H),
        [CONTAINER_STOPPING] = ROW(I, I, I, I, I, I, I, I, H, H, H, H, I, I, H, H, I, I, I, I),
        [CONTAINER_BACKOFF]  = ROW(I, I, I, I, I, I, I, I, H, I, I, I, H, I, H, H, I, I, I, I),
        [CONTAINER_EXITED]   = ROW(I, I, I, I, I, I, I, I, H, I, I, I, I, I, H, H, I, I, I, I),
        [CONTAINER_FAILED]   = ROW(I, I, I, I, I, I, I, I, H, I, I, I, H, I, H, H, I, I, I, I),
#undef ROW
};

static const char *const event_table[_LIFECYCLE_EV_MAX] = {
        [LIFECYCLE_EV_START_REQUESTED] = "start-requested",
        [LIFECYCLE_EV_USERNS_READY] = "userns-ready",
        [LIFECYCLE_EV_PULLED] = "pulled",
        [LIFECYCLE_EV_PULL_FAILED] = "pull-failed",
        [LIFECYCLE_EV_UNPACKED] = "unpacked",
        [LIFECYCLE_EV_UNPACK_FAILED] = "unpack-failed",
        [LIFECYCLE_EV_STARTED] = "started",
        [LIFECYCLE_EV_START_FAILED] = "start-failed",
        [LIFECYCLE_EV_EXIT_RECORD] = "exit-record",
        [LIFECYCLE_EV_UNIT_REMOVED] = "unit-removed",
        [LIFECYCLE_EV_EXITED] = "exited",
        [LIFECYCLE_EV_STOP_DONE] = "stop-done",
        [LIFECYCLE_EV_BACKOFF_ELAPSED] = "backoff-elapsed",
        [LIFECYCLE_EV_STABLE] = "stable",
        [LIFECYCLE_EV_SPEC_CHANGED] = "spec-changed",
        [LIFECYCLE_EV_DELETED] = "deleted",
        [LIFECYCLE_EV_ADOPTED_RUNNING] = "adopted-running",
        [LIFECYCLE_EV_ADOPTED_VANISHED] = "adopted-vanished",
        [LIFECYCLE_EV_ADOPTED_EXITED] = "adopted-exited",
        [LIFECYCLE_EV_UNHEALTHY] = "unhealthy",
};

static const char *const action_table[] = {
        "cancel-pull", "unwatch-exit", "disarm-timer", "cancel-unit-query", "stop-stray", "stop-scope",
        "remove-final", "wipe-scratch", "pull", "unpack", "launch", "watch-exit", "check-unit",
        "arm-restart", "arm-stable", "record-final", "save-state", "read-exit", "forget", "requeue", "notify",
};
_Static_assert(1u << (ELEMENTSOF(action_table) - 1) == _LIFECYCLE_ACTION_LAST, "one name per action");

static const char *const pod_verdict_table[_LIFECYCLE_POD_VERDICT_MAX] = {
        [LIFECYCLE_POD_WAIT_CONTAINERS] = "wait-containers",
        [LIFECYCLE_POD_STOP_SLICE] = "stop-slice",
        [LIFECYCLE_POD_WAIT_SLICE] = "wait-slice",
        [LIFECYCLE_POD_FORGET] = "forget",
        [LIFECYCLE_POD_GATED] = "gated",
        [LIFECYCLE_POD_START] = "start",
};

const char *lifecycle_event_to_string(LifecycleEventType ev) {
        return ev >= 0 && ev < _LIFECYCLE_EV_MAX ? event_table[ev] : NULL;
}

const char *lifecycle_action_to_string(LifecycleAction a) {
        for (size_t i = 0; i < ELEMENTSOF(action_table); i++)
                if ((uint32_t) a == 1u << i)
                        return action_table[i];
        return NULL;
}

const char *lifecycle_pod_verdict_to_string(LifecyclePodVerdict v) {
        return v >= 0 && v < _LIFECYCLE_POD_VERDICT_MAX ? pod_verdict_table[v] : NULL;
}

LifecycleOutcome lifecycle_outcome(ContainerPhase phase, LifecycleEventType ev) {
        if (phase < 0 || phase >= _CONTAINER_PHASE_MAX || ev < 0 || ev >= _LIFECYCLE_EV_MAX)
                return LIFECYCLE_UNDEFINED;
        return outcome_table[phase][ev];
}

bool lifecycle_restarts(RestartPolicy restart, const ExitInfo *e) {
        switch (restart) {
        case RESTART_ALWAYS:
                return true;
        case RESTART_ON_FAILURE:
                return e->code != 0 || e->signal != 0 || e->unhealthy;
        default:
                return false;
        }
}

bool lifecycle_busy(ContainerPhase phase) {
        return phase == CONTAINER_PULLING || phase == CONTAINER_STARTING || phase == CONTAINER_STOPPING;
}

bool lifecycle_unit_gone(ContainerPhase phase, int r, bool removed, bool after_stop) {
        if (phase != CONTAINER_RUNNING && phase != CONTAINER_STOPPING)
                return false;
        return r == 0 || (r < 0 && (removed || (after_stop && phase == CONTAINER_STOPPING)));
}

/* container_fail(): also what a failed pull or extraction comes to. */
static void step_start_failed(const LifecyclePolicy *policy, LifecycleState *s, const LifecycleEvent *ev,
                              LifecycleActions *a) {
        uint64_t delay = backoff_record_exit(&s->backoff, &policy->backoff, 0);

        s->last_exit = (ExitInfo) { .valid = true, .code = 125, .at_usec = ev->now_usec };
        s->phase = CONTAINER_FAILED;
        s->next_restart_usec = ev->now_usec + delay;
        a->mask |= LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_ARM_RESTART | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY;
        if (ev->unit_exists)
                a->mask |= LIFECYCLE_STOP_STRAY;
        a->delay_usec = delay;
}

/* container_gone(): wanted_stop is the phase it ended in. */
static void step_exited(const LifecyclePolicy *policy, LifecycleState *s, const LifecycleEvent *ev,
                        bool wanted_stop, LifecycleActions *a) {
        a->mask |= LIFECYCLE_UNWATCH_EXIT | LIFECYCLE_DISARM_TIMER | LIFECYCLE_CANCEL_UNIT_QUERY |
                   LIFECYCLE_SAVE_STATE | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY;
        s->exit_seen = false;
        s->last_exit = ev->exit;
        /* Killed for its health: a failure whatever its exit code, not the stop
         * somebody wanted. */
        if (s->kill_reason[0]) {
                s->last_exit.unhealthy = true;
                memcpy(s->last_exit.unhealthy_reason, s->kill_reason, sizeof s->last_exit.unhealthy_reason);
                s->kill_reason[0] = 0;
                wanted_stop = false;
        }
        if (wanted_stop || !policy->desired)
                s->phase = CONTAINER_WAITING;
        else if (lifecycle_restarts(policy->restart, &s->last_exit)) {
                a->delay_usec = backoff_record_exit(&s->backoff, &policy->backoff, ev->ran_usec);
                s->restarts++;
                s->phase = CONTAINER_BACKOFF;
                s->next_restart_usec = ev->now_usec + a->delay_usec;
                a->mask |= LIFECYCLE_ARM_RESTART;
        } else {
                s->phase = CONTAINER_EXITED;
                a->mask |= LIFECYCLE_RECORD_FINAL;
        }
}

/* The pass's first loop, and for DELETED its second (forget what is down). */
static void step_replace(LifecycleState *s, const LifecycleEvent *ev, LifecycleActions *a) {
        bool deleted = ev->type == LIFECYCLE_EV_DELETED;

        s->kill_reason[0] = 0;

        switch (s->phase) {
        case CONTAINER_PULLING:
                a->mask |= LIFECYCLE_CANCEL_PULL;
                s->phase = CONTAINER_WAITING;
                break;
        case CONTAINER_RUNNING:
                a->mask |= LIFECYCLE_STOP_SCOPE;
                s->phase = CONTAINER_STOPPING;
                return;
        case CONTAINER_BACKOFF:
        case CONTAINER_EXITED:
        case CONTAINER_FAILED:
                if (deleted)
                        break;
                /* A new spec deserves a fresh start, not the old backoff. */
                a->mask |= LIFECYCLE_DISARM_TIMER;
                s->next_restart_usec = 0;
                backoff_reset(&s->backoff);
                s->phase = CONTAINER_WAITING;
                return;
        default:
                break;
        }
        if (deleted && !lifecycle_busy(s->phase) && s->phase != CONTAINER_RUNNING) {
                /* Dropped from the spec: what it ran is history; a deleted pod
                 * loses the record with its scratch. */
                if (!ev->pod_deleted)
                        a->mask |= LIFECYCLE_REMOVE_FINAL;
                a->mask |= LIFECYCLE_FORGET;
        }
}

int lifecycle_step(const LifecyclePolicy *policy, LifecycleState *s, const LifecycleEvent *ev,
                   LifecycleActions *ret_actions) {
        LifecycleActions a = {};

        switch (lifecycle_outcome(s->phase, ev->type)) {
        case LIFECYCLE_HANDLED:
                break;
        case LIFECYCLE_IGNORED:
                *ret_actions = a;
                return LIFECYCLE_IGNORED;
        default:
                return -EINVAL;
        }

        switch (ev->type) {
        case LIFECYCLE_EV_START_REQUESTED:
                s->phase = CONTAINER_PULLING;
                a.mask |= LIFECYCLE_REMOVE_FINAL | LIFECYCLE_PULL;
                if (ev->new_hash)
                        a.mask |= LIFECYCLE_WIPE_SCRATCH;
                break;
        case LIFECYCLE_EV_USERNS_READY:
                s->phase = CONTAINER_WAITING;
                a.mask |= LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY;
                break;
        case LIFECYCLE_EV_PULLED:
        case LIFECYCLE_EV_PULL_FAILED:
        case LIFECYCLE_EV_UNPACKED:
        case LIFECYCLE_EV_UNPACK_FAILED:
                /* Not desired any more: back to waiting, and the pass decides. */
                if (!policy->desired) {
                        s->phase = CONTAINER_WAITING;
                        a.mask |= LIFECYCLE_REQUEUE;
                } else if (ev->type == LIFECYCLE_EV_PULL_FAILED || ev->type == LIFECYCLE_EV_UNPACK_FAILED)
                        step_start_failed(policy, s, ev, &a);
                else if (ev->type == LIFECYCLE_EV_PULLED)
                        a.mask |= LIFECYCLE_UNPACK;
                else {
                        s->exit_seen = false;
                        s->phase = CONTAINER_STARTING;
                        a.mask |= LIFECYCLE_LAUNCH | LIFECYCLE_WATCH_EXIT | LIFECYCLE_NOTIFY;
                }
                break;
        case LIFECYCLE_EV_STARTED:
                s->phase = CONTAINER_RUNNING;
                a.mask |= LIFECYCLE_SAVE_STATE | LIFECYCLE_ARM_STABLE | LIFECYCLE_REQUEUE | LIFECYCLE_NOTIFY;
                a.delay_usec = policy->backoff.stable_usec;
                /* It already ended while we waited for "running". */
                if (s->exit_seen)
                        a.mask |= LIFECYCLE_READ_EXIT;
                break;
        case LIFECYCLE_EV_START_FAILED:
                step_start_failed(policy, s, ev, &a);
                break;
        case LIFECYCLE_EV_EXIT_RECORD:
                /* Remembered in any phase (a launch clears it). The record
                 * comes first, the end of the scope follows; if systemd already
                 * forgot the unit, the answer finishes it. */
                s->exit_seen = true;
                if (s->phase == CONTAINER_RUNNING || s->phase == CONTAINER_STOPPING)
                        a.mask |= LIFECYCLE_CHECK_UNIT;
                break;
        case LIFECYCLE_EV_UNIT_REMOVED:
                /* Also sent for a daemon-reload: ask before ending it. */
                a.mask |= LIFECYCLE_CHECK_UNIT;
                break;
        case LIFECYCLE_EV_STOP_DONE:
                a.mask |= LIFECYCLE_CHECK_UNIT;
                a.after_stop = true;
                break;
        case LIFECYCLE_EV_EXITED:
                step_exited(policy, s, ev, s->phase == CONTAINER_STOPPING, &a);
                break;
        case LIFECYCLE_EV_UNHEALTHY:
                s->phase = CONTAINER_STOPPING;
                snprintf(s->kill_reason, sizeof s->kill_reason, "%s", ev->reason ?: "unhealthy");
                a.mask |= LIFECYCLE_STOP_SCOPE | LIFECYCLE_NOTIFY;
                break;
        case LIFECYCLE_EV_BACKOFF_ELAPSED:
                s->phase = CONTAINER_WAITING;
                s->next_restart_usec = 0;
                a.mask |= LIFECYCLE_REQUEUE;
                break;
        case LIFECYCLE_EV_STABLE:
                if (s->backoff.failures > 0) {
                        backoff_reset(&s->backoff);
                        a.mask |= LIFECYCLE_SAVE_STATE;
                }
                break;
        case LIFECYCLE_EV_SPEC_CHANGED:
        case LIFECYCLE_EV_DELETED:
                step_replace(s, ev, &a);
                break;
        case LIFECYCLE_EV_ADOPTED_RUNNING:
                s->phase = CONTAINER_RUNNING;
                a.mask |= LIFECYCLE_WATCH_EXIT | LIFECYCLE_REQUEUE;
                if (s->backoff.failures > 0) {
                        a.mask |= LIFECYCLE_ARM_STABLE;
                        a.delay_usec = policy->backoff.stable_usec;
                }
                break;
        case LIFECYCLE_EV_ADOPTED_VANISHED:
                /* It ended while nobody watched: count the exit as if we had seen it. */
                s->phase = CONTAINER_RUNNING;
                step_exited(policy, s, ev, false, &a);
                break;
        case LIFECYCLE_EV_ADOPTED_EXITED:
                /* Completed under the very spec desired now (a reboot): it stays so. */
                if (ev->spec_matches && !lifecycle_restarts(policy->restart, &ev->exit)) {
                        s->last_exit = ev->exit;
                        s->phase = CONTAINER_EXITED;
                } else
                        a.mask |= LIFECYCLE_REMOVE_FINAL | LIFECYCLE_FORGET;
                break;
        default:
                return -EINVAL;
        }
        *ret_actions = a;
        return 0;
}

int lifecycle_pod_plan(RestartPolicy restart, const BackoffPolicy *backoff, LifecycleMember *members, size_t n,
                       const LifecyclePod *pod, LifecyclePodVerdict *ret_verdict) {
        size_t left = 0;

        /* The states are the containers' own (podstate.h): a hole in the table
         * must leave every one of them as it was, not half the pod stepped. */
        for (size_t i = 0; i < n; i++)
                if (!(members[i].desired && members[i].spec_matches) &&
                    lifecycle_outcome(members[i].state->phase, members[i].desired ? LIFECYCLE_EV_SPEC_CHANGED
                                                                                  : LIFECYCLE_EV_DELETED) ==
                    LIFECYCLE_UNDEFINED)
                        return -EINVAL;

        /* Containers that must go: not desired, or started under another spec. */
        for (size_t i = 0; i < n; i++) {
                LifecycleMember *m = members + i;
                LifecyclePolicy policy = { .restart = restart, .backoff = *backoff, .desired = m->desired };
                LifecycleEvent ev = {
                        .type = m->desired ? LIFECYCLE_EV_SPEC_CHANGED : LIFECYCLE_EV_DELETED,
                        .pod_deleted = pod->deleted,
                };
                int r;

                m->actions = (LifecycleActions) {};
                if (m->desired && m->spec_matches)
                        continue;
                r = lifecycle_step(&policy, m->state, &ev, &m->actions);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++)
                left += !(members[i].actions.mask & LIFECYCLE_FORGET);

        if (pod->deleted) {
                if (left > 0)
                        *ret_verdict = LIFECYCLE_POD_WAIT_CONTAINERS;
                else if (pod->slice_stopped)
                        *ret_verdict = LIFECYCLE_POD_FORGET;
                else
                        *ret_verdict = pod->slice_job ? LIFECYCLE_POD_WAIT_SLICE : LIFECYCLE_POD_STOP_SLICE;
                return 0;
        }
        /* Applied again while its slice is being stopped: a scope started now
         * would conflict with that job. */
        if (pod->slice_job) {
                *ret_verdict = LIFECYCLE_POD_WAIT_SLICE;
                return 0;
        }
        /* A pod never runs with two network setups. */
        for (size_t i = 0; i < n; i++) {
                const LifecycleMember *m = members + i;

                if (!(m->actions.mask & LIFECYCLE_FORGET) && m->old_pod_level &&
                    (m->state->phase == CONTAINER_RUNNING || lifecycle_busy(m->state->phase))) {
                        *ret_verdict = LIFECYCLE_POD_GATED;
                        return 0;
                }
        }
        *ret_verdict = LIFECYCLE_POD_START;
        return 0;
}
