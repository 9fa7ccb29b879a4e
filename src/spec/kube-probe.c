/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "kube-util.h"
#include "strv.h"

/* livenessProbe, readinessProbe and startupProbe to the container's "probes".
 * The Kubernetes side checks shapes and maps names; pod_parse() checks values. */

int k_get_int(K *k, const YamlNode *n, const char *path, int64_t *ret) {
        long long v;
        char *end;

        if (n->type != YNODE_SCALAR || yaml_scalar_kind(n) != YSCALAR_INT)
                return k_fail(k, n, path, "expected an integer, got %s", yaml_node_describe(n));
        errno = 0;
        v = strtoll(n->str, &end, 10);
        if (end == n->str || *end)
                return k_fail(k, n, path, "expected a decimal integer");
        if (errno == ERANGE)
                return k_fail(k, n, path, "integer out of range");
        *ret = v;
        return 0;
}

/* A named port ("http") is resolved through the container's ports in
 * Kubernetes; Tank's probes take the number. */
static int gen_port(K *k, const YamlNode *handler, const YamlNode *port, const char *path) {
        int64_t v;
        int r;

        if (!port)
                return k_fail(k, handler, path, "missing field \"port\"");
        PATH(pp, k_field_path(path, "port"));
        if (port->type == YNODE_SCALAR && yaml_scalar_kind(port) == YSCALAR_STRING)
                return k_fail(k, port, pp, "a named port is not supported by Tank (give the number)");
        r = k_get_int(k, port, pp, &v);
        if (r < 0)
                return r;
        STR("port");
        G(json_gen_integer(k->g, v));
        return 0;
}

static int gen_http(K *k, const YamlNode *n, const char *path) {
        const YamlNode *port = NULL, *hpath = NULL, *host = NULL, *scheme = NULL, *headers = NULL;
        const char *s;
        int r;

        r = k_walk(k, n, path, (const Field[]) { { "path", &hpath }, { "port", &port }, { "host", &host },
                                                 { "scheme", &scheme }, { "httpHeaders", &headers }, {} },
                   NULL, NULL);
        if (r < 0)
                return r;
        G(json_gen_map_open(k->g));
        r = gen_port(k, n, port, path);
        if (r < 0)
                return r;
        r = k_gen_str_field(k, hpath, path, "path", "path");
        if (r < 0)
                return r;
        r = k_gen_str_field(k, host, path, "host", "host");
        if (r < 0)
                return r;
        if (scheme) {
                PATH(p, k_field_path(path, "scheme"));
                r = k_get_str(k, scheme, p, &s);
                if (r < 0)
                        return r;
                if (!streq(s, "HTTP") && !streq(s, "HTTPS"))
                        return k_fail(k, scheme, p, "must be HTTP or HTTPS");
                STR("scheme");
                STR(streq(s, "HTTP") ? "http" : "https");
        }
        if (headers) {
                PATH(p, k_field_path(path, "httpHeaders"));
                if (headers->type != YNODE_SEQUENCE)
                        return k_fail(k, headers, p, "expected a sequence, got %s", yaml_node_describe(headers));
                STR("headers");
                G(json_gen_map_open(k->g));
                for (size_t i = 0; i < headers->n_items; i++) {
                        const YamlNode *name = NULL, *value = NULL;
                        const char *sname, *svalue;

                        PATH(pi, k_index_path(p, i));
                        r = k_walk(k, headers->items[i], pi, (const Field[]) { { "name", &name }, { "value", &value }, {} },
                                   NULL, NULL);
                        if (r < 0)
                                return r;
                        if (!name || !value)
                                return k_fail(k, headers->items[i], pi, "missing field \"%s\"", name ? "value" : "name");
                        r = k_get_str_field(k, name, pi, "name", &sname);
                        if (r < 0)
                                return r;
                        r = k_get_str_field(k, value, pi, "value", &svalue);
                        if (r < 0)
                                return r;
                        STR(sname);
                        STR(svalue);
                }
                G(json_gen_map_close(k->g));
        }
        G(json_gen_map_close(k->g));
        return 0;
}

