/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "bindings.h"
#include "json-guard.h"
#include "node-name.h"
#include "pods.h"
#include "spec/pod.h"
#include "strv.h"

int store_binding_key(const char *node, const char *pod, char **ret) {
        if (!node_name_is_valid(node) || !pod_name_is_valid(pod))
                return -EINVAL;
        return asprintf(ret, STORE_BINDINGS_PREFIX "%s/%s", node, pod) < 0 ? -ENOMEM : 0;
}

int store_bindings_node_prefix(const char *node, char **ret) {
        if (!node_name_is_valid(node))
                return -EINVAL;
        return asprintf(ret, STORE_BINDINGS_PREFIX "%s/", node) < 0 ? -ENOMEM : 0;
}

int store_bound_key(const char *pod, char **ret) {
        if (!pod_name_is_valid(pod))
                return -EINVAL;
        return asprintf(ret, STORE_BOUND_PREFIX "%s", pod) < 0 ? -ENOMEM : 0;
}

int store_unschedulable_key(const char *pod, char **ret) {
        if (!pod_name_is_valid(pod))
                return -EINVAL;
        return asprintf(ret, STORE_UNSCHEDULABLE_PREFIX "%s", pod) < 0 ? -ENOMEM : 0;
}

const char *store_bound_key_pod(const char *key) {
        const char *p = key ? startswith(key, STORE_BOUND_PREFIX) : NULL;
        return p && pod_name_is_valid(p) ? p : NULL;
}

const char *store_unschedulable_key_pod(const char *key) {
        const char *p = key ? startswith(key, STORE_UNSCHEDULABLE_PREFIX) : NULL;
        return p && pod_name_is_valid(p) ? p : NULL;
}

int store_binding_key_parse(const char *key, char **ret_node, char **ret_pod) {
        _cleanup_free_ char *node = NULL, *pod = NULL;
        const char *p = key ? startswith(key, STORE_BINDINGS_PREFIX) : NULL, *slash;

        if (!p || !(slash = strchr(p, '/')))
                return -EINVAL;
        node = strndup(p, (size_t) (slash - p));
        pod = strdup(slash + 1);
        if (!node || !pod)
                return -ENOMEM;
        if (!node_name_is_valid(node) || !pod_name_is_valid(pod))
                return -EINVAL;
        if (ret_node)
                *ret_node = TAKE_PTR(node);
        if (ret_pod)
                *ret_pod = TAKE_PTR(pod);
        return 0;
}

void binding_record_done(BindingRecord *b) {
        if (!b)
                return;
        free(b->node);
        free(b->pod);
        *b = (BindingRecord) {};
}

static int finish(JsonGen *g, char **ret_json) {
        return json_gen_finish(g, ret_json, NULL, NULL);
}

int binding_record_format(const char *node, const char *pod, uint64_t bound_usec, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;

        if (!node_name_is_valid(node) || !pod_name_is_valid(pod) || bound_usec > INT64_MAX)
                return -EINVAL;
        g = json_gen_new(0);
        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "node", node);
        json_gen_kv_string(g, "pod", pod);
        json_gen_kv_integer(g, "bound_usec", (long long) bound_usec);
        json_gen_map_close(g);
        return finish(g, ret_json);
}

static int parse_object(const char *value, size_t size, yajl_val *ret, char **ret_error) {
        _cleanup_free_ char *e = NULL;
        int r;

        r = json_guard_parse(value, size, STORE_BINDING_VALUE_MAX, 4, ret, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_field_error(ret_error, "value", strna(e));
        if (!YAJL_IS_OBJECT(*ret))
                return json_field_error(ret_error, "value", "expected an object");
        return 0;
}

static int get_usec(yajl_val root, const char *k, uint64_t *ret, char **ret_error) {
        yajl_val v = json_guard_get(root, k);
        long long x;

        if (!v || json_guard_int(v, 0, INT64_MAX, &x) < 0)
                return json_field_error(ret_error, k, "expected a non-negative integer");
        *ret = (uint64_t) x;
        return 0;
}

int binding_record_parse(const char *value, size_t size, BindingRecord *ret, char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        _cleanup_(binding_record_done) BindingRecord b = {};
        yajl_val v;
        int r;

        r = parse_object(value, size, &root, ret_error);
        if (r < 0)
                return r;
        v = json_guard_get(root, "node");
        if (!YAJL_IS_STRING(v) || !node_name_is_valid(v->u.string))
                return json_field_error(ret_error, "node", "expected a node name");
        b.node = strdup(v->u.string);
        v = json_guard_get(root, "pod");
        if (!YAJL_IS_STRING(v) || !pod_name_is_valid(v->u.string))
                return json_field_error(ret_error, "pod", "expected a pod name");
        b.pod = strdup(v->u.string);
        if (!b.node || !b.pod)
                return -ENOMEM;
        r = get_usec(root, "bound_usec", &b.bound_usec, ret_error);
        if (r < 0)
                return r;
        *ret = b;
        b = (BindingRecord) {};
        return 0;
}

int bound_value_parse(const char *value, size_t size, char **ret_node) {
        char *n;

        if (!value || size == 0 || size > NODE_NAME_MAX || memchr(value, 0, size))
                return -EBADMSG;
        n = strndup(value, size);
        if (!n)
                return -ENOMEM;
        if (!node_name_is_valid(n)) {
                free(n);
                return -EBADMSG;
        }
        *ret_node = n;
        return 0;
}

int unschedulable_format(const char *reason, uint64_t since_usec, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;

        if (isempty(reason) || strlen(reason) > UNSCHEDULABLE_REASON_MAX || since_usec > INT64_MAX)
                return -EINVAL;
        g = json_gen_new(JSON_GEN_VALIDATE_UTF8);
        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "reason", reason);
        json_gen_kv_integer(g, "since_usec", (long long) since_usec);
        json_gen_map_close(g);
        return finish(g, ret_json);
}

