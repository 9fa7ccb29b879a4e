/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "spec/pod.h"
#include "strv.h"

/* Specs are written with ' for " to stay readable; json() swaps them back. */
static char *json(const char *s) {
        char *r = strdup(s);
        ck_assert_ptr_nonnull(r);
        for (char *c = r; *c; c++)
                if (*c == '\'')
                        *c = '"';
        return r;
}

#define APP "{'name':'app','image':'nginx'}"
#define POD(fields) "{'name':'web'," fields "}"
#define PODC(container) POD("'containers':[" container "]")
#define PODV(volumes, container) POD("'volumes':[" volumes "],'containers':[" container "]")
#define PODN(network) POD("'network':" network ",'containers':[" APP "]")
#define CT(fields) "{'name':'app','image':'nginx'," fields "}"
#define LIM(limits) PODC(CT("'limits':{" limits "}"))
#define MNT(mounts) PODV("{'name':'data'}", CT("'mounts':[" mounts "]"))
#define NIC(fields) PODN("{'nics':[{" fields "}]}")
#define PRB(probes) PODC(CT("'probes':{" probes "}"))
#define LIVE(fields) PRB("'liveness':{" fields "}")
#define HTTP(fields) LIVE("'http':{'port':80," fields "}")
#define LP "containers[0].probes.liveness"
#define HOSTNAME_REASON "must be an IPv4 address, an IPv6 address (without brackets) or a host name, got "
#define TOKEN_REASON "(must be an HTTP token of at most 256 letters, digits and !#$%&'*+-.^_`|~)"
#define DNS_LABEL "must be a lowercase DNS label (1-63 characters of a-z, 0-9 and '-', not starting or ending with '-')"
#define NORMALIZED "must be a normalized path (no \".\", \"..\" or empty components, no trailing \"/\")"
#define IFNAME "must be an interface name (1-15 characters of a-z, A-Z, 0-9, '_', '-' and '.')"

