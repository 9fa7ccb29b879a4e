/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "relay.h"
#include "shim/exec-protocol.h"

typedef struct Relay {
        int fd;
        int sigfd;
        bool stdin_tty;
        bool raw_set;
        struct termios saved;
        DetachMatcher matcher;
        bool stdin_open;
        /* What could not be sent yet. The socket is never written blocking:
         * the helper may itself be blocked sending us output, and waiting
         * for room while not reading would deadlock the two (a command like
         * cat, given more than both sockets' queues hold). Stdin is not read
         * while a packet waits, so this is all the buffer there is. */
        uint8_t pending[1 + ATTACH_DATA_MAX];
        size_t pending_len;
        bool resize_wanted;
        bool detach_wanted;     /* detach once the input before the keys is sent */
        int signal;             /* > 0: this signal ends the relay */
} Relay;

static void relay_restore(Relay *r) {
        if (r->raw_set) {
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &r->saved);
                r->raw_set = false;
        }
}

/* Reads one signal: SIGWINCH asks for a resize, any other one ends the relay
 * (r->signal). */
static void handle_signal(Relay *r) {
        struct signalfd_siginfo si;

        if (read(r->sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                return;
        if (si.ssi_signo == SIGWINCH)
                r->resize_wanted = true;
        else
                r->signal = (int) si.ssi_signo;
}

/* Blocks while our reader is slow (back-pressure on the process's output),
 * but not past a signal: -EINTR once one ends the relay. */
static int write_all(Relay *r, int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pf[2] = {
                                        { .fd = fd, .events = POLLOUT },
                                        { .fd = r->sigfd, .events = POLLIN },
                                };
                                if (poll(pf, ELEMENTSOF(pf), -1) > 0 && pf[1].revents)
                                        handle_signal(r);
                                if (r->signal > 0)
                                        return -EINTR;
                                continue;
                        }
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* 1: sent; 0: no room now (POLLOUT tells when); < 0: the socket is broken. */
static int try_send(Relay *r, const uint8_t *pkt, size_t n) {
        for (;;) {
                if (send(r->fd, pkt, n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
                        return 1;
                if (errno == EAGAIN)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

/* Sends what waits, as far as the socket takes it. A broken socket drops it
 * and ends the input: the socket then tells the outcome (an exit status, or
 * the connection lost). */
static void flush_pending(Relay *r) {
        int k;

        if (r->resize_wanted) {
                struct winsize ws;
                uint8_t pkt[5] = { ATTACH_TAG_RESIZE };
                uint16_t v[2];

                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                        k = 1;
                else {
                        v[0] = ws.ws_row;
                        v[1] = ws.ws_col;
                        memcpy(pkt + 1, v, sizeof v);
                        k = try_send(r, pkt, sizeof pkt);
                }
                if (k == 0)
                        return;
                r->resize_wanted = false;
        }
        if (r->pending_len > 0) {
                k = try_send(r, r->pending, r->pending_len);
                if (k == 0)
                        return;
                r->pending_len = 0;
                if (k < 0)
                        r->stdin_open = false;
        }
}

static void queue_packet(Relay *r, uint8_t tag, const void *data, size_t n) {
        assert(r->pending_len == 0 && n <= ATTACH_DATA_MAX);

        r->pending[0] = tag;
        if (n > 0)
                memcpy(r->pending + 1, data, n);
        r->pending_len = n + 1;
        flush_pending(r);
}

/* Reads what stdin has, and queues it; once stdin ends, its EOF. Input that
 * cannot be sent any more is no longer read: the socket then tells the
 * outcome (a status, or the connection lost). */
static void handle_stdin(Relay *r) {
        uint8_t in[ATTACH_DATA_MAX - DETACH_KEYS_MAX], out[ATTACH_DATA_MAX];
        size_t n_out;
        bool detach;
        ssize_t n;

        n = read(STDIN_FILENO, in, sizeof in);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                r->stdin_open = false;
                /* A process that ended already has closed its side: its exit
                 * status is still queued on the socket, which decides. */
                queue_packet(r, EXEC_TAG_STDIN_EOF, NULL, 0);
                return;
        }
        if (r->stdin_tty)
                detach = detach_matcher_feed(&r->matcher, in, (size_t) n, out, &n_out);
        else {
                memcpy(out, in, (size_t) n);
                n_out = (size_t) n;
                detach = false;
        }
        if (detach)
                r->detach_wanted = true;
        if (n_out > 0)
                queue_packet(r, ATTACH_TAG_INPUT, out, n_out);
}

/* > 0: status + 1 (the process ended); 0: go on; < 0: connection lost. */
static int handle_socket(Relay *r) {
        uint8_t buf[1 + ATTACH_DATA_MAX];
        int32_t status;
        ssize_t n;
        int k;

        n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == ECONNRESET)
                /* The far side closed with our input unread: the kernel says so
                 * once, before what it queued for us (the exit status, from a
                 * helper that does not drain; see socket-util.h). */
                n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0)
                return -ECONNRESET;
        switch (buf[0]) {
        case ATTACH_TAG_OUTPUT:
                k = write_all(r, STDOUT_FILENO, buf + 1, (size_t) n - 1);
                /* A signal that came meanwhile is seen by the loop. */
                return k == -EINTR ? 0 : k < 0 ? -EPIPE : 0;
        case EXEC_TAG_STDERR:
                (void) write_all(r, STDERR_FILENO, buf + 1, (size_t) n - 1);
                return 0;
        case ATTACH_TAG_EXIT:
                if (n != 5)
                        return -EBADMSG;
                memcpy(&status, buf + 1, sizeof status);
                if (status < 0 || status > 255)
                        status = 255;
                return status + 1;
        default:
                return 0;
        }
}

static int relay_loop(Relay *r) {
        for (;;) {
                bool waiting = r->pending_len > 0 || r->resize_wanted;
                struct pollfd fds[3] = {
                        { .fd = r->stdin_open && !waiting && !r->detach_wanted ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = r->fd, .events = POLLIN | (waiting ? POLLOUT : 0) },
                        { .fd = r->sigfd, .events = POLLIN },
                };
                int k;

                /* Also one that came while output was written. */
                if (r->signal > 0) {
                        relay_restore(r);
                        return 128 + r->signal;
                }
                if (r->detach_wanted && r->pending_len == 0) {
                        relay_restore(r);
                        fputs("detached\n", stderr);
                        return EXIT_SUCCESS;
                }

                if (poll(fds, ELEMENTSOF(fds), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll: %m"), EXIT_FAILURE;
                }
                if (fds[2].revents) {
                        handle_signal(r);
                        if (r->signal > 0)
                                continue;
                        flush_pending(r);
                }
                /* Output first: it may hold the exit status. */
                if (fds[1].revents & POLLOUT)
                        flush_pending(r);
                if (fds[1].revents & ~POLLOUT) {
                        k = handle_socket(r);
                        if (k > 0)
                                return k - 1;
                        if (k < 0) {
                                relay_restore(r);
                                return log_error("connection to the container lost (tankd or the container's monitor went away)"),
                                       EXIT_FAILURE;
                        }
                }
                if (fds[0].revents)
                        handle_stdin(r);
        }
}

int relay_run(int fd, bool raw, const DetachKeys *keys) {
        Relay r = { .fd = fd, .sigfd = -EBADF, .stdin_open = true };
        sigset_t mask, old;
        int ret;

        r.stdin_tty = isatty(STDIN_FILENO);
        detach_matcher_init(&r.matcher, keys);

        /* Signals arrive as data, so every one of them ends by the same path
         * that restores the terminal. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        sigaddset(&mask, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return log_error_errno(errno, "sigprocmask: %m"), EXIT_FAILURE;
        r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (r.sigfd < 0) {
                log_error_errno(errno, "signalfd: %m");
                ret = EXIT_FAILURE;
                goto finish;
        }

        if (raw && r.stdin_tty) {
                struct termios t;
                if (tcgetattr(STDIN_FILENO, &r.saved) >= 0) {
                        t = r.saved;
                        cfmakeraw(&t);
                        if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) >= 0)
                                r.raw_set = true;
                }
                r.resize_wanted = true;
                flush_pending(&r);
        }

        ret = relay_loop(&r);
finish:
        relay_restore(&r);
        safe_close(r.sigfd);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
