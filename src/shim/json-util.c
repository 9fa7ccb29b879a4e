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
        _cleanup_free_ char *copy = NULL;
        char err[256] = "";

        /* yajl_tree_parse() wants a C string; a NUL inside would silently cut it. */
        if (memchr(json, 0, len)) {
                (void) json_fail(j, "config: contains a NUL byte");
                return -EBADMSG;
        }
        copy = strndup(json, len);
        if (!copy)
                return -ENOMEM;
        j->root = yajl_tree_parse(copy, err, sizeof err);
        if (!j->root) {
                char *nl = strchr(err, '\n');
                if (nl)
                        *nl = 0;
                (void) json_fail(j, "not valid JSON: %s", err[0] ? err : "parse error");
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

yajl_gen json_gen_new(void) {
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        (void) yajl_gen_config(g, yajl_gen_beautify, 1);
        (void) yajl_gen_config(g, yajl_gen_validate_utf8, 1);
        return g;
}

int json_gen_string(yajl_gen g, const char *s) {
        return yajl_gen_string(g, (const unsigned char *) s, strlen(s));
}

int json_gen_kv_string(yajl_gen g, const char *key, const char *value) {
        int r = json_gen_string(g, key);
        return r | json_gen_string(g, value);
}

int json_gen_kv_strv(yajl_gen g, const char *key, char * const *l) {
        int r = json_gen_string(g, key);

        r |= yajl_gen_array_open(g);
        STRV_FOREACH(s, l)
                r |= json_gen_string(g, *s);
        return r | yajl_gen_array_close(g);
}

int json_gen_finish(yajl_gen g, char **ret) {
        const unsigned char *buf;
        size_t len;
        char *s;

        if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
                return -EINVAL;
        s = strndup((const char *) buf, len);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
