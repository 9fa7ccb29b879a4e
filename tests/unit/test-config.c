/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "check-run.h"
#include "config/config.h"
#include "config/config-values.h"
#include "time-util.h"
#include "strv.h"

/* Each test gets a fresh configuration directory under /tmp. */
static char tmpdir[] = "/tmp/test-config-XXXXXX";

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void setup(void) {
        strcpy(tmpdir, "/tmp/test-config-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        unsetenv("TANK_DATA_DIR");
}

static void teardown(void) {
        (void) nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        unsetenv("TANK_DATA_DIR");
}

static void write_file(const char *rel, const char *content) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, rel), 0);
        if (strchr(rel, '/')) {
                _cleanup_free_ char *d = strdup(p);
                *strrchr(d, '/') = 0;
                (void) mkdir(d, 0755);
        }
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputs(content, f) >= 0, 1);
        ck_assert_int_eq(fclose(f), 0);
}

/* Load and expect success; returns the config, warnings in *w. */
static TankConfig *load_ok(char ***w) {
        _cleanup_free_ char *err = NULL;
        TankConfig *c = NULL;
        int r;

        r = config_load(tmpdir, &c, w, &err);
        ck_assert_msg(r == 0, "config_load failed: %d %s", r, strempty(err));
        ck_assert_ptr_nonnull(c);
        return c;
}

/* Load and expect -EINVAL with exactly "<tmpdir>/<rel_msg>". */
static void load_fails(const char *expected_rel) {
        _cleanup_free_ char *err = NULL, *expected = NULL;
        _cleanup_strv_free_ char **w = NULL;
        TankConfig *c = NULL;
        int r;

        r = config_load(tmpdir, &c, &w, &err);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(err);
        ck_assert_int_ge(asprintf(&expected, "%s/%s", tmpdir, expected_rel), 0);
        ck_assert_str_eq(err, expected);
}

static void check_defaults(const TankConfig *c) {
        ck_assert_str_eq(c->data_dir, "/var/lib/tank");
        ck_assert_str_eq(c->store_data_dir, "/var/lib/tank/store");
        ck_assert_ptr_null(c->store_endpoints);
        ck_assert_ptr_null(c->store_cert_file);
        ck_assert_ptr_null(c->store_key_file);
        ck_assert_ptr_null(c->store_trusted_ca_file);
        ck_assert_int_eq(c->host_adapter, HOST_ADAPTER_STATIC);
        ck_assert_ptr_null(c->host_uplink);
        ck_assert_ptr_null(c->host_dns);
        ck_assert_uint_eq(c->n_mirrors, 0);
        ck_assert_ptr_null(c->insecure_registries);
        ck_assert_str_eq(c->auth_file, "/etc/tank/auth.json");
        ck_assert_uint_eq(c->backoff_base_usec, 1 * USEC_PER_SEC);
        ck_assert_uint_eq(c->backoff_cap_usec, 300 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stable_usec, 60 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stop_timeout_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->default_pids, 2048);
        ck_assert_uint_eq(c->images_max_layer_size, UINT64_C(8) << 30);
        ck_assert_uint_eq(c->images_max_unpacked_layer_size, UINT64_C(32) << 30);
        ck_assert_uint_eq(c->images_max_image_size, UINT64_C(64) << 30);
        ck_assert_uint_eq(c->images_min_free_space, UINT64_C(1) << 30);
        ck_assert_uint_eq(c->images_min_free_percent, 0);
}

START_TEST(test_user_namespace) {
        _cleanup_config_free_ TankConfig *c = NULL, *d = NULL, *e = NULL;

        write_file("tank.conf", "[Security]\nUserNamespace=auto\n");
        c = load_ok(NULL);
        ck_assert(c->userns_auto);
        write_file("tank.conf", "[Security]\nUserNamespace=auto\nUserNamespace=\n");
        d = load_ok(NULL);
        ck_assert(!d->userns_auto);
        write_file("tank.conf", "[Security]\nUserNamespace=host\n");
        e = load_ok(NULL);
        ck_assert(!e->userns_auto);
        write_file("tank.conf", "[Security]\nUserNamespace=yes\n");
        load_fails("tank.conf:2: UserNamespace=yes: expected \"auto\" or \"host\"");
}
END_TEST

START_TEST(test_default_pids) {
        static const struct {
                const char *value;
                uint64_t expected;
        } ok[] = {
                { "100", 100 }, { "1", 1 }, { "4194304", 4194304 },
                { "infinity", 0 }, { "0", 0 }, { "", 2048 },
        };
        static const char *const bad[] = { "-1", "12k", "inf", "1e3", "18446744073709551615", "99999999999999999999" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_config_free_ TankConfig *c = NULL;
                _cleanup_free_ char *text = NULL;

                ck_assert_int_ge(asprintf(&text, "[Limits]\nDefaultPids=%s\n", ok[i].value), 0);
                write_file("tank.conf", text);
                c = load_ok(NULL);
                ck_assert_msg(c->default_pids == ok[i].expected, "DefaultPids=%s: got %" PRIu64,
                              ok[i].value, c->default_pids);
        }
        /* The last assignment wins; an empty one resets to the default. */
        {
                _cleanup_config_free_ TankConfig *c = NULL;

                write_file("tank.conf", "[Limits]\nDefaultPids=10\nDefaultPids=\n");
                c = load_ok(NULL);
                ck_assert_uint_eq(c->default_pids, 2048);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *expected = NULL;

                ck_assert_int_ge(asprintf(&text, "[Limits]\nDefaultPids=%s\n", bad[i]), 0);
                write_file("tank.conf", text);
                ck_assert_int_ge(asprintf(&expected, "tank.conf:2: DefaultPids=%s: expected a number of tasks or \"infinity\"",
                                          bad[i]), 0);
                load_fails(expected);
        }
}
END_TEST

