/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Kubernetes front end: quantities, the mapping, strict refusals with their
 * paths, --ignore-unsupported's warnings, hostile YAML, and the round trip
 * through kube_serialize() for every manifest in tests/kube/. */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>

#include "check-run.h"
#include "spec/kube.h"
#include "spec/pod.h"
#include "strv.h"

#define MAX_LEN (16 * 1024 * 1024)

START_TEST(test_quantity) {
        static const struct {
                const char *s;
                unsigned scale;
                int r;
                uint64_t v;
        } t[] = {
                { "128Mi", 0, 0, 134217728 }, { "1Ki", 0, 0, 1024 }, { "1.5Gi", 0, 0, 1610612736 },
                { "129M", 0, 0, 129000000 }, { "1k", 0, 0, 1000 }, { "1e3", 0, 0, 1000 }, { "128e6", 0, 0, 128000000 },
                { "1E3", 0, 0, 1000 }, { "0.125Gi", 0, 0, 134217728 }, { "2Ei", 0, 0, 2305843009213693952ULL },
                { "1T", 0, 0, 1000000000000ULL }, { "1P", 0, 0, 1000000000000000ULL }, { "007", 0, 0, 7 },
                { "+5", 0, 0, 5 }, { "1000m", 0, 0, 1 }, { "1.000", 0, 0, 1 },
                { "0.5", 0, -EDOM, 0 }, { "100m", 0, -EDOM, 0 }, { "1.5", 0, -EDOM, 0 }, { "1e-1", 0, -EDOM, 0 },
                { "0.0001Ki", 0, -EDOM, 0 }, { "8Ei", 0, -ERANGE, 0 }, { "10E", 0, -ERANGE, 0 },
                { "9223372036854775808", 0, -ERANGE, 0 }, { "9223372036854775807", 0, 0, 9223372036854775807ULL },
                { "0", 0, -ERANGE, 0 }, { "-1", 0, -ERANGE, 0 }, { "0Mi", 0, -ERANGE, 0 },
                { "", 0, -EINVAL, 0 }, { "Mi", 0, -EINVAL, 0 }, { "1mi", 0, -EINVAL, 0 }, { "1 Mi", 0, -EINVAL, 0 },
                { "1KiB", 0, -EINVAL, 0 }, { "1e", 0, -EINVAL, 0 }, { "1e3Mi", 0, -EINVAL, 0 }, { "0x10", 0, -EINVAL, 0 },
                { "1e99", 0, -ERANGE, 0 }, { "1e-99", 0, -EDOM, 0 }, { ".", 0, -EINVAL, 0 },
                { "1111111111111111111111111111111", 0, -ERANGE, 0 },
                /* cpu: millicores */
                { "500m", 3, 0, 500 }, { "0.5", 3, 0, 500 }, { "1", 3, 0, 1000 }, { "1.5", 3, 0, 1500 },
                { "2", 3, 0, 2000 }, { "1m", 3, 0, 1 }, { "0.0001", 3, -EDOM, 0 }, { "100u", 3, -EDOM, 0 },
                { "1000000u", 3, 0, 1000 }, { "1e-3", 3, 0, 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                uint64_t v = 0;
                int r = kube_quantity_parse(t[i].s, t[i].scale, &v);
                ck_assert_msg(r == t[i].r, "%s: got %d, want %d", t[i].s, r, t[i].r);
                if (r == 0)
                        ck_assert_msg(v == t[i].v, "%s: got %" PRIu64 ", want %" PRIu64, t[i].s, v, t[i].v);
        }
}
END_TEST

static int parse(const char *yaml, bool ignore, Pod ***pods, size_t *n, char ***warnings, char **error) {
        return kube_parse_many(yaml, strlen(yaml), MAX_LEN, ignore, pods, n, warnings, error);
}

static char *tank_json(const char *yaml) {
        _cleanup_free_ char *error = NULL;
        Pod **pods = NULL;
        size_t n = 0;
        char *json = NULL;

        ck_assert_msg(parse(yaml, false, &pods, &n, NULL, &error) == 0, "%s", strna(error));
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(pod_serialize(pods[0], &json), 0);
        pod_array_free(pods, n);
        return json;
}

#define DNS_LABEL "must be a lowercase DNS label (1-63 characters of a-z, 0-9 and '-', not starting or ending with '-')"
#define NORMALIZED "must be a normalized path (no \".\", \"..\" or empty components, no trailing \"/\")"
#define HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
#define SPEC(x) HEAD "spec:\n" x
#define C0(x) SPEC("  containers:\n  - name: app\n    image: busybox\n" x)

START_TEST(test_mapping) {
        static const struct {
                const char *yaml, *json;
        } t[] = {
                { C0(""),
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"containers\":[{\"name\":"
                  "\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[],\"limits\":{},"
                  "\"tty\":false}]}" },
                { SPEC("  restartPolicy: Never\n  hostNetwork: true\n  containers: [{name: app, image: busybox, "
                       "command: [a], args: ['1', b], workingDir: /srv, tty: true, env: [{name: A, value: x}, {name: B}],"
                       " resources: {limits: {memory: 1Gi, cpu: 250m}}}]\n"),
                  "{\"name\":\"web\",\"restart\":\"never\",\"network\":\"host\",\"volumes\":[],\"containers\":[{\"name\":"
                  "\"app\",\"image\":\"docker.io/library/busybox:latest\",\"command\":[\"a\"],\"args\":[\"1\",\"b\"],"
                  "\"env\":{\"A\":\"x\",\"B\":\"\"},\"working_dir\":\"/srv\",\"mounts\":[],\"limits\":{\"memory\":"
                  "1073741824,\"cpu\":[25000,100000]},\"tty\":true}]}" },
                { HEAD "  annotations:\n    tank.io/network: '{\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.5/24\"}],"
                  " \"dns\": [\"192.0.2.1\"]}'\n    tank.io/container.app: '{\"limits\": {\"pids\": 9, \"cpu\": [3000, 10000]}}'\n"
                  "spec:\n  restartPolicy: OnFailure\n  volumes:\n  - name: v\n    persistentVolumeClaim: {claimName: state}\n"
                  "  - {name: h, hostPath: {path: /etc}}\n"
                  "  containers:\n  - name: app\n    image: busybox\n    volumeMounts:\n    - {name: v, mountPath: /a}\n"
                  "    - {name: h, mountPath: /b, readOnly: true}\n",
                  "{\"name\":\"web\",\"restart\":\"on_failure\",\"network\":{\"nics\":[{\"name\":\"eth0\",\"parent\":\"auto\","
                  "\"ip\":\"192.0.2.5/24\"}],\"dns\":[\"192.0.2.1\"]},\"volumes\":[{\"name\":\"state\"},{\"name\":\"h\","
                  "\"source\":{\"host\":\"/etc\"}}],\"containers\":[{\"name\":\"app\",\"image\":"
                  "\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[{\"volume\":\"state\",\"path\":\"/a\","
                  "\"read_only\":false},{\"volume\":\"h\",\"path\":\"/b\",\"read_only\":true}],\"limits\":{\"pids\":9,"
                  "\"cpu\":[3000,10000]},\"tty\":false}]}" },
                { HEAD "  annotations:\n    tank.io/container.app: '{\"notify\": true, \"watchdog_sec\": 30}'\nspec:\n"
                  "  containers:\n  - name: app\n    image: busybox\n"
                  "    startupProbe: {exec: {command: [/bin/check]}, periodSeconds: 2, failureThreshold: 30}\n"
                  "    livenessProbe:\n      httpGet: {path: /healthz, port: 8080, host: 192.0.2.1, scheme: HTTPS,"
                  " httpHeaders: [{name: X-B, value: '1'}, {name: Accept, value: '*/*'}]}\n"
                  "      periodSeconds: 0\n      timeoutSeconds: 0\n      successThreshold: 0\n      failureThreshold: 0\n"
                  "    readinessProbe: {tcpSocket: {port: 5432}, initialDelaySeconds: 5, successThreshold: 2}\n",
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"containers\":[{\"name\":"
                  "\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[],\"limits\":{},"
                  "\"tty\":false,\"probes\":{\"startup\":{\"exec\":[\"/bin/check\"],\"initial_delay\":0,\"period\":2,"
                  "\"timeout\":1,\"success_threshold\":1,\"failure_threshold\":30},\"liveness\":{\"http\":{\"port\":8080,"
                  "\"path\":\"/healthz\",\"scheme\":\"https\",\"host\":\"192.0.2.1\",\"headers\":{\"X-B\":\"1\","
                  "\"Accept\":\"*/*\"}},\"initial_delay\":0,\"period\":10,\"timeout\":1,\"success_threshold\":1,"
                  "\"failure_threshold\":3},\"readiness\":{\"tcp\":{\"port\":5432},\"initial_delay\":5,\"period\":10,"
                  "\"timeout\":1,\"success_threshold\":2,\"failure_threshold\":3}},\"notify\":true,\"watchdog_sec\":30}]}" },
                { SPEC("  hostUsers: false\n  containers: [{name: app, image: busybox}]\n"),
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"user_namespace\":"
                  "\"auto\",\"containers\":[{\"name\":\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},"
                  "\"mounts\":[],\"limits\":{},\"tty\":false}]}" },
                { SPEC("  hostUsers: true\n  containers: [{name: app, image: busybox}]\n"),
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"user_namespace\":"
                  "\"host\",\"containers\":[{\"name\":\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},"
                  "\"mounts\":[],\"limits\":{},\"tty\":false}]}" },
                { SPEC("  hostUsers: null\n  containers: [{name: app, image: busybox}]\n"),
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[],\"containers\":[{\"name\":"
                  "\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[],\"limits\":{},"
                  "\"tty\":false}]}" },
                { SPEC("  volumes:\n  - {name: cache, emptyDir: {}}\n  - {name: disk, emptyDir: {medium: ''}}\n"
                       "  containers:\n  - name: app\n    image: busybox\n    volumeMounts: [{name: cache, mountPath: /c},"
                       " {name: disk, mountPath: /d}]\n"),
                  "{\"name\":\"web\",\"restart\":\"always\",\"network\":\"none\",\"volumes\":[{\"name\":\"cache\","
                  "\"source\":{\"empty\":{}}},{\"name\":\"disk\",\"source\":{\"empty\":{}}}],\"containers\":[{\"name\":"
                  "\"app\",\"image\":\"docker.io/library/busybox:latest\",\"env\":{},\"mounts\":[{\"volume\":\"cache\","
                  "\"path\":\"/c\",\"read_only\":false},{\"volume\":\"disk\",\"path\":\"/d\",\"read_only\":false}],"
                  "\"limits\":{},\"tty\":false}]}" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *json = tank_json(t[i].yaml);
                ck_assert_str_eq(json, t[i].json);
        }
}
END_TEST

/* Every field users commonly write that Tank does not support, refused with
 * its exact path (first of the document), then the same with ignore_unsupported. */
static const struct {
        const char *yaml, *error;
} refused[] = {
        { C0("    ports:\n    - containerPort: 80\n      hostPort: 8080\n"),
          "document 1: spec.containers[0].ports[0].hostPort: not supported by Tank (line 11, column 7)" },
        { C0("    securityContext:\n      privileged: true\n"),
          "document 1: spec.containers[0].securityContext.privileged: not supported by Tank (line 10, column 7)" },
        { C0("    securityContext:\n      runAsUser: 1000\n"),
          "document 1: spec.containers[0].securityContext.runAsUser: not supported by Tank (line 10, column 7)" },
        { SPEC("  securityContext:\n    fsGroup: 2000\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.securityContext.fsGroup: not supported by Tank (line 7, column 5)" },
        { SPEC("  imagePullSecrets:\n  - name: regcred\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.imagePullSecrets: not supported by Tank (line 6, column 3)" },
        { SPEC("  nodeSelector:\n    disktype: ssd\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.nodeSelector: not supported by Tank (line 6, column 3)" },
        { SPEC("  affinity: {}\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.affinity: not supported by Tank (line 6, column 3)" },
        { SPEC("  tolerations: [{key: a, operator: Exists}]\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.tolerations: not supported by Tank (line 6, column 3)" },
        { SPEC("  initContainers: [{name: i, image: busybox}]\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.initContainers: not supported by Tank (line 6, column 3)" },
        { SPEC("  serviceAccountName: build\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.serviceAccountName: not supported by Tank (line 6, column 3)" },
        { SPEC("  terminationGracePeriodSeconds: 5\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.terminationGracePeriodSeconds: not supported by Tank (line 6, column 3)" },
        { SPEC("  dnsPolicy: ClusterFirst\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.dnsPolicy: not supported by Tank (line 6, column 3)" },
        { C0("    env:\n    - name: A\n      valueFrom: {secretKeyRef: {name: s, key: k}}\n"),
          "document 1: spec.containers[0].env[0].valueFrom: not supported by Tank (line 11, column 7)" },
        { C0("    envFrom: [{configMapRef: {name: c}}]\n"),
          "document 1: spec.containers[0].envFrom: not supported by Tank (line 9, column 5)" },
        { C0("    lifecycle:\n      postStart: {exec: {command: [true]}}\n"),
          "document 1: spec.containers[0].lifecycle.postStart: not supported by Tank (line 10, column 7)" },
        { C0("    lifecycle:\n      preStop: {exec: {command: [true]}}\n"),
          "document 1: spec.containers[0].lifecycle.preStop: not supported by Tank (line 10, column 7)" },
        { C0("    livenessProbe: {grpc: {port: 80}}\n"),
          "document 1: spec.containers[0].livenessProbe.grpc: not supported by Tank (line 9, column 21)" },
        { C0("    readinessProbe: {tcpSocket: {port: 80}, terminationGracePeriodSeconds: 5}\n"),
          "document 1: spec.containers[0].readinessProbe.terminationGracePeriodSeconds: not supported by Tank "
          "(line 9, column 45)" },
        { C0("    startupProbe: {tcpSocket: {port: 80, host: db}}\n"),
          "document 1: spec.containers[0].startupProbe.tcpSocket.host: not supported by Tank (line 9, column 42)" },
        { C0("    resources:\n      requests: {memory: 64Mi}\n"),
          "document 1: spec.containers[0].resources.requests: not supported by Tank (line 10, column 7)" },
        { C0("    resources:\n      limits: {ephemeral-storage: 1Gi}\n"),
          "document 1: spec.containers[0].resources.limits.ephemeral-storage: not supported by Tank (line 10, column 16)" },
        { C0("    imagePullPolicy: Always\n"),
          "document 1: spec.containers[0].imagePullPolicy: not supported by Tank (line 9, column 5)" },
        { C0("    stdin: true\n"),
          "document 1: spec.containers[0].stdin: not supported by Tank (line 9, column 5)" },
        { C0("    volumeMounts: [{name: v, mountPath: /v, subPath: x}]\n  volumes: [{name: v, hostPath: {path: /v}}]\n"),
          "document 1: spec.containers[0].volumeMounts[0].subPath: not supported by Tank (line 9, column 45)" },
        { C0("  volumes: [{name: v, configMap: {name: c}}]\n"),
          "document 1: spec.volumes[0].configMap: not supported by Tank (line 9, column 23)" },
        { C0("  volumes: [{name: v, secret: {secretName: c}}]\n"),
          "document 1: spec.volumes[0].secret: not supported by Tank (line 9, column 23)" },
        { C0("  volumes: [{name: v, emptyDir: {medium: Memory}}]\n"),
          "document 1: spec.volumes[0].emptyDir.medium: not supported by Tank (line 9, column 34)" },
        { C0("  volumes: [{name: v, emptyDir: {sizeLimit: 1Gi}}]\n"),
          "document 1: spec.volumes[0].emptyDir.sizeLimit: not supported by Tank (line 9, column 34)" },
        { C0("  volumes: [{name: v, hostPath: {path: /v, type: Directory}}]\n"),
          "document 1: spec.volumes[0].hostPath.type: not supported by Tank (line 9, column 44)" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.labels: not supported by Tank (line 5, column 3)" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.namespace: not supported by Tank (line 5, column 3)" },
};

/* Refusals that --ignore-unsupported does not turn into warnings. */
static const struct {
        const char *yaml, *error;
} invalid[] = {
        { C0("    imagee: x\n"), "document 1: spec.containers[0]: unknown field \"imagee\" (line 9, column 5)" },
        { SPEC("  hostUsers: \"false\"\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.hostUsers: expected a boolean (true or false), got a string (line 6, column 14)" },
        { C0("  volumes: [{name: v, emptyDir: {}, hostPath: {path: /v}}]\n"),
          "document 1: spec.volumes[0]: more than one volume source (line 9, column 13)" },
        { C0("  volumes: [{name: v, emptyDir: {size: 1}}]\n"),
          "document 1: spec.volumes[0].emptyDir: unknown field \"size\" (line 9, column 34)" },
        { C0("  volumes: [{name: v, emptyDir: []}]\n"),
          "document 1: spec.volumes[0].emptyDir: expected a mapping, got a sequence (line 9, column 33)" },
        { "apiVersion: v1\nkind: Deployment\n", "document 1: kind: unknown kind \"Deployment\" (Tank reads Pod and List) "
          "(line 2, column 7)" },
        { "apiVersion: apps/v1\nkind: Pod\n", "document 1: apiVersion: unknown apiVersion \"apps/v1\" (Tank reads v1) "
          "(line 1, column 13)" },
        { "kind: Pod\n", "document 1: $: missing field \"apiVersion\" (line 1, column 1)" },
        { C0("---\n" HEAD "spec:\n  containers:\n  - name: app\n    image: busybox\n    ports:\n    - hostPort: 1\n"),
          "document 2: spec.containers[0].ports[0].hostPort: not supported by Tank (line 19, column 7)" },
        { "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n"
          "    containers: [{name: app, image: busybox, tty: yes}]\n",
          "document 1: items[0].spec.containers[0].tty: expected a boolean (true or false), got a string (line 8, "
          "column 51)" },
        { "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n",
          "document 1: items[0].kind: unknown kind \"Service\" (Tank reads Pod) (line 5, column 9)" },
        { SPEC("  restartPolicy: Sometimes\n  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.restartPolicy: must be Always, OnFailure or Never (line 6, column 18)" },
        { C0("    command: [sleep, 3600]\n"),
          "document 1: spec.containers[0].command[1]: expected a string, got a number (quote it) (line 9, column 22)" },
        { C0("    ports: [{containerPort: 0}]\n"),
          "document 1: spec.containers[0].ports[0].containerPort: must be a port number (1-65535) (line 9, column 29)" },
        { C0("    ports: [{containerPort: \"80\"}]\n"),
          "document 1: spec.containers[0].ports[0].containerPort: must be a port number (1-65535) (line 9, column 29)" },
        { C0("    ports: [{containerPort: 80, protocol: tcp}]\n"),
          "document 1: spec.containers[0].ports[0].protocol: must be TCP, UDP or SCTP (line 9, column 43)" },
        { C0("    ports: [{name: http}]\n"),
          "document 1: spec.containers[0].ports[0]: missing field \"containerPort\" (line 9, column 13)" },
        { C0("    livenessProbe: {httpGet: {port: http}}\n"),
          "document 1: spec.containers[0].livenessProbe.httpGet.port: a named port is not supported by Tank (give the "
          "number) (line 9, column 37)" },
        { C0("    readinessProbe: {tcpSocket: {port: \"5432\"}}\n"),
          "document 1: spec.containers[0].readinessProbe.tcpSocket.port: a named port is not supported by Tank (give "
          "the number) (line 9, column 40)" },
        { C0("    livenessProbe: {httpGet: {path: /}}\n"),
          "document 1: spec.containers[0].livenessProbe.httpGet: missing field \"port\" (line 9, column 30)" },
        { C0("    livenessProbe: {exec: {command: [a]}, tcpSocket: {port: 1}}\n"),
          "document 1: spec.containers[0].livenessProbe: more than one of exec, httpGet and tcpSocket (line 9, "
          "column 20)" },
        { C0("    livenessProbe: {periodSeconds: 5}\n"),
          "document 1: spec.containers[0].livenessProbe: needs one of exec, httpGet and tcpSocket (line 9, column 20)" },
        { C0("    livenessProbe: {exec: {}}\n"),
          "document 1: spec.containers[0].livenessProbe.exec: missing field \"command\" (line 9, column 27)" },
        { C0("    livenessProbe: {httpGet: {port: 80, scheme: https}}\n"),
          "document 1: spec.containers[0].livenessProbe.httpGet.scheme: must be HTTP or HTTPS (line 9, column 49)" },
        { C0("    livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: A}]}}\n"),
          "document 1: spec.containers[0].livenessProbe.httpGet.httpHeaders[0]: missing field \"value\" (line 9, "
          "column 55)" },
        { C0("    livenessProbe: {tcpSocket: {port: 80}, periodSeconds: \"5\"}\n"),
          "document 1: spec.containers[0].livenessProbe.periodSeconds: expected an integer, got a string (line 9, "
          "column 59)" },
        { C0("    livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 0x10}\n"),
          "document 1: spec.containers[0].livenessProbe.periodSeconds: expected a decimal integer (line 9, "
          "column 59)" },
        { C0("    livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2}\n"),
          "document 1: spec.containers[0].livenessProbe.successThreshold: must be 1 for a liveness probe (line 9, "
          "column 62)" },
        { C0("    livenessProbe: {tcpSocket: {port: 70000}}\n"),
          "document 1: spec.containers[0].livenessProbe.tcpSocket.port: 70000 out of range 1..65535 (line 9, column 39)" },
        { HEAD "  annotations:\n    tank.io/container.app: '{\"watchdog_sec\": 5}'\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/container.app: watchdog_sec: requires \"notify\": true (line 6, "
          "column 28)" },
        { HEAD "  annotations:\n    tank.io/container.app: '{\"notify\": 1}'\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/container.app: notify: expected a boolean, got a number (line 6, "
          "column 28)" },
        { HEAD "  annotations:\n    tank.io/container.app: '{\"probes\": {}}'\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/container.app: unknown field \"probes\" (only \"limits\", "
          "\"notify\", \"watchdog_sec\" and \"image_update\") (line 6, column 28)" },
        { C0("    resources: {limits: {memory: 0.5}}\n"),
          "document 1: spec.containers[0].resources.limits.memory: not a whole number of bytes (line 9, column 34)" },
        { C0("    resources: {limits: {memory: 100m}}\n"),
          "document 1: spec.containers[0].resources.limits.memory: not a whole number of bytes (line 9, column 34)" },
        { C0("    resources: {limits: {memory: 16Ei}}\n"),
          "document 1: spec.containers[0].resources.limits.memory: out of range (1 bytes up to 2^63-1) (line 9, "
          "column 34)" },
        { C0("    resources: {limits: {cpu: 0.0001}}\n"),
          "document 1: spec.containers[0].resources.limits.cpu: not a whole number of millicores (line 9, column 31)" },
        { C0("    resources: {limits: {memory: lots}}\n"),
          "document 1: spec.containers[0].resources.limits.memory: not a Kubernetes quantity (like 512Mi, 1G, 500m, "
          "1e3): \"lots\" (line 9, column 34)" },
        { C0("    volumeMounts: [{name: nope, mountPath: /x}]\n"),
          "document 1: spec.containers[0].volumeMounts[0].name: no volume \"nope\" in spec.volumes (line 9, column 27)" },
        { C0("    env: [{name: A, value: x}, {name: A, value: y}]\n"),
          "document 1: spec.containers[0].env[1].name: duplicate variable (also env[0]) (line 9, column 39)" },
        { "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web\nspec:\n  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.name: must be a lowercase DNS label (1-63 characters of a-z, 0-9 and '-', not "
          "starting or ending with '-') (line 4, column 9)" },
        { HEAD "  annotations:\n    tank.io/nets: '{}'\nspec:\n  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/nets: unknown Tank annotation (tank.io/network, "
          "tank.io/rollout, tank.io/placement, tank.io/reschedule, tank.io/container.NAME) (line 6, column 5)" },
        { HEAD "  annotations:\n    tank.io/network: '{\"nics\": '\nspec:\n  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/network: not a Tank JSON fragment: truncated JSON (unexpected end "
          "of input) (line 6, column 22)" },
        { HEAD "  annotations:\n    tank.io/network: '{\"nics\": [{\"name\": \"eth0\", \"ip\": \"192.0.2.300/24\"}]}'\n"
          "spec:\n  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/network: nics[0].ip: must be an IPv4 address with a prefix length "
          "(a.b.c.d/n), got \"192.0.2.300/24\" (line 6, column 22)" },
        { HEAD "  annotations:\n    tank.io/container.db: '{\"limits\": {\"pids\": 5}}'\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations: no container \"db\" in this pod (line 6, column 5)" },
};

/* Faults that only Tank's validator finds, after the translation, named in
 * the YAML's own terms with the node's line and column; ignore: the same
 * under --ignore-unsupported, where dropped volumes and mounts shift the
 * Tank indexes away from the YAML's. */
static const struct {
        const char *yaml, *error;
        bool ignore;
} tank_refusals[] = {
        { C0("  - name: app\n    image: busybox\n"),
          "document 1: spec.containers[1].name: duplicate container name \"app\" (line 9, column 11)" },
        { SPEC("  containers:\n  - name: App\n    image: busybox\n"),
          "document 1: spec.containers[0].name: " DNS_LABEL " (line 7, column 11)" },
        { SPEC("  containers:\n  - name: app\n    image: 'UPPER/x:!'\n"),
          "document 1: spec.containers[0].image: invalid image reference \"UPPER/x:!\": invalid tag (line 8, column 12)" },
        { C0("    workingDir: srv\n"),
          "document 1: spec.containers[0].workingDir: must be an absolute path (line 9, column 17)" },
        { C0("    env: [{name: 'A=B', value: x}]\n"),
          "document 1: spec.containers[0].env: invalid variable name \"A=B\" (must be non-empty, without '=' or control "
          "characters) (line 9, column 10)" },
        { C0("    volumeMounts: [{name: v, mountPath: rel}]\n  volumes: [{name: v, emptyDir: {}}]\n"),
          "document 1: spec.containers[0].volumeMounts[0].mountPath: must be an absolute path (line 9, column 41)" },
        { C0("  volumes: [{name: Data, emptyDir: {}}]\n"),
          "document 1: spec.volumes[0].name: " DNS_LABEL " (line 9, column 20)" },
        { C0("  volumes: [{name: a, emptyDir: {}}, {name: a, hostPath: {path: /x}}]\n"),
          "document 1: spec.volumes[1].name: duplicate volume name \"a\" (line 9, column 45)" },
        { C0("  volumes: [{name: a, hostPath: {path: etc}}]\n"),
          "document 1: spec.volumes[0].hostPath.path: must be an absolute path (line 9, column 40)" },
        { C0("  volumes: [{name: a, persistentVolumeClaim: {claimName: Bad_Claim}}]\n"),
          "document 1: spec.volumes[0].persistentVolumeClaim.claimName: " DNS_LABEL " (line 9, column 58)" },
        { C0("    resources: {limits: {cpu: 2000000}}\n"),
          "document 1: spec.containers[0].resources.limits.cpu: quota 200000000000 out of range 1000..1000000000 "
          "(line 9, column 31)" },
        { C0("    livenessProbe: {httpGet: {port: 80, path: 'no-slash'}}\n"),
          "document 1: spec.containers[0].livenessProbe.httpGet.path: must start with \"/\", got \"no-slash\" "
          "(line 9, column 47)" },
        { C0("    livenessProbe: {exec: {command: []}}\n"),
          "document 1: spec.containers[0].livenessProbe.exec.command: must not be empty (line 9, column 27)" },
        { HEAD "  annotations:\n    tank.io/container.app: '{\"limits\": {\"pids\": 0}}'\nspec:\n"
          "  containers: [{name: app, image: busybox, resources: {limits: {memory: 1Gi}}}]\n",
          "document 1: metadata.annotations.tank.io/container.app: limits.pids: must be positive (line 6, column 28)" },
        { HEAD "  annotations:\n    tank.io/container.app: '{\"limits\": {\"cpu\": [1, 100000]}}'\nspec:\n"
          "  containers: [{name: app, image: busybox}]\n",
          "document 1: metadata.annotations.tank.io/container.app: limits.cpu[0]: quota 1 out of range "
          "1000..1000000000 (line 6, column 28)" },
        /* the case: a later document, a List item */
        { SPEC("  containers: [{name: app, image: busybox}]\n") "---\napiVersion: v1\nkind: List\nitems:\n"
          "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: app, image: busybox}]\n"
          "- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers:\n    - name: web_server\n"
          "      image: busybox\n",
          "document 2: items[1].spec.containers[0].name: " DNS_LABEL " (line 21, column 13)" },
        { SPEC("  volumes: [{name: x, configMap: {name: c}}, {name: v, hostPath: {path: /a/}}]\n"
               "  containers: [{name: app, image: busybox}]\n"),
          "document 1: spec.volumes[1].hostPath.path: " NORMALIZED " (line 6, column 73)", true },
        { SPEC("  volumes: [{name: x, configMap: {name: c}}, {name: v, hostPath: {path: /a}}]\n"
               "  containers:\n  - name: app\n    image: busybox\n    volumeMounts: [{name: x, mountPath: /x}, "
               "{name: v, mountPath: /a}, {name: v, mountPath: /a}]\n"),
          "document 1: spec.containers[0].volumeMounts[2].mountPath: \"/a\" is already mounted by mounts[0] "
          "(line 10, column 93)", true },
};

START_TEST(test_tank_refusals) {
        for (size_t i = 0; i < ELEMENTSOF(tank_refusals); i++) {
                _cleanup_free_ char *error = NULL;
                _cleanup_strv_free_ char **warnings = NULL;
                Pod **pods = NULL;
                size_t n = 0;

                ck_assert_int_eq(parse(tank_refusals[i].yaml, tank_refusals[i].ignore, &pods, &n, &warnings, &error),
                                 -EINVAL);
                ck_assert_str_eq(error, tank_refusals[i].error);
        }
}
END_TEST

START_TEST(test_refused) {
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                _cleanup_free_ char *error = NULL;
                _cleanup_strv_free_ char **warnings = NULL;
                Pod **pods = NULL;
                size_t n = 0;

                ck_assert_int_eq(parse(refused[i].yaml, false, &pods, &n, NULL, &error), -EINVAL);
                ck_assert_str_eq(error, refused[i].error);

                /* ignored: the pod is there, and the one warning names the same field */
                error = mfree(error);
                ck_assert_msg(parse(refused[i].yaml, true, &pods, &n, &warnings, &error) == 0, "%s: %s",
                              refused[i].error, strna(error));
                ck_assert_int_eq(n, 1);
                ck_assert_int_eq(strv_length(warnings), 1);
                _cleanup_free_ char *want = strdup(refused[i].error);
                ck_assert_ptr_nonnull(want);
                *strstr(want, " (line") = 0;
                ck_assert_msg(startswith(warnings[0], want), "%s vs %s", warnings[0], want);
                ck_assert_ptr_nonnull(strstr(warnings[0], ", ignored (line"));
                pod_array_free(pods, n);
        }
}
END_TEST

START_TEST(test_invalid) {
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                for (int ignore = 0; ignore < (strstr(invalid[i].error, "not supported") ? 1 : 2); ignore++) {
                        _cleanup_free_ char *error = NULL;
                        Pod **pods = NULL;
                        size_t n = 0;

                        ck_assert_int_eq(parse(invalid[i].yaml, ignore, &pods, &n, NULL, &error), -EINVAL);
                        ck_assert_str_eq(error, invalid[i].error);
                }
}
END_TEST

START_TEST(test_ignore_all) {
        /* every ignored field is listed, in document order, and the pod applies without them */
        static const char yaml[] =
                SPEC("  nodeSelector: {a: b}\n  volumes:\n  - {name: cache, configMap: {name: c}}\n"
                     "  containers:\n  - name: app\n    image: busybox\n    securityContext: {privileged: true, "
                     "runAsUser: 0}\n    volumeMounts: [{name: cache, mountPath: /c}]\n");
        _cleanup_free_ char *error = NULL, *json = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        Pod **pods = NULL;
        size_t n = 0;

        ck_assert_msg(parse(yaml, true, &pods, &n, &warnings, &error) == 0, "%s", strna(error));
        ck_assert_int_eq(strv_length(warnings), 5);
        ck_assert_str_eq(warnings[0], "document 1: spec.nodeSelector: not supported by Tank, ignored (line 6, column 3)");
        ck_assert_str_eq(warnings[1],
                         "document 1: spec.volumes[0].configMap: not supported by Tank, ignored (line 8, column 19)");
        ck_assert_str_eq(warnings[2], "document 1: spec.containers[0].securityContext.privileged: not supported by "
                         "Tank, ignored (line 12, column 23)");
        ck_assert_str_eq(warnings[3], "document 1: spec.containers[0].securityContext.runAsUser: not supported by "
                         "Tank, ignored (line 12, column 41)");
        ck_assert_str_eq(warnings[4], "document 1: spec.containers[0].volumeMounts[0]: not supported by Tank, ignored "
                         "(line 13, column 20)");
        ck_assert_int_eq(pod_serialize(pods[0], &json), 0);
        ck_assert_ptr_nonnull(strstr(json, "\"volumes\":[]"));
        ck_assert_ptr_nonnull(strstr(json, "\"mounts\":[]"));
        pod_array_free(pods, n);
}
END_TEST

START_TEST(test_hostile) {
        static const struct {
                const char *yaml;
                size_t len;
                const char *error;
        } t[] = {
#define H(s, e) { s, sizeof(s) - 1, e }
                H("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                  "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
                  "more than 65536 nodes (aliases count as what they expand to)"),
                H("a: &a [*a]\n", "alias to an unknown anchor"),
                H("apiVersion: !!python/object:os.system v1\n", "tags (\"tag:yaml.org,2002:python/object:os.system\") "
                  "are not accepted"),
                H("apiVersion: !!str v1\n", "tags (\"tag:yaml.org,2002:str\") are not accepted"),
                H("a: !!map {}\n", "tags (\"tag:yaml.org,2002:map\") are not accepted"),
                H("%TAG ! tag:evil.example,2000:\n---\na: b\n", "%TAG directives are not accepted"),
                H("a: \xff\xfe\n", "invalid leading UTF-8 octet"),
                H("a: \xc3\n", "invalid trailing UTF-8 octet"),
                H("a: b\0c\n", "NUL byte in the text"),
                H("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
                  "nested deeper than 32 levels"),
                H("{a: 1, a: 2}\n", "duplicate key (first at line 1)"),
                H("? [a]\n: b\n", "mapping keys must be scalars"),
                H("a: [\n", "did not find expected node content while parsing a flow node"),
                H("\t- a\n", "found character that cannot start any token while scanning for the next token"),
#undef H
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *error = NULL;
                Pod **pods = NULL;
                size_t n = 0;

                ck_assert_int_eq(kube_parse_many(t[i].yaml, t[i].len, MAX_LEN, false, &pods, &n, NULL, &error),
                                 -EINVAL);
                ck_assert_msg(error && strstr(error, t[i].error), "%zu: %s: want %s", i, strna(error), t[i].error);
                ck_assert_msg(startswith(error, "document "), "%s", error);
        }

        /* a huge scalar, and a document above the cap */
        size_t big = 300 * 1024;
        _cleanup_free_ char *s = malloc(big + 16);
        ck_assert_ptr_nonnull(s);
        memcpy(s, "a: ", 3);
        memset(s + 3, 'x', big);
        strcpy(s + 3 + big, "\n");
        {
                _cleanup_free_ char *error = NULL;
                Pod **pods = NULL;
                size_t n = 0;
                ck_assert_int_eq(kube_parse_many(s, strlen(s), MAX_LEN, false, &pods, &n, NULL, &error), -EINVAL);
                ck_assert_str_eq(error, "document 1: line 1, column 4: scalar longer than 262144 bytes");
                error = mfree(error);
                ck_assert_int_eq(kube_parse_many(s, strlen(s), 1024, false, &pods, &n, NULL, &error), -EINVAL);
                ck_assert_str_eq(error, "document 1: line 1, column 1: document larger than 1024 bytes");
        }
}
END_TEST

START_TEST(test_counts) {
        /* pairwise checks stay cheap: counts are capped before them */
        _cleanup_free_ char *yaml = NULL, *error = NULL;
        size_t size = 0;
        Pod **pods = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&yaml, &size);

        ck_assert_ptr_nonnull(f);
        fputs(C0("    env:\n"), f);
        for (unsigned i = 0; i < 1025; i++)
                fprintf(f, "    - {name: V%u, value: x}\n", i);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(parse(yaml, false, &pods, &n, NULL, &error), -EINVAL);
        ck_assert_str_eq(error, "document 1: spec.containers[0].env: more than 1024 variables (line 10, column 5)");
}
END_TEST

static void round_trip(const char *what, Pod **pods, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *json = NULL, *yaml = NULL, *again = NULL, *error = NULL;
                char h1[SPEC_HASH_LEN + 1], h2[SPEC_HASH_LEN + 1];
                Pod **back = NULL;
                size_t m = 0;

                ck_assert_int_eq(pod_serialize(pods[i], &json), 0);
                ck_assert_int_eq(kube_serialize(pods[i], &yaml, &error), 0);
                ck_assert_msg(kube_parse_many(yaml, strlen(yaml), MAX_LEN, false, &back, &m, NULL, &error) == 0,
                              "%s: %s\n%s", what, strna(error), yaml);
                ck_assert_int_eq(m, 1);
                ck_assert_int_eq(pod_serialize(back[0], &again), 0);
                ck_assert_msg(streq(json, again), "%s:\n%s\n%s\n%s", what, json, yaml, again);
                ck_assert_int_eq(pod_hash(pods[i], h1), 0);
                ck_assert_int_eq(pod_hash(back[0], h2), 0);
                ck_assert_str_eq(h1, h2);
                pod_array_free(back, m);
        }
}

START_TEST(test_round_trip_manifests) {
        const char *srcdir = getenv("srcdir") ?: ".";
        _cleanup_free_ char *dir = NULL;
        unsigned seen = 0;
        DIR *d;

        ck_assert_int_ge(asprintf(&dir, "%s/tests/kube", srcdir), 0);
        d = opendir(dir);
        ck_assert_msg(d, "%s: %m", dir);
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *path = NULL, *text = NULL, *error = NULL;
                size_t len = 0;
                Pod **pods = NULL;
                size_t n = 0;
                FILE *f;

                if (strlen(de->d_name) < 5 || !streq(de->d_name + strlen(de->d_name) - 5, ".yaml"))
                        continue;
                ck_assert_int_ge(asprintf(&path, "%s/%s", dir, de->d_name), 0);
                f = fopen(path, "re");
                ck_assert_ptr_nonnull(f);
                ck_assert_int_ge(getdelim(&text, &len, 0, f), 0);
                fclose(f);
                ck_assert_msg(kube_parse_many(text, strlen(text), MAX_LEN, false, &pods, &n, NULL, &error) == 0,
                              "%s: %s", de->d_name, strna(error));
                round_trip(de->d_name, pods, n);
                pod_array_free(pods, n);
                seen++;
        }
        closedir(d);
        ck_assert_int_ge(seen, 5);
}
END_TEST

START_TEST(test_round_trip_tank_only) {
        /* what only annotations carry, and strings YAML would reinterpret */
        static const char json[] =
                "{\"name\":\"odd\",\"restart\":\"on_failure\",\"network\":{\"nics\":[{\"name\":\"eth0\",\"parent\":\"tlan0\","
                "\"ip\":\"192.0.2.9/24\",\"gateway\":\"192.0.2.1\"}],\"dns\":[\"192.0.2.1\"]},\"volumes\":[{\"name\":\"s\"},"
                "{\"name\":\"h\",\"source\":{\"host\":\"/srv/a b\"}},{\"name\":\"e\",\"source\":{\"empty\":{}}}],"
                "\"rollout\":{\"min_healthy_sec\":3,\"deadline_sec\":30,\"auto_revert\":false},"
                "\"placement\":{\"labels\":{\"disk\":\"ssd\",\"zone\":\"a\"}},\"containers\":[{\"name\":\"app\",\"image\":"
                "\"busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"command\":[],"
                "\"args\":[\"no\",\"8080\",\"null\",\"~\",\"- x\",\"a: b\",\"#c\",\"\\u0085\\u2028\\t\\\"\\\\\",\"\\u00e9\\ud83d\\ude00\"],"
                "\"env\":{\"YES\":\"true\",\"EMPTY\":\"\"},\"working_dir\":\"/\",\"mounts\":[{\"volume\":\"s\",\"path\":\"/s\","
                "\"read_only\":true},{\"volume\":\"h\",\"path\":\"/h\"},{\"volume\":\"e\",\"path\":\"/e\"}],\"limits\":{\"memory\":1000001,\"pids\":7,"
                "\"cpu\":[150001,100000]},\"tty\":true},{\"name\":\"b\",\"image\":\"busybox\",\"limits\":{\"cpu\":[5000,50000]}}]}";
        _cleanup_free_ char *error = NULL, *yaml = NULL;
        _cleanup_pod_free_ Pod *p = NULL;

        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s", strna(error));
        round_trip("tank-only", &p, 1);
        ck_assert_int_eq(kube_serialize(p, &yaml, &error), 0);
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/network"));
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/rollout"));
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/placement"));
        ck_assert_ptr_null(strstr(yaml, "tank.io/reschedule"));
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/container.app"));
        ck_assert_ptr_nonnull(strstr(yaml, "  - name: \"e\"\n    emptyDir: {}\n"));
}
END_TEST

START_TEST(test_round_trip_placement) {
        static const char json[] =
                "{\"name\":\"pin\",\"placement\":{\"node\":\"b\"},\"reschedule\":true,"
                "\"containers\":[{\"name\":\"app\",\"image\":\"busybox\"}]}";
        _cleanup_free_ char *error = NULL, *yaml = NULL;
        _cleanup_pod_free_ Pod *p = NULL;

        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s", strna(error));
        round_trip("placement", &p, 1);
        ck_assert_int_eq(kube_serialize(p, &yaml, &error), 0);
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/placement"));
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/reschedule"));
        ck_assert_str_eq(p->placement.node, "b");
        ck_assert(p->reschedule);
}
END_TEST

START_TEST(test_round_trip_probes) {
        static const char json[] =
                "{\"name\":\"pr\",\"containers\":[{\"name\":\"app\",\"image\":\"busybox\",\"notify\":true,"
                "\"watchdog_sec\":7,\"limits\":{\"pids\":3},\"probes\":{\"liveness\":{\"http\":{\"port\":80,"
                "\"host\":\"::1\",\"path\":\"/a?b=\\\"c\\\"\",\"headers\":{\"X-Z\":\"no\",\"A\":\"\",\"Host\":\"\\u00e9 x\"}},"
                "\"initial_delay\":3,\"period\":86400,\"timeout\":99,\"failure_threshold\":10000}}},"
                "{\"name\":\"b\",\"image\":\"busybox\",\"notify\":true,\"probes\":{\"startup\":{\"exec\":[\"sh\",\"-c\","
                "\"exit 0 # yes\"]},\"readiness\":{\"http\":{\"port\":443,\"scheme\":\"https\"},\"success_threshold\":9}}},"
                "{\"name\":\"c\",\"image\":\"busybox\",\"probes\":{\"readiness\":{\"tcp\":{\"port\":1}}}}]}";
        _cleanup_free_ char *error = NULL, *yaml = NULL;
        _cleanup_pod_free_ Pod *p = NULL;

        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s", strna(error));
        round_trip("probes", &p, 1);
        ck_assert_int_eq(kube_serialize(p, &yaml, &error), 0);
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/container.app: \"{\\\"limits\\\":{\\\"pids\\\":3},"
                                           "\\\"notify\\\":true,\\\"watchdog_sec\\\":7}\""));
        ck_assert_ptr_nonnull(strstr(yaml, "tank.io/container.b: \"{\\\"notify\\\":true}\""));
        ck_assert_ptr_null(strstr(yaml, "tank.io/container.c"));
        ck_assert_ptr_nonnull(strstr(yaml, "    livenessProbe:\n      httpGet:\n"));
        ck_assert_ptr_nonnull(strstr(yaml, "      tcpSocket:\n        port: 1\n"));
}
END_TEST

/* user_namespace both ways: get -o yaml's hostUsers gives back the same
 * canonical JSON, so the content hashes (pod-level: a change restarts the
 * pod) are the same; absent stays absent. */
START_TEST(test_round_trip_host_users) {
        static const struct {
                const char *json, *yaml_line;
        } t[] = {
                { "{\"name\":\"u\",\"user_namespace\":\"auto\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}",
                  "\n  hostUsers: false\n" },
                { "{\"name\":\"u\",\"user_namespace\":\"host\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}",
                  "\n  hostUsers: true\n" },
                { "{\"name\":\"u\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}", NULL },
        };
        char level[3][SPEC_HASH_LEN + 1];

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *error = NULL, *yaml = NULL;
                _cleanup_pod_free_ Pod *p = NULL;
                char h1[SPEC_HASH_LEN + 1], h2[SPEC_HASH_LEN + 1], l2[SPEC_HASH_LEN + 1];
                Pod **back = NULL;
                size_t n = 0;

                ck_assert_msg(pod_parse(t[i].json, strlen(t[i].json), &p, &error) == 0, "%s", strna(error));
                ck_assert_int_eq(kube_serialize(p, &yaml, &error), 0);
                if (t[i].yaml_line)
                        ck_assert_ptr_nonnull(strstr(yaml, t[i].yaml_line));
                else
                        ck_assert_ptr_null(strstr(yaml, "hostUsers"));
                ck_assert_msg(parse(yaml, false, &back, &n, NULL, &error) == 0, "%s", strna(error));
                ck_assert_int_eq(n, 1);
                ck_assert_int_eq(back[0]->user_namespace, p->user_namespace);
                ck_assert_int_eq(pod_hash(p, h1), 0);
                ck_assert_int_eq(pod_hash(back[0], h2), 0);
                ck_assert_str_eq(h1, h2);
                ck_assert_int_eq(pod_level_hash(p, level[i]), 0);
                ck_assert_int_eq(pod_level_hash(back[0], l2), 0);
                ck_assert_str_eq(level[i], l2);
                pod_array_free(back, n);
        }
        /* and the three are three different pods */
        ck_assert_str_ne(level[0], level[1]);
        ck_assert_str_ne(level[0], level[2]);
        ck_assert_str_ne(level[1], level[2]);
}
END_TEST

START_TEST(test_ignored_grpc_drops_probe) {
        static const char yaml[] = C0("    livenessProbe: {grpc: {port: 80}, periodSeconds: 3}\n"
                                      "    readinessProbe: {tcpSocket: {port: 80}}\n");
        _cleanup_free_ char *error = NULL, *json = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        Pod **pods = NULL;
        size_t n = 0;

        ck_assert_msg(parse(yaml, true, &pods, &n, &warnings, &error) == 0, "%s", strna(error));
        ck_assert_int_eq(strv_length(warnings), 1);
        ck_assert_int_eq(pods[0]->containers[0].probes.liveness.kind, PROBE_NONE);
        ck_assert_int_eq(pods[0]->containers[0].probes.readiness.kind, PROBE_TCP);
        pod_array_free(pods, n);
}
END_TEST

START_TEST(test_rootfs_refused) {
        static const char json[] = "{\"name\":\"r\",\"containers\":[{\"name\":\"a\",\"image\":{\"rootfs\":\"/srv/r\"}}]}";
        _cleanup_free_ char *error = NULL, *yaml = NULL;
        _cleanup_pod_free_ Pod *p = NULL;

        ck_assert_int_eq(pod_parse(json, strlen(json), &p, &error), 0);
        ck_assert_int_eq(kube_serialize(p, &yaml, &error), -EOPNOTSUPP);
        ck_assert_str_eq(error, "container a runs a rootfs, which a Kubernetes Pod cannot express (use -o json)");
}
END_TEST

START_TEST(test_serialize_checks_itself) {
        /* a value Tank's JSON takes and the YAML reader's caps refuse: the
         * manifest would not give the pod back, so there is none */
        size_t big = 300 * 1024;
        _cleanup_free_ char *value = malloc(big + 1), *json = NULL, *error = NULL, *yaml = NULL;
        _cleanup_pod_free_ Pod *p = NULL;

        ck_assert_ptr_nonnull(value);
        memset(value, 'x', big);
        value[big] = 0;
        ck_assert_int_ge(asprintf(&json, "{\"name\":\"big\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\","
                                  "\"env\":{\"V\":\"%s\"}}]}", value), 0);
        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s", strna(error));
        ck_assert_int_eq(kube_serialize(p, &yaml, &error), -EOPNOTSUPP);
        ck_assert_str_eq(error, "pod big has fields a Kubernetes Pod manifest cannot carry yet (use -o json)");
        ck_assert_ptr_null(yaml);
}
END_TEST

START_TEST(test_is_json) {
        ck_assert(spec_text_is_json(" \n{\"a\":1}", 9));
        ck_assert(spec_text_is_json("[", 1));
        ck_assert(!spec_text_is_json("apiVersion: v1", 14));
        ck_assert(!spec_text_is_json("# {\n", 4));
        ck_assert(!spec_text_is_json("", 0));
}
END_TEST

int main(void) {
        Suite *s = suite_create("kube");
        TCase *tc = tcase_create("kube");

        tcase_add_test(tc, test_quantity);
        tcase_add_test(tc, test_mapping);
        tcase_add_test(tc, test_refused);
        tcase_add_test(tc, test_tank_refusals);
        tcase_add_test(tc, test_invalid);
        tcase_add_test(tc, test_ignore_all);
        tcase_add_test(tc, test_hostile);
        tcase_add_test(tc, test_counts);
        tcase_add_test(tc, test_round_trip_manifests);
        tcase_add_test(tc, test_round_trip_tank_only);
        tcase_add_test(tc, test_round_trip_probes);
        tcase_add_test(tc, test_round_trip_placement);
        tcase_add_test(tc, test_round_trip_host_users);
        tcase_add_test(tc, test_ignored_grpc_drops_probe);
        tcase_add_test(tc, test_rootfs_refused);
        tcase_add_test(tc, test_serialize_checks_itself);
        tcase_add_test(tc, test_is_json);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return check_run_suite(s, true);
}
