/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>

#include "parse-util.h"
#include "spec-util.h"
#include "strv.h"

int fail(Ctx *c, const char *path, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                reason = NULL;
                return -ENOMEM;
        }
        free(c->error);
        if (asprintf(&c->error, "%s: %s", path, reason) < 0) {
                c->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Fail with one quoted untrusted string in the reason (fmt has one %s). */
int fail_quoted(Ctx *c, const char *path, const char *fmt, const char *s, size_t len) {
        _cleanup_free_ char *q = quote_untrusted(s, len, QUOTE_MAX);
        if (!q)
                return -ENOMEM;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        return fail(c, path, fmt, q);
#pragma GCC diagnostic pop
}

/* "$" is the document itself; its fields are named bare ("name"). */
char *path_field(const char *parent, const char *key) {
        char *p;
        if (streq(parent, "$"))
                return strdup(key);
        return asprintf(&p, "%s.%s", parent, key) < 0 ? NULL : p;
}

char *path_index(const char *parent, size_t i) {
        char *p;
        if (streq(parent, "$"))
                return asprintf(&p, "[%zu]", i) < 0 ? NULL : p;
        return asprintf(&p, "%s[%zu]", parent, i) < 0 ? NULL : p;
}

/* An env key as a path component: .KEY when it is an identifier, else ["..."]. */
char *path_key(const char *parent, const char *key, size_t len) {
        _cleanup_free_ char *q = NULL;
        bool ident = len > 0 && len <= QUOTE_MAX && !(key[0] >= '0' && key[0] <= '9');
        char *p;

        for (size_t i = 0; ident && i < len; i++)
                ident = (key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
                        (key[i] >= '0' && key[i] <= '9') || key[i] == '_';
        if (ident)
                return asprintf(&p, "%s.%.*s", parent, (int) len, key) < 0 ? NULL : p;
        q = quote_untrusted(key, len, QUOTE_MAX);
        if (!q)
                return NULL;
        return asprintf(&p, "%s[%s]", parent, q) < 0 ? NULL : p;
}

int expect_type(Ctx *c, const JsonValue *v, const char *path, JsonType t) {
        if (v->type == t)
                return 0;
        return fail(c, path, "expected %s, got %s", json_type_to_article(t), json_type_to_article(v->type));
}

int get_string(Ctx *c, const JsonValue *v, const char *path, const char **ret) {
        int r = expect_type(c, v, path, JSON_STRING);
        if (r < 0)
                return r;
        if (!json_string_is_clean(v))
                return fail(c, path, "contains a NUL character");
        *ret = v->str;
        return 0;
}

int dup_string(Ctx *c, const JsonValue *v, const char *path, char **ret) {
        const char *s = NULL;
        int r = get_string(c, v, path, &s);
        if (r < 0)
                return r;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int get_bool(Ctx *c, const JsonValue *v, const char *path, bool *ret) {
        int r = expect_type(c, v, path, JSON_BOOLEAN);
        if (r < 0)
                return r;
        *ret = v->boolean;
        return 0;
}

int get_int(Ctx *c, const JsonValue *v, const char *path, int64_t *ret) {
        int r = expect_type(c, v, path, JSON_NUMBER);
        if (r < 0)
                return r;
        r = json_number_to_int64(v, ret);
        if (r == -ERANGE)
                return fail(c, path, "integer out of range");
        if (r < 0)
                return fail(c, path, "expected an integer, got a fraction or exponent");
        return 0;
}

int get_uint_range(Ctx *c, const JsonValue *v, const char *path, unsigned min, unsigned max, unsigned *ret) {
        int64_t i;
        int r;

        r = get_int(c, v, path, &i);
        if (r < 0)
                return r;
        if (i < min || i > max)
                return fail(c, path, "%" PRIi64 " out of range %u..%u", i, min, max);
        *ret = (unsigned) i;
        return 0;
}

/* Refuse unknown and duplicate fields, then missing required ones. The lists
 * are small, so this is linear in the members whatever the input. */
int check_fields(Ctx *c, const JsonValue *v, const char *path,
                        const char *const *fields, const char *const *required) {
        unsigned seen = 0;
        int r;

        r = expect_type(c, v, path, JSON_OBJECT);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n_members; i++) {
                const JsonMember *m = v->members + i;
                size_t k;

                for (k = 0; fields[k]; k++)
                        if (strlen(fields[k]) == m->key_len && memcmp(fields[k], m->key, m->key_len) == 0)
                                break;
                if (!fields[k])
                        return fail_quoted(c, path, "unknown field %s", m->key, m->key_len);
                if (seen & (1u << k))
                        return fail_quoted(c, path, "duplicate field %s", m->key, m->key_len);
                seen |= 1u << k;
        }
        STRV_FOREACH(f, (char **) required)
                if (!json_object_get(v, *f))
                        return fail(c, path, "missing field \"%s\"", *f);
        return 0;
}

int parse_dns_label(Ctx *c, const JsonValue *v, const char *path, char **ret) {
        const char *s;
        int r = get_string(c, v, path, &s);
        if (r < 0)
                return r;
        if (!pod_name_is_valid(s))
                return fail(c, path, DNS_LABEL_REASON);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int parse_string_array(Ctx *c, const JsonValue *v, const char *path, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = expect_type(c, v, path, JSON_ARRAY);
        if (r < 0)
                return r;
        l = calloc(v->n_items + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_items; i++) {
                _cleanup_free_ char *p = path_index(path, i);
                if (!p)
                        return -ENOMEM;
                r = dup_string(c, v->items[i], p, l + i);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int parse_string_map(Ctx *c, const JsonValue *v, const char *path, const StringMap *map, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = expect_type(c, v, path, JSON_OBJECT);
        if (r < 0)
                return r;
        if (v->n_members == 0)
                return 0;
        if (map->max > 0 && v->n_members > map->max)
                return fail(c, path, "too many %s (at most %zu)", map->what, map->max);
        l = calloc(v->n_members + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_members; i++) {
                const JsonMember *m = v->members + i;
                _cleanup_free_ char *p = NULL;
                const char *val;

                r = map->check_key(c, path, v, i);
                if (r < 0)
                        return r;
                p = path_key(path, m->key, m->key_len);
                if (!p)
                        return -ENOMEM;
                r = get_string(c, m->value, p, &val);
                if (r < 0)
                        return r;
                if (map->check_value) {
                        r = map->check_value(c, p, val);
                        if (r < 0)
                                return r;
                }
                if (asprintf(l + i, "%s%s%s", m->key, map->separator, val) < 0) {
                        l[i] = NULL;
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int parse_abs_path(Ctx *c, const JsonValue *v, const char *path, bool allow_root, char **ret) {
        const char *s;
        int r = get_string(c, v, path, &s);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return fail(c, path, "must be an absolute path");
        if (!path_is_absolute_normalized(s))
                return fail(c, path, PATH_REASON);
        if (!allow_root && streq(s, "/"))
                return fail(c, path, "cannot mount over the container's root \"/\"");
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

