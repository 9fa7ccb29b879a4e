/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's pure helpers: user resolution against an image's passwd/group,
 * and open_in_root() creating mount points without leaving the root. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check-run.h"
#include "container.h"

static const char passwd[] =
        "# comment\n"
        "root:x:0:0:root:/root:/bin/sh\n"
        "app:x:1000:1000:app:/home/app:/bin/sh\n"
        "short:x:1001\n"
        "bad:x:abc:1:bad:/:/bin/sh\n"
        "nohome:x:1002:1002\n";
static const char group[] =
        "root:x:0:\n"
        "app:x:1000:\n"
        "staff:x:50:app,other\n"
        "wheel:x:10:root\n"
        "audio:x:29:other,app\n";

START_TEST(test_user_by_name) {
        _cleanup_(user_ids_done) UserIds u = {};
        _cleanup_free_ char *err = NULL;

        ck_assert_int_eq(user_resolve("app", passwd, group, NULL, 0, &u, &err), 0);
        ck_assert_int_eq(u.uid, 1000);
        ck_assert_int_eq(u.gid, 1000);
        ck_assert_str_eq(u.home, "/home/app");
        ck_assert_int_eq(u.n_gids, 3);   /* 1000, staff, audio */
        ck_assert_int_eq(u.gids[0], 1000);
        ck_assert_int_eq(u.gids[1], 50);
        ck_assert_int_eq(u.gids[2], 29);
}
END_TEST

START_TEST(test_user_numeric_and_groups) {
        _cleanup_(user_ids_done) UserIds u = {}, v = {}, w = {}, x = {};
        _cleanup_free_ char *err = NULL;
        const gid_t extra[] = { 7, 50 };

        /* Numeric, known: passwd gives gid and home. */
        ck_assert_int_eq(user_resolve("1000", passwd, group, extra, 2, &u, &err), 0);
        ck_assert_int_eq(u.gid, 1000);
        ck_assert_int_eq(u.n_gids, 4);   /* 1000, 50, 29, 7 (50 not twice) */

        /* Numeric, unknown: gid 0 like docker, home "/". */
        ck_assert_int_eq(user_resolve("4242", passwd, group, NULL, 0, &v, &err), 0);
        ck_assert_int_eq(v.uid, 4242);
        ck_assert_int_eq(v.gid, 0);
        ck_assert_str_eq(v.home, "/");

        /* name:group and uid:gid */
        ck_assert_int_eq(user_resolve("app:staff", passwd, group, NULL, 0, &w, &err), 0);
        ck_assert_int_eq(w.gid, 50);
        ck_assert_int_eq(user_resolve("5:6", NULL, NULL, NULL, 0, &x, &err), 0);
        ck_assert_int_eq(x.uid, 5);
        ck_assert_int_eq(x.gid, 6);
        ck_assert_int_eq(x.n_gids, 1);

        /* Default: root. */
        user_ids_done(&x);
        ck_assert_int_eq(user_resolve(NULL, passwd, group, NULL, 0, &x, &err), 0);
        ck_assert_int_eq(x.uid, 0);
        ck_assert_str_eq(x.home, "/root");
}
END_TEST

START_TEST(test_user_refused) {
        UserIds u = {};
        char *err = NULL;

        ck_assert_int_eq(user_resolve("nobody", passwd, group, NULL, 0, &u, &err), -ESRCH);
        ck_assert_ptr_nonnull(strstr(err, "nobody"));
        free(err), err = NULL;
        ck_assert_int_eq(user_resolve("app:nogroup", passwd, group, NULL, 0, &u, &err), -ESRCH);
        free(err), err = NULL;
        ck_assert_int_eq(user_resolve("bad", passwd, group, NULL, 0, &u, &err), -EBADMSG);
        free(err), err = NULL;
        ck_assert_int_eq(user_resolve("short", passwd, group, NULL, 0, &u, &err), -EBADMSG);
        free(err), err = NULL;
        ck_assert_int_eq(user_resolve("app", NULL, NULL, NULL, 0, &u, &err), -ESRCH);
        free(err), err = NULL;
        /* (uid_t) -1 is never an id */
        ck_assert_int_eq(user_resolve("4294967295", NULL, NULL, NULL, 0, &u, &err), -ESRCH);
        free(err);
}
END_TEST

static char *tmp_root(void) {
        char *d = strdup("/tmp/test-shim-user.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static void rm_rf(const char *d) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_open_in_root) {
        _cleanup_free_ char *root = tmp_root(), *outside = tmp_root();
        char p[512];
        int rootfd, fd;
        struct stat st;

        snprintf(p, sizeof p, "%s/root", root);
        ck_assert_int_eq(mkdir(p, 0755), 0);
        rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(rootfd, 0);

        /* Plain creation of directories and a file. */
        ck_assert_int_eq(open_in_root(rootfd, "/a/b/c", S_IFDIR, &fd), 0);
        close(fd);
        snprintf(p, sizeof p, "%s/root/a/b/c", root);
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_int_eq(open_in_root(rootfd, "/etc/resolv.conf", S_IFREG, &fd), 0);
        close(fd);
        snprintf(p, sizeof p, "%s/root/etc/resolv.conf", root);
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert(S_ISREG(st.st_mode));

        /* An absolute symlink to a host dir resolves inside the root. */
        snprintf(p, sizeof p, "%s/root/evil", root);
        ck_assert_int_eq(symlink(outside, p), 0);
        ck_assert_int_eq(open_in_root(rootfd, "/evil/x", S_IFDIR, &fd), -ELOOP);   /* parent dangling */
        snprintf(p, sizeof p, "%s/x", outside);
        ck_assert_int_eq(stat(p, &st), -1);
        snprintf(p, sizeof p, "%s/root%s", root, outside);
        {
                char cmd[600];
                snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
                ck_assert_int_eq(system(cmd), 0);
        }
        ck_assert_int_eq(open_in_root(rootfd, "/evil/x", S_IFDIR, &fd), 0);
        close(fd);
        snprintf(p, sizeof p, "%s/x", outside);
        ck_assert_int_eq(stat(p, &st), -1);                  /* host untouched */
        snprintf(p, sizeof p, "%s/root%s/x", root, outside);
        ck_assert_int_eq(stat(p, &st), 0);                   /* made inside */

        /* ".." climbing stops at the root. */
        snprintf(p, sizeof p, "%s/root/up", root);
        ck_assert_int_eq(symlink("../../../../../../..", p), 0);
        ck_assert_int_eq(open_in_root(rootfd, "/up/tmp-made", S_IFDIR, &fd), 0);
        close(fd);
        snprintf(p, sizeof p, "%s/root/tmp-made", root);
        ck_assert_int_eq(stat(p, &st), 0);

        /* create_mode 0: must exist. */
        ck_assert_int_eq(open_in_root(rootfd, "/nothing/here", 0, &fd), -ENOENT);

        close(rootfd);
        rm_rf(root);
        rm_rf(outside);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("shim-user");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_user_by_name);
        tcase_add_test(tc, test_user_numeric_and_groups);
        tcase_add_test(tc, test_user_refused);
        tcase_add_test(tc, test_open_in_root);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