static const struct {
        const char *spec;
        const char *error;
} invalid[] = {
        /* whole document */
        { "[]", "$: expected an object, got an array" },
        { "'web'", "$: expected an object, got a string" },
        { "42", "$: expected an object, got a number" },
        { "null", "$: expected an object, got null" },
        { "{'name':'web'", "$: truncated JSON (unexpected end of input)" },
        { "{'name':'web','containers':[" APP, "$: truncated JSON (unexpected end of input)" },
        { "", "$: empty document" },
        { "   \n ", "$: empty document" },
        { "{'name':'web',}", "$: invalid JSON near byte 15: invalid object key (must be a string)" },
        { PODC(APP) " {}", "$: invalid JSON near byte 62: trailing garbage" },
        { "/* c */ " PODC(APP), "$: invalid JSON near byte 0: probable comment found in input text, comments are not enabled." },
        { "{'name':'w\xff'}", "$: invalid JSON near byte 11: invalid bytes in UTF8 string." },
        { "{'name':[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
          "$: nesting deeper than 32 levels" },
        /* top-level fields */
        { POD("'foo':1,'containers':[" APP "]"), "$: unknown field \"foo\"" },
        { POD("'\\u001b[31m':1,'containers':[" APP "]"), "$: unknown field \"\\x1b[31m\"" },
        { POD("'a\\\\\\'b':1"), "$: unknown field \"a\\\\\\\"b\"" },
        { POD("'n\\u0000':1"), "$: unknown field \"n\\x00\"" },
        { POD("'name':'x','containers':[" APP "]"), "$: duplicate field \"name\"" },
        { "{'containers':[" APP "]}", "$: missing field \"name\"" },
        { "{'name':'web'}", "$: missing field \"containers\"" },
        { "{'name':7,'containers':[" APP "]}", "name: expected a string, got a number" },
        { "{'name':'Web','containers':[" APP "]}", "name: " DNS_LABEL },
        { "{'name':'-web','containers':[" APP "]}", "name: " DNS_LABEL },
        { "{'name':'web-','containers':[" APP "]}", "name: " DNS_LABEL },
        { "{'name':'','containers':[" APP "]}", "name: " DNS_LABEL },
        { "{'name':'web.x','containers':[" APP "]}", "name: " DNS_LABEL },
        { "{'name':'a234567890123456789012345678901234567890123456789012345678901234','containers':[" APP "]}",
          "name: " DNS_LABEL },
        { "{'name':'we\\u0000b','containers':[" APP "]}", "name: contains a NUL character" },
        { POD("'restart':'sometimes','containers':[" APP "]"),
          "restart: must be one of \"always\", \"on_failure\", \"never\", got \"sometimes\"" },
        { POD("'restart':1,'containers':[" APP "]"), "restart: expected a string, got a number" },
        { POD("'user_namespace':'private','containers':[" APP "]"),
          "user_namespace: must be \"auto\" or \"host\", got \"private\"" },
        { POD("'user_namespace':true,'containers':[" APP "]"), "user_namespace: expected a string, got a boolean" },
        { POD("'placement':{'nodes':'b'},'containers':[" APP "]"), "placement: unknown field \"nodes\"" },
        { POD("'placement':{'node':'b','labels':{'zone':'a'}},'containers':[" APP "]"),
          "placement: \"node\" and \"labels\" are exclusive" },
        { POD("'placement':{'node':'B'},'containers':[" APP "]"), "placement.node: invalid node name \"B\" "
          "(a lowercase DNS label, 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-')" },
        { POD("'placement':{'node':3},'containers':[" APP "]"), "placement.node: expected a string, got a number" },
        { POD("'placement':{'labels':{'zone':'a b'}},'containers':[" APP "]"), "placement.labels.zone: invalid label "
          "value \"a b\" (empty, or 1-63 of A-Z, a-z, 0-9, '.', '_', '-', beginning and ending alphanumeric)" },
        { POD("'placement':{'labels':{'-z':'a'}},'containers':[" APP "]"), "placement.labels: invalid label key \"-z\" "
          "(as [Node] Labels= in tank.conf: an optional DNS-subdomain prefix and '/', then 1-63 of A-Z, a-z, 0-9, '.', '_', '-')" },
        { POD("'placement':[],'containers':[" APP "]"), "placement: expected an object, got an array" },
        { POD("'reschedule':'yes','containers':[" APP "]"), "reschedule: expected a boolean, got a string" },
        { POD("'reschedule':true,'volumes':[{'name':'data'}],'containers':[" APP "]"),
          "reschedule: a pod with managed volumes cannot move between nodes (volume \"data\")" },
        { POD("'rollout':true,'containers':[" APP "]"), "rollout: expected an object, got a boolean" },
        { POD("'rollout':{'min_healthy':3},'containers':[" APP "]"), "rollout: unknown field \"min_healthy\"" },
        { POD("'rollout':{'min_healthy_sec':-1},'containers':[" APP "]"), "rollout.min_healthy_sec: -1 out of range 0..86400" },
        { POD("'rollout':{'deadline_sec':0},'containers':[" APP "]"), "rollout.deadline_sec: 0 out of range 1..86400" },
        { POD("'rollout':{'deadline_sec':10},'containers':[" APP "]"),
          "rollout.deadline_sec: deadline_sec (10) must be greater than min_healthy_sec (10)" },
        { POD("'rollout':{'min_healthy_sec':400},'containers':[" APP "]"),
          "rollout.min_healthy_sec: deadline_sec (300) must be greater than min_healthy_sec (400)" },
        { POD("'rollout':{'auto_revert':'yes'},'containers':[" APP "]"), "rollout.auto_revert: expected a boolean, got a string" },
        { POD("'containers':[]"), "containers: must not be empty" },
        { POD("'containers':{}"), "containers: expected an array, got an object" },
        /* network */
        { PODN("'bridge'"), "network: must be \"none\", \"host\" or an object with \"nics\", got \"bridge\"" },
        { PODN("1"), "network: expected a string or an object, got a number" },
        { PODN("{}"), "network: missing field \"nics\"" },
        { PODN("{'nics':[]}"), "network.nics: must not be empty" },
        { PODN("{'nics':{}}"), "network.nics: expected an array, got an object" },
        { PODN("{'nics':[{'name':'eth0','ip':'10.0.0.2/24'}],'mtu':1500}"), "network: unknown field \"mtu\"" },
        { NIC("'name':'eth0'"), "network.nics[0]: missing field \"ip\"" },
        { NIC("'ip':'10.0.0.2/24'"), "network.nics[0]: missing field \"name\"" },
        { NIC("'name':'eth0','ip':'10.0.0.2'"),
          "network.nics[0].ip: must be an IPv4 address with a prefix length (a.b.c.d/n), got \"10.0.0.2\"" },
        { NIC("'name':'eth0','ip':'10.0.0.2/33'"), "network.nics[0].ip: prefix length 33 out of range 0..32" },
        { NIC("'name':'eth0','ip':'10.0.0.2/99999999999'"),
          "network.nics[0].ip: must be an IPv4 address with a prefix length (a.b.c.d/n), got \"10.0.0.2/99999999999\"" },
        { NIC("'name':'eth0','ip':'300.0.0.2/24'"),
          "network.nics[0].ip: must be an IPv4 address with a prefix length (a.b.c.d/n), got \"300.0.0.2/24\"" },
        { NIC("'name':'eth0','ip':'10.0.0.2/2x'"),
          "network.nics[0].ip: must be an IPv4 address with a prefix length (a.b.c.d/n), got \"10.0.0.2/2x\"" },
        { NIC("'name':'eth0','ip':'10.0.0.2/24','gateway':'fe80::1'"),
          "network.nics[0].gateway: must be an IPv4 address, got \"fe80::1\"" },
        { NIC("'name':'eth0','ip':'10.0.0.2/24','gateway':'10.0.0.1/24'"),
          "network.nics[0].gateway: must be an IPv4 address, got \"10.0.0.1/24\"" },
        { NIC("'name':'eth 0','ip':'10.0.0.2/24'"), "network.nics[0].name: " IFNAME },
        { NIC("'name':'abcdefghijklmnop','ip':'10.0.0.2/24'"), "network.nics[0].name: " IFNAME },
        { NIC("'name':'lo','ip':'10.0.0.2/24'"), "network.nics[0].name: \"lo\" is the pod's loopback interface" },
        { NIC("'name':'eth0','parent':'a/b','ip':'10.0.0.2/24'"),
          "network.nics[0].parent: must be \"auto\" or an interface name (1-15 characters of a-z, A-Z, 0-9, '_', '-' and '.')" },
        { NIC("'name':'eth0','ip':'10.0.0.2/24','mac':'x'"), "network.nics[0]: unknown field \"mac\"" },
        { PODN("{'nics':[{'name':'eth0','ip':'10.0.0.2/24'},{'name':'eth0','ip':'10.0.1.2/24'}]}"),
          "network.nics[1].name: duplicate NIC name \"eth0\"" },
        { PODN("{'nics':[{'name':'eth0','ip':'10.0.0.2/24'}],'dns':['10.0.0.1','example.com']}"),
          "network.dns[1]: must be an IPv4 or IPv6 address, got \"example.com\"" },
        { PODN("{'nics':[{'name':'eth0','ip':'10.0.0.2/24'}],'dns':'10.0.0.1'}"),
          "network.dns: expected an array, got a string" },
        { PODN("{'nics':[{'name':'eth0','ip':'10.0.0.2/24'}],'dns':[1]}"),
          "network.dns[0]: expected a string, got a number" },
        /* volumes */
        { POD("'volumes':{},'containers':[" APP "]"), "volumes: expected an array, got an object" },
        { PODV("{}", APP), "volumes[0]: missing field \"name\"" },
        { PODV("{'name':'Data'}", APP), "volumes[0].name: " DNS_LABEL },
        { PODV("{'name':'data'},{'name':'data'}", APP), "volumes[1].name: duplicate volume name \"data\"" },
        { PODV("{'name':'data','source':{'host':'srv/data'}}", APP),
          "volumes[0].source.host: must be an absolute path" },
        { PODV("{'name':'data','source':{'host':'/srv/../etc'}}", APP), "volumes[0].source.host: " NORMALIZED },
        { PODV("{'name':'data','source':{'nfs':'x'}}", APP), "volumes[0].source: unknown field \"nfs\"" },
        { PODV("{'name':'data','source':{}}", APP), "volumes[0].source: missing field \"host\" or \"empty\"" },
        { PODV("{'name':'data','source':{'host':'/srv','empty':{}}}", APP),
          "volumes[0].source: more than one source (\"host\" or \"empty\")" },
        { PODV("{'name':'data','source':{'empty':{},'empty':{}}}", APP), "volumes[0].source: duplicate field \"empty\"" },
        { PODV("{'name':'data','source':{'empty':true}}", APP), "volumes[0].source.empty: expected an object, got a boolean" },
        { PODV("{'name':'data','source':{'empty':{'size_limit':1}}}", APP),
          "volumes[0].source.empty: unknown field \"size_limit\"" },
        { PODV("{'name':'data','source':'/srv'}", APP), "volumes[0].source: expected an object, got a string" },
        /* containers */
        { PODC("{'name':'app'}"), "containers[0]: missing field \"image\"" },
        { PODC("{'image':'nginx'}"), "containers[0]: missing field \"name\"" },
        { PODC("'app'"), "containers[0]: expected an object, got a string" },
        { PODC("{'name':'App','image':'nginx'}"), "containers[0].name: " DNS_LABEL },
        { PODC(APP "," APP), "containers[1].name: duplicate container name \"app\"" },
        { PODC(CT("'imgae':'x'")), "containers[0]: unknown field \"imgae\"" },
        { PODC("{'name':'app','image':5}"), "containers[0].image: expected a string or an object, got a number" },
        { PODC("{'name':'app','image':'Nginx'}"),
          "containers[0].image: invalid image reference \"Nginx\": repository name must be lowercase" },
        { PODC("{'name':'app','image':'nginx:'}"), "containers[0].image: invalid image reference \"nginx:\": invalid tag" },
        { PODC("{'name':'app','image':'nginx@sha256:abc'}"),
          "containers[0].image: invalid image reference \"nginx@sha256:abc\": invalid digest (expected sha256: and 64 lowercase hex digits)" },
        { PODC("{'name':'app','image':''}"), "containers[0].image: invalid image reference \"\": empty reference" },
        { PODC("{'name':'app','image':{'rootfs':'srv/root'}}"), "containers[0].image.rootfs: must be an absolute path" },
        { PODC("{'name':'app','image':{'path':'/srv/root'}}"), "containers[0].image: unknown field \"path\"" },
        { PODC(CT("'command':'/bin/sh'")), "containers[0].command: expected an array, got a string" },
        { PODC(CT("'command':['/bin/sh',1]")), "containers[0].command[1]: expected a string, got a number" },
        { PODC(CT("'args':[null]")), "containers[0].args[0]: expected a string, got null" },
        { PODC(CT("'args':['a\\u0000b']")), "containers[0].args[0]: contains a NUL character" },
        { PODC(CT("'env':['A=1']")), "containers[0].env: expected an object, got an array" },
        { PODC(CT("'env':{'PORT':8080}")), "containers[0].env.PORT: expected a string, got a number" },
        { PODC(CT("'env':{'my var':true}")), "containers[0].env[\"my var\"]: expected a string, got a boolean" },
        { PODC(CT("'env':{'A=B':'1'}")),
          "containers[0].env: invalid variable name \"A=B\" (must be non-empty, without '=' or control characters)" },
        { PODC(CT("'env':{'':'1'}")),
          "containers[0].env: invalid variable name \"\" (must be non-empty, without '=' or control characters)" },
        { PODC(CT("'env':{'B':'1','A':'1','B':'2'}")), "containers[0].env: duplicate variable \"B\"" },
        { PODC(CT("'env':{'A\\u0000B':'1'}")),
          "containers[0].env: invalid variable name \"A\\x00B\" (must be non-empty, without '=' or control characters)" },
        { PODC(CT("'working_dir':'srv'")), "containers[0].working_dir: must be an absolute path" },
        { PODC(CT("'working_dir':'/srv/'")), "containers[0].working_dir: " NORMALIZED },
        { PODC(CT("'tty':'true'")), "containers[0].tty: expected a boolean, got a string" },
        { PODC(CT("'tty':1")), "containers[0].tty: expected a boolean, got a number" },
        /* mounts */
        { PODV("{'name':'data'}", APP ",{'name':'db','image':'postgres','mounts':[{'volume':'dta','path':'/data'}]}"),
          "containers[1].mounts[0].volume: no volume \"dta\" in this pod" },
        { MNT("{'volume':'data','path':'data'}"), "containers[0].mounts[0].path: must be an absolute path" },
        { MNT("{'volume':'data','path':'/data/'}"), "containers[0].mounts[0].path: " NORMALIZED },
        { MNT("{'volume':'data','path':'/a//b'}"), "containers[0].mounts[0].path: " NORMALIZED },
        { MNT("{'volume':'data','path':'/a/./b'}"), "containers[0].mounts[0].path: " NORMALIZED },
        { MNT("{'volume':'data','path':'/a/..'}"), "containers[0].mounts[0].path: " NORMALIZED },
        { MNT("{'volume':'data','path':'/'}"), "containers[0].mounts[0].path: cannot mount over the container's root \"/\"" },
        { MNT("{'volume':'data','path':'/data'},{'volume':'data','path':'/data'}"),
          "containers[0].mounts[1].path: \"/data\" is already mounted by mounts[0]" },
        { MNT("{'volume':'data','path':'/data','read_only':'yes'}"),
          "containers[0].mounts[0].read_only: expected a boolean, got a string" },
        { MNT("{'volume':'data'}"), "containers[0].mounts[0]: missing field \"path\"" },
        { MNT("{'volume':'data','path':'/d','mode':'rw'}"), "containers[0].mounts[0]: unknown field \"mode\"" },
        { PODC(CT("'mounts':{}")), "containers[0].mounts: expected an array, got an object" },
        /* limits */
        { LIM("'cpus':2"), "containers[0].limits: unknown field \"cpus\"" },
        { PODC(CT("'limits':[]")), "containers[0].limits: expected an object, got an array" },
        { LIM("'memory':0"), "containers[0].limits.memory: must be positive" },
        { LIM("'memory':-5"), "containers[0].limits.memory: must be positive" },
        { LIM("'memory':'0M'"), "containers[0].limits.memory: must be positive" },
        { LIM("'memory':'256MB'"),
          "containers[0].limits.memory: must be a number of bytes or a size like \"256M\" (suffix K, M, G or T, base 1024), got \"256MB\"" },
        { LIM("'memory':'-1G'"),
          "containers[0].limits.memory: must be a number of bytes or a size like \"256M\" (suffix K, M, G or T, base 1024), got \"-1G\"" },
        { LIM("'memory':''"),
          "containers[0].limits.memory: must be a number of bytes or a size like \"256M\" (suffix K, M, G or T, base 1024), got \"\"" },
        { LIM("'memory':'9999999T'"), "containers[0].limits.memory: size out of range" },
        { LIM("'memory':'99999999999999999999999'"), "containers[0].limits.memory: size out of range" },
        { LIM("'memory':1.5"), "containers[0].limits.memory: expected an integer, got a fraction or exponent" },
        { LIM("'memory':1e3"), "containers[0].limits.memory: expected an integer, got a fraction or exponent" },
        { LIM("'memory':99999999999999999999"), "containers[0].limits.memory: integer out of range" },
        { LIM("'memory':true"), "containers[0].limits.memory: expected a number or a string, got a boolean" },
        { LIM("'pids':'100'"), "containers[0].limits.pids: expected a number, got a string" },
        { LIM("'pids':0"), "containers[0].limits.pids: must be positive" },
        { LIM("'cpu':[1000,100000,1]"), "containers[0].limits.cpu: expected [quota_us, period_us], got 3 elements" },
        { LIM("'cpu':[50000]"), "containers[0].limits.cpu: expected [quota_us, period_us], got 1 element" },
        { LIM("'cpu':50000"), "containers[0].limits.cpu: expected an array, got a number" },
        { LIM("'cpu':[50000,999]"), "containers[0].limits.cpu[1]: period 999 out of range 1000..1000000" },
        { LIM("'cpu':[50000,1000001]"), "containers[0].limits.cpu[1]: period 1000001 out of range 1000..1000000" },
        { LIM("'cpu':[500,100000]"), "containers[0].limits.cpu[0]: quota 500 out of range 1000..1000000000" },
        { LIM("'cpu':[50000,'100000']"), "containers[0].limits.cpu[1]: expected a number, got a string" },
        /* probes */
        { PODC(CT("'probes':[]")), "containers[0].probes: expected an object, got an array" },
        { PRB("'alive':{}"), "containers[0].probes: unknown field \"alive\"" },
        { PRB("'liveness':{'tcp':{'port':1}},'liveness':{'tcp':{'port':1}}"),
          "containers[0].probes: duplicate field \"liveness\"" },
        { LIVE(""), LP ": must have exactly one of \"exec\", \"http\" and \"tcp\"" },
        { LIVE("'exec':['a'],'tcp':{'port':1}"), LP ": must have exactly one of \"exec\", \"http\" and \"tcp\"" },
        { LIVE("'grpc':{'port':1}"), LP ": unknown field \"grpc\"" },
        { LIVE("'exec':'/bin/check'"), LP ".exec: expected an array, got a string" },
        { LIVE("'exec':[]"), LP ".exec: must not be empty" },
        { LIVE("'exec':['','x']"), LP ".exec[0]: the command must not be empty" },
        { LIVE("'exec':['a',1]"), LP ".exec[1]: expected a string, got a number" },
        { LIVE("'tcp':{}"), LP ".tcp: missing field \"port\"" },
        { LIVE("'tcp':{'port':80,'host':'x'}"), LP ".tcp: unknown field \"host\"" },
        { LIVE("'tcp':{'port':0}"), LP ".tcp.port: 0 out of range 1..65535" },
        { LIVE("'tcp':{'port':65536}"), LP ".tcp.port: 65536 out of range 1..65535" },
        { LIVE("'tcp':{'port':'http'}"), LP ".tcp.port: expected a number, got a string" },
        { LIVE("'tcp':{'port':80.5}"), LP ".tcp.port: expected an integer, got a fraction or exponent" },
        { LIVE("'http':{'path':'/'}"), LP ".http: missing field \"port\"" },
        { LIVE("'http':{'port':80,'method':'GET'}"), LP ".http: unknown field \"method\"" },
        { HTTP("'path':'healthz'"), LP ".http.path: must start with \"/\", got \"healthz\"" },
        { HTTP("'path':'/a b'"), LP ".http.path: must be printable ASCII without spaces, got \"/a b\"" },
        { HTTP("'path':'/a\\r\\nHost: x'"),
          LP ".http.path: must be printable ASCII without spaces, got \"/a\\x0d\\x0aHost: x\"" },
        { HTTP("'path':'/\\u00e9'"), LP ".http.path: must be printable ASCII without spaces, got \"/\\xc3\\xa9\"" },
        { HTTP("'scheme':'HTTPS'"), LP ".http.scheme: must be \"http\" or \"https\", got \"HTTPS\"" },
        { HTTP("'scheme':'ftp'"), LP ".http.scheme: must be \"http\" or \"https\", got \"ftp\"" },
        { HTTP("'host':'10.0.0.300'"), LP ".http.host: " HOSTNAME_REASON "\"10.0.0.300\"" },
        { HTTP("'host':'[::1]'"), LP ".http.host: " HOSTNAME_REASON "\"[::1]\"" },
        { HTTP("'host':'-a.example'"), LP ".http.host: " HOSTNAME_REASON "\"-a.example\"" },
        { HTTP("'host':'a..example'"), LP ".http.host: " HOSTNAME_REASON "\"a..example\"" },
        { HTTP("'host':'a_b.example'"), LP ".http.host: " HOSTNAME_REASON "\"a_b.example\"" },
        { HTTP("'host':''"), LP ".http.host: " HOSTNAME_REASON "\"\"" },
        { HTTP("'headers':['A: b']"), LP ".http.headers: expected an object, got an array" },
        { HTTP("'headers':{'A B':'x'}"), LP ".http.headers: invalid header name \"A B\" " TOKEN_REASON },
        { HTTP("'headers':{'A:':'x'}"), LP ".http.headers: invalid header name \"A:\" " TOKEN_REASON },
        { HTTP("'headers':{'':'x'}"), LP ".http.headers: invalid header name \"\" " TOKEN_REASON },
        { HTTP("'headers':{'Accept':'a','accept':'b'}"),
          LP ".http.headers: duplicate header \"accept\" (names are case-insensitive)" },
        { HTTP("'headers':{'A':1}"), LP ".http.headers.A: expected a string, got a number" },
        { HTTP("'headers':{'X-A':'x\\r\\nB: y'}"),
          LP ".http.headers[\"X-A\"]: must not contain CR, LF or other control characters, got \"x\\x0d\\x0aB: y\"" },
        { HTTP("'headers':{'A':'x\\u0000'}"), LP ".http.headers.A: contains a NUL character" },
        { HTTP("'headers':{'A\\u0000':'x'}"), LP ".http.headers: invalid header name \"A\\x00\" " TOKEN_REASON },
        { LIVE("'tcp':{'port':1},'period':0"), LP ".period: 0 out of range 1..86400" },
        { LIVE("'tcp':{'port':1},'period':86401"), LP ".period: 86401 out of range 1..86400" },
        { LIVE("'tcp':{'port':1},'timeout':0"), LP ".timeout: 0 out of range 1..86400" },
        { LIVE("'tcp':{'port':1},'initial_delay':-1"), LP ".initial_delay: -1 out of range 0..86400" },
        { LIVE("'tcp':{'port':1},'initial_delay':'5'"), LP ".initial_delay: expected a number, got a string" },
        { LIVE("'tcp':{'port':1},'failure_threshold':0"), LP ".failure_threshold: 0 out of range 1..10000" },
        { LIVE("'tcp':{'port':1},'failure_threshold':10001"), LP ".failure_threshold: 10001 out of range 1..10000" },
        { LIVE("'tcp':{'port':1},'success_threshold':2"), LP ".success_threshold: must be 1 for a liveness probe" },
        { PRB("'startup':{'tcp':{'port':1},'success_threshold':3}"),
          "containers[0].probes.startup.success_threshold: must be 1 for a startup probe" },
        { PRB("'readiness':{'tcp':{'port':1},'success_threshold':0}"),
          "containers[0].probes.readiness.success_threshold: 0 out of range 1..10000" },
        { LIVE("'tcp':{'port':1},'periodSeconds':5"), LP ": unknown field \"periodSeconds\"" },
        { PODC(CT("'notify':'yes'")), "containers[0].notify: expected a boolean, got a string" },
        { PODC(CT("'watchdog_sec':30")), "containers[0].watchdog_sec: requires \"notify\": true" },
        { PODC(CT("'notify':false,'watchdog_sec':30")), "containers[0].watchdog_sec: requires \"notify\": true" },
        { PODC(CT("'notify':true,'watchdog_sec':-1")), "containers[0].watchdog_sec: -1 out of range 0..86400" },
        { PODC(CT("'notify':true,'watchdog_sec':86401")), "containers[0].watchdog_sec: 86401 out of range 0..86400" },
        { PODC(CT("'notify':true,'watchdog_sec':1.5")),
          "containers[0].watchdog_sec: expected an integer, got a fraction or exponent" },
        { PODC(CT("'image_update':'always'")), "containers[0].image_update: expected \"off\" or \"registry\", got \"always\"" },
        { PODC(CT("'image_update':true")), "containers[0].image_update: expected a string, got a boolean" },
        { PODC("{'name':'app','image':'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',"
               "'image_update':'registry'}"),
          "containers[0].image_update: \"registry\" requires an image reference with a tag, not a digest only" },
        { PODC("{'name':'app','image':{'rootfs':'/srv/root'},'image_update':'registry'}"),
          "containers[0].image_update: \"registry\" requires an image reference, not a rootfs" },
        /* errors deeper in a later container are found too */
        { PODC(APP ",{'name':'b','image':'busybox','limits':{'cpu':[1000,1]}}"),
          "containers[1].limits.cpu[1]: period 1 out of range 1000..1000000" },
};

