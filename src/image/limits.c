/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <sys/statvfs.h>

#include "limits.h"

const char *image_size_format(uint64_t v, char buf[static IMAGE_SIZE_STR_MAX]) {
        static const char units[] = "KMGTPE";
        unsigned u = 0;

        if (v == IMAGE_SIZE_INFINITY)
                return strcpy(buf, "infinity");
        if (v == 0)
                return strcpy(buf, "0");
        while (u < sizeof(units) - 1 && v % 1024 == 0) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, IMAGE_SIZE_STR_MAX, "%" PRIu64, v);
        else
                snprintf(buf, IMAGE_SIZE_STR_MAX, "%" PRIu64 "%c", v, units[u - 1]);
        return buf;
}

/* Free space is rounded for humans: exactness does not matter there. */
static const char *approx_format(uint64_t v, char buf[static IMAGE_SIZE_STR_MAX]) {
        static const char units[] = "KMGTPE";
        double d = (double) v;
        int u = -1;

        while (d >= 1024.0 && u < (int) sizeof(units) - 2) {
                d /= 1024.0;
                u++;
        }
        if (u < 0)
                snprintf(buf, IMAGE_SIZE_STR_MAX, "%" PRIu64, v);
        else
                snprintf(buf, IMAGE_SIZE_STR_MAX, "%.1f%c", d, units[u]);
        return buf;
}

int image_limits_check_free(const ImageLimits *l, int dir_fd, uint64_t need, const char *what,
                            char **ret_error) {
        char a[IMAGE_SIZE_STR_MAX], b[IMAGE_SIZE_STR_MAX], c[IMAGE_SIZE_STR_MAX], setting[64];
        struct statvfs sv;
        uint64_t avail, floor;

        if (!l || (l->min_free_space == 0 && l->min_free_percent == 0))
                return 0;
        if (fstatvfs(dir_fd, &sv) < 0) {
                int r = -errno;
                if (ret_error && asprintf(ret_error, "%s: cannot determine free space: %s", what, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        /* f_bavail, not f_bfree: the blocks reserved for root are the host's
         * last resort, not room for images. */
        avail = (uint64_t) sv.f_bavail * (uint64_t) sv.f_frsize;
        if (l->min_free_percent > 0) {
                floor = (uint64_t) sv.f_blocks * (uint64_t) sv.f_frsize / 100 * l->min_free_percent;
                snprintf(setting, sizeof setting, "MinFreeSpace=%u%% (%s)", l->min_free_percent,
                         approx_format(floor, c));
        } else {
                floor = l->min_free_space;
                snprintf(setting, sizeof setting, "MinFreeSpace=%s", image_size_format(floor, c));
        }
        if (avail >= image_size_add(floor, need))
                return 0;

        if (ret_error) {
                int k;

                if (need > 0)
                        k = asprintf(ret_error, "%s needs %s, but the data directory's file system has "
                                     "%s free and %s must stay free", what, approx_format(need, a),
                                     approx_format(avail, b), setting);
                else
                        k = asprintf(ret_error, "%s refused: the data directory's file system has %s free, "
                                     "less than %s", what, approx_format(avail, b), setting);
                if (k < 0)
                        *ret_error = NULL;
        }
        return -ENOSPC;
}
