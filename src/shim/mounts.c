/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container's mount tree, built in the child's private mount namespace and
 * then pivoted into. Every place we mount onto is resolved with openat2()
 * RESOLVE_IN_ROOT from the root's fd and mounted through that fd with the new
 * mount API (open_tree/fsmount + move_mount), so a hostile image cannot point
 * a mount point (symlink, "..", /proc magic link) at the host. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "container.h"
#include "overlay.h"
#include "strv.h"

int shim_error(char **ret_error, int r, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;

        if (!ret_error || *ret_error)   /* the first, innermost reason wins */
                return r;
        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0)
                what = NULL;
        va_end(ap);
        if (what && asprintf(ret_error, "%s: %s", what, strerror(r < 0 ? -r : r)) < 0)
                *ret_error = NULL;
        return r;
}

static int openat2_root(int rootfd, const char *path, int flags, int *ret_fd) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path;
        int fd;

        while (*rel == '/')
                rel++;
        fd = (int) syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof how);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int open_in_root(int rootfd, const char *path, mode_t create_mode, int *ret_fd) {
        _cleanup_free_ char *prefix = NULL;
        size_t n;
        int r, fd;

        r = openat2_root(rootfd, path, O_PATH, &fd);
        if (r != -ENOENT || create_mode == 0) {
                if (r >= 0)
                        *ret_fd = fd;
                return r;
        }

        /* Walk down, creating what is missing. Each step resolves from the root
         * again, so whatever a symlink on the way says, we stay inside. */
        n = strlen(path);
        prefix = malloc(n + 1);
        if (!prefix)
                return -ENOMEM;
        for (size_t i = 1; i <= n; i++) {
                _cleanup_close_ int parent = -EBADF, child = -EBADF;
                const char *name;
                bool last;

                if (i < n && path[i] != '/')
                        continue;
                if (path[i - 1] == '/')
                        continue;
                memcpy(prefix, path, i);
                prefix[i] = 0;
                last = i == n || strspn(path + i, "/") == n - i;

                r = openat2_root(rootfd, prefix, O_PATH, &child);
                if (r >= 0)
                        continue;
                if (r != -ENOENT)
                        return r;

                name = strrchr(prefix, '/') + 1;
                prefix[name - prefix - 1] = 0;   /* cut at the slash, keep name */
                r = openat2_root(rootfd, prefix, O_PATH | O_DIRECTORY, &parent);
                if (r < 0)
                        return r;
                if (last && S_ISREG(create_mode)) {
                        int t = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                        if (t < 0 && errno != EEXIST)
                                return -errno;
                        safe_close(t);
                } else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
                        return -errno;
                /* EEXIST here means a dangling symlink: its target does not
                 * exist inside the root. We refuse rather than guess. */
                if (last)
                        break;
                memcpy(prefix, path, i);
                prefix[i] = 0;
                r = openat2_root(rootfd, prefix, O_PATH, &child);
                if (r < 0)
                        return r == -ENOENT ? -ELOOP : r;
        }
        r = openat2_root(rootfd, path, O_PATH, &fd);
        if (r < 0)
                return r == -ENOENT ? -ELOOP : r;
        *ret_fd = fd;
        return 0;
}

