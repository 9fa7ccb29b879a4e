/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The kernel feature probes: this kernel has everything (so tankd starts here);
 * the first missing feature is the one named, in the message tankd prints; and a
 * call the kernel answers with ENOSYS (an old kernel, simulated with a seccomp
 * filter in the forked test process) counts as missing. tankd itself, on such a
 * kernel, exits with KERNEL_FEATURES_EXIT_STATUS (the status tankd.service does
 * not restart on) before it touches anything. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-run.h"
#include "kernel-features.h"
#include "macro.h"

START_TEST(test_this_kernel_has_everything) {
        _cleanup_free_ char *error = NULL;

        FOREACH_ARRAY(f, kernel_features, kernel_features_count)
                ck_assert_msg(f->probe(), "this kernel lacks %s (Linux %s)", f->name, f->since);
        ck_assert_ptr_null(kernel_features_first_missing(kernel_features, kernel_features_count));
        ck_assert_msg(kernel_features_check(NULL, 0, &error) == 0, "%s", strempty(error));
        ck_assert_ptr_null(error);
}
END_TEST

static bool present(void) {
        return true;
}

static bool absent(void) {
        return false;
}

START_TEST(test_message_names_first_missing) {
        static const KernelFeature table[] = {
                { "old_call()", "2.6", present },
                { "frobnicate()", "9.1", absent },
                { "later_call()", "9.2", absent },
        };
        _cleanup_free_ char *m = NULL, *error = NULL, *expected = NULL;
        struct utsname u;

        ck_assert_ptr_eq(kernel_features_first_missing(table, ELEMENTSOF(table)), &table[1]);
        ck_assert_ptr_null(kernel_features_first_missing(table, 1));

        ck_assert_int_eq(kernel_feature_missing_message(&table[1], "5.4.0", &m), 0);
        ck_assert_str_eq(m, "this kernel (5.4.0) lacks frobnicate() (Linux 9.1); Tank needs Linux "
                         KERNEL_MINIMUM_VERSION " or newer");

        ck_assert_int_eq(uname(&u), 0);
        ck_assert(asprintf(&expected, "this kernel (%s) lacks frobnicate() (Linux 9.1); Tank needs Linux "
                           KERNEL_MINIMUM_VERSION " or newer", u.release) > 0);
        ck_assert_int_eq(kernel_features_check(table, ELEMENTSOF(table), &error), -EOPNOTSUPP);
        ck_assert_str_eq(error, expected);
        ck_assert_int_eq(kernel_features_check(table, 1, NULL), 0);
}
END_TEST

/* An older kernel, imitated: every call of `syscall_nr` fails with `error`.
 * Each test runs in its own forked process, so the filter dies with it. */
static void fail_syscall_with(int syscall_nr, int error) {
        scmp_filter_ctx ctx;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        ck_assert_ptr_nonnull(ctx);
        ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), syscall_nr, 0), 0);
        ck_assert_int_eq(seccomp_load(ctx), 0);
        seccomp_release(ctx);
}

/* Like a 5.10 kernel: mount_setattr() unknown. */
START_TEST(test_enosys_is_missing) {
        _cleanup_free_ char *error = NULL;

        fail_syscall_with(SCMP_SYS(mount_setattr), ENOSYS);
        ck_assert_int_eq(kernel_features_check(NULL, 0, &error), -EOPNOTSUPP);
        ck_assert_msg(strstr(error, "lacks mount_setattr() (Linux 5.12); Tank needs Linux 5.15 or newer"),
                      "%s", error);
}
END_TEST

/* Like a 5.10 kernel: close_range() without CLOSE_RANGE_CLOEXEC. */
START_TEST(test_unknown_flag_is_missing) {
        _cleanup_free_ char *error = NULL;

        fail_syscall_with(SCMP_SYS(close_range), EINVAL);
        ck_assert_int_eq(kernel_features_check(NULL, 0, &error), -EOPNOTSUPP);
        ck_assert_msg(strstr(error, "lacks close_range(CLOSE_RANGE_CLOEXEC) (Linux 5.11)"), "%s", error);
}
END_TEST

/* tankd on a kernel without mount_setattr(): the message on stderr, and the exit
 * status that stops tankd.service's restarts. The filter is inherited across
 * execve(). */
START_TEST(test_tankd_exit_status) {
        char buf[4096] = "";
        size_t len = 0;
        int pipe_fds[2], status;
        ssize_t k;
        pid_t pid;

        ck_assert_int_eq(pipe2(pipe_fds, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

                if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(mount_setattr), 0) < 0 ||
                    seccomp_load(ctx) < 0 || dup2(pipe_fds[1], STDERR_FILENO) < 0)
                        _exit(120);
                execl(TANKD_PATH, "tankd", (char *) NULL);
                _exit(121);
        }
        close(pipe_fds[1]);
        while (len < sizeof(buf) - 1 && (k = read(pipe_fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) k;
        close(pipe_fds[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status), "tankd died: status 0x%x", (unsigned) status);
        ck_assert_msg(WEXITSTATUS(status) == KERNEL_FEATURES_EXIT_STATUS, "tankd exited %d: %s",
                      WEXITSTATUS(status), buf);
        ck_assert_msg(strstr(buf, "lacks mount_setattr() (Linux 5.12)"), "%s", buf);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("kernel-features");
        TCase *tc = tcase_create("probe");

        tcase_add_test(tc, test_this_kernel_has_everything);
        tcase_add_test(tc, test_message_names_first_missing);
        /* The filters stay for the life of the process: check forks per test. */
        tcase_add_test(tc, test_enosys_is_missing);
        tcase_add_test(tc, test_unknown_flag_is_missing);
        tcase_add_test(tc, test_tankd_exit_status);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
