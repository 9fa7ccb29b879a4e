/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Hostile-tar-safe extraction of one OCI layer into a directory.
 *
 * Promises: nothing outside the directory given as root_fd is created, modified,
 * or has its metadata changed, whatever the archive contains. Every parent path is
 * resolved beneath root_fd with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV); leaves are created and changed with
 * calls that never follow a symlink; device nodes are created, never opened.
 *
 * Refused (the whole layer fails, the message names the entry): absolute paths,
 * '..' components, any entry replacing the root, parents that are symlinks or not
 * directories, hardlinks whose target is outside/through a symlink/a directory,
 * owners that are not valid ids, overlayfs' own xattrs (trusted.overlay.*,
 * user.overlay.*), a bare or escaping whiteout ('.wh.', '.wh..', '.wh...'), and a
 * '.wh.' prefix on a parent component.
 *
 * OCI whiteouts become overlayfs ones: '.wh.NAME' -> char device 0/0 named NAME,
 * '.wh..wh..opq' -> trusted.overlay.opaque=y on its directory. Other '.wh..wh.*'
 * names (AUFS bookkeeping) are skipped. A later entry replaces an earlier one of
 * the same name (a directory stays a directory if the new entry is one too).
 * Hardlinks to a symlink link the symlink itself (never followed). Sockets are
 * skipped. Modes (incl. setuid/setgid/sticky, set after chown), owners, user.*
 * and security.* xattrs, timestamps (directories' at the end) are preserved. */

#include <stdint.h>

#include "limits.h"
#include "macro.h"

struct archive;

#define EXTRACT_MAX_ENTRIES   (4U * 1024U * 1024U)
#define EXTRACT_MAX_PATH      4096U
#define EXTRACT_MAX_DEPTH     256U

/* MinFreeSpace= is checked again after every this many bytes written. */
#define EXTRACT_FREE_CHECK_BYTES (64U * 1024U * 1024U)

typedef struct ExtractStats {
        uint64_t n_entries;
        uint64_t n_bytes;   /* unpacked size: regular files' sizes, holes included (limits.h) */
} ExtractStats;

typedef struct ExtractLimits {
        /* A regular file whose size would bring n_bytes above this is refused
         * before its data is written: -EFBIG, the message is `exceeded`
         * ("unpacks to more than MaxUnpackedLayerSize=64M") and the entry. */
        uint64_t max_bytes;
        const char *exceeded;
        /* MinFreeSpace= on root_fd's file system, checked while writing; NULL: none. */
        const ImageLimits *free_space;
} ExtractLimits;

/* Reads all entries of the opened tar reader `a` and extracts them beneath
 * root_fd. limits may be NULL (none). On failure returns negative errno and, if
 * ret_error is non-NULL, a message naming the entry. */
int extract_tar(struct archive *a, int root_fd, const ExtractLimits *limits, ExtractStats *ret_stats,
                char **ret_error);

/* Reads all entries like extract_tar() but writes nothing: counts entries and
 * the unpacked size against limits->max_bytes (free_space is ignored). */
int extract_scan_tar(struct archive *a, const ExtractLimits *limits, ExtractStats *ret_stats,
                     char **ret_error);

