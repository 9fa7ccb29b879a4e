/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "net/netmode.h"
#include "net/netns.h"
#include "net/pod-network.h"
#include "fs-util.h"

/* The life of a pod's network, whatever its mode (netmode.h): the named
 * namespace made, adopted by its stamp or rebuilt, the mode's configuration,
 * the _net files, and their removal. */

#define STAMP_FILE "netns.stamp"
#define STAMP_MAX 65536

void pod_network_result_done(PodNetworkResult *r) {
        if (!r)
                return;
        free(r->netns_path);
        free(r->hostname_file);
        free(r->hosts);
        free(r->resolv_conf);
        *r = (PodNetworkResult) {};
}

static int stamp_path(const char *dir, char **ret) {
        return asprintf(ret, "%s/" STAMP_FILE, dir) < 0 ? -ENOMEM : 0;
}

/* Whether an existing namespace is complete and made for this spec. */
static bool stamp_matches(const NetworkModeOps *ops, const char *dir, const char *stamp) {
        _cleanup_free_ char *path = NULL, *old = NULL;
        size_t len;

        if (stamp_path(dir, &path) < 0)
                return false;
        if (read_file_regular(path, STAMP_MAX, &old, &len) < 0)
                old = mfree(old);
        return ops->adoptable && ops->adoptable(old, stamp);
}

int pod_network_check(const Pod *pod, HostFacts *facts, char **ret_error) {
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);

        if (!ops)
                return -EINVAL;
        return ops->check ? ops->check(pod, facts, ret_error) : 0;
}

int pod_network_setup(const char *runtime_dir, const Pod *pod, HostFacts *facts, PodNetworkResult *ret,
                      char **ret_error) {
        _cleanup_(pod_network_result_done) PodNetworkResult res = {};
        _cleanup_free_ char *dir = NULL, *stamp = NULL, *spath = NULL;
        const NetworkModeOps *ops = network_mode_ops(pod->network.mode);
        char * const *dns = NULL;
        bool fresh;
        int r;

        if (!ops)
                return -EINVAL;
        if (ops->host_namespace) {
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
        if (!fresh && !stamp_matches(ops, dir, stamp)) {
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
                r = ops->configure ? ops->configure(res.netns_path, pod, facts, ret_error) : 0;
                if (r < 0)
                        goto fail;
        }

        if (ops->resolv_conf && !pod->network.dns) {
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

int pod_network_remove_namespace(const char *runtime_dir, const char *pod) {
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

int pod_network_teardown(const char *runtime_dir, const char *pod) {
        int (*done[_NETWORK_MAX])(const char *, const char *) = {};
        int ret = 0;

        /* Which mode raised what is there is not known here (the spec may be
         * gone, or changed since): every mode removes what it may have left,
         * each teardown once. */
        for (NetworkMode m = 0; m < _NETWORK_MAX; m++) {
                const NetworkModeOps *ops = network_mode_ops(m);
                bool seen = false;
                int r;

                if (!ops || !ops->teardown)
                        continue;
                for (NetworkMode k = 0; k < m; k++)
                        seen = seen || done[k] == ops->teardown;
                done[m] = ops->teardown;
                if (seen)
                        continue;
                r = ops->teardown(runtime_dir, pod);
                if (r < 0)
                        return r;
                ret = MAX(ret, r);
        }
        return ret;
}
