/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "reconcile/backoff.h"

#define SEC 1000000ULL

static const BackoffPolicy policy = { .base_usec = 1 * SEC, .cap_usec = 300 * SEC, .stable_usec = 60 * SEC };

START_TEST(test_doubling_and_cap) {
        ck_assert_uint_eq(backoff_delay(&policy, 0), 0);
        ck_assert_uint_eq(backoff_delay(&policy, 1), 1 * SEC);
        ck_assert_uint_eq(backoff_delay(&policy, 2), 2 * SEC);
        ck_assert_uint_eq(backoff_delay(&policy, 3), 4 * SEC);
        ck_assert_uint_eq(backoff_delay(&policy, 9), 256 * SEC);
        ck_assert_uint_eq(backoff_delay(&policy, 10), 300 * SEC);
        ck_assert_uint_eq(backoff_delay(&policy, 4000000000U), 300 * SEC);
}
END_TEST

START_TEST(test_reset_after_stable_run) {
        Backoff b = {};

        ck_assert_uint_eq(backoff_record_exit(&b, &policy, 0), 1 * SEC);
        ck_assert_uint_eq(backoff_record_exit(&b, &policy, 5 * SEC), 2 * SEC);
        ck_assert_uint_eq(backoff_record_exit(&b, &policy, 59 * SEC), 4 * SEC);
        /* A run as long as StableSec forgives the earlier failures. */
        ck_assert_uint_eq(backoff_record_exit(&b, &policy, 60 * SEC), 1 * SEC);
        ck_assert_uint_eq(b.failures, 1);
        backoff_reset(&b);
        ck_assert_uint_eq(b.failures, 0);
}
END_TEST

START_TEST(test_huge_values_do_not_overflow) {
        BackoffPolicy p = { .base_usec = UINT64_MAX / 3, .cap_usec = UINT64_MAX, .stable_usec = 1 };
        ck_assert_uint_eq(backoff_delay(&p, 5), UINT64_MAX);
}
END_TEST

int main(void) {
        Suite *s = suite_create("backoff");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_doubling_and_cap);
        tcase_add_test(tc, test_reset_after_stable_run);
        tcase_add_test(tc, test_huge_values_do_not_overflow);
        suite_add_tcase(s, tc);
        return check_run(s);
}
