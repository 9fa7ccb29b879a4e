/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver playing tankd's part of the shim protocol (src/shim/shim-config.h):
 *   shim-launch [--no-go] [--signal-monitor SIG] [--signal-workload SIG]
 *               [--delay-ms N] [--before-go SHELL-CMD] SHIM CONFIG
 * --before-go runs with $SHIM_PID set to the monitor's pid before "go".
 * Prints one line per event on stderr ("first-exit 0", "pid N", "running N",
 * "error ...", "monitor-gone") and waits until the monitor has exited.
 * Exit 0 if the protocol went as expected, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int recv_line(int fd, char *buf, size_t sz) {
        ssize_t n = recv(fd, buf, sz - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return (int) n;
}

static void wait_gone(pid_t pid) {
        int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                (void) poll(&p, 1, 120 * 1000);
                close(pfd);
        }
        fprintf(stderr, "monitor-gone\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "no-go", no_argument, NULL, 'n' },
                { "signal-monitor", required_argument, NULL, 'm' },
                { "signal-workload", required_argument, NULL, 'w' },
                { "delay-ms", required_argument, NULL, 'd' },
                { "before-go", required_argument, NULL, 'b' },
                {}
        };
        int sv[2], opt, status, sig_monitor = 0, sig_workload = 0, delay_ms = 0;
        bool go = true;
        const char *before_go = NULL;
        char buf[4096];
        pid_t child, monitor, workload;

        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'n': go = false; break;
                case 'm': sig_monitor = atoi(optarg); break;
                case 'w': sig_workload = atoi(optarg); break;
                case 'd': delay_ms = atoi(optarg); break;
                case 'b': before_go = optarg; break;
                default: return 2;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "usage: shim-launch [options] SHIM CONFIG\n");
                return 2;
        }
        setvbuf(stderr, NULL, _IOLBF, 0);

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return perror("socketpair"), 1;
        child = fork();
        if (child < 0)
                return perror("fork"), 1;
        if (child == 0) {
                if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sv[1], 3) < 0)
                        _exit(127);
                execl(argv[optind], argv[optind], "--config", argv[optind + 1], "--sync-fd", "3", (char *) NULL);
                _exit(127);
        }
        close(sv[1]);
        if (waitpid(child, &status, 0) < 0)
                return perror("waitpid"), 1;
        fprintf(stderr, "first-exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

        if (recv_line(sv[0], buf, sizeof buf) <= 0)
                return fprintf(stderr, "no-message\n"), 1;
        fprintf(stderr, "%s\n", buf);
        if (strncmp(buf, "pid ", 4) != 0)
                return 1;
        monitor = atoi(buf + 4);

        if (!go) {
                close(sv[0]);
                wait_gone(monitor);
                return 0;
        }
        if (before_go) {
                /* tankd's StartTransientUnit(PIDs=[monitor]) goes here. */
                char env[32];
                snprintf(env, sizeof env, "%d", (int) monitor);
                setenv("SHIM_PID", env, 1);
                status = system(before_go);
                if (status != 0)
                        return fprintf(stderr, "before-go-failed %d\n", status), 1;
        }
        if (send(sv[0], "go", 2, MSG_NOSIGNAL) != 2)
                return perror("send"), 1;
        if (recv_line(sv[0], buf, sizeof buf) <= 0)
                return fprintf(stderr, "no-message\n"), 1;
        fprintf(stderr, "%s\n", buf);
        if (strncmp(buf, "running ", 8) == 0) {
                workload = atoi(buf + 8);
                if (delay_ms > 0)
                        nanosleep(&(struct timespec) { delay_ms / 1000, (delay_ms % 1000) * 1000000L }, NULL);
                if (sig_workload)
                        kill(workload, sig_workload);
                if (sig_monitor)
                        kill(monitor, sig_monitor);
        }
        /* The monitor closes its end after "running"/"error". */
        if (recv_line(sv[0], buf, sizeof buf) != 0)
                fprintf(stderr, "unexpected-message %s\n", buf);
        close(sv[0]);
        wait_gone(monitor);
        return 0;
}
