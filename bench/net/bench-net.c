/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Time to bring up a macvlan pod's network (named netns + macvlan + address +
 * gateway route, plus the pod's /etc files) through src/net/pod-network, over
 * N pods (default 50), beside the same steps done with `ip` commands.
 * Runs in a private network + mount namespace of its own with a veth "LAN";
 * needs root. Usage: bench-net [N] */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/host.h"
#include "net/netns.h"
#include "net/pod-network.h"

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_u64);
        printf("%-34s n=%zu  p50=%7.2f ms  p99=%7.2f ms  max=%7.2f ms\n", what, n,
               v[n / 2] / 1e6, v[(n * 99 + 99) / 100 - 1] / 1e6, v[n - 1] / 1e6);
}

static int run(const char *cmd) {
        int r = system(cmd);
        if (r != 0)
                fprintf(stderr, "failed: %s\n", cmd);
        return r == 0 ? 0 : -EIO;
}

int main(int argc, char **argv) {
        char runtime[] = "/tmp/tank-bench-net.XXXXXX";
        _cleanup_free_ uint64_t *tank = NULL, *ipt = NULL, *down = NULL, *nsonly = NULL;
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 50;

        if (n < 1 || n > 200) {
                fprintf(stderr, "N must be 1..200\n");
                return EXIT_FAILURE;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "bench-net needs root\n");
                return EXIT_FAILURE;
        }
        if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            (mkdir("/run/netns", 0755) < 0 && errno != EEXIST) ||
            mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755") < 0 || !mkdtemp(runtime) ||
            mount("tmpfs", runtime, "tmpfs", 0, "mode=0755") < 0) {
                perror("namespace setup");
                return EXIT_FAILURE;
        }
        if (run("ip link set lo up && ip link add lan0 type veth peer name lan0p && ip link set lan0 up") < 0)
                return EXIT_FAILURE;

        tank = calloc(n, sizeof *tank);
        ipt = calloc(n, sizeof *ipt);
        down = calloc(n, sizeof *down);
        nsonly = calloc(n, sizeof *nsonly);
        if (!tank || !ipt || !down || !nsonly || config_new_default(&c) < 0)
                return EXIT_FAILURE;
        c->host_adapter = HOST_ADAPTER_STATIC;
        free(c->host_uplink);
        c->host_uplink = strdup("lan0");
        if (!c->host_uplink || host_facts_new(c, &f) < 0)
                return EXIT_FAILURE;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(pod_network_result_done) PodNetworkResult res = {};
                _cleanup_free_ char *json = NULL, *err = NULL;
                _cleanup_(pod_freep) Pod *p = NULL;
                uint64_t t0;

                if (asprintf(&json, "{\"name\": \"p%zu\", \"network\": {\"nics\": [{\"name\": \"eth0\", "
                             "\"ip\": \"10.%zu.%zu.2/16\", \"gateway\": \"10.%zu.0.1\"}], \"dns\": [\"10.0.0.1\"]}, "
                             "\"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}",
                             i, 100 + i / 200, i % 200, 100 + i / 200) < 0 ||
                    pod_parse(json, strlen(json), &p, &err) < 0)
                        return EXIT_FAILURE;
                t0 = now_ns();
                if (pod_network_setup(runtime, p, f, &res, &err) < 0) {
                        fprintf(stderr, "setup p%zu: %s\n", i, err);
                        return EXIT_FAILURE;
                }
                tank[i] = now_ns() - t0;
        }
        for (size_t i = 0; i < n; i++) {
                char name[16];
                uint64_t t0;

                snprintf(name, sizeof name, "p%zu", i);
                t0 = now_ns();
                if (pod_network_teardown(runtime, name) < 0)
                        return EXIT_FAILURE;
                down[i] = now_ns() - t0;
        }

        /* The share of the namespace alone (fork, unshare, bind mount). */
        for (size_t i = 0; i < n; i++) {
                char name[16];
                uint64_t t0;

                snprintf(name, sizeof name, "n%zu", i);
                t0 = now_ns();
                if (netns_ensure(runtime, name, NULL) < 0)
                        return EXIT_FAILURE;
                nsonly[i] = now_ns() - t0;
        }
        for (size_t i = 0; i < n; i++) {
                char name[16];

                snprintf(name, sizeof name, "n%zu", i);
                (void) netns_remove(runtime, name);
        }

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *cmd = NULL;
                uint64_t t0;

                /* The same steps with iproute2: one process per step, as a script would. */
                if (asprintf(&cmd, "ip netns add q%zu && "
                             "ip link add link lan0 name eth0 netns q%zu type macvlan mode bridge && "
                             "ip -n q%zu link set lo up && ip -n q%zu link set eth0 up && "
                             "ip -n q%zu addr add 10.%zu.%zu.2/16 dev eth0 && "
                             "ip -n q%zu route add default via 10.%zu.0.1",
                             i, i, i, i, i, 100 + i / 200, i % 200, i, 100 + i / 200) < 0)
                        return EXIT_FAILURE;
                t0 = now_ns();
                if (run(cmd) < 0)
                        return EXIT_FAILURE;
                ipt[i] = now_ns() - t0;
        }
        for (size_t i = 0; i < n; i++) {
                char cmd[64];

                snprintf(cmd, sizeof cmd, "ip netns del q%zu", i);
                (void) run(cmd);
        }

        printf("macvlan pod network bring-up over %zu pods (netns + link + address + route%s)\n", n,
               ", + /etc files for tank");
        report("tank (libnl, src/net)", tank, n);
        report("ip commands (reference)", ipt, n);
        report("  of which: named netns alone", nsonly, n);
        report("tank teardown", down, n);
        (void) umount2(runtime, MNT_DETACH);
        (void) rmdir(runtime);
        return EXIT_SUCCESS;
}
