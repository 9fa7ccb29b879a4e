/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "kube-util.h"
#include "strv.h"

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
                        r = k_record_fragment(k, value, p, "network", "network");
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
                        *e = (ContainerExtra) { .name = key->str + strlen(ANNOTATION_CONTAINER), .node = key,
                                                .value = value, .yaml = strdup(p) };
                        if (!e->yaml)
                                return -ENOMEM;
                        for (size_t j = 0; j < v->n_members; j++) {
                                JsonValue **slot = &e->fields[container_field_index(v->members[j].key)];
                                /* json.c keeps duplicate keys: the first wins, as in json_object_get() */
                                if (!*slot)
                                        *slot = TAKE_PTR(v->members[j].value);
                        }
                } else if (streq(key->str, "tank.io/rollout")) {
                        r = k_parse_fragment(k, value, p, &pc->rollout);
                        if (r < 0)
                                return r;
                } else if (streq(key->str, "tank.io/placement")) {
                        r = k_parse_fragment(k, value, p, &pc->placement);
                        if (r < 0)
                                return r;
                } else if (streq(key->str, "tank.io/reschedule")) {
                        r = k_parse_fragment(k, value, p, &pc->reschedule);
                        if (r < 0)
                                return r;
                } else if (startswith(key->str, ANNOTATION_PREFIX)) {
                        return k_fail(k, key, p, "unknown Tank annotation (tank.io/network, tank.io/rollout, "
                                      "tank.io/placement, tank.io/reschedule, tank.io/container.NAME)");
                } else {
                        r = k_unsupported(k, key, p, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* emptyDir is Tank's empty volume, removed with the pod. Its medium may only
 * be the default (disk): a tmpfs would have to outlive the containers' mount
 * namespaces to survive their restarts. A sizeLimit Tank cannot enforce on a
 * plain directory, so it is not taken as if it were. */
static int gen_empty_dir(K *k, const YamlNode *empty, const char *path, const char *name) {
        const YamlNode *medium = NULL;
        int r;

        PATH(pe, k_field_path(path, "emptyDir"));
        r = k_walk(k, empty, pe, (const Field[]) { { "medium", &medium }, {} },
                   (const char *const[]) { "sizeLimit", NULL }, NULL);
        if (r < 0)
                return r;
        if (medium) {
                PATH(pm, k_field_path(pe, "medium"));
                if (medium->type != YNODE_SCALAR || !streq(medium->str, "")) {
                        r = k_unsupported(k, k_key_of(empty, medium), pm, false);
                        if (r < 0)
                                return r;
                }
        }
        G(json_gen_map_open(k->g));
        STR("name");
        STR(name);
        STR("source");
        G(json_gen_map_open(k->g));
        STR("empty");
        G(json_gen_map_open(k->g));
        G(json_gen_map_close(k->g));
        G(json_gen_map_close(k->g));
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
        for (size_t i = 0, json_i = 0; i < n->n_items; i++) {
                const YamlNode *name = NULL, *host = NULL, *empty = NULL, *pvc = NULL;
                KubeVolume *v = &pc->volumes[pc->n_volumes];
                size_t warnings = strv_length(k->warnings);

                PATH(p, k_index_path(path, i));
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
                if (!!host + !!pvc + !!empty > 1)
                        return k_fail(k, n->items[i], p, "more than one volume source");
                PATH(jv, k_index_path("volumes", json_i));
                PATH(jn, k_field_path(jv, "name"));
                PATH(js, k_field_path(jv, "source"));
                r = k_record(k, n->items[i], p, jv);
                if (r >= 0 && !pvc)
                        r = k_record(k, name, pn, jn);
                if (r >= 0 && (host || empty)) {
                        PATH(ps, k_field_path(p, host ? "hostPath" : "emptyDir"));
                        r = k_record(k, host ?: empty, ps, js);
                }
                if (r < 0)
                        return r;
                if (empty) {
                        r = gen_empty_dir(k, empty, p, v->name);
                        if (r < 0)
                                return r;
                } else if (host) {
                        const YamlNode *hp = NULL, *type = NULL;
                        PATH(ph, k_field_path(p, "hostPath"));
                        r = k_walk(k, host, ph, (const Field[]) { { "path", &hp }, { "type", &type }, {} }, NULL, NULL);
                        if (r < 0)
                                return r;
                        if (!hp)
                                return k_fail(k, host, ph, "missing field \"path\"");
                        PATH(pp, k_field_path(ph, "path"));
                        PATH(jh, k_field_path(js, "host"));
                        r = k_record(k, hp, pp, jh);
                        if (r < 0)
                                return r;
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
                        r = k_record(k, claim, pc2, jn);
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
                        return k_fail(k, n->items[i], p, "no volume source (hostPath, persistentVolumeClaim or emptyDir)");
                json_i += !v->dropped;
                pc->n_volumes++;
        }
        return 0;
}

static int gen_pod(K *k, const YamlNode *doc, const char *path) {
        static const char *const spec_unsupported[] = {
                "activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy",
                "enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostPID",
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
                *annotations = NULL, *restart = NULL, *host_network = NULL, *host_users = NULL, *containers = NULL,
                *volumes = NULL;
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
                                                { "hostUsers", &host_users }, { "containers", &containers },
                                                { "volumes", &volumes }, {} },
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
        r = k_record(k, name, pn, "name");
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
                r = b ? k_record(k, host_network, ph, "network") : 0;
                if (r < 0)
                        return r;
                if (b && pc.network)
                        return k_fail(k, host_network, ph, "true, and the annotation tank.io/network is set too");
                if (b) {
                        STR("network");
                        STR("host");
                }
        }
        /* Absent stays absent: the host's [Security] UserNamespace= decides, as a
         * cluster's default does in Kubernetes. */
        if (host_users) {
                bool b;
                PATH(pu, k_field_path(ps, "hostUsers"));
                r = k_get_bool(k, host_users, pu, &b);
                if (r < 0)
                        return r;
                r = k_record(k, host_users, pu, "user_namespace");
                if (r < 0)
                        return r;
                STR("user_namespace");
                STR(user_namespace_mode_to_string(b ? USER_NAMESPACE_HOST : USER_NAMESPACE_AUTO));
        }
        if (pc.network) {
                STR("network");
                r = k_gen_json(k, pc.network);
                if (r < 0)
                        return r;
        }
        if (pc.rollout) {
                STR("rollout");
                r = k_gen_json(k, pc.rollout);
                if (r < 0)
                        return r;
        }
        if (pc.placement) {
                STR("placement");
                r = k_gen_json(k, pc.placement);
                if (r < 0)
                        return r;
        }
        if (pc.reschedule) {
                STR("reschedule");
                r = k_gen_json(k, pc.reschedule);
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
                r = k_gen_container(k, &pc, containers->items[i], p, i);
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
                if (r == -EINVAL)
                        r = k_refusal(k, path, strna(error));
        }
        k->g = json_gen_free(k->g);
        k_paths_clear(k);
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
