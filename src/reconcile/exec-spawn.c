/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "log.h"
#include "pidfd-util.h"
#include "reconcile/exec-spawn.h"
#include "shim/exec-protocol.h"
#include "strv.h"

struct ExecSpawn {
        int sync_fd;
        int pidfd;              /* the shim's helper, once it said "pid" */
        pid_t shim_pid;         /* > 0: the shim started the helper */
        sd_event_source *io;
        sd_event_source *child; /* tank-exec: reaps it, pins its pid for exec_spawn_kill() */
        pid_t helper_pid;
        pid_t workload_pid;
        char *unit;
        bool running;           /* said "running" */
        bool failed;            /* failed() was called */
        ExecSpawnCallbacks cb;
        void *userdata;
};

pid_t exec_spawn_helper_pid(const ExecSpawn *x) {
        return x->helper_pid;
}

int exec_spawn_kill(ExecSpawn *x) {
        if (x->shim_pid > 0) {
                /* Before "pid" there is nothing to kill: EOF on the sync
                 * socket (exec_spawn_free()) stops it before "go". */
                if (x->pidfd < 0 || syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0) >= 0 ||
                    errno == ESRCH)
                        return 0;
                return -errno;
        }
        if (!x->child || sd_event_source_get_enabled(x->child, NULL) <= 0)
                return 0;   /* gone, or already reaped */
        return sd_event_source_send_child_signal(x->child, SIGKILL, NULL, 0);
}

static int sync_send(ExecSpawn *x, const char *msg);

int exec_spawn_kill_group(ExecSpawn *x) {
        int r;

        if (!x->running || x->sync_fd < 0)
                return 0;
        r = sync_send(x, "kill");
        return r == -EPIPE || r == -ECONNRESET ? 0 : r;
}

ExecSpawn *exec_spawn_free(ExecSpawn *x) {
        if (!x)
                return NULL;
        sd_event_source_disable_unref(x->io);
        safe_close(x->sync_fd);
        safe_close(x->pidfd);
        /* Still running: the source stays with the loop (floating) to reap it. */
        if (x->child && sd_event_source_get_enabled(x->child, NULL) > 0 &&
            sd_event_source_set_floating(x->child, 1) >= 0)
                x->child = NULL;
        sd_event_source_disable_unref(x->child);
        free(x->unit);
        free(x);
        return NULL;
}

typedef struct JoinArgs {
        const char *unit;
        CgroupLayout layout;
        char pid[32];
        size_t pid_len;
        bool found;
} JoinArgs;

/* One line of the workload's /proc/PID/cgroup: a hierarchy in which it sits
 * in the scope gets the helper too. A unified host has just the "0::" line
 * (/sys/fs/cgroup); a hybrid one has the v1 hierarchies the scope was made
 * in (memory, pids, cpu,cpuacct, devices, name=systemd ...) plus cgroup2 at
 * /sys/fs/cgroup/unified; hierarchies systemd does not manage (freezer,
 * cpuset ...) keep the workload outside the scope and are left alone. The
 * scope is a leaf (no Delegate=), so cgroup2's no-internal-processes rule
 * allows the write. */
