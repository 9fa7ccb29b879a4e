/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A pod's user namespace range (user_namespace "auto"): 65536 host uids and
 * gids from the subordinate ids of the user "tank" (/etc/subuid, /etc/subgid),
 * the lowest slot no other pod holds, recorded in the store
 * (store/userns.h) by a create-only write before any container of the pod
 * runs with it, and read back from there on every later launch (restart,
 * adoption, reboot). Released when the pod is gone (a lookup under the same
 * name waits until that delete is done). */

#include "reconcile/podstate.h"

#define USERNS_USER "tank"
#define USERNS_SUBUID_FILE "/etc/subuid"
#define USERNS_SUBGID_FILE "/etc/subgid"

/* The spec's choice, or [Security] UserNamespace= when it has none. */
bool pod_wants_userns(const Reconciler *rc, const Pod *pod);

/* Start finding the pod's range (p->userns_size is 0): one request per pod
 * at a time. When it is done, reconcile_userns_done() is called with the pod
 * (if it still exists) and NULL or why not. */
int pod_userns_request(Reconciler *rc, PodState *p);

/* The pod and its containers are gone: forget its range in the store. */
void pod_userns_release(Reconciler *rc, const char *pod);

/* reconcile.c: wake (or fail) the containers that waited for the range. */
void reconcile_userns_done(Reconciler *rc, PodState *p, const char *error);
