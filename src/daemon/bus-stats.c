/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "daemon/bus-exec.h"
#include "daemon/bus-stats.h"
#include "daemon/container-stats.h"
#include "escape.h"
#include "hashmap.h"
#include "log.h"
#include "strv.h"
#include "time-util.h"

static int append_counter(sd_bus_message *reply, unsigned have, unsigned bit, const char *key, uint64_t v) {
        if (!(have & bit))
                return 0;
        return sd_bus_message_append(reply, "{st}", key, v);
}

/* One walk serves every caller within STATS_CACHE_USEC: Stats is open to
 * every local user, and each reading is a few cgroup files per container on
 * tankd's loop. An entry is a container's run's reading (its shim's pid
 * tells a restarted run apart); one missing from a fresh cache (a container
 * that started since) is read then and kept. */
#define STATS_CACHE_USEC (1 * USEC_PER_SEC)
/* The most pod names one call may give: the work of a call is bounded by
 * them (and by the pods tankd runs). */
#define STATS_PODS_MAX 1024U

typedef struct StatsEntry {
        pid_t shim_pid;
        bool gone;                      /* it exited as we read it */
        ContainerStats s;
} StatsEntry;

struct StatsCache {
        uint64_t at_usec;               /* CLOCK_MONOTONIC of the walk; 0: none */
        Hashmap *entries;               /* "pod/container" -> StatsEntry */
};

static void stats_cache_clear(StatsCache *c) {
        StatsEntry *e;

        HASHMAP_FOREACH(e, c->entries)
                free(e);
        c->entries = hashmap_free(c->entries);
        c->at_usec = 0;
}

StatsCache *stats_cache_free(StatsCache *c) {
        if (!c)
                return NULL;
        stats_cache_clear(c);
        return mfree(c);
}

/* The cache for a call at now: emptied when older than STATS_CACHE_USEC. */
static int stats_cache_begin(Manager *m, uint64_t now, StatsCache **ret) {
        StatsCache *c = m->stats_cache;

        if (!c) {
                c = m->stats_cache = calloc(1, sizeof *c);
                if (!c)
                        return -ENOMEM;
        }
        if (c->entries && now - c->at_usec >= STATS_CACHE_USEC)
                stats_cache_clear(c);
        if (!c->entries) {
                c->entries = hashmap_new();
                if (!c->entries)
                        return -ENOMEM;
                c->at_usec = now;
        }
        *ret = c;
        return 0;
}

/* The reading of c's run: cached, or read now. NULL (0) when it is gone. */
static int stats_cache_get(StatsCache *cache, CgroupLayout layout, PodState *p, ContainerState *c,
                           const StatsEntry **ret) {
        _cleanup_free_ char *key = NULL;
        _cleanup_free_ StatsEntry *n = NULL;
        StatsEntry *e;
        void *old = NULL;
        int r;

        if (asprintf(&key, "%s/%s", p->name, c->name) < 0)
                return -ENOMEM;
        e = hashmap_get(cache->entries, key);
        if (e && e->shim_pid == c->shim_pid) {
                *ret = e->gone ? NULL : e;
                return 0;
        }
        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->shim_pid = c->shim_pid;
        r = container_stats_read(layout, c->shim_pid, c->unit, c->pid, &n->s);
        if (r == -ESRCH)
                n->gone = true; /* it just exited: the next sample will not have it */
        else if (r < 0)
                return r;
        r = hashmap_replace(cache->entries, key, n, &old);
        if (r < 0)
                return r;
        free(old);
        e = TAKE_PTR(n);
        *ret = e->gone ? NULL : e;
        return 0;
}

