/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default seccomp policy (src/shim/security.c): every syscall name in its
 * table is known to this machine's libseccomp, has a number on one of the
 * ABIs the filter covers, and the filter builds. A name libseccomp does not
 * know would otherwise be a rule missing from every container. */
#include <check.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check-run.h"
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

static Suite *suite(void) {
        Suite *s = suite_create("seccomp");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_every_name_resolves);
        tcase_add_test(tc, test_filter_builds);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
