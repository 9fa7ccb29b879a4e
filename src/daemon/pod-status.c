/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/bus-api.h"
#include "daemon/manager.h"
#include "daemon/node.h"
#include "daemon/pod-status.h"
#include "daemon/scheduler.h"
#include "log.h"
#include "store/lease.h"
#include "store/status.h"
#include "time-util.h"

#define STATUS_RETRY_USEC (1U * USEC_PER_SEC)

typedef struct Published {
        char *summary;          /* "phase ready/containers restarts": what was put */
        int64_t lease;          /* with which lease */
        int64_t revision;       /* of the put: a withdrawal deletes only that */
        bool writing;
} Published;

struct PodStatusBoard {
        Manager *m;
        StoreWatch *watch;
        bool synced;
        Hashmap *remote;        /* pod -> PodStatusRecord*, from the watch */
        Hashmap *published;     /* pod -> Published*, ours */
        Hashmap *dirty;         /* pod -> itself: to write */
        sd_event_source *flush; /* deferred */
        sd_event_source *retry;
};

static void record_free(PodStatusRecord *r) {
        pod_status_record_done(r);
        free(r);
}

static void published_free(Published *p) {
        if (!p)
                return;
        free(p->summary);
        free(p);
}

PodStatusBoard *pod_status_board_free(PodStatusBoard *b) {
        void *v;

        if (!b)
                return NULL;
        store_watch_free(b->watch);
        HASHMAP_FOREACH(v, b->remote)
                record_free(v);
        hashmap_free(b->remote);
        HASHMAP_FOREACH(v, b->published)
                published_free(v);
        hashmap_free(b->published);
        HASHMAP_FOREACH(v, b->dirty)
                free(v);
        hashmap_free(b->dirty);
        sd_event_source_disable_unref(b->flush);
        sd_event_source_disable_unref(b->retry);
        return mfree(b);
}

static int on_flush(sd_event_source *s, void *userdata);
static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

