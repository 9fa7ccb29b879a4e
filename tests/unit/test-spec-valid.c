/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Valid pod specs: defaults, canonical round trips, content hashes. */
#include <arpa/inet.h>
#include <check.h>

#include "check-run.h"
#include "spec/pod.h"
#include "strv.h"

static char *json(const char *s) {
        char *r = strdup(s);
        ck_assert_ptr_nonnull(r);
        for (char *c = r; *c; c++)
                if (*c == '\'')
                        *c = '"';
        return r;
}

static Pod *parse_ok(const char *s) {
        _cleanup_free_ char *spec = json(s), *error = NULL;
        Pod *pod = NULL;
        int r;

        r = pod_parse(spec, strlen(spec), &pod, &error);
        ck_assert_msg(r == 0, "%s: %s", s, strempty(error));
        ck_assert_ptr_nonnull(pod);
        return pod;
}

static char *serialize_ok(const Pod *p) {
        char *s = NULL;
        ck_assert_int_eq(pod_serialize(p, &s), 0);
        return s;
}

#define API_SPEC \
        "{'name':'api','restart':'always'," \
        " 'network':{'nics':[{'name':'eth0','parent':'auto','ip':'10.0.0.20/24','gateway':'10.0.0.1'}],'dns':['10.0.0.1']}," \
        " 'volumes':[{'name':'state'},{'name':'config','source':{'host':'/etc/api'}}]," \
        " 'containers':[{'name':'app','image':'ghcr.io/acme/api:1.4.2','command':['/usr/bin/api'],'args':['--port','8080']," \
        "   'env':{'PORT':'8080'},'working_dir':'/srv'," \
        "   'mounts':[{'volume':'state','path':'/var/lib/app'},{'volume':'config','path':'/etc/api','read_only':true}]," \
        "   'limits':{'memory':536870912,'pids':200,'cpu':[100000,100000]},'tty':false}]}"

#define PROBE_SPEC \
        "{'name':'web','containers':[{'name':'app','image':'nginx','probes':{" \
        " 'startup':{'exec':['/bin/check'],'period':2,'failure_threshold':30}," \
        " 'liveness':{'http':{'port':8080,'path':'/healthz','headers':{'X-B':'1','Accept':'*/*'}},'period':10,'timeout':1," \
        "   'failure_threshold':3}," \
        " 'readiness':{'tcp':{'port':5432},'initial_delay':5,'success_threshold':2}}," \
        " 'notify':true,'watchdog_sec':30}]}"

static const char *const valid[] = {
        "{'name':'web','containers':[{'name':'app','image':'nginx'}]}",
        API_SPEC,
        "{'name':'db','restart':'on_failure','network':'host','volumes':[{'name':'data'}],"
        " 'containers':[{'name':'pg','image':'127.0.0.1:5000/db/postgres:15','tty':true,"
        "   'mounts':[{'volume':'data','path':'/var/lib/pg','read_only':false}],'limits':{'memory':'1G'}}]}",
        "{'name':'shell','restart':'never','containers':[{'name':'sh','image':{'rootfs':'/srv/root'},'command':[],'args':[]}]}",
        "{'name':'two','network':{'nics':[{'name':'eth0','ip':'192.0.2.10/24'},{'name':'eth1','parent':'veth1','ip':'198.51.100.2/25'}],"
        " 'dns':['2001:0db8::0001','192.0.2.1']},'containers':[{'name':'a','image':'busybox'},{'name':'b','image':'busybox',"
        " 'env':{'Z':'1','A-B':'\\u00e9 \\\"q\\\"','A':'','weird key':'x'}}]}",
        "{'name':'dig','containers':[{'name':'a','image':'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]}",
        "{'name':'a','containers':[{'name':'a','image':'a','limits':{'memory':'512K','pids':1,'cpu':[1000,1000]}}],'volumes':[]}",
        "{'name':'r','rollout':{'deadline_sec':20},'containers':[{'name':'a','image':'a'}]}",
        "{'name':'p','placement':{'node':'b'},'reschedule':true,'containers':[{'name':'a','image':'a'}]}",
        "{'name':'p','placement':{'labels':{'zone':'a','tank.io/role':'db','k':''}},'containers':[{'name':'a','image':'a'}]}",
        "{'name':'p','placement':{},'reschedule':false,'volumes':[{'name':'d'}],'containers':[{'name':'a','image':'a'}]}",
        "{'name':'p','reschedule':true,'volumes':[{'name':'h','source':{'host':'/srv'}},{'name':'e','source':{'empty':{}}}],"
        " 'containers':[{'name':'a','image':'a'}]}",
        "{'name':'r','rollout':{'min_healthy_sec':0,'deadline_sec':1,'auto_revert':false},'containers':[{'name':'a','image':'a'}]}",
        PROBE_SPEC,
        "{'name':'p','containers':[{'name':'a','image':'a','notify':true},{'name':'b','image':'b',"
        " 'probes':{'readiness':{'http':{'port':443,'scheme':'https','host':'2001:DB8:0::1','path':'/r?x=1&y'},"
        "   'timeout':30,'period':5}}}]}",
        "{'name':'u','user_namespace':'auto','containers':[{'name':'a','image':'a'}]}",
        "{'name':'u','user_namespace':'host','containers':[{'name':'a','image':'a'}]}",
};

