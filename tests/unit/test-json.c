/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check-run.h"
#include "json-guard.h"
#include "macro.h"

static void expect_refused(const char *text, size_t len, size_t max_size, unsigned max_depth, int error,
                           const char *reason) {
        _cleanup_free_ char *e = NULL;
        yajl_val v = NULL;

        ck_assert_int_eq(json_guard_parse(text, len, max_size, max_depth, &v, &e), error);
        ck_assert_ptr_null(v);
        ck_assert_msg(e && strstr(e, reason), "\"%s\" does not contain \"%s\"", strna(e), reason);
        /* The message is optional. */
        ck_assert_int_eq(json_guard_parse(text, len, max_size, max_depth, &v, NULL), error);
}

static char *nested(size_t n, const char *open, const char *close) {
        size_t lo = strlen(open), lc = strlen(close);
        char *s = malloc(n * (lo + lc) + 1), *p = s;

        ck_assert_ptr_nonnull(s);
        for (size_t i = 0; i < n; i++)
                p = mempcpy(p, open, lo);
        for (size_t i = 0; close[0] && i < n; i++)
                p = mempcpy(p, close, lc);
        *p = 0;
        return s;
}

START_TEST(test_parse_depth) {
        _cleanup_free_ char *deep = nested(10000, "[", "]"), *open = nested(10000, "[", ""),
                            *maps = nested(65, "{\"a\":", "}"), *ok = nested(64, "[", "]");
        _cleanup_yajl_ yajl_val v = NULL;

        /* Refused by the scan, before yajl's recursive tree parser sees it. */
        expect_refused(deep, strlen(deep), SIZE_MAX, 64, -EBADMSG, "nesting deeper than 64 levels");
        expect_refused(open, strlen(open), SIZE_MAX, 64, -EBADMSG, "nesting deeper than 64 levels");
        expect_refused(maps, strlen(maps), SIZE_MAX, 64, -EBADMSG, "nesting deeper than 64 levels");
        ck_assert_int_eq(json_guard_parse(ok, strlen(ok), SIZE_MAX, 64, &v, NULL), 0);
        ck_assert(YAJL_IS_ARRAY(v));
}
END_TEST

START_TEST(test_parse_strings_not_structure) {
        /* Brackets and escaped quotes inside strings are not nesting. */
        static const char text[] = "[\"[[[[{{{{\", \"\\\"[[[[\\\\\", \"\\\\\", {\"k\\\"{\": \"]]]]}}\"}]";
        _cleanup_yajl_ yajl_val v = NULL;
        _cleanup_free_ char *e = NULL;

        ck_assert_int_eq(json_guard_parse(text, strlen(text), SIZE_MAX, 2, &v, &e), 0);
        ck_assert_ptr_null(e);
        ck_assert(YAJL_IS_ARRAY(v));
        ck_assert_int_eq(v->u.array.len, 4);
        ck_assert_str_eq(json_guard_string(v->u.array.values[0]), "[[[[{{{{");
        ck_assert_str_eq(json_guard_string(v->u.array.values[1]), "\"[[[[\\");
        ck_assert_str_eq(json_guard_string(v->u.array.values[2]), "\\");
        ck_assert_str_eq(json_guard_string(json_guard_get(v->u.array.values[3], "k\"{")), "]]]]}}");

        /* An escaped quote does not end the string: the document is cut. */
        expect_refused("[\"a\\\"]", 6, SIZE_MAX, 8, -EBADMSG, "truncated JSON");
        /* yajl_tree_parse() would take comments; a quote in one must not hide nesting. */
        {
                _cleanup_free_ char *deep = nested(1000, "[", "]"), *hidden = NULL;
                ck_assert_int_gt(asprintf(&hidden, "/* \" */ %s /* \" */", deep), 0);
                expect_refused(hidden, strlen(hidden), SIZE_MAX, 64, -EBADMSG, "comment at offset 0");
                expect_refused("[1, // x\n2]", 11, SIZE_MAX, 8, -EBADMSG, "comment at offset 4");
        }
        /* A '/' in a string is no comment. */
        yajl_tree_free(TAKE_PTR(v));
        ck_assert_int_eq(json_guard_parse("[\"a/*b\"]", 8, SIZE_MAX, 8, &v, NULL), 0);
        ck_assert_str_eq(json_guard_string(v->u.array.values[0]), "a/*b");

        /* yajl's tree keeps C strings: an escaped NUL would cut "a\u0000b" to "a". */
        expect_refused("[\"a\\u0000b\"]", 12, SIZE_MAX, 8, -EBADMSG, "\\u0000 escape at offset 3");
        expect_refused("{\"k\\u0000\":1}", 13, SIZE_MAX, 8, -EBADMSG, "\\u0000 escape");
        yajl_tree_free(TAKE_PTR(v));
        ck_assert_int_eq(json_guard_parse("[\"\\\\u0000\", \"\\u0041\"]", 21, SIZE_MAX, 8, &v, NULL), 0);
        ck_assert_str_eq(json_guard_string(v->u.array.values[0]), "\\u0000");
        ck_assert_str_eq(json_guard_string(v->u.array.values[1]), "A");

        /* One level too many behind a string full of closers. */
        expect_refused("[\"]]]\",[[]]]", 12, SIZE_MAX, 2, -EBADMSG, "nesting deeper than 2 levels");
}
END_TEST

