/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <sys/stat.h>

#include "error-util.h"
#include "fs-type.h"
#include "fs-util.h"
#include "rootfs.h"

int rootfs_prepare_scratch(const char *scratch_dir, char **ret_upper, char **ret_work,
                           char **ret_error) {
        _cleanup_free_ char *upper = NULL, *work = NULL;
        int r;

        if (isempty(scratch_dir) || scratch_dir[0] != '/')
                return error_set(ret_error, -EINVAL, "scratch directory must be absolute");

        r = mkdir_p(scratch_dir, 0700);
        if (r < 0)
                return error_set(ret_error, r, "cannot create %s: %m", scratch_dir);
        r = fs_check_overlay_upper(scratch_dir, ret_error);
        if (r < 0)
                return r;

        if (asprintf(&upper, "%s/upper", scratch_dir) < 0 ||
            asprintf(&work, "%s/work", scratch_dir) < 0)
                return -ENOMEM;
        /* The upper dir becomes the container's "/": 0755 like any root. */
        if (mkdir(upper, 0755) < 0 && errno != EEXIST)
                return error_set(ret_error, -errno, "cannot create %s: %m", upper);
        if (mkdir(work, 0700) < 0 && errno != EEXIST)
                return error_set(ret_error, -errno, "cannot create %s: %m", work);

        *ret_upper = TAKE_PTR(upper);
        *ret_work = TAKE_PTR(work);
        return 0;
}
