/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/host.h"
#include "net/netmode.h"
#include "reconcile/admission.h"
#include "reconcile/reconciler-internal.h"

static int address_taken(const Pod *pod, size_t i, const char *verb, const char *holder, char **ret_reason) {
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &pod->network.nics[i].address, ip, sizeof ip);
        if (asprintf(ret_reason, "network.nics[%zu].ip: address %s is %s by pod \"%s\"", i, ip, verb, holder) < 0)
                return -ENOMEM;
        return -EINVAL;
}

/* Whether the pod's network may be up: a container of it runs or is on its
 * way (the namespace and its addresses stay until the pod is gone). */
static bool pod_holds_network(const PodState *p) {
        for (size_t i = 0; i < p->n_containers; i++)
                if (p->containers[i]->lifecycle.phase != CONTAINER_WAITING && p->containers[i]->lifecycle.phase != CONTAINER_FAILED)
                        return true;
        return false;
}

/* Before bring-up, again: admission saw only this tankd's Applies, and a
 * spec can reach the store another way (another tankd on a shared store, a
 * seed, etcdctl). Of two desired pods with one address, the one that holds
 * it keeps it; if neither does yet, the one written first (lower revision;
 * then by name, so that both sides agree). */
int reconcile_check_bringup(Reconciler *rc, PodState *p, char **ret_reason) {
        const NetworkModeOps *ops;
        PodState *q;

        if (!p->desired || pod_holds_network(p))
                return 0;
        ops = network_mode_ops(p->desired->network.mode);
        if (!ops || !ops->exclusive_addresses)
                return 0;
        HASHMAP_FOREACH(q, rc->pods) {
                ssize_t i;

                if (q == p || !q->desired)
                        continue;
                i = pod_network_shared_address(p->desired, q->desired);
                if (i < 0)
                        continue;
                if (pod_holds_network(q) || q->mod_revision < p->mod_revision ||
                    (q->mod_revision == p->mod_revision && strcmp(q->name, p->name) < 0))
                        return address_taken(p->desired, (size_t) i, "held", q->name, ret_reason);
        }
        return 0;
}

int reconciler_check_admission(Reconciler *rc, const Pod *pod, bool check_host, char **ret_reason) {
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);
        PodState *p;
        ssize_t i;
        int r;

        if (!ops)
                return 0;
        if (ops->check && check_host) {
                _cleanup_host_facts_free_ HostFacts *facts = NULL;

                /* Every parent must exist now; one that vanishes later fails only its pod. */
                r = host_facts_new(rc->config, &facts);
                if (r < 0)
                        return r;
                r = ops->check(pod, facts, ret_reason);
                if (r < 0)
                        return r == -ENOMEM ? r : -EINVAL;
        }
        if (!ops->exclusive_addresses)
                return 0;
        /* An address belongs to one pod: refuse at apply, not at bring-up;
         * also against the Applies still on their way to the store. */
        HASHMAP_FOREACH(p, rc->pods) {
                if (!p->desired || streq(p->name, pod->name))
                        continue;
                i = pod_network_shared_address(pod, p->desired);
                if (i >= 0)
                        return address_taken(pod, (size_t) i, "already used", p->name, ret_reason);
        }
        for (size_t k = 0; k < rc->n_applying; k++) {
                if (streq(rc->applying[k]->name, pod->name))
                        continue;
                i = pod_network_shared_address(pod, rc->applying[k]);
                if (i >= 0)
                        return address_taken(pod, (size_t) i, "already used", rc->applying[k]->name, ret_reason);
        }
        return 0;
}
