/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "container-fields.h"
#include "json-guard.h"
#include "pod.h"
#include "placement-field.h"
#include "rollout-field.h"
#include "spec-util.h"

/* Canonical form: fields in the order of the spec reference, every default
 * written out, env sorted by key (pod_parse already sorted it), memory in
 * bytes. Optional fields with no default (command, args, working_dir, gateway,
 * dns, limits members, probes, an http probe's headers, notify, watchdog_sec)
 * appear only when set; a present probe has all its defaults written out. */

#define CHECK(expr)                                                     \
        do {                                                            \
                int _r = (expr);                                        \
                if (_r < 0)                                             \
                        return _r;                                      \
        } while (0)

static int gen_str(JsonGen *g, const char *s) {
        CHECK(json_gen_string(g, s));
        return 0;
}

#define STR(g, s)                               \
        do {                                    \
                int _r = gen_str(g, s);         \
                if (_r < 0)                     \
                        return _r;              \
        } while (0)

static int gen_strv(JsonGen *g, char * const *l) {
        CHECK(json_gen_array_open(g));
        for (char * const *s = l; s && *s; s++)
                STR(g, *s);
        CHECK(json_gen_array_close(g));
        return 0;
}

static int gen_network(JsonGen *g, const PodNetwork *n) {
        char buf[INET_ADDRSTRLEN + 4];

        if (n->mode == NETWORK_NONE) {
                STR(g, "none");
                return 0;
        }
        if (n->mode == NETWORK_HOST) {
                STR(g, "host");
                return 0;
        }
        CHECK(json_gen_map_open(g));
        STR(g, "nics");
        CHECK(json_gen_array_open(g));
        FOREACH_ARRAY(nic, n->nics, n->n_nics) {
                CHECK(json_gen_map_open(g));
                STR(g, "name");
                STR(g, nic->name);
                STR(g, "parent");
                STR(g, nic->parent ?: "auto");
                STR(g, "ip");
                if (!inet_ntop(AF_INET, &nic->address, buf, INET_ADDRSTRLEN))
                        return -errno;
                sprintf(buf + strlen(buf), "/%u", nic->prefixlen);
                STR(g, buf);
                if (nic->has_gateway) {
                        STR(g, "gateway");
                        if (!inet_ntop(AF_INET, &nic->gateway, buf, INET_ADDRSTRLEN))
                                return -errno;
                        STR(g, buf);
                }
                CHECK(json_gen_map_close(g));
        }
        CHECK(json_gen_array_close(g));
        if (n->dns) {
                int r;
                STR(g, "dns");
                r = gen_strv(g, n->dns);
                if (r < 0)
                        return r;
        }
        CHECK(json_gen_map_close(g));
        return 0;
}

static int gen_volumes(JsonGen *g, const Pod *p) {
        CHECK(json_gen_array_open(g));
        FOREACH_ARRAY(v, p->volumes, p->n_volumes) {
                CHECK(json_gen_map_open(g));
                STR(g, "name");
                STR(g, v->name);
                if (v->host_path) {
                        STR(g, "source");
                        CHECK(json_gen_map_open(g));
                        STR(g, "host");
                        STR(g, v->host_path);
                        CHECK(json_gen_map_close(g));
                } else if (v->empty) {
                        STR(g, "source");
                        CHECK(json_gen_map_open(g));
                        STR(g, "empty");
                        CHECK(json_gen_map_open(g));
                        CHECK(json_gen_map_close(g));
                        CHECK(json_gen_map_close(g));
                }
                CHECK(json_gen_map_close(g));
        }
        CHECK(json_gen_array_close(g));
        return 0;
}

static int gen_pod_level_fields(JsonGen *g, const Pod *p) {
        const char *restart = restart_policy_to_string(p->restart);
        int r;

        if (!restart)
                return -EINVAL;
        STR(g, "restart");
        STR(g, restart);
        STR(g, "network");
        r = gen_network(g, &p->network);
        if (r < 0)
                return r;
        STR(g, "volumes");
        r = gen_volumes(g, p);
        if (r < 0)
                return r;
        /* Only when given, so the hashes of pods that never said stay as they were. */
        if (p->user_namespace != USER_NAMESPACE_DEFAULT) {
                const char *u = user_namespace_mode_to_string(p->user_namespace);

                if (!u)
                        return -EINVAL;
                STR(g, "user_namespace");
                STR(g, u);
        }
        return 0;
}

