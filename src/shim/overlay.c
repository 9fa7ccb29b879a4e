/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>

#include "error-util.h"
#include "fs-type.h"
#include "log.h"
#include "overlay.h"
#include "strv.h"

#define OPTIONS_MAX 4095U  /* mount(2) copies one page of data */

static bool path_ok_for_options(const char *p) {
        return !isempty(p) && !strpbrk(p, ",:\\");
}

int overlay_options(char * const *lower_dirs, const char *upper, const char *work,
                    char **ret_options) {
        _cleanup_free_ char *o = NULL;
        size_t n, len;
        char *p;

        n = strv_length(lower_dirs);
        if (n == 0 || !upper != !work)
                return -EINVAL;

        len = strlen("lowerdir=") + strlen(",index=off,redirect_dir=nofollow,metacopy=off") + 1;
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
        stpcpy(p, ",index=off,redirect_dir=nofollow,metacopy=off");
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
        return error_set(ret_error, r, "cannot mount overlay (%s): %s%s%s", what,
                         strerror(-r), n > 0 ? ": " : "", n > 0 ? buf : "");
}

static int fsconfig_string(int fs_fd, const char *key, const char *value) {
        return RET_NERRNO(fsconfig(fs_fd, FSCONFIG_SET_STRING, key, value, 0));
}

/* fsconfig(FSCONFIG_SET_STRING) copies at most 255 bytes of a value (the kernel's
 * strndup_user(value, 256)), on every kernel with the new mount API: not a page. */
#define FSCONFIG_VALUE_MAX 255U

const char *overlay_mode_to_string(OverlayMode m) {
        switch (m) {
        case OVERLAY_MODE_LOWERDIR_PLUS:
                return "lowerdir+";
        case OVERLAY_MODE_CLASSIC:
                return "classic";
        }
        return "unknown";
}

/* Decided once per process (tank-shim is one process per container), on a context
 * of its own that is then thrown away: one fsopen() and at most two fsconfig()
 * calls, no mount. The legacy fs_context adapter (overlayfs before Linux 6.5)
 * takes ANY key at FSCONFIG_SET_STRING and parses only at FSCONFIG_CMD_CREATE,
 * so an unknown key succeeding means legacy; a native context refuses it with
 * EINVAL and then says by accepting or refusing "lowerdir+" (Linux 6.8) whether
 * layers can be appended one by one. Any doubt ends in the classic way, which
 * works on every kernel. */
int overlay_mode(OverlayMode *ret_mode, char **ret_error) {
        static int cached = -1;
        _cleanup_close_ int fs_fd = -EBADF;
        const char *e;
        bool legacy = false;

        if (cached >= 0) {
                *ret_mode = (OverlayMode) cached;
                return 0;
        }

        e = getenv("TANK_OVERLAY_CLASSIC");
        if (e && streq(e, "1")) {
                log_debug("overlay: TANK_OVERLAY_CLASSIC=1, using one lowerdir string");
                cached = OVERLAY_MODE_CLASSIC;
                *ret_mode = OVERLAY_MODE_CLASSIC;
                return 0;
        }

        fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return error_set(ret_error, -errno, "cannot open overlay file system: %m");
        if (fsconfig_string(fs_fd, "tank-probe", "1") >= 0)
                legacy = true;
        else if (fsconfig_string(fs_fd, "lowerdir+", "/") >= 0)
                cached = OVERLAY_MODE_LOWERDIR_PLUS;
        if (cached < 0)
                cached = OVERLAY_MODE_CLASSIC;
        log_debug("overlay: %s fs_context, configured the %s way", legacy ? "legacy" : "native",
                  overlay_mode_to_string((OverlayMode) cached));
        *ret_mode = (OverlayMode) cached;
        return 0;
}

/* The last steps both ways share. Layers are shared by many overlays at once: no
 * inode index; and no following of redirects or metacopy xattrs. redirect_dir
 * "off" still follows redirects where the kernel is built with
 * OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW (Debian's is), so say "nofollow". */
static int overlay_harden_and_create(int fs_fd, char **ret_error) {
        static const struct {
                const char *key, *value;
        } hardening[] = {
                { "index",        "off"      },
                { "redirect_dir", "nofollow" },
                { "metacopy",     "off"      },
        };
        int r;

        FOREACH_ARRAY(o, hardening, ELEMENTSOF(hardening)) {
                r = fsconfig_string(fs_fd, o->key, o->value);
                if (r < 0)
                        return fs_error(fs_fd, ret_error, r, o->key);
        }
        if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_error(fs_fd, ret_error, -errno, "create");
        return 0;
}

/* "upperdir" and "workdir", as the values given (paths, or fd numbers the classic
 * way). */
static int overlay_set_upper_work(int fs_fd, const char *upper, const char *work, char **ret_error) {
        int r;

        r = fsconfig_string(fs_fd, "upperdir", upper);
        if (r < 0)
                return fs_error(fs_fd, ret_error, r, "upperdir");
        r = fsconfig_string(fs_fd, "workdir", work);
        if (r < 0)
                return fs_error(fs_fd, ret_error, r, "workdir");
        return 0;
}

