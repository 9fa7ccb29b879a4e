/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "layer-tartest.h"

struct TestTar {
        struct archive *plain, *packed;
        int plain_fd, packed_fd;
};

#define CHECK(expr)                                                                   \
        do {                                                                          \
                if (!(expr)) {                                                        \
                        fprintf(stderr, "%s:%d: test tar: %s failed\n", __FILE__,     \
                                __LINE__, #expr);                                     \
                        abort();                                                      \
                }                                                                     \
        } while (0)

static struct archive *writer(LayerCompression c, int fd) {
        struct archive *a = archive_write_new();

        CHECK(a);
        CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
        if (c == LAYER_COMPRESSION_GZIP)
                CHECK(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
        else if (c == LAYER_COMPRESSION_ZSTD)
                CHECK(archive_write_add_filter_zstd(a) == ARCHIVE_OK);
        CHECK(archive_write_open_fd(a, fd) == ARCHIVE_OK);
        return a;
}

TestTar *test_tar_new(LayerCompression c) {
        TestTar *t = calloc(1, sizeof(TestTar));

        CHECK(t);
        t->plain_fd = memfd_create("layer-plain", MFD_CLOEXEC);
        t->packed_fd = memfd_create("layer", MFD_CLOEXEC);
        CHECK(t->plain_fd >= 0 && t->packed_fd >= 0);
        t->plain = writer(LAYER_COMPRESSION_NONE, t->plain_fd);
        t->packed = writer(c, t->packed_fd);
        return t;
}

static void add_one(struct archive *a, const TestEntry *e) {
        struct archive_entry *ae = archive_entry_new();
        mode_t type = e->type ?: S_IFREG;
        size_t size = type == S_IFREG && e->content && !e->hardlink ? strlen(e->content) : 0;

        CHECK(ae);
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_filetype(ae, type);
        archive_entry_set_perm(ae, e->mode ?: (type == S_IFDIR ? 0755 : 0644));
        archive_entry_set_uid(ae, e->uid);
        archive_entry_set_gid(ae, e->gid);
        archive_entry_set_mtime(ae, e->mtime ?: 1000000000, 0);
        archive_entry_set_size(ae, (la_int64_t) size);
        if (e->link)
                archive_entry_set_symlink(ae, e->link);
        if (e->hardlink)
                archive_entry_set_hardlink(ae, e->hardlink);
        if (e->rdev)
                archive_entry_set_rdev(ae, e->rdev);
        if (e->xattr_name)
                archive_entry_xattr_add_entry(ae, e->xattr_name, e->xattr_value,
                                              e->xattr_size ?: strlen(e->xattr_value));
        CHECK(archive_write_header(a, ae) >= ARCHIVE_WARN);
        if (size > 0)
                CHECK(archive_write_data(a, e->content, size) == (la_ssize_t) size);
        archive_entry_free(ae);
}

void test_tar_add(TestTar *t, const TestEntry *e) {
        add_one(t->plain, e);
        add_one(t->packed, e);
}

void test_tar_finish(TestTar *t, int *ret_fd, char **ret_diff_id) {
        unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
        unsigned md_len;
        EVP_MD_CTX *ctx;
        char *id;
        ssize_t n;

        CHECK(archive_write_close(t->plain) == ARCHIVE_OK);
        CHECK(archive_write_close(t->packed) == ARCHIVE_OK);
        archive_write_free(t->plain);
        archive_write_free(t->packed);

        ctx = EVP_MD_CTX_new();
        CHECK(ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1);
        CHECK(lseek(t->plain_fd, 0, SEEK_SET) == 0);
        while ((n = read(t->plain_fd, buf, sizeof(buf))) > 0)
                CHECK(EVP_DigestUpdate(ctx, buf, (size_t) n) == 1);
        CHECK(n == 0);
        CHECK(EVP_DigestFinal_ex(ctx, md, &md_len) == 1);
        EVP_MD_CTX_free(ctx);

        id = malloc(8 + 2 * md_len + 1);
        CHECK(id);
        strcpy(id, "sha256:");
        for (unsigned i = 0; i < md_len; i++)
                sprintf(id + 7 + 2 * i, "%02x", md[i]);

        close(t->plain_fd);
        CHECK(lseek(t->packed_fd, 0, SEEK_SET) == 0);
        *ret_fd = t->packed_fd;
        *ret_diff_id = id;
        free(t);
}

void test_tar_build(LayerCompression c, const TestEntry *entries, int *ret_fd, char **ret_diff_id) {
        TestTar *t = test_tar_new(c);

        for (const TestEntry *e = entries; e->path; e++)
                test_tar_add(t, e);
        test_tar_finish(t, ret_fd, ret_diff_id);
}
