/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* yajl trees for registry input (manifests, configs, auth files, token
 * responses). yajl's tree has no depth cap and frees recursively, so hostile
 * nesting is refused before yajl sees it; embedded NULs are refused too. */

#include <yajl/yajl_tree.h>

#include "macro.h"

#define REGISTRY_JSON_MAX_DEPTH 64U

static inline void yajl_tree_freep(yajl_val *v) {
        if (*v)
                yajl_tree_free(*v);
}
#define _cleanup_yajl_ _cleanup_(yajl_tree_freep)

/* -EBADMSG with a malloc'd *ret_error (optional) if refused. */
int registry_json_parse(const char *text, size_t len, yajl_val *ret, char **ret_error);

/* First member named key of an object, or NULL (also for non-objects). */
yajl_val registry_json_get(yajl_val obj, const char *key);
/* The string value, or NULL if v is not a string. */
const char *registry_json_string(yajl_val v);
