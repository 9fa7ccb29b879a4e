/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/socket.h>

#include "macro.h"
#include "socket-util.h"

int socket_close_drained(int fd) {
        char buf[4096];

        if (fd < 0)
                return -EBADF;
        (void) shutdown(fd, SHUT_RD);
        /* Bounded: after SHUT_RD nothing new is queued, so this ends. */
        for (unsigned i = 0; i < 4096; i++) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
        }
        return safe_close(fd);
}
