/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container's user namespace ("user_namespace" in the shim config) and the
 * idmapped mounts that let files owned as shipped appear as the container's.
 *
 * Only the user namespace is the container's own: the mount, PID, IPC, UTS,
 * cgroup and network namespaces are created (or joined) by the shim as host
 * root, so they stay owned by the initial user namespace, and the workload
 * joins the user namespace last. Its capabilities then count inside the user
 * namespace only: container root can chown files of its range but cannot
 * mount, remount, change the hostname or configure the network, because
 * those namespaces' owner is the host's. */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "fs-type.h"

static int write_map(pid_t pid, const char *file, uint32_t base, uint32_t size) {
        _cleanup_close_ int fd = -EBADF;
        char path[64], line[64];
        int n;

        (void) snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
        n = snprintf(line, sizeof line, "0 %" PRIu32 " %" PRIu32 "\n", base, size);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, line, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int userns_create(const ShimConfig *c, int *ret_fd, char **ret_error) {
        _cleanup_close_ int nsfd = -EBADF;
        int p[2], r = 0, status;
        char path[64];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return shim_error(ret_error, -errno, "pipe");
        /* A child that only holds the new namespace open until its maps are
         * written and its ns file opened: a namespace outlives its last process
         * as long as an fd refers to it. */
        pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0) {
                r = shim_error(ret_error, -errno, "clone(CLONE_NEWUSER)");
                safe_close(p[0]);
                safe_close(p[1]);
                return r;
        }
        if (pid == 0) {
                char b;
                safe_close(p[1]);
                /* Until the parent closes its end: EOF, or the parent gone. */
                while (read(p[0], &b, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        safe_close(p[0]);

        /* setgroups stays "allow": the workload sets its supplementary groups. */
        r = write_map(pid, "uid_map", c->userns_uid, c->userns_size);
        if (r < 0)
                (void) shim_error(ret_error, r, "write the uid map (0 %u %u)", (unsigned) c->userns_uid,
                                  (unsigned) c->userns_size);
        if (r >= 0) {
                r = write_map(pid, "gid_map", c->userns_gid, c->userns_size);
                if (r < 0)
                        (void) shim_error(ret_error, r, "write the gid map (0 %u %u)", (unsigned) c->userns_gid,
                                          (unsigned) c->userns_size);
        }
        if (r >= 0) {
                (void) snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
                nsfd = open(path, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0)
                        r = shim_error(ret_error, -errno, "open %s", path);
        }
        safe_close(p[1]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(nsfd);
        return 0;
}

int userns_enter(int fd, char **ret_error) {
        if (setns(fd, CLONE_NEWUSER) < 0)
                return shim_error(ret_error, -errno, "join the container's user namespace");
        /* The ids are still host root's, which the namespace does not map; as
         * its root (0 inside, the range's base outside) new files get owners
         * that mean something inside. Root to root: no capability is lost. */
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return shim_error(ret_error, -errno, "become root of the container's user namespace");
        return 0;
}

int userns_idmapped_tree(int dirfd, const char *path, int userns_fd, bool recursive, unsigned attrs,
                         int *ret_fd) {
        _cleanup_close_ int treefd = -EBADF;
        struct mount_attr a = {
                .attr_set = MOUNT_ATTR_IDMAP | attrs,
                .userns_fd = (uint64_t) userns_fd,
        };

        treefd = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                           (recursive ? AT_RECURSIVE : 0) | (isempty(path) ? AT_EMPTY_PATH : 0));
        if (treefd < 0)
                return -errno;
        if (mount_setattr(treefd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0)
                return -errno;
        *ret_fd = TAKE_FD(treefd);
        return 0;
}

const char *userns_fs_name(const char *path) {
        struct statfs sfs;

        if (statfs(path, &sfs) < 0)
                return "unknown";
        return fs_type_name((long) sfs.f_type);
}
