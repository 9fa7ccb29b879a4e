/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The probe runners' contract without a network or a container (those are
 * tests/system/test-probe-run.sh): arguments, the deferred callback exactly
 * once, cancel, the output cap, and exec runs whose tank-exec fails early
 * (fake-tank-exec), including a timeout that must kill it. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-run.h"
#include "macro.h"
#include "reconcile/probe-internal.h"

typedef struct Seen {
        bool starting;
        unsigned calls;
        bool during_start;
        ProbeResult res;        /* output not copied */
} Seen;

static void on_done(const ProbeResult *res, void *userdata) {
        Seen *s = userdata;

        s->calls++;
        s->during_start = s->during_start || s->starting;
        s->res = *res;
        s->res.output = NULL;
}

static void run_until(sd_event *e, Seen *s, unsigned ms) {
        for (unsigned i = 0; s->calls == 0 && i < ms / 10; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        /* A second call would come now. */
        for (unsigned i = 0; i < 5; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
}

START_TEST(test_bad_arguments) {
        sd_event *e = NULL;
        ProbeRun *r = (ProbeRun *) 0x1;
        Seen s = {};
        char *bad_header[] = { (char *) "X: a\r\nY: b", NULL };
        char *no_colon[] = { (char *) "X-Probe", NULL };
        char *argv[] = { NULL };

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(probe_run_tcp(e, NULL, 0, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_tcp(e, NULL, 80, 0, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_tcp(e, NULL, 80, 1000, NULL, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, "ftp", NULL, 80, NULL, NULL, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, NULL, 80, "x", NULL, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, NULL, 80, "/a b", NULL, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, "a/b", 80, NULL, NULL, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, "u@h", 80, NULL, NULL, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, NULL, 80, NULL, bad_header, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_http(e, NULL, NULL, NULL, 80, NULL, no_colon, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_int_eq(probe_run_exec(e, &(ProbeExecTarget) {}, argv, 1000, on_done, &s, &r), -EINVAL);
        ck_assert_ptr_eq(r, (ProbeRun *) 0x1);   /* untouched on failure */
        ck_assert_int_eq(sd_event_run(e, 10 * 1000), 0);
        ck_assert_uint_eq(s.calls, 0);
        sd_event_unref(e);
}
END_TEST

/* A namespace that cannot be entered is a failed run, reported later, once. */
START_TEST(test_bad_netns) {
        sd_event *e = NULL;
        ProbeRun *r = NULL;

        ck_assert_int_eq(sd_event_new(&e), 0);
        for (int http = 0; http < 2; http++) {
                Seen s = { .starting = true };
                if (http)
                        ck_assert_int_eq(probe_run_http(e, "/nonexistent/netns", "https", "::1", 8443, "/healthz",
                                                        NULL, 1000, on_done, &s, &r),
                                         0);
                else
                        ck_assert_int_eq(probe_run_tcp(e, "/nonexistent/netns", 80, 1000, on_done, &s, &r), 0);
                s.starting = false;
                run_until(e, &s, 5000);
                ck_assert_uint_eq(s.calls, 1);
                ck_assert(!s.during_start);
                ck_assert(!s.res.success);
                ck_assert(!s.res.timed_out);
                ck_assert_str_eq(s.res.reason, "cannot enter the pod's network namespace: no such file or directory");
        }
        sd_event_unref(e);
}
END_TEST

START_TEST(test_cancel) {
        sd_event *e = NULL;
        ProbeRun *r = NULL;
        Seen s = {};

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(probe_run_tcp(e, "/nonexistent/netns", 80, 1000, on_done, &s, &r), 0);
        ck_assert_ptr_null(probe_run_cancel(r));
        ck_assert_ptr_null(probe_run_cancel(NULL));
        run_until(e, &s, 100);
        ck_assert_uint_eq(s.calls, 0);
        sd_event_unref(e);
}
END_TEST

START_TEST(test_output_and_reasons) {
        ProbeResult res = {};
        char big[6000];

        memset(big, 'x', sizeof big);
        ck_assert_int_eq(probe_result_append(&res, "ab", 2), 0);
        ck_assert_int_eq(probe_result_append(&res, big, sizeof big), 0);
        ck_assert_int_eq(probe_result_append(&res, "c", 1), 0);
        ck_assert_uint_eq(res.output_len, PROBE_OUTPUT_MAX);
        ck_assert_int_eq(memcmp(res.output, "abxx", 4), 0);
        ck_assert_int_eq(res.output[PROBE_OUTPUT_MAX - 1], 'x');
        ck_assert_int_eq(res.output[PROBE_OUTPUT_MAX], 0);
        free(res.output);

        probe_result_timeout(&res, 1000000);
        ck_assert(res.timed_out && !res.success);
        ck_assert_str_eq(res.reason, "timeout after 1s");
        probe_result_timeout(&res, 1500000);
        ck_assert_str_eq(res.reason, "timeout after 1500ms");
}
END_TEST

static void exec_with(sd_event *e, SealedExe *exe, char **argv, uint64_t timeout_usec, Seen *s) {
        ProbeRun *r = NULL;
        ProbeExecTarget t = {
                .exe = exe,
                .config_path = "/nonexistent/config.json",
                .workload_pid = getpid(),
                .unit = "tank-none-none.scope",
        };

        s->starting = true;
        ck_assert_int_eq(probe_run_exec(e, &t, argv, timeout_usec, on_done, s, &r), 0);
        s->starting = false;
        run_until(e, s, 8000);
        ck_assert_uint_eq(s->calls, 1);
        ck_assert(!s->during_start);
        ck_assert(!s->res.success);
}

START_TEST(test_exec_helper_fails) {
        SealedExe exe = SEALED_EXE_NULL;
        sd_event *e = NULL;
        Seen s1 = {}, s2 = {}, s3 = {}, s4 = {};

        ck_assert_int_eq(sealed_exe_init(&exe, FAKE_TANK_EXEC), 0);
        ck_assert_int_eq(sd_event_new(&e), 0);

        exec_with(e, &exe, (char *[]) { (char *) "error", NULL }, 5000000, &s1);
        ck_assert_str_eq(s1.res.reason, "boom");
        exec_with(e, &exe, (char *[]) { (char *) "eof", NULL }, 5000000, &s2);
        ck_assert_str_eq(s2.res.reason, "the exec helper failed");
        exec_with(e, &exe, (char *[]) { (char *) "nonsense", NULL }, 5000000, &s3);
        ck_assert_str_eq(s3.res.reason, "the exec helper failed");
        exec_with(e, &exe, (char *[]) { (char *) "pid", NULL }, 5000000, &s4);
        ck_assert_msg(strncmp(s4.res.reason, "cannot move the exec helper into tank-none-none.scope: ", 55) == 0,
                      "reason: %s", s4.res.reason);
        ck_assert(!s1.res.timed_out && !s4.res.timed_out);

        /* The helpers that waited for EOF are gone: the loop reaps them. */
        for (unsigned i = 0; i < 20; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        sd_event_unref(e);
        sealed_exe_done(&exe);
}
END_TEST

/* A helper that hangs before "running" is killed at the deadline. */
START_TEST(test_exec_timeout_kills_helper) {
        SealedExe exe = SEALED_EXE_NULL;
        sd_event *e = NULL;
        char path[] = "/tmp/test-probe-run-XXXXXX";
        int fd, pid = 0;
        FILE *f;
        Seen s = {};

        fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_int_eq(sealed_exe_init(&exe, FAKE_TANK_EXEC), 0);
        ck_assert_int_eq(sd_event_new(&e), 0);
        exec_with(e, &exe, (char *[]) { (char *) "hang", path, NULL }, 300000, &s);
        ck_assert(s.res.timed_out);
        ck_assert_str_eq(s.res.reason, "timeout after 300ms");
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
        fclose(f);
        unlink(path);
        /* Killed and reaped by the loop. */
        for (unsigned i = 0; kill(pid, 0) == 0 && i < 100; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert_int_eq(kill(pid, 0), -1);
        sd_event_unref(e);
        sealed_exe_done(&exe);
}
END_TEST

int main(void) {
        Suite *s = suite_create("probe-run");
        TCase *tc = tcase_create("core");
        sigset_t mask;

        /* sd_event_add_child() wants SIGCHLD blocked in every thread. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_bad_arguments);
        tcase_add_test(tc, test_bad_netns);
        tcase_add_test(tc, test_cancel);
        tcase_add_test(tc, test_output_and_reasons);
        tcase_add_test(tc, test_exec_helper_fails);
        tcase_add_test(tc, test_exec_timeout_kills_helper);
        suite_add_tcase(s, tc);
        return check_run(s);
}
