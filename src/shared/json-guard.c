/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdarg.h>
#include <yajl/yajl_gen.h>

#include "json-guard.h"
#include "strv.h"

static int fail(char **ret_error, int error, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int error, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return error;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0) {
                *ret_error = NULL;
                error = -ENOMEM;
        }
        va_end(ap);
        return error;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Only structure is looked at: whatever yajl would refuse anyway (a stray
 * close, bad tokens) is left to yajl, which then reports it with its words. */
static int scan(const char *text, size_t len, unsigned max_depth, char **ret_error) {
        unsigned depth = 0;
        bool in_string = false, seen = false;

        for (size_t i = 0; i < len; i++) {
                char c = text[i];

                if (c == 0)
                        return fail(ret_error, -EBADMSG, "NUL byte at offset %zu", i);
                if (in_string) {
                        if (c == '\\') {
                                /* The escaped byte may be '"' or '\\', never a NUL. */
                                if (i + 1 < len && text[i + 1] == 0)
                                        return fail(ret_error, -EBADMSG, "NUL byte at offset %zu", i + 1);
                                /* yajl's tree has C strings: "a\u0000b" would silently be "a". */
                                if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
                                        return fail(ret_error, -EBADMSG, "\\u0000 escape at offset %zu", i);
                                i++;
                        } else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (is_space(c))
                        continue;
                seen = true;
                if (c == '"')
                        in_string = true;
                else if (c == '/')
                        /* yajl_tree_parse() allows comments, and a '"' in one would
                         * hide the brackets after it from this scan. JSON has none. */
                        return fail(ret_error, -EBADMSG, "comment at offset %zu", i);
                else if (c == '[' || c == '{') {
                        if (depth >= max_depth)
                                return fail(ret_error, -EBADMSG, "nesting deeper than %u levels", max_depth);
                        depth++;
                } else if ((c == ']' || c == '}') && depth > 0)
                        depth--;
        }
        if (!seen)
                return fail(ret_error, -EBADMSG, "empty document");
        if (in_string || depth > 0)
                return fail(ret_error, -EBADMSG, "truncated JSON (unexpected end of input)");
        return 0;
}

int json_guard_parse(const char *text, size_t len, size_t max_size, unsigned max_depth,
                     yajl_val *ret, char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        char errbuf[256] = "";
        const char *m;
        yajl_val v;
        int r;

        assert(text || len == 0);
        assert(ret);

        if (len > max_size)
                return fail(ret_error, -EMSGSIZE, "document larger than %zu bytes", max_size);
        r = scan(text ?: "", len, max_depth, ret_error);
        if (r < 0)
                return r;

        /* yajl_tree_parse() wants a C string. */
        copy = strndup(text, len);
        if (!copy)
                return -ENOMEM;
        v = yajl_tree_parse(copy, errbuf, sizeof errbuf);
        if (!v) {
                /* yajl's message is multi-line ("parse error: ...\n  context\n  ^"). */
                errbuf[strcspn(errbuf, "\n")] = 0;
                m = startswith(errbuf, "parse error: ") ?: startswith(errbuf, "lexical error: ") ?: errbuf;
                return fail(ret_error, -EBADMSG, "%s", m[0] ? m : "parse error");
        }
        *ret = v;
        return 0;
}

yajl_val json_guard_get(yajl_val obj, const char *key) {
        if (!obj || !YAJL_IS_OBJECT(obj))
                return NULL;
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (streq(obj->u.object.keys[i], key))
                        return obj->u.object.values[i];
        return NULL;
}

const char *json_guard_string(yajl_val v) {
        return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

int json_guard_int(yajl_val v, long long min, long long max, long long *ret) {
        if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
                return -EBADMSG;
        *ret = YAJL_GET_INTEGER(v);
        return 0;
}

/* yajl's own limit (YAJL_MAX_DEPTH in yajl_gen.c, not exported). */
#define GEN_DEPTH_MAX 128U

struct JsonGen {
        yajl_gen g;
        int error;                      /* first failure, negative errno */
        const char *reason;             /* static */
        unsigned depth;
        bool complete;                  /* a whole top-level value was written */
        /* Per open level: a map (else an array), and for a map whether a key
         * waits for its value. yajl checks neither a close against its open
         * nor a map closed after a key, so we do. */
        bool is_map[GEN_DEPTH_MAX];
        bool want_value[GEN_DEPTH_MAX];
};

JsonGen *json_gen_new(unsigned flags) {
        JsonGen *g = calloc(1, sizeof(JsonGen));

        if (!g)
                return NULL;
        g->g = yajl_gen_alloc(NULL);
        if (!g->g)
                return mfree(g);
        if ((flags & JSON_GEN_BEAUTIFY) && !yajl_gen_config(g->g, yajl_gen_beautify, 1))
                return json_gen_free(g);
        if ((flags & JSON_GEN_VALIDATE_UTF8) && !yajl_gen_config(g->g, yajl_gen_validate_utf8, 1))
                return json_gen_free(g);
        return g;
}

JsonGen *json_gen_free(JsonGen *g) {
        if (!g)
                return NULL;
        if (g->g)
                yajl_gen_free(g->g);
        return mfree(g);
}

static int record(JsonGen *g, int error, const char *reason) {
        if (g->error == 0) {
                g->error = error;
                g->reason = reason;
        }
        return g->error;
}

static int record_status(JsonGen *g, yajl_gen_status s) {
        switch (s) {
        case yajl_gen_status_ok:
                return 0;
        case yajl_gen_keys_must_be_strings:
                return record(g, -EINVAL, "map key is not a string");
        case yajl_max_depth_exceeded:
                return record(g, -ELOOP, "nesting deeper than 128 levels");
        case yajl_gen_generation_complete:
                return record(g, -EINVAL, "value after the end of the document");
        case yajl_gen_invalid_number:
                return record(g, -EINVAL, "invalid number");
        case yajl_gen_invalid_string:
                return record(g, -EILSEQ, "string is not valid UTF-8");
        case yajl_gen_in_error_state:
        default:
                return record(g, -EINVAL, "generator in error state");
        }
}

/* After yajl took a value: in a map, keys and values alternate (yajl has
 * refused a key that is not a string already). */
static void note_value(JsonGen *g) {
        if (g->depth > 0 && g->is_map[g->depth - 1])
                g->want_value[g->depth - 1] = !g->want_value[g->depth - 1];
}

static int scalar(JsonGen *g, yajl_gen_status s) {
        if (record_status(g, s) < 0)
                return g->error;
        note_value(g);
        if (g->depth == 0)
                g->complete = true;
        return 0;
}

#define GUARD(g)                                \
        do {                                    \
                assert(g);                      \
                if ((g)->error < 0)             \
                        return (g)->error;      \
        } while (0)

int json_gen_null(JsonGen *g) {
        GUARD(g);
        return scalar(g, yajl_gen_null(g->g));
}

int json_gen_bool(JsonGen *g, bool b) {
        GUARD(g);
        return scalar(g, yajl_gen_bool(g->g, b));
}

int json_gen_integer(JsonGen *g, long long i) {
        GUARD(g);
        return scalar(g, yajl_gen_integer(g->g, i));
}

int json_gen_number(JsonGen *g, const char *raw, size_t len) {
        GUARD(g);
        return scalar(g, yajl_gen_number(g->g, raw, len));
}

int json_gen_string_len(JsonGen *g, const char *s, size_t len) {
        GUARD(g);
        return scalar(g, yajl_gen_string(g->g, (const unsigned char *) s, len));
}

int json_gen_string(JsonGen *g, const char *s) {
        if (!s)
                return json_gen_null(g);
        return json_gen_string_len(g, s, strlen(s));
}

static int open_level(JsonGen *g, bool is_map) {
        GUARD(g);
        if (g->depth >= GEN_DEPTH_MAX)
                return record_status(g, yajl_max_depth_exceeded);
        if (record_status(g, is_map ? yajl_gen_map_open(g->g) : yajl_gen_array_open(g->g)) < 0)
                return g->error;
        note_value(g);
        g->is_map[g->depth] = is_map;
        g->want_value[g->depth] = false;
        g->depth++;
        return 0;
}

static int close_level(JsonGen *g, bool is_map) {
        GUARD(g);
        if (g->depth == 0 || g->is_map[g->depth - 1] != is_map)
                return record(g, -EINVAL, is_map ? "map close without its open" : "array close without its open");
        if (is_map && g->want_value[g->depth - 1])
                return record(g, -EINVAL, "map key without a value");
        if (record_status(g, is_map ? yajl_gen_map_close(g->g) : yajl_gen_array_close(g->g)) < 0)
                return g->error;
        if (--g->depth == 0)
                g->complete = true;
        return 0;
}

int json_gen_map_open(JsonGen *g) {
        return open_level(g, true);
}

int json_gen_map_close(JsonGen *g) {
        return close_level(g, true);
}

int json_gen_array_open(JsonGen *g) {
        return open_level(g, false);
}

int json_gen_array_close(JsonGen *g) {
        return close_level(g, false);
}

int json_gen_strv(JsonGen *g, char * const *l) {
        (void) json_gen_array_open(g);
        STRV_FOREACH(s, l)
                (void) json_gen_string(g, *s);
        return json_gen_array_close(g);
}

int json_gen_kv_string(JsonGen *g, const char *key, const char *value) {
        (void) json_gen_string(g, key);
        return json_gen_string(g, value);
}

int json_gen_kv_strv(JsonGen *g, const char *key, char * const *l) {
        (void) json_gen_string(g, key);
        return json_gen_strv(g, l);
}

int json_gen_kv_integer(JsonGen *g, const char *key, long long i) {
        (void) json_gen_string(g, key);
        return json_gen_integer(g, i);
}

int json_gen_kv_bool(JsonGen *g, const char *key, bool b) {
        (void) json_gen_string(g, key);
        return json_gen_bool(g, b);
}

int json_gen_error(const JsonGen *g) {
        assert(g);
        return g->error;
}

int json_gen_finish(JsonGen *g, char **ret_json, size_t *ret_len, char **ret_error) {
        const unsigned char *buf;
        size_t len;
        char *s;

        assert(g);
        assert(ret_json);

        if (g->error == 0 && !g->complete)
                (void) record(g, -EBADMSG, g->depth > 0 ? "unclosed map or array" : "empty document");
        if (g->error == 0 && yajl_gen_get_buf(g->g, &buf, &len) != yajl_gen_status_ok)
                (void) record(g, -EINVAL, "no output buffer");
        if (g->error < 0)
                return fail(ret_error, g->error, "cannot generate JSON: %s", g->reason);

        s = strndup((const char *) buf, len);
        if (!s)
                return -ENOMEM;
        *ret_json = s;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int json_field_error(char **ret_error, const char *field, const char *what) {
        if (ret_error && asprintf(ret_error, "%s: %s", field, what) < 0)
                *ret_error = NULL;
        return -EBADMSG;
}
