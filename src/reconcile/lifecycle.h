/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container lifecycle as one state machine (issue 12): phases, the events
 * that move a container between them, and the actions the reconciler performs
 * for each step. Pure: no I/O, no clock read, no event loop; time and what was
 * read from disk or systemd come in the event. The reconciler feeds events and
 * performs the returned actions; the unit test drives the table directly.
 *
 * Derived from the reconciler as it was when this file was written (the
 * on_*() callbacks and container_*() steps of reconcile.c, adopt.c), so that
 * feeding it changes no behaviour. Where that code was implicit the choice is
 * written below, marked "Choice:".
 *
 * How the reconciler uses it: reconcile.c and adopt.c write no phase.
 * ContainerState embeds the machine's LifecycleState (podstate.h) as
 * "lifecycle"; container_feed() (steps.h) steps it in place with the pod's
 * policy (desired = the container's name is in the desired spec) and the
 * realtime clock, and then performs the mask (container_perform()). Every completion is an event: the
 * pull, the extraction and the launch (on_pulled(), on_layers_ready(),
 * on_launched(); their synchronous failures are *_FAILED), the pod's user
 * namespace range (reconcile_userns_done()), exit.json, UnitRemoved, the
 * StopUnit job, the two timers. The answer to CHECK_UNIT is judged by
 * lifecycle_unit_gone(); when the scope is gone, container_gone() reads the
 * exit and feeds EXITED. reconcile_pod() fills one LifecycleMember per
 * container, performs each member's actions (the FORGETs last, from the end
 * of the array) and then the verdict; it starts the containers whose phase
 * takes START_REQUESTED. Adoption feeds ADOPTED_RUNNING or ADOPTED_VANISHED
 * (through container_gone()) to a state loaded from state.json, and
 * ADOPTED_EXITED to a fresh state for a final.json. A stop is decided in
 * one place, the pass (lifecycle_pod_plan()): SPEC_CHANGED and DELETED say
 * per phase what stopping means; Tank has no imperative stop (deleting or
 * changing the spec is the stop), and a health kill is UNHEALTHY.
 *
 * Performing actions: the caller performs the bits of LifecycleActions.mask
 * in ascending bit order (the enum below is in that order). An action whose
 * I/O fails synchronously (LAUNCH, PULL, UNPACK, REMOVE_FINAL) makes the
 * caller feed the matching *_FAILED event at once and skip the rest of that
 * mask, as container_start() returns after container_fail(). READ_EXIT feeds
 * EXITED from within the mask; what follows it (REQUEUE, NOTIFY) is then
 * performed twice, which is harmless and what the code did.
 *
 * A start: the caller sets the hashes and passes the bring-up check, then
 * feeds START_REQUESTED (a failure before it feeds START_FAILED in WAITING).
 * PULL then leads, through the pod's user namespace range if it needs one
 * (USERNS_READY sends it back to WAITING for the next pass), to PULLED (the
 * image record is cached or was pulled; UNPACK follows) or, for a container
 * without an image, straight to UNPACKED (LAUNCH follows). The phase is
 * PULLING for all of that, also where the old code went WAITING -> STARTING
 * within one call: nobody observes the phase in between.
 *
 * Transition table (state x event -> next state: actions). "-" is "ignored,
 * no actions": a stale completion or a request the state has no use for;
 * lifecycle_step() returns LIFECYCLE_IGNORED for those. A pair missing here is
 * a bug: lifecycle_outcome() says LIFECYCLE_UNDEFINED and the test fails.
 * not-desired = LifecyclePolicy.desired is false.
 *
 *  START_REQUESTED   WAITING -> PULLING: REMOVE_FINAL, WIPE_SCRATCH (if new_hash), PULL; others -
 *  USERNS_READY      PULLING -> WAITING: REQUEUE, NOTIFY; others - (a pass moved it on)
 *  PULLED            PULLING -> PULLING: UNPACK; not-desired: WAITING: REQUEUE; others -
 *  PULL_FAILED       PULLING -> FAILED (as START_FAILED); not-desired: WAITING: REQUEUE; others -
 *  UNPACKED          PULLING -> STARTING: LAUNCH, WATCH_EXIT, NOTIFY (exit_seen cleared);
 *                    not-desired: WAITING: REQUEUE; others -
 *  UNPACK_FAILED     as PULL_FAILED
 *  STARTED           STARTING -> RUNNING: SAVE_STATE, ARM_STABLE(stable_usec), READ_EXIT (if
 *                    exit_seen), REQUEUE, NOTIFY; others -
 *  START_FAILED      WAITING, PULLING, STARTING -> FAILED: UNWATCH_EXIT, STOP_STRAY (if unit_exists),
 *                    ARM_RESTART(backoff of a 0 s run), REQUEUE, NOTIFY; last_exit = code 125;
 *                    restarts unchanged; others -
 *  EXIT_RECORD       any: exit_seen = true; RUNNING, STOPPING: CHECK_UNIT
 *  UNIT_REMOVED      RUNNING, STOPPING: CHECK_UNIT; others -
 *  STOP_DONE         STOPPING: CHECK_UNIT(after_stop); others - (UnitRemoved ended it already)
 *  EXITED            RUNNING -> restart policy (below); STOPPING -> WAITING; others -
 *                    always UNWATCH_EXIT, DISARM_TIMER, CANCEL_UNIT_QUERY, exit_seen cleared,
 *                    last_exit = the event's, and at the end SAVE_STATE, REQUEUE, NOTIFY
 *                    - not-desired:         WAITING
 *                    - policy restarts:     BACKOFF: ARM_RESTART(backoff_record_exit(ran)), restarts++
 *                    - policy does not:     EXITED: RECORD_FINAL (before SAVE_STATE)
 *  BACKOFF_ELAPSED   BACKOFF, FAILED -> WAITING: REQUEUE (no NOTIFY); others - (stale timer)
 *  STABLE            RUNNING with failures > 0: backoff reset, SAVE_STATE; RUNNING otherwise:
 *                    nothing; others - (e.g. STOPPING: the stable timer outlives StopUnit)
 *  SPEC_CHANGED      (the pass: desired, but its container or pod-level hash differs)
 *                    PULLING -> WAITING: CANCEL_PULL (Choice kept: the old backoff stays);
 *                    RUNNING -> STOPPING: STOP_SCOPE; STOPPING: nothing; WAITING: nothing;
 *                    STARTING - (busy: STARTED requeues and the next pass replaces it);
 *                    BACKOFF, EXITED, FAILED -> WAITING: DISARM_TIMER, backoff reset
 *  DELETED           (the pass: no longer in the desired spec, or the pod deleted)
 *                    PULLING -> WAITING: CANCEL_PULL, REMOVE_FINAL (unless pod_deleted), FORGET;
 *                    WAITING, BACKOFF, EXITED, FAILED: REMOVE_FINAL (unless pod_deleted), FORGET;
 *                    RUNNING -> STOPPING: STOP_SCOPE; STOPPING: nothing; STARTING -
 *                    (SPEC_CHANGED and DELETED clear an UNHEALTHY kill's reason: a stop that
 *                    is wanted makes the exit no crash)
 *  ADOPTED_RUNNING   WAITING (a fresh state loaded from state.json) -> RUNNING: WATCH_EXIT,
 *                    ARM_STABLE(stable_usec) only if failures > 0, REQUEUE; others -
 *  ADOPTED_VANISHED  WAITING (fresh, from state.json) -> as EXITED from RUNNING; others -
 *  ADOPTED_EXITED    WAITING (fresh, final.json) -> EXITED, last_exit = the event's, when
 *                    spec_matches and the policy would not restart that exit; otherwise stays
 *                    WAITING: REMOVE_FINAL, FORGET (it starts as new); others -
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "reconcile/backoff.h"
#include "reconcile/podstate.h"
#include "spec/pod.h"

