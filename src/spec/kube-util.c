/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "kube-util.h"
#include "strv.h"

_printf_(4, 5)
int k_fail(K *k, const YamlNode *n, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&reason, fmt, ap) < 0)
                reason = NULL;
        va_end(ap);
        if (!reason)
                return -ENOMEM;
        free(k->error);
        if (asprintf(&k->error, "document %u: %s: %s (line %u, column %u)", k->document, path, reason,
                     n ? n->line : 0, n ? n->column : 0) < 0) {
                k->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* A known Kubernetes field Tank cannot honour: refused, or one warning line. */
int k_unsupported(K *k, const YamlNode *n, const char *path, bool yet) {
        const char *what = yet ? "not supported by Tank yet" : "not supported by Tank";
        char *w;

        if (!k->ignore)
                return k_fail(k, n, path, "%s", what);
        if (asprintf(&w, "document %u: %s: %s, ignored (line %u, column %u)", k->document, path, what,
                     n->line, n->column) < 0)
                return -ENOMEM;
        return strv_consume(&k->warnings, w);
}

char *k_field_path(const char *parent, const char *key) {
        char *p;
        if (isempty(parent))
                return strdup(key);
        return asprintf(&p, "%s.%s", parent, key) < 0 ? NULL : p;
}

char *k_index_path(const char *parent, size_t i) {
        char *p;
        return asprintf(&p, "%s[%zu]", parent, i) < 0 ? NULL : p;
}


/* The key of a mapping's value, for messages about the field itself. */
const YamlNode *k_key_of(const YamlNode *map, const YamlNode *value) {
        for (size_t i = 0; map->type == YNODE_MAPPING && i < map->n_pairs; i++)
                if (map->pairs[i].value == value)
                        return map->pairs[i].key;
        return value;
}

bool k_in_set(const char *s, const char *const *set) {
        for (; set && *set; set++)
                if (streq(s, *set))
                        return true;
        return false;
}

/* Walk a mapping: supported fields land in their slots (null values count as
 * absent, as in Kubernetes), known unsupported ones go through k_unsupported(),
 * anything else is an unknown field. Keys are checked in document order, so
 * the first fault reported is the first one written. */
int k_walk(K *k, const YamlNode *map, const char *path, const Field *fields,
                const char *const *unsupported_fields, const char *const *yet_fields) {
        int r;

        if (map->type != YNODE_MAPPING)
                return k_fail(k, map, isempty(path) ? "$" : path, "expected a mapping, got %s", yaml_node_describe(map));
        for (size_t i = 0; i < map->n_pairs; i++) {
                const YamlNode *key = map->pairs[i].key, *value = map->pairs[i].value;
                bool found = false;

                PATH(p, k_field_path(path, key->str));
                if (strlen(key->str) != key->len)
                        return k_fail(k, key, isempty(path) ? "$" : path, "key with a NUL byte");
                for (const Field *f = fields; f && f->name; f++)
                        if (streq(f->name, key->str)) {
                                if (!yaml_node_is_null(value))
                                        *f->slot = value;
                                found = true;
                                break;
                        }
                if (found)
                        continue;
                if (k_in_set(key->str, unsupported_fields) || k_in_set(key->str, yet_fields)) {
                        /* A security context or lifecycle is a set of settings
                         * each refused on its own (...securityContext.privileged). */
                        if (k_in_set(key->str, (const char *const[]) { "securityContext", "lifecycle", NULL }) &&
                            value->type == YNODE_MAPPING && value->n_pairs > 0) {
                                for (size_t j = 0; j < value->n_pairs; j++) {
                                        PATH(q, k_field_path(p, value->pairs[j].key->str));
                                        r = k_unsupported(k, value->pairs[j].key, q, false);
                                        if (r < 0)
                                                return r;
                                }
                                continue;
                        }
                        r = k_unsupported(k, key, p, k_in_set(key->str, yet_fields));
                        if (r < 0)
                                return r;
                        continue;
                }
                _cleanup_free_ char *q = quote_untrusted(key->str, key->len, 64);
                if (!q)
                        return -ENOMEM;
                return k_fail(k, key, isempty(path) ? "$" : path, "unknown field %s", q);
        }
        return 0;
}


int k_gen_str(K *k, const char *s) {
        G(json_gen_string(k->g, s));
        return 0;
}


int k_get_str(K *k, const YamlNode *n, const char *path, const char **ret) {
        if (n->type != YNODE_SCALAR || yaml_scalar_kind(n) != YSCALAR_STRING)
                return k_fail(k, n, path, "expected a string, got %s%s", yaml_node_describe(n),
                             n->type == YNODE_SCALAR ? " (quote it)" : "");
        if (strlen(n->str) != n->len)
                return k_fail(k, n, path, "string with a NUL byte");
        *ret = n->str;
        return 0;
}

int k_get_bool(K *k, const YamlNode *n, const char *path, bool *ret) {
        if (n->type != YNODE_SCALAR || yaml_scalar_kind(n) != YSCALAR_BOOL)
                return k_fail(k, n, path, "expected a boolean (true or false), got %s", yaml_node_describe(n));
        *ret = n->str[0] == 't' || n->str[0] == 'T';
        return 0;
}

int k_gen_strings(K *k, const YamlNode *n, const char *path) {
        if (n->type != YNODE_SEQUENCE)
                return k_fail(k, n, path, "expected a sequence of strings, got %s", yaml_node_describe(n));
        G(json_gen_array_open(k->g));
        for (size_t i = 0; i < n->n_items; i++) {
                const char *s;
                int r;

                PATH(p, k_index_path(path, i));
                r = k_get_str(k, n->items[i], p, &s);
                if (r < 0)
                        return r;
                STR(s);
        }
        G(json_gen_array_close(k->g));
        return 0;
}

int k_get_str_field(K *k, const YamlNode *n, const char *parent, const char *key, const char **ret) {
        PATH(p, k_field_path(parent, key));
        return k_get_str(k, n, p, ret);
}

int k_gen_str_field(K *k, const YamlNode *n, const char *parent, const char *kube, const char *tank) {
        const char *s;
        int r;

        if (!n)
                return 0;
        r = k_get_str_field(k, n, parent, kube, &s);
        if (r < 0)
                return r;
        STR(tank);
        STR(s);
        return 0;
}

/* A JSON fragment from an annotation, re-emitted as it is: pod_parse() checks it. */
int k_gen_json(K *k, const JsonValue *v) {
        return json_value_generate(k->g, v);
}

int k_parse_fragment(K *k, const YamlNode *n, const char *path, JsonValue **ret) {
        _cleanup_free_ char *error = NULL;
        const char *s;
        int r;

        r = k_get_str(k, n, path, &s);
        if (r < 0)
                return r;
        r = json_parse(s, strlen(s), POD_JSON_MAX, FRAGMENT_DEPTH_MAX, ret, &error);
        if (r == -EINVAL)
                return k_fail(k, n, path, "not a Tank JSON fragment: %s", strna(error));
        return r;
}

static int record(K *k, const YamlNode *n, const char *yaml, const char *json, size_t root) {
        _cleanup_free_ char *j = strdup(json), *y = strdup(yaml);
        KPath *a;

        if (!j || !y)
                return -ENOMEM;
        a = reallocarray(k->paths, k->n_paths + 1, sizeof(KPath));
        if (!a)
                return -ENOMEM;
        k->paths = a;
        k->paths[k->n_paths++] = (KPath) { .json = TAKE_PTR(j), .yaml = TAKE_PTR(y), .node = n, .root = root };
        return 0;
}

int k_record(K *k, const YamlNode *n, const char *yaml, const char *json) {
        return record(k, n, yaml, json, SIZE_MAX);
}

int k_record_fragment(K *k, const YamlNode *n, const char *yaml, const char *json_root, const char *json) {
        if (!startswith(json, json_root))
                return -EINVAL;
        return record(k, n, yaml, json, strlen(json_root));
}

void k_paths_clear(K *k) {
        FOREACH_ARRAY(e, k->paths, k->n_paths) {
                free(e->json);
                free(e->yaml);
        }
        k->paths = mfree(k->paths);
        k->n_paths = 0;
}

/* error is pod_parse()'s "PATH: REASON". The deepest recorded path that is
 * PATH or holds it names the YAML node; inside a fragment the rest of PATH is
 * the path in the fragment's JSON, elsewhere the node stands for all of it.
 * Nothing recorded (which the translation should not leave): the Tank path. */
int k_refusal(K *k, const char *path, const char *error) {
        const KPath *best = NULL;
        size_t best_len = 0;

        FOREACH_ARRAY(e, k->paths, k->n_paths) {
                size_t l = strlen(e->json);
                char c;

                if (l == 0 || l < best_len || strncmp(error, e->json, l) != 0)
                        continue;
                c = error[l];
                if (!(c == ':' && error[l + 1] == ' ') && c != '.' && c != '[')
                        continue;
                best = e;
                best_len = l;
        }
        if (!best) {
                free(k->error);
                if (asprintf(&k->error, "document %u: %s%sthe Tank spec: %s", k->document, strempty(path),
                             isempty(path) ? "" : ": ", error) < 0) {
                        k->error = NULL;
                        return -ENOMEM;
                }
                return -EINVAL;
        }
        if (best->root != SIZE_MAX) {
                const char *inner = error + best->root;
                if (*inner == '.')
                        inner++;
                return k_fail(k, best->node, best->yaml, "%s", startswith(inner, ": ") ? inner + 2 : inner);
        }
        const char *reason = strstr(error + best_len, ": ");
        return k_fail(k, best->node, best->yaml, "%s", reason ? reason + 2 : error + best_len);
}

void k_pod_ctx_done(PodCtx *c) {
        json_value_free(c->network);
        json_value_free(c->rollout);
        json_value_free(c->placement);
        json_value_free(c->reschedule);
        for (size_t i = 0; i < c->n_extras; i++) {
                FOREACH_ARRAY(v, c->extras[i].fields, ELEMENTSOF(c->extras[i].fields))
                        json_value_free(*v);
        }
        for (size_t i = 0; i < c->n_extras; i++)
                free(c->extras[i].yaml);
        free(c->extras);
        free(c->volumes);
}