START_TEST(test_invalid) {
        _cleanup_free_ char *spec = json(invalid[_i].spec);
        _cleanup_free_ char *error = NULL;
        Pod *pod = NULL;
        int r;

        r = pod_parse(spec, strlen(spec), &pod, &error);
        ck_assert_msg(r == -EINVAL, "case %d (%s): r=%d", _i, invalid[_i].spec, r);
        ck_assert_ptr_null(pod);
        ck_assert_ptr_nonnull(error);
        ck_assert_str_eq(error, invalid[_i].error);
}
END_TEST

static void assert_refused(const char *spec, size_t len, const char *expected) {
        _cleanup_free_ char *error = NULL;
        Pod *pod = NULL;

        ck_assert_int_eq(pod_parse(spec, len, &pod, &error), -EINVAL);
        ck_assert_ptr_null(pod);
        ck_assert_str_eq(error, expected);
}

START_TEST(test_nul_byte) {
        static const char spec[] = "{\"name\":\"web\0\"}";
        assert_refused(spec, sizeof(spec) - 1, "$: NUL byte at offset 12");
}
END_TEST

START_TEST(test_too_large) {
        size_t n = POD_JSON_MAX + 1;
        _cleanup_free_ char *big = malloc(n);

        ck_assert_ptr_nonnull(big);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        assert_refused(big, n, "$: document larger than 1048576 bytes");
}
END_TEST

