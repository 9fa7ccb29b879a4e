/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The RolloutRun's fields, for rollout-run.c and rollout-store.c only. */

#include "reconcile/reconcile.h"
#include "reconcile/rollout-run.h"
#include "store/history.h"

struct RolloutOp;

struct RolloutRun {
        PodState *pod;
        Rollout rollout;
        HistoryRecord *record;          /* of rollout.revision, as last written */
        char **changed;                 /* containers the judged revision changed */
        sd_event_source *timer;         /* ROLLOUT_ARM_TIMER, CLOCK_REALTIME */
        /* The cause a writer announced for a revision (rollout_note_cause()). */
        int64_t noted_revision;
        RolloutCause noted_cause;
        /* The revision the history is being listed for; 0 when none. */
        int64_t loading_revision;
        struct RolloutOp *list_op;
        struct RolloutOp *write_op;     /* the record's put in flight */
        bool write_again;               /* it changed while the put was in flight */
        struct RolloutOp *revert_op;
        bool load_after_revert;         /* a new revision came while the revert was on its way */
        int64_t good_revision;          /* the newest succeeded revision */
        char *good_spec;                /* its canonical spec, for a revert */
        char **good_images;             /* its images: protected */
};

RolloutRun *rollout_run_get(PodState *p);      /* created on first use; NULL on OOM */

/* rollout-store.c */
void rollout_load(RolloutRun *run, int64_t revision);
void rollout_write_record(RolloutRun *run);
/* A record of another revision (superseded), fire and forget. */
void rollout_write_detached(RolloutRun *run, const HistoryRecord *rec);
/* The pod is gone: its history too. */
void rollout_forget(Reconciler *rc, const char *name, int64_t deleted_revision);
void rollout_revert(RolloutRun *run, int64_t to_revision);
void rollout_ops_detach(RolloutRun *run);

/* rollout-run.c */
void rollout_judge(RolloutRun *run);
/* Begin judging p's desired revision (record: its record, or a new one). */
void rollout_start(RolloutRun *run, const HistoryRecord *record, RolloutCause cause, uint64_t started_usec,
                   int64_t revert_to);
