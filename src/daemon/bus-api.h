/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankd's D-Bus API (DESIGN.md "D-Bus API"; dbus/org.tank.Tank1.xml is the
 * introspection data, checked against what is exported here by a test):
 * org.tank.Tank1.Manager on /org/tank/Tank1 and one org.tank.Tank1.Pod object
 * per pod under /org/tank/Tank1/pod/<escaped name>, with an ObjectManager so
 * that pods appear and disappear with InterfacesAdded/InterfacesRemoved. */

#include "daemon/manager.h"

int bus_api_install(Manager *m);

/* The store's first full list arrived: answer the calls that waited for it. */
void bus_api_release_held(Manager *m);
void bus_api_free_held(Manager *m);

void bus_pod_emit_added(Manager *m, PodState *p);
void bus_pod_emit_removed(Manager *m, PodState *p);
void bus_pod_emit_changed(Manager *m, PodState *p);
