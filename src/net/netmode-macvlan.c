/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/route.h>

#include "net/netmode.h"
#include "strv.h"
#include "net/nl-util.h"

/* A macvlan pod: the pod's own namespace with, for each NIC, a macvlan link
 * born inside it (pod-network.h says how), its static address and route, and
 * a resolv.conf. The NICs' addresses are on the host's segments, so a pod
 * claims them: admission refuses a second pod with one of them, and a parent
 * must exist and carry macvlan links before a pod is accepted. */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_route *, rtnl_route_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);

static bool interface_is_wireless(const char *ifname) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (asprintf(&a, "/sys/class/net/%s/wireless", ifname) < 0 ||
            asprintf(&b, "/sys/class/net/%s/phy80211", ifname) < 0)
                return false;
        return access(a, F_OK) >= 0 || access(b, F_OK) >= 0;
}

/* The host interface of NIC i and its index, or the per-pod error. */
static int nic_parent(const Pod *pod, size_t i, HostFacts *facts, const char **ret_name, int *ret_ifindex,
                      char **ret_error) {
        const PodNic *nic = &pod->network.nics[i];
        const char *parent = nic->parent, *why = NULL;
        bool is_auto = !parent || streq(parent, "auto");
        unsigned ifindex;
        int r;

        if (is_auto) {
                r = host_facts_uplink(facts, &parent, &why);
                if (r < 0)
                        return asprintf(ret_error, "network.nics[%zu].parent: \"auto\": %s", i,
                                        why ?: strerror(-r)) < 0 ? -ENOMEM : r;
        }
        ifindex = if_nametoindex(parent);
        if (ifindex == 0) {
                if (is_auto)
                        return asprintf(ret_error, "network.nics[%zu].parent: no interface \"%s\" on this host "
                                        "(the uplink named by the host adapter \"%s\")", i, parent,
                                        host_facts_adapter_name(facts)) < 0 ? -ENOMEM : -ENODEV;
                return asprintf(ret_error, "network.nics[%zu].parent: no interface \"%s\" on this host", i,
                                parent) < 0 ? -ENOMEM : -ENODEV;
        }
        if (interface_is_wireless(parent))
                return asprintf(ret_error, "network.nics[%zu].parent: \"%s\" is a Wi-Fi interface, which cannot "
                                "carry macvlan links; use \"network\": \"host\" for this pod", i, parent) < 0
                        ? -ENOMEM : -EOPNOTSUPP;
        if (ret_name)
                *ret_name = parent;
        if (ret_ifindex)
                *ret_ifindex = (int) ifindex;
        return 0;
}

