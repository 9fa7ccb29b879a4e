/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "kube-util.h"
#include "strv.h"

/* Counts are capped before the loops that compare elements pairwise. */
#define KUBE_ENV_MAX 1024

/* Translation of one Pod document to Tank's JSON spec, written with JsonGen
 * and then handed to pod_parse(): the Kubernetes side checks shapes and maps
 * names, Tank's own validator has the last word on values. */

/* The fields tank.io/container.NAME may carry, named in the table's order:
 * `"a", "b" and "c"`. */
static int annotation_unknown_field(K *k, const YamlNode *value, const char *path, const char *key) {
        _cleanup_free_ char *list = NULL;
        size_t n = 0, size = 0, i = 0;
        FILE *f;

        FOREACH_ARRAY(fd, container_fields, container_fields_count)
                n += container_field_annotated(fd);
        f = open_memstream(&list, &size);
        if (!f)
                return -ENOMEM;
        FOREACH_ARRAY(fd, container_fields, container_fields_count)
                if (container_field_annotated(fd)) {
                        i++;
                        fprintf(f, "%s\"%s\"", i == 1 ? "" : i == n ? " and " : ", ", fd->name);
                }
        if (fclose(f) != 0)
                return -ENOMEM;
        return k_fail(k, value, path, "unknown field \"%.64s\" (only %s)", key, list);
}

