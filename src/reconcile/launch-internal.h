/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pieces of one container's start (launch.h), for the launch files only:
 * launch.c runs the start and its steps over the sync channel;
 * launch-config.c builds the shim's config from the spec, launch-network.c
 * brings the pod's network up for it, launch-spawn.c spawns tank-shim, and
 * launch-scope.c asks systemd for the container's scope. */

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus/scope.h"
#include "reconcile/launch.h"
#include "shim/shim-config.h"

typedef enum LaunchStep {
        STEP_WAIT_PID,
        STEP_WAIT_SCOPE,
        STEP_WAIT_RUNNING,
} LaunchStep;

struct Launch {
        Reconciler *reconciler;
        ContainerState *container;
        launch_handler_t cb;
        int sync_fd;
        sd_event_source *io;
        BusJob *job;                    /* StartTransientUnit in flight */
        LaunchStep step;
        UnitLimits limits;              /* of the spec this launch was built from */
        pid_t shim_pid;
        char *shim_error;
        bool go_sent;
};

/* launch.c: what the shim says over the sync channel. */
int launch_on_sync_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* launch-config.c: everything the shim is told (config.json), the pod's
 * network included; run_dir is the container's runtime directory. */
int launch_build_config(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                        const char *run_dir, ShimConfig **ret, char **ret_error);

/* launch-network.c: the pod's network raised or adopted, and the shim's part
 * of it in sc (the host's namespace, or the pod's and its /etc files). */
int launch_network_setup(Reconciler *rc, const Pod *pod, ShimConfig *sc, char **ret_error);

/* launch-spawn.c: tank-shim --config config_path with a new sync channel,
 * whose end l->sync_fd the loop watches (launch_on_sync_io); its first
 * process is reaped by the loop whatever becomes of l. On failure l is the
 * caller's to free, and no shim is left behind. */
int launch_spawn_shim(Launch *l, const char *config_path);

/* launch-scope.c: the limits of the container's scope, from its spec and
 * [Limits]; and the scope itself, started with pid in it, cb called when its
 * job is done (scope_start_async()). */
UnitLimits launch_scope_limits(Reconciler *rc, const PodContainer *spec);
int launch_scope_start(Reconciler *rc, ContainerState *c, pid_t pid, const UnitLimits *limits,
                       bus_job_handler_t cb, void *userdata, BusJob **ret_job);
