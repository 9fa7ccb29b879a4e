/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdio.h>

#include "hashmap.h"
#include "strv.h"
#include "unit-name.h"

START_TEST(test_unit_names) {
        _cleanup_free_ char *s = NULL, *c = NULL, *e = NULL;

        ck_assert_int_eq(pod_slice_name("web", &s), 0);
        ck_assert_str_eq(s, "tank-pod-web.slice");
        ck_assert_int_eq(container_scope_name("my-app", "app", &c), 0);
        ck_assert_str_eq(c, "tank-my\\x2dapp-app.scope");
        e = unit_name_escape(".a-b/c");
        ck_assert_str_eq(e, "\\x2ea\\x2db-c");
}
END_TEST

START_TEST(test_strv_env) {
        _cleanup_strv_free_ char **l = NULL;

        ck_assert_int_eq(strv_env_set(&l, "A=1"), 0);
        ck_assert_int_eq(strv_env_set(&l, "B=2"), 0);
        ck_assert_int_eq(strv_env_set(&l, "A=3"), 0);
        ck_assert_int_eq(strv_env_set(&l, "=x"), -EINVAL);
        ck_assert_int_eq(strv_length(l), 2);
        ck_assert_str_eq(l[0], "A=3");
        ck_assert_str_eq(strv_env_get(l, "B"), "2");
        ck_assert_ptr_null(strv_env_get(l, "AB"));
        _cleanup_free_ char *j = strv_join(l, ",");
        ck_assert_str_eq(j, "A=3,B=2");
        ck_assert(strv_equal(l, l));
        ck_assert(!strv_equal(l, NULL));
}
END_TEST

START_TEST(test_hashmap) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        char keys[1000][8];
        size_t n = 0;
        void *v;

        for (int i = 0; i < 1000; i++) {
                snprintf(keys[i], sizeof keys[i], "k%d", i);
                ck_assert_int_eq(hashmap_put(h, keys[i], keys[i]), 1);
        }
        ck_assert_int_eq(hashmap_put(h, "k1", NULL), -EEXIST);
        ck_assert_uint_eq(hashmap_size(h), 1000);
        ck_assert_ptr_eq(hashmap_get(h, "k999"), keys[999]);
        HASHMAP_FOREACH(v, h) {
                n++;
                if (n % 2)
                        ck_assert_ptr_nonnull(hashmap_remove(h, v));
        }
        ck_assert_uint_eq(n, 1000);
        ck_assert_uint_eq(hashmap_size(h), 500);
        ck_assert_ptr_null(hashmap_get(h, "nope"));
}
END_TEST

int main(void) {
        Suite *s = suite_create("shared");
        TCase *tc = tcase_create("core");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, test_unit_names);
        tcase_add_test(tc, test_strv_env);
        tcase_add_test(tc, test_hashmap);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? 0 : 1;
}
