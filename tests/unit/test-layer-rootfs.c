/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Root filesystems: a multi-layer image (deletions, opaque directories,
 * hardlinks, symlinks, setuid files, devices) extracted into the layer store and
 * mounted as overlayfs; the merged tree is compared EXACTLY with a manifest.
 * Also: 1, 2 and 60 layers (more than a page of absolute paths) with and without
 * an upper, configured with "lowerdir+" and forced the classic way (fd numbers),
 * a {"rootfs": dir} lower, refusal of an overlay upper. Needs root; each test
 * runs in its own mount namespace and process (check forks per test, which the
 * per-process overlay mode probe relies on; with CK_FORK=no the tests that
 * force the classic way or start threads are skipped, saying so). The classic
 * way refuses a process with threads, and gives the caller its working
 * directory back. Nothing here needs a kernel newer than Debian 12's 6.1. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check-run.h"
#include "image/layer-tartest.h"
#include "image/layer.h"
#include "fs-type.h"
#include "image/rootfs.h"
#include "shim/overlay.h"
#include "strv.h"

static char base[64];
static char data[512], mnt[512], scratch[512];

static void setup(void) {
        ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        /* A fresh template each time: without fork, setup runs in one process. */
        snprintf(base, sizeof(base), "/tmp/tank-test-rootfs-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(base));
        snprintf(data, sizeof(data), "%s/data", base);
        snprintf(mnt, sizeof(mnt), "%s/mnt", base);
        snprintf(scratch, sizeof(scratch), "%s/data/pods/web/app", base);
        ck_assert_int_eq(mkdir(data, 0700), 0);
        ck_assert_int_eq(mkdir(mnt, 0755), 0);
}

static void teardown(void) {
        char cmd[600];

        ck_assert_int_eq(chdir("/"), 0);
        (void) umount2(mnt, MNT_DETACH);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        ck_assert_int_eq(system(cmd), 0);
}

/* Whether this test has a process of its own (check forks per test), which
 * forcing the classic way needs: the overlay mode is probed once per process, so
 * without fork the first test's mode would be tested again under the wrong name.
 * Threads started by a test must not outlive it either. */
static bool own_process(const char *what) {
        if (check_run_forking)
                return true;
        fprintf(stderr, "layer-rootfs: SKIP %s: check does not fork per test (CK_FORK=no), and the "
                "overlay mode is cached per process\n", what);
        return false;
}

/* Unpacks the layers and returns their root paths, lowest first. */
static char **unpack_layers(const TestEntry *const *layers, size_t n) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        char **dirs = NULL;

        ck_assert_int_eq(layer_store_open(data, &s), 0);
        layer_store_set_sync(s, false);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *diff_id = NULL, *error = NULL;
                char *p;
                int fd;

                test_tar_build(i % 2 ? LAYER_COMPRESSION_GZIP : LAYER_COMPRESSION_ZSTD, layers[i], &fd, &diff_id);
                ck_assert_msg(layer_store_unpack(s, fd, NULL, diff_id, &error) == 0, "layer %zu: %s", i,
                              strempty(error));
                close(fd);
                ck_assert_int_eq(layer_store_root_path(s, diff_id, &p), 0);
                ck_assert_int_eq(strv_consume(&dirs, p), 0);
        }
        return dirs;
}