START_TEST(test_parse_size_nul) {
        _cleanup_yajl_ yajl_val v = NULL;

        expect_refused("{\"a\":1}", 7, 6, 8, -EMSGSIZE, "document larger than 6 bytes");
        ck_assert_int_eq(json_guard_parse("{\"a\":1}", 7, 7, 8, &v, NULL), 0);
        /* Not NUL-terminated: only len bytes count. */
        yajl_tree_free(TAKE_PTR(v));
        ck_assert_int_eq(json_guard_parse("[1]xyz", 3, 3, 8, &v, NULL), 0);

        expect_refused("{\"a\":\"\0\"}", 9, 100, 8, -EBADMSG, "NUL byte at offset 6");
        expect_refused("{\"a\":\"\\\0\"}", 10, 100, 8, -EBADMSG, "NUL byte at offset 7");
        expect_refused("{}\0", 3, 100, 8, -EBADMSG, "NUL byte at offset 2");
}
END_TEST

START_TEST(test_parse_invalid) {
        expect_refused("", 0, 100, 8, -EBADMSG, "empty document");
        expect_refused(NULL, 0, 100, 8, -EBADMSG, "empty document");
        expect_refused(" \n\t", 3, 100, 8, -EBADMSG, "empty document");
        expect_refused("{\"header\":", 10, 100, 8, -EBADMSG, "truncated JSON (unexpected end of input)");
        expect_refused("[\"abc", 5, 100, 8, -EBADMSG, "truncated JSON");
        expect_refused("{\"a\":1,}", 8, 100, 8, -EBADMSG, "invalid object key");
        expect_refused("{} {}", 5, 100, 8, -EBADMSG, "trailing garbage");
        expect_refused("]", 1, 100, 8, -EBADMSG, "unallowed token");
        expect_refused("[tru]", 5, 100, 8, -EBADMSG, "invalid string in json text");
        expect_refused("[\"\xff\"]", 5, 100, 8, -EBADMSG, "invalid bytes in UTF8 string");
}
END_TEST

START_TEST(test_getters) {
        static const char text[] = "{\"s\":\"x\",\"i\":42,\"n\":-7,\"d\":1.5,\"b\":true,\"s\":\"second\"}";
        _cleanup_yajl_ yajl_val v = NULL;
        long long i;

        ck_assert_int_eq(json_guard_parse(text, strlen(text), 1024, 8, &v, NULL), 0);
        ck_assert_str_eq(json_guard_string(json_guard_get(v, "s")), "x");      /* the first one */
        ck_assert_ptr_null(json_guard_string(json_guard_get(v, "i")));
        ck_assert_ptr_null(json_guard_get(v, "missing"));
        ck_assert_ptr_null(json_guard_get(json_guard_get(v, "i"), "x"));
        ck_assert_ptr_null(json_guard_get(NULL, "x"));
        ck_assert_ptr_null(json_guard_string(NULL));

        ck_assert_int_eq(json_guard_int(json_guard_get(v, "i"), 0, 100, &i), 0);
        ck_assert_int_eq(i, 42);
        i = 5;
        ck_assert_int_eq(json_guard_int(json_guard_get(v, "i"), 0, 41, &i), -EBADMSG);
        ck_assert_int_eq(json_guard_int(json_guard_get(v, "n"), 0, 100, &i), -EBADMSG);
        ck_assert_int_eq(json_guard_int(json_guard_get(v, "d"), 0, 100, &i), -EBADMSG);
        ck_assert_int_eq(json_guard_int(json_guard_get(v, "s"), 0, 100, &i), -EBADMSG);
        ck_assert_int_eq(json_guard_int(NULL, 0, 100, &i), -EBADMSG);
        ck_assert_int_eq(i, 5);
}
END_TEST

