/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pod-level "rollout" object, parsed and written for parse.c and
 * serialize.c (internal to src/spec/). */

#include "json-guard.h"
#include "parse-util.h"

/* v at path: {min_healthy_sec, deadline_sec, auto_revert}, all optional. */
int pod_rollout_parse(Ctx *c, const JsonValue *v, const char *path, PodRollout *ret);
/* Writes "rollout": {...} with every default, or nothing when !r->set. */
int pod_rollout_gen(JsonGen *g, const PodRollout *r);
