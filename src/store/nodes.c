/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "config/config-values.h"
#include "json-guard.h"
#include "nodes.h"
#include "spec/spec-util.h"
#include "strv.h"

void node_record_done(NodeRecord *n) {
        if (!n)
                return;
        free(n->name);
        strv_free(n->labels);
        free(n->version);
        free(n->boot_id);
        strv_free(n->interfaces);
        free(n->uplink);
        *n = (NodeRecord) {};
}

static int key(const char *prefix, const char *name, char **ret) {
        if (!config_node_name_is_valid(name))
                return -EINVAL;
        if (asprintf(ret, "%s%s", prefix, name) < 0)
                return -ENOMEM;
        return 0;
}

int store_node_key(const char *name, char **ret) {
        return key(STORE_NODES_PREFIX, name, ret);
}

int store_cordon_key(const char *name, char **ret) {
        return key(STORE_CORDONED_PREFIX, name, ret);
}

const char *store_node_key_name(const char *k) {
        const char *n = startswith(k, STORE_NODES_PREFIX);
        return n && config_node_name_is_valid(n) ? n : NULL;
}

const char *store_cordon_key_name(const char *k) {
        const char *n = startswith(k, STORE_CORDONED_PREFIX);
        return n && config_node_name_is_valid(n) ? n : NULL;
}

int node_record_format(const NodeRecord *n, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;

        if (!n || !config_node_name_is_valid(n->name))
                return -EINVAL;
        g = json_gen_new(JSON_GEN_VALIDATE_UTF8);
        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "name", n->name);
        json_gen_string(g, "labels");
        json_gen_map_open(g);
        STRV_FOREACH(l, n->labels) {
                const char *eq = strchr(*l, '=');

                if (!eq)
                        return -EINVAL;
                json_gen_string_len(g, *l, (size_t) (eq - *l));
                json_gen_string(g, eq + 1);
        }
        json_gen_map_close(g);
        json_gen_string(g, "capacity");
        json_gen_map_open(g);
        json_gen_kv_integer(g, "cpus", (long long) MIN(n->cpus, (uint64_t) INT64_MAX));
        json_gen_kv_integer(g, "memory_bytes", (long long) MIN(n->memory_bytes, (uint64_t) INT64_MAX));
        json_gen_map_close(g);
        json_gen_kv_string(g, "version", n->version ?: "");
        json_gen_kv_string(g, "boot_id", n->boot_id ?: "");
        json_gen_kv_integer(g, "started_usec", (long long) MIN(n->started_usec, (uint64_t) INT64_MAX));
        if (n->has_facts) {
                json_gen_string(g, "interfaces");
                json_gen_array_open(g);
                STRV_FOREACH(i, n->interfaces)
                        json_gen_string(g, *i);
                json_gen_array_close(g);
                json_gen_kv_string(g, "uplink", n->uplink ?: "");
        }
        json_gen_map_close(g);
        return json_gen_finish(g, ret_json, NULL, NULL);
}

static int get_uint(yajl_val root, const char *k, const char *field, uint64_t *ret, char **ret_error) {
        yajl_val v = json_guard_get(root, k);
        long long x;

        if (!v) {
                *ret = 0;
                return 0;
        }
        if (json_guard_int(v, 0, INT64_MAX, &x) < 0)
                return json_field_error(ret_error, field, "expected a non-negative integer");
        *ret = (uint64_t) x;
        return 0;
}

static int get_string(yajl_val root, const char *k, char **ret, char **ret_error) {
        yajl_val v = json_guard_get(root, k);

        if (!v)
                return free_and_strdup(ret, "");
        if (!YAJL_IS_STRING(v))
                return json_field_error(ret_error, k, "expected a string");
        return free_and_strdup(ret, v->u.string);
}

