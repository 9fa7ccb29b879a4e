/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net/netmode.h"
#include "schedule.h"
#include "strv.h"

uint64_t schedule_pod_memory(const Pod *pod) {
        uint64_t sum = 0;

        if (!pod)
                return 0;
        FOREACH_ARRAY(c, pod->containers, pod->n_containers)
                if (c->limits.memory != LIMIT_UNSET)
                        sum = sum > UINT64_MAX - c->limits.memory ? UINT64_MAX : sum + c->limits.memory;
        return sum;
}

static bool has_labels(const ScheduleNode *n, char * const *want) {
        STRV_FOREACH(w, want)
                if (!strv_contains(n->labels, *w))
                        return false;
        return true;
}

static uint64_t free_memory(const ScheduleNode *n) {
        return n->memory_bytes > n->bound_memory ? n->memory_bytes - n->bound_memory : 0;
}

/* Is a better than b? */
static bool better(const ScheduleNode *a, const ScheduleNode *b) {
        if (free_memory(a) != free_memory(b))
                return free_memory(a) > free_memory(b);
        if (a->n_bound != b->n_bound)
                return a->n_bound < b->n_bound;
        return strcmp(a->name, b->name) < 0;
}

int schedule_decide(const Pod *pod, const ScheduleNode *nodes, size_t n_nodes, const char **ret_node,
                    char **ret_reason) {
        const ScheduleNode *best = NULL;
        char * const *labels = pod->placement.labels;
        const char *pinned = pod->placement.node;
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);
        _cleanup_free_ char *need = NULL;
        const ScheduleNode *lacking = NULL;
        bool matched = false;
        int r;

        for (size_t i = 0; i < n_nodes; i++) {
                const ScheduleNode *n = nodes + i;

                if (pinned && !streq(n->name, pinned))
                        continue;
                if (!has_labels(n, labels))
                        continue;
                matched = true;
                if (n->cordoned)
                        continue;
                if (ops && ops->check_node && n->has_facts) {
                        _cleanup_free_ char *x = NULL;

                        r = ops->check_node(pod, n->interfaces, n->uplink, &x);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                /* The first by name says what is missing. */
                                if (!lacking || strcmp(n->name, lacking->name) < 0) {
                                        lacking = n;
                                        free(need);
                                        need = TAKE_PTR(x);
                                }
                                continue;
                        }
                }
                if (!best || better(n, best))
                        best = n;
        }
        if (best) {
                *ret_node = best->name;
                return 1;
        }

        if (lacking)
                r = pinned ? asprintf(ret_reason, "node %s has no %s", pinned, need)
                           : asprintf(ret_reason, "no node has %s", need);
        else if (pinned)
                r = matched ? asprintf(ret_reason, "node %s is cordoned", pinned)
                            : asprintf(ret_reason, "node %s is not registered", pinned);
        else if (labels) {
                _cleanup_free_ char *joined = strv_join(labels, ",");
                if (!joined)
                        return -ENOMEM;
                r = matched ? asprintf(ret_reason, "every node with labels %s is cordoned", joined)
                            : asprintf(ret_reason, "no node with labels %s", joined);
        } else
                r = (*ret_reason = strdup(n_nodes > 0 ? "every node is cordoned" : "no node is registered")) ? 0 : -1;
        return r < 0 ? -ENOMEM : 0;
}
