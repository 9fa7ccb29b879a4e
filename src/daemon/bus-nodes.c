/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config/config-values.h"
#include "daemon/bus-nodes.h"
#include "daemon/manager.h"
#include "daemon/node.h"
#include "daemon/pod-status.h"
#include "daemon/scheduler.h"
#include "log.h"
#include "store/nodes.h"
#include "strv.h"
#include "time-util.h"

typedef struct NodeRow {
        NodeRecord rec;
        bool ready, cordoned;
} NodeRow;

typedef struct NodesCall {
        Manager *m;
        sd_bus_message *call;
        NodeRow *rows;
        size_t n_rows;
        /* Cordon/Uncordon/Drain */
        char *name;
        bool cordon;
        bool drain;
        bool known;
        uint64_t timeout_usec;
} NodesCall;

static NodesCall *nodes_call_free(NodesCall *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_rows; i++)
                node_record_done(&c->rows[i].rec);
        free(c->rows);
        free(c->name);
        sd_bus_message_unref(c->call);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NodesCall *, nodes_call_free);

#define DRAIN_POLL_USEC (200U * USEC_PER_MSEC)
#define DRAIN_TIMEOUT_DEFAULT_USEC (120U * USEC_PER_SEC)
#define DRAIN_TIMEOUT_MAX_USEC (3600U * USEC_PER_SEC)

static NodesCall *nodes_call_new(Manager *m, sd_bus_message *call) {
        NodesCall *c = calloc(1, sizeof(NodesCall));

        if (!c)
                return NULL;
        c->m = m;
        c->call = sd_bus_message_ref(call);
        return c;
}

static void reply_store_error(NodesCall *c, int r, const char *error) {
        (void) sd_bus_reply_method_errorf(c->call, TANK_ERROR_STORE_UNAVAILABLE, "%s",
                                          r == -ECANCELED ? "tankd is stopping" : error ?: "store request failed");
}

static NodeRow *find_row(NodesCall *c, const char *name) {
        for (size_t i = 0; i < c->n_rows; i++)
                if (streq(c->rows[i].rec.name, name))
                        return &c->rows[i];
        return NULL;
}

static NodeRow *add_row(NodesCall *c, const char *name) {
        NodeRow *rows = reallocarray(c->rows, c->n_rows + 1, sizeof(NodeRow));

        if (!rows)
                return NULL;
        c->rows = rows;
        rows[c->n_rows] = (NodeRow) { .rec.name = strdup(name) };
        if (!rows[c->n_rows].rec.name)
                return NULL;
        return &rows[c->n_rows++];
}

static int row_cmp(const void *a, const void *b) {
        return strcmp(((const NodeRow *) a)->rec.name, ((const NodeRow *) b)->rec.name);
}

