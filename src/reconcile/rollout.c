/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "macro.h"
#include "reconcile/rollout.h"

static const char *const cause_table[_ROLLOUT_CAUSE_MAX] = {
        [ROLLOUT_CAUSE_APPLY] = "apply",
        [ROLLOUT_CAUSE_ROLLBACK] = "rollback",
        [ROLLOUT_CAUSE_UNDO] = "undo",
        [ROLLOUT_CAUSE_IMAGE_UPDATE] = "image-update",
};

static const char *const result_table[_ROLLOUT_RESULT_MAX] = {
        [ROLLOUT_NONE] = "",
        [ROLLOUT_IN_PROGRESS] = "in-progress",
        [ROLLOUT_SUCCEEDED] = "succeeded",
        [ROLLOUT_FAILED] = "failed",
        [ROLLOUT_REVERTED] = "reverted",
        [ROLLOUT_SUPERSEDED] = "superseded",
};

const char *rollout_cause_to_string(RolloutCause c) {
        return c >= 0 && c < _ROLLOUT_CAUSE_MAX ? cause_table[c] : NULL;
}

RolloutCause rollout_cause_from_string(const char *s) {
        for (int i = 0; s && i < _ROLLOUT_CAUSE_MAX; i++)
                if (streq(s, cause_table[i]))
                        return i;
        return _ROLLOUT_CAUSE_INVALID;
}

const char *rollout_result_to_string(RolloutResult r) {
        return r >= 0 && r < _ROLLOUT_RESULT_MAX ? result_table[r] : NULL;
}

RolloutResult rollout_result_from_string(const char *s) {
        for (int i = 0; s && i < _ROLLOUT_RESULT_MAX; i++)
                if (streq(s, result_table[i]))
                        return i;
        return _ROLLOUT_RESULT_INVALID;
}

bool rollout_in_progress(const Rollout *r) {
        return r->result == ROLLOUT_IN_PROGRESS;
}

void rollout_begin(Rollout *r, int64_t revision, RolloutCause cause, const RolloutParams *params,
                   uint64_t started_usec, int64_t revert_to, int64_t *ret_superseded_revision) {
        int64_t superseded = rollout_in_progress(r) ? r->revision : 0;

        *r = (Rollout) {
                .revision = revision,
                .cause = cause,
                .params = *params,
                .result = ROLLOUT_IN_PROGRESS,
                .started_usec = started_usec,
                .revert_to = revert_to > 0 && revert_to < revision ? revert_to : 0,
        };
        if (ret_superseded_revision)
                *ret_superseded_revision = superseded;
}

static unsigned rollout_fail(Rollout *r, const char *why, RolloutAction *a) {
        unsigned n = 0;

        if (r->params.auto_revert && r->revert_to > 0 && r->cause != ROLLOUT_CAUSE_ROLLBACK) {
                r->result = ROLLOUT_REVERTED;
                (void) snprintf_utf8(r->reason, sizeof r->reason, "%s; reverted to revision %" PRIi64, why, r->revert_to);
        } else {
                r->result = ROLLOUT_FAILED;
                (void) snprintf_utf8(r->reason, sizeof r->reason, "%s%s", why,
                         !r->params.auto_revert ? "" :
                         r->cause == ROLLOUT_CAUSE_ROLLBACK ? "; a rollback is not reverted" :
                         r->revert_to == 0 ? "; no earlier revision succeeded" : "");
        }
        a[n++] = (RolloutAction) { .type = ROLLOUT_FINISHED, .revision = r->revision };
        if (r->result == ROLLOUT_REVERTED)
                a[n++] = (RolloutAction) { .type = ROLLOUT_REVERT, .revision = r->revert_to };
        return n;
}

unsigned rollout_observe(Rollout *r, const RolloutObservation *o, uint64_t now_usec,
                         RolloutAction a[static ROLLOUT_ACTIONS_MAX]) {
        uint64_t deadline;

        if (!rollout_in_progress(r))
                return 0;
        deadline = r->started_usec + r->params.deadline_usec;

        if (o->failure)
                return rollout_fail(r, o->failure, a);

        if (o->healthy) {
                if (r->healthy_since_usec == 0)
                        r->healthy_since_usec = MAX(now_usec, 1);
                if (now_usec - r->healthy_since_usec >= r->params.min_healthy_usec) {
                        r->result = ROLLOUT_SUCCEEDED;
                        r->reason[0] = 0;
                        a[0] = (RolloutAction) { .type = ROLLOUT_FINISHED, .revision = r->revision };
                        return 1;
                }
        } else
                r->healthy_since_usec = 0;

        if (now_usec >= deadline) {
                char why[ROLLOUT_REASON_MAX];

                snprintf(why, sizeof why, "not healthy for %" PRIu64 "s within the deadline of %" PRIu64 "s",
                         r->params.min_healthy_usec / 1000000, r->params.deadline_usec / 1000000);
                return rollout_fail(r, why, a);
        }
        a[0] = (RolloutAction) {
                .type = ROLLOUT_ARM_TIMER,
                .at_usec = r->healthy_since_usec > 0 ? MIN(r->healthy_since_usec + r->params.min_healthy_usec, deadline)
                                                     : deadline,
        };
        return 1;
}