START_TEST(test_round_trip) {
        _cleanup_pod_free_ Pod *p1 = parse_ok(valid[_i]), *p2 = NULL, *p3 = NULL;
        _cleanup_free_ char *s1 = serialize_ok(p1), *s2 = NULL, *pretty = NULL, *s3 = NULL;

        ck_assert_int_eq(pod_parse(s1, strlen(s1), &p2, NULL), 0);
        s2 = serialize_ok(p2);
        ck_assert_str_eq(s1, s2);

        ck_assert_int_eq(pod_serialize_pretty(p1, &pretty), 0);
        ck_assert_ptr_nonnull(strchr(pretty, '\n'));
        ck_assert_int_eq(pod_parse(pretty, strlen(pretty), &p3, NULL), 0);
        s3 = serialize_ok(p3);
        ck_assert_str_eq(s1, s3);
}
END_TEST

START_TEST(test_defaults) {
        _cleanup_pod_free_ Pod *p = parse_ok(valid[0]);
        _cleanup_free_ char *s = serialize_ok(p);

        ck_assert_str_eq(s, "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],"
                         "\"containers\":[{\"name\":\"app\",\"image\":\"docker.io/library/nginx:latest\","
                         "\"env\":{},\"mounts\":[],\"limits\":{},\"tty\":false}]}");
        ck_assert_int_eq(p->restart, RESTART_ALWAYS);
        ck_assert_int_eq(p->network.mode, NETWORK_NONE);
        ck_assert_ptr_null(p->containers[0].command);
        ck_assert_ptr_null(p->containers[0].args);
        ck_assert_ptr_null(p->containers[0].env);
        ck_assert_ptr_null(p->containers[0].working_dir);
        ck_assert_ptr_null(p->containers[0].rootfs);
        ck_assert(p->containers[0].limits.memory == LIMIT_UNSET);
        ck_assert(p->containers[0].limits.pids == LIMIT_UNSET);
        ck_assert(p->containers[0].limits.cpu_quota_us == 0 && p->containers[0].limits.cpu_period_us == 0);
        ck_assert(!p->containers[0].tty);
}
END_TEST

START_TEST(test_api_fields) {
        _cleanup_pod_free_ Pod *p = parse_ok(API_SPEC);
        const PodContainer *c;
        const PodNic *nic;
        char buf[INET_ADDRSTRLEN];

        ck_assert_int_eq(p->network.mode, NETWORK_MACVLAN);
        ck_assert_uint_eq(p->network.n_nics, 1);
        nic = p->network.nics;
        ck_assert_str_eq(nic->name, "eth0");
        ck_assert_str_eq(nic->parent, "auto");
        ck_assert_str_eq(inet_ntop(AF_INET, &nic->address, buf, sizeof buf), "10.0.0.20");
        ck_assert_uint_eq(nic->prefixlen, 24);
        ck_assert(nic->has_gateway);
        ck_assert_str_eq(inet_ntop(AF_INET, &nic->gateway, buf, sizeof buf), "10.0.0.1");
        ck_assert_str_eq(p->network.dns[0], "10.0.0.1");
        ck_assert_ptr_null(p->network.dns[1]);

        ck_assert_ptr_null(pod_find_volume(p, "state")->host_path);
        ck_assert_str_eq(pod_find_volume(p, "config")->host_path, "/etc/api");
        ck_assert_ptr_null(pod_find_volume(p, "nope"));

        c = pod_find_container(p, "app");
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_null(pod_find_container(p, "db"));
        ck_assert_str_eq(c->image, "ghcr.io/acme/api:1.4.2");
        ck_assert_str_eq(c->command[0], "/usr/bin/api");
        ck_assert_str_eq(c->args[1], "8080");
        ck_assert_str_eq(c->env[0], "PORT=8080");
        ck_assert_str_eq(c->working_dir, "/srv");
        ck_assert_uint_eq(c->n_mounts, 2);
        ck_assert(!c->mounts[0].read_only);
        ck_assert(c->mounts[1].read_only);
        ck_assert_str_eq(c->mounts[1].volume, "config");
        ck_assert(c->limits.memory == 536870912);
        ck_assert(c->limits.pids == 200);
        ck_assert(c->limits.cpu_quota_us == 100000 && c->limits.cpu_period_us == 100000);
}
END_TEST

