/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <systemd/sd-event.h>

#include "check-run.h"
#include "image/auth.h"
#include "image/blobstore.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "spec/reference.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int parse_auth(const char *json, AuthFile **ret, char **err) {
        return auth_file_parse(json, strlen(json), ret, err);
}

START_TEST(test_auth_file) {
        AuthFile *f = NULL;
        char *err = NULL;
        const AuthEntry *e;

        ck_assert_int_eq(parse_auth("{\"auths\": {"
                "\"127.0.0.1:5000\": {\"auth\": \"dGFuazpzM2NyZXQ=\"},"
                "\"https://index.docker.io/v1/\": {\"auth\": \"dTpwOnc=\"},"
                "\"quay.io\": {\"username\": \"q\", \"password\": \"pw\"},"
                "\"ghcr.io\": {\"identitytoken\": \"x\"}}}", &f, &err), 0);
        e = auth_file_find(f, "127.0.0.1:5000");
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->username, "tank");
        ck_assert_str_eq(e->password, "s3cret");
        e = auth_file_find(f, "docker.io");
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->username, "u");
        ck_assert_str_eq(e->password, "p:w");     /* only the first colon splits */
        ck_assert_ptr_eq(auth_file_find(f, "registry-1.docker.io"), e);
        e = auth_file_find(f, "quay.io");
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->password, "pw");
        ck_assert_ptr_null(auth_file_find(f, "ghcr.io"));
        ck_assert_ptr_null(auth_file_find(f, "127.0.0.1:5001"));
        ck_assert_ptr_null(auth_file_find(f, "127.0.0.1"));
        f = auth_file_free(f);

        ck_assert_int_eq(parse_auth("{}", &f, &err), 0);
        ck_assert_ptr_null(auth_file_find(f, "docker.io"));
        f = auth_file_free(f);

        static const char *bad[] = {
                "[]", "{\"auths\": []}", "{\"auths\": {\"h\": 1}}",
                "{\"auths\": {\"h\": {\"auth\": \"!!!!\"}}}",
                "{\"auths\": {\"h\": {\"auth\": \"bm9jb2xvbg==\"}}}",        /* "nocolon" */
                "{\"auths\": {\"h\": {\"auth\": \"OnA=\"}}}",                 /* ":p" */
                "{\"auths\": {\"h\": {\"auth\": \"YQBiOmM=\"}}}",             /* NUL inside */
                "{\"auths\": ", "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = NULL;
                ck_assert_int_eq(parse_auth(bad[i], &f, &err), -EBADMSG);
                ck_assert_ptr_nonnull(err);
                free(err);
        }

        ck_assert_int_eq(auth_file_load("/nonexistent/auth.json", &f, &err), 0);
        ck_assert_uint_eq(f->n_entries, 0);
        auth_file_free(f);
}
END_TEST

