/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's decision, pure (view in, decision out), so that it is
 * tested without a store (tests/unit/test-schedule.c). The view is every
 * registered node (a record under nodes/), with its cordon flag and what is
 * bound to it already. */

#include <stdint.h>

#include "spec/pod.h"

typedef struct ScheduleNode {
        const char *name;
        char * const *labels;           /* "key=value" */
        uint64_t memory_bytes;          /* capacity */
        bool cordoned;
        bool has_facts;                 /* the record lists interfaces (a newer tankd's) */
        char * const *interfaces;
        const char *uplink;
        uint64_t bound_memory;          /* the memory limits of the pods bound to it */
        size_t n_bound;                 /* how many pods are bound to it */
} ScheduleNode;

/* What a pod counts against its node: its containers' memory limits (one
 * without a limit counts 0). */
uint64_t schedule_pod_memory(const Pod *pod);

/* Eligible: registered, not cordoned, having every placement label, named
 * placement.node if the pod is pinned, having what the pod's network needs of a
 * host (a macvlan NIC's parent: net/netmode.h check_node) when its record
 * says. Among them the one with the most free
 * memory (capacity less bound_memory), then the fewest bound pods, then the
 * first name. 1 and *ret_node (an element's name) when one is eligible; 0 and
 * *ret_reason (malloc'd, a sentence a user can act on: "node b is not
 * registered", "node b is cordoned", "no node with labels zone=c", "no node
 * is registered", "every node is cordoned", "every node with labels zone=c
 * is cordoned", `node b has no interface "eth9" (network.nics[0].parent)`,
 * `no node has interface "eth9" (...)`) when none is; -ENOMEM. */
int schedule_decide(const Pod *pod, const ScheduleNode *nodes, size_t n_nodes, const char **ret_node,
                    char **ret_reason);
