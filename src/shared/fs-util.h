/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* mkdir -p: missing parents are created 0755, the last component with `mode`.
 * Existing directories are left as they are. */
int mkdir_p(const char *path, mode_t mode);

/* The directory path with at most mode's permissions: created with mode, or,
 * when it exists, every permission bit mode does not grant is taken away (an
 * older 0755 becomes 0711 for 0711; a stricter 0700 stays). A symlink or a
 * non-directory is refused. Returns 1 when an existing directory's mode was
 * changed, else 0. */
int mkdir_restrict(const char *path, mode_t mode);

/* fsync() the directory at path, so that entries created, renamed or removed
 * in it survive a power cut. */
int fsync_directory(const char *path);

typedef enum ReadFileFlags {
        READ_FILE_REGULAR = 1 << 0,     /* fstat() must say S_ISREG, else -EBADFD */
} ReadFileFlags;

/* Read fd from its current position to EOF, at most max bytes: -EFBIG only
 * when there is more than max. The data is NUL-terminated (*ret_size does not
 * count the NUL; it may be NULL). *ret is set only on success. */
int read_fd_capped(int fd, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size);

/* The same for path, opened relative to dir_fd (AT_FDCWD or a directory fd)
 * with O_RDONLY|O_CLOEXEC|O_NOCTTY|open_flags: pass O_NOFOLLOW to refuse a
 * symlink (-ELOOP), O_NONBLOCK so that a FIFO planted at path cannot hang the
 * caller (with READ_FILE_REGULAR it is then refused). */
int read_file_capped(int dir_fd, const char *path, size_t max, int open_flags, ReadFileFlags flags,
                     char **ret, size_t *ret_size);

/* Read a whole regular file of at most max bytes, NUL-terminated; opened
 * O_NONBLOCK so that a FIFO planted at path cannot hang the caller. */
int read_file_regular(const char *path, size_t max, char **ret, size_t *ret_len);

/* Write data to path atomically: a temp file in the same directory, fsync,
 * rename over path, fsync of the directory. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* rm -rf of dir_fd/name, never following symlinks or leaving the file system
 * (a mount point below is -EXDEV). 0 if removed or absent. */
int rm_rf_at(int dir_fd, const char *name);
