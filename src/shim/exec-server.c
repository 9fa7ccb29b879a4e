/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "exec-protocol.h"
#include "exec-server.h"
#include "log.h"
#include "socket-util.h"

struct ExecServer {
        int fd;
        int dir_fd;
        char *name;
        int oom_score_adj;
        sd_event_source *source;
};

ExecServer *exec_server_free(ExecServer *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->source);
        if (s->dir_fd >= 0 && s->name)
                (void) unlinkat(s->dir_fd, s->name, 0);
        safe_close(s->fd);
        safe_close(s->dir_fd);
        free(s->name);
        return mfree(s);
}

static int on_helper_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        /* Reaped; what it said went to tankd over its sync socket. The loop's
         * source (and the pidfd it holds) goes with it: an exec probe every
         * few seconds must not pile them up in a monitor that runs for weeks.
         * It is floating (the loop's is its only reference): turning that
         * off drops it, and sd-event frees it once this callback returns. */
        (void) sd_event_source_set_floating(src, 0);
        return 0;
}

/* In the child: exe on fd 5 (CLOEXEC: fine for an ELF), sync on 3, client
 * on 4, nothing else; default signals, the workload's OOM score. Never returns. */
_noreturn_ static void helper_exec(int exe, int sync_fd, int client_fd, char **argv, int adj) {
        char buf[16];
        sigset_t none;
        int fd, n;

        sigemptyset(&none);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = snprintf(buf, sizeof buf, "%d", adj);
                (void) !write(fd, buf, (size_t) n);
                (void) close(fd);
        }
        /* Above every target first, then into place. */
        exe = fcntl(exe, F_DUPFD_CLOEXEC, 10);
        sync_fd = fcntl(sync_fd, F_DUPFD_CLOEXEC, 10);
        client_fd = fcntl(client_fd, F_DUPFD_CLOEXEC, 10);
        if (exe < 0 || sync_fd < 0 || client_fd < 0 || dup2(sync_fd, 3) != 3 || dup2(client_fd, 4) != 4 ||
            dup3(exe, 5, O_CLOEXEC) != 5)
                _exit(127);
        (void) syscall(SYS_close_range, 6U, ~0U, 0U);
        (void) syscall(SYS_execveat, 5, "", argv, environ, AT_EMPTY_PATH);
        _exit(127);
}

/* One request: its payload is tank-exec's argv, NUL-separated; its fds the
 * sealed tank-exec, the sync socket and the client's end; its sender root. */
static void handle_request(ExecServer *s, char *payload, size_t n, const int *fds, size_t n_fds,
                           const struct ucred *cred) {
        char *argv[EXEC_SPAWN_ARGS_MAX + 1];
        size_t argc = 0;
        int seals;
        pid_t pid;

        if (!cred || cred->uid != 0) {
                log_warning("Exec request not from root (uid %d), ignored.", cred ? (int) cred->uid : -1);
                return;
        }
        if (n_fds != 3 || n == 0 || payload[n - 1] != 0) {
                log_warning("Malformed exec request (%zu fds, %zu bytes), ignored.", n_fds, n);
                return;
        }
        /* Only ever a sealed copy (CVE-2019-5736: shim.c). */
        seals = fcntl(fds[0], F_GET_SEALS);
        if (seals < 0 || (seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) !=
                                 (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) {
                log_warning("Exec request with an unsealed executable, ignored.");
                return;
        }
        for (char *p = payload; p < payload + n; p += strlen(p) + 1) {
                if (argc >= EXEC_SPAWN_ARGS_MAX) {
                        log_warning("Exec request with more than %d arguments, ignored.", EXEC_SPAWN_ARGS_MAX);
                        return;
                }
                argv[argc++] = p;
        }
        argv[argc] = NULL;
        if (!streq(argv[0], "tank-exec")) {
                log_warning("Exec request for something other than tank-exec, ignored.");
                return;
        }

        pid = fork();
        if (pid < 0) {
                /* tankd sees EOF on the sync socket when its fds are closed: failed. */
                log_error_errno(errno, "Failed to fork tank-exec: %m");
                return;
        }
        if (pid == 0)
                helper_exec(fds[0], fds[1], fds[2], argv, s->oom_score_adj);
        if (sd_event_add_child(sd_event_source_get_event(s->source), NULL, pid, WEXITED, on_helper_exit, NULL) < 0)
                log_warning("Cannot watch tank-exec %d; it stays a zombie until the monitor exits.", (int) pid);
}

static int on_request(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ExecServer *s = userdata;

        for (;;) {
                _cleanup_free_ char *payload = NULL;
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))];
                } control;
                struct iovec iov;
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = &control, .msg_controllen = sizeof control };
                const struct ucred *cred = NULL;
                int fds[4];
                size_t n_fds = 0;
                ssize_t n;

                payload = malloc(EXEC_SPAWN_REQUEST_MAX);
                if (!payload)
                        return log_oom();
                iov = (struct iovec) { payload, EXEC_SPAWN_REQUEST_MAX };
                n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        log_warning_errno(errno, "Failed to read an exec request: %m");
                        return 0;
                }
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_RIGHTS) {
                                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                                for (size_t i = 0; i < k; i++) {
                                        int v;
                                        memcpy(&v, CMSG_DATA(c) + i * sizeof(int), sizeof v);
                                        if (n_fds < ELEMENTSOF(fds))
                                                fds[n_fds++] = v;
                                        else
                                                safe_close(v);
                                }
                        } else if (c->cmsg_type == SCM_CREDENTIALS &&
                                   c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                cred = (const struct ucred *) CMSG_DATA(c);
                }
                if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
                        log_warning("Exec request truncated, ignored.");
                else
                        handle_request(s, payload, (size_t) n, fds, n_fds, cred);
                for (size_t i = 0; i < n_fds; i++)
                        safe_close(fds[i]);
        }
}

int exec_server_new(sd_event *e, const char *path, int oom_score_adj, ExecServer **ret) {
        _cleanup_(exec_server_freep) ExecServer *s = NULL;
        struct sockaddr_un sa;
        int one = 1, r;

        if (!e || !ret)
                return -EINVAL;
        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->fd = s->dir_fd = -EBADF;
        s->oom_score_adj = oom_score_adj;
        r = socket_address_in_dir(path, &s->dir_fd, &s->name, &sa);
        if (r < 0)
                return r;
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return -errno;
        if (setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return -errno;
        (void) unlinkat(s->dir_fd, s->name, 0);   /* a stale one from a previous run */
        if (bind(s->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (fchmodat(s->dir_fd, s->name, 0600, 0) < 0)
                return -errno;
        r = sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_request, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}
