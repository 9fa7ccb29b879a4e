/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager's node methods (issue 17), read from and written to the store:
 * ListNodes() -> a(ssa{ss}uutt) name, status ("Ready", "NotReady", each with
 * ",SchedulingDisabled" while cordoned), labels, pods, cpus, memory_bytes,
 * started_usec (CLOCK_REALTIME; 0: unknown); Cordon(s node) and
 * Uncordon(s node), which set and remove the node's persistent cordon flag
 * (store/nodes.h). A node is known when its leased key is in the store, it
 * is cordoned, or it is this host; any other name is NoSuchNode. Pods: on a
 * fleet of one every pod in the store is this node's; other nodes count 0
 * until pods are bound to nodes. */

#include "daemon/manager.h"

int bus_nodes_install(Manager *m);
