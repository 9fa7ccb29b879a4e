/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "container-fields.h"
#include "json.h"
#include "kube.h"

/* The reverse mapping. Every string is written double-quoted with everything
 * outside printable ASCII escaped, so that no value is reinterpreted by a YAML
 * reader (a plain "8080" would be a number, "no" a boolean in YAML 1.1, and
 * U+0085 a line break in libyaml). */

static void put_quoted(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        fputc('"', f);
        while (*p) {
                uint32_t cp;
                unsigned n;

                if (*p == '"' || *p == '\\') {
                        fprintf(f, "\\%c", *p++);
                        continue;
                }
                if (*p >= 0x20 && *p < 0x7f) {
                        fputc(*p++, f);
                        continue;
                }
                if (*p < 0x80) {
                        fprintf(f, "\\x%02x", *p++);
                        continue;
                }
                /* pod_parse() accepted only valid UTF-8; a stray byte still
                 * comes out as \xNN rather than as raw text. */
                if ((*p & 0xe0) == 0xc0)
                        cp = *p & 0x1f, n = 1;
                else if ((*p & 0xf0) == 0xe0)
                        cp = *p & 0x0f, n = 2;
                else if ((*p & 0xf8) == 0xf0)
                        cp = *p & 0x07, n = 3;
                else {
                        fprintf(f, "\\x%02x", *p++);
                        continue;
                }
                bool ok = true;
                for (unsigned i = 1; i <= n; i++)
                        if ((p[i] & 0xc0) != 0x80) {
                                ok = false;
                                break;
                        }
                if (!ok) {
                        fprintf(f, "\\x%02x", *p++);
                        continue;
                }
                for (unsigned i = 1; i <= n; i++)
                        cp = (cp << 6) | (p[i] & 0x3f);
                p += n + 1;
                if (cp <= 0xffff)
                        fprintf(f, "\\u%04" PRIx32, cp);
                else
                        fprintf(f, "\\U%08" PRIx32, cp);
        }
        fputc('"', f);
}

/* The canonical value of the pod's field key ("network", "rollout"), compact. */
static int pod_fragment(const Pod *p, const char *key, char **ret) {
        _cleanup_free_ char *json = NULL, *error = NULL;
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        _cleanup_(json_gen_freep) JsonGen *g = NULL;
        int r;

        r = pod_serialize(p, &json);
        if (r < 0)
                return r;
        r = json_parse(json, strlen(json), POD_JSON_MAX, POD_JSON_DEPTH_MAX, &v, &error);
        if (r < 0)
                return r;
        g = json_gen_new(0);
        if (!g)
                return -ENOMEM;
        (void) json_value_generate(g, json_object_get(v, key));
        return json_gen_finish(g, ret, NULL, NULL);
}

static void put_quantity(FILE *f, uint64_t bytes) {
        static const char *const suffixes[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        int i = -1;

        while (i + 1 < (int) ELEMENTSOF(suffixes) && bytes % 1024 == 0) {
                bytes /= 1024;
                i++;
        }
        fprintf(f, "\"%" PRIu64 "%s\"", bytes, i >= 0 ? suffixes[i] : "");
}

/* What tank.io/container.NAME carries: the Tank-only fields of the table that
 * are set, and the Tank-only share of the others; NULL when there is none. */
static int container_fragment(const PodContainer *c, char **ret) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        bool any = false;
        int r;

        if (!g)
                return -ENOMEM;
        r = json_gen_map_open(g);
        for (const ContainerField *f = container_fields; r >= 0 && f < container_fields + container_fields_count; f++)
                if (f->annotate) {
                        r = f->annotate(g, c);
                        any = any || r > 0;
                } else if (!f->kube && !container_field_is_default(f, c)) {
                        r = container_field_gen(g, f, c, false);
                        any = true;
                }
        if (r >= 0)
                r = json_gen_map_close(g);
        if (r < 0)
                return r;
        if (!any) {
                *ret = NULL;
                return 0;
        }
        return json_gen_finish(g, ret, NULL, NULL);
}

