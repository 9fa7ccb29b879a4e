/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The monitor: the shim process that stays in the host's namespaces (so the
 * container can never see it in its /proc), parents the workload, forwards
 * stop signals, copies PTY output, and writes the exit record.
 *
 * OOM detection (best effort): the memory cgroup's oom_kill counter (cgroup
 * v1 memory.oom_control, kernel >= 4.13; v2 memory.events on a unified host:
 * cgroup_oom_kill_count()) of our own cgroup — the scope, shared with the
 * workload, which sits in it directly (its cgroup namespace is rooted there,
 * no sub-cgroup) — is read before the start ("go" came after systemd moved us
 * into the scope) and after the workload is reaped. oom = counter went up AND the workload died of
 * SIGKILL. The monitor shields itself with oom_score_adj -1000 so the kernel
 * picks the workload, not us; the workload gets the original value back. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "attach.h"
#include "cgroup-util.h"
#include "container.h"
#include "exec-server.h"
#include "exit-record.h"
#include "fs-util.h"
#include "log-relay.h"
#include "log.h"
#include "monitor.h"
#include "security.h"
#include "workload.h"

/* SIGTERM/SIGINT mean "stop" (stop_signal, then SIGKILL after the timeout);
 * the others are passed on as they are. */
static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

typedef struct Monitor {
        const ShimConfig *config;
        sd_event *event;
        pid_t pid;
        int pty_master;
        int out_fd;            /* tty without a relay: where the PTY output is copied */
        int fallback_out, fallback_err; /* our own stdout/stderr, where the relay falls back */
        LogRelay *relay;       /* "log": "journal": the output's way to the journal */
        sd_event_source *pty_source;
        sd_event_source *stop_timer;
        bool stopping;
        ShimExit exit;
        bool reaped;
        AttachServer *attach;   /* tty only: replay buffer + attach socket */
        ExecServer *exec;       /* tank-exec started here (exec-server.h) */
} Monitor;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

static void write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return;   /* the journal went away: drop, never block the workload */
                }
                buf += k;
                n -= (size_t) k;
        }
}

/* Returns false at EOF/EIO (all slave ends closed) or a hard error. */
static bool pty_copy(Monitor *m) {
        char buf[8192];
        ssize_t n = read(m->pty_master, buf, sizeof buf);

        if (n <= 0)
                return n < 0 && (errno == EAGAIN || errno == EINTR);
        if (m->relay)
                log_relay_feed(m->relay, LOG_RELAY_STDOUT, buf, (size_t) n);
        else
                write_all(m->out_fd, buf, (size_t) n);
        attach_server_output(m->attach, buf, (size_t) n);
        return true;
}

static int on_pty(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Monitor *m = userdata;

        if (!pty_copy(m))
                m->pty_source = sd_event_source_disable_unref(m->pty_source);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Monitor *m = userdata;

        m->reaped = true;
        m->exit.exited_at = now_usec();
        if (si->si_code == CLD_EXITED) {
                m->exit.code = si->si_status;
                m->exit.signal = 0;
                m->exit.status = si->si_status & 0xff;
        } else {
                m->exit.code = -1;
                m->exit.signal = si->si_status;
                m->exit.status = (128 + si->si_status) & 0xff;
        }
        return sd_event_exit(m->event, 0);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Monitor *m = userdata;

        log_notice("Workload did not stop within %us, sending SIGKILL.", m->config->stop_timeout_sec);
        (void) kill(m->pid, SIGKILL);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Monitor *m = userdata;
        int sig = (int) si->ssi_signo;

        if (sig == SIGTERM || sig == SIGINT) {
                (void) kill(m->pid, m->config->stop_signal);
                if (!m->stopping) {
                        m->stopping = true;
                        (void) sd_event_add_time_relative(m->event, &m->stop_timer, CLOCK_MONOTONIC,
                                                          (uint64_t) m->config->stop_timeout_sec * UINT64_C(1000000),
                                                          0, on_stop_timeout, m);
                }
        } else
                (void) kill(m->pid, sig);
        return 0;
}