int node_record_parse(const char *value, size_t size, NodeRecord *ret, char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        _cleanup_(node_record_done) NodeRecord n = {};
        _cleanup_free_ char *e = NULL;
        yajl_val v, cap;
        int r;

        r = json_guard_parse(value, size, STORE_NODE_RECORD_MAX, 8, &root, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_field_error(ret_error, "record", strna(e));
        if (!YAJL_IS_OBJECT(root))
                return json_field_error(ret_error, "record", "expected an object");

        v = json_guard_get(root, "name");
        if (!YAJL_IS_STRING(v) || !config_node_name_is_valid(v->u.string))
                return json_field_error(ret_error, "name", "expected a node name");
        n.name = strdup(v->u.string);
        if (!n.name)
                return -ENOMEM;

        v = json_guard_get(root, "labels");
        if (v && !YAJL_IS_OBJECT(v))
                return json_field_error(ret_error, "labels", "expected an object");
        for (size_t i = 0; v && i < v->u.object.len; i++) {
                yajl_val x = v->u.object.values[i];
                _cleanup_free_ char *l = NULL;

                if (!YAJL_IS_STRING(x))
                        return json_field_error(ret_error, "labels", "expected string values");
                if (asprintf(&l, "%s=%s", v->u.object.keys[i], x->u.string) < 0)
                        return -ENOMEM;
                if (!config_node_label_is_valid(l))
                        return json_field_error(ret_error, "labels", "invalid label");
                if (strv_consume(&n.labels, TAKE_PTR(l)) < 0)
                        return -ENOMEM;
        }

        cap = json_guard_get(root, "capacity");
        if (cap && !YAJL_IS_OBJECT(cap))
                return json_field_error(ret_error, "capacity", "expected an object");
        r = get_uint(cap, "cpus", "capacity.cpus", &n.cpus, ret_error);
        if (r < 0)
                return r;
        r = get_uint(cap, "memory_bytes", "capacity.memory_bytes", &n.memory_bytes, ret_error);
        if (r < 0)
                return r;
        r = get_uint(root, "started_usec", "started_usec", &n.started_usec, ret_error);
        if (r < 0)
                return r;
        r = get_string(root, "version", &n.version, ret_error);
        if (r < 0)
                return r;
        r = get_string(root, "boot_id", &n.boot_id, ret_error);
        if (r < 0)
                return r;

        /* Absent from an older tankd's record: its host is not checked. */
        v = json_guard_get(root, "interfaces");
        if (v) {
                if (!YAJL_IS_ARRAY(v) || v->u.array.len > STORE_NODE_INTERFACES_MAX)
                        return json_field_error(ret_error, "interfaces", "expected an array of interface names");
                for (size_t i = 0; i < v->u.array.len; i++) {
                        yajl_val x = v->u.array.values[i];

                        if (!YAJL_IS_STRING(x) || !ifname_is_valid(x->u.string))
                                return json_field_error(ret_error, "interfaces", "expected interface names");
                        if (strv_extend(&n.interfaces, x->u.string) < 0)
                                return -ENOMEM;
                }
                r = get_string(root, "uplink", &n.uplink, ret_error);
                if (r < 0)
                        return r;
                if (!isempty(n.uplink) && !ifname_is_valid(n.uplink))
                        return json_field_error(ret_error, "uplink", "expected an interface name");
                n.has_facts = true;
        }

        *ret = n;
        n = (NodeRecord) {};
        return 0;
}

int node_cordon_format(uint64_t since_usec, bool drain, char **ret_json) {
        if (asprintf(ret_json, "{\"since_usec\":%" PRIu64 "%s}", since_usec, drain ? ",\"drain\":true" : "") < 0)
                return -ENOMEM;
        return 0;
}

int node_cordon_parse(const char *value, size_t size, bool *ret_drain, char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        _cleanup_free_ char *e = NULL;
        yajl_val v;
        int r;

        r = json_guard_parse(value, size, STORE_NODE_RECORD_MAX, 2, &root, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_field_error(ret_error, "cordon", strna(e));
        if (!YAJL_IS_OBJECT(root))
                return json_field_error(ret_error, "cordon", "expected an object");
        v = json_guard_get(root, "drain");
        if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
                return json_field_error(ret_error, "drain", "expected a boolean");
        *ret_drain = v && YAJL_IS_TRUE(v);
        return 0;
}