typedef enum LifecycleEventType {
        LIFECYCLE_EV_START_REQUESTED,   /* the pass starts a WAITING container (hashes set, bring-up ok) */
        LIFECYCLE_EV_USERNS_READY,      /* the pod's userns range is known (a failure: START_FAILED) */
        LIFECYCLE_EV_PULLED,            /* the image is pulled and its record loaded */
        LIFECYCLE_EV_PULL_FAILED,       /* the pull failed, or its record is unreadable */
        LIFECYCLE_EV_UNPACKED,          /* layers extracted, or nothing to extract: ready to launch */
        LIFECYCLE_EV_UNPACK_FAILED,     /* extraction failed, or the image record vanished meanwhile */
        LIFECYCLE_EV_STARTED,           /* on_launched() with r >= 0: the scope runs */
        LIFECYCLE_EV_START_FAILED,      /* any step of a start failed (container_fail()) */
        LIFECYCLE_EV_EXIT_RECORD,       /* exit.json appeared in the run dir */
        LIFECYCLE_EV_UNIT_REMOVED,      /* systemd's UnitRemoved for the scope (also sent on daemon-reload) */
        LIFECYCLE_EV_EXITED,            /* the scope is gone: exit and ran_usec */
        LIFECYCLE_EV_STOP_DONE,         /* StopUnit's job finished (whatever its result) */
        LIFECYCLE_EV_BACKOFF_ELAPSED,   /* the restart timer fired */
        LIFECYCLE_EV_STABLE,            /* the stable-run timer fired */
        LIFECYCLE_EV_SPEC_CHANGED,      /* the pass: desired under other container or pod-level hashes */
        LIFECYCLE_EV_DELETED,           /* the pass: not desired any more */
        LIFECYCLE_EV_ADOPTED_RUNNING,   /* at start: state.json, and the shim lives in the scope */
        LIFECYCLE_EV_ADOPTED_VANISHED,  /* at start: state.json, but the scope is gone */
        LIFECYCLE_EV_ADOPTED_EXITED,    /* at start: nothing in /run, a final.json */
        LIFECYCLE_EV_UNHEALTHY,         /* the health machine's KILL (reason): stopped, then treated as a crash */
        _LIFECYCLE_EV_MAX,
        _LIFECYCLE_EV_INVALID = -EINVAL,
} LifecycleEventType;

