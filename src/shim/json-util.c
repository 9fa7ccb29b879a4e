/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "json-util.h"
#include "strv.h"

void json_ctx_done(JsonCtx *j) {
        if (j->root)
                yajl_tree_free(j->root);
        j->root = NULL;
        free(j->error);
        j->error = NULL;
}

int json_fail(JsonCtx *j, const char *fmt, ...) {
        va_list ap;

        if (j->error)   /* keep the first, most specific reason */
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&j->error, fmt, ap) < 0)
                j->error = NULL;
        va_end(ap);
        return -EINVAL;
}

int json_ctx_parse(JsonCtx *j, const char *json, size_t len, yajl_val *ret) {
        _cleanup_free_ char *e = NULL;
        int r;

        r = json_guard_parse(json, len, SIZE_MAX, SHIM_JSON_DEPTH_MAX, &j->root, &e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                (void) json_fail(j, "not valid JSON: %s", strna(e));
                return -EBADMSG;
        }
        *ret = j->root;
        return 0;
}

int json_check_fields(JsonCtx *j, yajl_val v, const char *where, const char *const *fields) {
        for (size_t i = 0; i < v->u.object.len; i++) {
                const char *k = v->u.object.keys[i];
                bool known = false;

                for (const char *const *f = fields; *f; f++)
                        if (streq(*f, k))
                                known = true;
                if (!known)
                        return json_fail(j, "%s.%s: unknown field", where, k);
                for (size_t l = 0; l < i; l++)
                        if (streq(v->u.object.keys[l], k))
                                return json_fail(j, "%s.%s: duplicate field", where, k);
        }
        return 0;
}

int json_get_string(JsonCtx *j, yajl_val v, const char *field, char **ret) {
        char *s;

        if (!YAJL_IS_STRING(v))
                return json_fail(j, "%s: must be a string", field);
        s = strdup(v->u.string);
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

int json_get_strv(JsonCtx *j, yajl_val v, const char *field, size_t max, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!YAJL_IS_ARRAY(v))
                return json_fail(j, "%s: must be an array of strings", field);
        if (v->u.array.len > max)
                return json_fail(j, "%s: more than %zu entries", field, max);
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++) {
                yajl_val x = v->u.array.values[i];
                if (!YAJL_IS_STRING(x))
                        return json_fail(j, "%s[%zu]: must be a string", field, i);
                r = strv_extend(&l, x->u.string);
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

int json_get_bool(JsonCtx *j, yajl_val v, const char *field, bool *ret) {
        if (YAJL_IS_TRUE(v))
                *ret = true;
        else if (YAJL_IS_FALSE(v))
                *ret = false;
        else
                return json_fail(j, "%s: must be a boolean", field);
        return 0;
}

int json_get_int(JsonCtx *j, yajl_val v, const char *field, long long min, long long max,
                 long long *ret) {
        if (!YAJL_IS_INTEGER(v))
                return json_fail(j, "%s: must be an integer", field);
        if (YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
                return json_fail(j, "%s: must be between %lld and %lld", field, min, max);
        *ret = YAJL_GET_INTEGER(v);
        return 0;
}

int json_gen_value(JsonGen *g, yajl_val v) {
        if (YAJL_IS_OBJECT(v)) {
                (void) json_gen_map_open(g);
                for (size_t i = 0; i < v->u.object.len; i++) {
                        (void) json_gen_string(g, v->u.object.keys[i]);
                        (void) json_gen_value(g, v->u.object.values[i]);
                }
                return json_gen_map_close(g);
        }
        if (YAJL_IS_ARRAY(v)) {
                (void) json_gen_array_open(g);
                for (size_t i = 0; i < v->u.array.len; i++)
                        (void) json_gen_value(g, v->u.array.values[i]);
                return json_gen_array_close(g);
        }
        if (YAJL_IS_STRING(v))
                return json_gen_string(g, YAJL_GET_STRING(v));
        if (YAJL_IS_NUMBER(v))
                return json_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
                return json_gen_bool(g, YAJL_IS_TRUE(v));
        return json_gen_null(g);
}
