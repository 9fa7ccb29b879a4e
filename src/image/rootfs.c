/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "log.h"
#include "rootfs.h"
#include "strv.h"
#include "fs-util.h"

#define OPTIONS_MAX 4095U  /* mount(2) copies one page of data */

static const struct {
        long type;
        const char *name;
        bool upper_ok;
} fs_types[] = {
        { 0xEF53,               "ext4",      true  },
        { 0x58465342,           "xfs",       true  },
        { 0x9123683E,           "btrfs",     true  },
        { 0x01021994,           "tmpfs",     true  },
        { 0xF2F52010,           "f2fs",      true  },
        { 0x794c7630,           "overlay",   false },
        { 0x6969,               "nfs",       false },
        { 0x65735546,           "fuse",      false },
        { 0x01021997,           "9p",        false },
        { (long) 0xFF534D42,    "cifs",      false },
        { (long) 0xFE534D42,    "smb2",      false },
        { 0x517B,               "smb",       false },
        { 0x73717368,           "squashfs",  false },
        { 0x9660,               "iso9660",   false },
        { (long) 0xE0F5E1E2,    "erofs",     false },
        { 0x61756673,           "aufs",      false },
        { 0xF15F,               "ecryptfs",  false },
        { 0x4d44,               "vfat",      false },
        { 0x5346544e,           "ntfs",      false },
        { 0x2011BAB0,           "exfat",     false },
        { 0x62656572,           "sysfs",     false },
        { 0x9fa0,               "proc",      false },
        { 0x27e0eb,             "cgroup",    false },
        { 0x63677270,           "cgroup2",   false },
};

const char *rootfs_fs_type_name(long f_type) {
        FOREACH_ARRAY(t, fs_types, ELEMENTSOF(fs_types))
                if ((t->type & 0xFFFFFFFFL) == (f_type & 0xFFFFFFFFL))
                        return t->name;
        return "unknown";
}

static int set_error(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        if (!ret_error)
                return r;
        free(*ret_error);
        errno = -r;
        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        log_debug("%s", strempty(*ret_error));
        return r;
}

int rootfs_check_upper_fs(const char *path, char **ret_error) {
        struct statfs sfs;
        struct statvfs svfs;

        if (statfs(path, &sfs) < 0)
                return set_error(ret_error, -errno, "cannot statfs %s: %m", path);
        FOREACH_ARRAY(t, fs_types, ELEMENTSOF(fs_types))
                if ((t->type & 0xFFFFFFFFL) == ((long) sfs.f_type & 0xFFFFFFFFL) && !t->upper_ok)
                        return set_error(ret_error, -EOPNOTSUPP,
                                         "%s is on a %s file system (f_type 0x%lx), which cannot hold "
                                         "overlayfs upper directories; put the data directory on "
                                         "ext4, xfs, btrfs or tmpfs",
                                         path, t->name, (unsigned long) sfs.f_type);
        if (statvfs(path, &svfs) < 0)
                return set_error(ret_error, -errno, "cannot statvfs %s: %m", path);
        if (svfs.f_flag & ST_RDONLY)
                return set_error(ret_error, -EROFS, "%s is on a read-only %s file system",
                                 path, rootfs_fs_type_name((long) sfs.f_type));
        return 0;
}

int rootfs_prepare_scratch(const char *scratch_dir, char **ret_upper, char **ret_work,
                           char **ret_error) {
        _cleanup_free_ char *upper = NULL, *work = NULL;
        int r;

        if (isempty(scratch_dir) || scratch_dir[0] != '/')
                return set_error(ret_error, -EINVAL, "scratch directory must be absolute");

        r = mkdir_p(scratch_dir, 0700);
        if (r < 0)
                return set_error(ret_error, r, "cannot create %s: %m", scratch_dir);
        r = rootfs_check_upper_fs(scratch_dir, ret_error);
        if (r < 0)
                return r;

        if (asprintf(&upper, "%s/upper", scratch_dir) < 0 ||
            asprintf(&work, "%s/work", scratch_dir) < 0)
                return -ENOMEM;
        /* The upper dir becomes the container's "/": 0755 like any root. */
        if (mkdir(upper, 0755) < 0 && errno != EEXIST)
                return set_error(ret_error, -errno, "cannot create %s: %m", upper);
        if (mkdir(work, 0700) < 0 && errno != EEXIST)
                return set_error(ret_error, -errno, "cannot create %s: %m", work);

        *ret_upper = TAKE_PTR(upper);
        *ret_work = TAKE_PTR(work);
        return 0;
}

static bool path_ok_for_options(const char *p) {
        return !isempty(p) && !strpbrk(p, ",:\\");
}

int rootfs_overlay_options(char * const *lower_dirs, const char *upper, const char *work,
                           char **ret_options) {
        _cleanup_free_ char *o = NULL;
        size_t n, len;
        char *p;

        n = strv_length(lower_dirs);
        if (n == 0 || !upper != !work)
                return -EINVAL;

        len = strlen("lowerdir=") + strlen(",index=off,redirect_dir=off,metacopy=off") + 1;
        STRV_FOREACH(l, lower_dirs) {
                if (!path_ok_for_options(*l))
                        return -EINVAL;
                len += strlen(*l) + 1;
        }
        if (upper) {
                if (!path_ok_for_options(upper) || !path_ok_for_options(work))
                        return -EINVAL;
                len += strlen(",upperdir=") + strlen(upper) + strlen(",workdir=") + strlen(work);
        }
        if (len > OPTIONS_MAX)
                return -E2BIG;

        o = malloc(len);
        if (!o)
                return -ENOMEM;
        p = stpcpy(o, "lowerdir=");
        /* overlayfs wants the top layer first. */
        for (size_t i = n; i > 0; i--) {
                p = stpcpy(p, lower_dirs[i - 1]);
                if (i > 1)
                        p = stpcpy(p, ":");
        }
        if (upper)
                p += sprintf(p, ",upperdir=%s,workdir=%s", upper, work);
        stpcpy(p, ",index=off,redirect_dir=off,metacopy=off");
        *ret_options = TAKE_PTR(o);
        return 0;
}

