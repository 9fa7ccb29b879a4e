/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "escape.h"
#include "daemon/bus-exec.h"
#include "daemon/bus-stats.h"
#include "daemon/container-stats.h"
#include "log.h"
#include "strv.h"
#include "time-util.h"

static int append_counter(sd_bus_message *reply, unsigned have, unsigned bit, const char *key, uint64_t v) {
        if (!(have & bit))
                return 0;
        return sd_bus_message_append(reply, "{st}", key, v);
}

static int append_container(sd_bus_message *reply, CgroupLayout layout, PodState *p, ContainerState *c) {
        ContainerStats s;
        int r;

        if (c->lifecycle.phase != CONTAINER_RUNNING || c->shim_pid <= 0 || !c->unit)
                return 0;
        r = container_stats_read(layout, c->shim_pid, c->unit, c->pid, &s);
        if (r == -ESRCH)
                return 0;       /* it just exited: the next sample will not have it */
        if (r < 0)
                return r;

        r = sd_bus_message_open_container(reply, 'r', "ssa{st}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "ss", p->name, c->name);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_CPU, "cpu_usage_nsec", s.cpu_usage_nsec);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_MEMORY, "memory_bytes", s.memory_bytes);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_MEMORY_LIMIT, "memory_limit", s.memory_limit);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_PIDS, "pids", s.pids);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_PIDS_LIMIT, "pids_limit", s.pids_limit);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_NET, "net_rx_bytes", s.net_rx_bytes);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_NET, "net_tx_bytes", s.net_tx_bytes);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_BLOCK, "block_read_bytes", s.block_read_bytes);
        if (r >= 0)
                r = append_counter(reply, s.have, STATS_BLOCK, "block_write_bytes", s.block_write_bytes);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_pod(sd_bus_message *reply, CgroupLayout layout, PodState *p) {
        for (size_t i = 0; i < p->n_containers; i++) {
                int r = append_container(reply, layout, p, p->containers[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_stats(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **pods = NULL;
        Manager *m = userdata;
        CgroupLayout layout;
        PodState *p;
        int r;

        r = sd_bus_message_read_strv(call, &pods);
        if (r < 0)
                return r;
        STRV_FOREACH(name, pods)
                if (!reconciler_get_pod(m->reconciler, *name))
                        return sd_bus_error_setf(error, TANK_ERROR_NO_SUCH_POD, "no such pod: %s", *name);
        r = cgroup_layout_detect(&layout);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot tell the cgroup layout: %m");

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        /* The time of the sample, for the rates a client computes from two. */
        r = sd_bus_message_append(reply, "t", now_monotonic_usec());
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssa{st})");
        if (r < 0)
                return r;
        if (!pods || !pods[0])
                HASHMAP_FOREACH(p, reconciler_pods(m->reconciler)) {
                        r = append_pod(reply, layout, p);
                        if (r < 0)
                                return sd_bus_error_set_errnof(error, r, "cannot read the pods' counters: %m");
                }
        else
                STRV_FOREACH(name, pods) {
                        r = append_pod(reply, layout, reconciler_get_pod(m->reconciler, *name));
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