START_TEST(test_memory_sizes) {
        static const struct { const char *v; uint64_t bytes; } t[] = {
                { "'1024'", 1024 }, { "'512K'", 512 * 1024 }, { "'256M'", 256ULL << 20 },
                { "'1G'", 1ULL << 30 }, { "'2T'", 2ULL << 40 }, { "1", 1 },
                { "'8388607T'", 8388607ULL << 40 }, { "9223372036854775807", 9223372036854775807ULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *s = NULL;
                ck_assert_int_ge(asprintf(&s, "{'name':'m','containers':[{'name':'a','image':'a','limits':{'memory':%s}}]}", t[i].v), 0);
                _cleanup_pod_free_ Pod *p = parse_ok(s);
                ck_assert_msg(p->containers[0].limits.memory == t[i].bytes, "%s", t[i].v);
        }
}
END_TEST

START_TEST(test_env_sorted_and_canonical) {
        _cleanup_pod_free_ Pod *p = parse_ok(valid[4]);
        const PodContainer *b = pod_find_container(p, "b");

        /* Sorted by key, not by the whole assignment ('-' < '='). */
        ck_assert_str_eq(b->env[0], "A=");
        ck_assert_str_eq(b->env[1], "A-B=\xc3\xa9 \"q\"");
        ck_assert_str_eq(b->env[2], "Z=1");
        ck_assert_str_eq(b->env[3], "weird key=x");
        ck_assert_ptr_null(b->env[4]);
        /* dns in canonical text form */
        ck_assert_str_eq(p->network.dns[0], "2001:db8::1");
        ck_assert_str_eq(p->network.nics[1].parent, "veth1");
        ck_assert(!p->network.nics[0].has_gateway);
}
END_TEST

START_TEST(test_serialize_redacted) {
        _cleanup_pod_free_ Pod *p = parse_ok(
                "{'name':'sec','containers':[{'name':'a','image':'busybox','env':{'SECRET':'hunter2','EMPTY':''}},"
                " {'name':'b','image':'busybox','args':['--keep']}]}");
        _cleanup_free_ char *full = serialize_ok(p), *red = NULL;

        ck_assert_int_eq(pod_serialize_redacted(p, &red), 0);
        ck_assert_ptr_nonnull(strstr(full, "hunter2"));
        ck_assert_ptr_null(strstr(red, "hunter2"));
        /* keys stay, every value is the marker, the rest is untouched */
        ck_assert_ptr_nonnull(strstr(red, "\"env\":{\"EMPTY\":\"<redacted>\",\"SECRET\":\"<redacted>\"}"));
        ck_assert_ptr_nonnull(strstr(red, "\"args\":[\"--keep\"]"));
        ck_assert_ptr_nonnull(strstr(red, "\"env\":{}"));
}
END_TEST

START_TEST(test_empty_vs_absent) {
        _cleanup_pod_free_ Pod *p = parse_ok(valid[3]);
        _cleanup_free_ char *s = serialize_ok(p);

        ck_assert_ptr_nonnull(p->containers[0].command);
        ck_assert_ptr_null(p->containers[0].command[0]);
        ck_assert_ptr_nonnull(p->containers[0].args);
        ck_assert_str_eq(p->containers[0].rootfs, "/srv/root");
        ck_assert_ptr_null(p->containers[0].image);
        ck_assert_int_eq(p->restart, RESTART_NEVER);
        ck_assert_ptr_nonnull(strstr(s, "\"image\":{\"rootfs\":\"/srv/root\"},\"command\":[],\"args\":[]"));
}
END_TEST

static void hashes(const char *spec, char pod[static 65], char level[static 65], char c0[static 65], char c1[static 65]) {
        _cleanup_pod_free_ Pod *p = parse_ok(spec);

        ck_assert_int_eq(pod_hash(p, pod), 0);
        ck_assert_int_eq(pod_level_hash(p, level), 0);
        ck_assert_int_eq(container_hash(p->containers + 0, c0), 0);
        if (p->n_containers > 1)
                ck_assert_int_eq(container_hash(p->containers + 1, c1), 0);
        else
                strcpy(c1, "");
        ck_assert_uint_eq(strlen(pod), SPEC_HASH_LEN);
        ck_assert_uint_eq(strspn(pod, "0123456789abcdef"), SPEC_HASH_LEN);
}

#define BASE "{'name':'h','volumes':[{'name':'v'}],'containers':[" \
        "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'2'},'limits':{'memory':'1G'}}," \
        "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}"

/* Absent, "auto" and "host" are three pod-level states (absent is the host's
 * default, which the spec does not know); absent stays out of the canonical
 * form, so that pods from before the field keep their hashes. */
START_TEST(test_user_namespace) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65], p3[65], l3[65], a3[65], b3[65];
        _cleanup_pod_free_ Pod *none = parse_ok("{'name':'u','containers':[{'name':'a','image':'a'}]}");
        _cleanup_pod_free_ Pod *aut = parse_ok(valid[ELEMENTSOF(valid) - 2]);
        _cleanup_free_ char *s1 = serialize_ok(none), *s2 = serialize_ok(aut);

        ck_assert_int_eq(none->user_namespace, USER_NAMESPACE_DEFAULT);
        ck_assert_int_eq(aut->user_namespace, USER_NAMESPACE_AUTO);
        ck_assert_ptr_null(strstr(s1, "user_namespace"));
        ck_assert_ptr_nonnull(strstr(s2, "\"volumes\":[],\"user_namespace\":\"auto\",\"containers\""));
        hashes("{'name':'u','containers':[{'name':'a','image':'a'}]}", p1, l1, a1, b1);
        hashes(valid[ELEMENTSOF(valid) - 2], p2, l2, a2, b2);
        hashes(valid[ELEMENTSOF(valid) - 1], p3, l3, a3, b3);
        ck_assert_str_ne(l1, l2);
        ck_assert_str_ne(l1, l3);
        ck_assert_str_ne(l2, l3);
        ck_assert_str_eq(a1, a2);       /* the containers themselves did not change */
        ck_assert_str_eq(a1, a3);
}
END_TEST