static int parse_annotations(K *k, PodCtx *pc, const YamlNode *n, const char *path) {
        int r;

        if (n->type != YNODE_MAPPING)
                return k_fail(k, n, path, "expected a mapping, got %s", yaml_node_describe(n));
        for (size_t i = 0; i < n->n_pairs; i++) {
                const YamlNode *key = n->pairs[i].key, *value = n->pairs[i].value;
                PATH(p, k_field_path(path, key->str));

                if (streq(key->str, "tank.io/network")) {
                        r = k_parse_fragment(k, value, p, &pc->network);
                        if (r < 0)
                                return r;
                } else if (startswith(key->str, ANNOTATION_CONTAINER)) {
                        _cleanup_(json_value_freep) JsonValue *v = NULL;
                        ContainerExtra *e;

                        r = k_parse_fragment(k, value, p, &v);
                        if (r < 0)
                                return r;
                        if (v->type != JSON_OBJECT)
                                return k_fail(k, value, p, "expected a JSON object, got %s", json_type_to_article(v->type));
                        for (size_t j = 0; j < v->n_members; j++) {
                                int f = container_field_index(v->members[j].key);
                                if (f < 0 || !container_field_annotated(&container_fields[f]))
                                        return annotation_unknown_field(k, value, p, v->members[j].key);
                        }
                        e = reallocarray(pc->extras, pc->n_extras + 1, sizeof(ContainerExtra));
                        if (!e)
                                return -ENOMEM;
                        pc->extras = e;
                        e = &pc->extras[pc->n_extras++];
                        *e = (ContainerExtra) { .name = key->str + strlen(ANNOTATION_CONTAINER), .node = key };
                        for (size_t j = 0; j < v->n_members; j++) {
                                JsonValue **slot = &e->fields[container_field_index(v->members[j].key)];
                                /* json.c keeps duplicate keys: the first wins, as in json_object_get() */
                                if (!*slot)
                                        *slot = TAKE_PTR(v->members[j].value);
                        }
                } else if (streq(key->str, "tank.io/placement")) {
                        r = k_unsupported(k, key, p, true);
                        if (r < 0)
                                return r;
                } else if (startswith(key->str, ANNOTATION_PREFIX)) {
                        return k_fail(k, key, p, "unknown Tank annotation (tank.io/network, tank.io/container.NAME)");
                } else {
                        r = k_unsupported(k, key, p, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

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

static int gen_mounts(K *k, PodCtx *pc, const YamlNode *n, const char *path) {
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

static int gen_limits(K *k, const YamlNode *resources, const ContainerExtra *extra, const char *path) {
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

static int gen_container(K *k, PodCtx *pc, const YamlNode *n, const char *path) {
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
                STR("mounts");
                r = gen_mounts(k, pc, mounts, p);
                if (r < 0)
                        return r;
        }
        {
                PATH(p, k_field_path(path, "resources"));
                r = gen_limits(k, resources, extra, p);
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
        r = k_gen_probes(k, startup, liveness, readiness, path);
        if (r < 0)
                return r;
        /* Tank-only, from tank.io/container.NAME; pod_parse() checks the values */
        for (size_t i = 0; extra && i < container_fields_count; i++)
                if (!container_fields[i].kube && extra->fields[i]) {
                        STR(container_fields[i].name);
                        r = k_gen_json(k, extra->fields[i]);
                        if (r < 0)
                                return r;
                }
        G(json_gen_map_close(k->g));
        return 0;
}

static int parse_volumes(K *k, PodCtx *pc, const YamlNode *n, const char *path) {
        static const char *const other_sources[] = {
                "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi",
                "downwardAPI", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo",
                "glusterfs", "image", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "projected",
                "quobyte", "rbd", "scaleIO", "secret", "storageos", "vsphereVolume", NULL
        };
        int r;

        if (n->type != YNODE_SEQUENCE)
                return k_fail(k, n, path, "expected a sequence, got %s", yaml_node_describe(n));
        if (n->n_items > POD_VOLUMES_MAX)
                return k_fail(k, n, path, "more than %u volumes", POD_VOLUMES_MAX);
        pc->volumes = calloc(MAX(n->n_items, 1u), sizeof(KubeVolume));
        if (!pc->volumes)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_items; i++) {
                const YamlNode *name = NULL, *host = NULL, *empty = NULL, *pvc = NULL;
                KubeVolume *v = &pc->volumes[pc->n_volumes];
                size_t warnings = strv_length(k->warnings);

                PATH(p, k_index_path(path, i));
                /* emptyDir is "removed with the pod", which no Tank volume is:
                 * refused until Tank has such a volume, rather than mapped to
                 * one that outlives the pod. */
                r = k_walk(k, n->items[i], p,
                         (const Field[]) { { "name", &name }, { "hostPath", &host }, { "emptyDir", &empty },
                                           { "persistentVolumeClaim", &pvc }, {} },
                         other_sources, NULL);
                if (r < 0)
                        return r;
                if (!name)
                        return k_fail(k, n->items[i], p, "missing field \"name\"");
                PATH(pn, k_field_path(p, "name"));
                r = k_get_str(k, name, pn, &v->name);
                if (r < 0)
                        return r;
                v->tank_name = v->name;
                if (empty) {
                        PATH(pe, k_field_path(p, "emptyDir"));
                        r = k_unsupported(k, k_key_of(n->items[i], empty), pe, true);
                        if (r < 0)
                                return r;
                }
                if (!!host + !!pvc > 1)
                        return k_fail(k, n->items[i], p, "more than one volume source");
                if (host) {
                        const YamlNode *hp = NULL, *type = NULL;
                        PATH(ph, k_field_path(p, "hostPath"));
                        r = k_walk(k, host, ph, (const Field[]) { { "path", &hp }, { "type", &type }, {} }, NULL, NULL);
                        if (r < 0)
                                return r;
                        if (!hp)
                                return k_fail(k, host, ph, "missing field \"path\"");
                        if (type) {
                                /* "" (the default) checks nothing, as Tank does */
                                PATH(pt, k_field_path(ph, "type"));
                                if (type->type != YNODE_SCALAR || !streq(type->str, "")) {
                                        r = k_unsupported(k, k_key_of(host, type), pt, false);
                                        if (r < 0)
                                                return r;
                                }
                        }
                        G(json_gen_map_open(k->g));
                        STR("name");
                        STR(v->name);
                        STR("source");
                        G(json_gen_map_open(k->g));
                        STR("host");
                        PATH(pp, k_field_path(ph, "path"));
                        const char *s;
                        r = k_get_str(k, hp, pp, &s);
                        if (r < 0)
                                return r;
                        STR(s);
                        G(json_gen_map_close(k->g));
                        G(json_gen_map_close(k->g));
                } else if (pvc) {
                        const YamlNode *claim = NULL;
                        PATH(pp, k_field_path(p, "persistentVolumeClaim"));
                        r = k_walk(k, pvc, pp, (const Field[]) { { "claimName", &claim }, {} },
                                 (const char *const[]) { "readOnly", NULL }, NULL);
                        if (r < 0)
                                return r;
                        if (!claim)
                                return k_fail(k, pvc, pp, "missing field \"claimName\"");
                        PATH(pc2, k_field_path(pp, "claimName"));
                        r = k_get_str(k, claim, pc2, &v->tank_name);
                        if (r < 0)
                                return r;
                        for (size_t j = 0; j < pc->n_volumes; j++)
                                if (streq(pc->volumes[j].tank_name, v->tank_name))
                                        return k_fail(k, claim, pc2, "claim also used by spec.volumes[%zu]", j);
                        G(json_gen_map_open(k->g));
                        STR("name");
                        STR(v->tank_name);
                        G(json_gen_map_close(k->g));
                } else if (strv_length(k->warnings) > warnings)
                        v->dropped = true;      /* its only source was ignored */
                else
                        return k_fail(k, n->items[i], p, "no volume source (hostPath or persistentVolumeClaim)");
                pc->n_volumes++;
        }
        return 0;
}

static int gen_pod(K *k, const YamlNode *doc, const char *path) {
        static const char *const spec_unsupported[] = {
                "activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy",
                "enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostPID", "hostUsers",
                "hostname", "imagePullSecrets", "initContainers", "nodeName", "nodeSelector", "os", "overhead",
                "preemptionPolicy", "priority", "priorityClassName", "readinessGates", "resourceClaims",
                "runtimeClassName", "schedulerName", "schedulingGates", "securityContext", "serviceAccount",
                "serviceAccountName", "setHostnameAsFQDN", "shareProcessNamespace", "subdomain",
                "terminationGracePeriodSeconds", "tolerations", "topologySpreadConstraints", NULL
        };
        static const char *const metadata_unsupported[] = {
                "namespace", "labels", "generateName", "uid", "resourceVersion", "generation",
                "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
                "finalizers", "managedFields", "selfLink", NULL
        };
        const YamlNode *api = NULL, *kind = NULL, *metadata = NULL, *spec = NULL, *name = NULL,
                *annotations = NULL, *restart = NULL, *host_network = NULL, *containers = NULL, *volumes = NULL;
        _cleanup_(k_pod_ctx_done) PodCtx pc = {};
        const char *s;
        int r;

        r = k_walk(k, doc, path, (const Field[]) { { "apiVersion", &api }, { "kind", &kind }, { "metadata", &metadata },
                                                 { "spec", &spec }, {} },
                 (const char *const[]) { "status", NULL }, NULL);
        if (r < 0)
                return r;
        if (!metadata || !spec)
                return k_fail(k, doc, isempty(path) ? "$" : path, "missing field \"%s\"", metadata ? "spec" : "metadata");
        PATH(pm, k_field_path(path, "metadata"));
        r = k_walk(k, metadata, pm, (const Field[]) { { "name", &name }, { "annotations", &annotations }, {} },
                 metadata_unsupported, NULL);
        if (r < 0)
                return r;
        if (!name)
                return k_fail(k, metadata, pm, "missing field \"name\"");
        if (annotations) {
                PATH(pa, k_field_path(pm, "annotations"));
                r = parse_annotations(k, &pc, annotations, pa);
                if (r < 0)
                        return r;
        }
        PATH(ps, k_field_path(path, "spec"));
        r = k_walk(k, spec, ps, (const Field[]) { { "restartPolicy", &restart }, { "hostNetwork", &host_network },
                                                { "containers", &containers }, { "volumes", &volumes }, {} },
                 spec_unsupported, NULL);
        if (r < 0)
                return r;
        if (!containers)
                return k_fail(k, spec, ps, "missing field \"containers\"");

        G(json_gen_map_open(k->g));
        PATH(pn, k_field_path(pm, "name"));
        r = k_get_str(k, name, pn, &s);
        if (r < 0)
                return r;
        STR("name");
        STR(s);
        if (restart) {
                static const char *const policies[][2] = {
                        { "Always", "always" }, { "OnFailure", "on_failure" }, { "Never", "never" },
                };
                const char *tank = NULL;
                PATH(pr, k_field_path(ps, "restartPolicy"));
                r = k_get_str(k, restart, pr, &s);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                        if (streq(s, policies[i][0]))
                                tank = policies[i][1];
                if (!tank)
                        return k_fail(k, restart, pr, "must be Always, OnFailure or Never");
                STR("restart");
                STR(tank);
        }
        if (host_network) {
                bool b;
                PATH(ph, k_field_path(ps, "hostNetwork"));
                r = k_get_bool(k, host_network, ph, &b);
                if (r < 0)
                        return r;
                if (b && pc.network)
                        return k_fail(k, host_network, ph, "true, and the annotation tank.io/network is set too");
                if (b) {
                        STR("network");
                        STR("host");
                }
        }
        if (pc.network) {
                STR("network");
                r = k_gen_json(k, pc.network);
                if (r < 0)
                        return r;
        }
        STR("volumes");
        G(json_gen_array_open(k->g));
        if (volumes) {
                PATH(pv, k_field_path(ps, "volumes"));
                r = parse_volumes(k, &pc, volumes, pv);
                if (r < 0)
                        return r;
        }
        G(json_gen_array_close(k->g));

        PATH(pc_path, k_field_path(ps, "containers"));
        if (containers->type != YNODE_SEQUENCE)
                return k_fail(k, containers, pc_path, "expected a sequence, got %s", yaml_node_describe(containers));
        if (containers->n_items > POD_CONTAINERS_MAX)
                return k_fail(k, containers, pc_path, "more than %u containers", POD_CONTAINERS_MAX);
        STR("containers");
        G(json_gen_array_open(k->g));
        for (size_t i = 0; i < containers->n_items; i++) {
                PATH(p, k_index_path(pc_path, i));
                r = gen_container(k, &pc, containers->items[i], p);
                if (r < 0)
                        return r;
        }
        G(json_gen_array_close(k->g));
        G(json_gen_map_close(k->g));

        for (size_t i = 0; i < pc.n_extras; i++)
                if (!pc.extras[i].used)
                        return k_fail(k, pc.extras[i].node, "metadata.annotations", "no container \"%.64s\" in this pod",
                                     pc.extras[i].name);

        /* what was checked above is the Kubernetes side only */
        return 0;
}

static int check_kind(K *k, const YamlNode *doc, const char *path, const char *want) {
        const YamlNode *api = NULL, *kind = NULL;
        const char *s;
        int r;

        if (doc->type != YNODE_MAPPING)
                return k_fail(k, doc, isempty(path) ? "$" : path, "expected a mapping, got %s", yaml_node_describe(doc));
        for (size_t i = 0; i < doc->n_pairs; i++) {
                if (streq(doc->pairs[i].key->str, "apiVersion"))
                        api = doc->pairs[i].value;
                if (streq(doc->pairs[i].key->str, "kind"))
                        kind = doc->pairs[i].value;
        }
        if (!api || !kind)
                return k_fail(k, doc, isempty(path) ? "$" : path, "missing field \"%s\"", api ? "kind" : "apiVersion");
        PATH(pa, k_field_path(path, "apiVersion"));
        r = k_get_str(k, api, pa, &s);
        if (r < 0)
                return r;
        if (!streq(s, "v1")) {
                _cleanup_free_ char *q = quote_untrusted(s, strlen(s), 64);
                if (!q)
                        return -ENOMEM;
                return k_fail(k, api, pa, "unknown apiVersion %s (Tank reads v1)", q);
        }
        PATH(pk, k_field_path(path, "kind"));
        r = k_get_str(k, kind, pk, &s);
        if (r < 0)
                return r;
        if (want ? !streq(s, want) : !streq(s, "Pod") && !streq(s, "List")) {
                _cleanup_free_ char *q = quote_untrusted(s, strlen(s), 64);
                if (!q)
                        return -ENOMEM;
                return k_fail(k, kind, pk, "unknown kind %s (Tank reads %s)", q, want ? want : "Pod and List");
        }
        return streq(s, "List");
}

static int translate_pod(K *k, const YamlNode *doc, const char *path, Pod **ret) {
        _cleanup_free_ char *error = NULL, *json = NULL;
        size_t len;
        int r;

        k->g = json_gen_new(0);
        if (!k->g)
                return -ENOMEM;
        r = gen_pod(k, doc, path);
        if (r >= 0)
                r = json_gen_finish(k->g, &json, &len, NULL);
        if (r >= 0) {
                r = pod_parse(json, len, ret, &error);
                if (r == -EINVAL) {
                        free(k->error);
                        if (asprintf(&k->error, "document %u: %s%sthe Tank spec: %s", k->document, strempty(path),
                                     isempty(path) ? "" : ": ", strna(error)) < 0)
                                k->error = NULL;
                }
        }
        k->g = json_gen_free(k->g);
        return r;
}

int kube_parse_many(const char *yaml, size_t len, size_t max_len, bool ignore_unsupported,
                    Pod ***ret, size_t *ret_n, char ***ret_warnings, char **ret_error) {
        K k = { .ignore = ignore_unsupported };
        YamlNode **docs = NULL;
        size_t n_docs = 0, n = 0;
        Pod **pods = NULL;
        int r;

        r = yaml_parse_documents(yaml, len, max_len, &docs, &n_docs, ret_error);
        if (r < 0)
                return r;

        for (size_t d = 0; d < n_docs && r >= 0; d++) {
                const YamlNode *doc = docs[d];
                size_t n_items = 1;
                bool list;

                k.document = d + 1;
                r = check_kind(&k, doc, "", NULL);
                if (r < 0)
                        break;
                list = r > 0;
                if (list) {
                        const YamlNode *items = NULL, *metadata = NULL;
                        r = k_walk(&k, doc, "", (const Field[]) { { "apiVersion", &(const YamlNode *) { NULL } },
                                                                { "kind", &(const YamlNode *) { NULL } },
                                                                { "items", &items }, { "metadata", &metadata }, {} },
                                 NULL, NULL);
                        if (r < 0)
                                break;
                        if (!items || items->type != YNODE_SEQUENCE) {
                                r = k_fail(&k, items ?: doc, items ? "items" : "$", items ? "expected a sequence, got %s"
                                          : "missing field \"items%s\"", items ? yaml_node_describe(items) : "");
                                break;
                        }
                        n_items = items->n_items;
                        doc = items;
                }
                for (size_t i = 0; i < n_items; i++) {
                        _cleanup_free_ char *path = NULL;
                        const YamlNode *item = list ? doc->items[i] : doc;
                        Pod **a;

                        if (list && asprintf(&path, "items[%zu]", i) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        if (list) {
                                r = check_kind(&k, item, path, "Pod");
                                if (r < 0)
                                        break;
                        }
                        if (n >= POD_MANY_MAX) {
                                r = k_fail(&k, item, list ? path : "$", "more than %u pods", POD_MANY_MAX);
                                break;
                        }
                        a = reallocarray(pods, n + 1, sizeof(Pod *));
                        if (!a) {
                                r = -ENOMEM;
                                break;
                        }
                        pods = a;
                        r = translate_pod(&k, item, path, &pods[n]);
                        if (r < 0)
                                break;
                        n++;
                }
        }
        yaml_documents_free(docs, n_docs);
        if (r < 0) {
                pod_array_free(pods, n);
                strv_free(k.warnings);
                if (ret_error)
                        *ret_error = TAKE_PTR(k.error);
                free(k.error);
                return r;
        }
        *ret = pods;
        *ret_n = n;
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(k.warnings);
        strv_free(k.warnings);
        return 0;
}
