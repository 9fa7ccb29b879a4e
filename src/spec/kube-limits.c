/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Kubernetes form's share of a container's limits that needs no YAML:
 * apart from kube-out.c, so that the field table (which the shim links for
 * its spec parser) does not pull the Kubernetes writer and libyaml in. */
#include "container-fields.h"
#include "json.h"

/* Kubernetes' millicores at a 100 ms period; any other cpu limit is Tank-only. */
bool pod_limits_cpu_is_kube(const PodLimits *l) {
        return l->cpu_period_us == 100000 && l->cpu_quota_us % 100 == 0;
}

/* The share of "limits" resources.limits cannot carry: pids, and a cpu limit
 * Kubernetes cannot express. */
int container_limits_annotate(JsonGen *g, const PodContainer *c) {
        bool pids = c->limits.pids != LIMIT_UNSET, cpu = c->limits.cpu_period_us > 0 && !pod_limits_cpu_is_kube(&c->limits);
        int r;

        if (!pids && !cpu)
                return 0;
        r = json_gen_string(g, "limits");
        if (r >= 0)
                r = json_gen_map_open(g);
        if (r >= 0 && pids)
                r = json_gen_kv_integer(g, "pids", (long long) c->limits.pids);
        if (r >= 0 && cpu) {
                r = json_gen_string(g, "cpu");
                if (r >= 0)
                        r = json_gen_array_open(g);
                if (r >= 0)
                        r = json_gen_integer(g, (long long) c->limits.cpu_quota_us);
                if (r >= 0)
                        r = json_gen_integer(g, (long long) c->limits.cpu_period_us);
                if (r >= 0)
                        r = json_gen_array_close(g);
        }
        if (r >= 0)
                r = json_gen_map_close(g);
        return r < 0 ? r : 1;
}

