/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/shared/cgroup-util.c on the three layouts, from /proc/PID/cgroup texts
 * as the kernel prints them. Only the "detect" test looks at this machine. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cgroup-util.h"
#include "check-run.h"
#include "macro.h"

#define SCOPE "/tank.slice/tank-pod.slice/tank-pod-web.slice/tank-web-app.scope"

/* Debian 12: systemd 252, everything on cgroup2. */
static const char proc_unified[] = "0::" SCOPE "\n";

/* Debian 10/11 with systemd.unified_cgroup_hierarchy=0, Ubuntu 20.04: v1
 * controllers (cpu and cpuacct co-mounted), name=systemd, cgroup2 at unified.
 * The freezer is not systemd's: the process stays in the root there. */
static const char proc_hybrid[] =
        "12:pids:" SCOPE "\n"
        "11:memory:" SCOPE "\n"
        "10:freezer:/\n"
        "9:devices:" SCOPE "\n"
        "4:cpu,cpuacct:" SCOPE "\n"
        "3:net_cls,net_prio:/\n"
        "1:name=systemd:" SCOPE "\n"
        "0::" SCOPE "\n";

/* v1 only (no cgroup2 mounted anywhere: no "0::" line). */
static const char proc_legacy[] =
        "5:memory:" SCOPE "\n"
        "4:pids:" SCOPE "\n"
        "2:cpu,cpuacct:" SCOPE "\n"
        "1:name=systemd:" SCOPE "\n";

static char *file_path(CgroupLayout l, const char *proc, const char *controller, const char *file) {
        char *p = NULL;
        int r = cgroup_file_path(l, proc, controller, file, &p);

        ck_assert_msg(r >= 0, "cgroup_file_path(%s, \"%s\", %s): %s", cgroup_layout_to_string(l), controller,
                      file, strerror(-r));
        return p;
}

START_TEST(test_find) {
        _cleanup_free_ char *c = NULL, *p = NULL;

        ck_assert_int_eq(cgroup_proc_find(proc_unified, "", &c, &p), 0);
        ck_assert_str_eq(c, "");
        ck_assert_str_eq(p, SCOPE);
        c = mfree(c);
        p = mfree(p);
        /* No v1 line on a unified host. */
        ck_assert_int_eq(cgroup_proc_find(proc_unified, "memory", &c, &p), -ENOENT);
        ck_assert_ptr_null(p);

        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "cpu", &c, &p), 0);
        ck_assert_str_eq(c, "cpu,cpuacct");
        ck_assert_str_eq(p, SCOPE);
        c = mfree(c);
        p = mfree(p);
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "cpuacct", &c, &p), 0);
        ck_assert_str_eq(c, "cpu,cpuacct");
        c = mfree(c);
        p = mfree(p);
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "net_prio", NULL, &p), 0);
        ck_assert_str_eq(p, "/");
        p = mfree(p);
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "name=systemd", &c, &p), 0);
        ck_assert_str_eq(c, "name=systemd");
        c = mfree(c);
        p = mfree(p);
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "", &c, &p), 0);
        ck_assert_str_eq(c, "");
        ck_assert_str_eq(p, SCOPE);
        c = mfree(c);
        p = mfree(p);
        /* Whole names only: "mem" is no controller, "systemd" is not "name=systemd". */
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "mem", NULL, &p), -ENOENT);
        ck_assert_int_eq(cgroup_proc_find(proc_hybrid, "systemd", NULL, &p), -ENOENT);

        ck_assert_int_eq(cgroup_proc_find(proc_legacy, "", NULL, &p), -ENOENT);
        ck_assert_int_eq(cgroup_proc_find(proc_legacy, "pids", NULL, &p), 0);
        ck_assert_str_eq(p, SCOPE);
        p = mfree(p);

        /* A PATH may hold ':'; a last line without '\n'; garbage is skipped. */
        ck_assert_int_eq(cgroup_proc_find("junk\n3:x:y\n0::/a:b/c.scope", "", NULL, &p), 0);
        ck_assert_str_eq(p, "/a:b/c.scope");
        p = mfree(p);
        ck_assert_int_eq(cgroup_proc_find("", "", NULL, &p), -ENOENT);
}
END_TEST

