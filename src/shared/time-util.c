/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "time-util.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} time_units[] = {
        /* longest suffix first where one is a prefix of another */
        { "usec", 1 },
        { "us", 1 },
        { "msec", USEC_PER_MSEC },
        { "ms", USEC_PER_MSEC },
        { "seconds", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "hour", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "days", 86400 * USEC_PER_SEC },
        { "day", 86400 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
};

int parse_decimal_run(const char **p, uint64_t *ret) {
        uint64_t n = 0;

        if (!isdigit((unsigned char) **p))
                return -EINVAL;
        for (; isdigit((unsigned char) **p); (*p)++) {
                if (n > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                n = n * 10 + (uint64_t) (**p - '0');
        }
        *ret = n;
        return 0;
}

int parse_sec(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        bool any = false;

        if (!s)
                return -EINVAL;

        for (const char *p = s;;) {
                uint64_t n = 0, mult = USEC_PER_SEC;
                size_t k;
                int r;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == 0)
                        break;
                r = parse_decimal_run(&p, &n);
                if (r < 0)
                        return r;
                while (*p == ' ' || *p == '\t')
                        p++;

                k = 0;
                while (isalpha((unsigned char) p[k]))
                        k++;
                if (k > 0) {
                        bool found = false;

                        for (size_t i = 0; i < ELEMENTSOF(time_units); i++)
                                if (strlen(time_units[i].suffix) == k &&
                                    strneq(p, time_units[i].suffix, k)) {
                                        mult = time_units[i].usec;
                                        found = true;
                                        break;
                                }
                        if (!found)
                                return -EINVAL;
                        p += k;
                } else if (any || *p != 0)
                        /* "1min 30" is ambiguous: only a lone number means seconds */
                        return -EINVAL;

                if (n > UINT64_MAX / mult || total > UINT64_MAX - n * mult)
                        return -ERANGE;
                total += n * mult;
                any = true;
        }

        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}
