/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A running container's health (issue 14) as one state machine: the startup,
 * liveness and readiness probes, sd_notify READY=1 and the watchdog, in
 * Kubernetes' sense. Pure like lifecycle.h: no I/O, no clock read, no event
 * loop, no allocation; time comes in the event. The reconciler feeds events
 * and performs the returned actions, in array order, on sd-event; the unit
 * test drives it directly.
 *
 * Time: every now_usec and at_usec is on one clock, the one the caller's
 * timers run on (CLOCK_MONOTONIC: a probe period must not jump with the
 * wall clock).
 *
 * Timers are one-shot: ARM_PROBE_TIMER(type, at) replaces an armed timer of
 * that type, and its firing is fed as PROBE_DUE(type). ARM_WATCHDOG(at)
 * likewise, fed as WATCHDOG_DUE. A timer that fired needs no DISARM.
 *
 * The rules, with the choices this file makes marked "Choice:":
 *
 *  - Zero parameters take Kubernetes' defaults (period 10 s, timeout 1 s,
 *    success_threshold 1, failure_threshold 3), so that a spec that forgot one
 *    never makes a probe spin. initial_delay 0 is no delay.
 *  - Start: CONTAINER_STARTED arms the startup probe at now + initial_delay if
 *    there is one, otherwise liveness and readiness at now + their
 *    initial_delay; with notify and watchdog_usec, ARM_WATCHDOG(now +
 *    watchdog_usec); then READY_CHANGED and HEALTH_CHANGED with the initial
 *    values, always, so that the caller never assumes them.
 *  - Runs: PROBE_DUE gives RUN_PROBE(type, at = now + timeout: the deadline
 *    at which the caller abandons the run and reports timed_out). A probe is
 *    never run twice at once: the next run is armed only by the result.
 *    Choice: the period counts from the previous run's start (Kubernetes'
 *    ticker), so the next run is at max(start + period, result time): a run
 *    that outlasted its period is followed at once, not stacked. PROBE_DUE
 *    for a probe that is in flight or not armed is a stale timer: ignored.
 *    PROBE_DUE before the armed time re-arms it.
 *  - A result is a failure when !success, when timed_out, or when it comes
 *    after start + timeout (the caller's deadline lost a race).
 *  - Startup: while it has not passed, liveness and readiness are neither
 *    armed nor run. success_threshold consecutive successes pass it (then it
 *    never runs again, and liveness and readiness are armed at max(container
 *    start + initial_delay, now)); failure_threshold consecutive failures are a
 *    liveness failure: KILL("startup: <reason>").
 *  - Liveness: a success resets the failure count (success_threshold is
 *    Kubernetes' fixed 1); failure_threshold consecutive failures:
 *    KILL("liveness: <reason>"). Below the threshold health stays what it was.
 *  - Watchdog (notify and watchdog_usec > 0 only): armed from the start,
 *    independent of the probes; each WATCHDOG=1 moves the deadline to now +
 *    watchdog_usec. WATCHDOG_DUE at or past the deadline: KILL("watchdog: no
 *    WATCHDOG=1 for 30s"); before it (a timer that was not re-armed in time)
 *    re-arms it.
 *  - KILL ends the machine's work for this run: in flight probes are
 *    cancelled (CANCEL_PROBE), timers disarmed, ready false, health
 *    "unhealthy" with the kill reason, KILL last. Then every event but
 *    CONTAINER_STOPPED is ignored. The caller stops the scope and records the
 *    exit as "unhealthy" with KILL's text; restart policy and backoff apply
 *    as to any exit (lifecycle.h).
 *  - Readiness: ready = running, not killed, startup passed, the readiness
 *    probe passing (if any) and READY=1 received (if notify).
 *    Choice: with both a readiness probe and notify, both are needed; the
 *    probe runs from startup on regardless of READY=1. The probe passes
 *    after success_threshold consecutive successes and stops passing after
 *    failure_threshold consecutive failures, without KILL; it runs for the
 *    container's whole life. Failures before the first pass change nothing
 *    but the log. A container without readiness probe and without notify is
 *    ready while it runs (once startup passed).
 *  - Health, for display: "" (HEALTH_NONE) without any probe and without
 *    notify; "starting" until startup passed and the container was first
 *    ready; "unhealthy" when killed or when readiness stopped passing after it
 *    had passed (its reason "readiness: <reason>"); "healthy" otherwise.
 *    HEALTH_CHANGED comes when the value changes.
 *  - Adoption (tankd restarted): CONTAINER_ADOPTED is CONTAINER_STARTED at the
 *    adoption time: counts, streaks and initial delays start afresh, nothing
 *    missed while tankd was down counts. Choice: started_up (tankd recorded
 *    that startup passed) skips the startup probe, so that an old container is
 *    not killed by a startup budget counted from adoption; ready_notified
 *    (tankd recorded READY=1) stands for the READY=1 the workload will not
 *    send again. The caller persists both, e.g. in state.json.
 *  - CONTAINER_STOPPED (the scope is gone, or its stop begun): cancels in
 *    flight probes, disarms every timer, ready false and health "" (each
 *    announced if it changes). Until the next start, everything else is
 *    ignored.
 *  - LOG: a failed result logs while its streak is within failure_threshold
 *    (a readiness probe that fails for days does not fill the journal), a
 *    success after failures logs the recovery, and every KILL logs.
 *
 * Strings: a result's reason and STATUS= are copied, truncated to
 * HEALTH_TEXT_MAX - 1 bytes at a UTF-8 boundary; nothing is escaped (the
 * display does that). The output of a failing probe is the caller's to keep.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEALTH_TEXT_MAX 256
#define HEALTH_ACTIONS_MAX 16

typedef enum ProbeType {
        PROBE_TYPE_STARTUP,
        PROBE_TYPE_LIVENESS,
        PROBE_TYPE_READINESS,
        _PROBE_TYPE_MAX,
        _PROBE_TYPE_INVALID = -EINVAL,
} ProbeType;

typedef struct HealthProbeParams {
        bool set;
        uint64_t initial_delay_usec, period_usec, timeout_usec;
        unsigned success_threshold, failure_threshold;
} HealthProbeParams;

typedef struct HealthParams {
        HealthProbeParams probe[_PROBE_TYPE_MAX];
        bool notify;            /* the workload speaks sd_notify (READY=1 gates readiness) */
        uint64_t watchdog_usec; /* with notify: WATCHDOG=1 at least this often, 0 for none */
} HealthParams;

typedef enum Health {
        HEALTH_NONE,            /* no probes, no notify: "" */
        HEALTH_STARTING,
        HEALTH_HEALTHY,
        HEALTH_UNHEALTHY,
        _HEALTH_MAX,
        _HEALTH_INVALID = -EINVAL,
} Health;

typedef enum HealthEventType {
        HEALTH_EV_CONTAINER_STARTED,    /* now: the scope runs (lifecycle STARTED) */
        HEALTH_EV_CONTAINER_ADOPTED,    /* now, started_up, ready_notified: tankd adopted a running one */
        HEALTH_EV_CONTAINER_STOPPED,    /* the run is over, or its stop begun */
        HEALTH_EV_PROBE_DUE,            /* probe, now: its timer fired */
        HEALTH_EV_PROBE_RESULT,         /* probe, success, timed_out, text (reason), now */
        HEALTH_EV_NOTIFY_READY,         /* now: READY=1 */
        HEALTH_EV_NOTIFY_STATUS,        /* text: STATUS= */
        HEALTH_EV_NOTIFY_WATCHDOG,      /* now: WATCHDOG=1 */
        HEALTH_EV_WATCHDOG_DUE,         /* now: the watchdog timer fired */
        _HEALTH_EV_MAX,
        _HEALTH_EV_INVALID = -EINVAL,
} HealthEventType;

typedef struct HealthEvent {
        HealthEventType type;
        uint64_t now_usec;
        ProbeType probe;        /* PROBE_DUE, PROBE_RESULT */
        bool success;           /* PROBE_RESULT: the check passed (exit 0, http 2xx/3xx, connected) */
        bool timed_out;         /* PROBE_RESULT: abandoned at RUN_PROBE's deadline */
        const char *text;       /* PROBE_RESULT: a short reason ("http 503", "exec exit 1"); NOTIFY_STATUS;
                                 * borrowed, may be NULL */
        bool started_up;        /* ADOPTED: tankd had recorded that startup passed */
        bool ready_notified;    /* ADOPTED: tankd had recorded READY=1; STARTED: READY=1 came
                                 * before tankd saw the start (it may, at once after the exec) */
} HealthEvent;

typedef enum HealthActionType {
        HEALTH_RUN_PROBE,               /* probe, at_usec = its deadline: run it, feed PROBE_RESULT */
        HEALTH_CANCEL_PROBE,            /* probe: abandon the run in flight, feed nothing */
        HEALTH_ARM_PROBE_TIMER,         /* probe, at_usec: feeds PROBE_DUE */
        HEALTH_DISARM_PROBE_TIMER,      /* probe */
        HEALTH_ARM_WATCHDOG,            /* at_usec: feeds WATCHDOG_DUE */
        HEALTH_DISARM_WATCHDOG,
        HEALTH_LOG,                     /* text */
        HEALTH_READY_CHANGED,           /* ready */
        HEALTH_HEALTH_CHANGED,          /* health, text = its reason ("" unless unhealthy) */
        HEALTH_KILL,                    /* text = the reason: stop the scope, record the exit "unhealthy" */
        _HEALTH_ACTION_MAX,
        _HEALTH_ACTION_INVALID = -EINVAL,
} HealthActionType;

typedef struct HealthAction {
        HealthActionType type;
        ProbeType probe;
        uint64_t at_usec;
        bool ready;
        Health health;
        char text[HEALTH_TEXT_MAX];
} HealthAction;

typedef struct HealthActions {
        size_t n;
        HealthAction action[HEALTH_ACTIONS_MAX];
} HealthActions;

typedef struct HealthProbeState {
        bool armed;             /* its timer is armed, at due_usec */
        bool running;           /* a run is in flight, since started_usec */
        uint64_t due_usec;
        uint64_t started_usec;
        unsigned successes;     /* consecutive */
        unsigned failures;      /* consecutive */
        bool passing;           /* startup: passed; readiness: passing; liveness: unused */
        char reason[HEALTH_TEXT_MAX]; /* the last result's */
} HealthProbeState;

/* What ContainerState keeps of health; plain data, zero is "not running". */
typedef struct HealthState {
        bool running;           /* between STARTED/ADOPTED and STOPPED */
        bool killed;            /* KILL was given for this run */
        bool started_up;        /* the startup probe passed, or there is none */
        bool notify_ready;      /* READY=1 received */
        bool ever_ready;        /* ready at least once this run (ends "starting") */
        bool ready;             /* as last announced */
        Health health;          /* as last announced */
        uint64_t start_usec;    /* STARTED's or ADOPTED's now: initial delays count from here */
        uint64_t watchdog_usec; /* the watchdog's deadline, 0 if none */
        char health_reason[HEALTH_TEXT_MAX];
        char status[HEALTH_TEXT_MAX];   /* the last STATUS= */
        HealthProbeState probe[_PROBE_TYPE_MAX];
} HealthState;

#define HEALTH_IGNORED 1

/* Applies ev to s. Returns 0 when handled (s updated, actions in ret_actions,
 * possibly none), HEALTH_IGNORED when the event does not apply (a stale timer
 * or result, anything while not running or after KILL: s untouched, no
 * actions), -EBUSY on STARTED/ADOPTED while running (STOPPED first), -EINVAL
 * on an invalid event or probe type. */
int health_step(const HealthParams *params, HealthState *s, const HealthEvent *ev, HealthActions *ret_actions);

/* Whether params ask for any health tracking (a probe or notify). */
bool health_params_any(const HealthParams *params);

const char *probe_type_to_string(ProbeType t);
/* "" for HEALTH_NONE. */
const char *health_to_string(Health h);
const char *health_event_to_string(HealthEventType t);
const char *health_action_to_string(HealthActionType t);
