/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/seccomp-program.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "shim/security.h"

int seccomp_program_write(const char *runtime_dir, char **ret_path) {
        _cleanup_free_ char *error = NULL, *path = NULL, *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        void *ctx = NULL;
        size_t size;
        int r;

        r = security_seccomp_build(&ctx, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot build the containers' seccomp filter: %s", strna(error));

        /* libseccomp 2.5 exports to an fd only. */
        fd = memfd_create("tank-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else
                r = security_seccomp_export(ctx, fd);
        security_seccomp_free(ctx);
        if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
                r = -errno;
        if (r >= 0)
                r = read_fd_capped(fd, BPF_MAXINSNS * sizeof(struct sock_filter), 0, &data, &size);
        if (r >= 0 && asprintf(&path, "%s/" SECCOMP_FILTER_FILE_NAME, runtime_dir) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_file_atomic(path, data, size, 0644);
        if (r < 0) {
                log_warning_errno(r, "Cannot write the compiled seccomp filter, containers build their own: %m");
                *ret_path = NULL;
                return 0;
        }
        log_debug("Wrote the containers' seccomp filter to %s (%zu instructions).", path,
                  size / sizeof(struct sock_filter));
        *ret_path = TAKE_PTR(path);
        return 0;
}
