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
 *           /etc/resolv.conf (also before tankd's ResolvedWatch has its
 *           first answer). Loopback addresses (127.0.0.53, ::1, ...) are
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

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config/config.h"
#include "macro.h"

/* systemd-resolved's servers for a daemon (resolved-watch.c): read
 * asynchronously on the daemon's bus when resolved appears or announces a
 * change, and every 30 s; never a blocking call, never a new connection. */
typedef struct ResolvedWatch ResolvedWatch;
int resolved_watch_new(sd_bus *bus, sd_event *event, ResolvedWatch **ret);
ResolvedWatch *resolved_watch_free(ResolvedWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(ResolvedWatch *, resolved_watch_free);
/* A copy of the last answer; -EHOSTDOWN when resolved does not run, -EAGAIN
 * before the first answer. */
int resolved_watch_dns(const ResolvedWatch *w, char ***ret);
/* Bumped by every answer (servers read, or resolved gone): for tests. */
unsigned resolved_watch_generation(const ResolvedWatch *w);

typedef struct HostAdapterOps {
        const char *name;
        /* The uplink's interface name. -ENXIO with *ret_error when there is none. */
        int (*uplink)(const TankConfig *c, char **ret, char **ret_error);
        /* DNS servers as address strings; an empty (non-NULL) vector when none.
         * resolved: the daemon's watch, or NULL (then asked synchronously). */
        int (*dns)(const TankConfig *c, const ResolvedWatch *resolved, char ***ret);
} HostAdapterOps;

extern const HostAdapterOps host_adapter_static;
extern const HostAdapterOps host_adapter_auto;

/* NULL for an unknown adapter. */
const HostAdapterOps *host_adapter_ops(HostAdapter a);

typedef struct HostFacts HostFacts;

int host_facts_new(const TankConfig *c, HostFacts **ret);
/* The same, with the daemon's ResolvedWatch (may be NULL), which must outlive
 * the object: what tankd uses, so that no fact blocks its loop on the bus. */
int host_facts_new_resolved(const TankConfig *c, const ResolvedWatch *resolved, HostFacts **ret);
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
 * bus name; -EHOSTDOWN when it does not run. Synchronous, on a connection of
 * its own: for tools and tests; tankd uses a ResolvedWatch. */
int host_resolved_dns(char ***ret);
/* Appends the servers of resolved's DNS value (a(iiay), entered up to the
 * array) to *l: checked, loopback and duplicates dropped, at most 16. */
int host_resolved_read_servers(sd_bus_message *reply, char ***l);