static int gen_probe(JsonGen *g, const char *name, const PodProbe *p) {
        const char *kind = probe_kind_to_string(p->kind);

        if (p->kind == PROBE_NONE)
                return 0;
        if (!kind)
                return -EINVAL;
        STR(g, name);
        CHECK(json_gen_map_open(g));
        STR(g, kind);
        if (p->kind == PROBE_EXEC)
                CHECK(gen_strv(g, p->exec));
        else {
                CHECK(json_gen_map_open(g));
                CHECK(json_gen_kv_integer(g, "port", p->port));
                if (p->kind == PROBE_HTTP) {
                        const char *scheme = probe_scheme_to_string(p->scheme);

                        if (!scheme)
                                return -EINVAL;
                        CHECK(json_gen_kv_string(g, "path", p->path ?: "/"));
                        CHECK(json_gen_kv_string(g, "scheme", scheme));
                        CHECK(json_gen_kv_string(g, "host", p->host ?: "127.0.0.1"));
                        if (p->headers) {
                                STR(g, "headers");
                                CHECK(json_gen_map_open(g));
                                for (char **h = p->headers; *h; h++) {
                                        size_t k = strcspn(*h, ":");
                                        CHECK(json_gen_string_len(g, *h, k));
                                        STR(g, (*h)[k] ? *h + k + 2 : "");
                                }
                                CHECK(json_gen_map_close(g));
                        }
                }
                CHECK(json_gen_map_close(g));
        }
        CHECK(json_gen_kv_integer(g, "initial_delay", p->initial_delay_sec));
        CHECK(json_gen_kv_integer(g, "period", p->period_sec));
        CHECK(json_gen_kv_integer(g, "timeout", p->timeout_sec));
        CHECK(json_gen_kv_integer(g, "success_threshold", p->success_threshold));
        CHECK(json_gen_kv_integer(g, "failure_threshold", p->failure_threshold));
        CHECK(json_gen_map_close(g));
        return 0;
}

int container_gen_probes(JsonGen *g, const PodContainer *c) {
        CHECK(json_gen_map_open(g));
        CHECK(gen_probe(g, "startup", &c->probes.startup));
        CHECK(gen_probe(g, "liveness", &c->probes.liveness));
        CHECK(gen_probe(g, "readiness", &c->probes.readiness));
        CHECK(json_gen_map_close(g));
        return 0;
}

int container_gen_image(JsonGen *g, const PodContainer *c) {
        if (c->rootfs) {
                CHECK(json_gen_map_open(g));
                STR(g, "rootfs");
                STR(g, c->rootfs);
                CHECK(json_gen_map_close(g));
        } else
                STR(g, strempty(c->image));
        return 0;
}

int container_gen_mounts(JsonGen *g, const PodContainer *c) {
        CHECK(json_gen_array_open(g));
        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                CHECK(json_gen_map_open(g));
                STR(g, "volume");
                STR(g, m->volume);
                STR(g, "path");
                STR(g, m->path);
                STR(g, "read_only");
                CHECK(json_gen_bool(g, m->read_only));
                CHECK(json_gen_map_close(g));
        }
        CHECK(json_gen_array_close(g));
        return 0;
}

int container_gen_limits(JsonGen *g, const PodContainer *c) {
        CHECK(json_gen_map_open(g));
        if (c->limits.memory != LIMIT_UNSET) {
                STR(g, "memory");
                CHECK(json_gen_integer(g, (long long) c->limits.memory));
        }
        if (c->limits.pids != LIMIT_UNSET) {
                STR(g, "pids");
                CHECK(json_gen_integer(g, (long long) c->limits.pids));
        }
        if (c->limits.cpu_period_us > 0) {
                STR(g, "cpu");
                CHECK(json_gen_array_open(g));
                CHECK(json_gen_integer(g, (long long) c->limits.cpu_quota_us));
                CHECK(json_gen_integer(g, (long long) c->limits.cpu_period_us));
                CHECK(json_gen_array_close(g));
        }
        CHECK(json_gen_map_close(g));
        return 0;
}

static int gen_env(JsonGen *g, char * const *env, bool redact_env) {
        CHECK(json_gen_map_open(g));
        for (char * const *e = env; e && *e; e++) {
                size_t k = strcspn(*e, "=");
                CHECK(json_gen_string_len(g, *e, k));
                STR(g, redact_env ? POD_ENV_REDACTED : (*e)[k] ? *e + k + 1 : "");
        }
        CHECK(json_gen_map_close(g));
        return 0;
}

int container_field_gen(JsonGen *g, const ContainerField *f, const PodContainer *c, bool redact_env) {
        const void *m = (const uint8_t *) c + f->offset;

        STR(g, f->name);
        switch (f->kind) {
        case CF_NAME:
        case CF_STRING:
        case CF_PATH:
                STR(g, *(char * const *) m);
                return 0;
        case CF_STRV:
                return gen_strv(g, *(char * const * const *) m);
        case CF_ENV:
                return gen_env(g, *(char * const * const *) m, redact_env);
        case CF_BOOL:
                return json_gen_bool(g, *(const bool *) m);
        case CF_UINT:
                return json_gen_integer(g, *(const unsigned *) m);
        case CF_CUSTOM:
                return f->serialize(g, c);
        }
        return -EINVAL;
}

/* A field that is not write_default appears only when set, so that the
 * canonical form and the content hash of a container that does not use it are
 * the bytes they were before it existed: a tankd upgrade restarts nothing. */
int container_fields_gen(JsonGen *g, const ContainerField *fields, size_t n, const PodContainer *c, bool redact_env) {
        CHECK(json_gen_map_open(g));
        for (const ContainerField *f = fields; f < fields + n; f++)
                if (f->write_default || !container_field_is_default(f, c))
                        CHECK(container_field_gen(g, f, c, redact_env));
        CHECK(json_gen_map_close(g));
        return 0;
}