START_TEST(test_challenge) {
        AuthChallenge c = {};

        ck_assert_int_eq(auth_challenge_parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                "scope=\"repository:library/busybox:pull,push\"", &c), 0);
        ck_assert_int_eq(c.scheme, AUTH_SCHEME_BEARER);
        ck_assert_str_eq(c.realm, "https://auth.docker.io/token");
        ck_assert_str_eq(c.service, "registry.docker.io");
        ck_assert_str_eq(c.scope, "repository:library/busybox:pull,push");
        auth_challenge_done(&c);

        ck_assert_int_eq(auth_challenge_parse("bearer  realm = \"http://h/t\\\"x\" , error=\"insufficient_scope\"", &c), 0);
        ck_assert_str_eq(c.realm, "http://h/t\"x");
        ck_assert_ptr_null(c.service);
        auth_challenge_done(&c);

        ck_assert_int_eq(auth_challenge_parse("Basic realm=\"Registry Realm\"", &c), 0);
        ck_assert_int_eq(c.scheme, AUTH_SCHEME_BASIC);
        ck_assert_str_eq(c.realm, "Registry Realm");
        auth_challenge_done(&c);

        ck_assert_int_eq(auth_challenge_parse("Negotiate abc", &c), -EOPNOTSUPP);
        ck_assert_int_eq(auth_challenge_parse("Bearerx realm=\"https://a\"", &c), -EOPNOTSUPP);
        static const char *bad[] = {
                "Bearer realm=\"https://a", "Bearer realm", "Bearer realm=\"https://a\" x",
                "Bearer realm=\"https://a\",realm=\"https://b\"", "Bearer realm=\"file:///etc/passwd\"",
                "Bearer service=\"x\"", "Bearer realm=\"https://a\x01\"", "Bearer =x",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(auth_challenge_parse(bad[i], &c) == -EBADMSG, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(test_basic_and_token) {
        char *s = NULL;

        ck_assert_int_eq(auth_basic_header("tank", "s3cret", &s), 0);
        ck_assert_str_eq(s, "Basic dGFuazpzM2NyZXQ=");
        free(s);
        ck_assert_int_eq(auth_basic_header("a:b", "c", &s), -EINVAL);

        ck_assert_int_eq(auth_token_parse("{\"token\":\"abc.def\"}", 19, &s), 0);
        ck_assert_str_eq(s, "abc.def");
        free(s);
        ck_assert_int_eq(auth_token_parse("{\"access_token\":\"xyz\"}", 22, &s), 0);
        ck_assert_str_eq(s, "xyz");
        free(s);
        ck_assert_int_eq(auth_token_parse("{\"token\":\"a\\r\\nX-Evil: 1\"}", 27, &s), -EBADMSG);
        ck_assert_int_eq(auth_token_parse("{}", 2, &s), -EBADMSG);
        ck_assert_int_eq(auth_token_parse("nope", 4, &s), -EBADMSG);
}
END_TEST

static const char oci_manifest[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\","
        "\"config\":{\"mediaType\":\"" MEDIA_TYPE_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":10},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":20}]}";

START_TEST(test_manifest) {
        Manifest *m = NULL;
        char *err = NULL;

        ck_assert_int_eq(manifest_parse(oci_manifest, strlen(oci_manifest), MEDIA_TYPE_OCI_MANIFEST, &m, &err), 0);
        ck_assert_int_eq(m->kind, MANIFEST_IMAGE);
        ck_assert_str_eq(m->config.digest, D1);
        ck_assert_uint_eq(m->n_entries, 1);
        ck_assert_int_eq(m->entries[0].size, 20);
        m = manifest_free(m);

        const char *index =
                "{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"" MEDIA_TYPE_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
                " \"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
                "{\"mediaType\":\"" MEDIA_TYPE_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":2,"
                " \"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
        ck_assert_int_eq(manifest_parse(index, strlen(index), MEDIA_TYPE_DOCKER_LIST, &m, &err), 0);
        ck_assert_int_eq(m->kind, MANIFEST_INDEX);
        ck_assert_uint_eq(m->n_entries, 2);
        ck_assert_str_eq(m->entries[0].variant, "v8");
        ck_assert_str_eq(m->entries[1].architecture, "amd64");
        m = manifest_free(m);

        static const char *bad[] = {
                /* path traversal through a digest (CVE-2024-3727) */
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:../../../etc/passwd\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha512:" "00\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\"},\"layers\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/html\",\"digest\":\"" D2 "\",\"size\":1}]}",
                "{\"schemaVersion\":1,\"name\":\"x\"}",
                "{\"schemaVersion\":2,\"mediaType\":\"application/json\"}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_MANIFEST "\",\"manifests\":[]}",
                "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_TYPE_OCI_INDEX "\"}",
                "[1,2]", "", "{\"schemaVersion\":2,",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = NULL;
                ck_assert_msg(manifest_parse(bad[i], strlen(bad[i]), NULL, &m, &err) == -EBADMSG, "accepted #%zu", i);
                free(err);
        }

        /* Content-Type and body disagree */
        ck_assert_int_eq(manifest_parse(oci_manifest, strlen(oci_manifest), MEDIA_TYPE_DOCKER_LIST, &m, &err), -EBADMSG);
        free(err);

        /* hostile nesting, and an embedded NUL */
        char deep[4096];
        memset(deep, '[', sizeof deep);
        ck_assert_int_eq(manifest_parse(deep, sizeof deep, NULL, &m, &err), -EBADMSG);
        free(err);
        ck_assert_int_eq(manifest_parse("{\"a\":\"\0\"}", 9, NULL, &m, &err), -EBADMSG);
        free(err);
}
END_TEST