/* The kernel explains fsconfig() failures in messages read from the fs fd. */
static int fs_error(int fs_fd, char **ret_error, int r, const char *what) {
        char buf[512] = "";
        ssize_t n;

        n = read(fs_fd, buf, sizeof(buf) - 1);
        if (n > 0) {
                buf[n] = 0;
                buf[strcspn(buf, "\n")] = 0;
        }
        return set_error(ret_error, r, "cannot mount overlay (%s): %s%s%s", what,
                         strerror(-r), n > 0 ? ": " : "", n > 0 ? buf : "");
}

static int fsconfig_string(int fs_fd, const char *key, const char *value) {
        return RET_NERRNO(fsconfig(fs_fd, FSCONFIG_SET_STRING, key, value, 0));
}

int rootfs_open_overlay(char * const *lower_dirs, const char *upper, const char *work,
                        int *ret_mount_fd, char **ret_error) {
        static const struct {
                const char *key;
        } hardening[] = { { "index" }, { "redirect_dir" }, { "metacopy" } };
        _cleanup_close_ int fs_fd = -EBADF;
        size_t n = strv_length(lower_dirs);
        int r, mnt_fd;

        if (n == 0)
                return set_error(ret_error, -EINVAL, "no lower layers");
        if (!upper != !work)
                return set_error(ret_error, -EINVAL, "upper and work dirs go together");
        if (upper) {
                r = rootfs_check_upper_fs(upper, ret_error);
                if (r < 0)
                        return r;
        }

        if (!upper && n == 1) {
                /* overlayfs wants two lowers without an upper: a single read-only
                 * layer is just a read-only bind mount. */
                mnt_fd = open_tree(AT_FDCWD, lower_dirs[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (mnt_fd < 0)
                        return set_error(ret_error, -errno, "cannot bind %s: %m", lower_dirs[0]);
                if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH,
                                  &(struct mount_attr) { .attr_set = MOUNT_ATTR_RDONLY },
                                  sizeof(struct mount_attr)) < 0) {
                        r = -errno;
                        safe_close(mnt_fd);
                        return set_error(ret_error, r, "cannot make %s read-only: %m", lower_dirs[0]);
                }
                *ret_mount_fd = mnt_fd;
                return 0;
        }

        fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return set_error(ret_error, -errno, "cannot open overlay file system: %m");

        /* Top layer first, one parameter each: no page limit, no escaping. */
        r = 0;
        for (size_t i = n; i > 0 && r >= 0; i--)
                r = fsconfig_string(fs_fd, "lowerdir+", lower_dirs[i - 1]);
        if (r == -EINVAL && n > 0) {
                _cleanup_free_ char *opts = NULL;
                char *l, *comma;

                /* Kernel without "lowerdir+" (< 6.8): one colon-separated string.
                 * A fresh context, since the failed one may be half configured. */
                safe_close(fs_fd);
                fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
                if (fs_fd < 0)
                        return set_error(ret_error, -errno, "cannot open overlay file system: %m");
                r = rootfs_overlay_options(lower_dirs, NULL, NULL, &opts);
                if (r < 0)
                        return set_error(ret_error, r, "cannot build lowerdir option: %m");
                l = opts + strlen("lowerdir=");
                comma = strchr(l, ',');
                if (comma)
                        *comma = 0;
                r = fsconfig_string(fs_fd, "lowerdir", l);
        }
        if (r < 0)
                return fs_error(fs_fd, ret_error, r, "lowerdir");

        if (upper) {
                r = fsconfig_string(fs_fd, "upperdir", upper);
                if (r < 0)
                        return fs_error(fs_fd, ret_error, r, "upperdir");
                r = fsconfig_string(fs_fd, "workdir", work);
                if (r < 0)
                        return fs_error(fs_fd, ret_error, r, "workdir");
        }
        /* Layers are shared by many overlays at once: no inode index; and no
         * following of redirects or metacopy xattrs. */
        FOREACH_ARRAY(o, hardening, ELEMENTSOF(hardening)) {
                r = fsconfig_string(fs_fd, o->key, "off");
                if (r < 0)
                        return fs_error(fs_fd, ret_error, r, o->key);
        }

        if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_error(fs_fd, ret_error, -errno, "create");

        mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, 0);
        if (mnt_fd < 0)
                return fs_error(fs_fd, ret_error, -errno, "fsmount");
        *ret_mount_fd = mnt_fd;
        return 0;
}

int rootfs_mount_overlay(char * const *lower_dirs, const char *upper, const char *work,
                         const char *target, char **ret_error) {
        _cleanup_close_ int mnt_fd = -EBADF;
        int r;

        r = rootfs_open_overlay(lower_dirs, upper, work, &mnt_fd, ret_error);
        if (r < 0)
                return r;
        if (move_mount(mnt_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return set_error(ret_error, -errno, "cannot attach overlay at %s: %m", target);
        return 0;
}
