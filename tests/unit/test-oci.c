/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "spec/oci.h"
#include "strv.h"

static char *C[] = { "/bin/cmd", NULL };       /* spec command */
static char *A[] = { "-a", NULL };             /* spec args */
static char *E[] = { "/ep", NULL };            /* image Entrypoint */
static char *K[] = { "kcmd", "x", NULL };      /* image Cmd */
static char *EMPTY[] = { NULL };

/* The whole table: command x args x Entrypoint x Cmd, each given or absent.
 * The expectations are spelled out, not computed. */
static const struct {
        char **command, **args, **entrypoint, **cmd;
        const char *argv;     /* space-joined; NULL: -ENOEXEC */
} table[] = {
        { C, A, E, K, "/bin/cmd -a" },
        { C, A, E, NULL, "/bin/cmd -a" },
        { C, A, NULL, K, "/bin/cmd -a" },
        { C, A, NULL, NULL, "/bin/cmd -a" },
        { C, NULL, E, K, "/bin/cmd" },
        { C, NULL, E, NULL, "/bin/cmd" },
        { C, NULL, NULL, K, "/bin/cmd" },
        { C, NULL, NULL, NULL, "/bin/cmd" },
        { NULL, A, E, K, "/ep -a" },
        { NULL, A, E, NULL, "/ep -a" },
        { NULL, A, NULL, K, "-a" },
        { NULL, A, NULL, NULL, "-a" },
        { NULL, NULL, E, K, "/ep kcmd x" },
        { NULL, NULL, E, NULL, "/ep" },
        { NULL, NULL, NULL, K, "kcmd x" },
        { NULL, NULL, NULL, NULL, NULL },
        /* empty is not absent */
        { EMPTY, NULL, E, K, NULL },
        { EMPTY, A, E, K, "-a" },
        { NULL, EMPTY, E, K, "/ep" },
        { NULL, EMPTY, NULL, K, NULL },
        { NULL, NULL, EMPTY, K, "kcmd x" },
};

START_TEST(test_argv_table) {
        ImageConfig image = { .entrypoint = table[_i].entrypoint, .cmd = table[_i].cmd };
        PodContainer c = { .name = (char *) "app", .command = table[_i].command, .args = table[_i].args };
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cwd = NULL, *joined = NULL;
        int r;

        r = oci_resolve(&image, &c, &argv, &env, &cwd);
        if (!table[_i].argv) {
                ck_assert_int_eq(r, -ENOEXEC);
                ck_assert_ptr_null(argv);
                return;
        }
        ck_assert_int_eq(r, 0);
        joined = strv_join(argv, " ");
        ck_assert_str_eq(joined, table[_i].argv);
        ck_assert_str_eq(cwd, "/");
}
END_TEST

START_TEST(test_env_merge) {
        char *image_env[] = { "PATH=/usr/bin", "A=1", "B=2", NULL };
        char *spec_env[] = { "A=x", "C=3", "PATH=/opt/bin:/usr/bin", NULL };
        ImageConfig image = { .cmd = K, .env = image_env };
        PodContainer c = { .env = spec_env };
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cwd = NULL, *joined = NULL;

        ck_assert_int_eq(oci_resolve(&image, &c, &argv, &env, &cwd), 0);
        joined = strv_join(env, "|");
        /* Image order kept, spec wins per key, new keys appended. */
        ck_assert_str_eq(joined, "PATH=/opt/bin:/usr/bin|A=x|B=2|C=3");
        /* The image is not modified. */
        ck_assert_str_eq(image_env[1], "A=1");
}
END_TEST

START_TEST(test_env_empty) {
        ImageConfig image = { .cmd = K };
        PodContainer c = {};
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cwd = NULL;

        ck_assert_int_eq(oci_resolve(&image, &c, &argv, &env, &cwd), 0);
        ck_assert_ptr_nonnull(env);
        ck_assert_ptr_null(env[0]);
}
END_TEST

