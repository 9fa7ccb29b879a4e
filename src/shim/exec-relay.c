/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "exec-protocol.h"
#include "exec-relay.h"
#include "log.h"
#include "macro.h"
#include "socket-util.h"

typedef struct Pending {
        uint8_t buf[ATTACH_DATA_MAX];
        size_t len, off;
        bool eof;               /* close stdin once buf is written */
} Pending;

static void client_gone(ExecRelay *r, Pending *p) {
        r->client = safe_close(r->client);
        /* Without a tty, a detached process reads EOF; with one, the master
         * stays open so it is not hung up. */
        if (!r->tty) {
                r->in = safe_close(r->in);
                p->len = p->off = 0;
        }
}

static void send_packet(ExecRelay *r, Pending *p, uint8_t tag, const void *data, size_t n) {
        uint8_t buf[1 + ATTACH_DATA_MAX];

        if (r->client < 0)
                return;
        buf[0] = tag;
        if (n > 0)
                memcpy(buf + 1, data, n);
        /* Blocking: a slow client slows the process's output (back-pressure)
         * rather than losing it. */
        if (send(r->client, buf, n + 1, MSG_NOSIGNAL) < 0)
                client_gone(r, p);
}

/* false when fd reached its end (EOF, or EIO: every slave is closed). */
static bool pump_output(ExecRelay *r, Pending *p, int fd, uint8_t tag) {
        uint8_t buf[ATTACH_DATA_MAX];
        ssize_t n;

        n = read(fd, buf, sizeof buf);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        if (n == 0)
                return false;
        send_packet(r, p, tag, buf, (size_t) n);
        return true;
}

static void handle_client(ExecRelay *r, Pending *p) {
        uint8_t buf[1 + ATTACH_DATA_MAX];
        ssize_t n;

        n = recv(r->client, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0 || (size_t) n > sizeof buf) {
                client_gone(r, p);
                return;
        }
        switch (buf[0]) {
        case ATTACH_TAG_INPUT:
                if (r->in >= 0 && n > 1) {
                        memcpy(p->buf, buf + 1, (size_t) n - 1);
                        p->len = (size_t) n - 1;
                        p->off = 0;
                }
                break;
        case ATTACH_TAG_RESIZE:
                if (r->tty && n == 5) {
                        uint16_t rows, cols;
                        memcpy(&rows, buf + 1, 2);
                        memcpy(&cols, buf + 3, 2);
                        struct winsize ws = { .ws_row = rows, .ws_col = cols };
                        (void) ioctl(r->in, TIOCSWINSZ, &ws);
                }
                break;
        case EXEC_TAG_STDIN_EOF:
                if (!r->tty)
                        p->eof = true;
                break;
        default:
                break;   /* unknown tags are ignored, for newer clients */
        }
}

static void write_input(ExecRelay *r, Pending *p) {
        ssize_t n;

        if (p->off < p->len) {
                n = write(r->in, p->buf + p->off, p->len - p->off);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n < 0) {
                        /* The process closed its stdin: later input has nowhere to go. */
                        p->off = p->len = 0;
                        if (!r->tty)
                                r->in = safe_close(r->in);
                        return;
                }
                p->off += (size_t) n;
        }
        if (p->off >= p->len) {
                p->off = p->len = 0;
                if (p->eof && !r->tty)
                        r->in = safe_close(r->in);
        }
}

/* tankd's "kill" (a probe past its timeout): the whole process group goes,
 * not only its leader, so that a probe's own children (sh -c 'a & b') do not
 * outlive it. The child is reaped only after the loop, so until then its pid,
 * and the group it leads, cannot name anything else. A process that left the
 * group (setsid, setpgid: a probe that daemonizes) is not chased: see
 * exec-protocol.h. Returns false once tankd's end is closed. */
static bool handle_control(ExecRelay *r) {
        char buf[EXEC_SYNC_MSG_MAX];
        ssize_t n;

        n = recv(r->control, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0)
                return false;   /* tankd went away: the process keeps running, as before */
        if (n == 4 && memcmp(buf, "kill", 4) == 0 && kill(-r->child, SIGKILL) < 0 && errno != ESRCH)
                log_debug_errno(errno, "cannot kill the process group %d: %m", (int) r->child);
        return true;
}

static int wait_status(pid_t pid) {
        int st;

        if (waitpid(pid, &st, 0) < 0)
                return 255;
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 255;
}

int exec_relay_run(ExecRelay *r) {
        _cleanup_close_ int pidfd = -EBADF;
        Pending p = {};
        int control = r->control;
        int32_t status;

        pidfd = (int) syscall(SYS_pidfd_open, r->child, 0);
        (void) fcntl(r->out, F_SETFL, O_NONBLOCK);
        if (r->err >= 0)
                (void) fcntl(r->err, F_SETFL, O_NONBLOCK);
        if (r->in >= 0)
                (void) fcntl(r->in, F_SETFL, O_NONBLOCK);

        for (;;) {
                struct pollfd fds[6] = {
                        { .fd = r->client >= 0 && p.len == 0 && !p.eof ? r->client : -1, .events = POLLIN },
                        { .fd = r->out, .events = POLLIN },
                        { .fd = r->err, .events = POLLIN },
                        { .fd = r->in >= 0 && (p.len > 0 || p.eof) ? r->in : -1, .events = POLLOUT },
                        { .fd = pidfd, .events = POLLIN },
                        { .fd = control, .events = POLLIN },
                };

                if (poll(fds, ELEMENTSOF(fds), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                /* Before the child's exit is acted on: a "kill" sent before
                 * tankd's own SIGKILL of the leader still finds it unreaped. */
                if (fds[5].revents && !handle_control(r))
                        control = -EBADF;
                if (fds[0].revents)
                        handle_client(r, &p);
                if (fds[3].revents)
                        write_input(r, &p);
                else if (p.eof && p.len == 0 && r->in >= 0 && !r->tty)
                        r->in = safe_close(r->in);
                if (fds[1].revents && !pump_output(r, &p, r->out, ATTACH_TAG_OUTPUT)) {
                        if (!r->tty)
                                safe_close(r->out);
                        r->out = -EBADF;
                }
                if (fds[2].revents && !pump_output(r, &p, r->err, EXEC_TAG_STDERR))
                        r->err = safe_close(r->err);
                if (fds[4].revents || pidfd < 0)
                        break;
        }

        status = wait_status(r->child);
        /* Drain what the process wrote before it ended (non-blocking: a
         * background process may keep the pipes open forever). */
        while (r->out >= 0 && pump_output(r, &p, r->out, ATTACH_TAG_OUTPUT)) {
                struct pollfd pf = { .fd = r->out, .events = POLLIN };
                if (poll(&pf, 1, 0) <= 0)
                        break;
        }
        while (r->err >= 0 && pump_output(r, &p, r->err, EXEC_TAG_STDERR)) {
                struct pollfd pf = { .fd = r->err, .events = POLLIN };
                if (poll(&pf, 1, 0) <= 0)
                        break;
        }
        send_packet(r, &p, ATTACH_TAG_EXIT, &status, sizeof status);

        if (r->tty)
                safe_close(r->in);
        else {
                safe_close(r->in);
                safe_close(r->out);
                safe_close(r->err);
        }
        /* The client may still be sending input (or its stdin's EOF): a plain
         * close would make it read ECONNRESET instead of the status. */
        socket_close_drained(r->client);
        r->in = r->out = r->err = r->client = -EBADF;
        return status;
}
