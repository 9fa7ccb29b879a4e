/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* final.json (src/reconcile/launch.h): the final status of a completed
 * container in the data directory. Round trip, removal, and refusal of what a
 * broken disk or a hostile hand leaves there. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-run.h"
#include "fs-util.h"
#include "reconcile/launch.h"
#include "reconcile/reconciler.h"
#include "shim/exit-record.h"

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define DIGEST "sha256:d7cba6460ad5b6f5aa7fe69bd89913e8df6fb1e5ae52f557759eaa3310beee5b"

static char data_dir[] = "/tmp/test-final-record.XXXXXX";
static TankConfig config;
static Reconciler *reconciler;
static PodState pod;
static ContainerState container;

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(data_dir));
        config.data_dir = data_dir;
        ck_assert_int_eq(reconciler_new(&(ReconcilerEnv) { .config = &config }, NULL, NULL, &reconciler), 0);
        pod = (PodState) { .reconciler = reconciler, .name = (char *) "web" };
        container = (ContainerState) {
                .pod = &pod,
                .name = (char *) "app",
                .hash = HASH_A,
                .pod_hash = HASH_B,
                .image_digest = (char *) DIGEST,
                .started_realtime_usec = 1700000000000000ULL,
                .lifecycle = {
                        .restarts = 2,
                        .last_exit = { .valid = true, .code = 3, .at_usec = 1700000001000000ULL },
                },
        };
}

static void teardown(void) {
        char cmd[128];

        reconciler = reconciler_free(reconciler);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(data_dir, "/tmp/test-final-record.XXXXXX");
}

static const char *record_path(void) {
        static char p[256];
        snprintf(p, sizeof p, "%s/pods/web/app/final.json", data_dir);
        return p;
}

static void write_record(const char *s) {
        char dir[256];

        snprintf(dir, sizeof dir, "%s/pods/web/app", data_dir);
        ck_assert_int_eq(mkdir_p(dir, 0700), 0);
        ck_assert_int_eq(write_file_atomic(record_path(), s, strlen(s), 0600), 0);
}

START_TEST(test_round_trip) {
        ContainerFinal f = {};

        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), -ENOENT);
        ck_assert_int_eq(container_final_save(reconciler, &container), 0);
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), 0);
        ck_assert_str_eq(f.hash, HASH_A);
        ck_assert_str_eq(f.pod_hash, HASH_B);
        ck_assert_str_eq(f.image_digest, DIGEST);
        ck_assert_ptr_null(f.message);
        ck_assert_uint_eq(f.restarts, 2);
        ck_assert_uint_eq(f.started_realtime_usec, 1700000000000000ULL);
        ck_assert(f.last_exit.valid);
        ck_assert_int_eq(f.last_exit.code, 3);
        ck_assert_int_eq(f.last_exit.signal, 0);
        ck_assert(!f.last_exit.oom);
        ck_assert_uint_eq(f.last_exit.at_usec, 1700000001000000ULL);
        container_final_done(&f);

        /* A rootfs container has no digest; a killed one a signal; a message rides along. */
        container.image_digest = NULL;
        container.message = (char *) "tank-shim failed: \"quoted\"";
        container.lifecycle.last_exit = (ExitInfo) { .valid = true, .code = -1, .signal = SIGKILL, .oom = true, .at_usec = 5 };
        ck_assert_int_eq(container_final_save(reconciler, &container), 0);
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), 0);
        ck_assert_ptr_null(f.image_digest);
        ck_assert_str_eq(f.message, "tank-shim failed: \"quoted\"");
        ck_assert_int_eq(f.last_exit.code, -1);
        ck_assert_int_eq(f.last_exit.signal, SIGKILL);
        ck_assert(f.last_exit.oom);
        container_final_done(&f);
        ck_assert_ptr_null(f.message);

        /* Removed, and removing again is no error. */
        ck_assert_int_eq(container_final_remove(reconciler, "web", "app"), 0);
        ck_assert_int_eq(access(record_path(), F_OK), -1);
        ck_assert_int_eq(container_final_remove(reconciler, "web", "app"), 0);
        ck_assert_int_eq(container_final_remove(reconciler, "nopod", "app"), 0);
}
END_TEST

#define GOOD_EXIT "\"exit\": {\"code\": 0, \"signal\": 0, \"oom\": false, \"at_usec\": 1}"
#define GOOD_HEAD "{\"hash\": \"" HASH_A "\", \"pod_hash\": \"" HASH_B "\", \"restarts\": 0, \"started_realtime_usec\": 0, "

