/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdarg.h>
#include <yajl/yajl_parse.h>

#include "json.h"

JsonValue *json_value_free(JsonValue *v) {
        if (!v)
                return NULL;
        switch (v->type) {
        case JSON_NUMBER:
        case JSON_STRING:
                free(v->str);
                break;
        case JSON_ARRAY:
                /* Recursion is bounded by the depth cap of json_parse(). */
                for (size_t i = 0; i < v->n_items; i++)
                        json_value_free(v->items[i]);
                free(v->items);
                break;
        case JSON_OBJECT:
                for (size_t i = 0; i < v->n_members; i++) {
                        free(v->members[i].key);
                        json_value_free(v->members[i].value);
                }
                free(v->members);
                break;
        default:
                break;
        }
        free(v);
        return NULL;
}

typedef struct Builder {
        JsonValue **stack;         /* open arrays/objects, innermost last */
        char **pending_key;        /* per level: key waiting for its value */
        size_t *pending_key_len;
        unsigned depth, max_depth;
        JsonValue *root;
        int error;                 /* 0, -ENOMEM or -EINVAL */
        char *reason;
} Builder;

static int builder_fail(Builder *b, int error, const char *fmt, ...) _printf_(3, 4);
static int builder_fail(Builder *b, int error, const char *fmt, ...) {
        va_list ap;

        if (b->error == 0) {
                b->error = error;
                if (fmt) {
                        va_start(ap, fmt);
                        if (vasprintf(&b->reason, fmt, ap) < 0) {
                                b->reason = NULL;
                                b->error = -ENOMEM;
                        }
                        va_end(ap);
                }
        }
        return 0; /* tells yajl to cancel */
}

/* Grow an array geometrically without a separate capacity field: capacity is
 * the next power of two >= n. */
static int grow(void **p, size_t n, size_t size) {
        void *q;
        size_t cap;

        if (n != 0 && (n & (n - 1)) != 0)
                return 0;
        cap = n == 0 ? 1 : n * 2;
        q = reallocarray(*p, cap, size);
        if (!q)
                return -ENOMEM;
        *p = q;
        return 0;
}

static int add_value(Builder *b, JsonValue *v) {
        JsonValue *top;

        if (!v)
                return builder_fail(b, -ENOMEM, NULL);
        if (b->depth == 0) {
                b->root = v;
                return 1;
        }
        top = b->stack[b->depth - 1];
        if (top->type == JSON_ARRAY) {
                if (grow((void **) &top->items, top->n_items, sizeof(JsonValue *)) < 0) {
                        json_value_free(v);
                        return builder_fail(b, -ENOMEM, NULL);
                }
                top->items[top->n_items++] = v;
        } else {
                if (grow((void **) &top->members, top->n_members, sizeof(JsonMember)) < 0) {
                        json_value_free(v);
                        return builder_fail(b, -ENOMEM, NULL);
                }
                top->members[top->n_members++] = (JsonMember) {
                        .key = TAKE_PTR(b->pending_key[b->depth - 1]),
                        .key_len = b->pending_key_len[b->depth - 1],
                        .value = v,
                };
        }
        return 1;
}

static JsonValue *value_new(JsonType t) {
        JsonValue *v = calloc(1, sizeof(JsonValue));
        if (v)
                v->type = t;
        return v;
}

static JsonValue *value_new_text(JsonType t, const unsigned char *s, size_t len) {
        JsonValue *v = value_new(t);

        if (!v)
                return NULL;
        /* Not strndup(): a "\u0000" escape must stay visible through len. */
        v->str = malloc(len + 1);
        if (!v->str) {
                free(v);
                return NULL;
        }
        memcpy(v->str, s, len);
        v->str[len] = 0;
        v->len = len;
        return v;
}

static int on_null(void *ctx) {
        return add_value(ctx, value_new(JSON_NULL));
}

static int on_boolean(void *ctx, int boolean) {
        JsonValue *v = value_new(JSON_BOOLEAN);
        if (v)
                v->boolean = boolean;
        return add_value(ctx, v);
}

