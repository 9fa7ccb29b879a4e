/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container field table (src/spec/container-fields.h): a field that is
 * only a table line parses, validates, serializes and frees; every line of the
 * real table round-trips through JSON and through the Kubernetes manifest. */
/* before check.h, whose fail() macro would rename parse-util.h's fail() */
#include "spec/container-fields.h"
#include "spec/json.h"
#include "spec/kube.h"
#include "spec/pod.h"
#include "strv.h"

#include <check.h>

#include "check-run.h"

/* A table no code knows about: its lines borrow PodContainer members under
 * new names, which is all a new field needs besides its member. */
static const ContainerField test_fields[] = {
        { "id",      CF_NAME,   offsetof(PodContainer, name), .required = true, .write_default = true },
        { "label",   CF_STRING, offsetof(PodContainer, image) },
        { "cwd",     CF_PATH,   offsetof(PodContainer, working_dir) },
        { "argv",    CF_STRV,   offsetof(PodContainer, args) },
        { "vars",    CF_ENV,    offsetof(PodContainer, env), .write_default = true },
        { "console", CF_BOOL,   offsetof(PodContainer, tty), .write_default = true },
        { "flag",    CF_BOOL,   offsetof(PodContainer, notify), .def = true },
        { "count",   CF_UINT,   offsetof(PodContainer, watchdog_sec), .max = 10, .def = 3 },
};

static int parse_test(const char *text, PodContainer *ct, char **ret_error) {
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        _cleanup_free_ char *reason = NULL;
        Ctx c = {};
        int r;

        ck_assert_int_eq(json_parse(text, strlen(text), POD_JSON_MAX, POD_JSON_DEPTH_MAX, &v, &reason), 0);
        r = container_fields_parse(&c, test_fields, ELEMENTSOF(test_fields), v, "x", NULL, ct);
        if (r == -EINVAL && ret_error)
                *ret_error = TAKE_PTR(c.error);
        free(c.error);
        return r;
}

static char *gen_test(const PodContainer *ct) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        char *s = NULL;

        ck_assert_ptr_nonnull(g);
        ck_assert_int_eq(container_fields_gen(g, test_fields, ELEMENTSOF(test_fields), ct, false), 0);
        ck_assert_int_eq(json_gen_finish(g, &s, NULL, NULL), 0);
        return s;
}

START_TEST(test_table_only_field) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                /* defaults: written only where write_default says so */
                { "{\"id\":\"a\"}", "{\"id\":\"a\",\"vars\":{},\"console\":false}" },
                { "{\"count\":3,\"flag\":true,\"id\":\"a\"}", "{\"id\":\"a\",\"vars\":{},\"console\":false}" },
                /* the table's order, not the document's */
                { "{\"count\":10,\"flag\":false,\"argv\":[],\"cwd\":\"/srv\",\"vars\":{\"B\":\"2\",\"A\":\"1\"},"
                  "\"console\":true,\"label\":\"hi\",\"id\":\"a\"}",
                  "{\"id\":\"a\",\"label\":\"hi\",\"cwd\":\"/srv\",\"argv\":[],\"vars\":{\"A\":\"1\",\"B\":\"2\"},"
                  "\"console\":true,\"flag\":false,\"count\":10}" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                PodContainer ct = {}, again = {};
                _cleanup_free_ char *s = NULL, *s2 = NULL;

                ck_assert_int_eq(parse_test(cases[i].in, &ct, NULL), 0);
                s = gen_test(&ct);
                ck_assert_str_eq(s, cases[i].out);
                ck_assert_int_eq(parse_test(s, &again, NULL), 0);
                s2 = gen_test(&again);
                ck_assert_str_eq(s2, s);
                container_fields_done(test_fields, ELEMENTSOF(test_fields), &ct);
                container_fields_done(test_fields, ELEMENTSOF(test_fields), &again);
        }
}
END_TEST