/* The fds the workload writes to when it has no PTY: pipes into the relay
 * (journal), or our own stdout/stderr (inherit). The relay needs no
 * connection now: it sends, from inside the scope, once there is output. */
static int open_outputs(const ShimConfig *c, Monitor *m, int *ret_out, int *ret_err) {
        _cleanup_close_ int out = -EBADF, err = -EBADF;
        int r;

        m->fallback_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        m->fallback_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (m->fallback_out < 0 || m->fallback_err < 0)
                return -errno;
        if (c->log == SHIM_LOG_JOURNAL) {
                r = log_relay_new(c, m->fallback_out, m->fallback_err, &m->relay);
                if (r < 0)
                        return r;
                if (!c->spec->tty) {
                        r = log_relay_open_pipe(m->relay, LOG_RELAY_STDOUT, &out);
                        if (r >= 0)
                                r = log_relay_open_pipe(m->relay, LOG_RELAY_STDERR, &err);
                        if (r < 0)
                                return r;
                }
        }
        if (out < 0) {
                out = fcntl(m->fallback_out, F_DUPFD_CLOEXEC, 3);
                err = fcntl(m->fallback_err, F_DUPFD_CLOEXEC, 3);
                if (out < 0 || err < 0)
                        return -errno;
        }
        *ret_out = TAKE_FD(out);
        *ret_err = TAKE_FD(err);
        return 0;
}

static int read_oom_score_adj(int *ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "re");

        if (!f)
                return -errno;
        return fscanf(f, "%i", ret) == 1 ? 0 : -EIO;
}

static void write_oom_score_adj(int v) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "we");

        if (f)
                fprintf(f, "%i", v);
}

static int recv_from_child(int sock, int *pty_master, char *status, char *msg, size_t msgsz) {
        char buf[SHIM_SYNC_MSG_MAX];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof control,
        };
        ssize_t n;

        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return errno == EINTR ? 1 : -errno;
        if (n == 0)
                return 0;   /* EOF: exec'd (or died) */

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
                    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
                        if (buf[0] == 'M' && *pty_master < 0)
                                *pty_master = fd;
                        else
                                safe_close(fd);
                }
        if (buf[0] == 'E' && n >= 2) {
                buf[n] = 0;
                *status = buf[1];
                snprintf(msg, msgsz, "%s", buf + 2);
        }
        return 1;
}

static void send_sync(int fd, const char *fmt, ...) _printf_(2, 3);
static void send_sync(int fd, const char *fmt, ...) {
        char buf[SHIM_SYNC_MSG_MAX];
        va_list ap;
        int n;

        if (fd < 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n > (int) sizeof buf - 1)
                n = (int) sizeof buf - 1;
        (void) send(fd, buf, (size_t) n, MSG_NOSIGNAL);
}

static void monitor_done(Monitor *m) {
        exec_server_free(m->exec);
        sd_event_source_disable_unref(m->pty_source);
        sd_event_source_disable_unref(m->stop_timer);
        sd_event_unref(m->event);
        attach_server_free(m->attach);
        log_relay_free(m->relay);
        safe_close(m->fallback_out);
        safe_close(m->fallback_err);
        safe_close(m->pty_master);
        shim_exit_done(&m->exit);
}

