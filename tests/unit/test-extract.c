/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Layer extraction: hostile archives are refused with the entry's name or
 * neutralised, and nothing outside the layer is ever touched (a canary file and
 * directory outside are checked after every case); whiteouts; metadata. Runs as
 * root for owners, device nodes and trusted.* xattrs. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "check-run.h"
#include "image/layer-tartest.h"
#include "image/layer.h"
#include "image/pull.h"
#include "strv.h"

static char base[] = "/tmp/tank-test-extract-XXXXXX";
static char data[512], outside[512], canary[512], layers[512];
static struct stat canary_st;

static void write_file(const char *p, const char *content, mode_t mode) {
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        close(fd);
}

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(base));
        snprintf(data, sizeof(data), "%s/data", base);
        snprintf(outside, sizeof(outside), "%s/outside", base);
        snprintf(canary, sizeof(canary), "%s/outside/canary", base);
        snprintf(layers, sizeof(layers), "%s/data/layers/sha256", base);
        ck_assert_int_eq(mkdir(data, 0700), 0);
        ck_assert_int_eq(mkdir(outside, 0755), 0);
        write_file(canary, "canary", 0644);
        ck_assert_int_eq(utimensat(AT_FDCWD, canary, (struct timespec[2]) { { 12345, 0 }, { 12345, 0 } }, 0), 0);
        ck_assert_int_eq(stat(canary, &canary_st), 0);
}

static void teardown(void) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        ck_assert_int_eq(system(cmd), 0);
}

static size_t count_entries(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    (!prefix || startswith(de->d_name, prefix)))
                        n++;
        closedir(d);
        return n;
}

