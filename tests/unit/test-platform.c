/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "image/platform.h"

START_TEST(test_machine_table) {
        static const struct { const char *machine, *arch, *variant; } t[] = {
                { "x86_64", "amd64", NULL },
                { "aarch64", "arm64", "v8" },
                { "armv7l", "arm", "v7" },
                { "armv6l", "arm", "v6" },
                { "i686", "386", NULL },
                { "i386", "386", NULL },
                { "ppc64le", "ppc64le", NULL },
                { "s390x", "s390x", NULL },
                { "riscv64", "riscv64", NULL },
        };
        const char *arch, *variant;

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ck_assert_int_eq(platform_from_machine(t[i].machine, &arch, &variant), 0);
                ck_assert_str_eq(arch, t[i].arch);
                ck_assert(streq_ptr(variant, t[i].variant));
        }
        ck_assert_int_eq(platform_from_machine("pdp11", &arch, &variant), -EOPNOTSUPP);
        ck_assert_int_eq(platform_from_machine(NULL, &arch, &variant), -EINVAL);
}
END_TEST

START_TEST(test_host) {
        Platform p = {};

        ck_assert_int_eq(platform_host(&p), 0);
        ck_assert_str_eq(p.os, "linux");
        ck_assert_ptr_nonnull(p.architecture);
        platform_done(&p);
        platform_done(&p);   /* idempotent */
}
END_TEST

START_TEST(test_match) {
        Platform amd64 = { .os = (char *) "linux", .architecture = (char *) "amd64" };
        Platform arm64 = { .os = (char *) "linux", .architecture = (char *) "arm64", .variant = (char *) "v8" };
        Platform armv7 = { .os = (char *) "linux", .architecture = (char *) "arm", .variant = (char *) "v7" };

        ck_assert_int_gt(platform_match(&amd64, "linux", "amd64", NULL), 0);
        ck_assert_int_eq(platform_match(&amd64, "linux", "arm64", NULL), 0);
        ck_assert_int_eq(platform_match(&amd64, "windows", "amd64", NULL), 0);
        ck_assert_int_eq(platform_match(&amd64, "linux", "amd64", "v3"), 0);
        ck_assert_int_eq(platform_match(&amd64, NULL, "amd64", NULL), 0);

        /* arm64: v8 and no variant are the same */
        ck_assert_int_gt(platform_match(&arm64, "linux", "arm64", "v8"), 0);
        ck_assert_int_gt(platform_match(&arm64, "linux", "arm64", NULL), 0);
        ck_assert_int_eq(platform_match(&arm64, "linux", "arm64", "v9"), 0);
        ck_assert_int_eq(platform_match(&arm64, "linux", "arm", "v7"), 0);

        /* arm v7 runs v6/v5, prefers exact, never v8 */
        ck_assert_int_gt(platform_match(&armv7, "linux", "arm", "v7"),
                         platform_match(&armv7, "linux", "arm", "v6"));
        ck_assert_int_gt(platform_match(&armv7, "linux", "arm", "v6"),
                         platform_match(&armv7, "linux", "arm", "v5"));
        ck_assert_int_gt(platform_match(&armv7, "linux", "arm", "v5"), 0);
        ck_assert_int_eq(platform_match(&armv7, "linux", "arm", "v8"), 0);
        ck_assert_int_gt(platform_match(&armv7, "linux", "arm", NULL), 0);
        ck_assert_int_eq(platform_match(&armv7, "linux", "arm", "v77"), 0);
}
END_TEST

START_TEST(test_to_string) {
        char *s = platform_to_string("linux", "arm64", "v8");
        ck_assert_str_eq(s, "linux/arm64/v8");
        free(s);
        s = platform_to_string("linux", "amd64", NULL);
        ck_assert_str_eq(s, "linux/amd64");
        free(s);
}
END_TEST

int main(void) {
        Suite *s = suite_create("platform");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_machine_table);
        tcase_add_test(tc, test_host);
        tcase_add_test(tc, test_match);
        tcase_add_test(tc, test_to_string);
        suite_add_tcase(s, tc);
        return check_run(s);
}
