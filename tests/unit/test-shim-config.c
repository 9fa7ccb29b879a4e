/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check-run.h"
#include "exit-record.h"
#include "shim-config.h"
#include "strv.h"

static const char good[] =
        "{\"pod\":\"web\",\"container\":\"app\","
        "\"rootfs\":{\"lower\":[\"/l/0\",\"/l/1\"],\"upper\":\"/s/u\",\"work\":\"/s/w\",\"target\":\"/s/root\"},"
        "\"argv\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\",\"A=b=c\"],"
        "\"cwd\":\"/srv\",\"user\":\"app:staff\",\"additional_gids\":[10,20],"
        "\"mounts\":[{\"source\":\"/var/lib/tank/volumes/web/data\",\"destination\":\"/data\"},"
        "{\"source\":\"/etc/api\",\"destination\":\"/etc/api\",\"read_only\":true}],"
        "\"network\":\"/run/tank/netns/web\","
        "\"spec\":{\"name\":\"app\",\"image\":\"docker.io/library/busybox:1\",\"tty\":true,"
        "\"env\":{\"A\":\"b=c\"},\"mounts\":[{\"volume\":\"data\",\"path\":\"/data\"}],"
        "\"probes\":{\"liveness\":{\"tcp\":{\"port\":80},\"period\":2}}},\"exit_file\":\"/run/tank/x/exit.json\","
        "\"attach_socket\":\"/run/tank/x/attach\",\"pid_file\":\"/run/tank/x/pid\","
        "\"resolv_conf\":\"/run/tank/x/resolv.conf\",\"notify_dir\":\"/run/tank/x/notify\","
        "\"log\":\"inherit\",\"stop_signal\":3,\"stop_timeout_sec\":5,"
        "\"user_namespace\":{\"uid\":524288,\"gid\":589824,\"size\":65536}}";

START_TEST(test_parse_good) {
        _cleanup_(shim_config_freep) ShimConfig *c = NULL, *c2 = NULL;
        _cleanup_free_ char *err = NULL, *json = NULL, *json2 = NULL;

        ck_assert_int_eq(shim_config_parse(good, strlen(good), &c, &err), 0);
        ck_assert_str_eq(c->pod, "web");
        ck_assert_str_eq(c->container, "app");
        ck_assert_ptr_null(c->rootfs_directory);
        ck_assert_int_eq(strv_length(c->rootfs_lower), 2);
        ck_assert_str_eq(c->rootfs_lower[0], "/l/0");
        ck_assert_str_eq(c->rootfs_target, "/s/root");
        ck_assert_int_eq(strv_length(c->argv), 3);
        ck_assert_str_eq(c->env[1], "A=b=c");
        ck_assert_str_eq(c->user, "app:staff");
        ck_assert_int_eq(c->n_additional_gids, 2);
        ck_assert_int_eq(c->additional_gids[1], 20);
        ck_assert_int_eq(c->n_mounts, 2);
        ck_assert(!c->mounts[0].read_only);
        ck_assert(c->mounts[1].read_only);
        ck_assert_int_eq(c->network, SHIM_NETWORK_PATH);
        ck_assert_str_eq(c->netns_path, "/run/tank/netns/web");
        ck_assert_ptr_nonnull(c->spec);
        ck_assert_str_eq(c->spec->name, "app");
        ck_assert(c->spec->tty);
        ck_assert_str_eq(c->spec->env[0], "A=b=c");
        ck_assert_int_eq(c->spec->n_mounts, 1);
        ck_assert_str_eq(c->spec->mounts[0].volume, "data");
        ck_assert_int_eq(c->spec->probes.liveness.period_sec, 2);
        ck_assert_int_eq(c->spec->probes.liveness.failure_threshold, 3);   /* filled by src/spec */
        ck_assert_str_eq(c->pid_file, "/run/tank/x/pid");
        ck_assert_str_eq(c->notify_dir, "/run/tank/x/notify");
        ck_assert_int_eq(c->log, SHIM_LOG_INHERIT);
        ck_assert_int_eq(c->stop_signal, 3);
        ck_assert_int_eq(c->stop_timeout_sec, 5);
        ck_assert_uint_eq(c->userns_uid, 524288);
        ck_assert_uint_eq(c->userns_gid, 589824);
        ck_assert_uint_eq(c->userns_size, 65536);

        /* Round trip: serialize, parse, serialize again gives the same bytes. */
        ck_assert_int_eq(shim_config_serialize(c, &json), 0);
        ck_assert_int_eq(shim_config_parse(json, strlen(json), &c2, &err), 0);
        ck_assert_int_eq(shim_config_serialize(c2, &json2), 0);
        ck_assert_str_eq(json, json2);
}
END_TEST