int unschedulable_parse(const char *value, size_t size, char **ret_reason, uint64_t *ret_since_usec,
                        char **ret_error) {
        _cleanup_yajl_ yajl_val root = NULL;
        uint64_t since;
        yajl_val v;
        int r;

        r = parse_object(value, size, &root, ret_error);
        if (r < 0)
                return r;
        v = json_guard_get(root, "reason");
        if (!YAJL_IS_STRING(v) || isempty(v->u.string) || strlen(v->u.string) > UNSCHEDULABLE_REASON_MAX)
                return json_field_error(ret_error, "reason", "expected a non-empty string");
        for (const char *c = v->u.string; *c; c++)
                if ((unsigned char) *c < ' ' || *c == 0x7f)
                        return json_field_error(ret_error, "reason", "control character");
        r = get_usec(root, "since_usec", &since, ret_error);
        if (r < 0)
                return r;
        if (ret_reason) {
                *ret_reason = strdup(v->u.string);
                if (!*ret_reason)
                        return -ENOMEM;
        }
        if (ret_since_usec)
                *ret_since_usec = since;
        return 0;
}

int store_bind_ops(const char *node, const char *pod, const char *old_node, uint64_t bound_usec,
                   StoreTxnOp ops[static 4], size_t *ret_n, char *strings[static 5]) {
        size_t n = 0;
        int r;

        for (size_t i = 0; i < 5; i++)
                strings[i] = NULL;
        r = store_binding_key(node, pod, &strings[0]);
        if (r >= 0)
                r = binding_record_format(node, pod, bound_usec, &strings[1]);
        if (r >= 0)
                r = store_bound_key(pod, &strings[2]);
        if (r >= 0)
                r = store_unschedulable_key(pod, &strings[3]);
        if (r >= 0 && old_node && !streq(old_node, node))
                r = store_binding_key(old_node, pod, &strings[4]);
        if (r < 0) {
                for (size_t i = 0; i < 5; i++)
                        strings[i] = mfree(strings[i]);
                return r;
        }
        ops[n++] = (StoreTxnOp) { STORE_TXN_PUT, strings[0], strings[1], strlen(strings[1]), 0 };
        ops[n++] = (StoreTxnOp) { STORE_TXN_PUT, strings[2], node, strlen(node), 0 };
        ops[n++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = strings[3] };
        if (strings[4])
                ops[n++] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = strings[4] };
        *ret_n = n;
        return 0;
}

int store_bind(Store *s, const char *node, const char *pod, int64_t pod_mod_revision,
               const char *old_node, int64_t bound_mod_revision, uint64_t bound_usec,
               StoreCallback cb, void *userdata) {
        _cleanup_free_ char *pod_key = NULL;
        char *strings[5];
        StoreTxnOp ops[4];
        StoreCompare cmp[2];
        size_t n;
        int r;

        if (pod_mod_revision <= 0 || bound_mod_revision < 0 || (bound_mod_revision > 0) != !!old_node)
                return -EINVAL;
        r = store_pod_key(pod, &pod_key);
        if (r < 0)
                return r;
        r = store_bind_ops(node, pod, old_node, bound_usec, ops, &n, strings);
        if (r < 0)
                return r;
        cmp[0] = (StoreCompare) {
                .key = strings[2],
                .target = bound_mod_revision > 0 ? STORE_COMPARE_MOD : STORE_COMPARE_CREATE,
                .result = STORE_COMPARE_EQUAL,
                .number = bound_mod_revision,
        };
        cmp[1] = (StoreCompare) {
                .key = pod_key,
                .target = STORE_COMPARE_MOD,
                .result = STORE_COMPARE_EQUAL,
                .number = pod_mod_revision,
        };
        r = store_txn(s, &(StoreTxn) { .compare = cmp, .n_compare = 2, .success = ops, .n_success = n }, cb, userdata);
        for (size_t i = 0; i < 5; i++)
                free(strings[i]);
        return r;
}

int store_unschedulable_put(Store *s, const char *pod, const char *reason, uint64_t since_usec,
                            int64_t pod_mod_revision, StoreCallback cb, void *userdata) {
        _cleanup_free_ char *key = NULL, *json = NULL, *pod_key = NULL;
        StoreCompare cmp;
        StoreTxnOp put;
        int r;

        if (pod_mod_revision <= 0)
                return -EINVAL;
        r = store_unschedulable_key(pod, &key);
        if (r >= 0)
                r = store_pod_key(pod, &pod_key);
        if (r >= 0)
                r = unschedulable_format(reason, since_usec, &json);
        if (r < 0)
                return r;
        cmp = (StoreCompare) { .key = pod_key, .target = STORE_COMPARE_MOD, .result = STORE_COMPARE_EQUAL,
                               .number = pod_mod_revision };
        put = (StoreTxnOp) { .type = STORE_TXN_PUT, .key = key, .value = json, .value_size = strlen(json) };
        return store_txn(s, &(StoreTxn) { .compare = &cmp, .n_compare = 1, .success = &put, .n_success = 1 },
                         cb, userdata);
}
