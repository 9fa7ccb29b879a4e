/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Test-only helper (not in libtank): builds tar layers in memory with libarchive's
 * write API, plain and compressed side by side so the diff_id (sha256 of the
 * plain stream) is known. Aborts on any libarchive failure: tests only. */

#include <stdint.h>
#include <sys/types.h>

#include "layer.h"

typedef struct TestEntry {
        const char *path;
        mode_t type;            /* S_IFREG (default if 0), S_IFDIR, S_IFLNK, S_IFCHR, ... */
        mode_t mode;            /* permission bits; 0 -> 0644 (files) / 0755 (dirs) */
        int64_t uid, gid;
        const char *content;    /* regular files */
        const char *link;       /* symlink target */
        const char *hardlink;   /* hardlink target (path in the archive) */
        dev_t rdev;
        const char *xattr_name, *xattr_value;
        size_t xattr_size;      /* 0 -> strlen(xattr_value) */
        int64_t mtime;          /* 0 -> 1000000000 */
} TestEntry;

typedef struct TestTar TestTar;

TestTar *test_tar_new(LayerCompression c);
void test_tar_add(TestTar *t, const TestEntry *e);
/* Finishes: returns a memfd (offset 0) with the possibly compressed layer and its
 * diff_id ("sha256:..."). Frees t. */
void test_tar_finish(TestTar *t, int *ret_fd, char **ret_diff_id);

/* Convenience: a whole layer from a { .path = NULL }-terminated array. */
void test_tar_build(LayerCompression c, const TestEntry *entries, int *ret_fd, char **ret_diff_id);