/* Linux >= 6.8: top layer first, one "lowerdir+" parameter each; no length limit
 * on the list, no escaping, and mountinfo shows the real paths. */
static int overlay_configure_lowerdir_plus(int fs_fd, char * const *lower_dirs, size_t n,
                                           const char *upper, const char *work, char **ret_error) {
        int r;

        for (size_t i = n; i > 0; i--) {
                r = fsconfig_string(fs_fd, "lowerdir+", lower_dirs[i - 1]);
                if (r < 0)
                        return fs_error(fs_fd, ret_error, r, "lowerdir+");
        }
        if (upper) {
                r = overlay_set_upper_work(fs_fd, upper, work, ret_error);
                if (r < 0)
                        return r;
        }
        return overlay_harden_and_create(fs_fd, ret_error);
}

typedef struct FdList {
        int *fds;
        size_t n;
} FdList;

static void fd_list_done(FdList *l) {
        for (size_t i = 0; i < l->n; i++)
                safe_close(l->fds[i]);
        l->fds = mfree(l->fds);
        l->n = 0;
}

/* For error paths only: a failure is then logged at debug level and the error
 * already being returned wins. The success path restores explicitly and fails if
 * it cannot. */
static void restore_cwd(int *fd) {
        if (*fd < 0)
                return;
        if (fchdir(*fd) < 0)
                log_debug_errno(errno, "overlay: cannot return to the previous working directory: %m");
        *fd = safe_close(*fd);
}

/* The number of threads of this process: "Threads:" in /proc/self/status. */
static int process_threads(unsigned *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        f = fopen("/proc/self/status", "re");
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                unsigned n;

                if (sscanf(line, "Threads: %u", &n) == 1) {
                        *ret = n;
                        return 0;
                }
        }
        return ferror(f) ? -EIO : -ENOENT;
}

/* Appends "<sep><fd>" to buf (size FSCONFIG_VALUE_MAX + 1). */
static int append_fd(char *buf, size_t *len, const char *sep, int fd) {
        size_t left = FSCONFIG_VALUE_MAX + 1 - *len;
        int k;

        k = snprintf(buf + *len, left, "%s%d", sep, fd);
        if (k < 0 || (size_t) k >= left)
                return -E2BIG;
        *len += (size_t) k;
        return 0;
}

/* Before Linux 6.8 the whole layer list is ONE "lowerdir" value, and fsconfig()
 * takes at most 255 bytes of it (before 6.5 the legacy adapter also refuses a ','
 * and caps all options together at a page). Absolute layer paths
 * (<data>/layers/sha256/<64 hex>/root) fit only one or two layers in 255 bytes.
 *
 * So every layer (and upper and work) is opened here as an O_PATH directory fd,
 * the process changes its working directory to /proc/self/fd for the duration,
 * and the values are bare fd numbers: "lowerdir=12:11:10", "upperdir=13". Why
 * not /proc/self/fd/N or paths relative to a common parent? Both are longer: 16
 * or ~77 bytes a layer, i.e. 15 or 3 layers in 255 bytes; a bare number is 2-4
 * bytes, so some 80 layers fit. overlayfs resolves the names with kern_path()
 * in the calling task, relative to its cwd, following the magic links to exactly
 * the directories opened here: natively when the value is set (6.5-6.7), at
 * FSCONFIG_CMD_CREATE with the legacy adapter (< 6.5). The fds and the cwd are
 * therefore kept until after CMD_CREATE. The numbers also need no escaping, so
 * paths with ',' ':' or '\\' are no problem. The cost: mountinfo shows the
 * numbers, not the paths (they are logged at debug level).
 *
 * The working directory belongs to the whole process, not to this thread: any
 * other thread resolving a relative path meanwhile would do so in /proc/self/fd.
 * So this refuses (-EBUSY) in a process with more than one thread. The check
 * cannot race: only a thread of this process can create another one, and this
 * is the only one. tank-shim is single-threaded; tankd is not (unpack workers)
 * and must not mount overlays this way. */