START_TEST(test_deep_nesting_huge) {
        /* Far deeper than the cap: refused without building the tree. */
        size_t n = 200000;
        _cleanup_free_ char *deep = malloc(n);

        ck_assert_ptr_nonnull(deep);
        memset(deep, '[', n);
        assert_refused(deep, n, "$: nesting deeper than 32 levels");
}
END_TEST

START_TEST(test_hostile_key_is_cut) {
        _cleanup_free_ char *spec = NULL, *error = NULL, *expected = NULL;
        char key[201];
        Pod *pod = NULL;

        memset(key, 'k', 200);
        key[200] = 0;
        ck_assert_int_ge(asprintf(&spec, "{\"%s\":1}", key), 0);
        ck_assert_int_ge(asprintf(&expected, "$: unknown field \"%.64s\"...", key), 0);
        ck_assert_int_eq(pod_parse(spec, strlen(spec), &pod, &error), -EINVAL);
        ck_assert_str_eq(error, expected);
}
END_TEST

START_TEST(test_null_error_pointer) {
        Pod *pod = NULL;
        ck_assert_int_eq(pod_parse("[]", 2, &pod, NULL), -EINVAL);
        ck_assert_ptr_null(pod);
}
END_TEST

/* head, then n elements pre<i>post separated by commas, then tail. */
static char *repeat(const char *head, const char *pre, const char *post, size_t n, const char *tail) {
        size_t cap = strlen(head) + strlen(tail) + n * (strlen(pre) + strlen(post) + 24) + 1;
        char *s = malloc(cap), *p;

        ck_assert_ptr_nonnull(s);
        p = stpcpy(s, head);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s%zu%s", i ? "," : "", pre, i, post);
        strcpy(p, tail);
        return s;
}

