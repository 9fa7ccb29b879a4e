/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "macro.h"
#include "sealed-exec.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int sealed_copy(int fd, const char *name, int *ret_memfd) {
        _cleanup_close_ int mfd = -EBADF;
        struct stat st;
        off_t done = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return -errno;
        while (done < st.st_size) {
                /* pread-style offset: the caller's file position is left alone. */
                ssize_t n = sendfile(mfd, fd, &done, (size_t) (st.st_size - done));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;   /* it shrank while we copied */
        }
        if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
                return -errno;
        *ret_memfd = TAKE_FD(mfd);
        return 0;
}

bool fd_is_sealed(int fd) {
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & SEALS) == SEALS;
}

int sealed_reexec(const char *name, char **argv) {
        _cleanup_close_ int self = -EBADF, mfd = -EBADF;
        int r;

        self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return -errno;
        if (fd_is_sealed(self)) {
                /* Spawned through /proc/…/fd/N, our name would be "N". */
                (void) prctl(PR_SET_NAME, (unsigned long) name, 0, 0, 0);
                return 0;
        }
        r = sealed_copy(self, name, &mfd);
        if (r < 0)
                return r;
        fexecve(mfd, argv, environ);
        return -errno;
}

int sealed_exe_init(SealedExe *e, const char *path) {
        *e = (SealedExe) SEALED_EXE_NULL;
        e->path = strdup(path);
        return e->path ? 0 : -ENOMEM;
}

void sealed_exe_done(SealedExe *e) {
        if (!e)
                return;
        e->path = mfree(e->path);
        e->fd = safe_close(e->fd);
}

static int sealed_exe_refresh(SealedExe *e) {
        _cleanup_close_ int fd = -EBADF, mfd = -EBADF;
        const char *name;
        struct stat st;
        int r;

        if (stat(e->path, &st) < 0)
                return -errno;
        if (e->fd >= 0 && st.st_dev == e->dev && st.st_ino == e->ino && st.st_size == e->size &&
            st.st_mtim.tv_sec == e->mtime.tv_sec && st.st_mtim.tv_nsec == e->mtime.tv_nsec)
                return 0;
        fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* Identify what we copy, not what the path named a moment ago. */
        if (fstat(fd, &st) < 0)
                return -errno;
        name = strrchr(e->path, '/');
        r = sealed_copy(fd, name ? name + 1 : e->path, &mfd);
        if (r < 0)
                return r;
        safe_close(e->fd);
        e->fd = TAKE_FD(mfd);
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        e->size = st.st_size;
        e->mtime = st.st_mtim;
        return 0;
}

int sealed_exe_fd(SealedExe *e) {
        int r = sealed_exe_refresh(e);
        return r < 0 ? r : e->fd;
}

int sealed_exe_spawn(SealedExe *e, char **argv, const int *fds, size_t n_fds, pid_t *ret_pid) {
        int high[8] = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF, -EBADF };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        char exe[64];
        sigset_t none, all;
        pid_t pid;
        int r;

        if (n_fds > ELEMENTSOF(high))
                return -E2BIG;
        r = sealed_exe_refresh(e);
        if (r < 0)
                return r;
        /* The child opens the copy through our fd table (posix_spawn does not
         * share it), so the copy's fd need not reach the child at all. */
        snprintf(exe, sizeof exe, "/proc/%d/fd/%d", (int) getpid(), e->fd);

        /* Out of the way of the targets 3..3+n-1 first, so no dup2 clobbers a
         * source that is still to be placed. */
        for (size_t i = 0; i < n_fds; i++) {
                high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, (int) (3 + n_fds));
                if (high[i] < 0) {
                        r = -errno;
                        goto finish;
                }
        }

        r = -posix_spawn_file_actions_init(&fa);
        if (r < 0)
                goto finish;
        r = -posix_spawnattr_init(&attr);
        if (r < 0) {
                posix_spawn_file_actions_destroy(&fa);
                goto finish;
        }
        /* dup2() onto a different number clears O_CLOEXEC on the target. */
        for (size_t i = 0; i < n_fds && r >= 0; i++)
                r = -posix_spawn_file_actions_adddup2(&fa, high[i], (int) (3 + i));
        if (r >= 0)
                r = -posix_spawn_file_actions_addclosefrom_np(&fa, (int) (3 + n_fds));
        sigemptyset(&none);
        sigfillset(&all);
        if (r >= 0)
                r = -posix_spawnattr_setsigmask(&attr, &none);
        if (r >= 0)
                r = -posix_spawnattr_setsigdefault(&attr, &all);
        if (r >= 0)
                r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r >= 0)
                r = -posix_spawn(&pid, exe, &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        if (r >= 0)
                *ret_pid = pid;
finish:
        for (size_t i = 0; i < n_fds; i++)
                safe_close(high[i]);
        return r;
}