START_TEST(test_defaults) {
        static const char min[] =
                "{\"pod\":\"p\",\"container\":\"c\",\"rootfs\":{\"directory\":\"/r\"},"
                "\"argv\":[\"true\"],\"exit_file\":\"/e\"}";
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_free_ char *err = NULL;

        ck_assert_int_eq(shim_config_parse(min, strlen(min), &c, &err), 0);
        ck_assert_int_eq(c->network, SHIM_NETWORK_PRIVATE);
        ck_assert_int_eq(c->log, SHIM_LOG_JOURNAL);
        ck_assert_int_eq(c->stop_signal, SIGTERM);
        ck_assert_int_eq(c->stop_timeout_sec, 10);
        ck_assert_uint_eq(c->userns_size, 0);
        ck_assert_ptr_null(c->cwd);
        ck_assert_ptr_null(c->pid_file);
        ck_assert_ptr_null(c->notify_dir);
        ck_assert_ptr_null(c->spec);   /* a config without "spec": tank-exec's only */
}
END_TEST

/* A config of a tankd from before "spec" (its containers outlive the
 * upgrade, and tank-exec reads their configs): "tty" at the top is still
 * read, and checked. */
START_TEST(test_legacy) {
        static const char old[] =
                "{\"pod\":\"p\",\"container\":\"c\",\"rootfs\":{\"directory\":\"/r\"},"
                "\"argv\":[\"true\"],\"env\":[\"PATH=/bin\"],\"tty\":true,\"exit_file\":\"/e\"}";
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_free_ char *err = NULL;

        ck_assert_int_eq(shim_config_parse(old, strlen(old), &c, &err), 0);
        ck_assert_ptr_null(c->spec);
        ck_assert_str_eq(c->env[0], "PATH=/bin");
}
END_TEST

/* What tankd does: the spec set from a parsed pod, written, read back. */
START_TEST(test_set_spec) {
        static const char pod_json[] =
                "{\"name\":\"web\",\"volumes\":[{\"name\":\"v\"}],\"containers\":[{\"name\":\"app\","
                "\"image\":\"busybox\",\"tty\":true,\"env\":{\"Z\":\"1\",\"A\":\"\\u00e9\"},"
                "\"limits\":{\"memory\":\"1M\",\"cpu\":[50000,100000]},"
                "\"mounts\":[{\"volume\":\"v\",\"path\":\"/v\",\"read_only\":true}]}]}";
        _cleanup_(shim_config_freep) ShimConfig *c = NULL, *back = NULL;
        _cleanup_pod_free_ Pod *pod = NULL;
        _cleanup_free_ char *err = NULL, *json = NULL, *a = NULL, *b = NULL;

        ck_assert_int_eq(pod_parse(pod_json, strlen(pod_json), &pod, &err), 0);
        ck_assert_int_eq(shim_config_parse(good, strlen(good), &c, &err), 0);
        ck_assert_int_eq(shim_config_set_spec(c, &pod->containers[0]), 0);
        ck_assert_int_eq(shim_config_serialize(c, &json), 0);
        ck_assert_int_eq(shim_config_parse(json, strlen(json), &back, &err), 0);
        ck_assert_int_eq(pod_container_serialize(&pod->containers[0], &a), 0);
        ck_assert_int_eq(pod_container_serialize(back->spec, &b), 0);
        ck_assert_str_eq(a, b);   /* the canonical bytes, so container_hash() agrees */
        ck_assert(back->spec->tty);
        ck_assert_uint_eq(back->spec->limits.memory, 1024 * 1024);
}
END_TEST

static void expect_refused(const char *json, const char *error_prefix) {
        _cleanup_(shim_config_freep) ShimConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = shim_config_parse(json, strlen(json), &c, &err);
        ck_assert_msg(r == -EINVAL || r == -EBADMSG, "accepted: %s", json);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strncmp(err, error_prefix, strlen(error_prefix)) == 0,
                      "error \"%s\" does not start with \"%s\"", err, error_prefix);
}

#define BASE "\"pod\":\"p\",\"container\":\"c\",\"argv\":[\"true\"],\"exit_file\":\"/e\""

