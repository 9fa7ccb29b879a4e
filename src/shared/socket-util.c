/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int socket_address_in_dir(const char *path, int *ret_dir_fd, char **ret_name, struct sockaddr_un *ret_sa) {
        _cleanup_free_ char *dir = NULL, *name = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *slash = path ? strrchr(path, '/') : NULL;

        if (!slash || !slash[1] || !ret_dir_fd || !ret_name || !ret_sa)
                return -EINVAL;
        dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        name = strdup(slash + 1);
        if (!dir || !name)
                return -ENOMEM;
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        if ((size_t) snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%i/%s", dir_fd, name) >=
            sizeof sa.sun_path)
                return -ENAMETOOLONG;
        *ret_dir_fd = TAKE_FD(dir_fd);
        *ret_name = TAKE_PTR(name);
        *ret_sa = sa;
        return 0;
}