/* The canary and its directory are exactly as set up. */
static void assert_outside_untouched(void) {
        struct stat st;
        char buf[64] = "";
        int fd;

        ck_assert_int_eq(lstat(canary, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
        ck_assert_uint_eq(st.st_mode, canary_st.st_mode);
        ck_assert_uint_eq(st.st_uid, canary_st.st_uid);
        ck_assert_uint_eq(st.st_gid, canary_st.st_gid);
        ck_assert_uint_eq(st.st_nlink, 1);
        ck_assert_int_eq(st.st_mtim.tv_sec, 12345);
        ck_assert_int_eq(st.st_ino, canary_st.st_ino);
        fd = open(canary, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 6);
        close(fd);
        ck_assert_str_eq(buf, "canary");
        ck_assert_int_eq(getxattr(canary, "user.evil", buf, sizeof(buf)), -1);
        ck_assert_uint_eq(count_entries(outside, NULL), 1);
        ck_assert_int_eq(lstat(outside, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFDIR | 0755);
        ck_assert_uint_eq(st.st_uid, 0);
}

static int unpack(const TestEntry *entries, LayerCompression c, const char *media_type,
                  char **ret_diff_id, char **ret_error) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        char *diff_id = NULL;
        int fd, r;

        test_tar_build(c, entries, &fd, &diff_id);
        ck_assert_int_eq(layer_store_open(data, &s), 0);
        layer_store_set_sync(s, false);
        r = layer_store_unpack(s, fd, media_type, diff_id, ret_error);
        if (r < 0 && ret_error)
                fprintf(stderr, "unpack: %s\n", strempty(*ret_error));
        close(fd);
        if (ret_diff_id)
                *ret_diff_id = diff_id;
        else
                free(diff_id);
        return r;
}

/* Refused, message names the entry, nothing outside touched, nothing left. */
static void assert_refused(const TestEntry *entries, const char *entry, const char *why) {
        _cleanup_free_ char *error = NULL, *diff_id = NULL, *expect = NULL;
        int r;

        r = unpack(entries, LAYER_COMPRESSION_NONE, NULL, &diff_id, &error);
        ck_assert_msg(r < 0, "layer with '%s' was accepted", entry);
        ck_assert_ptr_nonnull(error);
        ck_assert(asprintf(&expect, "layer entry '%s", entry) > 0);
        ck_assert_msg(strstr(error, expect), "error '%s' does not name '%s'", error, entry);
        if (why)
                ck_assert_msg(strstr(error, why), "error '%s' lacks '%s'", error, why);
        assert_outside_untouched();
        ck_assert_uint_eq(count_entries(layers, NULL), 0);
}

static char *layer_path(const char *diff_id, const char *rel) {
        char *p;
        ck_assert(asprintf(&p, "%s/%s/root/%s", layers, diff_id + 7, rel) > 0);
        return p;
}


START_TEST(test_dotdot) {
        assert_refused((TestEntry[]) { { .path = "a/../../outside/canary", .content = "x" }, {} },
                       "a/../../outside/canary", "'..'");
        assert_refused((TestEntry[]) { { .path = "..", .type = S_IFDIR }, {} }, "../'", "'..'");
}
END_TEST

START_TEST(test_absolute) {
        assert_refused((TestEntry[]) { { .path = canary, .content = "x" }, {} }, canary, "absolute");
}
END_TEST

START_TEST(test_symlinked_parent) {
        assert_refused((TestEntry[]) {
                { .path = "evil", .type = S_IFLNK, .link = outside },
                { .path = "evil/canary", .content = "pwned" }, {} },
                "evil/canary", "symlink");
        assert_refused((TestEntry[]) {
                { .path = "evil", .type = S_IFLNK, .link = "../../../../../outside" },
                { .path = "evil/new", .content = "pwned" }, {} },
                "evil/new", "symlink");
        /* A symlink deeper in the parent chain. */
        assert_refused((TestEntry[]) {
                { .path = "a/b", .type = S_IFLNK, .link = outside },
                { .path = "a/b/c/d", .type = S_IFDIR }, {} },
                "a/b/c/d", "symlink");
}
END_TEST

START_TEST(test_symlink_dot) {
        /* umoci CVE-2021-29136 */
        assert_refused((TestEntry[]) {
                { .path = ".", .type = S_IFLNK, .link = outside },
                { .path = "canary", .content = "pwned" }, {} },
                ".", "layer root");
        assert_refused((TestEntry[]) { { .path = "./", .type = S_IFLNK, .link = outside }, {} },
                       "./", "layer root");
        assert_refused((TestEntry[]) { { .path = "a/..", .type = S_IFLNK, .link = outside }, {} },
                       "a/..", "'..'");
        assert_refused((TestEntry[]) { { .path = ".", .content = "x" }, {} }, ".", "layer root");
}
END_TEST

START_TEST(test_hardlink_outside) {
        assert_refused((TestEntry[]) { { .path = "h", .hardlink = "../outside/canary" }, {} },
                       "h", "'..'");
        assert_refused((TestEntry[]) { { .path = "h", .hardlink = canary }, {} }, "h", "absolute");
        assert_refused((TestEntry[]) {
                { .path = "evil", .type = S_IFLNK, .link = outside },
                { .path = "h", .hardlink = "evil/canary" }, {} },
                "h", "symlink");
        assert_refused((TestEntry[]) {
                { .path = "d", .type = S_IFDIR },
                { .path = "h", .hardlink = "d" }, {} },
                "h", "directory");
        assert_refused((TestEntry[]) { { .path = "h", .hardlink = "missing" }, {} }, "h", NULL);
}
END_TEST

START_TEST(test_hardlink_to_outside_symlink) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *h = NULL;
        char target[PATH_MAX] = "";
        struct stat st;

        /* Linking a symlink links the symlink itself; writing "h" afterwards
         * replaces the link, never writes through it. */
        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "s", .type = S_IFLNK, .link = canary },
                { .path = "h", .hardlink = "s" },
                { .path = "h2", .hardlink = "s" },
                { .path = "h2", .content = "pwned", .mode = 04777 }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        assert_outside_untouched();
        h = layer_path(diff_id, "h");
        ck_assert_int_eq(lstat(h, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        ck_assert_int_eq(st.st_nlink, 2);
        ck_assert_int_gt(readlink(h, target, sizeof(target) - 1), 0);
        ck_assert_str_eq(target, canary);
}
END_TEST

START_TEST(test_metadata_through_symlink) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL;
        struct stat st;

        /* containerd CVE-2021-32760: chmod/chown/xattr/utimes on an entry whose
         * name is a symlink must not follow it. */
        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "f", .type = S_IFLNK, .link = canary },
                { .path = "f", .type = S_IFDIR, .mode = 04777, .uid = 1234, .gid = 1234,
                  .xattr_name = "user.evil", .xattr_value = "x", .mtime = 99 },
                { .path = "g", .type = S_IFLNK, .link = canary },
                { .path = "g", .content = "", .mode = 04777, .uid = 1234, .mtime = 99 },
                { .path = "k", .type = S_IFLNK, .link = outside },
                { .path = "k", .type = S_IFIFO, .mode = 0777, .uid = 1234 },
                { .path = "l", .type = S_IFLNK, .link = outside, .uid = 1234, .mtime = 99 }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        assert_outside_untouched();
        p = layer_path(diff_id, "f");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_uint_eq(st.st_mode & 07777, 04777);
        ck_assert_uint_eq(st.st_uid, 1234);
        free(p);
        p = layer_path(diff_id, "l");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        ck_assert_uint_eq(st.st_uid, 1234);
        ck_assert_int_eq(st.st_mtim.tv_sec, 99);
}
END_TEST