static int reply_list(NodesCall *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *self = node_name(c->m->node);
        PodState *p;
        int r;

        if (!find_row(c, self)) {
                NodeRow *row = add_row(c, self);
                if (!row)
                        return -ENOMEM;
                row->rec.labels = strv_copy(c->m->config->node_labels);
                if (!row->rec.labels)
                        return -ENOMEM;
        }
        qsort(c->rows, c->n_rows, sizeof(NodeRow), row_cmp);

        r = sd_bus_message_new_method_return(c->call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssa{ss}uutt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_rows; i++) {
                NodeRow *row = &c->rows[i];
                _cleanup_free_ char *status = NULL;

                if (asprintf(&status, "%s%s", row->ready ? "Ready" : "NotReady",
                             row->cordoned ? ",SchedulingDisabled" : "") < 0)
                        return -ENOMEM;
                r = sd_bus_message_open_container(reply, 'r', "ssa{ss}uutt");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "ss", row->rec.name, status);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{ss}");
                STRV_FOREACH(l, row->rec.labels) {
                        _cleanup_free_ char *k = strndup(*l, strcspn(*l, "="));

                        if (!k)
                                return -ENOMEM;
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{ss}", k, *l + strlen(k) + (strchr(*l, '=') ? 1 : 0));
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                uint32_t pods = 0;

                /* The pods bound to the node (bound/<pod>). */
                HASHMAP_FOREACH(p, reconciler_pods(c->m->reconciler))
                        if (p->desired && streq_ptr(scheduler_pod_node(c->m->scheduler, p->name), row->rec.name))
                                pods++;
                if (r >= 0)
                        r = sd_bus_message_append(reply, "uutt", pods,
                                                  (uint32_t) MIN(row->rec.cpus, (uint64_t) UINT32_MAX),
                                                  row->rec.memory_bytes, row->rec.started_usec);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void list_cordoned_done(Store *s _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(nodes_call_freep) NodesCall *c = userdata;

        if (r < 0)
                return reply_store_error(c, r, error);
        for (size_t i = 0; i < res->n_kvs; i++) {
                const char *name = store_cordon_key_name(res->kvs[i].key);
                NodeRow *row;

                if (!name)
                        continue;
                row = find_row(c, name) ?: add_row(c, name);
                if (!row)
                        goto oom;
                row->cordoned = true;
        }
        r = reply_list(c);
        if (r < 0)
                goto oom;
        return;
oom:
        (void) sd_bus_reply_method_errno(c->call, ENOMEM, NULL);
}

static void list_nodes_done(Store *s _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(nodes_call_freep) NodesCall *c = userdata;

        if (r < 0)
                return reply_store_error(c, r, error);
        for (size_t i = 0; i < res->n_kvs; i++) {
                const char *name = store_node_key_name(res->kvs[i].key);
                _cleanup_free_ char *e = NULL;
                NodeRecord rec = {};
                NodeRow *row;

                if (!name)
                        continue;
                r = node_record_parse(res->kvs[i].value, res->kvs[i].value_size, &rec, &e);
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0 || !streq(rec.name, name)) {
                        log_warning("Ignoring corrupt node record %s: %s", res->kvs[i].key,
                                    r < 0 ? strna(e) : "name differs from its key");
                        node_record_done(&rec);
                        continue;
                }
                row = add_row(c, name);
                if (!row) {
                        node_record_done(&rec);
                        goto oom;
                }
                free(row->rec.name);
                row->rec = rec;
                row->ready = true;
        }
        r = store_range_prefix(c->m->store, STORE_CORDONED_PREFIX, list_cordoned_done, c);
        if (r < 0)
                goto oom;
        TAKE_PTR(c);
        return;
oom:
        (void) sd_bus_reply_method_errno(c->call, ENOMEM, NULL);
}

static int method_list_nodes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(nodes_call_freep) NodesCall *c = NULL;
        Manager *m = userdata;
        int r;

        if (!m->store)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE, "store unreachable: not connected yet");
        c = nodes_call_new(m, call);
        if (!c)
                return -ENOMEM;
        r = store_range_prefix(m->store, STORE_NODES_PREFIX, list_nodes_done, c);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 1;
}

static int drain_begin(NodesCall *c);

static void cordon_written(Store *s _unused_, int r, const StoreResult *res _unused_, const char *error,
                           void *userdata) {
        _cleanup_(nodes_call_freep) NodesCall *c = userdata;

        if (r < 0)
                return reply_store_error(c, r, error);
        log_info("Node %s %s.", c->name, c->drain ? "cordoned, draining" : c->cordon ? "cordoned" : "uncordoned");
        if (!c->drain) {
                (void) sd_bus_reply_method_return(c->call, NULL);
                return;
        }
        r = drain_begin(c);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(c->call, -r, NULL);
                return;
        }
        TAKE_PTR(c);
}

static void cordon_write(NodesCall *c) {
        _cleanup_free_ char *key = NULL, *value = NULL;
        int r;

        r = store_cordon_key(c->name, &key);
        if (r >= 0 && c->cordon)
                r = node_cordon_format(now_realtime_usec(), c->drain, &value);
        if (r >= 0)
                r = c->cordon ? store_put(c->m->store, key, value, strlen(value), cordon_written, c)
                              : store_delete(c->m->store, key, 0, cordon_written, c);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(c->call, -r, NULL);
                nodes_call_free(c);
        }
}

