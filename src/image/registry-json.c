/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "registry-json.h"

static int check_depth(const char *text, size_t len) {
        unsigned depth = 0;
        bool in_string = false;

        for (size_t i = 0; i < len; i++) {
                char c = text[i];

                if (c == 0)
                        return -EBADMSG;
                if (in_string) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == '"')
                        in_string = true;
                else if (c == '[' || c == '{') {
                        if (++depth > REGISTRY_JSON_MAX_DEPTH)
                                return -ELOOP;
                } else if ((c == ']' || c == '}') && depth > 0)
                        depth--;
        }
        return 0;
}

int registry_json_parse(const char *text, size_t len, yajl_val *ret, char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        char errbuf[256] = "";
        yajl_val v;
        int r;

        r = check_depth(text, len);
        if (r == -ELOOP) {
                if (ret_error)
                        *ret_error = strdup("JSON nested too deeply");
                return -EBADMSG;
        }
        if (r < 0) {
                if (ret_error)
                        *ret_error = strdup("JSON contains a NUL byte");
                return -EBADMSG;
        }

        copy = strndup(text, len);
        if (!copy)
                return -ENOMEM;

        v = yajl_tree_parse(copy, errbuf, sizeof errbuf);
        if (!v) {
                if (ret_error) {
                        /* yajl's message is multi-line; keep the first line. */
                        errbuf[strcspn(errbuf, "\n")] = 0;
                        if (asprintf(ret_error, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error") < 0)
                                *ret_error = NULL;
                }
                return -EBADMSG;
        }

        *ret = v;
        return 0;
}

yajl_val registry_json_get(yajl_val obj, const char *key) {
        if (!obj || !YAJL_IS_OBJECT(obj))
                return NULL;
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (streq(obj->u.object.keys[i], key))
                        return obj->u.object.values[i];
        return NULL;
}

const char *registry_json_string(yajl_val v) {
        return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}
