/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checks for the value types tank.conf uses. Each returns true when the string
 * is acceptable as-is; the config loader turns a false into a file:line error. */

#include <stdbool.h>

bool config_path_is_valid(const char *p);          /* absolute, normalized, no control chars */
bool config_ifname_is_valid(const char *s);        /* a Linux interface name */
bool config_ip_is_valid(const char *s);            /* IPv4 or IPv6 literal */
bool config_registry_is_valid(const char *s);      /* host[:port], as in image references */
bool config_url_is_valid(const char *s, const char * const *schemes); /* scheme://host[:port][/path] */
/* A node name: a lowercase DNS label, 1..63 of [a-z0-9-], no '-' at either end. */
bool config_node_name_is_valid(const char *s);
/* A node label "key=value": key as Kubernetes' (an optional DNS-subdomain prefix
 * and '/', then 1..63 of [A-Za-z0-9._-] beginning and ending alphanumeric),
 * value empty or 1..63 of the same characters. */
bool config_node_label_is_valid(const char *s);
