/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "net/netns.h"

int netns_path(const char *runtime_dir, const char *pod, char **ret) {
        char *p;
        if (asprintf(&p, "%s/netns/%s", runtime_dir, pod) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static bool is_nsfs(const char *path) {
        struct statfs sfs;
        return statfs(path, &sfs) >= 0 && sfs.f_type == NSFS_MAGIC;
}

static int loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

int netns_ensure(const char *runtime_dir, const char *pod, char **ret_path) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *src = NULL;
        _cleanup_close_ int fd = -EBADF;
        int pipefd[2], r, status;
        char c;
        pid_t pid;

        r = netns_path(runtime_dir, pod, &path);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/netns", runtime_dir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;

        if (is_nsfs(path)) {
                if (ret_path)
                        *ret_path = TAKE_PTR(path);
                return 1;
        }

        fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return -errno;
        fd = safe_close(fd);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                /* Child: enter a fresh namespace, raise lo, report, then wait to be
                 * killed once the parent has pinned the namespace with a bind mount. */
                safe_close(pipefd[0]);
                if (unshare(CLONE_NEWNET) < 0 || loopback_up() < 0)
                        _exit(EXIT_FAILURE);
                if (write(pipefd[1], "r", 1) != 1)
                        _exit(EXIT_FAILURE);
                pause();
                _exit(EXIT_SUCCESS);
        }
        safe_close(pipefd[1]);
        r = read(pipefd[0], &c, 1) == 1 ? 0 : -EIO;
        safe_close(pipefd[0]);
        if (r >= 0) {
                if (asprintf(&src, "/proc/%d/ns/net", (int) pid) < 0)
                        r = -ENOMEM;
                else if (mount(src, path, NULL, MS_BIND, NULL) < 0)
                        r = -errno;
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

int netns_remove(const char *runtime_dir, const char *pod) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = netns_path(runtime_dir, pod, &path);
        if (r < 0)
                return r;
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return -errno;
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return 0;
                return -errno;
        }
        return 1;
}