static int append_container(sd_bus_message *reply, StatsCache *cache, CgroupLayout layout, PodState *p,
                            ContainerState *c) {
        const StatsEntry *e;
        const ContainerStats *s;
        int r;

        if (c->lifecycle.phase != CONTAINER_RUNNING || c->shim_pid <= 0 || !c->unit)
                return 0;
        r = stats_cache_get(cache, layout, p, c, &e);
        if (r < 0)
                return r;
        if (!e)
                return 0;
        s = &e->s;

        r = sd_bus_message_open_container(reply, 'r', "ssa{st}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "ss", p->name, c->name);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_CPU, "cpu_usage_nsec", s->cpu_usage_nsec);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_MEMORY, "memory_bytes", s->memory_bytes);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_MEMORY_LIMIT, "memory_limit", s->memory_limit);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_PIDS, "pids", s->pids);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_PIDS_LIMIT, "pids_limit", s->pids_limit);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_NET, "net_rx_bytes", s->net_rx_bytes);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_NET, "net_tx_bytes", s->net_tx_bytes);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_BLOCK, "block_read_bytes", s->block_read_bytes);
        if (r >= 0)
                r = append_counter(reply, s->have, STATS_BLOCK, "block_write_bytes", s->block_write_bytes);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_pod(sd_bus_message *reply, StatsCache *cache, CgroupLayout layout, PodState *p) {
        for (size_t i = 0; i < p->n_containers; i++) {
                int r = append_container(reply, cache, layout, p, p->containers[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_stats(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **pods = NULL;
        Manager *m = userdata;
        StatsCache *cache;
        CgroupLayout layout;
        PodState *p;
        int r;

        r = sd_bus_message_read_strv(call, &pods);
        if (r < 0)
                return r;
        if (strv_length(pods) > STATS_PODS_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "more than %u pods named",
                                         STATS_PODS_MAX);
        STRV_FOREACH(name, pods)
                if (!reconciler_get_pod(m->reconciler, *name))
                        return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no such pod: %s", *name);
        r = cgroup_layout_detect(&layout);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot tell the cgroup layout: %m");
        r = stats_cache_begin(m, now_monotonic_usec(), &cache);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        /* The time of the sample (the walk's), for the rates a client computes from two. */
        r = sd_bus_message_append(reply, "t", cache->at_usec);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssa{st})");
        if (r < 0)
                return r;
        if (!pods || !pods[0])
                HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                        r = append_pod(reply, cache, layout, p);
                        if (r < 0)
                                return sd_bus_error_set_errnof(error, r, "cannot read the pods' counters: %m");
                }
        else
                STRV_FOREACH(name, pods) {
                        r = append_pod(reply, cache, layout, reconciler_get_pod(m->reconciler, *name));
                        if (r < 0)
                                return sd_bus_error_set_errnof(error, r, "cannot read the counters of %s: %m",
                                                               *name);
                }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_top(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        ContainerProcess *procs = NULL;
        Manager *m = userdata;
        const char *pod, *container;
        ContainerState *c;
        CgroupLayout layout;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(call, "ss", &pod, &container);
        if (r < 0)
                return r;
        r = bus_find_running_container(m, call, pod, container, error, &c);
        if (r < 0)
                return r;
        r = cgroup_layout_detect(&layout);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot tell the cgroup layout: %m");
        r = container_processes(layout, c->shim_pid > 0 ? c->shim_pid : c->pid, c->unit, c->pid, &procs, &n);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, TANK_ERROR_NOT_RUNNING, "pod %s: container %s is not running",
                                         pod, c->name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot list the processes of %s/%s: %m", pod, c->name);

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(uuuus)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                /* The workload writes its command line: D-Bus takes only UTF-8. */
                _cleanup_free_ char *command = str_escape_control(procs[i].command);

                r = command ? sd_bus_message_append(reply, "(uuuus)", (uint32_t) procs[i].pid,
                                                    (uint32_t) procs[i].ns_pid, (uint32_t) procs[i].uid,
                                                    (uint32_t) procs[i].ns_uid, command) : -ENOMEM;
        }
        container_process_array_free(procs, n);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable stats_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Stats", SD_BUS_ARGS("as", pods),
                                SD_BUS_RESULT("t", monotonic_usec, "a(ssa{st})", containers),
                                method_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Top", SD_BUS_ARGS("s", pod, "s", container),
                                SD_BUS_RESULT("a(uuuus)", processes),
                                method_top, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_stats_install(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, stats_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Stats and Top methods: %m");
        return 0;
}
