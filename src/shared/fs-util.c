/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
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
