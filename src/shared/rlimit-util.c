/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/resource.h>

#include "rlimit-util.h"

/* FD_SETSIZE, the limit of select() */
#define NOFILE_SAFE 1024U

int rlimit_nofile_bump(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_cur >= rl.rlim_max)
                return 0;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        return 1;
}

int rlimit_nofile_safe(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_cur <= NOFILE_SAFE)
                return 0;
        rl.rlim_cur = NOFILE_SAFE;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        return 1;
}