static int macvlan_check(const Pod *pod, HostFacts *facts, char **ret_error) {
        int r;

        for (size_t i = 0; i < pod->network.n_nics; i++) {
                r = nic_parent(pod, i, facts, NULL, NULL, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int macvlan_check_node(const Pod *pod, char * const *interfaces, const char *uplink, char **ret_need) {
        for (size_t i = 0; i < pod->network.n_nics; i++) {
                const char *parent = pod->network.nics[i].parent;

                if (!parent || streq(parent, "auto")) {
                        if (isempty(uplink))
                                return asprintf(ret_need, "uplink (network.nics[%zu].parent \"auto\")", i) < 0
                                        ? -ENOMEM : -ENODEV;
                } else if (!strv_contains(interfaces, parent))
                        return asprintf(ret_need, "interface \"%s\" (network.nics[%zu].parent)", parent, i) < 0
                                ? -ENOMEM : -ENODEV;
        }
        return 0;
}

static struct nl_addr *inet_nl_addr(struct in_addr a, unsigned prefixlen) {
        struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof a);

        if (n)
                nl_addr_set_prefixlen(n, (int) prefixlen);
        return n;
}

static bool in_same_subnet(struct in_addr a, struct in_addr b, unsigned prefixlen) {
        uint32_t mask = prefixlen == 0 ? 0 : htonl(~UINT32_C(0) << (32 - prefixlen));

        return (a.s_addr & mask) == (b.s_addr & mask);
}

static int add_macvlan(struct nl_sock *host, int nsfd, const Pod *pod, size_t i, const char *parent,
                       int parent_ifindex, char **ret_error) {
        const PodNic *nic = &pod->network.nics[i];
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
        int r;

        link = rtnl_link_macvlan_alloc();
        if (!link)
                return -ENOMEM;
        rtnl_link_set_link(link, parent_ifindex);
        rtnl_link_set_name(link, nic->name);
        rtnl_link_set_ns_fd(link, nsfd);
        rtnl_link_set_flags(link, IFF_UP);
        r = rtnl_link_macvlan_set_mode(link, MACVLAN_MODE_BRIDGE);
        if (r < 0)
                return nl_error_to_errno(r);

        r = rtnl_link_add(host, link, NLM_F_CREATE | NLM_F_EXCL);
        if (r >= 0)
                return 0;
        switch (abs(r)) {
        case NLE_EXIST:
                return asprintf(ret_error, "network.nics[%zu].name: an interface \"%s\" already exists in the "
                                "pod's network namespace", i, nic->name) < 0 ? -ENOMEM : -EEXIST;
        case NLE_OPNOTSUPP:
        case NLE_INVAL:
        case NLE_BUSY:
                /* The kernel refuses non-Ethernet and loopback parents (EINVAL), some
                 * drivers refuse outright (EOPNOTSUPP), an ipvlan port is EBUSY. */
                return asprintf(ret_error, "network.nics[%zu].parent: interface \"%s\" refuses macvlan links (%s); "
                                "use \"network\": \"host\" for this pod", i, parent, nl_geterror(r)) < 0
                        ? -ENOMEM : -EOPNOTSUPP;
        default:
                return asprintf(ret_error, "network.nics[%zu]: cannot create a macvlan link on \"%s\": %s", i,
                                parent, nl_geterror(r)) < 0 ? -ENOMEM : nl_error_to_errno(r);
        }
}

static int configure_nic(struct nl_sock *pod_sk, const Pod *pod, size_t i, char **ret_error) {
        const PodNic *nic = &pod->network.nics[i];
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *addr = NULL;
        _cleanup_(rtnl_route_putp) struct rtnl_route *route = NULL;
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL, *dst = NULL, *gw = NULL;
        char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
        struct rtnl_nexthop *nh;
        int ifindex, r;

        inet_ntop(AF_INET, &nic->address, a, sizeof a);
        r = rtnl_link_get_kernel(pod_sk, 0, nic->name, &link);
        if (r < 0)
                return asprintf(ret_error, "network.nics[%zu]: the new link \"%s\" is not in the pod's namespace: %s",
                                i, nic->name, nl_geterror(r)) < 0 ? -ENOMEM : nl_error_to_errno(r);
        ifindex = rtnl_link_get_ifindex(link);

        addr = rtnl_addr_alloc();
        local = inet_nl_addr(nic->address, nic->prefixlen);
        if (!addr || !local)
                return -ENOMEM;
        rtnl_addr_set_ifindex(addr, ifindex);
        r = rtnl_addr_set_local(addr, local);
        if (r < 0)
                return nl_error_to_errno(r);
        r = rtnl_addr_add(pod_sk, addr, NLM_F_REPLACE);
        if (r < 0)
                return asprintf(ret_error, "network.nics[%zu].ip: cannot assign %s/%u to \"%s\": %s", i, a,
                                nic->prefixlen, nic->name, nl_geterror(r)) < 0 ? -ENOMEM : nl_error_to_errno(r);

        if (!nic->has_gateway)
                return 0;
        inet_ntop(AF_INET, &nic->gateway, g, sizeof g);
        if (!in_same_subnet(nic->address, nic->gateway, nic->prefixlen))
                return asprintf(ret_error, "network.nics[%zu].gateway: %s is not inside %s/%u", i, g, a,
                                nic->prefixlen) < 0 ? -ENOMEM : -ENETUNREACH;

        route = rtnl_route_alloc();
        dst = inet_nl_addr((struct in_addr) {}, 0);
        gw = nl_addr_build(AF_INET, &nic->gateway, sizeof nic->gateway);
        nh = rtnl_route_nh_alloc();
        if (!route || !dst || !gw || !nh) {
                if (nh)
                        rtnl_route_nh_free(nh);
                return -ENOMEM;
        }
        rtnl_route_set_family(route, AF_INET);
        rtnl_route_set_table(route, RT_TABLE_MAIN);
        rtnl_route_set_protocol(route, RTPROT_STATIC);
        rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
        rtnl_route_set_type(route, RTN_UNICAST);
        rtnl_route_set_priority(route, (uint32_t) i);
        r = rtnl_route_set_dst(route, dst);
        if (r < 0) {
                rtnl_route_nh_free(nh);
                return nl_error_to_errno(r);
        }
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_add_nexthop(route, nh);   /* route owns nh now */
        r = rtnl_route_add(pod_sk, route, NLM_F_EXCL);
        if (r < 0)
                return asprintf(ret_error, "network.nics[%zu].gateway: cannot add the default route via %s on \"%s\": %s",
                                i, g, nic->name, nl_geterror(r)) < 0 ? -ENOMEM : nl_error_to_errno(r);
        return 0;
}

static int macvlan_configure(const char *netns_path, const Pod *pod, HostFacts *facts, char **ret_error) {
        _cleanup_nl_socket_free_ struct nl_sock *host = NULL, *pod_sk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int r;

        if (pod->network.n_nics == 0)
                return 0;

        nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return -errno;
        if ((r = nl_route_socket_open(NULL, &host)) < 0 || (r = nl_route_socket_open(netns_path, &pod_sk)) < 0)
                return asprintf(ret_error, "network: cannot open a netlink socket: %s", strerror(-r)) < 0 ? -ENOMEM : r;

        for (size_t i = 0; i < pod->network.n_nics; i++) {
                const char *parent;
                int parent_ifindex;

                r = nic_parent(pod, i, facts, &parent, &parent_ifindex, ret_error);
                if (r < 0)
                        return r;
                r = add_macvlan(host, nsfd, pod, i, parent, parent_ifindex, ret_error);
                if (r < 0)
                        return r;
                r = configure_nic(pod_sk, pod, i, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool macvlan_adoptable(const char *old_stamp, const char *stamp) {
        /* No stamp: an unfinished bring-up, or one from before stamps, whose
         * links cannot be told from the spec's. */
        return streq_ptr(old_stamp, stamp);
}

const NetworkModeOps network_mode_macvlan = {
        .name = "macvlan",
        .configure = macvlan_configure,
        .resolv_conf = true,
        .adoptable = macvlan_adoptable,
        .teardown = pod_network_remove_namespace,
        .check = macvlan_check,
        .check_node = macvlan_check_node,
        .exclusive_addresses = true,
};