static void cordon_flag_read(Store *s _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(nodes_call_freep) NodesCall *c = userdata;

        if (r < 0)
                return reply_store_error(c, r, error);
        if (!c->known && res->n_kvs == 0) {
                (void) sd_bus_reply_method_errorf(c->call, TANK_ERROR_NO_SUCH_NODE, "no node \"%s\"", c->name);
                return;
        }
        cordon_write(TAKE_PTR(c));
}

static void cordon_node_read(Store *s _unused_, int r, const StoreResult *res, const char *error, void *userdata) {
        _cleanup_(nodes_call_freep) NodesCall *c = userdata;
        _cleanup_free_ char *key = NULL;

        if (r < 0)
                return reply_store_error(c, r, error);
        if (res->n_kvs > 0)
                return cordon_write(TAKE_PTR(c));
        r = store_cordon_key(c->name, &key);
        if (r >= 0)
                r = store_get(c->m->store, key, cordon_flag_read, c);
        if (r < 0) {
                (void) sd_bus_reply_method_errno(c->call, -r, NULL);
                return;
        }
        TAKE_PTR(c);
}

static int cordon(sd_bus_message *call, Manager *m, bool on, bool drain, sd_bus_error *error) {
        _cleanup_(nodes_call_freep) NodesCall *c = NULL;
        _cleanup_free_ char *key = NULL;
        uint64_t timeout_usec = 0;
        const char *name;
        int r;

        r = drain ? sd_bus_message_read(call, "st", &name, &timeout_usec) : sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        if (!config_node_name_is_valid(name))
                return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_NODE, "no node \"%s\": not a valid node name",
                                         name);
        if (!m->store)
                return sd_bus_error_set(error, TANK_ERROR_STORE_UNAVAILABLE, "store unreachable: not connected yet");
        c = nodes_call_new(m, call);
        if (!c || !(c->name = strdup(name)))
                return -ENOMEM;
        c->cordon = on;
        c->drain = drain;
        c->timeout_usec = timeout_usec > 0 ? MIN(timeout_usec, DRAIN_TIMEOUT_MAX_USEC) : DRAIN_TIMEOUT_DEFAULT_USEC;
        c->known = streq(name, node_name(m->node));
        if (c->known) {
                cordon_write(TAKE_PTR(c));
                return 1;
        }
        r = store_node_key(name, &key);
        if (r < 0)
                return r;
        r = store_get(m->store, key, cordon_node_read, c);
        if (r < 0)
                return r;
        TAKE_PTR(c);
        return 1;
}

static int method_cordon(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return cordon(call, userdata, true, false, error);
}

static int method_uncordon(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return cordon(call, userdata, false, false, error);
}

/* Drain: the cordon flag with "drain" (the scheduler, wherever it runs,
 * moves the node's reschedulable pods away), then this call watches its own
 * views until each of them is bound elsewhere and down on the node (its
 * status record there withdrawn), no other node can take the rest, or the
 * timeout passes. Polled: the views change through several watches, and a
 * drain is rare. */
typedef struct DrainPod {
        char *pod;
        const char *outcome;    /* "moved", "stays", "failed"; NULL: not yet */
        char *detail;           /* the new node, or the reason */
} DrainPod;

typedef struct DrainCall {
        NodesCall *c;
        DrainPod *pods;
        size_t n_pods;
        uint64_t deadline;
} DrainCall;

static DrainCall *drain_call_free(DrainCall *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_pods; i++) {
                free(d->pods[i].pod);
                free(d->pods[i].detail);
        }
        free(d->pods);
        nodes_call_free(d->c);
        return mfree(d);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(DrainCall *, drain_call_free);

static void drain_call_destroy(void *userdata) {
        drain_call_free(userdata);
}