START_TEST(test_dev_symlink) {
        assert_refused((TestEntry[]) {
                { .path = "dev", .type = S_IFLNK, .link = "/dev" },
                { .path = "dev/tank-evil", .type = S_IFCHR, .rdev = makedev(1, 3) }, {} },
                "dev/tank-evil", "symlink");
        assert_refused((TestEntry[]) {
                { .path = "dev", .type = S_IFLNK, .link = outside },
                { .path = "dev/shm/x", .content = "x" }, {} },
                "dev/shm/x", "symlink");
        ck_assert_int_eq(access("/dev/tank-evil", F_OK), -1);
}
END_TEST

START_TEST(test_dir_replaced_by_symlink) {
        assert_refused((TestEntry[]) {
                { .path = "a", .type = S_IFDIR },
                { .path = "a/x", .content = "x" },
                { .path = "a", .type = S_IFLNK, .link = outside },
                { .path = "a/canary", .content = "pwned" }, {} },
                "a/canary", "symlink");
        /* Same with the parent cached from the previous entry in the same dir. */
        assert_refused((TestEntry[]) {
                { .path = "a/b/x", .content = "x" },
                { .path = "a/b", .type = S_IFLNK, .link = outside },
                { .path = "a/b/canary", .content = "pwned" }, {} },
                "a/b/canary", "symlink");
        assert_refused((TestEntry[]) {
                { .path = "a/b/x", .content = "x" },
                { .path = "a", .type = S_IFLNK, .link = outside },
                { .path = "a/b/canary", .content = "pwned" }, {} },
                "a/b/canary", "symlink");
}
END_TEST

START_TEST(test_device_nodes) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL, *q = NULL;
        struct stat st;

        /* Created (inert in a layer dir), never opened: /dev/kmsg would block a
         * read and a disk would be written by an open O_TRUNC. */
        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "dev/null", .type = S_IFCHR, .mode = 0666, .rdev = makedev(1, 3) },
                { .path = "dev/sda", .type = S_IFBLK, .mode = 0660, .gid = 6, .rdev = makedev(8, 0) },
                { .path = "dev/sda", .type = S_IFBLK, .mode = 0600, .rdev = makedev(8, 0), .content = "x" },
                { .path = "fifo", .type = S_IFIFO, .mode = 0640 }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        p = layer_path(diff_id, "dev/null");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISCHR(st.st_mode));
        ck_assert_uint_eq(st.st_mode & 07777, 0666);
        ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
        q = layer_path(diff_id, "dev/sda");
        ck_assert_int_eq(lstat(q, &st), 0);
        ck_assert(S_ISBLK(st.st_mode));
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        assert_outside_untouched();
}
END_TEST

