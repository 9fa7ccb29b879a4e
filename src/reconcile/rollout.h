/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Judging a rollout (issue 16) as one state machine: pure like health.h and
 * lifecycle.h (no I/O, no clock read, no allocation). The caller observes
 * the pod's changed containers, feeds what it saw with the time, and
 * performs the returned actions in order.
 *
 * Time: every usec is CLOCK_REALTIME. Choice: the deadline counts from the
 * revision's record time, which is kept in the store, so that a tankd killed
 * in the middle judges the same deadline after its restart; a monotonic clock
 * would restart the count on every boot. The healthy streak is not kept: a
 * resumed rollout counts min_healthy_sec again from its resumption.
 *
 * The rules:
 *  - rollout_begin() starts judging a revision. A rollout still in progress
 *    is superseded by it (its result SUPERSEDED, for the caller to record).
 *  - A revision is healthy while every changed container runs the new spec
 *    and is ready; it succeeded once it was healthy for min_healthy_usec
 *    without a break, before the deadline.
 *  - It failed when a changed container exited, was killed as unhealthy or
 *    could not start (the observation's failure text), or when the deadline
 *    passed first.
 *  - On failure with auto_revert, a revert target (the newest succeeded
 *    revision) and a cause other than ROLLBACK: result REVERTED and the
 *    action REVERT(target). Otherwise FAILED with the reason. A rollback is
 *    never reverted: it is reported.
 *  - A finished rollout ignores every observation. */

#include <stdbool.h>
#include <stdint.h>

#define ROLLOUT_REASON_MAX 256

typedef enum RolloutCause {
        ROLLOUT_CAUSE_APPLY,
        ROLLOUT_CAUSE_ROLLBACK,         /* written back by Tank after a failure */
        ROLLOUT_CAUSE_UNDO,             /* tankctl rollout undo */
        ROLLOUT_CAUSE_IMAGE_UPDATE,     /* a newer digest (tankctl update, image_update) */
        _ROLLOUT_CAUSE_MAX,
        _ROLLOUT_CAUSE_INVALID = -EINVAL,
} RolloutCause;

typedef enum RolloutResult {
        ROLLOUT_NONE,                   /* nothing judged yet */
        ROLLOUT_IN_PROGRESS,
        ROLLOUT_SUCCEEDED,
        ROLLOUT_FAILED,
        ROLLOUT_REVERTED,               /* failed, and the target was written back */
        ROLLOUT_SUPERSEDED,             /* a newer revision came first */
        _ROLLOUT_RESULT_MAX,
        _ROLLOUT_RESULT_INVALID = -EINVAL,
} RolloutResult;

typedef struct RolloutParams {
        uint64_t min_healthy_usec;
        uint64_t deadline_usec;
        bool auto_revert;
} RolloutParams;

typedef struct Rollout {
        int64_t revision;
        RolloutCause cause;
        RolloutParams params;
        RolloutResult result;
        uint64_t started_usec;          /* the revision's record time */
        uint64_t healthy_since_usec;    /* 0: not healthy now */
        int64_t revert_to;              /* the newest succeeded earlier revision, 0: none */
        char reason[ROLLOUT_REASON_MAX];/* why it failed ("" otherwise) */
} Rollout;

typedef struct RolloutObservation {
        bool healthy;                   /* every changed container runs the new spec and is ready */
        const char *failure;            /* non-NULL: a changed container failed, and how */
} RolloutObservation;

typedef enum RolloutActionType {
        ROLLOUT_ARM_TIMER,              /* at_usec: observe again then */
        ROLLOUT_FINISHED,               /* result, reason: record it, announce it */
        ROLLOUT_REVERT,                 /* revision: write that revision's spec back, cause ROLLBACK */
        _ROLLOUT_ACTION_MAX,
} RolloutActionType;

typedef struct RolloutAction {
        RolloutActionType type;
        uint64_t at_usec;
        int64_t revision;
} RolloutAction;

#define ROLLOUT_ACTIONS_MAX 3

/* Starts judging revision; *superseded is set to true when an earlier rollout
 * was still in progress (its revision is then *ret_superseded_revision).
 * started_usec: the revision's record time (now for a new one). */
void rollout_begin(Rollout *r, int64_t revision, RolloutCause cause, const RolloutParams *params,
                   uint64_t started_usec, int64_t revert_to, int64_t *ret_superseded_revision);

/* Returns the number of actions written to ret. */
unsigned rollout_observe(Rollout *r, const RolloutObservation *o, uint64_t now_usec,
                         RolloutAction ret[static ROLLOUT_ACTIONS_MAX]);

bool rollout_in_progress(const Rollout *r);

const char *rollout_cause_to_string(RolloutCause c);    /* "apply", "rollback", "undo", "image-update" */
RolloutCause rollout_cause_from_string(const char *s);
const char *rollout_result_to_string(RolloutResult r);  /* "", "in-progress", "succeeded", ... */
RolloutResult rollout_result_from_string(const char *s);
