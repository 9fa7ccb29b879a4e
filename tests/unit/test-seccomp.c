/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default seccomp policy (src/shim/security.c): every syscall name in its
 * table is known to this machine's libseccomp, has a number on one of the
 * ABIs the filter covers, and the filter builds. A name libseccomp does not
 * know would otherwise be a rule missing from every container. The program
 * tankd compiles from it (security_seccomp_export()) is what a container gets
 * when read back, and a file that anyone but root could have written, or that
 * is not a whole program, is not read: the policy is built instead. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check-run.h"
#include "container.h"
#include "fs-util.h"
#include "macro.h"
#include "security.h"

#if defined(__x86_64__)
/* Known to libseccomp but no x86-64 syscalls (i386 only): their rules are for
 * the i386 ABI the filter also covers. */
static const char *const not_native[] = {
        "umount", "stime", "vm86", "vm86old", "clock_settime64", "clock_adjtime64",
};
static const uint32_t filter_arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
#else
static const char *const not_native[] = {};
static const uint32_t filter_arches[] = { SCMP_ARCH_NATIVE };
#endif

static bool is_not_native(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(not_native); i++)
                if (streq(not_native[i], name))
                        return true;
        return false;
}

START_TEST(test_every_name_resolves) {
        size_t n;
        const char *const *names = security_denied_syscalls(&n);

        ck_assert_uint_gt(n, 50);
        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                bool somewhere = false;

                ck_assert_msg(nr != __NR_SCMP_ERROR, "%s: unknown to libseccomp", names[i]);
#if defined(__x86_64__)
                /* The documented list is exact: a native syscall is not in it,
                 * a pseudo-syscall number is. */
                ck_assert_msg((nr < 0) == is_not_native(names[i]),
                              "%s: resolves to %d, %s in the not-native list", names[i], nr,
                              is_not_native(names[i]) ? "but is" : "not");
#else
                (void) is_not_native;
#endif
                for (size_t a = 0; a < ELEMENTSOF(filter_arches); a++)
                        if (seccomp_syscall_resolve_name_arch(filter_arches[a], names[i]) >= 0)
                                somewhere = true;
                ck_assert_msg(somewhere, "%s: a syscall of none of the filter's ABIs", names[i]);
        }
}
END_TEST

START_TEST(test_filter_builds) {
        _cleanup_free_ char *error = NULL;
        void *ctx = NULL;

        ck_assert_msg(security_seccomp_build(&ctx, &error) == 0, "%s", error ?: "?");
        ck_assert_ptr_nonnull(ctx);
        ck_assert_ptr_null(error);
        security_seccomp_free(ctx);
}
END_TEST

static char *tmpdir;

static void setup(void) {
        char t[] = "/tmp/test-seccomp-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(t));
        tmpdir = strdup(t);
}

static void teardown(void) {
        (void) rm_rf_at(AT_FDCWD, tmpdir);
        tmpdir = mfree(tmpdir);
}

static char *write_program(const char *name) {
        _cleanup_free_ char *error = NULL;
        char *path = NULL;
        void *ctx = NULL;
        int fd;

        ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
        ck_assert_msg(security_seccomp_build(&ctx, &error) == 0, "%s", error ?: "?");
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(security_seccomp_export(ctx, fd), 0);
        security_seccomp_free(ctx);
        ck_assert_int_eq(fchmod(fd, 0644), 0);   /* not the umask's */
        close(fd);
        return path;
}

/* In a child: the prepared filter applied as a workload gets it, then a call
 * the policy denies. unshare(0) changes nothing and succeeds unfiltered. */
static int denied_errno_after_apply(const SeccompFilter *f) {
        int status;
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                UserIds u = { .uid = 0, .gid = 0 };
                char *error = NULL;

                if (security_apply(&u, f, &error) < 0)
                        _exit(100);
                _exit(unshare(0) < 0 ? errno : 0);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

START_TEST(test_program_round_trip) {
        _cleanup_free_ char *path = write_program("seccomp.bpf"), *error = NULL;
        SeccompFilter *f = NULL;

        if (geteuid() != 0)
                ck_abort_msg("needs root: the file must be root's, and the filter is applied as a workload's");
        /* 1: the program was read from the file, not built. */
        ck_assert_int_eq(security_seccomp_prepare(path, &f, &error), 1);
        ck_assert_int_eq(denied_errno_after_apply(f), EPERM);
        security_seccomp_filter_free(f);

        /* Unfiltered, the probe succeeds: the EPERM above is the filter's. */
        ck_assert_int_eq(unshare(0), 0);
}
END_TEST

/* path is not read: the policy is built instead (0, not 1). */
static void assert_built(const char *path) {
        _cleanup_free_ char *error = NULL;
        SeccompFilter *f = NULL;

        ck_assert_msg(security_seccomp_prepare(path, &f, &error) == 0, "%s was read", strna(path));
        ck_assert_ptr_null(error);
        security_seccomp_filter_free(f);
}

/* The good program's bytes at tmpdir/name, with mode, and then owned by uid. */
static char *write_copy(const char *name, const char *data, size_t size, mode_t mode, uid_t uid) {
        char *path = NULL;

        ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
        ck_assert_int_eq(write_file_atomic(path, data, size, mode), 0);
        if (uid != 0)
                ck_assert_int_eq(chown(path, uid, uid), 0);
        return path;
}

START_TEST(test_refused_files_are_built_instead) {
        _cleanup_free_ char *good = write_program("good.bpf"), *error = NULL, *data = NULL;
        size_t size;
        SeccompFilter *f = NULL;
        char path[PATH_MAX];

        ck_assert_int_eq(read_file_capped(AT_FDCWD, good, 1 << 20, 0, 0, &data, &size), 0);
        ck_assert_uint_gt(size, 8);

        /* Group- or world-writable, not root's, not a whole number of
         * instructions, empty, a symlink, a FIFO, a directory, absent. */
        const struct {
                const char *name;
                size_t size;
                mode_t mode;
                uid_t uid;
        } copies[] = {
                { "gw.bpf",      size,     0664, 0 },
                { "ow.bpf",      size,     0646, 0 },
                { "nobody.bpf",  size,     0644, 65534 },
                { "partial.bpf", size - 3, 0644, 0 },
                { "empty.bpf",   0,        0644, 0 },
        };
        FOREACH_ARRAY(c, copies, ELEMENTSOF(copies)) {
                _cleanup_free_ char *p = write_copy(c->name, data, c->size, c->mode, c->uid);
                assert_built(p);
        }
        snprintf(path, sizeof path, "%s/link.bpf", tmpdir);
        ck_assert_int_eq(symlink(good, path), 0);
        assert_built(path);
        snprintf(path, sizeof path, "%s/fifo.bpf", tmpdir);
        ck_assert_int_eq(mkfifo(path, 0600), 0);
        assert_built(path);   /* and does not hang */
        assert_built(tmpdir);
        assert_built(NULL);

        /* What was built instead is the policy. */
        snprintf(path, sizeof path, "%s/absent.bpf", tmpdir);
        ck_assert_int_eq(security_seccomp_prepare(path, &f, &error), 0);
        if (geteuid() == 0)
                ck_assert_int_eq(denied_errno_after_apply(f), EPERM);
        security_seccomp_filter_free(f);
        ck_assert_ptr_null(error);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("seccomp");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_every_name_resolves);
        tcase_add_test(tc, test_filter_builds);
        suite_add_tcase(s, tc);

        tc = tcase_create("program");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_program_round_trip);
        tcase_add_test(tc, test_refused_files_are_built_instead);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