static void put_probe(FILE *f, const char *name, const PodProbe *p) {
        if (p->kind == PROBE_NONE)
                return;
        fprintf(f, "    %s:\n", name);
        if (p->kind == PROBE_EXEC) {
                fputs("      exec:\n        command:", f);
                for (char **a = p->exec; a && *a; a++) {
                        fputs("\n        - ", f);
                        put_quoted(f, *a);
                }
                fputc('\n', f);
        } else if (p->kind == PROBE_HTTP) {
                fputs("      httpGet:\n        path: ", f);
                put_quoted(f, p->path ?: "/");
                fprintf(f, "\n        port: %u\n", p->port);
                /* Kubernetes' default is the pod's address; Tank's, which an absent host reads back as, is loopback */
                if (p->host && !streq(p->host, "127.0.0.1")) {
                        fputs("        host: ", f);
                        put_quoted(f, p->host);
                        fputc('\n', f);
                }
                fprintf(f, "        scheme: %s\n", p->scheme == PROBE_SCHEME_HTTPS ? "HTTPS" : "HTTP");
                if (p->headers) {
                        fputs("        httpHeaders:\n", f);
                        for (char **h = p->headers; *h; h++) {
                                size_t k = strcspn(*h, ":");
                                fputs("        - name: ", f);
                                fprintf(f, "\"%.*s\"", (int) k, *h);     /* a token: nothing to escape */
                                fputs("\n          value: ", f);
                                put_quoted(f, (*h)[k] ? *h + k + 2 : "");
                                fputc('\n', f);
                        }
                }
        } else
                fprintf(f, "      tcpSocket:\n        port: %u\n", p->port);
        fprintf(f, "      initialDelaySeconds: %u\n      periodSeconds: %u\n      timeoutSeconds: %u\n"
                "      successThreshold: %u\n      failureThreshold: %u\n", p->initial_delay_sec, p->period_sec,
                p->timeout_sec, p->success_threshold, p->failure_threshold);
}

static int kube_write(const Pod *p, char **ret_yaml, char **ret_error);

/* The manifest must give back this very pod: checked by reading it again, so
 * that a spec field this mapping does not know (one added to pod.h later) is
 * refused here rather than lost, and with it the content hash, on apply. */
int kube_serialize(const Pod *p, char **ret_yaml, char **ret_error) {
        _cleanup_free_ char *yaml = NULL, *json = NULL, *again = NULL, *error = NULL;
        Pod **back = NULL;
        size_t n = 0;
        int r;

        r = kube_write(p, &yaml, ret_error);
        if (r < 0)
                return r;
        r = pod_serialize(p, &json);
        if (r < 0)
                return r;
        r = kube_parse_many(yaml, strlen(yaml), SIZE_MAX, false, &back, &n, NULL, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && n == 1)
                r = pod_serialize(back[0], &again);
        pod_array_free(back, n);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || n != 1 || !streq(json, again)) {
                if (ret_error && asprintf(ret_error, "pod %s has fields a Kubernetes Pod manifest cannot carry yet "
                                          "(use -o json)", p->name) < 0)
                        *ret_error = NULL;
                return -EOPNOTSUPP;
        }
        *ret_yaml = TAKE_PTR(yaml);
        return 0;
}

