/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tank-exec's relay (src/shim/exec-relay.h) against real child processes:
 * stdout and stderr apart, binary-safe stdin with an explicit end, the exit
 * status (code and 128+signal) as the last packet, a PTY, and a client that
 * goes away while the process keeps running. */
#include <check.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-run.h"
#include "exec-protocol.h"
#include "exec-relay.h"
#include "macro.h"

typedef struct Run {
        pid_t relay;    /* a fork running exec_relay_run() */
        int client;     /* our end of the client socket */
} Run;

/* A forked relay process runs the command (pipes or a PTY) as its child and
 * exits with exec_relay_run()'s status; we are the client. */
static Run start(const char *script, bool tty) {
        int sv[2];
        Run run;

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        run.relay = fork();
        ck_assert_int_ge(run.relay, 0);
        if (run.relay == 0) {
                int in[2], out[2], err[2], master = -EBADF;
                ExecRelay r;
                pid_t child;

                close(sv[1]);
                if (tty)
                        child = forkpty(&master, NULL, NULL, NULL);
                else {
                        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
                                _exit(200);
                        child = fork();
                        if (child == 0 && (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0))
                                _exit(201);
                }
                if (child < 0)
                        _exit(202);
                if (child == 0) {
                        execl("/bin/sh", "sh", "-c", script, (char *) NULL);
                        _exit(127);
                }
                if (!tty) {
                        close(in[0]);
                        close(out[1]);
                        close(err[1]);
                }
                r = (ExecRelay) {
                        .client = sv[0], .child = child, .tty = tty,
                        .in = tty ? master : in[1], .out = tty ? master : out[0], .err = tty ? -EBADF : err[0],
                };
                _exit(exec_relay_run(&r));
        }
        close(sv[0]);
        run.client = sv[1];
        return run;
}

static int relay_status(Run *r) {
        int st;

        ck_assert_int_eq(waitpid(r->relay, &st, 0), r->relay);
        ck_assert(WIFEXITED(st));
        return WEXITSTATUS(st);
}

static void send_tag(int fd, uint8_t tag, const void *data, size_t n) {
        uint8_t buf[1 + ATTACH_DATA_MAX];
        buf[0] = tag;
        if (n > 0)
                memcpy(buf + 1, data, n);
        ck_assert_int_eq(send(fd, buf, n + 1, MSG_NOSIGNAL), (ssize_t) n + 1);
}

/* Read until EXIT; returns the status, collects stdout and stderr. */
static int collect(int fd, char *out, size_t *n_out, char *err, size_t *n_err) {
        uint8_t buf[1 + ATTACH_DATA_MAX];
        int32_t st;
        ssize_t n;

        *n_out = *n_err = 0;
        for (;;) {
                n = recv(fd, buf, sizeof buf, 0);
                ck_assert_int_gt(n, 0);
                if (buf[0] == ATTACH_TAG_OUTPUT) {
                        memcpy(out + *n_out, buf + 1, (size_t) n - 1);
                        *n_out += (size_t) n - 1;
                } else if (buf[0] == EXEC_TAG_STDERR) {
                        memcpy(err + *n_err, buf + 1, (size_t) n - 1);
                        *n_err += (size_t) n - 1;
                } else {
                        ck_assert_int_eq(buf[0], ATTACH_TAG_EXIT);
                        ck_assert_int_eq(n, 5);
                        memcpy(&st, buf + 1, 4);
                        ck_assert_int_eq(recv(fd, buf, sizeof buf, 0), 0);   /* closed after EXIT */
                        return st;
                }
        }
}

START_TEST(test_streams_and_status) {
        static char out[65536], err[65536];
        size_t n_out, n_err;
        Run r = start("echo out; echo err >&2; exit 3", false);

        send_tag(r.client, EXEC_TAG_STDIN_EOF, NULL, 0);
        ck_assert_int_eq(collect(r.client, out, &n_out, err, &n_err), 3);
        ck_assert_uint_eq(n_out, 4);
        ck_assert(memcmp(out, "out\n", 4) == 0);
        ck_assert_uint_eq(n_err, 4);
        ck_assert(memcmp(err, "err\n", 4) == 0);
        close(r.client);
        ck_assert_int_eq(relay_status(&r), 3);
}
END_TEST

