/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Typed getters over the JSON tree that turn every mismatch into the first
 * "<path>: <reason>" refusal of a parse (internal to src/spec/). Each returns
 * 0, -EINVAL (message recorded in the Ctx) or -ENOMEM. */

#include <stdint.h>

#include "json.h"
#include "macro.h"
#include "pod.h"

#define QUOTE_MAX 64    /* untrusted text quoted in messages is cut here */

#define DNS_LABEL_REASON \
        "must be a lowercase DNS label (1-63 characters of a-z, 0-9 and '-', not starting or ending with '-')"
#define PATH_REASON \
        "must be a normalized path (no \".\", \"..\" or empty components, no trailing \"/\")"

typedef struct Ctx {
        char *error;   /* the first refusal, "<path>: <reason>" */
} Ctx;

int fail(Ctx *c, const char *path, const char *fmt, ...) _printf_(3, 4);
/* fmt has exactly one %s, which receives the quoted untrusted bytes. */
int fail_quoted(Ctx *c, const char *path, const char *fmt, const char *s, size_t len);

/* Paths: "$" is the document itself and its fields are named bare ("name"). */
char *path_field(const char *parent, const char *key);
char *path_index(const char *parent, size_t i);
char *path_key(const char *parent, const char *key, size_t len);   /* .KEY or ["k y"] */

#define FIELD_PATH(var, parent, key)                                          \
        _cleanup_free_ char *var = path_field(parent, key);                   \
        if (!var)                                                             \
                return -ENOMEM

int expect_type(Ctx *c, const JsonValue *v, const char *path, JsonType t);
int get_string(Ctx *c, const JsonValue *v, const char *path, const char **ret);
int dup_string(Ctx *c, const JsonValue *v, const char *path, char **ret);
int get_bool(Ctx *c, const JsonValue *v, const char *path, bool *ret);
int get_int(Ctx *c, const JsonValue *v, const char *path, int64_t *ret);
int get_uint_range(Ctx *c, const JsonValue *v, const char *path, unsigned min, unsigned max, unsigned *ret);

/* v must be an object with only `fields` (each at most once) and all of
 * `required` (both NULL-terminated; at most 32 fields). */
int check_fields(Ctx *c, const JsonValue *v, const char *path,
                 const char *const *fields, const char *const *required);

int parse_dns_label(Ctx *c, const JsonValue *v, const char *path, char **ret);
int parse_string_array(Ctx *c, const JsonValue *v, const char *path, char ***ret);
int parse_abs_path(Ctx *c, const JsonValue *v, const char *path, bool allow_root, char **ret);

/* An object whose values are all strings, as a strv of "KEY<separator>VALUE"
 * in the object's order; an empty object is NULL, as absent. What differs
 * between its users (env, http probe headers) comes as callbacks: check_key
 * sees member i (its key, and those before it) with the object's path and
 * must refuse a key with a NUL (JSON allows "\u0000"); check_value (NULL:
 * any string) sees the value with the member's path (path_key()). Each
 * returns 0 or fail()'s -EINVAL. */
typedef struct StringMap {
        const char *what;       /* "headers": "too many headers (at most max)" */
        size_t max;             /* members; 0: no limit beyond the document's */
        const char *separator;
        int (*check_key)(Ctx *c, const char *path, const JsonValue *object, size_t i);
        int (*check_value)(Ctx *c, const char *path, const char *value);
} StringMap;
int parse_string_map(Ctx *c, const JsonValue *v, const char *path, const StringMap *map, char ***ret);
