/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The exit record tank-shim writes when its workload is gone (or could not be
 * started), atomically (temp file in the same directory, fsync, rename), to the
 * config's exit_file. tankd reads it after the scope is gone, or on adoption:
 *
 *   {"status": 137, "code": -1, "signal": 9, "oom": true,
 *    "started_at": 1732838400000000, "exited_at": 1732838401000000}
 *
 *   status      0..255: the exit code, or 128+signal (shell convention), or
 *               125/126/127 when the workload could not be started
 *   code        exit code, -1 when killed by a signal or never started
 *   signal      terminating signal, 0 if none
 *   oom         the memory cgroup's oom_kill counter went up while the workload
 *               ran and it died of SIGKILL (best effort, see monitor.c)
 *   started_at  CLOCK_REALTIME usec when the workload was exec'd, 0 if never
 *   exited_at   CLOCK_REALTIME usec when it was reaped (or the start failed)
 *   error       only present when the workload could not be started: why
 *
 * A missing record with the scope gone means the shim itself was killed (e.g.
 * SIGKILL of the whole scope): treat it as status 137, signal 9. */

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define SHIM_EXIT_RECORD_MAX (64 * 1024)

typedef struct ShimExit {
        int status;
        int code;
        int signal;
        bool oom;
        uint64_t started_at;
        uint64_t exited_at;
        char *error;           /* NULL unless the start failed */
} ShimExit;

void shim_exit_done(ShimExit *e);   /* frees error, keeps the struct */

int shim_exit_serialize(const ShimExit *e, char **ret_json);
/* -EBADMSG on malformed input (strict: all but "error" required, types and
 * ranges checked, unknown fields refused). */
int shim_exit_parse(const char *json, size_t len, ShimExit *ret);

int shim_exit_write(const ShimExit *e, const char *path);
int shim_exit_load(const char *path, ShimExit *ret);   /* -ENOENT if none */