static void walk(int dir_fd, const char *prefix, char ***lines) {
        DIR *d = fdopendir(dir_fd);
        _cleanup_strv_free_ char **names = NULL;

        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        ck_assert_int_eq(strv_extend(&names, de->d_name), 0);

        STRV_FOREACH(name, names) {
                _cleanup_free_ char *path = NULL, *line = NULL;
                char extra[256] = "";
                struct stat st;

                ck_assert(asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", *name) > 0);
                ck_assert_int_eq(fstatat(dirfd(d), *name, &st, AT_SYMLINK_NOFOLLOW), 0);
                if (S_ISLNK(st.st_mode)) {
                        char t[200] = "";
                        ck_assert_int_gt(readlinkat(dirfd(d), *name, t, sizeof(t) - 1), 0);
                        snprintf(extra, sizeof(extra), " -> %s", t);
                } else if (S_ISREG(st.st_mode)) {
                        char c[64] = "";
                        int fd = openat(dirfd(d), *name, O_RDONLY | O_CLOEXEC);
                        ck_assert_int_ge(fd, 0);
                        ck_assert_int_ge(read(fd, c, sizeof(c) - 1), 0);
                        close(fd);
                        snprintf(extra, sizeof(extra), " links=%ju '%s'", (uintmax_t) st.st_nlink, c);
                } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
                        snprintf(extra, sizeof(extra), " %u,%u", major(st.st_rdev), minor(st.st_rdev));
                ck_assert(asprintf(&line, "%s %o %u:%u%s", path, st.st_mode, st.st_uid, st.st_gid, extra) > 0);
                ck_assert_int_eq(strv_consume(lines, TAKE_PTR(line)), 0);

                if (S_ISDIR(st.st_mode)) {
                        int fd = openat(dirfd(d), *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        ck_assert_int_ge(fd, 0);
                        walk(fd, path, lines);
                }
        }
        closedir(d);
}

static int cmp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static char *manifest(const char *root) {
        _cleanup_strv_free_ char **lines = NULL;
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ck_assert_int_ge(fd, 0);
        walk(fd, "", &lines);
        qsort(lines, strv_length(lines), sizeof(char *), cmp);
        return strv_join(lines, "\n");
}

static const TestEntry layer1[] = {
        { .path = "./", .type = S_IFDIR },
        { .path = "bin/", .type = S_IFDIR },
        { .path = "bin/busybox", .mode = 0755, .content = "BUSYBOX" },
        { .path = "bin/sh", .hardlink = "bin/busybox" },
        { .path = "bin/ls", .hardlink = "bin/busybox" },
        { .path = "etc/", .type = S_IFDIR },
        { .path = "etc/passwd", .content = "root:x:0:0" },
        { .path = "etc/removed", .content = "bye" },
        { .path = "etc/keep", .content = "v1" },
        { .path = "opq/", .type = S_IFDIR },
        { .path = "opq/a", .content = "a" },
        { .path = "opq/sub/", .type = S_IFDIR },
        { .path = "opq/sub/x", .content = "x" },
        { .path = "usr/", .type = S_IFDIR },
        { .path = "usr/bin", .type = S_IFLNK, .link = "../bin" },
        { .path = "usr/suid", .mode = 04755, .content = "s" },
        { .path = "lib", .type = S_IFLNK, .link = "usr/lib" },
        {}
};

static const TestEntry layer2[] = {
        { .path = "etc/", .type = S_IFDIR },
        { .path = "etc/.wh.removed", .content = "" },
        { .path = "etc/keep", .mode = 0600, .uid = 1000, .gid = 1000, .content = "v2" },
        { .path = "opq/", .type = S_IFDIR, .mode = 0700 },
        { .path = "opq/.wh..wh..opq", .content = "" },
        { .path = "opq/c", .content = "c" },
        { .path = ".wh.lib", .content = "" },
        { .path = "lib/", .type = S_IFDIR },
        { .path = "lib/libc.so", .mode = 0755, .content = "libc" },
        { .path = "bin/", .type = S_IFDIR },
        { .path = "bin/su", .mode = 04750, .gid = 10, .content = "su" },
        {}
};

static const TestEntry layer3[] = {
        { .path = "usr/", .type = S_IFDIR },
        { .path = "usr/.wh.suid", .content = "" },
        { .path = "bin/", .type = S_IFDIR },
        { .path = "bin/.wh.sh", .content = "" },
        { .path = "opq/", .type = S_IFDIR, .mode = 0700 },
        { .path = "opq/d", .content = "d" },
        { .path = "var/", .type = S_IFDIR, .mode = 01777 },
        { .path = "var/fifo", .type = S_IFIFO, .mode = 0600 },
        { .path = "dev/", .type = S_IFDIR },
        { .path = "dev/null", .type = S_IFCHR, .mode = 0666, .rdev = (1 << 8) | 3 },  /* makedev(1, 3) */
        {}
};

static const char expected[] =
        "bin 40755 0:0\n"
        "bin/busybox 100755 0:0 links=3 'BUSYBOX'\n"
        "bin/ls 100755 0:0 links=3 'BUSYBOX'\n"
        "bin/su 104750 0:10 links=1 'su'\n"
        "dev 40755 0:0\n"
        "dev/null 20666 0:0 1,3\n"
        "etc 40755 0:0\n"
        "etc/keep 100600 1000:1000 links=1 'v2'\n"
        "etc/passwd 100644 0:0 links=1 'root:x:0:0'\n"
        "lib 40755 0:0\n"
        "lib/libc.so 100755 0:0 links=1 'libc'\n"
        "opq 40700 0:0\n"
        "opq/c 100644 0:0 links=1 'c'\n"
        "opq/d 100644 0:0 links=1 'd'\n"
        "usr 40755 0:0\n"
        "usr/bin 120777 0:0 -> ../bin\n"
        "var 41777 0:0\n"
        "var/fifo 10600 0:0";

START_TEST(test_multi_layer_tree) {
        const TestEntry *const layers[] = { layer1, layer2, layer3 };
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *upper = NULL, *work = NULL, *error = NULL, *m = NULL, *before = NULL,
                            *after = NULL, *p = NULL;
        struct stat st;
        int fd;

        dirs = unpack_layers(layers, ELEMENTSOF(layers));
        ck_assert_int_eq(rootfs_prepare_scratch(scratch, &upper, &work, &error), 0);
        ck_assert_msg(overlay_mount(dirs, upper, work, mnt, &error) == 0, "%s", strempty(error));

        m = manifest(mnt);
        ck_assert_msg(streq(m, expected), "merged tree differs:\n%s\n--- expected:\n%s", m, expected);

        /* Writes go to the container's upper dir, never into a shared layer. */
        before = manifest(dirs[0]);
        ck_assert(asprintf(&p, "%s/etc/new", mnt) > 0);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        close(fd);
        free(p);
        ck_assert(asprintf(&p, "%s/etc/passwd", mnt) > 0);
        ck_assert_int_eq(unlink(p), 0);
        after = manifest(dirs[0]);
        ck_assert_str_eq(before, after);
        free(p);
        ck_assert(asprintf(&p, "%s/etc/new", upper) > 0);
        ck_assert_int_eq(lstat(p, &st), 0);
        free(p);
        ck_assert(asprintf(&p, "%s/etc/passwd", upper) > 0);
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISCHR(st.st_mode));  /* overlayfs' own whiteout */

        /* An overlay cannot host another overlay's upper dir: named clearly. */
        free(error);
        error = NULL;
        ck_assert_int_eq(fs_check_overlay_upper(mnt, &error), -EOPNOTSUPP);
        ck_assert_ptr_nonnull(strstr(error, "overlay"));
        free(error);
        error = NULL;
        free(p);
        ck_assert(asprintf(&p, "%s/pods/x/y", mnt) > 0);
        ck_assert_int_eq(rootfs_prepare_scratch(p, &upper, &work, &error), -EOPNOTSUPP);
        ck_assert_ptr_nonnull(strstr(error, "overlay file system"));
}
END_TEST

/* The super options of the mount at `where` in /proc/self/mountinfo (after " - "
 * fstype source), or NULL. */
static char *mount_super_options(const char *where) {
        _cleanup_fclose_ FILE *f = NULL;
        char *line = NULL, *result = NULL;
        size_t size = 0;

        f = fopen("/proc/self/mountinfo", "re");
        ck_assert_ptr_nonnull(f);
        while (!result && getline(&line, &size, f) > 0) {
                char mp[4096], *dash, *o;

                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || !streq(mp, where))
                        continue;
                dash = strstr(line, " - ");
                ck_assert_ptr_nonnull(dash);
                o = strrchr(dash, ' ');
                ck_assert_ptr_nonnull(o);
                result = strndup(o + 1, strcspn(o + 1, "\n"));
        }
        free(line);
        return result;
}

