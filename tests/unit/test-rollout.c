/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check-run.h"
#include "reconcile/rollout.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)

static const RolloutParams params = { .min_healthy_usec = 10 * SEC, .deadline_usec = 300 * SEC, .auto_revert = true };

static unsigned observe(Rollout *r, bool healthy, const char *failure, uint64_t now, RolloutAction a[]) {
        return rollout_observe(r, &(RolloutObservation) { .healthy = healthy, .failure = failure }, now, a);
}

START_TEST(test_names) {
        for (int i = 0; i < _ROLLOUT_CAUSE_MAX; i++)
                ck_assert_int_eq(rollout_cause_from_string(rollout_cause_to_string(i)), i);
        for (int i = 0; i < _ROLLOUT_RESULT_MAX; i++)
                ck_assert_int_eq(rollout_result_from_string(rollout_result_to_string(i)), i);
        ck_assert_int_eq(rollout_cause_from_string("bogus"), -EINVAL);
        ck_assert_int_eq(rollout_result_from_string(NULL), -EINVAL);
        ck_assert_ptr_null(rollout_cause_to_string(_ROLLOUT_CAUSE_MAX));
}
END_TEST

START_TEST(test_success_after_min_healthy) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};
        int64_t sup = -1;

        rollout_begin(&r, 7, ROLLOUT_CAUSE_APPLY, &params, T0, 5, &sup);
        ck_assert_int_eq(sup, 0);
        ck_assert(rollout_in_progress(&r));
        /* Not healthy yet: wait for the deadline. */
        ck_assert_uint_eq(observe(&r, false, NULL, T0 + SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_ARM_TIMER);
        ck_assert_uint_eq(a[0].at_usec, T0 + 300 * SEC);
        /* Healthy at 2 s: due at 12 s. */
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 2 * SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_ARM_TIMER);
        ck_assert_uint_eq(a[0].at_usec, T0 + 12 * SEC);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 11 * SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_ARM_TIMER);
        /* A break resets the streak. */
        ck_assert_uint_eq(observe(&r, false, NULL, T0 + 11 * SEC, a), 1);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 12 * SEC, a), 1);
        ck_assert_uint_eq(a[0].at_usec, T0 + 22 * SEC);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 22 * SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_FINISHED);
        ck_assert_int_eq(a[0].revision, 7);
        ck_assert_int_eq(r.result, ROLLOUT_SUCCEEDED);
        ck_assert_str_eq(r.reason, "");
        /* Finished: nothing more happens, not even on a later failure. */
        ck_assert_uint_eq(observe(&r, false, "container app: exit 1", T0 + 30 * SEC, a), 0);
        ck_assert_int_eq(r.result, ROLLOUT_SUCCEEDED);
}
END_TEST

START_TEST(test_zero_min_healthy) {
        RolloutParams p = params;
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        p.min_healthy_usec = 0;
        rollout_begin(&r, 3, ROLLOUT_CAUSE_APPLY, &p, T0, 0, NULL);
        ck_assert_uint_eq(observe(&r, true, NULL, T0, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_FINISHED);
        ck_assert_int_eq(r.result, ROLLOUT_SUCCEEDED);
}
END_TEST

START_TEST(test_failure_on_exit_reverts) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &params, T0, 7, NULL);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + SEC, a), 1);
        ck_assert_uint_eq(observe(&r, false, "container app: exit 1", T0 + 2 * SEC, a), 2);
        ck_assert_uint_eq(a[0].type, ROLLOUT_FINISHED);
        ck_assert_int_eq(a[0].revision, 9);
        ck_assert_uint_eq(a[1].type, ROLLOUT_REVERT);
        ck_assert_int_eq(a[1].revision, 7);
        ck_assert_int_eq(r.result, ROLLOUT_REVERTED);
        ck_assert_str_eq(r.reason, "container app: exit 1; reverted to revision 7");
}
END_TEST

START_TEST(test_failure_on_liveness_without_revert) {
        RolloutParams p = params;
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        p.auto_revert = false;
        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &p, T0, 7, NULL);
        ck_assert_uint_eq(observe(&r, false, "container app: liveness: http 500", T0 + SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_FINISHED);
        ck_assert_int_eq(r.result, ROLLOUT_FAILED);
        ck_assert_str_eq(r.reason, "container app: liveness: http 500");
}
END_TEST

