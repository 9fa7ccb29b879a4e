/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict reading of the shim's files over shared/json-guard.h (writers use its
 * JsonGen directly). Internal to src/shim: the first error is kept in
 * JsonCtx.error as "<path>: <reason>". */

#include "json-guard.h"

/* The contract's files nest three levels; anything far deeper is hostile. */
#define SHIM_JSON_DEPTH_MAX 16U

typedef struct JsonCtx {
        yajl_val root;
        char *error;
} JsonCtx;

void json_ctx_done(JsonCtx *j);
/* Parses len bytes (embedded NULs and nesting beyond SHIM_JSON_DEPTH_MAX refused);
 * -EBADMSG with j->error on bad JSON. The caller caps len. */
int json_ctx_parse(JsonCtx *j, const char *json, size_t len, yajl_val *ret);
int json_fail(JsonCtx *j, const char *fmt, ...) _printf_(2, 3);   /* returns -EINVAL */

/* Refuses unknown and duplicate keys of object v. */
int json_check_fields(JsonCtx *j, yajl_val v, const char *where, const char *const *fields);
int json_get_string(JsonCtx *j, yajl_val v, const char *field, char **ret);   /* replaces *ret */
int json_get_strv(JsonCtx *j, yajl_val v, const char *field, size_t max, char ***ret);
int json_get_bool(JsonCtx *j, yajl_val v, const char *field, bool *ret);
int json_get_int(JsonCtx *j, yajl_val v, const char *field, long long min, long long max,
                 long long *ret);

/* Writes v as it is (numbers in their own text) to g; 0 or g's first error. */
int json_gen_value(JsonGen *g, yajl_val v);
