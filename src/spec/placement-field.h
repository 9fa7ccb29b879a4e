/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pod-level "placement" object and "reschedule" flag, parsed and written
 * for parse.c and serialize.c (internal to src/spec/). */

#include "json-guard.h"
#include "parse-util.h"

/* v at path: {"node": NAME} or {"labels": {KEY: VALUE, ...}}, not both. */
int pod_placement_parse(Ctx *c, const JsonValue *v, const char *path, PodPlacement *ret);
/* The whole pod's checks that need more than the field: reschedule with a
 * managed volume. */
int pod_placement_check(Ctx *c, const Pod *pod);
/* Writes "placement" and "reschedule" when set, nothing otherwise. */
int pod_placement_gen(JsonGen *g, const Pod *pod);
