/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's network, raised from its spec (DESIGN.md "network"); what differs
 * between the modes is each one's NetworkModeOps (netmode.h):
 *
 *   "host"   nothing is made: the containers share the host's namespace and keep
 *            their images' /etc files.
 *   "none"   the named namespace <runtime>/netns/<pod> (netns.c) with only
 *            loopback, up.
 *   macvlan  the same namespace, plus for each NIC a macvlan link (mode bridge)
 *            on its parent in the host namespace, named as the NIC, with the
 *            static IPv4 address, up, and a default route via the gateway when
 *            one is given (the i-th NIC's route has metric i, so with several
 *            gateways the first NIC's wins). parent "auto" is the host facts'
 *            uplink (host.h).
 *
 * Each link is created by one RTM_NEWLINK that names the pod's namespace as its
 * home (IFLA_NET_NS_FD): the kernel looks the parent up in the host namespace
 * and registers the new link directly in the pod's, under its final name. So a
 * macvlan never exists in the host namespace, not even for a moment, and no
 * failure or crash at any step can leave one there; deleting the namespace
 * deletes its links.
 *
 * For "none" and macvlan, <runtime>/pods/<pod>/_net/ (a name no container can
 * have) holds the pod's hostname (the pod name), hosts (localhost lines and the
 * pod name -> its NIC addresses, or 127.0.1.1 without NICs) and, for macvlan,
 * resolv.conf (the spec's "dns", else the host facts' servers). The shim binds
 * them read-only over /etc/{hostname,hosts,resolv.conf}.
 *
 * Adoption: once a namespace is fully configured, a stamp describing the network
 * spec it was made for is written beside those files. A later setup of the same
 * pod (another container, a restarted tankd) finds the namespace and, when the
 * stamp matches, keeps it as it is. A missing or different stamp means an
 * unfinished or outdated bring-up: the namespace is thrown away and rebuilt. (The
 * reconciler stops every container of a pod before it starts any under a changed
 * network, so nothing still runs in a namespace that is rebuilt.)
 *
 * Errors are per pod: -errno plus a message for the pod's status, in the spec's
 * path notation (`network.nics[0].parent: no interface "eth7" on this host`).
 * Nothing here logs above debug. */

#include "net/host.h"
#include "spec/pod.h"

typedef struct PodNetworkResult {
        bool host;              /* share the host namespace; nothing below is set */
        bool adopted;           /* an existing, complete namespace was kept */
        char *netns_path;
        char *hostname_file;
        char *hosts;
        char *resolv_conf;      /* NULL for "none": the image's own stays */
} PodNetworkResult;

void pod_network_result_done(PodNetworkResult *r);

/* What admission can know without touching anything (the mode's check): for
 * macvlan, every NIC's parent resolves to an interface of this host that can
 * carry macvlan links. */
int pod_network_check(const Pod *pod, HostFacts *facts, char **ret_error);

int pod_network_setup(const char *runtime_dir, const Pod *pod, HostFacts *facts, PodNetworkResult *ret,
                      char **ret_error);

/* Remove the namespace (and so its links) and the files, whichever mode made
 * them. 0 if there was nothing. */
int pod_network_teardown(const char *runtime_dir, const char *pod);

/* Internal to src/net, shared between pod-network.c and pod-files.c. */
int pod_network_dir(const char *runtime_dir, const char *pod, bool create, char **ret);
int pod_network_write_files(const char *dir, const Pod *pod, char * const *dns, PodNetworkResult *res);
int pod_network_stamp(const Pod *pod, char **ret);
