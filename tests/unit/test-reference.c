/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "spec/reference.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
        const char *in;
        const char *domain, *path, *tag, *digest;
        const char *canonical;
} good[] = {
        { "nginx", "docker.io", "library/nginx", "latest", NULL, "docker.io/library/nginx:latest" },
        { "nginx:1.27", "docker.io", "library/nginx", "1.27", NULL, "docker.io/library/nginx:1.27" },
        { "library/nginx", "docker.io", "library/nginx", "latest", NULL, "docker.io/library/nginx:latest" },
        { "docker.io/nginx", "docker.io", "library/nginx", "latest", NULL, "docker.io/library/nginx:latest" },
        { "index.docker.io/acme/app:v1", "docker.io", "acme/app", "v1", NULL, "docker.io/acme/app:v1" },
        { "acme/app", "docker.io", "acme/app", "latest", NULL, "docker.io/acme/app:latest" },
        { "ghcr.io/acme/api:1.4.2", "ghcr.io", "acme/api", "1.4.2", NULL, "ghcr.io/acme/api:1.4.2" },
        { "127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest", NULL, "127.0.0.1:5000/a/b:latest" },
        { "localhost/busybox", "localhost", "busybox", "latest", NULL, "localhost/busybox:latest" },
        { "localhost:5000/busybox:1", "localhost:5000", "busybox", "1", NULL, "localhost:5000/busybox:1" },
        { "[::1]:5000/x/y:z", "[::1]:5000", "x/y", "z", NULL, "[::1]:5000/x/y:z" },
        { "Registry.Example.com/a", "Registry.Example.com", "a", "latest", NULL, "Registry.Example.com/a:latest" },
        { "nginx@sha256:" D64, "docker.io", "library/nginx", NULL, "sha256:" D64, "docker.io/library/nginx@sha256:" D64 },
        { "nginx:1.27@sha256:" D64, "docker.io", "library/nginx", "1.27", "sha256:" D64,
          "docker.io/library/nginx:1.27@sha256:" D64 },
        { "127.0.0.1:5000/a/b@sha256:" D64, "127.0.0.1:5000", "a/b", NULL, "sha256:" D64,
          "127.0.0.1:5000/a/b@sha256:" D64 },
        { "a/b__c.d-e---f_g:Tag_.-1", "docker.io", "a/b__c.d-e---f_g", "Tag_.-1", NULL, "docker.io/a/b__c.d-e---f_g:Tag_.-1" },
        { "x:_", "docker.io", "library/x", "_", NULL, "docker.io/library/x:_" },
        { "my-registry:5000/ns/img", "my-registry:5000", "ns/img", "latest", NULL, "my-registry:5000/ns/img:latest" },
};

START_TEST(test_good) {
        _cleanup_(image_reference_freep) ImageReference *r = NULL;
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ char *why = NULL;

        ck_assert_msg(image_reference_parse(good[_i].in, &r, &why) == 0, "%s: %s", good[_i].in, why);
        ck_assert_ptr_null(why);        /* untouched on success */
        ck_assert_str_eq(r->domain, good[_i].domain);
        ck_assert_str_eq(r->path, good[_i].path);
        ck_assert_pstr_eq(r->tag, good[_i].tag);
        ck_assert_pstr_eq(r->digest, good[_i].digest);
        ck_assert_int_eq(image_reference_to_string(r, &s), 0);
        ck_assert_str_eq(s, good[_i].canonical);
}
END_TEST

static const struct {
        const char *in;
        const char *reason;
} bad[] = {
        { "", "empty reference" },
        { "Nginx", "repository name must be lowercase" },
        { "docker.io/Library/nginx", "repository name must be lowercase" },
        { "nginx:", "invalid tag" },
        { "nginx:-x", "invalid tag" },
        { "nginx:.x", "invalid tag" },
        { "nginx:a b", "invalid tag" },
        { "nginx:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "invalid tag" },
        { "nginx@sha256:abc", "invalid digest (expected sha256: and 64 lowercase hex digits)" },
        { "nginx@sha512:" D64, "invalid digest (expected sha256: and 64 lowercase hex digits)" },
        { "nginx@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
          "invalid digest (expected sha256: and 64 lowercase hex digits)" },
        { "nginx@", "invalid digest (expected sha256: and 64 lowercase hex digits)" },
        { ":tag", "empty repository name" },
        { "@sha256:" D64, "empty repository name" },
        { "a//b", "invalid repository path component" },
        { "a/", "invalid repository path component" },
        { "/a", "invalid repository path component" },
        { "a/-b", "invalid repository path component" },
        { "a/b-", "invalid repository path component" },
        { "a/b___c", "invalid repository path component" },
        { "a/b..c", "invalid repository path component" },
        { "a/b$c", "invalid character in repository name" },
        { "exa_mple.com/a", "invalid registry host" },
        { "-example.com/a", "invalid registry host" },
        { "example.com:/a", "invalid registry host" },
        { "example.com:99999/a", "invalid registry host" },
        { "[zz::1]:5000/a", "invalid registry host" },
        { "example.com/", "empty repository path" },
        { D64, "64-character hexadecimal names are reserved for image IDs" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "repository name longer than 255 characters" },
        /* 250 characters, but 260 once "docker.io/" is added (found by fuzz-spec) */
        { "a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
          "repository name longer than 255 characters" },
};

START_TEST(test_bad) {
        ImageReference *r = NULL;
        _cleanup_free_ char *why = NULL;

        ck_assert_int_eq(image_reference_parse(bad[_i].in, &r, &why), -EINVAL);
        ck_assert_ptr_null(r);
        ck_assert_msg(why && streq(why, bad[_i].reason), "%s: got %s, want %s", bad[_i].in, why, bad[_i].reason);
        /* The reason is optional for callers. */
        ck_assert_int_eq(image_reference_parse(bad[_i].in, &r, NULL), -EINVAL);
}
END_TEST

START_TEST(test_digest_is_valid) {
        ck_assert(digest_is_valid("sha256:" D64));
        ck_assert(!digest_is_valid("sha256:" D64 "0"));
        ck_assert(!digest_is_valid("sha256:"));
        ck_assert(!digest_is_valid("sha256:../../../../etc/passwd"));
        ck_assert(!digest_is_valid("SHA256:" D64));
        ck_assert(!digest_is_valid(NULL));
        ck_assert_ptr_null(image_reference_free(NULL));
}
END_TEST

static Suite *reference_suite(void) {
        Suite *s = suite_create("reference");
        TCase *tc = tcase_create("reference");

        tcase_add_loop_test(tc, test_good, 0, ELEMENTSOF(good));
        tcase_add_loop_test(tc, test_bad, 0, ELEMENTSOF(bad));
        tcase_add_test(tc, test_digest_is_valid);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(reference_suite());
}
