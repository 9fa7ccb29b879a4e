/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <strings.h>

#include "daemon/manager.h"
#include "log.h"
#include "daemon/store-server.h"
#include "strv.h"

static void on_etcd_ready(StoreServer *e, int r, const char *endpoint, const char *error, void *userdata) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **endpoints = NULL;

        if (r < 0) {
                /* Without its store tankd can do nothing useful; systemd restarts us. */
                log_error("Standalone store did not come up: %s", strna(error));
                (void) sd_event_exit(m->event, r);
                return;
        }
        manager_notify_status(m, "Store %s %s (%s).", ETCD_SERVER_UNIT,
                              store_server_adopted(e) ? "adopted" : "started", endpoint);
        if (strv_extend(&endpoints, endpoint) < 0 || manager_connect_store(m, endpoints) < 0)
                (void) sd_event_exit(m->event, -ENOMEM);
}

/* Plain http:// to anything but loopback: the desired state, and the writes
 * that are root on this host, cross a network in the clear, unauthenticated. */
static bool endpoint_is_plain_remote(const char *endpoint) {
        _cleanup_free_ char *host = NULL;
        struct in6_addr a6;
        struct in_addr a4;
        const char *p, *end;

        p = startswith(endpoint, "http://");
        if (!p)
                return false;
        if (*p == '[') {
                end = strchr(++p, ']');
                if (!end)
                        return true;
        } else
                end = p + strcspn(p, ":/");
        host = strndup(p, end - p);
        if (!host)
                return true;
        if (strcasecmp(host, "localhost") == 0)
                return false;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) != 127;
        if (inet_pton(AF_INET6, host, &a6) == 1)
                return !IN6_IS_ADDR_LOOPBACK(&a6);
        return true;
}

int manager_start_store(Manager *m) {
        EtcdServerConfig ec = {
                .data_dir = m->config->store_data_dir,
                .runtime_dir = m->runtime_dir,
                .etcd_binary = ETCD_PATH,
                .peers = m->config->store_peers,
                .member_name = m->config->node_name,
                .peer_cert_file = m->config->store_peer_cert_file,
                .peer_key_file = m->config->store_peer_key_file,
                .peer_trusted_ca_file = m->config->store_peer_trusted_ca_file,
        };
        int r;

        if (m->config->store_endpoints) {
                STRV_FOREACH(ep, m->config->store_endpoints)
                        if (endpoint_is_plain_remote(*ep))
                                log_warning("[Store] Endpoints=%s is plain http:// to a host that is not this one: "
                                            "the pods and every write to them, which is root on this host, cross "
                                            "the network unencrypted and unauthenticated; use https:// with "
                                            "CertFile=, KeyFile= and TrustedCAFile=.", *ep);
                manager_notify_status(m, "Using the etcd cluster at %s.", m->config->store_endpoints[0]);
                return manager_connect_store(m, m->config->store_endpoints);
        }
        if (ec.peers)
                manager_notify_status(m, "Starting member %s of the fleet's store (%zu members) in %s.",
                                      ec.member_name, strv_length(ec.peers), ec.data_dir);
        else
                manager_notify_status(m, "Starting the standalone store in %s.", ec.data_dir);
        r = store_server_start(m->jobs, m->event, &ec, on_etcd_ready, m, &m->etcd);
        if (r < 0)
                return log_error_errno(r, "Failed to start the standalone store: %m");
        return 0;
}