START_TEST(test_hierarchy_dir) {
        static const struct {
                CgroupLayout layout;
                const char *controllers, *dir;
                int r;
        } cases[] = {
                { CGROUP_LAYOUT_UNIFIED, "", "/sys/fs/cgroup", 0 },
                { CGROUP_LAYOUT_UNIFIED, "memory", NULL, -ENOMEDIUM },
                { CGROUP_LAYOUT_UNIFIED, "name=systemd", NULL, -ENOMEDIUM },
                { CGROUP_LAYOUT_HYBRID, "", "/sys/fs/cgroup/unified", 0 },
                { CGROUP_LAYOUT_HYBRID, "memory", "/sys/fs/cgroup/memory", 0 },
                { CGROUP_LAYOUT_HYBRID, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", 0 },
                { CGROUP_LAYOUT_HYBRID, "name=systemd", "/sys/fs/cgroup/systemd", 0 },
                { CGROUP_LAYOUT_LEGACY, "", NULL, -ENOMEDIUM },
                { CGROUP_LAYOUT_LEGACY, "pids", "/sys/fs/cgroup/pids", 0 },
                { CGROUP_LAYOUT_LEGACY, "name=systemd", "/sys/fs/cgroup/systemd", 0 },
                { CGROUP_LAYOUT_HYBRID, "..", NULL, -EINVAL },
                { CGROUP_LAYOUT_HYBRID, "name=..", NULL, -EINVAL },
                { CGROUP_LAYOUT_HYBRID, "name=", NULL, -EINVAL },
                { CGROUP_LAYOUT_HYBRID, "a/b", NULL, -EINVAL },
        };

        FOREACH_ARRAY(c, cases, ELEMENTSOF(cases)) {
                _cleanup_free_ char *d = NULL;
                int r = cgroup_hierarchy_dir(c->layout, c->controllers, &d);

                ck_assert_msg(r == c->r, "%s \"%s\": %d, expected %d", cgroup_layout_to_string(c->layout),
                              c->controllers, r, c->r);
                if (c->dir)
                        ck_assert_str_eq(d, c->dir);
        }
}
END_TEST

START_TEST(test_oom_kill_path) {
        const char *controller, *file;
        _cleanup_free_ char *u = NULL, *h = NULL, *l = NULL;

        /* Unified: the "0::" line, cgroup2's memory.events at /sys/fs/cgroup. */
        cgroup_oom_kill_file(CGROUP_LAYOUT_UNIFIED, &controller, &file);
        u = file_path(CGROUP_LAYOUT_UNIFIED, proc_unified, controller, file);
        ck_assert_str_eq(u, "/sys/fs/cgroup" SCOPE "/memory.events");

        /* Hybrid: the memory controller is v1's; cgroup2 at unified has none. */
        cgroup_oom_kill_file(CGROUP_LAYOUT_HYBRID, &controller, &file);
        h = file_path(CGROUP_LAYOUT_HYBRID, proc_hybrid, controller, file);
        ck_assert_str_eq(h, "/sys/fs/cgroup/memory" SCOPE "/memory.oom_control");

        cgroup_oom_kill_file(CGROUP_LAYOUT_LEGACY, &controller, &file);
        l = file_path(CGROUP_LAYOUT_LEGACY, proc_legacy, controller, file);
        ck_assert_str_eq(l, "/sys/fs/cgroup/memory" SCOPE "/memory.oom_control");
}
END_TEST

START_TEST(test_file_path) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        char *p = NULL;

        a = file_path(CGROUP_LAYOUT_HYBRID, proc_hybrid, "", "cgroup.procs");
        ck_assert_str_eq(a, "/sys/fs/cgroup/unified" SCOPE "/cgroup.procs");
        b = file_path(CGROUP_LAYOUT_HYBRID, proc_hybrid, "cpu", "cpu.cfs_quota_us");
        ck_assert_str_eq(b, "/sys/fs/cgroup/cpu,cpuacct" SCOPE "/cpu.cfs_quota_us");
        /* The root cgroup (inside a cgroup namespace, say). */
        c = file_path(CGROUP_LAYOUT_UNIFIED, "0::/\n", "", "memory.events");
        ck_assert_str_eq(c, "/sys/fs/cgroup/memory.events");

        /* A v1 text read on a unified host (a stale mount): no such hierarchy. */
        ck_assert_int_eq(cgroup_file_path(CGROUP_LAYOUT_UNIFIED, proc_legacy, "memory", "x", &p), -ENOMEDIUM);
        ck_assert_int_eq(cgroup_file_path(CGROUP_LAYOUT_LEGACY, proc_legacy, "", "x", &p), -ENOENT);
        ck_assert_ptr_null(p);
}
END_TEST

typedef struct Seen {
        char lines[16][256];
        size_t n;
} Seen;

static int record(const char *controllers, const char *path, void *userdata) {
        Seen *s = userdata;

        ck_assert_uint_lt(s->n, ELEMENTSOF(s->lines));
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s|%s", controllers, path);
        return s->n == 3 ? -ECANCELED : 0;
}

START_TEST(test_foreach) {
        Seen s = {};

        ck_assert_int_eq(cgroup_proc_foreach(proc_unified, record, &s), 0);
        ck_assert_uint_eq(s.n, 1);
        ck_assert_str_eq(s.lines[0], "|" SCOPE);

        s = (Seen) {};
        /* Stops at the first error of the callback. */
        ck_assert_int_eq(cgroup_proc_foreach(proc_hybrid, record, &s), -ECANCELED);
        ck_assert_uint_eq(s.n, 3);
        ck_assert_str_eq(s.lines[0], "pids|" SCOPE);
        ck_assert_str_eq(s.lines[2], "freezer|/");
}
END_TEST

