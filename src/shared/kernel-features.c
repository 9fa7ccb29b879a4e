/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "kernel-features.h"
#include "log.h"
#include "macro.h"

/* A call the kernel refused for a reason other than not knowing it. */
static bool known(int r) {
        return r >= 0 || errno != ENOSYS;
}

/* Invalid flags: refused (EINVAL, or EPERM without CAP_SYS_ADMIN) before any
 * name is looked up, so no file system module is requested. */
static bool probe_fsopen(void) {
        int fd = fsopen("tank-probe", 0x80000000U);

        if (fd >= 0)
                safe_close(fd);
        return known(fd);
}

static bool probe_fsconfig(void) {
        return known(fsconfig(-EBADF, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
}

static bool probe_fsmount(void) {
        return known(fsmount(-EBADF, 0, 0));
}

static bool probe_move_mount(void) {
        return known(move_mount(-EBADF, "", -EBADF, "", 0x80000000U));
}

static bool probe_open_tree(void) {
        return known(open_tree(-EBADF, "", 0x80000000U));
}

static bool probe_pidfd_open(void) {
        return known((int) syscall(SYS_pidfd_open, 0, 0));   /* pid 0: EINVAL */
}

static bool probe_openat2(void) {
        return known((int) syscall(SYS_openat2, -EBADF, "", NULL, 0));   /* size 0: EINVAL */
}

/* close_range() is 5.9, its CLOSE_RANGE_CLOEXEC flag (what Tank uses) 5.11: a
 * range above every open fd changes nothing where the flag is known and is
 * EINVAL where it is not. */
static bool probe_close_range_cloexec(void) {
        return close_range(~0U - 1, ~0U, CLOSE_RANGE_CLOEXEC) >= 0 || (errno != ENOSYS && errno != EINVAL);
}

static bool probe_mount_setattr(void) {
        struct mount_attr a = {};

        return known(mount_setattr(-EBADF, "", 0x80000000U, &a, sizeof(a)));
}

static bool probe_memfd_seals(void) {
        _cleanup_close_ int fd = -EBADF;

        fd = memfd_create("tank-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return errno != ENOSYS && errno != EINVAL;
        return fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) >= 0;
}

/* Where no pty can be opened here (no /dev/ptmx), nothing can be said: counted
 * as present; the shim then fails with its own message. */
static bool probe_tiocgptpeer(void) {
        _cleanup_close_ int master = -EBADF, peer = -EBADF;

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || unlockpt(master) < 0) {
                log_debug_errno(errno, "kernel-features: cannot open a pty to probe TIOCGPTPEER: %m");
                return true;
        }
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        return peer >= 0 || (errno != ENOTTY && errno != EINVAL);
}

const KernelFeature kernel_features[] = {
        { "memfd_create() with file seals",    "3.17", probe_memfd_seals },
        { "the TIOCGPTPEER ioctl",              "4.13", probe_tiocgptpeer },
        { "fsopen()",                           "5.2",  probe_fsopen },
        { "fsconfig()",                         "5.2",  probe_fsconfig },
        { "fsmount()",                          "5.2",  probe_fsmount },
        { "move_mount()",                       "5.2",  probe_move_mount },
        { "open_tree()",                        "5.2",  probe_open_tree },
        { "pidfd_open()",                       "5.3",  probe_pidfd_open },
        { "openat2()",                          "5.6",  probe_openat2 },
        { "close_range(CLOSE_RANGE_CLOEXEC)",   "5.11", probe_close_range_cloexec },
        { "mount_setattr()",                    "5.12", probe_mount_setattr },
};
const size_t kernel_features_count = ELEMENTSOF(kernel_features);

const KernelFeature *kernel_features_first_missing(const KernelFeature *table, size_t n) {
        FOREACH_ARRAY(f, table, n)
                if (!f->probe()) {
                        log_debug("kernel-features: %s (Linux %s) is missing", f->name, f->since);
                        return f;
                }
        return NULL;
}

int kernel_feature_missing_message(const KernelFeature *f, const char *release, char **ret_message) {
        char *m;

        if (asprintf(&m, "this kernel (%s) lacks %s (Linux %s); Tank needs Linux " KERNEL_MINIMUM_VERSION
                     " or newer", strempty(release), f->name, f->since) < 0)
                return -ENOMEM;
        *ret_message = m;
        return 0;
}

int kernel_features_check(const KernelFeature *table, size_t n, char **ret_error) {
        const KernelFeature *missing;
        struct utsname u = {};
        int r;

        if (!table) {
                table = kernel_features;
                n = kernel_features_count;
        }
        missing = kernel_features_first_missing(table, n);
        if (!missing)
                return 0;

        (void) uname(&u);
        if (ret_error) {
                r = kernel_feature_missing_message(missing, u.release, ret_error);
                if (r < 0)
                        return r;
        }
        return -EOPNOTSUPP;
}