static int gen_probe(K *k, const YamlNode *n, const char *tank_name, const char *path, const char *json) {
        static const struct {
                const char *kube, *tank;
                bool zero_is_default;   /* Kubernetes' defaulting turns 0 into the default */
        } timing[] = {
                { "initialDelaySeconds", "initial_delay", false },
                { "periodSeconds", "period", true },
                { "timeoutSeconds", "timeout", true },
                { "successThreshold", "success_threshold", true },
                { "failureThreshold", "failure_threshold", true },
        };
        const YamlNode *exec = NULL, *http = NULL, *tcp = NULL, *values[ELEMENTSOF(timing)] = {};
        bool grpc = false;
        int r;

        r = k_walk(k, n, path,
                   (const Field[]) { { "exec", &exec }, { "httpGet", &http }, { "tcpSocket", &tcp },
                                     { timing[0].kube, &values[0] }, { timing[1].kube, &values[1] },
                                     { timing[2].kube, &values[2] }, { timing[3].kube, &values[3] },
                                     { timing[4].kube, &values[4] }, {} },
                   (const char *const[]) { "grpc", "terminationGracePeriodSeconds", NULL }, NULL);
        if (r < 0)
                return r;
        if (!!exec + !!http + !!tcp > 1)
                return k_fail(k, n, path, "more than one of exec, httpGet and tcpSocket");
        for (size_t i = 0; i < n->n_pairs; i++)
                grpc = grpc || streq(n->pairs[i].key->str, "grpc");
        if (!exec && !http && !tcp) {
                /* its only handler, grpc, was ignored (k_walk() refuses it otherwise): so is the probe */
                if (grpc)
                        return 0;
                return k_fail(k, n, path, "needs one of exec, httpGet and tcpSocket");
        }

        r = k_record(k, n, path, json);
        if (r < 0)
                return r;
        /* the handler's own fields map one to one (exec is its command) */
        {
                const YamlNode *h = exec ?: http ?: tcp;
                PATH(ph, k_field_path(path, exec ? "exec.command" : http ? "httpGet" : "tcpSocket"));
                PATH(jh, k_field_path(json, exec ? "exec" : http ? "http" : "tcp"));
                r = k_record(k, h, ph, jh);
                if (r < 0)
                        return r;
                for (size_t i = 0; !exec && h->type == YNODE_MAPPING && i < h->n_pairs; i++) {
                        const char *key = h->pairs[i].key->str;
                        if (!k_in_set(key, (const char *const[]) { "port", "path", "host", "scheme", NULL }))
                                continue;
                        PATH(pk, k_field_path(ph, key));
                        PATH(jk, k_field_path(jh, key));
                        r = k_record(k, h->pairs[i].value, pk, jk);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(timing); i++) {
                if (!values[i])
                        continue;
                PATH(pt, k_field_path(path, timing[i].kube));
                PATH(jt, k_field_path(json, timing[i].tank));
                r = k_record(k, values[i], pt, jt);
                if (r < 0)
                        return r;
        }

        STR(tank_name);
        G(json_gen_map_open(k->g));
        if (exec) {
                const YamlNode *command = NULL;
                PATH(p, k_field_path(path, "exec"));
                r = k_walk(k, exec, p, (const Field[]) { { "command", &command }, {} }, NULL, NULL);
                if (r < 0)
                        return r;
                if (!command)
                        return k_fail(k, exec, p, "missing field \"command\"");
                PATH(pc, k_field_path(p, "command"));
                STR("exec");
                r = k_gen_strings(k, command, pc);
                if (r < 0)
                        return r;
        } else if (http) {
                PATH(p, k_field_path(path, "httpGet"));
                STR("http");
                r = gen_http(k, http, p);
                if (r < 0)
                        return r;
        } else {
                const YamlNode *port = NULL;
                PATH(p, k_field_path(path, "tcpSocket"));
                r = k_walk(k, tcp, p, (const Field[]) { { "port", &port }, {} },
                           (const char *const[]) { "host", NULL }, NULL);
                if (r < 0)
                        return r;
                STR("tcp");
                G(json_gen_map_open(k->g));
                r = gen_port(k, tcp, port, p);
                if (r < 0)
                        return r;
                G(json_gen_map_close(k->g));
        }
        for (size_t i = 0; i < ELEMENTSOF(timing); i++) {
                int64_t v;

                if (!values[i])
                        continue;
                PATH(p, k_field_path(path, timing[i].kube));
                r = k_get_int(k, values[i], p, &v);
                if (r < 0)
                        return r;
                if (v == 0 && timing[i].zero_is_default)
                        continue;
                STR(timing[i].tank);
                G(json_gen_integer(k->g, v));
        }
        G(json_gen_map_close(k->g));
        return 0;
}

int k_gen_probes(K *k, const YamlNode *startup, const YamlNode *liveness, const YamlNode *readiness,
                 const char *path, const char *json) {
        const struct {
                const YamlNode *node;
                const char *kube, *tank;
        } probes[] = {
                { startup, "startupProbe", "startup" },
                { liveness, "livenessProbe", "liveness" },
                { readiness, "readinessProbe", "readiness" },
        };
        int r;

        if (!startup && !liveness && !readiness)
                return 0;
        /* an empty "probes" (every probe ignored) is no probe at all to pod_parse() */
        STR("probes");
        G(json_gen_map_open(k->g));
        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                if (!probes[i].node)
                        continue;
                PATH(p, k_field_path(path, probes[i].kube));
                PATH(j, k_field_path(json, "probes"));
                PATH(jp, k_field_path(j, probes[i].tank));
                r = gen_probe(k, probes[i].node, probes[i].tank, p, jp);
                if (r < 0)
                        return r;
        }
        G(json_gen_map_close(k->g));
        return 0;
}
