/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Starting one container: write the shim config, spawn tank-shim, put it into
 * its transient scope, tell it to go (the protocol of src/shim/shim-config.h),
 * and record what runs in <runtime>/pods/<pod>/<container>/state.json so that a
 * later tankd can adopt it. All steps are asynchronous; the outcome is reported
 * through the callback exactly once (unless the launch is aborted). */

#include "daemon/manager.h"
#include "image/blobstore.h"

typedef struct Launch Launch;

/* r < 0: message says why the container could not be started. */
typedef void (*launch_handler_t)(ContainerState *c, int r, const char *message);

/* image may be NULL for {"rootfs": …} containers. */
int launch_container(Manager *m, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                     launch_handler_t cb, char **ret_error);
void launch_abort(Launch *l);

/* Paths under the runtime and data directories. */
int container_run_dir(Manager *m, const char *pod, const char *container, char **ret);
int container_scratch_dir(Manager *m, const char *pod, const char *container, char **ret);

/* state.json: what a running container is, for adoption. */
int container_state_save(Manager *m, ContainerState *c);
int container_state_load(Manager *m, const char *pod, const char *container, ContainerState *c);

/* <run dir>/pid, written by tank-shim once the workload runs: sets c->pid.
 * For a scope adopted before tankd heard "running". -ENOENT: not yet. */
int container_pid_load(Manager *m, ContainerState *c);

/* final.json beside the scratch (<data>/pods/<pod>/<container>/final.json):
 * the final status of a container that ended and will not be restarted
 * (CONTAINER_EXITED). It lives in the data directory, not in the runtime
 * directory, so that a container that completed stays completed across a
 * reboot: tankd restores it as exited instead of running it again, as long as
 * the hashes match the desired spec. Written atomically and fsync'd before the
 * phase is announced; removed before the container starts again. */
typedef struct ContainerFinal {
        char hash[SPEC_HASH_LEN + 1];           /* container_hash it ran under */
        char pod_hash[SPEC_HASH_LEN + 1];       /* pod_level_hash it ran under */
        char *image_digest;                     /* NULL for {"rootfs": …} */
        unsigned restarts;
        uint64_t started_realtime_usec;
        ExitInfo last_exit;
        char *message;                          /* NULL if none */
} ContainerFinal;

void container_final_done(ContainerFinal *f);
int container_final_save(Manager *m, const ContainerState *c);
/* -ENOENT: no record; -EBADMSG: malformed (strict, size-capped). */
int container_final_load(Manager *m, const char *pod, const char *container, ContainerFinal *ret);
/* Durably: the directory is synced when a record was removed. 0 if there was none. */
int container_final_remove(Manager *m, const char *pod, const char *container);
