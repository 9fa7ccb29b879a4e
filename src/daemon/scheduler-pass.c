/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "daemon/node.h"
#include "daemon/schedule.h"
#include "daemon/scheduler-internal.h"
#include "log.h"
#include "store/bindings.h"
#include "store/nodes.h"
#include "time-util.h"

/* The scheduling pass */
typedef struct Write {
        Scheduler *s;
        char *pod;
        char *node;             /* NULL: an unschedulable write */
} Write;

static void on_write_done(Store *st _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        Write *w = userdata;
        Scheduler *s = w->s;

        if (r != -ECANCELED) {
                free(hashmap_remove(s->in_flight, w->pod));
                if (r < 0) {
                        log_warning("Scheduler: could not write the %s of pod %s, retrying: %s",
                                    w->node ? "binding" : "unschedulable reason", w->pod, strna(error));
                        scheduler_arm_retry(s);
                } else if (!res->succeeded)
                        /* The pod (or its binding) changed meanwhile: the watches bring
                         * the news and queue the pass; the timer covers a news that was not. */
                        scheduler_arm_retry(s);
                else {
                        /* Bound from now on, for the next passes, before the watch says so. */
                        if (w->node)
                                scheduler_note_bound(s, w->pod, w->node, res->revision);
                        /* News that came while this write was in flight skipped the
                         * pod: look again (a pass that finds nothing new writes nothing). */
                        scheduler_queue_pass(s);
                }
        }
        free(w->pod);
        free(w->node);
        free(w);
}

/* from: the binding a move takes the pod away from (NULL: a new binding). */
static int write_start(Scheduler *s, const PodState *p, const char *node, const char *reason,
                       const BoundEntry *from) {
        _cleanup_free_ char *key = NULL;
        Write *w;
        int r;

        w = calloc(1, sizeof(Write));
        if (!w)
                return -ENOMEM;
        *w = (Write) { .s = s, .pod = strdup(p->name), .node = node ? strdup(node) : NULL };
        key = strdup(node ?: "");
        if (!w->pod || !key || (node && !w->node)) {
                free(w->pod);
                free(w->node);
                free(w);
                return -ENOMEM;
        }
        if (node)
                r = store_bind(s->m->store, node, p->name, p->mod_revision, from ? from->node : NULL,
                               from ? from->mod_revision : 0, now_realtime_usec(), on_write_done, w);
        else
                r = store_unschedulable_put(s->m->store, p->name, reason, now_realtime_usec(), p->mod_revision,
                                            on_write_done, w);
        if (r < 0) {
                free(w->pod);
                free(w->node);
                free(w);
                return r;
        }
        r = hashmap_put(s->in_flight, p->name, key);
        if (r >= 0)
                TAKE_PTR(key);
        return 0;
}

/* One more pod (desired may be NULL: counts no memory) bound to node. */
static void count_bind(ScheduleNode *nodes, size_t n, const char *node, const Pod *desired) {
        for (size_t i = 0; i < n; i++)
                if (streq(nodes[i].name, node)) {
                        nodes[i].n_bound++;
                        nodes[i].bound_memory += desired ? schedule_pod_memory(desired) : 0;
                }
}

