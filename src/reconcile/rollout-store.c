/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rollouts in the store: the pod's history listed when a revision is new to
 * this tankd (new, or judged before a restart), its record written as the
 * judgement goes, the oldest records trimmed to [Rollout] HistoryLimit=, and
 * the revert: the newest succeeded revision's spec put back over the failed
 * one, compared on its revision so that an Apply that came first wins. */
#include <inttypes.h>

#include "escape.h"
#include "log.h"
#include "reconcile/rollout-internal.h"
#include "store/pods.h"
#include "strv.h"
#include "time-util.h"

typedef struct RolloutOp {
        RolloutRun *run;                /* NULL once the run is gone */
        struct RolloutOp **slot;        /* where the run points at this op */
        char *name;
        int64_t revision;
        Pod *pod;
} RolloutOp;

static RolloutOp *rollout_op_new(RolloutRun *run, RolloutOp **slot) {
        RolloutOp *op = calloc(1, sizeof(RolloutOp));

        if (!op)
                return NULL;
        op->run = run;
        op->slot = slot;
        if (slot)
                *slot = op;
        return op;
}

static void rollout_op_free(RolloutOp *op) {
        if (!op)
                return;
        if (op->run && op->slot && *op->slot == op)
                *op->slot = NULL;
        pod_free(op->pod);
        free(op->name);
        free(op);
}

void rollout_ops_detach(RolloutRun *run) {
        RolloutOp **slots[] = { &run->list_op, &run->write_op, &run->revert_op };

        for (size_t i = 0; i < ELEMENTSOF(slots); i++)
                if (*slots[i]) {
                        (*slots[i])->run = NULL;
                        *slots[i] = NULL;
                }
}

static Store *run_store(RolloutRun *run) {
        return run->pod->reconciler->store;
}

static void write_done(Store *s, int r, const char *error, void *userdata) {
        RolloutOp *op = userdata;
        RolloutRun *run = op->run;

        if (r < 0 && r != -ECANCELED)
                log_warning_errno(r, "Pod %s: failed to write the record of revision %" PRIi64 ": %s", op->name,
                                  op->revision, strna(error));
        rollout_op_free(op);
        if (run && run->write_again) {
                run->write_again = false;
                rollout_write_record(run);
        }
}

static void put_record(RolloutRun *run, const HistoryRecord *rec, RolloutOp **slot) {
        Store *s = run_store(run);
        RolloutOp *op;
        int r;

        if (!s)
                return;
        op = rollout_op_new(run, slot);
        if (!op || !(op->name = strdup(run->pod->name))) {
                rollout_op_free(op);
                log_oom();
                return;
        }
        op->revision = rec->revision;
        r = store_history_put(s, run->pod->name, rec, write_done, op);
        if (r < 0) {
                rollout_op_free(op);
                log_warning_errno(r, "Pod %s: failed to write the record of revision %" PRIi64 ": %m",
                                  run->pod->name, rec->revision);
        }
}

void rollout_write_record(RolloutRun *run) {
        if (!run->record)
                return;
        /* One put at a time, so that the store ends with the newest state. */
        if (run->write_op) {
                run->write_again = true;
                return;
        }
        put_record(run, run->record, &run->write_op);
}

void rollout_write_detached(RolloutRun *run, const HistoryRecord *rec) {
        put_record(run, rec, NULL);
}

static void delete_done(Store *s, int r, const char *error, void *userdata) {
        RolloutOp *op = userdata;

        if (r < 0 && r != -ECANCELED)
                log_debug_errno(r, "Pod %s: failed to remove the record of revision %" PRIi64 ": %s", op->name,
                                op->revision, strna(error));
        rollout_op_free(op);
}

static void delete_record(Store *s, const char *name, int64_t revision) {
        RolloutOp *op = rollout_op_new(NULL, NULL);
        int r;

        if (!op || !(op->name = strdup(name))) {
                rollout_op_free(op);
                return;
        }
        op->revision = revision;
        r = store_history_delete(s, name, revision, delete_done, op);
        if (r < 0)
                rollout_op_free(op);
}

/* Keep the newest HistoryLimit= records (the new one counted), and always
 * the one a revert would go back to. */
static void trim(RolloutRun *run, const HistoryList *l, bool new_record) {
        Store *s = run_store(run);
        size_t n = l->n_records + new_record, limit = run->pod->reconciler->config->rollout_history_limit;

        for (size_t i = 0; i < l->n_records && n > limit; i++) {
                if (l->records[i]->revision == run->good_revision)
                        continue;
                delete_record(s, run->pod->name, l->records[i]->revision);
                n--;
        }
}

