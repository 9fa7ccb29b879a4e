/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/daemon/container-stats.c's parsers, on texts as the kernel prints them
 * (and on hostile ones: tankd reads them from files a container can shape
 * only through its counters, but a malformed line must not count). */
#include <check.h>

#include "check-run.h"
#include "daemon/container-stats.h"

START_TEST(test_net_dev) {
        static const char text[] =
                "Inter-|   Receive                                                |  Transmit\n"
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                "    lo:   12345      10    0    0    0     0          0         0    12345      10    0    0    0     0       0          0\n"
                "  eth0:    1000       5    0    0    0     0          0         0     2000       6    0    0    0     0       0          0\n"
                "  net1:      24       1    0    0    0     0          0         0       48       1    0    0    0     0       0          0\n";
        uint64_t rx = 0, tx = 0;

        ck_assert_int_eq(stats_parse_net_dev(text, &rx, &tx), 0);
        ck_assert_uint_eq(rx, 1024);
        ck_assert_uint_eq(tx, 2048);

        /* lo only: nothing counted, but a valid answer. */
        ck_assert_int_eq(stats_parse_net_dev("h1\nh2\n    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", &rx, &tx), 0);
        ck_assert_uint_eq(rx, 0);
        ck_assert_uint_eq(tx, 0);

        ck_assert_int_eq(stats_parse_net_dev("eth0: 1 2 x\n", &rx, &tx), -EBADMSG);
        ck_assert_int_eq(stats_parse_net_dev("", &rx, &tx), -EBADMSG);
}
END_TEST

START_TEST(test_io_stat) {
        uint64_t rd = 1, wr = 1;

        ck_assert_int_eq(stats_parse_io_stat("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
                                             "253:1 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=5 dios=1\n",
                                             &rd, &wr), 0);
        ck_assert_uint_eq(rd, 4196);
        ck_assert_uint_eq(wr, 8192);
        ck_assert_int_eq(stats_parse_io_stat("", &rd, &wr), 0);
        ck_assert_uint_eq(rd, 0);
        ck_assert_uint_eq(wr, 0);
        ck_assert_int_eq(stats_parse_io_stat("8:0 rbytes=x\n", &rd, &wr), -EBADMSG);
}
END_TEST

START_TEST(test_blkio) {
        uint64_t rd = 1, wr = 1;

        ck_assert_int_eq(stats_parse_blkio("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n"
                                           "8:0 Discard 0\n8:0 Total 4608\n8:16 Read 4\nTotal 4612\n",
                                           &rd, &wr), 0);
        ck_assert_uint_eq(rd, 4100);
        ck_assert_uint_eq(wr, 512);
        ck_assert_int_eq(stats_parse_blkio("Total 0\n", &rd, &wr), 0);
        ck_assert_uint_eq(rd, 0);
}
END_TEST

START_TEST(test_read_self) {
        ContainerStats s;
        CgroupLayout l;

        if (cgroup_layout_detect(&l) < 0)
                return;   /* no cgroupfs here */
        /* No cgroup of ours is named so: nothing, never the parent's figures. */
        ck_assert_int_eq(container_stats_read(l, getpid(), "tank-no-such-unit.scope", 0, &s), 0);
        ck_assert_uint_eq(s.have & (STATS_CPU | STATS_MEMORY | STATS_PIDS | STATS_BLOCK), 0);
        ck_assert_int_eq(container_stats_read(l, 0x7ffffff0, "x.scope", 0, &s), -ESRCH);
}
END_TEST

int main(void) {
        Suite *s = suite_create("container-stats");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_net_dev);
        tcase_add_test(tc, test_io_stat);
        tcase_add_test(tc, test_blkio);
        tcase_add_test(tc, test_read_self);
        suite_add_tcase(s, tc);
        return check_run(s);
}
