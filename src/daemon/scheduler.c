/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "daemon/bus-api.h"
#include "daemon/manager.h"
#include "daemon/node.h"
#include "daemon/pod-status.h"
#include "daemon/schedule.h"
#include "daemon/scheduler-internal.h"
#include "daemon/scheduler.h"
#include "log.h"
#include "store/bindings.h"
#include "store/nodes.h"
#include "strv.h"
#include "time-util.h"

static void view_value_free(ViewKind kind, void *v) {
        if (!v)
                return;
        if (kind == VIEW_NODES)
                node_record_done(v);
        else if (kind == VIEW_BOUND)
                free(((BoundEntry *) v)->node);
        free(v);
}

static void view_clear(View *v) {
        void *x;

        HASHMAP_FOREACH(x, v->map)
                view_value_free(v->kind, x);
        hashmap_free(v->map);
        v->map = NULL;
}

Scheduler *scheduler_free(Scheduler *s) {
        void *x;

        if (!s)
                return NULL;
        for (size_t i = 0; i < _VIEW_MAX; i++) {
                store_watch_free(s->views[i].watch);
                view_clear(&s->views[i]);
                free(s->views[i].prefix);
        }
        HASHMAP_FOREACH(x, s->in_flight)
                free(x);
        hashmap_free(s->in_flight);
        HASHMAP_FOREACH(x, s->lost)
                free(x);
        hashmap_free(s->lost);
        sd_event_source_disable_unref(s->lost_timer);
        sd_event_source_disable_unref(s->pass);
        sd_event_source_disable_unref(s->retry);
        free(s->holder);
        free(s->self);
        return mfree(s);
}

static int on_retry(sd_event_source *es, uint64_t usec, void *userdata);