static int new_record(PodState *p, RolloutCause cause, HistoryRecord **ret) {
        _cleanup_(history_record_freep) HistoryRecord *rec = calloc(1, sizeof(HistoryRecord));
        const Pod *d = p->desired;
        int r;

        if (!rec)
                return -ENOMEM;
        rec->revision = p->mod_revision;
        rec->time_usec = now_realtime_usec();
        rec->cause = strdup(rollout_cause_to_string(cause));
        rec->result = strdup(rollout_result_to_string(ROLLOUT_IN_PROGRESS));
        rec->reason = strdup("");
        rec->images = calloc(d->n_containers, sizeof(HistoryImage));
        if (!rec->cause || !rec->result || !rec->reason || !rec->images)
                return -ENOMEM;
        FOREACH_ARRAY(c, d->containers, d->n_containers) {
                HistoryImage *im = &rec->images[rec->n_images++];

                im->container = strdup(c->name);
                im->image = strdup(c->image ?: c->rootfs);
                im->digest = strdup("");
                if (!im->container || !im->image || !im->digest)
                        return -ENOMEM;
        }
        r = pod_serialize(d, &rec->spec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rec);
        return 0;
}

/* The newest succeeded record below `below` (or at it, for a final one). */
static void learn_good(RolloutRun *run, const HistoryList *l, int64_t upto) {
        for (size_t i = l->n_records; i > 0; i--) {
                const HistoryRecord *rec = l->records[i - 1];
                _cleanup_strv_free_ char **images = NULL;

                if (rec->revision > upto || !streq(rec->result, rollout_result_to_string(ROLLOUT_SUCCEEDED)))
                        continue;
                if (rec->revision <= run->good_revision)
                        return;
                for (size_t j = 0; j < rec->n_images; j++)
                        if (strv_extend(&images, rec->images[j].image) < 0 ||
                            (!isempty(rec->images[j].digest) && strv_extend(&images, rec->images[j].digest) < 0))
                                return (void) log_oom();
                if (free_and_strdup(&run->good_spec, rec->spec) < 0)
                        return (void) log_oom();
                strv_free(run->good_images);
                run->good_images = TAKE_PTR(images);
                run->good_revision = rec->revision;
                return;
        }
}

static void list_done(Store *s, int r, HistoryList *list, const char *error, void *userdata) {
        _cleanup_(history_list_freep) HistoryList *l = list;
        _cleanup_(history_record_freep) HistoryRecord *fresh = NULL;
        RolloutOp *op = userdata;
        RolloutRun *run = op->run;
        const HistoryRecord *rec;
        RolloutCause cause;
        PodState *p;
        int64_t revision;

        rollout_op_free(op);
        if (!run)
                return;
        p = run->pod;
        revision = run->loading_revision;
        run->loading_revision = 0;
        if (!p->desired || revision == 0)
                return;
        if (r < 0) {
                log_warning_errno(r, "Pod %s: cannot read the history, revision %" PRIi64 " is not judged: %s",
                                  p->name, p->mod_revision, strna(error));
                return;
        }
        STRV_FOREACH(w, l->warnings)
                log_warning("Ignoring a history record: %s", *w);
        /* A newer revision may have come while the list was on its way: the
         * pod's current one is judged. */
        revision = p->mod_revision;
        learn_good(run, l, revision);
        rec = history_list_find(l, revision);
        if (rec && !streq(rec->result, rollout_result_to_string(ROLLOUT_IN_PROGRESS))) {
                /* Judged before (tankd restarted): known, not judged again. */
                RolloutResult res = rollout_result_from_string(rec->result);
                RolloutCause c = rollout_cause_from_string(rec->cause);

                history_record_free(run->record);
                run->record = NULL;
                (void) history_record_copy(rec, &run->record);
                run->rollout = (Rollout) {
                        .revision = revision,
                        .cause = c < 0 ? ROLLOUT_CAUSE_APPLY : c,
                        .result = res < 0 ? ROLLOUT_FAILED : res,
                        .started_usec = rec->time_usec,
                };
                (void) snprintf_utf8(run->rollout.reason, sizeof run->rollout.reason, "%s", rec->reason);
                reconciler_rollout_changed(p->reconciler, p);
                return;
        }
        if (rec) {
                /* In progress when the last tankd stopped: judged on, against its deadline. */
                cause = rollout_cause_from_string(rec->cause);
                if (cause < 0)
                        cause = ROLLOUT_CAUSE_APPLY;
                log_info("Pod %s: resuming the rollout of revision %" PRIi64 ".", p->name, revision);
                rollout_start(run, rec, cause, rec->time_usec, run->good_revision < revision ? run->good_revision : 0);
                return;
        }
        /* The watch may bring the revert before its put answers: only that
         * answer says whether this revision is it (cause "rollback", never
         * reverted) or an Apply that came first. */
        if (run->revert_op) {
                run->load_after_revert = true;
                return;
        }
        cause = run->noted_revision == revision ? run->noted_cause : ROLLOUT_CAUSE_APPLY;
        r = new_record(p, cause, &fresh);
        if (r < 0) {
                log_warning_errno(r, "Pod %s: cannot record revision %" PRIi64 ": %m", p->name, revision);
                return;
        }
        rollout_start(run, fresh, cause, fresh->time_usec, run->good_revision);
        trim(run, l, true);
}

