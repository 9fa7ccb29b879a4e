/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's notify socket (notify.h) in the reconciler's terms: the
 * directory under its run directory and a listener that hands what the
 * workload says to the reconciler. */

#include "reconcile/notify.h"
#include "reconcile/podstate.h"

/* <runtime>/pods/<pod>/<container>/notify, created 0755 root (with the run
 * directory 0700 above it) when missing; an existing one must be a real
 * directory (no symlink) and is made 0755 root again. */
int container_notify_dir(Reconciler *rc, const char *pod, const char *container, char **ret);

/* For a container about to start (before its shim is spawned, so the socket
 * exists when the workload runs) or being adopted (a previous tankd's socket
 * is replaced at the same path, which the container's bind shows). The
 * listener's userdata is c; the caller owns the listener and frees it when c
 * stops or is forgotten, before c itself. */
int container_notify_open(Reconciler *rc, ContainerState *c, NotifyListener **ret);

/* For adoption, where the spec it was started under may be gone: listens
 * again if the container was started with notify (its notify directory is
 * there): 1 with *ret set; 0 with *ret = NULL if not. */
int container_notify_reopen(Reconciler *rc, ContainerState *c, NotifyListener **ret);
