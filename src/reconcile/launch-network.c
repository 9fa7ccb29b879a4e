/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net/host.h"
#include "net/pod-network.h"
#include "reconcile/launch-internal.h"
#include "reconcile/reconciler-internal.h"

/* The pod's network before a container starts: raised by the first
 * container, adopted by the others and after a tankd restart
 * (src/net/pod-network.h); the mode (net/netmode.h) decides what is made and
 * whether the shim joins the host's namespace or the pod's. */

int launch_network_setup(Reconciler *rc, const Pod *pod, ShimConfig *sc, char **ret_error) {
        _cleanup_host_facts_free_ HostFacts *facts = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult net = {};
        int r;

        r = host_facts_new_resolved(rc->config, rc->resolved, &facts);
        if (r < 0)
                return r;
        r = pod_network_setup(rc->runtime_dir, pod, facts, &net, ret_error);
        if (r < 0)
                return r;
        if (net.host) {
                sc->network = SHIM_NETWORK_HOST;
                return 0;
        }
        sc->netns_path = TAKE_PTR(net.netns_path);
        sc->hostname_file = TAKE_PTR(net.hostname_file);
        sc->hosts = TAKE_PTR(net.hosts);
        sc->resolv_conf = TAKE_PTR(net.resolv_conf);
        sc->network = SHIM_NETWORK_PATH;
        return 0;
}
