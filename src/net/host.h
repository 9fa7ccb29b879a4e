/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host facts: the two things a pod's network needs to know about the host it
 * runs on, answered by a pluggable adapter chosen with [Host] Adapter=:
 *
 *   uplink  the host interface a NIC with parent "auto" hangs its macvlan on;
 *   dns     the DNS servers a pod inherits when its spec has no "dns".
 *
 * Adapters (one HostAdapterOps each, see host-static.c and host-auto.c):
 *   static  Uplink= and DNS= from tank.conf, nothing else is consulted;
 *   auto    the uplink is the interface of the host's IPv4 default route with
 *           the lowest metric (read over rtnetlink); DNS comes from
 *           systemd-resolved over D-Bus when it is running, else from
 *           /etc/resolv.conf. Loopback addresses (127.0.0.53, ::1, ...) are
 *           skipped in both: they are stubs that a pod's namespace cannot reach.
 *
 * Adding an adapter: a new HostAdapter value in src/config (the key parser), a
 * new HostAdapterOps and one line in host_adapter_ops(); the reconciler and the
 * pod network code only ever see HostFacts.
 *
 * A HostFacts object asks its adapter lazily, at most once per fact, and keeps
 * the answer (including a failure) for its lifetime: create one per decision
 * (an admission check, a bring-up), not one per daemon, so that a changed host
 * is seen the next time. Nothing here logs above debug; failures come back as
 * negative errno plus a message meant for the pod's status. */

#include "config/config.h"
#include "macro.h"

typedef struct HostAdapterOps {
        const char *name;
        /* The uplink's interface name. -ENXIO with *ret_error when there is none. */
        int (*uplink)(const TankConfig *c, char **ret, char **ret_error);
        /* DNS servers as address strings; an empty (non-NULL) vector when none. */
        int (*dns)(const TankConfig *c, char ***ret);
} HostAdapterOps;

extern const HostAdapterOps host_adapter_static;
extern const HostAdapterOps host_adapter_auto;

/* NULL for an unknown adapter. */
const HostAdapterOps *host_adapter_ops(HostAdapter a);

typedef struct HostFacts HostFacts;

int host_facts_new(const TankConfig *c, HostFacts **ret);
/* For tests and tools: facts from an explicit adapter. c must outlive the object. */
int host_facts_new_with(const HostAdapterOps *ops, const TankConfig *c, HostFacts **ret);
HostFacts *host_facts_free(HostFacts *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(HostFacts *, host_facts_free);
#define _cleanup_host_facts_free_ _cleanup_(host_facts_freep)

const char *host_facts_adapter_name(const HostFacts *f);
/* Borrowed strings, valid until host_facts_free(). */
int host_facts_uplink(HostFacts *f, const char **ret, const char **ret_error);
int host_facts_dns(HostFacts *f, char * const **ret);

/* Shared by adapters; exposed for the unit tests. */
/* Nameservers of a resolv.conf-format file, loopback ones skipped, duplicates
 * dropped, at most 16 kept. -ENOENT when the file does not exist. */
int host_parse_resolv_conf(const char *path, char ***ret);
/* Whether the text is an IPv4/IPv6 address in a loopback range. */
bool host_address_is_loopback(const char *s);
/* The interface of the lowest-metric IPv4 default route in the main table of
 * the caller's network namespace. */
int host_default_route_interface(char **ret, char **ret_error);
/* DNS servers systemd-resolved knows (global and per link), when it owns its
 * bus name; -EHOSTDOWN when it does not run. */
int host_resolved_dns(char ***ret);