START_TEST(test_history_limit) {
        static const struct {
                const char *value;
                unsigned expected;
        } ok[] = { { "1", 1 }, { "25", 25 }, { "1000", 1000 }, { "", 10 } };
        static const char *const bad[] = { "0", "-1", "1001", "ten", "5x", "99999999999999999999" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_config_free_ TankConfig *c = NULL;
                _cleanup_free_ char *text = NULL;

                ck_assert_int_ge(asprintf(&text, "[Rollout]\nHistoryLimit=%s\n", ok[i].value), 0);
                write_file("tank.conf", text);
                c = load_ok(NULL);
                ck_assert_msg(c->rollout_history_limit == ok[i].expected, "HistoryLimit=%s: got %u", ok[i].value,
                              c->rollout_history_limit);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *expected = NULL;

                ck_assert_int_ge(asprintf(&text, "[Rollout]\nHistoryLimit=%s\n", bad[i]), 0);
                write_file("tank.conf", text);
                ck_assert_int_ge(asprintf(&expected, "tank.conf:2: HistoryLimit=%s: expected a number of revisions "
                                          "from 1 to 1000", bad[i]), 0);
                load_fails(expected);
        }
}
END_TEST

START_TEST(test_update_check_sec) {
        static const struct {
                const char *value;
                uint64_t expected;
        } ok[] = { { "1", USEC_PER_SEC }, { "2min", 120 * USEC_PER_SEC }, { "", 3600 * USEC_PER_SEC } };
        static const char *const bad[] = { "0", "500ms" };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_config_free_ TankConfig *c = NULL;
                _cleanup_free_ char *text = NULL;

                ck_assert_int_ge(asprintf(&text, "[Rollout]\nUpdateCheckSec=%s\n", ok[i].value), 0);
                write_file("tank.conf", text);
                c = load_ok(NULL);
                ck_assert_msg(c->update_check_usec == ok[i].expected, "UpdateCheckSec=%s: got %" PRIu64,
                              ok[i].value, c->update_check_usec);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *expected = NULL;

                ck_assert_int_ge(asprintf(&text, "[Rollout]\nUpdateCheckSec=%s\n", bad[i]), 0);
                write_file("tank.conf", text);
                ck_assert_int_ge(asprintf(&expected, "tank.conf:2: UpdateCheckSec=%s: must be at least 1s", bad[i]),
                                 0);
                load_fails(expected);
        }
}
END_TEST

