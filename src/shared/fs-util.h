/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* mkdir -p: missing parents are created 0755, the last component with `mode`.
 * Existing directories are left as they are. */
int mkdir_p(const char *path, mode_t mode);

/* fsync() the directory at path, so that entries created, renamed or removed
 * in it survive a power cut. */
int fsync_directory(const char *path);