START_TEST(test_refused) {
        expect_refused("", "not valid JSON");
        expect_refused("[]", "config: must be an object");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"}} x", "not valid JSON");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"bogus\":1}", "config.bogus: unknown field");
        expect_refused("{" BASE ",\"pod\":\"q\",\"rootfs\":{\"directory\":\"/r\"}}", "config.pod: duplicate");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"r\"}}", "rootfs.directory:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/a/../b\"}}", "rootfs.directory:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\",\"lower\":[\"/l\"]}}", "rootfs:");
        expect_refused("{" BASE ",\"rootfs\":{\"lower\":[\"/l\"]}}", "rootfs.target:");
        expect_refused("{" BASE ",\"rootfs\":{\"lower\":[\"/l:x\"],\"target\":\"/t\"}}", "rootfs.lower[0]:");
        expect_refused("{" BASE ",\"rootfs\":{}}", "rootfs:");
        expect_refused("{\"pod\":\"P\",\"container\":\"c\",\"argv\":[\"true\"],\"exit_file\":\"/e\",\"rootfs\":{\"directory\":\"/r\"}}", "pod:");
        expect_refused("{\"pod\":\"p\",\"container\":\"c\",\"argv\":[],\"exit_file\":\"/e\",\"rootfs\":{\"directory\":\"/r\"}}", "argv:");
        expect_refused("{\"pod\":\"p\",\"container\":\"c\",\"argv\":[1],\"exit_file\":\"/e\",\"rootfs\":{\"directory\":\"/r\"}}", "argv[0]:");
        expect_refused("{\"pod\":\"p\",\"container\":\"c\",\"argv\":[\"x\"],\"rootfs\":{\"directory\":\"/r\"}}", "exit_file:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"env\":[\"=x\"]}", "env[0]:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"user\":\"a:b:c\"}", "user:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"user\":\"../x\"}", "user:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"network\":\"bridge\"}", "network:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"tty\":1}", "tty:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"stop_signal\":9}", "stop_signal:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"stop_signal\":99}", "stop_signal:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"mounts\":[{\"source\":\"/a\"}]}", "mounts[0]:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"mounts\":[{\"source\":\"/a\",\"destination\":\"/\"}]}", "mounts[0].destination:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"mounts\":[{\"source\":\"/a\",\"destination\":\"/x/../../etc\"}]}", "mounts[0].destination:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"additional_gids\":[-1]}", "additional_gids[0]:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"cwd\":\"srv\"}", "cwd:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"log\":\"file\"}", "log:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"pid_file\":\"run/pid\"}", "pid_file:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"notify_dir\":\"/a/../b\"}", "notify_dir:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"notify_dir\":true}", "notify_dir:");
#define SPEC "{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"spec\":"
        expect_refused(SPEC "[]}", "spec: must be an object");
        expect_refused(SPEC "{\"name\":\"c\"}}", "spec: missing field \"image\"");
        expect_refused(SPEC "{\"name\":\"c\",\"image\":\"busybox\",\"tty\":1}}", "spec.tty: ");
        expect_refused(SPEC "{\"name\":\"c\",\"image\":\"busybox\",\"bogus\":1}}", "spec: unknown field \"bogus\"");
        expect_refused(SPEC "{\"name\":\"c\",\"image\":\"busybox\",\"mounts\":[{\"volume\":\"v\",\"path\":\"x\"}]}}",
                       "spec.mounts[0].path: ");
        expect_refused(SPEC "{\"name\":\"other\",\"image\":\"busybox\"}}", "spec.name: not the container's name");
        expect_refused(SPEC "{\"name\":\"c\",\"image\":\"busybox\"},\"tty\":true}", "tty: unknown field beside \"spec\"");
#define UNS "{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"user_namespace\":"
        expect_refused(UNS "{\"uid\":0,\"gid\":1,\"size\":1}}", "user_namespace.uid:");
        expect_refused(UNS "{\"uid\":1,\"gid\":1}}", "user_namespace: needs");
        expect_refused(UNS "{\"uid\":1,\"gid\":1,\"size\":1,\"x\":1}}", "user_namespace.x: unknown field");
        expect_refused(UNS "{\"uid\":4294901760,\"gid\":1,\"size\":65536}}", "user_namespace: the range ends");
        expect_refused(UNS "{\"uid\":\"1\",\"gid\":1,\"size\":1}}", "user_namespace.uid:");
        expect_refused(UNS "[]}", "user_namespace: must be an object");

        /* An embedded NUL must not cut the document short. */
        {
                static const char nul[] = "{\"pod\":\"p\"}\0garbage";
                _cleanup_(shim_config_freep) ShimConfig *c = NULL;
                _cleanup_free_ char *err = NULL;
                ck_assert_int_lt(shim_config_parse(nul, sizeof nul - 1, &c, &err), 0);
        }
}
END_TEST