START_TEST(test_signal_status) {
        static char out[4096], err[4096];
        size_t n_out, n_err;
        Run r = start("kill -9 $$", false);

        ck_assert_int_eq(collect(r.client, out, &n_out, err, &n_err), 137);
        close(r.client);
}
END_TEST

START_TEST(test_binary_stdin) {
        static uint8_t data[100000];
        static char out[200000], err[4096];
        size_t n_out, n_err;
        Run r = start("cat", false);

        for (size_t i = 0; i < sizeof data; i++)
                data[i] = (uint8_t) (i * 7 + (i >> 8));
        /* Interleave sending and reading would be nicer; the pipe plus the
         * socket buffers hold 100 kB, and the relay back-pressures us. */
        for (size_t off = 0; off < sizeof data; off += 1000)
                send_tag(r.client, ATTACH_TAG_INPUT, data + off, MIN(sizeof data - off, (size_t) 1000));
        send_tag(r.client, EXEC_TAG_STDIN_EOF, NULL, 0);
        ck_assert_int_eq(collect(r.client, out, &n_out, err, &n_err), 0);
        ck_assert_uint_eq(n_out, sizeof data);
        ck_assert(memcmp(out, data, sizeof data) == 0);
        ck_assert_uint_eq(n_err, 0);
        close(r.client);
}
END_TEST

/* A process that ends while its client still pours input in (yes | tankctl
 * exec POD -- sh -c 'exit 6'): the client reads the status, never
 * ECONNRESET, although the relay leaves that input unread. */
START_TEST(test_status_despite_unread_input) {
        static char out[4096], err[4096];
        static uint8_t chunk[1000];
        size_t n_out, n_err;
        int st;

        for (int round = 0; round < 5; round++) {
                Run r = start("sleep 0.2; exit 6", false);
                uint8_t pkt[1 + sizeof chunk] = { ATTACH_TAG_INPUT };

                memcpy(pkt + 1, chunk, sizeof chunk);
                /* Until the relay is gone; the socket fills up meanwhile. */
                while (waitpid(r.relay, &st, WNOHANG) == 0)
                        (void) send(r.client, pkt, sizeof pkt, MSG_DONTWAIT | MSG_NOSIGNAL);
                ck_assert(WIFEXITED(st));
                ck_assert_int_eq(WEXITSTATUS(st), 6);
                ck_assert_int_eq(collect(r.client, out, &n_out, err, &n_err), 6);
                close(r.client);
        }
}
END_TEST

START_TEST(test_tty) {
        static char out[65536], err[4096];
        size_t n_out, n_err;
        uint16_t size[2] = { 33, 101 };
        Run r = start("read x; stty size; echo got-$x; exit 4", true);

        send_tag(r.client, ATTACH_TAG_RESIZE, size, sizeof size);
        usleep(100 * 1000);
        send_tag(r.client, ATTACH_TAG_INPUT, "hello\r", 6);
        ck_assert_int_eq(collect(r.client, out, &n_out, err, &n_err), 4);
        out[n_out] = 0;
        ck_assert_ptr_nonnull(strstr(out, "33 101"));
        ck_assert_ptr_nonnull(strstr(out, "got-hello"));
        ck_assert_uint_eq(n_err, 0);
        close(r.client);
}
END_TEST

START_TEST(test_detached_client) {
        /* The client goes away; the process (on a PTY) runs on and is not
         * hung up: it still ends with its own status. */
        Run r = start("trap 'exit 99' HUP; sleep 1; exit 6", true);

        close(r.client);
        ck_assert_int_eq(relay_status(&r), 6);
}
END_TEST

int main(void) {
        Suite *s = suite_create("exec-relay");
        TCase *tc = tcase_create("relay");

        (void) signal(SIGPIPE, SIG_IGN);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_streams_and_status);
        tcase_add_test(tc, test_signal_status);
        tcase_add_test(tc, test_binary_stdin);
        tcase_add_test(tc, test_status_despite_unread_input);
        tcase_add_test(tc, test_tty);
        tcase_add_test(tc, test_detached_client);
        suite_add_tcase(s, tc);
        return check_run(s);
}
