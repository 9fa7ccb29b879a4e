/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "log.h"
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
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF, self = -EBADF;
        int r;

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

        /* This thread steps into a fresh namespace, raises lo, pins the namespace
         * with a bind mount and steps back. A forked helper would do the same at
         * ten to a hundred times the cost (measured in bench/net); a namespace is
         * per thread, so nothing else in the process notices. */
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        r = loopback_up();
        if (r >= 0 && mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                r = -errno;
        if (setns(self, CLONE_NEWNET) < 0) {
                /* Going on in the pod's namespace would put the next pod's links in
                 * the wrong place; there is no safe way forward. */
                log_full_errno(LOG_EMERG, errno, "Cannot return to the host network namespace: %m");
                abort();
        }
        if (r < 0) {
                (void) umount2(path, MNT_DETACH);
                (void) unlink(path);
                return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

static int is_mount_root(const char *path) {
        struct statx sx;

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
                return -errno;
        if (!(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
                return -EOPNOTSUPP;
        return !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int has_pins(const char *dir) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (is_nsfs(p))
                        return 1;
        }
        return 0;
}

int netns_dir_prepare(const char *runtime_dir, char **ret_dir) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (asprintf(&dir, "%s/netns", runtime_dir) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        r = is_mount_root(dir);
        if (r < 0)
                return r;
        if (r == 0) {
                r = has_pins(dir);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EBUSY;
                /* Bound onto itself, the mount is a peer of its parent's: made
                 * private, then shared, it is in a group of its own, and a pin
                 * is mounted once, not once more on the parent beneath. New
                 * namespaces (services, ours) copy it and receive pins as they
                 * did from the parent. */
                if (mount(dir, dir, NULL, MS_BIND, NULL) < 0)
                        return -errno;
                if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0 ||
                    mount(NULL, dir, NULL, MS_SHARED, NULL) < 0) {
                        r = -errno;
                        (void) umount2(dir, MNT_DETACH);
                        return r;
                }
        }
        if (ret_dir)
                *ret_dir = TAKE_PTR(dir);
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