START_TEST(test_config_info) {
        ImageConfigInfo i = {};
        char *err = NULL;
        const char *ok = "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
        const char *bad = "{\"rootfs\":{\"diff_ids\":[\"sha256:/etc/passwd\"]}}";

        ck_assert_int_eq(image_config_info_parse(ok, strlen(ok), &i, &err), 0);
        ck_assert_str_eq(i.diff_ids[1], D2);
        ck_assert_ptr_null(i.diff_ids[2]);
        ck_assert_str_eq(i.variant, "v7");
        image_config_info_done(&i);
        ck_assert_int_eq(image_config_info_parse(bad, strlen(bad), &i, &err), -EBADMSG);
        free(err);
        err = NULL;
        ck_assert_int_eq(image_config_info_parse("{}", 2, &i, &err), -EBADMSG);
        free(err);
}
END_TEST

START_TEST(test_urls) {
        sd_event *e = NULL;
        Registry *r = NULL;
        char *s = NULL;

        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_eq(registry_new(e, NULL, &r), 0);

        ck_assert_int_eq(registry_endpoint(r, "docker.io", &s), 0);
        ck_assert_str_eq(s, "https://registry-1.docker.io");
        free(s);
        ck_assert_int_eq(registry_endpoint(r, "quay.io", &s), 0);
        ck_assert_str_eq(s, "https://quay.io");
        free(s);
        ck_assert_int_eq(registry_add_insecure(r, "127.0.0.1:5000"), 0);
        ck_assert_int_eq(registry_endpoint(r, "127.0.0.1:5000", &s), 0);
        ck_assert_str_eq(s, "http://127.0.0.1:5000");
        free(s);
        ck_assert_int_eq(registry_add_mirror(r, "docker.io", "http://127.0.0.1:5000/"), 0);
        ck_assert_int_eq(registry_object_url(r, "docker.io", "library/busybox", "manifests", "latest", &s), 0);
        ck_assert_str_eq(s, "http://127.0.0.1:5000/v2/library/busybox/manifests/latest");
        free(s);
        ck_assert_int_eq(registry_object_url(r, "ghcr.io", "a/b-c/d_e", "blobs", D1, &s), 0);
        ck_assert_str_eq(s, "https://ghcr.io/v2/a/b-c/d_e/blobs/" D1);
        free(s);

        ck_assert_int_eq(registry_add_mirror(r, "docker.io", "ftp://x"), -EINVAL);
        ck_assert_int_eq(registry_add_mirror(r, "bad host", "http://x"), -EINVAL);
        ck_assert_int_eq(registry_add_insecure(r, "a/b"), -EINVAL);

        static const char *bad_repo[] = { "../x", "a/../b", "a//b", "/a", "a/", "A", "a?b", "a/.b", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad_repo); i++)
                ck_assert_msg(registry_object_url(r, "quay.io", bad_repo[i], "blobs", D1, &s) == -EINVAL,
                              "accepted repo %s", bad_repo[i]);
        static const char *bad_obj[] = { "sha256:abc", "sha256:../" , "../x", "a/b", ".x", "-x", "latest?x=1", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad_obj); i++)
                ck_assert_msg(registry_object_url(r, "quay.io", "a/b", "manifests", bad_obj[i], &s) == -EINVAL,
                              "accepted object %s", bad_obj[i]);
        ck_assert_int_eq(registry_object_url(r, "quay.io", "a/b", "tags", "x", &s), -EINVAL);
        ck_assert_int_eq(registry_object_url(r, "qu ay.io", "a/b", "blobs", D1, &s), -EINVAL);

        registry_free(r);
        sd_event_unref(e);
}
END_TEST

