/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This host as a node of the fleet ("a single host is a fleet of one"):
 * once the store client exists, node_start() grants a lease of [Node]
 * LeaseSec= and puts STORE_NODES_PREFIX "<name>" (store/nodes.h) with it,
 * then renews the lease every LeaseSec/3. A renewal that fails (store down)
 * is tried again at the next period; a lease the store no longer has (it
 * expired: tankd was stopped, or cut off, for longer than its TTL) is
 * granted afresh and the key put again. The node watches its key: one
 * deleted while the lease lives (by hand, say) is written again with it. node_stop() revokes the lease, which
 * deletes the key at once, so a clean stop is seen by the fleet at once; a
 * crash is seen when the lease expires. */

#include <systemd/sd-event.h>

#include "config/config.h"
#include "store/store.h"

typedef struct Node Node;

int node_new(sd_event *event, const TankConfig *config, Node **ret);
/* Frees without revoking; call after the Store is freed, or before it is set. */
Node *node_free(Node *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);

const char *node_name(const Node *n);
/* Start registering through store (borrowed; it must outlive the Node's use of it). */
int node_start(Node *n, Store *store);
/* The lease the node's key is put with, once the key is written (0 before,
 * and while a new lease is being granted): what the scheduler election
 * attaches its key to, so that the role goes with the node. */
int64_t node_lease_id(const Node *n);
/* Called each time the key was put with a (new) lease, so that what hangs on
 * the lease (the election) is done again with it. */
typedef void (*NodeRegisteredCallback)(Node *n, int64_t lease_id, void *userdata);
void node_set_registered_callback(Node *n, NodeRegisteredCallback cb, void *userdata);
/* Fencing: FenceSec= after the last renewal that worked (or after the start,
 * before any) the node is fenced, until a renewal works again; the callback
 * hears both. A fenced node stops its reschedulable pods (scheduler.h), so
 * that, by the inequality tank.conf(5) states, they are down before the
 * lease can expire and the fleet start them elsewhere. */
bool node_is_fenced(const Node *n);
/* The lease expired under the node (it was cut off past its TTL): it stays
 * fenced, with a new lease, until node_relisted() says that what places pods
 * here (scheduler.h: its bindings) was read anew after the new registration. */
bool node_lease_lost(const Node *n);
void node_relisted(Node *n);
typedef void (*NodeFencedCallback)(Node *n, bool fenced, void *userdata);
void node_set_fenced_callback(Node *n, NodeFencedCallback cb, void *userdata);
/* CLOCK_MONOTONIC time the last successful renewal (or grant) was sent; 0: never. */
uint64_t node_last_renewal_usec(const Node *n);

/* Revoke the lease; done runs once it is revoked or that failed (never from
 * inside this call). 1: a revoke was sent; 0: there was no lease (done is not
 * called). */
typedef void (*NodeStoppedCallback)(Node *n, void *userdata);
int node_stop(Node *n, NodeStoppedCallback done, void *userdata);