static int join_one(const char *controllers, const char *path, void *userdata) {
        JoinArgs *a = userdata;
        _cleanup_free_ char *dir = NULL, *procs = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *base = strrchr(path, '/');
        int r;

        if (!base || !streq(base + 1, a->unit))
                return 0;   /* this hierarchy does not place the workload in its scope */
        r = cgroup_hierarchy_dir(a->layout, controllers, &dir);
        if (r == -ENOMEDIUM)
                return 0;   /* not mounted where this layout mounts it: nothing to join */
        if (r < 0)
                return r;
        if (asprintf(&procs, "%s%s/cgroup.procs", dir, path) < 0)
                return -ENOMEM;
        fd = open(procs, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (write(fd, a->pid, a->pid_len) != (ssize_t) a->pid_len)
                return -errno;
        a->found = true;
        return 0;
}

/* systemd refuses AttachProcessesToUnit for a scope without Delegate=yes
 * ("Process migration not available on non-delegated units"), so the helper
 * joins the cgroups the workload runs in directly (every hierarchy in which
 * it sits in the container's scope; v1, hybrid or unified), after checking
 * that it is the container's scope. Short synchronous writes to cgroupfs. */
static int join_scope(ExecSpawn *x, pid_t helper) {
        _cleanup_free_ char *proc = NULL;
        JoinArgs a = { .unit = x->unit };
        int r;

        r = cgroup_layout_detect(&a.layout);
        if (r < 0)
                return r;
        r = cgroup_proc_read(x->workload_pid, &proc);
        if (r < 0)
                return r;
        a.pid_len = (size_t) snprintf(a.pid, sizeof a.pid, "%d", (int) helper);
        r = cgroup_proc_foreach(proc, join_one, &a);
        if (r < 0)
                return r;
        /* Not in its scope (any more): the pid is not our workload. */
        return a.found ? 0 : -ESRCH;
}

static void spawn_failed(ExecSpawn *x, const char *message) {
        if (x->running || x->failed)
                return;
        x->failed = true;
        if (x->cb.failed)
                x->cb.failed(x, message, x->userdata);
}

/* The last callback: x may be gone after it. */
static void spawn_exited(ExecSpawn *x, int status) {
        x->io = sd_event_source_disable_unref(x->io);
        x->sync_fd = safe_close(x->sync_fd);
        if (x->cb.exited)
                x->cb.exited(x, status, x->userdata);
}

static int sync_send(ExecSpawn *x, const char *msg) {
        return send(x->sync_fd, msg, strlen(msg), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* 1: that was "exit", x may be gone. */
static int handle_packet(ExecSpawn *x, const char *msg) {
        const char *arg;
        int v, r;

        if ((arg = startswith(msg, "pid "))) {
                v = atoi(arg);
                if (x->shim_pid > 0) {
                        /* Born in the scope: only make sure it is the shim's. */
                        if (v <= 0 || x->helper_pid > 0 || pidfd_open_child(v, x->shim_pid, &x->pidfd) < 0)
                                return -EBADMSG;
                        x->helper_pid = v;
                        return sync_send(x, "go");
                }
                if (v <= 0 || v != x->helper_pid)
                        return -EBADMSG;
                r = join_scope(x, v);
                if (r < 0) {
                        _cleanup_free_ char *why = NULL;
                        if (asprintf(&why, "cannot move the exec helper into %s: %s", x->unit, strerror(-r)) < 0)
                                why = NULL;
                        spawn_failed(x, why ?: "cannot enter the container's scope");
                        return -ECANCELED;
                }
                return sync_send(x, "go");
        }
        if ((arg = startswith(msg, "running "))) {
                v = atoi(arg);
                if (v <= 0 || x->running || x->failed)
                        return -EBADMSG;
                x->running = true;
                if (x->cb.running)
                        x->cb.running(x, v, x->userdata);
                return 0;
        }
        if ((arg = startswith(msg, "error "))) {
                spawn_failed(x, arg);
                return 0;
        }
        if ((arg = startswith(msg, "exit "))) {
                spawn_exited(x, atoi(arg));
                return 1;
        }
        return -EBADMSG;
}

static int on_sync_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ExecSpawn *x = userdata;
        char buf[EXEC_SYNC_MSG_MAX + 1];
        ssize_t n;

        n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0) {
                buf[n] = 0;
                if (!memchr(buf, 0, (size_t) n) && handle_packet(x, buf) >= 0)
                        return 0;
                log_debug("tank-exec %d: bad message", (int) x->helper_pid);
        }
        /* EOF or nonsense: the helper is gone (or must go). */
        spawn_failed(x, "the exec helper failed");
        spawn_exited(x, -1);
        return 0;
}

static int on_helper_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        /* Left to the loop by exec_spawn_free(): take it back and drop it. */
        if (sd_event_source_get_floating(src) > 0 && sd_event_source_set_floating(src, 0) >= 0) {
                sd_event_source_disable_unref(src);
                return 0;
        }
        return sd_event_source_set_enabled(src, SD_EVENT_OFF);
}

