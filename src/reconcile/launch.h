/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Starting one container: write the shim config, spawn tank-shim, put it into
 * its transient scope, tell it to go (the protocol of src/shim/shim-config.h),
 * and record what runs (records.h: state.json) so that a later tankd can adopt
 * it. All steps are asynchronous; the outcome is reported
 * through the callback exactly once (unless the launch is aborted). One file
 * per job: launch.c (the steps), launch-config.c, launch-network.c,
 * launch-spawn.c, launch-scope.c (launch-internal.h). */

#include "reconcile/podstate.h"
#include "image/blobstore.h"

typedef struct Launch Launch;

/* r < 0: message says why the container could not be started. */
typedef void (*launch_handler_t)(ContainerState *c, int r, const char *message);

/* image may be NULL for {"rootfs": …} containers. */
int launch_container(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                     launch_handler_t cb, char **ret_error);
void launch_abort(Launch *l);

/* Paths under the runtime and data directories. */
int container_run_dir(Reconciler *rc, const char *pod, const char *container, char **ret);
int container_scratch_dir(Reconciler *rc, const char *pod, const char *container, char **ret);
/* An empty volume ("source": {"empty": {}}), made if need be:
 * <data>/pods/<pod>/.volumes/<volume>/, inside the pod's scratch, so that it
 * outlives container restarts and tankd and goes when the pod's scratch does
 * (delete, or a pod found gone at start). ".volumes" is no DNS label, so no
 * container's scratch can have that name. */
int pod_empty_volume_dir(Reconciler *rc, const char *pod, const char *volume, char **ret);

/* The records of what runs and what ended (state.json, final.json). */
#include "reconcile/records.h"
