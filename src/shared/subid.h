/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Subordinate id ranges (/etc/subuid, /etc/subgid; subuid(5)) and the pure
 * allocation of per-pod user namespace ranges from them.
 *
 * A file is "NAME_OR_UID:START:COUNT" lines. It is input from the host's
 * administrator, but parsed as hostile: a line that is not three fields of
 * decimal numbers in range is skipped (so one typo does not stop every pod),
 * and a range that would map host uid 0, or reach uid 4294967295 (the invalid
 * (uid_t) -1) is skipped too, because it would make some container uid host root
 * or unmappable. */

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define SUBID_FILE_MAX (1024 * 1024)     /* larger files are refused */
#define SUBID_RANGES_MAX 1024            /* ranges kept per user */
#define USERNS_RANGE_SIZE UINT32_C(65536)

typedef struct SubidRange {
        uint32_t start;
        uint32_t count;
} SubidRange;

/* The ranges of `user` (by name, or by uid when user_uid is not (uid_t) -1) in
 * the text of a subuid/subgid file, in file order; *ret_n may be 0. *ret_skipped
 * (may be NULL) counts the malformed or refused lines of that user. */
int subid_parse(const char *text, const char *user, uid_t user_uid, SubidRange **ret, size_t *ret_n,
                unsigned *ret_skipped);

/* The lowest base b such that [b, b + size) lies inside one range of `uids` and
 * inside one range of `gids` (the same number for both, so that a pod's uid and
 * gid ranges read alike), b is aligned to `size` from the start of its uid range,
 * and [b, b + size) overlaps no [used[i], used[i] + size). -ENOSPC when there is
 * none, -EINVAL when size is 0. */
int subid_alloc(const SubidRange *uids, size_t n_uids, const SubidRange *gids, size_t n_gids,
                const uint32_t *used, size_t n_used, uint32_t size, uint32_t *ret_base);

/* Whether [base, base + size) lies inside one of the ranges. */
bool subid_contains(const SubidRange *ranges, size_t n, uint32_t base, uint32_t size);

/* Read a subuid/subgid file (regular, size-capped) and parse
 * it as above. A missing file is 0 ranges. */
int subid_load(const char *path, const char *user, uid_t user_uid, SubidRange **ret, size_t *ret_n,
               unsigned *ret_skipped);
