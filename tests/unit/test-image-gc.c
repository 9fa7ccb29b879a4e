/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image_gc_remove() against a real blob store and layer store in a temp dir:
 * two images share a layer; removing one keeps the shared content, removing
 * the other leaves nothing. */
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check-run.h"
#include "image/gc.h"
#include "image/layer-tartest.h"
#include "strv.h"

static char *sha256_of(const char *s) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        char *out = malloc(72);

        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL), 1);
        strcpy(out, "sha256:");
        for (unsigned i = 0; i < n; i++)
                sprintf(out + 7 + 2 * i, "%02x", md[i]);
        return out;
}

static char *put(BlobStore *bs, const char *content) {
        char *d = sha256_of(content);

        ck_assert_int_eq(blobstore_put(bs, d, content, strlen(content)), 0);
        return d;
}

static char *unpack(LayerStore *ls, const char *file) {
        TestEntry e[] = { { .path = file, .content = "x" }, {} };
        char *diff_id = NULL;
        int fd = -EBADF;

        test_tar_build(LAYER_COMPRESSION_NONE, e, &fd, &diff_id);
        ck_assert_int_ge(layer_store_unpack(ls, fd, NULL, diff_id, NULL), 0);
        close(fd);
        return diff_id;
}

static void save(BlobStore *bs, const char *man, const char *cfg, ImageLayer *layers, size_t n) {
        ImageRecord rec = {
                .digest = (char *) man, .name = (char *) "example.org/x:latest",
                .config_digest = (char *) cfg, .os = (char *) "linux",
                .architecture = (char *) "amd64", .layers = layers, .n_layers = n,
        };

        ck_assert_int_eq(image_record_save(bs, &rec), 0);
}

START_TEST(test_shared_layer) {
        char dir[] = "/tmp/test-image-gc-XXXXXX";
        _cleanup_(blobstore_freep) BlobStore *bs = NULL;
        _cleanup_(layer_store_freep) LayerStore *ls = NULL;
        _cleanup_strv_free_ char **removed = NULL, **unused = NULL;
        _cleanup_free_ char *manA = NULL, *manB = NULL, *cfgA = NULL, *cfgB = NULL,
                *blob1 = NULL, *blob2 = NULL, *diff1 = NULL, *diff2 = NULL, *tag = NULL, *cmd = NULL;
        ImageRecord *rec = NULL;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(blobstore_open(dir, &bs), 0);
        ck_assert_int_eq(layer_store_open(dir, &ls), 0);
        layer_store_set_sync(ls, false);

        manA = put(bs, "manifest A");
        manB = put(bs, "manifest B");
        cfgA = put(bs, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"a\"]}}");
        cfgB = put(bs, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"b\"]}}");
        blob1 = put(bs, "layer blob 1");
        blob2 = put(bs, "layer blob 2");
        diff1 = unpack(ls, "shared");
        diff2 = unpack(ls, "only-b");

#define TAR "application/vnd.oci.image.layer.v1.tar"
        ImageLayer la[] = { { .digest = blob1, .media_type = (char *) TAR, .diff_id = diff1, .size = 1 } };
        ImageLayer lb[] = { { .digest = blob1, .media_type = (char *) TAR, .diff_id = diff1, .size = 1 },
                            { .digest = blob2, .media_type = (char *) TAR, .diff_id = diff2, .size = 1 } };
        save(bs, manA, cfgA, la, 1);
        save(bs, manB, cfgB, lb, 2);
        ck_assert_int_eq(image_tag_set(bs, "example.org/x:latest", manB), 0);
        ck_assert_int_eq(image_tag_set(bs, "example.org/x:b", manB), 0);
        ck_assert_int_eq(image_tag_set(bs, "example.org/a:latest", manA), 0);

        /* Hostile input is refused before it becomes a path. */
        char *bad[] = { (char *) "sha256:../../etc", NULL };
        ck_assert_int_eq(image_gc_remove(bs, ls, bad, NULL), -EINVAL);

        /* B goes: its own blobs and layer with it, the shared ones stay. */
        char *b[] = { manB, NULL };
        ck_assert_int_eq(image_gc_remove(bs, ls, b, &removed), 0);
        ck_assert_int_eq(strv_length(removed), 1);
        ck_assert_str_eq(removed[0], manB);
        ck_assert(!blobstore_has(bs, manB));
        ck_assert(!blobstore_has(bs, cfgB));
        ck_assert(!blobstore_has(bs, blob2));
        ck_assert(blobstore_has(bs, manA));
        ck_assert(blobstore_has(bs, cfgA));
        ck_assert(blobstore_has(bs, blob1));
        ck_assert_int_gt(layer_store_has(ls, diff1), 0);
        ck_assert_int_eq(layer_store_has(ls, diff2), 0);
        ck_assert_int_eq(image_record_load(bs, manB, &rec), -ENOENT);
        ck_assert_int_eq(image_tag_get(bs, "example.org/x:b", &tag), -ENOENT);
        ck_assert_int_eq(image_tag_get(bs, "example.org/a:latest", &tag), 0);
        ck_assert_str_eq(tag, manA);

        /* Removing it again is not an error and removes nothing. */
        removed = strv_free(removed);
        ck_assert_int_eq(image_gc_remove(bs, ls, b, &removed), 0);
        ck_assert_int_eq(strv_length(removed), 0);

        /* Prune with A in use keeps A; with nothing in use everything goes. */
        char *used[] = { manA, NULL };
        ck_assert_int_eq(image_gc_unused(bs, used, &unused), 0);
        ck_assert_int_eq(strv_length(unused), 0);
        unused = strv_free(unused);
        ck_assert_int_eq(image_gc_unused(bs, NULL, &unused), 0);
        ck_assert_int_eq(strv_length(unused), 1);
        removed = strv_free(removed);
        ck_assert_int_eq(image_gc_remove(bs, ls, unused, &removed), 0);
        ck_assert_int_eq(strv_length(removed), 1);
        ck_assert(!blobstore_has(bs, manA));
        ck_assert(!blobstore_has(bs, cfgA));
        ck_assert(!blobstore_has(bs, blob1));
        ck_assert_int_eq(layer_store_has(ls, diff1), 0);
        free(tag);
        tag = NULL;
        ck_assert_int_eq(image_tag_get(bs, "example.org/a:latest", &tag), -ENOENT);

        ck_assert_int_gt(asprintf(&cmd, "rm -rf '%s'", dir), 0);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("image-gc");
        TCase *tc = tcase_create("gc");

        tcase_add_test(tc, test_shared_layer);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
