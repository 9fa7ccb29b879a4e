/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/route/route.h>
#include <systemd/sd-bus.h>

#include "net/host.h"
#include "net/nl-util.h"
#include "strv.h"

#define RESOLVED_NAME "org.freedesktop.resolve1"
#define RESOLVED_MAX_SERVERS 16
#define HOST_RESOLV_CONF "/etc/resolv.conf"

static inline void nl_cache_freep(struct nl_cache **c) {
        if (*c)
                nl_cache_free(*c);
}

int host_default_route_interface(char **ret, char **ret_error) {
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        _cleanup_nl_socket_free_ struct nl_sock *sk = NULL;
        char name[IF_NAMESIZE];
        uint32_t best_prio = UINT32_MAX;
        int best_ifindex = 0, r;
        bool found = false;

        r = nl_route_socket_open(NULL, &sk);
        if (r < 0)
                return r;
        r = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
        if (r < 0)
                return nl_error_to_errno(r);

        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;
                struct nl_addr *dst = rtnl_route_get_dst(rt);
                struct rtnl_nexthop *nh;
                uint32_t prio;
                int ifindex;

                if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST)
                        continue;
                if (dst && nl_addr_get_prefixlen(dst) != 0)
                        continue;
                if (rtnl_route_get_nnexthops(rt) < 1)
                        continue;
                /* A multipath default route: its first hop's interface stands for it. */
                nh = rtnl_route_nexthop_n(rt, 0);
                ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
                if (ifindex <= 0)
                        continue;
                prio = rtnl_route_get_priority(rt);
                if (!found || prio < best_prio) {
                        found = true;
                        best_prio = prio;
                        best_ifindex = ifindex;
                }
        }
        if (!found) {
                if (ret_error && asprintf(ret_error, "the host adapter \"auto\" found no IPv4 default route on this host "
                                          "to take the uplink from: name the parent interface in the spec, "
                                          "or use [Host] Adapter=static with Uplink=") < 0)
                        return -ENOMEM;
                return -ENXIO;
        }
        if (!if_indextoname((unsigned) best_ifindex, name))
                return -errno;
        *ret = strdup(name);
        return *ret ? 0 : -ENOMEM;
}

int host_resolved_read_servers(sd_bus_message *reply, char ***l) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(iiay)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'r', "iiay")) > 0) {
                char buf[INET6_ADDRSTRLEN];
                int32_t ifindex, family;
                const void *data;
                size_t size;

                r = sd_bus_message_read(reply, "ii", &ifindex, &family);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_array(reply, 'y', &data, &size);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                /* Whatever a peer sends is checked before it is used. */
                if (!((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16)))
                        continue;
                if (!inet_ntop(family, data, buf, sizeof buf))
                        continue;
                if (host_address_is_loopback(buf) || strv_contains(*l, buf))
                        continue;
                if (strv_length(*l) >= RESOLVED_MAX_SERVERS)
                        continue;
                if (strv_extend(l, buf) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

int host_resolved_dns(char ***ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r, has_owner;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return -EHOSTDOWN;
        (void) sd_bus_set_method_call_timeout(bus, 2 * USEC_PER_SEC);

        /* Asking only when resolved owns its name: a plain call would have the bus
         * activate a resolved that the administrator left disabled. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", RESOLVED_NAME);
        if (r < 0)
                return -EHOSTDOWN;
        r = sd_bus_message_read(reply, "b", &has_owner);
        if (r < 0)
                return r;
        if (!has_owner)
                return -EHOSTDOWN;
        reply = sd_bus_message_unref(reply);

        r = sd_bus_get_property(bus, RESOLVED_NAME, "/org/freedesktop/resolve1", "org.freedesktop.resolve1.Manager",
                                "DNS", &error, &reply, "a(iiay)");
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        r = host_resolved_read_servers(reply, &l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int auto_uplink(const TankConfig *c, char **ret, char **ret_error) {
        (void) c;
        return host_default_route_interface(ret, ret_error);
}

static int auto_dns(const TankConfig *c, const ResolvedWatch *resolved, char ***ret) {
        char **l = NULL;
        int r;

        (void) c;
        /* With the daemon's watch, never a call: before its first answer
         * (the first milliseconds of a tankd, before any pod can start) the
         * file stands in, as when resolved does not run. */
        r = resolved ? resolved_watch_dns(resolved, &l) : host_resolved_dns(&l);
        if (r >= 0) {
                *ret = l;
                return 0;
        }
        r = host_parse_resolv_conf(HOST_RESOLV_CONF, &l);
        if (r == -ENOENT)
                l = calloc(1, sizeof(char *));
        else if (r < 0)
                return r;
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

const HostAdapterOps host_adapter_auto = {
        .name = "auto",
        .uplink = auto_uplink,
        .dns = auto_dns,
};