/* "rollout" says how a change is judged: absent stays out of the canonical
 * form (the defaults apply), present is written whole, and it changes neither
 * the pod-level nor a container's hash, so editing it restarts nothing. */
START_TEST(test_rollout) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65];
        _cleanup_pod_free_ Pod *none = parse_ok("{'name':'r','containers':[{'name':'a','image':'a'}]}");
        _cleanup_pod_free_ Pod *some = parse_ok("{'name':'r','rollout':{'deadline_sec':20},'containers':[{'name':'a','image':'a'}]}");
        _cleanup_free_ char *s1 = serialize_ok(none), *s2 = serialize_ok(some);
        PodRollout d = pod_rollout(none), g = pod_rollout(some);

        ck_assert(!none->rollout.set);
        ck_assert_ptr_null(strstr(s1, "rollout"));
        ck_assert_uint_eq(d.min_healthy_sec, 10);
        ck_assert_uint_eq(d.deadline_sec, 300);
        ck_assert(d.auto_revert);
        ck_assert(some->rollout.set);
        ck_assert_uint_eq(g.min_healthy_sec, 10);
        ck_assert_uint_eq(g.deadline_sec, 20);
        ck_assert(g.auto_revert);
        ck_assert_ptr_nonnull(strstr(s2, "\"volumes\":[],\"rollout\":{\"min_healthy_sec\":10,\"deadline_sec\":20,"
                                         "\"auto_revert\":true},\"containers\""));
        hashes("{'name':'r','containers':[{'name':'a','image':'a'}]}", p1, l1, a1, b1);
        hashes("{'name':'r','rollout':{'deadline_sec':20},'containers':[{'name':'a','image':'a'}]}", p2, l2, a2, b2);
        ck_assert_str_ne(p1, p2);
        ck_assert_str_eq(l1, l2);
        ck_assert_str_eq(a1, a2);
}
END_TEST

