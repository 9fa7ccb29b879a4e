/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "json-guard.h"
#include "node-name.h"
#include "spec/pod.h"
#include "status.h"
#include "strv.h"

static const char * const phases[] = {
        "pending", "running", "backoff", "succeeded", "failed", "terminating", NULL,
};

void pod_status_record_done(PodStatusRecord *r) {
        if (!r)
                return;
        free(r->node);
        free(r->phase);
        *r = (PodStatusRecord) {};
}

int store_status_key(const char *pod, char **ret) {
        if (!pod_name_is_valid(pod))
                return -EINVAL;
        if (asprintf(ret, STORE_STATUS_PREFIX "%s", pod) < 0)
                return -ENOMEM;
        return 0;
}

const char *store_status_key_pod(const char *key) {
        const char *p = startswith(key, STORE_STATUS_PREFIX);

        return p && pod_name_is_valid(p) ? p : NULL;
}

int pod_status_record_format(const PodStatusRecord *r, char **ret_json) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;

        if (!node_name_is_valid(r->node) || !r->phase || !strv_contains((char **) phases, r->phase) ||
            r->ready > r->containers || r->updated_usec > INT64_MAX)
                return -EINVAL;
        g = json_gen_new(0);
        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "node", r->node);
        json_gen_kv_string(g, "phase", r->phase);
        json_gen_kv_integer(g, "ready", r->ready);
        json_gen_kv_integer(g, "containers", r->containers);
        json_gen_kv_integer(g, "restarts", r->restarts);
        json_gen_kv_integer(g, "updated_usec", (long long) r->updated_usec);
        json_gen_map_close(g);
        return json_gen_finish(g, ret_json, NULL, NULL);
}

static int get_u32(yajl_val root, const char *k, uint32_t *ret, char **ret_error) {
        yajl_val v = json_guard_get(root, k);
        long long x;

        if (!v || json_guard_int(v, 0, UINT32_MAX, &x) < 0)
                return json_field_error(ret_error, k, "expected an integer from 0 to 4294967295");
        *ret = (uint32_t) x;
        return 0;
}

int pod_status_record_parse(const char *value, size_t size, PodStatusRecord *ret, char **ret_error) {
        _cleanup_(yajl_tree_freep) yajl_val root = NULL;
        _cleanup_(pod_status_record_done) PodStatusRecord r = {};
        _cleanup_free_ char *e = NULL;
        long long t;
        yajl_val v;
        int k;

        k = json_guard_parse(value, size, STORE_STATUS_VALUE_MAX, 4, &root, &e);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return json_field_error(ret_error, "value", strna(e));
        if (!YAJL_IS_OBJECT(root))
                return json_field_error(ret_error, "value", "expected an object");
        v = json_guard_get(root, "node");
        if (!YAJL_IS_STRING(v) || !node_name_is_valid(v->u.string))
                return json_field_error(ret_error, "node", "expected a node name");
        r.node = strdup(v->u.string);
        v = json_guard_get(root, "phase");
        if (!YAJL_IS_STRING(v) || !strv_contains((char **) phases, v->u.string))
                return json_field_error(ret_error, "phase", "expected a pod phase");
        r.phase = strdup(v->u.string);
        if (!r.node || !r.phase)
                return -ENOMEM;
        if ((k = get_u32(root, "ready", &r.ready, ret_error)) < 0 ||
            (k = get_u32(root, "containers", &r.containers, ret_error)) < 0 ||
            (k = get_u32(root, "restarts", &r.restarts, ret_error)) < 0)
                return k;
        if (r.ready > r.containers)
                return json_field_error(ret_error, "ready", "more than containers");
        v = json_guard_get(root, "updated_usec");
        if (!v || json_guard_int(v, 0, INT64_MAX, &t) < 0)
                return json_field_error(ret_error, "updated_usec", "expected a non-negative integer");
        r.updated_usec = (uint64_t) t;
        *ret = r;
        r = (PodStatusRecord) {};
        return 0;
}