/* The value of option `key` in a comma-separated option string, or NULL. */
static char *option_value(const char *options, const char *key) {
        size_t k = strlen(key);

        for (const char *p = options; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strneq(p, key, k) && p[k] == '=')
                        return strndup(p + k + 1, strcspn(p + k + 1, ","));
        return NULL;
}

static int count_char(const char *s, char c) {
        int k = 0;

        for (; *s; s++)
                k += *s == c;
        return k;
}

static void read_file(const char *dir, const char *name, char *buf, size_t size) {
        char p[4096];
        ssize_t n;
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "open %s: %m", p);
        n = read(fd, buf, size - 1);
        ck_assert_int_ge(n, 0);
        buf[n] = 0;
        close(fd);
}

/* 1, 2 and 60 layers, with and without an upper, in both ways of configuring
 * overlay: _i % 2 == 0 as this kernel allows (lowerdir+ on >= 6.8; the classic
 * string before), _i % 2 == 1 forced classic with TANK_OVERLAY_CLASSIC=1. The
 * mode is probed once per process, so this relies on check forking per test.
 * The layers come from the real layer store: <data>/layers/sha256/<64 hex>/root,
 * about 120 bytes each, so 60 absolute paths would not even fit a page. */
START_TEST(test_overlay_matrix) {
        static const unsigned counts[] = { 1, 2, 60 };
        enum { N_MAX = 60 };
        const unsigned n = counts[_i / 4];
        const bool with_upper = (_i / 2) % 2, forced = _i % 2;
        TestEntry entries[N_MAX][3] = {};
        const TestEntry *layers[N_MAX];
        char names[N_MAX][24], contents[N_MAX][24], buf[64];
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *upper = NULL, *work = NULL, *error = NULL, *opts = NULL, *super = NULL,
                            *lower_value = NULL, *p = NULL, *redirect = NULL;
        _cleanup_free_ char *cwd_before = NULL, *cwd_after = NULL;
        OverlayMode mode;
        char what[64];
        int fd;

        snprintf(what, sizeof(what), "test_overlay_matrix:%d (forced classic)", _i);
        if (forced && !own_process(what))
                return;
        if (forced)
                ck_assert_int_eq(setenv("TANK_OVERLAY_CLASSIC", "1", 1), 0);
        else
                ck_assert_int_eq(unsetenv("TANK_OVERLAY_CLASSIC"), 0);
        ck_assert_int_eq(overlay_mode(&mode, &error), 0);
        if (forced)
                ck_assert_int_eq(mode, OVERLAY_MODE_CLASSIC);
        else if (n == 1 && !with_upper)
                fprintf(stderr, "layer-rootfs: this kernel configures overlay the %s way\n",
                        overlay_mode_to_string(mode));

        for (unsigned i = 0; i < n; i++) {
                snprintf(names[i], sizeof(names[i]), "f%02u", i);
                snprintf(contents[i], sizeof(contents[i]), "layer %02u", i);
                entries[i][0] = (TestEntry) { .path = names[i], .content = names[i] };
                entries[i][1] = (TestEntry) { .path = "shared", .content = contents[i] };
                layers[i] = entries[i];
        }
        dirs = unpack_layers(layers, n);
        ck_assert_ptr_nonnull(strstr(dirs[0], "/layers/sha256/"));
        if (with_upper)
                ck_assert_int_eq(rootfs_prepare_scratch(scratch, &upper, &work, &error), 0);
        if (n == 60)
                /* Absolute paths: more than a page, let alone fsconfig's 255 bytes. */
                ck_assert_int_eq(overlay_options(dirs, upper, work, &opts), -E2BIG);

        /* A relative target, as src/image/layer-tool's may be: the classic way's
         * detour through /proc/self/fd is over before move_mount(), and the
         * caller's working directory is its own again afterwards. */
        ck_assert_int_eq(chdir(base), 0);
        cwd_before = getcwd(NULL, 0);
        ck_assert_ptr_nonnull(cwd_before);
        ck_assert_msg(overlay_mount(dirs, upper, work, "mnt", &error) == 0, "%s", strempty(error));
        cwd_after = getcwd(NULL, 0);
        ck_assert_ptr_nonnull(cwd_after);
        ck_assert_str_eq(cwd_after, cwd_before);

        /* Every layer contributes its file; the top layer wins the shared name. */
        for (unsigned i = 0; i < n; i++) {
                read_file(mnt, names[i], buf, sizeof(buf));
                ck_assert_str_eq(buf, names[i]);
        }
        read_file(mnt, "shared", buf, sizeof(buf));
        ck_assert_str_eq(buf, contents[n - 1]);

        /* Which way the kernel was told: the classic value is bare fd numbers,
         * short enough for fsconfig; lowerdir+ shows the real paths. */
        if (n > 1 || with_upper) {
                super = mount_super_options(mnt);
                ck_assert_ptr_nonnull(super);
                if (mode == OVERLAY_MODE_CLASSIC) {
                        lower_value = option_value(super, "lowerdir");
                        ck_assert_msg(lower_value, "no lowerdir in %.200s", super);
                        ck_assert_msg(!strchr(lower_value, '/'), "not the fd form: %.200s", lower_value);
                        ck_assert_int_lt(strlen(lower_value), 256);
                        ck_assert_int_eq(count_char(lower_value, ':'), n - 1);
                        ck_assert(!strstr(super, "/layers/sha256/"));
                } else
                        ck_assert_msg(strstr(super, dirs[n - 1]), "top layer %s not in %.200s", dirs[n - 1],
                                      super);
                /* Redirects are never followed ("off" follows them on kernels
                 * built to; shown only where it differs from the default). */
                redirect = option_value(super, "redirect_dir");
                ck_assert_msg(!redirect || streq(redirect, "nofollow"), "redirect_dir=%s", redirect);
        }

        /* Writes land in the upper dir and never in a layer; without one, EROFS. */
        ck_assert(asprintf(&p, "%s/shared", mnt) > 0);
        fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (!with_upper) {
                ck_assert_int_lt(fd, 0);
                ck_assert_int_eq(errno, EROFS);
        } else {
                ck_assert_int_ge(fd, 0);
                ck_assert_int_eq(write(fd, "written", 7), 7);
                close(fd);
                read_file(mnt, "shared", buf, sizeof(buf));
                ck_assert_str_eq(buf, "written");
                read_file(upper, "shared", buf, sizeof(buf));
                ck_assert_str_eq(buf, "written");
                read_file(dirs[n - 1], "shared", buf, sizeof(buf));
                ck_assert_str_eq(buf, contents[n - 1]);
        }
}
END_TEST

