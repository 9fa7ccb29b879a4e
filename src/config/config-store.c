/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* [Store]'s cluster keys: Endpoints= (a cluster run elsewhere), Peers= (this
 * node's member of the fleet's own cluster) and the peers' TLS files, and how
 * they fit together once every file was read. */
#include <string.h>

#include "config.h"
#include "config-internal.h"
#include "config-values.h"
#include "strv.h"

static bool endpoint_is_valid(const char *s) {
        static const char * const schemes[] = { "http", "https", NULL };
        const char *u = startswith(s, "unix://");

        /* etcd's own unix socket form: unix://NAME:PORT, NAME relative or absolute */
        if (u)
                return !isempty(u) && !strpbrk(u, " \t");
        return config_url_is_valid(s, schemes);
}

int config_key_endpoints(ParseState *s, const char *key, const char *value, void *data) {
        int r;

        r = config_key_list(s, key, value, data, endpoint_is_valid,
                                 "an http://, https:// or unix:// endpoint URL");
        if (r < 0)
                return r;
        if (isempty(value)) {
                free(s->endpoints_origin);
                s->endpoints_origin = NULL;
                return 0;
        }
        return config_state_origin(s, &s->endpoints_origin);
}

/* NAME=URL: a node name and the member's peer URL (http:// or https://, a
 * host and a port: etcd listens on it, so it is an address of this host for
 * this node's own entry). */
static bool peer_is_valid(const char *s) {
        static const char * const schemes[] = { "http", "https", NULL };
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(s, '=');

        if (!eq)
                return false;
        name = strndup(s, eq - s);
        return name && config_node_name_is_valid(name) && config_url_is_valid(eq + 1, schemes);
}

int config_key_peers(ParseState *s, const char *key, const char *value, void *data) {
        char ***l = data;
        int r;

        r = config_key_list(s, key, value, l, peer_is_valid,
                            "NAME=URL (a node name and an http:// or https:// peer URL)");
        if (r < 0)
                return r;
        if (isempty(value)) {
                free(s->peers_origin);
                s->peers_origin = NULL;
                return 0;
        }
        /* One member per name: etcd would refuse the cluster, and later. */
        STRV_FOREACH(a, *l)
                for (char * const *b = a + 1; *b; b++)
                        if (strcspn(*a, "=") == strcspn(*b, "=") && strncmp(*a, *b, strcspn(*a, "=")) == 0)
                                return config_state_error(s, "%s=: member \"%.*s\" is given twice", key,
                                                          (int) strcspn(*a, "="), *a);
        return config_state_origin(s, &s->peers_origin);
}

int config_key_peer_tls(ParseState *s, const char *key, const char *value, void *data) {
        int r;

        r = config_key_path(s, key, value, data);
        if (r < 0 || isempty(value))
                return r;
        return config_state_origin(s, &s->peer_tls_origin);
}

const char *config_peer_url(const TankConfig *c, const char *name) {
        size_t n = strlen(name);

        STRV_FOREACH(p, c->store_peers)
                if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
                        return *p + n + 1;
        return NULL;
}

int config_verify_store_peers(ParseState *s) {
        TankConfig *c = s->config;
        bool https = false, http = false;

        if (c->store_endpoints)
                return config_origin_error(s, s->peers_origin,
                                           "[Store] Peers= (this node runs a member of the fleet's cluster) and "
                                           "Endpoints= (set at %s: a cluster run elsewhere) exclude each other",
                                           s->endpoints_origin);
        if (!config_peer_url(c, c->node_name))
                return config_origin_error(s, s->peers_origin,
                                           "[Store] Peers= does not name this node (\"%s\", [Node] Name=): give its "
                                           "member as %s=URL, or set Name= to the member it is",
                                           c->node_name, c->node_name);
        STRV_FOREACH(p, c->store_peers) {
                const char *u = strchr(*p, '=') + 1;

                if (startswith(u, "https://"))
                        https = true;
                else
                        http = true;
        }
        if (https && http)
                return config_origin_error(s, s->peers_origin,
                                           "[Store] Peers= mixes http:// and https:// members: "
                                           "a cluster's peers speak one of them");
        if (!!c->store_peer_cert_file != !!c->store_peer_key_file)
                return config_origin_error(s, s->peer_tls_origin,
                                           "[Store] PeerCertFile= and PeerKeyFile= must be given together");
        if (https && !c->store_peer_cert_file)
                return config_origin_error(s, s->peers_origin,
                                           "[Store] Peers= with https:// members needs PeerCertFile= and "
                                           "PeerKeyFile= (and PeerTrustedCAFile= to check the other members)");
        if (http && (c->store_peer_cert_file || c->store_peer_trusted_ca_file))
                return config_origin_error(s, s->peer_tls_origin,
                                           "[Store] PeerCertFile=/PeerTrustedCAFile= need https:// members in Peers=");
        return 0;
}