int monitor_run(const ShimConfig *c, int sync_fd, int take_mntns_fd) {
        _cleanup_(monitor_done) Monitor m = { .config = c, .pty_master = -EBADF, .out_fd = -EBADF,
                                             .fallback_out = -EBADF, .fallback_err = -EBADF };
        _cleanup_close_ int out = -EBADF, err = -EBADF, sock_parent = -EBADF, sock_child = -EBADF,
                userns_fd = -EBADF, mntns_fd = take_mntns_fd;
        _cleanup_(security_seccomp_filter_freep) SeccompFilter *filter = NULL;
        _cleanup_free_ char *why_seccomp = NULL;
        uint64_t oom_before = 0, oom_after = 0;
        bool oom_known;
        char status = SHIM_STATUS_SETUP_FAILED, msg[SHIM_SYNC_MSG_MAX] = "";
        int socks[2], adj = 0, r;
        sigset_t mask;

        r = open_outputs(c, &m, &out, &err);
        if (r < 0) {
                send_sync(sync_fd, "error cannot set up output: %s", strerror(-r));
                return log_error_errno(r, "Failed to set up output: %m");
        }
        m.out_fd = out;

        (void) read_oom_score_adj(&adj);
        write_oom_score_adj(-1000);
        oom_known = cgroup_oom_kill_count(0, &oom_before) >= 0;

        /* Blocked before the fork so no signal is lost between fork and the
         * event loop; the child unblocks them before exec. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        FOREACH_ARRAY(sig, forwarded_signals, ELEMENTSOF(forwarded_signals))
                sigaddset(&mask, *sig);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
                r = -errno;
                goto fail_setup;
        }
        sock_parent = socks[0];
        sock_child = socks[1];

        /* Only the child enters the new PID namespace; the monitor stays in
         * the host's, invisible from the container's /proc. A raw fork-like
         * clone() rather than unshare(CLONE_NEWPID) + fork(): after unshare,
         * every later fork of ours (LSan's tracer, for one) would land in the
         * container's namespace, which is dead once its PID 1 is. */
        if (c->userns_size > 0) {
                _cleanup_free_ char *why = NULL;

                r = userns_create(c, &userns_fd, &why);
                if (r < 0) {
                        snprintf(msg, sizeof msg, "%s", why ?: "cannot create the user namespace");
                        goto fail_setup;
                }
        }

        /* Here, before the workload pivots away from the host's files. */
        r = security_seccomp_prepare(c->seccomp_filter, &filter, &why_seccomp);
        if (r < 0) {
                snprintf(msg, sizeof msg, "%s", why_seccomp ?: "cannot build the seccomp filter");
                goto fail_setup;
        }
        log_debug("Seccomp filter %s.", r > 0 ? "read from tankd's program" : "built");

        m.pid = (pid_t) syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
        if (m.pid < 0) {
                r = -errno;
                snprintf(msg, sizeof msg, "clone(CLONE_NEWPID): %s", strerror(errno));
                goto fail_setup;
        }
        if (m.pid == 0) {
                WorkloadArgs a = {
                        .config = c, .sock = sock_child, .stdout_fd = out, .stderr_fd = err,
                        .oom_score_adj = adj, .userns_fd = userns_fd, .mntns_fd = mntns_fd,
                        .seccomp = filter,
                };
                safe_close(sock_parent);
                safe_close(sync_fd);
                workload_run(&a);
        }
        sock_child = safe_close(sock_child);
        userns_fd = safe_close(userns_fd);   /* the workload holds it now */
        /* So is the mount namespace: the monitor must not keep tankd's alive
         * for as long as its container runs. */
        mntns_fd = safe_close(mntns_fd);
        if (m.relay) {
                /* The workload holds the pipes' write ends now: EOF comes
                 * when its last writer is gone. */
                out = safe_close(out);
                err = safe_close(err);
                m.out_fd = -EBADF;
        }

        for (;;) {
                r = recv_from_child(sock_parent, &m.pty_master, &status, msg, sizeof msg);
                if (r <= 0)
                        break;
        }
        m.exit.started_at = now_usec();

        if (msg[0]) {
                /* The child reported a failure and is exiting: reap it, record why. */
                siginfo_t si = {};
                (void) waitid(P_PID, (id_t) m.pid, &si, WEXITED);
                m.exit = (ShimExit) {
                        .status = (unsigned char) status, .code = -1, .exited_at = now_usec(),
                        .error = strdup(msg),
                };
                log_error("Container %s/%s failed to start: %s", c->pod, c->container, msg);
                send_sync(sync_fd, "error %s", msg);
                r = shim_exit_write(&m.exit, c->exit_file);
                if (r < 0)
                        log_error_errno(r, "Failed to write exit record %s: %m", c->exit_file);
                return 0;
        }

        send_sync(sync_fd, "running %i", (int) m.pid);
        sync_fd = safe_close(sync_fd);
        /* tankd may die before it reads "running": the file tells the next
         * tankd which process to report when it adopts the scope. */
        if (c->pid_file) {
                char pid[32];
                int n = snprintf(pid, sizeof pid, "%i\n", (int) m.pid);
                r = write_file_atomic(c->pid_file, pid, (size_t) n, 0644);
                if (r < 0)
                        log_warning_errno(r, "Failed to write %s: %m", c->pid_file);
        }

        r = sd_event_new(&m.event);
        if (r < 0)
                goto fail_running;
        r = sd_event_add_child(m.event, NULL, m.pid, WEXITED, on_child, &m);
        if (r < 0)
                goto fail_running;
        FOREACH_ARRAY(sig, forwarded_signals, ELEMENTSOF(forwarded_signals)) {
                r = sd_event_add_signal(m.event, NULL, *sig, on_signal, &m);
                if (r < 0)
                        goto fail_running;
        }
        if (m.relay) {
                r = log_relay_attach(m.relay, m.event);
                if (r < 0)
                        goto fail_running;
        }
        if (m.pty_master >= 0) {
                r = attach_server_new(m.event, c->attach_socket, m.pty_master, &m.attach);
                if (r < 0) {
                        /* Attach is a convenience; the workload runs on without it. */
                        log_warning_errno(r, "Cannot listen on %s, attach will not work: %m",
                                          c->attach_socket);
                        r = attach_server_new(m.event, NULL, m.pty_master, &m.attach);
                        if (r < 0)
                                goto fail_running;
                }
                (void) fcntl(m.pty_master, F_SETFL, O_NONBLOCK);
                r = sd_event_add_io(m.event, &m.pty_source, m.pty_master, EPOLLIN, on_pty, &m);
                if (r < 0)
                        goto fail_running;
        }

        if (c->exec_socket) {
                /* A shortcut only: without it tankd starts tank-exec itself. */
                r = exec_server_new(m.event, c->exec_socket, adj, &m.exec);
                if (r < 0)
                        log_warning_errno(r, "Cannot listen on %s, exec will be slower: %m", c->exec_socket);
        }

        r = sd_event_loop(m.event);
        if (r < 0)
                goto fail_running;
        /* No new exec into a container whose workload is gone. */
        m.exec = exec_server_free(m.exec);

        /* Drain what the workload (and its last descendants) left in the PTY. */
        if (m.pty_source)
                while (pty_copy(&m)) {
                        struct pollfd p = { .fd = m.pty_master, .events = POLLIN };
                        if (poll(&p, 1, 0) <= 0)
                                break;
                }

        attach_server_exit(m.attach, m.exit.status);
        /* Before the exit record: tankd may stop the scope once it has read
         * it, and the last lines must be in the journal, attributed to it. */
        log_relay_finish(m.relay, 2 * UINT64_C(1000000));

        if (oom_known && m.exit.signal == SIGKILL && cgroup_oom_kill_count(0, &oom_after) >= 0)
                m.exit.oom = oom_after > oom_before;

        r = shim_exit_write(&m.exit, c->exit_file);
        if (r < 0)
                return log_error_errno(r, "Failed to write exit record %s: %m", c->exit_file);
        log_debug("Workload exited with status %i.", m.exit.status);
        return 0;

fail_running:
        /* The event loop broke; we can no longer supervise. Kill rather than
         * leave an unmonitored workload behind. */
        log_error_errno(r, "Monitor failed, killing the workload: %m");
        (void) kill(m.pid, SIGKILL);
        (void) waitpid(m.pid, NULL, 0);
        return r;

fail_setup:
        if (!msg[0])
                snprintf(msg, sizeof msg, "%s", strerror(-r));
        send_sync(sync_fd, "error %s", msg);
        m.exit = (ShimExit) { .status = SHIM_STATUS_SETUP_FAILED, .code = -1, .exited_at = now_usec(),
                              .error = strdup(msg) };
        (void) shim_exit_write(&m.exit, c->exit_file);
        return log_error_errno(r, "Failed to create the container: %s", msg);
}
