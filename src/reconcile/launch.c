/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "reconcile/launch-internal.h"
#include "reconcile/reconciler-internal.h"
#include "shim/shim-config.h"

/* One container's start, step by step: the config written, the shim spawned,
 * then what it says over the sync channel (its pid: the scope is started;
 * the scope's job done: "go"; "running <pid>": done), each step's failure
 * reported once through the launch's callback. The pieces are in
 * launch-internal.h. */

int container_run_dir(Reconciler *rc, const char *pod, const char *container, char **ret) {
        char *p;
        if (asprintf(&p, "%s/pods/%s/%s", rc->runtime_dir, pod, container) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int container_scratch_dir(Reconciler *rc, const char *pod, const char *container, char **ret) {
        char *p;
        if (asprintf(&p, "%s/pods/%s/%s", rc->config->data_dir, pod, container) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int pod_empty_volume_dir(Reconciler *rc, const char *pod, const char *volume, char **ret) {
        _cleanup_free_ char *dir = NULL, *p = NULL;
        int r;

        /* .volumes/ 0700 as volumes/ is: container root may leave setuid files there. */
        if (asprintf(&dir, "%s/pods/%s/.volumes", rc->config->data_dir, pod) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = mkdir_restrict(dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&p, "%s/%s", dir, volume) < 0)
                return -ENOMEM;
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -errno;
        *ret = TAKE_PTR(p);
        return 0;
}

static void launch_free(Launch *l) {
        if (!l)
                return;
        sd_event_source_disable_unref(l->io);
        bus_job_cancel(l->job);
        safe_close(l->sync_fd);
        free(l->shim_error);
        free(l);
}

void launch_abort(Launch *l) {
        if (!l)
                return;
        /* Closing the sync fd before "go" makes the shim give up without creating
         * anything; after "go" the container runs and is found by adoption. */
        l->container->launch = NULL;
        launch_free(l);
}

static void launch_finish(Launch *l, int r, const char *message) {
        ContainerState *c = l->container;
        launch_handler_t cb = l->cb;

        c->launch = NULL;
        launch_free(l);
        cb(c, r, message);
}

static int send_packet(int fd, const char *s) {
        ssize_t n = send(fd, s, strlen(s), MSG_NOSIGNAL);
        return n < 0 ? -errno : 0;
}

static void on_scope_started(int r, const char *job_result, void *userdata) {
        Launch *l = userdata;
        ContainerState *c = l->container;

        l->job = bus_job_cancel(l->job);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "failed to start %s: %s", c->unit,
                             job_result ? job_result : strerror(-r)) < 0)
                        msg = NULL;
                /* The shim sees EOF instead of "go" and exits without a container. */
                launch_finish(l, r, msg ?: "failed to start the scope");
                return;
        }
        r = send_packet(l->sync_fd, "go");
        if (r < 0) {
                launch_finish(l, r, "tank-shim went away before it could be started");
                return;
        }
        l->go_sent = true;
        l->step = STEP_WAIT_RUNNING;
}

static int launch_handle_packet(Launch *l, const char *msg) {
        Reconciler *rc = l->reconciler;
        ContainerState *c = l->container;
        const char *v;

        if ((v = startswith(msg, "error "))) {
                free(l->shim_error);
                l->shim_error = strdup(v);
                return 0;
        }
        if (l->step == STEP_WAIT_PID && (v = startswith(msg, "pid "))) {
                int pid;

                if (sscanf(v, "%d", &pid) != 1 || pid <= 1)
                        return -EBADMSG;
                l->shim_pid = c->shim_pid = pid;
                l->step = STEP_WAIT_SCOPE;
                /* Record before the scope exists: a crash from here on leaves a
                 * trace that adoption can follow. */
                (void) container_state_save(rc, c);
                return launch_scope_start(rc, c, pid, &l->limits, on_scope_started, l, &l->job);
        }
        if (l->step == STEP_WAIT_RUNNING && (v = startswith(msg, "running "))) {
                int pid;

                if (sscanf(v, "%d", &pid) != 1 || pid <= 1)
                        return -EBADMSG;
                c->pid = pid;
                launch_finish(l, 0, NULL);
                return 1;
        }
        return -EBADMSG;
}

int launch_on_sync_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Launch *l = userdata;
        char buf[SHIM_SYNC_MSG_MAX + 1];
        ssize_t n;
        int r;

        n = recv(fd, buf, SHIM_SYNC_MSG_MAX, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                launch_finish(l, -errno, "lost the sync channel to tank-shim");
                return 0;
        }
        if (n == 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "tank-shim failed: %s",
                             l->shim_error ?: "it exited before the container was running") < 0)
                        msg = NULL;
                launch_finish(l, l->go_sent ? -ENOEXEC : -EIO, msg ?: "tank-shim failed");
                return 0;
        }
        buf[n] = 0;
        if (memchr(buf, 0, n)) {
                launch_finish(l, -EBADMSG, "malformed message from tank-shim");
                return 0;
        }
        r = launch_handle_packet(l, buf);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "failed to start container: %s", strerror(-r)) < 0)
                        msg = NULL;
                launch_finish(l, r, msg ?: "failed to start container");
        }
        return 0;
}

int launch_container(Reconciler *rc, ContainerState *c, const PodContainer *spec, const ImageRecord *image,
                     launch_handler_t cb, char **ret_error) {
        _cleanup_free_ char *run_dir = NULL, *config_path = NULL, *exit_path = NULL, *pid_path = NULL;
        _cleanup_(shim_config_freep) ShimConfig *sc = NULL;
        Launch *l;
        int r;

        r = container_run_dir(rc, c->pod->name, c->name, &run_dir);
        if (r < 0)
                return r;
        r = mkdir_p(run_dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&config_path, "%s/config.json", run_dir) < 0 ||
            asprintf(&exit_path, "%s/exit.json", run_dir) < 0 ||
            asprintf(&pid_path, "%s/pid", run_dir) < 0)
                return -ENOMEM;
        (void) unlink(exit_path);
        (void) unlink(pid_path);

        r = launch_build_config(rc, c, spec, image, run_dir, &sc, ret_error);
        if (r < 0)
                return r;
        r = shim_config_write(sc, config_path);
        if (r < 0)
                return r;

        /* Everything that can fail for want of memory happens before the
         * spawn, so that a shim once spawned is always reaped. */
        l = calloc(1, sizeof(Launch));
        if (!l)
                return -ENOMEM;
        *l = (Launch) {
                .reconciler = rc,
                .container = c,
                .cb = cb,
                .sync_fd = -EBADF,
                .step = STEP_WAIT_PID,
                .limits = launch_scope_limits(rc, spec),
        };
        r = launch_spawn_shim(l, config_path);
        if (r < 0) {
                launch_free(l);
                return r;
        }
        c->launch = l;
        return 0;
}
