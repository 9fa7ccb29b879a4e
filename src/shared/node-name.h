/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Node names and node labels, one definition for tank.conf's [Node] Name=/Labels=,
 * the node records in the store and a pod's "placement" (so that a pod can only
 * name what a node can be). */

#include <stdbool.h>

#define NODE_NAME_MAX 63U

/* A node name: a lowercase DNS label, 1..63 of [a-z0-9-], no '-' at either end. */
bool node_name_is_valid(const char *s);
/* A node label "key=value": key as Kubernetes' (an optional DNS-subdomain prefix
 * and '/', then 1..63 of [A-Za-z0-9._-] beginning and ending alphanumeric),
 * value empty or 1..63 of the same characters. */
bool node_label_is_valid(const char *s);
