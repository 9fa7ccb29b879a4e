/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The end of every unit test's main(): run the suite (each test forked, so a
 * crash fails that test only, unless fork is off) and turn the result into
 * the exit status `make check` reads. */

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

static inline int check_run_suite(Suite *s, bool fork) {
        SRunner *sr = srunner_create(s);
        int failed;

        if (!fork)
                srunner_set_fork_status(sr, CK_NOFORK);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline int check_run(Suite *s) {
        return check_run_suite(s, true);
}