int pod_status_board_new(Manager *m, PodStatusBoard **ret) {
        _cleanup_(pod_status_board_freep) PodStatusBoard *b = calloc(1, sizeof(PodStatusBoard));
        int r;

        if (!b)
                return -ENOMEM;
        b->m = m;
        b->remote = hashmap_new();
        b->published = hashmap_new();
        b->dirty = hashmap_new();
        if (!b->remote || !b->published || !b->dirty)
                return -ENOMEM;
        r = sd_event_add_defer(m->event, &b->flush, on_flush, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->flush, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &b->retry, CLOCK_MONOTONIC, STATUS_RETRY_USEC, 0,
                                               on_retry, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->retry, SD_EVENT_OFF);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

static void mark_dirty(PodStatusBoard *b, const char *pod) {
        char *v;

        if (hashmap_get(b->dirty, pod))
                return;
        v = strdup(pod);
        if (!v || hashmap_put(b->dirty, pod, v) < 0) {
                free(v);
                (void) log_oom();
                return;
        }
        (void) sd_event_source_set_enabled(b->flush, SD_EVENT_ONESHOT);
}

void pod_status_board_changed(PodStatusBoard *b, const PodState *p) {
        if (b && p->desired)
                mark_dirty(b, p->name);
}

void pod_status_board_registered(PodStatusBoard *b) {
        PodState *p;

        if (!b || !b->m->reconciler)
                return;
        HASHMAP_FOREACH(p, reconciler_pods(b->m->reconciler))
                if (p->desired)
                        mark_dirty(b, p->name);
}

typedef struct Write {
        PodStatusBoard *b;
        char *pod;
        char *summary;          /* NULL: a delete */
        int64_t lease;
} Write;

static void write_free(Write *w) {
        if (!w)
                return;
        free(w->pod);
        free(w->summary);
        free(w);
}

static void on_written(Store *s, int r, const StoreResult *res, const char *error, void *userdata) {
        Write *w = userdata;
        PodStatusBoard *b = w->b;
        Published *p;

        if (r == -ECANCELED)
                return write_free(w);
        p = hashmap_get(b->published, w->pod);
        if (p)
                p->writing = false;
        if (r < 0 && !((r == -ENOENT || r == -ESTALE) && !w->summary)) {
                /* -ENOENT for a put: the lease is gone; the new one rewrites all. */
                if (r != -ENOENT)
                        log_debug("Could not publish the status of pod %s: %s", w->pod, strna(error));
                if (p)
                        p->summary = mfree(p->summary);
                if (r != -ENOENT && sd_event_source_get_enabled(b->retry, NULL) == 0) {
                        (void) sd_event_source_set_time_relative(b->retry, STATUS_RETRY_USEC);
                        (void) sd_event_source_set_enabled(b->retry, SD_EVENT_ONESHOT);
                }
        } else if (p && w->summary) {
                free(p->summary);
                p->summary = TAKE_PTR(w->summary);
                p->lease = w->lease;
                p->revision = res ? res->revision : 0;
        }
        /* News that came during the write is written now. */
        if (hashmap_get(b->dirty, w->pod))
                (void) sd_event_source_set_enabled(b->flush, SD_EVENT_ONESHOT);
        write_free(w);
}

/* Publishes or withdraws one pod's status; 0 when nothing was to do. */
static int flush_one(PodStatusBoard *b, const char *pod) {
        PodState *ps = reconciler_get_pod(b->m->reconciler, pod);
        int64_t lease = node_lease_id(b->m->node);
        _cleanup_free_ char *key = NULL, *summary = NULL, *json = NULL;
        bool here = ps && ps->desired && scheduler_placement(b->m->scheduler, pod) == RECONCILER_PLACEMENT_HERE;
        Published *p = hashmap_get(b->published, pod);
        Write *w;
        int r;

        if (p && p->writing)
                return -EBUSY;  /* after this one answers */
        r = store_status_key(pod, &key);
        if (r < 0)
                return r == -EINVAL ? 0 : r;
        if (!here) {
                /* Ours no more (forgotten, or bound elsewhere now): withdraw
                 * it, but not a record the new node has written since, and
                 * not before the pod is down here: the node it moves to
                 * waits for that (scheduler_placement()). pod_changed()
                 * brings us back when the stop is done. */
                int64_t rev;

                if (!p)
                        return 0;
                if (ps && ps->desired && !ps->slice_stopped)
                        return 0;
                rev = p->revision;
                published_free(hashmap_remove(b->published, pod));
                if (rev <= 0)
                        return 0;
                w = calloc(1, sizeof(Write));
                if (!w || !(w->pod = strdup(pod))) {
                        write_free(w);
                        return -ENOMEM;
                }
                w->b = b;
                r = store_delete(b->m->store, key, rev, on_written, w);
                if (r < 0)
                        write_free(w);
                return r;
        }
        if (lease <= 0)
                return 0;       /* registered later: pod_status_board_registered() */
        /* A fleet of one has nobody to tell (and no pod to hand over): no
         * store write per phase change. A second node's record brings
         * pod_status_board_registered(). What was published stays until
         * then (or goes with the lease). */
        if (scheduler_n_nodes(b->m->scheduler) <= 1)
                return 0;
        if (asprintf(&summary, "%s %u/%zu %u", pod_phase_to_string(ps->phase), pod_state_ready(ps),
                     ps->desired->n_containers, pod_state_restarts(ps)) < 0)
                return -ENOMEM;
        if (p && p->summary && p->lease == lease && streq(p->summary, summary))
                return 0;
        r = pod_status_record_format(&(PodStatusRecord) {
                                             .node = (char *) node_name(b->m->node),
                                             .phase = (char *) pod_phase_to_string(ps->phase),
                                             .ready = pod_state_ready(ps),
                                             .containers = (uint32_t) ps->desired->n_containers,
                                             .restarts = pod_state_restarts(ps),
                                             .updated_usec = now_realtime_usec(),
                                     }, &json);
        if (r < 0)
                return r;
        if (!p) {
                p = calloc(1, sizeof(Published));
                if (!p)
                        return -ENOMEM;
                r = hashmap_put(b->published, pod, p);
                if (r < 0) {
                        free(p);
                        return r;
                }
        }
        w = calloc(1, sizeof(Write));
        if (!w || !(w->pod = strdup(pod))) {
                write_free(w);
                return -ENOMEM;
        }
        *w = (Write) { .b = b, .pod = w->pod, .summary = TAKE_PTR(summary), .lease = lease };
        r = store_put_leased(b->m->store, key, json, strlen(json), lease, on_written, w);
        if (r < 0) {
                write_free(w);
                return r;
        }
        p->writing = true;
        return 1;
}

static int on_flush(sd_event_source *s, void *userdata) {
        PodStatusBoard *b = userdata;
        const char *pod;
        HashmapIter it = {};
        char *v;

        if (!b->m->store || !b->m->reconciler)
                return 0;
        while (hashmap_iterate(b->dirty, &it, (void **) &v, &pod)) {
                int r = flush_one(b, v);

                if (r == -EBUSY)
                        continue;       /* stays dirty: on_written() flushes again */
                if (r < 0)
                        log_debug_errno(r, "Could not publish the status of pod %s: %m", v);
                free(hashmap_remove(b->dirty, v));
        }
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        pod_status_board_registered(userdata);
        return 0;
}

void pod_status_board_removed(PodStatusBoard *b, const char *pod) {
        if (b && hashmap_get(b->published, pod))
                mark_dirty(b, pod);
}

/* ---- the others' records ---- */

static void remote_changed(PodStatusBoard *b, const char *pod) {
        _cleanup_free_ char *path = NULL;
        PodState *p = b->m->reconciler ? reconciler_get_pod(b->m->reconciler, pod) : NULL;

        if (!p)
                return;
        /* A pod moved here may wait for the record of the node it left. */
        reconciler_queue(p);
        if (b->m->bus && bus_pod_object_path(pod, &path) >= 0)
                (void) sd_bus_emit_properties_changed(b->m->bus, path, TANK_POD_INTERFACE, "Phase", "Ready",
                                                      "Restarts", NULL);
}

static int remote_put(PodStatusBoard *b, const StoreKV *kv) {
        const char *pod = store_status_key_pod(kv->key);
        PodStatusRecord *r, *old = NULL;
        _cleanup_free_ char *err = NULL;
        int k;

        if (!pod)
                return 0;
        r = calloc(1, sizeof(PodStatusRecord));
        if (!r)
                return -ENOMEM;
        k = pod_status_record_parse(kv->value, kv->value_size, r, &err);
        if (k < 0) {
                free(r);
                if (k == -ENOMEM)
                        return k;
                log_debug("Ignoring %s: %s", kv->key, strna(err));
                record_free(hashmap_remove(b->remote, pod));
                return 0;
        }
        k = hashmap_replace(b->remote, pod, r, (void **) &old);
        if (k < 0) {
                record_free(r);
                return k;
        }
        record_free(old);
        return 0;
}

static int on_event(StoreWatch *w, const StoreEvent *ev, void *userdata) {
        PodStatusBoard *b = userdata;
        const char *pod = store_status_key_pod(ev->kv.key);
        int r;

        if (!pod)
                return 0;
        if (ev->type == STORE_EVENT_DELETE)
                record_free(hashmap_remove(b->remote, pod));
        else {
                r = remote_put(b, &ev->kv);
                if (r < 0)
                        return r;
        }
        remote_changed(b, pod);
        return 0;
}

static int on_resync(StoreWatch *w, const StoreKV *kvs, size_t n_kvs, int64_t revision, void *userdata) {
        PodStatusBoard *b = userdata;
        PodStatusRecord *v;
        PodState *p;
        int r;

        HASHMAP_FOREACH(v, b->remote)
                record_free(v);
        hashmap_free(b->remote);
        b->remote = hashmap_new();
        if (!b->remote)
                return -ENOMEM;
        for (size_t i = 0; i < n_kvs; i++) {
                r = remote_put(b, kvs + i);
                if (r < 0)
                        return r;
        }
        b->synced = true;
        if (b->m->reconciler)
                HASHMAP_FOREACH(p, reconciler_pods(b->m->reconciler))
                        remote_changed(b, p->name);
        return 0;
}

int pod_status_board_start(PodStatusBoard *b) {
        static const StoreWatchCallbacks callbacks = { .event = on_event, .resync = on_resync };

        return store_watch_new(b->m->store, STORE_STATUS_PREFIX, 0, &callbacks, b, &b->watch);
}

bool pod_status_board_synced(const PodStatusBoard *b) {
        return b && b->synced;
}

const char *pod_status_board_holder(PodStatusBoard *b, const char *pod) {
        const PodStatusRecord *r = b ? hashmap_get(b->remote, pod) : NULL;
        return r ? r->node : NULL;
}

int pod_status_view(PodStatusBoard *b, const PodState *p, PodStatusView *ret) {
        const PodStatusRecord *r;
        const char *node;

        if (!b || scheduler_placement(b->m->scheduler, p->name) != RECONCILER_PLACEMENT_ELSEWHERE)
                return 0;
        node = scheduler_pod_node(b->m->scheduler, p->name);
        r = hashmap_get(b->remote, p->name);
        /* Only the bound node's word counts (a record left by the node it
         * was moved from says nothing). */
        if (!r || !node || !streq(r->node, node)) {
                *ret = (PodStatusView) { .phase = "unknown" };
                return 1;
        }
        *ret = (PodStatusView) { .phase = r->phase, .ready = r->ready, .restarts = r->restarts };
        return 1;
}
