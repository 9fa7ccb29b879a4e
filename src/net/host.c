/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/host.h"
#include "strv.h"

#define RESOLV_CONF_MAX_SERVERS 16
#define RESOLV_CONF_MAX_SIZE (256 * 1024)

struct HostFacts {
        const HostAdapterOps *ops;
        const TankConfig *config;
        const ResolvedWatch *resolved;

        bool uplink_done;
        int uplink_r;
        char *uplink;
        char *uplink_error;

        bool dns_done;
        int dns_r;
        char **dns;
};

const HostAdapterOps *host_adapter_ops(HostAdapter a) {
        switch (a) {
        case HOST_ADAPTER_STATIC:
                return &host_adapter_static;
        case HOST_ADAPTER_AUTO:
                return &host_adapter_auto;
        default:
                return NULL;
        }
}

int host_facts_new_with(const HostAdapterOps *ops, const TankConfig *c, HostFacts **ret) {
        HostFacts *f;

        if (!ops || !c)
                return -EINVAL;
        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->ops = ops;
        f->config = c;
        *ret = f;
        return 0;
}

int host_facts_new(const TankConfig *c, HostFacts **ret) {
        return host_facts_new_resolved(c, NULL, ret);
}

int host_facts_new_resolved(const TankConfig *c, const ResolvedWatch *resolved, HostFacts **ret) {
        int r;

        if (!c)
                return -EINVAL;
        r = host_facts_new_with(host_adapter_ops(c->host_adapter), c, ret);
        if (r < 0)
                return r;
        (*ret)->resolved = resolved;
        return 0;
}

HostFacts *host_facts_free(HostFacts *f) {
        if (!f)
                return NULL;
        free(f->uplink);
        free(f->uplink_error);
        strv_free(f->dns);
        free(f);
        return NULL;
}

const char *host_facts_adapter_name(const HostFacts *f) {
        return f ? f->ops->name : NULL;
}

int host_facts_uplink(HostFacts *f, const char **ret, const char **ret_error) {
        if (!f->uplink_done) {
                f->uplink_r = f->ops->uplink(f->config, &f->uplink, &f->uplink_error);
                f->uplink_done = true;
        }
        if (f->uplink_r < 0) {
                if (ret_error)
                        *ret_error = f->uplink_error;
                return f->uplink_r;
        }
        *ret = f->uplink;
        return 0;
}

int host_facts_dns(HostFacts *f, char * const **ret) {
        if (!f->dns_done) {
                f->dns_r = f->ops->dns(f->config, f->resolved, &f->dns);
                f->dns_done = true;
        }
        if (f->dns_r < 0)
                return f->dns_r;
        *ret = f->dns;
        return 0;
}

bool host_address_is_loopback(const char *s) {
        struct in6_addr a6;
        struct in_addr a4;

        if (!s)
                return false;
        if (inet_pton(AF_INET, s, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, s, &a6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&a6) ||
                       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
        return false;
}

/* A nameserver value as glibc accepts it: an IPv4 or IPv6 address, the latter
 * possibly with a %scope suffix, which a pod's namespace has no use for. */
static bool nameserver_is_valid(const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int host_parse_resolv_conf(const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0, total = 0;
        ssize_t k;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while ((k = getline(&line, &n, f)) >= 0) {
                char *p = line, *word;

                total += (size_t) k;
                if (total > RESOLV_CONF_MAX_SIZE)
                        return -EFBIG;
                p += strspn(p, " \t");
                if (!startswith(p, "nameserver") || !strchr(" \t", p[strlen("nameserver")]))
                        continue;
                p += strlen("nameserver");
                p += strspn(p, " \t");
                word = p;
                p += strcspn(p, " \t\r\n#;");
                *p = '\0';
                if (!nameserver_is_valid(word) || host_address_is_loopback(word) || strv_contains(l, word))
                        continue;
                if (strv_length(l) >= RESOLV_CONF_MAX_SERVERS)
                        break;
                if (strv_extend(&l, word) < 0)
                        return -ENOMEM;
        }
        if (ferror(f))
                return -EIO;
        *ret = TAKE_PTR(l);
        return 0;
}
