/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small JSON tree built from yajl's event parser, internal to src/spec/.
 *
 * yajl's own tree API has no nesting or size cap, keeps duplicate keys and
 * converts numbers lossily; this builder refuses documents above a byte cap,
 * nesting above a depth cap (before any deeper node is allocated), NUL bytes in
 * the raw text, invalid UTF-8 and trailing garbage, and keeps numbers as their
 * raw text and strings with their length, so that the validator can say exactly
 * what is wrong (a "\u0000" escape, an integer that does not fit, ...). */

#include <stdint.h>

#include "json-guard.h"
#include "macro.h"

typedef enum JsonType {
        JSON_NULL,
        JSON_BOOLEAN,
        JSON_NUMBER,
        JSON_STRING,
        JSON_ARRAY,
        JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;

typedef struct JsonMember {
        char *key;
        size_t key_len;            /* keys may contain "\u0000" */
        JsonValue *value;
} JsonMember;

struct JsonValue {
        JsonType type;
        union {
                bool boolean;
                struct {
                        char *str;         /* NUL-terminated; numbers keep their raw text */
                        size_t len;
                };
                struct {
                        JsonValue **items;
                        size_t n_items;
                };
                struct {
                        JsonMember *members;
                        size_t n_members;
                };
        };
};

JsonValue *json_value_free(JsonValue *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(JsonValue *, json_value_free);

/* Returns -EINVAL with a malloc'd reason in *ret_error (no path prefix) on a
 * refused document, -ENOMEM otherwise. */
int json_parse(const char *text, size_t len, size_t max_len, unsigned max_depth,
               JsonValue **ret, char **ret_error);

/* Writes v as it is (keys and strings with their length, numbers as their raw
 * text). Recursion is bounded by json_parse()'s depth cap. */
int json_value_generate(JsonGen *g, const JsonValue *v);

const char *json_type_to_article(JsonType t);    /* "an object", "a string", ... */

/* First member named key (keys with embedded NULs never match), or NULL. */
JsonValue *json_object_get(const JsonValue *v, const char *key);

/* Is this string free of embedded NULs? */
static inline bool json_string_is_clean(const JsonValue *v) {
        return v->type == JSON_STRING && strlen(v->str) == v->len;
}

/* Integer value of a JSON number: -ERANGE if it does not fit, -EDOM if it is not
 * an integer (fraction or exponent). */
int json_number_to_int64(const JsonValue *v, int64_t *ret);

/* Quote untrusted bytes for an error message: printable ASCII stays, '"' and '\\'
 * are backslash-escaped, everything else becomes \xNN; long input is cut at
 * `max` bytes and marked with "...". Always returns a quoted string or NULL on
 * OOM. */
char *quote_untrusted(const char *s, size_t len, size_t max);
