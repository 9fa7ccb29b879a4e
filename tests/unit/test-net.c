/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host facts adapters and pod network bring-up against the real kernel,
 * inside a private network + mount namespace this test makes for itself
 * (needs root): veth pairs stand in for the LAN, documentation addresses only. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-run.h"
#include "net/host.h"
#include "net/netmode.h"
#include "net/netns.h"
#include "net/pod-network.h"
#include "reconcile/shim-mntns.h"
#include "fs-util.h"
#include "strv.h"

static char runtime[] = "/tmp/tank-test-net.XXXXXX";

static void sh(const char *fmt, ...) _printf_(1, 2);
static void sh(const char *fmt, ...) {
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(r, 0);
        ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

/* Output of a shell command, trailing newline dropped. */
static char *sh_out(const char *cmd) {
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        FILE *p, *m;
        char buf[4096];
        size_t k;

        m = open_memstream(&s, &n);
        ck_assert_ptr_nonnull(m);
        p = popen(cmd, "re");
        ck_assert_ptr_nonnull(p);
        while ((k = fread(buf, 1, sizeof buf, p)) > 0)
                fwrite(buf, 1, k, m);
        pclose(p);
        fclose(m);
        while (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        return TAKE_PTR(s);
}

/* Output of "nsenter --net=NETNS ARGS". */
static char *ns_out(const char *netns, const char *args) {
        _cleanup_free_ char *cmd = NULL;

        ck_assert_int_ge(asprintf(&cmd, "nsenter --net=%s %s", netns, args), 0);
        return sh_out(cmd);
}

#define SET(var, expr) do { free(var); (var) = (expr); } while (0)

static bool sh_ok(const char *cmd) {
        return system(cmd) == 0;
}

static Pod *pod(const char *json) {
        _cleanup_free_ char *err = NULL;
        Pod *p = NULL;
        int r = pod_parse(json, strlen(json), &p, &err);

        ck_assert_msg(r >= 0, "pod_parse: %s", strna(err));
        return p;
}

static char *file_text(const char *path) {
        char *s = NULL;
        size_t n;

        ck_assert_int_ge(read_file_regular(path, 65536, &s, &n), 0);
        return s;
}

static TankConfig *config_static(const char *uplink, const char *dns) {
        TankConfig *c = NULL;

        ck_assert_int_ge(config_new_default(&c), 0);
        c->host_adapter = HOST_ADAPTER_STATIC;
        free(c->host_uplink);
        c->host_uplink = uplink ? strdup(uplink) : NULL;
        strv_free(c->host_dns);
        c->host_dns = NULL;
        if (dns)
                ck_assert_int_ge(strv_extend(&c->host_dns, dns), 0);
        return c;
}

static char *host_links(void) {
        return sh_out("ip -o link show | awk -F': ' '{print $2}' | sort | tr '\\n' ' '");
}

/* Each test starts from a clean LAN: lan0 and lan1, veths whose peers sit in a
 * "router" namespace holding 192.0.2.1/24 and 198.51.100.1/24. */
static void lan_setup(void) {
        ck_assert_int_eq(system("ip netns del tank-test-router 2>/dev/null; ip link del lan0 2>/dev/null; "
                                "ip link del lan1 2>/dev/null; true"), 0);
        sh("ip netns add tank-test-router");
        sh("ip link add lan0 type veth peer name r0 netns tank-test-router");
        sh("ip link add lan1 type veth peer name r1 netns tank-test-router");
        sh("ip link set lan0 up && ip link set lan1 up");
        sh("ip -n tank-test-router addr add 192.0.2.1/24 dev r0 && ip -n tank-test-router link set r0 up");
        sh("ip -n tank-test-router addr add 198.51.100.1/24 dev r1 && ip -n tank-test-router link set r1 up");
        sh("ip -n tank-test-router link set lo up");
}

/* Each mode answers for itself: the table, the stamps' mode names, and which
 * pods' addresses collide (admission's question about two pods). */
START_TEST(test_mode_ops) {
        _cleanup_(pod_freep) Pod *a = NULL, *b = NULL, *d = NULL, *n = NULL, *h = NULL;
        _cleanup_free_ char *stamp = NULL, *stamp_none = NULL;

        for (NetworkMode m = 0; m < _NETWORK_MAX; m++) {
                const NetworkModeOps *ops = network_mode_ops(m);

                ck_assert_ptr_nonnull(ops);
                ck_assert_ptr_nonnull(ops->name);
                /* A mode that makes a namespace must be able to adopt and remove it. */
                ck_assert(ops->host_namespace || (ops->adoptable && ops->teardown));
        }
        ck_assert_ptr_null(network_mode_ops(_NETWORK_MAX));
        ck_assert_ptr_null(network_mode_ops(_NETWORK_INVALID));

        a = pod("{\"name\": \"a\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.10/24\"}, "
                "{\"name\": \"eth1\", \"ip\": \"198.51.100.10/24\"}]}, "
                "\"containers\": [{\"name\": \"c\", \"image\": {\"rootfs\": \"/\"}}]}");
        b = pod("{\"name\": \"b\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"ip\": \"198.51.100.10/24\"}]}, "
                "\"containers\": [{\"name\": \"c\", \"image\": {\"rootfs\": \"/\"}}]}");
        d = pod("{\"name\": \"d\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.11/24\"}]}, "
                "\"containers\": [{\"name\": \"c\", \"image\": {\"rootfs\": \"/\"}}]}");
        n = pod("{\"name\": \"n\", \"containers\": [{\"name\": \"c\", \"image\": {\"rootfs\": \"/\"}}]}");
        h = pod("{\"name\": \"h\", \"network\": \"host\", \"containers\": [{\"name\": \"c\", \"image\": {\"rootfs\": \"/\"}}]}");

        /* The index is a's NIC, so that the message names a's spec. */
        ck_assert_int_eq(pod_network_shared_address(a, b), 1);
        ck_assert_int_eq(pod_network_shared_address(b, a), 0);
        ck_assert_int_eq(pod_network_shared_address(a, d), -1);
        ck_assert_int_eq(pod_network_shared_address(a, n), -1);
        ck_assert_int_eq(pod_network_shared_address(n, h), -1);
        ck_assert_int_eq(pod_network_shared_address(h, h), -1);

        ck_assert_int_ge(pod_network_stamp(b, &stamp), 0);
        ck_assert_str_eq(stamp, "tank-netns 1\nmode macvlan\nnic eth0 auto 198.51.100.10/24 -\n");
        ck_assert_int_ge(pod_network_stamp(n, &stamp_none), 0);
        ck_assert_str_eq(stamp_none, "tank-netns 1\nmode none\n");

        /* A namespace without a stamp is kept only where it can hold nothing wrong. */
        ck_assert(network_mode_none.adoptable(NULL, stamp_none));
        ck_assert(!network_mode_macvlan.adoptable(NULL, stamp));
        ck_assert(network_mode_macvlan.adoptable(stamp, stamp));
        ck_assert(!network_mode_none.adoptable(stamp, stamp_none));
}
END_TEST

START_TEST(test_resolv_conf) {
        _cleanup_strv_free_ char **l = NULL;
        char path[] = "/tmp/tank-test-resolv.XXXXXX";
        int fd = mkstemp(path);
        const char *text =
                "# comment\n"
                "nameserver 127.0.0.53\n"
                "options edns0 trust-ad\n"
                "  nameserver\t192.0.2.53  # trailing comment\n"
                "nameserver 192.0.2.53\n"
                "nameserverX 192.0.2.99\n"
                "nameserver ::1\n"
                "nameserver 2001:db8::35\n"
                "nameserver not-an-address\n"
                "nameserver 127.1.2.3\n"
                "search example.org\n"
                "nameserver 198.51.100.53";

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        ck_assert_int_eq(host_parse_resolv_conf(path, &l), 0);
        unlink(path);
        ck_assert_uint_eq(strv_length(l), 3);
        ck_assert_str_eq(l[0], "192.0.2.53");
        ck_assert_str_eq(l[1], "2001:db8::35");
        ck_assert_str_eq(l[2], "198.51.100.53");
        ck_assert_int_eq(host_parse_resolv_conf("/nonexistent/resolv.conf", &l), -ENOENT);

        ck_assert(host_address_is_loopback("127.0.0.53"));
        ck_assert(host_address_is_loopback("::1"));
        ck_assert(host_address_is_loopback("::ffff:127.0.0.1"));
        ck_assert(!host_address_is_loopback("192.0.2.1"));
        ck_assert(!host_address_is_loopback("2001:db8::1"));
        ck_assert(!host_address_is_loopback("garbage"));
}
END_TEST

START_TEST(test_static_adapter) {
        _cleanup_config_free_ TankConfig *c = config_static(NULL, "192.0.2.53");
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        const char *up = NULL, *why = NULL;
        char * const *dns;

        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_str_eq(host_facts_adapter_name(f), "static");
        ck_assert_int_eq(host_facts_uplink(f, &up, &why), -ENXIO);
        ck_assert_ptr_nonnull(strstr(why, "[Host] Uplink="));
        ck_assert_int_ge(host_facts_dns(f, &dns), 0);
        ck_assert_uint_eq(strv_length(dns), 1);
        ck_assert_str_eq(dns[0], "192.0.2.53");
        f = host_facts_free(f);

        free(c->host_uplink);
        c->host_uplink = strdup("lan7");
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_int_eq(host_facts_uplink(f, &up, &why), 0);
        ck_assert_str_eq(up, "lan7");
}
END_TEST

START_TEST(test_auto_adapter_uplink) {
        _cleanup_config_free_ TankConfig *c = config_static(NULL, NULL);
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_free_ char *name = NULL, *why = NULL;
        const char *up = NULL, *e = NULL;

        lan_setup();
        ck_assert_int_eq(host_default_route_interface(&name, &why), -ENXIO);
        ck_assert_ptr_nonnull(strstr(why, "no IPv4 default route"));

        /* The lowest metric wins, whatever the order of insertion. */
        sh("ip route add default dev lan0 metric 200");
        sh("ip route add default dev lan1 metric 100");
        c->host_adapter = HOST_ADAPTER_AUTO;
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_str_eq(host_facts_adapter_name(f), "auto");
        ck_assert_int_eq(host_facts_uplink(f, &up, &e), 0);
        ck_assert_str_eq(up, "lan1");
        sh("ip route del default dev lan1 metric 100");
        f = host_facts_free(f);
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_int_eq(host_facts_uplink(f, &up, &e), 0);
        ck_assert_str_eq(up, "lan0");
        /* An IPv6 default route is not an answer. */
        sh("ip route del default dev lan0 metric 200");
        sh("ip -6 route add default dev lan0 metric 10 2>/dev/null || true");
        free(name);
        name = NULL;
        free(why);
        why = NULL;
        ck_assert_int_eq(host_default_route_interface(&name, &why), -ENXIO);
}
END_TEST

START_TEST(test_macvlan_bringup_adopt_teardown) {
        _cleanup_config_free_ TankConfig *c = config_static("lan0", "198.51.100.53");
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult a = {}, b = {}, d = {};
        _cleanup_free_ char *before = NULL, *after = NULL, *out = NULL, *t = NULL, *ino1 = NULL, *ino2 = NULL;
        _cleanup_free_ char *err = NULL, *cmd = NULL;
        _cleanup_(pod_freep) Pod *p = NULL, *p2 = NULL;

        lan_setup();
        before = host_links();
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        p = pod("{\"name\": \"web\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.5/24\", "
                "\"gateway\": \"192.0.2.1\"}]}, \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_msg(pod_network_setup(runtime, p, f, &a, &err) >= 0, "setup: %s", strna(err));
        ck_assert(!a.host);
        ck_assert(!a.adopted);
        ck_assert_ptr_nonnull(a.netns_path);

        /* Nothing new in the host namespace: the link was born in the pod's. */
        after = host_links();
        ck_assert_str_eq(before, after);

        SET(out, ns_out(a.netns_path, "ip -4 -o addr show dev eth0"));
        ck_assert_msg(strstr(out, "192.0.2.5/24"), "addr: %s", out);
        SET(out, ns_out(a.netns_path, "ip -d link show eth0"));
        ck_assert_msg(strstr(out, "macvlan mode bridge") && strstr(out, ",UP"), "link: %s", out);
        SET(out, ns_out(a.netns_path, "ip route show default"));
        ck_assert_msg(strstr(out, "default via 192.0.2.1 dev eth0"), "routes: %s", out);
        /* The LAN is reachable both ways. */
        ck_assert_int_ge(asprintf(&cmd, "nsenter --net=%s busybox ping -c1 -W2 192.0.2.1 >/dev/null", a.netns_path), 0);
        ck_assert(sh_ok(cmd));
        ck_assert(sh_ok("ip netns exec tank-test-router busybox ping -c1 -W2 192.0.2.5 >/dev/null"));

        SET(t, file_text(a.resolv_conf));
        ck_assert_ptr_nonnull(strstr(t, "nameserver 198.51.100.53\n"));
        SET(t, file_text(a.hosts));
        ck_assert_ptr_nonnull(strstr(t, "192.0.2.5\tweb\n"));
        ck_assert_ptr_nonnull(strstr(t, "127.0.0.1\tlocalhost\n"));
        SET(t, file_text(a.hostname_file));
        ck_assert_str_eq(t, "web\n");

        /* A second setup (another container, a restarted tankd) adopts. */
        SET(cmd, NULL);
        ck_assert_int_ge(asprintf(&cmd, "stat -L -c %%i %s", a.netns_path), 0);
        ino1 = sh_out(cmd);
        ck_assert_int_ge(pod_network_setup(runtime, p, f, &b, &err), 0);
        ck_assert(b.adopted);
        SET(ino2, sh_out(cmd));
        ck_assert_str_eq(ino1, ino2);

        /* A changed network spec rebuilds, with the spec's own DNS. */
        p2 = pod("{\"name\": \"web\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"parent\": \"lan0\", "
                 "\"ip\": \"192.0.2.6/24\"}], \"dns\": [\"192.0.2.53\"]}, "
                 "\"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_int_ge(pod_network_setup(runtime, p2, f, &d, &err), 0);
        ck_assert(!d.adopted);
        SET(ino2, sh_out(cmd));
        ck_assert_str_ne(ino1, ino2);
        SET(out, ns_out(d.netns_path, "ip -4 -o addr show"));
        ck_assert_ptr_nonnull(strstr(out, "192.0.2.6/24"));
        ck_assert_ptr_null(strstr(out, "192.0.2.5/24"));
        SET(t, file_text(d.resolv_conf));
        ck_assert_ptr_nonnull(strstr(t, "nameserver 192.0.2.53\n"));
        ck_assert_ptr_null(strstr(t, "198.51.100.53"));

        ck_assert_int_eq(pod_network_teardown(runtime, "web"), 1);
        ck_assert_int_ne(access(d.netns_path, F_OK), 0);
        ck_assert_int_ne(access(d.hosts, F_OK), 0);
        ck_assert_int_ne(access(d.resolv_conf, F_OK), 0);
        ck_assert_int_eq(pod_network_teardown(runtime, "web"), 0);
        SET(after, host_links());
        ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_two_nics_two_uplinks) {
        _cleanup_config_free_ TankConfig *c = config_static(NULL, NULL);
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult a = {};
        _cleanup_free_ char *err = NULL, *cmd = NULL, *out = NULL;
        _cleanup_(pod_freep) Pod *p = NULL;

        lan_setup();
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        p = pod("{\"name\": \"duo\", \"network\": {\"nics\": ["
                "{\"name\": \"eth0\", \"parent\": \"lan0\", \"ip\": \"192.0.2.7/24\", \"gateway\": \"192.0.2.1\"},"
                "{\"name\": \"eth1\", \"parent\": \"lan1\", \"ip\": \"198.51.100.7/24\", \"gateway\": \"198.51.100.1\"}]},"
                "\"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_msg(pod_network_setup(runtime, p, f, &a, &err) >= 0, "setup: %s", strna(err));
        ck_assert_ptr_null(a.resolv_conf ? strstr(a.resolv_conf, "nameserver") : NULL);
        out = ns_out(a.netns_path, "ip route show default");
        ck_assert_msg(strstr(out, "default via 192.0.2.1 dev eth0") &&
                      strstr(out, "default via 198.51.100.1 dev eth1 proto static metric 1"), "routes: %s", out);
        ck_assert_int_ge(asprintf(&cmd, "nsenter --net=%s sh -c 'busybox ping -c1 -W2 192.0.2.1 && busybox ping -c1 -W2 198.51.100.1' >/dev/null",
                                  a.netns_path), 0);
        ck_assert(sh_ok(cmd));
        ck_assert_int_eq(pod_network_teardown(runtime, "duo"), 1);
}
END_TEST

static void expect_failure(TankConfig *c, const char *json, const char *message) {
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult a = {};
        _cleanup_free_ char *err = NULL, *err2 = NULL, *before = NULL, *after = NULL, *path = NULL;
        _cleanup_(pod_freep) Pod *p = pod(json);

        before = host_links();
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_int_lt(pod_network_setup(runtime, p, f, &a, &err), 0);
        ck_assert_msg(err && streq(err, message), "got: %s\nwant: %s", strna(err), message);
        after = host_links();
        ck_assert_str_eq(before, after);
        ck_assert_int_ge(asprintf(&path, "%s/netns/%s", runtime, p->name), 0);
        ck_assert_msg(access(path, F_OK) < 0, "netns left behind after a failure");
        (void) pod_network_teardown(runtime, p->name);
}

START_TEST(test_failures_are_clear_and_clean) {
        _cleanup_config_free_ TankConfig *c = config_static(NULL, NULL);
        _cleanup_config_free_ TankConfig *c7 = config_static("eth7", NULL);
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(pod_freep) Pod *p = NULL;

        lan_setup();
        expect_failure(c, "{\"name\": \"m\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"parent\": \"eth7\", "
                       "\"ip\": \"192.0.2.9/24\"}]}, \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}",
                       "network.nics[0].parent: no interface \"eth7\" on this host");
        expect_failure(c7, "{\"name\": \"m\", \"network\": {\"nics\": [{\"name\": \"eth0\", "
                       "\"ip\": \"192.0.2.9/24\"}]}, \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}",
                       "network.nics[0].parent: no interface \"eth7\" on this host (the uplink named by the host adapter \"static\")");
        expect_failure(c, "{\"name\": \"m\", \"network\": {\"nics\": [{\"name\": \"eth0\", "
                       "\"ip\": \"192.0.2.9/24\"}]}, \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}",
                       "network.nics[0].parent: \"auto\": the host adapter \"static\" has no uplink: set [Host] Uplink= "
                       "in tank.conf, or name the parent interface in the spec");
        /* The second NIC fails after the first was made: all of it goes. */
        expect_failure(c, "{\"name\": \"m\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"parent\": \"lan0\", "
                       "\"ip\": \"192.0.2.9/24\"}, {\"name\": \"eth1\", \"parent\": \"lo\", \"ip\": \"198.51.100.9/24\"}]}, "
                       "\"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}",
                       "network.nics[1].parent: interface \"lo\" refuses macvlan links (Invalid input data or parameter); "
                       "use \"network\": \"host\" for this pod");

        /* Admission sees a missing parent without touching anything. */
        p = pod("{\"name\": \"m\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"parent\": \"eth7\", "
                "\"ip\": \"192.0.2.9/24\"}]}, \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_int_eq(pod_network_check(p, f, &err), -ENODEV);
        ck_assert_str_eq(err, "network.nics[0].parent: no interface \"eth7\" on this host");
}
END_TEST

START_TEST(test_none_and_host) {
        _cleanup_config_free_ TankConfig *c = config_static(NULL, NULL);
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult a = {}, h = {};
        _cleanup_free_ char *err = NULL, *cmd = NULL, *out = NULL, *t = NULL;
        _cleanup_(pod_freep) Pod *p = NULL, *ph = NULL;

        ck_assert_int_ge(host_facts_new(c, &f), 0);
        p = pod("{\"name\": \"quiet\", \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_int_ge(pod_network_setup(runtime, p, f, &a, &err), 0);
        ck_assert_ptr_null(a.resolv_conf);
        out = ns_out(a.netns_path, "ip -o link show");
        ck_assert_msg(strstr(out, "1: lo:") && !strstr(out, "2: "), "links: %s", out);
        ck_assert_ptr_nonnull(strstr(out, "UP"));
        t = file_text(a.hosts);
        ck_assert_ptr_nonnull(strstr(t, "127.0.1.1\tquiet\n"));
        ck_assert_int_eq(pod_network_teardown(runtime, "quiet"), 1);

        ph = pod("{\"name\": \"h\", \"network\": \"host\", \"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_int_ge(pod_network_setup(runtime, ph, f, &h, &err), 0);
        ck_assert(h.host);
        ck_assert_ptr_null(h.netns_path);
        ck_assert_ptr_null(h.hosts);
}
END_TEST

START_TEST(test_unfinished_namespace_is_rebuilt) {
        _cleanup_config_free_ TankConfig *c = config_static("lan0", NULL);
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_(pod_network_result_done) PodNetworkResult a = {};
        _cleanup_free_ char *err = NULL, *cmd = NULL, *out = NULL, *ns = NULL;
        _cleanup_(pod_freep) Pod *p = NULL;

        lan_setup();
        /* What a tankd killed between creating the namespace and configuring it
         * leaves: the namespace, no stamp. */
        ck_assert_int_ge(netns_ensure(runtime, "half", &ns), 0);
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        p = pod("{\"name\": \"half\", \"network\": {\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.10/24\"}]}, "
                "\"containers\": [{\"name\": \"a\", \"image\": {\"rootfs\": \"/\"}}]}");
        ck_assert_msg(pod_network_setup(runtime, p, f, &a, &err) >= 0, "setup: %s", strna(err));
        ck_assert(!a.adopted);
        out = ns_out(a.netns_path, "ip -4 -o addr show dev eth0");
        ck_assert_ptr_nonnull(strstr(out, "192.0.2.10/24"));
        ck_assert_int_eq(pod_network_teardown(runtime, "half"), 1);
}
END_TEST

/* In a child that joined mntns_fd: 0 if path is a mount's root there, 1 if
 * not, 2 if nsfs (a pin), 3 if it cannot tell. */
static int probe_in(int mntns_fd, const char *path) {
        pid_t pid;
        int status;

        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                struct statfs sfs;
                struct statx sx;

                if (setns(mntns_fd, CLONE_NEWNS) < 0)
                        _exit(3);
                if (statfs(path, &sfs) >= 0 && sfs.f_type == NSFS_MAGIC)
                        _exit(2);
                if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &sx) < 0 ||
                    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
                        _exit(3);
                _exit(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT ? 0 : 1);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* shim-mntns.h: no pins, new or old, and the host's later mounts still come.
 * Last: it leaves this process's namespace shared. */
START_TEST(test_shim_mntns) {
        char dir[] = "/tmp/tank-test-mntns.XXXXXX";
        _cleanup_free_ char *shared = NULL, *later = NULL, *pins = NULL, *old = NULL, *new = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct statfs sfs;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_ge(asprintf(&shared, "%s/shared", dir), 0);
        ck_assert_int_ge(asprintf(&later, "%s/shared/later", dir), 0);
        ck_assert_int_ge(asprintf(&pins, "%s/netns", dir), 0);
        ck_assert_int_ge(asprintf(&old, "%s/netns/old", dir), 0);
        ck_assert_int_ge(asprintf(&new, "%s/netns/new", dir), 0);

        /* A pin on the plain directory: it cannot become a mount point. */
        ck_assert_int_eq(netns_ensure(dir, "old", NULL), 0);
        ck_assert_int_eq(shim_mntns_new(dir, &fd), -EBUSY);
        ck_assert_int_eq(netns_remove(dir, "old"), 1);

        /* This test's namespace is private: a slave of it would track nothing. */
        ck_assert_int_eq(shim_mntns_new(dir, &fd), -EREMOTE);
        /* What systemd makes of a host's (in peer groups of this namespace's own). */
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL), 0);

        ck_assert_int_eq(mkdir(shared, 0755), 0);
        ck_assert_int_eq(mount("tmpfs", shared, "tmpfs", 0, "mode=0755"), 0);
        ck_assert_int_eq(mount(NULL, shared, NULL, MS_SHARED, NULL), 0);
        ck_assert_int_eq(mkdir(later, 0755), 0);

        ck_assert_int_eq(netns_dir_prepare(dir, NULL), 0);
        ck_assert_int_eq(netns_ensure(dir, "old", NULL), 0);
        ck_assert_int_eq(shim_mntns_new(dir, &fd), 0);
        ck_assert_int_eq(netns_ensure(dir, "new", NULL), 0);
        ck_assert_int_eq(mount("tmpfs", later, "tmpfs", 0, "mode=0755"), 0);

        /* Here: a mount point, both pins. */
        ck_assert_int_eq(probe_in(open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), pins), 0);
        ck_assert(statfs(old, &sfs) >= 0 && sfs.f_type == NSFS_MAGIC);
        ck_assert(statfs(new, &sfs) >= 0 && sfs.f_type == NSFS_MAGIC);
        /* There: neither, and the later mount. */
        ck_assert_int_eq(probe_in(fd, old), 1);
        ck_assert_int_eq(probe_in(fd, new), 1);
        ck_assert_int_eq(probe_in(fd, later), 0);
        /* Once more: the directory is a mount point already. */
        {
                _cleanup_close_ int again = -EBADF;
                ck_assert_int_eq(shim_mntns_new(dir, &again), 0);
                ck_assert_int_eq(probe_in(again, new), 1);
        }

        ck_assert_int_eq(netns_remove(dir, "old"), 1);
        ck_assert_int_eq(netns_remove(dir, "new"), 1);
        ck_assert_int_eq(umount2(later, MNT_DETACH), 0);
        ck_assert_int_eq(umount2(shared, MNT_DETACH), 0);
        ck_assert_int_eq(umount2(pins, MNT_DETACH), 0);
        sh("rm -rf %s", dir);
}
END_TEST

int main(void) {
        Suite *s;
        TCase *tc;
        int r;

        if (geteuid() != 0) {
                fprintf(stderr, "test-net needs root (it makes namespaces and links)\n");
                return EXIT_FAILURE;
        }
        /* Everything below happens in namespaces of our own: never the host's links. */
        if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                perror("unshare");
                return EXIT_FAILURE;
        }
        /* ip netns keeps its files in /run/netns: a private copy for this test. */
        if (mkdir("/run/netns", 0755) < 0 && errno != EEXIST)
                return EXIT_FAILURE;
        if (mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755") < 0) {
                perror("mount /run/netns");
                return EXIT_FAILURE;
        }
        if (system("ip link set lo up") != 0 || !mkdtemp(runtime))
                return EXIT_FAILURE;

        s = suite_create("net");
        tc = tcase_create("core");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_mode_ops);
        tcase_add_test(tc, test_resolv_conf);
        tcase_add_test(tc, test_static_adapter);
        tcase_add_test(tc, test_auto_adapter_uplink);
        tcase_add_test(tc, test_macvlan_bringup_adopt_teardown);
        tcase_add_test(tc, test_two_nics_two_uplinks);
        tcase_add_test(tc, test_failures_are_clear_and_clean);
        tcase_add_test(tc, test_none_and_host);
        tcase_add_test(tc, test_unfinished_namespace_is_rebuilt);
        tcase_add_test(tc, test_shim_mntns);
        suite_add_tcase(s, tc);
        /* One process: the tests share the namespaces made above, in order. */
        r = check_run_suite(s, false);
        (void) umount2("/run/netns", MNT_DETACH);
        (void) rmdir(runtime);
        return r;
}
