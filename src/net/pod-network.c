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

#include "log.h"
#include "net/netns.h"
#include "net/nl-util.h"
#include "net/pod-network.h"
#include "fs-util.h"

#define STAMP_FILE "netns.stamp"
#define STAMP_MAX 65536

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_route *, rtnl_route_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);

void pod_network_result_done(PodNetworkResult *r) {
        if (!r)
                return;
        free(r->netns_path);
        free(r->hostname_file);
        free(r->hosts);
        free(r->resolv_conf);
        *r = (PodNetworkResult) {};
}

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

int pod_network_check(const Pod *pod, HostFacts *facts, char **ret_error) {
        int r;

        if (pod->network.mode != NETWORK_MACVLAN)
                return 0;
        for (size_t i = 0; i < pod->network.n_nics; i++) {
                r = nic_parent(pod, i, facts, NULL, NULL, ret_error);
                if (r < 0)
                        return r;
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

static int configure(const char *netns_path, const Pod *pod, HostFacts *facts, char **ret_error) {
        _cleanup_nl_socket_free_ struct nl_sock *host = NULL, *pod_sk = NULL;
        _cleanup_close_ int nsfd = -EBADF;
        int r;

        if (pod->network.mode != NETWORK_MACVLAN || pod->network.n_nics == 0)
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

static int stamp_path(const char *dir, char **ret) {
        return asprintf(ret, "%s/" STAMP_FILE, dir) < 0 ? -ENOMEM : 0;
}

/* Whether an existing namespace is complete and made for this spec. */
static bool stamp_matches(const char *dir, const Pod *pod, const char *stamp) {
        _cleanup_free_ char *path = NULL, *old = NULL;
        size_t len;

        if (stamp_path(dir, &path) < 0)
                return false;
        if (read_file_regular(path, STAMP_MAX, &old, &len) < 0)
                /* A namespace from before stamps, for a pod without NICs, holds
                 * nothing but lo: nothing in it can be wrong. */
                return pod->network.mode == NETWORK_NONE;
        return streq(old, stamp);
}

int pod_network_setup(const char *runtime_dir, const Pod *pod, HostFacts *facts, PodNetworkResult *ret,
                      char **ret_error) {
        _cleanup_(pod_network_result_done) PodNetworkResult res = {};
        _cleanup_free_ char *dir = NULL, *stamp = NULL, *spath = NULL;
        char * const *dns = NULL;
        bool fresh;
        int r;

        if (pod->network.mode == NETWORK_HOST) {
                *ret = (PodNetworkResult) { .host = true };
                return 0;
        }

        r = pod_network_stamp(pod, &stamp);
        if (r < 0)
                return r;
        r = pod_network_dir(runtime_dir, pod->name, true, &dir);
        if (r < 0)
                return asprintf(ret_error, "network: cannot create the pod's network directory: %s",
                                strerror(-r)) < 0 ? -ENOMEM : r;
        r = stamp_path(dir, &spath);
        if (r < 0)
                return r;

        r = netns_ensure(runtime_dir, pod->name, &res.netns_path);
        if (r < 0)
                return asprintf(ret_error, "network: cannot create the pod's network namespace: %s",
                                strerror(-r)) < 0 ? -ENOMEM : r;
        fresh = r == 0;
        if (!fresh && !stamp_matches(dir, pod, stamp)) {
                log_debug("Network namespace of %s is unfinished or outdated; rebuilding it.", pod->name);
                (void) unlink(spath);
                free(res.netns_path);
                res.netns_path = NULL;
                r = netns_remove(runtime_dir, pod->name);
                if (r >= 0)
                        r = netns_ensure(runtime_dir, pod->name, &res.netns_path);
                if (r < 0)
                        return asprintf(ret_error, "network: cannot recreate the pod's network namespace: %s",
                                        strerror(-r)) < 0 ? -ENOMEM : r;
                fresh = true;
        }

        if (fresh) {
                (void) unlink(spath);
                r = configure(res.netns_path, pod, facts, ret_error);
                if (r < 0)
                        goto fail;
        }

        if (pod->network.mode == NETWORK_MACVLAN && !pod->network.dns) {
                /* Without DNS a pod still runs; its resolv.conf then says so. */
                r = host_facts_dns(facts, &dns);
                if (r < 0)
                        log_debug_errno(r, "No DNS servers from the host adapter for %s: %m", pod->name);
        }
        r = pod_network_write_files(dir, pod, dns, &res);
        if (r < 0) {
                if (asprintf(ret_error, "network: cannot write the pod's /etc files: %s", strerror(-r)) < 0)
                        r = -ENOMEM;
                goto fail;
        }
        if (fresh) {
                r = write_file_atomic(spath, stamp, strlen(stamp), 0644);
                if (r < 0) {
                        if (asprintf(ret_error, "network: cannot record the namespace: %s", strerror(-r)) < 0)
                                r = -ENOMEM;
                        goto fail;
                }
        }
        res.adopted = !fresh;
        *ret = res;
        res = (PodNetworkResult) {};
        return 0;

fail:
        /* Made now, so no container uses it yet: a half-built namespace must go.
         * An adopted one may hold running containers and stays. */
        if (fresh)
                (void) netns_remove(runtime_dir, pod->name);
        return r;
}

int pod_network_teardown(const char *runtime_dir, const char *pod) {
        static const char *const files[] = { STAMP_FILE, "hostname", "hosts", "resolv.conf" };
        _cleanup_free_ char *dir = NULL;
        int r, ret;

        ret = netns_remove(runtime_dir, pod);
        r = pod_network_dir(runtime_dir, pod, false, &dir);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", dir, files[i]) < 0)
                        return -ENOMEM;
                if (unlink(p) >= 0)
                        ret = ret < 0 ? ret : 1;
        }
        (void) rmdir(dir);
        return ret;
}