static const char *const bad[] = {
        "",
        "garbage",
        "[]",
        "{}",
        "null",
        GOOD_HEAD GOOD_EXIT,                                            /* truncated */
        "{\"hash\": \"" HASH_A "\", \"restarts\": 0, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
        "{\"hash\": \"x\", \"pod_hash\": \"" HASH_B "\", \"restarts\": 0, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
        "{\"hash\": \"" HASH_A "/../..\", \"pod_hash\": \"" HASH_B "\", \"restarts\": 0, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
        "{\"hash\": 1, \"pod_hash\": \"" HASH_B "\", \"restarts\": 0, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
        GOOD_HEAD "\"exit\": {\"code\": 256, \"signal\": 0, \"oom\": false, \"at_usec\": 1}}",
        GOOD_HEAD "\"exit\": {\"code\": 0, \"signal\": 65, \"oom\": false, \"at_usec\": 1}}",
        GOOD_HEAD "\"exit\": {\"code\": 0, \"signal\": 0, \"oom\": 1, \"at_usec\": 1}}",
        GOOD_HEAD "\"exit\": {\"code\": 0, \"signal\": 0, \"oom\": false, \"at_usec\": -1}}",
        GOOD_HEAD "\"exit\": {\"code\": 0.5, \"signal\": 0, \"oom\": false, \"at_usec\": 1}}",
        GOOD_HEAD "\"exit\": {\"code\": 0, \"signal\": 0, \"oom\": false}}",
        GOOD_HEAD "\"exit\": 0}",
        GOOD_HEAD GOOD_EXIT ", \"image_digest\": \"latest\"}",
        GOOD_HEAD GOOD_EXIT ", \"image_digest\": 7}",
        GOOD_HEAD GOOD_EXIT ", \"message\": [\"x\"]}",
        "{\"hash\": \"" HASH_A "\", \"pod_hash\": \"" HASH_B "\", \"restarts\": -1, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
        "{\"hash\": \"" HASH_A "\", \"pod_hash\": \"" HASH_B "\", \"restarts\": 4294967296, \"started_realtime_usec\": 0, " GOOD_EXIT "}",
};

START_TEST(test_hostile) {
        ContainerFinal f = {};

        write_record(GOOD_HEAD GOOD_EXIT "}");
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), 0);
        container_final_done(&f);

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                write_record(bad[i]);
                ck_assert_msg(container_final_load(reconciler, "web", "app", &f) < 0, "accepted: %s", bad[i]);
                ck_assert_ptr_null(f.image_digest);
                ck_assert_ptr_null(f.message);
        }
}
END_TEST

START_TEST(test_not_a_plain_file) {
        ContainerFinal f = {};
        char target[256], big[64 * 1024 + 200];

        /* Too big: refused without reading it all. */
        memset(big, ' ', sizeof big - 1);
        big[sizeof big - 1] = 0;
        memcpy(big, GOOD_HEAD GOOD_EXIT "}", strlen(GOOD_HEAD GOOD_EXIT "}"));
        write_record(big);
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), -EFBIG);

        /* A NUL inside. */
        {
                _cleanup_close_ int fd = open(record_path(), O_WRONLY | O_TRUNC | O_CLOEXEC);
                const char s[] = "{\"hash\": \"\0\"}";
                ck_assert_int_ge(fd, 0);
                ck_assert_int_eq(write(fd, s, sizeof s), (ssize_t) sizeof s);
        }
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), -EBADMSG);

        /* A symlink to a good record elsewhere, a FIFO, a directory. */
        snprintf(target, sizeof target, "%s/elsewhere.json", data_dir);
        ck_assert_int_eq(write_file_atomic(target, GOOD_HEAD GOOD_EXIT "}", strlen(GOOD_HEAD GOOD_EXIT "}"), 0600), 0);
        ck_assert_int_eq(unlink(record_path()), 0);
        ck_assert_int_eq(symlink(target, record_path()), 0);
        ck_assert_int_eq(container_final_load(reconciler, "web", "app", &f), -ELOOP);
        ck_assert_int_eq(container_final_remove(reconciler, "web", "app"), 0);
        ck_assert_int_eq(access(target, F_OK), 0);      /* the link went, not its target */

        ck_assert_int_eq(mkfifo(record_path(), 0600), 0);
        ck_assert_int_lt(container_final_load(reconciler, "web", "app", &f), 0);
        ck_assert_int_eq(container_final_remove(reconciler, "web", "app"), 0);

        ck_assert_int_eq(mkdir(record_path(), 0700), 0);
        ck_assert_int_lt(container_final_load(reconciler, "web", "app", &f), 0);
        ck_assert_int_lt(container_final_remove(reconciler, "web", "app"), 0);
}
END_TEST

static Suite *final_record_suite(void) {
        Suite *s = suite_create("final-record");
        TCase *tc = tcase_create("final.json");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_hostile);
        tcase_add_test(tc, test_not_a_plain_file);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(final_record_suite());
}
