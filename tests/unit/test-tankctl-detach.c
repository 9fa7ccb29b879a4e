/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>

#include "check-run.h"
#include "macro.h"
#include "tankctl/detach.h"

START_TEST(test_parse) {
        DetachKeys k;

        ck_assert_int_eq(detach_keys_parse(DETACH_KEYS_DEFAULT, &k), 0);
        ck_assert_uint_eq(k.len, 2);
        ck_assert_uint_eq(k.seq[0], 0x10);
        ck_assert_uint_eq(k.seq[1], 0x11);

        ck_assert_int_eq(detach_keys_parse("ctrl-a,d", &k), 0);
        ck_assert_uint_eq(k.len, 2);
        ck_assert_uint_eq(k.seq[0], 0x01);
        ck_assert_uint_eq(k.seq[1], 'd');

        ck_assert_int_eq(detach_keys_parse("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", &k), 0);
        ck_assert_uint_eq(k.len, 6);
        ck_assert_uint_eq(k.seq[0], 0x00);
        ck_assert_uint_eq(k.seq[1], 0x1b);
        ck_assert_uint_eq(k.seq[5], 0x1f);

        ck_assert_int_eq(detach_keys_parse("ctrl-z", &k), 0);
        ck_assert_uint_eq(k.seq[0], 0x1a);

        ck_assert_int_eq(detach_keys_parse("", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse(NULL, &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("ctrl-", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("ctrl-1", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("ctrl-P", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("ctrl-pq", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("ab", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("a,,b", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("a,", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("\t", &k), -EINVAL);
        ck_assert_int_eq(detach_keys_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", &k), 0);
        ck_assert_uint_eq(k.len, 16);
        ck_assert_int_eq(detach_keys_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", &k), -E2BIG);
}
END_TEST

/* Feed the input in the given chunk sizes (0-terminated list, the last size
 * repeats); return whether it detached, with everything forwarded in out. */
static bool run(const char *keys, const char *in, size_t in_len, const size_t *chunks,
                uint8_t *out, size_t *out_len) {
        DetachKeys k;
        DetachMatcher m;
        size_t pos = 0, o = 0, c = 0;

        ck_assert_int_eq(detach_keys_parse(keys, &k), 0);
        detach_matcher_init(&m, &k);
        while (pos < in_len) {
                size_t n = MIN(chunks[c], in_len - pos), got;
                bool done;

                done = detach_matcher_feed(&m, (const uint8_t *) in + pos, n, out + o, &got);
                ck_assert_uint_le(got, n + DETACH_KEYS_MAX);
                o += got;
                pos += n;
                if (chunks[c + 1] != 0)
                        c++;
                if (done) {
                        *out_len = o;
                        return true;
                }
        }
        *out_len = o;
        return false;
}

static void check(const char *keys, const char *in, bool detached, const char *forwarded) {
        static const size_t chunkings[][4] = {
                { 4096, 0 },    /* all at once */
                { 1, 0 },       /* byte by byte */
                { 2, 0 },
                { 3, 1, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(chunkings); i++) {
                uint8_t out[256];
                size_t n;
                bool d = run(keys, in, strlen(in), chunkings[i], out, &n);

                ck_assert_msg(d == detached, "keys %s input %s chunking %zu: detached=%d", keys, in, i, d);
                ck_assert_msg(n == strlen(forwarded) && memcmp(out, forwarded, n) == 0,
                              "keys %s input %s chunking %zu: forwarded \"%.*s\", expected \"%s\"",
                              keys, in, i, (int) n, out, forwarded);
        }
}

START_TEST(test_matcher) {
        /* default Ctrl-P Ctrl-Q */
        check(DETACH_KEYS_DEFAULT, "ls\r\x10\x11", true, "ls\r");
        check(DETACH_KEYS_DEFAULT, "\x10\x11trailing", true, "");
        check(DETACH_KEYS_DEFAULT, "abc", false, "abc");
        /* Ctrl-P then another key: both passed through, in order */
        check(DETACH_KEYS_DEFAULT, "\x10x", false, "\x10x");
        check(DETACH_KEYS_DEFAULT, "a\x10" "b\x10" "c", false, "a\x10" "b\x10" "c");
        /* Ctrl-P Ctrl-P Ctrl-Q: the first is passed, the rest detaches */
        check(DETACH_KEYS_DEFAULT, "\x10\x10\x11", true, "\x10");
        /* a partial match at the end stays held back until it is decided */
        check(DETACH_KEYS_DEFAULT, "abc\x10", false, "abc");
        /* Ctrl-Q alone is ordinary input */
        check(DETACH_KEYS_DEFAULT, "\x11\x11", false, "\x11\x11");

        /* overlapping prefixes: "a,a,b" */
        check("a,a,b", "aab", true, "");
        check("a,a,b", "aaab", true, "a");
        check("a,a,b", "aaaab", true, "aa");
        check("a,a,b", "aba", false, "ab");
        check("a,b,a,c", "ababac", true, "ab");
        check("a,b,a,c", "abab", false, "ab");

        /* a single key */
        check("ctrl-a", "x\x01y", true, "x");
        check("ctrl-a", "xyz", false, "xyz");
}
END_TEST

START_TEST(test_matcher_state_across_calls) {
        DetachKeys k;
        DetachMatcher m;
        uint8_t out[64];
        size_t n;

        ck_assert_int_eq(detach_keys_parse(DETACH_KEYS_DEFAULT, &k), 0);
        detach_matcher_init(&m, &k);
        /* Ctrl-P at the end of one read is held, not forwarded ... */
        ck_assert(!detach_matcher_feed(&m, (const uint8_t *) "hi\x10", 3, out, &n));
        ck_assert_uint_eq(n, 2);
        ck_assert(memcmp(out, "hi", 2) == 0);
        /* ... and released with the next byte when that is not Ctrl-Q */
        ck_assert(!detach_matcher_feed(&m, (const uint8_t *) "!", 1, out, &n));
        ck_assert_uint_eq(n, 2);
        ck_assert(memcmp(out, "\x10!", 2) == 0);
        /* an empty read changes nothing */
        ck_assert(!detach_matcher_feed(&m, (const uint8_t *) "", 0, out, &n));
        ck_assert_uint_eq(n, 0);
        ck_assert(!detach_matcher_feed(&m, (const uint8_t *) "\x10", 1, out, &n));
        ck_assert_uint_eq(n, 0);
        ck_assert(detach_matcher_feed(&m, (const uint8_t *) "\x11", 1, out, &n));
        ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("tankctl-detach");
        TCase *tc = tcase_create("detach");

        tcase_add_test(tc, test_parse);
        tcase_add_test(tc, test_matcher);
        tcase_add_test(tc, test_matcher_state_across_calls);
        suite_add_tcase(s, tc);
        return check_run(s);
}
