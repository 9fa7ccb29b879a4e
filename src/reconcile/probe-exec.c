/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "pidfd-util.h"
#include "reconcile/exec-spawn.h"
#include "reconcile/probe-internal.h"
#include "shim/exec-protocol.h"

/* After a timeout's SIGKILL, how long the helper gets to report the end. */
#define PROBE_EXEC_GRACE_USEC (5U * 1000000U)

typedef struct ProbeExec {
        ProbeRun *run;
        ExecSpawn *spawn;               /* until tank-exec said "exit" (or broke) */
        int client_fd;                  /* our end of the exec socket: output, then EXIT */
        sd_event_source *client_io;
        sd_event_source *timer;
        int pidfd;                      /* the process, from "running" on */
        uint64_t timeout_usec;
        bool timed_out;
        bool started;                   /* tank-exec said "running" */
        bool client_done;               /* EXIT or EOF on client_fd */
        bool spawn_done;
        int status;                     /* -1: unknown */
        char *failed;                   /* nothing ran: why */
} ProbeExec;

/* The probe's process group first (tank-exec's "kill", which takes a probe's
 * children with it: sh -c 'sleep 100 & sleep 100' leaves no sleep), then its
 * leader through our pidfd, which works even if the helper does not read.
 * In that order: tank-exec reads the "kill" before it sees the leader die,
 * and so before it reaps it and the group's id could be reused. */
static void kill_process(ProbeExec *x) {
        int r;

        if (x->spawn) {
                r = exec_spawn_kill_group(x->spawn);
                if (r < 0)
                        log_debug_errno(r, "probe: cannot ask tank-exec to kill the probe's group: %m");
        }
        if (x->pidfd < 0)
                return;
        /* Through the pidfd: the pid may have been reused by now, the pidfd not. */
        if (syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
                log_debug_errno(errno, "probe: cannot kill the exec probe's process: %m");
}

static void probe_exec_stop(void *kind) {
        ProbeExec *x = kind;

        if (!x)
                return;
        if (!x->spawn_done) {
                if (x->started)
                        kill_process(x);
                else if (x->spawn)
                        (void) exec_spawn_kill(x->spawn);
        }
        exec_spawn_free(x->spawn);
        sd_event_source_disable_unref(x->client_io);
        safe_close(x->client_fd);
        sd_event_source_disable_unref(x->timer);
        safe_close(x->pidfd);
        free(x->failed);
        free(x);
}

static void maybe_finish(ProbeExec *x) {
        ProbeResult *res = &x->run->result;

        if (!x->spawn_done || !x->client_done)
                return;
        if (x->timed_out)
                probe_result_timeout(res, x->timeout_usec);
        else if (x->failed)
                probe_result_reason(res, "%s", x->failed);
        else if (x->status < 0)
                probe_result_reason(res, "the exec helper failed");
        else {
                res->success = x->status == 0;
                probe_result_reason(res, "exit %d", x->status);
        }
        x->timer = sd_event_source_disable_unref(x->timer);
        probe_run_finish(x->run);
}

static void on_spawn_running(ExecSpawn *s, pid_t pid, void *userdata) {
        ProbeExec *x = userdata;
        int r;

        x->started = true;
        /* "running <pid>" comes from a helper that sits in the container's
         * namespaces: only tank-exec's own child is ever signalled. */
        r = pidfd_open_child(pid, exec_spawn_helper_pid(s), &x->pidfd);
        if (r < 0)
                log_debug_errno(r, "probe: cannot pin the exec probe's process %d: %m", (int) pid);
        if (x->timed_out)
                kill_process(x);   /* it started while the helper was being killed */
}

static void on_spawn_failed(ExecSpawn *s, const char *message, void *userdata) {
        ProbeExec *x = userdata;

        if (!x->failed)
                x->failed = strdup(message);
}

static void on_spawn_exited(ExecSpawn *s, int status, void *userdata) {
        ProbeExec *x = userdata;

        x->spawn = exec_spawn_free(x->spawn);
        x->spawn_done = true;
        if (status >= 0)
                x->status = status;
        if (status < 0 || x->failed)
                /* Nothing more comes on the client socket that matters. */
                x->client_done = true;
        maybe_finish(x);
}

static const ExecSpawnCallbacks spawn_callbacks = {
        .running = on_spawn_running,
        .failed = on_spawn_failed,
        .exited = on_spawn_exited,
};

static int on_client_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ProbeExec *x = userdata;
        uint8_t buf[1 + ATTACH_DATA_MAX];
        ssize_t n;

        n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0 && (buf[0] == ATTACH_TAG_OUTPUT || buf[0] == EXEC_TAG_STDERR)) {
                if (probe_result_append(&x->run->result, buf + 1, (size_t) n - 1) < 0)
                        log_debug("probe: out of memory for the exec probe's output");
                return 0;
        }
        if (n == 1 + (ssize_t) sizeof(int32_t) && buf[0] == ATTACH_TAG_EXIT) {
                int32_t status;
                memcpy(&status, buf + 1, sizeof status);
                if (x->status < 0 && status >= 0)
                        x->status = status;
        } else if (n > 0)
                log_debug("probe: unexpected packet from tank-exec");
        /* EXIT, EOF or nonsense: the client side is over. */
        x->client_io = sd_event_source_disable_unref(x->client_io);
        x->client_done = true;
        maybe_finish(x);
        return 0;
}

