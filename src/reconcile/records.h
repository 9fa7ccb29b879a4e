/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's records on disk: state.json in its run directory
 * (<runtime>/pods/<pod>/<container>/), what runs, for adoption by a later
 * tankd; final.json beside its scratch, the status of a container that ended
 * for good, which survives a reboot. Both are written atomically and read
 * strictly, with a size cap. */

#include "reconcile/podstate.h"

/* state.json: what a running container is, for adoption. */
int container_state_save(Reconciler *rc, ContainerState *c);
int container_state_load(Reconciler *rc, const char *pod, const char *container, ContainerState *c);

/* <run dir>/pid, written by tank-shim once the workload runs: sets c->pid.
 * For a scope adopted before tankd heard "running". -ENOENT: not yet. */
int container_pid_load(Reconciler *rc, ContainerState *c);

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
int container_final_save(Reconciler *rc, const ContainerState *c);
/* -ENOENT: no record; -EBADMSG: malformed (strict, size-capped). */
int container_final_load(Reconciler *rc, const char *pod, const char *container, ContainerFinal *ret);
/* Durably: the directory is synced when a record was removed. 0 if there was none. */
int container_final_remove(Reconciler *rc, const char *pod, const char *container);