static int helper_argv(const ExecSpawnParams *p, char ***ret) {
        _cleanup_strv_free_ char **args = NULL;
        char pidarg[32];

        (void) snprintf(pidarg, sizeof pidarg, "%d", (int) p->workload_pid);
        if (strv_extend(&args, "tank-exec") < 0 || strv_extend(&args, "--config") < 0 ||
            strv_extend(&args, p->config_path) < 0 || strv_extend(&args, "--pid") < 0 ||
            strv_extend(&args, pidarg) < 0 || strv_extend(&args, "--sync-fd") < 0 ||
            strv_extend(&args, "3") < 0 || strv_extend(&args, "--client-fd") < 0 || strv_extend(&args, "4") < 0 ||
            (p->tty && strv_extend(&args, "--tty") < 0) ||
            (!isempty(p->cwd) && (strv_extend(&args, "--cwd") < 0 || strv_extend(&args, p->cwd) < 0)))
                return -ENOMEM;
        STRV_FOREACH(e, p->env)
                if (strv_extend(&args, "--env") < 0 || strv_extend(&args, *e) < 0)
                        return -ENOMEM;
        if (strv_extend(&args, "--") < 0 || strv_extend_strv(&args, p->argv) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(args);
        return 0;
}

/* One datagram to the shim (exec-protocol.h, "Spawned by the shim"). */
static int shim_spawn_request(const char *path, int exe_fd, char **argv, int sync_child, int client_child) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 3)];
        } control = {};
        _cleanup_free_ char *payload = NULL;
        _cleanup_close_ int fd = -EBADF;
        int fds[3] = { exe_fd, sync_child, client_child };
        struct msghdr mh = {};
        struct iovec iov;
        struct cmsghdr *c;
        size_t n = 0, len = strlen(path);
        char *p;

        if (len >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len);
        STRV_FOREACH(a, argv)
                n += strlen(*a) + 1;
        if (n > EXEC_SPAWN_REQUEST_MAX || strv_length(argv) > EXEC_SPAWN_ARGS_MAX)
                return -E2BIG;
        payload = malloc(n);
        if (!payload)
                return -ENOMEM;
        p = payload;
        STRV_FOREACH(a, argv)
                p = stpcpy(p, *a) + 1;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        iov = (struct iovec) { payload, n };
        mh = (struct msghdr) {
                .msg_name = &sa, .msg_namelen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1),
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof control,
        };
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof fds);
        memcpy(CMSG_DATA(c), fds, sizeof fds);
        /* Never wait for a shim: a full queue means the other way. */
        if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

int exec_spawn(sd_event *event, const ExecSpawnParams *p, int client_child, const ExecSpawnCallbacks *cb,
               void *userdata, ExecSpawn **ret) {
        _cleanup_(exec_spawn_freep) ExecSpawn *x = NULL;
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_close_ int sync_child = -EBADF;
        int sv[2], fds[2];
        pid_t pid;
        int r;

        if (!event || !p || !p->exe || !p->config_path || p->workload_pid <= 0 || !p->unit ||
            strv_length(p->argv) == 0 || client_child < 0 || !cb || !ret)
                return -EINVAL;

        x = calloc(1, sizeof(ExecSpawn));
        if (!x)
                return -ENOMEM;
        x->sync_fd = x->pidfd = -EBADF;
        x->workload_pid = p->workload_pid;
        x->cb = *cb;
        x->userdata = userdata;
        x->unit = strdup(p->unit);
        if (!x->unit)
                return -ENOMEM;
        r = helper_argv(p, &args);
        if (r < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        x->sync_fd = sv[0];
        sync_child = sv[1];
        r = sd_event_add_io(event, &x->io, x->sync_fd, EPOLLIN, on_sync_io, x);
        if (r < 0)
                return r;

        if (p->shim_socket && p->shim_pid > 0) {
                r = sealed_exe_fd(p->exe);
                if (r >= 0)
                        r = shim_spawn_request(p->shim_socket, r, args, sync_child, client_child);
                if (r >= 0) {
                        x->shim_pid = p->shim_pid;
                        *ret = TAKE_PTR(x);
                        return 0;
                }
                log_debug_errno(r, "Cannot have the shim of %s start tank-exec, starting it here: %m", p->unit);
        }

        /* sync on fd 3, the client's end on fd 4 (exec-protocol.h). */
        fds[0] = sync_child;
        fds[1] = client_child;
        r = sealed_exe_spawn(p->exe, args, fds, ELEMENTSOF(fds), &pid);
        if (r < 0)
                return r;
        x->helper_pid = pid;
        r = sd_event_add_child(event, &x->child, pid, WEXITED, on_helper_exit, NULL);
        if (r < 0)
                log_debug_errno(r, "cannot watch tank-exec %d: %m", (int) pid);

        *ret = TAKE_PTR(x);
        return 0;
}