/* Forces the classic way in this test's process (false: skip, see
 * own_process()). */
static bool force_classic(const char *what) {
        _cleanup_free_ char *error = NULL;
        OverlayMode mode;

        if (!own_process(what))
                return false;
        ck_assert_int_eq(setenv("TANK_OVERLAY_CLASSIC", "1", 1), 0);
        ck_assert_int_eq(overlay_mode(&mode, &error), 0);
        ck_assert_int_eq(mode, OVERLAY_MODE_CLASSIC);
        return true;
}

/* n empty directories below base, as lower layers. */
static char **empty_dirs(unsigned n) {
        char **dirs = NULL;

        for (unsigned i = 0; i < n; i++) {
                char *d;

                ck_assert(asprintf(&d, "%s/l%03u", base, i) > 0);
                ck_assert_int_eq(mkdir(d, 0755), 0);
                ck_assert_int_eq(strv_consume(&dirs, d), 0);
        }
        return dirs;
}

/* The classic value has room for some 80 layers of fd numbers; beyond that the
 * error says what is needed instead of a bare EINVAL from the kernel. */
START_TEST(test_classic_too_many_layers) {
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *error = NULL;

        if (!force_classic("test_classic_too_many_layers"))
                return;
        dirs = empty_dirs(150);
        ck_assert_int_eq(overlay_mount(dirs, NULL, NULL, mnt, &error), -E2BIG);
        ck_assert_msg(strstr(error, "150 layers") && strstr(error, "Linux 6.8"), "%s", error);
}
END_TEST

