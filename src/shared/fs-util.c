/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int mkdir_restrict(const char *path, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((st.st_mode & 07777 & ~mode) == 0)
                return 0;
        if (fchmod(fd, st.st_mode & 07777 & mode) < 0)
                return -errno;
        return 1;
}

int fsync_directory(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

int read_fd_capped(int fd, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, avail = 0;     /* avail: bytes of data buf can hold (one more for the NUL) */
        struct stat st;

        if (fd < 0 || !ret || max >= SIZE_MAX - 1)
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((flags & READ_FILE_REGULAR) && !S_ISREG(st.st_mode))
                return -EBADFD;
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                if ((uint64_t) st.st_size > max)
                        return -EFBIG;
                /* One more, so the read that sees EOF needs no second buffer. */
                avail = (size_t) st.st_size + 1;
        }
        /* Files in /proc and cgroupfs say 0: grow as they come. */
        for (;;) {
                ssize_t n;

                if (len == avail) {
                        /* len <= max here (checked below), so this grows. */
                        size_t size = MIN(MAX(avail * 2, (size_t) 4096), max + 1);
                        char *b = realloc(buf, size + 1);

                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        avail = size;
                }
                if (!buf) {
                        buf = malloc(avail + 1);
                        if (!buf)
                                return -ENOMEM;
                }
                n = read(fd, buf + len, avail - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;          /* (it may have grown since fstat) */
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}

int read_file_capped(int dir_fd, const char *path, size_t max, int open_flags, ReadFileFlags flags,
                     char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        if (!path)
                return -EINVAL;
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | open_flags);
        if (fd < 0)
                return -errno;
        return read_fd_capped(fd, max, flags, ret, ret_size);
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        const char *slash;
        int r;

        slash = strrchr(path, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        if (asprintf(&tmp, "%s/.#%s.XXXXXX", dir, slash + 1) < 0)
                return -ENOMEM;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0) {
                r = -errno;
                goto fail;
        }
        for (size_t done = 0; done < len; ) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                done += (size_t) n;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        /* Best effort: the rename is durable once the directory is synced. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}

int read_file_regular(const char *path, size_t max, char **ret, size_t *ret_len) {
        /* O_NONBLOCK: a FIFO planted at the path must not hang us. */
        return read_file_capped(AT_FDCWD, path, max, O_NONBLOCK, READ_FILE_REGULAR, ret, ret_len);
}

/* Deeper than any tree Tank creates (extraction stops at 256 levels), and a
 * bound on the recursion for trees a container grew. */
#define RM_RF_MAX_DEPTH 512U

static int rm_rf_children(int fd, unsigned depth);

static int rm_rf_internal(int dir_fd, const char *name, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        struct stat pst, st;
        int r;

        if (unlinkat(dir_fd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR)
                return -errno;
        if (depth > RM_RF_MAX_DEPTH)
                return -ELOOP;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(dir_fd, &pst) < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (pst.st_dev != st.st_dev)  /* a mount point: never descend */
                return -EXDEV;

        r = rm_rf_children(TAKE_FD(fd), depth);
        if (r < 0)
                return r;
        return RET_NERRNO(unlinkat(dir_fd, name, AT_REMOVEDIR));
}

/* Takes ownership of fd. */
static int rm_rf_children(int fd, unsigned depth) {
        DIR *d;
        int r = 0;

        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                int k;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                k = rm_rf_internal(dirfd(d), de->d_name, depth + 1);
                if (k < 0 && r == 0)
                        r = k;
        }
        if (errno > 0 && r == 0)
                r = -errno;
        closedir(d);
        return r;
}

int rm_rf_at(int dir_fd, const char *name) {
        return rm_rf_internal(dir_fd, name, 0);
}
