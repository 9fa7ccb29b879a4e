/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "kube-util.h"

/* The container mapping of the Kubernetes front end: one entry of a Pod's
 * spec.containers translated to a Tank container, i.e. its name, image,
 * command/args, env, workingDir, tty, volumeMounts (resolved against the
 * pod's volumes in PodCtx), resources.limits (memory and cpu quantities),
 * imagePullPolicy, ports and probes, plus the tank.io/container.NAME
 * annotation's extra fields; refusals and warnings go through K as in
 * kube.c, which calls k_gen_container() once per container. */

/* Counts are capped before the loops that compare elements pairwise. */
#define KUBE_ENV_MAX 1024

static int gen_env(K *k, const YamlNode *n, const char *path) {
        int r;

        if (n->type != YNODE_SEQUENCE)
                return k_fail(k, n, path, "expected a sequence, got %s", yaml_node_describe(n));
        /* the duplicate check below is quadratic: keep it cheap */
        if (n->n_items > KUBE_ENV_MAX)
                return k_fail(k, n, path, "more than %u variables", KUBE_ENV_MAX);
        G(json_gen_map_open(k->g));
        for (size_t i = 0; i < n->n_items; i++) {
                const YamlNode *name = NULL, *value = NULL;
                const char *sname, *svalue = "";

                PATH(p, k_index_path(path, i));
                r = k_walk(k, n->items[i], p, (const Field[]) { { "name", &name }, { "value", &value }, {} },
                         (const char *const[]) { "valueFrom", NULL }, NULL);
                if (r < 0)
                        return r;
                if (!name)
                        return k_fail(k, n->items[i], p, "missing field \"name\"");
                PATH(pn, k_field_path(p, "name"));
                r = k_get_str(k, name, pn, &sname);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        for (size_t q = 0; q < n->items[j]->n_pairs; q++)
                                if (streq(n->items[j]->pairs[q].key->str, "name") &&
                                    n->items[j]->pairs[q].value->type == YNODE_SCALAR &&
                                    streq(n->items[j]->pairs[q].value->str, sname))
                                        return k_fail(k, name, pn, "duplicate variable (also env[%zu])", j);
                if (value) {
                        PATH(pv, k_field_path(p, "value"));
                        r = k_get_str(k, value, pv, &svalue);
                        if (r < 0)
                                return r;
                }
                STR(sname);
                STR(svalue);
        }
        G(json_gen_map_close(k->g));
        return 0;
}

static int gen_mounts(K *k, PodCtx *pc, const YamlNode *n, const char *path, const char *json) {
        size_t json_i = 0;
        int r;

        if (n->type != YNODE_SEQUENCE)
                return k_fail(k, n, path, "expected a sequence, got %s", yaml_node_describe(n));
        if (n->n_items > POD_MOUNTS_MAX)
                return k_fail(k, n, path, "more than %u mounts", POD_MOUNTS_MAX);
        G(json_gen_array_open(k->g));
        for (size_t i = 0; i < n->n_items; i++) {
                const YamlNode *name = NULL, *mount_path = NULL, *ro = NULL;
                const KubeVolume *vol = NULL;
                const char *sname, *spath;
                bool read_only = false;

                PATH(p, k_index_path(path, i));
                r = k_walk(k, n->items[i], p,
                         (const Field[]) { { "name", &name }, { "mountPath", &mount_path }, { "readOnly", &ro }, {} },
                         (const char *const[]) { "subPath", "subPathExpr", "mountPropagation", "recursiveReadOnly",
                                                 NULL }, NULL);
                if (r < 0)
                        return r;
                if (!name || !mount_path)
                        return k_fail(k, n->items[i], p, "missing field \"%s\"", name ? "mountPath" : "name");
                PATH(pn, k_field_path(p, "name"));
                r = k_get_str(k, name, pn, &sname);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < pc->n_volumes; j++)
                        if (streq(pc->volumes[j].name, sname))
                                vol = &pc->volumes[j];
                if (!vol)
                        return k_fail(k, name, pn, "no volume \"%.64s\" in spec.volumes", sname);
                if (vol->dropped) {
                        r = k_unsupported(k, n->items[i], p, false);   /* its volume was ignored */
                        if (r < 0)
                                return r;
                        continue;
                }
                PATH(pp, k_field_path(p, "mountPath"));
                r = k_get_str(k, mount_path, pp, &spath);
                if (r < 0)
                        return r;
                PATH(jm, k_index_path(json, json_i++));
                PATH(jp, k_field_path(jm, "path"));
                PATH(jv, k_field_path(jm, "volume"));
                r = k_record(k, n->items[i], p, jm);
                if (r >= 0)
                        r = k_record(k, mount_path, pp, jp);
                if (r >= 0)
                        r = k_record(k, name, pn, jv);
                if (r < 0)
                        return r;
                if (ro) {
                        PATH(pr, k_field_path(p, "readOnly"));
                        r = k_get_bool(k, ro, pr, &read_only);
                        if (r < 0)
                                return r;
                }
                G(json_gen_map_open(k->g));
                STR("volume");
                STR(vol->tank_name);
                STR("path");
                STR(spath);
                STR("read_only");
                G(json_gen_bool(k->g, read_only));
                G(json_gen_map_close(k->g));
        }
        G(json_gen_array_close(k->g));
        return 0;
}

