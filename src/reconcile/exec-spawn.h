/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One tank-exec run (exec-protocol.h): have the container's shim start the
 * helper in the scope (or, without that socket, start it from its sealed
 * copy and move it into the scope when it says "pid"), let it "go", and
 * report what the sync socket says. Used by the D-Bus Exec sessions and by
 * exec probes; the client end of the exec socket is the caller's business.
 *
 * Callbacks run on the loop, never from within exec_spawn():
 *   running(pid)     the process runs; pid as the host sees it
 *   failed(message)  nothing was started (or the helper broke before it
 *                    said "running"); exited() follows. Must not free.
 *   exited(status)   the end: the status tank-exec reported, or -1 when the
 *                    helper went away or spoke nonsense. Last; may free.
 * exec_spawn_free() before exited() calls nothing more; the helper sees EOF
 * on its sync socket (before "go": it exits at once) and is still reaped. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "sealed-exec.h"

typedef struct ExecSpawn ExecSpawn;

typedef struct ExecSpawnCallbacks {
        void (*running)(ExecSpawn *x, pid_t pid, void *userdata);
        void (*failed)(ExecSpawn *x, const char *message, void *userdata);
        void (*exited)(ExecSpawn *x, int status, void *userdata);
} ExecSpawnCallbacks;

typedef struct ExecSpawnParams {
        SealedExe *exe;                 /* tank-exec */
        const char *config_path;        /* the container's config.json */
        pid_t workload_pid;             /* the container's workload, as the host sees it */
        const char *unit;               /* its scope: the helper joins it */
        const char *shim_socket;        /* the shim's exec socket, or NULL (exec-protocol.h) */
        pid_t shim_pid;                 /* the container's shim, the helper's parent then */
        char **argv;
        char **env;                     /* KEY=VALUE, may be NULL */
        const char *cwd;                /* NULL or empty: the container's */
        bool tty;
} ExecSpawnParams;

/* client_child is the helper's end of the exec socket; it is not taken (the
 * caller closes its copy). */
int exec_spawn(sd_event *event, const ExecSpawnParams *p, int client_child, const ExecSpawnCallbacks *cb,
               void *userdata, ExecSpawn **ret);
/* tank-exec itself (the parent of the process "running" names). */
pid_t exec_spawn_helper_pid(const ExecSpawn *x);
/* SIGKILL tank-exec (through the loop's pidfd of it, so never a reused pid):
 * for a run abandoned before its process started. 0 if it is gone already. */
int exec_spawn_kill(ExecSpawn *x);
/* Ask tank-exec to SIGKILL the process's whole process group ("kill",
 * exec-protocol.h), after running(). The process itself is better killed
 * through a pidfd of it as well, right after: that works even when the
 * helper does not. 0 if the helper is gone already. */
int exec_spawn_kill_group(ExecSpawn *x);
ExecSpawn *exec_spawn_free(ExecSpawn *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(ExecSpawn *, exec_spawn_free);