static void sha256_hex(const char *data, size_t n, char out[72]) {
        unsigned char md[32];
        unsigned len = 0;

        EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
        strcpy(out, "sha256:");
        for (unsigned i = 0; i < len; i++)
                sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

START_TEST(test_blobstore) {
        char tmpl[] = "/tmp/test-registry.XXXXXX", path[256], dg[72], cfg_dg[72];
        const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\"]},"
                          "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D2 "\"]}}";
        BlobStore *s = NULL;
        ImageRecord *rec = NULL;
        char *d = NULL, *data = NULL, **list = NULL;
        size_t size;
        int fd;

        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        ck_assert_int_eq(blobstore_open(tmpl, &s), 0);

        /* digests never become paths unvalidated */
        ck_assert_int_eq(blobstore_open_blob(s, "sha256:../../../etc/passwd", &fd), -EINVAL);
        ck_assert_int_eq(blobstore_put(s, "sha256:../x", "a", 1), -EINVAL);
        ck_assert(!blobstore_has(s, "sha256:.."));
        ck_assert_int_eq(image_tag_set(s, "../../x", D1), -EINVAL);
        ck_assert_int_eq(image_tag_set(s, "a/b:c", "sha256:/etc"), -EINVAL);

        /* verified before visible */
        ck_assert_int_eq(blobstore_put(s, D1, "hello", 5), -EBADMSG);
        ck_assert(!blobstore_has(s, D1));
        snprintf(path, sizeof path, "%s/images/tmp", tmpl);
        ck_assert_uint_eq(count_entries(path), 0);
        sha256_hex("hello", 5, dg);
        ck_assert_int_eq(blobstore_put(s, dg, "hello", 5), 0);
        ck_assert(blobstore_has(s, dg));
        ck_assert_int_eq(blobstore_read_blob(s, dg, 100, &data, &size), 0);
        ck_assert_uint_eq(size, 5);
        ck_assert_str_eq(data, "hello");
        free(data);
        ck_assert_int_eq(blobstore_read_blob(s, dg, 4, &data, &size), -EFBIG);

        /* records: saved, tagged, loaded back with the image config */
        sha256_hex(cfg, strlen(cfg), cfg_dg);
        ck_assert_int_eq(blobstore_put(s, cfg_dg, cfg, strlen(cfg)), 0);
        ImageLayer layer = { .digest = (char *) D1, .media_type = (char *) "application/vnd.oci.image.layer.v1.tar+gzip",
                             .diff_id = (char *) D2, .size = 20 };
        ImageRecord w = { .digest = dg, .name = (char *) "127.0.0.1:5000/tank/busybox:latest",
                          .config_digest = cfg_dg, .os = (char *) "linux", .architecture = (char *) "amd64",
                          .layers = &layer, .n_layers = 1, .size = 30 };
        ck_assert_int_eq(image_record_save(s, &w), 0);
        ck_assert_int_eq(image_tag_set(s, "127.0.0.1:5000/tank/busybox:latest", dg), 0);
        ck_assert_int_eq(image_tag_get(s, "127.0.0.1:5000/tank/busybox:latest", &d), 0);
        ck_assert_str_eq(d, dg);
        free(d);

        ck_assert_int_eq(image_record_load(s, "127.0.0.1:5000/tank/busybox", &rec), 0);
        ck_assert_str_eq(rec->digest, dg);
        ck_assert_uint_eq(rec->n_layers, 1);
        ck_assert_str_eq(rec->layers[0].diff_id, D2);
        ck_assert_ptr_nonnull(rec->config);
        ck_assert_str_eq(rec->config->cmd[0], "sh");
        rec = image_record_free(rec);
        ck_assert_int_eq(image_record_load(s, dg, &rec), 0);
        rec = image_record_free(rec);
        ck_assert_int_eq(image_record_load(s, "127.0.0.1:5000/tank/other", &rec), -ENOENT);
        ck_assert_int_eq(image_record_load(s, D1, &rec), -ENOENT);

        ck_assert_int_eq(image_record_list(s, &list), 0);
        ck_assert_ptr_nonnull(list[0]);
        ck_assert_str_eq(list[0], dg);
        ck_assert_ptr_null(list[1]);
        strv_free(list);

        /* an interrupted download's temp file is swept at the next open */
        char *name = NULL;
        ck_assert_int_eq(blobstore_temp(s, &fd, &name), 0);
        close(fd);
        free(name);
        ck_assert_uint_eq(count_entries(path), 1);
        blobstore_free(s);
        ck_assert_int_eq(blobstore_open(tmpl, &s), 0);
        ck_assert_uint_eq(count_entries(path), 0);
        blobstore_free(s);

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("registry");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_auth_file);
        tcase_add_test(tc, test_challenge);
        tcase_add_test(tc, test_basic_and_token);
        tcase_add_test(tc, test_manifest);
        tcase_add_test(tc, test_config_info);
        tcase_add_test(tc, test_urls);
        tcase_add_test(tc, test_blobstore);
        suite_add_tcase(s, tc);
        return check_run(s);
}
