/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container lifecycle steps of reconcile.c that adoption (adopt.c) shares:
 * internal to src/reconcile/, not an interface for other modules. Phases are
 * lifecycle.h's to decide: these feed it events and perform its actions. */

#include "reconcile/lifecycle.h"
#include "reconcile/podstate.h"

void pod_changed(Reconciler *rc, PodState *p);
void pod_cleanup(Reconciler *rc, PodState *p);
void container_start(Reconciler *rc, ContainerState *c, const PodContainer *spec);
/* Steps the container's machine with ev (now_usec is set here) and performs
 * the actions it returns. */
void container_feed(Reconciler *rc, ContainerState *c, LifecycleEvent ev);
/* The scope is gone: read the exit and feed type (EXITED, or ADOPTED_VANISHED
 * when adoption finds it gone) with the exit and how long it ran. */
void container_gone(Reconciler *rc, ContainerState *c, LifecycleEventType type);

/* The container's message (NULL: none). */
void container_set_message(ContainerState *c, const char *msg);
/* exits.c: watch the run directory for the exit record and the pid file;
 * ask systemd, without waiting, whether the scope is up, and end the
 * container when it is not (after_stop: the question follows a stop). */
void container_watch_exit(Reconciler *rc, ContainerState *c);
void container_check_unit(Reconciler *rc, ContainerState *c, bool after_stop);
