/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The history records of store/history.h: written and read back, and
 * refused with a reason when a value in the store is not one. */
#include <check.h>
#include <string.h>

#include "check-run.h"
#include "store/history.h"

START_TEST(test_round_trip) {
        HistoryImage images[] = { { "app", "127.0.0.1:5000/tank/busybox:latest", "sha256:ab" }, { "b", "/srv/root", "" } };
        HistoryRecord rec = {
                .revision = 42, .time_usec = 1700000000000000, .cause = "rollback", .result = "reverted",
                .reason = "container app: exited (exit 3); reverted to revision 7", .finished_usec = 1700000000500000,
                .images = images, .n_images = 2, .spec = "{\"name\":\"ro\",\"containers\":[]}",
        };
        _cleanup_(history_record_freep) HistoryRecord *back = NULL, *copy = NULL;
        _cleanup_free_ char *json = NULL, *json2 = NULL;

        ck_assert_int_eq(history_record_format(&rec, &json), 0);
        ck_assert_int_eq(history_record_parse(json, strlen(json), &back, NULL), 0);
        ck_assert_int_eq(back->revision, 42);
        ck_assert_uint_eq(back->time_usec, rec.time_usec);
        ck_assert_uint_eq(back->finished_usec, rec.finished_usec);
        ck_assert_str_eq(back->cause, "rollback");
        ck_assert_str_eq(back->result, "reverted");
        ck_assert_str_eq(back->reason, rec.reason);
        ck_assert_str_eq(back->spec, rec.spec);
        ck_assert_uint_eq(back->n_images, 2);
        ck_assert_str_eq(back->images[0].digest, "sha256:ab");
        ck_assert_str_eq(back->images[1].image, "/srv/root");
        ck_assert_int_eq(history_record_copy(back, &copy), 0);
        ck_assert_int_eq(history_record_format(copy, &json2), 0);
        ck_assert_str_eq(json, json2);
}
END_TEST

START_TEST(test_refused) {
        static const struct {
                const char *value, *error;
        } bad[] = {
                { "[]", "not a JSON object" },
                { "{\"revision\"", "not a JSON object" },
                { "{\"revision\":0}", "revision: expected a positive integer" },
                { "{\"revision\":\"5\"}", "revision: expected a positive integer" },
                { "{\"revision\":5,\"time\":-1}", "time: expected a non-negative integer" },
                { "{\"revision\":5,\"time\":1,\"finished\":0,\"cause\":3}", "cause: expected a string" },
                { "{\"revision\":5,\"time\":1,\"finished\":0,\"cause\":\"apply\",\"result\":\"\",\"reason\":\"\","
                  "\"spec\":\"{}\",\"images\":{}}", "images: expected an array of at most 128 objects" },
                { "{\"revision\":5,\"time\":1,\"finished\":0,\"cause\":\"apply\",\"result\":\"\",\"reason\":\"\","
                  "\"spec\":\"{}\",\"images\":[{\"container\":\"a\"}]}",
                  "images: expected container, image and digest strings" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *error = NULL;
                HistoryRecord *rec = NULL;

                ck_assert_int_eq(history_record_parse(bad[i].value, strlen(bad[i].value), &rec, &error), -EINVAL);
                ck_assert_ptr_null(rec);
                ck_assert_str_eq(error, bad[i].error);
        }
}
END_TEST

START_TEST(test_keys) {
        _cleanup_free_ char *k = NULL;

        ck_assert_int_eq(store_history_key("web", 17, &k), 0);
        ck_assert_str_eq(k, "/tank/v1/history/web/17");
        ck_assert_int_eq(store_history_key("Web", 17, &k), -EINVAL);
        ck_assert_int_eq(store_history_key("web", 0, &k), -EINVAL);
}
END_TEST

int main(void) {
        Suite *s = suite_create("rollout-history");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_refused);
        tcase_add_test(tc, test_keys);
        suite_add_tcase(s, tc);
        return check_run(s);
}