/* The output's journal fields (issue 19): launch facts, round-tripped. */
START_TEST(test_log_fields) {
        static const char cfg[] =
                "{\"pod\":\"p\",\"container\":\"c\",\"rootfs\":{\"directory\":\"/r\"},"
                "\"argv\":[\"true\"],\"exit_file\":\"/e\",\"restart_count\":4,"
                "\"image\":\"docker.io/library/busybox:1.36\",\"image_digest\":\"sha256:ab\"}";
        _cleanup_(shim_config_freep) ShimConfig *c = NULL, *c2 = NULL;
        _cleanup_free_ char *err = NULL, *json = NULL;

        ck_assert_int_eq(shim_config_parse(cfg, strlen(cfg), &c, &err), 0);
        ck_assert_uint_eq(c->restart_count, 4);
        ck_assert_str_eq(c->image, "docker.io/library/busybox:1.36");
        ck_assert_str_eq(c->image_digest, "sha256:ab");
        ck_assert_int_eq(shim_config_serialize(c, &json), 0);
        ck_assert_int_eq(shim_config_parse(json, strlen(json), &c2, &err), 0);
        ck_assert_uint_eq(c2->restart_count, 4);
        ck_assert_str_eq(c2->image_digest, "sha256:ab");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"restart_count\":-1}", "restart_count:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"image\":\"\"}", "image:");
        expect_refused("{" BASE ",\"rootfs\":{\"directory\":\"/r\"},\"image_digest\":7}", "image_digest:");
}
END_TEST

START_TEST(test_file_roundtrip) {
        _cleanup_(shim_config_freep) ShimConfig *c = NULL, *c2 = NULL;
        _cleanup_free_ char *err = NULL;
        char dir[] = "/tmp/test-shim-config.XXXXXX", path[64], big[64];
        struct stat st;
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/config.json", dir);
        ck_assert_int_eq(shim_config_parse(good, strlen(good), &c, &err), 0);
        ck_assert_int_eq(shim_config_write(c, path), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0600);
        ck_assert_int_eq(shim_config_load(path, &c2, &err), 0);
        ck_assert_str_eq(c2->argv[2], "echo hi");

        ck_assert_int_eq(shim_config_load("/nonexistent/x", &c2, &err), -ENOENT);
        ck_assert_int_eq(shim_config_load(dir, &c2, &err), -EBADFD);

        snprintf(big, sizeof big, "%s/big.json", dir);
        f = fopen(big, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(ftruncate(fileno(f), SHIM_CONFIG_MAX + 1), 0);
        fclose(f);
        ck_assert_int_eq(shim_config_load(big, &c2, &err), -EINVAL);
        ck_assert_str_eq(err, "config: larger than 1048576 bytes");

        unlink(big);
        unlink(path);
        rmdir(dir);
}
END_TEST

START_TEST(test_exit_record) {
        ShimExit e = { .status = 137, .code = -1, .signal = 9, .oom = true,
                       .started_at = 1732838400000000ULL, .exited_at = 1732838401000000ULL };
        ShimExit back = {};
        _cleanup_free_ char *json = NULL;
        char dir[] = "/tmp/test-shim-exit.XXXXXX", path[64];

        ck_assert_int_eq(shim_exit_serialize(&e, &json), 0);
        ck_assert_int_eq(shim_exit_parse(json, strlen(json), &back), 0);
        ck_assert_int_eq(back.status, 137);
        ck_assert_int_eq(back.code, -1);
        ck_assert_int_eq(back.signal, 9);
        ck_assert(back.oom);
        ck_assert_uint_eq(back.started_at, e.started_at);
        ck_assert_ptr_null(back.error);

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/exit.json", dir);
        e = (ShimExit) { .status = 127, .code = -1, .error = (char *) "execve(nope): No such file" };
        ck_assert_int_eq(shim_exit_write(&e, path), 0);
        ck_assert_int_eq(shim_exit_load(path, &back), 0);
        ck_assert_int_eq(back.status, 127);
        ck_assert_str_eq(back.error, "execve(nope): No such file");
        shim_exit_done(&back);
        unlink(path);
        rmdir(dir);

        ck_assert_int_eq(shim_exit_parse("{\"status\":1}", 12, &back), -EBADMSG);
        ck_assert_int_eq(shim_exit_parse("{\"status\":256,\"code\":0,\"signal\":0,\"oom\":false,"
                                         "\"started_at\":0,\"exited_at\":0}", 76, &back), -EBADMSG);
        e = (ShimExit) { .status = 300 };
        ck_assert_int_eq(shim_exit_serialize(&e, &json), -EINVAL);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("shim-config");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse_good);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_legacy);
        tcase_add_test(tc, test_set_spec);
        tcase_add_test(tc, test_refused);
        tcase_add_test(tc, test_file_roundtrip);
        tcase_add_test(tc, test_exit_record);
        tcase_add_test(tc, test_log_fields);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(suite());
}
