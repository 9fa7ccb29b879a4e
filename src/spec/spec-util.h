/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Value checks and serialization pieces shared inside src/spec/ (not API). */

#include <netinet/in.h>
#include <stdint.h>

#include "pod.h"

/* Absolute, no ".", ".." or empty components, no trailing '/' (except "/"). */
bool path_is_absolute_normalized(const char *p);

/* Network interface name usable inside a pod: 1-15 bytes of [A-Za-z0-9_.-],
 * not "." or "..". */
bool ifname_is_valid(const char *s);

/* Environment variable name: non-empty, without '=' and control characters. */
bool env_name_is_valid(const char *s, size_t len);

/* "a.b.c.d/n": -EINVAL if malformed, -ERANGE (with *ret_prefixlen set to the
 * parsed value, saturated) if n > 32. */
int parse_ipv4_cidr(const char *s, struct in_addr *ret_addr, unsigned *ret_prefixlen);

/* "1024", "512K", "256M", "1G", "2T" (base 1024): -EINVAL junk, -ERANGE overflow
 * beyond INT64_MAX. Zero is returned as 0 (the caller refuses it). */
int parse_size(const char *s, uint64_t *ret);

/* Compare two KEY=VALUE assignments by key (then value), for sorting env. */
int env_assignment_compare(const void *a, const void *b);

/* Canonical compact JSON of the pod-level fields (restart, network, volumes),
 * the input of pod_level_hash() (one container's is pod.h's). */
int pod_level_serialize(const Pod *p, char **ret_json);