static int quantity(K *k, const YamlNode *n, const char *path, unsigned scale10, const char *unit, uint64_t *ret) {
        int r;

        if (n->type != YNODE_SCALAR)
                return k_fail(k, n, path, "expected a quantity, got %s", yaml_node_describe(n));
        r = kube_quantity_parse(n->str, scale10, ret);
        if (r == -EDOM)
                return k_fail(k, n, path, "not a whole number of %s", unit);
        if (r == -ERANGE)
                return k_fail(k, n, path, "out of range (1 %s up to 2^63-1)", unit);
        if (r < 0) {
                _cleanup_free_ char *q = quote_untrusted(n->str, n->len, 64);
                if (!q)
                        return -ENOMEM;
                return k_fail(k, n, path, "not a Kubernetes quantity (like 512Mi, 1G, 500m, 1e3): %s", q);
        }
        return 0;
}

static int gen_limits(K *k, const YamlNode *resources, const ContainerExtra *extra, const char *path,
                      const char *json) {
        const YamlNode *limits = NULL, *memory = NULL, *cpu = NULL;
        const JsonValue *extra_limits = extra ? extra->fields[container_field_index("limits")] : NULL;
        uint64_t bytes = 0, milli = 0;
        int r;

        if (resources) {
                r = k_walk(k, resources, path, (const Field[]) { { "limits", &limits }, {} },
                         (const char *const[]) { "requests", "claims", NULL }, NULL);
                if (r < 0)
                        return r;
        }
        if (limits) {
                PATH(p, k_field_path(path, "limits"));
                if (limits->type != YNODE_MAPPING)
                        return k_fail(k, limits, p, "expected a mapping, got %s", yaml_node_describe(limits));
                for (size_t i = 0; i < limits->n_pairs; i++) {
                        const char *key = limits->pairs[i].key->str;
                        PATH(pk, k_field_path(p, key));
                        if (streq(key, "memory"))
                                memory = limits->pairs[i].value;
                        else if (streq(key, "cpu"))
                                cpu = limits->pairs[i].value;
                        else {
                                /* ephemeral-storage, hugepages-*, devices: resource names, all unsupported */
                                r = k_unsupported(k, limits->pairs[i].key, pk, false);
                                if (r < 0)
                                        return r;
                        }
                }
                if (memory) {
                        PATH(pm, k_field_path(p, "memory"));
                        r = quantity(k, memory, pm, 0, "bytes", &bytes);
                        if (r < 0)
                                return r;
                }
                if (cpu) {
                        PATH(pc, k_field_path(p, "cpu"));
                        r = quantity(k, cpu, pc, 3, "millicores", &milli);
                        if (r < 0)
                                return r;
                        if (milli > UINT64_MAX / 100 / 1000)
                                return k_fail(k, cpu, pc, "out of range");
                }
        }
        if (cpu && extra_limits && extra_limits->type == JSON_OBJECT && json_object_get(extra_limits, "cpu"))
                return k_fail(k, extra->node, "metadata.annotations", "cpu set both here and in %s", path);
        if (!memory && !cpu && !extra_limits)
                return 0;

        PATH(jl, k_field_path(json, "limits"));
        if (limits) {
                PATH(p, k_field_path(path, "limits"));
                r = k_record(k, limits, p, jl);
                if (r < 0)
                        return r;
        }
        if (extra_limits) {
                /* pids and a cpu from the annotation: the path in its fragment */
                for (size_t i = 0; extra_limits->type == JSON_OBJECT && i < extra_limits->n_members; i++) {
                        PATH(jk, k_field_path(jl, extra_limits->members[i].key));
                        r = k_record_fragment(k, extra->value, extra->yaml, json, jk);
                        if (r < 0)
                                return r;
                }
                if (!limits) {
                        r = k_record_fragment(k, extra->value, extra->yaml, json, jl);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < 2; i++) {
                const char *key = i == 0 ? "memory" : "cpu";
                const YamlNode *v = i == 0 ? memory : cpu;
                if (!v)
                        continue;
                PATH(pk, k_field_path(path, i == 0 ? "limits.memory" : "limits.cpu"));
                PATH(jk, k_field_path(jl, key));
                r = k_record(k, v, pk, jk);
                if (r < 0)
                        return r;
        }

        STR("limits");
        G(json_gen_map_open(k->g));
        if (memory) {
                STR("memory");
                G(json_gen_integer(k->g, (long long) bytes));
        }
        if (cpu) {
                /* Kubernetes' CFS mapping: 1000m is one CPU per 100 ms period. */
                STR("cpu");
                G(json_gen_array_open(k->g));
                G(json_gen_integer(k->g, (long long) (milli * 100)));
                G(json_gen_integer(k->g, 100000));
                G(json_gen_array_close(k->g));
        }
        if (extra_limits) {
                const JsonValue *l = extra_limits;
                if (l->type != JSON_OBJECT)
                        return k_fail(k, extra->node, "metadata.annotations", "\"limits\" must be a JSON object");
                for (size_t i = 0; i < l->n_members; i++) {
                        if (!streq(l->members[i].key, "pids") && !streq(l->members[i].key, "cpu"))
                                return k_fail(k, extra->node, "metadata.annotations",
                                             "\"limits\" holds only \"pids\" and \"cpu\" here, not \"%.64s\"",
                                             l->members[i].key);
                        STR(l->members[i].key);
                        r = k_gen_json(k, l->members[i].value);
                        if (r < 0)
                                return r;
                }
        }
        G(json_gen_map_close(k->g));
        return 0;
}

/* Records the Tank path a YAML field becomes (k_record()). */
static int record_field(K *k, const YamlNode *n, const char *path, const char *kube, const char *json,
                        const char *tank) {
        if (!n)
                return 0;
        PATH(p, k_field_path(path, kube));
        PATH(j, k_field_path(json, tank));
        return k_record(k, n, p, j);
}

int k_gen_container(K *k, PodCtx *pc, const YamlNode *n, const char *path, size_t index) {
        const YamlNode *name = NULL, *image = NULL, *command = NULL, *args = NULL, *env = NULL, *wd = NULL,
                *tty = NULL, *mounts = NULL, *resources = NULL, *pull = NULL, *ports = NULL, *startup = NULL,
                *liveness = NULL, *readiness = NULL;
        ContainerExtra *extra = NULL;
        const char *s;
        int r;

        r = k_walk(k, n, path,
                 (const Field[]) { { "name", &name }, { "image", &image }, { "command", &command }, { "args", &args },
                                   { "env", &env }, { "workingDir", &wd }, { "tty", &tty }, { "volumeMounts", &mounts },
                                   { "resources", &resources }, { "imagePullPolicy", &pull }, { "ports", &ports },
                                   { "startupProbe", &startup }, { "livenessProbe", &liveness },
                                   { "readinessProbe", &readiness }, {} },
                 (const char *const[]) { "envFrom", "lifecycle", "resizePolicy", "restartPolicy", "securityContext",
                                         "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy",
                                         "volumeDevices", NULL }, NULL);
        if (r < 0)
                return r;
        if (!name || !image)
                return k_fail(k, n, path, "missing field \"%s\"", name ? "image" : "name");

        PATH(json, k_index_path("containers", index));
        r = k_record(k, n, path, json);
        if (r >= 0)
                r = record_field(k, name, path, "name", json, "name");
        if (r >= 0)
                r = record_field(k, image, path, "image", json, "image");
        if (r >= 0)
                r = record_field(k, command, path, "command", json, "command");
        if (r >= 0)
                r = record_field(k, args, path, "args", json, "args");
        if (r >= 0)
                r = record_field(k, env, path, "env", json, "env");
        if (r >= 0)
                r = record_field(k, wd, path, "workingDir", json, "working_dir");
        if (r >= 0)
                r = record_field(k, tty, path, "tty", json, "tty");
        if (r >= 0)
                r = record_field(k, mounts, path, "volumeMounts", json, "mounts");
        if (r < 0)
                return r;

        G(json_gen_map_open(k->g));
        PATH(pn, k_field_path(path, "name"));
        r = k_get_str(k, name, pn, &s);
        if (r < 0)
                return r;
        STR("name");
        STR(s);
        for (size_t i = 0; i < pc->n_extras; i++)
                if (streq(pc->extras[i].name, s)) {
                        extra = &pc->extras[i];
                        extra->used = true;
                }

        PATH(pi, k_field_path(path, "image"));
        r = k_get_str(k, image, pi, &s);
        if (r < 0)
                return r;
        STR("image");
        STR(s);

        if (pull) {
                /* Tank pulls an image that is not there and keeps it: IfNotPresent. */
                PATH(pp, k_field_path(path, "imagePullPolicy"));
                r = k_get_str(k, pull, pp, &s);
                if (r < 0)
                        return r;
                if (!streq(s, "IfNotPresent")) {
                        r = k_unsupported(k, k_key_of(n, pull), pp, false);
                        if (r < 0)
                                return r;
                }
        }
        if (ports) {
                PATH(pp, k_field_path(path, "ports"));
                if (ports->type != YNODE_SEQUENCE)
                        return k_fail(k, ports, pp, "expected a sequence, got %s", yaml_node_describe(ports));
                for (size_t i = 0; i < ports->n_items; i++) {
                        const YamlNode *cp = NULL, *pname = NULL, *proto = NULL;
                        PATH(pe, k_index_path(pp, i));
                        /* containerPort, name and protocol only document the pod
                         * (Kubernetes itself calls them informational); exposing a
                         * port on the host is what Tank does not do. */
                        r = k_walk(k, ports->items[i], pe,
                                 (const Field[]) { { "containerPort", &cp }, { "name", &pname }, { "protocol", &proto }, {} },
                                 (const char *const[]) { "hostPort", "hostIP", NULL }, NULL);
                        if (r < 0)
                                return r;
                        /* dropped, but still checked: strict is strict */
                        if (!cp)
                                return k_fail(k, ports->items[i], pe, "missing field \"containerPort\"");
                        if (yaml_scalar_kind(cp) != YSCALAR_INT || !cp->plain || cp->len > 5 ||
                            strspn(cp->str, "0123456789") != cp->len || atoi(cp->str) < 1 || atoi(cp->str) > 65535) {
                                PATH(pp2, k_field_path(pe, "containerPort"));
                                return k_fail(k, cp, pp2, "must be a port number (1-65535)");
                        }
                        if (pname) {
                                PATH(pp2, k_field_path(pe, "name"));
                                r = k_get_str(k, pname, pp2, &s);
                                if (r < 0)
                                        return r;
                        }
                        if (proto) {
                                PATH(pp2, k_field_path(pe, "protocol"));
                                r = k_get_str(k, proto, pp2, &s);
                                if (r < 0)
                                        return r;
                                if (!k_in_set(s, (const char *const[]) { "TCP", "UDP", "SCTP", NULL }))
                                        return k_fail(k, proto, pp2, "must be TCP, UDP or SCTP");
                        }
                }
        }
        if (command) {
                PATH(p, k_field_path(path, "command"));
                STR("command");
                r = k_gen_strings(k, command, p);
                if (r < 0)
                        return r;
        }
        if (args) {
                PATH(p, k_field_path(path, "args"));
                STR("args");
                r = k_gen_strings(k, args, p);
                if (r < 0)
                        return r;
        }
        if (env) {
                PATH(p, k_field_path(path, "env"));
                STR("env");
                r = gen_env(k, env, p);
                if (r < 0)
                        return r;
        }
        r = k_gen_str_field(k, wd, path, "workingDir", "working_dir");
        if (r < 0)
                return r;
        if (mounts) {
                PATH(p, k_field_path(path, "volumeMounts"));
                PATH(jm, k_field_path(json, "mounts"));
                STR("mounts");
                r = gen_mounts(k, pc, mounts, p, jm);
                if (r < 0)
                        return r;
        }
        {
                PATH(p, k_field_path(path, "resources"));
                r = gen_limits(k, resources, extra, p, json);
                if (r < 0)
                        return r;
        }
        if (tty) {
                bool b;
                PATH(p, k_field_path(path, "tty"));
                r = k_get_bool(k, tty, p, &b);
                if (r < 0)
                        return r;
                STR("tty");
                G(json_gen_bool(k->g, b));
        }
        r = k_gen_probes(k, startup, liveness, readiness, path, json);
        if (r < 0)
                return r;
        /* Tank-only, from tank.io/container.NAME; pod_parse() checks the values */
        for (size_t i = 0; extra && i < container_fields_count; i++)
                if (!container_fields[i].kube && extra->fields[i]) {
                        PATH(jf, k_field_path(json, container_fields[i].name));
                        r = k_record_fragment(k, extra->value, extra->yaml, json, jf);
                        if (r < 0)
                                return r;
                        STR(container_fields[i].name);
                        r = k_gen_json(k, extra->fields[i]);
                        if (r < 0)
                                return r;
                }
        G(json_gen_map_close(k->g));
        return 0;
}