START_TEST(test_cwd) {
        static const struct { const char *spec, *image, *expected; } t[] = {
                { "/srv", "/img", "/srv" },
                { NULL, "/img", "/img" },
                { NULL, NULL, "/" },
                { "/srv", NULL, "/srv" },
                { NULL, "app", "/app" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ImageConfig image = { .cmd = K, .working_dir = (char *) t[i].image };
                PodContainer c = { .working_dir = (char *) t[i].spec };
                _cleanup_strv_free_ char **argv = NULL, **env = NULL;
                _cleanup_free_ char *cwd = NULL;

                ck_assert_int_eq(oci_resolve(&image, &c, &argv, &env, &cwd), 0);
                ck_assert_str_eq(cwd, t[i].expected);
        }
}
END_TEST

START_TEST(test_no_image_config) {
        PodContainer c = { .command = C, .args = A, .working_dir = (char *) "/w" };
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cwd = NULL, *joined = NULL;

        ck_assert_int_eq(oci_resolve(NULL, &c, &argv, &env, &cwd), 0);
        joined = strv_join(argv, " ");
        ck_assert_str_eq(joined, "/bin/cmd -a");
        ck_assert_str_eq(cwd, "/w");
        ck_assert_ptr_null(env[0]);
}
END_TEST

#define BLOB "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/docker-entrypoint.sh\"]," \
        "\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],\"Env\":[\"PATH=/usr/local/bin:/usr/bin\",\"NGINX_VERSION=1.27\"]," \
        "\"WorkingDir\":\"/srv\",\"User\":\"101:101\",\"StopSignal\":\"SIGQUIT\",\"ExposedPorts\":{\"80/tcp\":{}}," \
        "\"Labels\":null},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[{\"created_by\":\"x\"}]}"

START_TEST(test_image_config_parse) {
        _cleanup_(image_config_freep) ImageConfig *c = NULL, *c2 = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL, *joined = NULL;

        ck_assert_int_eq(image_config_parse(BLOB, strlen(BLOB), &c), 0);
        joined = strv_join(c->cmd, " ");
        ck_assert_str_eq(joined, "nginx -g daemon off;");
        ck_assert_str_eq(c->entrypoint[0], "/docker-entrypoint.sh");
        ck_assert_ptr_null(c->entrypoint[1]);
        ck_assert_str_eq(c->env[1], "NGINX_VERSION=1.27");
        ck_assert_str_eq(c->working_dir, "/srv");
        ck_assert_str_eq(c->user, "101:101");
        ck_assert_str_eq(c->stop_signal, "SIGQUIT");

        ck_assert_int_eq(image_config_serialize(c, &s), 0);
        ck_assert_int_eq(image_config_parse(s, strlen(s), &c2), 0);
        ck_assert_int_eq(image_config_serialize(c2, &s2), 0);
        ck_assert_str_eq(s, s2);
        ck_assert(strv_equal(c->cmd, c2->cmd));
        ck_assert(strv_equal(c->env, c2->env));
}
END_TEST

START_TEST(test_image_config_absent_fields) {
        static const char *const blobs[] = {
                "{}",
                "{\"config\":null}",
                "{\"config\":{}}",
                "{\"config\":{\"Entrypoint\":null,\"Cmd\":null,\"Env\":null,\"WorkingDir\":\"\",\"User\":\"\"}}",
        };
        for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
                _cleanup_(image_config_freep) ImageConfig *c = NULL;
                ck_assert_int_eq(image_config_parse(blobs[i], strlen(blobs[i]), &c), 0);
                ck_assert_ptr_null(c->entrypoint);
                ck_assert_ptr_null(c->cmd);
                ck_assert_ptr_null(c->env);
                ck_assert_ptr_null(c->working_dir);
                ck_assert_ptr_null(c->user);
                ck_assert_ptr_null(c->stop_signal);
        }
}
END_TEST

START_TEST(test_image_config_last_duplicate_wins) {
        static const char blob[] = "{\"config\":{\"Cmd\":[\"a\"],\"Cmd\":[\"b\"]}}";
        _cleanup_(image_config_freep) ImageConfig *c = NULL;

        ck_assert_int_eq(image_config_parse(blob, strlen(blob), &c), 0);
        ck_assert_str_eq(c->cmd[0], "b");
}
END_TEST

START_TEST(test_image_config_bad) {
        static const char *const blobs[] = {
                "[]",
                "{\"config\":[]}",
                "{\"config\":{\"Cmd\":\"sh\"}}",
                "{\"config\":{\"Cmd\":[1]}}",
                "{\"config\":{\"Env\":[\"NOEQUALS\"]}}",
                "{\"config\":{\"Env\":[\"=x\"]}}",
                "{\"config\":{\"WorkingDir\":5}}",
                "{\"config\":{\"User\":\"a\\u0000b\"}}",
                "{\"config\":{",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
                ImageConfig *c = NULL;
                ck_assert_msg(image_config_parse(blobs[i], strlen(blobs[i]), &c) == -EBADMSG, "%s", blobs[i]);
                ck_assert_ptr_null(c);
        }
        ck_assert_ptr_null(image_config_free(NULL));
}
END_TEST

static Suite *oci_suite(void) {
        Suite *s = suite_create("oci");
        TCase *tc = tcase_create("oci");

        tcase_add_loop_test(tc, test_argv_table, 0, ELEMENTSOF(table));
        tcase_add_test(tc, test_env_merge);
        tcase_add_test(tc, test_env_empty);
        tcase_add_test(tc, test_cwd);
        tcase_add_test(tc, test_no_image_config);
        tcase_add_test(tc, test_image_config_parse);
        tcase_add_test(tc, test_image_config_absent_fields);
        tcase_add_test(tc, test_image_config_last_duplicate_wins);
        tcase_add_test(tc, test_image_config_bad);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(oci_suite());
}