static int overlay_configure_classic(int fs_fd, char * const *lower_dirs, size_t n,
                                     const char *upper, const char *work, char **ret_error) {
        _cleanup_(fd_list_done) FdList fds = {};
        _cleanup_(restore_cwd) int old_cwd = -EBADF;
        _cleanup_close_ int proc_fd = -EBADF;
        char lower[FSCONFIG_VALUE_MAX + 1] = "", upper_fd[16], work_fd[16];
        size_t len = 0;
        unsigned threads = 0;
        int r;

        r = process_threads(&threads);
        if (r < 0)
                return error_set(ret_error, r, "cannot count this process's threads in "
                                 "/proc/self/status: %m");
        if (threads != 1)
                return error_set(ret_error, -EBUSY, "cannot mount overlay the classic way (before "
                                 "Linux 6.8) in a process with %u threads: it changes the working "
                                 "directory of the whole process; only a single-threaded process "
                                 "(tank-shim) may", threads);

        fds.fds = malloc(sizeof(int) * (n + 2));
        if (!fds.fds)
                return -ENOMEM;
        for (size_t i = 0; i < n + 2; i++) {
                const char *p = i < n ? lower_dirs[i] : i == n ? upper : work;

                if (!p)
                        break;
                fds.fds[i] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fds.fds[i] < 0)
                        return error_set(ret_error, -errno, "cannot open %s %s: %m",
                                         i < n ? "lowerdir" : i == n ? "upperdir" : "workdir", p);
                fds.n = i + 1;
                log_debug("overlay: %s %s is fd %d", i < n ? "lowerdir" : i == n ? "upperdir" : "workdir",
                          p, fds.fds[i]);
        }

        /* Top layer first. */
        for (size_t i = n; i > 0; i--) {
                r = append_fd(lower, &len, i < n ? ":" : "", fds.fds[i - 1]);
                if (r < 0)
                        return error_set(ret_error, r, "cannot mount overlay: %zu layers do not fit in the "
                                         "%u bytes of one lowerdir value; more need Linux 6.8 or newer",
                                         n, FSCONFIG_VALUE_MAX);
        }

        proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return error_set(ret_error, -errno, "cannot open /proc/self/fd: %m");
        old_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (old_cwd < 0)
                return error_set(ret_error, -errno, "cannot open the working directory: %m");
        if (fchdir(proc_fd) < 0)
                return error_set(ret_error, -errno, "cannot change to /proc/self/fd: %m");

        r = fsconfig_string(fs_fd, "lowerdir", lower);
        if (r < 0)
                return fs_error(fs_fd, ret_error, r, "lowerdir");
        if (upper) {
                snprintf(upper_fd, sizeof(upper_fd), "%d", fds.fds[n]);
                snprintf(work_fd, sizeof(work_fd), "%d", fds.fds[n + 1]);
                r = overlay_set_upper_work(fs_fd, upper_fd, work_fd, ret_error);
                if (r < 0)
                        return r;
        }
        r = overlay_harden_and_create(fs_fd, ret_error);
        if (r < 0)
                return r;

        /* Created: the names are resolved, the caller's cwd comes back now, and
         * not getting it back is this call's failure (callers use relative paths
         * next, e.g. a move_mount() target). */
        if (fchdir(old_cwd) < 0)
                return error_set(ret_error, -errno, "cannot return to the previous working "
                                 "directory after creating the overlay: %m");
        old_cwd = safe_close(old_cwd);
        return 0;
}

int overlay_open(char * const *lower_dirs, const char *upper, const char *work,
                 int *ret_mount_fd, char **ret_error) {
        _cleanup_close_ int fs_fd = -EBADF;
        size_t n = strv_length(lower_dirs);
        OverlayMode mode;
        int r, mnt_fd;

        if (n == 0)
                return error_set(ret_error, -EINVAL, "no lower layers");
        if (!upper != !work)
                return error_set(ret_error, -EINVAL, "upper and work dirs go together");
        if (upper) {
                r = fs_check_overlay_upper(upper, ret_error);
                if (r < 0)
                        return r;
        }

        if (!upper && n == 1) {
                /* overlayfs wants two lowers without an upper: a single read-only
                 * layer is just a read-only bind mount. */
                mnt_fd = open_tree(AT_FDCWD, lower_dirs[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (mnt_fd < 0)
                        return error_set(ret_error, -errno, "cannot bind %s: %m", lower_dirs[0]);
                if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH,
                                  &(struct mount_attr) { .attr_set = MOUNT_ATTR_RDONLY },
                                  sizeof(struct mount_attr)) < 0) {
                        r = -errno;
                        safe_close(mnt_fd);
                        return error_set(ret_error, r, "cannot make %s read-only: %m", lower_dirs[0]);
                }
                *ret_mount_fd = mnt_fd;
                return 0;
        }

        r = overlay_mode(&mode, ret_error);
        if (r < 0)
                return r;

        fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return error_set(ret_error, -errno, "cannot open overlay file system: %m");

        if (mode == OVERLAY_MODE_LOWERDIR_PLUS)
                r = overlay_configure_lowerdir_plus(fs_fd, lower_dirs, n, upper, work, ret_error);
        else
                r = overlay_configure_classic(fs_fd, lower_dirs, n, upper, work, ret_error);
        if (r < 0)
                return r;

        mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, 0);
        if (mnt_fd < 0)
                return fs_error(fs_fd, ret_error, -errno, "fsmount");
        *ret_mount_fd = mnt_fd;
        return 0;
}

int overlay_mount(char * const *lower_dirs, const char *upper, const char *work,
                  const char *target, char **ret_error) {
        _cleanup_close_ int mnt_fd = -EBADF;
        int r;

        r = overlay_open(lower_dirs, upper, work, &mnt_fd, ret_error);
        if (r < 0)
                return r;
        if (move_mount(mnt_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return error_set(ret_error, -errno, "cannot attach overlay at %s: %m", target);
        return 0;
}