static void *sleeper(void *arg) {
        (void) arg;
        for (;;)
                pause();
        return NULL;
}

/* The classic way changes the working directory of the whole process: with a
 * second thread (tankd has unpack workers) it refuses with -EBUSY and says why,
 * before anything is changed. */
START_TEST(test_classic_refuses_threads) {
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *error = NULL, *cwd_before = NULL, *cwd_after = NULL;
        pthread_t t;

        if (!force_classic("test_classic_refuses_threads"))
                return;
        dirs = empty_dirs(2);
        cwd_before = getcwd(NULL, 0);
        ck_assert_ptr_nonnull(cwd_before);

        ck_assert_int_eq(pthread_create(&t, NULL, sleeper, NULL), 0);
        ck_assert_int_eq(overlay_mount(dirs, NULL, NULL, mnt, &error), -EBUSY);
        ck_assert_msg(error && strstr(error, "2 threads") && strstr(error, "working directory"), "%s",
                      strempty(error));
        cwd_after = getcwd(NULL, 0);
        ck_assert_ptr_nonnull(cwd_after);
        ck_assert_str_eq(cwd_after, cwd_before);
        ck_assert(!mount_super_options(mnt));
        /* The sleeper ends with this test's process. */
}
END_TEST

START_TEST(test_rootfs_dir_and_options) {
        _cleanup_free_ char *upper = NULL, *work = NULL, *error = NULL, *opts = NULL, *lower = NULL, *p = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        char *l2[] = { (char *) "/a", (char *) "/b", NULL }, *bad[] = { (char *) "/a:b", NULL };
        int fd;

        ck_assert_int_eq(overlay_options(l2, "/u", "/w", &opts), 0);
        ck_assert_str_eq(opts, "lowerdir=/b:/a,upperdir=/u,workdir=/w,index=off,redirect_dir=nofollow,metacopy=off");
        ck_assert_int_eq(overlay_options(bad, "/u", "/w", &opts), -EINVAL);
        ck_assert_int_eq(overlay_options(l2, "/u", NULL, &opts), -EINVAL);

        /* {"rootfs": "/path"}: the directory is the single, never written lower. */
        ck_assert(asprintf(&lower, "%s/myroot", base) > 0);
        ck_assert_int_eq(mkdir(lower, 0755), 0);
        ck_assert(asprintf(&p, "%s/hello", lower) > 0);
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_int_eq(strv_extend(&dirs, lower), 0);
        ck_assert_int_eq(rootfs_prepare_scratch(scratch, &upper, &work, &error), 0);
        ck_assert_msg(overlay_mount(dirs, upper, work, mnt, &error) == 0, "%s", strempty(error));
        free(p);
        ck_assert(asprintf(&p, "%s/hello", mnt) > 0);
        ck_assert_int_eq(unlink(p), 0);
        free(p);
        ck_assert(asprintf(&p, "%s/hello", lower) > 0);
        ck_assert_int_eq(access(p, F_OK), 0);

        /* Read-only overlay without upper. */
        ck_assert_int_eq(umount2(mnt, 0), 0);
        ck_assert_msg(overlay_mount(dirs, NULL, NULL, mnt, &error) == 0, "%s", strempty(error));
        free(p);
        ck_assert(asprintf(&p, "%s/hello", mnt) > 0);
        ck_assert_int_eq(unlink(p), -1);
        ck_assert_int_eq(errno, EROFS);

        /* Missing lower: the kernel's reason comes back. */
        ck_assert_int_eq(umount2(mnt, 0), 0);
        free(dirs[0]);
        dirs[0] = strdup("/nonexistent/tank");
        ck_assert_int_lt(overlay_mount(dirs, upper, work, mnt, &error), 0);
        ck_assert_ptr_nonnull(strstr(error, "lowerdir"));
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("layer-rootfs");
        TCase *tc = tcase_create("overlay");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_multi_layer_tree);
        tcase_add_loop_test(tc, test_overlay_matrix, 0, 12);
        tcase_add_test(tc, test_classic_too_many_layers);
        tcase_add_test(tc, test_classic_refuses_threads);
        tcase_add_test(tc, test_rootfs_dir_and_options);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
