/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The standalone store brought up: store/etcd-server.h says what to run, and
 * bus/service.h runs it as a transient service (or adopts the running one: the
 * store outlives tankd); then the store is polled until it answers. Composed
 * here because store/ and bus/ are of one rank and may not include each
 * other. cb runs once, from the event loop: r = 0 and the client endpoint, or
 * r < 0 and a message that names the unit to look at. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus/scope.h"
#include "store/etcd-server.h"

typedef struct StoreServer StoreServer;

/* endpoint is valid during the call only */
typedef void (*StoreServerReady)(StoreServer *s, int r, const char *endpoint, const char *error,
                                 void *userdata);

int store_server_start(SystemdJobs *jobs, sd_event *event, const EtcdServerConfig *config, StoreServerReady cb,
                       void *userdata, StoreServer **ret);
/* Stops waiting; never stops the unit. */
StoreServer *store_server_free(StoreServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StoreServer *, store_server_free);

/* Whether the unit was adopted running (true) or started (false). */
bool store_server_adopted(const StoreServer *s);