/* First the deadline, then (re-armed) the grace after the kill. */
static int on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        ProbeExec *x = userdata;

        if (x->spawn_done) {
                /* It ended in time; only its output socket stays open (a
                 * leftover process holds it): the status is what counts. */
                x->client_done = true;
                maybe_finish(x);
                return 0;
        }
        if (!x->timed_out) {
                x->timed_out = true;
                if (x->started)
                        kill_process(x);
                else
                        /* Still joining the container: nothing of it is to start now. */
                        (void) exec_spawn_kill(x->spawn);
                /* tank-exec sees its child die, sends EXIT and "exit", and ends. */
                if (sd_event_source_set_time_relative(src, PROBE_EXEC_GRACE_USEC) >= 0 &&
                    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT) >= 0)
                        return 0;
        }
        /* The helper did not report after the kill: stop waiting for it. */
        x->spawn_done = x->client_done = true;
        maybe_finish(x);
        return 0;
}

int probe_run_exec(sd_event *e, const ProbeExecTarget *target, char **argv, uint64_t timeout_usec,
                   probe_run_done_t cb, void *userdata, ProbeRun **ret) {
        _cleanup_(probe_run_freep) ProbeRun *run = NULL;
        _cleanup_close_ int client_child = -EBADF;
        uint8_t eof = EXEC_TAG_STDIN_EOF;
        ProbeExec *x;
        int cl[2], r;

        if (!target || !argv || !argv[0] || timeout_usec == 0 || !ret)
                return -EINVAL;
        r = probe_run_new(e, cb, userdata, &run);
        if (r < 0)
                return r;
        x = calloc(1, sizeof(ProbeExec));
        if (!x)
                return -ENOMEM;
        x->run = run;
        x->client_fd = x->pidfd = -EBADF;
        x->status = -1;
        x->timeout_usec = timeout_usec;
        run->kind = x;
        run->stop = probe_exec_stop;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cl) < 0)
                return -errno;
        x->client_fd = cl[0];
        client_child = cl[1];
        /* No stdin: said before the start, so the process finds it closed. */
        if (send(x->client_fd, &eof, sizeof eof, MSG_NOSIGNAL) < 0)
                return -errno;
        r = sd_event_add_io(e, &x->client_io, x->client_fd, EPOLLIN, on_client_io, x);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(e, &x->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_timer, x);
        if (r < 0)
                return r;
        r = exec_spawn(e,
                       &(ExecSpawnParams) {
                               .exe = target->exe,
                               .config_path = target->config_path,
                               .workload_pid = target->workload_pid,
                               .unit = target->unit,
                               .shim_socket = target->shim_socket,
                               .shim_pid = target->shim_pid,
                               .argv = argv,
                       },
                       client_child, &spawn_callbacks, x, &x->spawn);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(run);
        return 0;
}