START_TEST(test_probes) {
        _cleanup_pod_free_ Pod *p = parse_ok(PROBE_SPEC);
        _cleanup_free_ char *s = serialize_ok(p);
        const PodContainer *c = &p->containers[0];

        ck_assert_int_eq(c->probes.startup.kind, PROBE_EXEC);
        ck_assert_str_eq(c->probes.startup.exec[0], "/bin/check");
        ck_assert_ptr_null(c->probes.startup.exec[1]);
        ck_assert_uint_eq(c->probes.startup.period_sec, 2);
        ck_assert_uint_eq(c->probes.startup.timeout_sec, 1);
        ck_assert_uint_eq(c->probes.startup.failure_threshold, 30);
        ck_assert_uint_eq(c->probes.startup.success_threshold, 1);
        ck_assert_int_eq(c->probes.liveness.kind, PROBE_HTTP);
        ck_assert_uint_eq(c->probes.liveness.port, 8080);
        ck_assert_str_eq(c->probes.liveness.path, "/healthz");
        ck_assert_str_eq(c->probes.liveness.host, "127.0.0.1");
        ck_assert_int_eq(c->probes.liveness.scheme, PROBE_SCHEME_HTTP);
        /* in the object's order, not sorted: the runtime sends them so */
        ck_assert_str_eq(c->probes.liveness.headers[0], "X-B: 1");
        ck_assert_str_eq(c->probes.liveness.headers[1], "Accept: */*");
        ck_assert_ptr_null(c->probes.liveness.headers[2]);
        ck_assert_int_eq(c->probes.readiness.kind, PROBE_TCP);
        ck_assert_uint_eq(c->probes.readiness.port, 5432);
        ck_assert_uint_eq(c->probes.readiness.initial_delay_sec, 5);
        ck_assert_uint_eq(c->probes.readiness.period_sec, 10);
        ck_assert_uint_eq(c->probes.readiness.success_threshold, 2);
        ck_assert_uint_eq(c->probes.readiness.failure_threshold, 3);
        ck_assert(c->notify);
        ck_assert_uint_eq(c->watchdog_sec, 30);
        ck_assert_str_eq(s,
                "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"containers\":[{\"name\":\"app\","
                "\"image\":\"docker.io/library/nginx:latest\",\"env\":{},\"mounts\":[],\"limits\":{},\"tty\":false,"
                "\"probes\":{\"startup\":{\"exec\":[\"/bin/check\"],\"initial_delay\":0,\"period\":2,\"timeout\":1,"
                "\"success_threshold\":1,\"failure_threshold\":30},\"liveness\":{\"http\":{\"port\":8080,\"path\":\"/healthz\","
                "\"scheme\":\"http\",\"host\":\"127.0.0.1\",\"headers\":{\"X-B\":\"1\",\"Accept\":\"*/*\"}},\"initial_delay\":0,"
                "\"period\":10,\"timeout\":1,\"success_threshold\":1,\"failure_threshold\":3},\"readiness\":{\"tcp\":"
                "{\"port\":5432},\"initial_delay\":5,\"period\":10,\"timeout\":1,\"success_threshold\":2,"
                "\"failure_threshold\":3}},\"notify\":true,\"watchdog_sec\":30}]}");
        ck_assert_str_eq(probe_kind_to_string(PROBE_TCP), "tcp");
        ck_assert_ptr_null(probe_kind_to_string(PROBE_NONE));
        ck_assert_str_eq(probe_scheme_to_string(PROBE_SCHEME_HTTPS), "https");
        ck_assert_int_eq(probe_scheme_from_string("https"), PROBE_SCHEME_HTTPS);
        ck_assert_int_eq(probe_scheme_from_string("HTTP"), -EINVAL);
}
END_TEST

START_TEST(test_probe_host_canonical) {
        _cleanup_pod_free_ Pod *p = parse_ok(valid[ELEMENTSOF(valid) - 3]);
        const PodProbe *r = &p->containers[1].probes.readiness;

        ck_assert_str_eq(r->host, "2001:db8::1");
        ck_assert_int_eq(r->scheme, PROBE_SCHEME_HTTPS);
        ck_assert_str_eq(r->path, "/r?x=1&y");
        ck_assert_ptr_null(r->headers);
        ck_assert_int_eq(p->containers[1].probes.liveness.kind, PROBE_NONE);
        ck_assert(p->containers[0].notify);
        ck_assert_uint_eq(p->containers[0].watchdog_sec, 0);
        ck_assert(!pod_probes_are_set(&p->containers[0].probes));
}
END_TEST

/* A tankd upgrade must not restart what runs: a spec that says nothing of
 * probes, notify or watchdog_sec (or says only their defaults) hashes to the
 * values main computed before they existed (commit 5e92304). */
