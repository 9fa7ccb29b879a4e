/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where pods run (docs/ARCHITECTURE.md "Placement"). Keys:
 *   STORE_BINDINGS_PREFIX "<node>/<pod>"  the binding: {"node", "pod", "bound_usec"}
 *                                         (CLOCK_REALTIME). A node watches its own
 *                                         "<node>/" prefix and runs what is there.
 *   STORE_BOUND_PREFIX "<pod>"            the index: the node's name. Written and
 *                                         deleted in the same txn as the binding, so
 *                                         a pod's binding is found (and moved) by one
 *                                         key, and no two nodes can own one pod.
 *   STORE_UNSCHEDULABLE_PREFIX "<pod>"    {"reason", "since_usec"} while the scheduler
 *                                         cannot place the pod; deleted when it is
 *                                         bound or the pod is deleted.
 *   STORE_SCHEDULER_KEY                   the scheduler election: the holder's node
 *                                         name, created (create_revision == 0) with
 *                                         the holder's node lease.
 * None of these has a lease except the election, so a binding outlives its
 * node's restarts. Values written by other nodes are hostile: parsed strictly,
 * sizes capped. Pure helpers, plus the txns; nothing logs above debug. */

#include <stdint.h>

#include "store.h"

#define STORE_BINDINGS_PREFIX "/tank/v1/bindings/"
#define STORE_BOUND_PREFIX "/tank/v1/bound/"
#define STORE_UNSCHEDULABLE_PREFIX "/tank/v1/unschedulable/"
#define STORE_SCHEDULER_KEY "/tank/v1/scheduler"
#define STORE_BINDING_VALUE_MAX 4096U
#define UNSCHEDULABLE_REASON_MAX 1024U

/* -EINVAL for a name that is no node or pod name */
int store_binding_key(const char *node, const char *pod, char **ret);
int store_bindings_node_prefix(const char *node, char **ret);   /* ".../bindings/<node>/" */
int store_bound_key(const char *pod, char **ret);
int store_unschedulable_key(const char *pod, char **ret);

/* The pod of a key under the prefix, NULL when it is no valid one. */
const char *store_bound_key_pod(const char *key);
const char *store_unschedulable_key_pod(const char *key);
/* A binding key's node and pod (malloc'd); -EINVAL when it is no valid one. */
int store_binding_key_parse(const char *key, char **ret_node, char **ret_pod);

typedef struct BindingRecord {
        char *node;
        char *pod;
        uint64_t bound_usec;
} BindingRecord;

void binding_record_done(BindingRecord *b);
int binding_record_format(const char *node, const char *pod, uint64_t bound_usec, char **ret_json);
/* -EBADMSG with "<field>: <problem>" */
int binding_record_parse(const char *value, size_t size, BindingRecord *ret, char **ret_error);
/* bound/<pod>'s value: a node name, exactly. -EBADMSG otherwise. */
int bound_value_parse(const char *value, size_t size, char **ret_node);
int unschedulable_format(const char *reason, uint64_t since_usec, char **ret_json);
int unschedulable_parse(const char *value, size_t size, char **ret_reason, uint64_t *ret_since_usec,
                        char **ret_error);

/* The ops that bind pod to node, for a txn of the caller's (the Apply path
 * puts the pod in the same one): put the binding and the index, delete the
 * unschedulable key. old_node non-NULL also deletes the old binding (a move).
 * ops must have room for 4; *ret_n is set. The strings (keys, the binding
 * value) are malloc'd into strings[4], the caller frees them (strv-style). */
int store_bind_ops(const char *node, const char *pod, const char *old_node, uint64_t bound_usec,
                   StoreTxnOp ops[static 4], size_t *ret_n, char *strings[static 5]);

/* Bind pod to node if pods/<pod> is still at pod_mod_revision and
 * bound/<pod> is: absent (bound_mod_revision 0), or at bound_mod_revision
 * (a move away from old_node). r = 0 with result->succeeded false when a
 * compare failed (re-evaluate from the watches). */
int store_bind(Store *s, const char *node, const char *pod, int64_t pod_mod_revision,
               const char *old_node, int64_t bound_mod_revision, uint64_t bound_usec,
               StoreCallback cb, void *userdata);
/* The pod is unschedulable for reason, if pods/<pod> is still at
 * pod_mod_revision (a deleted pod's key must not come back from a decision
 * made before the delete was seen). result->succeeded false otherwise. */
int store_unschedulable_put(Store *s, const char *pod, const char *reason, uint64_t since_usec,
                            int64_t pod_mod_revision, StoreCallback cb, void *userdata);