int scheduler_new(Manager *m, Scheduler **ret) {
        _cleanup_(scheduler_freep) Scheduler *s = NULL;
        int r;

        s = calloc(1, sizeof(Scheduler));
        if (!s)
                return -ENOMEM;
        s->m = m;
        s->self = strdup(node_name(m->node));
        s->in_flight = hashmap_new();
        s->lost = hashmap_new();
        if (!s->self || !s->in_flight || !s->lost)
                return -ENOMEM;
        for (size_t i = 0; i < _VIEW_MAX; i++) {
                s->views[i] = (View) { .s = s, .kind = i };
                s->views[i].map = hashmap_new();
                if (!s->views[i].map)
                        return -ENOMEM;
        }
        if (!(s->views[VIEW_ELECTION].prefix = strdup(STORE_SCHEDULER_KEY)) ||
            !(s->views[VIEW_NODES].prefix = strdup(STORE_NODES_PREFIX)) ||
            !(s->views[VIEW_CORDONED].prefix = strdup(STORE_CORDONED_PREFIX)) ||
            !(s->views[VIEW_BOUND].prefix = strdup(STORE_BOUND_PREFIX)) ||
            !(s->views[VIEW_UNSCHEDULABLE].prefix = strdup(STORE_UNSCHEDULABLE_PREFIX)))
                return -ENOMEM;
        r = store_bindings_node_prefix(s->self, &s->views[VIEW_MINE].prefix);
        if (r < 0)
                return r;
        r = sd_event_add_defer(m->event, &s->pass, scheduler_on_pass, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->pass, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &s->retry, CLOCK_MONOTONIC, SCHEDULER_RETRY_USEC, 0,
                                               on_retry, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

bool scheduler_is_leader(const Scheduler *s) {
        return s && s->holder && streq(s->holder, s->self);
}

void scheduler_queue_pass(Scheduler *s) {
        if (scheduler_is_leader(s))
                (void) sd_event_source_set_enabled(s->pass, SD_EVENT_ONESHOT);
}

void scheduler_arm_retry(Scheduler *s) {
        if (sd_event_source_get_enabled(s->retry, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(s->retry, SCHEDULER_RETRY_USEC);
        (void) sd_event_source_set_enabled(s->retry, SD_EVENT_ONESHOT);
}

void scheduler_pods_changed(Scheduler *s) {
        if (s)
                scheduler_queue_pass(s);
}

/* The pod's placement may have changed: its pass, and its Node property,
 * when that changed: an Apply's own binding is seen three times (its answer,
 * then the bound and this node's views of the watch). */
void scheduler_pod_placement_changed(Scheduler *s, const char *pod) {
        PodState *p = s->m->reconciler ? reconciler_get_pod(s->m->reconciler, pod) : NULL;
        _cleanup_free_ char *path = NULL;

        if (!p)
                return;
        reconciler_queue(p);
        if (s->m->bus &&
            bus_announcement_changed(&s->m->node_announced, pod, strdup(strempty(scheduler_pod_node(s, pod)))) &&
            bus_pod_object_path(pod, &path) >= 0)
                (void) sd_bus_emit_properties_changed(s->m->bus, path, TANK_POD_INTERFACE, "Node", NULL);
}

static void all_pods_placement_changed(Scheduler *s) {
        PodState *p;

        if (!s->m->reconciler)
                return;
        HASHMAP_FOREACH(p, reconciler_pods(s->m->reconciler))
                scheduler_pod_placement_changed(s, p->name);
}

/* Election */
static void on_elected(Store *st _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        Scheduler *s = userdata;

        if (r == -ECANCELED)
                return;
        s->electing = false;
        if (r < 0) {
                log_warning("Could not take part in the scheduler election, retrying: %s", strna(error));
                return scheduler_arm_retry(s);
        }
        if (res->succeeded)
                log_info("Node %s is the scheduler.", s->self);
        /* Either way the watch tells who holds the key. */
}

static void elect(Scheduler *s) {
        int64_t lease = node_lease_id(s->m->node);
        StoreCompare cmp = { .key = STORE_SCHEDULER_KEY, .target = STORE_COMPARE_CREATE,
                             .result = STORE_COMPARE_EQUAL, .number = 0 };
        StoreTxnOp put = { .type = STORE_TXN_PUT, .key = STORE_SCHEDULER_KEY, .value = s->self,
                           .value_size = strlen(s->self), .lease = lease };
        int r;

        if (s->holder || s->electing || lease <= 0 || !s->views[VIEW_ELECTION].synced || !s->m->store)
                return;
        r = store_txn(s->m->store, &(StoreTxn) { .compare = &cmp, .n_compare = 1, .success = &put, .n_success = 1 },
                      on_elected, s);
        if (r < 0) {
                log_warning_errno(r, "Could not take part in the scheduler election: %m");
                return scheduler_arm_retry(s);
        }
        s->electing = true;
}

static void set_holder(Scheduler *s, const char *holder) {
        bool was = scheduler_is_leader(s);

        if (streq_ptr(s->holder, holder))
                return;
        free(s->holder);
        s->holder = holder ? strdup(holder) : NULL;
        if (holder && !s->holder)
                log_oom();
        if (was && !scheduler_is_leader(s))
                log_info("Node %s stopped scheduling: the scheduler is now %s.", s->self, strna(s->holder));
        else if (!was && scheduler_is_leader(s))
                log_info("Node %s schedules the fleet.", s->self);
        if (scheduler_is_leader(s))
                scheduler_queue_pass(s);
        else
                (void) sd_event_source_set_enabled(s->pass, SD_EVENT_OFF);
}

static const StoreWatchCallbacks view_callbacks;

static int view_watch(Scheduler *s, View *v) {
        int r = store_watch_new(s->m->store, v->prefix, 0, &view_callbacks, v, &v->watch);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", v->prefix);
        return 0;
}

/* After a lost lease: what placed pods here is read anew (a fresh list, at a
 * revision past the new registration) before the node unfences, so that a
 * pod the fleet moved meanwhile does not start here from the stale views. */
static void relist(Scheduler *s) {
        View *views[] = { &s->views[VIEW_MINE], &s->views[VIEW_BOUND] };

        s->relisting = true;
        FOREACH_ARRAY(v, views, ELEMENTSOF(views)) {
                (*v)->watch = store_watch_free((*v)->watch);
                (*v)->synced = false;
                if (view_watch(s, *v) < 0)
                        return scheduler_arm_retry(s);    /* still fenced: on_retry() tries again */
        }
        log_info("Node %s lost its lease: reading its bindings anew before it unfences.", s->self);
}

static void relist_done(Scheduler *s) {
        if (!s->relisting || !s->views[VIEW_MINE].synced || !s->views[VIEW_BOUND].synced)
                return;
        s->relisting = false;
        node_relisted(s->m->node);
}

void scheduler_node_registered(Scheduler *s) {
        if (!s)
                return;
        if (node_lease_lost(s->m->node))
                relist(s);
        elect(s);
}

/* Views */
static const char *view_name(View *v, const char *key) {
        const char *n;

        switch (v->kind) {
        case VIEW_ELECTION:
                return streq(key, STORE_SCHEDULER_KEY) ? key : NULL;
        case VIEW_NODES:
                return store_node_key_name(key);
        case VIEW_CORDONED:
                return store_cordon_key_name(key);
        case VIEW_BOUND:
                return store_bound_key_pod(key);
        case VIEW_UNSCHEDULABLE:
                return store_unschedulable_key_pod(key);
        case VIEW_MINE:
                n = startswith(key, v->prefix);
                return n && pod_name_is_valid(n) ? n : NULL;
        default:
                return NULL;
        }
}

/* 1: taken, 0: ignored (hostile or foreign value), < 0: out of memory */
static int view_value(View *v, const char *name, const StoreKV *kv, void **ret) {
        _cleanup_free_ char *err = NULL, *node = NULL;
        NodeRecord *rec;
        BoundEntry *b;
        int r;

        switch (v->kind) {
        case VIEW_NODES:
                rec = calloc(1, sizeof(NodeRecord));
                if (!rec)
                        return -ENOMEM;
                r = node_record_parse(kv->value, kv->value_size, rec, &err);
                if (r < 0 || !streq(rec->name, name)) {
                        free(rec);
                        if (r == -ENOMEM)
                                return r;
                        log_debug("Ignoring node record %s: %s", kv->key, strna(err));
                        return 0;
                }
                *ret = rec;
                return 1;
        case VIEW_BOUND:
                r = bound_value_parse(kv->value, kv->value_size, &node);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_debug("Ignoring %s: not a node name.", kv->key);
                        return 0;
                }
                b = calloc(1, sizeof(BoundEntry));
                if (!b)
                        return -ENOMEM;
                *b = (BoundEntry) { .node = TAKE_PTR(node), .mod_revision = kv->mod_revision };
                *ret = b;
                return 1;
        case VIEW_UNSCHEDULABLE:
                r = unschedulable_parse(kv->value, kv->value_size, (char **) ret, NULL, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_debug("Ignoring %s: %s", kv->key, strna(err));
                        return 0;
                }
                return 1;
        case VIEW_ELECTION:
                r = bound_value_parse(kv->value, kv->value_size, (char **) ret);
                if (r == -ENOMEM)
                        return r;
                return r < 0 ? 0 : 1;
        case VIEW_CORDONED: {
                bool drain = false, *d;

                /* The key makes the node cordoned, whatever its value says. */
                r = node_cordon_parse(kv->value, kv->value_size, &drain, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_debug("%s: %s (cordoned, not draining)", kv->key, strna(err));
                d = malloc(sizeof(bool));
                if (!d)
                        return -ENOMEM;
                *d = r >= 0 && drain;
                *ret = d;
                return 1;
        }
        default:
                *ret = strdup(name);
                return *ret ? 1 : -ENOMEM;
        }
}

static void view_changed(View *v, const char *name) {
        Scheduler *s = v->s;

        switch (v->kind) {
        case VIEW_ELECTION:
                set_holder(s, hashmap_get(v->map, STORE_SCHEDULER_KEY));
                /* Also when nothing changed: the first list of an empty key
                 * may come after the node registered. */
                if (!s->holder)
                        elect(s);
                break;
        case VIEW_BOUND:
        case VIEW_MINE:
                if (name)
                        scheduler_pod_placement_changed(s, name);
                else
                        all_pods_placement_changed(s);
                scheduler_queue_pass(s);
                break;
        case VIEW_NODES:
                /* From a fleet of one to more: the pods' status is
                 * published from now on (pod-status.h). */
                if (hashmap_size(v->map) > 1 && s->n_nodes_seen <= 1)
                        pod_status_board_registered(s->m->pod_status);
                s->n_nodes_seen = hashmap_size(v->map);
                scheduler_queue_pass(s);
                break;
        default:
                scheduler_queue_pass(s);
        }
}

int scheduler_view_put(View *v, const StoreKV *kv) {
        const char *name = view_name(v, kv->key);
        void *value = NULL, *old = NULL;
        int r;

        if (!name)
                return 0;
        r = view_value(v, name, kv, &value);
        if (r <= 0) {
                /* A value that does not parse counts as absent. */
                if (r == 0)
                        view_value_free(v->kind, hashmap_remove(v->map, name));
                return r;
        }
        r = hashmap_replace(v->map, name, value, &old);
        if (r < 0) {
                view_value_free(v->kind, value);
                return r;
        }
        view_value_free(v->kind, old);
        return 0;
}

static int on_view_event(StoreWatch *w _unused_, const StoreEvent *ev, void *userdata) {
        View *v = userdata;
        const char *name = view_name(v, ev->kv.key);
        _cleanup_free_ char *n = NULL;
        int r;

        if (!name)
                return 0;
        n = strdup(name);
        if (!n)
                return -ENOMEM;
        if (ev->type == STORE_EVENT_DELETE)
                view_value_free(v->kind, hashmap_remove(v->map, name));
        else {
                r = scheduler_view_put(v, &ev->kv);
                if (r < 0)
                        return r;
        }
        if (v->synced)
                view_changed(v, n);
        return 0;
}

static int on_view_resync(StoreWatch *w _unused_, const StoreKV *kvs, size_t n_kvs, int64_t revision _unused_,
                          void *userdata) {
        View *v = userdata;
        int r;

        view_clear(v);
        v->map = hashmap_new();
        if (!v->map)
                return -ENOMEM;
        for (size_t i = 0; i < n_kvs; i++) {
                r = scheduler_view_put(v, kvs + i);
                if (r < 0)
                        return r;
        }
        v->synced = true;
        view_changed(v, NULL);
        relist_done(v->s);
        return 0;
}

static const StoreWatchCallbacks view_callbacks = {
        .event = on_view_event,
        .resync = on_view_resync,
};

int scheduler_start(Scheduler *s) {
        int r;

        for (size_t i = 0; i < _VIEW_MAX; i++) {
                r = view_watch(s, &s->views[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Placement */
const BoundEntry *scheduler_bound_entry(Scheduler *s, const char *pod) {
        return s ? hashmap_get(s->views[VIEW_BOUND].map, pod) : NULL;
}

const char *scheduler_pod_node(Scheduler *s, const char *pod) {
        const BoundEntry *b = scheduler_bound_entry(s, pod);
        return b ? b->node : NULL;
}

const char *scheduler_pod_reason(Scheduler *s, const char *pod) {
        return s ? hashmap_get(s->views[VIEW_UNSCHEDULABLE].map, pod) : NULL;
}

size_t scheduler_n_nodes(Scheduler *s) {
        return s ? hashmap_size(s->views[VIEW_NODES].map) : 0;
}

bool scheduler_node_draining(Scheduler *s, const char *node) {
        const bool *d = s ? hashmap_get(s->views[VIEW_CORDONED].map, node) : NULL;
        return d && *d;
}

ReconcilerPlacement scheduler_placement(Scheduler *s, const char *pod) {
        const BoundEntry *b;

        /* Fenced: the fleet may start our reschedulable pods elsewhere soon;
         * they must be down here first, whatever we know of the bindings. */
        if (s && node_is_fenced(s->m->node) && s->m->reconciler) {
                PodState *p = reconciler_get_pod(s->m->reconciler, pod);

                if (p && p->desired && p->desired->reschedule)
                        return RECONCILER_PLACEMENT_ELSEWHERE;
        }
        /* Before both lists nothing is known: stop nothing, start nothing. */
        if (!s || !s->views[VIEW_MINE].synced || !s->views[VIEW_BOUND].synced)
                return RECONCILER_PLACEMENT_UNBOUND;
        if (hashmap_get(s->views[VIEW_MINE].map, pod)) {
                const char *holder;

                /* Moved here from a node that still reports it (it is
                 * stopping there, e.g. drained): it starts here once that
                 * node has withdrawn its record, never beside it. A node that
                 * is gone takes its records along with its lease. */
                if (!pod_status_board_synced(s->m->pod_status))
                        return RECONCILER_PLACEMENT_UNBOUND;
                holder = pod_status_board_holder(s->m->pod_status, pod);
                if (holder && !streq(holder, s->self))
                        return RECONCILER_PLACEMENT_UNBOUND;
                return RECONCILER_PLACEMENT_HERE;
        }
        b = scheduler_bound_entry(s, pod);
        if (b && !streq(b->node, s->self))
                return RECONCILER_PLACEMENT_ELSEWHERE;
        return RECONCILER_PLACEMENT_UNBOUND;
}

static int on_retry(sd_event_source *es _unused_, uint64_t usec _unused_, void *userdata) {
        Scheduler *s = userdata;

        if (s->relisting && (!s->views[VIEW_MINE].watch || !s->views[VIEW_BOUND].watch))
                relist(s);
        elect(s);
        scheduler_queue_pass(s);
        return 0;
}
