/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [Images] byte limits at extraction and at the pull's scan: a small gzip (and
 * zstd) layer that inflates past MaxUnpackedLayerSize= is refused naming the limit
 * and the entry, before the file's data is written, and leaves no layer and no
 * temp dir; MaxImageSize= caps an image's layers together; MinFreeSpace= above
 * the file system's free space refuses before anything is written. */

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "check-run.h"
#include "image/layer-tartest.h"
#include "image/layer.h"
#include "image/limits.h"

#define BOMB_SIZE (4U * 1024U * 1024U)

static char base[64];
static char data[512], layers[512];
static char *bomb_content;

static void setup(void) {
        /* Again for every test: with CK_FORK=no they share this process. */
        strcpy(base, "/tmp/tank-test-limits-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(base));
        snprintf(data, sizeof(data), "%s/data", base);
        snprintf(layers, sizeof(layers), "%s/data/layers/sha256", base);
        ck_assert_int_eq(mkdir(data, 0700), 0);
        /* 4M of one byte: gzip makes a few KiB of it. */
        bomb_content = malloc(BOMB_SIZE + 1);
        ck_assert_ptr_nonnull(bomb_content);
        memset(bomb_content, 'z', BOMB_SIZE);
        bomb_content[BOMB_SIZE] = 0;
}

static void teardown(void) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        ck_assert_int_eq(system(cmd), 0);
        free(bomb_content);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void build_bomb_c(LayerCompression c, int *ret_fd, char **ret_diff_id) {
        const TestEntry entries[] = {
                { .path = "etc", .type = S_IFDIR },
                { .path = "etc/hostname", .content = "tank\n" },
                { .path = "big", .content = bomb_content },
                { .path = "after", .content = "never written\n" },
                {}
        };
        struct stat st;

        test_tar_build(c, entries, ret_fd, ret_diff_id);
        ck_assert_int_eq(fstat(*ret_fd, &st), 0);
        ck_assert_int_lt(st.st_size, 64 * 1024);   /* small compressed, large unpacked */
}

static void build_bomb(int *ret_fd, char **ret_diff_id) {
        build_bomb_c(LAYER_COMPRESSION_GZIP, ret_fd, ret_diff_id);
}

static LayerStore *open_store(const ImageLimits *l) {
        LayerStore *s = NULL;

        ck_assert_int_eq(layer_store_open(data, &s), 0);
        layer_store_set_sync(s, false);
        layer_store_set_limits(s, l);
        return s;
}

START_TEST(test_size_format) {
        char buf[IMAGE_SIZE_STR_MAX];

        ck_assert_str_eq(image_size_format(64ULL << 20, buf), "64M");
        ck_assert_str_eq(image_size_format(8ULL << 30, buf), "8G");
        ck_assert_str_eq(image_size_format(1536ULL << 20, buf), "1536M");
        ck_assert_str_eq(image_size_format(1000, buf), "1000");
        ck_assert_str_eq(image_size_format(0, buf), "0");
        ck_assert_str_eq(image_size_format(IMAGE_SIZE_INFINITY, buf), "infinity");
        ck_assert_uint_eq(image_size_add(UINT64_MAX - 1, 5), UINT64_MAX);
}
END_TEST

START_TEST(test_unpacked_layer_bomb) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        ImageLimits l = IMAGE_LIMITS_NONE;
        int fd, r;

        build_bomb(&fd, &diff_id);
        l.max_unpacked_layer_size = 1024 * 1024;
        s = open_store(&l);
        r = layer_store_unpack(s, fd, "application/vnd.oci.image.layer.v1.tar+gzip", diff_id, &error);
        ck_assert_int_eq(r, -EFBIG);
        ck_assert_ptr_nonnull(error);
        ck_assert_str_eq(error, "unpacks to more than MaxUnpackedLayerSize=1M (at entry 'big')");
        /* Nothing is left: no layer, no temp dir. */
        ck_assert_int_eq(layer_store_has(s, diff_id), 0);
        ck_assert_uint_eq(count_entries(layers), 0);

        /* At the limit exactly, it unpacks; the recorded size is the sum of the files. */
        error = mfree(error);
        layer_store_free(s);
        l.max_unpacked_layer_size = BOMB_SIZE + 5 + 14;
        s = open_store(&l);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        r = layer_store_unpack(s, fd, NULL, diff_id, &error);
        ck_assert_msg(r == 0, "%s", strempty(error));
        uint64_t size;
        ck_assert_int_eq(layer_store_size(s, diff_id, &size), 0);
        ck_assert_uint_eq(size, BOMB_SIZE + 5 + 14);
        close(fd);
}
END_TEST

START_TEST(test_unpacked_layer_bomb_zstd) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        ImageLimits l = IMAGE_LIMITS_NONE;
        int fd;

        build_bomb_c(LAYER_COMPRESSION_ZSTD, &fd, &diff_id);
        l.max_unpacked_layer_size = 2 * 1024 * 1024;
        s = open_store(&l);
        ck_assert_int_eq(layer_store_unpack(s, fd, "application/vnd.oci.image.layer.v1.tar+zstd", diff_id, &error),
                         -EFBIG);
        ck_assert_str_eq(error, "unpacks to more than MaxUnpackedLayerSize=2M (at entry 'big')");
        ck_assert_uint_eq(count_entries(layers), 0);
        close(fd);
}
END_TEST

