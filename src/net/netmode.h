/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Network modes: what each value of a pod's "network" (spec/pod.h) means for
 * its bring-up, adoption, teardown and admission, as one NetworkModeOps each
 * (netmode-none.c, netmode-host.c, netmode-macvlan.c). pod-network.c and the
 * reconciler's admission ask the ops; nothing else decides by mode.
 *
 * Adding a mode: a new NetworkMode value in src/spec (the parser), a new
 * NetworkModeOps in a file of its own and one line in network_mode_ops().
 *
 * Like the rest of src/net, nothing here logs above debug; failures are
 * -errno plus a message for the pod's status in the spec's path notation. */

#include <sys/types.h>

#include "net/host.h"
#include "spec/pod.h"

typedef struct NetworkModeOps {
        /* As recorded in the namespace's stamp ("mode none"). */
        const char *name;

        /* What the shim gets: true, the host's namespace (nothing is raised,
         * adopted or torn down, and the images keep their /etc files); false,
         * the pod's named namespace <runtime>/netns/<pod> with its _net files. */
        bool host_namespace;

        /* Bring-up: fills a namespace made just now, which holds only
         * loopback, up. NULL: loopback is all the mode wants. */
        int (*configure)(const char *netns_path, const Pod *pod, HostFacts *facts, char **ret_error);
        /* Whether the pod's resolv.conf is written (the spec's "dns", else the
         * host facts' servers); false: the image's own stays. */
        bool resolv_conf;

        /* Adoption: whether an existing namespace, whose stamp is old_stamp
         * (NULL: it has none), may be kept for a spec whose stamp is stamp. */
        bool (*adoptable)(const char *old_stamp, const char *stamp);

        /* Teardown: removes what the mode raised for the pod, by name (the
         * spec may be gone); 1 if something was removed, 0 if nothing was
         * there. NULL: the mode raises nothing. */
        int (*teardown)(const char *runtime_dir, const char *pod);

        /* Admission, one pod alone: what can be known without touching
         * anything (pod_network_check()). NULL: nothing to check. */
        int (*check)(const Pod *pod, HostFacts *facts, char **ret_error);
        /* The scheduler, a node: whether the node's recorded facts (its
         * interfaces but lo, its uplink, "" if none; store/nodes.h) have
         * what the pod needs. 0, or -ENODEV with *ret_need, what is missing
         * as a noun phrase: `interface "eth9" (network.nics[0].parent)`.
         * NULL: the mode needs nothing of the node. */
        int (*check_node)(const Pod *pod, char * const *interfaces, const char *uplink, char **ret_need);
        /* Admission, two pods: the NICs' addresses are claimed on the host's
         * segments, so no two such pods may share one
         * (pod_network_shared_address()). */
        bool exclusive_addresses;
} NetworkModeOps;

extern const NetworkModeOps network_mode_none;
extern const NetworkModeOps network_mode_host;
extern const NetworkModeOps network_mode_macvlan;

/* NULL for a value that is no mode. */
const NetworkModeOps *network_mode_ops(NetworkMode mode);

/* The index of a NIC of a whose address one of b's NICs has too, when both
 * modes claim their addresses; else -1. */
ssize_t pod_network_shared_address(const Pod *a, const Pod *b);

/* Shared by the modes that raise the pod's named namespace (pod-network.c):
 * the namespace (and so its links) and the _net files. */
int pod_network_remove_namespace(const char *runtime_dir, const char *pod);