static int kube_write(const Pod *p, char **ret_yaml, char **ret_error) {
        static const char *const policies[] = {
                [RESTART_ALWAYS] = "Always", [RESTART_ON_FAILURE] = "OnFailure", [RESTART_NEVER] = "Never",
        };
        _cleanup_free_ char *buf = NULL, *network = NULL, *rollout = NULL, *placement = NULL;
        char **fragments = NULL;
        size_t size = 0;
        bool annotations;
        FILE *f;
        int r = 0;

        FOREACH_ARRAY(c, p->containers, p->n_containers)
                if (c->rootfs) {
                        if (ret_error && asprintf(ret_error, "container %s runs a rootfs, which a Kubernetes Pod "
                                                  "cannot express (use -o json)", c->name) < 0)
                                *ret_error = NULL;
                        return -EOPNOTSUPP;
                }
        if (p->network.mode == NETWORK_MACVLAN) {
                r = pod_fragment(p, "network", &network);
                if (r < 0)
                        return r;
        }
        /* Kubernetes has no rollout of a Pod: Tank's rides in an annotation. */
        if (p->rollout.set) {
                r = pod_fragment(p, "rollout", &rollout);
                if (r < 0)
                        return r;
        }
        /* Nor placement: a nodeName or nodeSelector would be Kubernetes'
         * scheduler's, with its semantics; Tank's rides in annotations. */
        if (p->placement.set) {
                r = pod_fragment(p, "placement", &placement);
                if (r < 0)
                        return r;
        }
        fragments = calloc(p->n_containers + 1, sizeof(char *));
        if (!fragments)
                return -ENOMEM;
        annotations = network || rollout || placement || p->reschedule;
        for (size_t i = 0; i < p->n_containers && r >= 0; i++) {
                r = container_fragment(&p->containers[i], &fragments[i]);
                annotations = annotations || fragments[i];
        }
        if (r < 0)
                goto finish;

        f = open_memstream(&buf, &size);
        if (!f) {
                r = -ENOMEM;
                goto finish;
        }
        fputs("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", f);
        put_quoted(f, p->name);
        fputc('\n', f);
        if (annotations) {
                fputs("  annotations:\n", f);
                if (network) {
                        fputs("    tank.io/network: ", f);
                        put_quoted(f, network);
                        fputc('\n', f);
                }
                if (rollout) {
                        fputs("    tank.io/rollout: ", f);
                        put_quoted(f, rollout);
                        fputc('\n', f);
                }
                if (placement) {
                        fputs("    tank.io/placement: ", f);
                        put_quoted(f, placement);
                        fputc('\n', f);
                }
                if (p->reschedule) {
                        fputs("    tank.io/reschedule: ", f);
                        put_quoted(f, "true");
                        fputc('\n', f);
                }
                for (size_t i = 0; i < p->n_containers; i++)
                        if (fragments[i]) {
                                fprintf(f, "    tank.io/container.%s: ", p->containers[i].name);
                                put_quoted(f, fragments[i]);
                                fputc('\n', f);
                        }
        }
        fprintf(f, "spec:\n  restartPolicy: %s\n", policies[p->restart]);
        if (p->network.mode == NETWORK_HOST)
                fputs("  hostNetwork: true\n", f);
        if (p->user_namespace != USER_NAMESPACE_DEFAULT)
                fprintf(f, "  hostUsers: %s\n", p->user_namespace == USER_NAMESPACE_HOST ? "true" : "false");
        if (p->n_volumes > 0) {
                fputs("  volumes:\n", f);
                FOREACH_ARRAY(v, p->volumes, p->n_volumes) {
                        fputs("  - name: ", f);
                        put_quoted(f, v->name);
                        if (v->host_path) {
                                fputs("\n    hostPath:\n      path: ", f);
                                put_quoted(f, v->host_path);
                        } else if (v->empty)
                                fputs("\n    emptyDir: {}", f);
                        else {
                                fputs("\n    persistentVolumeClaim:\n      claimName: ", f);
                                put_quoted(f, v->name);
                        }
                        fputc('\n', f);
                }
        }
        fputs("  containers:\n", f);
        FOREACH_ARRAY(c, p->containers, p->n_containers) {
                fputs("  - name: ", f);
                put_quoted(f, c->name);
                fputs("\n    image: ", f);
                put_quoted(f, c->image);
                fputc('\n', f);
                if (c->command) {
                        fputs("    command:", f);
                        if (!c->command[0])
                                fputs(" []", f);
                        for (char **s = c->command; *s; s++) {
                                fputs("\n    - ", f);
                                put_quoted(f, *s);
                        }
                        fputc('\n', f);
                }
                if (c->args) {
                        fputs("    args:", f);
                        if (!c->args[0])
                                fputs(" []", f);
                        for (char **s = c->args; *s; s++) {
                                fputs("\n    - ", f);
                                put_quoted(f, *s);
                        }
                        fputc('\n', f);
                }
                if (c->env) {
                        fputs("    env:\n", f);
                        for (char **e = c->env; *e; e++) {
                                const char *eq = strchr(*e, '=');
                                _cleanup_free_ char *key = strndup(*e, eq ? (size_t) (eq - *e) : strlen(*e));
                                if (!key) {
                                        fclose(f);
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                fputs("    - name: ", f);
                                put_quoted(f, key);
                                fputs("\n      value: ", f);
                                put_quoted(f, eq ? eq + 1 : "");
                                fputc('\n', f);
                        }
                }
                if (c->working_dir) {
                        fputs("    workingDir: ", f);
                        put_quoted(f, c->working_dir);
                        fputc('\n', f);
                }
                if (c->tty)
                        fputs("    tty: true\n", f);
                if (c->n_mounts > 0) {
                        fputs("    volumeMounts:\n", f);
                        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                                fputs("    - name: ", f);
                                put_quoted(f, m->volume);
                                fputs("\n      mountPath: ", f);
                                put_quoted(f, m->path);
                                fputc('\n', f);
                                if (m->read_only)
                                        fputs("      readOnly: true\n", f);
                        }
                }
                if (c->limits.memory != LIMIT_UNSET || (c->limits.cpu_period_us > 0 && pod_limits_cpu_is_kube(&c->limits))) {
                        fputs("    resources:\n      limits:\n", f);
                        if (c->limits.memory != LIMIT_UNSET) {
                                fputs("        memory: ", f);
                                put_quantity(f, c->limits.memory);
                                fputc('\n', f);
                        }
                        if (c->limits.cpu_period_us > 0 && pod_limits_cpu_is_kube(&c->limits))
                                fprintf(f, "        cpu: \"%" PRIu64 "m\"\n", c->limits.cpu_quota_us / 100);
                }
                put_probe(f, "startupProbe", &c->probes.startup);
                put_probe(f, "livenessProbe", &c->probes.liveness);
                put_probe(f, "readinessProbe", &c->probes.readiness);
        }
        if (fclose(f) != 0) {
                r = -ENOMEM;
                goto finish;
        }
        *ret_yaml = TAKE_PTR(buf);
        r = 0;
finish:
        for (size_t i = 0; i < p->n_containers; i++)
                free(fragments[i]);
        free(fragments);
        return r;
}
