/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The end of every unit test's main(): run the suite (each test forked, so a
 * crash fails that test only, unless fork is off) and turn the result into
 * the exit status `make check` reads. */

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

/* Whether the running suite forks per test: false when the suite turned it off
 * or CK_FORK=no is in the environment (e.g. to run it under a debugger). Tests
 * that need a process of their own (per-process caches, threads, seccomp
 * filters) look here and skip, saying why, rather than test the wrong thing. */
static bool check_run_forking = true;

static inline int check_run_suite(Suite *s, bool fork) {
        SRunner *sr = srunner_create(s);
        int failed;

        if (!fork)
                srunner_set_fork_status(sr, CK_NOFORK);
        check_run_forking = srunner_fork_status(sr) != CK_NOFORK;
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline int check_run(Suite *s) {
        return check_run_suite(s, true);
}