START_TEST(test_bad_whiteouts) {
        assert_refused((TestEntry[]) { { .path = ".wh.", .content = "" }, {} }, ".wh.", "whiteout");
        assert_refused((TestEntry[]) { { .path = "a/.wh..", .content = "" }, {} }, "a/.wh..", "whiteout");
        assert_refused((TestEntry[]) { { .path = "a/.wh...", .content = "" }, {} }, "a/.wh...", "whiteout");
        assert_refused((TestEntry[]) { { .path = ".wh.a/b", .content = "" }, {} }, ".wh.a/b", "whiteout");
}
END_TEST

START_TEST(test_overlay_xattrs) {
        assert_refused((TestEntry[]) {
                { .path = "d", .type = S_IFDIR, .xattr_name = "trusted.overlay.redirect",
                  .xattr_value = "/etc" }, {} },
                "d/'", "trusted.overlay.redirect");
        assert_refused((TestEntry[]) {
                { .path = "f", .xattr_name = "trusted.overlay.metacopy", .xattr_value = "" }, {} },
                "f", "overlay");
}
END_TEST

START_TEST(test_bad_owner_and_limits) {
        _cleanup_free_ char *longname = NULL, *deep = NULL;

        assert_refused((TestEntry[]) { { .path = "f", .uid = 4294967295LL }, {} }, "f", "owner");
        assert_refused((TestEntry[]) { { .path = "f", .gid = 4294967295LL }, {} }, "f", "owner");

        longname = malloc(5000);
        memset(longname, 'a', 4999);
        for (size_t i = 200; i < 4999; i += 200)
                longname[i] = '/';
        longname[4999] = 0;
        assert_refused((TestEntry[]) { { .path = longname, .content = "" }, {} }, "aaaa", "too long");

        deep = malloc(2 * 300 + 2);
        for (size_t i = 0; i < 300; i++)
                memcpy(deep + 2 * i, "d/", 2);
        strcpy(deep + 600, "f");
        assert_refused((TestEntry[]) { { .path = deep, .content = "" }, {} }, "d/d/d", "too deep");
}
END_TEST

START_TEST(test_nasty_names_quoted) {
        _cleanup_free_ char *error = NULL;

        ck_assert_int_lt(unpack((TestEntry[]) { { .path = "../\n\x1b[31mred", .content = "" }, {} },
                                LAYER_COMPRESSION_NONE, NULL, NULL, &error), 0);
        ck_assert_ptr_nonnull(strstr(error, "'../\\x0a\\x1b[31mred'"));
        assert_outside_untouched();
}
END_TEST

START_TEST(test_whiteouts) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL, *q = NULL, *m = NULL;
        char v[8] = "";
        struct stat st;

        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "etc", .type = S_IFDIR },
                { .path = "etc/.wh.passwd", .content = "" },
                { .path = "opq", .type = S_IFDIR },
                { .path = "opq/mine", .content = "m" },
                { .path = "opq/.wh..wh..opq", .content = "" },
                { .path = ".wh..wh.plnk", .type = S_IFDIR },
                { .path = ".wh.gone", .content = "" }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        p = layer_path(diff_id, "etc/passwd");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISCHR(st.st_mode));
        ck_assert_uint_eq(st.st_rdev, makedev(0, 0));
        free(p);
        p = layer_path(diff_id, "gone");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISCHR(st.st_mode));
        q = layer_path(diff_id, "opq");
        ck_assert_int_eq(lgetxattr(q, "trusted.overlay.opaque", v, sizeof(v)), 1);
        ck_assert_str_eq(v, "y");
        /* The opaque marker hides lower layers only, not the layer's own entries. */
        m = layer_path(diff_id, "opq/mine");
        ck_assert_int_eq(access(m, F_OK), 0);
        free(p);
        p = layer_path(diff_id, ".wh..wh.plnk");
        ck_assert_int_eq(access(p, F_OK), -1);
        free(p);
        p = layer_path(diff_id, ".wh.passwd");
        ck_assert_int_eq(access(p, F_OK), -1);
}
END_TEST