static int on_number(void *ctx, const char *s, size_t len) {
        return add_value(ctx, value_new_text(JSON_NUMBER, (const unsigned char *) s, len));
}

static int on_string(void *ctx, const unsigned char *s, size_t len) {
        return add_value(ctx, value_new_text(JSON_STRING, s, len));
}

static int open_container(Builder *b, JsonType t) {
        JsonValue *v;

        if (b->depth >= b->max_depth)
                return builder_fail(b, -EINVAL, "nesting deeper than %u levels", b->max_depth);
        v = value_new(t);
        if (!v)
                return builder_fail(b, -ENOMEM, NULL);
        if (!add_value(b, v))
                return 0;
        b->stack[b->depth++] = v;
        return 1;
}

static int on_start_map(void *ctx) {
        return open_container(ctx, JSON_OBJECT);
}

static int on_start_array(void *ctx) {
        return open_container(ctx, JSON_ARRAY);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len) {
        Builder *b = ctx;
        char *k = malloc(len + 1);

        if (!k)
                return builder_fail(b, -ENOMEM, NULL);
        memcpy(k, s, len);
        k[len] = 0;
        free(b->pending_key[b->depth - 1]);
        b->pending_key[b->depth - 1] = k;
        b->pending_key_len[b->depth - 1] = len;
        return 1;
}

static int on_end(void *ctx) {
        Builder *b = ctx;
        b->depth--;
        return 1;
}

static const yajl_callbacks callbacks = {
        .yajl_null = on_null,
        .yajl_boolean = on_boolean,
        .yajl_number = on_number,
        .yajl_string = on_string,
        .yajl_start_map = on_start_map,
        .yajl_map_key = on_map_key,
        .yajl_end_map = on_end,
        .yajl_start_array = on_start_array,
        .yajl_end_array = on_end,
};

static void builder_done(Builder *b) {
        if (b->pending_key)
                for (unsigned i = 0; i < b->max_depth; i++)
                        free(b->pending_key[i]);
        free(b->pending_key);
        free(b->pending_key_len);
        free(b->stack);
        json_value_free(b->root);
        free(b->reason);
}

static int yajl_reason(yajl_handle h, const char *text, size_t len, char **ret_error) {
        unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *) text, len);
        size_t at = yajl_get_bytes_consumed(h);
        char *m, *nl;
        int r;

        m = msg ? (char *) msg : "parse error";
        /* yajl says "parse error: ..." or "lexical error: ...", with a newline. */
        m = (char *) (startswith(m, "parse error: ") ?: startswith(m, "lexical error: ") ?: m);
        nl = strchr(m, '\n');
        if (nl)
                *nl = 0;
        r = asprintf(ret_error, "invalid JSON near byte %zu: %s", at, m);
        if (msg)
                yajl_free_error(h, msg);
        return r < 0 ? -ENOMEM : -EINVAL;
}