START_TEST(test_gen_ok) {
        _cleanup_(json_gen_freep) JsonGen *g = json_gen_new(0);
        _cleanup_free_ char *json = NULL;
        char *l[] = { (char *) "a", (char *) "b\"", NULL };
        size_t len;

        ck_assert_ptr_nonnull(g);
        json_gen_map_open(g);
        json_gen_kv_string(g, "s", "v");
        json_gen_kv_string(g, "null", NULL);
        json_gen_kv_integer(g, "i", -3);
        json_gen_kv_bool(g, "b", true);
        json_gen_kv_strv(g, "l", l);
        json_gen_kv_strv(g, "e", NULL);
        json_gen_string(g, "n");
        json_gen_number(g, "1.5e3", 5);
        json_gen_string(g, "m");
        json_gen_map_open(g);
        json_gen_map_close(g);
        ck_assert_int_eq(json_gen_map_close(g), 0);
        ck_assert_int_eq(json_gen_error(g), 0);
        ck_assert_int_eq(json_gen_finish(g, &json, &len, NULL), 0);
        ck_assert_str_eq(json, "{\"s\":\"v\",\"null\":null,\"i\":-3,\"b\":true,\"l\":[\"a\",\"b\\\"\"],\"e\":[],"
                         "\"n\":1.5e3,\"m\":{}}");
        ck_assert_int_eq(len, strlen(json));
}
END_TEST

static void expect_gen_failure(JsonGen *g, int error, const char *reason) {
        _cleanup_free_ char *json = NULL, *e = NULL;

        ck_assert_int_eq(json_gen_error(g), error == -EBADMSG ? 0 : error);
        ck_assert_int_eq(json_gen_finish(g, &json, NULL, &e), error);
        ck_assert_ptr_null(json);
        ck_assert_msg(e && strstr(e, reason), "\"%s\" does not contain \"%s\"", strna(e), reason);
        json_gen_free(g);
}

START_TEST(test_gen_failures) {
        JsonGen *g;

        /* A map key that is not a string; later calls do nothing and say so. */
        g = json_gen_new(0);
        json_gen_map_open(g);
        ck_assert_int_eq(json_gen_integer(g, 1), -EINVAL);
        ck_assert_int_eq(json_gen_string(g, "v"), -EINVAL);
        ck_assert_int_eq(json_gen_map_close(g), -EINVAL);
        expect_gen_failure(g, -EINVAL, "map key is not a string");

        /* A map as a key. */
        g = json_gen_new(0);
        json_gen_map_open(g);
        json_gen_kv_integer(g, "a", 1);
        json_gen_map_open(g);
        json_gen_map_close(g);
        json_gen_map_close(g);
        expect_gen_failure(g, -EINVAL, "map key is not a string");

        /* A value after the document ended. */
        g = json_gen_new(0);
        json_gen_map_open(g);
        json_gen_map_close(g);
        ck_assert_int_eq(json_gen_string(g, "late"), -EINVAL);
        expect_gen_failure(g, -EINVAL, "value after the end of the document");

        /* Closes yajl does not check. */
        g = json_gen_new(0);
        json_gen_map_open(g);
        json_gen_array_close(g);
        expect_gen_failure(g, -EINVAL, "array close without its open");

        g = json_gen_new(0);
        json_gen_map_close(g);
        expect_gen_failure(g, -EINVAL, "map close without its open");

        g = json_gen_new(0);
        json_gen_map_open(g);
        json_gen_string(g, "key");
        json_gen_map_close(g);
        expect_gen_failure(g, -EINVAL, "map key without a value");

        /* Unfinished or empty documents. */
        g = json_gen_new(0);
        json_gen_array_open(g);
        json_gen_integer(g, 1);
        expect_gen_failure(g, -EBADMSG, "unclosed map or array");

        g = json_gen_new(0);
        expect_gen_failure(g, -EBADMSG, "empty document");

        /* Invalid UTF-8, only refused when asked for. */
        g = json_gen_new(JSON_GEN_VALIDATE_UTF8);
        json_gen_array_open(g);
        ck_assert_int_eq(json_gen_string(g, "\xff"), -EILSEQ);
        json_gen_array_close(g);
        expect_gen_failure(g, -EILSEQ, "not valid UTF-8");

        /* Beyond yajl's depth. */
        g = json_gen_new(0);
        for (int i = 0; i < 200; i++)
                json_gen_array_open(g);
        expect_gen_failure(g, -ELOOP, "nesting deeper than 128 levels");
}
END_TEST

int main(void) {
        Suite *s = suite_create("json");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse_depth);
        tcase_add_test(tc, test_parse_strings_not_structure);
        tcase_add_test(tc, test_parse_size_nul);
        tcase_add_test(tc, test_parse_invalid);
        tcase_add_test(tc, test_getters);
        tcase_add_test(tc, test_gen_ok);
        tcase_add_test(tc, test_gen_failures);
        suite_add_tcase(s, tc);
        return check_run(s);
}
