/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "registry-json.h"

int registry_json_parse(const char *text, size_t len, yajl_val *ret, char **ret_error) {
        _cleanup_free_ char *e = NULL;
        int r;

        r = json_guard_parse(text, len, SIZE_MAX, REGISTRY_JSON_MAX_DEPTH, ret, ret_error ? &e : NULL);
        if (r >= 0 || r == -ENOMEM || !ret_error)
                return r;
        if (asprintf(ret_error, "invalid JSON: %s", strna(e)) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}