START_TEST(test_hash_unchanged_by_probes) {
        static const char *const specs[] = {
                API_SPEC,
                "{'name':'api','restart':'always',"
                " 'network':{'nics':[{'name':'eth0','parent':'auto','ip':'10.0.0.20/24','gateway':'10.0.0.1'}],'dns':['10.0.0.1']},"
                " 'volumes':[{'name':'state'},{'name':'config','source':{'host':'/etc/api'}}],"
                " 'containers':[{'name':'app','image':'ghcr.io/acme/api:1.4.2','command':['/usr/bin/api'],'args':['--port','8080'],"
                "   'env':{'PORT':'8080'},'working_dir':'/srv',"
                "   'mounts':[{'volume':'state','path':'/var/lib/app'},{'volume':'config','path':'/etc/api','read_only':true}],"
                "   'limits':{'memory':536870912,'pids':200,'cpu':[100000,100000]},'tty':false,"
                "   'probes':{},'notify':false,'watchdog_sec':0}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
                _cleanup_pod_free_ Pod *p = parse_ok(specs[i]);
                _cleanup_free_ char *s = serialize_ok(p);
                char h[SPEC_HASH_LEN + 1];

                ck_assert_str_eq(s,
                        "{\"name\":\"api\",\"restart\":\"always\",\"network\":{\"nics\":[{\"name\":\"eth0\",\"parent\":\"auto\","
                        "\"ip\":\"10.0.0.20/24\",\"gateway\":\"10.0.0.1\"}],\"dns\":[\"10.0.0.1\"]},\"volumes\":[{\"name\":\"state\"},"
                        "{\"name\":\"config\",\"source\":{\"host\":\"/etc/api\"}}],\"containers\":[{\"name\":\"app\",\"image\":"
                        "\"ghcr.io/acme/api:1.4.2\",\"command\":[\"/usr/bin/api\"],\"args\":[\"--port\",\"8080\"],\"env\":"
                        "{\"PORT\":\"8080\"},\"working_dir\":\"/srv\",\"mounts\":[{\"volume\":\"state\",\"path\":\"/var/lib/app\","
                        "\"read_only\":false},{\"volume\":\"config\",\"path\":\"/etc/api\",\"read_only\":true}],\"limits\":"
                        "{\"memory\":536870912,\"pids\":200,\"cpu\":[100000,100000]},\"tty\":false}]}");
                ck_assert_int_eq(pod_hash(p, h), 0);
                ck_assert_str_eq(h, "d5d99ddf6c64149edcb79b1d132462426cd418c742a3c6288095e531acd299d6");
                ck_assert_int_eq(pod_level_hash(p, h), 0);
                ck_assert_str_eq(h, "d05b9bbb2fcefae1d0cf11f2e9c093e4e9ddae45e6dbd193de315b50ff41e16c");
                ck_assert_int_eq(container_hash(&p->containers[0], h), 0);
                ck_assert_str_eq(h, "5119fa517228262c6db44379c4ab29a983a7fbc38e69ace987f01af7daaadd14");
        }
}
END_TEST

START_TEST(test_hash_probe_change) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65];

        hashes(BASE, p1, l1, a1, b1);
        hashes("{'name':'h','volumes':[{'name':'v'}],'containers':[{'name':'a','image':'nginx:1.27',"
               " 'env':{'X':'1','Y':'2'},'limits':{'memory':'1G'},'probes':{'liveness':{'tcp':{'port':80}}}},"
               " {'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p2, l2, a2, b2);
        ck_assert_str_ne(a1, a2);       /* a probe is the container's: it restarts */
        ck_assert_str_eq(b1, b2);
        ck_assert_str_eq(l1, l2);
}
END_TEST

START_TEST(test_hash_stable) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65];

        hashes(BASE, p1, l1, a1, b1);
        /* Other key order, whitespace, defaults spelled out, memory in bytes,
         * image fully qualified. */
        hashes("{ 'containers' : [\n"
               "  {'limits':{'memory':1073741824},'env':{'Y':'2','X':'1'},'image':'docker.io/library/nginx:1.27','name':'a','tty':false},\n"
               "  {'mounts':[{'path':'/v','read_only':false,'volume':'v'}],'command':['sleep','1'],'name':'b','image':'busybox:latest'}],\n"
               "  'restart':'always', 'network':'none', 'volumes':[{'name':'v'}], 'name':'h' }",
               p2, l2, a2, b2);
        ck_assert_str_eq(p1, p2);
        ck_assert_str_eq(l1, l2);
        ck_assert_str_eq(a1, a2);
        ck_assert_str_eq(b1, b2);
        ck_assert_str_ne(a1, b1);
}
END_TEST

START_TEST(test_hash_env_change) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65];

        hashes(BASE, p1, l1, a1, b1);
        hashes("{'name':'h','volumes':[{'name':'v'}],'containers':["
               "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'3'},'limits':{'memory':'1G'}},"
               "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p2, l2, a2, b2);
        ck_assert_str_ne(p1, p2);
        ck_assert_str_eq(l1, l2);
        ck_assert_str_ne(a1, a2);
        ck_assert_str_eq(b1, b2);
}
END_TEST