START_TEST(test_images) {
        static const struct {
                const char *key, *value;
                uint64_t expected;
        } ok[] = {
                { "MaxLayerSize", "64M", UINT64_C(64) << 20 },
                { "MaxLayerSize", "infinity", UINT64_MAX },
                { "MaxLayerSize", "", UINT64_C(8) << 30 },
                { "MaxUnpackedLayerSize", "1.5G", UINT64_C(1536) << 20 },
                { "MaxUnpackedLayerSize", "4096", 4096 },
                { "MaxImageSize", "1T", UINT64_C(1) << 40 },
                { "MaxImageSize", "1G 512M", UINT64_C(1536) << 20 },
                { "MinFreeSpace", "0", 0 },
                { "MinFreeSpace", "2G", UINT64_C(2) << 30 },
        };
        static const struct {
                const char *key, *value, *why;
        } bad[] = {
                { "MaxLayerSize", "0", "MaxLayerSize=0 would refuse every image; \"infinity\" means no limit" },
                { "MaxLayerSize", "12x", "MaxLayerSize=12x: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"" },
                { "MaxLayerSize", "64m", "MaxLayerSize=64m: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"" },
                { "MaxUnpackedLayerSize", "-1", "MaxUnpackedLayerSize=-1: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"" },
                { "MaxUnpackedLayerSize", "1.5", "MaxUnpackedLayerSize=1.5: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"" },
                { "MaxImageSize", "16E", "MaxImageSize=16E: size too large" },
                { "MaxImageSize", "inf", "MaxImageSize=inf: expected a size (e.g. \"512M\", \"8G\") or \"infinity\"" },
                { "MinFreeSpace", "101%", "MinFreeSpace=101%: expected a percentage from 0% to 100%" },
                { "MinFreeSpace", "x%", "MinFreeSpace=x%: expected a percentage from 0% to 100%" },
                { "MinFreeSpace", "infinity", "MinFreeSpace=infinity: expected a size (e.g. \"1G\") or a percentage (e.g. \"5%\")" },
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_config_free_ TankConfig *c = NULL;
                _cleanup_free_ char *text = NULL;
                uint64_t got;

                ck_assert_int_ge(asprintf(&text, "[Images]\n%s=%s\n", ok[i].key, ok[i].value), 0);
                write_file("tank.conf", text);
                c = load_ok(NULL);
                got = streq(ok[i].key, "MaxLayerSize") ? c->images_max_layer_size :
                      streq(ok[i].key, "MaxUnpackedLayerSize") ? c->images_max_unpacked_layer_size :
                      streq(ok[i].key, "MaxImageSize") ? c->images_max_image_size : c->images_min_free_space;
                ck_assert_msg(got == ok[i].expected, "%s=%s: got %" PRIu64, ok[i].key, ok[i].value, got);
        }
        {
                _cleanup_config_free_ TankConfig *c = NULL;

                write_file("tank.conf", "[Images]\nMinFreeSpace=5%\n");
                c = load_ok(NULL);
                ck_assert_uint_eq(c->images_min_free_percent, 5);
                ck_assert_uint_eq(c->images_min_free_space, 0);
        }
        {
                _cleanup_config_free_ TankConfig *c = NULL;

                /* A later size replaces an earlier percentage; empty resets to the default. */
                write_file("tank.conf", "[Images]\nMinFreeSpace=5%\nMinFreeSpace=3G\nMaxImageSize=1G\nMaxImageSize=\n");
                c = load_ok(NULL);
                ck_assert_uint_eq(c->images_min_free_percent, 0);
                ck_assert_uint_eq(c->images_min_free_space, UINT64_C(3) << 30);
                ck_assert_uint_eq(c->images_max_image_size, UINT64_C(64) << 30);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *expected = NULL;

                ck_assert_int_ge(asprintf(&text, "[Images]\n%s=%s\n", bad[i].key, bad[i].value), 0);
                write_file("tank.conf", text);
                ck_assert_int_ge(asprintf(&expected, "tank.conf:2: %s", bad[i].why), 0);
                load_fails(expected);
        }
}
END_TEST

START_TEST(test_parse_size) {
        static const struct {
                const char *s;
                int r;
                uint64_t bytes;
        } cases[] = {
                { "0", 0, 0 },
                { "512", 0, 512 },
                { "512B", 0, 512 },
                { "1K", 0, 1024 },
                { " 64 M ", 0, UINT64_C(64) << 20 },
                { "0.5K", 0, 512 },
                { "1.25G", 0, UINT64_C(1280) << 20 },
                { "1G 512M", 0, UINT64_C(1536) << 20 },
                { "15E", 0, UINT64_C(15) << 60 },
                { "", -EINVAL, 0 },
                { "M", -EINVAL, 0 },
                { "1.", -EINVAL, 0 },
                { "1.5", -EINVAL, 0 },
                { "1KiB", -EINVAL, 0 },
                { "1k", -EINVAL, 0 },
                { "-1K", -EINVAL, 0 },
                { "16E", -ERANGE, 0 },
                { "18446744073709551615", -ERANGE, 0 },
                { "99999999999999999999", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t u = 4242;
                int r = config_parse_size(cases[i].s, &u);

                ck_assert_msg(r == cases[i].r, "\"%s\": got %d, want %d", cases[i].s, r, cases[i].r);
                if (r == 0)
                        ck_assert_msg(u == cases[i].bytes, "\"%s\": got %" PRIu64, cases[i].s, u);
                else
                        ck_assert_uint_eq(u, 4242);
        }
}
END_TEST

START_TEST(test_defaults_no_files) {
        _cleanup_config_free_ TankConfig *c = NULL, *d = NULL;
        _cleanup_strv_free_ char **w = NULL;

        c = load_ok(&w);
        ck_assert_ptr_null(w);
        check_defaults(c);

        ck_assert_int_eq(config_new_default(&d), 0);
        check_defaults(d);
}
END_TEST

START_TEST(test_missing_dir) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_free_ char *err = NULL, *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/does-not-exist", tmpdir), 0);
        ck_assert_int_eq(config_load(p, &c, NULL, &err), 0);
        check_defaults(c);
}
END_TEST

START_TEST(test_full_file) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;

        write_file("tank.conf",
                   "# comment\n"
                   "; another comment\n"
                   "[Tank]\n"
                   "DataDirectory=/srv/tank\n"
                   "\n"
                   "[Store]\n"
                   "Endpoints=https://10.0.0.2:2379 https://etcd-1.example.org:2379\n"
                   "Endpoints=http://[2001:db8::1]:2379 unix://etcd.sock:0\n"
                   "CertFile=/etc/tank/etcd.crt\n"
                   "KeyFile = /etc/tank/etcd.key\n"
                   "TrustedCAFile=/etc/tank/ca.crt\n"
                   "[Host]\n"
                   "Adapter=static\n"
                   "Uplink=eth0\n"
                   "DNS=10.0.0.1  2001:db8::53\n"
                   "[Registry]\n"
                   "Mirror=docker.io http://127.0.0.1:5000\n"
                   "Mirror=ghcr.io https://mirror.example.org/ghcr\n"
                   "Insecure=127.0.0.1:5000 registry.local\n"
                   "AuthFile=/root/auth.json\n"
                   "[Restart]\n"
                   "BackoffBaseSec=500ms\n"
                   "BackoffCapSec=2min\n"
                   "StableSec=1h 30min\n"
                   "StopTimeoutSec=3\n");
        c = load_ok(&w);
        ck_assert_ptr_null(w);

        ck_assert_str_eq(c->data_dir, "/srv/tank");
        ck_assert_ptr_null(c->store_data_dir);
        ck_assert_uint_eq(strv_length(c->store_endpoints), 4);
        ck_assert_str_eq(c->store_endpoints[0], "https://10.0.0.2:2379");
        ck_assert_str_eq(c->store_endpoints[1], "https://etcd-1.example.org:2379");
        ck_assert_str_eq(c->store_endpoints[2], "http://[2001:db8::1]:2379");
        ck_assert_str_eq(c->store_endpoints[3], "unix://etcd.sock:0");
        ck_assert_str_eq(c->store_cert_file, "/etc/tank/etcd.crt");
        ck_assert_str_eq(c->store_key_file, "/etc/tank/etcd.key");
        ck_assert_str_eq(c->store_trusted_ca_file, "/etc/tank/ca.crt");
        ck_assert_int_eq(c->host_adapter, HOST_ADAPTER_STATIC);
        ck_assert_str_eq(c->host_uplink, "eth0");
        ck_assert_uint_eq(strv_length(c->host_dns), 2);
        ck_assert_str_eq(c->host_dns[0], "10.0.0.1");
        ck_assert_str_eq(c->host_dns[1], "2001:db8::53");
        ck_assert_uint_eq(c->n_mirrors, 2);
        ck_assert_str_eq(c->mirrors[0].registry, "docker.io");
        ck_assert_str_eq(c->mirrors[0].url, "http://127.0.0.1:5000");
        ck_assert_str_eq(c->mirrors[1].registry, "ghcr.io");
        ck_assert_str_eq(c->mirrors[1].url, "https://mirror.example.org/ghcr");
        ck_assert_uint_eq(strv_length(c->insecure_registries), 2);
        ck_assert_str_eq(c->insecure_registries[1], "registry.local");
        ck_assert_str_eq(c->auth_file, "/root/auth.json");
        ck_assert_uint_eq(c->backoff_base_usec, 500 * USEC_PER_MSEC);
        ck_assert_uint_eq(c->backoff_cap_usec, 120 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stable_usec, 5400 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stop_timeout_usec, 3 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_precedence) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;

        write_file("tank.conf",
                   "[Tank]\nDataDirectory=/main\n"
                   "[Restart]\nBackoffBaseSec=5\nStableSec=7\n"
                   "[Host]\nDNS=10.0.0.1\n");
        /* strcmp order, not creation order: 10 before 20, 20 before 9 */
        write_file("tank.conf.d/20-b.conf", "[Restart]\nBackoffBaseSec=20\n[Host]\nDNS=\nDNS=192.0.2.53\n");
        write_file("tank.conf.d/10-a.conf", "[Restart]\nBackoffBaseSec=10\nStopTimeoutSec=4\n[Host]\nDNS=10.0.0.2\n");
        write_file("tank.conf.d/9-c.conf", "[Restart]\nBackoffBaseSec=9\n");
        write_file("tank.conf.d/ignored.txt", "[Restart]\nBackoffBaseSec=99\n");
        write_file("tank.conf.d/.hidden.conf", "[Restart]\nBackoffBaseSec=98\n");

        c = load_ok(&w);
        ck_assert_ptr_null(w);
        ck_assert_str_eq(c->data_dir, "/main");
        ck_assert_str_eq(c->store_data_dir, "/main/store");
        ck_assert_uint_eq(c->backoff_base_usec, 9 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stable_usec, 7 * USEC_PER_SEC);
        ck_assert_uint_eq(c->stop_timeout_usec, 4 * USEC_PER_SEC);
        /* list: appended by 10-a, cleared and set again by 20-b */
        ck_assert_uint_eq(strv_length(c->host_dns), 1);
        ck_assert_str_eq(c->host_dns[0], "192.0.2.53");
        c = config_free(c);

        /* the environment wins over every file, and the store follows it */
        setenv("TANK_DATA_DIR", "/env/data", 1);
        c = load_ok(NULL);
        ck_assert_str_eq(c->data_dir, "/env/data");
        ck_assert_str_eq(c->store_data_dir, "/env/data/store");
        c = config_free(c);

        /* an explicit store directory is not moved by the environment */
        write_file("tank.conf.d/30-store.conf", "[Store]\nDataDirectory=/fast/etcd\n");
        c = load_ok(NULL);
        ck_assert_str_eq(c->data_dir, "/env/data");
        ck_assert_str_eq(c->store_data_dir, "/fast/etcd");
        c = config_free(c);

        /* an empty environment variable is the same as none */
        setenv("TANK_DATA_DIR", "", 1);
        c = load_ok(NULL);
        ck_assert_str_eq(c->data_dir, "/main");
}
END_TEST

START_TEST(test_reset_to_default) {
        _cleanup_config_free_ TankConfig *c = NULL;

        write_file("tank.conf", "[Tank]\nDataDirectory=/x\n[Restart]\nStableSec=5\n[Registry]\nMirror=docker.io http://127.0.0.1:5000\n");
        write_file("tank.conf.d/a.conf", "[Tank]\nDataDirectory=\n[Restart]\nStableSec=\n[Registry]\nMirror=\n");
        c = load_ok(NULL);
        ck_assert_str_eq(c->data_dir, "/var/lib/tank");
        ck_assert_uint_eq(c->stable_usec, 60 * USEC_PER_SEC);
        ck_assert_uint_eq(c->n_mirrors, 0);
}
END_TEST

START_TEST(test_unknown_keys_warn) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *e0 = NULL, *e1 = NULL, *e2 = NULL, *e3 = NULL;

        write_file("tank.conf", "Stray=1\n[Tank]\nDataDirectory=/d\nDataDir=/typo\n\n[Frobnicate]\nX=1\n");
        write_file("tank.conf.d/x.conf", "[Restart]\nBackoffBase=3\n");
        c = load_ok(&w);
        ck_assert_str_eq(c->data_dir, "/d");
        ck_assert_uint_eq(strv_length(w), 4);
        ck_assert_int_ge(asprintf(&e0, "%s/tank.conf:1: key Stray outside of any section, ignoring", tmpdir), 0);
        ck_assert_int_ge(asprintf(&e1, "%s/tank.conf:4: unknown key DataDir in section [Tank], ignoring", tmpdir), 0);
        ck_assert_int_ge(asprintf(&e2, "%s/tank.conf:7: unknown key X in unknown section [Frobnicate], ignoring", tmpdir), 0);
        ck_assert_int_ge(asprintf(&e3, "%s/tank.conf.d/x.conf:2: unknown key BackoffBase in section [Restart], ignoring", tmpdir), 0);
        ck_assert_str_eq(w[0], e0);
        ck_assert_str_eq(w[1], e1);
        ck_assert_str_eq(w[2], e2);
        ck_assert_str_eq(w[3], e3);
}
END_TEST

START_TEST(test_errors) {
        static const struct {
                const char *file;
                const char *content;
                const char *error;     /* after "<tmpdir>/" */
        } cases[] = {
                { "tank.conf", "[Tank]\nDataDirectory=relative/path\n",
                  "tank.conf:2: DataDirectory=relative/path: not an absolute, normalized path" },
                { "tank.conf", "[Tank]\nDataDirectory=/a/../b\n",
                  "tank.conf:2: DataDirectory=/a/../b: not an absolute, normalized path" },
                { "tank.conf", "[Tank]\nDataDirectory=/a//b\n",
                  "tank.conf:2: DataDirectory=/a//b: not an absolute, normalized path" },
                { "tank.conf", "[Tank\nDataDirectory=/x\n",
                  "tank.conf:1: syntax error: expected [Section], Key=Value or a comment" },
                { "tank.conf", "[Tank]\n\n\njust words\n",
                  "tank.conf:4: syntax error: expected [Section], Key=Value or a comment" },
                { "tank.conf", "[Host]\nAdapter=dynamic\n",
                  "tank.conf:2: Adapter=dynamic: expected \"static\" or \"auto\"" },
                { "tank.conf", "[Host]\nAdapter=static\n",
                  "tank.conf:2: [Host] Adapter=static needs Uplink=" },
                { "tank.conf", "[Host]\nUplink=has space\n",
                  "tank.conf:2: Uplink=has space: not a valid interface name" },
                { "tank.conf", "[Host]\nUplink=waytoolonginterfacename\n",
                  "tank.conf:2: Uplink=waytoolonginterfacename: not a valid interface name" },
                { "tank.conf", "[Host]\nDNS=10.0.0.1 10.0.0.300\n",
                  "tank.conf:2: DNS=: \"10.0.0.300\" is not an IPv4 or IPv6 address" },
                { "tank.conf", "[Registry]\nMirror=docker.io\n",
                  "tank.conf:2: Mirror=docker.io: expected \"REGISTRY URL\", e.g. \"docker.io http://127.0.0.1:5000\"" },
                { "tank.conf", "[Registry]\nMirror=docker.io ftp://x\n",
                  "tank.conf:2: Mirror=: \"ftp://x\" is not an http:// or https:// URL" },
                { "tank.conf", "[Registry]\nMirror=docker.io/x http://x\n",
                  "tank.conf:2: Mirror=: \"docker.io/x\" is not a registry host[:port]" },
                { "tank.conf", "[Registry]\nInsecure=host:99999\n",
                  "tank.conf:2: Insecure=: \"host:99999\" is not a registry host[:port]" },
                { "tank.conf", "[Store]\nEndpoints=10.0.0.2:2379\n",
                  "tank.conf:2: Endpoints=: \"10.0.0.2:2379\" is not an http://, https:// or unix:// endpoint URL" },
                { "tank.conf", "[Restart]\nBackoffBaseSec=fast\n",
                  "tank.conf:2: BackoffBaseSec=fast: not a time span (e.g. \"10\", \"500ms\", \"2min\")" },
                { "tank.conf", "[Restart]\nStableSec=-5\n",
                  "tank.conf:2: StableSec=-5: not a time span (e.g. \"10\", \"500ms\", \"2min\")" },
                { "tank.conf", "[Restart]\nStableSec=5 parsecs\n",
                  "tank.conf:2: StableSec=5 parsecs: not a time span (e.g. \"10\", \"500ms\", \"2min\")" },
                { "tank.conf", "[Restart]\nStableSec=99999999999999999999\n",
                  "tank.conf:2: StableSec=99999999999999999999: time span too large" },
                { "tank.conf", "[Restart]\nBackoffBaseSec=10\n\nBackoffCapSec=5\n",
                  "tank.conf:4: [Restart] BackoffCapSec= is smaller than BackoffBaseSec=" },
                { "tank.conf", "[Restart]\nBackoffBaseSec=1000\n",
                  "tank.conf:2: [Restart] BackoffCapSec= is smaller than BackoffBaseSec=" },
                { "tank.conf", "[Store]\nKeyFile=/k\n",
                  "tank.conf:2: CertFile= and KeyFile= must be given together" },
                { "tank.conf", "[Tank]\nDataDirectory=/a\n    DataDirectory=/b\n",
                  "tank.conf:3: continuation lines are not supported (indented line after a key)" },
                /* the first error wins, also across files */
                { "tank.conf.d/50-bad.conf", "[Restart]\nStableSec=x\nBackoffCapSec=y\n",
                  "tank.conf.d/50-bad.conf:2: StableSec=x: not a time span (e.g. \"10\", \"500ms\", \"2min\")" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                teardown();
                setup();
                write_file(cases[i].file, cases[i].content);
                load_fails(cases[i].error);
        }
}
END_TEST

START_TEST(test_store_mode_conflict) {
        _cleanup_free_ char *expected = NULL;

        write_file("tank.conf", "[Store]\nDataDirectory=/var/lib/etcd\n");
        write_file("tank.conf.d/byo.conf", "[Store]\nEndpoints=https://10.0.0.2:2379\n");
        ck_assert_int_ge(asprintf(&expected,
                                  "tank.conf.d/byo.conf:2: [Store] Endpoints= (an external etcd) and DataDirectory= "
                                  "(set at %s/tank.conf:2) exclude each other: Tank runs no etcd of its own with Endpoints=",
                                  tmpdir), 0);
        load_fails(expected);

        /* resetting DataDirectory= in a later drop-in makes it valid again */
        write_file("tank.conf.d/byo2.conf", "[Store]\nDataDirectory=\n");
        {
                _cleanup_config_free_ TankConfig *c = load_ok(NULL);
                ck_assert_ptr_null(c->store_data_dir);
                ck_assert_uint_eq(strv_length(c->store_endpoints), 1);
        }
}
END_TEST

START_TEST(test_hostile_files) {
        _cleanup_free_ char *big = NULL, *err = NULL, *expected = NULL;
        _cleanup_strv_free_ char **w = NULL;
        TankConfig *c = NULL;
        char nul[] = "[Tank]\nData\0Directory=/x\n";
        int fd;

        /* NUL byte */
        {
                _cleanup_free_ char *p = NULL;
                ck_assert_int_ge(asprintf(&p, "%s/tank.conf", tmpdir), 0);
                fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                ck_assert_int_ge(fd, 0);
                ck_assert_int_eq(write(fd, nul, sizeof nul - 1), (ssize_t) sizeof nul - 1);
                close(fd);
        }
        load_fails("tank.conf:2: NUL byte in file");

        /* a line longer than inih's buffer must not be cut silently */
        big = malloc(1024);
        ck_assert_ptr_nonnull(big);
        strcpy(big, "[Tank]\nDataDirectory=/");
        memset(big + strlen(big), 'a', 500);
        strcpy(big + 23 + 500, "\n");
        write_file("tank.conf", big);
        load_fails("tank.conf:2: line longer than 197 characters");

        /* control characters in unknown key names are neutralized in warnings */
        write_file("tank.conf", "[Tank]\nBad\033[31mKey=1\n");
        ck_assert_int_eq(config_load(tmpdir, &c, &w, &err), 0);
        ck_assert_int_ge(asprintf(&expected, "%s/tank.conf:2: unknown key Bad?[31mKey in section [Tank], ignoring", tmpdir), 0);
        ck_assert_uint_eq(strv_length(w), 1);
        ck_assert_str_eq(w[0], expected);
        config_free(c);

        /* a directory where a drop-in file is expected */
        write_file("tank.conf", "");
        {
                _cleanup_free_ char *d = NULL;
                ck_assert_int_ge(asprintf(&d, "%s/tank.conf.d", tmpdir), 0);
                (void) mkdir(d, 0755);
                free(d);
                ck_assert_int_ge(asprintf(&d, "%s/tank.conf.d/dir.conf", tmpdir), 0);
                ck_assert_int_eq(mkdir(d, 0755), 0);
        }
        load_fails("tank.conf.d/dir.conf: not a regular file");
}
END_TEST

START_TEST(test_env_invalid) {
        _cleanup_free_ char *err = NULL;
        TankConfig *c = NULL;

        setenv("TANK_DATA_DIR", "relative", 1);
        ck_assert_int_eq(config_load(tmpdir, &c, NULL, &err), -EINVAL);
        ck_assert_str_eq(err, "TANK_DATA_DIR=relative: not an absolute, normalized path");
}
END_TEST

START_TEST(test_parse_sec) {
        static const struct {
                const char *s;
                int r;
                uint64_t usec;
        } cases[] = {
                { "0", 0, 0 },
                { "30", 0, 30 * USEC_PER_SEC },
                { "  30  ", 0, 30 * USEC_PER_SEC },
                { "500ms", 0, 500 * USEC_PER_MSEC },
                { "2min", 0, 120 * USEC_PER_SEC },
                { "1h 30min", 0, 5400 * USEC_PER_SEC },
                { "1min30s", 0, 90 * USEC_PER_SEC },
                { "5 s", 0, 5 * USEC_PER_SEC },
                { "250us", 0, 250 },
                { "1d", 0, 86400 * USEC_PER_SEC },
                { "", -EINVAL, 0 },
                { "   ", -EINVAL, 0 },
                { "s", -EINVAL, 0 },
                { "1.5", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "1min 30", -EINVAL, 0 },
                { "30 1min", -EINVAL, 0 },
                { "10 fortnights", -EINVAL, 0 },
                { "18446744073709551615", -ERANGE, 0 },
                { "300000000000d", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t u = 4242;
                int r = parse_sec(cases[i].s, &u);

                ck_assert_msg(r == cases[i].r, "\"%s\": got %d, want %d", cases[i].s, r, cases[i].r);
                if (r == 0)
                        ck_assert_uint_eq(u, cases[i].usec);
                else
                        ck_assert_uint_eq(u, 4242);
        }
}
END_TEST

START_TEST(test_adapter_strings) {
        ck_assert_str_eq(host_adapter_to_string(HOST_ADAPTER_STATIC), "static");
        ck_assert_str_eq(host_adapter_to_string(HOST_ADAPTER_AUTO), "auto");
        ck_assert_ptr_null(host_adapter_to_string(_HOST_ADAPTER_MAX));
        ck_assert_int_eq(host_adapter_from_string("auto"), HOST_ADAPTER_AUTO);
        ck_assert_int_eq(host_adapter_from_string("Static"), _HOST_ADAPTER_INVALID);
        ck_assert_int_eq(host_adapter_from_string(NULL), _HOST_ADAPTER_INVALID);
}
END_TEST


START_TEST(test_node_defaults) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;

        c = load_ok(&w);
        ck_assert_ptr_nonnull(c->node_name);
        ck_assert(config_node_name_is_valid(c->node_name));
        ck_assert_ptr_null(c->node_labels);
        ck_assert_uint_eq(c->node_lease_usec, 15 * USEC_PER_SEC);
        ck_assert_uint_eq(c->node_fence_usec, 10 * USEC_PER_SEC);
        ck_assert_uint_eq(c->node_reschedule_delay_usec, 30 * USEC_PER_SEC);
        /* the defaults keep the inequality */
        ck_assert_uint_le(c->node_fence_usec + c->stop_timeout_usec + TANK_FENCE_MARGIN_USEC,
                          c->node_lease_usec + c->node_reschedule_delay_usec);
}
END_TEST

START_TEST(test_node_keys) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;

        write_file("tank.conf", "[Node]\nName=db-1\nLabels=zone=a role=db\nLeaseSec=3\n");
        write_file("tank.conf.d/50-more.conf", "[Node]\nLabels=zone=b example.com/tier=\n");
        c = load_ok(&w);
        ck_assert_ptr_null(w);
        ck_assert_str_eq(c->node_name, "db-1");
        ck_assert_int_eq(strv_length(c->node_labels), 3);
        ck_assert_str_eq(c->node_labels[0], "zone=b");
        ck_assert_str_eq(c->node_labels[1], "role=db");
        ck_assert_str_eq(c->node_labels[2], "example.com/tier=");
        ck_assert_uint_eq(c->node_lease_usec, 3 * USEC_PER_SEC);
        ck_assert_uint_eq(c->node_fence_usec, 2 * USEC_PER_SEC);   /* 2/3 of the lease */
}
END_TEST

START_TEST(test_node_refusals) {
        write_file("tank.conf", "[Node]\nName=Db_1\n");
        load_fails("tank.conf:2: Name=Db_1: not a valid node name (a lowercase DNS label: 1 to 63 characters "
                   "of a-z, 0-9 and '-', no '-' at either end)");
        write_file("tank.conf", "[Node]\nName=-a\n");
        load_fails("tank.conf:2: Name=-a: not a valid node name (a lowercase DNS label: 1 to 63 characters "
                   "of a-z, 0-9 and '-', no '-' at either end)");
        write_file("tank.conf", "[Node]\nLabels=zone=a -x=1\n");
        load_fails("tank.conf:2: Labels=: \"-x=1\" is not a label KEY=VALUE (KEY [PREFIX/]NAME, NAME and VALUE up "
                   "to 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', beginning and ending alphanumeric)");
        write_file("tank.conf", "[Node]\nLabels=zone\n");
        load_fails("tank.conf:2: Labels=: \"zone\" is not a label KEY=VALUE (KEY [PREFIX/]NAME, NAME and VALUE up "
                   "to 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', beginning and ending alphanumeric)");
        write_file("tank.conf", "[Node]\nLeaseSec=2\n");
        load_fails("tank.conf:2: [Node] LeaseSec=2s: expected whole seconds from 3 to 3600");
        write_file("tank.conf", "[Node]\nLeaseSec=1500ms\n");
        load_fails("tank.conf:2: [Node] LeaseSec=1.500000s: expected whole seconds from 3 to 3600");
        write_file("tank.conf", "[Node]\nFenceSec=15\n");
        load_fails("tank.conf:2: [Node] FenceSec=15s must be longer than a keepalive period (LeaseSec/3 = 5s) "
                   "and shorter than LeaseSec=15s");
        write_file("tank.conf", "[Node]\nFenceSec=5\n");
        load_fails("tank.conf:2: [Node] FenceSec=5s must be longer than a keepalive period (LeaseSec/3 = 5s) "
                   "and shorter than LeaseSec=15s");
        /* 10 + 10 + 2 > 15 + 5 */
        write_file("tank.conf", "[Node]\nRescheduleDelaySec=5\n");
        load_fails("tank.conf:2: [Node] FenceSec=10s + [Restart] StopTimeoutSec=10s + 2s margin must not exceed "
                   "[Node] LeaseSec=15s + RescheduleDelaySec=5s: a fenced node's pods could still be stopping "
                   "when another node may start them");
        /* the stop grace period counts: 10 + 30 + 2 > 15 + 26 */
        write_file("tank.conf", "[Restart]\nStopTimeoutSec=30\n[Node]\nRescheduleDelaySec=26\n");
        load_fails("tank.conf:4: [Node] FenceSec=10s + [Restart] StopTimeoutSec=30s + 2s margin must not exceed "
                   "[Node] LeaseSec=15s + RescheduleDelaySec=26s: a fenced node's pods could still be stopping "
                   "when another node may start them");
}
END_TEST

START_TEST(test_node_inequality_edge) {
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_strv_free_ char **w = NULL;

        /* 10 + 30 + 2 == 15 + 27: allowed */
        write_file("tank.conf", "[Restart]\nStopTimeoutSec=30\n[Node]\nRescheduleDelaySec=27\n");
        c = load_ok(&w);
        ck_assert_uint_eq(c->node_reschedule_delay_usec, 27 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_node_inequality_overflow) {
        /* A stop grace period near the span's limit must not wrap the sum
         * into a small one that passes. */
        write_file("tank.conf", "[Restart]\nStopTimeoutSec=18446744073700s\n");
        load_fails("tank.conf: [Node] FenceSec=10s + [Restart] StopTimeoutSec=18446744073700s + 2s margin "
                   "must not exceed [Node] LeaseSec=15s + RescheduleDelaySec=30s: a fenced node's pods could "
                   "still be stopping when another node may start them");
}
END_TEST

START_TEST(test_node_name_valid) {
        ck_assert(config_node_name_is_valid("a"));
        ck_assert(config_node_name_is_valid("node-1"));
        ck_assert(!config_node_name_is_valid(""));
        ck_assert(!config_node_name_is_valid("a-"));
        ck_assert(!config_node_name_is_valid("a.b"));
        ck_assert(!config_node_name_is_valid("A"));
        ck_assert(!config_node_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        ck_assert(config_node_label_is_valid("zone=a"));
        ck_assert(config_node_label_is_valid("tank.io/role=db"));
        ck_assert(config_node_label_is_valid("k="));
        ck_assert(!config_node_label_is_valid("=a"));
        ck_assert(!config_node_label_is_valid("k=a b"));
        ck_assert(!config_node_label_is_valid("Bad_/k=a"));
        ck_assert(!config_node_label_is_valid("k=-a"));
}
END_TEST

START_TEST(test_store_peers) {
        static const struct {
                const char *content, *error;
        } bad[] = {
                { "[Node]\nName=a\n[Store]\nPeers=a=http://192.0.2.11:2380 b\n",
                  "tank.conf:4: Peers=: \"b\" is not NAME=URL (a node name and an http:// or https:// peer URL)" },
                { "[Node]\nName=a\n[Store]\nPeers=a=unix://x:1\n",
                  "tank.conf:4: Peers=: \"a=unix://x:1\" is not NAME=URL (a node name and an http:// or https:// peer URL)" },
                { "[Node]\nName=a\n[Store]\nPeers=A_=http://192.0.2.11:2380\n",
                  "tank.conf:4: Peers=: \"A_=http://192.0.2.11:2380\" is not NAME=URL (a node name and an http:// or https:// peer URL)" },
                { "[Node]\nName=a\n[Store]\nPeers=a=http://192.0.2.11:2380 a=http://192.0.2.12:2380\n",
                  "tank.conf:4: Peers=: member \"a\" is given twice" },
                { "[Node]\nName=c\n[Store]\nPeers=a=http://192.0.2.11:2380 b=http://192.0.2.12:2380\n",
                  "tank.conf:4: [Store] Peers= does not name this node (\"c\", [Node] Name=): give its member as "
                  "c=URL, or set Name= to the member it is" },
                { "[Node]\nName=a\n[Store]\nPeers=a=http://192.0.2.11:2380 b=https://192.0.2.12:2380\n",
                  "tank.conf:4: [Store] Peers= mixes http:// and https:// members: a cluster's peers speak one of them" },
                { "[Node]\nName=a\n[Store]\nPeers=a=https://192.0.2.11:2380\n",
                  "tank.conf:4: [Store] Peers= with https:// members needs PeerCertFile= and PeerKeyFile= (and "
                  "PeerTrustedCAFile= to check the other members)" },
                { "[Node]\nName=a\n[Store]\nPeers=a=https://192.0.2.11:2380\nPeerCertFile=/c\n",
                  "tank.conf:5: [Store] PeerCertFile= and PeerKeyFile= must be given together" },
                { "[Node]\nName=a\n[Store]\nPeers=a=http://192.0.2.11:2380\nPeerTrustedCAFile=/ca\n",
                  "tank.conf:5: [Store] PeerCertFile=/PeerTrustedCAFile= need https:// members in Peers=" },
                { "[Store]\nPeerCertFile=/c\nPeerKeyFile=/k\n",
                  "tank.conf:3: [Store] PeerCertFile=, PeerKeyFile= and PeerTrustedCAFile= are for the members of "
                  "Peers=, which is not set" },
                { "[Node]\nName=a\n[Store]\nEndpoints=https://192.0.2.1:2379\nPeers=a=http://192.0.2.11:2380\n",
                  "tank.conf:5: [Store] Peers= (this node runs a member of the fleet's cluster) and Endpoints= (set "
                  "at TMP/tank.conf:4: a cluster run elsewhere) exclude each other" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *msg = NULL, *tmp = NULL;
                const char *at;

                teardown();
                setup();
                write_file("tank.conf", bad[i].content);
                /* TMP stands for the directory, which is known only now. */
                at = strstr(bad[i].error, "TMP/");
                if (at)
                        ck_assert_int_ge(asprintf(&msg, "%.*s%s/%s", (int) (at - bad[i].error), bad[i].error, tmpdir,
                                                  at + 4), 0);
                load_fails(msg ?: bad[i].error);
        }

        teardown();
        setup();
        write_file("tank.conf", "[Node]\nName=b\n[Store]\nPeers=a=https://192.0.2.11:2380 b=https://192.0.2.12:2380\n"
                                "Peers=c=https://[2001:db8::3]:2380\nPeerCertFile=/etc/tank/peer.pem\n"
                                "PeerKeyFile=/etc/tank/peer.key\nPeerTrustedCAFile=/etc/tank/ca.pem\n");
        {
                _cleanup_config_free_ TankConfig *c = load_ok(NULL);
                _cleanup_free_ char *dir = NULL;

                ck_assert_uint_eq(strv_length(c->store_peers), 3);
                ck_assert_str_eq(config_peer_url(c, "b"), "https://192.0.2.12:2380");
                ck_assert_str_eq(config_peer_url(c, "c"), "https://[2001:db8::3]:2380");
                ck_assert_ptr_null(config_peer_url(c, "d"));
                ck_assert_str_eq(c->store_peer_trusted_ca_file, "/etc/tank/ca.pem");
                /* A member's data is not the standalone store's. */
                ck_assert_int_ge(asprintf(&dir, "%s/store-member", c->data_dir), 0);
                ck_assert_str_eq(c->store_data_dir, dir);
                ck_assert_ptr_null(c->store_endpoints);
        }
}
END_TEST

static Suite *config_suite(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("load");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_defaults_no_files);
        tcase_add_test(tc, test_missing_dir);
        tcase_add_test(tc, test_history_limit);
        tcase_add_test(tc, test_update_check_sec);
        tcase_add_test(tc, test_full_file);
        tcase_add_test(tc, test_precedence);
        tcase_add_test(tc, test_reset_to_default);
        tcase_add_test(tc, test_unknown_keys_warn);
        tcase_add_test(tc, test_errors);
        tcase_add_test(tc, test_default_pids);
        tcase_add_test(tc, test_images);
        tcase_add_test(tc, test_parse_size);
        tcase_add_test(tc, test_user_namespace);
        tcase_add_test(tc, test_store_mode_conflict);
        tcase_add_test(tc, test_store_peers);
        tcase_add_test(tc, test_hostile_files);
        tcase_add_test(tc, test_env_invalid);
        tcase_add_test(tc, test_parse_sec);
        tcase_add_test(tc, test_adapter_strings);
        tcase_add_test(tc, test_node_defaults);
        tcase_add_test(tc, test_node_keys);
        tcase_add_test(tc, test_node_refusals);
        tcase_add_test(tc, test_node_inequality_edge);
        tcase_add_test(tc, test_node_inequality_overflow);
        tcase_add_test(tc, test_node_name_valid);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(config_suite());
}
