/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Probe runners (issue 14): one run of an exec, http or tcp probe, on the
 * loop, reported once through a callback. What a probe means for the
 * container (thresholds, periods, readiness) is the health state machine's
 * business; this is only the I/O.
 *
 * - tcp: success is an accepted connection to 127.0.0.1:port.
 * - http: success is a status 200..399 (redirects are not followed); https
 *   checks no certificate. The proxy environment is ignored.
 * - exec: argv run in the container by tank-exec (exec-spawn.h), with the
 *   container's user, env, cwd, capabilities and seccomp; success is exit 0.
 *
 * tcp and http connect from within netns_path (the pod's namespace,
 * net/netns.h; NULL: tankd's own, for "host" pods) in a worker thread of
 * their own (thread-job.h starts a thread per job and it ends with the job,
 * so no thread is reused in a foreign namespace).
 *
 * A run that exceeds timeout_usec fails with timed_out set; an exec probe's
 * process is then killed with its process group (SIGKILL: the group by
 * tank-exec, the process through a pidfd; exec-protocol.h says what is not
 * killed). The callback runs on the loop, never from within probe_run_*(),
 * exactly once unless the run is cancelled first; the result is borrowed for
 * the duration of the call, and the ProbeRun is freed after it returns. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "sealed-exec.h"

#define PROBE_OUTPUT_MAX 4096           /* kept of a run's output, as Docker does */
#define PROBE_HTTP_READ_MAX (64 * 1024) /* an http body is read no further; the status decides */

typedef struct ProbeRun ProbeRun;

typedef struct ProbeResult {
        bool success;
        bool timed_out;
        char reason[256];       /* "http 503", "exit 1", "connection refused", "timeout after 1s" */
        char *output;           /* the first PROBE_OUTPUT_MAX bytes, NUL-terminated (not counted);
                                 * exec: stdout and stderr as they came; http: the body; tcp: NULL */
        size_t output_len;
} ProbeResult;

typedef void (*probe_run_done_t)(const ProbeResult *result, void *userdata);

int probe_run_tcp(sd_event *e, const char *netns_path, uint16_t port, uint64_t timeout_usec, probe_run_done_t cb,
                  void *userdata, ProbeRun **ret);

/* scheme: "http" (NULL) or "https"; host: NULL means 127.0.0.1; path: NULL
 * means "/"; headers: "Name: value" lines, may be NULL. */
int probe_run_http(sd_event *e, const char *netns_path, const char *scheme, const char *host, uint16_t port,
                   const char *path, char **headers, uint64_t timeout_usec, probe_run_done_t cb, void *userdata,
                   ProbeRun **ret);

typedef struct ProbeExecTarget {
        SealedExe *exe;                 /* tank-exec */
        const char *config_path;        /* the container's run dir's config.json */
        pid_t workload_pid;
        const char *unit;               /* the container's scope */
        const char *shim_socket;        /* its shim's exec socket (exec-spawn.h), or NULL */
        pid_t shim_pid;
} ProbeExecTarget;

int probe_run_exec(sd_event *e, const ProbeExecTarget *target, char **argv, uint64_t timeout_usec,
                   probe_run_done_t cb, void *userdata, ProbeRun **ret);

/* No callback after this; an exec probe's process is killed. NULL is fine. */
ProbeRun *probe_run_cancel(ProbeRun *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProbeRun *, probe_run_cancel);
