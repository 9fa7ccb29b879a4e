/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's user namespace range in the store: key STORE_USERNS_PREFIX "<pod>" ->
 * {"uid": BASE, "gid": BASE, "size": N}. Written once (create-only) when the pod
 * is first launched with user_namespace "auto", so that restarts, adoption and
 * reboots find the same range; deleted with the pod. Values are hostile input:
 * parsed strictly, and a range holding host id 0 is refused. */

#include <stdint.h>

#include "store.h"

#define STORE_USERNS_PREFIX "/tank/v1/userns/"

typedef struct StoreUserns {
        uint32_t uid;
        uint32_t gid;
        uint32_t size;
} StoreUserns;

int store_userns_key(const char *pod, char **ret);
/* The pod name of a key under the prefix (a pointer into key), or NULL. */
const char *store_userns_key_pod(const char *key);
int store_userns_format(const StoreUserns *u, char **ret_json);
/* -EINVAL on anything but the exact shape above. */
int store_userns_parse(const char *value, size_t size, StoreUserns *ret);
