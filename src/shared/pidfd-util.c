/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "pidfd-util.h"

int pidfd_open_child(pid_t pid, pid_t parent, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], buf[1024];
        const char *close_paren;
        int ppid;

        if (pid <= 0 || parent <= 0 || !ret)
                return -EINVAL;
        fd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return -errno;
        (void) snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof buf, f))
                return -EIO;
        /* "pid (comm) state ppid ...": comm may hold anything, even ")". */
        close_paren = strrchr(buf, ')');
        if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
                return -EIO;
        if (ppid != parent)
                return -ESRCH;
        if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}