static int gen_container(JsonGen *g, const PodContainer *c, bool redact_env) {
        return container_fields_gen(g, container_fields, container_fields_count, c, redact_env);
}

static int gen_pod(JsonGen *g, const Pod *p, bool redact_env) {
        int r;

        CHECK(json_gen_map_open(g));
        STR(g, "name");
        STR(g, p->name);
        r = gen_pod_level_fields(g, p);
        if (r < 0)
                return r;
        /* Not in gen_pod_level_fields(): the pod-level hash leaves it out. */
        r = pod_rollout_gen(g, &p->rollout);
        if (r < 0)
                return r;
        r = pod_placement_gen(g, p);
        if (r < 0)
                return r;
        STR(g, "containers");
        CHECK(json_gen_array_open(g));
        FOREACH_ARRAY(c, p->containers, p->n_containers) {
                r = gen_container(g, c, redact_env);
                if (r < 0)
                        return r;
        }
        CHECK(json_gen_array_close(g));
        CHECK(json_gen_map_close(g));
        return 0;
}

static int gen_pod_level(JsonGen *g, const Pod *p) {
        int r;

        CHECK(json_gen_map_open(g));
        r = gen_pod_level_fields(g, p);
        if (r < 0)
                return r;
        CHECK(json_gen_map_close(g));
        return 0;
}

typedef int (*gen_func)(JsonGen *g, const void *data);

/* Adapters with the exact gen_func type: calling through a cast function
 * pointer is undefined behaviour. */
static int gen_pod_any(JsonGen *g, const void *d) {
        return gen_pod(g, d, false);
}

static int gen_pod_redacted_any(JsonGen *g, const void *d) {
        return gen_pod(g, d, true);
}

static int gen_container_any(JsonGen *g, const void *d) {
        return gen_container(g, d, false);
}

static int gen_pod_level_any(JsonGen *g, const void *d) {
        return gen_pod_level(g, d);
}

/* Indent compact JSON by two spaces per level, keeping empty arrays and
 * objects on one line ("[]"), which yajl's beautifier does not. */
static char *indent_json(const char *s) {
        size_t depth = 0, n = strlen(s), cap = n * 2 + 64, len = 0;
        bool in_string = false;
        char *out = malloc(cap);

        if (!out)
                return NULL;
        for (const char *c = s; *c; c++) {
                /* Worst case per input byte: a newline plus the indentation. */
                if (len + 2 * depth + 8 > cap) {
                        char *t = realloc(out, cap = cap * 2 + 2 * depth + 8);
                        if (!t) {
                                free(out);
                                return NULL;
                        }
                        out = t;
                }
#define NEWLINE() do { out[len++] = '\n'; for (size_t _i = 0; _i < depth; _i++) { out[len++] = ' '; out[len++] = ' '; } } while (0)
                if (in_string) {
                        out[len++] = *c;
                        if (*c == '\\' && c[1])
                                out[len++] = *++c;
                        else if (*c == '"')
                                in_string = false;
                        continue;
                }
                switch (*c) {
                case '"':
                        in_string = true;
                        out[len++] = *c;
                        break;
                case '{':
                case '[':
                        out[len++] = *c;
                        if (c[1] == '}' || c[1] == ']')
                                out[len++] = *++c;
                        else {
                                depth++;
                                NEWLINE();
                        }
                        break;
                case '}':
                case ']':
                        depth--;
                        NEWLINE();
                        out[len++] = *c;
                        break;
                case ',':
                        out[len++] = ',';
                        NEWLINE();
                        break;
                case ':':
                        out[len++] = ':';
                        out[len++] = ' ';
                        break;
                default:
                        out[len++] = *c;
                }
#undef NEWLINE
        }
        out[len++] = '\n';
        out[len] = 0;
        return out;
}

static int serialize(gen_func f, const void *data, bool pretty, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        _cleanup_free_ char *json = NULL;
        int r;

        if (!g)
                return -ENOMEM;
        r = f(g, data);
        if (r < 0)
                return r;
        r = json_gen_finish(g, &json, NULL, NULL);
        if (r < 0)
                return r;
        if (pretty) {
                char *s = indent_json(json);
                if (!s)
                        return -ENOMEM;
                free(json);
                json = s;
        }
        *ret_json = TAKE_PTR(json);
        return 0;
}

int pod_serialize(const Pod *p, char **ret_json) {
        return serialize(gen_pod_any, p, false, ret_json);
}

int pod_serialize_redacted(const Pod *p, char **ret_json) {
        return serialize(gen_pod_redacted_any, p, false, ret_json);
}

int pod_serialize_pretty(const Pod *p, char **ret_json) {
        return serialize(gen_pod_any, p, true, ret_json);
}

int pod_container_serialize(const PodContainer *c, char **ret_json) {
        return serialize(gen_container_any, c, false, ret_json);
}

int pod_level_serialize(const Pod *p, char **ret_json) {
        return serialize(gen_pod_level_any, p, false, ret_json);
}
