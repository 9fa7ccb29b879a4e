/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-run.h"
#include "macro.h"
#include "subid.h"

START_TEST(test_parse) {
        _cleanup_free_ SubidRange *r = NULL;
        size_t n = 99;
        unsigned skipped = 99;

        ck_assert_int_eq(subid_parse("alice:100000:65536\n"
                                     "tank:524288:1048576\n"
                                     "tank:0:65536\n"              /* would map host root */
                                     "tank:x:65536\n"
                                     "tank:1:-5\n"
                                     "tank:4294901760:65536\n"     /* reaches (uid_t) -1 */
                                     "tank:4294967296:1\n"         /* beyond 32 bits */
                                     "tank:100:0\n"
                                     "tank:5:10:extra\n"
                                     "tank\n"
                                     "tankx:1:1\n"
                                     "999:2000000:65536\n"         /* tank's uid */
                                     "tank: 7:1\n"
                                     "tank:3000000:65536",         /* no final newline */
                                     "tank", 999, &r, &n, &skipped), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(r[0].start, 524288);
        ck_assert_uint_eq(r[0].count, 1048576);
        ck_assert_uint_eq(r[1].start, 2000000);
        ck_assert_uint_eq(r[2].start, 3000000);
        ck_assert_uint_eq(skipped, 8);   /* "tank" without a colon is no line of tank's */

        r = mfree(r);
        ck_assert_int_eq(subid_parse("", "tank", (uid_t) -1, &r, &n, NULL), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(subid_parse("999:1:1\n", "tank", (uid_t) -1, &r, &n, NULL), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(subid_parse("x", NULL, (uid_t) -1, &r, &n, NULL), -EINVAL);
}
END_TEST

START_TEST(test_alloc) {
        const SubidRange uids[] = { { 524288, 4 * 65536 } };
        const SubidRange gids[] = { { 524288, 4 * 65536 } };
        const SubidRange gids_short[] = { { 524288, 2 * 65536 } };
        const SubidRange odd[] = { { 100000, 65536 * 2 + 5 } };
        uint32_t used[4], b = 0;

        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, NULL, 0, USERNS_RANGE_SIZE, &b), 0);
        ck_assert_uint_eq(b, 524288);
        used[0] = 524288;
        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, used, 1, USERNS_RANGE_SIZE, &b), 0);
        ck_assert_uint_eq(b, 524288 + 65536);
        /* A freed slot below is found again. */
        used[0] = 524288 + 65536;
        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, used, 1, USERNS_RANGE_SIZE, &b), 0);
        ck_assert_uint_eq(b, 524288);
        /* A foreign, unaligned used base blocks both slots it touches. */
        used[0] = 524288 + 100;
        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, used, 1, USERNS_RANGE_SIZE, &b), 0);
        ck_assert_uint_eq(b, 524288 + 2 * 65536);
        /* Both files must hold the slot. */
        used[0] = 524288;
        used[1] = 524288 + 65536;
        ck_assert_int_eq(subid_alloc(uids, 1, gids_short, 1, used, 2, USERNS_RANGE_SIZE, &b), -ENOSPC);
        ck_assert_int_eq(subid_alloc(uids, 1, NULL, 0, NULL, 0, USERNS_RANGE_SIZE, &b), -ENOSPC);
        ck_assert_int_eq(subid_alloc(NULL, 0, gids, 1, NULL, 0, USERNS_RANGE_SIZE, &b), -ENOSPC);
        /* Full. */
        for (unsigned i = 0; i < 4; i++)
                used[i] = 524288 + i * 65536;
        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, used, 4, USERNS_RANGE_SIZE, &b), -ENOSPC);
        /* A tail shorter than a slot is never handed out. */
        used[0] = 100000;
        used[1] = 100000 + 65536;
        ck_assert_int_eq(subid_alloc(odd, 1, odd, 1, used, 2, USERNS_RANGE_SIZE, &b), -ENOSPC);
        ck_assert_int_eq(subid_alloc(uids, 1, gids, 1, NULL, 0, 0, &b), -EINVAL);
        ck_assert(subid_contains(uids, 1, 524288 + 3 * 65536, 65536));
        ck_assert(!subid_contains(uids, 1, 524288 + 3 * 65536 + 1, 65536));
}
END_TEST

START_TEST(test_load) {
        char dir[] = "/tmp/test-subid-XXXXXX", path[64], fifo[64];
        _cleanup_free_ SubidRange *r = NULL;
        size_t n = 99;
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/subuid", dir);
        snprintf(fifo, sizeof fifo, "%s/fifo", dir);
        ck_assert_int_eq(subid_load(path, "tank", (uid_t) -1, &r, &n, NULL), 0);
        ck_assert_uint_eq(n, 0);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs("tank:524288:65536\n", f);
        fclose(f);
        ck_assert_int_eq(subid_load(path, "tank", (uid_t) -1, &r, &n, NULL), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(r[0].start, 524288);
        /* Not waited on, refused. */
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_lt(subid_load(fifo, "tank", (uid_t) -1, &r, &n, NULL), 0);
        (void) unlink(fifo);
        (void) unlink(path);
        (void) rmdir(dir);
}
END_TEST

int main(void) {
        Suite *s = suite_create("subid");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse);
        tcase_add_test(tc, test_alloc);
        tcase_add_test(tc, test_load);
        suite_add_tcase(s, tc);
        return check_run(s);
}
