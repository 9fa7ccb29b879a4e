/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's status as the node that runs it reports it to the fleet:
 *   STORE_STATUS_PREFIX "<pod>"  {"node", "phase", "ready", "containers",
 *                                "restarts", "updated_usec"} (CLOCK_REALTIME),
 *                                put by the pod's node with its node lease, so
 *                                that it vanishes with the node: a pod whose
 *                                record is gone while it is bound elsewhere is
 *                                "unknown" to the others.
 * Values come from other nodes and are hostile: parsed strictly (a phase of
 * the known ones, bounded numbers), sizes capped. Pure; no logging. */

#include <stdint.h>

#include "macro.h"

#define STORE_STATUS_PREFIX "/tank/v1/status/"
#define STORE_STATUS_VALUE_MAX 4096U

typedef struct PodStatusRecord {
        char *node;
        char *phase;                    /* pending, running, backoff, succeeded, failed, terminating */
        uint32_t ready, containers, restarts;
        uint64_t updated_usec;
} PodStatusRecord;

void pod_status_record_done(PodStatusRecord *r);
/* -EINVAL for a name that is no pod name */
int store_status_key(const char *pod, char **ret);
/* The pod of a key under the prefix, NULL when it is no valid one. */
const char *store_status_key_pod(const char *key);
int pod_status_record_format(const PodStatusRecord *r, char **ret_json);
/* -EBADMSG with "<field>: <problem>" */
int pod_status_record_parse(const char *value, size_t size, PodStatusRecord *ret, char **ret_error);
