/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OCI whiteouts (image-spec layer.md) and their overlayfs equivalents.
 *
 * '.wh.NAME'      -> NAME is deleted: a 0/0 character device named NAME.
 * '.wh..wh..opq'  -> the directory hides all lower content: the xattr
 *                    trusted.overlay.opaque=y on it.
 * '.wh..wh.*'     -> other AUFS bookkeeping names, ignored.
 * '.wh.', '.wh..', '.wh...' -> refused: they would name the directory itself or
 *                    its parent (the image spec says this MUST be an error). */

#include "macro.h"

#define WHITEOUT_PREFIX      ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE      ".wh..wh..opq"

typedef enum WhiteoutKind {
        WHITEOUT_NONE,     /* an ordinary name */
        WHITEOUT_FILE,     /* *ret_target is the name to delete */
        WHITEOUT_OPAQUE_DIR,
        WHITEOUT_IGNORED,
} WhiteoutKind;

/* Classifies a single path component. Returns a WhiteoutKind, or -EINVAL for a
 * whiteout that does not name a child of its directory. */
int whiteout_classify(const char *name, const char **ret_target);

/* Creates the overlayfs whiteout for `name` in dir_fd (which must not exist). */
int whiteout_create(int dir_fd, const char *name);

/* Marks the directory open as dir_fd (a real fd, not O_PATH) opaque. */
int whiteout_set_opaque(int dir_fd);
