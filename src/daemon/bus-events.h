/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankd's lifecycle events on the bus (issue 19): the Manager's signal
 *   Event(s id, s event, s pod, s container, t realtime_usec, s message, a{ss} fields)
 * on /org/tank/Tank1, one per event of reconcile/events.h, sent after its
 * journal entry; fields are the entry's TANK_* fields (TANK_POD=,
 * TANK_EXIT_STATUS=...) and id its TANK_EVENT_ID=. */

#include "daemon/manager.h"

struct TankEvent;

/* Declares the signal on the Manager object (for introspection). */
int bus_events_install(Manager *m);
/* The ReconcilerObserver's event callback; userdata is the Manager. */
void bus_events_on_event(Reconciler *rc, const struct TankEvent *e, void *userdata);