START_TEST(test_metadata) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *d = NULL, *f = NULL, *h = NULL, *l = NULL, *u = NULL;
        char buf[64] = "";
        struct stat st, st2;

        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "./", .type = S_IFDIR, .mode = 0755 },
                { .path = "./d/", .type = S_IFDIR, .mode = 01777, .uid = 5, .gid = 6, .mtime = 777 },
                { .path = "./d/su", .content = "#!/bin/sh\n", .mode = 04755, .uid = 0, .gid = 0, .mtime = 555 },
                { .path = "d/sg", .content = "x", .mode = 02711, .uid = 1000, .gid = 50 },
                { .path = "d/link", .hardlink = "d/su" },
                { .path = "d/sym", .type = S_IFLNK, .link = "su", .uid = 7, .gid = 8 },
                { .path = "d/x", .content = "v", .xattr_name = "user.tank", .xattr_value = "yes" },
                { .path = "d/caps", .content = "c", .mode = 0755, .uid = 1,
                  .xattr_name = "security.capability",
                  /* VFS_CAP_REVISION_2, effective, CAP_NET_BIND_SERVICE */
                  .xattr_value = "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
                                 "\x00\x00\x00\x00\x00\x00\x00\x00", .xattr_size = 20 },
                { .path = "implicit/parent/file", .content = "p" },
                { .path = "utf8-\xc3\xa9t\xc3\xa9", .content = "u" }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);

        d = layer_path(diff_id, "d");
        ck_assert_int_eq(lstat(d, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFDIR | 01777);
        ck_assert_uint_eq(st.st_uid, 5);
        ck_assert_uint_eq(st.st_gid, 6);
        ck_assert_int_eq(st.st_mtim.tv_sec, 777);  /* set after its children */

        f = layer_path(diff_id, "d/su");
        ck_assert_int_eq(lstat(f, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFREG | 04755);
        ck_assert_int_eq(st.st_mtim.tv_sec, 555);
        ck_assert_int_eq(st.st_size, 10);
        ck_assert_uint_eq(st.st_nlink, 2);
        h = layer_path(diff_id, "d/link");
        ck_assert_int_eq(lstat(h, &st2), 0);
        ck_assert_uint_eq(st.st_ino, st2.st_ino);

        free(f);
        f = layer_path(diff_id, "d/sg");
        ck_assert_int_eq(lstat(f, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFREG | 02711);
        ck_assert_uint_eq(st.st_uid, 1000);
        ck_assert_uint_eq(st.st_gid, 50);

        l = layer_path(diff_id, "d/sym");
        ck_assert_int_eq(lstat(l, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        ck_assert_uint_eq(st.st_uid, 7);
        ck_assert_uint_eq(st.st_gid, 8);

        free(f);
        f = layer_path(diff_id, "d/x");
        ck_assert_int_eq(getxattr(f, "user.tank", buf, sizeof(buf)), 3);
        free(f);
        f = layer_path(diff_id, "d/caps");
        ck_assert_int_eq(getxattr(f, "security.capability", buf, sizeof(buf)), 20);

        free(f);
        f = layer_path(diff_id, "implicit/parent");
        ck_assert_int_eq(lstat(f, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFDIR | 0755);

        u = layer_path(diff_id, "utf8-\xc3\xa9t\xc3\xa9");
        ck_assert_int_eq(access(u, F_OK), 0);
}
END_TEST

START_TEST(test_replacements) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL;
        struct stat st;

        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "a/b/c", .content = "c" },
                { .path = "a", .content = "now a file" },
                { .path = "x", .content = "old" },
                { .path = "x", .type = S_IFDIR, .mode = 0700 },
                { .path = "x", .type = S_IFDIR, .mode = 0750 },
                { .path = "x/y", .content = "y" }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        p = layer_path(diff_id, "a");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
        free(p);
        p = layer_path(diff_id, "x");
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert_uint_eq(st.st_mode, S_IFDIR | 0750);
}
END_TEST

static const TestEntry simple_layer[] = {
        { .path = "etc", .type = S_IFDIR },
        { .path = "etc/hostname", .content = "tank\n" },
        {}
};

START_TEST(test_formats) {
        static const struct {
                LayerCompression c;
                const char *media_type;
        } cases[] = {
                { LAYER_COMPRESSION_NONE, NULL },
                { LAYER_COMPRESSION_GZIP, NULL },
                { LAYER_COMPRESSION_ZSTD, NULL },
                { LAYER_COMPRESSION_NONE, "application/vnd.oci.image.layer.v1.tar" },
                { LAYER_COMPRESSION_GZIP, "application/vnd.oci.image.layer.v1.tar+gzip" },
                { LAYER_COMPRESSION_ZSTD, "application/vnd.oci.image.layer.v1.tar+zstd" },
                { LAYER_COMPRESSION_GZIP, "application/vnd.docker.image.rootfs.diff.tar.gzip" },
        };

        FOREACH_ARRAY(t, cases, ELEMENTSOF(cases)) {
                _cleanup_(layer_store_freep) LayerStore *s = NULL;
                _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL;
                char buf[16] = "";
                uint64_t size;
                int fd, f;

                test_tar_build(t->c, simple_layer, &fd, &diff_id);
                ck_assert_int_eq(layer_store_open(data, &s), 0);
                ck_assert_int_eq(layer_store_has(s, diff_id), 0);
                ck_assert_msg(layer_store_unpack(s, fd, t->media_type, diff_id, &error) == 0,
                              "%d: %s", (int) t->c, strempty(error));
                ck_assert_int_eq(layer_store_has(s, diff_id), 1);
                /* Present: a no-op. */
                ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
                ck_assert_int_eq(layer_store_unpack(s, fd, t->media_type, diff_id, &error), 1);
                close(fd);

                ck_assert_int_eq(layer_store_root_path(s, diff_id, &p), 0);
                free(p);
                p = layer_path(diff_id, "etc/hostname");
                f = open(p, O_RDONLY | O_CLOEXEC);
                ck_assert_int_ge(f, 0);
                ck_assert_int_eq(read(f, buf, sizeof(buf)), 5);
                close(f);
                ck_assert_int_eq(layer_store_size(s, diff_id, &size), 0);
                ck_assert_uint_eq(size, 5);
                ck_assert_int_eq(layer_store_remove(s, diff_id), 1);
                ck_assert_int_eq(layer_store_has(s, diff_id), 0);
                ck_assert_int_eq(layer_store_remove(s, diff_id), 0);
                ck_assert_uint_eq(count_entries(layers, NULL), 0);
        }
}
END_TEST

START_TEST(test_bad_input) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *wrong = NULL;
        int fd;

        ck_assert_int_eq(layer_store_open(data, &s), 0);
        test_tar_build(LAYER_COMPRESSION_GZIP, simple_layer, &fd, &diff_id);

        /* Wrong diff_id: extracted, then refused; nothing visible, nothing left. */
        wrong = strdup(diff_id);
        wrong[10] = wrong[10] == '0' ? '1' : '0';
        ck_assert_int_eq(layer_store_unpack(s, fd, NULL, wrong, &error), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(error, "does not match its diff_id"));
        ck_assert_int_eq(layer_store_has(s, wrong), 0);
        ck_assert_uint_eq(count_entries(layers, NULL), 0);
        free(error);
        error = NULL;

        ck_assert_int_eq(layer_store_unpack(s, fd, NULL, "sha256:../../x", &error), -EINVAL);
        free(error);
        error = NULL;
        ck_assert_int_eq(layer_store_unpack(s, fd, "application/vnd.oci.image.config.v1+json", diff_id, &error),
                         -EPROTONOSUPPORT);
        free(error);
        error = NULL;

        /* Truncated gzip stream. */
        ck_assert_int_eq(ftruncate(fd, 30), 0);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        ck_assert_int_lt(layer_store_unpack(s, fd, NULL, diff_id, &error), 0);
        ck_assert_ptr_nonnull(error);
        free(error);
        error = NULL;

        /* Not a tar at all. */
        ck_assert_int_eq(ftruncate(fd, 0), 0);
        ck_assert_int_eq(write(fd, "hello world, this is not a tar archive\n", 39), 39);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        ck_assert_int_lt(layer_store_unpack(s, fd, NULL, diff_id, &error), 0);
        ck_assert_ptr_nonnull(error);
        free(error);
        error = NULL;

        /* Empty blob. */
        ck_assert_int_eq(ftruncate(fd, 0), 0);
        ck_assert_int_lt(layer_store_unpack(s, fd, NULL, diff_id, &error), 0);
        ck_assert_ptr_nonnull(error);
        close(fd);
        ck_assert_uint_eq(count_entries(layers, NULL), 0);
}
END_TEST

START_TEST(test_pull_hook) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        pull_layer_hook_t hook = layer_store_pull_hook;  /* the contract with pull.h */
        int fd;

        ck_assert_int_eq(layer_store_open(data, &s), 0);
        test_tar_build(LAYER_COMPRESSION_GZIP, simple_layer, &fd, &diff_id);
        ck_assert_int_eq(hook(s, fd, "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:blob", diff_id, &error), 0);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        ck_assert_int_eq(hook(s, fd, NULL, "sha256:blob", diff_id, &error), 0);
        ck_assert_int_eq(layer_store_has(s, diff_id), 1);
        close(fd);
}
END_TEST

START_TEST(test_stale_temp_dirs) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL, *s2 = NULL;
        char p[PATH_MAX];
        int lock_fd;

        ck_assert_int_eq(layer_store_open(data, &s), 0);
        /* A dead extraction (nobody holds its lock) and a live one (we do). */
        snprintf(p, sizeof(p), "%s/.tmp-dead", layers);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/.tmp-dead/root", layers);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/.tmp-dead/root/file", layers);
        write_file(p, "half", 0644);
        snprintf(p, sizeof(p), "%s/.rm-dead", layers);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/.tmp-alive", layers);
        ck_assert_int_eq(mkdir(p, 0700), 0);
        lock_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(lock_fd, 0);
        ck_assert_int_eq(flock(lock_fd, LOCK_EX), 0);

        ck_assert_int_eq(layer_store_open(data, &s2), 0);
        ck_assert_uint_eq(count_entries(layers, NULL), 1);
        ck_assert_uint_eq(count_entries(layers, ".tmp-alive"), 1);
        close(lock_fd);
}
END_TEST

