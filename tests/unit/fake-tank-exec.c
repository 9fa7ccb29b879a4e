/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for tank-exec in tests/unit/test-probe-run: the sync protocol's
 * early, failing turns (exec-protocol.h), chosen by the first word after "--":
 *   error      "error boom", then exit
 *   eof        exit without a word
 *   nonsense   a packet of no known kind, then wait for EOF (as tank-exec does)
 *   pid        its own "pid" (the join fails: it is no container's scope), then
 *              wait for EOF
 *   hang PATH  write its pid to PATH, then wait for ever */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *msg) {
        (void) send(3, msg, strlen(msg), MSG_NOSIGNAL);
}

int main(int argc, char **argv) {
        char buf[64];
        int i;

        for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                ;
        if (i + 1 >= argc)
                return 2;
        if (strcmp(argv[i + 1], "error") == 0) {
                say("error boom");
                return 1;
        }
        if (strcmp(argv[i + 1], "eof") == 0)
                return 1;
        if (strcmp(argv[i + 1], "nonsense") == 0)
                say("hello");
        else if (strcmp(argv[i + 1], "pid") == 0) {
                (void) snprintf(buf, sizeof buf, "pid %d", (int) getpid());
                say(buf);
        } else if (strcmp(argv[i + 1], "hang") == 0 && i + 2 < argc) {
                FILE *f = fopen(argv[i + 2], "we");
                if (!f)
                        return 2;
                fprintf(f, "%d\n", (int) getpid());
                fclose(f);
        } else
                return 2;
        if (strcmp(argv[i + 1], "hang") == 0)
                for (;;)
                        pause();
        while (recv(3, buf, sizeof buf, 0) > 0)
                ;
        return 1;
}
