/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kube.h"

/* Kubernetes' quantity grammar (k8s.io/apimachinery resource.Quantity):
 *   [+-]? digits [. digits] ( binarySI | decimalSI | [eE] [+-]? digits )?
 * binarySI Ki Mi Gi Ti Pi Ei; decimalSI n u m "" k M G T P E. Computed exactly:
 * mantissa digits N, a power of ten and a power of two, so that "1.5Gi" is
 * 1610612736 and "0.1" bytes is refused rather than rounded. */

#define MANTISSA_DIGITS_MAX 30     /* 10^30 < 2^100: fits unsigned __int128 */
#define EXPONENT_MAX 64

int kube_quantity_parse(const char *s, unsigned scale10, uint64_t *ret) {
        static const struct { const char *suffix; int e10, e2; } suffixes[] = {
                { "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 }, { "Pi", 0, 50 }, { "Ei", 0, 60 },
                { "n", -9, 0 }, { "u", -6, 0 }, { "m", -3, 0 }, { "k", 3, 0 }, { "M", 6, 0 }, { "G", 9, 0 },
                { "T", 12, 0 }, { "P", 15, 0 }, { "E", 18, 0 },
        };
        unsigned __int128 v = 0;
        unsigned digits = 0;
        int e10 = scale10, e2 = 0;
        bool negative = false, any = false;

        if (!s)
                return -EINVAL;
        if (*s == '+' || *s == '-')
                negative = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++, any = true) {
                if (v == 0 && *s == '0')
                        continue;        /* leading zeros carry no digits */
                if (++digits > MANTISSA_DIGITS_MAX)
                        return -ERANGE;
                v = v * 10 + (*s - '0');
        }
        if (*s == '.') {
                s++;
                for (; *s >= '0' && *s <= '9'; s++, any = true) {
                        if (v == 0 && *s == '0') {
                                e10--;
                                continue;
                        }
                        if (++digits > MANTISSA_DIGITS_MAX)
                                return -ERANGE;
                        v = v * 10 + (*s - '0');
                        e10--;
                }
        }
        if (!any)
                return -EINVAL;
        if ((*s == 'e' || *s == 'E') && !streq(s, "E") && !streq(s, "Ei")) {
                bool eneg = false;
                int x = 0;

                s++;
                if (*s == '+' || *s == '-')
                        eneg = *s++ == '-';
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++) {
                        x = x * 10 + (*s - '0');
                        if (x > EXPONENT_MAX)
                                return eneg ? -EDOM : -ERANGE;
                }
                if (*s)
                        return -EINVAL;
                e10 += eneg ? -x : x;
        } else if (*s) {
                bool found = false;

                for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                        if (streq(s, suffixes[i].suffix)) {
                                e10 += suffixes[i].e10;
                                e2 = suffixes[i].e2;
                                found = true;
                                break;
                        }
                if (!found)
                        return -EINVAL;
        }
        if (v == 0 || negative)
                return -ERANGE;

        /* Trailing zeros first, then 10^-k as 5^-k and 2^-k, the twos taken
         * from the binary suffix before the mantissa. */
        while (e10 < 0 && v % 10 == 0) {
                v /= 10;
                e10++;
        }
        for (; e10 < 0; e10++) {
                if (v % 5 != 0)
                        return -EDOM;
                v /= 5;
                if (e2 > 0)
                        e2--;
                else if (v % 2 == 0)
                        v /= 2;
                else
                        return -EDOM;
        }
        for (; e10 > 0; e10--) {
                v *= 10;
                if (v > INT64_MAX)
                        return -ERANGE;
        }
        for (; e2 > 0; e2--) {
                v *= 2;
                if (v > INT64_MAX)
                        return -ERANGE;
        }
        if (v > INT64_MAX)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

bool spec_text_is_json(const char *text, size_t len) {
        for (size_t i = 0; i < len; i++) {
                if (strchr(" \t\r\n", text[i]) && text[i])
                        continue;
                return text[i] == '{' || text[i] == '[';
        }
        return false;
}
