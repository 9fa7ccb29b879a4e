/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "json-guard.h"
#include "spec/pod.h"
#include "userns.h"

int store_userns_key(const char *pod, char **ret) {
        if (!pod_name_is_valid(pod))
                return -EINVAL;
        if (asprintf(ret, STORE_USERNS_PREFIX "%s", pod) < 0)
                return -ENOMEM;
        return 0;
}

const char *store_userns_key_pod(const char *key) {
        const char *name = startswith(key, STORE_USERNS_PREFIX);

        return name && pod_name_is_valid(name) ? name : NULL;
}

int store_userns_format(const StoreUserns *u, char **ret_json) {
        if (u->uid == 0 || u->gid == 0 || u->size == 0)
                return -EINVAL;
        if (asprintf(ret_json, "{\"uid\":%" PRIu32 ",\"gid\":%" PRIu32 ",\"size\":%" PRIu32 "}",
                     u->uid, u->gid, u->size) < 0)
                return -ENOMEM;
        return 0;
}

int store_userns_parse(const char *value, size_t size, StoreUserns *ret) {
        static const char *const fields[] = { "uid", "gid", "size" };
        _cleanup_yajl_ yajl_val root = NULL;
        long long v[3] = { -1, -1, -1 };
        int r;

        r = json_guard_parse(value, size, 256, 1, &root, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EINVAL;
        if (!YAJL_IS_OBJECT(root) || root->u.object.len != 3)
                return -EINVAL;
        for (size_t i = 0; i < 3; i++) {
                const char *k = root->u.object.keys[i];
                yajl_val x = root->u.object.values[i];
                size_t j;

                for (j = 0; j < 3; j++)
                        if (streq(k, fields[j]))
                                break;
                if (j == 3 || v[j] >= 0 || !YAJL_IS_INTEGER(x) || YAJL_GET_INTEGER(x) <= 0 ||
                    YAJL_GET_INTEGER(x) >= UINT32_MAX)
                        return -EINVAL;
                v[j] = YAJL_GET_INTEGER(x);
        }
        if (v[0] + v[2] > UINT32_MAX || v[1] + v[2] > UINT32_MAX)
                return -EINVAL;
        *ret = (StoreUserns) { .uid = (uint32_t) v[0], .gid = (uint32_t) v[1], .size = (uint32_t) v[2] };
        return 0;
}
