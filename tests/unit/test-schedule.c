/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scheduler's decision (daemon/schedule.h): pinned, labels, cordoned,
 * most free memory, the tie-breaks, no nodes. */
#include <check.h>

#include "check-run.h"
#include "daemon/schedule.h"
#include "spec/pod.h"

static Pod *pod(const char *placement) {
        _cleanup_free_ char *json = NULL, *error = NULL;
        Pod *p = NULL;

        ck_assert_int_ge(asprintf(&json, "{\"name\":\"web\",%s\"containers\":[{\"name\":\"a\",\"image\":\"a\","
                                  "\"limits\":{\"memory\":100}}]}", placement), 0);
        ck_assert_msg(pod_parse(json, strlen(json), &p, &error) == 0, "%s", error);
        return p;
}

static char *zone_a[] = { "zone=a", NULL };
static char *zone_b[] = { "disk=ssd", "zone=b", NULL };

static void expect_node(const Pod *p, const ScheduleNode *n, size_t k, const char *want) {
        _cleanup_free_ char *reason = NULL;
        const char *got = NULL;

        ck_assert_int_eq(schedule_decide(p, n, k, &got, &reason), 1);
        ck_assert_str_eq(got, want);
        ck_assert_ptr_null(reason);
}

static void expect_reason(const Pod *p, const ScheduleNode *n, size_t k, const char *want) {
        _cleanup_free_ char *reason = NULL;
        const char *got = NULL;

        ck_assert_int_eq(schedule_decide(p, n, k, &got, &reason), 0);
        ck_assert_ptr_null(got);
        ck_assert_str_eq(reason, want);
}

START_TEST(test_pinned) {
        _cleanup_pod_free_ Pod *p = pod("\"placement\":{\"node\":\"b\"},");
        ScheduleNode n[] = {
                { .name = "a", .memory_bytes = 1000 },
                { .name = "b", .memory_bytes = 10 },
        };

        expect_node(p, n, 2, "b");
        expect_reason(p, n, 1, "node b is not registered");
        n[1].cordoned = true;
        expect_reason(p, n, 2, "node b is cordoned");
}
END_TEST

START_TEST(test_labels) {
        _cleanup_pod_free_ Pod *a = pod("\"placement\":{\"labels\":{\"zone\":\"a\"}},");
        _cleanup_pod_free_ Pod *c = pod("\"placement\":{\"labels\":{\"zone\":\"c\"}},");
        _cleanup_pod_free_ Pod *both = pod("\"placement\":{\"labels\":{\"zone\":\"b\",\"disk\":\"ssd\"}},");
        ScheduleNode n[] = {
                { .name = "x", .labels = zone_b, .memory_bytes = 5000 },
                { .name = "y", .labels = zone_a, .memory_bytes = 10 },
        };

        expect_node(a, n, 2, "y");
        expect_node(both, n, 2, "x");
        expect_reason(c, n, 2, "no node with labels zone=c");
        n[1].cordoned = true;
        expect_reason(a, n, 2, "every node with labels zone=a is cordoned");
}
END_TEST

START_TEST(test_memory_and_ties) {
        _cleanup_pod_free_ Pod *p = pod("");
        ScheduleNode n[] = {
                { .name = "c", .memory_bytes = 1000, .bound_memory = 500, .n_bound = 1 },
                { .name = "b", .memory_bytes = 800, .bound_memory = 0, .n_bound = 3 },
                { .name = "a", .memory_bytes = 800, .bound_memory = 100, .n_bound = 0 },
        };

        /* b has 800 free, a 700, c 500 */
        expect_node(p, n, 3, "b");
        /* equal free memory: fewest bound pods */
        n[2].bound_memory = 0;
        expect_node(p, n, 3, "a");
        /* equal in both: the first name */
        n[1].n_bound = 0;
        expect_node(p, n, 3, "a");
        n[2].cordoned = true;
        expect_node(p, n, 3, "b");
        /* more bound than capacity counts as none free, never wraps */
        n[1].bound_memory = 5000;
        expect_node(p, n, 3, "c");
        n[0].cordoned = n[1].cordoned = true;
        expect_reason(p, n, 3, "every node is cordoned");
        expect_reason(p, n, 0, "no node is registered");
        ck_assert_uint_eq(schedule_pod_memory(p), 100);
        ck_assert_uint_eq(schedule_pod_memory(NULL), 0);
}
END_TEST

/* A macvlan NIC's parent must be among the node's recorded interfaces
 * ("auto": the node must have an uplink); a record without facts (an older
 * tankd's) is not checked. */
START_TEST(test_host_facts) {
        _cleanup_pod_free_ Pod *eth9 = pod("\"network\":{\"nics\":[{\"name\":\"eth0\",\"parent\":\"eth9\","
                                           "\"ip\":\"192.0.2.5/24\"}]},");
        _cleanup_pod_free_ Pod *pinned = pod("\"placement\":{\"node\":\"a\"},\"network\":{\"nics\":[{\"name\":"
                                             "\"eth0\",\"parent\":\"eth9\",\"ip\":\"192.0.2.5/24\"}]},");
        _cleanup_pod_free_ Pod *autop = pod("\"network\":{\"nics\":[{\"name\":\"eth0\",\"ip\":\"192.0.2.5/24\"}]},");
        _cleanup_pod_free_ Pod *plain = pod("");
        static char *eth0[] = { "eth0", NULL }, *eth09[] = { "eth0", "eth9", NULL };
        ScheduleNode n[] = {
                { .name = "a", .memory_bytes = 5000, .has_facts = true, .interfaces = eth0, .uplink = "" },
                { .name = "b", .memory_bytes = 10, .has_facts = true, .interfaces = eth09, .uplink = "eth0" },
                { .name = "c", .memory_bytes = 1 },
        };

        /* a has the most memory but no eth9; c has no facts: not checked. */
        expect_node(eth9, n, 2, "b");
        expect_node(eth9, n, 3, "b");
        n[1].interfaces = eth0;
        expect_reason(eth9, n, 2, "no node has interface \"eth9\" (network.nics[0].parent)");
        expect_node(eth9, n, 3, "c");
        expect_reason(pinned, n, 3, "node a has no interface \"eth9\" (network.nics[0].parent)");
        /* "auto": a has no uplink, b has one. */
        expect_node(autop, n, 2, "b");
        n[1].uplink = "";
        expect_reason(autop, n, 2, "no node has uplink (network.nics[0].parent \"auto\")");
        /* No NIC: nothing to check. */
        expect_node(plain, n, 2, "a");
}
END_TEST

START_TEST(test_no_limit_counts_zero) {
        _cleanup_free_ char *error = NULL;
        _cleanup_pod_free_ Pod *p = NULL;
        const char *json = "{\"name\":\"w\",\"containers\":[{\"name\":\"a\",\"image\":\"a\"},"
                           "{\"name\":\"b\",\"image\":\"a\",\"limits\":{\"memory\":\"1K\"}}]}";

        ck_assert_int_eq(pod_parse(json, strlen(json), &p, &error), 0);
        ck_assert_uint_eq(schedule_pod_memory(p), 1024);
}
END_TEST

static Suite *schedule_suite(void) {
        Suite *s = suite_create("schedule");
        TCase *tc = tcase_create("decide");

        tcase_add_test(tc, test_pinned);
        tcase_add_test(tc, test_labels);
        tcase_add_test(tc, test_memory_and_ties);
        tcase_add_test(tc, test_no_limit_counts_zero);
        tcase_add_test(tc, test_host_facts);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(schedule_suite());
}
