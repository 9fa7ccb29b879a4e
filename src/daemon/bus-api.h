/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* tankd's D-Bus API (DESIGN.md "D-Bus API"; dbus/org.tank.Tank1.xml is the
 * introspection data, checked against what is exported here by a test):
 * org.tank.Tank1.Manager on /org/tank/Tank1 and one org.tank.Tank1.Pod object
 * per pod under /org/tank/Tank1/pod/<escaped name>, with an ObjectManager so
 * that pods appear and disappear with InterfacesAdded/InterfacesRemoved. */

#include "daemon/manager.h"

int bus_api_install(Manager *m);
/* The Pod objects' vtable and enumerator (bus-pod.c), from bus_api_install(). */
int bus_pod_install(Manager *m);
void bus_pod_free_announced(Manager *m);

/* What a pod's PropertiesChanged last said, kept per pod in *announced
 * (name -> text): true if text (taken; NULL: could not be made) differs and
 * so is to be announced, false if it was said already. The periodic resync
 * and each step of a start change nothing some listeners have not heard
 * (issue 15). On any failure: true. */
bool bus_announcement_changed(Hashmap **announced, const char *pod, char *text);

/* The store's first full list arrived: answer the calls that waited for it. */
void bus_api_release_held(Manager *m);
void bus_api_free_held(Manager *m);

/* /org/tank/Tank1/pod/<escaped name>: computed here, from the name. */
int bus_pod_object_path(const char *name, char **ret);
/* sd-bus fallback vtable finder for the Pod objects' interfaces: the PodState at path. */
int bus_pod_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                 void **ret_found, sd_bus_error *error);

/* The Reconciler's observer (userdata: the Manager): ObjectAdded,
 * ObjectRemoved and PropertiesChanged of the pods' objects. */
extern const ReconcilerObserver bus_pod_observer;
