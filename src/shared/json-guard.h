/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Guarded JSON over yajl, for every yajl_val tree and every yajl_gen in Tank.
 *
 * Parsing: yajl's tree parser has no size or nesting cap and both builds and
 * frees recursively, so json_guard_parse() refuses a document above a byte cap,
 * one with a NUL byte or a "\u0000" escape (yajl's C strings would silently
 * end there), a comment (yajl_tree_parse() allows them, JSON does not), an
 * empty or truncated one and one nested deeper than a depth cap, all in one
 * linear scan that honours strings and escapes, before yajl sees a byte.
 * Messages are bare ("nesting deeper than 64 levels"); callers prefix what the
 * input is.
 *
 * Generating: JsonGen keeps the first failed yajl_gen_status, so a writer can
 * chain calls without checking each one and json_gen_finish() still refuses
 * the document if any of them failed. */

#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "macro.h"

static inline void yajl_tree_freep(yajl_val *v) {
        if (*v)
                yajl_tree_free(*v);
}
#define _cleanup_yajl_ _cleanup_(yajl_tree_freep)

/* -EMSGSIZE if len > max_size, -EBADMSG for anything else refused, each with a
 * malloc'd reason in *ret_error (optional); -ENOMEM. text need not be
 * NUL-terminated. */
int json_guard_parse(const char *text, size_t len, size_t max_size, unsigned max_depth,
                     yajl_val *ret, char **ret_error);

/* First member named key of an object, or NULL (also for NULL and non-objects). */
yajl_val json_guard_get(yajl_val obj, const char *key);
/* The string value, or NULL if v is NULL or not a string. */
const char *json_guard_string(yajl_val v);
/* An integer in [min, max]: -EBADMSG if v is NULL, not an integer or out of range. */
int json_guard_int(yajl_val v, long long min, long long max, long long *ret);

typedef struct JsonGen JsonGen;

enum {
        JSON_GEN_BEAUTIFY     = 1 << 0,
        JSON_GEN_VALIDATE_UTF8 = 1 << 1,   /* refuse strings that are not UTF-8 */
};

/* NULL on OOM. */
JsonGen *json_gen_new(unsigned flags);
JsonGen *json_gen_free(JsonGen *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(JsonGen *, json_gen_free);

/* Each records the first failure and does nothing once one is recorded; the
 * return value is that first failure as a negative errno (0 while none), for a
 * writer that wants to stop early. */
int json_gen_null(JsonGen *g);
int json_gen_bool(JsonGen *g, bool b);
int json_gen_integer(JsonGen *g, long long i);
int json_gen_number(JsonGen *g, const char *raw, size_t len);   /* raw JSON number text */
int json_gen_string(JsonGen *g, const char *s);                 /* NULL: null */
int json_gen_string_len(JsonGen *g, const char *s, size_t len);
int json_gen_map_open(JsonGen *g);
int json_gen_map_close(JsonGen *g);
int json_gen_array_open(JsonGen *g);
int json_gen_array_close(JsonGen *g);
int json_gen_strv(JsonGen *g, char * const *l);                 /* NULL: [] */
/* Map members: the key, then the value. */
int json_gen_kv_string(JsonGen *g, const char *key, const char *value);
int json_gen_kv_strv(JsonGen *g, const char *key, char * const *l);
int json_gen_kv_integer(JsonGen *g, const char *key, long long i);
int json_gen_kv_bool(JsonGen *g, const char *key, bool b);

/* The first failure so far as a negative errno, or 0. */
int json_gen_error(const JsonGen *g);

/* The document as a NUL-terminated malloc'd copy (and its length, optional),
 * or the first failure: -EINVAL (a key that is not a string, a value after
 * the document ended, a close without an open), -EILSEQ (a string that is not
 * UTF-8 with JSON_GEN_VALIDATE_UTF8), -ELOOP (nesting beyond yajl's 128
 * levels), -EBADMSG (an unfinished document), -ENOMEM; with a reason in
 * *ret_error (optional). */
int json_gen_finish(JsonGen *g, char **ret_json, size_t *ret_len, char **ret_error);

/* *ret_error (if given) = "<field>: <what>"; returns -EBADMSG. For the
 * parsers of values other nodes wrote (store records). */
int json_field_error(char **ret_error, const char *field, const char *what);