START_TEST(test_counts_capped) {
        static const struct {
                const char *head, *pre, *post, *tail;
                size_t ok;
                const char *error;
        } t[] = {
                { "{\"name\":\"p\",\"containers\":[", "{\"name\":\"c", "\",\"image\":\"a\"}", "]}",
                  POD_CONTAINERS_MAX, "containers: too many containers (at most 128)" },
                { "{\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"a\"}],\"volumes\":[",
                  "{\"name\":\"v", "\"}", "]}", POD_VOLUMES_MAX, "volumes: too many volumes (at most 256)" },
                { "{\"name\":\"p\",\"volumes\":[{\"name\":\"v\"}],\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"mounts\":[",
                  "{\"volume\":\"v\",\"path\":\"/m", "\"}", "]}]}", POD_MOUNTS_MAX,
                  "containers[0].mounts: too many mounts (at most 256)" },
                { "{\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"a\"}],\"network\":{\"nics\":[",
                  "{\"name\":\"eth", "\",\"ip\":\"10.0.0.1/8\"}", "]}}", POD_NICS_MAX,
                  "network.nics: too many NICs (at most 16)" },
                { "{\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"a\"}],\"network\":{\"nics\":[{\"name\":\"e\",\"ip\":\"10.0.0.1/8\"}],\"dns\":[",
                  "\"10.0.0.", "\"", "]}}", POD_DNS_MAX, "network.dns: too many DNS servers (at most 8)" },
                { "{\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"probes\":{\"startup\":{\"exec\":[",
                  "\"a", "\"", "]}}}]}", PROBE_EXEC_ARGS_MAX,
                  "containers[0].probes.startup.exec: too many arguments (at most 256)" },
                { "{\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"a\",\"probes\":{\"readiness\":{\"http\":"
                  "{\"port\":80,\"headers\":{", "\"H", "\":\"v\"", "}}}}}]}", PROBE_HEADERS_MAX,
                  "containers[0].probes.readiness.http.headers: too many headers (at most 32)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *ok = repeat(t[i].head, t[i].pre, t[i].post, t[i].ok, t[i].tail);
                _cleanup_free_ char *bad = repeat(t[i].head, t[i].pre, t[i].post, t[i].ok + 1, t[i].tail);
                _cleanup_free_ char *error = NULL;
                Pod *pod = NULL;

                ck_assert_msg(pod_parse(ok, strlen(ok), &pod, &error) == 0, "%s", strempty(error));
                pod = pod_free(pod);
                assert_refused(bad, strlen(bad), t[i].error);
        }
}
END_TEST

START_TEST(test_many_capped) {
        _cleanup_free_ char *bad = repeat("[", "{\"name\":\"p", "\",\"containers\":[{\"name\":\"a\",\"image\":\"a\"}]}",
                                          POD_MANY_MAX + 1, "]");
        _cleanup_free_ char *error = NULL;
        Pod **pods = NULL;
        size_t n;

        ck_assert_int_eq(pod_parse_many(bad, strlen(bad), &pods, &n, &error), -EINVAL);
        ck_assert_str_eq(error, "$: too many pods (at most 1024)");
}
END_TEST

/* Arrays of pods (tankctl apply): paths are prefixed with the element. */
static const struct {
        const char *spec;
        const char *error;
} invalid_many[] = {
        { "[]", "$: no pods in the array" },
        { "'web'", "$: expected an object or an array, got a string" },
        { "[" PODC(APP) ",1]", "[1]: expected an object, got a number" },
        { "[" PODC(APP) "," PODC(APP) "]", "[1].name: duplicate pod name \"web\"" },
        { "[" PODC(APP) ",{'name':'x'}]", "[1]: missing field \"containers\"" },
        { "[" PODC("{'name':'app','image':'nginx:'}") "]",
          "[0].containers[0].image: invalid image reference \"nginx:\": invalid tag" },
        { "{'name':'x'}", "$: missing field \"containers\"" },
        { "[" PODC(APP), "$: truncated JSON (unexpected end of input)" },
};

START_TEST(test_invalid_many) {
        _cleanup_free_ char *spec = json(invalid_many[_i].spec);
        _cleanup_free_ char *error = NULL;
        Pod **pods = NULL;
        size_t n = 0;

        ck_assert_int_eq(pod_parse_many(spec, strlen(spec), &pods, &n, &error), -EINVAL);
        ck_assert_ptr_null(pods);
        ck_assert_str_eq(error, invalid_many[_i].error);
}
END_TEST

static Suite *spec_suite(void) {
        Suite *s = suite_create("spec-invalid");
        TCase *tc = tcase_create("invalid");

        tcase_add_loop_test(tc, test_invalid, 0, ELEMENTSOF(invalid));
        tcase_add_loop_test(tc, test_invalid_many, 0, ELEMENTSOF(invalid_many));
        tcase_add_test(tc, test_nul_byte);
        tcase_add_test(tc, test_too_large);
        tcase_add_test(tc, test_deep_nesting_huge);
        tcase_add_test(tc, test_hostile_key_is_cut);
        tcase_add_test(tc, test_null_error_pointer);
        tcase_add_test(tc, test_counts_capped);
        tcase_add_test(tc, test_many_capped);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(spec_suite());
}
