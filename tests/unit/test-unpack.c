/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "check-run.h"
#include "image/layer.h"
#include "reconcile/unpack.h"

typedef struct Seen {
        int calls;
        int r;
} Seen;

static void on_done(int r, const char *message, void *userdata) {
        Seen *seen = userdata;

        seen->calls++;
        seen->r = r;
}

/* With nothing to extract, the handler still runs from the loop, never from
 * within the call: the caller stores the job pointer after the call returns,
 * and a handler that ran first (and freed the container) would leave it
 * writing into freed memory. */
START_TEST(test_nothing_to_do_is_deferred) {
        sd_event *e = NULL;
        ImageRecord image = { .n_layers = 0 };
        UnpackJob *j = NULL;
        Seen seen = {};
        char dir[] = "/tmp/test-unpack-XXXXXX";
        LayerStore *layers = NULL;
        char cmd[64];

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(layer_store_open(dir, &layers), 0);
        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_eq(unpack_image_layers(e, dir, NULL, layers, &image, on_done, &seen, &j), 0);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(seen.calls, 0);
        ck_assert_int_ge(sd_event_run(e, 0), 0);
        ck_assert_int_eq(seen.calls, 1);
        ck_assert_int_eq(seen.r, 0);
        /* once only */
        ck_assert_int_ge(sd_event_run(e, 0), 0);
        ck_assert_int_eq(seen.calls, 1);
        sd_event_unref(e);
        layer_store_free(layers);
        snprintf(cmd, sizeof cmd, "rm -rf -- %s", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_cancelled_is_never_called) {
        sd_event *e = NULL;
        ImageRecord image = { .n_layers = 0 };
        UnpackJob *j = NULL;
        Seen seen = {};
        char dir[] = "/tmp/test-unpack-XXXXXX";
        LayerStore *layers = NULL;
        char cmd[64];

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(layer_store_open(dir, &layers), 0);
        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_eq(unpack_image_layers(e, dir, NULL, layers, &image, on_done, &seen, &j), 0);
        unpack_job_cancel(j);
        /* the job frees itself on the loop (ASan would report it otherwise) */
        ck_assert_int_ge(sd_event_run(e, 0), 0);
        ck_assert_int_ge(sd_event_run(e, 0), 0);
        ck_assert_int_eq(seen.calls, 0);
        sd_event_unref(e);
        layer_store_free(layers);
        snprintf(cmd, sizeof cmd, "rm -rf -- %s", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("unpack");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_nothing_to_do_is_deferred);
        tcase_add_test(tc, test_cancelled_is_never_called);
        suite_add_tcase(s, tc);
        return check_run_suite(s, true);
}
