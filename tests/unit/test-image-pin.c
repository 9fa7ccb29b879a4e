/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "spec/image-pin.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define REG "127.0.0.1:5000/tank/app"

START_TEST(test_split_and_set) {
        _cleanup_free_ char *t = NULL, *d = NULL, *t2 = NULL, *d2 = NULL, *p = NULL, *p2 = NULL, *x = NULL;

        ck_assert_int_eq(image_pin_split(REG ":stable", &t, &d), 0);
        ck_assert_str_eq(t, REG ":stable");
        ck_assert_ptr_null(d);
        ck_assert_int_eq(image_pin_split(REG ":stable@" D1, &t2, &d2), 0);
        ck_assert_str_eq(t2, REG ":stable");
        ck_assert_str_eq(d2, D1);
        /* normalized like the spec: the default domain and tag */
        ck_assert_int_eq(image_pin_set("busybox", D1, &p), 0);
        ck_assert_str_eq(p, "docker.io/library/busybox:latest@" D1);
        /* a new pin replaces the old one */
        ck_assert_int_eq(image_pin_set(REG ":stable@" D1, D2, &p2), 0);
        ck_assert_str_eq(p2, REG ":stable@" D2);

        /* nothing to follow without a tag; nothing to pin but a digest */
        ck_assert_int_eq(image_pin_split(REG "@" D1, &x, NULL), -EINVAL);
        ck_assert_int_eq(image_pin_set(REG "@" D1, D2, &x), -EINVAL);
        ck_assert_int_eq(image_pin_set(REG ":stable", "sha256:abc", &x), -EINVAL);
        ck_assert_int_eq(image_pin_set(REG ":stable", NULL, &x), -EINVAL);
        ck_assert_int_eq(image_pin_split("a b", &x, NULL), -EINVAL);
        ck_assert_ptr_null(x);
}
END_TEST

START_TEST(test_decide) {
        ck_assert_int_eq(image_update_decide(D1, D1, NULL), IMAGE_UPDATE_NONE);
        ck_assert_int_eq(image_update_decide(NULL, D1, NULL), IMAGE_UPDATE_NONE);
        ck_assert_int_eq(image_update_decide(D1, NULL, NULL), IMAGE_UPDATE_NONE);
        ck_assert_int_eq(image_update_decide(D1, D2, NULL), IMAGE_UPDATE_AVAILABLE);
        ck_assert_int_eq(image_update_decide(D1, D2, D2), IMAGE_UPDATE_SKIPPED);
        /* the tag moved on from the failed digest: try the new one */
        ck_assert_int_eq(image_update_decide(D1, D2, D1), IMAGE_UPDATE_AVAILABLE);
}
END_TEST

static Pod *parse(const char *json) {
        _cleanup_free_ char *error = NULL;
        Pod *p = NULL;

        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s: %s", json, strempty(error));
        return p;
}

START_TEST(test_carry) {
        _cleanup_pod_free_ Pod *old = parse("{\"name\":\"p\",\"containers\":["
                "{\"name\":\"a\",\"image\":\"" REG ":stable@" D1 "\",\"image_update\":\"registry\"},"
                "{\"name\":\"b\",\"image\":\"" REG ":stable@" D1 "\",\"image_update\":\"registry\"},"
                "{\"name\":\"c\",\"image\":\"" REG ":stable@" D1 "\",\"image_update\":\"registry\"},"
                "{\"name\":\"d\",\"image\":\"" REG ":stable@" D1 "\",\"image_update\":\"registry\"},"
                "{\"name\":\"e\",\"image\":\"" REG ":stable\",\"image_update\":\"registry\"}]}");
        _cleanup_pod_free_ Pod *new = parse("{\"name\":\"p\",\"containers\":["
                /* the plain tag: keeps the pin */
                "{\"name\":\"a\",\"image\":\"" REG ":stable\",\"image_update\":\"registry\"},"
                /* another tag: taken as written */
                "{\"name\":\"b\",\"image\":\"" REG ":edge\",\"image_update\":\"registry\"},"
                /* an explicit digest: taken as written */
                "{\"name\":\"c\",\"image\":\"" REG ":stable@" D2 "\",\"image_update\":\"registry\"},"
                /* image_update off: the plain tag as written */
                "{\"name\":\"d\",\"image\":\"" REG ":stable\"},"
                /* nothing pinned before */
                "{\"name\":\"e\",\"image\":\"" REG ":stable\",\"image_update\":\"registry\"},"
                /* a new container */
                "{\"name\":\"f\",\"image\":\"" REG ":stable\",\"image_update\":\"registry\"}]}");

        ck_assert_int_eq(pod_carry_image_pins(new, old), 1);
        ck_assert_str_eq(new->containers[0].image, REG ":stable@" D1);
        ck_assert_str_eq(new->containers[1].image, REG ":edge");
        ck_assert_str_eq(new->containers[2].image, REG ":stable@" D2);
        ck_assert_str_eq(new->containers[3].image, REG ":stable");
        ck_assert_str_eq(new->containers[4].image, REG ":stable");
        ck_assert_str_eq(new->containers[5].image, REG ":stable");
        ck_assert_int_eq(pod_carry_image_pins(new, NULL), 0);
        /* carried once, nothing more to carry */
        ck_assert_int_eq(pod_carry_image_pins(new, old), 0);
}
END_TEST

static Suite *image_pin_suite(void) {
        Suite *s = suite_create("image-pin");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_split_and_set);
        tcase_add_test(tc, test_decide);
        tcase_add_test(tc, test_carry);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(image_pin_suite());
}