void rollout_load(RolloutRun *run, int64_t revision) {
        Store *s = run_store(run);
        RolloutOp *op;
        int r;

        if (!s) {
                log_warning("Pod %s: no store, revision %" PRIi64 " is not judged.", run->pod->name, revision);
                return;
        }
        run->loading_revision = revision;
        /* The list in flight answers for the newest revision too. */
        if (run->list_op)
                return;
        op = rollout_op_new(run, &run->list_op);
        if (!op)
                return (void) log_oom();
        r = store_history_list(s, run->pod->name, list_done, op);
        if (r < 0) {
                rollout_op_free(op);
                run->loading_revision = 0;
                log_warning_errno(r, "Pod %s: cannot read the history: %m", run->pod->name);
        }
}

static void revert_done(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        RolloutOp *op = userdata;
        RolloutRun *run = op->run;

        if (r == -ESTALE || r == -EEXIST)
                log_info("Pod %s: revision %" PRIi64 " was replaced before its revert was written; not reverted.",
                         op->name, op->revision);
        else if (r < 0 && r != -ECANCELED)
                log_error_errno(r, "Pod %s: failed to write the revert of revision %" PRIi64 ": %s", op->name,
                                op->revision, strna(error));
        else if (r >= 0 && run) {
                Reconciler *rc = run->pod->reconciler;

                log_info("Pod %s: revision %" PRIi64 " reverted as revision %" PRIi64 ".", op->name, op->revision,
                         mod_revision);
                /* The watch may have brought the write before this answer:
                 * rollout_note_cause() then corrects what was recorded. */
                rollout_note_cause(rc, op->name, mod_revision, ROLLOUT_CAUSE_ROLLBACK);
                /* Taken now, as an Apply would be; the watch's copy is then a no-op. */
                (void) reconciler_applied(rc, TAKE_PTR(op->pod), mod_revision);
        }
        rollout_op_free(op);
        if (run && run->load_after_revert) {
                run->load_after_revert = false;
                if (run->pod->desired)
                        rollout_load(run, run->pod->mod_revision);
        }
}

void rollout_revert(RolloutRun *run, int64_t to_revision) {
        _cleanup_free_ char *error = NULL;
        _cleanup_pod_free_ Pod *pod = NULL;
        Store *s = run_store(run);
        RolloutOp *op;
        int r;

        if (!s || run->good_revision != to_revision || !run->good_spec) {
                log_error("Pod %s: cannot revert to revision %" PRIi64 ": its spec is not known.", run->pod->name,
                          to_revision);
                return;
        }
        r = pod_parse(run->good_spec, strlen(run->good_spec), &pod, &error);
        if (r < 0) {
                log_error_errno(r, "Pod %s: cannot revert to revision %" PRIi64 ": its spec: %s", run->pod->name,
                                to_revision, strna(error));
                return;
        }
        op = rollout_op_new(run, &run->revert_op);
        if (!op || !(op->name = strdup(run->pod->name)))
                return (void) (rollout_op_free(op), log_oom());
        op->revision = run->rollout.revision;
        op->pod = TAKE_PTR(pod);
        r = store_pods_put(s, op->pod, run->rollout.revision, revert_done, op);
        if (r < 0) {
                rollout_op_free(op);
                log_error_errno(r, "Pod %s: failed to write the revert: %m", run->pod->name);
        }
}

static void forget_listed(Store *s, int r, HistoryList *list, const char *error, void *userdata) {
        _cleanup_(history_list_freep) HistoryList *l = list;
        RolloutOp *op = userdata;

        /* Only what came before the delete: a pod of that name applied again
         * since has a history of its own. */
        if (r >= 0)
                for (size_t i = 0; i < l->n_records; i++)
                        if (l->records[i]->revision < op->revision)
                                delete_record(s, op->name, l->records[i]->revision);
        rollout_op_free(op);
}

void rollout_forget(Reconciler *rc, const char *name, int64_t deleted_revision) {
        RolloutOp *op;

        if (!rc->store)
                return;
        op = rollout_op_new(NULL, NULL);
        if (!op || !(op->name = strdup(name)))
                return (void) rollout_op_free(op);
        op->revision = deleted_revision;
        if (store_history_list(rc->store, name, forget_listed, op) < 0)
                rollout_op_free(op);
}