int json_parse(const char *text, size_t len, size_t max_len, unsigned max_depth,
               JsonValue **ret, char **ret_error) {
        Builder b = { .max_depth = max_depth };
        yajl_handle h = NULL;
        yajl_status s;
        const char *nul;
        int r;

        *ret_error = NULL;
        if (len > max_len)
                return asprintf(ret_error, "document larger than %zu bytes", max_len) < 0 ? -ENOMEM : -EINVAL;
        nul = memchr(text, 0, len);
        if (nul)
                return asprintf(ret_error, "NUL byte at offset %zu", (size_t) (nul - text)) < 0 ? -ENOMEM : -EINVAL;

        b.stack = calloc(max_depth, sizeof(JsonValue *));
        b.pending_key = calloc(max_depth, sizeof(char *));
        b.pending_key_len = calloc(max_depth, sizeof(size_t));
        h = yajl_alloc(&callbacks, NULL, &b);
        if (!b.stack || !b.pending_key || !b.pending_key_len || !h) {
                r = -ENOMEM;
                goto finish;
        }

        s = yajl_parse(h, (const unsigned char *) text, len);
        if (s == yajl_status_ok) {
                s = yajl_complete_parse(h);
                if (s == yajl_status_error) {
                        /* Everything given was fine, but the document did not end. */
                        r = -EINVAL;
                        *ret_error = strdup(!b.root ? "empty document" : "truncated JSON (unexpected end of input)");
                        if (!*ret_error)
                                r = -ENOMEM;
                        goto finish;
                }
        }
        if (s == yajl_status_client_canceled || b.error < 0) {
                r = b.error < 0 ? b.error : -ENOMEM;
                *ret_error = TAKE_PTR(b.reason);
                goto finish;
        }
        if (s == yajl_status_error) {
                r = yajl_reason(h, text, len, ret_error);
                goto finish;
        }
        if (!b.root) {
                r = -EINVAL;
                *ret_error = strdup("empty document");
                if (!*ret_error)
                        r = -ENOMEM;
                goto finish;
        }

        *ret = TAKE_PTR(b.root);
        r = 0;
finish:
        if (h)
                yajl_free(h);
        builder_done(&b);
        if (r == -ENOMEM) {
                free(*ret_error);
                *ret_error = NULL;
        }
        return r;
}

int json_value_generate(JsonGen *g, const JsonValue *v) {
        switch (v->type) {
        case JSON_NULL:
                return json_gen_null(g);
        case JSON_BOOLEAN:
                return json_gen_bool(g, v->boolean);
        case JSON_NUMBER:
                return json_gen_number(g, v->str, v->len);
        case JSON_STRING:
                return json_gen_string_len(g, v->str, v->len);
        case JSON_ARRAY:
                (void) json_gen_array_open(g);
                for (size_t i = 0; i < v->n_items; i++)
                        (void) json_value_generate(g, v->items[i]);
                return json_gen_array_close(g);
        case JSON_OBJECT:
                (void) json_gen_map_open(g);
                for (size_t i = 0; i < v->n_members; i++) {
                        (void) json_gen_string_len(g, v->members[i].key, v->members[i].key_len);
                        (void) json_value_generate(g, v->members[i].value);
                }
                return json_gen_map_close(g);
        }
        return -EINVAL;
}

const char *json_type_to_article(JsonType t) {
        static const char *const table[] = {
                [JSON_NULL] = "null",
                [JSON_BOOLEAN] = "a boolean",
                [JSON_NUMBER] = "a number",
                [JSON_STRING] = "a string",
                [JSON_ARRAY] = "an array",
                [JSON_OBJECT] = "an object",
        };
        return (unsigned) t < ELEMENTSOF(table) ? table[t] : "unknown";
}

JsonValue *json_object_get(const JsonValue *v, const char *key) {
        size_t l = strlen(key);

        if (!v || v->type != JSON_OBJECT)
                return NULL;
        for (size_t i = 0; i < v->n_members; i++)
                if (v->members[i].key_len == l && memcmp(v->members[i].key, key, l) == 0)
                        return v->members[i].value;
        return NULL;
}

int json_number_to_int64(const JsonValue *v, int64_t *ret) {
        long long ll;
        char *end;

        if (v->type != JSON_NUMBER)
                return -EINVAL;
        if (strpbrk(v->str, ".eE"))
                return -EDOM;
        errno = 0;
        ll = strtoll(v->str, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || *end != 0 || end == v->str)
                return -EINVAL;
        *ret = ll;
        return 0;
}

char *quote_untrusted(const char *s, size_t len, size_t max) {
        size_t n = MIN(len, max);
        char *r, *p;

        r = malloc(n * 4 + 6);
        if (!r)
                return NULL;
        p = r;
        *p++ = '"';
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if (c == '"' || c == '\\') {
                        *p++ = '\\';
                        *p++ = c;
                } else if (c >= 0x20 && c < 0x7f)
                        *p++ = c;
                else
                        p += sprintf(p, "\\x%02x", c);
        }
        *p++ = '"';
        if (n < len)
                p = stpcpy(p, "...");
        *p = 0;
        return r;
}
