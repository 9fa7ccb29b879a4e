/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Our helpers (tank-shim, tank-exec) only ever run from sealed memfd copies of
 * their binaries. CVE-2019-5736: a process in a container could otherwise open
 * a runtime binary through /proc/<pid>/exe and rewrite it. A sealed memfd can
 * be neither written nor resized, and the file on disk is never reachable.
 *
 * tankd keeps one copy per helper (SealedExe), made once and made again only
 * when the file on disk changes (an upgrade), and starts the helper with
 * posix_spawn(): no per-start copy, no second exec, and no copy of tankd's
 * page tables (vfork semantics). A helper started any other way copies and
 * re-executes itself first (sealed_reexec()). */

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Copy the whole regular file behind fd into a new sealed memfd named name. */
int sealed_copy(int fd, const char *name, int *ret_memfd);

/* Is fd a memfd with every write seal? */
bool fd_is_sealed(int fd);

/* In a helper's main(): 0 if this process already runs from a sealed copy;
 * otherwise it re-executes itself from one (fds without O_CLOEXEC survive),
 * and only returns on failure (negative errno). */
int sealed_reexec(const char *name, char **argv);

typedef struct SealedExe {
        char *path;
        int fd;                 /* the sealed copy, or -EBADF before the first use */
        dev_t dev;              /* identity of the file it was copied from */
        ino_t ino;
        off_t size;
        struct timespec mtime;
} SealedExe;

#define SEALED_EXE_NULL { .fd = -EBADF }

int sealed_exe_init(SealedExe *e, const char *path);
void sealed_exe_done(SealedExe *e);

/* Start argv from the sealed copy of e->path (made or refreshed as needed),
 * with fds[i] as the child's fd 3+i and every other fd above 2 closed, an
 * empty signal mask and default signal dispositions. The child is our child:
 * the caller reaps it. */
int sealed_exe_spawn(SealedExe *e, char **argv, const int *fds, size_t n_fds, pid_t *ret_pid);
/* The sealed copy itself (made or refreshed as needed), still e's: for a
 * process that starts it elsewhere (fexecve). */
int sealed_exe_fd(SealedExe *e);