START_TEST(test_keyed_value) {
        /* cgroup2 memory.events (kernel 6.1) */
        static const char events[] = "low 0\nhigh 0\nmax 41\noom 2\noom_kill 1\noom_group_kill 0\n";
        /* cgroup v1 memory.oom_control (kernel >= 4.13) */
        static const char oom_control[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        uint64_t v = 77;

        ck_assert_int_eq(cgroup_keyed_value(events, "oom_kill", &v), 0);
        ck_assert_uint_eq(v, 1);
        ck_assert_int_eq(cgroup_keyed_value(events, "oom", &v), 0);
        ck_assert_uint_eq(v, 2);
        ck_assert_int_eq(cgroup_keyed_value(events, "max", &v), 0);
        ck_assert_uint_eq(v, 41);
        ck_assert_int_eq(cgroup_keyed_value(oom_control, "oom_kill", &v), 0);
        ck_assert_uint_eq(v, 3);
        ck_assert_int_eq(cgroup_keyed_value("max 5", "max", &v), 0);
        ck_assert_uint_eq(v, 5);
        v = 77;
        ck_assert_int_eq(cgroup_keyed_value("oom_kill_disable 0\n", "oom_kill", &v), -ENODATA);
        ck_assert_int_eq(cgroup_keyed_value("oom_kill x\n", "oom_kill", &v), -EBADMSG);
        ck_assert_int_eq(cgroup_keyed_value("", "oom_kill", &v), -ENODATA);
        ck_assert_uint_eq(v, 77);
}
END_TEST

/* This machine: whatever it is, a detected layout must find the OOM counter
 * of our own cgroup, or say which file it lacks. */
START_TEST(test_parse_u64) {
        uint64_t v = 0;

        ck_assert_int_eq(cgroup_parse_u64("123\n", &v), 0);
        ck_assert_uint_eq(v, 123);
        ck_assert_int_eq(cgroup_parse_u64("18446744073709551615", &v), 0);
        ck_assert_uint_eq(v, UINT64_MAX);
        ck_assert_int_eq(cgroup_parse_u64("18446744073709551616", &v), -EBADMSG);
        ck_assert_int_eq(cgroup_parse_u64("-1", &v), -EBADMSG);
        ck_assert_int_eq(cgroup_parse_u64("max\n", &v), -EBADMSG);
        ck_assert_int_eq(cgroup_parse_u64("", &v), -EBADMSG);
        ck_assert_int_eq(cgroup_parse_u64("12 34", &v), -EBADMSG);
}
END_TEST

START_TEST(test_read_file_unit) {
        char *text = NULL;

        /* Not the unit's own cgroup in that hierarchy: refused before any
         * file is opened, never the parent's (or root's) figures. */
        ck_assert_int_eq(cgroup_read_file(CGROUP_LAYOUT_HYBRID, proc_hybrid, "tank-web-app.scope", "freezer",
                                          "freezer.state", 4096, &text), -ENOENT);
        ck_assert_int_eq(cgroup_read_file(CGROUP_LAYOUT_UNIFIED, proc_unified, "web-app.scope", "", "memory.current",
                                          4096, &text), -ENOENT);
        ck_assert_int_eq(cgroup_read_file(CGROUP_LAYOUT_UNIFIED, proc_unified, "tank-web.scope", "", "memory.current",
                                          4096, &text), -ENOENT);
        ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_detect) {
        CgroupLayout l;
        _cleanup_free_ char *proc = NULL, *path = NULL;
        const char *controller, *file;

        if (cgroup_layout_detect(&l) < 0)
                return;   /* no cgroupfs here (a build chroot) */
        ck_assert_ptr_nonnull(cgroup_layout_to_string(l));
        ck_assert_int_eq(cgroup_proc_read(0, &proc), 0);
        cgroup_oom_kill_file(l, &controller, &file);
        if (l == CGROUP_LAYOUT_UNIFIED)
                ck_assert_int_eq(cgroup_file_path(l, proc, controller, file, &path), 0);
        fprintf(stderr, "cgroup layout here: %s\n", cgroup_layout_to_string(l));
}
END_TEST

int main(void) {
        Suite *s = suite_create("cgroup-util");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_find);
        tcase_add_test(tc, test_hierarchy_dir);
        tcase_add_test(tc, test_oom_kill_path);
        tcase_add_test(tc, test_file_path);
        tcase_add_test(tc, test_foreach);
        tcase_add_test(tc, test_keyed_value);
        tcase_add_test(tc, test_parse_u64);
        tcase_add_test(tc, test_read_file_unit);
        tcase_add_test(tc, test_detect);
        suite_add_tcase(s, tc);
        return check_run(s);
}
