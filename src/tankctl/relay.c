/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
} Relay;

static void relay_restore(Relay *r) {
        if (r->raw_set) {
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &r->saved);
                r->raw_set = false;
        }
}

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pf = { .fd = fd, .events = POLLOUT };
                                (void) poll(&pf, 1, -1);
                                continue;
                        }
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int send_packet(Relay *r, uint8_t tag, const void *data, size_t n) {
        uint8_t buf[1 + ATTACH_DATA_MAX];

        buf[0] = tag;
        if (n > 0)
                memcpy(buf + 1, data, n);
        for (;;) {
                if (send(r->fd, buf, n + 1, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

static void send_size(Relay *r) {
        struct winsize ws;
        uint16_t v[2];

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        v[0] = ws.ws_row;
        v[1] = ws.ws_col;
        (void) send_packet(r, ATTACH_TAG_RESIZE, v, sizeof v);
}

/* > 0: detached; 0: go on. Input that cannot be sent any more is no longer
 * read: the socket then tells the outcome (a status, or the connection lost). */
static int handle_stdin(Relay *r) {
        uint8_t in[ATTACH_DATA_MAX - DETACH_KEYS_MAX], out[ATTACH_DATA_MAX];
        size_t n_out;
        bool detach;
        ssize_t n;

        n = read(STDIN_FILENO, in, sizeof in);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                r->stdin_open = false;
                /* A process that ended already has closed its side: its exit
                 * status is still queued on the socket, which decides. */
                (void) send_packet(r, EXEC_TAG_STDIN_EOF, NULL, 0);
                return 0;
        }
        if (r->stdin_tty)
                detach = detach_matcher_feed(&r->matcher, in, (size_t) n, out, &n_out);
        else {
                memcpy(out, in, (size_t) n);
                n_out = (size_t) n;
                detach = false;
        }
        if (n_out > 0 && send_packet(r, ATTACH_TAG_INPUT, out, n_out) < 0) {
                /* The other side is gone: the socket tells the outcome (an
                 * exit status, or the connection lost). Input stops here. */
                r->stdin_open = false;
                return 0;
        }
        return detach ? 1 : 0;
}

/* > 0: status + 1 (the process ended); 0: go on; < 0: connection lost. */
static int handle_socket(Relay *r) {
        uint8_t buf[1 + ATTACH_DATA_MAX];
        int32_t status;
        ssize_t n;

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
                return write_all(STDOUT_FILENO, buf + 1, (size_t) n - 1) < 0 ? -EPIPE : 0;
        case EXEC_TAG_STDERR:
                (void) write_all(STDERR_FILENO, buf + 1, (size_t) n - 1);
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
                struct pollfd fds[3] = {
                        { .fd = r->stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = r->fd, .events = POLLIN },
                        { .fd = r->sigfd, .events = POLLIN },
                };
                int k;

                if (poll(fds, ELEMENTSOF(fds), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll: %m"), EXIT_FAILURE;
                }
                if (fds[2].revents) {
                        struct signalfd_siginfo si;
                        if (read(r->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                                if (si.ssi_signo == SIGWINCH)
                                        send_size(r);
                                else {
                                        relay_restore(r);
                                        return 128 + (int) si.ssi_signo;
                                }
                        }
                }
                /* Output first: it may hold the exit status. */
                if (fds[1].revents) {
                        k = handle_socket(r);
                        if (k > 0)
                                return k - 1;
                        if (k < 0) {
                                relay_restore(r);
                                return log_error("connection to the container lost (tankd or the container's monitor went away)"),
                                       EXIT_FAILURE;
                        }
                }
                if (fds[0].revents && handle_stdin(r) > 0) {
                        relay_restore(r);
                        fputs("detached\n", stderr);
                        return EXIT_SUCCESS;
                }
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
                send_size(&r);
        }

        ret = relay_loop(&r);
finish:
        relay_restore(&r);
        safe_close(r.sigfd);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return ret;
}