START_TEST(test_list) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL, *error = NULL;

        ck_assert_int_eq(unpack(simple_layer, LAYER_COMPRESSION_NONE, NULL, &a, &error), 0);
        ck_assert_int_eq(unpack((TestEntry[]) { { .path = "x", .content = "1" }, {} },
                                LAYER_COMPRESSION_ZSTD, NULL, &b, &error), 0);
        ck_assert_int_eq(layer_store_open(data, &s), 0);
        ck_assert_int_eq(layer_store_list(s, &l), 0);
        ck_assert_uint_eq(strv_length(l), 2);
        ck_assert(strv_contains(l, a));
        ck_assert(strv_contains(l, b));

        /* GC keeps what images still use, removes the rest. */
        {
                char *keep[] = { a, NULL };
                uint64_t freed = 0;

                ck_assert_int_eq(layer_store_prune(s, keep, &freed), 1);
                ck_assert_uint_eq(freed, 1);
                ck_assert_int_eq(layer_store_has(s, a), 1);
                ck_assert_int_eq(layer_store_has(s, b), 0);
                ck_assert_int_eq(layer_store_prune(s, keep, NULL), 0);
                ck_assert_uint_eq(count_entries(layers, NULL), 1);
        }
}
END_TEST

START_TEST(test_concurrent_unpack) {
        _cleanup_free_ char *diff_id = NULL;
        unsigned n_fresh = 0;
        pid_t pids[4];
        int fd;

        /* Two images sharing a layer, pulled at once: every unpacker succeeds,
         * exactly one extraction wins, no temp dir is left. */
        test_tar_build(LAYER_COMPRESSION_GZIP, simple_layer, &fd, &diff_id);
        for (unsigned i = 0; i < ELEMENTSOF(pids); i++) {
                pids[i] = fork();
                ck_assert_int_ge(pids[i], 0);
                if (pids[i] == 0) {
                        _cleanup_(layer_store_freep) LayerStore *s = NULL;
                        int r, bfd;
                        char p[64];

                        /* Own file description: an independent offset. */
                        snprintf(p, sizeof(p), "/proc/self/fd/%i", fd);
                        bfd = open(p, O_RDONLY | O_CLOEXEC);
                        if (bfd < 0 || layer_store_open(data, &s) < 0)
                                _exit(10);
                        layer_store_set_sync(s, false);
                        r = layer_store_unpack(s, bfd, NULL, diff_id, NULL);
                        _exit(r < 0 ? 11 : r);
                }
        }
        for (unsigned i = 0; i < ELEMENTSOF(pids); i++) {
                int status;

                ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
                ck_assert(WIFEXITED(status));
                ck_assert_int_le(WEXITSTATUS(status), 1);
                n_fresh += WEXITSTATUS(status) == 0;
        }
        close(fd);
        ck_assert_uint_ge(n_fresh, 1);
        ck_assert_uint_eq(count_entries(layers, NULL), 1);
}
END_TEST

