/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Registry input (manifests, configs, auth files, token responses, image
 * records) goes through shared/json-guard.h with one nesting cap; each caller
 * caps the size itself, with its own message. */

#include "json-guard.h"

#define REGISTRY_JSON_MAX_DEPTH 64U

/* -EBADMSG with a malloc'd "invalid JSON: <reason>" in *ret_error (optional) if refused. */
int registry_json_parse(const char *text, size_t len, yajl_val *ret, char **ret_error);