START_TEST(test_hash_volume_change) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65];

        hashes(BASE, p1, l1, a1, b1);
        hashes("{'name':'h','volumes':[{'name':'v','source':{'host':'/srv/v'}}],'containers':["
               "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'2'},'limits':{'memory':'1G'}},"
               "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p2, l2, a2, b2);
        ck_assert_str_ne(p1, p2);
        ck_assert_str_ne(l1, l2);
        ck_assert_str_eq(a1, a2);
        ck_assert_str_eq(b1, b2);

        /* managed -> empty is a pod-level change too */
        char p3[65], l3[65], a3[65], b3[65];
        hashes("{'name':'h','volumes':[{'name':'v','source':{'empty':{}}}],'containers':["
               "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'2'},'limits':{'memory':'1G'}},"
               "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p3, l3, a3, b3);
        ck_assert_str_ne(l1, l3);
        ck_assert_str_ne(l2, l3);
        ck_assert_str_eq(a1, a3);
        ck_assert_str_eq(b1, b3);
}
END_TEST

START_TEST(test_empty_volume_canonical) {
        _cleanup_pod_free_ Pod *p = parse_ok("{'name':'e','volumes':[{'name':'scratch','source':{'empty':{}}},"
                                             "{'name':'m'}],'containers':[{'name':'a','image':'busybox',"
                                             "'mounts':[{'volume':'scratch','path':'/s'}]}]}");
        _cleanup_free_ char *s = serialize_ok(p);

        ck_assert(p->volumes[0].empty);
        ck_assert_ptr_null(p->volumes[0].host_path);
        ck_assert(!p->volumes[1].empty);
        ck_assert_str_eq(s, "{\"name\":\"e\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[{\"name\":"
                         "\"scratch\",\"source\":{\"empty\":{}}},{\"name\":\"m\"}],\"containers\":[{\"name\":\"a\","
                         "\"image\":\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[{\"volume\":\"scratch\","
                         "\"path\":\"/s\",\"read_only\":false}],\"limits\":{},\"tty\":false}]}");
}
END_TEST

START_TEST(test_hash_restart_and_network_change) {
        char p1[65], l1[65], a1[65], b1[65], p2[65], l2[65], a2[65], b2[65], p3[65], l3[65], a3[65], b3[65];

        hashes(BASE, p1, l1, a1, b1);
        hashes("{'name':'h','restart':'never','volumes':[{'name':'v'}],'containers':["
               "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'2'},'limits':{'memory':'1G'}},"
               "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p2, l2, a2, b2);
        hashes("{'name':'h','network':'host','volumes':[{'name':'v'}],'containers':["
               "{'name':'a','image':'nginx:1.27','env':{'X':'1','Y':'2'},'limits':{'memory':'1G'}},"
               "{'name':'b','image':'busybox','command':['sleep','1'],'mounts':[{'volume':'v','path':'/v'}]}]}",
               p3, l3, a3, b3);
        ck_assert_str_ne(l1, l2);
        ck_assert_str_ne(l1, l3);
        ck_assert_str_ne(l2, l3);
        ck_assert_str_eq(a1, a2);
        ck_assert_str_eq(a1, a3);
        ck_assert_str_eq(b1, b3);
}
END_TEST

START_TEST(test_parse_many) {
        _cleanup_free_ char *one = json(valid[0]), *two = NULL, *error = NULL;
        Pod **pods = NULL;
        size_t n = 0;

        ck_assert_int_eq(pod_parse_many(one, strlen(one), &pods, &n, &error), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(pods[0]->name, "web");
        pod_array_free(pods, n);

        ck_assert_int_ge(asprintf(&two, "[%s, %s]", valid[0], valid[2]), 0);
        for (char *c = two; *c; c++)
                if (*c == '\'')
                        *c = '"';
        ck_assert_int_eq(pod_parse_many(two, strlen(two), &pods, &n, &error), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(pods[1]->name, "db");
        ck_assert_int_eq(pods[1]->network.mode, NETWORK_HOST);
        pod_array_free(pods, n);
        pod_array_free(NULL, 0);
}
END_TEST

START_TEST(test_helpers) {
        ck_assert(pod_name_is_valid("a"));
        ck_assert(pod_name_is_valid("a-1"));
        ck_assert(pod_name_is_valid("012345678901234567890123456789012345678901234567890123456789012"));
        ck_assert(!pod_name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
        ck_assert(!pod_name_is_valid(""));
        ck_assert(!pod_name_is_valid(NULL));
        ck_assert(!pod_name_is_valid("a_b"));
        ck_assert(!pod_name_is_valid("-a"));
        ck_assert_str_eq(restart_policy_to_string(RESTART_ON_FAILURE), "on_failure");
        ck_assert_ptr_null(restart_policy_to_string(_RESTART_MAX));
        ck_assert_int_eq(restart_policy_from_string("never"), RESTART_NEVER);
        ck_assert_int_eq(restart_policy_from_string("Never"), _RESTART_INVALID);
        ck_assert_ptr_null(pod_free(NULL));
}
END_TEST

/* placement and reschedule: absent stays out of the canonical JSON (old
 * pods keep their hashes), labels come out sorted, the full hash sees them,
 * the pod-level hash (what restarts a pod) does not. */
START_TEST(test_placement) {
        _cleanup_pod_free_ Pod *none = parse_ok("{'name':'p','containers':[{'name':'a','image':'a'}]}");
        _cleanup_pod_free_ Pod *lab = parse_ok("{'name':'p','placement':{'labels':{'zone':'a','disk':'ssd'}},"
                                               "'reschedule':true,'containers':[{'name':'a','image':'a'}]}");
        _cleanup_pod_free_ Pod *pin = parse_ok("{'name':'p','placement':{'node':'b'},'containers':[{'name':'a','image':'a'}]}");
        _cleanup_free_ char *s1 = serialize_ok(none), *s2 = serialize_ok(lab), *s3 = serialize_ok(pin);
        char h1[SPEC_HASH_LEN + 1], h2[SPEC_HASH_LEN + 1], l1[SPEC_HASH_LEN + 1], l2[SPEC_HASH_LEN + 1];

        ck_assert(!none->placement.set);
        ck_assert(!none->reschedule);
        ck_assert_ptr_null(strstr(s1, "placement"));
        ck_assert_ptr_null(strstr(s1, "reschedule"));
        ck_assert(lab->placement.set);
        ck_assert_ptr_null(lab->placement.node);
        ck_assert_str_eq(lab->placement.labels[0], "disk=ssd");
        ck_assert_str_eq(lab->placement.labels[1], "zone=a");
        ck_assert_ptr_null(lab->placement.labels[2]);
        ck_assert(lab->reschedule);
        ck_assert_ptr_nonnull(strstr(s2, "\"placement\":{\"labels\":{\"disk\":\"ssd\",\"zone\":\"a\"}},\"reschedule\":true,"));
        ck_assert_str_eq(pin->placement.node, "b");
        ck_assert_ptr_null(pin->placement.labels);
        ck_assert_ptr_nonnull(strstr(s3, "\"placement\":{\"node\":\"b\"},\"containers\""));

        ck_assert_int_eq(pod_hash(none, h1), 0);
        ck_assert_int_eq(pod_hash(pin, h2), 0);
        ck_assert_str_ne(h1, h2);
        ck_assert_int_eq(pod_level_hash(none, l1), 0);
        ck_assert_int_eq(pod_level_hash(pin, l2), 0);
        ck_assert_str_eq(l1, l2);
}
END_TEST

static Suite *spec_suite(void) {
        Suite *s = suite_create("spec-valid");
        TCase *tc = tcase_create("valid");

        tcase_add_loop_test(tc, test_round_trip, 0, ELEMENTSOF(valid));
        tcase_add_test(tc, test_user_namespace);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_api_fields);
        tcase_add_test(tc, test_memory_sizes);
        tcase_add_test(tc, test_env_sorted_and_canonical);
        tcase_add_test(tc, test_empty_vs_absent);
        tcase_add_test(tc, test_serialize_redacted);
        tcase_add_test(tc, test_hash_stable);
        tcase_add_test(tc, test_probes);
        tcase_add_test(tc, test_probe_host_canonical);
        tcase_add_test(tc, test_hash_unchanged_by_probes);
        tcase_add_test(tc, test_hash_probe_change);
        tcase_add_test(tc, test_hash_env_change);
        tcase_add_test(tc, test_hash_volume_change);
        tcase_add_test(tc, test_empty_volume_canonical);
        tcase_add_test(tc, test_hash_restart_and_network_change);
        tcase_add_test(tc, test_parse_many);
        tcase_add_test(tc, test_rollout);
        tcase_add_test(tc, test_placement);
        tcase_add_test(tc, test_helpers);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(spec_suite());
}
