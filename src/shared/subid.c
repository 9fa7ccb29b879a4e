/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdlib.h>

#include "fs-util.h"
#include "subid.h"

/* A decimal number of at most 10 digits that fits in 32 bits. No sign, no
 * spaces, no leading "0x": whatever strtoul would tolerate beyond that is a typo
 * here. */
static int parse_u32(const char *s, size_t len, uint32_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 10)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

static bool field_is(const char *s, size_t len, const char *user, uid_t user_uid) {
        uint32_t u;

        if (user && strlen(user) == len && memcmp(s, user, len) == 0)
                return true;
        return user_uid != (uid_t) -1 && parse_u32(s, len, &u) >= 0 && u == (uint32_t) user_uid;
}

int subid_parse(const char *text, const char *user, uid_t user_uid, SubidRange **ret, size_t *ret_n,
                unsigned *ret_skipped) {
        _cleanup_free_ SubidRange *ranges = NULL;
        size_t n = 0;
        unsigned skipped = 0;

        if (!text || (!user && user_uid == (uid_t) -1))
                return -EINVAL;

        for (const char *line = text; *line; ) {
                const char *end = strchrnul(line, '\n'), *c1, *c2;
                uint32_t start, count;

                c1 = memchr(line, ':', (size_t) (end - line));
                c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
                if (c1 && field_is(line, (size_t) (c1 - line), user, user_uid)) {
                        if (!c2 || parse_u32(c1 + 1, (size_t) (c2 - c1 - 1), &start) < 0 ||
                            parse_u32(c2 + 1, (size_t) (end - c2 - 1), &count) < 0 ||
                            count == 0 || start == 0 ||
                            (uint64_t) start + count > (uint64_t) UINT32_MAX || n >= SUBID_RANGES_MAX)
                                skipped++;
                        else {
                                SubidRange *t = reallocarray(ranges, n + 1, sizeof(SubidRange));
                                if (!t)
                                        return -ENOMEM;
                                ranges = t;
                                ranges[n++] = (SubidRange) { .start = start, .count = count };
                        }
                }
                line = *end ? end + 1 : end;
        }

        *ret = TAKE_PTR(ranges);
        *ret_n = n;
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}

bool subid_contains(const SubidRange *ranges, size_t n, uint32_t base, uint32_t size) {
        for (size_t i = 0; i < n; i++)
                if (base >= ranges[i].start &&
                    (uint64_t) base + size <= (uint64_t) ranges[i].start + ranges[i].count)
                        return true;
        return false;
}

static bool overlaps_used(const uint32_t *used, size_t n_used, uint32_t base, uint32_t size) {
        for (size_t i = 0; i < n_used; i++)
                if ((uint64_t) base < (uint64_t) used[i] + size && (uint64_t) used[i] < (uint64_t) base + size)
                        return true;
        return false;
}

int subid_alloc(const SubidRange *uids, size_t n_uids, const SubidRange *gids, size_t n_gids,
                const uint32_t *used, size_t n_used, uint32_t size, uint32_t *ret_base) {
        bool found = false;
        uint32_t best = 0;

        if (size == 0)
                return -EINVAL;
        for (size_t i = 0; i < n_uids; i++) {
                uint64_t end = (uint64_t) uids[i].start + uids[i].count;

                /* Each uid range is cut in slots of `size` from its own start; a
                 * lower slot in a later range still wins (lowest base overall). */
                for (uint64_t b = uids[i].start; b + size <= end; b += size) {
                        if (found && b >= best)
                                break;
                        if (!subid_contains(gids, n_gids, (uint32_t) b, size) ||
                            overlaps_used(used, n_used, (uint32_t) b, size))
                                continue;
                        best = (uint32_t) b;
                        found = true;
                        break;
                }
        }
        if (!found)
                return -ENOSPC;
        *ret_base = best;
        return 0;
}

int subid_load(const char *path, const char *user, uid_t user_uid, SubidRange **ret, size_t *ret_n,
               unsigned *ret_skipped) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        /* O_NONBLOCK: a FIFO planted there is refused, never waited on. */
        r = read_file_capped(AT_FDCWD, path, SUBID_FILE_MAX, O_NONBLOCK, READ_FILE_REGULAR,
                             &buf, &len);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                if (ret_skipped)
                        *ret_skipped = 0;
                return 0;
        }
        if (r < 0)
                return r;
        if (memchr(buf, 0, len))
                return -EBADMSG;
        return subid_parse(buf, user, user_uid, ret, ret_n, ret_skipped);
}