static int drain_pod_compare(const void *a, const void *b) {
        return strcmp(((const DrainPod *) a)->pod, ((const DrainPod *) b)->pod);
}

static int drain_reply(DrainCall *d) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        qsort(d->pods, d->n_pods, sizeof(DrainPod), drain_pod_compare);
        r = sd_bus_message_new_method_return(d->c->call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < d->n_pods; i++)
                if (d->pods[i].outcome)
                        r = sd_bus_message_append(reply, "(sss)", d->pods[i].pod, d->pods[i].outcome,
                                                  strempty(d->pods[i].detail));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int drain_set(DrainPod *dp, const char *outcome, const char *detail) {
        char *x = strdup(detail);

        if (!x)
                return -ENOMEM;
        free(dp->detail);
        dp->detail = x;
        dp->outcome = outcome;
        return 0;
}

/* 1: every pod has its outcome. */
static int drain_check(DrainCall *d, bool final) {
        Manager *m = d->c->m;
        bool waiting = false, movable = false;
        int r;

        for (size_t i = 0; i < d->n_pods; i++) {
                DrainPod *dp = &d->pods[i];
                PodState *p = m->reconciler ? reconciler_get_pod(m->reconciler, dp->pod) : NULL;
                const char *node;
                _cleanup_free_ char *reason = NULL;

                if (streq_ptr(dp->outcome, "stays"))
                        continue;
                if (!p || !p->desired) {
                        r = drain_set(dp, "moved", "");         /* deleted meanwhile: nothing left */
                        if (r < 0)
                                return r;
                        continue;
                }
                node = scheduler_pod_node(m->scheduler, dp->pod);
                if (node && !streq(node, d->c->name) &&
                    !streq_ptr(pod_status_board_holder(m->pod_status, dp->pod), d->c->name)) {
                        r = drain_set(dp, "moved", node);
                        if (r < 0)
                                return r;
                        continue;
                }
                dp->outcome = NULL;
                waiting = true;
                if (node && !streq(node, d->c->name))
                        movable = true;         /* bound elsewhere, still stopping on the node */
                else {
                        r = scheduler_explain(m->scheduler, p, &reason);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                movable = true;
                }
                if (final || reason) {
                        r = drain_set(dp, "failed", reason ?: node && !streq(node, d->c->name) ?
                                      "still stopping on the node" : "no node took it in time");
                        if (r < 0)
                                return r;
                }
        }
        /* Done when nothing is on its way: a pod no node can take now makes
         * the drain fail at once rather than at the timeout. */
        return !waiting || !movable || final;
}

static int on_drain_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        DrainCall *d = userdata;
        int r;

        r = drain_check(d, usec >= d->deadline);
        if (r == 0) {
                r = sd_event_source_set_time_relative(es, DRAIN_POLL_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
                if (r >= 0)
                        return 0;
        }
        if (r < 0)
                (void) sd_bus_reply_method_errno(d->c->call, -r, NULL);
        else {
                size_t moved = 0, failed = 0;

                for (size_t i = 0; i < d->n_pods; i++) {
                        moved += streq_ptr(d->pods[i].outcome, "moved");
                        failed += streq_ptr(d->pods[i].outcome, "failed");
                }
                log_info("Drain of node %s: %zu pod(s) moved, %zu could not move, %zu stay.", d->c->name, moved,
                         failed, d->n_pods - moved - failed);
                r = drain_reply(d);
                if (r < 0)
                        log_warning_errno(r, "Failed to answer the drain of node %s: %m", d->c->name);
        }
        /* The loop holds the floating source's only reference: handing it
         * back drops it, and the destroy callback frees d once this
         * dispatch is over. */
        (void) sd_event_source_set_enabled(es, SD_EVENT_OFF);
        (void) sd_event_source_set_floating(es, false);
        return 0;
}

