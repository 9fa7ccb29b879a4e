/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test client of the attach socket (src/shim/attach-protocol.h):
 *   shim-attach SOCKET [--resize ROWS COLS] [--input LINE] [--wait-for TEXT]
 *               [--until-exit] [--timeout-ms N]
 * Connects, sends the resize and LINE + "\n", copies output to stdout until
 * TEXT was seen / the exit packet came (prints "exit N") / the timeout.
 * Exit 0 when the awaited thing happened, 1 otherwise. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim/attach-protocol.h"

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "resize", required_argument, NULL, 'r' },
                { "input", required_argument, NULL, 'i' },
                { "wait-for", required_argument, NULL, 'w' },
                { "until-exit", no_argument, NULL, 'x' },
                { "timeout-ms", required_argument, NULL, 't' },
                {}
        };
        const char *input = NULL, *wait_for = NULL;
        bool until_exit = false;
        int rows = 0, cols = 0, timeout = 10000, opt, fd;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char seen[1 << 20];
        size_t seen_len = 0;
        long long deadline;

        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case 'r':
                        rows = atoi(optarg);
                        if (optind >= argc)
                                return 2;
                        cols = atoi(argv[optind++]);
                        break;
                case 'i': input = optarg; break;
                case 'w': wait_for = optarg; break;
                case 'x': until_exit = true; break;
                case 't': timeout = atoi(optarg); break;
                default: return 2;
                }
        if (argc - optind != 1)
                return fprintf(stderr, "usage: shim-attach SOCKET [options]\n"), 2;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[optind]);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return perror("connect"), 1;
        if (rows > 0) {
                char pkt[5] = { ATTACH_TAG_RESIZE };
                uint16_t r = (uint16_t) rows, c = (uint16_t) cols;
                memcpy(pkt + 1, &r, 2);
                memcpy(pkt + 3, &c, 2);
                if (send(fd, pkt, sizeof pkt, MSG_NOSIGNAL) < 0)
                        return perror("send"), 1;
        }
        if (input) {
                char pkt[ATTACH_DATA_MAX + 1] = { ATTACH_TAG_INPUT };
                int n = snprintf(pkt + 1, sizeof pkt - 1, "%s\n", input);
                if (send(fd, pkt, (size_t) n + 1, MSG_NOSIGNAL) < 0)
                        return perror("send"), 1;
        }

        deadline = now_ms() + timeout;
        for (;;) {
                char pkt[ATTACH_DATA_MAX + 1];
                struct pollfd p = { .fd = fd, .events = POLLIN };
                long long left = deadline - now_ms();
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                n = recv(fd, pkt, sizeof pkt, 0);
                if (n <= 0)
                        break;
                if (pkt[0] == ATTACH_TAG_OUTPUT) {
                        fwrite(pkt + 1, 1, (size_t) n - 1, stdout);
                        fflush(stdout);
                        if (seen_len + (size_t) n < sizeof seen) {
                                memcpy(seen + seen_len, pkt + 1, (size_t) n - 1);
                                seen_len += (size_t) n - 1;
                                seen[seen_len] = 0;
                        }
                        if (wait_for && !until_exit && strstr(seen, wait_for))
                                return 0;
                } else if (pkt[0] == ATTACH_TAG_EXIT && n == 5) {
                        int32_t st;
                        memcpy(&st, pkt + 1, 4);
                        printf("\nexit %d\n", st);
                        return until_exit ? 0 : 1;
                }
        }
        fprintf(stderr, "shim-attach: timed out or disconnected\n");
        return 1;
}
