/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/netmode.h"
#include "net/pod-network.h"
#include "fs-util.h"

/* "_" is not allowed in a DNS label, so no container's run directory
 * (<runtime>/pods/<pod>/<container>) can collide with this one. */
#define POD_NET_DIR "_net"

static int mkdir_exist(const char *path, mode_t mode) {
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int pod_network_dir(const char *runtime_dir, const char *pod, bool create, char **ret) {
        _cleanup_free_ char *pods = NULL, *pd = NULL, *dir = NULL;
        int r;

        if (asprintf(&pods, "%s/pods", runtime_dir) < 0 ||
            asprintf(&pd, "%s/%s", pods, pod) < 0 ||
            asprintf(&dir, "%s/" POD_NET_DIR, pd) < 0)
                return -ENOMEM;
        if (create) {
                if ((r = mkdir_exist(runtime_dir, 0755)) < 0 || (r = mkdir_exist(pods, 0755)) < 0 ||
                    (r = mkdir_exist(pd, 0700)) < 0 || (r = mkdir_exist(dir, 0755)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(dir);
        return 0;
}

/* Everything that decides what the namespace holds, in one line per NIC. The
 * parent is recorded as written: a host whose uplink changes keeps its running
 * pods until their network spec changes. */
int pod_network_stamp(const Pod *pod, char **ret) {
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        FILE *f;

        if (!ops)
                return -EINVAL;
        f = open_memstream(&s, &n);
        if (!f)
                return -ENOMEM;
        fprintf(f, "tank-netns 1\nmode %s\n", ops->name);
        for (size_t i = 0; i < pod->network.n_nics; i++) {
                const PodNic *nic = &pod->network.nics[i];
                char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN] = "-";

                inet_ntop(AF_INET, &nic->address, a, sizeof a);
                if (nic->has_gateway)
                        inet_ntop(AF_INET, &nic->gateway, g, sizeof g);
                fprintf(f, "nic %s %s %s/%u %s\n", nic->name, nic->parent, a, nic->prefixlen, g);
        }
        if (fclose(f) != 0 || !s)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

static int write_one(const char *dir, const char *name, const char *text, char **ret_path) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r < 0)
                return r;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

static int build_hosts(const Pod *pod, char **ret) {
        char *s = NULL;
        size_t n = 0;
        FILE *f;

        f = open_memstream(&s, &n);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by tankd for pod %s.\n"
                "127.0.0.1\tlocalhost\n"
                "::1\tlocalhost ip6-localhost ip6-loopback\n", pod->name);
        if (pod->network.n_nics == 0)
                fprintf(f, "127.0.1.1\t%s\n", pod->name);
        for (size_t i = 0; i < pod->network.n_nics; i++) {
                char a[INET_ADDRSTRLEN];

                inet_ntop(AF_INET, &pod->network.nics[i].address, a, sizeof a);
                fprintf(f, "%s\t%s\n", a, pod->name);
        }
        if (fclose(f) != 0 || !s) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

static int build_resolv_conf(const Pod *pod, char * const *dns, char **ret) {
        char *s = NULL;
        size_t n = 0;
        FILE *f;

        f = open_memstream(&s, &n);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by tankd for pod %s (%s).\n", pod->name,
                pod->network.dns ? "the spec's \"dns\"" : "the host adapter's DNS servers");
        for (char * const *d = dns; d && *d; d++)
                fprintf(f, "nameserver %s\n", *d);
        if (fclose(f) != 0 || !s) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int pod_network_write_files(const char *dir, const Pod *pod, char * const *dns, PodNetworkResult *res) {
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);
        _cleanup_free_ char *hostname = NULL, *hosts = NULL, *resolv = NULL;
        int r;

        if (!ops)
                return -EINVAL;
        if (asprintf(&hostname, "%s\n", pod->name) < 0)
                return -ENOMEM;
        r = build_hosts(pod, &hosts);
        if (r < 0)
                return r;
        if ((r = write_one(dir, "hostname", hostname, &res->hostname_file)) < 0 ||
            (r = write_one(dir, "hosts", hosts, &res->hosts)) < 0)
                return r;
        if (!ops->resolv_conf)
                return 0;
        r = build_resolv_conf(pod, pod->network.dns ? pod->network.dns : dns, &resolv);
        if (r < 0)
                return r;
        return write_one(dir, "resolv.conf", resolv, &res->resolv_conf);
}