typedef struct LifecycleEvent {
        LifecycleEventType type;
        uint64_t now_usec;      /* CLOCK_REALTIME when it happened (START_FAILED's exit, next_restart_usec) */
        ExitInfo exit;          /* EXITED, ADOPTED_VANISHED (exit.json or "killed"); ADOPTED_EXITED (final) */
        uint64_t ran_usec;      /* EXITED, ADOPTED_VANISHED: how long the run lasted, 0 if unknown */
        bool new_hash;          /* START_REQUESTED: it ran before under another container hash */
        bool unit_exists;       /* START_FAILED: the launch met a live scope of its name (-EEXIST) */
        bool pod_deleted;       /* DELETED: the whole pod is gone (its final records go with its scratch) */
        bool spec_matches;      /* ADOPTED_EXITED: final.json's container and pod-level hashes are desired */
        const char *reason;     /* UNHEALTHY: KILL's text ("liveness: http 503"), borrowed */
} LifecycleEvent;

typedef enum LifecycleAction {
        LIFECYCLE_CANCEL_PULL       = 1u << 0,  /* cancel the pull, the extraction, the wait for the userns range */
        LIFECYCLE_UNWATCH_EXIT      = 1u << 1,  /* drop the inotify watch for exit.json */
        LIFECYCLE_DISARM_TIMER      = 1u << 2,  /* drop the restart or stable timer */
        LIFECYCLE_CANCEL_UNIT_QUERY = 1u << 3,  /* drop an open "is the scope up?" question */
        LIFECYCLE_STOP_STRAY        = 1u << 4,  /* StopUnit the name, untracked: a stray of a killed tankd */
        LIFECYCLE_STOP_SCOPE        = 1u << 5,  /* StopUnit the scope; its end feeds STOP_DONE */
        LIFECYCLE_REMOVE_FINAL      = 1u << 6,  /* remove final.json, durably */
        LIFECYCLE_WIPE_SCRATCH      = 1u << 7,  /* queue the container's scratch for removal */
        LIFECYCLE_PULL              = 1u << 8,  /* userns range, then image from cache or pull */
        LIFECYCLE_UNPACK            = 1u << 9,  /* extract the pulled image's layers; feeds UNPACKED */
        LIFECYCLE_LAUNCH            = 1u << 10, /* spawn the shim in a new scope; feeds STARTED */
        LIFECYCLE_WATCH_EXIT        = 1u << 11, /* watch the run dir for exit.json (and pid) */
        LIFECYCLE_CHECK_UNIT        = 1u << 12, /* ask systemd whether the scope is up (after_stop) */
        LIFECYCLE_ARM_RESTART       = 1u << 13, /* arm the restart timer, delay_usec; feeds BACKOFF_ELAPSED */
        LIFECYCLE_ARM_STABLE        = 1u << 14, /* arm the stable-run timer, delay_usec; feeds STABLE */
        LIFECYCLE_RECORD_FINAL      = 1u << 15, /* write final.json, durably, before the phase is announced */
        LIFECYCLE_SAVE_STATE        = 1u << 16, /* write state.json */
        LIFECYCLE_READ_EXIT         = 1u << 17, /* the scope is gone: read exit.json, feed EXITED */
        LIFECYCLE_FORGET            = 1u << 18, /* drop the ContainerState */
        LIFECYCLE_REQUEUE           = 1u << 19, /* queue a pass of the pod */
        LIFECYCLE_NOTIFY            = 1u << 20, /* pod_changed(): phase and PropertiesChanged */
        _LIFECYCLE_ACTION_LAST      = LIFECYCLE_NOTIFY,
} LifecycleAction;

