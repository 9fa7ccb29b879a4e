/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Metadata of extracted entries, applied without ever following a symlink:
 * on a real fd (files, directories), on an O_PATH fd through its /proc magic
 * link (devices, fifos: never opened), or with *at(AT_SYMLINK_NOFOLLOW)
 * (symlinks). Owner first, then mode (chown clears setuid/setgid), then xattrs
 * (chown drops security.capability), then times. */

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "extract-internal.h"
#include "log.h"

static int entry_owner(Extractor *x, struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid) {
        int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

        /* (uid_t) -1 would mean "leave unchanged" to chown(). */
        if (uid < 0 || uid >= (int64_t) UINT32_MAX || gid < 0 || gid >= (int64_t) UINT32_MAX)
                return extract_fail(x, -EINVAL, "invalid owner %" PRIi64 ":%" PRIi64, uid, gid);
        *ret_uid = (uid_t) uid;
        *ret_gid = (gid_t) gid;
        return 0;
}

void extract_entry_times(struct archive_entry *e, struct timespec ts[2]) {
        if (archive_entry_mtime_is_set(e)) {
                ts[1].tv_sec = archive_entry_mtime(e);
                ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        } else
                ts[1].tv_nsec = UTIME_OMIT;
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        } else
                ts[0] = ts[1];
        for (unsigned i = 0; i < 2; i++)
                if (ts[i].tv_nsec != UTIME_OMIT && (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999L))
                        ts[i].tv_nsec = 0;
}

/* 1: apply, 0: skip, < 0: refuse the layer. Overlayfs' own xattrs would let a
 * layer redirect lookups to arbitrary paths or fake opaqueness/metacopy. */
static int xattr_policy(const char *name) {
        if (startswith(name, "trusted.overlay.") || startswith(name, "user.overlay."))
                return -EPERM;
        if (startswith(name, "user.") || startswith(name, "security."))
                return 1;
        return 0;
}

typedef enum XattrTarget { XATTR_FD, XATTR_PATH, XATTR_LPATH } XattrTarget;

static int apply_xattrs(Extractor *x, struct archive_entry *e, XattrTarget how, int fd,
                        const char *path) {
        const char *name;
        const void *value;
        size_t size;
        int r;

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                if (!name)
                        continue;
                r = xattr_policy(name);
                if (r < 0)
                        return extract_fail(x, r, "carries the overlayfs xattr '%s'", name);
                if (r == 0) {
                        log_debug("Ignoring xattr %s on %s.", name, strempty(x->entry));
                        continue;
                }
                if (how == XATTR_FD)
                        r = fsetxattr(fd, name, value, size, 0);
                else if (how == XATTR_PATH)
                        r = setxattr(path, name, value, size, 0);
                else
                        r = lsetxattr(path, name, value, size, 0);
                if (r < 0) {
                        /* Labels of other systems (security.selinux, ...) or user.*
                         * on a file system without them must not fail an image;
                         * file capabilities must not be lost silently. */
                        if (!streq(name, "security.capability") &&
                            (errno == EOPNOTSUPP || errno == EPERM || errno == EINVAL)) {
                                (void) log_debug_errno(errno, "Cannot set xattr %s on %s, ignoring: %m",
                                                       name, strempty(x->entry));
                                continue;
                        }
                        return extract_fail(x, -errno, "cannot set xattr '%s': %m", name);
                }
        }
        return 0;
}

static int chown_allowed_error(Extractor *x, int err) {
        /* Unprivileged extraction (tests, rootless use) keeps the caller's ids. */
        return err == EPERM && !x->privileged ? 0 : -err;
}

/* Metadata on a real fd of the entry itself (regular file or directory). */
int extract_apply_metadata_fd(Extractor *x, struct archive_entry *e, int fd, bool times) {
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;
        int r;

        r = entry_owner(x, e, &uid, &gid);
        if (r < 0)
                return r;
        if (fchown(fd, uid, gid) < 0 && (r = chown_allowed_error(x, errno)) < 0)
                return extract_fail(x, r, "cannot set owner: %m");
        /* After chown, which clears setuid/setgid. */
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return extract_fail(x, -errno, "cannot set mode: %m");
        /* After chown too: chown drops security.capability. */
        r = apply_xattrs(x, e, XATTR_FD, fd, NULL);
        if (r < 0)
                return r;
        if (times) {
                extract_entry_times(e, ts);
                if (futimens(fd, ts) < 0)
                        return extract_fail(x, -errno, "cannot set times: %m");
        }
        return 0;
}

/* Metadata on a device node or fifo: opened O_PATH (never really opened) and
 * changed through its /proc/self/fd magic link, which names the inode itself. */
int extract_apply_metadata_special(Extractor *x, struct archive_entry *e, int parent_fd,
                                  const char *leaf, mode_t type) {
        _cleanup_close_ int fd = -EBADF;
        char proc[64];
        struct timespec ts[2];
        struct stat st;
        uid_t uid;
        gid_t gid;
        int r;

        r = entry_owner(x, e, &uid, &gid);
        if (r < 0)
                return r;
        fd = openat(parent_fd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return extract_fail(x, -errno, "cannot open created node: %m");
        if (fstat(fd, &st) < 0)
                return extract_fail(x, -errno, "cannot stat created node: %m");
        if ((st.st_mode & S_IFMT) != type)
                return extract_fail(x, -EIO, "created node changed type");

        if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0 && (r = chown_allowed_error(x, errno)) < 0)
                return extract_fail(x, r, "cannot set owner: %m");
        snprintf(proc, sizeof(proc), "/proc/self/fd/%i", fd);
        if (chmod(proc, archive_entry_perm(e) & 07777) < 0)
                return extract_fail(x, -errno, "cannot set mode: %m");
        r = apply_xattrs(x, e, XATTR_PATH, -1, proc);
        if (r < 0)
                return r;
        extract_entry_times(e, ts);
        if (utimensat(AT_FDCWD, proc, ts, 0) < 0)
                return extract_fail(x, -errno, "cannot set times: %m");
        return 0;
}

int extract_apply_metadata_symlink(Extractor *x, struct archive_entry *e, int parent_fd,
                                  const char *leaf) {
        struct timespec ts[2];
        char proc[64 + EXTRACT_MAX_PATH];
        uid_t uid;
        gid_t gid;
        int r;

        r = entry_owner(x, e, &uid, &gid);
        if (r < 0)
                return r;
        if (fchownat(parent_fd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            (r = chown_allowed_error(x, errno)) < 0)
                return extract_fail(x, r, "cannot set owner: %m");
        /* lsetxattr() does not follow the leaf; the fd link only names the parent. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%i/%s", parent_fd, leaf);
        r = apply_xattrs(x, e, XATTR_LPATH, -1, proc);
        if (r < 0)
                return r;
        extract_entry_times(e, ts);
        if (utimensat(parent_fd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return extract_fail(x, -errno, "cannot set times: %m");
        return 0;
}

