/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Nodes in the store (DESIGN.md "Store keys"):
 *   STORE_NODES_PREFIX "<node>"     the node's record, put with its lease: the
 *                                   key vanishes when the node stops renewing it
 *   STORE_CORDONED_PREFIX "<node>"  present while the node is cordoned; no lease,
 *                                   so the flag outlives the node's restarts
 * The record is JSON: {"name", "labels": {k: v}, "capacity": {"cpus",
 * "memory_bytes"}, "version", "boot_id", "started_usec" (CLOCK_REALTIME),
 * "interfaces": [names], "uplink"}.
 * Parsing is strict about the fields it knows and ignores others, so that a
 * newer tankd's record still lists on an older one in a mixed fleet. Pure. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#define STORE_NODES_PREFIX "/tank/v1/nodes/"
#define STORE_CORDONED_PREFIX "/tank/v1/cordoned/"
#define STORE_NODE_RECORD_MAX (64U * 1024U)
#define STORE_NODE_INTERFACES_MAX 1024U

typedef struct NodeRecord {
        char *name;
        char **labels;                  /* "key=value" */
        uint64_t cpus;
        uint64_t memory_bytes;
        char *version;
        char *boot_id;
        uint64_t started_usec;
        /* The host facts the scheduler checks pods against (absent from an
         * older tankd's record: has_facts false, nothing is checked). */
        bool has_facts;
        char **interfaces;              /* the host's interfaces but lo, sorted */
        char *uplink;                   /* the host adapter's uplink ("auto" parents), "" if none */
} NodeRecord;

void node_record_done(NodeRecord *n);

/* -EINVAL for a name that is no node name */
int store_node_key(const char *name, char **ret);
int store_cordon_key(const char *name, char **ret);
/* The node name of a key under the prefix, NULL if it is not a valid one. */
const char *store_node_key_name(const char *key);
const char *store_cordon_key_name(const char *key);

int node_record_format(const NodeRecord *n, char **ret_json);
/* -EBADMSG with "<field>: <problem>" */
int node_record_parse(const char *value, size_t size, NodeRecord *ret, char **ret_error);
/* The cordon flag's value: {"since_usec": N, "drain": true}; "drain" (absent:
 * false) asks the scheduler to move the node's reschedulable pods away
 * (tankctl drain). An older tankd ignores it: the node is only cordoned. */
int node_cordon_format(uint64_t since_usec, bool drain, char **ret_json);
/* -EBADMSG with "<field>: <problem>" */
int node_cordon_parse(const char *value, size_t size, bool *ret_drain, char **ret_error);