static int drain_begin(NodesCall *c) {
        _cleanup_(drain_call_freep) DrainCall *d = calloc(1, sizeof(DrainCall));
        Manager *m = c->m;
        sd_event_source *es = NULL;
        PodState *p;
        int r;

        if (!d)
                return -ENOMEM;
        d->c = c;
        d->deadline = now_monotonic_usec() + c->timeout_usec;
        if (m->reconciler) {
                d->pods = calloc(MAX(hashmap_size(reconciler_pods(m->reconciler)), 1u), sizeof(DrainPod));
                if (!d->pods)
                        goto fail;
                HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                        DrainPod *dp;

                        if (!p->desired || !streq_ptr(scheduler_pod_node(m->scheduler, p->name), c->name))
                                continue;
                        dp = &d->pods[d->n_pods++];
                        dp->pod = strdup(p->name);
                        if (!dp->pod)
                                goto fail;
                        if (p->desired->placement.node && streq(p->desired->placement.node, c->name))
                                r = drain_set(dp, "stays", "pinned to the node");
                        else if (!p->desired->reschedule)
                                r = drain_set(dp, "stays", "not reschedulable (\"reschedule\": false)");
                        else
                                r = 0;
                        if (r < 0)
                                goto fail;
                }
        }
        r = sd_event_add_time_relative(m->event, &es, CLOCK_MONOTONIC, DRAIN_POLL_USEC, 0, on_drain_timer, d);
        if (r < 0)
                goto fail_r;
        /* Floating: the loop owns it (and frees d with it when tankd stops
         * during a drain). */
        r = sd_event_source_set_floating(es, true);
        if (r < 0) {
                sd_event_source_disable_unref(es);
                goto fail_r;
        }
        sd_event_source_unref(es);
        r = sd_event_source_set_destroy_callback(es, drain_call_destroy);
        if (r < 0) {
                (void) sd_event_source_set_enabled(es, SD_EVENT_OFF);
                (void) sd_event_source_set_floating(es, false);
                goto fail_r;
        }
        /* From here the source owns d (and c). */
        TAKE_PTR(d);
        return 0;
fail:
        r = -ENOMEM;
fail_r:
        d->c = NULL;            /* the caller keeps c */
        return r;
}

static int method_drain(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return cordon(call, userdata, true, true, error);
}

static int placement_compare(const void *a, const void *b) {
        return strcmp((*(PodState * const *) a)->name, (*(PodState * const *) b)->name);
}

static int method_list_placements(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        _cleanup_free_ PodState **l = NULL;
        size_t n = 0;
        PodState *p;
        int r;

        if (m->reconciler) {
                l = calloc(MAX(hashmap_size(reconciler_pods(m->reconciler)), 1u), sizeof(PodState *));
                if (!l)
                        return -ENOMEM;
                HASHMAP_FOREACH(p, reconciler_pods(m->reconciler))
                        if (p->desired)
                                l[n++] = p;
                qsort(l, n, sizeof(PodState *), placement_compare);
        }
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sss)", l[i]->name,
                                          strempty(scheduler_pod_node(m->scheduler, l[i]->name)),
                                          strempty(scheduler_pod_reason(m->scheduler, l[i]->name)));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_get_node_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", node_name(m->node));
}

static const sd_bus_vtable nodes_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* This host's [Node] Name=: what Pod.Node is compared with. */
        SD_BUS_PROPERTY("NodeName", "s", property_get_node_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListNodes", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssa{ss}uutt)", nodes),
                                method_list_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
        /* Root and group tank: the bus policy denies everyone else. */
        SD_BUS_METHOD_WITH_ARGS("Cordon", SD_BUS_ARGS("s", node), SD_BUS_NO_RESULT,
                                method_cordon, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Uncordon", SD_BUS_ARGS("s", node), SD_BUS_NO_RESULT,
                                method_uncordon, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Drain", SD_BUS_ARGS("s", node, "t", timeout_usec), SD_BUS_RESULT("a(sss)", pods),
                                method_drain, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPlacements", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", placements),
                                method_list_placements, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_nodes_install(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, nodes_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the node methods: %m");
        return 0;
}