typedef struct LifecycleActions {
        uint32_t mask;          /* of LifecycleAction */
        uint64_t delay_usec;    /* ARM_RESTART, ARM_STABLE (never both) */
        bool after_stop;        /* CHECK_UNIT: asked because StopUnit finished (no answer counts as down) */
} LifecycleActions;

typedef struct LifecyclePolicy {
        RestartPolicy restart;  /* the desired pod's; irrelevant when !desired */
        BackoffPolicy backoff;
        bool desired;           /* the container is in the desired spec (pod not deleted) */
} LifecyclePolicy;

typedef enum LifecycleOutcome {
        LIFECYCLE_UNDEFINED,    /* a hole in the table */
        LIFECYCLE_HANDLED,
        LIFECYCLE_IGNORED,
} LifecycleOutcome;

/* Applies ev to s. Returns 0 when handled (s updated, actions in ret_actions,
 * possibly none), LIFECYCLE_IGNORED (positive) when the table ignores the pair
 * (s untouched, no actions), -EINVAL on an
 * invalid phase or event. */
int lifecycle_step(const LifecyclePolicy *policy, LifecycleState *s, const LifecycleEvent *ev,
                   LifecycleActions *ret_actions);
LifecycleOutcome lifecycle_outcome(ContainerPhase phase, LifecycleEventType ev);

/* Whether the policy restarts after this exit (policy_restarts()). */
bool lifecycle_restarts(RestartPolicy restart, const ExitInfo *e);
/* PULLING, STARTING, STOPPING: an operation is in flight that the pass leaves alone. */
bool lifecycle_busy(ContainerPhase phase);
/* Whether an answer to CHECK_UNIT means the scope is down, so READ_EXIT follows:
 * r > 0 up, 0 down, < 0 no answer (also a question that could not be sent);
 * removed: asked after UnitRemoved; after_stop: asked after StopUnit finished.
 * Without an answer, UnitRemoved decides, unless StopUnit is done. */
bool lifecycle_unit_gone(ContainerPhase phase, int r, bool removed, bool after_stop);

const char *lifecycle_event_to_string(LifecycleEventType ev);
/* The name of a single action bit, NULL for anything else. */
const char *lifecycle_action_to_string(LifecycleAction a);

/* ---- the pass over one pod (reconcile_pod()) ---- */

typedef struct LifecycleMember {
        LifecycleState *state;  /* in/out */
        bool desired;           /* its name is in the desired spec */
        bool spec_matches;      /* desired, and its container and pod-level hashes are the desired ones */
        bool old_pod_level;     /* it has a pod-level hash, and not the desired one */
        LifecycleActions actions; /* out: SPEC_CHANGED's or DELETED's, or none */
} LifecycleMember;

typedef struct LifecyclePod {
        bool deleted;           /* no desired spec */
        bool slice_job;         /* StopUnit of the slice in flight */
        bool slice_stopped;     /* that StopUnit finished */
} LifecyclePod;

typedef enum LifecyclePodVerdict {
        LIFECYCLE_POD_WAIT_CONTAINERS,  /* deleted, containers left: NOTIFY and wait for them */
        LIFECYCLE_POD_STOP_SLICE,       /* deleted, none left: StopUnit the slice (feeds a pass); if it
                                         * cannot be queued, go on as FORGET at once; no NOTIFY */
        LIFECYCLE_POD_WAIT_SLICE,       /* the slice's StopUnit is in flight: nothing, no NOTIFY */
        LIFECYCLE_POD_FORGET,           /* deleted and all down: cleanup, release userns, emit removed, free */
        LIFECYCLE_POD_GATED,            /* a pod-level change waits for the old containers: NOTIFY only */
        LIFECYCLE_POD_START,            /* clear slice_stopped; in spec order find or add each desired
                                         * container and feed START_REQUESTED to the WAITING ones; NOTIFY */
        _LIFECYCLE_POD_VERDICT_MAX,
} LifecyclePodVerdict;

/* The pass: feeds SPEC_CHANGED or DELETED to every member that needs it
 * (actions in members[i].actions, to perform in array order: those with
 * FORGET are gone afterwards), then decides for the pod. restart and backoff
 * are the desired pod's (ignored for members not desired). On failure
 * (-EINVAL: a pair the table lacks) no member's state has changed. */
int lifecycle_pod_plan(RestartPolicy restart, const BackoffPolicy *backoff, LifecycleMember *members, size_t n,
                       const LifecyclePod *pod, LifecyclePodVerdict *ret_verdict);
const char *lifecycle_pod_verdict_to_string(LifecyclePodVerdict v);
