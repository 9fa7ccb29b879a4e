/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict JSON reading and writing for the shim's files (yajl). Internal to
 * src/shim: the first error is kept in JsonCtx.error as "<path>: <reason>". */

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "macro.h"

typedef struct JsonCtx {
        yajl_val root;
        char *error;
} JsonCtx;

void json_ctx_done(JsonCtx *j);
/* Parses len bytes (embedded NULs refused); -EBADMSG with j->error on bad JSON. */
int json_ctx_parse(JsonCtx *j, const char *json, size_t len, yajl_val *ret);
int json_fail(JsonCtx *j, const char *fmt, ...) _printf_(2, 3);   /* returns -EINVAL */

/* Refuses unknown and duplicate keys of object v. */
int json_check_fields(JsonCtx *j, yajl_val v, const char *where, const char *const *fields);
int json_get_string(JsonCtx *j, yajl_val v, const char *field, char **ret);   /* replaces *ret */
int json_get_strv(JsonCtx *j, yajl_val v, const char *field, size_t max, char ***ret);
int json_get_bool(JsonCtx *j, yajl_val v, const char *field, bool *ret);
int json_get_int(JsonCtx *j, yajl_val v, const char *field, long long min, long long max,
                 long long *ret);

yajl_gen json_gen_new(void);
static inline void json_gen_freep(yajl_gen *g) {
        if (*g)
                yajl_gen_free(*g);
}
int json_gen_string(yajl_gen g, const char *s);
int json_gen_kv_string(yajl_gen g, const char *key, const char *value);
int json_gen_kv_strv(yajl_gen g, const char *key, char * const *l);
int json_gen_finish(yajl_gen g, char **ret);   /* copies the buffer, NUL-terminated */
