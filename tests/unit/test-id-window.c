/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/tankctl/id-window.c: tankctl events' bounded set of printed ids. */
#include <check.h>
#include <stdio.h>

#include "check-run.h"
#include "tankctl/id-window.h"

START_TEST(test_window) {
        _cleanup_(id_window_freep) IdWindow *w = id_window_new(3);
        char id[40];

        ck_assert_ptr_nonnull(w);
        ck_assert_int_eq(id_window_add(w, "a"), 1);
        ck_assert_int_eq(id_window_add(w, "a"), 0);
        ck_assert_int_eq(id_window_add(w, "b"), 1);
        ck_assert_int_eq(id_window_add(w, "c"), 1);
        ck_assert_int_eq(id_window_add(w, "b"), 0);
        ck_assert_uint_eq(id_window_size(w), 3);
        /* Full: d pushes out the oldest, a, which is new again. */
        ck_assert_int_eq(id_window_add(w, "d"), 1);
        ck_assert_uint_eq(id_window_size(w), 3);
        ck_assert_int_eq(id_window_add(w, "c"), 0);
        ck_assert_int_eq(id_window_add(w, "a"), 1);
        ck_assert_int_eq(id_window_add(w, "b"), 1);
        ck_assert_int_eq(id_window_add(w, "d"), 0);

        /* A long follow: the set never holds more than its window. */
        for (unsigned i = 0; i < 10000; i++) {
                snprintf(id, sizeof id, "%032u", i);
                ck_assert_int_eq(id_window_add(w, id), 1);
                ck_assert_int_eq(id_window_add(w, id), 0);
                ck_assert_uint_le(id_window_size(w), 3);
        }
        ck_assert_ptr_null(id_window_new(0));
        ck_assert_ptr_null(id_window_free(NULL));
}
END_TEST

int main(void) {
        Suite *s = suite_create("id-window");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_window);
        suite_add_tcase(s, tc);
        return check_run(s);
}