static int build_nodes(Scheduler *s, ScheduleNode **ret, size_t *ret_n) {
        Hashmap *nodes = s->views[VIEW_NODES].map;
        _cleanup_free_ ScheduleNode *l = calloc(MAX(hashmap_size(nodes), 1u), sizeof(ScheduleNode));
        const char *pod;
        HashmapIter it = {};
        BoundEntry *b;
        NodeRecord *rec;
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        HASHMAP_FOREACH(rec, nodes)
                l[n++] = (ScheduleNode) {
                        .name = rec->name,
                        .labels = rec->labels,
                        .memory_bytes = rec->memory_bytes,
                        .cordoned = !!hashmap_get(s->views[VIEW_CORDONED].map, rec->name),
                        .has_facts = rec->has_facts,
                        .interfaces = rec->interfaces,
                        .uplink = rec->uplink,
                };
        while (hashmap_iterate(s->views[VIEW_BOUND].map, &it, (void **) &b, &pod)) {
                PodState *p = reconciler_get_pod(s->m->reconciler, pod);
                count_bind(l, n, b->node, p ? p->desired : NULL);
        }
        /* Binds still on their way count as done: a pass that runs before
         * their answers (another pod's news) must not pick a node as if they
         * were not there. */
        it = (HashmapIter) {};
        const char *target;
        while (hashmap_iterate(s->in_flight, &it, (void **) &target, &pod)) {
                PodState *p;

                if (isempty(target) || scheduler_bound_entry(s, pod))
                        continue;
                p = reconciler_get_pod(s->m->reconciler, pod);
                count_bind(l, n, target, p ? p->desired : NULL);
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

bool scheduler_views_synced(Scheduler *s) {
        for (size_t i = 0; i < _VIEW_MAX; i++)
                if (!s->views[i].synced)
                        return false;
        return true;
}

/* schedule_decide() on the current views: 1 and *ret_node (malloc'd), or 0
 * and *ret_reason (malloc'd), or -ENOMEM. */
static int decide_on_views(Scheduler *s, const Pod *pod, char **ret_node, char **ret_reason) {
        _cleanup_free_ ScheduleNode *nodes = NULL;
        _cleanup_free_ char *reason = NULL, *copy = NULL;
        const char *node = NULL;
        size_t n_nodes;
        int r;

        r = build_nodes(s, &nodes, &n_nodes);
        if (r < 0)
                return r;
        r = schedule_decide(pod, nodes, n_nodes, &node, &reason);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret_reason = TAKE_PTR(reason);
                return 0;
        }
        copy = strdup(node);
        if (!copy)
                return -ENOMEM;
        *ret_node = TAKE_PTR(copy);
        return 1;
}

int scheduler_decide_new(Scheduler *s, const Pod *pod, char **ret_node) {
        _cleanup_free_ char *node = NULL, *reason = NULL;
        int r;

        if (!scheduler_is_leader(s) || !scheduler_views_synced(s) || !s->m->reconciler || scheduler_bound_entry(s, pod->name))
                return 0;
        r = decide_on_views(s, pod, &node, &reason);
        if (r <= 0)
                return r;
        /* Counted by the next decisions until the Apply's txn answers
         * (scheduler_release()): Applies of several pods at once are in
         * flight together and would all pick the same node. */
        r = scheduler_reserve(s, pod->name, node);
        if (r < 0)
                return r;
        *ret_node = TAKE_PTR(node);
        return 1;
}

int scheduler_reserve(Scheduler *s, const char *pod, const char *node) {
        char *v = strdup(node), *old = NULL;
        int r;

        if (!v)
                return -ENOMEM;
        r = hashmap_replace(s->in_flight, pod, v, (void **) &old);
        if (r < 0) {
                free(v);
                return r;
        }
        free(old);
        return 0;
}

void scheduler_release(Scheduler *s, const char *pod) {
        if (s)
                free(hashmap_remove(s->in_flight, pod));
}

void scheduler_note_bound(Scheduler *s, const char *pod, const char *node, int64_t revision) {
        View *bound = &s->views[VIEW_BOUND], *mine = &s->views[VIEW_MINE];
        _cleanup_free_ char *b = NULL, *k = NULL;
        StoreKV kv;

        if (!bound->synced || !mine->synced)
                return;
        /* The watch has been past that revision already (and may have seen
         * the pod deleted since): nothing to add ahead of it. */
        if (bound->watch && store_watch_revision(bound->watch) >= revision)
                return;
        if (store_bound_key(pod, &k) < 0)
                return (void) log_oom();
        b = strdup(node);
        if (!b)
                return (void) log_oom();
        kv = (StoreKV) { .key = k, .value = b, .value_size = strlen(b), .create_revision = revision,
                         .mod_revision = revision, .version = 1 };
        if (scheduler_view_put(bound, &kv) < 0)
                return (void) log_oom();
        if (streq(node, s->self)) {
                _cleanup_free_ char *mk = NULL;
                if (asprintf(&mk, "%s%s", mine->prefix, pod) < 0)
                        return (void) log_oom();
                kv.key = mk;
                if (scheduler_view_put(mine, &kv) < 0)
                        return (void) log_oom();
        }
        scheduler_pod_placement_changed(s, pod);
}

static int on_lost_timer(sd_event_source *es _unused_, uint64_t usec _unused_, void *userdata) {
        scheduler_queue_pass(userdata);
        return 0;
}

static void arm_lost_timer(Scheduler *s, uint64_t at) {
        uint64_t cur;

        if (!s->lost_timer) {
                if (sd_event_add_time(s->m->event, &s->lost_timer, CLOCK_MONOTONIC, at, 0, on_lost_timer, s) < 0)
                        scheduler_arm_retry(s);
                return;
        }
        if (sd_event_source_get_enabled(s->lost_timer, NULL) > 0 &&
            sd_event_source_get_time(s->lost_timer, &cur) >= 0 && cur <= at)
                return;
        if (sd_event_source_set_time(s->lost_timer, at) < 0 ||
            sd_event_source_set_enabled(s->lost_timer, SD_EVENT_ONESHOT) < 0)
                scheduler_arm_retry(s);
}

/* Nodes with a record again are not lost any more. */
static void forget_returned(Scheduler *s) {
        HashmapIter it = {};
        const char *node;
        uint64_t *since;

        while (hashmap_iterate(s->lost, &it, (void **) &since, &node))
                if (hashmap_get(s->views[VIEW_NODES].map, node)) {
                        log_info("Node %s is back.", node);
                        free(hashmap_remove(s->lost, node));
                }
}

/* Moves a bound pod to another eligible node, if there is one. why: "lost",
 * "draining". 1: a move was written. */
static int move_pod(Scheduler *s, const PodState *p, const BoundEntry *b, ScheduleNode *nodes, size_t n_nodes,
                    const char *why) {
        _cleanup_free_ char *reason = NULL;
        const char *node = NULL;
        int r;

        r = schedule_decide(p->desired, nodes, n_nodes, &node, &reason);
        if (r < 0)
                return r;
        if (r == 0) {
                log_debug("Pod %s stays on %s node %s: %s.", p->name, why, b->node, reason);
                return 0;
        }
        log_info("Moving pod %s from %s node %s to node %s.", p->name, why, b->node, node);
        r = write_start(s, p, node, NULL, b);
        if (r < 0) {
                log_warning_errno(r, "Scheduler: could not move pod %s, retrying: %m", p->name);
                scheduler_arm_retry(s);
                return 0;
        }
        count_bind(nodes, n_nodes, node, p->desired);
        return 1;
}

/* A reschedulable pod bound to a node that is being drained moves at once
 * (the node is alive: it stops the pod, and the new node starts it only once
 * that node has withdrawn its status, see scheduler_placement()).
 * A pod bound to a node without a record (its lease expired: the node is
 * gone, or cut off and fenced): a reschedulable one moves to another
 * eligible node RescheduleDelaySec= after the pass first saw that; the
 * others stay bound and wait for their node. 1: a move was written. */
static int maybe_move(Scheduler *s, const PodState *p, const BoundEntry *b, ScheduleNode *nodes, size_t n_nodes) {
        uint64_t now = now_monotonic_usec(), delay = s->m->config->node_reschedule_delay_usec, *since;
        int r;

        if (hashmap_get(s->views[VIEW_NODES].map, b->node)) {
                if (!p->desired->reschedule || !scheduler_node_draining(s, b->node))
                        return 0;
                return move_pod(s, p, b, nodes, n_nodes, "draining");
        }
        since = hashmap_get(s->lost, b->node);
        if (!since) {
                since = malloc(sizeof *since);
                if (!since)
                        return -ENOMEM;
                *since = now;
                r = hashmap_put(s->lost, b->node, since);
                if (r < 0) {
                        free(since);
                        return r;
                }
                log_info("Node %s is lost (no record): its reschedulable pods move in %" PRIu64 " s.", b->node,
                         delay / USEC_PER_SEC);
        }
        if (!p->desired->reschedule)
                return 0;
        if (now < *since + delay) {
                arm_lost_timer(s, *since + delay);
                return 0;
        }
        return move_pod(s, p, b, nodes, n_nodes, "lost");
}

int scheduler_explain(Scheduler *s, const PodState *p, char **ret_reason) {
        _cleanup_free_ char *node = NULL, *reason = NULL;
        int r;

        if (!s || !p->desired || !s->m->reconciler || !scheduler_views_synced(s))
                return 0;
        r = decide_on_views(s, p->desired, &node, &reason);
        if (r != 0)
                return r < 0 ? r : 0;
        *ret_reason = TAKE_PTR(reason);
        return 1;
}

int scheduler_on_pass(sd_event_source *es _unused_, void *userdata) {
        Scheduler *s = userdata;
        _cleanup_free_ ScheduleNode *nodes = NULL;
        size_t n_nodes;
        PodState *p;
        int r;

        if (!scheduler_is_leader(s) || !s->m->store_synced || !s->m->reconciler || !s->m->store ||
            !scheduler_views_synced(s))
                return 0;
        r = build_nodes(s, &nodes, &n_nodes);
        if (r < 0) {
                log_oom();
                scheduler_arm_retry(s);
                return 0;
        }
        forget_returned(s);
        HASHMAP_FOREACH(p, reconciler_pods(s->m->reconciler)) {
                _cleanup_free_ char *reason = NULL;
                const char *node = NULL, *old;
                const BoundEntry *b;

                if (!p->desired || p->mod_revision <= 0 || hashmap_get(s->in_flight, p->name))
                        continue;
                b = scheduler_bound_entry(s, p->name);
                if (b) {
                        r = maybe_move(s, p, b, nodes, n_nodes);
                        if (r < 0) {
                                log_oom();
                                scheduler_arm_retry(s);
                                return 0;
                        }
                        continue;
                }
                r = schedule_decide(p->desired, nodes, n_nodes, &node, &reason);
                if (r < 0) {
                        log_oom();
                        scheduler_arm_retry(s);
                        return 0;
                }
                if (r == 0) {
                        old = scheduler_pod_reason(s, p->name);
                        if (old && streq(old, reason))
                                continue;
                        log_info("Pod %s cannot be scheduled: %s.", p->name, reason);
                } else
                        log_debug("Binding pod %s to node %s.", p->name, node);
                r = write_start(s, p, node, reason, NULL);
                if (r < 0) {
                        log_warning_errno(r, "Scheduler: could not write for pod %s, retrying: %m", p->name);
                        scheduler_arm_retry(s);
                        continue;
                }
                if (node) {
                        /* Count it at once, so that the next pods of this pass see it. */
                        count_bind(nodes, n_nodes, node, p->desired);
                }
        }
        return 0;
}

