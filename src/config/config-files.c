/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>

#include "config.h"
#include "config-files.h"
#include "strv.h"

static int cmp_strp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int config_collect_dropins(int dir_fd, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        int fd, r = 0;

        fd = openat(dir_fd, "tank.conf.d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return -errno;
        }
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }

        for (;;) {
                struct dirent *de;
                const char *dot;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = -errno;
                        break;
                }
                if (de->d_name[0] == '.')
                        continue;
                dot = strrchr(de->d_name, '.');
                if (!dot || !streq(dot, ".conf"))
                        continue;
                r = strv_extend(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;

        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_strp);
        *ret = TAKE_PTR(names);
        return 0;
}