START_TEST(test_table_only_field_errors) {
        static const struct {
                const char *in, *error;
        } cases[] = {
                { "{}", "x: missing field \"id\"" },
                { "{\"id\":\"a\",\"other\":1}", "x: unknown field \"other\"" },
                { "{\"id\":\"a\",\"count\":11}", "x.count: 11 out of range 0..10" },
                { "{\"id\":\"a\",\"cwd\":\"srv\"}", "x.cwd: must be an absolute path" },
                { "{\"id\":\"a\",\"flag\":1}", "x.flag: expected a boolean, got a number" },
                { "{\"id\":\"A\"}", "x.id: must be a lowercase DNS label (1-63 characters of a-z, 0-9 and '-', "
                  "not starting or ending with '-')" },
                /* checked in the table's order: cwd before count */
                { "{\"count\":11,\"id\":\"a\",\"cwd\":\"srv\"}", "x.cwd: must be an absolute path" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                PodContainer ct = {};
                _cleanup_free_ char *error = NULL;

                ck_assert_int_eq(parse_test(cases[i].in, &ct, &error), -EINVAL);
                ck_assert_str_eq(strempty(error), cases[i].error);
                /* a half-parsed container frees cleanly (ASan builds check) */
                container_fields_done(test_fields, ELEMENTSOF(test_fields), &ct);
        }
}
END_TEST

/* A sample JSON value for a line of the real table, by kind; custom kinds
 * must be listed here, so that a new custom field cannot go untested. */
static const char *sample(const ContainerField *f) {
        static const struct {
                const char *name, *value;
        } custom[] = {
                { "image", "\"docker.io/library/nginx:1.27\"" },
                { "mounts", "[{\"volume\":\"v\",\"path\":\"/data\",\"read_only\":true}]" },
                { "limits", "{\"memory\":1048576,\"pids\":50,\"cpu\":[50000,100000]}" },
                { "image_update", "\"registry\"" },
                { "probes", "{\"liveness\":{\"tcp\":{\"port\":80},\"initial_delay\":0,\"period\":10,\"timeout\":1,"
                            "\"success_threshold\":1,\"failure_threshold\":3}}" },
        };

        switch (f->kind) {
        case CF_NAME:
                return "\"abc\"";
        case CF_STRING:
                return "\"some text\"";
        case CF_PATH:
                return "\"/srv/app\"";
        case CF_STRV:
                return "[\"a\",\"b c\"]";
        case CF_ENV:
                return "{\"K\":\"v\"}";
        case CF_BOOL:
                return f->def ? "false" : "true";
        case CF_UINT:
                return f->def == 1 ? "2" : "1";
        case CF_CUSTOM:
                for (size_t i = 0; i < ELEMENTSOF(custom); i++)
                        if (streq(custom[i].name, f->name))
                                return custom[i].value;
        }
        return NULL;
}

START_TEST(test_every_table_line) {
        for (size_t i = 0; i < container_fields_count; i++) {
                const ContainerField *f = container_fields + i;
                _cleanup_free_ char *doc = NULL, *member = NULL, *s = NULL, *s2 = NULL, *yaml = NULL,
                        *error = NULL, *s3 = NULL;
                const char *value = sample(f);
                Pod *p = NULL, *again = NULL, **back = NULL;
                size_t n = 0;

                ck_assert_msg(value, "no sample value for container field \"%s\"", f->name);
                ck_assert_int_ge(asprintf(&member, "\"%s\":%s", f->name, value), 0);
                /* watchdog_sec's check wants notify; every other field stands alone */
                ck_assert_int_ge(asprintf(&doc, "{\"name\":\"p\",\"volumes\":[{\"name\":\"v\"}],\"containers\":[{%s%s%s%s}]}",
                                          streq(f->name, "name") ? "" : "\"name\":\"c\",",
                                          streq(f->name, "image") ? "" : "\"image\":\"nginx\",",
                                          streq(f->name, "watchdog_sec") ? "\"notify\":true," : "", member), 0);
                ck_assert_msg(pod_parse(doc, strlen(doc), &p, &error) == 0, "%s: %s", doc, strempty(error));
                ck_assert_int_eq(pod_serialize(p, &s), 0);
                ck_assert_msg(strstr(s, member), "%s not in %s", member, s);
                ck_assert_int_eq(pod_parse(s, strlen(s), &again, NULL), 0);
                ck_assert_int_eq(pod_serialize(again, &s2), 0);
                ck_assert_str_eq(s2, s);

                /* through Kubernetes YAML: its own field, or tank.io/container.NAME */
                ck_assert_msg(kube_serialize(p, &yaml, &error) == 0, "%s: %s", f->name, strempty(error));
                if (!f->kube) {
                        _cleanup_free_ char *annotation = NULL;
                        ck_assert_int_ge(asprintf(&annotation, "\\\"%s\\\":", f->name), 0);
                        ck_assert_msg(strstr(yaml, "tank.io/container.c: ") && strstr(yaml, annotation),
                                      "%s not in the annotation: %s", f->name, yaml);
                }
                ck_assert_int_eq(kube_parse_many(yaml, strlen(yaml), SIZE_MAX, false, &back, &n, NULL, NULL), 0);
                ck_assert_int_eq(n, 1);
                ck_assert_int_eq(pod_serialize(back[0], &s3), 0);
                ck_assert_str_eq(s3, s);

                pod_array_free(back, n);
                pod_free(again);
                pod_free(p);
        }
}
END_TEST

static Suite *fields_suite(void) {
        Suite *s = suite_create("spec-fields");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_table_only_field);
        tcase_add_test(tc, test_table_only_field_errors);
        tcase_add_test(tc, test_every_table_line);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return check_run(fields_suite());
}