START_TEST(test_symlink_xattr) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL, *p = NULL;
        char v[16] = "";

        /* security.* xattrs go on the link itself (or are ignored), never its target. */
        ck_assert_int_eq(unpack((TestEntry[]) {
                { .path = "l", .type = S_IFLNK, .link = canary,
                  .xattr_name = "security.tank", .xattr_value = "v" }, {} },
                LAYER_COMPRESSION_NONE, NULL, &diff_id, &error), 0);
        assert_outside_untouched();
        ck_assert_int_eq(getxattr(canary, "security.tank", v, sizeof(v)), -1);
        p = layer_path(diff_id, "l");
        (void) lgetxattr(p, "security.tank", v, sizeof(v));  /* may be unsupported on symlinks */
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("extract");
        TCase *hostile = tcase_create("hostile"), *good = tcase_create("good"),
              *store = tcase_create("store");

        tcase_add_checked_fixture(hostile, setup, teardown);
        tcase_add_test(hostile, test_dotdot);
        tcase_add_test(hostile, test_absolute);
        tcase_add_test(hostile, test_symlinked_parent);
        tcase_add_test(hostile, test_symlink_dot);
        tcase_add_test(hostile, test_hardlink_outside);
        tcase_add_test(hostile, test_hardlink_to_outside_symlink);
        tcase_add_test(hostile, test_metadata_through_symlink);
        tcase_add_test(hostile, test_dev_symlink);
        tcase_add_test(hostile, test_dir_replaced_by_symlink);
        tcase_add_test(hostile, test_device_nodes);
        tcase_add_test(hostile, test_bad_whiteouts);
        tcase_add_test(hostile, test_overlay_xattrs);
        tcase_add_test(hostile, test_bad_owner_and_limits);
        tcase_add_test(hostile, test_nasty_names_quoted);
        suite_add_tcase(s, hostile);

        tcase_add_checked_fixture(good, setup, teardown);
        tcase_add_test(good, test_whiteouts);
        tcase_add_test(good, test_metadata);
        tcase_add_test(good, test_replacements);
        suite_add_tcase(s, good);

        tcase_add_checked_fixture(store, setup, teardown);
        tcase_add_test(store, test_formats);
        tcase_add_test(store, test_bad_input);
        tcase_add_test(store, test_stale_temp_dirs);
        tcase_add_test(store, test_list);
        tcase_add_test(store, test_concurrent_unpack);
        tcase_add_test(store, test_pull_hook);
        tcase_add_test(hostile, test_symlink_xattr);
        suite_add_tcase(s, store);
        return s;
}

int main(void) {
        return check_run(suite());
}
