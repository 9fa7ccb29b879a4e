/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rollouts on the loop: which containers a revision changed, what they do
 * (fed to rollout.h's machine), its timer, and the results announced. The
 * store side is rollout-store.c's. */
#include <inttypes.h>

#include "escape.h"
#include "log.h"
#include "reconcile/probes.h"
#include "reconcile/rollout-internal.h"
#include "strv.h"
#include "time-util.h"

RolloutRun *rollout_run_get(PodState *p) {
        RolloutRun *run = p->rollout;

        if (run)
                return run;
        run = calloc(1, sizeof(RolloutRun));
        if (!run)
                return NULL;
        run->pod = p;
        p->rollout = run;
        return run;
}

RolloutRun *rollout_run_free(RolloutRun *run) {
        if (!run)
                return NULL;
        rollout_ops_detach(run);
        sd_event_source_disable_unref(run->timer);
        history_record_free(run->record);
        strv_free(run->changed);
        free(run->good_spec);
        strv_free(run->good_images);
        return mfree(run);
}

const Rollout *pod_state_rollout(const PodState *p) {
        return p->rollout && p->rollout->rollout.result != ROLLOUT_NONE ? &p->rollout->rollout : NULL;
}

uint64_t pod_state_rollout_healthy_usec(const PodState *p) {
        const Rollout *r = pod_state_rollout(p);
        uint64_t now = now_realtime_usec();

        if (!r)
                return 0;
        if (r->result == ROLLOUT_SUCCEEDED)
                return r->params.min_healthy_usec;
        if (!rollout_in_progress(r) || r->healthy_since_usec == 0 || now < r->healthy_since_usec)
                return 0;
        return now - r->healthy_since_usec;
}

char **pod_state_protected_images(const PodState *p) {
        return p->rollout ? p->rollout->good_images : NULL;
}

void rollout_note_cause(Reconciler *rc, const char *name, int64_t revision, RolloutCause cause) {
        PodState *p = reconciler_get_pod(rc, name);
        RolloutRun *run;

        if (!p || !(run = rollout_run_get(p))) {
                log_oom();
                return;
        }
        run->noted_revision = revision;
        run->noted_cause = cause;
        /* The record may already be out with the default cause: correct it. */
        if (run->rollout.revision == revision && run->rollout.cause != cause && run->record) {
                run->rollout.cause = cause;
                if (free_and_strdup(&run->record->cause, rollout_cause_to_string(cause)) >= 0)
                        rollout_write_record(run);
                reconciler_rollout_changed(p->reconciler, p);
        }
}

/* The names of the containers of new that differ from old (or all, when the
 * pod level differs or there is no old). */
static int changed_containers(const Pod *old, const Pod *new, char ***ret) {
        char a[SPEC_HASH_LEN + 1], b[SPEC_HASH_LEN + 1];
        _cleanup_strv_free_ char **l = NULL;
        bool all;
        int r;

        all = !old;
        if (old) {
                r = pod_level_hash(old, a);
                if (r >= 0)
                        r = pod_level_hash(new, b);
                if (r < 0)
                        return r;
                all = !streq(a, b);
        }
        FOREACH_ARRAY(c, new->containers, new->n_containers) {
                const PodContainer *o = all ? NULL : pod_find_container(old, c->name);

                if (o) {
                        r = container_hash(o, a);
                        if (r >= 0)
                                r = container_hash(c, b);
                        if (r < 0)
                                return r;
                        if (streq(a, b))
                                continue;
                }
                r = strv_extend(&l, c->name);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

void rollout_desired_changed(PodState *p, const Pod *old, const Pod *new, int64_t revision) {
        _cleanup_strv_free_ char **changed = NULL;
        RolloutRun *run;
        int r;

        if (!new) {
                /* Deleted: nothing to judge, nothing to revert to. */
                if (p->rollout) {
                        p->rollout->timer = sd_event_source_disable_unref(p->rollout->timer);
                        p->rollout->loading_revision = 0;
                }
                if (old)
                        rollout_forget(p->reconciler, p->name, revision);
                return;
        }
        run = rollout_run_get(p);
        r = run ? changed_containers(old, new, &changed) : -ENOMEM;
        if (r < 0) {
                log_warning_errno(r, "Pod %s: cannot judge revision %" PRIi64 ": %m", p->name, revision);
                return;
        }
        strv_free(run->changed);
        run->changed = TAKE_PTR(changed);
        rollout_load(run, revision);
}

static void announce_finished(RolloutRun *run) {
        const Rollout *r = &run->rollout;

        log_full(r->result == ROLLOUT_SUCCEEDED ? LOG_INFO : LOG_WARNING,
                 "Pod %s: rollout of revision %" PRIi64 " %s%s%s", run->pod->name, r->revision,
                 rollout_result_to_string(r->result), r->reason[0] ? ": " : ".", r->reason);
        reconciler_rollout_finished(run->pod->reconciler, run->pod, r->revision, rollout_result_to_string(r->result),
                                    r->reason);
}

static int on_rollout_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RolloutRun *run = userdata;

        run->timer = sd_event_source_disable_unref(run->timer);
        rollout_judge(run);
        return 0;
}

static void arm_timer(RolloutRun *run, uint64_t at) {
        Reconciler *rc = run->pod->reconciler;
        int r;

        if (run->timer) {
                r = sd_event_source_set_time(run->timer, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(run->timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(rc->event, &run->timer, CLOCK_REALTIME, at, 0, on_rollout_timer, run);
        if (r < 0)
                log_warning_errno(r, "Pod %s: cannot arm the rollout timer, judging at the next change: %m",
                                  run->pod->name);
}

/* What the changed containers do now. *ret_failure: a malloc'd reason when
 * one failed. */
static int observe(RolloutRun *run, bool *ret_healthy, char **ret_failure) {
        PodState *p = run->pod;
        char pod_hash[SPEC_HASH_LEN + 1], hash[SPEC_HASH_LEN + 1];
        bool healthy = true;
        int r;

        r = pod_level_hash(p->desired, pod_hash);
        if (r < 0)
                return r;
        STRV_FOREACH(name, run->changed) {
                const PodContainer *spec = pod_find_container(p->desired, *name);
                ContainerState *c = pod_state_find_container(p, *name);
                bool new;

                if (!spec)
                        continue;
                if (!c) {
                        healthy = false;
                        continue;
                }
                r = container_hash(spec, hash);
                if (r < 0)
                        return r;
                new = streq(c->hash, hash) && streq(c->pod_hash, pod_hash);
                if (c->lifecycle.phase == CONTAINER_FAILED) {
                        if (asprintf(ret_failure, "container %s: %s", c->name, c->message ?: "cannot start") < 0)
                                return -ENOMEM;
                        return 0;
                }
                if (new && (c->lifecycle.phase == CONTAINER_BACKOFF || c->lifecycle.phase == CONTAINER_EXITED)) {
                        _cleanup_free_ char *e = NULL;

                        /* A job that completed is what it was meant to do. */
                        if (c->lifecycle.phase == CONTAINER_EXITED && c->lifecycle.last_exit.code == 0 && !c->lifecycle.last_exit.unhealthy)
                                continue;
                        if (c->lifecycle.last_exit.unhealthy)
                                r = asprintf(ret_failure, "container %s: %s", c->name, c->lifecycle.last_exit.unhealthy_reason);
                        else {
                                r = exit_info_to_string(&c->lifecycle.last_exit, &e);
                                if (r < 0)
                                        return r;
                                r = asprintf(ret_failure, "container %s: exited (%s)", c->name,
                                             isempty(e) ? "unknown status" : e);
                        }
                        return r < 0 ? -ENOMEM : 0;
                }
                if (!new || c->lifecycle.phase != CONTAINER_RUNNING || !container_is_ready(c))
                        healthy = false;
        }
        *ret_healthy = healthy;
        return 0;
}

static void record_images_digests(RolloutRun *run) {
        HistoryRecord *rec = run->record;

        for (size_t i = 0; rec && i < rec->n_images; i++) {
                ContainerState *c = pod_state_find_container(run->pod, rec->images[i].container);

                if (c && c->image_digest && isempty(rec->images[i].digest))
                        (void) free_and_strdup(&rec->images[i].digest, c->image_digest);
        }
}

static void remember_good(RolloutRun *run) {
        _cleanup_strv_free_ char **images = NULL;
        HistoryRecord *rec = run->record;

        if (!rec)
                return;
        for (size_t i = 0; i < rec->n_images; i++) {
                if (strv_extend(&images, rec->images[i].image) < 0 ||
                    (!isempty(rec->images[i].digest) && strv_extend(&images, rec->images[i].digest) < 0)) {
                        log_oom();
                        return;
                }
        }
        if (free_and_strdup(&run->good_spec, rec->spec) < 0) {
                log_oom();
                return;
        }
        strv_free(run->good_images);
        run->good_images = TAKE_PTR(images);
        run->good_revision = rec->revision;
}

void rollout_judge(RolloutRun *run) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        _cleanup_free_ char *failure = NULL;
        PodState *p = run->pod;
        bool healthy = false;
        unsigned n;
        int r;

        if (!rollout_in_progress(&run->rollout) || !p->desired || p->mod_revision != run->rollout.revision)
                return;
        r = observe(run, &healthy, &failure);
        if (r < 0) {
                log_warning_errno(r, "Pod %s: cannot observe revision %" PRIi64 ": %m", p->name, run->rollout.revision);
                return;
        }
        n = rollout_observe(&run->rollout, &(RolloutObservation) { .healthy = healthy, .failure = failure },
                            now_realtime_usec(), a);
        for (unsigned i = 0; i < n; i++)
                switch (a[i].type) {
                case ROLLOUT_ARM_TIMER:
                        arm_timer(run, a[i].at_usec);
                        break;
                case ROLLOUT_FINISHED:
                        run->timer = sd_event_source_disable_unref(run->timer);
                        if (run->record) {
                                record_images_digests(run);
                                run->record->finished_usec = now_realtime_usec();
                                if (free_and_strdup(&run->record->result,
                                                    rollout_result_to_string(run->rollout.result)) < 0 ||
                                    free_and_strdup(&run->record->reason, run->rollout.reason) < 0)
                                        log_oom();
                                if (run->rollout.result == ROLLOUT_SUCCEEDED)
                                        remember_good(run);
                                rollout_write_record(run);
                        }
                        announce_finished(run);
                        break;
                case ROLLOUT_REVERT:
                        rollout_revert(run, a[i].revision);
                        break;
                default:
                        break;
                }
        reconciler_rollout_changed(p->reconciler, p);
}

void rollout_start(RolloutRun *run, const HistoryRecord *record, RolloutCause cause, uint64_t started_usec,
                   int64_t revert_to) {
        PodState *p = run->pod;
        PodRollout spec = pod_rollout(p->desired);
        RolloutParams params = {
                .min_healthy_usec = spec.min_healthy_sec * USEC_PER_SEC,
                .deadline_usec = spec.deadline_sec * USEC_PER_SEC,
                .auto_revert = spec.auto_revert,
        };
        _cleanup_(history_record_freep) HistoryRecord *old = TAKE_PTR(run->record);
        int64_t superseded = 0;
        int r;

        /* A change that restarts nothing has nothing to wait for. */
        if (!run->changed || !run->changed[0])
                params.min_healthy_usec = 0;
        rollout_begin(&run->rollout, p->mod_revision, cause, &params, started_usec, revert_to, &superseded);
        r = history_record_copy(record, &run->record);
        if (r < 0)
                log_oom();
        rollout_write_record(run);
        if (superseded > 0 && old && old->revision == superseded) {
                Rollout was = { .revision = superseded, .result = ROLLOUT_SUPERSEDED };

                (void) free_and_strdup(&old->result, rollout_result_to_string(ROLLOUT_SUPERSEDED));
                old->finished_usec = now_realtime_usec();
                rollout_write_detached(run, old);
                log_info("Pod %s: rollout of revision %" PRIi64 " superseded by revision %" PRIi64 ".", p->name,
                         superseded, p->mod_revision);
                reconciler_rollout_finished(p->reconciler, p, was.revision, rollout_result_to_string(was.result),
                                            "superseded by a newer revision");
        }
        log_info("Pod %s: rollout of revision %" PRIi64 " (%s) in progress.", p->name, p->mod_revision,
                 rollout_cause_to_string(cause));
        rollout_judge(run);
        reconciler_rollout_changed(p->reconciler, p);
}

void rollout_pod_changed(PodState *p) {
        if (p->rollout)
                rollout_judge(p->rollout);
}

void rollout_status_json(JsonGen *g, const PodState *p) {
        const Rollout *r = pod_state_rollout(p);

        if (!r)
                return;
        json_gen_string(g, "rollout");
        json_gen_map_open(g);
        json_gen_kv_integer(g, "revision", r->revision);
        json_gen_kv_string(g, "cause", rollout_cause_to_string(r->cause));
        json_gen_kv_string(g, "result", rollout_result_to_string(r->result));
        {
                /* The reason quotes a container's message, cut at a byte
                 * count: the status travels as a D-Bus string, UTF-8 only. */
                _cleanup_free_ char *reason = str_escape_control(r->reason);

                json_gen_kv_string(g, "reason", reason ?: "");
        }
        json_gen_kv_integer(g, "healthy_usec", (long long) pod_state_rollout_healthy_usec(p));
        json_gen_kv_integer(g, "min_healthy_usec", (long long) r->params.min_healthy_usec);
        json_gen_kv_integer(g, "deadline_usec", (long long) r->params.deadline_usec);
        json_gen_kv_integer(g, "started_usec", (long long) r->started_usec);
        json_gen_map_close(g);
}