START_TEST(test_image_budget) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        ImageLimits l = IMAGE_LIMITS_NONE;
        uint64_t unpacked = 0;
        int fd, r;

        build_bomb(&fd, &diff_id);
        /* The layer alone fits MaxImageSize=5M, not on top of 2M of lower layers. */
        l.max_image_size = 5 * 1024 * 1024;
        s = open_store(&l);
        r = layer_store_unpack_image(s, fd, NULL, diff_id, 2 * 1024 * 1024, &unpacked, &error);
        ck_assert_int_eq(r, -EFBIG);
        ck_assert_str_eq(error, "brings the image past MaxImageSize=5M unpacked (at entry 'big')");
        ck_assert_uint_eq(count_entries(layers), 0);

        error = mfree(error);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        r = layer_store_unpack_image(s, fd, NULL, diff_id, 0, &unpacked, &error);
        ck_assert_msg(r == 0, "%s", strempty(error));
        ck_assert_uint_eq(unpacked, BOMB_SIZE + 5 + 14);
        /* Present: its recorded size is reported. */
        unpacked = 0;
        ck_assert_int_eq(layer_store_unpack_image(s, fd, NULL, diff_id, 0, &unpacked, NULL), 1);
        ck_assert_uint_eq(unpacked, BOMB_SIZE + 5 + 14);
        close(fd);
}
END_TEST

START_TEST(test_scan) {
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        ImageLimits l = IMAGE_LIMITS_NONE;
        uint64_t unpacked = 0;
        bool cancel = false;
        int fd, r;

        build_bomb(&fd, &diff_id);
        l.max_unpacked_layer_size = 3 * 1024 * 1024;
        r = layer_scan(fd, NULL, diff_id, &l, 0, &cancel, &unpacked, &error);
        ck_assert_int_eq(r, -EFBIG);
        ck_assert_str_eq(error, "unpacks to more than MaxUnpackedLayerSize=3M (at entry 'big')");
        ck_assert_uint_eq(count_entries(data), 0);   /* a scan writes nothing */

        /* Within limits: the size and the diff_id are checked. */
        error = mfree(error);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        r = layer_scan(fd, NULL, diff_id, NULL, 0, NULL, &unpacked, &error);
        ck_assert_msg(r == 0, "%s", strempty(error));
        ck_assert_uint_eq(unpacked, BOMB_SIZE + 5 + 14);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        r = layer_scan(fd, NULL, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                       NULL, 0, NULL, NULL, &error);
        ck_assert_int_eq(r, -EBADMSG);
        ck_assert_ptr_nonnull(strstr(error, "does not match its diff_id"));

        /* Cancelled from the start: stops at once. */
        error = mfree(error);
        cancel = true;
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        ck_assert_int_eq(layer_scan(fd, NULL, diff_id, NULL, 0, &cancel, NULL, &error), -ECANCELED);
        close(fd);
}
END_TEST

START_TEST(test_min_free_space) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *diff_id = NULL, *error = NULL;
        ImageLimits l = IMAGE_LIMITS_NONE;
        struct statvfs sv;
        int fd, r;

        build_bomb(&fd, &diff_id);
        ck_assert_int_eq(statvfs(data, &sv), 0);
        /* More than the whole file system can ever have free. */
        l.min_free_space = ((uint64_t) sv.f_blocks * sv.f_frsize + (1ULL << 30)) & ~((1ULL << 30) - 1);
        s = open_store(&l);
        r = layer_store_unpack(s, fd, NULL, diff_id, &error);
        ck_assert_int_eq(r, -ENOSPC);
        ck_assert_msg(strstr(error, "unpacking refused") && strstr(error, "MinFreeSpace="), "%s", error);
        ck_assert_uint_eq(count_entries(layers), 0);

        /* 100%: the same, as a percentage. */
        error = mfree(error);
        l.min_free_space = 0;
        l.min_free_percent = 100;
        layer_store_set_limits(s, &l);
        ck_assert_int_eq(layer_store_unpack(s, fd, NULL, diff_id, &error), -ENOSPC);
        ck_assert_msg(strstr(error, "MinFreeSpace=100%"), "%s", error);

        /* 1%: fine (the test's temp file system is not that full). */
        error = mfree(error);
        l.min_free_percent = 1;
        layer_store_set_limits(s, &l);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        r = layer_store_unpack(s, fd, NULL, diff_id, &error);
        ck_assert_msg(r == 0, "%s", strempty(error));
        close(fd);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("image-limits");
        TCase *tc = tcase_create("limits");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_size_format);
        tcase_add_test(tc, test_unpacked_layer_bomb);
        tcase_add_test(tc, test_unpacked_layer_bomb_zstd);
        tcase_add_test(tc, test_image_budget);
        tcase_add_test(tc, test_scan);
        tcase_add_test(tc, test_min_free_space);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
