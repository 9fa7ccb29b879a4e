/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between extract.c (walking the archive, creating entries) and
 * extract-meta.c (owners, modes, xattrs, times). Not a public API. */

#include <archive.h>
#include <archive_entry.h>
#include <sys/types.h>

#include "extract.h"

typedef struct DirTime {
        char *path;
        struct timespec ts[2];
} DirTime;

typedef struct Extractor {
        int root_fd;

        /* The parent directory resolved last: tar entries come grouped by
         * directory, so this saves one openat2() walk per entry. Dropped when
         * the directory (or one of its ancestors) is removed. */
        char *cache_path;
        int cache_fd;

        DirTime *dir_times;
        size_t n_dir_times, n_dir_times_allocated;

        ExtractStats stats;
        const ExtractLimits *limits;
        uint64_t written_since_check;   /* data bytes since MinFreeSpace= was last checked */
        bool privileged;

        const char *entry;  /* the current entry's raw name, for messages */
        char *error;
} Extractor;

_printf_(3, 4)
int extract_fail(Extractor *x, int r, const char *format, ...);

int extract_apply_metadata_fd(Extractor *x, struct archive_entry *e, int fd, bool times);
int extract_apply_metadata_special(Extractor *x, struct archive_entry *e, int parent_fd,
                                   const char *leaf, mode_t type);
int extract_apply_metadata_symlink(Extractor *x, struct archive_entry *e, int parent_fd,
                                   const char *leaf);
void extract_entry_times(struct archive_entry *e, struct timespec ts[2]);
