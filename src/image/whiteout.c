/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "whiteout.h"

int whiteout_classify(const char *name, const char **ret_target) {
        const char *t;

        t = startswith(name, WHITEOUT_PREFIX);
        if (!t)
                return WHITEOUT_NONE;
        if (streq(name, WHITEOUT_OPAQUE))
                return WHITEOUT_OPAQUE_DIR;
        if (startswith(name, WHITEOUT_META_PREFIX))
                return WHITEOUT_IGNORED;
        /* Components never contain '/', but be explicit: the target must be one
         * plain child name. */
        if (isempty(t) || streq(t, ".") || streq(t, "..") || strchr(t, '/'))
                return -EINVAL;
        if (ret_target)
                *ret_target = t;
        return WHITEOUT_FILE;
}

int whiteout_create(int dir_fd, const char *name) {
        /* Mode 0: overlayfs only looks at the type and rdev; nothing can open it. */
        return RET_NERRNO(mknodat(dir_fd, name, S_IFCHR | 0, makedev(0, 0)));
}

int whiteout_set_opaque(int dir_fd) {
        return RET_NERRNO(fsetxattr(dir_fd, "trusted.overlay.opaque", "y", 1, 0));
}