static int move_onto(int treefd, int destfd) {
        return RET_NERRNO(move_mount(treefd, "", destfd, "",
                                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

/* A fresh filesystem instance, created in the current namespaces (so proc
 * belongs to the new PID namespace, mqueue to the new IPC one, sysfs to the
 * container's netns). options: NULL-terminated "key=value" or "flag". */
static int mount_new(const char *type, const char *const *options, unsigned attrs, int destfd) {
        _cleanup_close_ int fsfd = -EBADF, mfd = -EBADF;

        fsfd = fsopen(type, FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return -errno;
        for (const char *const *o = options; o && *o; o++) {
                _cleanup_free_ char *key = strdup(*o);
                char *eq;

                if (!key)
                        return -ENOMEM;
                eq = strchr(key, '=');
                if (eq) {
                        *eq = 0;
                        if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0) < 0)
                                return -errno;
                } else if (fsconfig(fsfd, FSCONFIG_SET_FLAG, key, NULL, 0) < 0)
                        return -errno;
        }
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
        if (mfd < 0)
                return -errno;
        return move_onto(mfd, destfd);
}

/* Bind (recursively) what dirfd+path names onto destfd; read-only applies to
 * the whole subtree (mount_setattr AT_RECURSIVE), not just the top mount. */
static int bind_onto(int dirfd, const char *path, int destfd, unsigned attrs) {
        _cleanup_close_ int treefd = -EBADF;

        treefd = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                        (isempty(path) ? AT_EMPTY_PATH : 0));
        if (treefd < 0)
                return -errno;
        if (attrs != 0) {
                struct mount_attr a = { .attr_set = attrs };
                if (mount_setattr(treefd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
                        return -errno;
        }
        return move_onto(treefd, destfd);
}

static int idmap_error(char **ret_error, int r, const char *what, const char *path) {
        if (r == -EINVAL || r == -EPERM || r == -EOPNOTSUPP || r == -ENOSYS)
                return shim_error(ret_error, r, "%s %s: its %s file system cannot be mounted idmapped on "
                                  "this kernel, which user_namespace \"auto\" needs", what, path,
                                  userns_fs_name(path));
        return shim_error(ret_error, r, "idmap %s %s", what, path);
}

/* The image's layers stay owned as shipped; each is seen through the user
 * namespace's maps by an idmapped clone of its directory. overlayfs takes its
 * own private clone of every layer, which before Linux 6.15 only works for a
 * mount attached in the caller's mount namespace (clone_private_mount() refuses
 * detached ones: EINVAL measured on Debian's 6.1, accepted on 6.18), so the
 * clones are attached first, on a private tmpfs at the
 * target (in this, the container's, mount namespace only), and the overlay is
 * then mounted over that tmpfs. The lowerdirs become "<target>/<i>". */
static int mount_idmapped_layers(const ShimConfig *c, int userns_fd, char ***ret_lower, char **ret_error) {
        static const char *const opts[] = { "mode=0700", "size=64k", NULL };
        _cleanup_strv_free_ char **lower = NULL;
        _cleanup_close_ int targetfd = -EBADF, fd = -EBADF;
        size_t i = 0;
        int r;

        fd = open(c->rootfs_target, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return shim_error(ret_error, -errno, "open %s", c->rootfs_target);
        r = mount_new("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount a tmpfs for the idmapped layers on %s", c->rootfs_target);
        targetfd = open(c->rootfs_target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (targetfd < 0)
                return shim_error(ret_error, -errno, "open %s", c->rootfs_target);

        STRV_FOREACH(l, c->rootfs_lower) {
                _cleanup_close_ int treefd = -EBADF, dirfd = -EBADF;
                _cleanup_free_ char *p = NULL;
                char name[16];

                (void) snprintf(name, sizeof name, "%zu", i++);
                r = userns_idmapped_tree(AT_FDCWD, *l, userns_fd, false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV,
                                         &treefd);
                if (r < 0)
                        return idmap_error(ret_error, r, "layer", *l);
                if (mkdirat(targetfd, name, 0700) < 0)
                        return shim_error(ret_error, -errno, "mkdir %s/%s", c->rootfs_target, name);
                dirfd = openat(targetfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dirfd < 0)
                        return shim_error(ret_error, -errno, "open %s/%s", c->rootfs_target, name);
                r = move_onto(treefd, dirfd);
                if (r < 0)
                        return shim_error(ret_error, r, "attach layer %s", *l);
                if (asprintf(&p, "%s/%s", c->rootfs_target, name) < 0 || strv_consume(&lower, TAKE_PTR(p)) < 0)
                        return -ENOMEM;
        }
        *ret_lower = TAKE_PTR(lower);
        return 0;
}

static int setup_rootfs(const ShimConfig *c, int userns_fd, int *ret_rootfd, char **ret_error) {
        const char *where;
        int r, fd;

        if (c->rootfs_directory && userns_fd >= 0) {
                _cleanup_close_ int treefd = -EBADF, destfd = -EBADF;

                where = c->rootfs_directory;
                r = userns_idmapped_tree(AT_FDCWD, where, userns_fd, true, 0, &treefd);
                if (r < 0)
                        return idmap_error(ret_error, r, "rootfs", where);
                destfd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (destfd < 0)
                        return shim_error(ret_error, -errno, "open rootfs %s", where);
                r = move_onto(treefd, destfd);
                if (r < 0)
                        return shim_error(ret_error, r, "bind rootfs %s", where);
        } else if (c->rootfs_directory) {
                where = c->rootfs_directory;
                if (mount(where, where, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return shim_error(ret_error, -errno, "bind rootfs %s", where);
        } else {
                _cleanup_strv_free_ char **idmapped = NULL;
                _cleanup_free_ char *why = NULL;

                /* The overlay exists only in this (the container's) mount namespace. */
                where = c->rootfs_target;
                if (userns_fd >= 0) {
                        r = mount_idmapped_layers(c, userns_fd, &idmapped, ret_error);
                        if (r < 0)
                                return r;
                        /* The upper directory is the container's "/" (and
                         * what it writes is created as the writer's ids, the
                         * range's, by overlayfs). */
                        if (c->rootfs_upper && chown(c->rootfs_upper, c->userns_uid, c->userns_gid) < 0)
                                return shim_error(ret_error, -errno, "hand %s to the user namespace",
                                                  c->rootfs_upper);
                }
                r = overlay_mount(idmapped ?: c->rootfs_lower, c->rootfs_upper, c->rootfs_work, where, &why);
                if (r < 0) {
                        if (why && ret_error && !*ret_error) {
                                *ret_error = TAKE_PTR(why);
                                return r;
                        }
                        return shim_error(ret_error, r, "mount overlay on %s", where);
                }
        }

        fd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return shim_error(ret_error, -errno, "open rootfs %s", where);
        *ret_rootfd = fd;
        return 0;
}

static int setup_dev(int rootfd, bool tty, MountsResult *res, char **ret_error) {
        static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
        static const char *const dev_tmpfs[] = { "mode=755", "size=65536k", NULL };
        static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
        static const char *const shm_opts[] = { "mode=1777", "size=65536k", NULL };
        static const struct { const char *name, *target; } links[] = {
                { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" }, { "core", "/proc/kcore" },
        };
        _cleanup_close_ int devfd = -EBADF, fd = -EBADF;
        int r;

        r = open_in_root(rootfd, "/dev", S_IFDIR, &fd);
        if (r < 0)
                return shim_error(ret_error, r, "open /dev in the root");
        r = mount_new("tmpfs", dev_tmpfs, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount tmpfs on /dev");
        fd = safe_close(fd);
        r = openat2_root(rootfd, "/dev", O_PATH | O_DIRECTORY, &devfd);
        if (r < 0)
                return shim_error(ret_error, r, "open new /dev");

        FOREACH_ARRAY(d, devices, ELEMENTSOF(devices)) {
                _cleanup_close_ int node = -EBADF;
                _cleanup_free_ char *host = NULL;

                if (asprintf(&host, "/dev/%s", *d) < 0)
                        return -ENOMEM;
                node = openat(devfd, *d, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (node < 0)
                        return shim_error(ret_error, -errno, "create /dev/%s", *d);
                node = safe_close(node);
                node = openat(devfd, *d, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (node < 0)
                        return shim_error(ret_error, -errno, "open /dev/%s", *d);
                r = bind_onto(AT_FDCWD, host, node, 0);
                if (r < 0)
                        return shim_error(ret_error, r, "bind %s", host);
        }

        FOREACH_ARRAY(l, links, ELEMENTSOF(links))
                if (symlinkat(l->target, devfd, l->name) < 0)
                        return shim_error(ret_error, -errno, "symlink /dev/%s", l->name);

        if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0 ||
            mkdirat(devfd, "mqueue", 0755) < 0)
                return shim_error(ret_error, -errno, "mkdir in /dev");

        fd = openat(devfd, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return shim_error(ret_error, -errno, "open /dev/pts");
        r = mount_new("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount devpts");
        fd = safe_close(fd);

        fd = openat(devfd, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return shim_error(ret_error, -errno, "open /dev/shm");
        r = mount_new("tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount /dev/shm");
        fd = safe_close(fd);

        fd = openat(devfd, "mqueue", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return shim_error(ret_error, -errno, "open /dev/mqueue");
        r = mount_new("mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount /dev/mqueue");
        fd = safe_close(fd);

        if (tty) {
                _cleanup_close_ int master = -EBADF, slave = -EBADF, console = -EBADF;
                int unlock = 0;

                /* The PTY comes from the container's own devpts instance, so
                 * the slave is /dev/pts/0 inside and openable there. */
                master = openat(devfd, "pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
                if (master < 0)
                        return shim_error(ret_error, -errno, "open /dev/pts/ptmx");
                if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                        return shim_error(ret_error, -errno, "unlock pty");
                slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (slave < 0)
                        return shim_error(ret_error, -errno, "open pty slave");
                console = openat(devfd, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (console < 0)
                        return shim_error(ret_error, -errno, "create /dev/console");
                console = safe_close(console);
                console = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (console < 0)
                        return shim_error(ret_error, -errno, "open /dev/console");
                r = bind_onto(slave, "", console, 0);
                if (r < 0)
                        return shim_error(ret_error, r, "bind the pty onto /dev/console");
                res->pty_master = TAKE_FD(master);
                res->pty_slave = TAKE_FD(slave);
        }
        return 0;
}

/* Masked: unreadable for the workload (kernel internals, host timing and key
 * data; the powercap (RAPL) energy counters are a power side channel, masked
 * by Docker too). Read-only: writable proc knobs that are not namespaced. */
static const char *const masked_paths[] = {
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static int setup_masks(int rootfd, char **ret_error) {
        static const char *const empty_tmpfs[] = { "size=0", "mode=0555", NULL };
        int r;

        FOREACH_ARRAY(p, masked_paths, ELEMENTSOF(masked_paths)) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                r = open_in_root(rootfd, *p, 0, &fd);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return shim_error(ret_error, r, "open %s", *p);
                if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0)
                        return shim_error(ret_error, -errno, "stat %s", *p);
                if (S_ISDIR(st.st_mode))
                        r = mount_new("tmpfs", empty_tmpfs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd);
                else
                        r = bind_onto(AT_FDCWD, "/dev/null", fd, 0);
                if (r < 0)
                        return shim_error(ret_error, r, "mask %s", *p);
        }

        FOREACH_ARRAY(p, readonly_paths, ELEMENTSOF(readonly_paths)) {
                _cleanup_close_ int fd = -EBADF;

                r = open_in_root(rootfd, *p, 0, &fd);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return shim_error(ret_error, r, "open %s", *p);
                r = bind_onto(fd, "", fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                              MOUNT_ATTR_NOEXEC);
                if (r < 0)
                        return shim_error(ret_error, r, "make %s read-only", *p);
        }
        return 0;
}

/* A managed volume is created empty and root's; in a user namespace it goes to
 * the range's root the first time (while still so), and is then bound as it is,
 * with the host's view of its ids, which are the range's. */
static int give_volume_to_range(const ShimConfig *c, const char *source, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        DIR *d;
        struct dirent *de;
        bool empty = true;

        fd = open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return shim_error(ret_error, -errno, "open volume %s", source);
        if (st.st_uid != 0 || st.st_gid != 0)
                return 0;
        d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
        if (!d)
                return shim_error(ret_error, -errno, "read volume %s", source);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        empty = false;
                        break;
                }
        closedir(d);
        if (empty && fchown(fd, c->userns_uid, c->userns_gid) < 0)
                return shim_error(ret_error, -errno, "hand volume %s to the user namespace", source);
        return 0;
}

/* userns_fd >= 0: a host path is bound idmapped (container root writes as host
 * root there, which is what sharing a host path means); a managed volume
 * (managed) plainly. Binds of tankd's own files (resolv.conf ...) are plain and
 * read-only. */
static int setup_bind(int rootfd, const char *source, const char *dest, bool read_only, int userns_fd,
                      char **ret_error) {
        _cleanup_close_ int destfd = -EBADF;
        struct stat st, dst;
        int r;

        /* The source is the host's side, chosen by tankd: follow it normally. */
        if (stat(source, &st) < 0)
                return shim_error(ret_error, -errno, "mount source %s", source);
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                return shim_error(ret_error, -EINVAL, "mount source %s is neither a directory nor a file", source);

        r = open_in_root(rootfd, dest, S_ISDIR(st.st_mode) ? S_IFDIR : S_IFREG, &destfd);
        if (r < 0)
                return shim_error(ret_error, r, "mount point %s inside the root%s", dest,
                                  r == -ELOOP ? " (a symlink leading nowhere inside the root)" : "");
        if (fstatat(destfd, "", &dst, AT_EMPTY_PATH) < 0)
                return shim_error(ret_error, -errno, "stat mount point %s", dest);
        if (S_ISDIR(st.st_mode) != S_ISDIR(dst.st_mode))
                return shim_error(ret_error, S_ISDIR(st.st_mode) ? -ENOTDIR : -EISDIR,
                                  "mount point %s has another type than %s", dest, source);

        if (userns_fd >= 0) {
                _cleanup_close_ int treefd = -EBADF;

                r = userns_idmapped_tree(AT_FDCWD, source, userns_fd, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                         (read_only ? MOUNT_ATTR_RDONLY : 0), &treefd);
                if (r < 0)
                        return idmap_error(ret_error, r, "host volume", source);
                r = move_onto(treefd, destfd);
        } else
                r = bind_onto(AT_FDCWD, source, destfd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                              (read_only ? MOUNT_ATTR_RDONLY : 0));
        if (r < 0)
                return shim_error(ret_error, r, "bind %s on %s", source, dest);
        return 0;
}

/* tankd's notify directory: read-only because sendto() needs write access to
 * the socket only, never to the directory; not idmapped because the socket is
 * 0666 (notify.h says why). */
static int setup_notify(int rootfd, const char *source, char **ret_error) {
        _cleanup_close_ int destfd = -EBADF;
        struct stat st;
        int r;

        if (stat(source, &st) < 0)
                return shim_error(ret_error, -errno, "notify directory %s", source);
        if (!S_ISDIR(st.st_mode))
                return shim_error(ret_error, -ENOTDIR, "notify directory %s", source);
        r = open_in_root(rootfd, SHIM_NOTIFY_CONTAINER_DIR, S_IFDIR, &destfd);
        if (r < 0)
                return shim_error(ret_error, r, "mount point " SHIM_NOTIFY_CONTAINER_DIR " inside the root");
        if (fstatat(destfd, "", &st, AT_EMPTY_PATH) < 0)
                return shim_error(ret_error, -errno, "stat " SHIM_NOTIFY_CONTAINER_DIR);
        if (!S_ISDIR(st.st_mode))
                return shim_error(ret_error, -ENOTDIR, "mount point " SHIM_NOTIFY_CONTAINER_DIR " inside the root");
        r = bind_onto(AT_FDCWD, source, destfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                      MOUNT_ATTR_NOEXEC);
        if (r < 0)
                return shim_error(ret_error, r, "bind %s on " SHIM_NOTIFY_CONTAINER_DIR, source);
        return 0;
}

int mounts_setup(const ShimConfig *c, int userns_fd, MountsResult *ret, char **ret_error) {
        static const char *const no_options[] = { NULL };
        _cleanup_close_ int rootfd = -EBADF, fd = -EBADF;
        MountsResult res = { .pty_master = -EBADF, .pty_slave = -EBADF };
        int r;

        /* Nothing we do here may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return shim_error(ret_error, -errno, "make / private");

        r = setup_rootfs(c, userns_fd, &rootfd, ret_error);
        if (r < 0)
                return r;

        r = open_in_root(rootfd, "/proc", S_IFDIR, &fd);
        if (r < 0)
                return shim_error(ret_error, r, "open /proc in the root");
        r = mount_new("proc", no_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount /proc");
        fd = safe_close(fd);

        r = open_in_root(rootfd, "/sys", S_IFDIR, &fd);
        if (r < 0)
                return shim_error(ret_error, r, "open /sys in the root");
        r = mount_new("sysfs", no_options, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                      MOUNT_ATTR_NOEXEC, fd);
        if (r < 0)
                return shim_error(ret_error, r, "mount /sys");
        fd = safe_close(fd);

        r = setup_dev(rootfd, c->spec->tty, &res, ret_error);
        if (r < 0)
                goto fail;

        if (c->resolv_conf && (r = setup_bind(rootfd, c->resolv_conf, "/etc/resolv.conf", true, -EBADF, ret_error)) < 0)
                goto fail;
        if (c->hosts && (r = setup_bind(rootfd, c->hosts, "/etc/hosts", true, -EBADF, ret_error)) < 0)
                goto fail;
        if (c->hostname_file && (r = setup_bind(rootfd, c->hostname_file, "/etc/hostname", true, -EBADF, ret_error)) < 0)
                goto fail;
        if (c->notify_dir && (r = setup_notify(rootfd, c->notify_dir, ret_error)) < 0)
                goto fail;
        FOREACH_ARRAY(m, c->mounts, c->n_mounts) {
                if (userns_fd >= 0 && m->give_to_user) {
                        r = give_volume_to_range(c, m->source, ret_error);
                        if (r < 0)
                                goto fail;
                }
                r = setup_bind(rootfd, m->source, m->destination, m->read_only,
                               m->give_to_user ? -EBADF : userns_fd, ret_error);
                if (r < 0)
                        goto fail;
        }

        r = setup_masks(rootfd, ret_error);
        if (r < 0)
                goto fail;

        /* pivot_root(".", ".") stacks the old root under the new one; detaching
         * it leaves the host tree unreachable from the container. */
        if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                r = shim_error(ret_error, -errno, "pivot_root");
                goto fail;
        }

        *ret = res;
        return 0;

fail:
        safe_close(res.pty_master);
        safe_close(res.pty_slave);
        return r;
}