START_TEST(test_failure_on_deadline) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &params, T0, 7, NULL);
        /* Healthy too late: the streak would end after the deadline. */
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 295 * SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_ARM_TIMER);
        ck_assert_uint_eq(a[0].at_usec, T0 + 300 * SEC);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 300 * SEC, a), 2);
        ck_assert_uint_eq(a[1].type, ROLLOUT_REVERT);
        ck_assert_int_eq(r.result, ROLLOUT_REVERTED);
        ck_assert_str_eq(r.reason, "not healthy for 10s within the deadline of 300s; reverted to revision 7");
}
END_TEST

START_TEST(test_no_rollback_of_rollback) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        rollout_begin(&r, 10, ROLLOUT_CAUSE_ROLLBACK, &params, T0, 7, NULL);
        ck_assert_uint_eq(observe(&r, false, "container app: exit 2", T0 + SEC, a), 1);
        ck_assert_uint_eq(a[0].type, ROLLOUT_FINISHED);
        ck_assert_int_eq(r.result, ROLLOUT_FAILED);
        ck_assert_str_eq(r.reason, "container app: exit 2; a rollback is not reverted");

        /* Nothing to go back to: reported, not reverted. */
        rollout_begin(&r, 11, ROLLOUT_CAUSE_APPLY, &params, T0, 0, NULL);
        ck_assert_uint_eq(observe(&r, false, "container app: exit 2", T0 + SEC, a), 1);
        ck_assert_int_eq(r.result, ROLLOUT_FAILED);
        ck_assert_str_eq(r.reason, "container app: exit 2; no earlier revision succeeded");
        /* A target that is not earlier is no target. */
        rollout_begin(&r, 12, ROLLOUT_CAUSE_UNDO, &params, T0, 12, NULL);
        ck_assert_int_eq(r.revert_to, 0);
}
END_TEST

START_TEST(test_supersede) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};
        int64_t sup = -1;

        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &params, T0, 7, &sup);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + SEC, a), 1);
        rollout_begin(&r, 12, ROLLOUT_CAUSE_APPLY, &params, T0 + 2 * SEC, 7, &sup);
        ck_assert_int_eq(sup, 9);
        ck_assert_int_eq(r.revision, 12);
        ck_assert_uint_eq(r.healthy_since_usec, 0);
        /* After a finished one, nothing is superseded. */
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 2 * SEC, a), 1);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 12 * SEC, a), 1);
        ck_assert_int_eq(r.result, ROLLOUT_SUCCEEDED);
        rollout_begin(&r, 13, ROLLOUT_CAUSE_APPLY, &params, T0 + 13 * SEC, 12, &sup);
        ck_assert_int_eq(sup, 0);
}
END_TEST

START_TEST(test_resume_after_restart) {
        RolloutAction a[ROLLOUT_ACTIONS_MAX];
        Rollout r = {};

        /* tankd restarted 100 s into revision 9's rollout: the deadline still
         * counts from the record's time, the streak starts over. */
        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &params, T0, 7, NULL);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 100 * SEC, a), 1);
        ck_assert_uint_eq(a[0].at_usec, T0 + 110 * SEC);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 110 * SEC, a), 1);
        ck_assert_int_eq(r.result, ROLLOUT_SUCCEEDED);

        /* Resumed after the deadline passed: reverted at once. */
        rollout_begin(&r, 9, ROLLOUT_CAUSE_APPLY, &params, T0, 7, NULL);
        ck_assert_uint_eq(observe(&r, true, NULL, T0 + 400 * SEC, a), 2);
        ck_assert_int_eq(r.result, ROLLOUT_REVERTED);
        ck_assert_int_eq(a[1].revision, 7);
}
END_TEST

int main(void) {
        Suite *s = suite_create("rollout");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_success_after_min_healthy);
        tcase_add_test(tc, test_zero_min_healthy);
        tcase_add_test(tc, test_failure_on_exit_reverts);
        tcase_add_test(tc, test_failure_on_liveness_without_revert);
        tcase_add_test(tc, test_failure_on_deadline);
        tcase_add_test(tc, test_no_rollback_of_rollback);
        tcase_add_test(tc, test_supersede);
        tcase_add_test(tc, test_resume_after_restart);
        suite_add_tcase(s, tc);
        return check_run(s);
}
