/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fs-util.h"
#include "log.h"
#include "net/netns.h"
#include "reconcile/shim-mntns.h"

/* In the forked child, which then waits to be killed: only syscalls (tankd
 * may have threads). Returns 0 or a positive errno, for the pipe. */
static int child_make(const char *pins) {
        if (unshare(CLONE_NEWNS) < 0)
                return errno;
        /* Slave, not private: the host's later mounts (a host volume's source,
         * a disk mounted under the image store) must still reach containers
         * started after them. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return errno;
        /* The copy of the pins' mount goes with every pin in it, and with it
         * the only way new pins had into this namespace. */
        if (umount2(pins, MNT_DETACH) < 0)
                return errno;
        return 0;
}

/* A slave only tracks what was shared: a mount that was private in the host's
 * namespace would not see the host's later mounts below it, nor lose what
 * the host unmounts there (keeping that file system busy). Every mount of the
 * child's must have a master, or the namespace is not used. */
static int check_all_slaves(pid_t pid) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char path[64];
        size_t n = 0;

        (void) snprintf(path, sizeof path, "/proc/%d/mountinfo", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &n, f) >= 0) {
                const char *sep = strstr(line, " - ");
                const char *master = strstr(line, " master:");

                if (!sep)
                        return -EBADMSG;
                if (!master || master > sep) {
                        char where[256] = "";

                        (void) sscanf(line, "%*s %*s %*s %*s %255s", where);
                        log_debug("Mount %s of the host's is not shared: its later changes would not "
                                  "reach a copy.", where);
                        return -EREMOTE;
                }
        }
        return ferror(f) ? -EIO : 0;
}

int shim_mntns_new(const char *runtime_dir, int *ret_fd) {
        _cleanup_free_ char *pins = NULL;
        _cleanup_close_ int fd = -EBADF;
        int p[2], err = 0, r;
        char path[64];
        ssize_t n;
        pid_t pid, parent = getpid();

        r = netns_dir_prepare(runtime_dir, &pins);
        if (r < 0)
                return r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(p[0]);
                safe_close(p[1]);
                return r;
        }
        if (pid == 0) {
                /* Never outlive tankd, which kills us once it holds the namespace. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                err = child_make(pins);
                /* A short write reads as -EIO over there. */
                if (write(p[1], &err, sizeof err) != sizeof err)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        p[1] = safe_close(p[1]);

        do
                n = read(p[0], &err, sizeof err);
        while (n < 0 && errno == EINTR);
        safe_close(p[0]);
        if (n != sizeof err)
                r = n < 0 ? -errno : -EIO;
        else if (err != 0)
                r = -err;
        else
                r = check_all_slaves(pid);
        if (r >= 0) {
                (void) snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? -errno : 0;
        }
        /* The fd holds the namespace; the child is of no further use. */
        (void) kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
